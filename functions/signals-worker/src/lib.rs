//! `signals-worker`: triggered by the signals queue. Applies each batch to history and
//! aggregates (idempotent per `event_id` in the store), recomputes the affected customers'
//! lists with the current model, and reports the records that failed so SQS redelivers only
//! those (and moves them to the DLQ after the queue's `maxReceiveCount`).

use std::collections::HashSet;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use chrono::{DateTime, Utc};
use framewise::adapters::aws::signal_from_sqs_body;
use framewise::domain::Signal;
use framewise::service::{Framewise, ModelRefresh};

/// Handles one SQS batch. A record that cannot be decoded fails alone; if applying the
/// batch fails, each record is retried on its own so only the failing ones are reported.
pub async fn handle(
    service: &Framewise,
    refresh: &ModelRefresh,
    event: SqsEvent,
    now: DateTime<Utc>,
) -> SqsBatchResponse {
    if let Err(e) = refresh.maybe_reload(service).await {
        tracing::warn!(error = %e, "model refresh failed; keeping the loaded model");
    }
    let mut failed: Vec<String> = Vec::new();
    let mut decoded: Vec<(String, Signal)> = Vec::new();
    for record in event.records {
        let id = record.message_id.unwrap_or_default();
        match record.body.as_deref().map(signal_from_sqs_body) {
            Some(Ok(signal)) => decoded.push((id, signal)),
            Some(Err(e)) => {
                tracing::warn!(message_id = %id, error = %e, "undecodable signal message");
                failed.push(id);
            }
            None => {
                tracing::warn!(message_id = %id, "signal message without a body");
                failed.push(id);
            }
        }
    }
    if !decoded.is_empty() {
        let signals: Vec<Signal> = decoded.iter().map(|(_, s)| s.clone()).collect();
        let outcome = service.apply_isolating(&signals, now).await;
        failed.extend(
            outcome
                .failed
                .iter()
                .filter_map(|&i| decoded.get(i).map(|(id, _)| id.clone())),
        );
    }
    let mut seen = HashSet::new();
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failed
        .into_iter()
        .filter(|id| seen.insert(id.clone()))
        .map(|item_identifier| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = item_identifier;
            failure
        })
        .collect();
    response
}

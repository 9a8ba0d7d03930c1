//! `signals-worker`: triggered by the signals queue. Applies each batch to history and
//! aggregates (idempotent per `event_id` in the store), recomputes the affected customers'
//! lists with the current model, and reports the records that failed so SQS redelivers only
//! those (and moves them to the DLQ after the queue's `maxReceiveCount`).

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
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
    let (decoded, mut failed) =
        framewise_lambda::decode_batch(event, "signal", |_, body| signal_from_sqs_body(body));
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
    framewise_lambda::batch_failures(failed)
}

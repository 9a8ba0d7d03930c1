//! `signals-worker`: triggered by the signals queue. Applies each batch to history and
//! aggregates (idempotent per `event_id` in the store), recomputes the affected customers'
//! lists with the current model, and reports the records that failed so SQS redelivers only
//! those (and moves them to the DLQ after the queue's `maxReceiveCount`).

use std::collections::HashSet;
use std::time::Duration;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use chrono::{DateTime, Utc};
use framewise::adapters::aws::{signal_from_sqs_body, AwsSettings};
use framewise::domain::Signal;
use framewise::error::StoreError;
use framewise::service::{Framewise, ModelRefresh};

/// Default seconds between two checks of the model pointer.
pub const DEFAULT_MODEL_REFRESH_SECS: u64 = 60;

/// Typed configuration, read once per cold start.
#[derive(Debug, Clone)]
pub struct Config {
    pub aws: AwsSettings,
    /// How often the artifact pointer is checked (`FRAMEWISE_MODEL_REFRESH_SECS`).
    pub model_refresh: Duration,
}

impl Config {
    pub fn from_env() -> Result<Self, StoreError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Same as [`Config::from_env`] over any lookup, so tests need not touch the process env.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, StoreError> {
        let refresh = match lookup("FRAMEWISE_MODEL_REFRESH_SECS").filter(|v| !v.is_empty()) {
            None => DEFAULT_MODEL_REFRESH_SECS,
            Some(v) => v.trim().parse().map_err(|_| {
                StoreError::Backend(format!(
                    "invalid configuration: FRAMEWISE_MODEL_REFRESH_SECS must be whole seconds, got '{v}'"
                ))
            })?,
        };
        Ok(Self {
            aws: AwsSettings::from_lookup(&lookup)?,
            model_refresh: Duration::from_secs(refresh),
        })
    }
}

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
        if let Err(e) = service.apply_signals(&signals, now).await {
            tracing::warn!(error = %e, "batch failed; retrying its records one by one");
            for (id, signal) in &decoded {
                if let Err(e) = service
                    .apply_signals(std::slice::from_ref(signal), now)
                    .await
                {
                    tracing::error!(message_id = %id, event_id = %signal.event_id, error = %e, "signal failed");
                    failed.push(id.clone());
                }
            }
        }
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

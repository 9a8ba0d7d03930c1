//! `regenerate`: rebuilds the model from stored signals, publishes it to S3 and precomputes
//! every customer's list into DynamoDB in batches.
//!
//! Started by EventBridge Scheduler (off-peak) or on demand (`aws lambda invoke` with any
//! JSON object). When the Lambda time limit approaches, the run stops between batches and
//! sends a [`Continuation`] (the model version and the last customer done) to a small SQS
//! queue that triggers this same function, which resumes after that customer instead of
//! starting over.

use std::time::Instant;

use async_trait::async_trait;
use aws_lambda_events::event::sqs::SqsEvent;
use chrono::{DateTime, Utc};
use framewise::error::{ServiceError, StoreError};
use framewise::service::Framewise;
use framewise_lambda::{ErrorKind, FunctionError};
use serde::{Deserialize, Serialize};

/// The queue that carries continuations back to this function.
pub const CONTINUATION_QUEUE_URL: &str = "FRAMEWISE_CONTINUATION_QUEUE_URL";
/// Whole seconds kept in reserve before the Lambda deadline to finish a batch and send the
/// continuation.
pub const SAFETY_SECS: &str = "FRAMEWISE_REGENERATE_SAFETY_SECS";
/// Default of [`SAFETY_SECS`].
pub const DEFAULT_SAFETY_SECS: u64 = 60;

/// Where an interrupted run resumes: lists of customers after `after`, with `model_version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Continuation {
    pub model_version: String,
    /// The last customer id done ("" when none was done yet).
    pub after: String,
}

/// Sends continuations; SQS in production, a recording fake in tests.
#[async_trait]
pub trait ContinuationSink: Send + Sync {
    async fn send(&self, continuation: &Continuation) -> Result<(), StoreError>;
}

/// [`ContinuationSink`] over the continuation queue.
pub struct SqsContinuations {
    pub client: aws_sdk_sqs::Client,
    pub queue_url: String,
}

#[async_trait]
impl ContinuationSink for SqsContinuations {
    async fn send(&self, continuation: &Continuation) -> Result<(), StoreError> {
        let body = serde_json::to_string(continuation).map_err(StoreError::backend)?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| {
                StoreError::Backend(format!(
                    "SQS SendMessage (continuation): {}",
                    aws_sdk_sqs::error::DisplayErrorContext(&e)
                ))
            })?;
        Ok(())
    }
}

/// What one invocation did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub model_version: String,
    /// Lists recomputed in this invocation.
    pub lists: usize,
    /// The continuation sent, when the run did not finish.
    pub continued: Option<Continuation>,
    /// Continuations dropped because a newer model was published meanwhile.
    pub superseded: usize,
}

/// Errors of one invocation; returned to Lambda so the trigger retries.
#[derive(Debug, thiserror::Error)]
pub enum RegenerateError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("continuation message is not valid: {0}")]
    BadContinuation(String),
}

impl From<RegenerateError> for FunctionError {
    fn from(error: RegenerateError) -> Self {
        match error {
            RegenerateError::Service(error) => error.into(),
            RegenerateError::Store(error) => error.into(),
            error @ RegenerateError::BadContinuation(_) => {
                FunctionError::new(ErrorKind::Invalid, error)
            }
        }
    }
}

/// Handles a schedule / on-demand event (any JSON object) or an SQS event of continuations.
/// `deadline` is when the work must stop (the Lambda deadline minus the safety margin).
pub async fn handle(
    service: &Framewise,
    sink: &dyn ContinuationSink,
    event: serde_json::Value,
    deadline: Instant,
    now: DateTime<Utc>,
) -> Result<Outcome, RegenerateError> {
    if event.get("Records").is_some_and(|r| r.is_array()) {
        let sqs: SqsEvent = serde_json::from_value(event)
            .map_err(|e| RegenerateError::BadContinuation(e.to_string()))?;
        let mut outcome = Outcome::default();
        for record in sqs.records {
            let body = record.body.unwrap_or_default();
            let continuation: Continuation = serde_json::from_str(&body)
                .map_err(|e| RegenerateError::BadContinuation(e.to_string()))?;
            let step = resume(service, sink, continuation, deadline, now).await?;
            outcome.model_version = step.model_version;
            outcome.lists += step.lists;
            outcome.superseded += step.superseded;
            outcome.continued = step.continued.or(outcome.continued);
        }
        return Ok(outcome);
    }
    let (model_version, styles) = service.regenerate_model(now).await?;
    tracing::info!(%model_version, styles, "model published; recomputing lists");
    run_lists(service, sink, model_version, None, deadline, now).await
}

async fn resume(
    service: &Framewise,
    sink: &dyn ContinuationSink,
    continuation: Continuation,
    deadline: Instant,
    now: DateTime<Utc>,
) -> Result<Outcome, RegenerateError> {
    service.reload_model_if_changed().await?;
    let serving = service.engine().model_version().to_string();
    if serving != continuation.model_version {
        // A newer run published another model and recomputes every list itself.
        tracing::info!(
            continuation = %continuation.model_version,
            %serving,
            "continuation superseded by a newer model; dropped"
        );
        return Ok(Outcome {
            model_version: serving,
            superseded: 1,
            ..Outcome::default()
        });
    }
    let after = Some(continuation.after);
    run_lists(service, sink, serving, after, deadline, now).await
}

async fn run_lists(
    service: &Framewise,
    sink: &dyn ContinuationSink,
    model_version: String,
    after: Option<String>,
    deadline: Instant,
    now: DateTime<Utc>,
) -> Result<Outcome, RegenerateError> {
    let batch = service
        .recompute_lists(after.as_deref(), usize::MAX, Some(deadline), now)
        .await?;
    let continued = match batch.next_cursor {
        Some(after) => {
            let continuation = Continuation {
                model_version: model_version.clone(),
                after,
            };
            sink.send(&continuation).await?;
            tracing::info!(after = %continuation.after, lists = batch.recomputed, "time is short; continuation sent");
            Some(continuation)
        }
        None => {
            tracing::info!(lists = batch.recomputed, %model_version, "regeneration finished");
            None
        }
    };
    Ok(Outcome {
        model_version,
        lists: batch.recomputed,
        continued,
        superseded: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_regeneration_fails_should_tell_lambda_what_kind_of_failure_it_was() {
        let bad = FunctionError::from(RegenerateError::BadContinuation("EOF".to_string()));
        assert_eq!(bad.error_type(), "Framewise.Invalid");
        assert_eq!(bad.to_string(), "continuation message is not valid: EOF");

        let model = FunctionError::from(RegenerateError::Service(ServiceError::Model(
            "no styles".to_string(),
        )));
        assert_eq!(model.error_type(), "Framewise.Model");

        let store = FunctionError::from(RegenerateError::Store(StoreError::Backend(
            "SQS SendMessage (continuation): denied".to_string(),
        )));
        assert_eq!(store.error_type(), "Framewise.Store");
    }
}

//! `regenerate`: rebuilds the model from stored signals, publishes it to S3 and precomputes
//! every customer's list into DynamoDB in batches.
//!
//! Started by EventBridge Scheduler (off-peak) or on demand (`aws lambda invoke` with any
//! JSON object). When the Lambda time limit approaches, the run stops between batches and
//! sends a [`Continuation`] (the run, the model version and the last customer done) to a
//! small SQS queue that triggers this same function, which resumes after that customer
//! instead of starting over.
//!
//! A continuation goes on with whatever model is current when it arrives, unless a newer
//! run (the next schedule, an on-demand invocation) has started: catalog-sync publishes
//! models mid-run without recomputing every list, so dropping a continuation on any newer
//! model would leave the rest of the night's shoppers without a list from that night.

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

/// Where an interrupted run resumes: lists of customers after `after`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Continuation {
    /// The regeneration run: the model version the run published when it started. Absent
    /// from continuations sent before runs were recorded; see [`Continuation::run_id`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// The model the lists so far were computed with (catalog-sync may have replaced the
    /// run's first model).
    pub model_version: String,
    /// The last customer id done ("" when none was done yet).
    pub after: String,
}

impl Continuation {
    /// The run this continuation belongs to. Older continuations name only their model,
    /// which was then always the run's own.
    pub fn run_id(&self) -> &str {
        self.run.as_deref().unwrap_or(&self.model_version)
    }
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
    /// Continuations dropped because a newer regeneration run started meanwhile.
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
    // A new run is named after the model it published.
    let run = model_version.clone();
    run_lists(service, sink, run, model_version, None, deadline, now).await
}

async fn resume(
    service: &Framewise,
    sink: &dyn ContinuationSink,
    continuation: Continuation,
    deadline: Instant,
    now: DateTime<Utc>,
) -> Result<Outcome, RegenerateError> {
    let run = continuation.run_id().to_string();
    let Some(model_version) = service.continue_run(&run).await? else {
        // A newer run published its model and recomputes every list itself.
        let serving = service.engine().model_version().to_string();
        tracing::info!(%run, %serving, "continuation superseded by a newer run; dropped");
        return Ok(Outcome {
            model_version: serving,
            superseded: 1,
            ..Outcome::default()
        });
    };
    if model_version != continuation.model_version {
        tracing::info!(
            %run,
            from = %continuation.model_version,
            to = %model_version,
            "model refreshed mid-run (catalog-sync); continuing with it"
        );
    }
    let after = Some(continuation.after);
    run_lists(service, sink, run, model_version, after, deadline, now).await
}

async fn run_lists(
    service: &Framewise,
    sink: &dyn ContinuationSink,
    run: String,
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
                run: Some(run),
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
    fn when_continuation_predates_runs_should_belong_to_the_run_of_its_model() {
        let old: Continuation =
            serde_json::from_str(r#"{"model_version":"v1","after":"cu-1"}"#).expect("old form");
        assert_eq!((old.run.as_deref(), old.run_id()), (None, "v1"));
        let new = Continuation {
            run: Some("v1".to_string()),
            model_version: "v2".to_string(),
            after: "cu-1".to_string(),
        };
        let json = serde_json::to_string(&new).expect("json");
        assert_eq!(json, r#"{"run":"v1","model_version":"v2","after":"cu-1"}"#);
        assert_eq!(new.run_id(), "v1");
    }

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

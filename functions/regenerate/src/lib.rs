//! `regenerate`: rebuilds the model from stored signals, publishes it to S3 and precomputes
//! every customer's list into DynamoDB in batches.
//!
//! Started by EventBridge Scheduler (off-peak) or on demand (`aws lambda invoke` with any
//! JSON object). When the Lambda time limit approaches, the run stops between batches and
//! sends a [`Continuation`] (the model version and the last customer done) to a small SQS
//! queue that triggers this same function, which resumes after that customer instead of
//! starting over.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_lambda_events::event::sqs::SqsEvent;
use chrono::{DateTime, Utc};
use framewise::adapters::aws::AwsSettings;
use framewise::error::{ServiceError, StoreError};
use framewise::service::Framewise;
use serde::{Deserialize, Serialize};

/// Default seconds kept in reserve before the Lambda deadline.
pub const DEFAULT_SAFETY_SECS: u64 = 60;

/// Typed configuration, read once per cold start.
#[derive(Debug, Clone)]
pub struct Config {
    pub aws: AwsSettings,
    /// The queue that carries continuations back to this function
    /// (`FRAMEWISE_CONTINUATION_QUEUE_URL`).
    pub continuation_queue_url: String,
    /// Time kept in reserve before the deadline to finish a batch and send the
    /// continuation (`FRAMEWISE_REGENERATE_SAFETY_SECS`).
    pub safety: Duration,
}

impl Config {
    pub fn from_env() -> Result<Self, StoreError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Same as [`Config::from_env`] over any lookup, so tests need not touch the process env.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, StoreError> {
        let value = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let safety = match value("FRAMEWISE_REGENERATE_SAFETY_SECS") {
            None => DEFAULT_SAFETY_SECS,
            Some(v) => v.trim().parse().map_err(|_| {
                StoreError::Backend(format!(
                    "invalid configuration: FRAMEWISE_REGENERATE_SAFETY_SECS must be whole seconds, got '{v}'"
                ))
            })?,
        };
        Ok(Self {
            aws: AwsSettings::from_lookup(&lookup)?,
            continuation_queue_url: value("FRAMEWISE_CONTINUATION_QUEUE_URL").ok_or_else(|| {
                StoreError::Backend(
                    "missing configuration: environment variable FRAMEWISE_CONTINUATION_QUEUE_URL must be set"
                        .to_string(),
                )
            })?,
            safety: Duration::from_secs(safety),
        })
    }
}

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

/// The instant to stop working: the invocation deadline (milliseconds since the epoch, from
/// the Lambda context) minus `safety`, measured from now.
pub fn work_deadline(deadline_epoch_ms: u64, safety: Duration) -> Instant {
    let now_ms = u64::try_from(Utc::now().timestamp_millis()).unwrap_or_default();
    let remaining = Duration::from_millis(deadline_epoch_ms.saturating_sub(now_ms));
    Instant::now() + remaining.saturating_sub(safety)
}

//! `regenerate`: the steps of the nightly regeneration, one per invocation, run by the Step
//! Functions state machine `infra/statemachine/regenerate.asl.json` (started by EventBridge
//! Scheduler off-peak, or on demand with `aws stepfunctions start-execution`):
//!
//! - `{"step":"train"}`: rebuild the model from stored signals with the Rust trainer and
//!   publish it; the version names the run.
//! - `{"step":"export"}` then, after Spark wrote its embeddings next to it,
//!   `{"step":"adopt","run":V}`: the same for event logs too large for one Lambda; Spark MLlib
//!   ALS on EMR Serverless (`infra/spark/train_als.py`) trains from the exported events.
//! - `{"step":"shard","run":V,"shard_size":N}`: customer ids into shard files of the run.
//! - `{"step":"recompute","run":V,"shard":S}`: one Distributed Map child: the lists of one
//!   shard, then its result file.
//! - `{"step":"summarize","run":V}`: totals and the shards that failed (redriven by the state
//!   machine), and the "regeneration finished" log line the overdue alarm counts.
//! - `{"step":"segments","run":V}` (right after the model is published): the lists of the
//!   busiest anonymous segments (country x device x season) and of every occasion, for
//!   shoppers without history; stops reading signals at the deadline and uses what it read.
//!
//! - `{"step":"digest","shop_url":U}` (weekly, from its own EventBridge schedule, outside the
//!   state machine): the email digests of shoppers with a stored list and something new,
//!   written to `digests/{date}/{customer_id}.html` for the shop's email tool; bounded by
//!   `max` shoppers after `after` and the deadline, and safe to re-run (a shopper sent a
//!   digest this week is skipped).
//!
//! A shard that cannot finish before the Lambda deadline fails with `Framewise.OutOfTime`
//! and is retried whole by the state machine: writing a list twice is harmless, and the
//! result file is only written once all of the shard's lists are stored.

use std::time::Instant;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use framewise::adapters::aws::S3ArtifactStore;
use framewise::error::{ServiceError, StoreError};
use framewise::service::{
    digest_key, DigestBatch, DigestOutbox, EmailDigest, Framewise, RunSummary, SegmentsReport,
    ShardOutcome, ShardPlan, DEFAULT_SHARD_SIZE, SHARD_MANIFEST, TRAINING_EVENTS,
};
use framewise_lambda::{ErrorKind, FunctionError};
use serde::{Deserialize, Serialize};

/// Whole seconds kept in reserve before the Lambda deadline to stop a shard cleanly.
pub const SAFETY_SECS: &str = "FRAMEWISE_REGENERATE_SAFETY_SECS";
/// Default of [`SAFETY_SECS`].
pub const DEFAULT_SAFETY_SECS: u64 = 60;

/// Where artifacts of a version live in the bucket (the S3 artifact store's layout); the
/// state machine and Spark address them by these keys.
fn artifact_key(version: &str, name: &str) -> String {
    format!("models/{version}/{name}")
}

/// One step of a regeneration run, as the state machine sends it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    Train,
    Export,
    Adopt {
        run: String,
    },
    Shard {
        run: String,
        #[serde(default = "default_shard_size")]
        shard_size: usize,
    },
    Recompute {
        run: String,
        shard: String,
    },
    Summarize {
        run: String,
    },
    Segments {
        run: String,
    },
    Digest {
        /// The shop's address the digests' product links point to.
        shop_url: String,
        /// Continue after this shopper (a previous pass's `next_cursor`).
        #[serde(default)]
        after: Option<String>,
        #[serde(default = "default_digest_batch")]
        max: usize,
    },
}

fn default_shard_size() -> usize {
    DEFAULT_SHARD_SIZE
}

/// Shoppers one digest invocation looks at, at most.
pub const DEFAULT_DIGEST_BATCH: usize = 50_000;

fn default_digest_batch() -> usize {
    DEFAULT_DIGEST_BATCH
}

/// Digests as objects of the artifacts bucket, where the shop's email tool picks them up.
pub struct S3Digests(pub S3ArtifactStore);

#[async_trait]
impl DigestOutbox for S3Digests {
    async fn deliver(&self, digest: &EmailDigest) -> Result<(), StoreError> {
        let key = digest_key(digest.created_at.date_naive(), &digest.customer_id);
        self.0.put_object(&key, digest.html.as_bytes()).await
    }
}

/// A published model: the run it starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Published {
    pub run: String,
    pub model_version: String,
    pub styles: usize,
}

/// Training events exported for Spark, and where Spark writes its artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exported {
    pub run: String,
    pub model_version: String,
    pub events: usize,
    /// Bucket key of the events CSV.
    pub events_key: String,
    /// Bucket prefix Spark writes the embedding artifact under (the version's folder).
    pub out_prefix: String,
}

/// A sharded run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sharded {
    #[serde(flatten)]
    pub plan: ShardPlan,
    /// Bucket key of the shard list the Distributed Map reads.
    pub manifest_key: String,
}

/// What a step returns to the state machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum StepOutput {
    Published(Published),
    Exported(Exported),
    Sharded(Sharded),
    Recomputed(ShardOutcome),
    Summarized(RunSummary),
    Segmented(SegmentsReport),
    Digested(DigestBatch),
}

/// Errors of one invocation; returned to Lambda, whose error type the state machine's
/// retries match.
#[derive(Debug, thiserror::Error)]
pub enum RegenerateError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("regeneration step is not valid: {0}")]
    BadStep(String),
}

impl From<RegenerateError> for FunctionError {
    fn from(error: RegenerateError) -> Self {
        match error {
            RegenerateError::Service(error) => error.into(),
            error @ RegenerateError::BadStep(_) => FunctionError::new(ErrorKind::Invalid, error),
        }
    }
}

/// Runs the step `event` names. `deadline` is when a shard must stop (the Lambda deadline
/// minus the safety margin).
pub async fn handle(
    service: &Framewise,
    event: serde_json::Value,
    deadline: Instant,
    now: DateTime<Utc>,
) -> Result<StepOutput, RegenerateError> {
    handle_with(service, None, event, deadline, now).await
}

/// [`handle`], with where the digest step delivers (S3 in the deployed function; without
/// one the digest step is refused).
pub async fn handle_with(
    service: &Framewise,
    digests: Option<&dyn DigestOutbox>,
    event: serde_json::Value,
    deadline: Instant,
    now: DateTime<Utc>,
) -> Result<StepOutput, RegenerateError> {
    let step: Step =
        serde_json::from_value(event).map_err(|e| RegenerateError::BadStep(e.to_string()))?;
    let output = match step {
        Step::Train => {
            let (model_version, styles) = service.regenerate_model(now).await?;
            tracing::info!(%model_version, styles, "model trained and published; run started");
            StepOutput::Published(Published {
                run: model_version.clone(),
                model_version,
                styles,
            })
        }
        Step::Export => {
            let (version, events) = service.export_training(now).await?;
            StepOutput::Exported(Exported {
                run: version.clone(),
                events,
                events_key: artifact_key(&version, TRAINING_EVENTS),
                out_prefix: artifact_key(&version, ""),
                model_version: version,
            })
        }
        Step::Adopt { run } => {
            let (model_version, styles) = service.adopt_model(&run).await?;
            tracing::info!(%model_version, styles, "externally trained model published; run started");
            StepOutput::Published(Published {
                run,
                model_version,
                styles,
            })
        }
        Step::Shard { run, shard_size } => {
            let plan = service.shard_run(&run, shard_size).await?;
            StepOutput::Sharded(Sharded {
                manifest_key: artifact_key(&run, SHARD_MANIFEST),
                plan,
            })
        }
        Step::Recompute { run, shard } => StepOutput::Recomputed(
            service
                .recompute_shard(&run, &shard, Some(deadline), now)
                .await?,
        ),
        Step::Summarize { run } => {
            let summary = service.summarize_run(&run).await?;
            if summary.failed_shards.is_empty() {
                // The log metric filter RegenerationsFinished counts this line; the overdue
                // alarm fires when a night passes without one.
                tracing::info!(
                    lists = summary.recomputed,
                    model_version = %summary.model_version,
                    "regeneration finished"
                );
            }
            StepOutput::Summarized(summary)
        }
        Step::Segments { run } => {
            // With the run's model (or the one catalog-sync refreshed it with); a run a newer
            // one superseded leaves the segments to it.
            let report = match service.continue_run(&run).await? {
                Some(_) => service.regenerate_segments(Some(deadline), now).await?,
                None => SegmentsReport::default(),
            };
            StepOutput::Segmented(report)
        }
        Step::Digest {
            shop_url,
            after,
            max,
        } => {
            let outbox = digests.ok_or_else(|| {
                RegenerateError::BadStep("this function has nowhere to deliver digests".into())
            })?;
            let batch = service
                .send_digests(
                    after.as_deref(),
                    max,
                    Some(deadline),
                    &shop_url,
                    outbox,
                    now,
                )
                .await?;
            tracing::info!(
                sent = batch.sent,
                skipped = batch.skipped,
                failed = batch.failed,
                next_cursor = ?batch.next_cursor,
                "digests written"
            );
            StepOutput::Digested(batch)
        }
    };
    Ok(output)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_step_is_read_should_name_what_is_wrong() {
        let shard: Step =
            serde_json::from_str(r#"{"step":"shard","run":"v1"}"#).expect("default size");
        assert_eq!(
            shard,
            Step::Shard {
                run: "v1".to_string(),
                shard_size: DEFAULT_SHARD_SIZE
            }
        );
        let missing = serde_json::from_str::<Step>(r#"{"step":"recompute","run":"v1"}"#)
            .expect_err("no shard");
        assert!(missing.to_string().contains("shard"), "{missing}");
        let unknown =
            serde_json::from_str::<Step>(r#"{"step":"retrain"}"#).expect_err("unknown step");
        assert!(unknown.to_string().contains("retrain"), "{unknown}");
    }

    #[test]
    fn when_segments_step_is_read_should_need_its_run() {
        let step: Step =
            serde_json::from_str(r#"{"step":"segments","run":"v1"}"#).expect("segments step");
        assert_eq!(
            step,
            Step::Segments {
                run: "v1".to_string()
            }
        );
        let missing = serde_json::from_str::<Step>(r#"{"step":"segments"}"#).expect_err("no run");
        assert!(missing.to_string().contains("run"), "{missing}");
    }

    #[test]
    fn when_digest_step_is_read_should_default_its_batch_and_need_a_shop_url() {
        let digest: Step =
            serde_json::from_str(r#"{"step":"digest","shop_url":"https://shop.example"}"#)
                .expect("digest step");
        assert_eq!(
            digest,
            Step::Digest {
                shop_url: "https://shop.example".to_string(),
                after: None,
                max: DEFAULT_DIGEST_BATCH,
            }
        );
        let missing =
            serde_json::from_str::<Step>(r#"{"step":"digest"}"#).expect_err("no shop_url");
        assert!(missing.to_string().contains("shop_url"), "{missing}");
        assert_eq!(
            digest_key(
                chrono::NaiveDate::from_ymd_opt(2026, 5, 4).expect("date"),
                "cu-1"
            ),
            "digests/2026-05-04/cu-1.html"
        );
    }

    #[test]
    fn when_regeneration_fails_should_tell_lambda_what_kind_of_failure_it_was() {
        let bad = FunctionError::from(RegenerateError::BadStep("EOF".to_string()));
        assert_eq!(bad.error_type(), "Framewise.Invalid");
        assert_eq!(bad.to_string(), "regeneration step is not valid: EOF");

        let model = FunctionError::from(RegenerateError::Service(ServiceError::Model(
            "no styles".to_string(),
        )));
        assert_eq!(model.error_type(), "Framewise.Model");

        let late = FunctionError::from(RegenerateError::Service(ServiceError::OutOfTime(
            "shard-000001.json".to_string(),
        )));
        assert_eq!(late.error_type(), "Framewise.OutOfTime");
    }

    #[test]
    fn when_exported_should_point_spark_at_the_versions_folder() {
        assert_eq!(artifact_key("v1", ""), "models/v1/");
        assert_eq!(
            artifact_key("v1", TRAINING_EVENTS),
            "models/v1/training-events.csv"
        );
    }
}

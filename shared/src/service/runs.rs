//! A regeneration run in steps, so a state machine can fan the list recomputation out over
//! many workers: train (or export for Spark, then adopt its artifact), shard the customers
//! into files, recompute each shard independently, summarize.
//!
//! Every step reads and writes only artifacts of the run's model version, so steps can run
//! in different processes (Lambda invocations of the Step Functions state machine) and be
//! retried: a shard recomputed twice writes the same lists twice, and its result file is
//! only written once every list of the shard is stored, so the summary never counts a
//! half-done shard.

use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::models::{load_learned, load_model, training_events};
use super::regeneration::Publication;
use super::Framewise;
use crate::error::{ServiceError, StoreError, ValidationErrors};

/// The run's shard list, read by the state machine's Distributed Map (a JSON array of
/// [`ShardRef`]).
pub const SHARD_MANIFEST: &str = "shards.json";
/// Training events for an external trainer (Spark): CSV `subject,item,weight,timestamp`.
pub const TRAINING_EVENTS: &str = "training-events.csv";
/// Customers per shard when the caller does not say.
pub const DEFAULT_SHARD_SIZE: usize = 1000;
/// A shard must finish well inside one Lambda invocation (15 minutes at ~100 lists/s).
pub const MAX_SHARD_SIZE: usize = 20_000;

/// One shard of a run, as listed in [`SHARD_MANIFEST`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardRef {
    /// The shard file's artifact name within the run's version.
    pub shard: String,
}

/// What sharding a run wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShardPlan {
    pub run: String,
    pub model_version: String,
    pub shards: usize,
    pub customers: usize,
    /// Artifact name of the shard list within the run's version.
    pub manifest: String,
}

/// What recomputing one shard did; also stored as the shard's result file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardOutcome {
    pub shard: String,
    /// The model the lists were computed with (catalog-sync may have refreshed the run's).
    pub model_version: String,
    /// Customers in the shard.
    pub checked: usize,
    /// Lists computed (and stored, unless `unchanged`).
    pub recomputed: usize,
    /// Lists computed but not rewritten: the stored one shows the same (a retried shard).
    #[serde(default)]
    pub unchanged: usize,
    /// Customers with neither a profile nor history any more (erased since sharding).
    pub skipped: usize,
    /// True when a newer run had started: this shard was left to it.
    pub superseded: bool,
}

/// The outcome of a whole run, from its shard list and the shards' result files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunSummary {
    pub run: String,
    pub model_version: String,
    pub shards: usize,
    /// Shards with a result file.
    pub completed: usize,
    pub checked: usize,
    pub recomputed: usize,
    pub unchanged: usize,
    pub skipped: usize,
    /// Shards left to a newer run.
    pub superseded: usize,
    /// Shards without a result file: failed (or not run yet); redrive these.
    pub failed_shards: Vec<ShardRef>,
}

/// The result file of `shard`.
fn result_name(shard: &str) -> String {
    format!("result-{shard}")
}

impl Framewise {
    /// Splits the customers of regeneration `run` (the model version that started it) into
    /// shard files of `shard_size` customer ids, then writes the shard list. A run is sharded
    /// once (a retry of this step rewrites the same files): result files of shards already
    /// done would count for a re-sharded shard of the same name.
    pub async fn shard_run(&self, run: &str, shard_size: usize) -> Result<ShardPlan, ServiceError> {
        if !(1..=MAX_SHARD_SIZE).contains(&shard_size) {
            return Err(ValidationErrors::single(
                "shard_size",
                format!("must be between 1 and {MAX_SHARD_SIZE}"),
            )
            .into());
        }
        let model_version = self.run_model(run).await?;
        let customers = self.regeneration_customers().await?;
        let mut refs = Vec::new();
        for (n, ids) in customers.chunks(shard_size).enumerate() {
            let shard = format!("shard-{n:06}.json");
            let bytes = serde_json::to_vec(ids).map_err(StoreError::backend)?;
            self.stores.artifacts.put(run, &shard, &bytes).await?;
            refs.push(ShardRef { shard });
        }
        let manifest = serde_json::to_vec(&refs).map_err(StoreError::backend)?;
        self.stores
            .artifacts
            .put(run, SHARD_MANIFEST, &manifest)
            .await?;
        tracing::info!(%run, shards = refs.len(), customers = customers.len(), "run sharded");
        Ok(ShardPlan {
            run: run.to_string(),
            model_version,
            shards: refs.len(),
            customers: customers.len(),
            manifest: SHARD_MANIFEST.to_string(),
        })
    }

    /// Recomputes and stores the lists of one shard of `run` with the serving model (the
    /// run's, or the one catalog-sync refreshed it with), then records the shard's result.
    /// A shard of a run that a newer run superseded is left alone. Stops with an error when
    /// `deadline` passes first, so the caller retries the whole shard.
    pub async fn recompute_shard(
        &self,
        run: &str,
        shard: &str,
        deadline: Option<Instant>,
        now: DateTime<Utc>,
    ) -> Result<ShardOutcome, ServiceError> {
        let Some(model_version) = self.continue_run(run).await? else {
            tracing::info!(%run, %shard, "shard superseded by a newer run; left to it");
            return Ok(ShardOutcome {
                shard: shard.to_string(),
                model_version: self.engine().model_version().to_string(),
                superseded: true,
                ..ShardOutcome::default()
            });
        };
        let customers: Vec<String> = self.run_json(run, shard).await?;
        let engine = self.engine();
        let mut outcome = ShardOutcome {
            shard: shard.to_string(),
            model_version,
            checked: customers.len(),
            ..ShardOutcome::default()
        };
        for chunk in customers.chunks(self.config.write_chunk.max(1)) {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(ServiceError::OutOfTime(format!(
                    "shard {shard} of run {run} stopped after {} lists; retry it",
                    outcome.recomputed
                )));
            }
            let mut lists = Vec::with_capacity(chunk.len());
            for customer_id in chunk {
                match self.compute_for_storage(&engine, customer_id, now).await? {
                    Some(list) => lists.push(list),
                    None => outcome.skipped += 1,
                }
            }
            outcome.recomputed += lists.len();
            outcome.unchanged += self.store_changed_lists(lists, now).await?;
        }
        let bytes = serde_json::to_vec(&outcome).map_err(StoreError::backend)?;
        self.stores
            .artifacts
            .put(run, &result_name(shard), &bytes)
            .await?;
        Ok(outcome)
    }

    /// Adds up the result files of `run`'s shards; shards without one are listed as failed.
    pub async fn summarize_run(&self, run: &str) -> Result<RunSummary, ServiceError> {
        let refs: Vec<ShardRef> = self.run_json(run, SHARD_MANIFEST).await?;
        // The model the shards report (a catalog-sync refresh may have replaced the run's);
        // no need to load one here.
        let mut summary = RunSummary {
            run: run.to_string(),
            model_version: run.to_string(),
            shards: refs.len(),
            ..RunSummary::default()
        };
        for shard in refs {
            let Some(bytes) = self
                .stores
                .artifacts
                .get(run, &result_name(&shard.shard))
                .await?
            else {
                summary.failed_shards.push(shard);
                continue;
            };
            let result: ShardOutcome = serde_json::from_slice(&bytes)
                .map_err(|e| StoreError::Corrupt(format!("{run}/{}: {e}", shard.shard)))?;
            summary.completed += 1;
            summary.checked += result.checked;
            summary.recomputed += result.recomputed;
            summary.unchanged += result.unchanged;
            summary.skipped += result.skipped;
            summary.superseded += usize::from(result.superseded);
            if result.model_version != run {
                summary.model_version = result.model_version;
            }
        }
        tracing::info!(
            %run,
            shards = summary.shards,
            completed = summary.completed,
            failed = summary.failed_shards.len(),
            lists = summary.recomputed,
            unchanged = summary.unchanged,
            "run summarized"
        );
        Ok(summary)
    }

    /// First step of a run trained elsewhere (Spark): builds and stores the engine model of a
    /// new version and the training events (customers only: anonymous sessions expire and
    /// shape no published vector) as [`TRAINING_EVENTS`], without publishing. Returns the
    /// version and the number of events.
    pub async fn export_training(
        &self,
        now: DateTime<Utc>,
    ) -> Result<(String, usize), ServiceError> {
        let (_, model) = self.store_engine_model(now).await?;
        let events = training_events(&self.stores, &self.config).await?;
        let mut csv = csv::Writer::from_writer(Vec::new());
        let write = |e: csv::Error| StoreError::Backend(format!("writing training events: {e}"));
        csv.write_record(["subject", "item", "weight", "timestamp"])
            .map_err(write)?;
        for (subject, item, at, weight) in &events {
            csv.serialize((subject, item, weight, at)).map_err(write)?;
        }
        let bytes = csv
            .into_inner()
            .map_err(|e| StoreError::Backend(format!("writing training events: {e}")))?;
        self.stores
            .artifacts
            .put(&model.version, TRAINING_EVENTS, &bytes)
            .await?;
        tracing::info!(model_version = %model.version, events = events.len(), "training events exported");
        Ok((model.version, events.len()))
    }

    /// Publishes `version` as a new run once an external trainer wrote its learned
    /// artifacts next to the engine model [`Framewise::export_training`] stored: they must
    /// load (manifest, sizes, checksums) before the pointer moves. Returns the version and
    /// the number of styles.
    pub async fn adopt_model(&self, version: &str) -> Result<(String, usize), ServiceError> {
        let model = load_model(&self.stores, version).await?;
        let learned = load_learned(&self.stores, self.config.collaborative, version)
            .await?
            .ok_or_else(|| {
                ServiceError::Model(format!(
                    "version {version} has no learned artifacts of the configured kind ({:?}) to adopt",
                    self.config.collaborative
                ))
            })?;
        let styles = self.stores.catalog.list_styles().await?;
        self.finish_publication(model, styles, Some(learned), Publication::NewRun)
            .await
    }

    /// The model version a run's lists are computed with now: the serving one when it
    /// belongs to the run, else the run's own.
    async fn run_model(&self, run: &str) -> Result<String, ServiceError> {
        Ok(self
            .continue_run(run)
            .await?
            .unwrap_or_else(|| run.to_string()))
    }

    /// A JSON artifact of a run; a missing one is "not found" (a run never sharded, a
    /// mistyped shard).
    async fn run_json<T: serde::de::DeserializeOwned>(
        &self,
        run: &str,
        name: &str,
    ) -> Result<T, ServiceError> {
        let bytes =
            self.stores
                .artifacts
                .get(run, name)
                .await?
                .ok_or_else(|| ServiceError::NotFound {
                    what: "run artifact",
                    id: format!("{run}/{name}"),
                })?;
        serde_json::from_slice(&bytes)
            .map_err(|e| StoreError::Corrupt(format!("{run}/{name}: {e}")).into())
    }
}

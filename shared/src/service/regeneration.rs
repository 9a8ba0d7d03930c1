//! Regeneration: rebuild and publish the model, then recompute every shopper's list, in one
//! run locally or in resumable, deadline-bounded passes on Lambda; and the model refresh
//! that lets long-lived workers switch to a newly published model.

use std::collections::HashSet;
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::models::{
    assemble_engine, build_engine, build_model, load_model, model_run, train_learned, Learned,
    MODEL_ARTIFACT, RUN_ARTIFACT,
};
use super::Framewise;
use crate::domain::{Style, Subject};
use crate::engine::Model;
use crate::error::ServiceError;

/// What one regeneration did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RegenerateReport {
    pub model_version: String,
    pub styles: usize,
    pub lists: usize,
    /// Segment lists computed (`SegmentsReport::lists`), for shoppers without history.
    pub segments: usize,
    pub seconds: f64,
}

/// Why a model is published, which decides the regeneration run it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Publication {
    /// A full regeneration: the model starts a run of its own that recomputes every list.
    NewRun,
    /// A refresh (catalog-sync) that recomputes no list wholesale: the model joins the run
    /// the current model belongs to, so that run goes on with it.
    Refresh,
}

/// One bounded pass over the customers' lists, resumable from `next_cursor`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListBatch {
    /// Customers looked at in this pass.
    pub checked: usize,
    /// Lists recomputed in this pass (and stored, unless `unchanged`).
    pub recomputed: usize,
    /// Lists recomputed but not rewritten: the stored one shows the same.
    pub unchanged: usize,
    /// The last customer id done when the pass stopped early; `None` once every customer
    /// was covered. Pass it back as `after` to continue.
    pub next_cursor: Option<String>,
}

impl Framewise {
    /// Rebuilds the model from stored aggregates, publishes it as a new artifact version,
    /// then recomputes every customer's list. `progress(done, total)` reports list progress.
    pub async fn regenerate(
        &self,
        now: DateTime<Utc>,
        progress: &(dyn Fn(usize, usize) + Send + Sync),
    ) -> Result<RegenerateReport, ServiceError> {
        let started = Instant::now();
        let (model_version, style_count) = self.regenerate_model(now).await?;
        // Before the customers' lists: the new day's segment lists serve shoppers without
        // history from the start of the run.
        let segments = self.regenerate_segments(None, now).await?;
        let customers = self.regeneration_customers().await?;
        let total = customers.len();
        let chunk = self.config.write_chunk.max(1);
        let mut done = 0;
        let mut cursor: Option<String> = None;
        loop {
            let batch = self
                .recompute_among(&customers, cursor.as_deref(), chunk, None, now, None)
                .await?;
            done += batch.checked;
            if batch.checked > 0 {
                progress(done, total);
            }
            match batch.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        let report = RegenerateReport {
            model_version,
            styles: style_count,
            lists: total,
            segments: segments.lists,
            seconds: started.elapsed().as_secs_f64(),
        };
        tracing::info!(
            model_version = %report.model_version,
            styles = report.styles,
            lists = report.lists,
            seconds = report.seconds,
            "regenerated"
        );
        Ok(report)
    }

    /// Loads the model the artifact `current` pointer names, with a fresh catalogue, when it
    /// differs from the one serving. Long-lived workers call this now and then so they
    /// switch to a new model (and the catalogue it was built on) without a restart.
    /// Returns whether the engine was replaced.
    pub async fn reload_model_if_changed(&self) -> Result<bool, ServiceError> {
        let Some(version) = self.stores.artifacts.current().await? else {
            return Ok(false);
        };
        if version == self.engine().model_version() {
            return Ok(false);
        }
        let model = load_model(&self.stores, &version).await?;
        let styles = self.stores.catalog.list_styles().await?;
        let (engine, fallback) = build_engine(&self.stores, &self.config, styles, model).await;
        self.swap_engine(engine, fallback);
        tracing::info!(model_version = %version, "switched to the current model");
        Ok(true)
    }

    /// First step of a regeneration: rebuilds the model from the stored catalogue and
    /// aggregates, publishes it (artifact, then the `current` pointer) as the start of a new
    /// regeneration run, and serves it. Returns the new version (which is also the run's
    /// id) and the number of styles it covers.
    pub async fn regenerate_model(
        &self,
        now: DateTime<Utc>,
    ) -> Result<(String, usize), ServiceError> {
        self.publish_model(now, Publication::NewRun).await
    }

    /// The regeneration run the current model belongs to (`None` before any model was
    /// published): the version a full regeneration published, kept by catalog-sync's
    /// refreshes.
    pub async fn current_run(&self) -> Result<Option<String>, ServiceError> {
        match self.stores.artifacts.current().await? {
            Some(version) => Ok(Some(model_run(&self.stores, &version).await?)),
            None => Ok(None),
        }
    }

    /// Switches to the current model and decides whether regeneration run `run` goes on:
    /// `Some(version)` of the model to continue with, or `None` when a newer full
    /// regeneration started and recomputes every list itself.
    ///
    /// A model catalog-sync published meanwhile does not end the run (it recomputes only
    /// the lists holding styles that stopped being sellable): the run continues with it, so
    /// every shopper still gets a list from that night. Only the newest run goes on, so
    /// overlapping runs never both recompute everything.
    pub async fn continue_run(&self, run: &str) -> Result<Option<String>, ServiceError> {
        self.reload_model_if_changed().await?;
        let serving = self.engine().model_version().to_string();
        let serving_run = model_run(&self.stores, &serving).await?;
        Ok((serving_run == run).then_some(serving))
    }

    /// Builds a model over the stored catalogue and aggregates, publishes it (artifacts,
    /// its run, then the `current` pointer) and serves it.
    pub(super) async fn publish_model(
        &self,
        now: DateTime<Utc>,
        publication: Publication,
    ) -> Result<(String, usize), ServiceError> {
        let (styles, model) = self.store_engine_model(now).await?;
        let learned = train_learned(&self.stores, &self.config, &styles, &model.version).await?;
        if let Some(learned) = &learned {
            // Written before the pointer moves, so readers see every artifact or none.
            for (name, bytes) in learned.artifacts(now)? {
                self.stores
                    .artifacts
                    .put(&model.version, name, &bytes)
                    .await?;
            }
        }
        self.finish_publication(model, styles, learned, publication)
            .await
    }

    /// Builds the engine model of a new version over the stored catalogue and aggregates
    /// and stores its artifact (unpublished: the pointer does not move).
    pub(super) async fn store_engine_model(
        &self,
        now: DateTime<Utc>,
    ) -> Result<(Vec<Style>, Model), ServiceError> {
        let styles = self.stores.catalog.list_styles().await?;
        let model = build_model(&self.stores, &self.config, &styles, now).await?;
        self.stores
            .artifacts
            .put(&model.version, MODEL_ARTIFACT, &model.to_bytes())
            .await?;
        Ok((styles, model))
    }

    /// Last step of every publication, once all of a version's artifacts are stored: records
    /// the run it belongs to, moves the `current` pointer and serves it.
    pub(super) async fn finish_publication(
        &self,
        model: Model,
        styles: Vec<Style>,
        learned: Option<Learned>,
        publication: Publication,
    ) -> Result<(String, usize), ServiceError> {
        let run = match publication {
            Publication::NewRun => model.version.clone(),
            // Read right before the pointer moves (not before the minutes of training), so a
            // run that started meanwhile is the one joined.
            Publication::Refresh => self
                .current_run()
                .await?
                .unwrap_or_else(|| model.version.clone()),
        };
        self.stores
            .artifacts
            .put(&model.version, RUN_ARTIFACT, run.as_bytes())
            .await?;
        self.stores.artifacts.set_current(&model.version).await?;
        let version = model.version.clone();
        let count = styles.len();
        self.swap_engine(
            assemble_engine(&self.config, styles, model, learned.as_ref()),
            None,
        );
        Ok((version, count))
    }

    /// Every customer a regeneration covers: stored profiles and customers with signals,
    /// ordered by id (the order cursors follow).
    pub async fn regeneration_customers(&self) -> Result<Vec<String>, ServiceError> {
        let mut customers = self.stores.profiles.list_customer_ids().await?;
        customers.extend(
            self.stores
                .signals
                .subjects()
                .await?
                .into_iter()
                .filter_map(|s| match s {
                    Subject::Customer(id) => Some(id),
                    Subject::Session(_) => None,
                }),
        );
        customers.sort_unstable();
        customers.dedup();
        Ok(customers)
    }

    /// Second step of a regeneration, resumable: recomputes the lists of up to `max`
    /// customers ordered after `after` with the serving model, writing them in chunks, and
    /// stops early (between chunks) once `deadline` has passed.
    pub async fn recompute_lists(
        &self,
        after: Option<&str>,
        max: usize,
        deadline: Option<Instant>,
        now: DateTime<Utc>,
    ) -> Result<ListBatch, ServiceError> {
        let customers = self.regeneration_customers().await?;
        self.recompute_among(&customers, after, max, deadline, now, None)
            .await
    }

    /// Recomputes, resumably like [`Framewise::recompute_lists`], only the stored lists that
    /// hold one of `styles` (styles no longer sellable), so shoppers are not shown them.
    pub async fn invalidate_lists(
        &self,
        styles: &HashSet<String>,
        after: Option<&str>,
        max: usize,
        deadline: Option<Instant>,
        now: DateTime<Utc>,
    ) -> Result<ListBatch, ServiceError> {
        if styles.is_empty() {
            return Ok(ListBatch::default());
        }
        let customers = self.regeneration_customers().await?;
        self.recompute_among(&customers, after, max, deadline, now, Some(styles))
            .await
    }

    async fn recompute_among(
        &self,
        customers: &[String],
        after: Option<&str>,
        max: usize,
        deadline: Option<Instant>,
        now: DateTime<Utc>,
        only_holding: Option<&HashSet<String>>,
    ) -> Result<ListBatch, ServiceError> {
        let start = match after {
            Some(after) => customers.partition_point(|c| c.as_str() <= after),
            None => 0,
        };
        let window = &customers[start..customers.len().min(start.saturating_add(max.max(1)))];
        let engine = self.engine();
        let mut batch = ListBatch::default();
        for chunk in window.chunks(self.config.write_chunk.max(1)) {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
            let mut lists = Vec::with_capacity(chunk.len());
            for customer_id in chunk {
                if let Some(styles) = only_holding {
                    let stale = self
                        .stores
                        .lists
                        .get_list(customer_id)
                        .await?
                        .is_some_and(|l| l.items.iter().any(|i| styles.contains(&i.style_id)));
                    if !stale {
                        continue;
                    }
                }
                lists.extend(self.compute_for_storage(&engine, customer_id, now).await?);
            }
            batch.checked += chunk.len();
            batch.recomputed += lists.len();
            batch.unchanged += self.store_changed_lists(lists, now).await?;
        }
        let done_upto = start + batch.checked;
        if done_upto < customers.len() {
            // The last customer done; "" (before every id) when stopped before the first.
            batch.next_cursor = Some(match done_upto.checked_sub(1) {
                Some(last) if batch.checked > 0 => customers[last].clone(),
                _ => after.unwrap_or_default().to_string(),
            });
        }
        Ok(batch)
    }
}

/// Rate limit for [`Framewise::reload_model_if_changed`]: long-lived serverless workers
/// check the artifact pointer at most once per interval instead of on every event.
#[derive(Debug)]
pub struct ModelRefresh {
    interval: std::time::Duration,
    last_check: std::sync::Mutex<Option<Instant>>,
    /// The catalogue stamp this process serves (see [`CATALOG_STAMP_VERSION`]); `None`
    /// before the first check.
    catalog_stamp: std::sync::Mutex<Option<Option<Vec<u8>>>>,
}

/// The artifact a catalogue change without a new model (a live delta) writes, so warm
/// processes elsewhere reload the catalogue on their next check: `catalog/stamp`.
pub const CATALOG_STAMP_VERSION: &str = "catalog";
pub const CATALOG_STAMP_NAME: &str = "stamp";

impl ModelRefresh {
    /// The first call always checks; later ones only once `interval` has passed.
    pub fn new(interval: std::time::Duration) -> Self {
        Self {
            interval,
            last_check: std::sync::Mutex::new(None),
            catalog_stamp: std::sync::Mutex::new(None),
        }
    }

    /// Reloads the model if the interval has passed and the pointer moved. Returns whether
    /// the engine was replaced.
    pub async fn maybe_reload(&self, service: &Framewise) -> Result<bool, ServiceError> {
        {
            let mut last = match self.last_check.lock() {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            let now = Instant::now();
            if last.is_some_and(|t| now.duration_since(t) < self.interval) {
                return Ok(false);
            }
            *last = Some(now);
        }
        let stamp = service
            .stores
            .artifacts
            .get(CATALOG_STAMP_VERSION, CATALOG_STAMP_NAME)
            .await?;
        let seen = self
            .catalog_stamp
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .replace(stamp.clone());
        if service.reload_model_if_changed().await? {
            // A new model comes with the catalogue as stored now.
            return Ok(true);
        }
        // The first check only notes the stamp: the engine was built from the stored
        // catalogue when the process opened.
        if seen.is_some_and(|seen| seen != stamp) {
            service.reload_catalog().await?;
            tracing::info!("catalogue changed elsewhere; reloaded");
            return Ok(true);
        }
        Ok(false)
    }
}

//! Measuring the service: which experiment arm serves a shopper's list, the exposure
//! recorded when a list is shown, the actions credited to it when signals are applied
//! (rules in [`crate::experiments::attribution`]), and the metrics and experiment reports
//! read back from the per-cell counters.
//!
//! Experiment arms are computed on read. A shopper in a running experiment gets a list
//! computed at the request with their arm's `[engine]` settings (the control arm with the
//! deployment's own), never the precomputed one, so every arm is equally fresh; shoppers
//! outside experiments keep the precomputed lists. This costs no DynamoDB writes (lists
//! per variant would cost one list write per shopper and arm at every regeneration), at
//! the price of one history read and one scoring (~1-5 ms) per experiment request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

use super::Framewise;
use crate::domain::{validate_id, RecommendationPage, Subject};
use crate::engine::EngineConfig;
use crate::error::{ServiceError, ValidationErrors};
use crate::experiments::attribution::{CellKey, Counters, Exposure};
use crate::experiments::counters::diversity_milli;
use crate::experiments::{
    assignment, check_layers, report, Experiment, ExperimentError, ExperimentReport,
};

/// Placement of a list requested without one.
pub const DEFAULT_PLACEMENT: &str = "default";

/// The longest metrics range one request may read, in days.
pub const MAX_METRICS_DAYS: i64 = 400;

/// The arm a shopper's list is served from.
#[derive(Debug, Clone)]
pub(super) struct Arm {
    pub experiment_id: String,
    pub variant: String,
    pub engine: EngineConfig,
}

impl Arm {
    /// The variant as cells and exposures name it: unique across experiments (ids and
    /// variant names cannot contain `/`).
    fn label(&self) -> String {
        variant_label(&self.experiment_id, &self.variant)
    }
}

fn variant_label(experiment_id: &str, variant: &str) -> String {
    format!("{experiment_id}/{variant}")
}

/// The experiments as last read, with each arm's engine settings resolved once.
#[derive(Debug, Default)]
pub(super) struct ExperimentCache {
    snapshot: Mutex<Option<(Instant, Arc<ExperimentSnapshot>)>>,
}

#[derive(Debug, Default)]
struct ExperimentSnapshot {
    experiments: Vec<Experiment>,
    /// (experiment id, variant name) -> the engine settings that arm scores with.
    engines: HashMap<(String, String), EngineConfig>,
}

/// Query of `GET /v1/metrics`.
#[derive(Debug, Clone, Default)]
pub struct MetricsQuery {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub placement: Option<String>,
    /// A variant label (`experiment/variant`), or `none` for lists outside experiments.
    pub variant: Option<String>,
}

/// Online metrics of one cell (placement, variant, model version, day).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MetricsRow {
    pub placement: String,
    /// `experiment/variant`; absent for lists served outside experiments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    pub model_version: String,
    pub day: NaiveDate,
    #[serde(flatten)]
    pub counters: Counters,
    pub ctr: f64,
    pub try_on_rate: f64,
    pub add_to_cart_rate: f64,
    pub conversion_rate: f64,
    /// Revenue net of returns per exposure, in cents.
    pub revenue_per_exposure_cents: f64,
    /// Revenue net of returns per purchase, in cents.
    pub average_order_value_cents: f64,
    pub return_rate: f64,
    /// Share of the items shown outside the 100 most popular styles.
    pub novelty: f64,
    /// Mean intra-list diversity (shape, brand, colour family) of the lists shown, 0-1.
    pub intra_list_diversity: f64,
    /// Distinct styles shown per style on sale now; absent on the total row, where
    /// styles shown in several cells would count more than once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<f64>,
    /// Mean post-purchase rating (1-5); absent without ratings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_rating: Option<f64>,
    /// Net revenue per shopper first shown an experiment arm here, in cents.
    pub revenue_per_shopper_cents: f64,
}

impl MetricsRow {
    /// The row of one cell; `styles_on_sale` is `None` for sums over cells (see `coverage`).
    fn new(key: CellKey, counters: Counters, styles_on_sale: Option<usize>) -> Self {
        Self {
            novelty: counters.novelty(),
            intra_list_diversity: counters.intra_list_diversity(),
            coverage: styles_on_sale.map(|n| counters.coverage(n)),
            mean_rating: (counters.ratings > 0).then(|| counters.mean_rating()),
            revenue_per_shopper_cents: counters.revenue_per_subject(),
            ctr: counters.ctr(),
            try_on_rate: counters.try_on_rate(),
            add_to_cart_rate: counters.add_to_cart_rate(),
            conversion_rate: counters.conversion_rate(),
            revenue_per_exposure_cents: counters.revenue_per_exposure(),
            average_order_value_cents: counters.average_order_value(),
            return_rate: counters.return_rate(),
            placement: key.placement,
            variant: key.variant,
            model_version: key.model_version,
            day: key.day,
            counters,
        }
    }
}

/// `GET /v1/metrics`: one row per cell, and the totals over them.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MetricsReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub rows: Vec<MetricsRow>,
    /// Every row summed (placement, variant and model version say `*`).
    pub total: MetricsRow,
}

fn invalid_experiment(e: ExperimentError) -> ServiceError {
    match e {
        ExperimentError::Invalid { field, message } => {
            ValidationErrors::single(field, message).into()
        }
        overlap @ ExperimentError::Overlap { .. } => {
            ValidationErrors::single("placement", overlap.to_string()).into()
        }
    }
}

impl Framewise {
    /// The arm serving `subject_key` on `placement` now, if a running experiment covers
    /// them. A store failure serves the default (logged): experiments never break lists.
    pub(super) async fn arm(
        &self,
        placement: &str,
        subject_key: &str,
        now: DateTime<Utc>,
    ) -> Option<Arm> {
        let snapshot = match self.experiment_snapshot().await {
            Ok(snapshot) => snapshot,
            Err(e) => {
                tracing::warn!(error = %e, "experiments unavailable; serving the default");
                return None;
            }
        };
        let (experiment, variant) = assignment(&snapshot.experiments, placement, subject_key, now)?;
        let engine = snapshot
            .engines
            .get(&(experiment.id.clone(), variant.name.clone()))?
            .clone();
        Some(Arm {
            experiment_id: experiment.id.clone(),
            variant: variant.name.clone(),
            engine,
        })
    }

    async fn experiment_snapshot(&self) -> Result<Arc<ExperimentSnapshot>, ServiceError> {
        let refresh =
            std::time::Duration::from_secs(self.config.measurement.experiments_refresh_secs);
        if let Ok(guard) = self.experiment_cache.snapshot.lock() {
            if let Some((read_at, snapshot)) = guard.as_ref() {
                if read_at.elapsed() < refresh {
                    return Ok(snapshot.clone());
                }
            }
        }
        let experiments = self.stores.measurements.experiments().await?;
        let mut engines = HashMap::new();
        for experiment in &experiments {
            for variant in &experiment.variants {
                // Checked when the experiment was created; a stored arm that no longer
                // applies (a key removed since) is left out, so its shoppers get the default.
                match self.config.with_overrides(&variant.settings) {
                    Ok(config) => {
                        engines
                            .insert((experiment.id.clone(), variant.name.clone()), config.engine);
                    }
                    Err(e) => {
                        tracing::warn!(experiment = %experiment.id, variant = %variant.name, error = %e, "variant settings no longer apply")
                    }
                }
            }
        }
        let snapshot = Arc::new(ExperimentSnapshot {
            experiments,
            engines,
        });
        if let Ok(mut guard) = self.experiment_cache.snapshot.lock() {
            *guard = Some((Instant::now(), snapshot.clone()));
        }
        Ok(snapshot)
    }

    /// Forgets the cached experiments, so the next list reads them again.
    fn refresh_experiments(&self) {
        if let Ok(mut guard) = self.experiment_cache.snapshot.lock() {
            *guard = None;
        }
    }

    /// Records that `page` was shown to `subject` (and counts it in its cell). A failure
    /// is logged, not returned: the shopper gets their list whether or not it is counted.
    pub(super) async fn record_exposure(
        &self,
        page: &RecommendationPage,
        subject: &Subject,
        offset: usize,
        arm: Option<&Arm>,
        now: DateTime<Utc>,
    ) {
        if !self.config.measurement.record_exposures || page.items.is_empty() {
            return;
        }
        let engine = self.engine();
        let novel_items = page
            .items
            .iter()
            .filter(|item| !engine.is_in_popular_head(&item.style_id))
            .count();
        let features: Vec<_> = page
            .items
            .iter()
            .map(|item| {
                (
                    item.shape,
                    item.brand.as_str(),
                    item.colour.as_ref().map(|c| c.family),
                )
            })
            .collect();
        let exposure = Exposure {
            exposure_id: uuid::Uuid::now_v7().simple().to_string(),
            recommendation_id: page.recommendation_id.clone(),
            subject: subject.key(),
            placement: page
                .placement
                .clone()
                .unwrap_or_else(|| DEFAULT_PLACEMENT.to_string()),
            variant: arm.map(Arm::label),
            model_version: page.model_version.clone(),
            items: page.items.iter().map(|i| i.style_id.clone()).collect(),
            offset,
            at: now,
            novel_items,
            diversity_milli: diversity_milli(&features),
        };
        if let Some(events) = &self.measurement_events {
            events.exposure(&exposure);
        }
        let measurements = &self.stores.measurements;
        if let Err(e) = measurements
            .record_exposures(std::slice::from_ref(&exposure))
            .await
        {
            tracing::warn!(error = %e, "exposure not recorded");
            return;
        }
        let sightings = self.sightings.credits(&exposure);
        if sightings.is_empty() {
            return;
        }
        if let Err(e) = measurements.record_credits(&sightings).await {
            self.sightings.forget(&sightings);
            tracing::warn!(error = %e, "styles and shoppers shown not counted");
        }
    }

    /// Creates (or replaces, by id) an experiment after checking it: its fields, that its
    /// variants' settings are valid `[engine]` keys, and that no other experiment runs on
    /// its placement at the same time.
    pub async fn create_experiment(
        &self,
        experiment: Experiment,
    ) -> Result<Experiment, ServiceError> {
        experiment.validate().map_err(invalid_experiment)?;
        for (i, variant) in experiment.variants.iter().enumerate() {
            let field = format!("variants[{i}].settings");
            if let Some(key) = variant.settings.keys().find(|k| *k != "engine") {
                return Err(ValidationErrors::single(
                    format!("{field}.{key}"),
                    "a variant may change only [engine] keys (weights, diversity, decay); other keys change the model and are compared across model versions",
                )
                .into());
            }
            let neighbours = variant
                .settings
                .get("engine")
                .and_then(|e| e.as_table())
                .is_some_and(|e| e.contains_key("neighbours"));
            if neighbours {
                return Err(ValidationErrors::single(
                    format!("{field}.engine.neighbours"),
                    "neighbour lists are built with the model; this key cannot vary per variant",
                )
                .into());
            }
            self.config
                .with_overrides(&variant.settings)
                .map_err(|e| ValidationErrors::single(field, e.to_string()))?;
        }
        let mut all: Vec<Experiment> = self
            .stores
            .measurements
            .experiments()
            .await?
            .into_iter()
            .filter(|e| e.id != experiment.id)
            .collect();
        all.push(experiment.clone());
        check_layers(&all).map_err(invalid_experiment)?;
        self.stores.measurements.put_experiment(&experiment).await?;
        self.refresh_experiments();
        Ok(experiment)
    }

    /// Every experiment, ordered by id.
    pub async fn experiments(&self) -> Result<Vec<Experiment>, ServiceError> {
        Ok(self.stores.measurements.experiments().await?)
    }

    async fn experiment(&self, id: &str) -> Result<Experiment, ServiceError> {
        validate_id(id).map_err(|m| ValidationErrors::single("experiment_id", m))?;
        self.stores
            .measurements
            .experiments()
            .await?
            .into_iter()
            .find(|e| e.id == id)
            .ok_or_else(|| super::not_found("experiment", id))
    }

    /// Stops an experiment now (its shoppers get the default from the next refresh on);
    /// an experiment already stopped keeps its stop time.
    pub async fn stop_experiment(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Experiment, ServiceError> {
        let mut experiment = self.experiment(id).await?;
        if experiment.stop.is_none_or(|stop| stop > now) {
            experiment.stop = Some(now.max(experiment.start));
            self.stores.measurements.put_experiment(&experiment).await?;
            self.refresh_experiments();
        }
        Ok(experiment)
    }

    /// The experiment's report over every day it ran (until `now` if still running),
    /// plus the purchase window after it stopped, so late purchases are counted.
    pub async fn experiment_report(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<ExperimentReport, ServiceError> {
        let (experiment, cells) = self.experiment_cells(id, now).await?;
        Ok(report(&experiment, cells.iter().map(|(k, c)| (k, c))))
    }

    /// The experiment and the cells its report is computed from (variants named bare, as
    /// in the experiment), for reports that break it down by day.
    pub async fn experiment_cells(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<(Experiment, Vec<(CellKey, Counters)>), ServiceError> {
        let experiment = self.experiment(id).await?;
        let from = experiment.start.date_naive();
        let until = experiment
            .stop
            .map_or(now, |stop| {
                stop + self.config.measurement.rules().purchase_window
            })
            .min(now);
        let to = until.date_naive().max(from);
        let prefix = format!("{}/", experiment.id);
        let cells = self
            .stores
            .measurements
            .counters(from, to)
            .await?
            .into_iter()
            .filter_map(|(mut key, counters)| {
                // Cells name arms `experiment/variant`; reports match bare names.
                let name = key.variant.as_deref()?.strip_prefix(&prefix)?.to_string();
                key.variant = Some(name);
                Some((key, counters))
            })
            .collect();
        Ok((experiment, cells))
    }

    /// Online metrics per cell between two days (default: the last 7 days to today).
    pub async fn metrics(
        &self,
        query: MetricsQuery,
        now: DateTime<Utc>,
    ) -> Result<MetricsReport, ServiceError> {
        let to = query.to.unwrap_or_else(|| now.date_naive());
        let from = query.from.unwrap_or(to - Duration::days(6));
        if from > to {
            return Err(ValidationErrors::single("from", "must not be after `to`").into());
        }
        if (to - from).num_days() >= MAX_METRICS_DAYS {
            return Err(ValidationErrors::single(
                "from",
                format!("the range may span at most {MAX_METRICS_DAYS} days"),
            )
            .into());
        }
        let wanted_variant = query.variant.as_deref();
        let styles_on_sale = self.engine().styles_on_sale();
        let mut total = Counters::default();
        let rows: Vec<MetricsRow> = self
            .stores
            .measurements
            .counters(from, to)
            .await?
            .into_iter()
            .filter(|(key, _)| query.placement.as_ref().is_none_or(|p| *p == key.placement))
            .filter(|(key, _)| match wanted_variant {
                None => true,
                Some("none") => key.variant.is_none(),
                Some(v) => key.variant.as_deref() == Some(v),
            })
            .map(|(key, counters)| {
                total.merge(&counters);
                MetricsRow::new(key, counters, Some(styles_on_sale))
            })
            .collect();
        let total = MetricsRow::new(
            CellKey {
                placement: "*".into(),
                variant: None,
                model_version: "*".into(),
                day: to,
            },
            total,
            None,
        );
        Ok(MetricsReport {
            from,
            to,
            rows,
            total,
        })
    }
}

//! Models as artifacts: building the engine model from the stored aggregates, training the
//! learned model from stored histories, loading either from the artifact store, and the one
//! place an [`Engine`] is assembled from them.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};

use super::{CollaborativeMode, ServiceConfig};
use crate::domain::Style;
use crate::engine::{Engine, Model};
use crate::error::ServiceError;
use crate::models::ease::EaseParams;
use crate::models::serving::train_sparse_ease;
use crate::models::{Dataset, LearnError, LearnedScorer, SparseItemModel};
use crate::ports::Stores;

/// Name of the engine model inside a model version's artifacts.
pub const MODEL_ARTIFACT: &str = "engine-model.bin";
/// Name of the learned (pruned EASE) item-item model inside a model version's artifacts.
pub const LEARNED_ARTIFACT: &str = "learned-ease.bin";
/// Name of the artifact naming the regeneration run a model version belongs to (UTF-8 text:
/// the version that run published). See [`super::Framewise::continue_run`].
pub const RUN_ARTIFACT: &str = "regeneration-run.txt";

pub(super) async fn load_model(stores: &Stores, version: &str) -> Result<Model, ServiceError> {
    let Some(bytes) = stores.artifacts.get(version, MODEL_ARTIFACT).await? else {
        return Err(ServiceError::Model(format!(
            "model version {version} has no {MODEL_ARTIFACT}"
        )));
    };
    Model::from_bytes(&bytes).map_err(|e| ServiceError::Model(e.to_string()))
}

/// The regeneration run `version` belongs to. Versions published before runs were recorded
/// (and unpublished ones) have no record and count as a run of their own, which is what
/// every published model was then: only full regenerations published models.
pub(super) async fn model_run(stores: &Stores, version: &str) -> Result<String, ServiceError> {
    let Some(bytes) = stores.artifacts.get(version, RUN_ARTIFACT).await? else {
        return Ok(version.to_string());
    };
    let run = String::from_utf8(bytes).map_err(|_| {
        ServiceError::Model(format!(
            "model version {version}: {RUN_ARTIFACT} is not UTF-8 text"
        ))
    })?;
    match run.trim() {
        "" => Ok(version.to_string()),
        run => Ok(run.to_string()),
    }
}

pub(super) async fn load_current_model(stores: &Stores) -> Result<Option<Model>, ServiceError> {
    match stores.artifacts.current().await? {
        Some(version) => load_model(stores, &version).await.map(Some),
        None => Ok(None),
    }
}

/// A new engine model (popularity, trending, co-occurrence and content neighbours) from the
/// stored aggregates, with a fresh version.
pub(super) async fn build_model(
    stores: &Stores,
    config: &ServiceConfig,
    styles: &[Style],
    now: DateTime<Utc>,
) -> Result<Model, ServiceError> {
    let since = (now - Duration::days(config.aggregate_window_days)).date_naive();
    let daily = stores.signals.daily_counts(since).await?;
    let pairs = stores.signals.co_occurrences().await?;
    let mut model = Model::build(styles, &daily, &pairs, now, &config.engine);
    model.version = format!(
        "{}-{}",
        now.format("%Y%m%dT%H%M%SZ"),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    Ok(model)
}

/// Trains the learned item-item model from every subject's stored history, each signal
/// weighted by its kind's confidence (the engine's kind-weight table; kinds that are not
/// positive evidence are left out). `None` when there is nothing to learn from.
pub(super) async fn train_learned(
    stores: &Stores,
    config: &ServiceConfig,
) -> Result<Option<SparseItemModel>, ServiceError> {
    let started = Instant::now();
    let weights = &config.engine.kind_weights;
    let mut events: Vec<(String, String, i64, f32)> = Vec::new();
    for subject in stores.signals.subjects().await? {
        let key = subject.key();
        for signal in stores
            .signals
            .history(&subject, config.history_limit)
            .await?
        {
            if let Some(weight) = weights.confidence(signal.kind) {
                events.push((
                    key.clone(),
                    signal.style_id,
                    signal.timestamp.timestamp(),
                    weight,
                ));
            }
        }
    }
    let collected = started.elapsed().as_secs_f64();
    let data = Dataset::from_events(
        events
            .iter()
            .map(|(u, i, t, w)| (u.as_str(), i.as_str(), *t, *w)),
    );
    let params = EaseParams {
        lambda: config.learned_lambda,
    };
    match train_sparse_ease(&data, params, config.learned_neighbours.max(1)) {
        Ok(model) => {
            tracing::info!(
                signals = events.len(),
                items = model.item_ids.len(),
                collect_seconds = collected,
                seconds = started.elapsed().as_secs_f64(),
                "trained learned model"
            );
            Ok(Some(model))
        }
        Err(LearnError::Empty) => Ok(None),
        Err(e) => Err(ServiceError::Model(e.to_string())),
    }
}

/// An engine over `styles` and `model`, with the learned artifact of the same version as
/// the collaborative scorer when configured and available. The second value says why the
/// engine serves co-occurrence although a learned model is configured and exists (it could
/// not be read): the health check reports it as degraded.
pub(super) async fn build_engine(
    stores: &Stores,
    config: &ServiceConfig,
    styles: Vec<Style>,
    model: Model,
) -> (Engine, Option<String>) {
    let (learned, fallback) = match config.collaborative {
        CollaborativeMode::Learned => load_learned(stores, &model.version).await,
        CollaborativeMode::Cooccurrence => (None, None),
    };
    (
        assemble_engine(config, styles, model, learned.as_ref()),
        fallback,
    )
}

/// Loads a version's learned artifact; a missing one means co-occurrence, an unreadable one
/// too, with the reason.
async fn load_learned(stores: &Stores, version: &str) -> (Option<SparseItemModel>, Option<String>) {
    match stores.artifacts.get(version, LEARNED_ARTIFACT).await {
        Ok(Some(bytes)) => match SparseItemModel::from_bytes(&bytes) {
            Ok(model) => (Some(model), None),
            Err(e) => {
                tracing::warn!(model_version = %version, error = %e, "unreadable learned model, serving co-occurrence");
                (
                    None,
                    Some(format!(
                        "learned model {version} is unreadable ({e}); serving co-occurrence"
                    )),
                )
            }
        },
        Ok(None) => (None, None),
        Err(e) => {
            tracing::warn!(model_version = %version, error = %e, "learned model unavailable, serving co-occurrence");
            (
                None,
                Some(format!(
                    "learned model {version} could not be loaded ({e}); serving co-occurrence"
                )),
            )
        }
    }
}

/// The one place engines are built: configuration, frame rules and collaborative scorer.
pub(super) fn assemble_engine(
    config: &ServiceConfig,
    styles: Vec<Style>,
    model: Model,
    learned: Option<&SparseItemModel>,
) -> Engine {
    let engine =
        Engine::new(styles, model, config.engine.clone()).with_frame_rules(config.optics.clone());
    match (config.collaborative, learned) {
        (CollaborativeMode::Learned, Some(learned)) => {
            let ids: Vec<String> = engine.styles().map(|s| s.id.clone()).collect();
            let scorer = LearnedScorer::new(learned, ids.iter().map(String::as_str));
            engine.with_collaborative(Box::new(scorer))
        }
        _ => engine,
    }
}

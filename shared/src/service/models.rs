//! Models as artifacts: building the engine model from the stored aggregates, training the
//! learned model from stored histories, loading either from the artifact store, and the one
//! place an [`Engine`] is assembled from them.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};

use super::{CollaborativeMode, ServiceConfig};
use crate::domain::{Style, Subject};
use crate::engine::{CollaborativeScorer, Engine, Model};
use crate::error::ServiceError;
use crate::models::content::train_embeddings;
use crate::models::ease::EaseParams;
use crate::models::embeddings::{self, EmbeddingModel};
use crate::models::serving::{train_item_item, ItemItemParams, Recency};
use crate::models::serving_hybrid::HybridScorer;
use crate::models::{Dataset, EmbeddingScorer, LearnError, LearnedScorer, SparseItemModel};
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

/// A trained collaborative model, as published next to the engine model: the learned
/// item-item part, the embeddings, or both (`collaborative = "hybrid"`).
#[derive(Debug, Clone, Default)]
pub(super) struct Learned {
    /// Pruned EASE or item-kNN weights.
    pub item_item: Option<SparseItemModel>,
    /// Item embeddings served by fold-in.
    pub embeddings: Option<Box<EmbeddingModel>>,
}

impl Learned {
    /// The artifacts of this model, in the order to write them (an embedding manifest last).
    pub(super) fn artifacts(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<(&'static str, Vec<u8>)>, ServiceError> {
        let model_error = |e: LearnError| ServiceError::Model(e.to_string());
        let mut files = Vec::new();
        if let Some(model) = &self.item_item {
            files.push((LEARNED_ARTIFACT, model.to_bytes().map_err(model_error)?));
        }
        if let Some(model) = &self.embeddings {
            files.extend(model.to_files(&now.to_rfc3339()).map_err(model_error)?);
        }
        Ok(files)
    }

    fn is_empty(&self) -> bool {
        self.item_item.is_none() && self.embeddings.is_none()
    }
}

/// Every customer's stored history as weighted training events `(subject, style, unix
/// seconds, confidence)`: each signal weighted by its kind's confidence (the engine's
/// kind-weight table; kinds that are not positive evidence are left out). Anonymous
/// sessions are left out: they expire, and a published vector must not depend on them.
pub(super) async fn training_events(
    stores: &Stores,
    config: &ServiceConfig,
) -> Result<Vec<(String, String, i64, f32)>, ServiceError> {
    let weights = &config.engine.kind_weights;
    let mut events = Vec::new();
    for subject in stores.signals.subjects().await? {
        if matches!(subject, Subject::Session(_)) {
            continue;
        }
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
    Ok(events)
}

/// A trained model, none when there was nothing to learn from (not an error).
fn trained<T>(result: Result<T, LearnError>) -> Result<Option<T>, ServiceError> {
    match result {
        Ok(model) => Ok(Some(model)),
        Err(LearnError::Empty) => Ok(None),
        Err(e) => Err(ServiceError::Model(e.to_string())),
    }
}

/// Trains the configured collaborative model from every subject's stored history. `None`
/// when there is nothing to learn from or the mode learns nothing.
pub(super) async fn train_learned(
    stores: &Stores,
    config: &ServiceConfig,
    styles: &[Style],
    version: &str,
) -> Result<Option<Learned>, ServiceError> {
    let mode = config.collaborative;
    let wants_embeddings = mode.uses_embeddings()
        && (mode != CollaborativeMode::Hybrid || config.hybrid_embedding_weight > 0.0);
    if !mode.uses_item_item() && !wants_embeddings {
        return Ok(None);
    }
    let started = Instant::now();
    let events = training_events(stores, config).await?;
    let collected = started.elapsed().as_secs_f64();
    let borrowed = || {
        events
            .iter()
            .map(|(u, i, t, w)| (u.as_str(), i.as_str(), *t, *w))
    };
    let mut learned = Learned::default();
    if mode.uses_item_item() {
        let params = ItemItemParams {
            ease: EaseParams {
                lambda: config.learned_lambda,
            },
            window_days: config.learned_window_days,
            neighbours: config.learned_neighbours,
            beta: config.learned_beta,
            ease_max_items: config.learned_ease_max_styles,
        };
        learned.item_item = trained(train_item_item(&Dataset::from_events(borrowed()), params))?;
    }
    if wants_embeddings {
        let params = config.embedding.params();
        learned.embeddings =
            trained(train_embeddings(styles, borrowed(), params, version))?.map(Box::new);
    }
    if learned.is_empty() {
        return Ok(None);
    }
    tracing::info!(
        signals = events.len(),
        collect_seconds = collected,
        seconds = started.elapsed().as_secs_f64(),
        item_item = learned.item_item.is_some(),
        embeddings = learned.embeddings.is_some(),
        "trained learned model"
    );
    Ok(Some(learned))
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
        CollaborativeMode::Cooccurrence => (None, None),
        mode => match load_learned(stores, mode, &model.version).await {
            Ok(learned) => (learned, None),
            Err(e) => {
                tracing::warn!(model_version = %model.version, error = %e, "learned model unavailable, serving co-occurrence");
                let reason = format!(
                    "learned model {} could not be loaded ({e}); serving co-occurrence",
                    model.version
                );
                (None, Some(reason))
            }
        },
    };
    (
        assemble_engine(config, styles, model, learned.as_ref()),
        fallback,
    )
}

/// Loads a version's learned artifacts of the configured kind; none (a version published
/// without them) means co-occurrence, an error says why they could not be read.
pub(super) async fn load_learned(
    stores: &Stores,
    mode: CollaborativeMode,
    version: &str,
) -> Result<Option<Learned>, ServiceError> {
    let unreadable = |e: LearnError| ServiceError::Model(format!("unreadable: {e}"));
    let mut learned = Learned::default();
    if mode.uses_item_item() {
        if let Some(bytes) = stores.artifacts.get(version, LEARNED_ARTIFACT).await? {
            learned.item_item = Some(SparseItemModel::from_bytes(&bytes).map_err(unreadable)?);
        }
    }
    if mode.uses_embeddings() {
        if let Some(bytes) = stores.artifacts.get(version, embeddings::MANIFEST).await? {
            let manifest = EmbeddingModel::manifest(&bytes).map_err(unreadable)?;
            // One read per file, each checked against the manifest's size and SHA-256.
            let mut files = std::collections::HashMap::new();
            for name in manifest.files.keys() {
                if let Some(bytes) = stores.artifacts.get(version, name).await? {
                    files.insert(name.clone(), bytes);
                }
            }
            let model = EmbeddingModel::from_parts(manifest, |name| files.remove(name))
                .map_err(unreadable)?;
            learned.embeddings = Some(Box::new(model));
        }
    }
    Ok((!learned.is_empty()).then_some(learned))
}

/// The one place engines are built: configuration, frame rules and collaborative scorer.
/// Whatever learned parts the version has serve (the hybrid with one part missing serves
/// the other alone); none leaves the engine's co-occurrence neighbours.
pub(super) fn assemble_engine(
    config: &ServiceConfig,
    styles: Vec<Style>,
    model: Model,
    learned: Option<&Learned>,
) -> Engine {
    let engine =
        Engine::new(styles, model, config.engine.clone()).with_frame_rules(config.optics.clone());
    let Some(learned) = learned.filter(|_| config.collaborative != CollaborativeMode::Cooccurrence)
    else {
        return engine;
    };
    let embeddings = learned
        .embeddings
        .as_deref()
        .map(|m| EmbeddingScorer::new(m, engine.styles()));
    let item_item = learned.item_item.as_ref().map(|m| {
        let ids: Vec<&str> = engine.styles().map(|s| s.id.as_str()).collect();
        LearnedScorer::new(m, ids).with_recency(Recency {
            half_life: config.learned_half_life,
            floor: config.learned_floor,
        })
    });
    let scorer: Box<dyn CollaborativeScorer> = match (item_item, embeddings) {
        (Some(item_item), Some(embeddings)) => Box::new(HybridScorer::new(
            item_item,
            Some((embeddings, config.hybrid_embedding_weight)),
        )),
        (Some(item_item), None) => Box::new(item_item),
        (None, Some(embeddings)) => Box::new(embeddings),
        (None, None) => return engine,
    };
    engine.with_collaborative(scorer)
}

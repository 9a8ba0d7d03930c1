//! Use cases over the ports: serve lists, accept signals, process the queue, regenerate.
//! The HTTP router, the local CLI and the Lambda functions all call this one service.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use crate::domain::{
    validate_id, Category, Customer, ListPage, ListSource, RecommendationPage, RecommendedItem,
    ScoredItem, Signal, StoredList, Style, Subject,
};
use crate::engine::{Engine, EngineConfig, Model, RecommendRequest};
use crate::error::{FieldError, ServiceError, StoreError, ValidationErrors};
use crate::models::ease::EaseParams;
use crate::models::serving::train_sparse_ease;
use crate::models::{Dataset, LearnError, LearnedScorer, SparseItemModel};
use crate::optics::frame::{best_size, FrameRulesConfig};
use crate::optics::lens::{recommend_lens, LensRecommendation, LensRequest};
use crate::optics::profile::{parse_profile, ProfileView};
use crate::ports::{EnqueueOutcome, Stores};

/// Name of the engine model inside a model version's artifacts.
pub const MODEL_ARTIFACT: &str = "engine-model.bin";
/// Name of the learned (pruned EASE) item-item model inside a model version's artifacts.
pub const LEARNED_ARTIFACT: &str = "learned-ease.bin";
/// Most signals one request may carry.
pub const MAX_SIGNALS_PER_REQUEST: usize = 100;
/// Largest accepted request body for signals.
pub const MAX_SIGNAL_BODY_BYTES: usize = 256 * 1024;

/// Tunables of the service (the engine has its own).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceConfig {
    /// A precomputed list older than this is recomputed on read.
    pub list_max_age_secs: i64,
    pub default_limit: usize,
    pub max_limit: usize,
    /// How many of a shopper's most recent signals feed their list.
    pub history_limit: usize,
    /// How many days of daily counts feed popularity and trending.
    pub aggregate_window_days: i64,
    /// Lists written per store call during regeneration.
    pub write_chunk: usize,
    /// Which collaborative scorer serves: the learned model when its artifact exists, or
    /// the engine's co-occurrence neighbours.
    pub collaborative: CollaborativeMode,
    /// Strongest learned weights kept per style in the learned artifact.
    pub learned_neighbours: usize,
    /// L2 regularisation of the learned (EASE) model.
    pub learned_lambda: f64,
    pub engine: EngineConfig,
}

/// Source of the collaborative term of the engine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CollaborativeMode {
    /// Train a pruned EASE model at regeneration and serve it (falls back to co-occurrence
    /// when a model version has no learned artifact).
    #[default]
    Learned,
    /// Serve the co-occurrence neighbours of the engine model only.
    Cooccurrence,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            list_max_age_secs: 24 * 3600,
            default_limit: 12,
            max_limit: 100,
            history_limit: 500,
            aggregate_window_days: 365,
            write_chunk: 100,
            collaborative: CollaborativeMode::Learned,
            learned_neighbours: 100,
            learned_lambda: EaseParams::default().lambda,
            engine: EngineConfig::default(),
        }
    }
}

/// Query of `GET /v1/customers/{id}/recommendations`.
#[derive(Debug, Clone, Default)]
pub struct RecommendationQuery {
    pub limit: Option<usize>,
    pub cursor: Option<String>,
    pub placement: Option<String>,
    /// An anonymous session whose signals seed the list of an unknown customer.
    pub session_id: Option<String>,
}

/// What one worker pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProcessReport {
    pub received: usize,
    pub applied: usize,
    pub lists_recomputed: usize,
}

/// What one regeneration did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RegenerateReport {
    pub model_version: String,
    pub styles: usize,
    pub lists: usize,
    pub seconds: f64,
}

/// One bounded pass over the customers' lists, resumable from `next_cursor`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListBatch {
    /// Customers looked at in this pass.
    pub checked: usize,
    /// Lists recomputed and stored in this pass.
    pub recomputed: usize,
    /// The last customer id done when the pass stopped early; `None` once every customer
    /// was covered. Pass it back as `after` to continue.
    pub next_cursor: Option<String>,
}

/// What applying a catalogue feed changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CatalogSyncReport {
    /// Styles of the feed, inserted or replaced.
    pub upserted: usize,
    /// Active styles missing from the feed, now deactivated.
    pub deactivated: Vec<String>,
    /// Styles that were sellable before the feed and are not now (deactivated or out of
    /// stock): precomputed lists holding them are stale.
    pub newly_unavailable: Vec<String>,
    /// The model version published over the new catalogue.
    pub model_version: String,
}

/// The Framewise service: stores behind ports plus the current engine snapshot.
pub struct Framewise {
    stores: Stores,
    config: ServiceConfig,
    /// Swapped whole when the catalogue or the model changes; readers clone the Arc.
    engine: RwLock<Arc<Engine>>,
    /// Woken when signals are queued, so an in-process worker need not poll.
    signals_queued: Arc<Notify>,
}

impl Framewise {
    /// Loads the catalogue and the current model artifact (building a first model if there
    /// is none yet).
    pub async fn open(stores: Stores, config: ServiceConfig) -> Result<Self, ServiceError> {
        let styles = stores.catalog.list_styles().await?;
        let model = match load_current_model(&stores).await? {
            Some(model) => model,
            None => build_model(&stores, &config, &styles, Utc::now()).await?,
        };
        let engine = build_engine(&stores, &config, styles, model).await;
        Ok(Self {
            stores,
            config,
            engine: RwLock::new(Arc::new(engine)),
            signals_queued: Arc::new(Notify::new()),
        })
    }

    pub fn stores(&self) -> &Stores {
        &self.stores
    }

    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    /// Notified after every accepted signal batch.
    pub fn signals_queued(&self) -> Arc<Notify> {
        self.signals_queued.clone()
    }

    /// The engine snapshot serving requests right now.
    pub fn engine(&self) -> Arc<Engine> {
        match self.engine.read() {
            Ok(guard) => guard.clone(),
            // A panic while holding the lock cannot leave an Arc half-written.
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn swap_engine(&self, engine: Engine) {
        let engine = Arc::new(engine);
        match self.engine.write() {
            Ok(mut guard) => *guard = engine,
            Err(poisoned) => *poisoned.into_inner() = engine,
        }
    }

    // ---- reads -------------------------------------------------------------------------

    /// A page of the customer's list: the precomputed one when fresh, else computed now.
    /// Items carry lens advice when the customer has a prescription.
    pub async fn recommendations(
        &self,
        customer_id: &str,
        query: RecommendationQuery,
        now: DateTime<Utc>,
    ) -> Result<RecommendationPage, ServiceError> {
        let page = self.list_page(customer_id, query, now).await?;
        self.attach_lens_advice(page).await
    }

    async fn list_page(
        &self,
        customer_id: &str,
        query: RecommendationQuery,
        now: DateTime<Utc>,
    ) -> Result<RecommendationPage, ServiceError> {
        validate_id(customer_id).map_err(|m| ValidationErrors::single("customer_id", m))?;
        let limit = self.check_limit(query.limit)?;
        if let Some(placement) = &query.placement {
            validate_id(placement).map_err(|m| ValidationErrors::single("placement", m))?;
        }
        if let Some(session) = &query.session_id {
            validate_id(session).map_err(|m| ValidationErrors::single("session_id", m))?;
        }
        let engine = self.engine();

        if let Some(cursor) = &query.cursor {
            let (recommendation_id, offset) = decode_cursor(cursor)?;
            let list = self
                .stores
                .lists
                .get_list_page(customer_id, offset, limit)
                .await?
                .filter(|l| l.recommendation_id == recommendation_id)
                .ok_or_else(|| {
                    ValidationErrors::single(
                        "cursor",
                        "the list this cursor points into was replaced; request the first page again",
                    )
                })?;
            return Ok(page(&engine, list, query.placement));
        }

        let stored = self
            .stores
            .lists
            .get_list_page(customer_id, 0, limit)
            .await?;
        if let Some(list) = stored.filter(|l| {
            now.signed_duration_since(l.generated_at).num_seconds() < self.config.list_max_age_secs
        }) {
            return Ok(page(&engine, list, query.placement));
        }

        let customer = self.stores.profiles.get_customer(customer_id).await?;
        let mut history = self
            .history(&Subject::Customer(customer_id.to_string()))
            .await?;
        let known = customer.is_some() || !history.is_empty();
        if !known {
            if let Some(session) = &query.session_id {
                history = self.history(&Subject::Session(session.clone())).await?;
            }
        }
        let source = if known {
            ListSource::Realtime
        } else {
            ListSource::ColdStart
        };
        let list = self.compute_list(
            &engine,
            customer_id,
            customer.as_ref(),
            &history,
            now,
            source,
        );
        // Lists of unknown ids are not stored: random ids must not grow the store.
        if known {
            self.stores
                .lists
                .put_lists(std::slice::from_ref(&list))
                .await?;
        }
        Ok(page(&engine, list.page(0, limit), query.placement))
    }

    /// The style with its colourways, sizes and current stock.
    pub async fn product(&self, style_id: &str) -> Result<Style, ServiceError> {
        validate_id(style_id).map_err(|m| ValidationErrors::single("style_id", m))?;
        self.stores
            .catalog
            .get_style(style_id)
            .await?
            .ok_or_else(|| not_found("product", style_id))
    }

    pub fn similar(
        &self,
        style_id: &str,
        limit: Option<usize>,
    ) -> Result<Vec<RecommendedItem>, ServiceError> {
        validate_id(style_id).map_err(|m| ValidationErrors::single("style_id", m))?;
        let limit = self.check_limit(limit)?;
        let engine = self.engine();
        let items = engine
            .similar(style_id, limit)
            .ok_or_else(|| not_found("product", style_id))?;
        Ok(hydrate(&engine, items))
    }

    pub fn also_bought(
        &self,
        style_id: &str,
        limit: Option<usize>,
    ) -> Result<Vec<RecommendedItem>, ServiceError> {
        validate_id(style_id).map_err(|m| ValidationErrors::single("style_id", m))?;
        let limit = self.check_limit(limit)?;
        let engine = self.engine();
        let items = engine
            .also_bought(style_id, limit)
            .ok_or_else(|| not_found("product", style_id))?;
        Ok(hydrate(&engine, items))
    }

    pub fn trending(
        &self,
        category: Option<Category>,
        limit: Option<usize>,
        now: DateTime<Utc>,
    ) -> Result<Vec<RecommendedItem>, ServiceError> {
        let limit = self.check_limit(limit)?;
        let engine = self.engine();
        Ok(hydrate(&engine, engine.trending(category, limit, now)))
    }

    fn check_limit(&self, limit: Option<usize>) -> Result<usize, ValidationErrors> {
        let limit = limit.unwrap_or(self.config.default_limit);
        if limit == 0 || limit > self.config.max_limit {
            return Err(ValidationErrors::single(
                "limit",
                format!("must be between 1 and {}", self.config.max_limit),
            ));
        }
        Ok(limit)
    }

    async fn history(&self, subject: &Subject) -> Result<Vec<Signal>, StoreError> {
        self.stores
            .signals
            .history(subject, self.config.history_limit)
            .await
    }

    fn compute_list(
        &self,
        engine: &Engine,
        customer_id: &str,
        customer: Option<&Customer>,
        history: &[Signal],
        now: DateTime<Utc>,
        source: ListSource,
    ) -> StoredList {
        let items = engine.recommend(&RecommendRequest {
            customer,
            history,
            now,
            limit: self.config.engine.list_size,
        });
        StoredList {
            recommendation_id: new_recommendation_id(),
            customer_id: customer_id.to_string(),
            model_version: engine.model_version().to_string(),
            generated_at: now,
            source,
            items,
        }
    }

    /// Recomputes and stores the list of one customer from their current history.
    pub async fn recompute_customer(
        &self,
        customer_id: &str,
        now: DateTime<Utc>,
    ) -> Result<StoredList, ServiceError> {
        let engine = self.engine();
        let list = self.compute_for_storage(&engine, customer_id, now).await?;
        self.stores
            .lists
            .put_lists(std::slice::from_ref(&list))
            .await?;
        Ok(list)
    }

    async fn compute_for_storage(
        &self,
        engine: &Engine,
        customer_id: &str,
        now: DateTime<Utc>,
    ) -> Result<StoredList, ServiceError> {
        let customer = self.stores.profiles.get_customer(customer_id).await?;
        let history = self
            .history(&Subject::Customer(customer_id.to_string()))
            .await?;
        Ok(self.compute_list(
            engine,
            customer_id,
            customer.as_ref(),
            &history,
            now,
            ListSource::Precomputed,
        ))
    }

    // ---- writes ------------------------------------------------------------------------

    /// Validates a `POST /v1/signals` body and queues it whole, or rejects it whole.
    pub async fn accept_signals(
        &self,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<EnqueueOutcome, ServiceError> {
        let signals = parse_signal_batch(body, now)?;
        let outcome = self.stores.queue.enqueue(&signals).await?;
        self.signals_queued.notify_one();
        Ok(outcome)
    }

    /// One worker pass: take up to `max` queued signals, apply them to history and
    /// aggregates, recompute the lists of the customers they touch, then acknowledge.
    /// On error nothing is acknowledged, so the queue delivers the batch again.
    pub async fn process_queue(
        &self,
        max: usize,
        now: DateTime<Utc>,
    ) -> Result<ProcessReport, ServiceError> {
        let batch = self.stores.queue.receive(max).await?;
        if batch.is_empty() {
            return Ok(ProcessReport::default());
        }
        let signals: Vec<Signal> = batch.iter().map(|m| m.signal.clone()).collect();
        let report = self.apply_signals(&signals, now).await?;
        let receipts: Vec<String> = batch.into_iter().map(|m| m.receipt).collect();
        self.stores.queue.ack(&receipts).await?;
        Ok(ProcessReport {
            received: receipts.len(),
            ..report
        })
    }

    /// Applies signals (idempotently) and recomputes the lists of every customer among them.
    /// Customers are recomputed even when their signals were duplicates: a crash between
    /// applying and recomputing must not leave a stale list behind.
    pub async fn apply_signals(
        &self,
        signals: &[Signal],
        now: DateTime<Utc>,
    ) -> Result<ProcessReport, ServiceError> {
        let applied = self.stores.signals.apply(signals).await?;
        let mut customers: Vec<&str> = signals
            .iter()
            .filter_map(|s| s.customer_id.as_deref())
            .collect();
        customers.sort_unstable();
        customers.dedup();
        let engine = self.engine();
        let mut lists = Vec::with_capacity(customers.len());
        for customer_id in &customers {
            lists.push(self.compute_for_storage(&engine, customer_id, now).await?);
        }
        for chunk in lists.chunks(self.config.write_chunk.max(1)) {
            self.stores.lists.put_lists(chunk).await?;
        }
        tracing::info!(
            signals = signals.len(),
            applied = applied.len(),
            lists = lists.len(),
            "applied signals"
        );
        Ok(ProcessReport {
            received: signals.len(),
            applied: applied.len(),
            lists_recomputed: lists.len(),
        })
    }

    /// Stores validated styles and rebuilds the engine's catalogue snapshot.
    pub async fn import_styles(&self, styles: &[Style]) -> Result<(), ServiceError> {
        self.stores.catalog.put_styles(styles).await?;
        self.reload_catalog().await
    }

    pub async fn import_customers(&self, customers: &[Customer]) -> Result<(), ServiceError> {
        self.stores.profiles.put_customers(customers).await?;
        Ok(())
    }

    /// Re-reads the catalogue and serves it with the current model.
    pub async fn reload_catalog(&self) -> Result<(), ServiceError> {
        let styles = self.stores.catalog.list_styles().await?;
        let model = self.engine().model().clone();
        let engine = build_engine(&self.stores, &self.config, styles, model).await;
        self.swap_engine(engine);
        Ok(())
    }

    /// Rebuilds the model from stored aggregates, publishes it as a new artifact version,
    /// then recomputes every customer's list. `progress(done, total)` reports list progress.
    pub async fn regenerate(
        &self,
        now: DateTime<Utc>,
        progress: &(dyn Fn(usize, usize) + Send + Sync),
    ) -> Result<RegenerateReport, ServiceError> {
        let started = Instant::now();
        let (model_version, style_count) = self.regenerate_model(now).await?;
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
}

// ---- resumable regeneration, model refresh and catalogue sync (serverless workers) ------
impl Framewise {
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
        let engine = build_engine(&self.stores, &self.config, styles, model).await;
        self.swap_engine(engine);
        tracing::info!(model_version = %version, "switched to the current model");
        Ok(true)
    }

    /// First step of a regeneration: rebuilds the model from the stored catalogue and
    /// aggregates, publishes it (artifact, then the `current` pointer) and serves it.
    /// Returns the new version and the number of styles it covers.
    pub async fn regenerate_model(
        &self,
        now: DateTime<Utc>,
    ) -> Result<(String, usize), ServiceError> {
        let styles = self.stores.catalog.list_styles().await?;
        let model = build_model(&self.stores, &self.config, &styles, now).await?;
        self.stores
            .artifacts
            .put(&model.version, MODEL_ARTIFACT, &model.to_bytes())
            .await?;
        let learned = match self.config.collaborative {
            CollaborativeMode::Learned => train_learned(&self.stores, &self.config).await?,
            CollaborativeMode::Cooccurrence => None,
        };
        if let Some(learned) = &learned {
            let bytes = learned
                .to_bytes()
                .map_err(|e| ServiceError::Model(e.to_string()))?;
            // Written before the pointer moves, so readers see both artifacts or neither.
            self.stores
                .artifacts
                .put(&model.version, LEARNED_ARTIFACT, &bytes)
                .await?;
        }
        self.stores.artifacts.set_current(&model.version).await?;
        let version = model.version.clone();
        let count = styles.len();
        self.swap_engine(assemble_engine(
            &self.config,
            styles,
            model,
            learned.as_ref(),
        ));
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
                lists.push(self.compute_for_storage(&engine, customer_id, now).await?);
            }
            if !lists.is_empty() {
                self.stores.lists.put_lists(&lists).await?;
            }
            batch.checked += chunk.len();
            batch.recomputed += lists.len();
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

    /// Applies a complete catalogue feed: stores its styles, deactivates active styles the
    /// feed no longer lists, then publishes a model over the new catalogue (new styles need
    /// their features; every worker switches to it through the `current` pointer).
    /// An empty feed is rejected: it would deactivate the whole catalogue.
    pub async fn sync_catalog(
        &self,
        feed: &[Style],
        now: DateTime<Utc>,
    ) -> Result<CatalogSyncReport, ServiceError> {
        if feed.is_empty() {
            return Err(ValidationErrors::single(
                "feed",
                "a catalogue feed needs at least one style",
            )
            .into());
        }
        let before = self.stores.catalog.list_styles().await?;
        let in_feed: HashSet<&str> = feed.iter().map(|s| s.id.as_str()).collect();
        let was_available: HashSet<&str> = before
            .iter()
            .filter(|s| s.is_available())
            .map(|s| s.id.as_str())
            .collect();
        let deactivated: Vec<Style> = before
            .iter()
            .filter(|s| s.active && !in_feed.contains(s.id.as_str()))
            .map(|s| Style {
                active: false,
                ..s.clone()
            })
            .collect();
        self.stores.catalog.put_styles(feed).await?;
        if !deactivated.is_empty() {
            self.stores.catalog.put_styles(&deactivated).await?;
        }
        let mut newly_unavailable: Vec<String> = feed
            .iter()
            .chain(&deactivated)
            .filter(|s| !s.is_available() && was_available.contains(s.id.as_str()))
            .map(|s| s.id.clone())
            .collect();
        newly_unavailable.sort_unstable();
        newly_unavailable.dedup();
        let (model_version, _) = self.regenerate_model(now).await?;
        let report = CatalogSyncReport {
            upserted: feed.len(),
            deactivated: deactivated.into_iter().map(|s| s.id).collect(),
            newly_unavailable,
            model_version,
        };
        tracing::info!(
            upserted = report.upserted,
            deactivated = report.deactivated.len(),
            newly_unavailable = report.newly_unavailable.len(),
            model_version = %report.model_version,
            "catalogue synced"
        );
        Ok(report)
    }
}

/// Rate limit for [`Framewise::reload_model_if_changed`]: long-lived serverless workers
/// check the artifact pointer at most once per interval instead of on every event.
#[derive(Debug)]
pub struct ModelRefresh {
    interval: std::time::Duration,
    last_check: std::sync::Mutex<Option<Instant>>,
}

impl ModelRefresh {
    /// The first call always checks; later ones only once `interval` has passed.
    pub fn new(interval: std::time::Duration) -> Self {
        Self {
            interval,
            last_check: std::sync::Mutex::new(None),
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
        service.reload_model_if_changed().await
    }
}

async fn load_model(stores: &Stores, version: &str) -> Result<Model, ServiceError> {
    let Some(bytes) = stores.artifacts.get(version, MODEL_ARTIFACT).await? else {
        return Err(ServiceError::Model(format!(
            "model version {version} has no {MODEL_ARTIFACT}"
        )));
    };
    Model::from_bytes(&bytes).map_err(|e| ServiceError::Model(e.to_string()))
}

/// Trains the learned item-item model from every subject's stored history (kind-weighted;
/// dismiss and return excluded). `None` when there is nothing to learn from.
async fn train_learned(
    stores: &Stores,
    config: &ServiceConfig,
) -> Result<Option<SparseItemModel>, ServiceError> {
    let started = Instant::now();
    let mut events: Vec<(String, String, i64, f32)> = Vec::new();
    for subject in stores.signals.subjects().await? {
        let key = subject.key();
        for signal in stores
            .signals
            .history(&subject, config.history_limit)
            .await?
        {
            if let Some(weight) = crate::models::data::kind_weight(signal.kind.as_str()) {
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

/// The one place engines are built: the v1 model plus, when configured and available, the
/// learned artifact of the same version as the collaborative scorer.
async fn build_engine(
    stores: &Stores,
    config: &ServiceConfig,
    styles: Vec<Style>,
    model: Model,
) -> Engine {
    let learned = match config.collaborative {
        CollaborativeMode::Learned => load_learned(stores, &model.version).await,
        CollaborativeMode::Cooccurrence => None,
    };
    assemble_engine(config, styles, model, learned.as_ref())
}

/// Loads a version's learned artifact; a missing or unreadable one means co-occurrence.
async fn load_learned(stores: &Stores, version: &str) -> Option<SparseItemModel> {
    match stores.artifacts.get(version, LEARNED_ARTIFACT).await {
        Ok(Some(bytes)) => match SparseItemModel::from_bytes(&bytes) {
            Ok(model) => Some(model),
            Err(e) => {
                tracing::warn!(model_version = %version, error = %e, "unreadable learned model, serving co-occurrence");
                None
            }
        },
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(model_version = %version, error = %e, "learned model unavailable, serving co-occurrence");
            None
        }
    }
}

fn assemble_engine(
    config: &ServiceConfig,
    styles: Vec<Style>,
    model: Model,
    learned: Option<&SparseItemModel>,
) -> Engine {
    let engine = Engine::new(styles, model, config.engine.clone());
    match (config.collaborative, learned) {
        (CollaborativeMode::Learned, Some(learned)) => {
            let ids: Vec<String> = engine.styles().map(|s| s.id.clone()).collect();
            let scorer = LearnedScorer::new(learned, ids.iter().map(String::as_str));
            engine.with_collaborative(Box::new(scorer))
        }
        _ => engine,
    }
}

async fn load_current_model(stores: &Stores) -> Result<Option<Model>, ServiceError> {
    match stores.artifacts.current().await? {
        Some(version) => load_model(stores, &version).await.map(Some),
        None => Ok(None),
    }
}

async fn build_model(
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

fn new_recommendation_id() -> String {
    format!("rec-{}", uuid::Uuid::now_v7().simple())
}

fn not_found(what: &'static str, id: &str) -> ServiceError {
    ServiceError::NotFound {
        what,
        id: id.to_string(),
    }
}

/// Joins scored items with display data, skipping styles no longer sellable.
fn hydrate(engine: &Engine, items: Vec<ScoredItem>) -> Vec<RecommendedItem> {
    items
        .into_iter()
        .filter_map(|item| {
            let style = engine.style(&item.style_id)?;
            style
                .is_available()
                .then(|| RecommendedItem::from_style(style, item))
        })
        .collect()
}

fn page(engine: &Engine, list: ListPage, placement: Option<String>) -> RecommendationPage {
    let end = list.offset + list.items.len();
    let next_cursor = (end < list.total).then(|| encode_cursor(&list.recommendation_id, end));
    RecommendationPage {
        recommendation_id: list.recommendation_id,
        customer_id: list.customer_id,
        model_version: list.model_version,
        generated_at: list.generated_at,
        source: list.source,
        placement,
        items: hydrate(engine, list.items),
        next_cursor,
    }
}

fn encode_cursor(recommendation_id: &str, offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("{offset}:{recommendation_id}"))
}

fn decode_cursor(cursor: &str) -> Result<(String, usize), ValidationErrors> {
    let invalid = || ValidationErrors::single("cursor", "not a cursor returned by this API");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (offset, id) = text.split_once(':').ok_or_else(invalid)?;
    let offset = offset.parse().map_err(|_| invalid())?;
    Ok((id.to_string(), offset))
}

/// Parses and validates a signal batch; every problem is reported with its field path and
/// nothing is accepted unless everything is valid.
pub fn parse_signal_batch(body: &[u8], now: DateTime<Utc>) -> Result<Vec<Signal>, ServiceError> {
    if body.len() > MAX_SIGNAL_BODY_BYTES {
        return Err(ServiceError::TooLarge(format!(
            "a request may carry at most {MAX_SIGNAL_BODY_BYTES} bytes"
        )));
    }
    let root: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ValidationErrors::single("body", format!("not valid JSON: {e}")))?;
    let Some(items) = root.get("signals").and_then(|v| v.as_array()) else {
        return Err(ValidationErrors::single("signals", "required: an array of signals").into());
    };
    if items.is_empty() {
        return Err(ValidationErrors::single("signals", "must hold at least one signal").into());
    }
    if items.len() > MAX_SIGNALS_PER_REQUEST {
        return Err(ValidationErrors::single(
            "signals",
            format!("at most {MAX_SIGNALS_PER_REQUEST} signals per request"),
        )
        .into());
    }
    let mut errors = Vec::new();
    let mut signals = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("signals[{i}]");
        match serde_path_to_error::deserialize::<_, Signal>(item) {
            Ok(signal) => match signal.validate(now) {
                Ok(()) => signals.push(signal),
                Err(e) => errors.extend(e.0.into_iter().map(|f| f.under(&path))),
            },
            Err(e) => {
                let field = e.path().to_string();
                let message = e.into_inner().to_string();
                let error = if field == "." {
                    // serde reports a missing field at the parent; name the field itself.
                    match missing_field_name(&message) {
                        Some(name) => FieldError::new(name, message),
                        None => FieldError::new("", message),
                    }
                } else {
                    FieldError::new(field, message)
                };
                errors.push(error.under(&path));
            }
        }
    }
    if errors.is_empty() {
        Ok(signals)
    } else {
        Err(ValidationErrors(errors).into())
    }
}

fn missing_field_name(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next().map(str::to_string)
}

// ---- optics: profile and lens advice ------------------------------------------------

impl Framewise {
    /// Replaces a customer's profile from a PUT body (every bad field reported with its
    /// path), stores it (prescription sealed at rest) and recomputes their list.
    pub async fn put_profile(
        &self,
        customer_id: &str,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<ProfileView, ServiceError> {
        validate_id(customer_id).map_err(|m| ValidationErrors::single("customer_id", m))?;
        let customer = parse_profile(customer_id, body)?;
        self.stores
            .profiles
            .put_customers(std::slice::from_ref(&customer))
            .await?;
        self.recompute_customer(customer_id, now).await?;
        Ok(ProfileView::new(customer, false))
    }

    /// The profile; the prescription only with `include_prescription` (the owner asking:
    /// on AWS the authorizer must check that the caller is this customer).
    pub async fn get_profile(
        &self,
        customer_id: &str,
        include_prescription: bool,
    ) -> Result<ProfileView, ServiceError> {
        validate_id(customer_id).map_err(|m| ValidationErrors::single("customer_id", m))?;
        let customer = self
            .stores
            .profiles
            .get_customer(customer_id)
            .await?
            .ok_or_else(|| not_found("customer", customer_id))?;
        Ok(ProfileView::new(customer, include_prescription))
    }

    /// Deletes the profile and the prescription in it.
    pub async fn delete_profile(&self, customer_id: &str) -> Result<(), ServiceError> {
        validate_id(customer_id).map_err(|m| ValidationErrors::single("customer_id", m))?;
        if self.stores.profiles.delete_customer(customer_id).await? {
            Ok(())
        } else {
            Err(not_found("customer", customer_id))
        }
    }

    /// Lens advice for the customer's prescription, checked against the best-fitting size
    /// of `style_id` when given (the first size, with its blocking findings, if none fits).
    pub async fn lens_recommendation(
        &self,
        customer_id: &str,
        style_id: Option<&str>,
        request: &LensRequest,
    ) -> Result<LensRecommendation, ServiceError> {
        validate_id(customer_id).map_err(|m| ValidationErrors::single("customer_id", m))?;
        if let Some(id) = style_id {
            validate_id(id).map_err(|m| ValidationErrors::single("style_id", m))?;
        }
        let customer = self
            .stores
            .profiles
            .get_customer(customer_id)
            .await?
            .ok_or_else(|| not_found("customer", customer_id))?;
        let rx = customer
            .prescription
            .as_ref()
            .ok_or_else(|| not_found("prescription", customer_id))?;
        let engine = self.engine();
        let style = match style_id {
            Some(id) => Some(engine.style(id).ok_or_else(|| not_found("style", id))?),
            None => None,
        };
        let request = LensRequest {
            child: request.child || customer.age_band.is_some_and(|a| a.is_child()),
            ..request.clone()
        };
        let config = FrameRulesConfig::default();
        let frame = style.and_then(|st| {
            best_size(rx, st, &config)
                .map(|(size, _)| size)
                .or_else(|| st.sizes.first())
                .map(|size| (st, size))
        });
        Ok(recommend_lens(rx, &request, frame, &config))
    }

    /// Adds lens advice to each item of a page when the customer has a prescription.
    async fn attach_lens_advice(
        &self,
        mut page: RecommendationPage,
    ) -> Result<RecommendationPage, ServiceError> {
        let customer = self.stores.profiles.get_customer(&page.customer_id).await?;
        let Some(rx) = customer.as_ref().and_then(|c| c.prescription.as_ref()) else {
            return Ok(page);
        };
        let engine = self.engine();
        let config = FrameRulesConfig::default();
        let request = LensRequest {
            child: customer
                .as_ref()
                .and_then(|c| c.age_band)
                .is_some_and(|a| a.is_child()),
            ..LensRequest::default()
        };
        for item in &mut page.items {
            let (Some(style), Some(size)) = (engine.style(&item.style_id), item.size.as_ref())
            else {
                continue;
            };
            let advice = recommend_lens(rx, &request, Some((style, size)), &config);
            item.lens = advice.summary();
        }
        Ok(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-06-01T12:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap()
    }

    fn field_errors(result: Result<Vec<Signal>, ServiceError>) -> Vec<FieldError> {
        match result {
            Err(ServiceError::Invalid(ValidationErrors(errors))) => errors,
            other => panic!("expected validation errors, got {other:?}"),
        }
    }

    #[test]
    fn when_batch_is_valid_should_parse_every_signal() {
        let body = br#"{"signals": [
            {"event_id": "e1", "customer_id": "c1", "kind": "view", "style_id": "s1", "timestamp": "2026-06-01T11:00:00Z"},
            {"event_id": "e2", "session_id": "anon", "kind": "purchase", "style_id": "s2", "sku": "s2-a", "timestamp": "2026-06-01T11:00:00Z", "context": {"device": "ios"}}
        ]}"#;
        let signals = parse_signal_batch(body, now()).unwrap();
        assert_eq!(signals.len(), 2);
        assert_eq!(signals[1].sku.as_deref(), Some("s2-a"));
    }

    #[test]
    fn when_signals_are_invalid_should_name_each_field() {
        let body = br#"{"signals": [
            {"event_id": "e1", "customer_id": "c1", "kind": "stare", "style_id": "s1", "timestamp": "2026-06-01T11:00:00Z"},
            {"event_id": "e2", "customer_id": "c1", "style_id": "s1", "timestamp": "2026-06-01T11:00:00Z"},
            {"event_id": "e3", "kind": "view", "style_id": "s1", "timestamp": "2026-06-01T11:00:00Z"},
            {"event_id": "e4", "customer_id": "c1", "kind": "view", "style_id": "s1", "timestamp": "2030-01-01T00:00:00Z"}
        ]}"#;
        let fields: Vec<String> = field_errors(parse_signal_batch(body, now()))
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "signals[0].kind",
                "signals[1].kind",
                "signals[2].customer_id",
                "signals[3].timestamp"
            ]
        );
    }

    #[test]
    fn when_batch_is_too_big_should_reject_whole_request() {
        let one = r#"{"event_id": "e", "customer_id": "c", "kind": "view", "style_id": "s", "timestamp": "2026-06-01T11:00:00Z"}"#;
        let body = format!("{{\"signals\": [{}]}}", vec![one; 101].join(","));
        let errors = field_errors(parse_signal_batch(body.as_bytes(), now()));
        assert_eq!(errors[0].field, "signals");
        let huge = vec![b' '; MAX_SIGNAL_BODY_BYTES + 1];
        assert!(matches!(
            parse_signal_batch(&huge, now()),
            Err(ServiceError::TooLarge(_))
        ));
    }

    #[test]
    fn when_body_is_not_json_should_name_body() {
        let errors = field_errors(parse_signal_batch(b"{nope", now()));
        assert_eq!(errors[0].field, "body");
        let errors = field_errors(parse_signal_batch(b"{\"signals\": 3}", now()));
        assert_eq!(errors[0].field, "signals");
    }

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let cursor = encode_cursor("rec-abc", 24);
        assert_eq!(decode_cursor(&cursor).unwrap(), ("rec-abc".to_string(), 24));
        assert!(decode_cursor("!!").is_err());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("x:rec")).is_err());
    }
}

#[cfg(test)]
mod learned_tests {
    use super::*;
    use crate::adapters::memory_stores;
    use crate::demo::{self, DemoConfig, DemoData};
    use crate::domain::SignalKind;

    fn demo_data() -> DemoData {
        demo::generate(&DemoConfig {
            styles: 80,
            customers: 200,
            days: 60,
            ..DemoConfig::default()
        })
    }

    async fn regenerated(data: &DemoData, config: ServiceConfig) -> (Framewise, DateTime<Utc>) {
        let service = Framewise::open(memory_stores(), config).await.unwrap();
        service.import_styles(&data.styles).await.unwrap();
        service.import_customers(&data.customers).await.unwrap();
        let signals = crate::import::interactions_to_signals(&data.interactions);
        let now = DemoConfig::default().end;
        service.apply_signals(&signals, now).await.unwrap();
        service.regenerate(now, &|_, _| {}).await.unwrap();
        (service, now)
    }

    #[tokio::test]
    async fn when_regenerated_on_demo_data_should_publish_and_serve_learned_model() {
        let data = demo_data();
        let (service, _) = regenerated(&data, ServiceConfig::default()).await;
        let version = service.stores().artifacts.current().await.unwrap().unwrap();
        let artifacts = &service.stores().artifacts;
        assert!(artifacts
            .get(&version, MODEL_ARTIFACT)
            .await
            .unwrap()
            .is_some());
        let learned = artifacts.get(&version, LEARNED_ARTIFACT).await.unwrap();
        assert!(SparseItemModel::from_bytes(&learned.unwrap()).is_ok());
        assert_eq!(service.engine().collaborative_name(), "learned");
        // A reopened service (e.g. another worker) loads the learned artifact too.
        let reopened = Framewise::open(service.stores().clone(), ServiceConfig::default())
            .await
            .unwrap();
        assert_eq!(reopened.engine().collaborative_name(), "learned");
    }

    #[tokio::test]
    async fn when_collaborative_is_cooccurrence_should_not_train_learned_model() {
        let data = demo_data();
        let config = ServiceConfig {
            collaborative: CollaborativeMode::Cooccurrence,
            ..ServiceConfig::default()
        };
        let (service, _) = regenerated(&data, config).await;
        let version = service.stores().artifacts.current().await.unwrap().unwrap();
        let learned = service.stores().artifacts.get(&version, LEARNED_ARTIFACT);
        assert!(learned.await.unwrap().is_none());
        assert_eq!(service.engine().collaborative_name(), "cooccurrence");
    }

    #[tokio::test]
    async fn when_shopper_buys_should_fold_purchase_into_next_list_without_retraining() {
        let data = demo_data();
        let (service, now) = regenerated(&data, ServiceConfig::default()).await;
        let customer = &data.customers[0].id;
        let before = service
            .recommendations(customer, RecommendationQuery::default(), now)
            .await
            .unwrap();
        let bought = before.items[0].style_id.clone();
        let signal = Signal {
            event_id: "fold-in-1".into(),
            customer_id: Some(customer.clone()),
            session_id: None,
            kind: SignalKind::Purchase,
            style_id: bought.clone(),
            sku: None,
            timestamp: now,
            recommendation_id: None,
            placement: None,
            context: Default::default(),
        };
        let version = service.engine().model_version().to_string();
        service.apply_signals(&[signal], now).await.unwrap();
        let after = service
            .recommendations(customer, RecommendationQuery::default(), now)
            .await
            .unwrap();
        assert_eq!(after.model_version, version, "no retraining happened");
        let ids = |p: &RecommendationPage| -> Vec<String> {
            p.items.iter().map(|i| i.style_id.clone()).collect()
        };
        assert_ne!(
            ids(&before),
            ids(&after),
            "the purchase should change the list"
        );
        let history = service
            .stores()
            .signals
            .history(&Subject::Customer(customer.clone()), 500)
            .await
            .unwrap();
        let engine = service.engine();
        let names: Vec<&str> = history
            .iter()
            .filter_map(|s| engine.style(&s.style_id))
            .map(|s| s.name.as_str())
            .collect();
        let because: Vec<&str> = after
            .items
            .iter()
            .flat_map(|i| &i.reasons)
            .filter(|r| r.code.starts_with("because_you"))
            .map(|r| r.text.as_str())
            .collect();
        assert!(!because.is_empty(), "learned scores should be anchored");
        assert!(
            because.iter().all(|t| names.iter().any(|n| t.contains(n))),
            "{because:?}"
        );
    }

    /// Share of each shopper's top-12 that fits their hidden taste.
    async fn taste_share(service: &Framewise, data: &DemoData, now: DateTime<Utc>) -> (f64, f64) {
        let trending = service.trending(None, Some(12), now).unwrap();
        let (mut personal, mut popular, mut total) = (0usize, 0usize, 0usize);
        let engine = service.engine();
        let fits =
            |taste: &demo::Taste, id: &str| engine.style(id).is_some_and(|s| taste.matches(s));
        for taste in &data.tastes {
            let page = service
                .recommendations(&taste.customer_id, RecommendationQuery::default(), now)
                .await
                .unwrap();
            personal += page
                .items
                .iter()
                .filter(|i| fits(taste, &i.style_id))
                .count();
            popular += trending.iter().filter(|i| fits(taste, &i.style_id)).count();
            total += 12;
        }
        (
            personal as f64 / total as f64,
            popular as f64 / total as f64,
        )
    }

    #[tokio::test]
    async fn when_serving_learned_model_should_match_hidden_taste_better_than_popularity() {
        let data = demo_data();
        let (service, now) = regenerated(&data, ServiceConfig::default()).await;
        let (learned, popular) = taste_share(&service, &data, now).await;
        assert!(
            learned > popular,
            "learned {learned:.3} vs popularity {popular:.3}"
        );
    }
}

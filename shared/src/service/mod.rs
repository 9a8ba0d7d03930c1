//! Use cases over the ports, one file each: serve lists ([`lists`]), accept and apply
//! signals ([`signals`]), rebuild and publish models ([`models`], [`regeneration`]), keep
//! the catalogue ([`catalog`]) and shopper profiles ([`profiles`]), erase and export a
//! shopper's data ([`erasure`]), measure what lists sell and run experiments
//! ([`measurement`]). The HTTP router, the
//! local CLI and the Lambda functions all call this one service; requests arrive here
//! already parsed (see [`crate::api`]).

mod bundle_lens;
mod bundles;
mod catalog;
mod catalog_deltas;
mod catalog_images;
mod catalog_images_fill;
mod config;
mod content;
mod context;
mod crediting;
mod cursor;
mod erasure;
mod feeds;
mod health;
mod lists;
mod live_prices;
mod measurement;
mod merchandising;
mod models;
mod offer_choice;
mod offers;
#[cfg(test)]
mod offers_tests;
mod offline_bundle;
mod product_lists;
mod profiles;
mod regeneration;
mod runs;
mod segment_serving;
mod segments;
mod sightings;
mod signals;
mod taste;
mod why;

#[cfg(test)]
mod bundles_tests;
#[cfg(test)]
mod catalog_deltas_tests;
#[cfg(test)]
mod catalog_images_tests;
#[cfg(test)]
mod context_tests;
#[cfg(test)]
mod feeds_tests;
#[cfg(test)]
mod list_write_tests;
// The HTTP price source needs the HTTP client (feature `weather`).
#[cfg(all(test, feature = "weather"))]
mod live_prices_tests;
#[cfg(test)]
mod measurement_tests;
#[cfg(test)]
mod merchandising_tests;
#[cfg(test)]
mod segments_tests;
#[cfg(test)]
mod tests;

use std::sync::{Arc, RwLock};

use chrono::Utc;
use tokio::sync::Notify;

use crate::engine::Engine;
use crate::error::ServiceError;
use crate::experiments::emf::MeasurementEvents;
use crate::ports::Stores;

pub use bundle_lens::{IndexStep, LensAlternative, LensPackage};
pub use bundles::{
    Bundle, BundleFrame, BundlePrice, BundleQuery, BundleValue, CustomerBundles, BUNDLES_PLACEMENT,
};
pub use catalog::CatalogSyncReport;
pub use catalog_deltas::{CatalogDeltaReport, ProductSummary, RejectedDelta, SkuStock};
pub use catalog_images::{
    analyse_feed_images, AttributeMismatch, CatalogImageReport, ColourwayImages,
    ExtractedAttributes, ExtractedColour, ImageFailure, LOOKS_ARTIFACT, LOOKS_VERSION,
};
pub use catalog_images_fill::FilledAttribute;
pub use config::{
    CollaborativeMode, ConfigError, EmbeddingConfig, MeasurementConfig, ServiceConfig,
    DEFAULTS_TOML,
};
pub use content::{
    digest_key, product_copy, ContentItem, ContentPage, ContentRow, CopyFacts, DigestBatch,
    DigestItem, DigestMarker, DigestOutbox, DigestOutcome, EmailDigest, FaceFact, Hero, LensFact,
    OccasionFact, PageKind, Season, CONTENT_ROWS, DIGEST_ITEMS, DIGEST_MARKERS,
    DIGEST_MIN_INTERVAL_DAYS, EMAIL_PLACEMENT,
};
pub use context::WeatherConfig;
pub use erasure::{CustomerExport, ErasedCounts, ErasureReport, EXPORT_FORMAT_VERSION};
pub use feeds::FeedsConfig;
pub use health::{HealthCheck, HealthReport, HealthStatus};
pub use lists::RecommendationQuery;
pub use live_prices::PricingConfig;
pub use measurement::{
    MetricsQuery, MetricsReport, MetricsRow, DEFAULT_PLACEMENT, MAX_METRICS_DAYS,
};
pub use merchandising::{check_merchandising, MerchandisingConfig, MerchandisingStatus};
pub use models::{LEARNED_ARTIFACT, MODEL_ARTIFACT, RUN_ARTIFACT};
pub use offers::{CustomerOffers, Offer, OfferKind, OffersConfig, OFFER_PLACEMENT_PREFIX};
pub use offline_bundle::{OfflineBundle, OFFLINE_PLACEMENT};
pub use regeneration::{ListBatch, ModelRefresh, RegenerateReport};
pub use runs::{
    RunSummary, ShardOutcome, ShardPlan, ShardRef, DEFAULT_SHARD_SIZE, MAX_SHARD_SIZE,
    SHARD_MANIFEST, TRAINING_EVENTS,
};
pub use segments::{SegmentsConfig, SegmentsReport};
pub use signals::{Isolated, ProcessReport};
pub use taste::{CustomerTaste, DriftCheck, KnownTaste};
pub use why::{PickExplanation, PickVisual, SizeMeasurements, Swatch};

/// The Framewise service: stores behind ports plus the current engine snapshot.
pub struct Framewise {
    stores: Stores,
    config: ServiceConfig,
    /// Swapped whole when the catalogue or the model changes; readers clone the Arc.
    engine: RwLock<Arc<Engine>>,
    /// Woken when signals are queued, so an in-process worker need not poll.
    signals_queued: Arc<Notify>,
    /// Why the engine serves without its learned model, when it could not be read.
    model_fallback: RwLock<Option<String>>,
    /// Requests that panicked (reported by the HTTP layer), for the health check.
    request_panics: health::PanicLog,
    /// The experiments as last read, re-read every `measurement.experiments_refresh_secs`.
    experiment_cache: measurement::ExperimentCache,
    /// Where exposures and credits go besides the store (EMF lines on Lambda).
    measurement_events: Option<Arc<dyn MeasurementEvents>>,
    /// Styles and shoppers this process already counted as seen today.
    sightings: sightings::SightingCache,
    /// Where weather comes from for lists with coordinates (none: no weather boost).
    weather: Option<Arc<dyn crate::ports::WeatherSource>>,
    weather_cache: context::WeatherCache,
    /// The visual embeddings of product images as last read (`?by=look`).
    looks: catalog_images::LookCache,
    /// Where trend feeds and influencer collections come from (none: no feed lifts).
    feeds: Option<Arc<dyn crate::ports::FeedSource>>,
    feed_cache: feeds::FeedCache,
    /// Where merchandising rules come from (none: lists without rules) and the rules loaded.
    merchandising: merchandising::MerchandisingCache,
    /// Where live prices come from (none: catalogue prices) and the prices last read.
    live_prices: live_prices::LivePrices,
    /// Redemptions per promotion as last counted, for budgets.
    offer_budgets: offers::BudgetCache,
}

impl Framewise {
    /// Loads the catalogue and the current model artifact (building a first model if there
    /// is none yet).
    pub async fn open(stores: Stores, config: ServiceConfig) -> Result<Self, ServiceError> {
        let styles = stores.catalog.list_styles().await?;
        let model = match models::load_current_model(&stores).await? {
            Some(model) => model,
            None => models::build_model(&stores, &config, &styles, Utc::now()).await?,
        };
        let (engine, fallback) = models::build_engine(&stores, &config, styles, model).await;
        Ok(Self {
            stores,
            config,
            engine: RwLock::new(Arc::new(engine)),
            model_fallback: RwLock::new(fallback),
            request_panics: health::PanicLog::default(),
            experiment_cache: measurement::ExperimentCache::default(),
            measurement_events: None,
            sightings: sightings::SightingCache::default(),
            weather: None,
            weather_cache: context::WeatherCache::default(),
            looks: catalog_images::LookCache::default(),
            feeds: None,
            feed_cache: feeds::FeedCache::default(),
            merchandising: merchandising::MerchandisingCache::default(),
            live_prices: live_prices::LivePrices::default(),
            offer_budgets: offers::BudgetCache::default(),
            signals_queued: Arc::new(Notify::new()),
        })
    }

    /// Also reports every exposure and credit to `events` (on Lambda, EMF lines that
    /// CloudWatch turns into the dashboard's CTR, conversion and revenue metrics).
    pub fn with_measurement_events(mut self, events: Arc<dyn MeasurementEvents>) -> Self {
        self.measurement_events = Some(events);
        self
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

    /// Serves `engine` from now on; `fallback` says why it lacks its learned model, if so.
    fn swap_engine(&self, engine: Engine, fallback: Option<String>) {
        let engine = Arc::new(engine);
        match self.engine.write() {
            Ok(mut guard) => *guard = engine,
            Err(poisoned) => *poisoned.into_inner() = engine,
        }
        match self.model_fallback.write() {
            Ok(mut guard) => *guard = fallback,
            Err(poisoned) => *poisoned.into_inner() = fallback,
        }
    }
}

fn not_found(what: &'static str, id: &str) -> ServiceError {
    ServiceError::NotFound {
        what,
        id: id.to_string(),
    }
}

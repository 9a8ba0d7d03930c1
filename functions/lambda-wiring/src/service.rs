//! Opening the service once per cold start: AWS settings and clients from the environment,
//! the deployment configuration, and read-only or read-write stores.

use std::sync::Arc;

use async_trait::async_trait;
use framewise::adapters::aws::{
    aws_stores, AwsClients, AwsSettings, S3FeedSource, S3MerchandisingSource,
};
use framewise::domain::{ListPage, StoredList};
use framewise::error::{ServiceError, StoreResult};
use framewise::experiments::emf::{EmfWriter, MeasurementEvents};
use framewise::ports::{FeedSource, RecommendationStore, Stores};
use framewise::service::{Framewise, ModelRefresh, ServiceConfig};

use crate::aws::aws_settings;
use crate::deployment_config::load_service_config;
use crate::env::Env;
use crate::error::FunctionError;

/// Seconds between two checks of the model pointer.
pub const MODEL_REFRESH_SECS: &str = "FRAMEWISE_MODEL_REFRESH_SECS";
/// Default of [`MODEL_REFRESH_SECS`].
pub const DEFAULT_MODEL_REFRESH_SECS: u64 = 60;
/// CloudWatch namespace of the EMF measurement lines; unset, none are printed.
pub const METRICS_NAMESPACE: &str = "FRAMEWISE_METRICS_NAMESPACE";

/// Whether the service may store what it computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Lists computed on read are served, not stored: the function's role may not write,
    /// and a failed write must not fail a read.
    ReadOnly,
    ReadWrite,
}

/// The lists port without writes: reads go to the store, `put_lists` is dropped.
pub struct ReadOnlyLists(pub Arc<dyn RecommendationStore>);

#[async_trait]
impl RecommendationStore for ReadOnlyLists {
    async fn get_list(&self, customer_id: &str) -> StoreResult<Option<StoredList>> {
        self.0.get_list(customer_id).await
    }

    async fn get_list_page(
        &self,
        customer_id: &str,
        offset: usize,
        limit: usize,
    ) -> StoreResult<Option<ListPage>> {
        self.0.get_list_page(customer_id, offset, limit).await
    }

    async fn put_lists(&self, lists: &[StoredList]) -> StoreResult<()> {
        tracing::debug!(
            lists = lists.len(),
            "read-only function: list computed on read not stored"
        );
        Ok(())
    }
}

/// `stores` with the lists port made read-only.
pub fn read_only(stores: Stores) -> Stores {
    Stores {
        lists: Arc::new(ReadOnlyLists(stores.lists.clone())),
        ..stores
    }
}

/// Opens the service over `stores` (catalogue and current model loaded once).
pub async fn open(
    stores: Stores,
    config: ServiceConfig,
    access: Access,
) -> Result<Arc<Framewise>, ServiceError> {
    open_with_events(stores, config, access, None).await
}

/// [`open`], reporting exposures and credits to `events` as well (see [`emf_events`]).
pub async fn open_with_events(
    stores: Stores,
    config: ServiceConfig,
    access: Access,
    events: Option<Arc<dyn MeasurementEvents>>,
) -> Result<Arc<Framewise>, ServiceError> {
    open_with_feeds(stores, config, access, events, None).await
}

/// [`open_with_events`], computing lists with the trend feeds and influencer collections of
/// `feeds` (the bucket's `feeds/trends/` and `feeds/collections/` in [`open_service`]).
pub async fn open_with_feeds(
    stores: Stores,
    config: ServiceConfig,
    access: Access,
    events: Option<Arc<dyn MeasurementEvents>>,
    feeds: Option<Arc<dyn FeedSource>>,
) -> Result<Arc<Framewise>, ServiceError> {
    let stores = match access {
        Access::ReadOnly => read_only(stores),
        Access::ReadWrite => stores,
    };
    // A forecast client that cannot be built leaves lists without weather, never a failed
    // cold start.
    let weather = framewise::adapters::weather::from_url(
        &config.weather.url,
        std::time::Duration::from_millis(config.weather.timeout_ms),
    )
    .unwrap_or_else(|error| {
        tracing::warn!(%error, "weather source unavailable; lists get no weather");
        None
    });
    // Live prices (`[pricing]`, an HTTP endpoint on AWS); one that cannot be built leaves
    // catalogue prices, never a failed cold start.
    let prices = framewise::adapters::prices::from_config(
        config.pricing.source,
        &config.pricing.url,
        &config.pricing.path,
        std::time::Duration::from_millis(config.pricing.timeout_ms),
    )
    .unwrap_or_else(|error| {
        tracing::warn!(%error, "price source unavailable; lists show catalogue prices");
        None
    });
    let mut service = Framewise::open(stores, config).await?;
    if let Some(source) = weather {
        service = service.with_weather(source);
    }
    if let Some(source) = prices {
        service = service.with_prices(source);
    }
    if let Some(source) = feeds {
        service = service.with_feeds(source);
    }
    Ok(Arc::new(match events {
        Some(events) => service.with_measurement_events(events),
        None => service,
    }))
}

/// The merchandising rules of the deployment: the bucket's `config/merchandising.toml`
/// (every function that computes or serves lists reads it; see `docs/merchandising.md`).
pub fn bucket_merchandising(
    clients: &AwsClients,
    settings: &AwsSettings,
) -> Arc<dyn framewise::ports::MerchandisingSource> {
    Arc::new(S3MerchandisingSource::new(
        clients.s3.clone(),
        settings.bucket.clone(),
    ))
}

/// EMF lines on stdout in the namespace `FRAMEWISE_METRICS_NAMESPACE` names (none without
/// it): CloudWatch Logs turns them into the dashboard's CTR, conversion and revenue metrics.
pub fn emf_events(env: &Env) -> Option<Arc<dyn MeasurementEvents>> {
    let namespace = env.optional(METRICS_NAMESPACE)?;
    Some(Arc::new(EmfWriter::new(namespace, |line: &str| {
        println!("{line}")
    })))
}

/// The service opened over AWS, with the settings and clients it was built from, for the
/// function's own adapters (the feed reader, the continuation queue).
#[derive(Clone)]
pub struct AwsService {
    pub settings: AwsSettings,
    pub clients: AwsClients,
    pub service: Arc<Framewise>,
}

/// Opens the service from the environment: AWS settings, clients (built once here), the
/// deployment configuration (`FRAMEWISE_CONFIG`) and the stores with `access`.
pub async fn open_service(env: &Env, access: Access) -> Result<AwsService, FunctionError> {
    let settings = aws_settings(env)?;
    let clients = AwsClients::new(&settings.endpoint()).await;
    let config = load_service_config(env, &clients.s3).await?;
    let stores = aws_stores(&clients, &settings);
    let feeds = Arc::new(S3FeedSource::new(
        clients.s3.clone(),
        settings.bucket.clone(),
    ));
    let service = open_with_feeds(stores, config, access, emf_events(env), Some(feeds)).await?;
    service.set_merchandising(bucket_merchandising(&clients, &settings));
    Ok(AwsService {
        settings,
        clients,
        service,
    })
}

/// How often a warm function checks for a newly published model (`FRAMEWISE_MODEL_REFRESH_SECS`).
pub fn model_refresh(env: &Env) -> Result<ModelRefresh, crate::error::ConfigError> {
    Ok(ModelRefresh::new(
        env.secs(MODEL_REFRESH_SECS, DEFAULT_MODEL_REFRESH_SECS)?,
    ))
}

//! `recommendations-api`: the GET routes of the Framewise API on Lambda, served by the shared
//! axum router over DynamoDB (lists, catalogue, history) and S3 (the model).
//!
//! The function is read-only by design: its role may not write, so a list computed on read
//! (realtime fallback for a stale or missing list) is served but not stored; the signals
//! worker and the scheduled regeneration keep the stored lists fresh.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use framewise::adapters::aws::AwsSettings;
use framewise::api::{router, ApiError};
use framewise::domain::{ListPage, StoredList};
use framewise::error::{ServiceError, StoreError, StoreResult};
use framewise::ports::{RecommendationStore, Stores};
use framewise::service::{Framewise, ModelRefresh, ServiceConfig};

/// Default seconds between two checks of the model pointer.
pub const DEFAULT_MODEL_REFRESH_SECS: u64 = 60;

/// Typed configuration, read once per cold start.
#[derive(Debug, Clone)]
pub struct Config {
    pub aws: AwsSettings,
    /// How often the artifact pointer is checked for a new model (`FRAMEWISE_MODEL_REFRESH_SECS`).
    pub model_refresh: Duration,
}

impl Config {
    pub fn from_env() -> Result<Self, StoreError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Same as [`Config::from_env`] over any lookup, so tests need not touch the process env.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, StoreError> {
        Ok(Self {
            aws: AwsSettings::from_lookup(&lookup)?,
            model_refresh: Duration::from_secs(secs(
                &lookup,
                "FRAMEWISE_MODEL_REFRESH_SECS",
                DEFAULT_MODEL_REFRESH_SECS,
            )?),
        })
    }
}

/// A whole number of seconds from `name`, or `default` when unset.
pub fn secs(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: u64,
) -> Result<u64, StoreError> {
    match lookup(name).filter(|v| !v.trim().is_empty()) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| {
            StoreError::Backend(format!(
                "invalid configuration: {name} must be a whole number of seconds, got '{v}'"
            ))
        }),
    }
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
            "read-only API: list computed on read not stored"
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

/// Opens the service over read-only stores (catalogue and current model loaded once).
pub async fn open_service(stores: Stores) -> Result<Arc<Framewise>, ServiceError> {
    Ok(Arc::new(
        Framewise::open(read_only(stores), ServiceConfig::default()).await?,
    ))
}

#[derive(Clone)]
struct Guard {
    service: Arc<Framewise>,
    refresh: Arc<ModelRefresh>,
}

/// The shared router restricted to GET and HEAD, switching to a newly published model at
/// most once per refresh interval.
pub fn app(service: Arc<Framewise>, refresh: Arc<ModelRefresh>) -> Router {
    let guard = Guard {
        service: service.clone(),
        refresh,
    };
    router(service).layer(middleware::from_fn_with_state(guard, read_only_requests))
}

async fn read_only_requests(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this endpoint serves GET requests only",
        )
        .into_response();
    }
    if let Err(e) = guard.refresh.maybe_reload(&guard.service).await {
        // Keep serving the model already loaded; the next interval retries.
        tracing::warn!(error = %e, "model refresh failed");
    }
    next.run(request).await
}

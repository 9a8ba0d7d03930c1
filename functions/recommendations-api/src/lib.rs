//! `recommendations-api`: the GET routes of the Framewise API on Lambda, served by the shared
//! axum router over DynamoDB (lists, catalogue, history) and S3 (the model).
//!
//! The function is read-only by design: it opens the service with
//! `framewise_lambda::Access::ReadOnly` and a list computed on read (realtime fallback for a
//! stale or missing list) is served but not stored; the signals worker and the scheduled
//! regeneration keep the stored lists fresh. Its one write is measurement: the exposure of
//! each list served and its cell's counters (its role may write only those items). It also
//! serves the admin reads of metrics, experiments and reports.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use framewise::api::{router, ApiError};
use framewise::service::{Framewise, ModelRefresh};

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
    let auth = service.config().auth.clone();
    let routes = router(service).layer(middleware::from_fn_with_state(guard, read_only_requests));
    framewise_lambda::gateway_identity(routes, auth)
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

//! `GET /v1/customers/{customer_id}/offline-bundle`: the shopper's list with what a native
//! app needs to show it offline ([`Framewise::offline_bundle`]). The bundle's `version` is its
//! `ETag`; the app sends it back as `?version=` or `If-None-Match` and gets 304 while the
//! bundle is unchanged.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::Utc;

use super::error::{ApiError, BadRequest, Forbidden, Unauthorized, Unavailable};
use super::http_cache::{json_bytes, tagged_json, AlreadyCurrent, CachePolicy, NotModified};
use super::identity::customer_path;
use super::routes::{limit, query, Id, Params};
use crate::auth::{Caller, CustomerAccess};
use crate::service::{Framewise, OfflineBundle};

type AppState = Arc<Framewise>;

/// The offline-bundle route, merged into the main router.
pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/v1/customers/{customer_id}/offline-bundle",
        get(offline_bundle),
    )
}

/// The shopper's list for offline use: the items (as the list route answers them), every
/// listed product in full (colourways, sizes, stock) and every image URL to prefetch.
///
/// Served at placement `offline` (one exposure per download). `version` is a digest of the
/// whole bundle and its `ETag`: sending it back as `?version=` or `If-None-Match` answers 304
/// without a body while nothing changed.
#[utoipa::path(get, path = "/v1/customers/{customer_id}/offline-bundle", tag = "recommendations",
    security(("bearerAuth" = [])),
    params(
        ("customer_id" = String, Path, description = "The shopper", pattern = "^[A-Za-z0-9_.:-]{1,128}$"),
        ("limit" = Option<u32>, Query, description = "Most items (default and most 100)", minimum = 1, maximum = 100),
        ("version" = Option<String>, Query, description = "The `version` of the bundle the app holds: 304 while it is current"),
    ),
    responses(
        (status = 200, description = "The bundle", body = OfflineBundle),
        (status = 304, response = NotModified),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ))]
pub(super) async fn offline_bundle(
    State(service): State<AppState>,
    caller: Caller,
    customer_id: Id,
    params: Params,
) -> Result<Response, ApiError> {
    let customer_id = customer_path(&caller, customer_id, CustomerAccess::Shopping)?;
    let params = query(params)?;
    let bundle = service
        .offline_bundle(&customer_id, limit(&params)?, Utc::now())
        .await?;
    let bytes = json_bytes(&bundle)?;
    let mut response = tagged_json(CachePolicy::OfflineBundle, &bundle.version, bytes);
    let held = params.get("version").map(|v| v.trim_matches('"'));
    if held == Some(bundle.version.as_str()) {
        response.extensions_mut().insert(AlreadyCurrent);
    }
    Ok(response)
}

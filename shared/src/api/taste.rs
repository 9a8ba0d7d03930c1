//! `GET /v1/customers/{customer_id}/taste`: the shopper's current and long-term taste, its
//! drift, a monthly timeline and reasons in plain words ([`Framewise::customer_taste`]).

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::Utc;

use super::error::{ApiError, BadRequest, Forbidden, NotFound, Unauthorized, Unavailable};
use super::http_cache::{cached_json, CachePolicy, NotModified};
use super::identity::customer_path;
use super::routes::Id;
use crate::auth::{Caller, CustomerAccess};
use crate::service::{CustomerTaste, Framewise};

type AppState = Arc<Framewise>;

/// The taste route, merged into the main router.
pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/customers/{customer_id}/taste", get(customer_taste))
}

/// The shopper's taste for a "your style" page: per attribute (shape, colour, material, rim,
/// price band, brand) the leading values now (short half-life) and over the long run, the
/// drift between the two (and whether the recent taste leads their recommendations), the
/// leading values month by month, and reasons in plain words.
///
/// 404 for a shopper the service knows nothing about (no profile, no history).
#[utoipa::path(get, path = "/v1/customers/{customer_id}/taste", tag = "recommendations",
    security(("bearerAuth" = [])),
    params(
        ("customer_id" = String, Path, description = "The shopper", pattern = "^[A-Za-z0-9_.:-]{1,128}$"),
    ),
    responses(
        (status = 200, description = "The shopper's taste", body = CustomerTaste),
        (status = 304, response = NotModified),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ))]
pub(super) async fn customer_taste(
    State(service): State<AppState>,
    caller: Caller,
    customer_id: Id,
) -> Result<Response, ApiError> {
    let customer_id = customer_path(&caller, customer_id, CustomerAccess::Shopping)?;
    let taste = service.customer_taste(&customer_id, Utc::now()).await?;
    cached_json(CachePolicy::ShopperList, &taste)
}

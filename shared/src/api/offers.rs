//! `GET /v1/customers/{customer_id}/offers`: the merchant's promotions chosen for the
//! shopper ([`Framewise::offers`]). A lens offer follows from the lens advice, so like
//! bundles the answer is the shopper's data: owner or service token, and only the client's
//! own cache may keep it.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::Utc;

use super::error::{ApiError, BadRequest, Forbidden, NotFound, Unauthorized, Unavailable};
use super::http_cache::{cached_json, CachePolicy, NotModified};
use super::identity::customer_path;
use super::routes::{limit, query, Id, Params};
use crate::auth::{Caller, CustomerAccess};
use crate::service::{CustomerOffers, Framewise};

type AppState = Arc<Framewise>;

/// The offers route, merged into the main router.
pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/customers/{customer_id}/offers", get(customer_offers))
}

/// Personalised offers within the merchant's rules: each a running promotion of the
/// merchandising file (within its dates and budget), shown on the frame or lens option it
/// suits best for this shopper, with its price and reason.
///
/// The price is the merchant's: the list price less the promotions that apply, never more
/// than `[offers] max_discount_percent` off, and never set by age, face shape, colouring
/// or prescription (the prescription only chooses which lens option is offered). Send
/// `offer_id` as `recommendation_id` and `placement` on the signals of a shopper acting on
/// an offer, so its redemptions are credited and counted against its budget.
///
/// 404 for an unknown shopper.
#[utoipa::path(get, path = "/v1/customers/{customer_id}/offers", tag = "recommendations",
    security(("bearerAuth" = [])),
    params(
        ("customer_id" = String, Path, description = "The shopper", pattern = "^[A-Za-z0-9_.:-]{1,128}$"),
        ("limit" = Option<u32>, Query, description = "Most offers (default 3, most 100)", minimum = 1, maximum = 100),
    ),
    responses(
        (status = 200, description = "The offers, most relevant first", body = CustomerOffers),
        (status = 304, response = NotModified),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ))]
pub(super) async fn customer_offers(
    State(service): State<AppState>,
    caller: Caller,
    customer_id: Id,
    params: Params,
) -> Result<Response, ApiError> {
    let customer_id = customer_path(&caller, customer_id, CustomerAccess::Shopping)?;
    let params = query(params)?;
    let offers = service
        .offers(&customer_id, limit(&params)?, Utc::now())
        .await?;
    cached_json(CachePolicy::ShopperList, &offers)
}

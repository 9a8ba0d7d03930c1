//! `GET /v1/customers/{customer_id}/recommendations/{style_id}/why`: why a style is (or is
//! not) on the shopper's list ([`Framewise::explain_pick`]): its score term by term, its
//! place on the list, the fit verdict, the evidence, confirmed counterfactuals and what the
//! storefront panel draws.

use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::Utc;

use super::context_params::context;
use super::error::{ApiError, BadRequest, Forbidden, NotFound, Unauthorized, Unavailable};
use super::http_cache::{cached_json, CachePolicy, NotModified};
use super::identity::permit;
use super::routes::{query, Params};
use crate::auth::{Action, Caller, CustomerAccess};
use crate::render::swatch_hex;
use crate::service::{Framewise, PickExplanation};

type AppState = Arc<Framewise>;
type Ids = Result<Path<(String, String)>, PathRejection>;

/// The "why" route, merged into the main router.
pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/v1/customers/{customer_id}/recommendations/{style_id}/why",
        get(why),
    )
}

/// Why this pick: the style's score broken into its terms (collaborative, taste, declared
/// preference, profile, popularity, trending, season, context, diversity), its position on
/// the shopper's list, whether it fits (and which fit rule refuses which size), the history
/// and profile fields behind it, and counterfactuals each confirmed by re-running the engine.
///
/// An unknown shopper is explained like their cold-start list (crowd terms only). Texts
/// never quote prescription values.
#[utoipa::path(get, path = "/v1/customers/{customer_id}/recommendations/{style_id}/why", tag = "recommendations",
    security(("bearerAuth" = [])),
    params(
        ("customer_id" = String, Path, description = "The shopper", pattern = "^[A-Za-z0-9_.:-]{1,128}$"),
        ("style_id" = String, Path, description = "The style to explain", pattern = "^[A-Za-z0-9_.:-]{1,128}$"),
        ("top" = Option<u32>, Query, description = "The page the shopper sees: \"shown\" means among the first `top` (default 12)", minimum = 1, maximum = 100),
        ("occasion" = Option<String>, Query, description = "The list route's context: its lift is the `context` component"),
        ("country" = Option<String>, Query, description = "ISO 3166-1 alpha-2 country", pattern = "^[A-Za-z]{2}$"),
        ("lat" = Option<f64>, Query, description = "Latitude, with lon", minimum = -90, maximum = 90),
        ("lon" = Option<f64>, Query, description = "Longitude, with lat", minimum = -180, maximum = 180),
        ("hour" = Option<u8>, Query, description = "Local hour of day 0-23", minimum = 0, maximum = 23),
    ),
    responses(
        (status = 200, description = "The explanation", body = PickExplanation),
        (status = 304, response = NotModified),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ))]
pub(super) async fn why(
    State(service): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ids: Ids,
    params: Params,
) -> Result<Response, ApiError> {
    let (customer_id, style_id) = ids
        .map(|Path(ids)| ids)
        .map_err(|_| ApiError::invalid("path", "not a valid customer or style identifier"))?;
    // The same rule as the shopper's list: owner or service.
    permit(
        &caller,
        Action::Customer(&customer_id, CustomerAccess::Shopping),
    )?;
    let params = query(params)?;
    let top = params
        .get("top")
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.parse::<usize>()
                .map_err(|_| ApiError::invalid("top", "must be an integer between 1 and 100"))
        })
        .transpose()?;
    let answer = service
        .explain_pick(
            &customer_id,
            &style_id,
            top,
            &context(&params, &headers)?,
            swatch_hex,
            Utc::now(),
        )
        .await?;
    cached_json(CachePolicy::ShopperList, &answer)
}

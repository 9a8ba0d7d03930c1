//! `GET /v1/customers/{customer_id}/content`: the shopper's content page
//! ([`Framewise::content_page`]): a seasonal hero and curated rows cut from their list, each
//! item with its reasons and product copy. Owner or service only; cached privately like the
//! list (the copy names no prescription value, but it is about one shopper).

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::Utc;

use super::context_params::context;
use super::error::{ApiError, BadRequest, Forbidden, Unauthorized, Unavailable};
use super::http_cache::{cached_json, CachePolicy, NotModified};
use super::identity::customer_path;
use super::routes::{query, Id, Params};
use crate::auth::{Caller, CustomerAccess};
use crate::service::{ContentPage, Framewise, PageKind};

type AppState = Arc<Framewise>;

/// The content route, merged into the main router.
pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/customers/{customer_id}/content", get(content_page))
}

/// The shopper's content page: a hero for the season (and `occasion`), and up to three rows
/// ("For your commute", "Warm tones for you", "New in your size"...) cut from their list by
/// rules that make each title true, every item with reasons and copy written from data.
///
/// Served at the page's placement (`home`): one exposure per page, and signals naming the
/// page's `recommendation_id` are credited to it.
#[utoipa::path(get, path = "/v1/customers/{customer_id}/content", tag = "recommendations",
    security(("bearerAuth" = [])),
    params(
        ("customer_id" = String, Path, description = "The shopper", pattern = "^[A-Za-z0-9_.:-]{1,128}$"),
        ("page" = Option<PageKind>, Query, description = "Which page (default `home`)"),
        ("occasion" = Option<String>, Query, description = "A configured occasion id (`work`, `screen`, `driving`, `sport`, `beach`, `evening`, `reading` by default): the hero's theme, the first row, a sentence of copy and the list's re-rank"),
        ("country" = Option<String>, Query, description = "As on the list route: the hemisphere of the hero's season and the list's re-rank", pattern = "^[A-Za-z]{2}$"),
        ("lat" = Option<f64>, Query, description = "Latitude, with lon (weather, hemisphere)", minimum = -90, maximum = 90),
        ("lon" = Option<f64>, Query, description = "Longitude, with lat", minimum = -180, maximum = 180),
        ("hour" = Option<u8>, Query, description = "Local hour of day 0-23", minimum = 0, maximum = 23),
    ),
    responses(
        (status = 200, description = "The page", body = ContentPage),
        (status = 304, response = NotModified),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ))]
pub(super) async fn content_page(
    State(service): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    customer_id: Id,
    params: Params,
) -> Result<Response, ApiError> {
    let customer_id = customer_path(&caller, customer_id, CustomerAccess::Shopping)?;
    let params = query(params)?;
    let page = match params.get("page").filter(|p| !p.is_empty()) {
        Some(page) => PageKind::parse(page)?,
        None => PageKind::Home,
    };
    let content = service
        .content_page(&customer_id, page, context(&params, &headers)?, Utc::now())
        .await?;
    cached_json(CachePolicy::ShopperList, &content)
}

//! Routes and handlers. Handlers only parse the request, call the service and shape the
//! response; every failure becomes an `ApiError`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use serde::Serialize;
use utoipa::ToSchema;

use super::compact::{view, PageView, RelatedView, TrendingView, View};
use super::error::{
    ApiError, BadRequest, Forbidden, InvalidToken, NotFound, Unauthorized, Unavailable,
};
use super::http_cache::{cached_json, CachePolicy, NotModified};
use super::identity::customer_path;
use super::request_limits::enforce_request_limits;
use super::signals::signal_routes;
use super::similar_by::{similar_by, SimilarBy};
use crate::auth::{Caller, CustomerAccess};
use crate::domain::{Category, RecommendedItem, Style};
use crate::service::{Framewise, HealthReport, HealthStatus, RecommendationQuery};

type AppState = Arc<Framewise>;
pub(super) type Params = Result<Query<HashMap<String, String>>, QueryRejection>;
pub(super) type Id = Result<Path<String>, PathRejection>;

/// Whether a route needs a bearer token. On AWS, `Token` routes sit behind the HTTP API's
/// JWT authorizer and `Public` ones have none; the handlers decide object-level access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteAccess {
    Public,
    Token,
    /// A token with the admin scope (operators: metrics, experiments).
    Admin,
}

/// Every route of [`router`]: the template, the OpenAPI document and the tests are
/// checked against this table. A new route also needs `#[utoipa::path]` on its handler and
/// the handler in `paths(...)` of `api/openapi.rs` (`api/tests/openapi.rs` fails otherwise).
pub const ROUTES: &[(&str, &str, RouteAccess)] = &[
    ("GET", "/healthz", RouteAccess::Public),
    ("GET", "/livez", RouteAccess::Public),
    ("GET", "/openapi.json", RouteAccess::Public),
    (
        "GET",
        "/v1/customers/{customer_id}/recommendations",
        RouteAccess::Token,
    ),
    (
        "GET",
        "/v1/sessions/{session_id}/recommendations",
        RouteAccess::Public,
    ),
    ("GET", "/v1/products/{style_id}", RouteAccess::Public),
    ("PATCH", "/v1/products/{style_id}", RouteAccess::Admin),
    (
        "GET",
        "/v1/products/{style_id}/similar",
        RouteAccess::Public,
    ),
    (
        "GET",
        "/v1/products/{style_id}/also-bought",
        RouteAccess::Public,
    ),
    (
        "GET",
        "/v1/products/{style_id}/image.svg",
        RouteAccess::Public,
    ),
    (
        "GET",
        "/v1/products/{style_id}/image.png",
        RouteAccess::Public,
    ),
    ("GET", "/v1/trending", RouteAccess::Public),
    ("POST", "/v1/signals", RouteAccess::Token),
    (
        "POST",
        "/v1/sessions/{session_id}/signals",
        RouteAccess::Public,
    ),
    (
        "PUT",
        "/v1/customers/{customer_id}/profile",
        RouteAccess::Token,
    ),
    (
        "GET",
        "/v1/customers/{customer_id}/profile",
        RouteAccess::Token,
    ),
    (
        "DELETE",
        "/v1/customers/{customer_id}/profile",
        RouteAccess::Token,
    ),
    (
        "GET",
        "/v1/customers/{customer_id}/lens-recommendation",
        RouteAccess::Token,
    ),
    ("DELETE", "/v1/customers/{customer_id}", RouteAccess::Token),
    (
        "GET",
        "/v1/customers/{customer_id}/export",
        RouteAccess::Token,
    ),
    (
        "GET",
        "/v1/customers/{customer_id}/offline-bundle",
        RouteAccess::Token,
    ),
    (
        "GET",
        "/v1/customers/{customer_id}/recommendations/{style_id}/why",
        RouteAccess::Token,
    ),
    (
        "GET",
        "/v1/customers/{customer_id}/content",
        RouteAccess::Token,
    ),
    (
        "GET",
        "/v1/customers/{customer_id}/taste",
        RouteAccess::Token,
    ),
    (
        "GET",
        "/v1/customers/{customer_id}/bundles",
        RouteAccess::Token,
    ),
    (
        "GET",
        "/v1/customers/{customer_id}/offers",
        RouteAccess::Token,
    ),
    ("GET", "/v1/metrics", RouteAccess::Admin),
    ("GET", "/v1/experiments", RouteAccess::Admin),
    ("POST", "/v1/experiments", RouteAccess::Admin),
    (
        "POST",
        "/v1/experiments/{experiment_id}/stop",
        RouteAccess::Admin,
    ),
    (
        "GET",
        "/v1/experiments/{experiment_id}/report",
        RouteAccess::Admin,
    ),
];

/// The whole HTTP API over one service instance. Identity comes from the edge: wrap it in
/// [`super::bearer_auth`] locally; on Lambda the function attaches the gateway's claims.
pub fn router(service: Arc<Framewise>) -> Router {
    let routes = Router::new()
        .route("/healthz", get(health))
        .route("/livez", get(liveness))
        .route("/openapi.json", get(super::openapi::openapi_json))
        .route(
            "/v1/customers/{customer_id}/recommendations",
            get(recommendations),
        )
        .route(
            "/v1/sessions/{session_id}/recommendations",
            get(session_recommendations),
        )
        .route("/v1/products/{style_id}", get(product))
        .route("/v1/products/{style_id}/similar", get(similar))
        .route("/v1/products/{style_id}/also-bought", get(also_bought))
        .route("/v1/trending", get(trending))
        .merge(super::profile::routes())
        .merge(super::measurement::routes())
        .merge(super::offline::routes())
        .merge(super::why::routes())
        .merge(super::content::routes())
        .merge(super::taste::routes())
        .merge(super::bundles::routes())
        .merge(super::offers::routes())
        .merge(super::images::routes())
        .merge(super::catalog_admin::routes())
        .with_state(service.clone());
    super::http_cache::negotiated(catch_panics(
        with_api_fallbacks(routes.merge(signal_routes(service.clone()))),
        service,
    ))
}

/// A request that panics answers 503 JSON (the connection is not dropped) and fails the
/// health check for a while (see [`Framewise::record_request_panic`]).
fn catch_panics(routes: Router, service: Arc<Framewise>) -> Router {
    routes.layer(tower_http::catch_panic::CatchPanicLayer::custom(
        move |_panic: Box<dyn std::any::Any + Send>| {
            service.record_request_panic();
            tracing::error!("a request panicked");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the service failed while answering; retry later",
            )
            .into_response()
        },
    ))
}

/// The given routes with the API's JSON 404, 405, 414 and 431 answers.
pub fn with_api_fallbacks(routes: Router) -> Router {
    routes
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(enforce_request_limits))
}

/// Only the profile, lens-advice, measurement and admin catalogue routes (the `profiles-api`
/// function, which the template routes profile, experiment and product writes to), same
/// errors.
pub fn profile_router(service: Arc<Framewise>) -> Router {
    super::http_cache::negotiated(catch_panics(
        with_api_fallbacks(
            super::profile::routes()
                .merge(super::measurement::routes())
                .merge(super::catalog_admin::routes())
                .with_state(service.clone()),
        ),
        service,
    ))
}

/// `GET /v1/products/{style_id}/similar` and `/also-bought`.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct RelatedItems {
    pub(super) style_id: String,
    pub(super) items: Vec<RecommendedItem>,
}

/// `GET /v1/trending`.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct TrendingItems {
    /// The requested category; `null` for all of them.
    #[schema(required = true)]
    pub(super) category: Option<Category>,
    pub(super) items: Vec<RecommendedItem>,
}

/// Readiness: every health check (store, queue, dead letters, model, panicked requests)
/// with the model version, catalogue size and queue depth. 200 while the service can serve
/// (`ok` or `degraded`), 503 when it is `failing`: take it out of rotation.
#[utoipa::path(get, path = "/healthz", tag = "service",
    responses(
        (status = 200, description = "The service can serve (`ok` or `degraded`)", body = HealthReport),
        (status = 401, response = InvalidToken),
        (status = 503, description = "A check is failing", body = HealthReport),
    ))]
pub(super) async fn health(State(service): State<AppState>) -> Response {
    let report = service.health(Utc::now()).await;
    let status = if report.status == HealthStatus::Failing {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    (status, Json(report)).into_response()
}

/// `GET /livez`.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Liveness {
    /// Always `alive`: the process answers.
    status: &'static str,
}

/// Liveness: the process answers. Restart it only when this fails; a failing `/healthz`
/// asks for a person (or a restore), not a restart loop.
#[utoipa::path(get, path = "/livez", tag = "service",
    responses(
        (status = 200, description = "The process answers", body = Liveness),
        (status = 401, response = InvalidToken),
    ))]
pub(super) async fn liveness() -> Json<Liveness> {
    Json(Liveness { status: "alive" })
}

/// A shopper's list: the precomputed one when fresh, otherwise computed now and stored.
///
/// Unknown shoppers get their segment's precomputed list (`segment`: country, device and
/// season) or a `cold_start` list (seeded by `session_id`'s signals right after sign-in),
/// never a 404. Items carry lens advice when the shopper has a prescription.
#[utoipa::path(get, path = "/v1/customers/{customer_id}/recommendations", tag = "recommendations",
    security(("bearerAuth" = [])),
    params(
        ("customer_id" = String, Path, description = "The shopper", pattern = "^[A-Za-z0-9_.:-]{1,128}$"),
        ("limit" = Option<u32>, Query, description = "Items per page (default 12)", minimum = 1, maximum = 100),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
        ("placement" = Option<String>, Query, description = "Where the list is shown (echoed for attribution)", pattern = "^[A-Za-z0-9_.:-]{1,128}$"),
        ("session_id" = Option<String>, Query, description = "The anonymous session before sign-in, to seed an unknown shopper's list", pattern = "^[A-Za-z0-9_.:-]{1,128}$"),
        ("view" = Option<View>, Query, description = "`compact`: per item only ids, name, price, one image, one reason, the size label"),
        ("occasion" = Option<String>, Query, description = "Re-rank for an occasion of the configuration: work, screen, driving, sport, beach, evening, reading by default"),
        ("country" = Option<String>, Query, description = "ISO 3166-1 alpha-2 country (its hemisphere's season); default: the CloudFront-Viewer-Country header, then the session's locale", pattern = "^[A-Za-z]{2}$"),
        ("lat" = Option<f64>, Query, description = "Latitude, with lon: hemisphere, local hour and the weather there (UV lifts sunglasses)", minimum = -90, maximum = 90),
        ("lon" = Option<f64>, Query, description = "Longitude, with lat", minimum = -180, maximum = 180),
        ("hour" = Option<u8>, Query, description = "Local hour of day 0-23 (evening hours lift screen wear)", minimum = 0, maximum = 23),
        ("device" = Option<String>, Query, description = "mobile, tablet, desktop or any: picks the segment list of a shopper without history (docs/context.md, Segments); default: the User-Agent header's class"),
    ),
    responses(
        (status = 200, description = "A page of the list", body = PageView),
        (status = 304, response = NotModified),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ))]
pub(super) async fn recommendations(
    State(service): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    customer_id: Id,
    params: Params,
) -> Result<Response, ApiError> {
    // Items carry lens advice derived from the prescription: owner or service only.
    let customer_id = customer_path(&caller, customer_id, CustomerAccess::Shopping)?;
    let params = query(params)?;
    let view = view(&params)?;
    let query = RecommendationQuery {
        session_id: non_empty(&params, "session_id"),
        ..list_query(&params, &headers)?
    };
    let page = service
        .recommendations(&customer_id, query, Utc::now())
        .await?;
    cached_json(CachePolicy::ShopperList, &view.page(page))
}

/// An anonymous session's list, from that session's signals only.
///
/// Never stored, no profile, no lens advice, no `customer_id`.
#[utoipa::path(get, path = "/v1/sessions/{session_id}/recommendations", tag = "recommendations",
    params(
        ("session_id" = String, Path, description = "The anonymous session", pattern = "^[A-Za-z0-9_.:-]{1,128}$"),
        ("limit" = Option<u32>, Query, description = "Items per page (default 12)", minimum = 1, maximum = 100),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
        ("placement" = Option<String>, Query, description = "Where the list is shown (echoed for attribution)", pattern = "^[A-Za-z0-9_.:-]{1,128}$"),
        ("view" = Option<View>, Query, description = "`compact`: per item only ids, name, price, one image, one reason, the size label"),
        ("occasion" = Option<String>, Query, description = "Re-rank for an occasion of the configuration: work, screen, driving, sport, beach, evening, reading by default"),
        ("country" = Option<String>, Query, description = "ISO 3166-1 alpha-2 country (its hemisphere's season); default: the CloudFront-Viewer-Country header, then the session's locale", pattern = "^[A-Za-z]{2}$"),
        ("lat" = Option<f64>, Query, description = "Latitude, with lon: hemisphere, local hour and the weather there (UV lifts sunglasses)", minimum = -90, maximum = 90),
        ("lon" = Option<f64>, Query, description = "Longitude, with lat", minimum = -180, maximum = 180),
        ("hour" = Option<u8>, Query, description = "Local hour of day 0-23 (evening hours lift screen wear)", minimum = 0, maximum = 23),
        ("device" = Option<String>, Query, description = "mobile, tablet, desktop or any: picks the segment list of a shopper without history (docs/context.md, Segments); default: the User-Agent header's class"),
    ),
    responses(
        (status = 200, description = "A page of the session's list", body = PageView),
        (status = 304, response = NotModified),
        (status = 400, response = BadRequest),
        (status = 401, response = InvalidToken),
        (status = 503, response = Unavailable),
    ))]
pub(super) async fn session_recommendations(
    State(service): State<AppState>,
    headers: HeaderMap,
    session_id: Id,
    params: Params,
) -> Result<Response, ApiError> {
    let session_id = path_id(session_id, "session_id")?;
    let params = query(params)?;
    let view = view(&params)?;
    let page = service
        .session_recommendations(&session_id, list_query(&params, &headers)?, Utc::now())
        .await?;
    cached_json(CachePolicy::ShopperList, &view.page(page))
}

/// A frame style with its colourways, sizes (boxing measurements) and stock.
#[utoipa::path(get, path = "/v1/products/{style_id}", tag = "catalogue",
    params(("style_id" = String, Path, description = "The style", pattern = "^[A-Za-z0-9_.:-]{1,128}$")),
    responses(
        (status = 200, description = "The style", body = Style),
        (status = 304, response = NotModified),
        (status = 400, response = BadRequest),
        (status = 401, response = InvalidToken),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ))]
pub(super) async fn product(
    State(service): State<AppState>,
    style_id: Id,
) -> Result<Response, ApiError> {
    let style_id = path_id(style_id, "style_id")?;
    cached_json(CachePolicy::Catalogue, &service.product(&style_id).await?)
}

/// Frames similar in shape, material, rim, colour, size, price band and brand; with
/// `by=look`, frames whose product images look alike.
#[utoipa::path(get, path = "/v1/products/{style_id}/similar", tag = "catalogue",
    params(
        ("style_id" = String, Path, description = "The style", pattern = "^[A-Za-z0-9_.:-]{1,128}$"),
        ("limit" = Option<u32>, Query, description = "Most items (default 12)", minimum = 1, maximum = 100),
        ("by" = Option<SimilarBy>, Query, description = "`attributes` (default): catalogue attributes; `look`: the visual embeddings of product images (attributes for a style without one)"),
        ("view" = Option<View>, Query, description = "`compact`: per item only ids, name, price, one image, one reason, the size label"),
    ),
    responses(
        (status = 200, description = "Similar frames, most similar first", body = RelatedView),
        (status = 304, response = NotModified),
        (status = 400, response = BadRequest),
        (status = 401, response = InvalidToken),
        (status = 404, response = NotFound),
    ))]
pub(super) async fn similar(
    State(service): State<AppState>,
    style_id: Id,
    params: Params,
) -> Result<Response, ApiError> {
    let style_id = path_id(style_id, "style_id")?;
    let params = query(params)?;
    let view = view(&params)?;
    let items = match similar_by(&params)? {
        SimilarBy::Attributes => service.similar(&style_id, limit(&params)?)?,
        SimilarBy::Look => service.similar_by_look(&style_id, limit(&params)?).await?,
    };
    cached_json(CachePolicy::Catalogue, &view.related(style_id, items))
}

/// Frames the same shoppers engaged with (co-occurrence), falling back to similar frames.
#[utoipa::path(get, path = "/v1/products/{style_id}/also-bought", tag = "catalogue",
    params(
        ("style_id" = String, Path, description = "The style", pattern = "^[A-Za-z0-9_.:-]{1,128}$"),
        ("limit" = Option<u32>, Query, description = "Most items (default 12)", minimum = 1, maximum = 100),
        ("view" = Option<View>, Query, description = "`compact`: per item only ids, name, price, one image, one reason, the size label"),
    ),
    responses(
        (status = 200, description = "Frames bought or engaged with together", body = RelatedView),
        (status = 304, response = NotModified),
        (status = 400, response = BadRequest),
        (status = 401, response = InvalidToken),
        (status = 404, response = NotFound),
    ))]
pub(super) async fn also_bought(
    State(service): State<AppState>,
    style_id: Id,
    params: Params,
) -> Result<Response, ApiError> {
    let style_id = path_id(style_id, "style_id")?;
    let params = query(params)?;
    let view = view(&params)?;
    let items = service.also_bought(&style_id, limit(&params)?)?;
    cached_json(CachePolicy::Catalogue, &view.related(style_id, items))
}

/// What is gaining interest now (time-decayed), optionally in one category.
#[utoipa::path(get, path = "/v1/trending", tag = "catalogue",
    params(
        ("limit" = Option<u32>, Query, description = "Most items (default 12)", minimum = 1, maximum = 100),
        ("category" = Option<Category>, Query, description = "Only this category"),
        ("view" = Option<View>, Query, description = "`compact`: per item only ids, name, price, one image, one reason, the size label"),
    ),
    responses(
        (status = 200, description = "Trending frames, most trending first", body = TrendingView),
        (status = 304, response = NotModified),
        (status = 400, response = BadRequest),
        (status = 401, response = InvalidToken),
    ))]
pub(super) async fn trending(
    State(service): State<AppState>,
    params: Params,
) -> Result<Response, ApiError> {
    let params = query(params)?;
    let category = match params.get("category").filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(
            serde_json::from_value::<Category>(serde_json::Value::String(c.clone())).map_err(
                |_| ApiError::invalid("category", "must be one of optical, sun, sport, kids"),
            )?,
        ),
    };
    let view = view(&params)?;
    let items = service.trending(category, limit(&params)?, Utc::now())?;
    cached_json(CachePolicy::Catalogue, &view.trending(category, items))
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "method not allowed on this route",
    )
}

pub(super) fn path_id(path: Id, field: &str) -> Result<String, ApiError> {
    path.map(|Path(id)| id)
        .map_err(|_| ApiError::invalid(field, "not a valid identifier"))
}

pub(super) fn query(params: Params) -> Result<HashMap<String, String>, ApiError> {
    params
        .map(|Query(p)| p)
        .map_err(|_| ApiError::invalid("query", "malformed query string"))
}

/// Paging, placement and context of a list request. Empty values count as absent: a client
/// that fills `cursor=` from a `next_cursor` it does not have yet asks for the first page.
fn list_query(
    params: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<RecommendationQuery, ApiError> {
    Ok(RecommendationQuery {
        limit: limit(params)?,
        cursor: non_empty(params, "cursor"),
        placement: non_empty(params, "placement"),
        session_id: None,
        context: super::context_params::context(params, headers)?,
        device: super::context_params::device(params, headers)?,
    })
}

fn non_empty(params: &HashMap<String, String>, name: &str) -> Option<String> {
    params.get(name).filter(|v| !v.is_empty()).cloned()
}

pub(super) fn limit(params: &HashMap<String, String>) -> Result<Option<usize>, ApiError> {
    params
        .get("limit")
        .map(|l| {
            l.parse::<usize>()
                .map_err(|_| ApiError::invalid("limit", "must be an integer between 1 and 100"))
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;
    use crate::adapters::memory_stores;
    use crate::service::ServiceConfig;

    #[tokio::test]
    async fn when_handler_panics_should_answer_503_json_and_fail_health() {
        let service = Arc::new(
            Framewise::open(memory_stores(), ServiceConfig::default())
                .await
                .expect("service"),
        );
        let panicking = Router::new().route(
            "/boom",
            get(|| async {
                if Utc::now().timestamp() > 0 {
                    panic!("storage layer blew up");
                }
                "unreachable"
            }),
        );
        let app = catch_panics(panicking, service.clone());
        let response = app
            .oneshot(Request::get("/boom").body(Body::empty()).expect("request"))
            .await
            .expect("an answer, not a dropped connection");
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let report = service.health(Utc::now()).await;
        assert_eq!(report.status, HealthStatus::Failing);
        assert!(report
            .checks
            .iter()
            .any(|c| c.name == "requests" && c.status == HealthStatus::Failing));
        let later = service
            .health(Utc::now() + chrono::Duration::minutes(10))
            .await;
        assert_eq!(later.status, HealthStatus::Ok, "{later:?}");
    }
}

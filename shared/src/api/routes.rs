//! Routes and handlers. Handlers only parse the request, call the service and shape the
//! response; every failure becomes an `ApiError`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde_json::json;

use super::error::ApiError;
use super::json_body::require_json;
use super::signal_batch::{parse_signal_batch, MAX_SIGNAL_BODY_BYTES};
use crate::domain::Category;
use crate::service::{Framewise, RecommendationQuery};

type AppState = Arc<Framewise>;
type Params = Result<Query<HashMap<String, String>>, QueryRejection>;
type Id = Result<Path<String>, PathRejection>;

/// The whole HTTP API over one service instance.
pub fn router(service: Arc<Framewise>) -> Router {
    Router::new()
        .route("/healthz", get(health))
        .route(
            "/v1/customers/{customer_id}/recommendations",
            get(recommendations),
        )
        .route("/v1/products/{style_id}", get(product))
        .route("/v1/products/{style_id}/similar", get(similar))
        .route("/v1/products/{style_id}/also-bought", get(also_bought))
        .route("/v1/trending", get(trending))
        .route("/v1/signals", post(signals))
        .merge(super::profile::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(service)
}

/// Only the profile and lens-advice routes (the `profiles-api` function), same errors.
pub fn profile_router(service: Arc<Framewise>) -> Router {
    super::profile::routes()
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(service)
}

async fn health(State(service): State<AppState>) -> Result<Response, ApiError> {
    let engine = service.engine();
    let queue_depth = service
        .stores()
        .queue
        .depth()
        .await
        .map_err(crate::error::ServiceError::from)?;
    Ok(Json(json!({
        "status": "ok",
        "model_version": engine.model_version(),
        "styles": engine.styles().count(),
        "queue_depth": queue_depth,
    }))
    .into_response())
}

async fn recommendations(
    State(service): State<AppState>,
    customer_id: Id,
    params: Params,
) -> Result<Response, ApiError> {
    let customer_id = path_id(customer_id, "customer_id")?;
    let params = query(params)?;
    let query = RecommendationQuery {
        limit: limit(&params)?,
        cursor: params.get("cursor").cloned(),
        placement: params.get("placement").cloned().filter(|p| !p.is_empty()),
        session_id: params.get("session_id").cloned().filter(|s| !s.is_empty()),
    };
    let page = service
        .recommendations(&customer_id, query, Utc::now())
        .await?;
    Ok(Json(page).into_response())
}

async fn product(State(service): State<AppState>, style_id: Id) -> Result<Response, ApiError> {
    let style_id = path_id(style_id, "style_id")?;
    Ok(Json(service.product(&style_id).await?).into_response())
}

async fn similar(
    State(service): State<AppState>,
    style_id: Id,
    params: Params,
) -> Result<Response, ApiError> {
    let style_id = path_id(style_id, "style_id")?;
    let items = service.similar(&style_id, limit(&query(params)?)?)?;
    Ok(Json(json!({ "style_id": style_id, "items": items })).into_response())
}

async fn also_bought(
    State(service): State<AppState>,
    style_id: Id,
    params: Params,
) -> Result<Response, ApiError> {
    let style_id = path_id(style_id, "style_id")?;
    let items = service.also_bought(&style_id, limit(&query(params)?)?)?;
    Ok(Json(json!({ "style_id": style_id, "items": items })).into_response())
}

async fn trending(State(service): State<AppState>, params: Params) -> Result<Response, ApiError> {
    let params = query(params)?;
    let category = match params.get("category").filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(
            serde_json::from_value::<Category>(serde_json::Value::String(c.clone())).map_err(
                |_| ApiError::invalid("category", "must be one of optical, sun, sport, kids"),
            )?,
        ),
    };
    let items = service.trending(category, limit(&params)?, Utc::now())?;
    Ok(Json(json!({ "category": category, "items": items })).into_response())
}

async fn signals(
    State(service): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    require_json(&headers)?;
    let bytes = axum::body::to_bytes(body, MAX_SIGNAL_BODY_BYTES)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("a request may carry at most {MAX_SIGNAL_BODY_BYTES} bytes"),
            )
        })?;
    let signals = parse_signal_batch(&bytes, Utc::now())?;
    let outcome = service.accept_signals(&signals).await?;
    Ok((StatusCode::ACCEPTED, Json(outcome)).into_response())
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

fn path_id(path: Id, field: &str) -> Result<String, ApiError> {
    path.map(|Path(id)| id)
        .map_err(|_| ApiError::invalid(field, "not a valid identifier"))
}

fn query(params: Params) -> Result<HashMap<String, String>, ApiError> {
    params
        .map(|Query(p)| p)
        .map_err(|_| ApiError::invalid("query", "malformed query string"))
}

fn limit(params: &HashMap<String, String>) -> Result<Option<usize>, ApiError> {
    params
        .get("limit")
        .map(|l| {
            l.parse::<usize>()
                .map_err(|_| ApiError::invalid("limit", "must be an integer between 1 and 100"))
        })
        .transpose()
}

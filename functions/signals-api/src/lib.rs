//! `signals-api`: `POST /v1/signals` on Lambda. Validates the batch with the shared parser and
//! queues it to SQS; answers 202 only once SQS accepted every message.
//!
//! It needs nothing but `sqs:SendMessage`: no catalogue, no DynamoDB, no model, so it does
//! not open the whole service.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::Utc;
use framewise::api::{parse_signal_batch, require_json, ApiError};
use framewise::error::ServiceError;
use framewise::ports::SignalQueue;

/// The one route of this function, over any queue (SQS in production, memory in tests).
pub fn app(queue: Arc<dyn SignalQueue>) -> Router {
    Router::new()
        .route("/v1/signals", post(accept))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(queue)
}

/// Parses, validates and queues the batch whole; any failure leaves nothing queued.
pub async fn accept(
    State(queue): State<Arc<dyn SignalQueue>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_json(&headers)?;
    let signals = parse_signal_batch(&body, Utc::now())?;
    let outcome = queue.enqueue(&signals).await.map_err(ServiceError::from)?;
    tracing::info!(
        accepted = outcome.accepted,
        duplicates = outcome.duplicates,
        "signals queued"
    );
    Ok((StatusCode::ACCEPTED, Json(outcome)).into_response())
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route only accepts POST",
    )
}

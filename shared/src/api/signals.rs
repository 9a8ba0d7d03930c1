//! The two signal routes, shared by the local server (queue in the embedded store, worker
//! woken at once) and the `signals-api` function (SQS): `POST /v1/signals` for signed-in
//! shoppers and the shop's backend, `POST /v1/sessions/{id}/signals` for anonymous sessions.

use std::sync::Arc;

use async_trait::async_trait;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::Utc;

use super::error::{
    ApiError, BadRequest, Forbidden, InvalidToken, PayloadTooLarge, Unauthorized, Unavailable,
    UnsupportedMediaType,
};
use super::identity::require_token;
use super::json_body::read_json_body;
use super::signal_batch::{
    authorize_signals, parse_signal_batch, SignalBatch, MAX_SIGNAL_BODY_BYTES,
};
use crate::auth::Caller;
use crate::domain::Signal;
use crate::error::ServiceError;
use crate::ports::{EnqueueOutcome, SignalQueue};
use crate::service::Framewise;

/// Where accepted signals go: whole batch or nothing, then a 202.
#[async_trait]
pub trait SignalSink: Send + Sync {
    async fn accept(&self, signals: &[Signal]) -> Result<EnqueueOutcome, ServiceError>;
}

#[async_trait]
impl SignalSink for Framewise {
    async fn accept(&self, signals: &[Signal]) -> Result<EnqueueOutcome, ServiceError> {
        self.accept_signals(signals).await
    }
}

/// A bare queue (SQS on Lambda): nothing else to wake.
pub struct QueueSink(pub Arc<dyn SignalQueue>);

#[async_trait]
impl SignalSink for QueueSink {
    async fn accept(&self, signals: &[Signal]) -> Result<EnqueueOutcome, ServiceError> {
        Ok(self.0.enqueue(signals).await?)
    }
}

/// Both signal routes over `sink` (no fallback, so they merge into a larger router).
pub fn signal_routes(sink: Arc<dyn SignalSink>) -> Router {
    Router::new()
        .route("/v1/signals", post(signals))
        .route("/v1/sessions/{session_id}/signals", post(session_signals))
        .with_state(sink)
}

type Sink = State<Arc<dyn SignalSink>>;

/// Signals of signed-in shoppers (their own) or of the shop's backend (anyone's).
///
/// The batch is validated as a whole (one bad signal rejects it, every bad field named) and
/// answered 202 once every signal is durably queued; a re-posted `event_id` is counted as a
/// duplicate and not queued again.
#[utoipa::path(post, path = "/v1/signals", tag = "signals",
    security(("bearerAuth" = [])),
    request_body = SignalBatch,
    responses(
        (status = 202, description = "Every signal is queued", body = EnqueueOutcome),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 503, response = Unavailable),
    ))]
pub(super) async fn signals(
    State(sink): Sink,
    caller: Caller,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    // Before reading the body: anonymous clients post to their session's route instead.
    require_token(&caller)?;
    let signals = signal_body(&headers, body).await?;
    authorize_signals(&caller, &signals, None)?;
    accepted(sink.accept(&signals).await?)
}

/// An anonymous session's signals.
///
/// No signal may name a `customer_id` (403) and each `session_id` must be the path's (400),
/// so this route can never write a customer's history.
#[utoipa::path(post, path = "/v1/sessions/{session_id}/signals", tag = "signals",
    params(("session_id" = String, Path, description = "The anonymous session", pattern = "^[A-Za-z0-9_.:-]{1,128}$")),
    request_body = SignalBatch,
    responses(
        (status = 202, description = "Every signal is queued", body = EnqueueOutcome),
        (status = 400, response = BadRequest),
        (status = 401, response = InvalidToken),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 503, response = Unavailable),
    ))]
pub(super) async fn session_signals(
    State(sink): Sink,
    session_id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let Path(session_id) =
        session_id.map_err(|_| ApiError::invalid("session_id", "not a valid identifier"))?;
    let signals = signal_body(&headers, body).await?;
    authorize_signals(&Caller::Anonymous, &signals, Some(&session_id))?;
    accepted(sink.accept(&signals).await?)
}

fn accepted(outcome: EnqueueOutcome) -> Result<Response, ApiError> {
    tracing::info!(
        accepted = outcome.accepted,
        duplicates = outcome.duplicates,
        "signals queued"
    );
    Ok((StatusCode::ACCEPTED, Json(outcome)).into_response())
}

async fn signal_body(headers: &HeaderMap, body: Body) -> Result<Vec<Signal>, ApiError> {
    let bytes = read_json_body(headers, body, MAX_SIGNAL_BODY_BYTES, "a request").await?;
    Ok(parse_signal_batch(&bytes, Utc::now())?)
}

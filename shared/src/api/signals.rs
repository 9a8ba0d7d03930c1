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

use super::error::ApiError;
use super::identity::require_token;
use super::json_body::require_json;
use super::signal_batch::{authorize_signals, parse_signal_batch, MAX_SIGNAL_BODY_BYTES};
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
async fn signals(
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

/// Public: an anonymous session's signals. None may name a customer, and every one must
/// belong to the session of the path, so this route can never write a customer's history.
async fn session_signals(
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
    require_json(headers)?;
    let bytes = axum::body::to_bytes(body, MAX_SIGNAL_BODY_BYTES)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("a request may carry at most {MAX_SIGNAL_BODY_BYTES} bytes"),
            )
        })?;
    Ok(parse_signal_batch(&bytes, Utc::now())?)
}

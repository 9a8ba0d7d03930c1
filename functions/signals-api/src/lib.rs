//! `signals-api`: `POST /v1/signals` on Lambda. Validates the batch with the shared parser and
//! queues it to SQS; answers 202 only once SQS accepted every message.
//!
//! It needs nothing but `sqs:SendMessage`: no catalogue, no DynamoDB, no model, so it does
//! not open the whole service.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::Utc;
use framewise::api::parse_signal_batch;
use framewise::api::ApiError;
use framewise::error::{ServiceError, StoreError};
use framewise::ports::SignalQueue;

/// Typed configuration, read once per cold start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `FRAMEWISE_QUEUE_URL`.
    pub queue_url: String,
    /// `AWS_REGION`.
    pub region: String,
    /// `AWS_ENDPOINT_URL` (moto, local development).
    pub endpoint_url: Option<String>,
}

impl Config {
    pub fn from_env() -> Result<Self, StoreError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Same as [`Config::from_env`] over any lookup, so tests need not touch the process env.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, StoreError> {
        let value = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        Ok(Self {
            queue_url: value("FRAMEWISE_QUEUE_URL").ok_or_else(|| {
                StoreError::Backend(
                    "missing configuration: environment variable FRAMEWISE_QUEUE_URL must be set"
                        .to_string(),
                )
            })?,
            region: value("AWS_REGION")
                .unwrap_or_else(|| framewise::adapters::aws::DEFAULT_REGION.to_string()),
            endpoint_url: value("AWS_ENDPOINT_URL"),
        })
    }

    /// AWS settings for the client builder; table and bucket stay empty on purpose.
    pub fn aws_settings(&self) -> framewise::adapters::aws::AwsSettings {
        framewise::adapters::aws::AwsSettings {
            table: String::new(),
            queue_url: self.queue_url.clone(),
            bucket: String::new(),
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
            kms_key_id: None,
        }
    }
}

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
    body: Bytes,
) -> Result<Response, ApiError> {
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

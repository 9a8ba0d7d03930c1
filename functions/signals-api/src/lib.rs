//! `signals-api`: `POST /v1/signals` (signed-in shoppers and the shop's backend) and
//! `POST /v1/sessions/{id}/signals` (anonymous sessions) on Lambda: the shared signal routes,
//! whose parser and authorization are the local server's, over SQS. A 202 is answered only
//! once SQS accepted every message.
//!
//! It needs nothing but `sqs:SendMessage`: no catalogue, no DynamoDB, no model, so it does
//! not open the whole service.

use std::sync::Arc;

use axum::Router;
use framewise::api::{signal_routes, with_api_fallbacks, QueueSink};
use framewise::auth::AuthConfig;
use framewise::ports::SignalQueue;
use framewise_lambda::gateway_identity;

/// The signal routes over any queue (SQS in production, memory in tests), with the caller
/// named by the gateway's JWT authorizer.
pub fn app(queue: Arc<dyn SignalQueue>, auth: AuthConfig) -> Router {
    gateway_identity(
        with_api_fallbacks(signal_routes(Arc::new(QueueSink(queue)))),
        auth,
    )
}

//! `profiles-api`: `PUT/GET/DELETE /v1/customers/{id}/profile` and
//! `GET /v1/customers/{id}/lens-recommendation` on Lambda, served by the shared profile
//! routes over DynamoDB, with prescriptions sealed by the stack's KMS key. Its own function
//! because it is the only HTTP route that writes profiles and may use the key. Admins also
//! create and stop experiments here (`POST /v1/experiments`, `.../stop`), the other
//! shopper-independent writes an HTTP route makes.

use std::sync::Arc;

use axum::Router;
use framewise::service::Framewise;

/// The shared profile and lens-advice routes, with the caller named by the gateway's JWT
/// authorizer; every other path answers 404.
pub fn app(service: Arc<Framewise>) -> Router {
    let auth = service.config().auth.clone();
    framewise_lambda::gateway_identity(framewise::api::profile_router(service), auth)
}

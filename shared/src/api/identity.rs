//! The caller of a request, as the edge established it, and the one place handlers ask
//! whether it may proceed. Locally [`bearer_auth`] verifies the `Authorization` header; on
//! Lambda the function reads the API Gateway authorizer's claims and inserts the same
//! [`Caller`]. A request that reaches a handler without one is anonymous (fail closed).

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;

use super::error::ApiError;
use super::routes::{path_id, Id};
use crate::auth::{authorize, Action, Caller, CustomerAccess, Denied, TokenVerifier};

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Caller>()
            .cloned()
            .unwrap_or_default())
    }
}

/// `Ok` when `caller` may do `action`; otherwise the 401/403 error, logged with who asked
/// and why (never the token).
pub fn permit(caller: &Caller, action: Action<'_>) -> Result<(), ApiError> {
    authorize(caller, action).map_err(|denied| {
        tracing::info!(caller = %caller.describe(), action = ?action, reason = %denied, "access denied");
        ApiError::from(denied)
    })
}

/// The `{customer_id}` of a customer route, once `caller` may have `access` to that
/// shopper's data: the prologue of every customer handler (400 for a malformed id before
/// 401/403, so a bad path is never reported as a permissions problem).
pub(super) fn customer_path(
    caller: &Caller,
    customer_id: Id,
    access: CustomerAccess,
) -> Result<String, ApiError> {
    let customer_id = path_id(customer_id, "customer_id")?;
    permit(caller, Action::Customer(&customer_id, access))?;
    Ok(customer_id)
}

/// 401 unless the request carries a verified identity (any).
pub fn require_token(caller: &Caller) -> Result<(), ApiError> {
    match caller {
        Caller::Anonymous => Err(ApiError::from(Denied::Unauthenticated)),
        Caller::Authenticated(_) => Ok(()),
    }
}

/// Verifies bearer tokens in front of `router` (the local server). A request without an
/// `Authorization` header goes on as anonymous (public routes still answer); a header that
/// does not verify is refused with 401 at once, so a typo never silently downgrades to
/// anonymous.
pub fn bearer_auth(router: Router, verifier: Arc<TokenVerifier>) -> Router {
    router.layer(middleware::from_fn_with_state(verifier, verify_bearer))
}

async fn verify_bearer(
    State(verifier): State<Arc<TokenVerifier>>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(header) = request.headers().get(AUTHORIZATION) else {
        return next.run(request).await;
    };
    let verified = header
        .to_str()
        .map_err(|_| crate::auth::TokenError::Malformed)
        .and_then(|value| verifier.verify_header(value));
    match verified {
        Ok(principal) => {
            request
                .extensions_mut()
                .insert(Caller::Authenticated(principal));
            next.run(request).await
        }
        Err(e) => {
            tracing::info!(reason = %e, path = %request.uri().path(), "bearer token refused");
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                format!("authorization: {e}"),
            )
            .with_field("authorization")
            .into_response()
        }
    }
}

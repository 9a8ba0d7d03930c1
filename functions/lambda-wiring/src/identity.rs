//! Identity behind API Gateway: the HTTP API's JWT authorizer has verified the token (its
//! issuer and audience are template parameters) and hands the claims to the function. This
//! layer turns them into the shared [`Caller`], so the handlers decide access exactly as the
//! local server does. Public routes have no authorizer: their requests are anonymous, even
//! if they carry a token the gateway did not check.

use std::collections::BTreeSet;

use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use framewise::auth::{AuthConfig, Caller, Principal};
use lambda_http::request::RequestContext;

/// `router` with the gateway's verified claims attached to each request as a [`Caller`].
pub fn gateway_identity(router: Router, auth: AuthConfig) -> Router {
    router.layer(middleware::from_fn_with_state(auth, attach_caller))
}

async fn attach_caller(
    State(auth): State<AuthConfig>,
    mut request: Request,
    next: Next,
) -> Response {
    let caller = caller_from_context(request.extensions().get::<RequestContext>(), &auth);
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// The caller named by an HTTP API (v2) request context; anonymous without JWT claims.
pub fn caller_from_context(context: Option<&RequestContext>, auth: &AuthConfig) -> Caller {
    let Some(RequestContext::ApiGatewayV2(context)) = context else {
        return Caller::Anonymous;
    };
    let Some(jwt) = context.authorizer.as_ref().and_then(|a| a.jwt.as_ref()) else {
        return Caller::Anonymous;
    };
    let claims: serde_json::Map<String, serde_json::Value> = jwt
        .claims
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    let from_claims = Principal::from_claims(&claims, auth);
    // The gateway also lists the scopes it parsed from `scope`/`scp` separately.
    let mut scopes: BTreeSet<String> = from_claims.scopes;
    scopes.extend(jwt.scopes.iter().flatten().cloned());
    Caller::Authenticated(Principal::new(from_claims.customer_id, scopes, auth))
}

//! Who is calling and what they may do. One decision for the local server and for Lambda:
//! the edge turns a verified token into a [`Caller`] (locally [`TokenVerifier`] checks the
//! bearer token; on AWS the API Gateway JWT authorizer has already checked it and the
//! function reads its claims), and every handler asks [`authorize`] before touching data.
//!
//! The rules (object-level authorization):
//!
//! | action                                   | owner | service | admin | anonymous |
//! |------------------------------------------|-------|---------|-------|-----------|
//! | read the list, post signals as a shopper | yes   | yes     | no    | no        |
//! | read/write the profile, lens advice      | yes   | yes     | no    | no        |
//! | read the prescription                    | yes   | no      | no    | no        |
//! | erase or export everything               | yes   | no      | yes   | no        |
//! | catalogue, experiments, reports          | no    | no      | yes   | no        |
//! | session signals and session lists        | yes   | yes     | yes   | yes       |
//!
//! Products, similar, also-bought, trending and health are public and never call this.

mod token;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

pub use token::{DevTokenIssuer, TokenError, TokenVerifier, DEV_AUDIENCE, DEV_ISSUER};

/// How claims map to a caller. Section `[auth]` of the configuration; the same on AWS and
/// locally, so one token means the same thing on both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthConfig {
    /// The claim holding the shopper's customer id (`sub` unless the identity provider
    /// keeps the shop's customer id elsewhere, e.g. `custom:customer_id`).
    pub customer_claim: String,
    /// Scope of the shop's backend: posts signals and reads lists for any shopper.
    pub service_scope: String,
    /// Scope of operators: catalogue, experiments, reports, erasure and export.
    pub admin_scope: String,
    /// Local server only (on AWS the gateway checks these): the required `iss`; empty
    /// accepts the development issuer.
    pub issuer: String,
    /// Local server only: accepted `aud` values; empty accepts the development audience.
    pub audience: Vec<String>,
    /// Local server only: the issuer's JWKS, a file path or an https URL (fetched at start
    /// and refreshed every `jwks_refresh_secs`). Empty: tokens are signed with the
    /// development secret in the data directory (`framewise token` mints them).
    pub jwks: String,
    pub jwks_refresh_secs: u64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            customer_claim: "sub".into(),
            service_scope: "framewise/service".into(),
            admin_scope: "framewise/admin".into(),
            issuer: String::new(),
            audience: Vec::new(),
            jwks: String::new(),
            jwks_refresh_secs: 900,
        }
    }
}

/// An authenticated caller: the customer id its token names (if any) and its scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub customer_id: Option<String>,
    pub scopes: BTreeSet<String>,
    /// Whether the token carries the service scope / the admin scope.
    pub service: bool,
    pub admin: bool,
}

impl Principal {
    /// The caller named by verified claims. Scopes are read from `scope` (space separated:
    /// OAuth 2, Cognito, Auth0), `scp` (Okta, string or array) and `permissions` (Auth0
    /// RBAC), so any OIDC issuer works without configuration.
    pub fn from_claims(
        claims: &serde_json::Map<String, serde_json::Value>,
        config: &AuthConfig,
    ) -> Self {
        let customer_id = claims
            .get(&config.customer_claim)
            .and_then(serde_json::Value::as_str)
            .filter(|id| !id.is_empty())
            .map(str::to_string);
        let mut scopes = BTreeSet::new();
        for key in ["scope", "scp", "permissions"] {
            match claims.get(key) {
                Some(serde_json::Value::String(s)) => {
                    scopes.extend(s.split_whitespace().map(str::to_string))
                }
                Some(serde_json::Value::Array(items)) => scopes.extend(
                    items
                        .iter()
                        .filter_map(serde_json::Value::as_str)
                        .map(str::to_string),
                ),
                _ => {}
            }
        }
        Self::new(customer_id, scopes, config)
    }

    /// A caller with these scopes (the gateway hands scopes over separately from claims).
    pub fn new(customer_id: Option<String>, scopes: BTreeSet<String>, config: &AuthConfig) -> Self {
        Self {
            service: scopes.contains(&config.service_scope),
            admin: scopes.contains(&config.admin_scope),
            customer_id,
            scopes,
        }
    }

    fn owns(&self, customer_id: &str) -> bool {
        self.customer_id.as_deref() == Some(customer_id)
    }
}

/// Who sent a request, as the edge established it. A request that reached a handler with
/// no identity attached is anonymous: the default fails closed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Caller {
    #[default]
    Anonymous,
    Authenticated(Principal),
}

impl Caller {
    /// The subject to name in an access log line (never the token).
    pub fn describe(&self) -> String {
        match self {
            Caller::Anonymous => "anonymous".into(),
            Caller::Authenticated(p) => match (&p.customer_id, p.service, p.admin) {
                (_, _, true) => "admin".into(),
                (_, true, _) => "service".into(),
                (Some(id), _, _) => format!("customer {id}"),
                (None, _, _) => "token without customer id".into(),
            },
        }
    }
}

/// What a request wants to do with one shopper's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerAccess {
    /// The list, signals on their behalf, the profile (prescription redacted), lens advice.
    Shopping,
    /// The prescription itself.
    Prescription,
    /// Erase everything or export everything.
    Privacy,
}

/// Operations on the deployment rather than on a shopper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action<'a> {
    Customer(&'a str, CustomerAccess),
    Admin,
}

/// Why a request is refused: 401 (no valid identity) or 403 (identity lacks the right).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("this route needs a bearer token")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(&'static str),
}

/// The one authorization decision (see the module table).
pub fn authorize(caller: &Caller, action: Action<'_>) -> Result<(), Denied> {
    let Caller::Authenticated(p) = caller else {
        return Err(Denied::Unauthenticated);
    };
    let allowed = match action {
        Action::Customer(id, CustomerAccess::Shopping) => p.owns(id) || p.service,
        Action::Customer(id, CustomerAccess::Prescription) => p.owns(id),
        Action::Customer(id, CustomerAccess::Privacy) => p.owns(id) || p.admin,
        Action::Admin => p.admin,
    };
    if allowed {
        return Ok(());
    }
    Err(Denied::Forbidden(match action {
        Action::Customer(_, CustomerAccess::Prescription) => {
            "a prescription is shown only to its owner"
        }
        Action::Customer(_, CustomerAccess::Privacy) => {
            "only the shopper or an admin may erase or export a shopper's data"
        }
        Action::Customer(..) => "this token may not act for this shopper",
        Action::Admin => "this route needs the admin scope",
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn caller(claims: serde_json::Value) -> Caller {
        let claims = claims.as_object().cloned().unwrap_or_default();
        Caller::Authenticated(Principal::from_claims(&claims, &AuthConfig::default()))
    }

    #[test]
    fn when_shopper_acts_for_themself_should_allow_everything_but_admin() {
        let me = caller(json!({"sub": "c1"}));
        for access in [
            CustomerAccess::Shopping,
            CustomerAccess::Prescription,
            CustomerAccess::Privacy,
        ] {
            assert_eq!(authorize(&me, Action::Customer("c1", access)), Ok(()));
            assert!(matches!(
                authorize(&me, Action::Customer("c2", access)),
                Err(Denied::Forbidden(_))
            ));
        }
        assert!(authorize(&me, Action::Admin).is_err());
    }

    #[test]
    fn when_service_token_should_shop_for_anyone_but_never_see_prescriptions() {
        let service = caller(json!({"sub": "backend", "scope": "openid framewise/service"}));
        assert_eq!(
            authorize(&service, Action::Customer("c9", CustomerAccess::Shopping)),
            Ok(())
        );
        for access in [CustomerAccess::Prescription, CustomerAccess::Privacy] {
            assert!(authorize(&service, Action::Customer("c9", access)).is_err());
        }
        assert!(authorize(&service, Action::Admin).is_err());
    }

    #[test]
    fn when_admin_token_should_erase_and_export_but_not_read_prescriptions() {
        let admin = caller(json!({"sub": "ops", "scp": ["framewise/admin"]}));
        assert_eq!(authorize(&admin, Action::Admin), Ok(()));
        assert_eq!(
            authorize(&admin, Action::Customer("c9", CustomerAccess::Privacy)),
            Ok(())
        );
        assert!(authorize(&admin, Action::Customer("c9", CustomerAccess::Prescription)).is_err());
        assert!(authorize(&admin, Action::Customer("c9", CustomerAccess::Shopping)).is_err());
    }

    #[test]
    fn when_no_identity_should_answer_unauthenticated() {
        assert_eq!(
            authorize(
                &Caller::Anonymous,
                Action::Customer("c1", CustomerAccess::Shopping)
            ),
            Err(Denied::Unauthenticated)
        );
    }

    #[test]
    fn when_customer_claim_configured_should_read_it_and_scopes_from_any_issuer_shape() {
        let config = AuthConfig {
            customer_claim: "custom:customer_id".into(),
            ..AuthConfig::default()
        };
        let claims = json!({"sub": "uuid-1", "custom:customer_id": "c7",
                            "permissions": ["framewise/admin"], "scp": "a b"});
        let p = Principal::from_claims(claims.as_object().unwrap(), &config);
        assert_eq!(p.customer_id.as_deref(), Some("c7"));
        assert!(p.admin && !p.service);
        assert!(p.scopes.contains("a") && p.scopes.contains("b"));
        // An empty or non-string customer claim names nobody.
        let p = Principal::from_claims(
            json!({"custom:customer_id": 7}).as_object().unwrap(),
            &config,
        );
        assert_eq!(p.customer_id, None);
    }
}

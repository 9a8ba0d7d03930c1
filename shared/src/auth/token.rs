//! Bearer tokens on the local server: verification against the issuer's JWKS (RS/ES/EdDSA,
//! any OIDC provider) or, for development, an HS256 secret, and minting development tokens
//! with that secret. On AWS the API Gateway JWT authorizer verifies instead.

use std::sync::RwLock;

use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{json, Map, Value};

use super::{AuthConfig, Principal};

/// Issuer and audience of development tokens (`framewise token`, `serve --demo`).
pub const DEV_ISSUER: &str = "framewise-local";
pub const DEV_AUDIENCE: &str = "framewise";

/// Why a bearer token was refused (the token itself is never part of the message).
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("the Authorization header must be `Bearer <token>`")]
    Malformed,
    #[error("the token's key id is not among the issuer's keys")]
    UnknownKey,
    #[error("the token is not valid: {0}")]
    Invalid(String),
    #[error("the JWKS could not be used: {0}")]
    Jwks(String),
}

enum Keys {
    /// Development: one shared HS256 secret.
    Secret(Vec<u8>),
    /// The issuer's public keys.
    Jwks(JwkSet),
}

/// Verifies bearer tokens and turns their claims into a [`Principal`].
pub struct TokenVerifier {
    keys: RwLock<Keys>,
    config: AuthConfig,
}

impl TokenVerifier {
    /// Development tokens signed with `secret` (issuer and audience default to the
    /// development ones unless configured).
    pub fn with_secret(secret: Vec<u8>, config: AuthConfig) -> Self {
        Self {
            keys: RwLock::new(Keys::Secret(secret)),
            config,
        }
    }

    /// Tokens of an OIDC issuer, from its JWKS document.
    pub fn with_jwks(jwks_json: &[u8], config: AuthConfig) -> Result<Self, TokenError> {
        Ok(Self {
            keys: RwLock::new(Keys::Jwks(parse_jwks(jwks_json)?)),
            config,
        })
    }

    /// Swaps in a freshly fetched JWKS (key rotation).
    pub fn replace_jwks(&self, jwks_json: &[u8]) -> Result<(), TokenError> {
        let set = parse_jwks(jwks_json)?;
        match self.keys.write() {
            Ok(mut keys) => *keys = Keys::Jwks(set),
            Err(poisoned) => *poisoned.into_inner() = Keys::Jwks(set),
        }
        Ok(())
    }

    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// The caller named by an `Authorization` header value.
    pub fn verify_header(&self, header: &str) -> Result<Principal, TokenError> {
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(TokenError::Malformed)?;
        self.verify(token)
    }

    /// The caller named by a compact JWT.
    pub fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| TokenError::Invalid(e.to_string()))?;
        let (key, algorithm, dev) = {
            let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
            match &*keys {
                Keys::Secret(secret) => (DecodingKey::from_secret(secret), Algorithm::HS256, true),
                Keys::Jwks(set) => {
                    let jwk = match &header.kid {
                        Some(kid) => set.find(kid),
                        // A JWKS of one key may sign without a key id.
                        None if set.keys.len() == 1 => set.keys.first(),
                        None => None,
                    }
                    .ok_or(TokenError::UnknownKey)?;
                    if matches!(
                        header.alg,
                        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
                    ) {
                        // A public key must never be used as an HMAC secret.
                        return Err(TokenError::Invalid("symmetric algorithm".into()));
                    }
                    let key = DecodingKey::from_jwk(jwk)
                        .map_err(|e| TokenError::Invalid(e.to_string()))?;
                    (key, header.alg, false)
                }
            }
        };
        let mut validation = Validation::new(algorithm);
        validation.leeway = 30;
        validation.set_required_spec_claims(&["exp", "iss"]);
        let issuer = match (self.config.issuer.as_str(), dev) {
            ("", true) => DEV_ISSUER,
            (issuer, _) => issuer,
        };
        if issuer.is_empty() {
            return Err(TokenError::Invalid(
                "no issuer configured for JWKS tokens (auth.issuer)".into(),
            ));
        }
        validation.set_issuer(&[issuer]);
        if self.config.audience.is_empty() && dev {
            validation.set_audience(&[DEV_AUDIENCE]);
        } else if self.config.audience.is_empty() {
            // Cognito access tokens carry client_id, not aud: accept none when unconfigured.
            validation.validate_aud = false;
        } else {
            validation.set_audience(&self.config.audience);
        }
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
            .map_err(|e| TokenError::Invalid(e.to_string()))?;
        Ok(Principal::from_claims(&data.claims, &self.config))
    }
}

fn parse_jwks(json: &[u8]) -> Result<JwkSet, TokenError> {
    let set: JwkSet = serde_json::from_slice(json).map_err(|e| TokenError::Jwks(e.to_string()))?;
    if set.keys.is_empty() {
        return Err(TokenError::Jwks("the key set is empty".into()));
    }
    Ok(set)
}

/// Mints development tokens with the local secret (never used on AWS).
pub struct DevTokenIssuer {
    secret: Vec<u8>,
}

impl DevTokenIssuer {
    pub fn new(secret: Vec<u8>) -> Self {
        Self { secret }
    }

    /// A token for `customer_id` (the `sub` claim; `customer_claim` too when configured
    /// differently) with `scopes`, valid for `ttl_secs` from `now`.
    pub fn mint(
        &self,
        customer_id: Option<&str>,
        scopes: &[&str],
        ttl_secs: i64,
        now: DateTime<Utc>,
        config: &AuthConfig,
    ) -> Result<String, TokenError> {
        let mut claims = json!({
            "iss": DEV_ISSUER,
            "aud": DEV_AUDIENCE,
            "iat": now.timestamp(),
            "exp": now.timestamp() + ttl_secs,
            "scope": scopes.join(" "),
        });
        if let (Some(id), Some(map)) = (customer_id, claims.as_object_mut()) {
            map.insert("sub".into(), Value::String(id.into()));
            map.insert(config.customer_claim.clone(), Value::String(id.into()));
        }
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(&self.secret),
        )
        .map_err(|e| TokenError::Invalid(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn mint(customer: Option<&str>, scopes: &[&str], ttl: i64) -> String {
        DevTokenIssuer::new(SECRET.to_vec())
            .mint(customer, scopes, ttl, Utc::now(), &AuthConfig::default())
            .unwrap()
    }

    #[test]
    fn when_dev_token_valid_should_name_the_customer_and_scopes() {
        let verifier = TokenVerifier::with_secret(SECRET.to_vec(), AuthConfig::default());
        let p = verifier
            .verify_header(&format!("Bearer {}", mint(Some("c1"), &[], 60)))
            .unwrap();
        assert_eq!(p.customer_id.as_deref(), Some("c1"));
        let p = verifier
            .verify(&mint(None, &["framewise/service"], 60))
            .unwrap();
        assert!(p.service && !p.admin && p.customer_id.is_none());
    }

    #[test]
    fn when_token_expired_forged_or_malformed_should_refuse() {
        let verifier = TokenVerifier::with_secret(SECRET.to_vec(), AuthConfig::default());
        assert!(
            verifier.verify(&mint(Some("c1"), &[], -120)).is_err(),
            "expired"
        );
        let forged = DevTokenIssuer::new(b"another secret of thirty-two b!!".to_vec())
            .mint(Some("c1"), &[], 60, Utc::now(), &AuthConfig::default())
            .unwrap();
        assert!(verifier.verify(&forged).is_err(), "wrong key");
        assert!(matches!(
            verifier.verify_header("Basic abc"),
            Err(TokenError::Malformed)
        ));
        assert!(verifier.verify("not.a.jwt").is_err());
        // alg=none must never pass.
        let none = format!(
            "{}.{}.",
            base64_url(r#"{"alg":"none","typ":"JWT"}"#),
            base64_url(
                r#"{"sub":"c1","iss":"framewise-local","aud":"framewise","exp":9999999999}"#
            )
        );
        assert!(verifier.verify(&none).is_err(), "alg none");
    }

    #[test]
    fn when_issuer_or_audience_configured_should_require_them() {
        let config = AuthConfig {
            issuer: "https://idp.example".into(),
            ..AuthConfig::default()
        };
        let verifier = TokenVerifier::with_secret(SECRET.to_vec(), config);
        // Development tokens carry the development issuer.
        assert!(verifier.verify(&mint(Some("c1"), &[], 60)).is_err());
    }

    #[test]
    fn when_jwks_has_no_keys_or_token_kid_unknown_should_refuse() {
        assert!(TokenVerifier::with_jwks(br#"{"keys":[]}"#, AuthConfig::default()).is_err());
        let jwks = br#"{"keys":[{"kty":"oct","kid":"k1","k":"c2VjcmV0","alg":"HS256"},
                                {"kty":"oct","kid":"k2","k":"c2VjcmV0","alg":"HS256"}]}"#;
        let verifier = TokenVerifier::with_jwks(
            jwks,
            AuthConfig {
                issuer: DEV_ISSUER.into(),
                ..AuthConfig::default()
            },
        )
        .unwrap();
        // A development (HS256, no kid) token against a JWKS: refused, never treated as a secret.
        assert!(verifier.verify(&mint(Some("c1"), &[], 60)).is_err());
    }

    /// A test issuer's RSA key and its JWKS (tests only, generated for this repository).
    const ISSUER_PEM: &[u8] = include_bytes!("../../tests/fixtures/test-issuer-rsa.pem");
    const ISSUER_JWKS: &[u8] = include_bytes!("../../tests/fixtures/test-issuer-jwks.json");

    fn issuer_token(kid: &str, claims: serde_json::Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.into());
        let key = EncodingKey::from_rsa_pem(ISSUER_PEM).unwrap();
        jsonwebtoken::encode(&header, &claims, &key).unwrap()
    }

    #[test]
    fn when_oidc_token_signed_by_jwks_key_should_verify_issuer_and_audience() {
        let config = AuthConfig {
            issuer: "https://idp.example".into(),
            audience: vec!["shop-web".into()],
            ..AuthConfig::default()
        };
        let verifier = TokenVerifier::with_jwks(ISSUER_JWKS, config).unwrap();
        let exp = Utc::now().timestamp() + 60;
        let good =
            json!({"sub": "c5", "iss": "https://idp.example", "aud": "shop-web", "exp": exp});
        let p = verifier
            .verify(&issuer_token("test-issuer-1", good.clone()))
            .unwrap();
        assert_eq!(p.customer_id.as_deref(), Some("c5"));
        assert!(matches!(
            verifier.verify(&issuer_token("rotated-away", good.clone())),
            Err(TokenError::UnknownKey)
        ));
        let mut other_aud = good.clone();
        other_aud["aud"] = json!("another-app");
        assert!(verifier
            .verify(&issuer_token("test-issuer-1", other_aud))
            .is_err());
        let mut other_iss = good;
        other_iss["iss"] = json!("https://evil.example");
        assert!(verifier
            .verify(&issuer_token("test-issuer-1", other_iss))
            .is_err());
    }

    fn base64_url(text: &str) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
    }
}

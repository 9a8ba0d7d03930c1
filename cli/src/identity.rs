//! Identity on the local server: the token verifier of `serve` (the issuer's JWKS from a
//! file or URL, re-read periodically, or the development secret in the data directory),
//! development tokens for `framewise token` and `serve --demo`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use framewise::auth::{AuthConfig, DevTokenIssuer, TokenVerifier};
use framewise::sealing::read_or_create_secret;
use serde_json::json;

use crate::CliResult;

/// Lifetime of development tokens (`framewise token` default, `serve --demo`).
pub const DEV_TOKEN_HOURS: i64 = 24 * 30;

#[derive(clap::Args)]
pub struct TokenArgs {
    /// The shopper the token acts for (its `sub` claim).
    #[arg(long)]
    customer: Option<String>,
    /// Scopes, e.g. `framewise/service` for the shop's backend, `framewise/admin`.
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// Hours until the token expires.
    #[arg(long, default_value_t = DEV_TOKEN_HOURS)]
    ttl_hours: i64,
    #[arg(long, env = "FRAMEWISE_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
}

fn dev_secret_path(data_dir: &Path) -> PathBuf {
    data_dir.join("keys").join("dev-token.secret")
}

fn dev_issuer(data_dir: &Path) -> Result<DevTokenIssuer, Box<dyn std::error::Error>> {
    Ok(DevTokenIssuer::new(read_or_create_secret(
        &dev_secret_path(data_dir),
    )?))
}

/// `framewise token`: prints a development token signed with the data directory's secret.
pub fn print_token(args: TokenArgs, config: &AuthConfig) -> CliResult {
    if !config.jwks.is_empty() {
        return Err(
            "auth.jwks is configured: tokens come from your identity provider, \
                    not from `framewise token`"
                .into(),
        );
    }
    if args.customer.is_none() && args.scopes.is_empty() {
        return Err("give --customer ID, --scope SCOPE, or both".into());
    }
    let scopes: Vec<&str> = args.scopes.iter().map(String::as_str).collect();
    let token = dev_issuer(&args.data_dir)?.mint(
        args.customer.as_deref(),
        &scopes,
        args.ttl_hours * 3600,
        Utc::now(),
        config,
    )?;
    println!("{token}");
    Ok(())
}

/// The verifier `serve` puts in front of the router.
pub async fn verifier(
    config: &AuthConfig,
    data_dir: &Path,
) -> Result<Arc<TokenVerifier>, Box<dyn std::error::Error>> {
    if config.jwks.is_empty() {
        tracing::warn!(
            secret = %dev_secret_path(data_dir).display(),
            "verifying development tokens (set auth.jwks and auth.issuer for a real identity provider)"
        );
        let secret = read_or_create_secret(&dev_secret_path(data_dir))?;
        return Ok(Arc::new(TokenVerifier::with_secret(secret, config.clone())));
    }
    if config.issuer.is_empty() {
        return Err("auth.jwks is set, so auth.issuer must name the token issuer".into());
    }
    let jwks = fetch_jwks(&config.jwks).await?;
    let verifier = Arc::new(TokenVerifier::with_jwks(&jwks, config.clone())?);
    tokio::spawn(refresh_jwks(
        verifier.clone(),
        config.jwks.clone(),
        Duration::from_secs(config.jwks_refresh_secs),
    ));
    Ok(verifier)
}

async fn fetch_jwks(source: &str) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    if source.starts_with("https://") || source.starts_with("http://") {
        let response = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()?
            .get(source)
            .send()
            .await?
            .error_for_status()?;
        Ok(response.bytes().await?.to_vec())
    } else {
        Ok(tokio::fs::read(source)
            .await
            .map_err(|e| format!("auth.jwks {source}: {e}"))?)
    }
}

/// Re-reads the JWKS so rotated keys are picked up; a failed fetch keeps the last keys.
async fn refresh_jwks(verifier: Arc<TokenVerifier>, source: String, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let fetched = fetch_jwks(&source).await;
        match fetched.map(|jwks| verifier.replace_jwks(&jwks).map_err(|e| e.to_string())) {
            Ok(Ok(())) => tracing::debug!(%source, "JWKS refreshed"),
            Ok(Err(e)) => {
                tracing::warn!(%source, error = %e, "JWKS refresh unusable; keeping the last keys")
            }
            Err(e) => {
                tracing::warn!(%source, error = %e, "JWKS refresh failed; keeping the last keys")
            }
        }
    }
}

/// `serve --demo` with the development secret: tokens for a demo shopper, the shop's
/// backend and an operator, printed and written to `<data_dir>/dev-tokens.json`.
pub fn write_demo_tokens(
    data_dir: &Path,
    config: &AuthConfig,
    shopper: &str,
) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let issuer = dev_issuer(data_dir)?;
    let ttl = DEV_TOKEN_HOURS * 3600;
    let now = Utc::now();
    let shopper_token = issuer.mint(Some(shopper), &[], ttl, now, config)?;
    let service_token = issuer.mint(None, &[config.service_scope.as_str()], ttl, now, config)?;
    let admin_token = issuer.mint(None, &[config.admin_scope.as_str()], ttl, now, config)?;
    let tokens = json!({
        "shopper": { "customer_id": shopper, "token": shopper_token },
        "service": { "scope": config.service_scope, "token": service_token },
        "admin": { "scope": config.admin_scope, "token": admin_token },
    });
    let path = data_dir.join("dev-tokens.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&tokens)?)?;
    // Bearer tokens: as private as the key that signs them.
    framewise::adapters::embedded::make_private(&path)?;
    println!("demo shopper {shopper}:  export FRAMEWISE_TOKEN={shopper_token}");
    println!("shop backend (service): export FRAMEWISE_SERVICE_TOKEN={service_token}");
    println!("operator (admin):       export FRAMEWISE_ADMIN_TOKEN={admin_token}");
    println!("(also in {})", path.display());
    Ok(path)
}

/// Development tokens for the demo storefront's shopper switcher (`GET /demo/shoppers`):
/// one per `(customer_id, name)`, and an operator's. Minted once at start with the data
/// directory's development secret; only `serve --demo` without `auth.jwks` asks for them.
pub fn demo_shoppers(
    data_dir: &Path,
    config: &AuthConfig,
    shoppers: &[(String, String)],
) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let issuer = dev_issuer(data_dir)?;
    let ttl = DEV_TOKEN_HOURS * 3600;
    let now = Utc::now();
    let shoppers = shoppers
        .iter()
        .map(|(customer_id, name)| {
            let token = issuer.mint(Some(customer_id), &[], ttl, now, config)?;
            Ok(json!({ "customer_id": customer_id, "name": name, "token": token }))
        })
        .collect::<Result<Vec<_>, Box<dyn std::error::Error>>>()?;
    let admin_token = issuer.mint(None, &[config.admin_scope.as_str()], ttl, now, config)?;
    Ok(json!({ "shoppers": shoppers, "admin_token": admin_token }))
}

//! Live price sources (`[pricing]`): a JSON file the shop's pricing system writes, or its
//! HTTP endpoint. Both answer the same document: an object of style id to price in cents
//! (`{"st-0001": 12900}`), or a list of `{"style_id", "price_cents"}` objects. Caching, the
//! timeout's fallback and the TTL are the service's (`service/live_prices.rs`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;

use crate::domain::PRICE_CENTS;
use crate::error::{StoreError, StoreResult};
use crate::ports::{PriceSource, PriceSourceKind};

/// The configured source; `None` for `source = "none"`. `timeout` bounds each HTTP call.
pub fn from_config(
    kind: PriceSourceKind,
    url: &str,
    path: &str,
    timeout: Duration,
) -> StoreResult<Option<Arc<dyn PriceSource>>> {
    match kind {
        PriceSourceKind::None => Ok(None),
        PriceSourceKind::File => Ok(Some(Arc::new(FilePrices::new(path)))),
        PriceSourceKind::Http => http_source(url, timeout),
    }
}

#[cfg(feature = "weather")]
fn http_source(url: &str, timeout: Duration) -> StoreResult<Option<Arc<dyn PriceSource>>> {
    Ok(Some(Arc::new(HttpPrices::new(url, timeout)?)))
}

#[cfg(not(feature = "weather"))]
fn http_source(_url: &str, _timeout: Duration) -> StoreResult<Option<Arc<dyn PriceSource>>> {
    Err(StoreError::Backend(
        "pricing.source = \"http\" needs a build with the HTTP client (feature `weather`)"
            .to_string(),
    ))
}

#[derive(Deserialize)]
#[serde(untagged)]
enum PriceDocument {
    ByStyle(HashMap<String, u32>),
    Listed(Vec<ListedPrice>),
}

#[derive(Deserialize)]
struct ListedPrice {
    style_id: String,
    price_cents: u32,
}

/// Prices of a source's document, only those of `wanted` and within the catalogue's price
/// bounds (a zero or absurd price from the pricing system is ignored, not served).
pub fn parse_prices(bytes: &[u8], wanted: &[String]) -> StoreResult<HashMap<String, u32>> {
    let document: PriceDocument = serde_json::from_slice(bytes).map_err(|e| {
        StoreError::Corrupt(format!(
            "price document: {e} (expected {{\"style_id\": cents}} or [{{\"style_id\", \"price_cents\"}}])"
        ))
    })?;
    let all: HashMap<String, u32> = match document {
        PriceDocument::ByStyle(map) => map,
        PriceDocument::Listed(list) => list
            .into_iter()
            .map(|p| (p.style_id, p.price_cents))
            .collect(),
    };
    Ok(wanted
        .iter()
        .filter_map(|id| {
            let price = *all.get(id)?;
            PRICE_CENTS.contains(&price).then(|| (id.clone(), price))
        })
        .collect())
}

/// A JSON file of prices, read whole on every call (the service calls once per TTL).
pub struct FilePrices {
    path: PathBuf,
}

impl FilePrices {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }
}

#[async_trait]
impl PriceSource for FilePrices {
    async fn prices(&self, style_ids: &[String]) -> StoreResult<HashMap<String, u32>> {
        let bytes = tokio::fs::read(&self.path)
            .await
            .map_err(|e| StoreError::Backend(format!("{}: {e}", self.path.display())))?;
        parse_prices(&bytes, style_ids)
    }
}

/// The pricing system's endpoint: `GET {url}?style_ids=a,b,c`, answering a price document.
#[cfg(feature = "weather")]
pub struct HttpPrices {
    client: reqwest::Client,
    url: String,
}

#[cfg(feature = "weather")]
impl HttpPrices {
    /// `timeout` bounds every call (connect and answer).
    pub fn new(url: &str, timeout: Duration) -> StoreResult<Self> {
        // reqwest's rustls is built without a bundled provider (see `adapters::weather`).
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| StoreError::Backend(format!("price client: {e}")))?;
        Ok(Self {
            client,
            url: url.to_string(),
        })
    }
}

#[cfg(feature = "weather")]
#[async_trait]
impl PriceSource for HttpPrices {
    async fn prices(&self, style_ids: &[String]) -> StoreResult<HashMap<String, u32>> {
        let unreachable = |e: reqwest::Error| StoreError::Backend(format!("{}: {e}", self.url));
        let response = self
            .client
            .get(&self.url)
            .query(&[("style_ids", style_ids.join(","))])
            .send()
            .await
            .map_err(unreachable)?
            .error_for_status()
            .map_err(unreachable)?;
        let bytes = response.bytes().await.map_err(unreachable)?;
        parse_prices(&bytes, style_ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn when_a_document_has_either_shape_should_keep_the_wanted_valid_prices() {
        let by_style = parse_prices(br#"{"a": 100, "b": 0, "c": 300}"#, &ids(&["a", "b", "x"]))
            .expect("object");
        assert_eq!(by_style, HashMap::from([("a".to_string(), 100)]));
        let listed = parse_prices(
            br#"[{"style_id": "a", "price_cents": 150}, {"style_id": "c", "price_cents": 300}]"#,
            &ids(&["a", "c"]),
        )
        .expect("list");
        assert_eq!(listed.len(), 2);
        assert!(parse_prices(b"<html>", &ids(&["a"])).is_err());
    }

    #[tokio::test]
    async fn when_the_file_is_missing_should_fail_and_when_present_should_read_it() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("prices.json");
        let source = FilePrices::new(&path);
        assert!(source.prices(&ids(&["a"])).await.is_err());
        std::fs::write(&path, br#"{"a": 4200}"#).expect("write");
        let prices = source.prices(&ids(&["a", "b"])).await.expect("read");
        assert_eq!(prices, HashMap::from([("a".to_string(), 4200)]));
    }
}

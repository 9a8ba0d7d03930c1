//! Live prices from the shop's dynamic pricing system (`[pricing]`: a JSON file or an HTTP
//! endpoint, see `adapters::prices`): the items of every served recommendation page carry
//! the price the source gave at most `ttl_seconds` ago. A stored list keeps no prices (they
//! are joined from the catalogue when the page is read), so repricing at read time covers
//! stored and computed lists alike. A source that fails or is slow never fails a request:
//! the page keeps the catalogue's prices and the source is not asked again for one TTL.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::config::ConfigError;
use super::lists::RecommendationQuery;
use super::Framewise;
use crate::domain::{RecommendationPage, RecommendedItem};
use crate::error::ServiceError;
use crate::ports::{PriceSource, PriceSourceKind};

/// The `[pricing]` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PricingConfig {
    pub source: PriceSourceKind,
    /// The endpoint of `source = "http"`: `GET {url}?style_ids=a,b,c`.
    pub url: String,
    /// The file of `source = "file"`.
    pub path: String,
    /// 60 s: a served price is at most this old; a failed source is not asked again for as long.
    pub ttl_seconds: u64,
    /// 200 ms: a slower answer is dropped and the page keeps the catalogue's prices.
    pub timeout_ms: u64,
}

impl Default for PricingConfig {
    fn default() -> Self {
        Self {
            source: PriceSourceKind::None,
            url: String::new(),
            path: String::new(),
            ttl_seconds: 60,
            timeout_ms: 200,
        }
    }
}

impl PricingConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, message: &str| {
            Err(ConfigError::Invalid {
                key: format!("pricing.{key}"),
                message: message.to_string(),
            })
        };
        match self.source {
            PriceSourceKind::File if self.path.trim().is_empty() => {
                return invalid("path", "required with source = \"file\"");
            }
            PriceSourceKind::Http if self.url.trim().is_empty() => {
                return invalid("url", "required with source = \"http\"");
            }
            _ => {}
        }
        if !(1..=86_400).contains(&self.ttl_seconds) {
            return invalid("ttl_seconds", "must be between 1 and 86400");
        }
        if !(1..=60_000).contains(&self.timeout_ms) {
            return invalid("timeout_ms", "must be between 1 and 60000");
        }
        Ok(())
    }

    pub fn ttl(&self) -> Duration {
        Duration::from_secs(self.ttl_seconds)
    }
}

/// Prices by style as last read, each with when it was read, and when a failed source may
/// be asked again.
#[derive(Default)]
pub(super) struct LivePrices {
    source: Option<Arc<dyn PriceSource>>,
    cache: Mutex<PriceCache>,
}

#[derive(Default)]
struct PriceCache {
    prices: HashMap<String, (u32, Instant)>,
    retry_after: Option<Instant>,
}

impl LivePrices {
    fn cache(&self) -> MutexGuard<'_, PriceCache> {
        // A panic while holding the lock leaves at worst a stale price, which the TTL ages out.
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Framewise {
    /// Prices recommendation pages through `source` (cached for `pricing.ttl_seconds`).
    pub fn with_prices(mut self, source: Arc<dyn PriceSource>) -> Self {
        self.live_prices.source = Some(source);
        self
    }

    /// A page of the customer's list (see `lists.rs`), priced by the live source when one
    /// is configured.
    pub async fn recommendations(
        &self,
        customer_id: &str,
        query: RecommendationQuery,
        now: DateTime<Utc>,
    ) -> Result<RecommendationPage, ServiceError> {
        let mut page = self
            .unpriced_recommendations(customer_id, query, now)
            .await?;
        self.reprice(&mut page.items).await;
        Ok(page)
    }

    /// A page for an anonymous session (see `lists.rs`), priced like a customer's.
    pub async fn session_recommendations(
        &self,
        session_id: &str,
        query: RecommendationQuery,
        now: DateTime<Utc>,
    ) -> Result<RecommendationPage, ServiceError> {
        let mut page = self
            .unpriced_recommendations_of_session(session_id, query, now)
            .await?;
        self.reprice(&mut page.items).await;
        Ok(page)
    }

    /// The live prices of `style_ids` the source knows: from the cache while younger than
    /// the TTL, the rest in one call. Empty without a source, and while it is failing.
    pub async fn live_prices(&self, style_ids: &[String]) -> HashMap<String, u32> {
        let Some(source) = &self.live_prices.source else {
            return HashMap::new();
        };
        let ttl = self.config.pricing.ttl();
        let now = Instant::now();
        let mut known = HashMap::with_capacity(style_ids.len());
        let missing: Vec<String> = {
            let cache = self.live_prices.cache();
            let missing = style_ids
                .iter()
                .filter(|id| match cache.prices.get(*id) {
                    Some((price, read)) if now.duration_since(*read) < ttl => {
                        known.insert((*id).clone(), *price);
                        false
                    }
                    _ => true,
                })
                .cloned()
                .collect();
            // A failing source is left alone for a TTL: prices still cached serve meanwhile.
            if cache.retry_after.is_some_and(|t| now < t) {
                return known;
            }
            missing
        };
        if missing.is_empty() {
            return known;
        }
        let answer = tokio::time::timeout(
            Duration::from_millis(self.config.pricing.timeout_ms),
            source.prices(&missing),
        )
        .await;
        let mut cache = self.live_prices.cache();
        match answer {
            Ok(Ok(prices)) => {
                let read = Instant::now();
                for id in &missing {
                    if let Some(price) = prices.get(id) {
                        cache.prices.insert(id.clone(), (*price, read));
                        known.insert(id.clone(), *price);
                    }
                }
            }
            Ok(Err(error)) => {
                tracing::warn!(%error, "live prices unavailable; serving catalogue prices");
                cache.retry_after = Some(now + ttl);
            }
            Err(_) => {
                tracing::warn!(
                    timeout_ms = self.config.pricing.timeout_ms,
                    "live prices timed out; serving catalogue prices"
                );
                cache.retry_after = Some(now + ttl);
            }
        }
        known
    }

    /// Sets each item's price to its live one, where the source gave one.
    pub(super) async fn reprice(&self, items: &mut [RecommendedItem]) {
        if self.live_prices.source.is_none() || items.is_empty() {
            return;
        }
        let ids: Vec<String> = items.iter().map(|i| i.style_id.clone()).collect();
        let prices = self.live_prices(&ids).await;
        for item in items {
            if let Some(price) = prices.get(&item.style_id) {
                item.price_cents = *price;
            }
        }
    }
}

//! Trend feeds and influencer collections for the lists: read through the [`FeedSource`]
//! port (a directory locally, the bucket on AWS), cached for `feeds.refresh_secs`, and
//! handed to the engine with every list computed (real time, precomputed, regenerated) and
//! every "why" answer. A missing or broken feed never fails a request: it is logged and the
//! lists are computed with the feeds read before, or none.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::config::ConfigError;
use super::Framewise;
use crate::domain::Feeds;
use crate::engine::{FeedInput, FeedWeights};
use crate::ports::FeedSource;

/// The `[feeds]` section: how often feeds are read and how much they lift.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FeedsConfig {
    /// 300 s: how long one read of the feeds serves (0 = read for every list).
    pub refresh_secs: u64,
    /// 2000 ms: a read slower than this is dropped (lists keep the feeds read before).
    pub timeout_ms: u64,
    /// 7 days: a trend entry's weight halves every this many days after it was published.
    pub trend_half_life_days: f32,
    /// 0.3: lift of a fresh trend entry of weight 1 (score units, like `engine.weights`).
    pub trend_weight: f32,
    /// 0.3: lift of a pick of a matching collection.
    pub collection_weight: f32,
    /// 0.15: taste match (the shopper's mean affinity with the collection's styles minus
    /// their mean affinity with every style on sale) from which a collection inspires picks.
    pub collection_match_min: f32,
    /// 3: styles of one matching collection lifted for a shopper.
    pub collection_picks: usize,
    /// 2: matching collections used per shopper, best match first.
    pub collections_per_shopper: usize,
}

impl Default for FeedsConfig {
    fn default() -> Self {
        let w = FeedWeights::default();
        Self {
            refresh_secs: 300,
            timeout_ms: 2_000,
            trend_half_life_days: w.trend_half_life_days,
            trend_weight: w.trend_weight,
            collection_weight: w.collection_weight,
            collection_match_min: w.collection_match_min,
            collection_picks: w.collection_picks,
            collections_per_shopper: w.collections_per_shopper,
        }
    }
}

impl FeedsConfig {
    /// The engine's part of the section.
    pub fn weights(&self) -> FeedWeights {
        FeedWeights {
            trend_half_life_days: self.trend_half_life_days,
            trend_weight: self.trend_weight,
            collection_weight: self.collection_weight,
            collection_match_min: self.collection_match_min,
            collection_picks: self.collection_picks,
            collections_per_shopper: self.collections_per_shopper,
        }
    }

    /// Checks the ranges; the first bad key is named.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, message: &str| {
            Err(ConfigError::Invalid {
                key: format!("feeds.{key}"),
                message: message.to_string(),
            })
        };
        if !(1..=60_000).contains(&self.timeout_ms) {
            return invalid("timeout_ms", "must be between 1 and 60000");
        }
        for (key, value, range) in [
            (
                "trend_half_life_days",
                self.trend_half_life_days,
                0.1..=365.0,
            ),
            ("trend_weight", self.trend_weight, 0.0..=2.0),
            ("collection_weight", self.collection_weight, 0.0..=2.0),
            // Above 0, so a collection must suit the shopper more than the range does.
            (
                "collection_match_min",
                self.collection_match_min,
                0.01..=2.0,
            ),
        ] {
            if !(value.is_finite() && range.contains(&value)) {
                let message = format!("must be between {} and {}", range.start(), range.end());
                return invalid(key, &message);
            }
        }
        for (key, value) in [
            ("collection_picks", self.collection_picks),
            ("collections_per_shopper", self.collections_per_shopper),
        ] {
            if value > 20 {
                return invalid(key, "must be between 0 and 20");
            }
        }
        Ok(())
    }
}

/// The feeds as last read, with the weights they lift by.
#[derive(Debug)]
pub(super) struct FeedSnapshot {
    feeds: Feeds,
    weights: FeedWeights,
}

impl FeedSnapshot {
    /// What the engine request carries.
    pub fn input(&self) -> FeedInput<'_> {
        FeedInput {
            feeds: &self.feeds,
            weights: &self.weights,
        }
    }
}

/// The last read and when to read again. `loading` lets one request read while the others
/// wait for it (at most `timeout_ms`) instead of all reading at once.
#[derive(Default)]
pub(super) struct FeedCache {
    current: Mutex<Option<(Instant, Arc<FeedSnapshot>)>>,
    loading: tokio::sync::Mutex<()>,
}

impl FeedCache {
    /// The snapshot while it is fresh.
    fn fresh(&self) -> Option<Arc<FeedSnapshot>> {
        let current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        current
            .as_ref()
            .filter(|(until, _)| *until > Instant::now())
            .map(|(_, snapshot)| snapshot.clone())
    }

    /// The snapshot however old, for when a new read fails.
    fn last(&self) -> Option<Arc<FeedSnapshot>> {
        let current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        current.as_ref().map(|(_, snapshot)| snapshot.clone())
    }

    fn keep(&self, snapshot: Arc<FeedSnapshot>, ttl: Duration) {
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        *current = Some((Instant::now() + ttl, snapshot));
    }
}

impl Framewise {
    /// Reads trend feeds and influencer collections through `source` (cached for
    /// `feeds.refresh_secs`). Without it, lists get no feed lifts.
    pub fn with_feeds(mut self, source: Arc<dyn FeedSource>) -> Self {
        self.feeds = Some(source);
        self
    }

    /// The feeds to compute lists with now: the cached read while fresh, else a new read;
    /// when that fails, the last good read (or none). Never an error.
    pub(super) async fn current_feeds(&self) -> Option<Arc<FeedSnapshot>> {
        let source = self.feeds.as_ref()?;
        if let Some(snapshot) = self.feed_cache.fresh() {
            return Some(snapshot);
        }
        let _loading = self.feed_cache.loading.lock().await;
        // Another request may have read while this one waited.
        if let Some(snapshot) = self.feed_cache.fresh() {
            return Some(snapshot);
        }
        let cfg = &self.config.feeds;
        let ttl = Duration::from_secs(cfg.refresh_secs);
        let read =
            tokio::time::timeout(Duration::from_millis(cfg.timeout_ms), source.feeds()).await;
        let feeds = match read {
            Ok(Ok(feeds)) => feeds,
            Ok(Err(error)) => {
                tracing::warn!(%error, "feeds could not be read; lists keep the last feeds read");
                return self.keep_last(ttl);
            }
            Err(_) => {
                tracing::warn!(timeout_ms = cfg.timeout_ms, "reading feeds timed out");
                return self.keep_last(ttl);
            }
        };
        for skipped in &feeds.skipped {
            tracing::warn!(source = %skipped.source, error = %skipped.error, "feed file skipped");
        }
        tracing::debug!(
            trends = feeds.trends.len(),
            collections = feeds.collections.len(),
            "feeds read"
        );
        let snapshot = Arc::new(FeedSnapshot {
            feeds,
            weights: cfg.weights(),
        });
        self.feed_cache.keep(snapshot.clone(), ttl);
        Some(snapshot)
    }

    /// After a failed read: the last snapshot (or none) serves until the next refresh, so a
    /// broken source is not asked again for every list.
    fn keep_last(&self, ttl: Duration) -> Option<Arc<FeedSnapshot>> {
        let last = self.feed_cache.last().unwrap_or_else(|| {
            Arc::new(FeedSnapshot {
                feeds: Feeds::default(),
                weights: self.config.feeds.weights(),
            })
        });
        self.feed_cache.keep(last.clone(), ttl);
        Some(last)
    }
}

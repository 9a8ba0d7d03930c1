//! `catalog-sync`: loads a catalogue feed dropped in S3 under `feeds/` (JSON Lines, one
//! `Style` per line: the MasterFrameService export) into DynamoDB. Every style is validated
//! before anything is written; styles missing from the feed are deactivated, a model over
//! the new catalogue is published, and stored lists that hold a style which stopped being
//! sellable (deactivated or out of stock) are recomputed. Product pictures beside the feed
//! (`images/<colourway code>.jpg`, `.jpeg` or `.png` under the feed's folder) are analysed:
//! their mismatches with the feed are reported and their looks kept for `similar?by=look`.
//! The same function consumes the catalogue events queue: live stock, price and
//! active-flag deltas ([`deltas`]); [`CatalogEvent`] tells the two invocations apart.

use std::collections::HashSet;
use std::time::Instant;

use async_trait::async_trait;
use aws_lambda_events::event::s3::S3Event;
use aws_lambda_events::event::sqs::SqsEvent;
use chrono::{DateTime, Utc};
use framewise::adapters::aws::S3ArtifactStore;
use framewise::domain::Style;
use framewise::error::{ServiceError, StoreError, StoreResult};
use framewise::import::{
    parse_catalog_jsonl, parse_lens_prices, ImportError, COLOURWAY_IMAGE_EXTENSIONS,
};
use framewise::service::{CatalogImageReport, CatalogSyncReport, ColourwayImages, Framewise};
use framewise_lambda::{ErrorKind, FunctionError};
use serde::Serialize;

/// Key prefix of feed objects (the S3 notification filters on it too).
pub const FEED_PREFIX: &str = "feeds/";
/// Suffix of JSON Lines feeds.
pub const JSONL_SUFFIX: &str = ".jsonl";
/// Trend feeds and influencer collections live under `feeds/` too, but they are read by the
/// lists (`framewise::adapters::aws::S3FeedSource`), never synced as a catalogue.
pub const SOCIAL_FEED_PREFIXES: [&str; 2] = ["feeds/trends/", "feeds/collections/"];
/// Key prefix of lens price feeds (`feeds/lens-prices.jsonl`): JSON Lines of lens price
/// lists, one per currency (`docs/bundles.md`), stored by the same service function as
/// `framewise import lens-prices`. Their outcome has an empty `sync` (no styles changed).
pub const LENS_PRICES_PREFIX: &str = "feeds/lens-prices";
/// Whole seconds kept in reserve before the Lambda deadline to stop list invalidation
/// cleanly (lists left over go to the next regeneration).
pub const SAFETY_SECS: &str = "FRAMEWISE_CATALOG_SYNC_SAFETY_SECS";
/// Default of [`SAFETY_SECS`].
pub const DEFAULT_SAFETY_SECS: u64 = 30;

pub mod deltas;

pub use deltas::handle_deltas;

/// What invoked the function: a feed object created in S3, or a batch of the catalogue
/// events queue. Told apart by the records' `eventSource` (`aws:s3`, `aws:sqs`).
#[derive(Debug)]
pub enum CatalogEvent {
    Feed(S3Event),
    Deltas(SqsEvent),
}

impl CatalogEvent {
    /// Reads an invocation's payload; an event of another source is refused.
    pub fn from_payload(payload: serde_json::Value) -> Result<Self, serde_json::Error> {
        let source = payload
            .pointer("/Records/0/eventSource")
            .and_then(|s| s.as_str())
            .unwrap_or("aws:s3");
        if source == "aws:sqs" {
            serde_json::from_value(payload).map(Self::Deltas)
        } else {
            serde_json::from_value(payload).map(Self::Feed)
        }
    }
}

/// Reads feed objects; S3 in production, a map in tests.
#[async_trait]
pub trait FeedObjects: Send + Sync {
    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>>;
}

#[async_trait]
impl FeedObjects for S3ArtifactStore {
    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        self.get_object(key).await
    }
}

/// What one feed object did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedOutcome {
    pub key: String,
    pub sync: CatalogSyncReport,
    /// Stored lists recomputed because they held a style no longer sellable.
    pub lists_recomputed: usize,
    /// Set when the deadline stopped list invalidation early: lists after this customer are
    /// left to the next regeneration (the API already hides unsellable styles when serving).
    pub invalidation_stopped_after: Option<String>,
    /// What the feed's product pictures showed; None when it has none.
    pub images: Option<CatalogImageReport>,
}

/// Errors of one invocation; returned to Lambda so the failure shows in metrics and logs.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("feed object {0} does not exist")]
    Missing(String),
    #[error(transparent)]
    Feed(#[from] ImportError),
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<SyncError> for FunctionError {
    fn from(error: SyncError) -> Self {
        match error {
            error @ SyncError::Missing(_) => FunctionError::new(ErrorKind::NotFound, error),
            error @ SyncError::Feed(_) => FunctionError::new(ErrorKind::Invalid, error),
            SyncError::Service(error) => error.into(),
            SyncError::Store(error) => error.into(),
        }
    }
}

/// Handles an S3 ObjectCreated event: every JSON Lines object under [`FEED_PREFIX`] is
/// applied in order; other keys are skipped with a log line.
pub async fn handle(
    service: &Framewise,
    objects: &dyn FeedObjects,
    event: S3Event,
    deadline: Instant,
    now: DateTime<Utc>,
) -> Result<Vec<FeedOutcome>, SyncError> {
    let mut outcomes = Vec::new();
    for record in event.records {
        let Some(raw) = record.s3.object.key else {
            continue;
        };
        let key = decode_s3_key(&raw);
        if !key.starts_with(FEED_PREFIX) || !key.ends_with(JSONL_SUFFIX) {
            tracing::warn!(%key, "not a JSON Lines feed under feeds/; skipped");
            continue;
        }
        if SOCIAL_FEED_PREFIXES.iter().any(|p| key.starts_with(p)) {
            tracing::info!(%key, "a trend feed or collection, not a catalogue; skipped");
            continue;
        }
        let bytes = objects
            .get(&key)
            .await?
            .ok_or_else(|| SyncError::Missing(key.clone()))?;
        if key.starts_with(LENS_PRICES_PREFIX) {
            let lists = parse_lens_prices(&key, &bytes)?;
            let currencies = service.import_lens_prices(&lists).await?;
            tracing::info!(%key, ?currencies, "lens prices replaced");
            outcomes.push(FeedOutcome {
                key,
                sync: CatalogSyncReport::default(),
                lists_recomputed: 0,
                invalidation_stopped_after: None,
                images: None,
            });
            continue;
        }
        let styles = parse_catalog_jsonl(&key, &bytes)?;
        let sync = service.sync_catalog(&styles, now).await?;
        let pictures = feed_images(objects, &key, &styles).await?;
        let images = if pictures.is_empty() {
            None
        } else {
            let report = service.import_catalog_images(&styles, &pictures).await?;
            for m in &report.mismatches {
                tracing::warn!(%key, style_id = %m.style_id, colourway = %m.colourway, field = %m.field, declared = %m.declared, extracted = %m.extracted, "picture contradicts the feed");
            }
            for f in &report.failed {
                tracing::warn!(%key, style_id = %f.style_id, colourway = %f.colourway, error = %f.error, "picture not analysed");
            }
            Some(report)
        };
        let unavailable: HashSet<String> = sync.newly_unavailable.iter().cloned().collect();
        let batch = service
            .invalidate_lists(&unavailable, None, usize::MAX, Some(deadline), now)
            .await?;
        if let Some(after) = &batch.next_cursor {
            tracing::warn!(%key, %after, "deadline reached; remaining lists left to the next regeneration");
        }
        outcomes.push(FeedOutcome {
            key,
            sync,
            lists_recomputed: batch.recomputed,
            invalidation_stopped_after: batch.next_cursor,
            images,
        });
    }
    Ok(outcomes)
}

/// The pictures of the feed's colourways: `images/<code>.<extension>` in the feed's folder
/// (the first extension of [`COLOURWAY_IMAGE_EXTENSIONS`] that exists).
pub async fn feed_images(
    objects: &dyn FeedObjects,
    feed_key: &str,
    styles: &[Style],
) -> Result<ColourwayImages, SyncError> {
    let folder = feed_key.rfind('/').map_or("", |at| &feed_key[..=at]);
    let mut images = ColourwayImages::new();
    for code in styles.iter().flat_map(|s| &s.colourways).map(|c| &c.code) {
        if images.contains_key(code) {
            continue;
        }
        for extension in COLOURWAY_IMAGE_EXTENSIONS {
            if let Some(bytes) = objects
                .get(&format!("{folder}images/{code}.{extension}"))
                .await?
            {
                images.insert(code.clone(), bytes);
                break;
            }
        }
    }
    Ok(images)
}

/// Decodes an object key as S3 event notifications encode it (form encoding: `+` is a
/// space, `%XX` a byte). Malformed escapes are kept as they are.
pub fn decode_s3_key(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    /// Feed objects in memory, by key.
    struct Objects(std::collections::HashMap<String, Vec<u8>>);

    #[async_trait]
    impl FeedObjects for Objects {
        async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
            Ok(self.0.get(key).cloned())
        }
    }

    #[tokio::test]
    async fn when_a_feed_has_pictures_beside_it_should_read_each_colourway_once_by_extension_order()
    {
        let line = |id: &str, code: &str| {
            format!(
                r#"{{"id":"{id}","name":"N","brand":"B","category":"optical","shape":"round","rim":"full","material":"acetate","price_cents":100,"launch_date":"2025-01-01","image_url":"u","sizes":[{{"label":"52","lens_width":52,"bridge":18,"temple_length":140,"lens_height":40,"effective_diameter":54,"total_width":132}}],"colourways":[{{"code":"{code}","colour":{{"name":"Black","family":"black","temperature":"neutral","value":"dark","finish":"glossy","pattern":"solid"}},"variants":[{{"sku":"{id}-{code}","size":"52","stock":1}}]}}]}}"#
            )
        };
        let feed = format!(
            "{}\n{}\n{}",
            line("s1", "blk"),
            line("s2", "tor"),
            line("s3", "red")
        );
        let styles = parse_catalog_jsonl("feeds/2026/a.jsonl", feed.as_bytes()).expect("feed");
        let objects = Objects(
            [
                ("feeds/2026/images/blk.jpg", b"jpg".to_vec()),
                ("feeds/2026/images/blk.png", b"png".to_vec()),
                ("feeds/2026/images/tor.png", b"png".to_vec()),
                ("feeds/images/red.jpg", b"elsewhere".to_vec()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        );
        let images = feed_images(&objects, "feeds/2026/a.jsonl", &styles)
            .await
            .expect("read");
        assert_eq!(
            images.get("blk").map(Vec::as_slice),
            Some(&b"jpg"[..]),
            "jpg first"
        );
        assert_eq!(images.get("tor").map(Vec::as_slice), Some(&b"png"[..]));
        assert!(!images.contains_key("red"), "only the feed's own folder");
    }

    #[test]
    fn when_sync_fails_should_tell_lambda_what_kind_of_failure_it_was() {
        let missing = FunctionError::from(SyncError::Missing("feeds/a.jsonl".to_string()));
        assert_eq!(missing.error_type(), "Framewise.NotFound");

        let feed = FunctionError::from(SyncError::Feed(ImportError::Parse {
            path: PathBuf::from("feeds/a.jsonl"),
            line: 2,
            message: "expected value".to_string(),
        }));
        assert_eq!(feed.error_type(), "Framewise.Invalid");
        assert!(feed.to_string().contains("feeds/a.jsonl:2:"), "{feed}");

        let store = FunctionError::from(SyncError::Service(ServiceError::Store(
            StoreError::Backend("BatchWriteItem: throttled".to_string()),
        )));
        assert_eq!(store.error_type(), "Framewise.Store");
    }
}

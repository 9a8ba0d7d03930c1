//! `catalog-sync`: loads a catalogue feed dropped in S3 under `feeds/` (JSON Lines, one
//! `Style` per line: the MasterFrameService export) into DynamoDB. Every style is validated
//! before anything is written; styles missing from the feed are deactivated, a model over
//! the new catalogue is published, and stored lists that hold a style which stopped being
//! sellable (deactivated or out of stock) are recomputed.

use std::collections::HashSet;
use std::time::Instant;

use async_trait::async_trait;
use aws_lambda_events::event::s3::S3Event;
use chrono::{DateTime, Utc};
use framewise::adapters::aws::S3ArtifactStore;
use framewise::error::{ServiceError, StoreError, StoreResult};
use framewise::import::{parse_catalog_jsonl, ImportError};
use framewise::service::{CatalogSyncReport, Framewise};
use framewise_lambda::{ErrorKind, FunctionError};
use serde::Serialize;

/// Key prefix of feed objects (the S3 notification filters on it too).
pub const FEED_PREFIX: &str = "feeds/";
/// Suffix of JSON Lines feeds.
pub const JSONL_SUFFIX: &str = ".jsonl";
/// Whole seconds kept in reserve before the Lambda deadline to stop list invalidation
/// cleanly (lists left over go to the next regeneration).
pub const SAFETY_SECS: &str = "FRAMEWISE_CATALOG_SYNC_SAFETY_SECS";
/// Default of [`SAFETY_SECS`].
pub const DEFAULT_SAFETY_SECS: u64 = 30;

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedOutcome {
    pub key: String,
    pub sync: CatalogSyncReport,
    /// Stored lists recomputed because they held a style no longer sellable.
    pub lists_recomputed: usize,
    /// Set when the deadline stopped list invalidation early: lists after this customer are
    /// left to the next regeneration (the API already hides unsellable styles when serving).
    pub invalidation_stopped_after: Option<String>,
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
        let bytes = objects
            .get(&key)
            .await?
            .ok_or_else(|| SyncError::Missing(key.clone()))?;
        let styles = parse_catalog_jsonl(&key, &bytes)?;
        let sync = service.sync_catalog(&styles, now).await?;
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
        });
    }
    Ok(outcomes)
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

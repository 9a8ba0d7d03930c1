//! [`FeedSource`] over the bucket: every object under `feeds/trends/` (`.json`, `.csv`) and
//! `feeds/collections/` (`.json`), listed and read on every call (the service caches). An
//! object that does not parse, or is too large, is skipped and named.

use async_trait::async_trait;
use aws_sdk_s3::Client;

use super::sdk_error;
use crate::adapters::local_feeds::{COLLECTIONS_DIR, FEEDS_DIR, MAX_FEED_FILE_BYTES, TRENDS_DIR};
use crate::domain::{Feeds, SkippedFeed};
use crate::error::StoreResult;
use crate::ports::FeedSource;

/// Objects read per prefix at most: a feed folder is a handful of files, not an archive.
const MAX_FEED_OBJECTS: usize = 200;

/// The feeds in one bucket.
#[derive(Debug, Clone)]
pub struct S3FeedSource {
    client: Client,
    bucket: String,
}

impl S3FeedSource {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }

    /// The objects under `prefix` by key (S3 lists in key order), read whole; oversized
    /// ones are recorded as skipped.
    async fn objects(
        &self,
        prefix: &str,
        feeds: &mut Feeds,
    ) -> StoreResult<Vec<(String, Vec<u8>)>> {
        let mut keys: Vec<(String, i64)> = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| sdk_error("S3 ListObjectsV2", e))?;
            keys.extend(page.contents().iter().filter_map(|o| {
                let key = o.key()?;
                // Only the folder's own files, not the folder marker or a nested folder.
                let name = key.strip_prefix(prefix)?;
                (!name.is_empty() && !name.contains('/'))
                    .then(|| (key.to_string(), o.size().unwrap_or(0)))
            }));
            match page.next_continuation_token() {
                Some(next) if keys.len() < MAX_FEED_OBJECTS => token = Some(next.to_string()),
                _ => break,
            }
        }
        keys.truncate(MAX_FEED_OBJECTS);
        let mut objects = Vec::with_capacity(keys.len());
        for (key, size) in keys {
            if u64::try_from(size).unwrap_or(u64::MAX) > MAX_FEED_FILE_BYTES {
                feeds.skipped.push(SkippedFeed {
                    source: key,
                    error: format!("larger than {MAX_FEED_FILE_BYTES} bytes"),
                });
                continue;
            }
            let response = self
                .client
                .get_object()
                .bucket(&self.bucket)
                .key(&key)
                .send()
                .await;
            let body = match response {
                Ok(response) => response.body.collect().await.map(|b| b.into_bytes()),
                // Deleted between the listing and the read: no longer published.
                Err(e) if e.as_service_error().is_some_and(|e| e.is_no_such_key()) => continue,
                Err(e) => return Err(sdk_error("S3 GetObject", e)),
            };
            let bytes = body.map_err(|e| sdk_error("S3 GetObject body", e))?;
            objects.push((key, bytes.to_vec()));
        }
        Ok(objects)
    }
}

#[async_trait]
impl FeedSource for S3FeedSource {
    async fn feeds(&self) -> StoreResult<Feeds> {
        let mut feeds = Feeds::default();
        let trends = format!("{FEEDS_DIR}/{TRENDS_DIR}/");
        for (key, bytes) in self.objects(&trends, &mut feeds).await? {
            feeds.add_trend_file(&key, &bytes);
        }
        let collections = format!("{FEEDS_DIR}/{COLLECTIONS_DIR}/");
        for (key, bytes) in self.objects(&collections, &mut feeds).await? {
            feeds.add_collection_file(&key, &bytes);
        }
        Ok(feeds)
    }
}

//! [`FeedSource`] over a directory: `<data-dir>/feeds/trends/*.{json,csv}` and
//! `<data-dir>/feeds/collections/*.json`, read on every call (the service caches). A missing
//! directory is no feed; a file that does not parse is skipped and named.

use std::path::{Path, PathBuf};

use async_trait::async_trait;

use crate::domain::Feeds;
use crate::error::{StoreError, StoreResult};
use crate::ports::FeedSource;

/// Folder of the feeds inside the data directory (and prefix of their S3 keys).
pub const FEEDS_DIR: &str = "feeds";
/// Sub-folders of [`FEEDS_DIR`]: trend feeds, influencer collections.
pub const TRENDS_DIR: &str = "trends";
pub const COLLECTIONS_DIR: &str = "collections";
/// Largest feed file read; a larger one is skipped (a feed is a few kilobytes).
pub const MAX_FEED_FILE_BYTES: u64 = 1 << 20;

/// The feeds under `<data_dir>/feeds/`.
#[derive(Debug, Clone)]
pub struct LocalFeedSource {
    root: PathBuf,
}

impl LocalFeedSource {
    /// Feeds of the data directory `data_dir` (read from `data_dir/feeds/`).
    pub fn new(data_dir: &Path) -> Self {
        Self {
            root: data_dir.join(FEEDS_DIR),
        }
    }
}

#[async_trait]
impl FeedSource for LocalFeedSource {
    async fn feeds(&self) -> StoreResult<Feeds> {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || read_feeds(&root))
            .await
            .map_err(StoreError::backend)?
    }
}

fn read_feeds(root: &Path) -> StoreResult<Feeds> {
    let mut feeds = Feeds::default();
    for (name, bytes) in read_dir(&root.join(TRENDS_DIR), &mut feeds)? {
        feeds.add_trend_file(&name, &bytes);
    }
    for (name, bytes) in read_dir(&root.join(COLLECTIONS_DIR), &mut feeds)? {
        feeds.add_collection_file(&name, &bytes);
    }
    Ok(feeds)
}

/// The files of `dir` by name (sorted, so the feeds come in a stable order); none when the
/// directory does not exist. Unreadable or oversized files are recorded as skipped.
fn read_dir(dir: &Path, feeds: &mut Feeds) -> StoreResult<Vec<(String, Vec<u8>)>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StoreError::Backend(format!("{}: {e}", dir.display()))),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| StoreError::Backend(format!("{}: {e}", dir.display())))?;
        let path = entry.path();
        if !path.is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let read = std::fs::metadata(&path).and_then(|meta| {
            if meta.len() > MAX_FEED_FILE_BYTES {
                Err(std::io::Error::other(format!(
                    "larger than {MAX_FEED_FILE_BYTES} bytes"
                )))
            } else {
                std::fs::read(&path)
            }
        });
        match read {
            Ok(bytes) => files.push((name, bytes)),
            Err(e) => feeds.skipped.push(crate::domain::SkippedFeed {
                source: path.display().to_string(),
                error: e.to_string(),
            }),
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn when_directory_holds_feeds_should_read_trends_and_collections_and_skip_broken() {
        let dir = tempfile::tempdir().unwrap();
        let trends = dir.path().join("feeds/trends");
        let collections = dir.path().join("feeds/collections");
        std::fs::create_dir_all(&trends).unwrap();
        std::fs::create_dir_all(&collections).unwrap();
        std::fs::write(
            trends.join("a.csv"),
            "kind,value,weight,published_at\nshape,round,0.8,2026-11-30T09:00:00Z\n",
        )
        .unwrap();
        std::fs::write(trends.join("b.json"), "{broken").unwrap();
        std::fs::write(
            collections.join("mara.json"),
            r#"{"id":"m","curator":"Mara","title":"Rounds","style_ids":["st-1"],
                "published_at":"2026-11-30T09:00:00Z"}"#,
        )
        .unwrap();
        let feeds = LocalFeedSource::new(dir.path()).feeds().await.unwrap();
        assert_eq!(feeds.trends.len(), 1);
        assert_eq!(feeds.collections.len(), 1);
        assert_eq!(feeds.skipped.len(), 1);
        assert_eq!(feeds.skipped[0].source, "b.json");
    }

    #[tokio::test]
    async fn when_directory_is_missing_should_be_no_feeds() {
        let dir = tempfile::tempdir().unwrap();
        let feeds = LocalFeedSource::new(dir.path()).feeds().await.unwrap();
        assert!(feeds.is_empty() && feeds.skipped.is_empty());
    }
}

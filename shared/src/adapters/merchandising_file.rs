//! [`MerchandisingSource`] over a local file (`<data-dir>/merchandising.toml`, or the path
//! in `merchandising.file`). The version is the file's modification time and length, so an
//! edit is picked up on the next reload without a restart; a missing file means no rules.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use async_trait::async_trait;

use crate::error::{StoreError, StoreResult};
use crate::ports::{MerchandisingDocument, MerchandisingSource};

/// File name of the rules inside the data directory.
pub const MERCHANDISING_FILE: &str = "merchandising.toml";

/// A rules file larger than this is refused: a rule file is a page of TOML, not a catalogue.
pub const MAX_MERCHANDISING_BYTES: u64 = 1024 * 1024;

/// The rules in one local file.
#[derive(Debug, Clone)]
pub struct FileMerchandisingSource {
    path: PathBuf,
}

impl FileMerchandisingSource {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// `configured` when set (relative to the working directory), else
    /// `<data_dir>/merchandising.toml`.
    pub fn for_data_dir(data_dir: &Path, configured: &str) -> Self {
        if configured.trim().is_empty() {
            Self::new(data_dir.join(MERCHANDISING_FILE))
        } else {
            Self::new(configured.trim())
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[async_trait]
impl MerchandisingSource for FileMerchandisingSource {
    async fn read(&self) -> StoreResult<Option<MerchandisingDocument>> {
        let failed =
            |e: std::io::Error| StoreError::Backend(format!("{}: {e}", self.path.display()));
        let metadata = match tokio::fs::metadata(&self.path).await {
            Ok(metadata) => metadata,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(failed(e)),
        };
        if metadata.len() > MAX_MERCHANDISING_BYTES {
            return Err(StoreError::Backend(format!(
                "{}: larger than {MAX_MERCHANDISING_BYTES} bytes",
                self.path.display()
            )));
        }
        let modified = metadata
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let text = match tokio::fs::read_to_string(&self.path).await {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(failed(e)),
        };
        Ok(Some(MerchandisingDocument {
            // Length of the text read, not of the metadata: a write between the two calls
            // then still differs from the last version.
            version: format!("{modified}-{}", text.len()),
            text,
        }))
    }

    fn describe(&self) -> String {
        self.path.display().to_string()
    }
}

/// Rules held in memory (tests, embedding applications that manage rules themselves);
/// [`StaticMerchandisingSource::set`] publishes a new version.
#[derive(Debug, Default)]
pub struct StaticMerchandisingSource {
    current: std::sync::Mutex<Option<MerchandisingDocument>>,
}

impl StaticMerchandisingSource {
    pub fn new(text: &str) -> Self {
        let source = Self::default();
        source.set(text);
        source
    }

    /// Replaces the rules text (a new version).
    pub fn set(&self, text: &str) {
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        let version = current
            .as_ref()
            .and_then(|d| d.version.parse::<u64>().ok())
            .map_or(1, |v| v + 1);
        *current = Some(MerchandisingDocument {
            text: text.to_string(),
            version: version.to_string(),
        });
    }
}

#[async_trait]
impl MerchandisingSource for StaticMerchandisingSource {
    async fn read(&self) -> StoreResult<Option<MerchandisingDocument>> {
        Ok(self
            .current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone())
    }

    fn describe(&self) -> String {
        "in-memory merchandising rules".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn when_file_changes_should_read_a_new_version_and_none_when_missing() {
        let dir = tempfile::tempdir().unwrap();
        let source = FileMerchandisingSource::for_data_dir(dir.path(), "");
        assert_eq!(source.path(), dir.path().join(MERCHANDISING_FILE));
        assert_eq!(source.read().await.unwrap(), None);
        std::fs::write(source.path(), "[[cap]]\nper = \"brand\"\nmax = 2\n").unwrap();
        let first = source.read().await.unwrap().expect("a file");
        assert!(first.text.contains("[[cap]]"));
        std::fs::write(
            source.path(),
            "[[cap]]\nper = \"brand\"\nmax = 3\n# longer\n",
        )
        .unwrap();
        let second = source.read().await.unwrap().expect("a file");
        assert_ne!(first.version, second.version);
    }
}

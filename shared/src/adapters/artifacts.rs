//! Model artifact stores: a directory on local disk (crash-safe writes) and an in-memory one.
//!
//! On disk, artifacts live at `<root>/models/<version>/<name>` and the current pointer at
//! `<root>/models/current.json` (`{"version": "..."}`). Every file is written to a temp
//! file, fsynced and renamed into place, so a crash never leaves a half-written artifact
//! or pointer.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::{StoreError, StoreResult};
use crate::ports::ModelArtifactStore;

pub(crate) const MODELS_DIR: &str = "models";
pub(crate) const CURRENT_FILE: &str = "current.json";

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct CurrentPointer {
    pub(crate) version: String,
}

/// Rejects names that could escape the models directory or collide with internal files
/// (temp files and the pointer start with or are reserved names).
pub(crate) fn check_segment(what: &str, value: &str) -> StoreResult<()> {
    let problem = if value.is_empty() {
        Some("must not be empty")
    } else if value.len() > 200 {
        Some("must be at most 200 bytes")
    } else if value.contains(['/', '\\', '\0']) {
        Some("must not contain '/', '\\' or NUL")
    } else if value.contains("..") {
        Some("must not contain '..'")
    } else if value.starts_with('.') {
        Some("must not start with '.'")
    } else if what == "version" && value == CURRENT_FILE {
        Some("is reserved")
    } else {
        None
    };
    match problem {
        Some(problem) => Err(StoreError::Backend(format!(
            "invalid artifact {what} '{}': {problem}",
            value.escape_debug()
        ))),
        None => Ok(()),
    }
}

pub(crate) fn check_names(version: &str, name: &str) -> StoreResult<()> {
    check_segment("version", version)?;
    check_segment("name", name)
}

pub(crate) fn no_artifacts(version: &str) -> StoreError {
    StoreError::Backend(format!(
        "cannot make version '{version}' current: it has no artifacts"
    ))
}

/// Artifacts in a local directory: the embedded default.
#[derive(Debug, Clone)]
pub struct LocalArtifactStore {
    root: PathBuf,
}

impl LocalArtifactStore {
    /// A store rooted at `root` (usually the data directory); directories are made on write.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn models(&self) -> PathBuf {
        self.root.join(MODELS_DIR)
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> StoreResult<T> + Send + 'static,
) -> StoreResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StoreError::Backend(format!("artifact task failed: {e}")))?
}

/// Writes `bytes` to `dir/name` atomically: temp file, fsync, rename, fsync of the directory.
fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> StoreResult<()> {
    let temp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4()));
    let result = (|| {
        let mut file = File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, dir.join(name))?;
        sync_dir(dir)
    })();
    if result.is_err() {
        // Best effort: the temp name is unique and never read, so a leftover is harmless.
        let _ = fs::remove_file(&temp);
    }
    result.map_err(StoreError::from)
}

/// Creates `dir` (and parents) and makes the new directory entries durable.
fn create_dir_durably(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(dir)?;
    if let Some(parent) = dir.parent() {
        sync_dir(parent)?;
    }
    if let Some(grandparent) = dir.parent().and_then(Path::parent) {
        sync_dir(grandparent)?;
    }
    Ok(())
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

fn read_optional(path: &Path) -> StoreResult<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[async_trait]
impl ModelArtifactStore for LocalArtifactStore {
    async fn put(&self, version: &str, name: &str, bytes: &[u8]) -> StoreResult<()> {
        check_names(version, name)?;
        let dir = self.models().join(version);
        let name = name.to_string();
        let bytes = bytes.to_vec();
        blocking(move || {
            create_dir_durably(&dir)?;
            write_atomically(&dir, &name, &bytes)
        })
        .await
    }

    async fn get(&self, version: &str, name: &str) -> StoreResult<Option<Vec<u8>>> {
        check_names(version, name)?;
        let path = self.models().join(version).join(name);
        blocking(move || read_optional(&path)).await
    }

    async fn set_current(&self, version: &str) -> StoreResult<()> {
        check_segment("version", version)?;
        let models = self.models();
        let pointer = serde_json::to_vec(&CurrentPointer {
            version: version.to_string(),
        })
        .map_err(StoreError::backend)?;
        let version = version.to_string();
        blocking(move || {
            if !models.join(&version).is_dir() {
                return Err(no_artifacts(&version));
            }
            write_atomically(&models, CURRENT_FILE, &pointer)
        })
        .await
    }

    async fn current(&self) -> StoreResult<Option<String>> {
        let path = self.models().join(CURRENT_FILE);
        let Some(bytes) = blocking(move || read_optional(&path)).await? else {
            return Ok(None);
        };
        let pointer: CurrentPointer = serde_json::from_slice(&bytes)
            .map_err(|e| StoreError::Corrupt(format!("models/{CURRENT_FILE}: {e}")))?;
        Ok(Some(pointer.version))
    }
}

/// Artifacts in memory, with the same name rules as the local store, for tests.
#[derive(Debug, Default)]
pub struct MemoryArtifactStore {
    state: Mutex<MemoryArtifacts>,
}

#[derive(Debug, Default)]
struct MemoryArtifacts {
    files: BTreeMap<(String, String), Vec<u8>>,
    current: Option<String>,
}

impl MemoryArtifactStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> StoreResult<MutexGuard<'_, MemoryArtifacts>> {
        self.state
            .lock()
            .map_err(|_| StoreError::Backend("memory artifact lock poisoned".to_string()))
    }
}

#[async_trait]
impl ModelArtifactStore for MemoryArtifactStore {
    async fn put(&self, version: &str, name: &str, bytes: &[u8]) -> StoreResult<()> {
        check_names(version, name)?;
        self.lock()?
            .files
            .insert((version.to_string(), name.to_string()), bytes.to_vec());
        Ok(())
    }

    async fn get(&self, version: &str, name: &str) -> StoreResult<Option<Vec<u8>>> {
        check_names(version, name)?;
        Ok(self
            .lock()?
            .files
            .get(&(version.to_string(), name.to_string()))
            .cloned())
    }

    async fn set_current(&self, version: &str) -> StoreResult<()> {
        check_segment("version", version)?;
        let mut state = self.lock()?;
        if !state.files.keys().any(|(v, _)| v == version) {
            return Err(no_artifacts(version));
        }
        state.current = Some(version.to_string());
        Ok(())
    }

    async fn current(&self) -> StoreResult<Option<String>> {
        Ok(self.lock()?.current.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn when_artifacts_put_should_round_trip_and_switch_current(
        store: &dyn ModelArtifactStore,
    ) {
        assert_eq!(store.current().await.expect("current"), None);
        assert_eq!(store.get("v1", "model.json").await.expect("get"), None);
        store.put("v1", "model.json", b"one").await.expect("put");
        store
            .put("v1", "model.json", b"uno")
            .await
            .expect("overwrite");
        store.put("v1", "pairs.bin", &[0, 1, 2]).await.expect("put");
        store.set_current("v1").await.expect("set current");
        store.put("v2", "model.json", b"two").await.expect("put");
        assert_eq!(
            store.current().await.expect("current").as_deref(),
            Some("v1")
        );
        store.set_current("v2").await.expect("set current");
        assert_eq!(
            store.current().await.expect("current").as_deref(),
            Some("v2")
        );
        assert_eq!(
            store.get("v1", "model.json").await.expect("get").as_deref(),
            Some(&b"uno"[..])
        );
        assert_eq!(
            store.get("v1", "pairs.bin").await.expect("get").as_deref(),
            Some(&[0u8, 1, 2][..])
        );
        assert_eq!(
            store.get("v2", "model.json").await.expect("get").as_deref(),
            Some(&b"two"[..])
        );
    }

    async fn when_names_escape_should_reject(store: &dyn ModelArtifactStore) {
        for (version, name) in [
            ("", "a"),
            ("v1", ""),
            ("..", "a"),
            ("v1", ".."),
            ("v1", "../escape"),
            ("../v1", "a"),
            ("v1/x", "a"),
            ("v1", "a/b"),
            ("v1", "/etc/passwd"),
            ("v1", "a\\b"),
            ("current.json", "a"),
            ("v1", ".hidden"),
        ] {
            let put = store.put(version, name, b"x").await;
            assert!(
                matches!(put, Err(StoreError::Backend(ref m)) if m.contains("invalid artifact")),
                "put({version:?}, {name:?}) = {put:?}"
            );
            assert!(
                store.get(version, name).await.is_err(),
                "get({version:?}, {name:?})"
            );
        }
        for version in ["", "..", "a/b", "../x"] {
            assert!(store.set_current(version).await.is_err(), "{version:?}");
        }
    }

    async fn when_version_has_no_artifacts_should_not_become_current(
        store: &dyn ModelArtifactStore,
    ) {
        assert!(store.set_current("missing").await.is_err());
        assert_eq!(store.current().await.expect("current"), None);
    }

    #[tokio::test]
    async fn local_store_round_trips_and_switches_current() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = LocalArtifactStore::new(dir.path());
        when_artifacts_put_should_round_trip_and_switch_current(&store).await;
        let on_disk = fs::read(dir.path().join("models/v2/model.json")).expect("file");
        assert_eq!(on_disk, b"two");
        let pointer = fs::read_to_string(dir.path().join("models/current.json")).expect("pointer");
        assert_eq!(pointer, r#"{"version":"v2"}"#);
        let leftovers: Vec<_> = fs::read_dir(dir.path().join("models/v1"))
            .expect("dir")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
    }

    #[tokio::test]
    async fn local_store_rejects_path_traversal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("data");
        let store = LocalArtifactStore::new(&root);
        when_names_escape_should_reject(&store).await;
        assert!(!dir.path().join("escape").exists());
        assert!(!root.exists(), "nothing may be written for rejected names");
    }

    #[tokio::test]
    async fn local_store_refuses_current_without_artifacts() {
        let dir = tempfile::tempdir().expect("tempdir");
        when_version_has_no_artifacts_should_not_become_current(&LocalArtifactStore::new(
            dir.path(),
        ))
        .await;
    }

    #[tokio::test]
    async fn when_pointer_is_garbage_should_report_corrupt() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::create_dir_all(dir.path().join("models")).expect("mkdir");
        fs::write(dir.path().join("models/current.json"), b"not json").expect("write");
        let result = LocalArtifactStore::new(dir.path()).current().await;
        assert!(matches!(result, Err(StoreError::Corrupt(_))), "{result:?}");
    }

    #[tokio::test]
    async fn memory_store_round_trips_and_switches_current() {
        when_artifacts_put_should_round_trip_and_switch_current(&MemoryArtifactStore::new()).await;
    }

    #[tokio::test]
    async fn memory_store_rejects_path_traversal() {
        when_names_escape_should_reject(&MemoryArtifactStore::new()).await;
    }

    #[tokio::test]
    async fn memory_store_refuses_current_without_artifacts() {
        when_version_has_no_artifacts_should_not_become_current(&MemoryArtifactStore::new()).await;
    }
}

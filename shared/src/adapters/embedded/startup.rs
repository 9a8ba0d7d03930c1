//! What the embedded store checks before it serves anything, so that a damaged or
//! mismatched data directory stops the process with a message naming the file and the
//! recovery instead of being papered over:
//! - a store that is missing or empty where one existed (model artifacts are present) is not
//!   silently recreated (`init` allows it);
//! - the file passes redb's integrity check before anything writes to it;
//! - the prescription key is the one the stored prescriptions were sealed with: a missing
//!   key file is created only while no sealed record exists.
//!
//! Files are private: the data directory is created 0700 and the database file kept 0600.

use std::path::{Path, PathBuf};

use redb::{Database, ReadableDatabase, ReadableTable};

use super::{RedbResultExt, CUSTOMERS, SEALED_KEYS};
use crate::adapters::sealed_customer::sealed_prescription;
use crate::error::{StoreError, StoreResult};
use crate::sealing::{set_mode, LocalKeyFile, LEGACY_LOCAL_KEY_ID};

/// How [`super::EmbeddedStore::open_with`] opens a data directory.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// The key that seals prescriptions; `<data dir>/keys/kek.bin` when `None`. Keeping it
    /// outside the data directory means a copy of the directory alone opens no prescription.
    pub key_file: Option<PathBuf>,
    /// Create a new, empty store even though the data directory shows that one existed.
    pub init: bool,
    /// Skip redb's integrity check at start (it reads the whole file).
    pub skip_integrity_check: bool,
}

impl OpenOptions {
    pub fn key_path(&self, data_dir: &Path) -> PathBuf {
        self.key_file
            .clone()
            .unwrap_or_else(|| LocalKeyFile::default_path(data_dir))
    }
}

/// Why the store refuses to open, with what to do about it.
fn refuse(message: String) -> StoreError {
    StoreError::Backend(message)
}

/// Creates the data directory private (0700) if it does not exist.
pub fn create_private_dir(data_dir: &Path) -> StoreResult<()> {
    if !data_dir.exists() {
        std::fs::create_dir_all(data_dir)?;
        set_mode(data_dir, 0o700)?;
    }
    Ok(())
}

/// Refuses to create a store where one existed: the file is missing or empty but the data
/// directory holds model artifacts trained from it.
pub(super) fn check_not_vanished(path: &Path, data_dir: &Path, init: bool) -> StoreResult<()> {
    let empty = std::fs::metadata(path).map_or(true, |m| m.len() == 0);
    let artifacts = data_dir.join("models").join("current.json");
    if empty && artifacts.exists() {
        if init {
            tracing::warn!(path = %path.display(), "creating an empty store next to existing model artifacts (--init)");
        } else {
            return Err(refuse(format!(
                "{} is missing or empty, but {} shows a store existed here: refusing to start \
                 with an empty store. Restore it (`framewise restore BACKUP`), or pass --init to \
                 start empty on purpose.",
                path.display(),
                artifacts.display()
            )));
        }
    }
    Ok(())
}

/// Keeps a file private (0600): the database holds face measurements and age bands.
pub fn make_private(path: &Path) -> StoreResult<()> {
    set_mode(path, 0o600)?;
    Ok(())
}

/// Runs redb's integrity check. A file that fails it is not served: redb has rolled it back
/// to its last intact commit (the next start accepts that) or it cannot be read at all.
pub(super) fn check_integrity(db: &mut Database, path: &Path) -> StoreResult<()> {
    // redb can panic on pages that are not what they claim to be: that is a failed check.
    let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| db.check_integrity()))
        .unwrap_or_else(|_| {
            Err(redb::DatabaseError::Storage(redb::StorageError::Corrupted(
                "the storage layer panicked while reading it".to_string(),
            )))
        });
    match checked {
        Ok(true) => Ok(()),
        Ok(false) => Err(StoreError::Corrupt(format!(
            "{} failed its integrity check; redb rolled it back to its last intact commit, so \
             the most recent writes may be lost. Restore a backup (`framewise restore BACKUP`), \
             or start again to serve the rolled-back store.",
            path.display()
        ))),
        Err(e) => Err(StoreError::Corrupt(format!(
            "{} failed its integrity check and cannot be repaired ({e}). Restore a backup with \
             `framewise restore BACKUP` (the damaged file is kept aside).",
            path.display()
        ))),
    }
}

/// The key that seals prescriptions in this store: the key file must exist and be the key
/// every sealed record names; it is created only while the store holds no sealed record.
pub(super) fn prescription_key(db: &Database, key_path: &Path) -> StoreResult<LocalKeyFile> {
    let sealed = sealing_keys(db)?;
    let key = LocalKeyFile::open_existing(key_path)
        .map_err(|e| refuse(format!("prescription key {}: {e}", key_path.display())))?;
    match (key, sealed.key_ids.is_empty()) {
        (None, true) => LocalKeyFile::open_or_create(key_path)
            .map_err(|e| refuse(format!("prescription key {}: {e}", key_path.display()))),
        (None, false) => Err(refuse(format!(
            "the prescription key file {} is missing, but this store holds prescriptions \
             sealed with key {}. Restore the key file from your copy of it (or point \
             --key-file / FRAMEWISE_KEY_FILE at it). A new key would never open them, so none \
             is created.",
            key_path.display(),
            sealed.key_ids.join(", ")
        ))),
        (Some(key), _) => {
            use crate::sealing::KeyProvider as _;
            let named = sealed
                .key_ids
                .iter()
                .all(|id| id == key.key_id() || id == LEGACY_LOCAL_KEY_ID);
            let opens = sealed.sample.as_deref().is_none_or(|s| key.opens(s));
            if named && opens {
                Ok(key)
            } else {
                Err(refuse(format!(
                    "the prescription key file {} holds key {}, but this store's prescriptions \
                     were sealed with key {}. Put the original key file back (or point \
                     --key-file / FRAMEWISE_KEY_FILE at it).",
                    key_path.display(),
                    key.key_id(),
                    sealed.key_ids.join(", ")
                )))
            }
        }
    }
}

/// Which keys sealed the stored prescriptions.
struct SealingKeys {
    key_ids: Vec<String>,
    /// A sealed record to try the key on, when a record names the legacy key id (which
    /// does not say which key it was).
    sample: Option<Vec<u8>>,
}

/// The key ids recorded when prescriptions were sealed; a store written before that record
/// existed is scanned once for a sealed prescription.
fn sealing_keys(db: &Database) -> StoreResult<SealingKeys> {
    let txn = db.begin_read().db()?;
    let recorded = txn.open_table(SEALED_KEYS).db()?;
    let mut key_ids = Vec::new();
    for entry in recorded.iter().db()? {
        key_ids.push(entry.db()?.0.value().to_string());
    }
    let mut sample = None;
    if key_ids.is_empty() || key_ids.iter().any(|id| id == LEGACY_LOCAL_KEY_ID) {
        let customers = txn.open_table(CUSTOMERS).db()?;
        for entry in customers.iter().db()? {
            let (_, bytes) = entry.db()?;
            if let Some(sealed) = sealed_prescription(bytes.value()) {
                if let Ok(parts) = crate::sealing::parse_sealed(&sealed) {
                    if !key_ids.iter().any(|id| id == parts.key_id) {
                        key_ids.push(parts.key_id.to_string());
                    }
                }
                sample = Some(sealed);
                break;
            }
        }
    }
    Ok(SealingKeys { key_ids, sample })
}

#[cfg(test)]
mod tests {
    use super::super::EmbeddedStore;
    use super::*;
    use crate::adapters::conformance::customer_with_rx;
    use crate::domain::Customer;
    use crate::ports::ProfileStore;

    fn message(result: StoreResult<EmbeddedStore>) -> String {
        match result {
            Ok(_) => panic!("the store opened"),
            Err(e) => e.to_string(),
        }
    }

    #[tokio::test]
    async fn when_key_lost_or_replaced_after_sealing_should_refuse_to_open_naming_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("framewise.redb");
        let key = LocalKeyFile::default_path(dir.path());
        {
            let store = EmbeddedStore::open(&path).expect("open");
            store
                .put_customers(&[customer_with_rx("rx-1")])
                .await
                .expect("put");
        }
        let original = std::fs::read(&key).expect("key");
        std::fs::remove_file(&key).expect("lose key");
        let lost = message(EmbeddedStore::open(&path));
        assert!(
            lost.contains("kek.bin") && lost.contains("missing"),
            "{lost}"
        );
        assert!(
            !key.exists(),
            "no new key may be created while sealed records exist"
        );

        std::fs::write(&key, [7u8; 32]).expect("other key");
        let other = message(EmbeddedStore::open(&path));
        assert!(
            other.contains("kek.bin") && other.contains("sealed with key local-"),
            "{other}"
        );

        std::fs::write(&key, &original).expect("restore key");
        let store = EmbeddedStore::open(&path).expect("the original key opens");
        assert!(store.get_customer("rx-1").await.expect("get").is_some());
    }

    #[tokio::test]
    async fn when_key_file_is_elsewhere_should_seal_with_it_and_keep_none_in_data_dir() {
        let dir = tempfile::tempdir().expect("tempdir");
        let keys = tempfile::tempdir().expect("key dir");
        let options = OpenOptions {
            key_file: Some(keys.path().join("framewise.key")),
            ..OpenOptions::default()
        };
        let path = dir.path().join("data/framewise.redb");
        {
            let store = EmbeddedStore::open_with(&path, &options).expect("open");
            store
                .put_customers(&[customer_with_rx("rx-1")])
                .await
                .expect("put");
        }
        assert!(keys.path().join("framewise.key").is_file());
        assert!(!dir.path().join("data/keys").exists());
        assert!(
            EmbeddedStore::open(&path).is_err(),
            "the default key path has no key"
        );
        let store = EmbeddedStore::open_with(&path, &options).expect("reopen");
        assert!(store.get_customer("rx-1").await.expect("get").is_some());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600, "database file");
            assert_eq!(mode(&dir.path().join("data")), 0o700, "data directory");
        }
    }

    #[tokio::test]
    async fn when_store_sealed_before_fingerprints_should_open_with_its_key_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("framewise.redb");
        {
            let store = EmbeddedStore::open(&path).expect("open");
            store
                .put_customers(&[customer_with_rx("rx-1")])
                .await
                .expect("put");
        }
        // Rewrite the record as sealed under the bare legacy id and forget the key record.
        let key_bytes = std::fs::read(LocalKeyFile::default_path(dir.path())).expect("key");
        {
            let legacy = crate::sealing::Sealer::new(std::sync::Arc::new(
                LocalKeyFile::from_bytes(LEGACY_LOCAL_KEY_ID, &key_bytes).expect("legacy key"),
            ));
            let sealed = legacy
                .seal_prescription(
                    "rx-1",
                    customer_with_rx("rx-1").prescription.as_ref().expect("rx"),
                )
                .await
                .expect("seal");
            use base64::Engine as _;
            let record = serde_json::json!({
                "id": "rx-1",
                "sealed_prescription": base64::engine::general_purpose::STANDARD.encode(sealed),
            });
            let mut db = super::super::handle::open_database(&path).expect("raw open");
            let txn = db.begin_write().expect("txn");
            {
                let mut customers = txn.open_table(CUSTOMERS).expect("customers");
                let bytes = serde_json::to_vec(&record).expect("json");
                customers.insert("rx-1", bytes.as_slice()).expect("insert");
                txn.delete_table(SEALED_KEYS).expect("forget key ids");
            }
            txn.commit().expect("commit");
            assert!(db.check_integrity().expect("check"));
        }
        let store = EmbeddedStore::open(&path).expect("the same key opens legacy records");
        assert!(store.get_customer("rx-1").await.expect("get").is_some());
        drop(store);
        std::fs::write(LocalKeyFile::default_path(dir.path()), [9u8; 32]).expect("other key");
        let refused = message(EmbeddedStore::open(&path));
        assert!(refused.contains("sealed with key local"), "{refused}");
    }

    #[test]
    fn when_store_vanished_next_to_model_artifacts_should_refuse_unless_init() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("framewise.redb");
        std::fs::create_dir_all(dir.path().join("models")).expect("models dir");
        std::fs::write(
            dir.path().join("models/current.json"),
            r#"{"version":"v1"}"#,
        )
        .expect("pointer");
        let missing = message(EmbeddedStore::open(&path));
        assert!(
            missing.contains("--init") && missing.contains("framewise restore"),
            "{missing}"
        );
        std::fs::write(&path, b"").expect("empty file");
        let empty = message(EmbeddedStore::open(&path));
        assert!(empty.contains("missing or empty"), "{empty}");
        let init = OpenOptions {
            init: true,
            ..OpenOptions::default()
        };
        EmbeddedStore::open_with(&path, &init).expect("--init starts empty");
    }

    #[tokio::test]
    async fn when_file_damaged_should_refuse_to_open_and_write_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("framewise.redb");
        {
            let store = EmbeddedStore::open(&path).expect("open");
            let customers: Vec<Customer> = (0..2000)
                .map(|i| Customer::new(format!("c{i:05}")))
                .collect();
            store.put_customers(&customers).await.expect("put");
        }
        let mut bytes = std::fs::read(&path).expect("read");
        let len = bytes.len();
        // Scribble over the middle of the file, where the tables' pages are.
        for (i, byte) in bytes[len / 3..len / 3 + 8192].iter_mut().enumerate() {
            *byte = (i as u8).wrapping_mul(151).wrapping_add(17);
        }
        std::fs::write(&path, &bytes).expect("damage");
        let refused = message(EmbeddedStore::open(&path));
        assert!(refused.contains("integrity check"), "{refused}");
    }
}

//! The key-encryption key of the embedded default: 32 random bytes in a local file
//! (`<data_dir>/keys/kek.bin` or wherever `--key-file` points, mode 0600), wrapping each
//! data key with AES-256-GCM. Its key id is a fingerprint of the key (`local-<16 hex>`), so
//! every sealed record names the key that opens it and a store can tell, before serving,
//! that the key file it was given is not that key.

use std::path::{Path, PathBuf};

use aes_gcm::{Aes256Gcm, Key};
use async_trait::async_trait;
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::{gcm_open, gcm_seal, KeyProvider, SealError, KEY_LEN};

/// A 256-bit KEK read from a local file (created with mode 0600 on first use).
pub struct LocalKeyFile {
    id: String,
    kek: Key<Aes256Gcm>,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for LocalKeyFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalKeyFile")
            .field("id", &self.id)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl LocalKeyFile {
    /// The conventional location inside a data directory.
    pub fn default_path(data_dir: &Path) -> PathBuf {
        data_dir.join("keys").join("kek.bin")
    }

    /// Reads the key file, creating it (random key, 0600, directory 0700) if missing.
    pub fn open_or_create(path: &Path) -> Result<Self, SealError> {
        Self::from_file_bytes(path, read_or_create_secret(path)?)
    }

    /// Reads an existing key file; `None` when there is none (never creates one).
    pub fn open_existing(path: &Path) -> Result<Option<Self>, SealError> {
        match std::fs::read(path) {
            Ok(bytes) => Self::from_file_bytes(path, bytes).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn from_file_bytes(path: &Path, bytes: Vec<u8>) -> Result<Self, SealError> {
        if bytes.len() != KEY_LEN {
            return Err(SealError::Key(format!(
                "key file {} must hold exactly {KEY_LEN} bytes",
                path.display()
            )));
        }
        let mut this = Self::from_bytes(&fingerprint_id(&bytes), &bytes)?;
        this.path = Some(path.to_path_buf());
        Ok(this)
    }

    /// A KEK from raw bytes (tests, or keys injected by a secret manager).
    pub fn from_bytes(id: &str, bytes: &[u8]) -> Result<Self, SealError> {
        if bytes.len() != KEY_LEN || id.is_empty() || id.len() > 255 {
            return Err(SealError::Key(
                "a key must be 32 bytes with a 1-255 byte id".into(),
            ));
        }
        Ok(Self {
            id: id.to_string(),
            kek: *Key::<Aes256Gcm>::from_slice(bytes),
            path: None,
        })
    }

    /// A fresh random KEK that lives only in memory.
    pub fn random(id: &str) -> Result<Self, SealError> {
        let mut bytes = [0u8; KEY_LEN];
        OsRng.fill_bytes(&mut bytes);
        Self::from_bytes(id, &bytes)
    }
}

/// The key id of a local key: `local-` and the first 8 bytes of the SHA-256 of the key, in
/// hex. Names the key without revealing it.
fn fingerprint_id(key: &[u8]) -> String {
    let digest = Sha256::digest(key);
    format!("{LOCAL_KEY_ID_PREFIX}{}", hex::encode(&digest[..8]))
}

/// Prefix of every local key id; records sealed before fingerprints carry the bare
/// [`LEGACY_LOCAL_KEY_ID`].
pub const LOCAL_KEY_ID_PREFIX: &str = "local-";
/// The key id of records sealed by a local key before key ids were fingerprints: any local
/// key is tried on them (the authentication tag tells a wrong key).
pub const LEGACY_LOCAL_KEY_ID: &str = "local";

/// The bytes of a local secret file, created with 32 random bytes (0600, directory 0700)
/// when missing. Also holds the development token secret of the local server.
pub fn read_or_create_secret(path: &Path) -> Result<Vec<u8>, SealError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_key_file(path),
        Err(e) => Err(e.into()),
    }
}

fn create_key_file(path: &Path) -> Result<Vec<u8>, SealError> {
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
        set_mode(dir, 0o700)?;
    }
    let mut key = vec![0u8; KEY_LEN];
    OsRng.fill_bytes(&mut key);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut file) => {
            use std::io::Write;
            file.write_all(&key)?;
            file.sync_all()?;
            Ok(key)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(std::fs::read(path)?),
        Err(e) => Err(e.into()),
    }
}

/// Sets a file's or directory's permission bits (a no-op off Unix); the one place private
/// files get their mode.
#[cfg(unix)]
pub(crate) fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
pub(crate) fn set_mode(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

#[async_trait]
impl KeyProvider for LocalKeyFile {
    fn key_id(&self) -> &str {
        &self.id
    }

    async fn wrap(&self, data_key: &[u8]) -> Result<Vec<u8>, SealError> {
        gcm_seal(&self.kek, data_key, self.id.as_bytes())
    }

    async fn unwrap(&self, key_id: &str, wrapped: &[u8]) -> Result<Vec<u8>, SealError> {
        self.unwrap_now(key_id, wrapped)
    }
}

impl LocalKeyFile {
    /// [`KeyProvider::unwrap`] without the async wrapper, for checks at start-up.
    pub fn unwrap_now(&self, key_id: &str, wrapped: &[u8]) -> Result<Vec<u8>, SealError> {
        if key_id == self.id {
            gcm_open(&self.kek, wrapped, self.id.as_bytes())
        } else if key_id == LEGACY_LOCAL_KEY_ID {
            gcm_open(&self.kek, wrapped, LEGACY_LOCAL_KEY_ID.as_bytes())
        } else {
            Err(SealError::Key(format!("unknown key id '{key_id}'")))
        }
    }

    /// Whether this key opens `sealed` (a record of [`crate::sealing::Sealer::seal`]): its key
    /// id is this key's fingerprint, or a legacy id whose wrapped data key this key opens.
    pub fn opens(&self, sealed: &[u8]) -> bool {
        super::parse_sealed(sealed)
            .is_ok_and(|parts| self.unwrap_now(parts.key_id, parts.wrapped).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sealing::Sealer;

    #[tokio::test]
    async fn when_key_file_missing_should_create_it_private_and_reuse_it() {
        let dir = tempfile::tempdir().unwrap();
        let a = Sealer::local(dir.path()).unwrap();
        let sealed = a.seal(b"x", b"id").await.unwrap();
        let path = LocalKeyFile::default_path(dir.path());
        assert_eq!(std::fs::read(&path).unwrap().len(), 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let b = Sealer::local(dir.path()).unwrap();
        assert_eq!(b.open(&sealed, b"id").await.unwrap(), b"x");
    }
}

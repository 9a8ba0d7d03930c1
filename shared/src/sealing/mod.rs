//! Envelope encryption of health data at rest: each record gets a fresh AES-256-GCM data
//! key; the data key is wrapped by a key-encryption key (KEK) from a [`KeyProvider`] — a
//! [`LocalKeyFile`] in the embedded default, KMS on AWS (`adapters::aws::KmsKeyProvider`).
//! The record id is bound in as associated data, so a sealed record copied onto another
//! customer does not open.
//!
//! Format: `version (1) | key id len (1) | key id | wrapped key len (2, BE) | wrapped key |
//! nonce (12) | ciphertext with tag`.

mod local_key;

use std::path::Path;
use std::sync::Arc;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use async_trait::async_trait;
use rand::rngs::OsRng;
use rand::RngCore;

use crate::domain::Prescription;

pub(crate) use local_key::set_mode;
pub use local_key::{
    read_or_create_secret, LocalKeyFile, LEGACY_LOCAL_KEY_ID, LOCAL_KEY_ID_PREFIX,
};

/// First byte of every sealed record.
pub const SEAL_VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const KEY_LEN: usize = 32;

/// Why sealing or opening failed. Never carries plaintext.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("key provider error: {0}")]
    Key(String),
    #[error("sealed record is malformed: {0}")]
    Malformed(&'static str),
    #[error("sealed record does not authenticate (wrong key, wrong record or tampered)")]
    Authentication,
    #[error("key file i/o error: {0}")]
    Io(#[from] std::io::Error),
}

/// Wraps and unwraps data keys with a key-encryption key. Async so a KMS implementation
/// (Encrypt/Decrypt calls) fits behind the same trait.
#[async_trait]
pub trait KeyProvider: Send + Sync {
    /// Identifies the KEK; stored with each record so keys can rotate.
    fn key_id(&self) -> &str;
    async fn wrap(&self, data_key: &[u8]) -> Result<Vec<u8>, SealError>;
    async fn unwrap(&self, key_id: &str, wrapped: &[u8]) -> Result<Vec<u8>, SealError>;
}

fn gcm_seal(key: &Key<Aes256Gcm>, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    let ciphertext = Aes256Gcm::new(key)
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| SealError::Key("encryption failed".into()))?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

fn gcm_open(key: &Key<Aes256Gcm>, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
    if sealed.len() < NONCE_LEN + 16 {
        return Err(SealError::Malformed("ciphertext too short"));
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    Aes256Gcm::new(key)
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map_err(|_| SealError::Authentication)
}

/// Envelope encryption over a [`KeyProvider`]. Cheap to clone.
#[derive(Clone)]
pub struct Sealer {
    keys: Arc<dyn KeyProvider>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("key_id", &self.keys.key_id())
            .finish()
    }
}

impl Sealer {
    pub fn new(keys: Arc<dyn KeyProvider>) -> Self {
        Self { keys }
    }

    /// The embedded default: the KEK in `<data_dir>/keys/kek.bin`.
    pub fn local(data_dir: &Path) -> Result<Self, SealError> {
        let file = LocalKeyFile::open_or_create(&LocalKeyFile::default_path(data_dir))?;
        Ok(Self::new(Arc::new(file)))
    }

    /// The id of the key that seals new records.
    pub fn key_id(&self) -> &str {
        self.keys.key_id()
    }

    /// Encrypts `plaintext` under a fresh data key, bound to `aad` (the record id).
    pub async fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut data_key = [0u8; KEY_LEN];
        OsRng.fill_bytes(&mut data_key);
        let wrapped = self.keys.wrap(&data_key).await?;
        let body = gcm_seal(Key::<Aes256Gcm>::from_slice(&data_key), plaintext, aad);
        data_key.fill(0);
        let body = body?;
        let key_id = self.keys.key_id().as_bytes();
        let id_len =
            u8::try_from(key_id.len()).map_err(|_| SealError::Key("key id too long".into()))?;
        let wrapped_len = u16::try_from(wrapped.len())
            .map_err(|_| SealError::Key("wrapped key too long".into()))?;
        let mut out = Vec::with_capacity(4 + key_id.len() + wrapped.len() + body.len());
        out.push(SEAL_VERSION);
        out.push(id_len);
        out.extend_from_slice(key_id);
        out.extend_from_slice(&wrapped_len.to_be_bytes());
        out.extend_from_slice(&wrapped);
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Inverse of [`Sealer::seal`]; fails on a wrong key, a wrong `aad` or any tampering.
    pub async fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
        let parts = parse_sealed(sealed)?;
        let mut data_key = self.keys.unwrap(parts.key_id, parts.wrapped).await?;
        if data_key.len() != KEY_LEN {
            return Err(SealError::Malformed("data key length"));
        }
        let plain = gcm_open(Key::<Aes256Gcm>::from_slice(&data_key), parts.body, aad);
        data_key.fill(0);
        plain
    }

    /// Seals a prescription for one customer (the id is the associated data).
    pub async fn seal_prescription(
        &self,
        customer_id: &str,
        rx: &Prescription,
    ) -> Result<Vec<u8>, SealError> {
        let json = serde_json::to_vec(rx).map_err(|_| SealError::Malformed("encode"))?;
        self.seal(&json, customer_id.as_bytes()).await
    }

    pub async fn open_prescription(
        &self,
        customer_id: &str,
        sealed: &[u8],
    ) -> Result<Prescription, SealError> {
        let json = self.open(sealed, customer_id.as_bytes()).await?;
        serde_json::from_slice(&json).map_err(|_| SealError::Malformed("prescription json"))
    }
}

/// The parts of a sealed record (see the format above).
pub struct SealedParts<'a> {
    /// The key that wrapped the data key.
    pub key_id: &'a str,
    pub wrapped: &'a [u8],
    /// Nonce and ciphertext with tag.
    body: &'a [u8],
}

/// Splits a sealed record without opening it.
pub fn parse_sealed(sealed: &[u8]) -> Result<SealedParts<'_>, SealError> {
    let (&version, rest) = sealed.split_first().ok_or(SealError::Malformed("empty"))?;
    if version != SEAL_VERSION {
        return Err(SealError::Malformed("unknown version"));
    }
    let (&id_len, rest) = rest
        .split_first()
        .ok_or(SealError::Malformed("truncated"))?;
    let id_len = usize::from(id_len);
    if rest.len() < id_len + 2 {
        return Err(SealError::Malformed("truncated"));
    }
    let (key_id, rest) = rest.split_at(id_len);
    let key_id = std::str::from_utf8(key_id).map_err(|_| SealError::Malformed("key id"))?;
    let (len, rest) = rest.split_at(2);
    let wrapped_len = usize::from(u16::from_be_bytes([len[0], len[1]]));
    if rest.len() < wrapped_len {
        return Err(SealError::Malformed("truncated"));
    }
    let (wrapped, body) = rest.split_at(wrapped_len);
    Ok(SealedParts {
        key_id,
        wrapped,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer() -> Sealer {
        Sealer::new(Arc::new(LocalKeyFile::random("k1").unwrap()))
    }

    #[tokio::test]
    async fn when_sealed_should_round_trip_and_hide_plaintext() {
        let s = sealer();
        let sealed = s.seal(b"sph -7.25", b"cu-1").await.unwrap();
        assert_eq!(sealed[0], SEAL_VERSION);
        assert!(!sealed.windows(5).any(|w| w == b"-7.25"));
        assert_eq!(s.open(&sealed, b"cu-1").await.unwrap(), b"sph -7.25");
        // Fresh data key and nonce every time.
        assert_ne!(sealed, s.seal(b"sph -7.25", b"cu-1").await.unwrap());
    }

    #[tokio::test]
    async fn when_any_byte_is_tampered_should_fail_to_open() {
        let s = sealer();
        let sealed = s.seal(b"secret", b"cu-1").await.unwrap();
        for i in [0, 2, 5, sealed.len() / 2, sealed.len() - 1] {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert!(s.open(&bad, b"cu-1").await.is_err(), "byte {i}");
        }
        assert!(s.open(&sealed[..10], b"cu-1").await.is_err());
    }

    #[tokio::test]
    async fn when_key_or_record_is_wrong_should_fail_to_open() {
        let sealed = sealer().seal(b"secret", b"cu-1").await.unwrap();
        let other = sealer();
        assert!(matches!(
            other.open(&sealed, b"cu-1").await,
            Err(SealError::Authentication)
        ));
        let s = sealer();
        let sealed = s.seal(b"secret", b"cu-1").await.unwrap();
        assert!(matches!(
            s.open(&sealed, b"cu-2").await,
            Err(SealError::Authentication)
        ));
    }
}

//! The KMS key-encryption key behind [`crate::sealing::Sealer`] on AWS: each data
//! key is wrapped with KMS Encrypt and unwrapped with KMS Decrypt, so the KEK never leaves
//! KMS and every unwrap is authorised (and logged) by IAM.

use async_trait::async_trait;
use aws_sdk_kms::error::DisplayErrorContext;
use aws_sdk_kms::primitives::Blob;

use crate::sealing::{KeyProvider, SealError};

/// A KMS symmetric key as the [`KeyProvider`] of envelope encryption. Needs `kms:Encrypt`
/// and `kms:Decrypt` on the key.
#[derive(Debug, Clone)]
pub struct KmsKeyProvider {
    client: aws_sdk_kms::Client,
    key_id: String,
}

impl KmsKeyProvider {
    /// A provider over `key_id` (key id, key ARN or alias). The id is stored with each
    /// sealed record, so it must fit in 255 bytes.
    pub fn new(client: aws_sdk_kms::Client, key_id: impl Into<String>) -> Self {
        Self {
            client,
            key_id: key_id.into(),
        }
    }
}

#[async_trait]
impl KeyProvider for KmsKeyProvider {
    fn key_id(&self) -> &str {
        &self.key_id
    }

    async fn wrap(&self, data_key: &[u8]) -> Result<Vec<u8>, SealError> {
        let out = self
            .client
            .encrypt()
            .key_id(&self.key_id)
            .plaintext(Blob::new(data_key))
            .send()
            .await
            .map_err(|e| SealError::Key(format!("KMS Encrypt: {}", DisplayErrorContext(&e))))?;
        out.ciphertext_blob
            .map(Blob::into_inner)
            .ok_or_else(|| SealError::Key("KMS Encrypt returned no ciphertext".into()))
    }

    async fn unwrap(&self, key_id: &str, wrapped: &[u8]) -> Result<Vec<u8>, SealError> {
        let out = self
            .client
            .decrypt()
            .key_id(key_id)
            .ciphertext_blob(Blob::new(wrapped))
            .send()
            .await
            .map_err(|e| SealError::Key(format!("KMS Decrypt: {}", DisplayErrorContext(&e))))?;
        out.plaintext
            .map(Blob::into_inner)
            .ok_or_else(|| SealError::Key("KMS Decrypt returned no plaintext".into()))
    }
}

/// Creates a symmetric KMS key and returns its id: for tests and local development against
/// moto; production keys come from the SAM template.
pub(super) async fn create_key(client: &aws_sdk_kms::Client) -> crate::error::StoreResult<String> {
    let out = client
        .create_key()
        .description("framewise prescriptions (envelope encryption KEK)")
        .send()
        .await
        .map_err(|e| super::sdk_error("KMS CreateKey", e))?;
    out.key_metadata
        .map(|m| m.key_id)
        .ok_or_else(|| crate::error::StoreError::Backend("KMS CreateKey returned no key".into()))
}

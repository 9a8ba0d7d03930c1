//! [`MerchandisingSource`] over the bucket: the object `config/merchandising.toml`, read
//! whole on every call (the service caches it for `merchandising.reload_secs`); its ETag is
//! the version. A missing object means no rules.

use async_trait::async_trait;
use aws_sdk_s3::Client;

use super::sdk_error;
use crate::adapters::merchandising_file::MAX_MERCHANDISING_BYTES;
use crate::error::{StoreError, StoreResult};
use crate::ports::{MerchandisingDocument, MerchandisingSource};

/// Key of the rules in the bucket (the functions' roles may read only this object of
/// `config/`).
pub const MERCHANDISING_KEY: &str = "config/merchandising.toml";

/// The rules object of one bucket.
#[derive(Debug, Clone)]
pub struct S3MerchandisingSource {
    client: Client,
    bucket: String,
    key: String,
}

impl S3MerchandisingSource {
    /// The rules at [`MERCHANDISING_KEY`] of `bucket`.
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
            key: MERCHANDISING_KEY.to_string(),
        }
    }
}

#[async_trait]
impl MerchandisingSource for S3MerchandisingSource {
    async fn read(&self) -> StoreResult<Option<MerchandisingDocument>> {
        let response = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&self.key)
            .send()
            .await
        {
            Ok(response) => response,
            Err(e) if e.as_service_error().is_some_and(|e| e.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(sdk_error("S3 GetObject", e)),
        };
        if response
            .content_length()
            .is_some_and(|n| n > MAX_MERCHANDISING_BYTES as i64)
        {
            return Err(StoreError::Backend(format!(
                "{}: larger than {MAX_MERCHANDISING_BYTES} bytes",
                self.describe()
            )));
        }
        let etag = response.e_tag().unwrap_or_default().to_string();
        let bytes = response
            .body
            .collect()
            .await
            .map_err(|e| sdk_error("S3 GetObject body", e))?
            .into_bytes();
        let text = String::from_utf8(bytes.to_vec())
            .map_err(|_| StoreError::Corrupt(format!("{}: not UTF-8 text", self.describe())))?;
        Ok(Some(MerchandisingDocument {
            version: format!("{etag}-{}", text.len()),
            text,
        }))
    }

    fn describe(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }
}

//! Model artifacts and catalogue feed objects in S3.
//!
//! Artifacts live at `models/<version>/<name>`; the pointer `models/current.json`
//! (`{"version": "..."}`) is written last, after every artifact of the version, so a reader
//! that follows the pointer always finds a complete version. The bucket is versioned, so an
//! overwritten pointer or artifact can be restored.

use async_trait::async_trait;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration,
    VersioningConfiguration,
};
use aws_sdk_s3::Client;

use super::sdk_error;
use crate::adapters::artifacts::{
    check_names, check_segment, no_artifacts, CurrentPointer, CURRENT_FILE, MODELS_DIR,
};
use crate::error::{StoreError, StoreResult};
use crate::ports::ModelArtifactStore;

/// Longest object key S3 accepts.
const MAX_KEY_BYTES: usize = 1024;

/// [`ModelArtifactStore`] over one S3 bucket, plus raw object access for catalogue feeds.
#[derive(Debug, Clone)]
pub struct S3ArtifactStore {
    client: Client,
    bucket: String,
}

impl S3ArtifactStore {
    /// A store over `bucket`; the client is shared and built once per cold start.
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }

    /// Reads any object (a catalogue feed dropped in the bucket); `None` if it is missing.
    pub async fn get_object(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        check_key(key)?;
        let response = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(response) => response,
            Err(e) if e.as_service_error().is_some_and(|e| e.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(sdk_error("S3 GetObject", e)),
        };
        let bytes = response
            .body
            .collect()
            .await
            .map_err(|e| sdk_error("S3 GetObject body", e))?;
        Ok(Some(bytes.into_bytes().to_vec()))
    }

    /// Writes any object (a feed, or an artifact through [`ModelArtifactStore::put`]).
    pub async fn put_object(&self, key: &str, bytes: &[u8]) -> StoreResult<()> {
        check_key(key)?;
        // Digests are read by the shop's email tool, which goes by the stored type.
        let content_type = if key.ends_with(".json") {
            "application/json"
        } else if key.ends_with(".html") {
            "text/html; charset=utf-8"
        } else {
            "application/octet-stream"
        };
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(bytes.to_vec()))
            .send()
            .await
            .map_err(|e| sdk_error("S3 PutObject", e))?;
        Ok(())
    }

    async fn has_artifacts(&self, version: &str) -> StoreResult<bool> {
        let listed = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(format!("{MODELS_DIR}/{version}/"))
            .max_keys(1)
            .send()
            .await
            .map_err(|e| sdk_error("S3 ListObjectsV2", e))?;
        Ok(!listed.contents().is_empty())
    }
}

fn check_key(key: &str) -> StoreResult<()> {
    if key.is_empty() || key.len() > MAX_KEY_BYTES || key.starts_with('/') {
        return Err(StoreError::Backend(format!(
            "invalid object key '{}': must be 1-{MAX_KEY_BYTES} bytes and not start with '/'",
            key.escape_debug()
        )));
    }
    Ok(())
}

fn artifact_key(version: &str, name: &str) -> String {
    format!("{MODELS_DIR}/{version}/{name}")
}

fn pointer_key() -> String {
    format!("{MODELS_DIR}/{CURRENT_FILE}")
}

#[async_trait]
impl ModelArtifactStore for S3ArtifactStore {
    async fn put(&self, version: &str, name: &str, bytes: &[u8]) -> StoreResult<()> {
        check_names(version, name)?;
        self.put_object(&artifact_key(version, name), bytes).await
    }

    async fn get(&self, version: &str, name: &str) -> StoreResult<Option<Vec<u8>>> {
        check_names(version, name)?;
        self.get_object(&artifact_key(version, name)).await
    }

    async fn set_current(&self, version: &str) -> StoreResult<()> {
        check_segment("version", version)?;
        if !self.has_artifacts(version).await? {
            return Err(no_artifacts(version));
        }
        let pointer = serde_json::to_vec(&CurrentPointer {
            version: version.to_string(),
        })
        .map_err(StoreError::backend)?;
        self.put_object(&pointer_key(), &pointer).await
    }

    async fn current(&self) -> StoreResult<Option<String>> {
        let key = pointer_key();
        let Some(bytes) = self.get_object(&key).await? else {
            return Ok(None);
        };
        let pointer: CurrentPointer = serde_json::from_slice(&bytes)
            .map_err(|e| StoreError::Corrupt(format!("{key}: {e}")))?;
        Ok(Some(pointer.version))
    }
}

/// Creates the bucket if missing and turns versioning on.
pub(super) async fn create_bucket(client: &Client, bucket: &str, region: &str) -> StoreResult<()> {
    let mut request = client.create_bucket().bucket(bucket);
    if region != "us-east-1" {
        request = request.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region))
                .build(),
        );
    }
    match request.send().await {
        Ok(_) => {}
        Err(e)
            if e.as_service_error().is_some_and(|e| {
                e.is_bucket_already_owned_by_you() || e.is_bucket_already_exists()
            }) => {}
        Err(e) => return Err(sdk_error("S3 CreateBucket", e)),
    }
    client
        .put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .map_err(|e| sdk_error("S3 PutBucketVersioning", e))?;
    Ok(())
}

//! AWS adapters behind the ports: DynamoDB (catalogue, profiles, lists, signals), SQS (the
//! signal queue) and S3 (model artifacts and catalogue feeds). Compiled only with the `aws`
//! feature, so the CLI and the local server never build the AWS SDK.
//!
//! Lambda functions build [`AwsSettings`] from the environment and [`AwsClients`] once per
//! cold start, then wire the ports with [`aws_stores`]. The DynamoDB key design is in
//! `docs/dynamodb.md`.

mod dynamo;
mod kms;
mod s3;
mod s3_feeds;
mod s3_merchandising;
mod sqs;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use rand::Rng;

use crate::error::{StoreError, StoreResult};
use crate::ports::Stores;
use crate::sealing::Sealer;

pub use dynamo::{
    DynamoStore, DEFAULT_HISTORY_RETENTION_DAYS, DEFAULT_SESSION_RETENTION_DAYS, KMS_KEY_REQUIRED,
    MAX_ITEM_DATA_BYTES,
};
pub use kms::KmsKeyProvider;
pub use s3::S3ArtifactStore;
pub use s3_feeds::S3FeedSource;
pub use s3_merchandising::{S3MerchandisingSource, MERCHANDISING_KEY};
pub use sqs::{signal_from_sqs_body, SqsSignalQueue, MAX_MESSAGE_BYTES};

/// Region used when `AWS_REGION` is not set.
pub const DEFAULT_REGION: &str = "us-east-1";

/// Where the AWS resources are; read once per cold start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsSettings {
    /// The single DynamoDB table (`FRAMEWISE_TABLE`).
    pub table: String,
    /// URL of the signals queue (`FRAMEWISE_QUEUE_URL`).
    pub queue_url: String,
    /// Bucket of model artifacts and catalogue feeds (`FRAMEWISE_BUCKET`).
    pub bucket: String,
    /// `AWS_REGION`, default [`DEFAULT_REGION`].
    pub region: String,
    /// `AWS_ENDPOINT_URL`: one endpoint for every service (moto, local development).
    pub endpoint_url: Option<String>,
    /// KMS key sealing prescriptions at rest (`FRAMEWISE_KMS_KEY_ID`: id, ARN or alias).
    /// Without it, customers with a prescription cannot be stored.
    pub kms_key_id: Option<String>,
}

impl AwsSettings {
    /// Where this deployment's clients connect.
    pub fn endpoint(&self) -> AwsEndpoint {
        AwsEndpoint {
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
        }
    }

    /// The queue's name: the last path segment of its URL.
    pub fn queue_name(&self) -> &str {
        self.queue_url
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default()
    }
}

/// Where the SDK clients connect: the region and, for emulators, one endpoint for every
/// service. Enough to build clients for a function that uses no table or bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsEndpoint {
    /// `AWS_REGION`, default [`DEFAULT_REGION`].
    pub region: String,
    /// `AWS_ENDPOINT_URL` (moto, local development).
    pub endpoint_url: Option<String>,
}

/// The SDK clients, built once per cold start and shared by every adapter.
#[derive(Debug, Clone)]
pub struct AwsClients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// Wraps and unwraps the data keys sealing prescriptions.
    pub kms: aws_sdk_kms::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub s3: aws_sdk_s3::Client,
}

impl AwsClients {
    /// Clients from the default credential chain (the Lambda role in production), with the
    /// explicit region and endpoint override of `endpoint`.
    pub async fn new(endpoint: &AwsEndpoint) -> Self {
        Self::from_sdk_config(&Self::sdk_config(endpoint).await, endpoint)
    }

    /// Clients with fixed credentials, for tests and local emulators: never reaches for the
    /// instance metadata service or a profile file.
    pub async fn with_static_credentials(
        endpoint: &AwsEndpoint,
        access_key_id: &str,
        secret_access_key: &str,
    ) -> Self {
        let credentials = Credentials::new(
            access_key_id,
            secret_access_key,
            None,
            None,
            "framewise-static",
        );
        let config = Self::loader(endpoint)
            .credentials_provider(credentials)
            .load()
            .await;
        Self::from_sdk_config(&config, endpoint)
    }

    /// Clients over an already loaded SDK config; S3 uses path-style addressing whenever the
    /// endpoint is overridden (emulators do not resolve `<bucket>.localhost`).
    pub fn from_sdk_config(config: &SdkConfig, endpoint: &AwsEndpoint) -> Self {
        let s3_config = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(endpoint.endpoint_url.is_some())
            .build();
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(config),
            kms: aws_sdk_kms::Client::new(config),
            sqs: aws_sdk_sqs::Client::new(config),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
        }
    }

    /// The SDK config behind [`AwsClients::new`], for a function that needs one client only
    /// (the signals API builds just SQS from it).
    pub async fn sdk_config(endpoint: &AwsEndpoint) -> SdkConfig {
        Self::loader(endpoint).load().await
    }

    fn loader(endpoint: &AwsEndpoint) -> aws_config::ConfigLoader {
        let loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(endpoint.region.clone()));
        match &endpoint.endpoint_url {
            Some(url) => loader.endpoint_url(url),
            None => loader,
        }
    }
}

/// Every port over AWS: one [`DynamoStore`] for the record, signal and measurement ports (prescriptions
/// sealed with [`KmsKeyProvider`] when `kms_key_id` is set), the SQS queue and the S3
/// artifact store.
pub fn aws_stores(clients: &AwsClients, settings: &AwsSettings) -> Stores {
    let mut dynamo = DynamoStore::new(clients.dynamodb.clone(), settings.table.clone());
    if let Some(key_id) = &settings.kms_key_id {
        dynamo = dynamo.with_sealer(kms_sealer(clients, key_id));
    }
    let store = Arc::new(dynamo);
    Stores {
        catalog: store.clone(),
        profiles: store.clone(),
        lists: store.clone(),
        signals: store.clone(),
        measurements: store,
        queue: Arc::new(SqsSignalQueue::new(
            clients.sqs.clone(),
            settings.queue_url.clone(),
        )),
        artifacts: Arc::new(S3ArtifactStore::new(
            clients.s3.clone(),
            settings.bucket.clone(),
        )),
        health: Arc::new(crate::ports::NoStoreHealth),
    }
}

/// Envelope encryption whose key-encryption key is the KMS key `key_id`.
pub fn kms_sealer(clients: &AwsClients, key_id: &str) -> Sealer {
    Sealer::new(Arc::new(KmsKeyProvider::new(clients.kms.clone(), key_id)))
}

/// Creates a symmetric KMS key and returns its id, for `FRAMEWISE_KMS_KEY_ID` in tests and
/// local development against moto; production keys come from the SAM template.
pub async fn create_kms_key(clients: &AwsClients) -> StoreResult<String> {
    kms::create_key(&clients.kms).await
}

/// How [`create_resources_with`] configures the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceOptions {
    /// Seconds a received message stays invisible (production: 6x the worker timeout).
    pub visibility_timeout_secs: u32,
    /// Receives after which SQS moves a message to the dead-letter queue `<queue>-dlq`.
    pub max_receives: u32,
}

impl Default for ResourceOptions {
    fn default() -> Self {
        Self {
            visibility_timeout_secs: 180,
            max_receives: crate::adapters::DEFAULT_MAX_RECEIVES,
        }
    }
}

/// Creates the table (with TTL), the versioned bucket and the queue with its dead-letter
/// queue, if missing. For tests and local development against moto; production resources
/// come from the SAM template.
pub async fn create_resources(clients: &AwsClients, settings: &AwsSettings) -> StoreResult<()> {
    create_resources_with(clients, settings, &ResourceOptions::default()).await
}

/// [`create_resources`] with explicit queue options (tests use a zero visibility timeout).
pub async fn create_resources_with(
    clients: &AwsClients,
    settings: &AwsSettings,
    options: &ResourceOptions,
) -> StoreResult<()> {
    dynamo::create_table(&clients.dynamodb, &settings.table).await?;
    s3::create_bucket(&clients.s3, &settings.bucket, &settings.region).await?;
    sqs::create_queue(&clients.sqs, settings, options).await
}

/// Bounded exponential backoff with jitter for retrying the unprocessed part of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay before the first retry; doubled for each further one.
    pub base: Duration,
    /// Upper bound of one delay.
    pub max_delay: Duration,
    /// Attempts in total, the first one included.
    pub max_attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(25),
            max_delay: Duration::from_secs(2),
            max_attempts: 8,
        }
    }
}

impl Backoff {
    /// Delay after failed attempt `attempt` (0-based): half of the capped exponential step
    /// plus a random share of the other half, so concurrent workers spread out.
    pub fn delay(&self, attempt: u32) -> Duration {
        let step = self
            .base
            .saturating_mul(1u32 << attempt.min(20))
            .min(self.max_delay);
        let half = step / 2;
        let jitter_nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(rand::thread_rng().gen_range(0..=jitter_nanos))
    }
}

/// Sends `pending` with `attempt`, which returns the entries left unprocessed plus the
/// outputs it got, and retries only the leftovers with [`Backoff`] until none remain.
/// Fails naming `what` when entries are still left after the last attempt.
pub(crate) async fn drain_with_backoff<T, R, F, Fut>(
    backoff: &Backoff,
    what: &str,
    mut pending: Vec<T>,
    mut attempt: F,
) -> StoreResult<Vec<R>>
where
    F: FnMut(Vec<T>) -> Fut,
    Fut: Future<Output = StoreResult<(Vec<T>, Vec<R>)>>,
{
    let mut outputs = Vec::new();
    let mut tries = 0;
    while !pending.is_empty() {
        let (left, got) = attempt(pending).await?;
        outputs.extend(got);
        tries += 1;
        if left.is_empty() {
            break;
        }
        if tries >= backoff.max_attempts {
            return Err(StoreError::Backend(format!(
                "{what}: {} entries still unprocessed after {tries} attempts",
                left.len()
            )));
        }
        tracing::debug!(
            what,
            left = left.len(),
            tries,
            "retrying unprocessed entries"
        );
        tokio::time::sleep(backoff.delay(tries - 1)).await;
        pending = left;
    }
    Ok(outputs)
}

/// A backend error naming the operation, with the SDK's full error chain (never a body).
pub(crate) fn sdk_error(operation: &str, error: impl std::error::Error) -> StoreError {
    StoreError::Backend(format!("{operation}: {}", DisplayErrorContext(&error)))
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    fn fast() -> Backoff {
        Backoff {
            base: Duration::from_millis(1),
            max_delay: Duration::from_millis(4),
            max_attempts: 4,
        }
    }

    #[tokio::test]
    async fn when_some_entries_unprocessed_should_retry_only_those_until_done() {
        let calls = RefCell::new(Vec::new());
        let outputs = drain_with_backoff(&fast(), "batch", vec![1, 2, 3, 4, 5], |batch| {
            calls.borrow_mut().push(batch.clone());
            async move {
                // Each call processes the first entry only and hands back the rest.
                let (done, left) = batch.split_at(1);
                Ok((left.to_vec(), done.to_vec()))
            }
        })
        .await;
        assert!(outputs.is_err(), "5 entries cannot finish in 4 attempts");

        calls.borrow_mut().clear();
        let outputs = drain_with_backoff(&fast(), "batch", vec![1, 2, 3], |batch| {
            calls.borrow_mut().push(batch.clone());
            async move {
                let (done, left) = batch.split_at(1);
                Ok((left.to_vec(), done.iter().map(|n| n * 10).collect()))
            }
        })
        .await
        .expect("drained");
        assert_eq!(outputs, [10, 20, 30]);
        assert_eq!(*calls.borrow(), [vec![1, 2, 3], vec![2, 3], vec![3]]);
    }

    #[tokio::test]
    async fn when_entries_stay_unprocessed_should_fail_after_max_attempts() {
        let calls = RefCell::new(0);
        let result: StoreResult<Vec<()>> =
            drain_with_backoff(&fast(), "BatchWriteItem", vec!["a", "b"], |batch| {
                *calls.borrow_mut() += 1;
                async move { Ok((batch, Vec::new())) }
            })
            .await;
        let message = result.expect_err("never drains").to_string();
        assert!(
            message.contains("BatchWriteItem: 2 entries still unprocessed after 4 attempts"),
            "{message}"
        );
        assert_eq!(*calls.borrow(), 4);
    }

    #[tokio::test]
    async fn when_attempt_fails_should_stop_at_once() {
        let calls = RefCell::new(0);
        let result: StoreResult<Vec<()>> = drain_with_backoff(&fast(), "x", vec![1], |_| {
            *calls.borrow_mut() += 1;
            async { Err(StoreError::Backend("boom".to_string())) }
        })
        .await;
        assert!(result.is_err());
        assert_eq!(*calls.borrow(), 1);
    }

    #[test]
    fn when_backoff_grows_should_double_and_cap_with_jitter() {
        let backoff = Backoff {
            base: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
            max_attempts: 5,
        };
        for _ in 0..50 {
            let first = backoff.delay(0);
            assert!((Duration::from_millis(50)..=Duration::from_millis(100)).contains(&first));
            let second = backoff.delay(1);
            assert!((Duration::from_millis(100)..=Duration::from_millis(200)).contains(&second));
            let capped = backoff.delay(10);
            assert!((Duration::from_millis(250)..=Duration::from_millis(500)).contains(&capped));
        }
    }
}

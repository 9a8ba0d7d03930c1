//! Storage adapters: the embedded default for one machine, an in-memory one for tests and,
//! with the `aws` feature, DynamoDB/SQS/S3. Every one implements the ports of
//! [`crate::ports`]. This module only lists them and wires them into [`Stores`].
//!
//! Where the shared rules live:
//! - applying a signal: [`crate::aggregates::apply`] (one definition for every store);
//! - the local queues' redelivery and dead letters: `queue_rules`;
//! - a customer at rest (prescription sealed): `sealed_customer`;
//! - paged list reads: `list_page`; order-preserving time keys: `time_key`.

pub mod artifacts;
#[cfg(feature = "aws")]
pub mod aws;
pub mod embedded;
pub(crate) mod list_page;
pub mod local_feeds;
pub mod memory;
pub mod memory_measurements;
pub mod merchandising_file;
pub mod prices;
pub(crate) mod queue_rules;
pub(crate) mod sealed_customer;
pub(crate) mod time_key;
#[cfg(feature = "weather")]
pub mod weather;

#[cfg(any(test, feature = "conformance"))]
pub mod conformance;

use std::path::Path;
use std::sync::Arc;

use crate::error::StoreResult;
use crate::ports::Stores;

pub use crate::aggregates::apply::MAX_PAIRED_STYLES;
pub use artifacts::{LocalArtifactStore, MemoryArtifactStore};
pub use embedded::{EmbeddedStore, OpenOptions};
pub use local_feeds::LocalFeedSource;
pub use merchandising_file::{FileMerchandisingSource, StaticMerchandisingSource};

/// Lock file `framewise serve` holds in its data directory: one server per store, and no
/// restore under a running server.
pub const SERVE_LOCK_FILE: &str = "serve.lock";
pub use memory::MemoryStore;
pub use memory_measurements::MemoryMeasurementStore;

/// File name of the embedded database inside the data directory.
pub const DATABASE_FILE: &str = "framewise.redb";

/// Receives after which an unacknowledged message goes to the dead letters, by default.
pub const DEFAULT_MAX_RECEIVES: u32 = 5;

/// Opens the durable single-machine stores in `data_dir` (created if missing) with the
/// default [`OpenOptions`]: one redb file for the record, signal, queue and measurement
/// ports, and model artifacts under `data_dir/models`.
pub fn embedded_stores(data_dir: &Path) -> StoreResult<Stores> {
    Ok(embedded_stores_with(data_dir, &OpenOptions::default())?.0)
}

/// [`embedded_stores`] with explicit options, also returning the store itself for what
/// only the embedded store offers (dead letters, backups).
pub fn embedded_stores_with(
    data_dir: &Path,
    options: &OpenOptions,
) -> StoreResult<(Stores, Arc<EmbeddedStore>)> {
    let store = Arc::new(EmbeddedStore::open_with(
        &data_dir.join(DATABASE_FILE),
        options,
    )?);
    let stores = Stores {
        catalog: store.clone(),
        profiles: store.clone(),
        lists: store.clone(),
        signals: store.clone(),
        queue: store.clone(),
        artifacts: Arc::new(LocalArtifactStore::new(data_dir)),
        measurements: store.clone(),
        health: store.clone(),
    };
    Ok((stores, store))
}

/// Fresh in-memory stores, for tests and demos that need no persistence.
pub fn memory_stores() -> Stores {
    let store = Arc::new(MemoryStore::new());
    Stores {
        catalog: store.clone(),
        profiles: store.clone(),
        lists: store.clone(),
        signals: store.clone(),
        queue: store.clone(),
        artifacts: Arc::new(MemoryArtifactStore::new()),
        measurements: Arc::new(MemoryMeasurementStore::new()),
        health: store,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn when_embedded_stores_opened_should_create_data_dir_and_persist() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data_dir = dir.path().join("nested/data");
        {
            let stores = embedded_stores(&data_dir).expect("open");
            stores
                .profiles
                .put_customers(&[crate::domain::Customer::new("c1")])
                .await
                .expect("put");
            stores
                .artifacts
                .put("v1", "m.json", b"1")
                .await
                .expect("put");
        }
        assert!(data_dir.join(DATABASE_FILE).is_file());
        assert!(data_dir.join("models/v1/m.json").is_file());
        let stores = embedded_stores(&data_dir).expect("reopen");
        assert_eq!(
            stores.profiles.list_customer_ids().await.expect("ids"),
            ["c1"]
        );
    }

    #[tokio::test]
    async fn when_memory_stores_created_should_share_one_store() {
        let stores = memory_stores();
        stores
            .profiles
            .put_customers(&[crate::domain::Customer::new("c1")])
            .await
            .expect("put");
        assert!(stores
            .profiles
            .get_customer("c1")
            .await
            .expect("get")
            .is_some());
        assert_eq!(stores.queue.depth().await.expect("depth"), 0);
    }
}

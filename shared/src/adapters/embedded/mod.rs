//! The embedded default: every record, signal and queue port in one redb file on local
//! disk. Each write call is one redb transaction, committed with redb's default
//! durability (fsync), so what a call reported as done survives a crash or `kill -9`.
//! redb is synchronous, so writes and scans run on the blocking pool.
//!
//! This file holds the store, its tables and the transaction helpers; the ports are
//! implemented by responsibility in `records` (catalogue, profiles, lists), `signals`
//! (history, aggregates and erasure, rules in [`crate::aggregates`]) and `queue`;
//! `migration` brings files written by earlier versions to the current layout on open.

#[cfg(any(test, feature = "conformance"))]
mod inspect;
mod migration;
mod queue;
mod records;
mod signals;

use std::path::Path;
use std::sync::Arc;

use redb::{
    Database, DatabaseError, ReadTransaction, ReadableDatabase, ReadableTable, Table,
    TableDefinition, WriteTransaction,
};

use super::DEFAULT_MAX_RECEIVES;
use crate::aggregates::history::HistoryClass;
use crate::error::{StoreError, StoreResult};
use crate::sealing::Sealer;

const STYLES: TableDefinition<&str, &[u8]> = TableDefinition::new("styles");
const CUSTOMERS: TableDefinition<&str, &[u8]> = TableDefinition::new("customers");
const LISTS: TableDefinition<&str, &[u8]> = TableDefinition::new("lists");
const APPLIED_EVENTS: TableDefinition<&str, ()> = TableDefinition::new("applied_events");
/// A subject's signals by class (`aggregates::history`), each keyed (subject key, time key,
/// event id) -> signal JSON. `history` holds browsing only (since schema version 2).
const HISTORY: SignalTable = TableDefinition::new("history");
const DECISIVE_SIGNALS: SignalTable = TableDefinition::new("decisive_signals");
const IMPRESSIONS: SignalTable = TableDefinition::new("impressions");
type SignalTable = TableDefinition<'static, (&'static str, u64, &'static str), &'static [u8]>;

/// The table a subject's signals of `class` are kept in.
fn signal_table(class: HistoryClass) -> SignalTable {
    match class {
        HistoryClass::Decisive => DECISIVE_SIGNALS,
        HistoryClass::Browsing => HISTORY,
        HistoryClass::Impression => IMPRESSIONS,
    }
}
const SUBJECTS: TableDefinition<&str, ()> = TableDefinition::new("subjects");
/// (days from CE, style id) -> counts indexed like `SignalKind::ALL`; day first so that
/// `daily_counts(since)` is a range scan.
const DAILY: TableDefinition<(i32, &str), [u32; 9]> = TableDefinition::new("daily_counts");
/// (subject key, style id) -> engagement sequence.
const ENGAGED: TableDefinition<(&str, &str), u64> = TableDefinition::new("engaged");
/// (subject key, engagement sequence) -> style id, to find the most recent engagements.
const ENGAGED_ORDER: TableDefinition<(&str, u64), &str> = TableDefinition::new("engaged_order");
/// (style a, style b) with a < b -> distinct subjects that engaged with both.
const PAIRS: TableDefinition<(&str, &str), u32> = TableDefinition::new("co_occurrences");
const ACCEPTED_EVENTS: TableDefinition<&str, ()> = TableDefinition::new("accepted_events");
/// Sequence -> queue message JSON.
const QUEUE: TableDefinition<u64, &[u8]> = TableDefinition::new("queue");
const DEAD_LETTERS: TableDefinition<u64, &[u8]> = TableDefinition::new("dead_letters");
/// Counters that must never go back (queue receipts, engagement order) and the layout
/// version of the file ([`SCHEMA_VERSION`]).
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// Tombstone key (a hash of the subject, see `aggregates::erasure`) -> tombstone JSON.
const TOMBSTONES: TableDefinition<&str, &[u8]> = TableDefinition::new("tombstones");

const QUEUE_SEQ: &str = "queue_seq";
const ENGAGED_SEQ: &str = "engaged_seq";
/// META key of the layout version the file was brought to.
const SCHEMA_VERSION_KEY: &str = "schema_version";
/// The layout this code reads and writes. 2: a subject's signals split by class into
/// `decisive_signals`, `history` (browsing) and `impressions`; before, all in `history`.
const SCHEMA_VERSION: u64 = 2;

/// Maps any redb error to a store error; corruption keeps its own variant.
trait RedbResultExt<T> {
    fn db(self) -> StoreResult<T>;
}

impl<T, E: Into<redb::Error>> RedbResultExt<T> for Result<T, E> {
    fn db(self) -> StoreResult<T> {
        self.map_err(|e| match e.into() {
            redb::Error::Corrupted(m) => StoreError::Corrupt(m),
            other => StoreError::Backend(other.to_string()),
        })
    }
}

/// The five record ports over one redb database. Cheap to clone (shares the database).
#[derive(Clone)]
pub struct EmbeddedStore {
    db: Arc<Database>,
    max_receives: u32,
    /// Seals prescriptions at rest with the local key file `<data_dir>/keys/kek.bin`.
    sealer: Sealer,
}

impl std::fmt::Debug for EmbeddedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedStore")
            .field("max_receives", &self.max_receives)
            .finish_non_exhaustive()
    }
}

impl EmbeddedStore {
    /// Opens or creates the database file at `path` (its directory is created) and every
    /// table, migrating a file of an earlier layout in the same transaction. Fails with a
    /// clear message when another process holds the file or a newer version wrote it.
    pub fn open(path: &Path) -> StoreResult<Self> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let db = Database::create(path).map_err(|e| match e {
            DatabaseError::DatabaseAlreadyOpen | DatabaseError::LockProtocolMismatch => {
                StoreError::Backend(format!(
                    "data directory is in use by another framewise process: {} is locked",
                    path.display()
                ))
            }
            other => StoreError::Backend(format!("cannot open {}: {other}", path.display())),
        })?;
        let txn = db.begin_write().db()?;
        create_tables(&txn)?;
        migration::migrate(&txn)?;
        txn.commit().db()?;
        let data_dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let sealer = Sealer::local(data_dir)
            .map_err(|e| StoreError::Backend(format!("prescription key: {e}")))?;
        Ok(Self {
            db: Arc::new(db),
            max_receives: DEFAULT_MAX_RECEIVES,
            sealer,
        })
    }

    /// Sets how many receives a message gets before it goes to the dead letters.
    pub fn with_max_receives(mut self, max_receives: u32) -> Self {
        self.max_receives = max_receives;
        self
    }

    fn read(&self) -> StoreResult<ReadTransaction> {
        self.db.begin_read().db()
    }

    /// Runs `work` on the blocking pool with the database.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Database) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || work(&db))
            .await
            .map_err(|e| StoreError::Backend(format!("storage task failed: {e}")))?
    }

    /// Runs `work` in one write transaction on the blocking pool and commits it.
    async fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&WriteTransaction) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        self.blocking(move |db| {
            let txn = db.begin_write().db()?;
            let out = work(&txn)?;
            txn.commit().db()?;
            Ok(out)
        })
        .await
    }
}

fn create_tables(txn: &WriteTransaction) -> StoreResult<()> {
    txn.open_table(STYLES).db()?;
    txn.open_table(CUSTOMERS).db()?;
    txn.open_table(LISTS).db()?;
    txn.open_table(APPLIED_EVENTS).db()?;
    txn.open_table(HISTORY).db()?;
    txn.open_table(DECISIVE_SIGNALS).db()?;
    txn.open_table(IMPRESSIONS).db()?;
    txn.open_table(SUBJECTS).db()?;
    txn.open_table(DAILY).db()?;
    txn.open_table(ENGAGED).db()?;
    txn.open_table(ENGAGED_ORDER).db()?;
    txn.open_table(PAIRS).db()?;
    txn.open_table(ACCEPTED_EVENTS).db()?;
    txn.open_table(QUEUE).db()?;
    txn.open_table(DEAD_LETTERS).db()?;
    txn.open_table(META).db()?;
    txn.open_table(TOMBSTONES).db()?;
    Ok(())
}

fn encode<T: serde::Serialize>(value: &T) -> StoreResult<Vec<u8>> {
    serde_json::to_vec(value).map_err(StoreError::backend)
}

fn decode<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    what: &str,
    key: impl std::fmt::Display,
) -> StoreResult<T> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(format!("{what} {key}: {e}")))
}

/// Takes the next value of a persistent counter, starting at 1.
fn next_seq(meta: &mut Table<&str, u64>, name: &str) -> StoreResult<u64> {
    let current = meta.get(name).db()?.map_or(0, |v| v.value());
    let next = current
        .checked_add(1)
        .ok_or_else(|| StoreError::Corrupt(format!("counter {name} overflowed")))?;
    meta.insert(name, next).db()?;
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn when_path_already_open_should_return_in_use_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("framewise.redb");
        let _first = EmbeddedStore::open(&path).expect("open");
        match EmbeddedStore::open(&path) {
            Err(StoreError::Backend(message)) => {
                assert!(
                    message.contains("in use by another framewise process"),
                    "{message}"
                )
            }
            other => panic!("expected an in-use error, got {other:?}"),
        }
    }
}

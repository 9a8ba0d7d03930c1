//! The embedded default: every record, signal and queue port in one redb file on local
//! disk. Each write call is one redb transaction, committed with redb's default
//! durability (fsync), so what a call reported as done survives a crash or `kill -9`.
//! redb is synchronous, so writes and scans run on the blocking pool.
//!
//! This file holds the store, its tables and the transaction helpers; the ports are
//! implemented by responsibility in `records` (catalogue, profiles, lists), `signals`
//! (history, aggregates and erasure, rules in [`crate::aggregates`]), `queue` and
//! `measurements` (exposures, credits, counters and experiments);
//! `migration` brings files written by earlier versions to the current layout on open.

mod backup;
mod dead_letters;
mod handle;
#[cfg(any(test, feature = "conformance"))]
mod inspect;
mod measurements;
mod migration;
mod queue;
mod records;
mod signals;
mod startup;

use std::path::Path;
use std::sync::Arc;

use redb::{
    Database, ReadTransaction, ReadableDatabase, ReadableTable, Table, TableDefinition,
    WriteTransaction,
};

use super::DEFAULT_MAX_RECEIVES;
use crate::aggregates::history::HistoryClass;
use crate::error::{StoreError, StoreResult};
use crate::sealing::Sealer;
use handle::{DatabaseHandle, PANIC_PREFIX};

pub use backup::{restore_file, BackupReport};
pub use dead_letters::{DeadLetter, DeadLetterSelection};
pub use startup::{create_private_dir, make_private, OpenOptions};

const STYLES: TableDefinition<&str, &[u8]> = TableDefinition::new("styles");
/// Currency -> lens price list JSON (imported with the catalogue; bundles price lenses by it).
const LENS_PRICES: TableDefinition<&str, &[u8]> = TableDefinition::new("lens_prices");
const CUSTOMERS: TableDefinition<&str, &[u8]> = TableDefinition::new("customers");
const LISTS: TableDefinition<&str, &[u8]> = TableDefinition::new("lists");
const APPLIED_EVENTS: TableDefinition<&str, ()> = TableDefinition::new("applied_events");
/// A subject's signals by class (`aggregates::history`), each keyed (subject key, time key,
/// event id) -> signal JSON. `history` holds browsing only (since schema version 2).
const HISTORY: SignalTable = TableDefinition::new("history");
const DECISIVE_SIGNALS: SignalTable = TableDefinition::new("decisive_signals");
const IMPRESSIONS: SignalTable = TableDefinition::new("impressions");
type SignalTable = SubjectTimeTable;
/// (subject key, time key, id) -> record JSON: a subject's records in time order, so reading
/// or deleting one subject's (or its older) records is a range.
type SubjectTimeTable = TableDefinition<'static, (&'static str, u64, &'static str), &'static [u8]>;

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
/// (subject key, engagement sequence) -> style id: a subject's engaged styles, most recent
/// last (since schema version 3 also the only record of which styles it engaged).
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
/// Ids of the keys that sealed stored prescriptions (see `startup::prescription_key`).
const SEALED_KEYS: TableDefinition<&str, ()> = TableDefinition::new("sealed_keys");
/// Exposures (lists shown) and attributed purchases, keyed (subject key, time key, exposure
/// or event id); deleted on erasure and after `MEASUREMENT_RETENTION_DAYS`.
const EXPOSURES: SubjectTimeTable = TableDefinition::new("exposures");
const ATTRIBUTED_PURCHASES: SubjectTimeTable = TableDefinition::new("attributed_purchases");
/// Ids of the exposures and credited events ever recorded, so each counts once even after
/// its record expired or was erased (bare ids, like `applied_events`).
const EXPOSURE_IDS: TableDefinition<&str, ()> = TableDefinition::new("exposure_ids");
const CREDITED_EVENTS: TableDefinition<&str, ()> = TableDefinition::new("credited_events");
/// (days from CE, placement, variant, model version) -> counters: a metric cell, day first
/// so that `counters(from, to)` is a range scan.
const CELL_COUNTERS: TableDefinition<CellColumns<'static>, CountersColumns> =
    TableDefinition::new("cell_counters");
type CellColumns<'a> = (i32, &'a str, Option<&'a str>, &'a str);
/// The fields of `Counters` in declaration order (see `measurements::to_columns`): fixed
/// width, and the float stored bit for bit. Changing it needs a migration.
type CountersColumns = (u64, u64, u64, u64, u64, u64, i64, u64, i64, f64);
/// The same cells -> the counters added after the first layout (see
/// `measurements::to_columns`): a table of its own, so files written before need no
/// migration (a cell without a row here has zeros).
const CELL_QUALITY: TableDefinition<CellColumns<'static>, QualityColumns> =
    TableDefinition::new("cell_quality");
/// novel_items, diversity_milli_sum, distinct_items, new_subjects, cohort_revenue_cents,
/// ratings, rating_sum, rating_squares.
type QualityColumns = (u64, u64, u64, u64, i64, u64, u64, u64);
/// Experiment id -> experiment JSON.
const EXPERIMENTS: TableDefinition<&str, &[u8]> = TableDefinition::new("experiments");

const QUEUE_SEQ: &str = "queue_seq";
const HEALTH_PROBE_SEQ: &str = "health_probe_seq";
const ENGAGED_SEQ: &str = "engaged_seq";
/// META key of the layout version the file was brought to.
const SCHEMA_VERSION_KEY: &str = "schema_version";
/// The layout this code reads and writes. 2: a subject's signals split by class into
/// `decisive_signals`, `history` (browsing) and `impressions`; before, all in `history`.
/// 3: the `engaged` table (subject, style) -> sequence is gone; `engaged_order` says it all.
const SCHEMA_VERSION: u64 = 3;

/// Maps any redb error to a store error; corruption keeps its own variant.
trait RedbResultExt<T> {
    fn db(self) -> StoreResult<T>;
}

impl<T, E: Into<redb::Error>> RedbResultExt<T> for Result<T, E> {
    fn db(self) -> StoreResult<T> {
        self.map_err(|e| match e.into() {
            redb::Error::Corrupted(m) => StoreError::Corrupt(m),
            redb::Error::Io(e) => StoreError::Io(e),
            redb::Error::PreviousIo => StoreError::Io(std::io::Error::other(
                "the store saw an I/O error and must be reopened",
            )),
            other => StoreError::Backend(other.to_string()),
        })
    }
}

/// The record, signal, queue and measurement ports over one redb database. Cheap to clone
/// (shares the database).
#[derive(Clone)]
pub struct EmbeddedStore {
    db: Arc<DatabaseHandle>,
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
    /// Opens or creates the database file at `path` (its directory is created) with the
    /// default [`OpenOptions`]. Fails with a clear message when another process holds the
    /// file.
    pub fn open(path: &Path) -> StoreResult<Self> {
        Self::open_with(path, &OpenOptions::default())
    }

    /// Opens the database file at `path` after the checks of [`startup`]: not a vanished
    /// store, integrity, the prescription key; a file of an earlier layout is migrated in
    /// the transaction that creates missing tables, one a newer version wrote is refused.
    /// The file and a new directory are private.
    pub fn open_with(path: &Path, options: &OpenOptions) -> StoreResult<Self> {
        let data_dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        startup::create_private_dir(data_dir)?;
        startup::check_not_vanished(path, data_dir, options.init)?;
        let mut db = handle::open_database(path)?;
        startup::make_private(path)?;
        if !options.skip_integrity_check {
            startup::check_integrity(&mut db, path)?;
        }
        let txn = db.begin_write().db()?;
        create_tables(&txn)?;
        migration::migrate(&txn)?;
        txn.commit().db()?;
        let key = startup::prescription_key(&db, &options.key_path(data_dir))?;
        Ok(Self {
            db: Arc::new(DatabaseHandle::new(path, db)),
            max_receives: DEFAULT_MAX_RECEIVES,
            sealer: Sealer::new(Arc::new(key)),
        })
    }

    /// Times the file was reopened after an I/O error since the process started.
    pub fn reopened(&self) -> u64 {
        self.db.reopened()
    }

    /// Sets how many receives a message gets before it goes to the dead letters.
    pub fn with_max_receives(mut self, max_receives: u32) -> Self {
        self.max_receives = max_receives;
        self
    }

    fn read(&self) -> StoreResult<ReadTransaction> {
        let db = self.db.database()?;
        self.db.observe(db.begin_read().db())
    }

    /// Runs `work` on the blocking pool with the database. A panic in the storage layer
    /// becomes an error (and a failing health), not a dropped connection.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Database) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let db = self.db.database()?;
        let result = tokio::task::spawn_blocking(move || work(&db))
            .await
            .map_err(|e| StoreError::Backend(format!("{PANIC_PREFIX}: {e}")))
            .and_then(|r| r);
        self.db.observe(result)
    }

    /// Runs `work` in one write transaction on the blocking pool and commits it.
    async fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&WriteTransaction) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let result = self
            .blocking(move |db| {
                let txn = db.begin_write().db()?;
                let out = work(&txn)?;
                txn.commit().db()?;
                Ok(out)
            })
            .await;
        self.db.observe_write(result)
    }
}

fn create_tables(txn: &WriteTransaction) -> StoreResult<()> {
    txn.open_table(STYLES).db()?;
    txn.open_table(LENS_PRICES).db()?;
    txn.open_table(CUSTOMERS).db()?;
    txn.open_table(LISTS).db()?;
    txn.open_table(APPLIED_EVENTS).db()?;
    txn.open_table(HISTORY).db()?;
    txn.open_table(DECISIVE_SIGNALS).db()?;
    txn.open_table(IMPRESSIONS).db()?;
    txn.open_table(SUBJECTS).db()?;
    txn.open_table(DAILY).db()?;
    txn.open_table(ENGAGED_ORDER).db()?;
    txn.open_table(PAIRS).db()?;
    txn.open_table(ACCEPTED_EVENTS).db()?;
    txn.open_table(QUEUE).db()?;
    txn.open_table(DEAD_LETTERS).db()?;
    txn.open_table(META).db()?;
    txn.open_table(TOMBSTONES).db()?;
    txn.open_table(SEALED_KEYS).db()?;
    txn.open_table(EXPOSURES).db()?;
    txn.open_table(ATTRIBUTED_PURCHASES).db()?;
    txn.open_table(EXPOSURE_IDS).db()?;
    txn.open_table(CREDITED_EVENTS).db()?;
    txn.open_table(CELL_COUNTERS).db()?;
    txn.open_table(CELL_QUALITY).db()?;
    txn.open_table(EXPERIMENTS).db()?;
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
    let next = seq_after(current, name)?;
    meta.insert(name, next).db()?;
    Ok(next)
}

/// The value after `current` of the META counter `name`; a counter never wraps.
fn seq_after(current: u64, name: &str) -> StoreResult<u64> {
    current
        .checked_add(1)
        .ok_or_else(|| StoreError::Corrupt(format!("counter {name} overflowed")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn when_store_opened_twice_should_share_the_file_and_its_writes() {
        use crate::ports::ProfileStore;
        // The operator's `framewise dlq` and `backup` open the file next to `serve`.
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("framewise.redb");
        let server = EmbeddedStore::open(&path).expect("open");
        let operator = EmbeddedStore::open_with(
            &path,
            &OpenOptions {
                skip_integrity_check: true,
                ..OpenOptions::default()
            },
        )
        .expect("second open");
        server
            .put_customers(&[crate::domain::Customer::new("c1")])
            .await
            .expect("put");
        assert_eq!(operator.list_customer_ids().await.expect("ids"), ["c1"]);
    }
}

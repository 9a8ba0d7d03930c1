//! The embedded default: every record, signal and queue port in one redb file on local
//! disk. Each write call is one redb transaction, committed with redb's default
//! durability (fsync), so what a call reported as done survives a crash or `kill -9`.
//! redb is synchronous, so writes and scans run on the blocking pool.

use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{Datelike, NaiveDate};
use redb::{
    Database, DatabaseError, ReadTransaction, ReadableDatabase, ReadableTable,
    ReadableTableMetadata, Table, TableDefinition, WriteTransaction,
};

use super::{
    apply_signals, decode_list_page, enqueue_with, open_customer, parse_receipt, receive_with,
    seal_customer, time_key, QueueMessage, QueueOps, SignalAggregates, DEFAULT_MAX_RECEIVES,
};
use crate::domain::{Customer, ListPage, Signal, StoredList, Style, Subject};
use crate::error::{StoreError, StoreResult};
use crate::optics::sealing::Sealer;
use crate::ports::{
    CatalogStore, CoOccurrence, DailyStyleCounts, EnqueueOutcome, ProfileStore, QueuedSignal,
    RecommendationStore, SignalQueue, SignalStore,
};

const STYLES: TableDefinition<&str, &[u8]> = TableDefinition::new("styles");
const CUSTOMERS: TableDefinition<&str, &[u8]> = TableDefinition::new("customers");
const LISTS: TableDefinition<&str, &[u8]> = TableDefinition::new("lists");
const APPLIED_EVENTS: TableDefinition<&str, ()> = TableDefinition::new("applied_events");
/// (subject key, time key, event id) -> signal JSON.
const HISTORY: TableDefinition<(&str, u64, &str), &[u8]> = TableDefinition::new("history");
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
/// Counters that must never go back (queue receipts, engagement order).
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

const QUEUE_SEQ: &str = "queue_seq";
const ENGAGED_SEQ: &str = "engaged_seq";

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
    /// table. Fails with a clear message when another process holds the file.
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

    /// Signals that were received too often without an ack, oldest first, for inspection.
    pub fn dead_letters(&self) -> StoreResult<Vec<Signal>> {
        let txn = self.read()?;
        let table = txn.open_table(DEAD_LETTERS).db()?;
        let mut signals = Vec::new();
        for entry in table.iter().db()? {
            let (seq, bytes) = entry.db()?;
            let message: QueueMessage = decode(bytes.value(), "dead letter", seq.value())?;
            signals.push(message.signal);
        }
        Ok(signals)
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
    txn.open_table(SUBJECTS).db()?;
    txn.open_table(DAILY).db()?;
    txn.open_table(ENGAGED).db()?;
    txn.open_table(ENGAGED_ORDER).db()?;
    txn.open_table(PAIRS).db()?;
    txn.open_table(ACCEPTED_EVENTS).db()?;
    txn.open_table(QUEUE).db()?;
    txn.open_table(DEAD_LETTERS).db()?;
    txn.open_table(META).db()?;
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

fn day_key(day: NaiveDate) -> i32 {
    day.num_days_from_ce()
}

fn day_from_key(key: i32) -> StoreResult<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(key)
        .ok_or_else(|| StoreError::Corrupt(format!("day key {key} out of range")))
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

/// Upserts JSON records by key in one transaction.
async fn put_json<T: Clone + Send + 'static>(
    store: &EmbeddedStore,
    table: TableDefinition<'static, &'static str, &'static [u8]>,
    items: &[T],
    key: fn(&T) -> &str,
    seal: fn(&T) -> StoreResult<Vec<u8>>,
) -> StoreResult<()> {
    let encoded = items
        .iter()
        .map(|item| Ok((key(item).to_string(), seal(item)?)))
        .collect::<StoreResult<Vec<_>>>()?;
    store
        .write(move |txn| {
            let mut table = txn.open_table(table).db()?;
            for (key, bytes) in &encoded {
                table.insert(key.as_str(), bytes.as_slice()).db()?;
            }
            Ok(())
        })
        .await
}

#[async_trait]
impl CatalogStore for EmbeddedStore {
    async fn put_styles(&self, styles: &[Style]) -> StoreResult<()> {
        put_json(self, STYLES, styles, |s| &s.id, encode).await
    }

    async fn get_style(&self, id: &str) -> StoreResult<Option<Style>> {
        let txn = self.read()?;
        let table = txn.open_table(STYLES).db()?;
        let guard = table.get(id).db()?;
        guard.map(|v| decode(v.value(), "style", id)).transpose()
    }

    async fn list_styles(&self) -> StoreResult<Vec<Style>> {
        self.blocking(|db| {
            let txn = db.begin_read().db()?;
            let table = txn.open_table(STYLES).db()?;
            let mut styles = Vec::new();
            for entry in table.iter().db()? {
                let (id, bytes) = entry.db()?;
                styles.push(decode(bytes.value(), "style", id.value())?);
            }
            Ok(styles)
        })
        .await
    }
}

#[async_trait]
impl ProfileStore for EmbeddedStore {
    async fn put_customers(&self, customers: &[Customer]) -> StoreResult<()> {
        let mut encoded = Vec::with_capacity(customers.len());
        for customer in customers {
            encoded.push((
                customer.id.clone(),
                encode(&seal_customer(Some(&self.sealer), customer).await?)?,
            ));
        }
        self.write(move |txn| {
            let mut table = txn.open_table(CUSTOMERS).db()?;
            for (key, bytes) in &encoded {
                table.insert(key.as_str(), bytes.as_slice()).db()?;
            }
            Ok(())
        })
        .await
    }

    async fn get_customer(&self, id: &str) -> StoreResult<Option<Customer>> {
        let bytes = {
            let txn = self.read()?;
            let table = txn.open_table(CUSTOMERS).db()?;
            let guard = table.get(id).db()?;
            guard.map(|v| v.value().to_vec())
        };
        match bytes {
            Some(bytes) => Ok(Some(open_customer(Some(&self.sealer), &bytes, id).await?)),
            None => Ok(None),
        }
    }

    async fn delete_customer(&self, id: &str) -> StoreResult<bool> {
        let id = id.to_string();
        self.write(move |txn| {
            let mut table = txn.open_table(CUSTOMERS).db()?;
            let existed = table.remove(id.as_str()).db()?.is_some();
            Ok(existed)
        })
        .await
    }

    async fn list_customer_ids(&self) -> StoreResult<Vec<String>> {
        self.blocking(|db| {
            let txn = db.begin_read().db()?;
            let table = txn.open_table(CUSTOMERS).db()?;
            let mut ids = Vec::new();
            for entry in table.iter().db()? {
                ids.push(entry.db()?.0.value().to_string());
            }
            Ok(ids)
        })
        .await
    }
}

#[async_trait]
impl RecommendationStore for EmbeddedStore {
    async fn get_list(&self, customer_id: &str) -> StoreResult<Option<StoredList>> {
        let txn = self.read()?;
        let table = txn.open_table(LISTS).db()?;
        let guard = table.get(customer_id).db()?;
        guard
            .map(|v| decode(v.value(), "list", customer_id))
            .transpose()
    }

    async fn get_list_page(
        &self,
        customer_id: &str,
        offset: usize,
        limit: usize,
    ) -> StoreResult<Option<ListPage>> {
        let txn = self.read()?;
        let table = txn.open_table(LISTS).db()?;
        let guard = table.get(customer_id).db()?;
        guard
            .map(|v| {
                decode_list_page(v.value(), offset, limit)
                    .map_err(|e| StoreError::Corrupt(format!("list {customer_id}: {e}")))
            })
            .transpose()
    }

    async fn put_lists(&self, lists: &[StoredList]) -> StoreResult<()> {
        put_json(self, LISTS, lists, |l| &l.customer_id, encode).await
    }
}

/// The signal tables opened inside one write transaction.
struct SignalTables<'txn> {
    applied: Table<'txn, &'static str, ()>,
    history: Table<'txn, (&'static str, u64, &'static str), &'static [u8]>,
    subjects: Table<'txn, &'static str, ()>,
    daily: Table<'txn, (i32, &'static str), [u32; 9]>,
    engaged: Table<'txn, (&'static str, &'static str), u64>,
    engaged_order: Table<'txn, (&'static str, u64), &'static str>,
    pairs: Table<'txn, (&'static str, &'static str), u32>,
    meta: Table<'txn, &'static str, u64>,
}

impl<'txn> SignalTables<'txn> {
    fn open(txn: &'txn WriteTransaction) -> StoreResult<Self> {
        Ok(Self {
            applied: txn.open_table(APPLIED_EVENTS).db()?,
            history: txn.open_table(HISTORY).db()?,
            subjects: txn.open_table(SUBJECTS).db()?,
            daily: txn.open_table(DAILY).db()?,
            engaged: txn.open_table(ENGAGED).db()?,
            engaged_order: txn.open_table(ENGAGED_ORDER).db()?,
            pairs: txn.open_table(PAIRS).db()?,
            meta: txn.open_table(META).db()?,
        })
    }
}

impl SignalAggregates for SignalTables<'_> {
    fn is_applied(&mut self, event_id: &str) -> StoreResult<bool> {
        Ok(self.applied.get(event_id).db()?.is_some())
    }

    fn mark_applied(&mut self, event_id: &str) -> StoreResult<()> {
        self.applied.insert(event_id, ()).db()?;
        Ok(())
    }

    fn append_history(&mut self, subject_key: &str, signal: &Signal) -> StoreResult<()> {
        let bytes = encode(signal)?;
        self.history
            .insert(
                (
                    subject_key,
                    time_key(signal.timestamp),
                    signal.event_id.as_str(),
                ),
                bytes.as_slice(),
            )
            .db()?;
        self.subjects.insert(subject_key, ()).db()?;
        Ok(())
    }

    fn add_daily(&mut self, style_id: &str, day: NaiveDate, kind: usize) -> StoreResult<()> {
        let key = (day_key(day), style_id);
        let mut counts = self.daily.get(key).db()?.map_or([0; 9], |v| v.value());
        if let Some(count) = counts.get_mut(kind) {
            *count = count.saturating_add(1);
        }
        self.daily.insert(key, counts).db()?;
        Ok(())
    }

    fn is_engaged(&mut self, subject_key: &str, style_id: &str) -> StoreResult<bool> {
        Ok(self.engaged.get((subject_key, style_id)).db()?.is_some())
    }

    fn recent_engaged(&mut self, subject_key: &str, limit: usize) -> StoreResult<Vec<String>> {
        let mut styles = Vec::new();
        let range = self
            .engaged_order
            .range((subject_key, 0)..=(subject_key, u64::MAX))
            .db()?;
        for entry in range.rev().take(limit) {
            styles.push(entry.db()?.1.value().to_string());
        }
        Ok(styles)
    }

    fn mark_engaged(&mut self, subject_key: &str, style_id: &str) -> StoreResult<()> {
        let seq = next_seq(&mut self.meta, ENGAGED_SEQ)?;
        self.engaged.insert((subject_key, style_id), seq).db()?;
        self.engaged_order
            .insert((subject_key, seq), style_id)
            .db()?;
        Ok(())
    }

    fn add_pair(&mut self, style_a: &str, style_b: &str) -> StoreResult<()> {
        let key = (style_a, style_b);
        let count = self.pairs.get(key).db()?.map_or(0, |v| v.value());
        self.pairs.insert(key, count.saturating_add(1)).db()?;
        Ok(())
    }
}

#[async_trait]
impl SignalStore for EmbeddedStore {
    async fn apply(&self, signals: &[Signal]) -> StoreResult<Vec<Signal>> {
        let signals = signals.to_vec();
        self.write(move |txn| apply_signals(&mut SignalTables::open(txn)?, &signals))
            .await
    }

    async fn history(&self, subject: &Subject, limit: usize) -> StoreResult<Vec<Signal>> {
        let key = subject.key();
        let txn = self.read()?;
        let table = txn.open_table(HISTORY).db()?;
        let range = table
            .range((key.as_str(), 0, "")..(key.as_str(), u64::MAX, ""))
            .db()?;
        let mut signals = Vec::new();
        for entry in range.rev().take(limit) {
            let (k, bytes) = entry.db()?;
            signals.push(decode(bytes.value(), "signal", k.value().2)?);
        }
        Ok(signals)
    }

    async fn daily_counts(&self, since: NaiveDate) -> StoreResult<Vec<DailyStyleCounts>> {
        self.blocking(move |db| {
            let txn = db.begin_read().db()?;
            let table = txn.open_table(DAILY).db()?;
            let mut out = Vec::new();
            for entry in table.range((day_key(since), "")..).db()? {
                let (key, counts) = entry.db()?;
                let (day, style_id) = key.value();
                out.push(DailyStyleCounts {
                    style_id: style_id.to_string(),
                    day: day_from_key(day)?,
                    counts: counts.value(),
                });
            }
            Ok(out)
        })
        .await
    }

    async fn co_occurrences(&self) -> StoreResult<Vec<CoOccurrence>> {
        self.blocking(|db| {
            let txn = db.begin_read().db()?;
            let table = txn.open_table(PAIRS).db()?;
            let mut out = Vec::new();
            for entry in table.iter().db()? {
                let (key, subjects) = entry.db()?;
                let (a, b) = key.value();
                out.push(CoOccurrence {
                    style_a: a.to_string(),
                    style_b: b.to_string(),
                    subjects: subjects.value(),
                });
            }
            Ok(out)
        })
        .await
    }

    async fn subjects(&self) -> StoreResult<Vec<Subject>> {
        self.blocking(|db| {
            let txn = db.begin_read().db()?;
            let table = txn.open_table(SUBJECTS).db()?;
            let mut out = Vec::new();
            for entry in table.iter().db()? {
                let (key, _) = entry.db()?;
                let key = key.value();
                out.push(
                    Subject::from_key(key)
                        .ok_or_else(|| StoreError::Corrupt(format!("bad subject key '{key}'")))?,
                );
            }
            Ok(out)
        })
        .await
    }
}

/// The queue tables opened inside one write transaction.
struct QueueTables<'txn> {
    accepted: Table<'txn, &'static str, ()>,
    queue: Table<'txn, u64, &'static [u8]>,
    dead: Table<'txn, u64, &'static [u8]>,
    meta: Table<'txn, &'static str, u64>,
}

impl<'txn> QueueTables<'txn> {
    fn open(txn: &'txn WriteTransaction) -> StoreResult<Self> {
        Ok(Self {
            accepted: txn.open_table(ACCEPTED_EVENTS).db()?,
            queue: txn.open_table(QUEUE).db()?,
            dead: txn.open_table(DEAD_LETTERS).db()?,
            meta: txn.open_table(META).db()?,
        })
    }
}

impl QueueOps for QueueTables<'_> {
    fn is_accepted(&mut self, event_id: &str) -> StoreResult<bool> {
        Ok(self.accepted.get(event_id).db()?.is_some())
    }

    fn mark_accepted(&mut self, event_id: &str) -> StoreResult<()> {
        self.accepted.insert(event_id, ()).db()?;
        Ok(())
    }

    fn push(&mut self, message: &QueueMessage) -> StoreResult<()> {
        let seq = next_seq(&mut self.meta, QUEUE_SEQ)?;
        let bytes = encode(message)?;
        self.queue.insert(seq, bytes.as_slice()).db()?;
        Ok(())
    }

    fn oldest(
        &mut self,
        after: Option<u64>,
        limit: usize,
    ) -> StoreResult<Vec<(u64, Option<QueueMessage>)>> {
        let start = after.map_or(Bound::Unbounded, Bound::Excluded);
        let mut out = Vec::new();
        for entry in self
            .queue
            .range((start, Bound::Unbounded))
            .db()?
            .take(limit)
        {
            let (seq, bytes) = entry.db()?;
            let message = serde_json::from_slice(bytes.value()).ok();
            out.push((seq.value(), message));
        }
        Ok(out)
    }

    fn update(&mut self, seq: u64, message: &QueueMessage) -> StoreResult<()> {
        let bytes = encode(message)?;
        self.queue.insert(seq, bytes.as_slice()).db()?;
        Ok(())
    }

    fn move_to_dead_letters(&mut self, seq: u64) -> StoreResult<()> {
        let bytes = self.queue.remove(seq).db()?.map(|v| v.value().to_vec());
        if let Some(bytes) = bytes {
            self.dead.insert(seq, bytes.as_slice()).db()?;
        }
        Ok(())
    }
}

#[async_trait]
impl SignalQueue for EmbeddedStore {
    async fn enqueue(&self, signals: &[Signal]) -> StoreResult<EnqueueOutcome> {
        let signals = signals.to_vec();
        self.write(move |txn| enqueue_with(&mut QueueTables::open(txn)?, &signals))
            .await
    }

    async fn receive(&self, max: usize) -> StoreResult<Vec<QueuedSignal>> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let max_receives = self.max_receives;
        self.write(move |txn| receive_with(&mut QueueTables::open(txn)?, max, max_receives))
            .await
    }

    async fn ack(&self, receipts: &[String]) -> StoreResult<()> {
        let seqs: Vec<u64> = receipts.iter().filter_map(|r| parse_receipt(r)).collect();
        if seqs.is_empty() {
            return Ok(());
        }
        self.write(move |txn| {
            let mut queue = txn.open_table(QUEUE).db()?;
            for seq in seqs {
                queue.remove(seq).db()?;
            }
            Ok(())
        })
        .await
    }

    async fn depth(&self) -> StoreResult<u64> {
        let txn = self.read()?;
        txn.open_table(QUEUE).db()?.len().db()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SignalKind;

    fn signal(event_id: &str) -> Signal {
        Signal {
            event_id: event_id.to_string(),
            customer_id: Some("c1".to_string()),
            session_id: None,
            kind: SignalKind::Click,
            style_id: "s1".to_string(),
            sku: None,
            timestamp: chrono::DateTime::from_timestamp(1_740_000_000, 0).expect("valid time"),
            recommendation_id: None,
            placement: None,
            context: None,
        }
    }

    #[tokio::test]
    async fn when_store_reopened_should_still_deliver_enqueued_signal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("framewise.redb");
        {
            let store = EmbeddedStore::open(&path).expect("open");
            let outcome = store.enqueue(&[signal("e1")]).await.expect("enqueue");
            assert_eq!(outcome.accepted, 1);
        }
        let store = EmbeddedStore::open(&path).expect("reopen");
        let received = store.receive(10).await.expect("receive");
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].signal, signal("e1"));
        let outcome = store.enqueue(&[signal("e1")]).await.expect("enqueue");
        assert_eq!(outcome.duplicates, 1, "accepted ids must survive a restart");
    }

    #[tokio::test]
    async fn when_receipts_reused_after_restart_should_not_repeat_sequence() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("framewise.redb");
        let first = {
            let store = EmbeddedStore::open(&path).expect("open");
            store.enqueue(&[signal("e1")]).await.expect("enqueue");
            let received = store.receive(1).await.expect("receive");
            store
                .ack(&[received[0].receipt.clone()])
                .await
                .expect("ack");
            received[0].receipt.clone()
        };
        let store = EmbeddedStore::open(&path).expect("reopen");
        store.enqueue(&[signal("e2")]).await.expect("enqueue");
        let received = store.receive(1).await.expect("receive");
        assert_ne!(received[0].receipt, first);
    }

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

    #[tokio::test]
    async fn when_queue_message_is_corrupt_should_dead_letter_and_keep_flowing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = EmbeddedStore::open(&dir.path().join("framewise.redb")).expect("open");
        store
            .write(|txn| {
                txn.open_table(QUEUE)
                    .db()?
                    .insert(0, b"garbage".as_slice())
                    .db()?;
                Ok(())
            })
            .await
            .expect("inject");
        store.enqueue(&[signal("e1")]).await.expect("enqueue");
        let received = store.receive(10).await.expect("receive");
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].signal.event_id, "e1");
        assert_eq!(store.depth().await.expect("depth"), 1);
        assert!(matches!(store.dead_letters(), Err(StoreError::Corrupt(_))));
    }

    #[tokio::test]
    async fn when_customer_record_is_corrupt_should_report_corrupt_without_contents() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = EmbeddedStore::open(&dir.path().join("framewise.redb")).expect("open");
        store
            .write(|txn| {
                txn.open_table(CUSTOMERS)
                    .db()?
                    .insert("c1", br#"{"id":"c1","prescription":"SECRET"}"#.as_slice())
                    .db()?;
                Ok(())
            })
            .await
            .expect("inject");
        match store.get_customer("c1").await {
            Err(StoreError::Corrupt(message)) => assert!(!message.contains("SECRET"), "{message}"),
            other => panic!("expected corrupt, got {other:?}"),
        }
    }

    fn customer_with_rx() -> Customer {
        use crate::domain::{EyeRx, Prescription, PupillaryDistance};
        let mut c = Customer::new("rx-1");
        c.prescription = Some(Prescription {
            od: EyeRx {
                sph: -7.25,
                cyl: -1.75,
                axis: Some(35),
                add: None,
                prism: None,
            },
            os: EyeRx {
                sph: -6.75,
                cyl: 0.0,
                axis: None,
                add: None,
                prism: None,
            },
            pd: PupillaryDistance::Binocular(58.5),
            fitting_height: None,
        });
        c
    }

    #[tokio::test]
    async fn when_customer_has_prescription_should_store_it_only_sealed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("framewise.redb");
        let customer = customer_with_rx();
        {
            let store = EmbeddedStore::open(&path).expect("open");
            store
                .put_customers(std::slice::from_ref(&customer))
                .await
                .expect("put");
            assert_eq!(
                store.get_customer("rx-1").await.expect("get"),
                Some(customer.clone())
            );
        }
        let raw = std::fs::read(&path).expect("read db file");
        assert!(
            raw.windows(6).any(|w| w == b"\"rx-1\""),
            "the record itself is in the file"
        );
        for needle in [
            &b"-7.25"[..],
            b"-6.75",
            b"58.5",
            b"-1.75",
            b"\"sph\"",
            b"\"pd\"",
        ] {
            assert!(
                !raw.windows(needle.len()).any(|w| w == needle),
                "found {:?} in the raw file",
                String::from_utf8_lossy(needle)
            );
        }
        // Reopening reads the same key file.
        let store = EmbeddedStore::open(&path).expect("reopen");
        assert_eq!(
            store.get_customer("rx-1").await.expect("get"),
            Some(customer)
        );
    }

    #[tokio::test]
    async fn when_key_file_replaced_should_refuse_to_open_prescription() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("framewise.redb");
        {
            let store = EmbeddedStore::open(&path).expect("open");
            store
                .put_customers(&[customer_with_rx()])
                .await
                .expect("put");
        }
        let key = crate::optics::LocalKeyFile::default_path(dir.path());
        std::fs::write(&key, [7u8; 32]).expect("replace key");
        let store = EmbeddedStore::open(&path).expect("reopen");
        assert!(matches!(
            store.get_customer("rx-1").await,
            Err(StoreError::Corrupt(_))
        ));
    }

    #[tokio::test]
    async fn when_customer_deleted_should_delete_prescription_and_never_debug_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = EmbeddedStore::open(&dir.path().join("framewise.redb")).expect("open");
        let customer = customer_with_rx();
        let debug = format!("{customer:?}");
        assert!(debug.contains("<redacted>"));
        assert!(
            !debug.contains("7.25") && !debug.contains("58.5"),
            "{debug}"
        );
        store.put_customers(&[customer]).await.expect("put");
        assert!(store.delete_customer("rx-1").await.expect("delete"));
        assert_eq!(store.get_customer("rx-1").await.expect("get"), None);
    }
}

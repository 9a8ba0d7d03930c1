//! The signal port of the embedded store: the redb tables behind the primitives of
//! [`SignalAggregates`], and erasure; the rules of applying a signal are in
//! [`crate::aggregates::apply`], those of tombstones in [`crate::aggregates::erasure`].

use std::collections::{BTreeSet, HashMap, HashSet};

use async_trait::async_trait;
use chrono::{Datelike, NaiveDate, Utc};
use redb::{ReadTransaction, ReadableDatabase, ReadableTable, Table, WriteTransaction};

use super::{
    decode, encode, next_seq, signal_table, EmbeddedStore, RedbResultExt, SignalTable,
    APPLIED_EVENTS, DAILY, ENGAGED, ENGAGED_ORDER, ENGAGED_SEQ, META, PAIRS, SUBJECTS, TOMBSTONES,
};
use crate::adapters::time_key::time_key;
use crate::aggregates::apply::{apply_signals, SignalAggregates};
use crate::aggregates::erasure::{tombstone_key, Tombstone};
use crate::aggregates::history::{merge_history, sort_newest_first, HistoryClass};
use crate::aggregates::{CoOccurrence, DailyStyleCounts};
use crate::domain::{Signal, Subject};
use crate::error::{StoreError, StoreResult};
use crate::ports::{ErasedSubject, SignalStore};

fn day_key(day: NaiveDate) -> i32 {
    day.num_days_from_ce()
}

fn day_from_key(key: i32) -> StoreResult<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(key)
        .ok_or_else(|| StoreError::Corrupt(format!("day key {key} out of range")))
}

/// The tombstone stored under `key` (a [`tombstone_key`]), live or not.
pub(super) fn stored_tombstone(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &str,
) -> StoreResult<Option<Tombstone>> {
    let guard = table.get(key).db()?;
    guard
        .map(|v| decode(v.value(), "tombstone", key))
        .transpose()
}

/// The subject's signals in one history table, newest first, at most `limit`.
fn subject_signals(
    txn: &ReadTransaction,
    table: SignalTable,
    subject_key: &str,
    limit: usize,
) -> StoreResult<Vec<Signal>> {
    let table = txn.open_table(table).db()?;
    let range = table
        .range((subject_key, 0, "")..(subject_key, u64::MAX, ""))
        .db()?;
    let mut signals = Vec::new();
    for entry in range.rev().take(limit) {
        let (k, bytes) = entry.db()?;
        signals.push(decode(bytes.value(), "signal", k.value().2)?);
    }
    Ok(signals)
}

/// Deletes the subject's signals from one history table; returns how many there were.
fn remove_subject_signals(
    txn: &WriteTransaction,
    table: SignalTable,
    subject_key: &str,
) -> StoreResult<usize> {
    let mut table = txn.open_table(table).db()?;
    let mut removed = 0;
    let range = (subject_key, 0, "")..(subject_key, u64::MAX, "");
    for entry in table.extract_from_if(range, |_, _| true).db()? {
        entry.db()?;
        removed += 1;
    }
    Ok(removed)
}

/// The signal tables opened inside one write transaction.
///
/// Writes that applying never reads back (history, subjects, daily counts, pairs, event
/// markers) are gathered in [`PendingWrites`] and written in key order by [`Self::flush`]:
/// a bulk import touches each store page once per transaction instead of once per row, and
/// a pair or day counted many times in one transaction is written once.
struct SignalTables<'txn> {
    txn: &'txn WriteTransaction,
    applied: Table<'txn, &'static str, ()>,
    engaged: Table<'txn, (&'static str, &'static str), u64>,
    engaged_order: Table<'txn, (&'static str, u64), &'static str>,
    meta: Table<'txn, &'static str, u64>,
    tombstones: Table<'txn, &'static str, &'static [u8]>,
    pending: PendingWrites,
}

/// Writes of one transaction not yet in their tables; see [`SignalTables`].
#[derive(Default)]
struct PendingWrites {
    /// Event ids marked applied; [`SignalAggregates::is_applied`] reads them back.
    applied: HashSet<String>,
    /// (class, subject key, time key, event id) -> signal JSON.
    history: Vec<(HistoryClass, String, u64, String, Vec<u8>)>,
    subjects: BTreeSet<String>,
    /// (day key, style id) -> counts to add.
    daily: HashMap<(i32, String), [u32; 9]>,
    /// (style a, style b) -> subjects to add.
    pairs: HashMap<(String, String), u32>,
}

impl<'txn> SignalTables<'txn> {
    fn open(txn: &'txn WriteTransaction) -> StoreResult<Self> {
        Ok(Self {
            txn,
            applied: txn.open_table(APPLIED_EVENTS).db()?,
            engaged: txn.open_table(ENGAGED).db()?,
            engaged_order: txn.open_table(ENGAGED_ORDER).db()?,
            meta: txn.open_table(META).db()?,
            tombstones: txn.open_table(TOMBSTONES).db()?,
            pending: PendingWrites::default(),
        })
    }

    /// Writes what is pending, each table in key order; call before committing.
    fn flush(self) -> StoreResult<()> {
        let Self {
            txn,
            mut applied,
            pending,
            ..
        } = self;
        let mut markers: Vec<String> = pending.applied.into_iter().collect();
        markers.sort_unstable();
        for event_id in &markers {
            applied.insert(event_id.as_str(), ()).db()?;
        }
        let mut history = pending.history;
        history.sort_unstable_by(|a, b| (&a.1, a.2, &a.3).cmp(&(&b.1, b.2, &b.3)));
        for class in HistoryClass::ALL {
            let mut table = txn.open_table(signal_table(class)).db()?;
            for (_, subject, time, event_id, bytes) in history.iter().filter(|h| h.0 == class) {
                table
                    .insert(
                        (subject.as_str(), *time, event_id.as_str()),
                        bytes.as_slice(),
                    )
                    .db()?;
            }
        }
        let mut subjects = txn.open_table(SUBJECTS).db()?;
        for subject in &pending.subjects {
            subjects.insert(subject.as_str(), ()).db()?;
        }
        let mut daily_table = txn.open_table(DAILY).db()?;
        for ((day, style), added) in sorted(pending.daily) {
            let key = (day, style.as_str());
            let mut counts = daily_table.get(key).db()?.map_or([0; 9], |v| v.value());
            for (count, more) in counts.iter_mut().zip(added) {
                *count = count.saturating_add(more);
            }
            daily_table.insert(key, counts).db()?;
        }
        let mut pairs_table = txn.open_table(PAIRS).db()?;
        for ((a, b), added) in sorted(pending.pairs) {
            let key = (a.as_str(), b.as_str());
            let count = pairs_table.get(key).db()?.map_or(0, |v| v.value());
            pairs_table.insert(key, count.saturating_add(added)).db()?;
        }
        Ok(())
    }
}

/// The entries of `map` in key order.
fn sorted<K: Ord, V>(map: HashMap<K, V>) -> Vec<(K, V)> {
    let mut entries: Vec<(K, V)> = map.into_iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    entries
}

impl SignalAggregates for SignalTables<'_> {
    fn tombstone(&mut self, key: &str) -> StoreResult<Option<Tombstone>> {
        stored_tombstone(&self.tombstones, key)
    }

    fn is_applied(&mut self, event_id: &str) -> StoreResult<bool> {
        Ok(self.pending.applied.contains(event_id) || self.applied.get(event_id).db()?.is_some())
    }

    fn mark_applied(&mut self, event_id: &str) -> StoreResult<()> {
        self.pending.applied.insert(event_id.to_string());
        Ok(())
    }

    fn append_history(
        &mut self,
        subject_key: &str,
        class: HistoryClass,
        signal: &Signal,
    ) -> StoreResult<()> {
        self.pending.history.push((
            class,
            subject_key.to_string(),
            time_key(signal.timestamp),
            signal.event_id.clone(),
            encode(signal)?,
        ));
        if !self.pending.subjects.contains(subject_key) {
            self.pending.subjects.insert(subject_key.to_string());
        }
        Ok(())
    }

    fn add_daily(&mut self, style_id: &str, day: NaiveDate, kind: usize) -> StoreResult<()> {
        let counts = self
            .pending
            .daily
            .entry((day_key(day), style_id.to_string()))
            .or_insert([0; 9]);
        if let Some(count) = counts.get_mut(kind) {
            *count = count.saturating_add(1);
        }
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
        let count = self
            .pending
            .pairs
            .entry((style_a.to_string(), style_b.to_string()))
            .or_insert(0);
        *count = count.saturating_add(1);
        Ok(())
    }
}

#[async_trait]
impl SignalStore for EmbeddedStore {
    async fn apply(&self, signals: &[Signal]) -> StoreResult<Vec<Signal>> {
        let signals = signals.to_vec();
        self.write(move |txn| {
            let mut tables = SignalTables::open(txn)?;
            let new = apply_signals(&mut tables, &signals, Utc::now())?;
            tables.flush()?;
            Ok(new)
        })
        .await
    }

    async fn history(&self, subject: &Subject, limit: usize) -> StoreResult<Vec<Signal>> {
        let key = subject.key();
        let txn = self.read()?;
        let decisive = signal_table(HistoryClass::Decisive);
        let browsing = signal_table(HistoryClass::Browsing);
        Ok(merge_history(
            subject_signals(&txn, decisive, &key, usize::MAX)?,
            subject_signals(&txn, browsing, &key, limit)?,
        ))
    }

    async fn all_signals(&self, subject: &Subject) -> StoreResult<Vec<Signal>> {
        let key = subject.key();
        self.blocking(move |db| {
            let txn = db.begin_read().db()?;
            let mut all = Vec::new();
            for class in HistoryClass::ALL {
                all.extend(subject_signals(
                    &txn,
                    signal_table(class),
                    &key,
                    usize::MAX,
                )?);
            }
            sort_newest_first(&mut all);
            Ok(all)
        })
        .await
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

    async fn engaged_styles(&self, subject: &Subject) -> StoreResult<Vec<String>> {
        let key = subject.key();
        let txn = self.read()?;
        let table = txn.open_table(ENGAGED_ORDER).db()?;
        let mut styles = Vec::new();
        for entry in table
            .range((key.as_str(), 0)..=(key.as_str(), u64::MAX))
            .db()?
            .rev()
        {
            styles.push(entry.db()?.1.value().to_string());
        }
        Ok(styles)
    }

    async fn record_erasure(&self, subject: &Subject, tombstone: &Tombstone) -> StoreResult<()> {
        let key = tombstone_key(&subject.key());
        let bytes = encode(tombstone)?;
        self.write(move |txn| {
            let now = Utc::now();
            let mut table = txn.open_table(TOMBSTONES).db()?;
            // Expired tombstones refuse nothing (nor do undecodable ones); dropping them keeps
            // the table to the shoppers erased within the window.
            table
                .retain(|_, bytes| {
                    serde_json::from_slice::<Tombstone>(bytes).is_ok_and(|t| t.is_live(now))
                })
                .db()?;
            table.insert(key.as_str(), bytes.as_slice()).db()?;
            Ok(())
        })
        .await
    }

    async fn erase_subject(&self, subject: &Subject) -> StoreResult<ErasedSubject> {
        let key = subject.key();
        self.write(move |txn| {
            let key = key.as_str();
            let mut signals = 0;
            for class in HistoryClass::ALL {
                signals += remove_subject_signals(txn, signal_table(class), key)?;
            }
            let mut engaged = txn.open_table(ENGAGED).db()?;
            let mut styles = Vec::new();
            for entry in engaged.range((key, "")..).db()? {
                let (k, _) = entry.db()?;
                let (subject_key, style) = k.value();
                if subject_key != key {
                    break;
                }
                styles.push(style.to_string());
            }
            for style in &styles {
                engaged.remove((key, style.as_str())).db()?;
            }
            let mut order = txn.open_table(ENGAGED_ORDER).db()?;
            order
                .retain_in((key, 0)..=(key, u64::MAX), |_, _| false)
                .db()?;
            txn.open_table(SUBJECTS).db()?.remove(key).db()?;
            Ok(ErasedSubject {
                signals,
                engaged_styles: styles.len(),
            })
        })
        .await
    }
}

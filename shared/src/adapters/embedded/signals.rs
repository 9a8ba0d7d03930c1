//! The signal port of the embedded store: the redb tables behind the primitives of
//! [`SignalAggregates`], and erasure; the rules of applying a signal are in
//! [`crate::aggregates::apply`], those of tombstones in [`crate::aggregates::erasure`].

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
struct SignalTables<'txn> {
    applied: Table<'txn, &'static str, ()>,
    decisive: Table<'txn, (&'static str, u64, &'static str), &'static [u8]>,
    browsing: Table<'txn, (&'static str, u64, &'static str), &'static [u8]>,
    impressions: Table<'txn, (&'static str, u64, &'static str), &'static [u8]>,
    subjects: Table<'txn, &'static str, ()>,
    daily: Table<'txn, (i32, &'static str), [u32; 9]>,
    engaged: Table<'txn, (&'static str, &'static str), u64>,
    engaged_order: Table<'txn, (&'static str, u64), &'static str>,
    pairs: Table<'txn, (&'static str, &'static str), u32>,
    meta: Table<'txn, &'static str, u64>,
    tombstones: Table<'txn, &'static str, &'static [u8]>,
}

impl<'txn> SignalTables<'txn> {
    fn open(txn: &'txn WriteTransaction) -> StoreResult<Self> {
        Ok(Self {
            applied: txn.open_table(APPLIED_EVENTS).db()?,
            decisive: txn.open_table(signal_table(HistoryClass::Decisive)).db()?,
            browsing: txn.open_table(signal_table(HistoryClass::Browsing)).db()?,
            impressions: txn
                .open_table(signal_table(HistoryClass::Impression))
                .db()?,
            subjects: txn.open_table(SUBJECTS).db()?,
            daily: txn.open_table(DAILY).db()?,
            engaged: txn.open_table(ENGAGED).db()?,
            engaged_order: txn.open_table(ENGAGED_ORDER).db()?,
            pairs: txn.open_table(PAIRS).db()?,
            meta: txn.open_table(META).db()?,
            tombstones: txn.open_table(TOMBSTONES).db()?,
        })
    }
}

impl SignalAggregates for SignalTables<'_> {
    fn tombstone(&mut self, key: &str) -> StoreResult<Option<Tombstone>> {
        stored_tombstone(&self.tombstones, key)
    }

    fn is_applied(&mut self, event_id: &str) -> StoreResult<bool> {
        Ok(self.applied.get(event_id).db()?.is_some())
    }

    fn mark_applied(&mut self, event_id: &str) -> StoreResult<()> {
        self.applied.insert(event_id, ()).db()?;
        Ok(())
    }

    fn append_history(
        &mut self,
        subject_key: &str,
        class: HistoryClass,
        signal: &Signal,
    ) -> StoreResult<()> {
        let bytes = encode(signal)?;
        let table = match class {
            HistoryClass::Decisive => &mut self.decisive,
            HistoryClass::Browsing => &mut self.browsing,
            HistoryClass::Impression => &mut self.impressions,
        };
        table
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
        self.write(move |txn| apply_signals(&mut SignalTables::open(txn)?, &signals, Utc::now()))
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

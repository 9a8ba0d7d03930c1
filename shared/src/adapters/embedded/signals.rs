//! The signal port of the embedded store: the redb tables behind the primitives of
//! [`SignalAggregates`], and erasure; the rules of applying a signal are in
//! [`crate::aggregates::apply`], those of tombstones in [`crate::aggregates::erasure`].

use std::collections::BTreeSet;

use foldhash::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{Datelike, NaiveDate, Utc};
use redb::{ReadTransaction, ReadableDatabase, ReadableTable, Table, WriteTransaction};

use super::{
    decode, encode, seq_after, signal_table, EmbeddedStore, RedbResultExt, SignalTable,
    APPLIED_EVENTS, DAILY, ENGAGED_ORDER, ENGAGED_SEQ, META, PAIRS, SUBJECTS, TOMBSTONES,
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
/// a pair or day counted many times in one transaction is written once. Reads are batched
/// the same way: the batch's event markers are looked up in key order before applying
/// ([`Self::prefetch_applied`]), and a subject's engagements are read once per transaction
/// ([`SubjectEngagements`]) instead of once per signal.
struct SignalTables<'txn> {
    txn: &'txn WriteTransaction,
    applied: Table<'txn, &'static str, ()>,
    engaged_order: Table<'txn, (&'static str, u64), &'static str>,
    meta: Table<'txn, &'static str, u64>,
    tombstones: Table<'txn, &'static str, &'static [u8]>,
    /// The batch's event ids that were marked applied before this transaction, once
    /// [`Self::prefetch_applied`] ran.
    stored_applied: Option<HashSet<String>>,
    /// The engagements of each subject this transaction touched, stored and new.
    engagements: HashMap<String, SubjectEngagements>,
    /// The last engagement sequence number handed out, once one was.
    engaged_seq: Option<u64>,
    pending: PendingWrites,
}

/// A subject's engaged styles, in the order of first engagement.
#[derive(Default)]
struct SubjectEngagements {
    styles: HashSet<String>,
    oldest_first: Vec<String>,
}

/// Writes of one transaction not yet in their tables; see [`SignalTables`].
#[derive(Default)]
struct PendingWrites {
    /// Event ids marked applied; [`SignalAggregates::is_applied`] reads them back.
    applied: HashSet<String>,
    /// (class, subject key, time key, event id) -> signal JSON.
    history: Vec<(HistoryClass, String, u64, String, Vec<u8>)>,
    subjects: BTreeSet<String>,
    /// The styles counted below, by number.
    styles: StyleNumbers,
    /// (day key, style number) -> counts to add.
    daily: HashMap<(i32, usize), [u32; 9]>,
    /// (style a, style b) by number, a's id before b's -> subjects to add.
    pairs: HashMap<(usize, usize), u32>,
    /// (subject key, style id, engagement sequence) of first engagements.
    engaged: Vec<(String, String, u64)>,
}

/// The style ids one transaction counts, numbered in order of first use: a count is then
/// keyed by numbers, without allocating or hashing its ids again.
#[derive(Default)]
struct StyleNumbers {
    numbers: HashMap<String, usize>,
    ids: Vec<String>,
}

impl StyleNumbers {
    fn number(&mut self, style_id: &str) -> usize {
        if let Some(number) = self.numbers.get(style_id) {
            return *number;
        }
        let number = self.ids.len();
        self.ids.push(style_id.to_string());
        self.numbers.insert(style_id.to_string(), number);
        number
    }

    fn id(&self, number: usize) -> &str {
        self.ids.get(number).map_or("", String::as_str)
    }
}

impl<'txn> SignalTables<'txn> {
    fn open(txn: &'txn WriteTransaction) -> StoreResult<Self> {
        Ok(Self {
            txn,
            applied: txn.open_table(APPLIED_EVENTS).db()?,
            engaged_order: txn.open_table(ENGAGED_ORDER).db()?,
            meta: txn.open_table(META).db()?,
            tombstones: txn.open_table(TOMBSTONES).db()?,
            stored_applied: None,
            engagements: HashMap::default(),
            engaged_seq: None,
            pending: PendingWrites::default(),
        })
    }

    /// Looks up which of the signals' events are already applied, in key order (neighbouring
    /// lookups share store pages); [`SignalAggregates::is_applied`] then answers from memory.
    fn prefetch_applied(&mut self, signals: &[Signal]) -> StoreResult<()> {
        let mut event_ids: Vec<&str> = signals.iter().map(|s| s.event_id.as_str()).collect();
        event_ids.sort_unstable();
        event_ids.dedup();
        let mut stored = HashSet::default();
        for event_id in event_ids {
            if self.applied.get(event_id).db()?.is_some() {
                stored.insert(event_id.to_string());
            }
        }
        self.stored_applied = Some(stored);
        Ok(())
    }

    /// The subject's engagements, read from the store the first time it is asked for.
    fn engagements(&mut self, subject_key: &str) -> StoreResult<&mut SubjectEngagements> {
        if !self.engagements.contains_key(subject_key) {
            let mut engagements = SubjectEngagements::default();
            let range = self
                .engaged_order
                .range((subject_key, 0)..=(subject_key, u64::MAX))
                .db()?;
            for entry in range {
                let style = entry.db()?.1.value().to_string();
                engagements.styles.insert(style.clone());
                engagements.oldest_first.push(style);
            }
            self.engagements
                .insert(subject_key.to_string(), engagements);
        }
        self.engagements
            .get_mut(subject_key)
            .ok_or_else(|| StoreError::Backend("engagements not loaded".to_string()))
    }

    /// Writes what is pending, each table in key order; call before committing.
    fn flush(self) -> StoreResult<()> {
        let Self {
            txn,
            mut applied,
            mut engaged_order,
            mut meta,
            engaged_seq,
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
        // Inserting returns what was stored: a new key is written once, an existing one
        // twice, instead of a lookup and a write each.
        let styles = &pending.styles;
        let mut daily: Vec<((i32, &str), [u32; 9])> = pending
            .daily
            .iter()
            .map(|(&(day, style), &counts)| ((day, styles.id(style)), counts))
            .collect();
        daily.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut daily_table = txn.open_table(DAILY).db()?;
        for (key, added) in daily {
            let stored = daily_table.insert(key, added).db()?.map(|v| v.value());
            if let Some(mut counts) = stored {
                for (count, more) in counts.iter_mut().zip(added) {
                    *count = count.saturating_add(more);
                }
                daily_table.insert(key, counts).db()?;
            }
        }
        let mut pairs: Vec<((&str, &str), u32)> = pending
            .pairs
            .iter()
            .map(|(&(a, b), &added)| ((styles.id(a), styles.id(b)), added))
            .collect();
        pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut pairs_table = txn.open_table(PAIRS).db()?;
        for (key, added) in pairs {
            let stored = pairs_table.insert(key, added).db()?.map(|v| v.value());
            if let Some(count) = stored {
                pairs_table.insert(key, count.saturating_add(added)).db()?;
            }
        }
        let mut engaged = pending.engaged;
        // Sequence numbers grow in input order and batches are grouped by subject, so this
        // order is nearly the table's key order already.
        engaged.sort_unstable_by(|a, b| (&a.0, a.2).cmp(&(&b.0, b.2)));
        for (subject, style, seq) in &engaged {
            engaged_order
                .insert((subject.as_str(), *seq), style.as_str())
                .db()?;
        }
        if let Some(seq) = engaged_seq {
            meta.insert(ENGAGED_SEQ, seq).db()?;
        }
        Ok(())
    }
}

impl SignalAggregates for SignalTables<'_> {
    fn tombstone(&mut self, key: &str) -> StoreResult<Option<Tombstone>> {
        stored_tombstone(&self.tombstones, key)
    }

    fn is_applied(&mut self, event_id: &str) -> StoreResult<bool> {
        if self.pending.applied.contains(event_id) {
            return Ok(true);
        }
        match &self.stored_applied {
            Some(stored) => Ok(stored.contains(event_id)),
            None => Ok(self.applied.get(event_id).db()?.is_some()),
        }
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
            .entry((day_key(day), self.pending.styles.number(style_id)))
            .or_insert([0; 9]);
        if let Some(count) = counts.get_mut(kind) {
            *count = count.saturating_add(1);
        }
        Ok(())
    }

    fn is_engaged(&mut self, subject_key: &str, style_id: &str) -> StoreResult<bool> {
        Ok(self.engagements(subject_key)?.styles.contains(style_id))
    }

    fn recent_engaged(&mut self, subject_key: &str, limit: usize) -> StoreResult<Vec<String>> {
        let engagements = self.engagements(subject_key)?;
        Ok(engagements
            .oldest_first
            .iter()
            .rev()
            .take(limit)
            .cloned()
            .collect())
    }

    fn mark_engaged(&mut self, subject_key: &str, style_id: &str) -> StoreResult<()> {
        let last = match self.engaged_seq {
            Some(seq) => seq,
            None => self.meta.get(ENGAGED_SEQ).db()?.map_or(0, |v| v.value()),
        };
        // Counted in memory and written once by `flush`, not read and written per engagement.
        let seq = seq_after(last, ENGAGED_SEQ)?;
        self.engaged_seq = Some(seq);
        let engagements = self.engagements(subject_key)?;
        engagements.styles.insert(style_id.to_string());
        engagements.oldest_first.push(style_id.to_string());
        self.pending
            .engaged
            .push((subject_key.to_string(), style_id.to_string(), seq));
        Ok(())
    }

    fn add_pair(&mut self, style_a: &str, style_b: &str) -> StoreResult<()> {
        let count = self
            .pending
            .pairs
            .entry((
                self.pending.styles.number(style_a),
                self.pending.styles.number(style_b),
            ))
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
            tables.prefetch_applied(&signals)?;
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
            let mut order = txn.open_table(ENGAGED_ORDER).db()?;
            let mut engaged_styles = 0;
            for entry in order
                .extract_from_if((key, 0)..=(key, u64::MAX), |_, _| true)
                .db()?
            {
                entry.db()?;
                engaged_styles += 1;
            }
            txn.open_table(SUBJECTS).db()?.remove(key).db()?;
            Ok(ErasedSubject {
                signals,
                engaged_styles,
            })
        })
        .await
    }
}

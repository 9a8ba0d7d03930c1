//! In-memory implementation of the record, signal and queue ports, with the same semantics
//! as the embedded store (idempotency, co-occurrence, receive counts, dead letters), for
//! unit tests of the service and the router. Nothing survives the process.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::time_key::time_key;
use super::DEFAULT_MAX_RECEIVES;
use crate::aggregates::apply::{apply_signals, SignalAggregates};
use crate::aggregates::erasure::{tombstone_key, Tombstone};
use crate::aggregates::history::{merge_history, sort_newest_first, HistoryClass};
use crate::aggregates::{CoOccurrence, DailyStyleCounts};
use crate::domain::{Customer, LensPriceList, Signal, StoredList, Style, Subject};
use crate::error::{StoreError, StoreResult};
use crate::ports::{
    CatalogStore, DeletedProfile, ErasedSubject, ProfileStore, RecommendationStore, SignalStore,
};

mod queue;
use queue::QueueState;

/// Catalogue, profiles, lists, signals and queue held in memory behind one lock, so every
/// call is atomic like a transaction of the embedded store.
#[derive(Debug)]
pub struct MemoryStore {
    state: Mutex<State>,
    max_receives: u32,
}

#[derive(Debug, Default)]
struct State {
    styles: BTreeMap<String, Style>,
    /// Lens price lists by currency.
    lens_prices: BTreeMap<String, LensPriceList>,
    customers: BTreeMap<String, Customer>,
    lists: BTreeMap<String, StoredList>,
    signals: SignalState,
    queue: QueueState,
}

/// (subject key, time key, event id) -> signal, like the embedded history tables.
type SignalsByTime = BTreeMap<(String, u64, String), Signal>;

#[derive(Debug, Default)]
struct SignalState {
    applied: HashSet<String>,
    /// The subjects' history, one map per [`HistoryClass`].
    decisive: SignalsByTime,
    browsing: SignalsByTime,
    impressions: SignalsByTime,
    subjects: BTreeSet<String>,
    daily: BTreeMap<(NaiveDate, String), [u32; 9]>,
    engaged: HashSet<(String, String)>,
    /// (subject key, engagement sequence) -> style, to find the most recent engagements.
    engaged_order: BTreeMap<(String, u64), String>,
    engaged_seq: u64,
    pairs: BTreeMap<(String, String), u32>,
    /// Tombstone key (a hash, see [`tombstone_key`]) -> tombstone of an erased subject.
    tombstones: BTreeMap<String, Tombstone>,
}

impl SignalState {
    fn signals_of_class(&mut self, class: HistoryClass) -> &mut SignalsByTime {
        match class {
            HistoryClass::Decisive => &mut self.decisive,
            HistoryClass::Browsing => &mut self.browsing,
            HistoryClass::Impression => &mut self.impressions,
        }
    }

    /// Whether the live tombstone of `subject_key` refuses data dated `dated`.
    fn refuses(&self, subject_key: &str, dated: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        self.tombstones
            .get(&tombstone_key(subject_key))
            .is_some_and(|t| t.refuses(dated, now))
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// An empty store with the default dead-letter threshold.
    pub fn new() -> Self {
        Self {
            state: Mutex::new(State::default()),
            max_receives: DEFAULT_MAX_RECEIVES,
        }
    }

    /// Sets how many receives a message gets before it goes to the dead letters.
    pub fn with_max_receives(mut self, max_receives: u32) -> Self {
        self.max_receives = max_receives;
        self
    }

    /// Signals that were received too often without an ack, oldest first, for inspection.
    pub fn dead_letters(&self) -> StoreResult<Vec<Signal>> {
        Ok(self
            .lock()?
            .queue
            .dead
            .values()
            .map(|m| m.signal.clone())
            .collect())
    }

    /// Every record held, one line each (`<map>: <entry>`), for tests that check what an
    /// erasure left behind.
    #[cfg(any(test, feature = "conformance"))]
    pub fn raw_records(&self) -> StoreResult<Vec<String>> {
        fn lines<T: std::fmt::Debug>(
            name: &str,
            entries: impl IntoIterator<Item = T>,
        ) -> Vec<String> {
            entries
                .into_iter()
                .map(|entry| format!("{name}: {entry:?}"))
                .collect()
        }
        let state = self.lock()?;
        // Destructured in full, so a map added later cannot be left out of the check.
        let State {
            styles,
            lens_prices,
            customers,
            lists,
            signals,
            queue,
        } = &*state;
        let SignalState {
            applied,
            decisive,
            browsing,
            impressions,
            subjects,
            daily,
            engaged,
            engaged_order,
            engaged_seq: _,
            pairs,
            tombstones,
        } = signals;
        let QueueState {
            accepted,
            messages,
            dead,
            next_seq: _,
        } = queue;
        // A customer's Debug hides the prescription but not the id, which is what is searched.
        Ok([
            lines("styles", styles),
            lines("lens_prices", lens_prices),
            lines("customers", customers),
            lines("lists", lists),
            lines("applied", applied),
            lines("decisive", decisive),
            lines("browsing", browsing),
            lines("impressions", impressions),
            lines("subjects", subjects),
            lines("daily", daily),
            lines("engaged", engaged),
            lines("engaged_order", engaged_order),
            lines("pairs", pairs),
            lines("tombstones", tombstones),
            lines("accepted", accepted),
            lines("messages", messages),
            lines("dead", dead),
        ]
        .concat())
    }

    fn lock(&self) -> StoreResult<MutexGuard<'_, State>> {
        self.state
            .lock()
            .map_err(|_| StoreError::Backend("memory store lock poisoned".to_string()))
    }
}

#[async_trait]
impl CatalogStore for MemoryStore {
    async fn put_styles(&self, styles: &[Style]) -> StoreResult<()> {
        let mut state = self.lock()?;
        for style in styles {
            state.styles.insert(style.id.clone(), style.clone());
        }
        Ok(())
    }

    async fn get_style(&self, id: &str) -> StoreResult<Option<Style>> {
        Ok(self.lock()?.styles.get(id).cloned())
    }

    async fn list_styles(&self) -> StoreResult<Vec<Style>> {
        Ok(self.lock()?.styles.values().cloned().collect())
    }

    async fn put_lens_prices(&self, lists: &[LensPriceList]) -> StoreResult<()> {
        let mut state = self.lock()?;
        for list in lists {
            state
                .lens_prices
                .insert(list.currency.clone(), list.clone());
        }
        Ok(())
    }

    async fn lens_prices(&self, currency: &str) -> StoreResult<Option<LensPriceList>> {
        Ok(self.lock()?.lens_prices.get(currency).cloned())
    }
}

#[async_trait]
impl ProfileStore for MemoryStore {
    async fn put_customers(&self, customers: &[Customer]) -> StoreResult<()> {
        let mut state = self.lock()?;
        for customer in customers {
            state
                .customers
                .insert(customer.id.clone(), customer.clone());
        }
        Ok(())
    }

    async fn get_customer(&self, id: &str) -> StoreResult<Option<Customer>> {
        Ok(self.lock()?.customers.get(id).cloned())
    }

    async fn delete_customer(&self, id: &str) -> StoreResult<Option<DeletedProfile>> {
        Ok(self
            .lock()?
            .customers
            .remove(id)
            .map(|customer| DeletedProfile {
                had_prescription: customer.prescription.is_some(),
            }))
    }

    async fn list_customer_ids(&self) -> StoreResult<Vec<String>> {
        Ok(self.lock()?.customers.keys().cloned().collect())
    }
}

#[async_trait]
impl RecommendationStore for MemoryStore {
    async fn get_list(&self, customer_id: &str) -> StoreResult<Option<StoredList>> {
        Ok(self.lock()?.lists.get(customer_id).cloned())
    }

    async fn put_lists(&self, lists: &[StoredList]) -> StoreResult<()> {
        let now = Utc::now();
        let mut state = self.lock()?;
        for list in lists {
            let subject_key = Subject::Customer(list.customer_id.clone()).key();
            if !state.signals.refuses(&subject_key, list.generated_at, now) {
                state.lists.insert(list.customer_id.clone(), list.clone());
            }
        }
        Ok(())
    }

    async fn delete_lists(&self, customer_id: &str) -> StoreResult<usize> {
        Ok(usize::from(
            self.lock()?.lists.remove(customer_id).is_some(),
        ))
    }
}

impl SignalAggregates for SignalState {
    fn tombstone(&mut self, key: &str) -> StoreResult<Option<Tombstone>> {
        Ok(self.tombstones.get(key).copied())
    }

    fn is_applied(&mut self, event_id: &str) -> StoreResult<bool> {
        Ok(self.applied.contains(event_id))
    }

    fn mark_applied(&mut self, event_id: &str) -> StoreResult<()> {
        self.applied.insert(event_id.to_string());
        Ok(())
    }

    fn append_history(
        &mut self,
        subject_key: &str,
        class: HistoryClass,
        signal: &Signal,
    ) -> StoreResult<()> {
        self.signals_of_class(class).insert(
            (
                subject_key.to_string(),
                time_key(signal.timestamp),
                signal.event_id.clone(),
            ),
            signal.clone(),
        );
        self.subjects.insert(subject_key.to_string());
        Ok(())
    }

    fn add_daily(&mut self, style_id: &str, day: NaiveDate, kind: usize) -> StoreResult<()> {
        let counts = self
            .daily
            .entry((day, style_id.to_string()))
            .or_insert([0; 9]);
        if let Some(count) = counts.get_mut(kind) {
            *count = count.saturating_add(1);
        }
        Ok(())
    }

    fn is_engaged(&mut self, subject_key: &str, style_id: &str) -> StoreResult<bool> {
        Ok(self
            .engaged
            .contains(&(subject_key.to_string(), style_id.to_string())))
    }

    fn recent_engaged(&mut self, subject_key: &str, limit: usize) -> StoreResult<Vec<String>> {
        let range = (subject_key.to_string(), 0)..=(subject_key.to_string(), u64::MAX);
        Ok(self
            .engaged_order
            .range(range)
            .rev()
            .take(limit)
            .map(|(_, style)| style.clone())
            .collect())
    }

    fn mark_engaged(&mut self, subject_key: &str, style_id: &str) -> StoreResult<()> {
        self.engaged_seq += 1;
        self.engaged
            .insert((subject_key.to_string(), style_id.to_string()));
        self.engaged_order.insert(
            (subject_key.to_string(), self.engaged_seq),
            style_id.to_string(),
        );
        Ok(())
    }

    fn add_pair(&mut self, style_a: &str, style_b: &str) -> StoreResult<()> {
        let count = self
            .pairs
            .entry((style_a.to_string(), style_b.to_string()))
            .or_insert(0);
        *count = count.saturating_add(1);
        Ok(())
    }
}

#[async_trait]
impl SignalStore for MemoryStore {
    async fn apply(&self, signals: &[Signal]) -> StoreResult<Vec<Signal>> {
        apply_signals(&mut self.lock()?.signals, signals, Utc::now())
    }

    async fn history(&self, subject: &Subject, limit: usize) -> StoreResult<Vec<Signal>> {
        let key = subject.key();
        let state = self.lock()?;
        let signals = &state.signals;
        let decisive = of_subject(&signals.decisive, &key).cloned().collect();
        let browsing = of_subject(&signals.browsing, &key)
            .rev()
            .take(limit)
            .cloned()
            .collect();
        Ok(merge_history(decisive, browsing))
    }

    async fn all_signals(&self, subject: &Subject) -> StoreResult<Vec<Signal>> {
        let key = subject.key();
        let state = self.lock()?;
        let signals = &state.signals;
        let mut all: Vec<Signal> = [&signals.decisive, &signals.browsing, &signals.impressions]
            .into_iter()
            .flat_map(|signals_of_class| of_subject(signals_of_class, &key))
            .cloned()
            .collect();
        sort_newest_first(&mut all);
        Ok(all)
    }

    async fn daily_counts(&self, since: NaiveDate) -> StoreResult<Vec<DailyStyleCounts>> {
        let state = self.lock()?;
        Ok(state
            .signals
            .daily
            .range((since, String::new())..)
            .map(|((day, style_id), counts)| DailyStyleCounts {
                style_id: style_id.clone(),
                day: *day,
                counts: *counts,
            })
            .collect())
    }

    async fn co_occurrences(&self) -> StoreResult<Vec<CoOccurrence>> {
        let state = self.lock()?;
        Ok(state
            .signals
            .pairs
            .iter()
            .map(|((a, b), subjects)| CoOccurrence {
                style_a: a.clone(),
                style_b: b.clone(),
                subjects: *subjects,
            })
            .collect())
    }

    async fn subjects(&self) -> StoreResult<Vec<Subject>> {
        let state = self.lock()?;
        state
            .signals
            .subjects
            .iter()
            .map(|key| {
                Subject::from_key(key)
                    .ok_or_else(|| StoreError::Corrupt(format!("bad subject key '{key}'")))
            })
            .collect()
    }

    async fn engaged_styles(&self, subject: &Subject) -> StoreResult<Vec<String>> {
        let key = subject.key();
        let state = self.lock()?;
        Ok(state
            .signals
            .engaged_order
            .range((key.clone(), 0)..=(key, u64::MAX))
            .rev()
            .map(|(_, style)| style.clone())
            .collect())
    }

    async fn record_erasure(&self, subject: &Subject, tombstone: &Tombstone) -> StoreResult<()> {
        let now = Utc::now();
        let mut state = self.lock()?;
        let tombstones = &mut state.signals.tombstones;
        tombstones.retain(|_, t| t.is_live(now));
        tombstones.insert(tombstone_key(&subject.key()), *tombstone);
        Ok(())
    }

    async fn erase_subject(&self, subject: &Subject) -> StoreResult<ErasedSubject> {
        let key = subject.key();
        let mut state = self.lock()?;
        let signals = &mut state.signals;
        let mut erased_signals = 0;
        for class in HistoryClass::ALL {
            let signals_of_class = signals.signals_of_class(class);
            let before = signals_of_class.len();
            signals_of_class.retain(|(subject_key, _, _), _| *subject_key != key);
            erased_signals += before - signals_of_class.len();
        }
        let engaged_before = signals.engaged.len();
        signals
            .engaged
            .retain(|(subject_key, _)| *subject_key != key);
        signals
            .engaged_order
            .retain(|(subject_key, _), _| *subject_key != key);
        signals.subjects.remove(&key);
        Ok(ErasedSubject {
            signals: erased_signals,
            engaged_styles: engaged_before - signals.engaged.len(),
        })
    }
}

/// The subject's signals of one class, oldest first.
fn of_subject<'a>(
    signals: &'a SignalsByTime,
    subject_key: &str,
) -> impl DoubleEndedIterator<Item = &'a Signal> {
    let range = (subject_key.to_string(), 0, String::new())
        ..(subject_key.to_string(), u64::MAX, String::new());
    signals.range(range).map(|(_, signal)| signal)
}

/// Memory never fails on its own; it counts its dead letters.
#[async_trait]
impl crate::ports::StoreHealth for MemoryStore {
    async fn dead_letters(&self) -> StoreResult<Option<u64>> {
        Ok(Some(self.lock()?.queue.dead.len() as u64))
    }
}

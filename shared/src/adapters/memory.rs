//! In-memory implementation of the record, signal and queue ports, with the same semantics
//! as the embedded store (idempotency, co-occurrence, receive counts, dead letters), for
//! unit tests of the service and the router. Nothing survives the process.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ops::Bound;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::NaiveDate;

use super::queue_rules::{enqueue_with, parse_receipt, receive_with, QueueMessage, QueueOps};
use super::time_key::time_key;
use super::DEFAULT_MAX_RECEIVES;
use crate::aggregates::apply::{apply_signals, SignalAggregates};
use crate::aggregates::{CoOccurrence, DailyStyleCounts};
use crate::domain::{Customer, Signal, StoredList, Style, Subject};
use crate::error::{StoreError, StoreResult};
use crate::ports::{
    CatalogStore, EnqueueOutcome, ProfileStore, QueuedSignal, RecommendationStore, SignalQueue,
    SignalStore,
};

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
    customers: BTreeMap<String, Customer>,
    lists: BTreeMap<String, StoredList>,
    signals: SignalState,
    queue: QueueState,
}

#[derive(Debug, Default)]
struct SignalState {
    applied: HashSet<String>,
    /// (subject key, time key, event id), like the embedded history table.
    history: BTreeMap<(String, u64, String), Signal>,
    subjects: BTreeSet<String>,
    daily: BTreeMap<(NaiveDate, String), [u32; 9]>,
    engaged: HashSet<(String, String)>,
    /// (subject key, engagement sequence) -> style, to find the most recent engagements.
    engaged_order: BTreeMap<(String, u64), String>,
    engaged_seq: u64,
    pairs: BTreeMap<(String, String), u32>,
}

#[derive(Debug, Default)]
struct QueueState {
    accepted: HashSet<String>,
    messages: BTreeMap<u64, QueueMessage>,
    dead: BTreeMap<u64, QueueMessage>,
    next_seq: u64,
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

    async fn delete_customer(&self, id: &str) -> StoreResult<bool> {
        Ok(self.lock()?.customers.remove(id).is_some())
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
        let mut state = self.lock()?;
        for list in lists {
            state.lists.insert(list.customer_id.clone(), list.clone());
        }
        Ok(())
    }
}

impl SignalAggregates for SignalState {
    fn is_applied(&mut self, event_id: &str) -> StoreResult<bool> {
        Ok(self.applied.contains(event_id))
    }

    fn mark_applied(&mut self, event_id: &str) -> StoreResult<()> {
        self.applied.insert(event_id.to_string());
        Ok(())
    }

    fn append_history(&mut self, subject_key: &str, signal: &Signal) -> StoreResult<()> {
        self.history.insert(
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
        apply_signals(&mut self.lock()?.signals, signals)
    }

    async fn history(&self, subject: &Subject, limit: usize) -> StoreResult<Vec<Signal>> {
        let key = subject.key();
        let state = self.lock()?;
        let range = (key.clone(), 0, String::new())..(key, u64::MAX, String::new());
        Ok(state
            .signals
            .history
            .range(range)
            .rev()
            .take(limit)
            .map(|(_, signal)| signal.clone())
            .collect())
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
}

impl QueueOps for QueueState {
    fn is_accepted(&mut self, event_id: &str) -> StoreResult<bool> {
        Ok(self.accepted.contains(event_id))
    }

    fn mark_accepted(&mut self, event_id: &str) -> StoreResult<()> {
        self.accepted.insert(event_id.to_string());
        Ok(())
    }

    fn push(&mut self, message: &QueueMessage) -> StoreResult<()> {
        self.next_seq += 1;
        self.messages.insert(self.next_seq, message.clone());
        Ok(())
    }

    fn oldest(
        &mut self,
        after: Option<u64>,
        limit: usize,
    ) -> StoreResult<Vec<(u64, Option<QueueMessage>)>> {
        let start = after.map_or(Bound::Unbounded, Bound::Excluded);
        Ok(self
            .messages
            .range((start, Bound::Unbounded))
            .take(limit)
            .map(|(seq, message)| (*seq, Some(message.clone())))
            .collect())
    }

    fn update(&mut self, seq: u64, message: &QueueMessage) -> StoreResult<()> {
        self.messages.insert(seq, message.clone());
        Ok(())
    }

    fn move_to_dead_letters(&mut self, seq: u64) -> StoreResult<()> {
        if let Some(message) = self.messages.remove(&seq) {
            self.dead.insert(seq, message);
        }
        Ok(())
    }
}

#[async_trait]
impl SignalQueue for MemoryStore {
    async fn enqueue(&self, signals: &[Signal]) -> StoreResult<EnqueueOutcome> {
        enqueue_with(&mut self.lock()?.queue, signals)
    }

    async fn receive(&self, max: usize) -> StoreResult<Vec<QueuedSignal>> {
        receive_with(&mut self.lock()?.queue, max, self.max_receives)
    }

    async fn ack(&self, receipts: &[String]) -> StoreResult<()> {
        let mut state = self.lock()?;
        for seq in receipts.iter().filter_map(|r| parse_receipt(r)) {
            state.queue.messages.remove(&seq);
        }
        Ok(())
    }

    async fn depth(&self) -> StoreResult<u64> {
        Ok(self.lock()?.queue.messages.len() as u64)
    }
}

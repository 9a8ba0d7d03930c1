//! The in-memory signal queue: the embedded queue's rules ([`crate::adapters::queue_rules`])
//! over a map, with receive counts and dead letters.

use std::collections::{BTreeMap, HashSet};
use std::ops::Bound;

use async_trait::async_trait;

use super::MemoryStore;
use crate::adapters::queue_rules::{
    enqueue_with, parse_receipt, receive_with, QueueMessage, QueueOps,
};
use crate::domain::Signal;
use crate::error::StoreResult;
use crate::ports::{EnqueueOutcome, QueuedSignal, SignalQueue};

#[derive(Debug, Default)]
pub(super) struct QueueState {
    pub(super) accepted: HashSet<String>,
    pub(super) messages: BTreeMap<u64, QueueMessage>,
    pub(super) dead: BTreeMap<u64, QueueMessage>,
    pub(super) next_seq: u64,
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

    async fn drop_customer_signals(&self, customer_id: &str) -> StoreResult<usize> {
        let mut state = self.lock()?;
        let queue = &mut state.queue;
        let before = queue.messages.len() + queue.dead.len();
        let kept = |m: &QueueMessage| m.signal.customer_id.as_deref() != Some(customer_id);
        queue.messages.retain(|_, m| kept(m));
        queue.dead.retain(|_, m| kept(m));
        Ok(before - queue.messages.len() - queue.dead.len())
    }
}

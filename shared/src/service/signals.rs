//! Signals as a use case: accept a parsed batch (queued durably before the 202), and the
//! worker pass that applies queued signals and recomputes the lists they touch. How one
//! signal changes history and aggregates is decided in [`crate::aggregates`], not here.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Framewise;
use crate::domain::Signal;
use crate::error::ServiceError;
use crate::ports::EnqueueOutcome;

/// What one worker pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProcessReport {
    pub received: usize,
    pub applied: usize,
    pub lists_recomputed: usize,
}

impl Framewise {
    /// Queues a validated batch (see [`crate::api::parse_signal_batch`]) whole, or nothing.
    pub async fn accept_signals(&self, signals: &[Signal]) -> Result<EnqueueOutcome, ServiceError> {
        let outcome = self.stores.queue.enqueue(signals).await?;
        self.signals_queued.notify_one();
        Ok(outcome)
    }

    /// One worker pass: take up to `max` queued signals, apply them to history and
    /// aggregates, recompute the lists of the customers they touch, then acknowledge.
    /// On error nothing is acknowledged, so the queue delivers the batch again.
    pub async fn process_queue(
        &self,
        max: usize,
        now: DateTime<Utc>,
    ) -> Result<ProcessReport, ServiceError> {
        let batch = self.stores.queue.receive(max).await?;
        if batch.is_empty() {
            return Ok(ProcessReport::default());
        }
        let signals: Vec<Signal> = batch.iter().map(|m| m.signal.clone()).collect();
        let report = self.apply_signals(&signals, now).await?;
        let receipts: Vec<String> = batch.into_iter().map(|m| m.receipt).collect();
        self.stores.queue.ack(&receipts).await?;
        Ok(ProcessReport {
            received: receipts.len(),
            ..report
        })
    }

    /// Applies signals (idempotently) and recomputes the lists of every customer among them.
    /// Customers are recomputed even when their signals were duplicates: a crash between
    /// applying and recomputing must not leave a stale list behind. A customer the store
    /// knows nothing about (a signal refused after an erasure) gets no list.
    pub async fn apply_signals(
        &self,
        signals: &[Signal],
        now: DateTime<Utc>,
    ) -> Result<ProcessReport, ServiceError> {
        let applied = self.stores.signals.apply(signals).await?;
        let mut customers: Vec<&str> = signals
            .iter()
            .filter_map(|s| s.customer_id.as_deref())
            .collect();
        customers.sort_unstable();
        customers.dedup();
        let engine = self.engine();
        let mut lists = Vec::with_capacity(customers.len());
        for customer_id in &customers {
            lists.extend(self.compute_for_storage(&engine, customer_id, now).await?);
        }
        for chunk in lists.chunks(self.config.write_chunk.max(1)) {
            self.stores.lists.put_lists(chunk).await?;
        }
        tracing::info!(
            signals = signals.len(),
            applied = applied.len(),
            lists = lists.len(),
            "applied signals"
        );
        Ok(ProcessReport {
            received: signals.len(),
            applied: applied.len(),
            lists_recomputed: lists.len(),
        })
    }
}

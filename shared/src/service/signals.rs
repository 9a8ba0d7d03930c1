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
    /// Signals that failed and were left for redelivery (then the dead letters).
    pub failed: usize,
}

/// What [`Framewise::apply_isolating`] did.
#[derive(Debug)]
pub struct Isolated {
    pub report: ProcessReport,
    /// Indices (into the batch) of the signals that failed on their own.
    pub failed: Vec<usize>,
    /// The last error, when a signal failed.
    pub error: Option<ServiceError>,
}

impl Framewise {
    /// Queues a validated batch (see [`crate::api::parse_signal_batch`]) whole, or nothing.
    pub async fn accept_signals(&self, signals: &[Signal]) -> Result<EnqueueOutcome, ServiceError> {
        let outcome = self.stores.queue.enqueue(signals).await?;
        self.signals_queued.notify_one();
        Ok(outcome)
    }

    /// One worker pass: take up to `max` queued signals, apply them to history and
    /// aggregates, recompute the lists of the customers they touch, then acknowledge the
    /// ones that succeeded (see [`Framewise::apply_isolating`]). A signal that failed is
    /// delivered again, and after too many deliveries set aside in the dead letters; the
    /// rest of its batch is not held back by it.
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
        let outcome = self.apply_isolating(&signals, now).await;
        let receipts: Vec<String> = batch
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !outcome.failed.contains(i))
            .map(|(_, m)| m.receipt)
            .collect();
        self.stores.queue.ack(&receipts).await?;
        match outcome.error {
            // Nothing went through: likely the store, not the signals; the worker backs off.
            Some(e) if receipts.is_empty() => Err(e),
            _ => Ok(ProcessReport {
                received: signals.len(),
                failed: outcome.failed.len(),
                ..outcome.report
            }),
        }
    }

    /// Applies a batch with [`Framewise::apply_signals`]; if that fails, each signal on its
    /// own, so that one poison signal (say, a shopper whose list cannot be computed) fails
    /// alone. The local worker and the SQS worker both use this.
    pub async fn apply_isolating(&self, signals: &[Signal], now: DateTime<Utc>) -> Isolated {
        let error = match self.apply_signals(signals, now).await {
            Ok(report) => {
                return Isolated {
                    report,
                    failed: Vec::new(),
                    error: None,
                }
            }
            Err(e) => e,
        };
        tracing::warn!(error = %error, signals = signals.len(), "batch failed; applying its signals one by one");
        let mut report = ProcessReport::default();
        let mut failed = Vec::new();
        let mut last_error = Some(error);
        for (index, signal) in signals.iter().enumerate() {
            match self.apply_signals(std::slice::from_ref(signal), now).await {
                Ok(one) => {
                    report.applied += one.applied;
                    report.lists_recomputed += one.lists_recomputed;
                }
                Err(e) => {
                    tracing::error!(event_id = %signal.event_id, error = %e, "signal failed");
                    failed.push(index);
                    last_error = Some(e);
                }
            }
        }
        report.received = signals.len();
        Isolated {
            report,
            error: if failed.is_empty() { None } else { last_error },
            failed,
        }
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
        // After applying, so a failure here redelivers the batch: applying is idempotent
        // by event id, and so is crediting.
        let credited = self.credit_signals(signals, now).await?;
        tracing::info!(
            signals = signals.len(),
            applied = applied.len(),
            lists = lists.len(),
            credited,
            "applied signals"
        );
        Ok(ProcessReport {
            received: signals.len(),
            applied: applied.len(),
            lists_recomputed: lists.len(),
            failed: 0,
        })
    }
}

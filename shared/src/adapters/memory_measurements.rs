//! In-memory implementation of the measurement port, with the embedded store's semantics
//! (once per exposure id and event id, counters per cell), for unit tests of the service
//! and the router. Nothing survives the process.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use crate::error::{StoreError, StoreResult};
use crate::experiments::attribution::{AttributedPurchase, CellKey, Counters, Credit, Exposure};
use crate::experiments::Experiment;
use crate::ports::MeasurementStore;

/// Exposures, credits, counters and experiments behind one lock.
#[derive(Debug, Default)]
pub struct MemoryMeasurementStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    exposure_ids: HashSet<String>,
    /// (subject key, shown at, exposure id) -> exposure.
    exposures: BTreeMap<(String, DateTime<Utc>, String), Exposure>,
    credited_events: HashSet<String>,
    /// (subject key, bought at, event id) -> purchase.
    purchases: BTreeMap<(String, DateTime<Utc>, String), AttributedPurchase>,
    counters: BTreeMap<CellKey, Counters>,
    experiments: BTreeMap<String, Experiment>,
}

impl MemoryMeasurementStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> StoreResult<MutexGuard<'_, State>> {
        self.state
            .lock()
            .map_err(|_| StoreError::Backend("measurement store lock poisoned".into()))
    }
}

/// Entries of `map` keyed by `subject` and dated at or after `since`, in key order.
fn of_subject<T: Clone>(
    map: &BTreeMap<(String, DateTime<Utc>, String), T>,
    subject: &str,
    since: DateTime<Utc>,
) -> Vec<T> {
    map.range((subject.to_string(), since, String::new())..)
        .take_while(|((s, _, _), _)| s == subject)
        .map(|(_, v)| v.clone())
        .collect()
}

#[async_trait]
impl MeasurementStore for MemoryMeasurementStore {
    async fn record_exposures(&self, exposures: &[Exposure]) -> StoreResult<()> {
        let mut state = self.lock()?;
        for exposure in exposures {
            if !state.exposure_ids.insert(exposure.exposure_id.clone()) {
                continue;
            }
            state
                .counters
                .entry(CellKey::for_exposure(exposure))
                .or_default()
                .add_exposure(exposure);
            state.exposures.insert(
                (
                    exposure.subject.clone(),
                    exposure.at,
                    exposure.exposure_id.clone(),
                ),
                exposure.clone(),
            );
        }
        Ok(())
    }

    async fn exposures(&self, subject: &str, since: DateTime<Utc>) -> StoreResult<Vec<Exposure>> {
        Ok(of_subject(&self.lock()?.exposures, subject, since))
    }

    async fn record_credits(&self, credits: &[Credit]) -> StoreResult<usize> {
        let mut state = self.lock()?;
        let mut new = 0;
        for credit in credits {
            if !state.credited_events.insert(credit.event_id.clone()) {
                continue;
            }
            new += 1;
            state
                .counters
                .entry(credit.cell.clone())
                .or_default()
                .merge(&credit.counters);
            if let Some(purchase) = &credit.purchase {
                state.purchases.insert(
                    (
                        purchase.subject.clone(),
                        purchase.at,
                        credit.event_id.clone(),
                    ),
                    purchase.clone(),
                );
            }
        }
        Ok(new)
    }

    async fn attributed_purchases(
        &self,
        subject: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<AttributedPurchase>> {
        Ok(of_subject(&self.lock()?.purchases, subject, since))
    }

    async fn counters(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<(CellKey, Counters)>> {
        Ok(self
            .lock()?
            .counters
            .iter()
            .filter(|(key, _)| (from..=to).contains(&key.day))
            .map(|(key, counters)| (key.clone(), counters.clone()))
            .collect())
    }

    async fn erase_measurements(&self, subject: &str) -> StoreResult<usize> {
        let mut state = self.lock()?;
        let before = state.exposures.len() + state.purchases.len();
        state.exposures.retain(|(s, _, _), _| s != subject);
        state.purchases.retain(|(s, _, _), _| s != subject);
        Ok(before - state.exposures.len() - state.purchases.len())
    }

    async fn put_experiment(&self, experiment: &Experiment) -> StoreResult<()> {
        self.lock()?
            .experiments
            .insert(experiment.id.clone(), experiment.clone());
        Ok(())
    }

    async fn experiments(&self) -> StoreResult<Vec<Experiment>> {
        Ok(self.lock()?.experiments.values().cloned().collect())
    }
}

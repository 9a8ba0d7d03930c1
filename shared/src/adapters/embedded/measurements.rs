//! The measurement port of the embedded store: exposures and attributed purchases by subject
//! and time, the counters of each metric cell, the experiments. Each write call is one
//! transaction; the rules (once per id, merging counters) are those of
//! [`MemoryMeasurementStore`](crate::adapters::MemoryMeasurementStore).

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use redb::{ReadTransaction, ReadableDatabase, ReadableTable, Table, WriteTransaction};
use serde::de::DeserializeOwned;

use super::{
    decode, encode, CellColumns, CountersColumns, EmbeddedStore, QualityColumns, RedbResultExt,
    SubjectTimeTable, ATTRIBUTED_PURCHASES, CELL_COUNTERS, CELL_QUALITY, CREDITED_EVENTS,
    EXPERIMENTS, EXPOSURES, EXPOSURE_IDS,
};
use crate::adapters::time_key::time_key;
use crate::error::{StoreError, StoreResult};
use crate::experiments::attribution::{AttributedPurchase, CellKey, Counters, Credit, Exposure};
use crate::experiments::Experiment;
use crate::ports::{MeasurementStore, MEASUREMENT_RETENTION_DAYS};

/// An open [`SubjectTimeTable`] of a write transaction.
type SubjectTimeRows<'txn> = Table<'txn, (&'static str, u64, &'static str), &'static [u8]>;

/// Exposures and purchases shown or made before this are pruned (see [`prune_subjects`]).
fn retention_cutoff(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::days(MEASUREMENT_RETENTION_DAYS)
}

/// Deletes the subject's rows whose time key is below `before`; returns how many.
fn remove_subject_rows(
    rows: &mut SubjectTimeRows<'_>,
    subject: &str,
    before: u64,
) -> StoreResult<usize> {
    let mut removed = 0;
    for entry in rows
        .extract_from_if((subject, 0, "")..(subject, before, ""), |_, _| true)
        .db()?
    {
        entry.db()?;
        removed += 1;
    }
    Ok(removed)
}

/// Deletes the expired rows of the subjects a call writes for: a range per subject, so the
/// cost follows what the call touches rather than the size of the table. Subjects that stop
/// coming back keep theirs until erased; their rows are never read past the retention.
fn prune_subjects<'a>(
    rows: &mut SubjectTimeRows<'_>,
    subjects: impl IntoIterator<Item = &'a str>,
) -> StoreResult<()> {
    let before = time_key(retention_cutoff(Utc::now()));
    for subject in subjects.into_iter().collect::<BTreeSet<_>>() {
        remove_subject_rows(rows, subject, before)?;
    }
    Ok(())
}

/// The subject's records in `table` dated at or after `since`, oldest first (then by id,
/// as the memory store orders them). Keys hold milliseconds, so the range may start up to
/// a millisecond early and `at` decides.
fn subject_records_since<T: DeserializeOwned>(
    txn: &ReadTransaction,
    table: SubjectTimeTable,
    what: &str,
    subject: &str,
    since: DateTime<Utc>,
    at: fn(&T) -> DateTime<Utc>,
) -> StoreResult<Vec<T>> {
    let table = txn.open_table(table).db()?;
    let mut records = Vec::new();
    for entry in table
        .range((subject, time_key(since), "")..(subject, u64::MAX, ""))
        .db()?
    {
        let (key, bytes) = entry.db()?;
        let id = key.value().2;
        let record: T = decode(bytes.value(), what, id)?;
        if at(&record) >= since {
            records.push((at(&record), id.to_string(), record));
        }
    }
    records.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    Ok(records.into_iter().map(|(_, _, record)| record).collect())
}

fn day_key(day: NaiveDate) -> i32 {
    day.num_days_from_ce()
}

fn cell_columns(cell: &CellKey) -> CellColumns<'_> {
    (
        day_key(cell.day),
        cell.placement.as_str(),
        cell.variant.as_deref(),
        cell.model_version.as_str(),
    )
}

fn cell_from_columns(
    (day, placement, variant, model_version): CellColumns<'_>,
) -> StoreResult<CellKey> {
    Ok(CellKey {
        placement: placement.to_string(),
        variant: variant.map(str::to_string),
        model_version: model_version.to_string(),
        day: NaiveDate::from_num_days_from_ce_opt(day)
            .ok_or_else(|| StoreError::Corrupt(format!("cell day key {day} out of range")))?,
    })
}

/// Every field by name, without `..`: a field added to `Counters` fails to compile here
/// instead of being dropped silently. The first ten fields are the original layout; the
/// rest live in a second table (see `CELL_QUALITY`).
fn to_columns(counters: &Counters) -> (CountersColumns, QualityColumns) {
    let Counters {
        exposures,
        items_shown,
        clicks,
        try_ons,
        add_to_carts,
        purchases,
        revenue_cents,
        returns,
        returned_cents,
        revenue_squares,
        novel_items,
        diversity_milli_sum,
        distinct_items,
        new_subjects,
        cohort_revenue_cents,
        ratings,
        rating_sum,
        rating_squares,
    } = *counters;
    (
        (
            exposures,
            items_shown,
            clicks,
            try_ons,
            add_to_carts,
            purchases,
            revenue_cents,
            returns,
            returned_cents,
            revenue_squares,
        ),
        (
            novel_items,
            diversity_milli_sum,
            distinct_items,
            new_subjects,
            cohort_revenue_cents,
            ratings,
            rating_sum,
            rating_squares,
        ),
    )
}

fn from_columns(columns: CountersColumns, quality: Option<QualityColumns>) -> Counters {
    let (
        exposures,
        items_shown,
        clicks,
        try_ons,
        add_to_carts,
        purchases,
        revenue_cents,
        returns,
        returned_cents,
        revenue_squares,
    ) = columns;
    let (
        novel_items,
        diversity_milli_sum,
        distinct_items,
        new_subjects,
        cohort_revenue_cents,
        ratings,
        rating_sum,
        rating_squares,
    ) = quality.unwrap_or_default();
    Counters {
        exposures,
        items_shown,
        clicks,
        try_ons,
        add_to_carts,
        purchases,
        revenue_cents,
        returns,
        returned_cents,
        revenue_squares,
        novel_items,
        diversity_milli_sum,
        distinct_items,
        new_subjects,
        cohort_revenue_cents,
        ratings,
        rating_sum,
        rating_squares,
    }
}

/// The counters of the cells one transaction adds to: each read once, added to in input
/// order (so float sums match the memory store's bit for bit), written once by
/// [`Self::flush`].
struct CellCounters<'txn> {
    table: Table<'txn, CellColumns<'static>, CountersColumns>,
    quality: Table<'txn, CellColumns<'static>, QualityColumns>,
    touched: BTreeMap<CellKey, Counters>,
}

impl<'txn> CellCounters<'txn> {
    fn open(txn: &'txn WriteTransaction) -> StoreResult<Self> {
        Ok(Self {
            table: txn.open_table(CELL_COUNTERS).db()?,
            quality: txn.open_table(CELL_QUALITY).db()?,
            touched: BTreeMap::new(),
        })
    }

    fn cell(&mut self, cell: &CellKey) -> StoreResult<&mut Counters> {
        if !self.touched.contains_key(cell) {
            let stored = self.table.get(cell_columns(cell)).db()?;
            let quality = self
                .quality
                .get(cell_columns(cell))
                .db()?
                .map(|v| v.value());
            let counters = stored.map_or_else(
                || from_columns(Default::default(), quality),
                |v| from_columns(v.value(), quality),
            );
            self.touched.insert(cell.clone(), counters);
        }
        self.touched
            .get_mut(cell)
            .ok_or_else(|| StoreError::Backend("cell counters not loaded".to_string()))
    }

    fn flush(mut self) -> StoreResult<()> {
        for (cell, counters) in &self.touched {
            let (columns, quality) = to_columns(counters);
            self.table.insert(cell_columns(cell), columns).db()?;
            self.quality.insert(cell_columns(cell), quality).db()?;
        }
        Ok(())
    }
}

#[async_trait]
impl MeasurementStore for EmbeddedStore {
    async fn record_exposures(&self, exposures: &[Exposure]) -> StoreResult<()> {
        let batch = exposures
            .iter()
            .map(|exposure| Ok((exposure.clone(), encode(exposure)?)))
            .collect::<StoreResult<Vec<_>>>()?;
        self.write(move |txn| {
            let mut rows = txn.open_table(EXPOSURES).db()?;
            // Before inserting: a call never deletes what it writes.
            prune_subjects(&mut rows, batch.iter().map(|(e, _)| e.subject.as_str()))?;
            let mut ids = txn.open_table(EXPOSURE_IDS).db()?;
            let mut cells = CellCounters::open(txn)?;
            for (exposure, bytes) in &batch {
                let id = exposure.exposure_id.as_str();
                if ids.insert(id, ()).db()?.is_some() {
                    continue;
                }
                cells
                    .cell(&CellKey::for_exposure(exposure))?
                    .add_exposure(exposure);
                let key = (exposure.subject.as_str(), time_key(exposure.at), id);
                rows.insert(key, bytes.as_slice()).db()?;
            }
            cells.flush()
        })
        .await
    }

    async fn exposures(&self, subject: &str, since: DateTime<Utc>) -> StoreResult<Vec<Exposure>> {
        let txn = self.read()?;
        subject_records_since(&txn, EXPOSURES, "exposure", subject, since, |e| e.at)
    }

    async fn record_credits(&self, credits: &[Credit]) -> StoreResult<usize> {
        let batch = credits
            .iter()
            .map(|credit| {
                let purchase = credit.purchase.as_ref().map(encode).transpose()?;
                Ok((credit.clone(), purchase))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        self.write(move |txn| {
            let mut rows = txn.open_table(ATTRIBUTED_PURCHASES).db()?;
            let buyers = batch.iter().filter_map(|(c, _)| c.purchase.as_ref());
            prune_subjects(&mut rows, buyers.map(|p| p.subject.as_str()))?;
            let mut credited = txn.open_table(CREDITED_EVENTS).db()?;
            let mut cells = CellCounters::open(txn)?;
            let mut new = 0;
            for (credit, purchase_bytes) in &batch {
                let event_id = credit.event_id.as_str();
                if credited.insert(event_id, ()).db()?.is_some() {
                    continue;
                }
                new += 1;
                cells.cell(&credit.cell)?.merge(&credit.counters);
                if let (Some(purchase), Some(bytes)) = (&credit.purchase, purchase_bytes) {
                    let key = (purchase.subject.as_str(), time_key(purchase.at), event_id);
                    rows.insert(key, bytes.as_slice()).db()?;
                }
            }
            cells.flush()?;
            Ok(new)
        })
        .await
    }

    async fn attributed_purchases(
        &self,
        subject: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<AttributedPurchase>> {
        let txn = self.read()?;
        let table = ATTRIBUTED_PURCHASES;
        subject_records_since(&txn, table, "attributed purchase", subject, since, |p| p.at)
    }

    async fn counters(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<(CellKey, Counters)>> {
        self.blocking(move |db| {
            let txn = db.begin_read().db()?;
            let table = txn.open_table(CELL_COUNTERS).db()?;
            let quality = txn.open_table(CELL_QUALITY).db()?;
            let mut cells = Vec::new();
            let (first, last) = (day_key(from), day_key(to));
            for entry in table.range((first, "", None, "")..).db()? {
                let (key, counters) = entry.db()?;
                let key = key.value();
                if key.0 > last {
                    break;
                }
                let extra = quality.get(key).db()?.map(|v| v.value());
                cells.push((
                    cell_from_columns(key)?,
                    from_columns(counters.value(), extra),
                ));
            }
            cells.sort_by(|a, b| a.0.cmp(&b.0));
            Ok(cells)
        })
        .await
    }

    async fn erase_measurements(&self, subject: &str) -> StoreResult<usize> {
        let subject = subject.to_string();
        self.write(move |txn| {
            let mut erased = 0;
            for table in [EXPOSURES, ATTRIBUTED_PURCHASES] {
                let mut rows = txn.open_table(table).db()?;
                erased += remove_subject_rows(&mut rows, &subject, u64::MAX)?;
            }
            Ok(erased)
        })
        .await
    }

    async fn put_experiment(&self, experiment: &Experiment) -> StoreResult<()> {
        let id = experiment.id.clone();
        let bytes = encode(experiment)?;
        self.write(move |txn| {
            let mut table = txn.open_table(EXPERIMENTS).db()?;
            table.insert(id.as_str(), bytes.as_slice()).db()?;
            Ok(())
        })
        .await
    }

    async fn experiments(&self) -> StoreResult<Vec<Experiment>> {
        self.blocking(|db| {
            let txn = db.begin_read().db()?;
            let table = txn.open_table(EXPERIMENTS).db()?;
            let mut experiments = Vec::new();
            for entry in table.iter().db()? {
                let (id, bytes) = entry.db()?;
                experiments.push(decode(bytes.value(), "experiment", id.value())?);
            }
            Ok(experiments)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiments::attribution::Attribution;

    fn exposure(id: &str, subject: &str, at: DateTime<Utc>) -> Exposure {
        Exposure {
            exposure_id: id.to_string(),
            recommendation_id: format!("r-{id}"),
            subject: subject.to_string(),
            placement: "home".to_string(),
            variant: None,
            model_version: "v1".to_string(),
            items: vec!["s1".to_string()],
            offset: 0,
            at,
            novel_items: 0,
            diversity_milli: 0,
        }
    }

    fn purchase_credit(event_id: &str, subject: &str, at: DateTime<Utc>) -> Credit {
        let attribution = Attribution {
            recommendation_id: "r-1".to_string(),
            placement: "home".to_string(),
            variant: None,
            model_version: "v1".to_string(),
            position: 0,
        };
        Credit {
            event_id: event_id.to_string(),
            subject: subject.to_string(),
            cell: CellKey::for_attribution(&attribution, at),
            counters: Counters {
                purchases: 1,
                revenue_cents: 100,
                ..Counters::default()
            },
            purchase: Some(AttributedPurchase {
                subject: subject.to_string(),
                style_id: "s1".to_string(),
                order_id: None,
                revenue_cents: 100,
                at,
                attribution,
            }),
        }
    }

    #[tokio::test]
    async fn when_subject_records_again_should_prune_its_expired_records_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = EmbeddedStore::open(&dir.path().join("framewise.redb")).expect("open");
        let now = Utc::now();
        let expired = now - Duration::days(MEASUREMENT_RETENTION_DAYS + 1);
        let long_ago = now - Duration::days(MEASUREMENT_RETENTION_DAYS + 30);
        store
            .record_exposures(&[
                exposure("old", "c:1", expired),
                exposure("idle", "c:2", expired),
            ])
            .await
            .expect("record");
        store
            .record_credits(&[purchase_credit("bought", "c:1", expired)])
            .await
            .expect("credit");

        store
            .record_exposures(&[exposure("new", "c:1", now)])
            .await
            .expect("record");
        store
            .record_credits(&[purchase_credit("again", "c:1", now)])
            .await
            .expect("credit");
        let ids = |exposures: Vec<Exposure>| -> Vec<String> {
            exposures.into_iter().map(|e| e.exposure_id).collect()
        };
        let c1 = store.exposures("c:1", long_ago).await.expect("read");
        assert_eq!(ids(c1), ["new"]);
        let c2 = store.exposures("c:2", long_ago).await.expect("read");
        assert_eq!(ids(c2), ["idle"], "a subject not written keeps its rows");
        let purchases = store.attributed_purchases("c:1", long_ago).await;
        assert_eq!(purchases.expect("read").len(), 1);
        let cells = store
            .counters(expired.date_naive(), now.date_naive())
            .await
            .expect("counters");
        let exposures: u64 = cells.iter().map(|(_, c)| c.exposures).sum();
        assert_eq!(exposures, 3, "counters name nobody and stay");
        // The pruned exposure's id is still known: replaying it counts nothing.
        store
            .record_exposures(&[exposure("old", "c:1", expired)])
            .await
            .expect("replay");
        let c1 = store.exposures("c:1", long_ago).await.expect("read");
        assert_eq!(ids(c1), ["new"]);
    }
}

//! The measurement port on DynamoDB (semantics: [`MeasurementStore`], the in-memory
//! reference `adapters/memory_measurements.rs`; layout: "Measurements" in
//! `docs/dynamodb.md`):
//!
//! - an exposure is one transaction: its marker (conditional, so a re-sent exposure is
//!   skipped), the exposure item and `ADD` to one shard of its cell's counters;
//! - a credit is one transaction: its marker (conditional), `ADD` to a shard of its cell's
//!   counters and, for a purchase, the attributed purchase item;
//! - a cell's counters are the sum of its shards, read with one Query per day.
//!
//! Counters are numeric attributes changed only by `ADD`, so concurrent writers never lose
//! an increment; the shards keep them from queueing behind each other on one item.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::item::{
    data_item, decode, describe_key, epoch, key_item, key_of, number_attr, s, string_attr, Item,
    EXPIRES_AT,
};
use super::keys::{
    attributed_purchase_key, cell_counters_key, credit_marker_key, experiment_key,
    experiments_partition, exposure_key, exposure_marker_key, exposures_partition,
    metrics_partition, purchases_partition, time_sort_key,
};
use super::requests::{put_action, QueryOptions, Range};
use super::DynamoStore;
use crate::adapters::aws::sdk_error;
use crate::error::{StoreError, StoreResult};
use crate::experiments::attribution::{AttributedPurchase, CellKey, Counters, Credit, Exposure};
use crate::experiments::Experiment;
use crate::ports::{MeasurementStore, MEASUREMENT_RETENTION_DAYS};

/// Widest range [`MeasurementStore::counters`] reads (one Query per day).
const MAX_COUNTER_DAYS: i64 = 400;

/// The condition of a marker put: the transaction is refused if the marker exists.
const FIRST_TIME: &str = "attribute_not_exists(#pk)";

/// Plain attributes of a cell item, so reading never parses the key.
const PLACEMENT: &str = "placement";
const VARIANT: &str = "variant";
const MODEL_VERSION: &str = "model_version";
const DAY: &str = "day";

/// The counter attributes of a cell item, named like the [`Counters`] fields.
const EXPOSURES: &str = "exposures";
const ITEMS_SHOWN: &str = "items_shown";
const CLICKS: &str = "clicks";
const TRY_ONS: &str = "try_ons";
const ADD_TO_CARTS: &str = "add_to_carts";
const PURCHASES: &str = "purchases";
const REVENUE_CENTS: &str = "revenue_cents";
const RETURNS: &str = "returns";
const RETURNED_CENTS: &str = "returned_cents";
const REVENUE_SQUARES: &str = "revenue_squares";
const NOVEL_ITEMS: &str = "novel_items";
const DIVERSITY_MILLI_SUM: &str = "diversity_milli_sum";
const DISTINCT_ITEMS: &str = "distinct_items";
const NEW_SUBJECTS: &str = "new_subjects";
const COHORT_REVENUE_CENTS: &str = "cohort_revenue_cents";
const RATINGS: &str = "ratings";
const RATING_SUM: &str = "rating_sum";
const RATING_SQUARES: &str = "rating_squares";

/// Reads are consistent: attribution reads exposures moments after they are shown.
fn consistent() -> QueryOptions {
    QueryOptions {
        consistent: true,
        ..QueryOptions::default()
    }
}

/// When TTL removes a shopper's measurement record made at `at`.
fn measurement_expiry(at: DateTime<Utc>) -> AttributeValue {
    epoch(
        at.checked_add_signed(Duration::days(MEASUREMENT_RETENTION_DAYS))
            .unwrap_or(DateTime::<Utc>::MAX_UTC),
    )
}

/// The non-zero counters as DynamoDB numbers (a zero `ADD` would change nothing).
fn counter_numbers(
    cell: &CellKey,
    counters: &Counters,
) -> StoreResult<Vec<(&'static str, String)>> {
    if !counters.revenue_squares.is_finite() {
        return Err(StoreError::Backend(format!(
            "counters of cell {}/{:?}/{}/{} hold a non-finite revenue_squares",
            cell.placement, cell.variant, cell.model_version, cell.day
        )));
    }
    let count = |name, value: u64| (name, value != 0, value.to_string());
    let cents = |name, value: i64| (name, value != 0, value.to_string());
    let numbers = [
        count(EXPOSURES, counters.exposures),
        count(ITEMS_SHOWN, counters.items_shown),
        count(CLICKS, counters.clicks),
        count(TRY_ONS, counters.try_ons),
        count(ADD_TO_CARTS, counters.add_to_carts),
        count(PURCHASES, counters.purchases),
        cents(REVENUE_CENTS, counters.revenue_cents),
        count(RETURNS, counters.returns),
        cents(RETURNED_CENTS, counters.returned_cents),
        // Display of an f64 is its shortest round-trip decimal, never an exponent.
        (
            REVENUE_SQUARES,
            counters.revenue_squares != 0.0,
            counters.revenue_squares.to_string(),
        ),
        count(NOVEL_ITEMS, counters.novel_items),
        count(DIVERSITY_MILLI_SUM, counters.diversity_milli_sum),
        count(DISTINCT_ITEMS, counters.distinct_items),
        count(NEW_SUBJECTS, counters.new_subjects),
        cents(COHORT_REVENUE_CENTS, counters.cohort_revenue_cents),
        count(RATINGS, counters.ratings),
        count(RATING_SUM, counters.rating_sum),
        count(RATING_SQUARES, counters.rating_squares),
    ];
    Ok(numbers
        .into_iter()
        .filter(|(_, nonzero, _)| *nonzero)
        .map(|(name, _, number)| (name, number))
        .collect())
}

/// A count, saturated like [`Counters::merge`] saturates (DynamoDB numbers have at most 38
/// digits, which fit an i128).
fn count(item: &Item, name: &str) -> StoreResult<u64> {
    Ok(u64::try_from(number_attr::<i128>(item, name)?.max(0)).unwrap_or(u64::MAX))
}

/// An amount in cents, saturated to the i64 range.
fn cents(item: &Item, name: &str) -> StoreResult<i64> {
    let value = number_attr::<i128>(item, name)?;
    Ok(i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX }))
}

fn counters_of(item: &Item) -> StoreResult<Counters> {
    Ok(Counters {
        exposures: count(item, EXPOSURES)?,
        items_shown: count(item, ITEMS_SHOWN)?,
        clicks: count(item, CLICKS)?,
        try_ons: count(item, TRY_ONS)?,
        add_to_carts: count(item, ADD_TO_CARTS)?,
        purchases: count(item, PURCHASES)?,
        revenue_cents: cents(item, REVENUE_CENTS)?,
        returns: count(item, RETURNS)?,
        returned_cents: cents(item, RETURNED_CENTS)?,
        revenue_squares: number_attr(item, REVENUE_SQUARES)?,
        novel_items: count(item, NOVEL_ITEMS)?,
        diversity_milli_sum: count(item, DIVERSITY_MILLI_SUM)?,
        distinct_items: count(item, DISTINCT_ITEMS)?,
        new_subjects: count(item, NEW_SUBJECTS)?,
        cohort_revenue_cents: cents(item, COHORT_REVENUE_CENTS)?,
        ratings: count(item, RATINGS)?,
        rating_sum: count(item, RATING_SUM)?,
        rating_squares: count(item, RATING_SQUARES)?,
    })
}

fn cell_of(item: &Item) -> StoreResult<CellKey> {
    let text = |name| string_attr(item, name).map(str::to_string);
    let variant = match item.get(VARIANT) {
        None => None,
        Some(_) => Some(text(VARIANT)?),
    };
    let day = text(DAY)?;
    Ok(CellKey {
        placement: text(PLACEMENT)?,
        variant,
        model_version: text(MODEL_VERSION)?,
        day: day.parse().map_err(|_| {
            StoreError::Corrupt(format!(
                "cell counters {} have a bad day '{day}'",
                describe_key(item)
            ))
        })?,
    })
}

/// Records of a subject decoded and ordered by `at` (the sort key orders by millisecond,
/// then id; a stable sort keeps that id order among equal times), dropping those before
/// `since` that share its millisecond.
fn since_in_order<T: serde::de::DeserializeOwned>(
    items: &[Item],
    what: &str,
    at: fn(&T) -> DateTime<Utc>,
    since: DateTime<Utc>,
) -> StoreResult<Vec<T>> {
    let mut records = items
        .iter()
        .map(|item| decode::<T>(item, what))
        .collect::<StoreResult<Vec<_>>>()?;
    records.retain(|record| at(record) >= since);
    records.sort_by_key(at);
    Ok(records)
}

impl DynamoStore {
    /// The transaction item adding `counters` to the shard of `cell` that `writer_id` picks;
    /// it also sets the cell's plain attributes, so a cell with zero counts still exists.
    fn add_to_cell(
        &self,
        cell: &CellKey,
        writer_id: &str,
        counters: &Counters,
    ) -> StoreResult<TransactWriteItem> {
        let mut sets = vec![
            (PLACEMENT, cell.placement.clone()),
            (MODEL_VERSION, cell.model_version.clone()),
            (DAY, cell.day.to_string()),
        ];
        if let Some(variant) = &cell.variant {
            sets.push((VARIANT, variant.clone()));
        }
        let adds = counter_numbers(cell, counters)?;
        let mut expression = format!(
            "SET {}",
            sets.iter()
                .map(|(name, _)| format!("#{name} = :{name}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if !adds.is_empty() {
            let terms: Vec<String> = adds
                .iter()
                .map(|(name, _)| format!("#{name} :{name}"))
                .collect();
            expression.push_str(&format!(" ADD {}", terms.join(", ")));
        }
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_item(cell_counters_key(cell, writer_id))))
            .update_expression(expression);
        for (name, value) in sets {
            update = update
                .expression_attribute_names(format!("#{name}"), name)
                .expression_attribute_values(format!(":{name}"), s(value));
        }
        for (name, value) in adds {
            update = update
                .expression_attribute_names(format!("#{name}"), name)
                .expression_attribute_values(format!(":{name}"), AttributeValue::N(value));
        }
        Ok(TransactWriteItem::builder()
            .update(
                update
                    .build()
                    .map_err(|e| sdk_error("DynamoDB Update", e))?,
            )
            .build())
    }

    /// A marker put refused when the marker exists; the marker itself expires with the
    /// event markers (it outlives any redelivery).
    fn marker_put(&self, mut marker: Item, now: DateTime<Utc>) -> StoreResult<TransactWriteItem> {
        marker.insert(EXPIRES_AT.to_string(), epoch(now + self.retention));
        put_action(&self.table, marker, Some(FIRST_TIME))
    }

    /// One exposure's transaction; `Ok(false)` when its marker says it was recorded before.
    async fn record_exposure(&self, exposure: &Exposure, now: DateTime<Utc>) -> StoreResult<bool> {
        let marker = key_item(exposure_marker_key(&exposure.exposure_id));
        let key = exposure_key(&exposure.subject, exposure.at, &exposure.exposure_id);
        let mut record = data_item(key, exposure, "exposure")?;
        record.insert(EXPIRES_AT.to_string(), measurement_expiry(exposure.at));
        let mut counters = Counters::default();
        counters.add_exposure(exposure);
        let cell = CellKey::for_exposure(exposure);
        self.transact(vec![
            self.marker_put(marker, now)?,
            put_action(&self.table, record, None)?,
            self.add_to_cell(&cell, &exposure.exposure_id, &counters)?,
        ])
        .await
    }

    /// One credit's transaction; `Ok(false)` when its marker says it was counted before.
    async fn record_credit(&self, credit: &Credit, now: DateTime<Utc>) -> StoreResult<bool> {
        let marker = key_item(credit_marker_key(&credit.event_id));
        let mut actions = vec![
            self.marker_put(marker, now)?,
            self.add_to_cell(&credit.cell, &credit.event_id, &credit.counters)?,
        ];
        if let Some(purchase) = &credit.purchase {
            let key = attributed_purchase_key(&purchase.subject, purchase.at, &credit.event_id);
            let mut record = data_item(key, purchase, "attributed purchase")?;
            record.insert(EXPIRES_AT.to_string(), measurement_expiry(purchase.at));
            actions.push(put_action(&self.table, record, None)?);
        }
        self.transact(actions).await
    }
}

#[async_trait]
impl MeasurementStore for DynamoStore {
    /// One transaction per exposure, in order (exposures of one call mostly share a cell).
    async fn record_exposures(&self, exposures: &[Exposure]) -> StoreResult<()> {
        let now = Utc::now();
        for exposure in exposures {
            self.record_exposure(exposure, now).await?;
        }
        Ok(())
    }

    /// One consistent Query of `EXPOSURES#<subject>` from `since`'s time key on.
    async fn exposures(&self, subject: &str, since: DateTime<Utc>) -> StoreResult<Vec<Exposure>> {
        let items = self
            .query(
                exposures_partition(subject),
                Range::From(time_sort_key(since)),
                consistent(),
            )
            .await?;
        since_in_order(&items, "exposure", |e: &Exposure| e.at, since)
    }

    /// One transaction per credit, in order.
    async fn record_credits(&self, credits: &[Credit]) -> StoreResult<usize> {
        let now = Utc::now();
        let mut new = 0;
        for credit in credits {
            if self.record_credit(credit, now).await? {
                new += 1;
            }
        }
        Ok(new)
    }

    /// One consistent Query of `PURCHASES#<subject>` from `since`'s time key on.
    async fn attributed_purchases(
        &self,
        subject: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<AttributedPurchase>> {
        let items = self
            .query(
                purchases_partition(subject),
                Range::From(time_sort_key(since)),
                consistent(),
            )
            .await?;
        since_in_order(
            &items,
            "attributed purchase",
            |p: &AttributedPurchase| p.at,
            since,
        )
    }

    /// One consistent Query of `METRICS#<day>` per day, shards summed per cell; ranges over
    /// [`MAX_COUNTER_DAYS`] are refused before any read.
    async fn counters(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<(CellKey, Counters)>> {
        if from > to {
            return Ok(Vec::new());
        }
        let days = to.signed_duration_since(from).num_days() + 1;
        if days > MAX_COUNTER_DAYS {
            return Err(StoreError::Backend(format!(
                "counters of {from}..={to} span {days} days, over the {MAX_COUNTER_DAYS}-day \
                 limit of one read"
            )));
        }
        let mut cells: BTreeMap<CellKey, Counters> = BTreeMap::new();
        for day in from.iter_days().take_while(|day| *day <= to) {
            for item in self
                .query(metrics_partition(day), Range::All, consistent())
                .await?
            {
                cells
                    .entry(cell_of(&item)?)
                    .or_default()
                    .merge(&counters_of(&item)?);
            }
        }
        Ok(cells.into_iter().collect())
    }

    /// Consistent Queries of both of the subject's partitions, then BatchWriteItem deletes.
    /// The markers stay: bare ids that keep a re-sent exposure or credit from counting twice.
    async fn erase_measurements(&self, subject: &str) -> StoreResult<usize> {
        let (exposures, purchases) = tokio::try_join!(
            self.query(exposures_partition(subject), Range::All, consistent()),
            self.query(purchases_partition(subject), Range::All, consistent()),
        )?;
        let keys: Vec<Item> = exposures.iter().chain(&purchases).map(key_of).collect();
        let erased = keys.len();
        self.delete_all(keys).await?;
        Ok(erased)
    }

    async fn put_experiment(&self, experiment: &Experiment) -> StoreResult<()> {
        self.put_item(data_item(
            experiment_key(&experiment.id),
            experiment,
            "experiment",
        )?)
        .await
    }

    /// One consistent Query of `EXPERIMENTS` (sort keys are the ids, so ordered by id).
    async fn experiments(&self) -> StoreResult<Vec<Experiment>> {
        self.query(experiments_partition(), Range::All, consistent())
            .await?
            .iter()
            .map(|item| decode(item, "experiment"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell() -> CellKey {
        CellKey {
            placement: "home".into(),
            variant: Some("exp-1/treatment".into()),
            model_version: "v7".into(),
            day: NaiveDate::from_ymd_opt(2025, 3, 1).expect("valid date"),
        }
    }

    #[test]
    fn when_cell_item_written_and_read_should_round_trip() {
        let counters = Counters {
            exposures: 3,
            items_shown: 30,
            clicks: 2,
            try_ons: 1,
            add_to_carts: 1,
            purchases: 1,
            revenue_cents: 19_999,
            returns: 1,
            returned_cents: 500,
            revenue_squares: 199.99 * 199.99,
            novel_items: 4,
            diversity_milli_sum: 1_700,
            distinct_items: 12,
            new_subjects: 2,
            cohort_revenue_cents: -300,
            ratings: 2,
            rating_sum: 9,
            rating_squares: 41,
        };
        let mut item = key_item(cell_counters_key(&cell(), "x-1"));
        for (name, value) in counter_numbers(&cell(), &counters).expect("finite") {
            item.insert(name.to_string(), AttributeValue::N(value));
        }
        for (name, value) in [
            (PLACEMENT, "home"),
            (VARIANT, "exp-1/treatment"),
            (MODEL_VERSION, "v7"),
            (DAY, "2025-03-01"),
        ] {
            item.insert(name.to_string(), s(value));
        }
        assert_eq!(counters_of(&item).expect("counters"), counters);
        assert_eq!(cell_of(&item).expect("cell"), cell());
        item.remove(VARIANT);
        assert_eq!(cell_of(&item).expect("cell").variant, None);
        let zeros = counter_numbers(&cell(), &Counters::default()).expect("finite");
        assert!(zeros.is_empty(), "a zero ADD is left out: {zeros:?}");
    }

    #[test]
    fn when_stored_counts_exceed_the_field_should_they_saturate() {
        let mut item = key_item(cell_counters_key(&cell(), "x-1"));
        item.insert(EXPOSURES.into(), AttributeValue::N("1".repeat(30)));
        item.insert(
            RETURNED_CENTS.into(),
            AttributeValue::N(format!("-{}", "9".repeat(25))),
        );
        let counters = counters_of(&item).expect("counters");
        assert_eq!(counters.exposures, u64::MAX);
        assert_eq!(counters.returned_cents, i64::MIN);
        assert_eq!(counters.clicks, 0, "missing attributes are zero");
    }

    #[test]
    fn when_revenue_squares_not_finite_should_refuse_naming_the_cell() {
        let counters = Counters {
            revenue_squares: f64::INFINITY,
            ..Counters::default()
        };
        let error = counter_numbers(&cell(), &counters)
            .expect_err("refused")
            .to_string();
        assert!(
            error.contains("home") && error.contains("2025-03-01"),
            "{error}"
        );
    }

    #[test]
    fn when_experiment_settings_stored_as_json_should_round_trip() {
        let experiment: Experiment = toml::from_str(
            r#"
            id = "exp-1"
            placement = "home"
            primary_metric = "ctr"
            guardrails = ["return_rate"]
            start = "2025-03-01T00:00:00Z"
            [[variants]]
            name = "control"
            share = 1.0
            [[variants]]
            name = "treatment"
            share = 1.0
            settings = { engine = { diversity_lambda = 0.5, pool = 40, tags = ["a"], on = true }, since = 2025-03-01T00:00:00Z }
            "#,
        )
        .expect("experiment");
        let item =
            data_item(experiment_key(&experiment.id), &experiment, "experiment").expect("item");
        let back: Experiment = decode(&item, "experiment").expect("decoded");
        assert_eq!(back, experiment);
    }
}

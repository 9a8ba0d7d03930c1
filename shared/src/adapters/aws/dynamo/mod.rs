//! The record, signal and measurement ports on one DynamoDB table (`pk`/`sk` strings, TTL
//! on `expires_at`). Every access is a GetItem, Query, BatchGetItem, BatchWriteItem,
//! TransactWriteItems, UpdateItem, PutItem or DeleteItem: never a Scan. The key design and
//! its trade-offs are documented in `docs/dynamodb.md`.
//!
//! - this file: [`DynamoStore`], its settings and the port implementations;
//! - `keys`: every key of the table, one builder per item kind;
//! - `apply`: how a signal's effects (rules in [`crate::aggregates::apply`]) are written;
//! - `erasure`: tombstones, the checks that honour them, and sweeping a subject's items;
//! - `measurements`: exposures, credits, cell counters and experiments;
//! - `requests`: batched, paginated, transactional and conditional requests with retries;
//! - `lists`: a stored list's item and the stamp read before rewriting it;
//! - `item`: attribute values, records as JSON, error messages naming keys;
//! - `table`: creating the table with TTL.

mod apply;
mod erasure;
mod item;
mod keys;
mod lists;
mod measurements;
mod requests;
mod table;

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Duration, NaiveDate, Utc};

use self::item::{
    count_attribute, data_item, decode, describe_key, epoch, key_item, number_attr, record_json,
    string_attr, unique, Item, DATA,
};
use self::keys::{
    catalog_partition, customer_index_key, customer_index_partition, daily_counts_partition,
    day_sort_key, days_partition, engagement_partition, history_partition, lens_prices_key,
    list_key, pair_partition, profile_key, style_key, subject_index_partition, BROWSING_BELOW,
    DECISIVE_PREFIX, ENGAGEMENT_ORDER_PREFIX, SHARDS, SK, STYLE_PREFIX,
};
use self::lists::list_item;
use self::requests::{delete_request, QueryOptions, Range};
pub(super) use self::table::create_table;
use super::{sdk_error, Backoff};
use crate::adapters::list_page::decode_list_page;
use crate::adapters::sealed_customer::{holds_prescription, open_customer, seal_customer};
use crate::aggregates::apply::MAX_PAIRED_STYLES;
use crate::aggregates::history::{merge_history, sort_newest_first, HistoryClass};
use crate::aggregates::{CoOccurrence, DailyStyleCounts};
use crate::domain::{
    Customer, LensPriceList, ListPage, ListStamp, Signal, StoredList, Style, Subject,
};
use crate::error::{StoreError, StoreResult};
use crate::ports::{
    CatalogStore, DeletedProfile, ErasedSubject, ProfileStore, RecommendationStore, SignalStore,
    Tombstone,
};
use crate::sealing::Sealer;

/// Days history items and event markers are kept before DynamoDB's TTL removes them;
/// decisive signals (purchases, returns, dismissals) have no TTL and stay until erasure.
pub const DEFAULT_HISTORY_RETENTION_DAYS: i64 = 400;

/// Days an anonymous session's items live after its last signal before DynamoDB's TTL
/// removes them (history, engagements, subject index entry): sessions are never trained on
/// and never sharded, so they only serve the session while it is warm.
pub const DEFAULT_SESSION_RETENTION_DAYS: i64 = 30;

/// Largest serialized record kept in one item: DynamoDB items are capped at 400 KB, keys
/// and attribute names included, so this leaves room for them.
pub const MAX_ITEM_DATA_BYTES: usize = 390 * 1024;

/// Why a customer with a prescription is refused by a store without a key.
pub const KMS_KEY_REQUIRED: &str = "FRAMEWISE_KMS_KEY_ID is required to store prescriptions";

const DEFAULT_PAGE_SIZE: i32 = 500;

/// Catalogue, profiles, lists, signal aggregates and measurements in one DynamoDB table.
#[derive(Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
    retention: Duration,
    session_retention: Duration,
    page_size: i32,
    backoff: Backoff,
    /// How many of a subject's recent engagements a new one is paired with.
    pair_cap: usize,
    /// Days already written to the `DAYS` index by this process (saves a write per signal).
    days_indexed: Mutex<HashSet<NaiveDate>>,
    /// Seals prescriptions at rest (KMS on AWS); without one, prescriptions are refused.
    sealer: Option<Sealer>,
}

impl DynamoStore {
    /// A store over `table`; the client is shared and built once per cold start.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            retention: Duration::days(DEFAULT_HISTORY_RETENTION_DAYS),
            session_retention: Duration::days(DEFAULT_SESSION_RETENTION_DAYS),
            page_size: DEFAULT_PAGE_SIZE,
            backoff: Backoff::default(),
            pair_cap: MAX_PAIRED_STYLES,
            days_indexed: Mutex::new(HashSet::new()),
            sealer: None,
        }
    }

    /// Seals every prescription with `sealer` before it is written (envelope encryption;
    /// [`super::KmsKeyProvider`] in production). Without it, customers with a prescription
    /// are refused, so health data never reaches the table in clear.
    pub fn with_sealer(mut self, sealer: Sealer) -> Self {
        self.sealer = Some(sealer);
        self
    }

    /// How long history items (decisive signals excepted) and event markers live before TTL
    /// deletes them.
    pub fn with_history_retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// How long an anonymous session's items live after its last signal (see
    /// [`DEFAULT_SESSION_RETENTION_DAYS`]).
    pub fn with_session_retention(mut self, retention: Duration) -> Self {
        self.session_retention = retention;
        self
    }

    /// Epoch seconds at which the items of `subject_key` written at `at` expire, when it is
    /// an anonymous session; customers' items keep their own rules.
    fn session_expiry(&self, subject_key: &str, at: DateTime<Utc>) -> Option<AttributeValue> {
        matches!(Subject::from_key(subject_key), Some(Subject::Session(_)))
            .then(|| epoch(at + self.session_retention))
    }

    /// Items per Query page (DynamoDB also stops a page at 1 MB).
    pub fn with_page_size(mut self, page_size: u32) -> Self {
        self.page_size = i32::try_from(page_size.max(1)).unwrap_or(DEFAULT_PAGE_SIZE);
        self
    }

    /// Pairs a first engagement with at most `cap` recent ones (default
    /// [`MAX_PAIRED_STYLES`]); each pair costs one UpdateItem.
    pub fn with_pair_cap(mut self, cap: usize) -> Self {
        self.pair_cap = cap.max(1);
        self
    }

    /// Retry policy for unprocessed batch entries and transaction conflicts.
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Styles by id with BatchGetItem (100 keys a call), in no particular order; unknown
    /// ids are left out. For catalogue sync, which compares a feed against what is stored.
    pub async fn get_styles(&self, ids: &[String]) -> StoreResult<Vec<Style>> {
        let keys: Vec<Item> = unique(ids.iter().map(|id| key_item(style_key(id))));
        let items = self.batch_get(keys, false).await?;
        items.iter().map(|item| decode(item, "style")).collect()
    }
}

#[async_trait]
impl CatalogStore for DynamoStore {
    async fn put_styles(&self, styles: &[Style]) -> StoreResult<()> {
        let items = styles
            .iter()
            .map(|style| {
                let mut item = data_item(style_key(&style.id), style, "style")?;
                item.insert("active".to_string(), AttributeValue::Bool(style.active));
                Ok(item)
            })
            .collect::<StoreResult<Vec<_>>>()?;
        self.put_all(items).await
    }

    async fn get_style(&self, id: &str) -> StoreResult<Option<Style>> {
        self.get_item(key_item(style_key(id)), false)
            .await?
            .map(|item| decode(&item, "style"))
            .transpose()
    }

    async fn list_styles(&self) -> StoreResult<Vec<Style>> {
        self.query(
            catalog_partition(),
            Range::Prefix(STYLE_PREFIX.to_string()),
            QueryOptions::default(),
        )
        .await?
        .iter()
        .map(|item| decode(item, "style"))
        .collect()
    }
    async fn put_lens_prices(&self, lists: &[LensPriceList]) -> StoreResult<()> {
        let items = lists
            .iter()
            .map(|list| data_item(lens_prices_key(&list.currency), list, "lens price list"))
            .collect::<StoreResult<Vec<_>>>()?;
        self.put_all(items).await
    }

    async fn lens_prices(&self, currency: &str) -> StoreResult<Option<LensPriceList>> {
        self.get_item(key_item(lens_prices_key(currency)), false)
            .await?
            .map(|item| decode(&item, "lens price list"))
            .transpose()
    }
}

#[async_trait]
impl ProfileStore for DynamoStore {
    async fn put_customers(&self, customers: &[Customer]) -> StoreResult<()> {
        // Refused whole, before any write.
        if self.sealer.is_none() && customers.iter().any(|c| c.prescription.is_some()) {
            return Err(StoreError::Backend(KMS_KEY_REQUIRED.to_string()));
        }
        let mut items = Vec::with_capacity(customers.len() * 2);
        for customer in customers {
            items.push(data_item(
                profile_key(&customer.id),
                &seal_customer(self.sealer.as_ref(), customer).await?,
                "customer",
            )?);
            items.push(key_item(customer_index_key(&customer.id)));
        }
        self.put_all(items).await
    }

    async fn get_customer(&self, id: &str) -> StoreResult<Option<Customer>> {
        let Some(item) = self.get_item(key_item(profile_key(id)), false).await? else {
            return Ok(None);
        };
        let json = string_attr(&item, DATA)?;
        open_customer(self.sealer.as_ref(), json.as_bytes(), id)
            .await
            .map(Some)
    }

    async fn delete_customer(&self, id: &str) -> StoreResult<Option<DeletedProfile>> {
        let old = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_item(profile_key(id))))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| sdk_error("DynamoDB DeleteItem", e))?;
        let deleted = old
            .attributes()
            .filter(|a| !a.is_empty())
            .map(|attributes| DeletedProfile {
                had_prescription: matches!(
                    attributes.get(DATA),
                    Some(AttributeValue::S(json)) if holds_prescription(json.as_bytes())
                ),
            });
        let index = delete_request(key_item(customer_index_key(id)))?;
        self.batch_write(vec![index]).await?;
        Ok(deleted)
    }

    async fn list_customer_ids(&self) -> StoreResult<Vec<String>> {
        self.sharded_sort_keys(customer_index_partition).await
    }
}

#[async_trait]
impl RecommendationStore for DynamoStore {
    async fn get_list(&self, customer_id: &str) -> StoreResult<Option<StoredList>> {
        self.get_item(key_item(list_key(customer_id)), false)
            .await?
            .map(|item| decode(&item, "list"))
            .transpose()
    }

    /// One GetItem, then only the requested window of items is decoded.
    async fn get_list_page(
        &self,
        customer_id: &str,
        offset: usize,
        limit: usize,
    ) -> StoreResult<Option<ListPage>> {
        let Some(item) = self
            .get_item(key_item(list_key(customer_id)), false)
            .await?
        else {
            return Ok(None);
        };
        let json = record_json(&item, "list")?;
        decode_list_page(&json, offset, limit)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("list at {}: {e}", describe_key(&item))))
    }

    /// BatchWriteItem, then the erased customers' lists among them are deleted again (see
    /// `erasure.rs` for why after, not before).
    async fn put_lists(&self, lists: &[StoredList]) -> StoreResult<()> {
        let items = lists
            .iter()
            .map(list_item)
            .collect::<StoreResult<Vec<_>>>()?;
        self.put_all(items).await?;
        self.drop_refused_lists(lists).await
    }

    /// One BatchGetItem per 100 customers, of the stamps only (see `lists.rs`).
    async fn list_stamps(
        &self,
        customer_ids: &[String],
    ) -> StoreResult<HashMap<String, ListStamp>> {
        self.read_list_stamps(customer_ids).await
    }

    async fn delete_lists(&self, customer_id: &str) -> StoreResult<usize> {
        self.delete_list_items(customer_id).await
    }
}

#[async_trait]
impl SignalStore for DynamoStore {
    /// Per signal, in order: one transaction (event marker, daily count, history, subject
    /// index), then for a first engagement the co-occurrence pairs. A signal whose marker
    /// exists is skipped, so redelivered batches are harmless. See `apply.rs`.
    async fn apply(&self, signals: &[Signal]) -> StoreResult<Vec<Signal>> {
        self.apply_in_order(signals).await
    }

    /// Two Queries of `HIST#<subject>`: the browsing range (`sk < "D"`) descending with a
    /// limit, and every decisive signal (`begins_with(sk, "D#")`).
    async fn history(&self, subject: &Subject, limit: usize) -> StoreResult<Vec<Signal>> {
        let partition = history_partition(&subject.key());
        let consistent = QueryOptions {
            consistent: true,
            ..QueryOptions::default()
        };
        let (decisive, browsing) = tokio::try_join!(
            self.query(
                partition.clone(),
                Range::Prefix(DECISIVE_PREFIX.to_string()),
                consistent,
            ),
            self.query(
                partition,
                Range::Below(BROWSING_BELOW.to_string()),
                QueryOptions {
                    descending: true,
                    consistent: true,
                    limit: Some(limit),
                },
            ),
        )?;
        let decode_all = |items: Vec<Item>| -> StoreResult<Vec<Signal>> {
            items.iter().map(|item| decode(item, "signal")).collect()
        };
        let mut browsing = decode_all(browsing)?;
        // Items written before the classes were split hold impressions in the browsing
        // range; they are left out here (and expire with their TTL).
        browsing.retain(|signal| HistoryClass::of(signal.kind) != HistoryClass::Impression);
        Ok(merge_history(decode_all(decisive)?, browsing))
    }

    /// One paginated Query of the whole `HIST#<subject>` partition, every class.
    async fn all_signals(&self, subject: &Subject) -> StoreResult<Vec<Signal>> {
        let items = self
            .query(
                history_partition(&subject.key()),
                Range::All,
                QueryOptions {
                    consistent: true,
                    ..QueryOptions::default()
                },
            )
            .await?;
        let mut signals = items
            .iter()
            .map(|item| decode(item, "signal"))
            .collect::<StoreResult<Vec<Signal>>>()?;
        sort_newest_first(&mut signals);
        Ok(signals)
    }

    async fn daily_counts(&self, since: NaiveDate) -> StoreResult<Vec<DailyStyleCounts>> {
        let days = self
            .query(
                days_partition(),
                Range::From(day_sort_key(since)),
                QueryOptions::default(),
            )
            .await?;
        let mut out = Vec::new();
        for day_item in days {
            let day_text = string_attr(&day_item, SK)?;
            let day: NaiveDate = day_text.parse().map_err(|_| {
                StoreError::Corrupt(format!("DAYS index holds a bad day '{day_text}'"))
            })?;
            let rows = self
                .query(
                    daily_counts_partition(day),
                    Range::All,
                    QueryOptions {
                        consistent: true,
                        ..QueryOptions::default()
                    },
                )
                .await?;
            for row in rows {
                let mut counts = [0u32; 9];
                for (i, count) in counts.iter_mut().enumerate() {
                    *count = number_attr(&row, &count_attribute(i))?;
                }
                out.push(DailyStyleCounts {
                    style_id: string_attr(&row, SK)?.to_string(),
                    day,
                    counts,
                });
            }
        }
        Ok(out)
    }

    async fn co_occurrences(&self) -> StoreResult<Vec<CoOccurrence>> {
        let mut pairs = Vec::new();
        for shard in 0..SHARDS {
            for item in self
                .query(pair_partition(shard), Range::All, QueryOptions::default())
                .await?
            {
                pairs.push(CoOccurrence {
                    style_a: string_attr(&item, "a")?.to_string(),
                    style_b: string_attr(&item, "b")?.to_string(),
                    subjects: number_attr(&item, "n")?,
                });
            }
        }
        pairs.sort_by(|x, y| (&x.style_a, &x.style_b).cmp(&(&y.style_a, &y.style_b)));
        Ok(pairs)
    }

    async fn subjects(&self) -> StoreResult<Vec<Subject>> {
        self.sharded_sort_keys(subject_index_partition)
            .await?
            .iter()
            .map(|k| {
                Subject::from_key(k)
                    .ok_or_else(|| StoreError::Corrupt(format!("bad subject key '{k}'")))
            })
            .collect()
    }

    async fn engaged_styles(&self, subject: &Subject) -> StoreResult<Vec<String>> {
        self.query(
            engagement_partition(&subject.key()),
            Range::Prefix(ENGAGEMENT_ORDER_PREFIX.to_string()),
            QueryOptions {
                descending: true,
                consistent: true,
                limit: None,
            },
        )
        .await?
        .iter()
        .map(|item| string_attr(item, "style").map(str::to_string))
        .collect()
    }

    async fn record_erasure(&self, subject: &Subject, tombstone: &Tombstone) -> StoreResult<()> {
        self.put_tombstone(subject, tombstone).await
    }

    async fn erase_subject(&self, subject: &Subject) -> StoreResult<ErasedSubject> {
        self.sweep_subject(subject).await
    }
}

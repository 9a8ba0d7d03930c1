//! The record and signal ports on one DynamoDB table (`pk`/`sk` strings, TTL on
//! `expires_at`). Every access is a GetItem, Query, BatchGetItem, BatchWriteItem,
//! TransactWriteItems, UpdateItem, PutItem or DeleteItem: never a Scan. The key design and
//! its trade-offs are documented in `docs/dynamodb.md`.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, DeleteRequest, KeySchemaElement, KeyType,
    KeysAndAttributes, Put, PutRequest, ReturnValue, ScalarAttributeType, TimeToLiveSpecification,
    TimeToLiveStatus, TransactWriteItem, Update, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{drain_with_backoff, sdk_error, Backoff};
use crate::adapters::{
    co_occurrence_pairs, open_customer, seal_customer, signal_day, time_key, MAX_PAIRED_STYLES,
};
use crate::domain::{Customer, Signal, StoredList, Style, Subject};
use crate::error::{StoreError, StoreResult};
use crate::optics::sealing::Sealer;
use crate::ports::{
    kind_index, CatalogStore, CoOccurrence, DailyStyleCounts, ProfileStore, RecommendationStore,
    SignalStore,
};

/// Days history and event markers are kept before DynamoDB's TTL removes them.
pub const DEFAULT_HISTORY_RETENTION_DAYS: i64 = 400;

/// Largest serialized record kept in one item: DynamoDB items are capped at 400 KB, keys
/// and attribute names included, so this leaves room for them.
pub const MAX_ITEM_DATA_BYTES: usize = 390 * 1024;

const PK: &str = "pk";
const SK: &str = "sk";
const DATA: &str = "data";
const EXPIRES_AT: &str = "expires_at";
/// Index partitions are spread over this many keys so no single partition is hot.
const SHARDS: u32 = 16;
const BATCH_WRITE: usize = 25;
const BATCH_GET: usize = 100;
/// Concurrent UpdateItem calls when counting co-occurrence pairs.
const PAIR_WRITERS: usize = 16;
const DEFAULT_PAGE_SIZE: i32 = 500;

type Item = HashMap<String, AttributeValue>;

/// Catalogue, profiles, lists and signal aggregates in one DynamoDB table.
#[derive(Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
    retention: Duration,
    page_size: i32,
    backoff: Backoff,
    /// How many of a subject's recent engagements a new one is paired with.
    pair_cap: usize,
    /// Days already written to the `DAYS` index by this process (saves a write per signal).
    days_indexed: Mutex<HashSet<NaiveDate>>,
    /// Seals prescriptions at rest (KMS on AWS); without one, prescriptions are refused.
    sealer: Option<Sealer>,
}

/// Why a customer with a prescription is refused by a store without a key.
pub const KMS_KEY_REQUIRED: &str = "FRAMEWISE_KMS_KEY_ID is required to store prescriptions";

impl DynamoStore {
    /// A store over `table`; the client is shared and built once per cold start.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            retention: Duration::days(DEFAULT_HISTORY_RETENTION_DAYS),
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

    /// How long history items and event markers live before TTL deletes them.
    pub fn with_history_retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
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
        let keys: Vec<Item> = unique(ids.iter().map(|id| style_key(id)));
        let items = self.batch_get(keys).await?;
        items.iter().map(|item| decode(item, "style")).collect()
    }

    async fn batch_write(&self, requests: Vec<WriteRequest>) -> StoreResult<()> {
        for chunk in requests.chunks(BATCH_WRITE) {
            drain_with_backoff(
                &self.backoff,
                "DynamoDB BatchWriteItem",
                chunk.to_vec(),
                |pending| async move {
                    let output = self
                        .client
                        .batch_write_item()
                        .request_items(&self.table, pending)
                        .send()
                        .await
                        .map_err(|e| sdk_error("DynamoDB BatchWriteItem", e))?;
                    let left = output
                        .unprocessed_items()
                        .and_then(|u| u.get(&self.table))
                        .cloned()
                        .unwrap_or_default();
                    Ok((left, Vec::<()>::new()))
                },
            )
            .await?;
        }
        Ok(())
    }

    async fn batch_get(&self, keys: Vec<Item>) -> StoreResult<Vec<Item>> {
        let mut items = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(BATCH_GET) {
            let got = drain_with_backoff(
                &self.backoff,
                "DynamoDB BatchGetItem",
                chunk.to_vec(),
                |pending| async move {
                    let request = KeysAndAttributes::builder()
                        .set_keys(Some(pending))
                        .build()
                        .map_err(|e| sdk_error("DynamoDB BatchGetItem keys", e))?;
                    let output = self
                        .client
                        .batch_get_item()
                        .request_items(&self.table, request)
                        .send()
                        .await
                        .map_err(|e| sdk_error("DynamoDB BatchGetItem", e))?;
                    let got = output
                        .responses()
                        .and_then(|r| r.get(&self.table))
                        .cloned()
                        .unwrap_or_default();
                    let left = output
                        .unprocessed_keys()
                        .and_then(|u| u.get(&self.table))
                        .map(|k| k.keys().to_vec())
                        .unwrap_or_default();
                    Ok((left, got))
                },
            )
            .await?;
            items.extend(got);
        }
        Ok(items)
    }

    async fn get_item(&self, key: Item, consistent: bool) -> StoreResult<Option<Item>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(consistent)
            .send()
            .await
            .map_err(|e| sdk_error("DynamoDB GetItem", e))?;
        Ok(output.item)
    }

    /// Every item of partition `pk` matching `range`, page by page, at most `limit`.
    async fn query(&self, pk: String, range: Range, query: QueryOptions) -> StoreResult<Vec<Item>> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let want = match query.limit {
                Some(limit) if items.len() >= limit => break,
                Some(limit) => i32::try_from(limit - items.len())
                    .map_or(self.page_size, |left| left.min(self.page_size)),
                None => self.page_size,
            };
            let mut request = self
                .client
                .query()
                .table_name(&self.table)
                .expression_attribute_names("#pk", PK)
                .expression_attribute_values(":pk", s(&pk))
                .scan_index_forward(!query.descending)
                .consistent_read(query.consistent)
                .limit(want)
                .set_exclusive_start_key(start.take());
            request = match &range {
                Range::All => request.key_condition_expression("#pk = :pk"),
                Range::Prefix(prefix) => request
                    .key_condition_expression("#pk = :pk AND begins_with(#sk, :sk)")
                    .expression_attribute_names("#sk", SK)
                    .expression_attribute_values(":sk", s(prefix)),
                Range::From(from) => request
                    .key_condition_expression("#pk = :pk AND #sk >= :sk")
                    .expression_attribute_names("#sk", SK)
                    .expression_attribute_values(":sk", s(from)),
            };
            let output = request
                .send()
                .await
                .map_err(|e| sdk_error("DynamoDB Query", e))?;
            items.extend(output.items().iter().cloned());
            match output.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => break,
            }
        }
        if let Some(limit) = query.limit {
            items.truncate(limit);
        }
        Ok(items)
    }

    /// Sort keys of every item in the `SHARDS` partitions `<prefix><n>`, sorted.
    async fn sharded_sort_keys(&self, prefix: &str) -> StoreResult<Vec<String>> {
        let mut keys = Vec::new();
        for shard in 0..SHARDS {
            for item in self
                .query(
                    format!("{prefix}{shard}"),
                    Range::All,
                    QueryOptions::default(),
                )
                .await?
            {
                keys.push(string_attr(&item, SK)?.to_string());
            }
        }
        keys.sort();
        Ok(keys)
    }

    /// Runs one transaction, retrying conflicts with other writers. `Ok(false)` when the
    /// first action's condition failed (the caller's idempotency marker already exists).
    async fn transact(&self, actions: Vec<TransactWriteItem>) -> StoreResult<bool> {
        let mut attempt = 0;
        loop {
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(actions.clone()))
                .send()
                .await;
            let error = match result {
                Ok(_) => return Ok(true),
                Err(e) => e,
            };
            let codes: Vec<String> = match error.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => cancelled
                    .cancellation_reasons()
                    .iter()
                    .map(|r| r.code().unwrap_or_default().to_string())
                    .collect(),
                _ => Vec::new(),
            };
            if codes.first().is_some_and(|c| c == "ConditionalCheckFailed") {
                return Ok(false);
            }
            let conflict = codes.iter().any(|c| c == "TransactionConflict");
            attempt += 1;
            if !conflict || attempt >= self.backoff.max_attempts {
                return Err(sdk_error("DynamoDB TransactWriteItems", error));
            }
            tokio::time::sleep(self.backoff.delay(attempt - 1)).await;
        }
    }

    /// PutItem that succeeds only if the item does not exist yet; `Ok(false)` if it did.
    async fn put_if_absent(&self, item: Item) -> StoreResult<bool> {
        match self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(sdk_error("DynamoDB PutItem", e)),
        }
    }

    async fn put_item(&self, item: Item) -> StoreResult<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| sdk_error("DynamoDB PutItem", e))?;
        Ok(())
    }

    /// Adds `day` to the `DAYS` index once per process (idempotent put).
    async fn index_day(&self, day: NaiveDate) -> StoreResult<()> {
        let known = self
            .days_indexed
            .lock()
            .map(|days| days.contains(&day))
            .unwrap_or(false);
        if !known {
            self.put_item(key("DAYS".to_string(), day.to_string()))
                .await?;
            if let Ok(mut days) = self.days_indexed.lock() {
                days.insert(day);
            }
        }
        Ok(())
    }

    /// Step 1 of applying a signal, atomically: the event marker (conditional), the daily
    /// count, and for a subject its history item and subject index entry.
    /// `Ok(false)` if the event was applied before.
    async fn apply_core(&self, signal: &Signal, now: DateTime<Utc>) -> StoreResult<bool> {
        let day = signal_day(signal);
        self.index_day(day).await?;
        let mut marker = key(format!("EVENT#{}", signal.event_id), "EVENT".to_string());
        marker.insert(EXPIRES_AT.to_string(), epoch(now + self.retention));
        let mut actions = vec![put_action(
            &self.table,
            marker,
            Some("attribute_not_exists(#pk)"),
        )?];
        let counter = format!("c{}", kind_index(signal.kind));
        actions.push(
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(&self.table)
                        .set_key(Some(key(format!("DAILY#{day}"), signal.style_id.clone())))
                        .update_expression("ADD #c :one")
                        .expression_attribute_names("#c", counter)
                        .expression_attribute_values(":one", n(1))
                        .build()
                        .map_err(|e| sdk_error("DynamoDB Update", e))?,
                )
                .build(),
        );
        if let Some(subject) = signal.subject() {
            let subject_key = subject.key();
            let mut history = data_item(
                format!("HIST#{subject_key}"),
                format!("{:020}#{}", time_key(signal.timestamp), signal.event_id),
                signal,
                "signal",
            )?;
            history.insert(
                EXPIRES_AT.to_string(),
                epoch(signal.timestamp + self.retention),
            );
            actions.push(put_action(&self.table, history, None)?);
            let index = key(
                format!("SUBJECTS#{}", shard(&subject_key)),
                subject_key.clone(),
            );
            actions.push(put_action(&self.table, index, None)?);
        }
        self.transact(actions).await
    }

    /// Counts one more subject for each pair with plain `ADD` updates, [`PAIR_WRITERS`] in
    /// flight: atomic per pair, no transaction conflicts on popular pairs.
    async fn add_pairs(&self, pairs: Vec<(String, String)>) -> StoreResult<()> {
        let mut pending = pairs.into_iter();
        let mut running = tokio::task::JoinSet::new();
        loop {
            while running.len() < PAIR_WRITERS {
                let Some((a, b)) = pending.next() else { break };
                let pair = format!("{a}#{b}");
                let request = self
                    .client
                    .update_item()
                    .table_name(&self.table)
                    .set_key(Some(key(format!("PAIRS#{}", shard(&pair)), pair)))
                    .update_expression("SET #a = :a, #b = :b ADD #n :one")
                    .expression_attribute_names("#a", "a")
                    .expression_attribute_names("#b", "b")
                    .expression_attribute_names("#n", "n")
                    .expression_attribute_values(":a", s(a))
                    .expression_attribute_values(":b", s(b))
                    .expression_attribute_values(":one", n(1));
                running.spawn(async move { request.send().await.map(|_| ()) });
            }
            let Some(done) = running.join_next().await else {
                return Ok(());
            };
            done.map_err(|e| StoreError::Backend(format!("pair update task failed: {e}")))?
                .map_err(|e| sdk_error("DynamoDB UpdateItem", e))?;
        }
    }

    /// Step 2 for an engagement: on the subject's first engagement with the style, counts
    /// the subject once for each pair with its most recent other engagements.
    async fn apply_engagement(&self, subject_key: &str, signal: &Signal) -> StoreResult<()> {
        let partition = format!("ENG#{subject_key}");
        let first = self
            .put_if_absent(key(partition.clone(), format!("S#{}", signal.style_id)))
            .await?;
        if !first {
            return Ok(());
        }
        let recent = self
            .query(
                partition.clone(),
                Range::Prefix("T#".to_string()),
                QueryOptions {
                    descending: true,
                    consistent: true,
                    limit: Some(self.pair_cap),
                },
            )
            .await?;
        let recent: Vec<&str> = recent
            .iter()
            .map(|item| string_attr(item, "style"))
            .collect::<StoreResult<_>>()?;
        let pairs = co_occurrence_pairs(&signal.style_id, recent, self.pair_cap);
        self.add_pairs(pairs).await?;
        let mut order = key(
            partition,
            format!("T#{:020}#{}", time_key(signal.timestamp), signal.style_id),
        );
        order.insert("style".to_string(), s(&signal.style_id));
        self.put_item(order).await
    }
}

/// A sort-key condition of a Query.
enum Range {
    All,
    Prefix(String),
    From(String),
}

#[derive(Default)]
struct QueryOptions {
    descending: bool,
    consistent: bool,
    limit: Option<usize>,
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn epoch(at: DateTime<Utc>) -> AttributeValue {
    n(at.timestamp())
}

fn key(pk: String, sk: String) -> Item {
    HashMap::from([(PK.to_string(), s(pk)), (SK.to_string(), s(sk))])
}

fn style_key(id: &str) -> Item {
    key("CATALOG".to_string(), format!("STYLE#{id}"))
}

fn profile_key(id: &str) -> Item {
    key(format!("CUSTOMER#{id}"), "PROFILE".to_string())
}

fn list_key(id: &str) -> Item {
    key(format!("CUSTOMER#{id}"), "LIST".to_string())
}

fn customer_index_key(id: &str) -> Item {
    key(format!("CUSTOMERS#{}", shard(id)), id.to_string())
}

/// Stable shard of a key (FNV-1a), the same in every process and Rust version.
fn shard(value: &str) -> u32 {
    let hash = value.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    });
    hash % SHARDS
}

/// An item holding `value` as JSON in `data`; fails if it would not fit in one item.
fn data_item(pk: String, sk: String, value: &impl Serialize, what: &str) -> StoreResult<Item> {
    let json = serde_json::to_string(value).map_err(StoreError::backend)?;
    if json.len() > MAX_ITEM_DATA_BYTES {
        return Err(StoreError::Backend(format!(
            "{what} {sk} is {} bytes serialized, over the {MAX_ITEM_DATA_BYTES}-byte limit of one DynamoDB item",
            json.len()
        )));
    }
    let mut item = key(pk, sk);
    item.insert(DATA.to_string(), s(json));
    Ok(item)
}

fn string_attr<'a>(item: &'a Item, name: &str) -> StoreResult<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(value)) => Ok(value),
        _ => Err(StoreError::Corrupt(format!(
            "DynamoDB item {} has no string attribute '{name}'",
            describe_key(item)
        ))),
    }
}

fn number_attr(item: &Item, name: &str) -> StoreResult<u32> {
    match item.get(name) {
        None => Ok(0),
        Some(AttributeValue::N(value)) => value.parse().map_err(|_| {
            StoreError::Corrupt(format!(
                "DynamoDB item {} has a bad number in '{name}'",
                describe_key(item)
            ))
        }),
        Some(_) => Err(StoreError::Corrupt(format!(
            "DynamoDB item {} has a non-number '{name}'",
            describe_key(item)
        ))),
    }
}

/// The item's key for error messages (never its data).
fn describe_key(item: &Item) -> String {
    let part = |name| match item.get(name) {
        Some(AttributeValue::S(v)) => v.as_str(),
        _ => "?",
    };
    format!("{}/{}", part(PK), part(SK))
}

fn decode<T: DeserializeOwned>(item: &Item, what: &str) -> StoreResult<T> {
    serde_json::from_str(string_attr(item, DATA)?)
        .map_err(|e| StoreError::Corrupt(format!("{what} at {}: {e}", describe_key(item))))
}

fn put_request(item: Item) -> StoreResult<WriteRequest> {
    Ok(WriteRequest::builder()
        .put_request(
            PutRequest::builder()
                .set_item(Some(item))
                .build()
                .map_err(|e| sdk_error("DynamoDB PutRequest", e))?,
        )
        .build())
}

fn put_action(table: &str, item: Item, condition: Option<&str>) -> StoreResult<TransactWriteItem> {
    let mut put = Put::builder().table_name(table).set_item(Some(item));
    if let Some(condition) = condition {
        put = put
            .condition_expression(condition)
            .expression_attribute_names("#pk", PK);
    }
    Ok(TransactWriteItem::builder()
        .put(put.build().map_err(|e| sdk_error("DynamoDB Put", e))?)
        .build())
}

/// Keys (or items) with duplicates removed, the last occurrence winning: one batch must
/// not name the same key twice.
fn unique(items: impl IntoIterator<Item = Item>) -> Vec<Item> {
    let mut seen = HashSet::new();
    let mut out: Vec<Item> = items.into_iter().collect();
    out.reverse();
    out.retain(|item| seen.insert(describe_key(item)));
    out.reverse();
    out
}

#[async_trait]
impl CatalogStore for DynamoStore {
    async fn put_styles(&self, styles: &[Style]) -> StoreResult<()> {
        let items = styles
            .iter()
            .map(|style| {
                let mut item = data_item(
                    "CATALOG".to_string(),
                    format!("STYLE#{}", style.id),
                    style,
                    "style",
                )?;
                item.insert("active".to_string(), AttributeValue::Bool(style.active));
                Ok(item)
            })
            .collect::<StoreResult<Vec<_>>>()?;
        self.batch_write(
            unique(items)
                .into_iter()
                .map(put_request)
                .collect::<StoreResult<_>>()?,
        )
        .await
    }

    async fn get_style(&self, id: &str) -> StoreResult<Option<Style>> {
        self.get_item(style_key(id), false)
            .await?
            .map(|item| decode(&item, "style"))
            .transpose()
    }

    async fn list_styles(&self) -> StoreResult<Vec<Style>> {
        self.query(
            "CATALOG".to_string(),
            Range::Prefix("STYLE#".to_string()),
            QueryOptions::default(),
        )
        .await?
        .iter()
        .map(|item| decode(item, "style"))
        .collect()
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
                format!("CUSTOMER#{}", customer.id),
                "PROFILE".to_string(),
                &seal_customer(self.sealer.as_ref(), customer).await?,
                "customer",
            )?);
            items.push(customer_index_key(&customer.id));
        }
        self.batch_write(
            unique(items)
                .into_iter()
                .map(put_request)
                .collect::<StoreResult<_>>()?,
        )
        .await
    }

    async fn get_customer(&self, id: &str) -> StoreResult<Option<Customer>> {
        let Some(item) = self.get_item(profile_key(id), false).await? else {
            return Ok(None);
        };
        let json = string_attr(&item, DATA)?;
        open_customer(self.sealer.as_ref(), json.as_bytes(), id)
            .await
            .map(Some)
    }

    async fn delete_customer(&self, id: &str) -> StoreResult<bool> {
        let old = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(profile_key(id)))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| sdk_error("DynamoDB DeleteItem", e))?;
        let existed = old.attributes().is_some_and(|a| !a.is_empty());
        let index = WriteRequest::builder()
            .delete_request(
                DeleteRequest::builder()
                    .set_key(Some(customer_index_key(id)))
                    .build()
                    .map_err(|e| sdk_error("DynamoDB DeleteRequest", e))?,
            )
            .build();
        self.batch_write(vec![index]).await?;
        Ok(existed)
    }

    async fn list_customer_ids(&self) -> StoreResult<Vec<String>> {
        self.sharded_sort_keys("CUSTOMERS#").await
    }
}

#[async_trait]
impl RecommendationStore for DynamoStore {
    async fn get_list(&self, customer_id: &str) -> StoreResult<Option<StoredList>> {
        self.get_item(list_key(customer_id), false)
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
    ) -> StoreResult<Option<crate::domain::ListPage>> {
        let Some(item) = self.get_item(list_key(customer_id), false).await? else {
            return Ok(None);
        };
        let json = string_attr(&item, DATA)?;
        crate::adapters::decode_list_page(json.as_bytes(), offset, limit)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("list at {}: {e}", describe_key(&item))))
    }

    async fn put_lists(&self, lists: &[StoredList]) -> StoreResult<()> {
        let items = lists
            .iter()
            .map(|list| {
                data_item(
                    format!("CUSTOMER#{}", list.customer_id),
                    "LIST".to_string(),
                    list,
                    "list",
                )
            })
            .collect::<StoreResult<Vec<_>>>()?;
        self.batch_write(
            unique(items)
                .into_iter()
                .map(put_request)
                .collect::<StoreResult<_>>()?,
        )
        .await
    }
}

#[async_trait]
impl SignalStore for DynamoStore {
    /// Per signal, in order: one transaction (event marker, daily count, history, subject
    /// index), then for a first engagement the co-occurrence pairs. A signal whose marker
    /// exists is skipped, so redelivered batches are harmless.
    async fn apply(&self, signals: &[Signal]) -> StoreResult<Vec<Signal>> {
        let now = Utc::now();
        let mut new = Vec::new();
        for signal in signals {
            if !self.apply_core(signal, now).await? {
                continue;
            }
            if let Some(subject) = signal.subject() {
                if signal.kind.is_engagement() {
                    self.apply_engagement(&subject.key(), signal).await?;
                }
            }
            new.push(signal.clone());
        }
        Ok(new)
    }

    async fn history(&self, subject: &Subject, limit: usize) -> StoreResult<Vec<Signal>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        self.query(
            format!("HIST#{}", subject.key()),
            Range::All,
            QueryOptions {
                descending: true,
                consistent: true,
                limit: Some(limit),
            },
        )
        .await?
        .iter()
        .map(|item| decode(item, "signal"))
        .collect()
    }

    async fn daily_counts(&self, since: NaiveDate) -> StoreResult<Vec<DailyStyleCounts>> {
        let days = self
            .query(
                "DAYS".to_string(),
                Range::From(since.to_string()),
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
                    format!("DAILY#{day}"),
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
                    *count = number_attr(&row, &format!("c{i}"))?;
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
                .query(
                    format!("PAIRS#{shard}"),
                    Range::All,
                    QueryOptions::default(),
                )
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
        self.sharded_sort_keys("SUBJECTS#")
            .await?
            .iter()
            .map(|k| {
                Subject::from_key(k)
                    .ok_or_else(|| StoreError::Corrupt(format!("bad subject key '{k}'")))
            })
            .collect()
    }
}

/// Creates the table (on-demand, `pk`/`sk`) if missing, waits until it is active and turns
/// TTL on `expires_at` on.
pub(super) async fn create_table(client: &Client, table: &str) -> StoreResult<()> {
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(|e| sdk_error("DynamoDB AttributeDefinition", e))
    };
    let key_part = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .map_err(|e| sdk_error("DynamoDB KeySchemaElement", e))
    };
    let created = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute(PK)?)
        .attribute_definitions(attribute(SK)?)
        .key_schema(key_part(PK, KeyType::Hash)?)
        .key_schema(key_part(SK, KeyType::Range)?)
        .send()
        .await;
    match created {
        Ok(_) => {}
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception()) => {}
        Err(e) => return Err(sdk_error("DynamoDB CreateTable", e)),
    }
    client
        .wait_until_table_exists()
        .table_name(table)
        .wait(StdDuration::from_secs(120))
        .await
        .map_err(|e| sdk_error("DynamoDB waiting for table", e))?;
    let ttl = client
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await
        .map_err(|e| sdk_error("DynamoDB DescribeTimeToLive", e))?;
    let enabled = ttl
        .time_to_live_description()
        .and_then(|d| d.time_to_live_status())
        .is_some_and(|s| matches!(s, TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling));
    if !enabled {
        client
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(EXPIRES_AT)
                    .enabled(true)
                    .build()
                    .map_err(|e| sdk_error("DynamoDB TimeToLiveSpecification", e))?,
            )
            .send()
            .await
            .map_err(|e| sdk_error("DynamoDB UpdateTimeToLive", e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_keys_sharded_should_be_stable_and_in_range() {
        assert_eq!(shard("c:cu-00001"), shard("c:cu-00001"));
        let shards: HashSet<u32> = (0..200).map(|i| shard(&format!("cu-{i:05}"))).collect();
        assert!(shards.iter().all(|s| *s < SHARDS));
        assert!(
            shards.len() > SHARDS as usize / 2,
            "keys spread: {shards:?}"
        );
    }

    #[test]
    fn when_record_too_large_should_fail_naming_the_limit() {
        let big = "x".repeat(MAX_ITEM_DATA_BYTES + 1);
        let error = data_item("CATALOG".into(), "STYLE#a".into(), &big, "style")
            .expect_err("too large")
            .to_string();
        assert!(
            error.contains("STYLE#a") && error.contains("limit"),
            "{error}"
        );
        assert!(!error.contains("xxxx"), "the body is never echoed");
    }

    #[test]
    fn when_batch_names_a_key_twice_should_keep_the_last() {
        let mut first = key("P".into(), "1".into());
        first.insert("v".into(), n(1));
        let mut last = key("P".into(), "1".into());
        last.insert("v".into(), n(2));
        let out = unique([first, key("P".into(), "2".into()), last]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].get("v"), Some(&n(2)));
    }
}

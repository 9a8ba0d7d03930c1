//! The DynamoDB requests of [`DynamoStore`]: batched writes, deletes and reads with retries
//! of the unprocessed part, paginated queries, transactions retried on conflicts. Never a
//! Scan.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    DeleteRequest, KeysAndAttributes, Put, PutRequest, TransactWriteItem, WriteRequest,
};

use super::item::{s, string_attr, unique, Item};
use super::keys::{PK, SHARDS, SK};
use super::DynamoStore;
use crate::adapters::aws::{drain_with_backoff, sdk_error};
use crate::error::StoreResult;

const BATCH_WRITE: usize = 25;
const BATCH_GET: usize = 100;

impl DynamoStore {
    pub(super) async fn batch_write(&self, requests: Vec<WriteRequest>) -> StoreResult<()> {
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

    /// Puts every item in batches; a key named twice keeps its last item.
    pub(super) async fn put_all(&self, items: Vec<Item>) -> StoreResult<()> {
        let requests = unique(items)
            .into_iter()
            .map(put_request)
            .collect::<StoreResult<_>>()?;
        self.batch_write(requests).await
    }

    /// Deletes every key in batches (25 a call, unprocessed ones retried); a key named twice
    /// is deleted once.
    pub(super) async fn delete_all(&self, keys: Vec<Item>) -> StoreResult<()> {
        let requests = unique(keys)
            .into_iter()
            .map(delete_request)
            .collect::<StoreResult<_>>()?;
        self.batch_write(requests).await
    }

    /// Items by key, 100 keys a call, unprocessed keys retried; unknown keys are left out.
    pub(super) async fn batch_get(
        &self,
        keys: Vec<Item>,
        consistent: bool,
    ) -> StoreResult<Vec<Item>> {
        self.batch_get_attributes(keys, consistent, &[]).await
    }

    /// Like [`Self::batch_get`], returning only the named attributes (all when empty). The
    /// read still costs the whole item's size; what it saves is transfer and decoding.
    pub(super) async fn batch_get_attributes(
        &self,
        keys: Vec<Item>,
        consistent: bool,
        attributes: &[&str],
    ) -> StoreResult<Vec<Item>> {
        // Placeholders (#a0, #a1, ...), so no attribute name can clash with a reserved word;
        // the projection lists them (in any order).
        let names: HashMap<String, String> = attributes
            .iter()
            .enumerate()
            .map(|(i, name)| (format!("#a{i}"), (*name).to_string()))
            .collect();
        let projection =
            (!names.is_empty()).then(|| names.keys().cloned().collect::<Vec<_>>().join(", "));
        let names = (!names.is_empty()).then_some(names);
        let mut items = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(BATCH_GET) {
            let got = drain_with_backoff(
                &self.backoff,
                "DynamoDB BatchGetItem",
                chunk.to_vec(),
                |pending| {
                    let projection = projection.clone();
                    let names = names.clone();
                    async move {
                        let request = KeysAndAttributes::builder()
                            .set_keys(Some(pending))
                            .consistent_read(consistent)
                            .set_projection_expression(projection)
                            .set_expression_attribute_names(names)
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
                    }
                },
            )
            .await?;
            items.extend(got);
        }
        Ok(items)
    }

    pub(super) async fn get_item(&self, key: Item, consistent: bool) -> StoreResult<Option<Item>> {
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
    pub(super) async fn query(
        &self,
        pk: String,
        range: Range,
        query: QueryOptions,
    ) -> StoreResult<Vec<Item>> {
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
                Range::Below(below) => request
                    .key_condition_expression("#pk = :pk AND #sk < :sk")
                    .expression_attribute_names("#sk", SK)
                    .expression_attribute_values(":sk", s(below)),
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

    /// Sort keys of every item in the [`SHARDS`] partitions `partition(0..SHARDS)`, sorted.
    pub(super) async fn sharded_sort_keys(
        &self,
        partition: fn(u32) -> String,
    ) -> StoreResult<Vec<String>> {
        let mut keys = Vec::new();
        for shard in 0..SHARDS {
            for item in self
                .query(partition(shard), Range::All, QueryOptions::default())
                .await?
            {
                keys.push(string_attr(&item, SK)?.to_string());
            }
        }
        keys.sort();
        Ok(keys)
    }

    /// Runs one transaction, retrying conflicts with other writers. `Ok(false)` when a
    /// condition failed: the caller's idempotency marker already exists, or the subject's
    /// tombstone refuses the write; either way nothing was written.
    pub(super) async fn transact(&self, actions: Vec<TransactWriteItem>) -> StoreResult<bool> {
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
            if codes.iter().any(|c| c == "ConditionalCheckFailed") {
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

    pub(super) async fn put_item(&self, item: Item) -> StoreResult<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| sdk_error("DynamoDB PutItem", e))?;
        Ok(())
    }
}

/// A sort-key condition of a Query.
pub(super) enum Range {
    All,
    Prefix(String),
    From(String),
    /// Sort keys strictly below this one.
    Below(String),
}

#[derive(Default)]
pub(super) struct QueryOptions {
    pub descending: bool,
    pub consistent: bool,
    pub limit: Option<usize>,
}

pub(super) fn put_request(item: Item) -> StoreResult<WriteRequest> {
    Ok(WriteRequest::builder()
        .put_request(
            PutRequest::builder()
                .set_item(Some(item))
                .build()
                .map_err(|e| sdk_error("DynamoDB PutRequest", e))?,
        )
        .build())
}

pub(super) fn delete_request(key: Item) -> StoreResult<WriteRequest> {
    Ok(WriteRequest::builder()
        .delete_request(
            DeleteRequest::builder()
                .set_key(Some(key))
                .build()
                .map_err(|e| sdk_error("DynamoDB DeleteRequest", e))?,
        )
        .build())
}

pub(super) fn put_action(
    table: &str,
    item: Item,
    condition: Option<&str>,
) -> StoreResult<TransactWriteItem> {
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

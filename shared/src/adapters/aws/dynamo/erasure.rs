//! Erasure on DynamoDB: the tombstone item, the condition every per-subject write of
//! `apply` carries, the sweep of a subject's partitions, and the check that drops lists an
//! erasure refuses. Rules in [`crate::aggregates::erasure`]; layout in `docs/dynamodb.md`.
//!
//! Why this is race-free without a table-wide lock: the eraser writes the tombstone, then
//! queries (strongly consistent) and deletes. A signal's history, subject index and
//! engagement items are written only by transactions that also check the tombstone, so each
//! either committed before the tombstone (and the sweep finds it) or is refused. A list is
//! written first and checked after (BatchWriteItem takes no condition): either the check
//! sees the tombstone and deletes the list, or the list was written before the tombstone
//! and the erasure's own delete removes it.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{ConditionCheck, TransactWriteItem};
use chrono::{DateTime, Utc};

use super::item::{epoch, i64_attr, key_item, key_of, n, string_attr, unique, Item, EXPIRES_AT};
use super::keys::{
    customer_partition, engagement_partition, history_partition, list_key, subject_index_key,
    tombstone_item_key, FIRST_ENGAGEMENT_PREFIX, LIST_SORT_KEY, PK, SK,
};
use super::requests::{QueryOptions, Range};
use super::DynamoStore;
use crate::adapters::aws::sdk_error;
use crate::aggregates::erasure::{tombstone_key, Tombstone};
use crate::domain::{StoredList, Subject};
use crate::error::{StoreError, StoreResult};
use crate::ports::ErasedSubject;

/// Attribute of a tombstone item: the cutoff in epoch milliseconds (signals are compared
/// to the millisecond; `expires_at` is in seconds because TTL reads it).
const CUTOFF_MS: &str = "cutoff_ms";

/// A consistent read of a whole partition: an erasure must see every write that committed
/// before its tombstone.
fn everything() -> QueryOptions {
    QueryOptions {
        consistent: true,
        ..QueryOptions::default()
    }
}

fn tombstone_item_key_of(subject_key: &str) -> Item {
    key_item(tombstone_item_key(&tombstone_key(subject_key)))
}

fn tombstone_from_item(item: &Item) -> StoreResult<Tombstone> {
    let corrupt = || {
        StoreError::Corrupt(format!(
            "tombstone {} has an out-of-range time",
            string_attr(item, PK).unwrap_or("?")
        ))
    };
    Ok(Tombstone {
        cutoff: DateTime::from_timestamp_millis(i64_attr(item, CUTOFF_MS)?).ok_or_else(corrupt)?,
        expires_at: DateTime::from_timestamp(i64_attr(item, EXPIRES_AT)?, 0).ok_or_else(corrupt)?,
    })
}

impl DynamoStore {
    /// PutItem of the subject's tombstone; DynamoDB's TTL deletes it after `expires_at`.
    pub(super) async fn put_tombstone(
        &self,
        subject: &Subject,
        tombstone: &Tombstone,
    ) -> StoreResult<()> {
        let mut item = tombstone_item_key_of(&subject.key());
        item.insert(
            CUTOFF_MS.to_string(),
            n(tombstone.cutoff.timestamp_millis()),
        );
        item.insert(EXPIRES_AT.to_string(), epoch(tombstone.expires_at));
        self.put_item(item).await
    }

    /// The transaction item that lets a write of `subject_key`'s data dated `dated` through
    /// only if no live tombstone refuses it (the rule of [`Tombstone::refuses`], with
    /// `expires_at` compared at second precision).
    pub(super) fn tombstone_check(
        &self,
        subject_key: &str,
        dated: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<TransactWriteItem> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(tombstone_item_key_of(subject_key)))
            .condition_expression(
                "attribute_not_exists(#pk) OR #cutoff <= :dated OR #expires <= :now",
            )
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#cutoff", CUTOFF_MS)
            .expression_attribute_names("#expires", EXPIRES_AT)
            .expression_attribute_values(":dated", n(dated.timestamp_millis()))
            .expression_attribute_values(":now", epoch(now))
            .build()
            .map_err(|e| sdk_error("DynamoDB ConditionCheck", e))?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    /// Deletes the subject's history (`HIST#`, every class: browsing, `D#` decisive and `I#`
    /// impressions), its engagement items (`ENG#`, first engagements and order) and its
    /// subject index entry.
    pub(super) async fn sweep_subject(&self, subject: &Subject) -> StoreResult<ErasedSubject> {
        let subject_key = subject.key();
        let history = self
            .query(history_partition(&subject_key), Range::All, everything())
            .await?;
        let engagement = self
            .query(engagement_partition(&subject_key), Range::All, everything())
            .await?;
        let engaged_styles = engagement
            .iter()
            .filter(|item| {
                string_attr(item, SK).is_ok_and(|sk| sk.starts_with(FIRST_ENGAGEMENT_PREFIX))
            })
            .count();
        let mut keys: Vec<Item> = history.iter().chain(&engagement).map(key_of).collect();
        keys.push(key_item(subject_index_key(&subject_key)));
        self.delete_all(keys).await?;
        Ok(ErasedSubject {
            signals: history.len(),
            engaged_styles,
        })
    }

    /// Deletes every list item of the customer (`CUSTOMER#<id>`, sort keys from `LIST`).
    pub(super) async fn delete_list_items(&self, customer_id: &str) -> StoreResult<usize> {
        let lists = self
            .query(
                customer_partition(customer_id),
                Range::Prefix(LIST_SORT_KEY.to_string()),
                everything(),
            )
            .await?;
        let count = lists.len();
        self.delete_all(lists.iter().map(key_of).collect()).await?;
        Ok(count)
    }

    /// After `lists` were written: deletes those a live tombstone of their customer refuses
    /// (one consistent BatchGetItem of the tombstones per 100 lists). A fresher list written
    /// meanwhile by someone else may go with it; lists are recomputed on the next read.
    pub(super) async fn drop_refused_lists(&self, lists: &[StoredList]) -> StoreResult<()> {
        let subject_keys: Vec<String> = lists
            .iter()
            .map(|list| Subject::Customer(list.customer_id.clone()).key())
            .collect();
        let keys = unique(subject_keys.iter().map(|k| tombstone_item_key_of(k)));
        let found = self.batch_get(keys, true).await?;
        if found.is_empty() {
            return Ok(());
        }
        let mut tombstones = HashMap::new();
        for item in &found {
            tombstones.insert(
                string_attr(item, PK)?.to_string(),
                tombstone_from_item(item)?,
            );
        }
        let now = Utc::now();
        let refused: Vec<Item> = lists
            .iter()
            .zip(&subject_keys)
            .filter(|(list, subject_key)| {
                let pk = tombstone_item_key(&tombstone_key(subject_key)).pk;
                tombstones
                    .get(&pk)
                    .is_some_and(|t| t.refuses(list.generated_at, now))
            })
            .map(|(list, _)| key_item(list_key(&list.customer_id)))
            .collect();
        self.delete_all(refused).await
    }
}

//! Stored lists: one item per customer, the list compressed in `data_z` beside its stamp
//! (`fp`, `at`), which a recompute reads to skip rewriting lists that did not change.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::DateTime;

use super::item::{deflated_item, describe_key, key_item, n, s, unique, Item};
use super::keys::{list_key, PK};
use super::DynamoStore;
use crate::domain::{ListStamp, StoredList};
use crate::error::{StoreError, StoreResult};

/// The list's [`StoredList::fingerprint`].
const FINGERPRINT: &str = "fp";
/// The list's `generated_at`, epoch milliseconds.
const GENERATED_AT_MS: &str = "at";

/// The item of a stored list: compressed JSON plus its stamp (~30 bytes).
pub(super) fn list_item(list: &StoredList) -> StoreResult<Item> {
    let mut item = deflated_item(list_key(&list.customer_id), list, "list")?;
    item.insert(FINGERPRINT.to_string(), s(list.fingerprint()));
    item.insert(
        GENERATED_AT_MS.to_string(),
        n(list.generated_at.timestamp_millis()),
    );
    Ok(item)
}

/// The stamp of a list item; `None` for items written before stamps were stored (they are
/// rewritten once, then carry one).
fn stamp(item: &Item) -> StoreResult<Option<ListStamp>> {
    let (Some(AttributeValue::S(fingerprint)), Some(AttributeValue::N(at))) =
        (item.get(FINGERPRINT), item.get(GENERATED_AT_MS))
    else {
        return Ok(None);
    };
    let generated_at = at
        .parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_millis)
        .ok_or_else(|| {
            StoreError::Corrupt(format!(
                "list at {} has a bad '{GENERATED_AT_MS}'",
                describe_key(item)
            ))
        })?;
    Ok(Some(ListStamp {
        fingerprint: fingerprint.clone(),
        generated_at,
    }))
}

impl DynamoStore {
    /// BatchGetItem of the lists' keys and stamps only (eventually consistent: half a read
    /// unit per list of up to 4 KB, against the write units a rewrite costs).
    pub(super) async fn read_list_stamps(
        &self,
        customer_ids: &[String],
    ) -> StoreResult<HashMap<String, ListStamp>> {
        let customer_of: HashMap<String, &String> = customer_ids
            .iter()
            .map(|id| (list_key(id).pk, id))
            .collect();
        let keys = unique(customer_ids.iter().map(|id| key_item(list_key(id))));
        let items = self
            .batch_get_attributes(keys, false, &[PK, FINGERPRINT, GENERATED_AT_MS])
            .await?;
        let mut stamps = HashMap::with_capacity(items.len());
        for item in &items {
            let Some(AttributeValue::S(pk)) = item.get(PK) else {
                continue;
            };
            if let (Some(id), Some(stamp)) = (customer_of.get(pk), stamp(item)?) {
                stamps.insert((*id).clone(), stamp);
            }
        }
        Ok(stamps)
    }
}

//! DynamoDB items: attribute values in and out, records as JSON in `data` (size-checked),
//! and error messages that name an item's key, never its data.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::keys::{ItemKey, PK, SK};
use super::MAX_ITEM_DATA_BYTES;
use crate::error::{StoreError, StoreResult};

/// A record's JSON.
pub(super) const DATA: &str = "data";
/// A record's JSON compressed with raw DEFLATE, instead of [`DATA`] (stored lists: ~10 KB of
/// repetitive reason text shrink ~9x, so a list costs ~2 write units instead of ~10).
pub(super) const DATA_DEFLATED: &str = "data_z";
/// Largest JSON a compressed record may inflate to: a bound against a corrupt or hostile
/// item, far above any list.
const MAX_INFLATED_BYTES: usize = 4 << 20;
/// Epoch seconds after which DynamoDB's TTL deletes the item.
pub(super) const EXPIRES_AT: &str = "expires_at";

pub(super) type Item = HashMap<String, AttributeValue>;

pub(super) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(super) fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(super) fn epoch(at: DateTime<Utc>) -> AttributeValue {
    n(at.timestamp())
}

/// An item (or a request key) holding only `key`.
pub(super) fn key_item(key: ItemKey) -> Item {
    HashMap::from([(PK.to_string(), s(key.pk)), (SK.to_string(), s(key.sk))])
}

/// Name of the counter attribute of kind index `kind` in a daily counts item (`c0`..`c8`).
pub(super) fn count_attribute(kind: usize) -> String {
    format!("c{kind}")
}

/// An item holding `value` as JSON in `data`; fails if it would not fit in one item.
pub(super) fn data_item(key: ItemKey, value: &impl Serialize, what: &str) -> StoreResult<Item> {
    let json = serde_json::to_string(value).map_err(StoreError::backend)?;
    if json.len() > MAX_ITEM_DATA_BYTES {
        return Err(StoreError::Backend(format!(
            "{what} {} is {} bytes serialized, over the {MAX_ITEM_DATA_BYTES}-byte limit of one DynamoDB item",
            key.sk,
            json.len()
        )));
    }
    let mut item = key_item(key);
    item.insert(DATA.to_string(), s(json));
    Ok(item)
}

/// An item holding `value` as DEFLATE-compressed JSON in [`DATA_DEFLATED`]; fails if even
/// compressed it would not fit in one item.
pub(super) fn deflated_item(key: ItemKey, value: &impl Serialize, what: &str) -> StoreResult<Item> {
    let json = serde_json::to_vec(value).map_err(StoreError::backend)?;
    if json.len() > MAX_INFLATED_BYTES {
        return Err(StoreError::Backend(format!(
            "{what} {} is {} bytes serialized, over the {MAX_INFLATED_BYTES}-byte limit",
            key.sk,
            json.len()
        )));
    }
    let packed = miniz_oxide::deflate::compress_to_vec(&json, 6);
    if packed.len() > MAX_ITEM_DATA_BYTES {
        return Err(StoreError::Backend(format!(
            "{what} {} is {} bytes compressed, over the {MAX_ITEM_DATA_BYTES}-byte limit of one DynamoDB item",
            key.sk,
            packed.len()
        )));
    }
    let mut item = key_item(key);
    item.insert(
        DATA_DEFLATED.to_string(),
        AttributeValue::B(Blob::new(packed)),
    );
    Ok(item)
}

/// The JSON of a record item, plain ([`DATA`]) or compressed ([`DATA_DEFLATED`]).
pub(super) fn record_json<'a>(item: &'a Item, what: &str) -> StoreResult<Cow<'a, [u8]>> {
    match (item.get(DATA), item.get(DATA_DEFLATED)) {
        (Some(AttributeValue::S(json)), _) => Ok(Cow::Borrowed(json.as_bytes())),
        (_, Some(AttributeValue::B(packed))) => {
            miniz_oxide::inflate::decompress_to_vec_with_limit(packed.as_ref(), MAX_INFLATED_BYTES)
                .map(Cow::Owned)
                .map_err(|e| {
                    StoreError::Corrupt(format!(
                        "{what} at {}: compressed data does not inflate: {e}",
                        describe_key(item)
                    ))
                })
        }
        _ => Err(StoreError::Corrupt(format!(
            "{what} at {} has neither '{DATA}' nor '{DATA_DEFLATED}'",
            describe_key(item)
        ))),
    }
}

pub(super) fn string_attr<'a>(item: &'a Item, name: &str) -> StoreResult<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(value)) => Ok(value),
        _ => Err(StoreError::Corrupt(format!(
            "DynamoDB item {} has no string attribute '{name}'",
            describe_key(item)
        ))),
    }
}

/// Only the key attributes of `item`, for a delete request.
pub(super) fn key_of(item: &Item) -> Item {
    item.iter()
        .filter(|(name, _)| *name == PK || *name == SK)
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

/// A signed 64-bit number attribute; missing or malformed is corrupt.
pub(super) fn i64_attr(item: &Item, name: &str) -> StoreResult<i64> {
    match item.get(name) {
        Some(AttributeValue::N(value)) => value.parse().map_err(|_| {
            StoreError::Corrupt(format!(
                "DynamoDB item {} has a bad number in '{name}'",
                describe_key(item)
            ))
        }),
        _ => Err(StoreError::Corrupt(format!(
            "DynamoDB item {} has no number attribute '{name}'",
            describe_key(item)
        ))),
    }
}

/// A number attribute; missing is zero (a counter never added to).
pub(super) fn number_attr<T: std::str::FromStr + Default>(
    item: &Item,
    name: &str,
) -> StoreResult<T> {
    match item.get(name) {
        None => Ok(T::default()),
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
pub(super) fn describe_key(item: &Item) -> String {
    let part = |name| match item.get(name) {
        Some(AttributeValue::S(v)) => v.as_str(),
        _ => "?",
    };
    format!("{}/{}", part(PK), part(SK))
}

pub(super) fn decode<T: DeserializeOwned>(item: &Item, what: &str) -> StoreResult<T> {
    serde_json::from_slice(&record_json(item, what)?)
        .map_err(|e| StoreError::Corrupt(format!("{what} at {}: {e}", describe_key(item))))
}

/// Keys (or items) with duplicates removed, the last occurrence winning: one batch must
/// not name the same key twice.
pub(super) fn unique(items: impl IntoIterator<Item = Item>) -> Vec<Item> {
    let mut seen = HashSet::new();
    let mut out: Vec<Item> = items.into_iter().collect();
    out.reverse();
    out.retain(|item| seen.insert(describe_key(item)));
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::super::keys::style_key;
    use super::*;

    fn key(pk: &str, sk: &str) -> Item {
        key_item(ItemKey {
            pk: pk.to_string(),
            sk: sk.to_string(),
        })
    }

    #[test]
    fn when_record_too_large_should_fail_naming_the_limit() {
        let big = "x".repeat(MAX_ITEM_DATA_BYTES + 1);
        let error = data_item(style_key("a"), &big, "style")
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
        let mut first = key("P", "1");
        first.insert("v".into(), n(1));
        let mut last = key("P", "1");
        last.insert("v".into(), n(2));
        let out = unique([first, key("P", "2"), last]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].get("v"), Some(&n(2)));
    }
}

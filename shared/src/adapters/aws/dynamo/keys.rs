//! Every key of the single DynamoDB table: one builder per item kind, the partitions the
//! queries read, and [`shard`]. No other file formats a key. The table mirrors
//! `docs/dynamodb.md` (change both together; the tests below pin each shape):
//!
//! | what | `pk` | `sk` | builder |
//! |---|---|---|---|
//! | style | `CATALOG` | `STYLE#<style_id>` | [`style_key`] |
//! | lens price list | `CATALOG` | `LENSPRICES#<currency>` | [`lens_prices_key`] |
//! | profile (prescription included) | `CUSTOMER#<id>` | `PROFILE` | [`profile_key`] |
//! | customer id index | `CUSTOMERS#<shard>` | `<id>` | [`customer_index_key`] |
//! | precomputed list | `CUSTOMER#<id>` | `LIST` | [`list_key`] |
//! | event marker | `EVENT#<event_id>` | `EVENT` | [`event_marker_key`] |
//! | history: browsing | `HIST#<subject key>` | `<time key, 20 digits>#<event_id>` | [`history_key`] |
//! | history: decisive (no TTL) | `HIST#<subject key>` | `D#<time key, 20 digits>#<event_id>` | [`history_key`] |
//! | history: impression | `HIST#<subject key>` | `I#<time key, 20 digits>#<event_id>` | [`history_key`] |
//! | subject index | `SUBJECTS#<shard>` | `<subject key>` | [`subject_index_key`] |
//! | days with counts | `DAYS` | `<yyyy-mm-dd>` | [`day_key`] |
//! | daily counts | `DAILY#<yyyy-mm-dd>` | `<style_id>` | [`daily_counts_key`] |
//! | first engagement | `ENG#<subject key>` | `S#<style_id>` | [`first_engagement_key`] |
//! | engagement order | `ENG#<subject key>` | `T#<time key, 20 digits>#<style_id>` | [`engagement_order_key`] |
//! | co-occurring pair | `PAIRS#<shard>` | `<style_a>#<style_b>` (`a < b`) | [`pair_key`] |
//! | erasure tombstone | `ERASED#<tombstone key>` | `ERASED` | [`tombstone_item_key`] |
//! | exposure marker | `EXPOSURE#<exposure_id>` | `EXPOSURE` | [`exposure_marker_key`] |
//! | exposure | `EXPOSURES#<subject key>` | `<time key, 20 digits>#<exposure_id>` | [`exposure_key`] |
//! | credit marker | `CREDIT#<event_id>` | `CREDIT` | [`credit_marker_key`] |
//! | sighting marker | `SEEN#<event_id>` | `SEEN` | [`credit_marker_key`] |
//! | attributed purchase | `PURCHASES#<subject key>` | `<time key, 20 digits>#<event_id>` | [`attributed_purchase_key`] |
//! | cell counters (one shard) | `METRICS#<yyyy-mm-dd>` | `<placement>#<variant or empty>#<model_version>#<shard>` | [`cell_counters_key`] |
//! | experiment | `EXPERIMENTS` | `<experiment id>` | [`experiment_key`] |
//!
//! `<shard>` is [`shard`] of the index entry's sort key (the id, the subject key, the pair);
//! of a cell's counters, [`shard`] of the exposure or event id adding to them, so concurrent
//! writers to one busy cell rarely meet on one item.
//! The tombstone key is [`crate::aggregates::erasure::tombstone_key`], a hash of the subject
//! key: the tombstone of an erased shopper does not name them.
//! The time key is [`time_sort_key`], so sort keys order by time. Ids cannot contain `#`
//! (domain validation), so `#` separates; experiment variants may contain `/`, which is
//! harmless. A subject's history partition holds one sort-key range per
//! [`HistoryClass`]: browsing keys start with a digit, so they all sort below
//! [`BROWSING_BELOW`] and before the `D#` and `I#` ranges.

use chrono::{DateTime, NaiveDate, Utc};

use crate::adapters::time_key::time_key;
use crate::aggregates::history::HistoryClass;
use crate::experiments::attribution::CellKey;
use crate::experiments::counters::is_sighting;

/// Name of the partition key attribute.
pub(super) const PK: &str = "pk";
/// Name of the sort key attribute.
pub(super) const SK: &str = "sk";
/// Index partitions are spread over this many keys so no single partition is hot.
pub(super) const SHARDS: u32 = 16;

const CATALOG: &str = "CATALOG";
const DAYS: &str = "DAYS";
const EXPERIMENTS: &str = "EXPERIMENTS";
/// Sort-key prefix of styles in the `CATALOG` partition.
pub(super) const STYLE_PREFIX: &str = "STYLE#";
/// Sort-key prefix of the engagement order items in an `ENG#` partition.
pub(super) const ENGAGEMENT_ORDER_PREFIX: &str = "T#";
/// Sort-key prefix of the first-engagement items in an `ENG#` partition.
pub(super) const FIRST_ENGAGEMENT_PREFIX: &str = "S#";
/// Sort key (and prefix, for lists per placement later) of lists in a `CUSTOMER#` partition.
pub(super) const LIST_SORT_KEY: &str = "LIST";
/// Sort-key prefix of a subject's decisive signals in its `HIST#` partition.
pub(super) const DECISIVE_PREFIX: &str = "D#";
/// Sort-key prefix of a subject's impressions in its `HIST#` partition.
pub(super) const IMPRESSION_PREFIX: &str = "I#";
/// Every browsing sort key of a `HIST#` partition is below this (digits sort before letters);
/// the decisive and impression ranges are above it.
pub(super) const BROWSING_BELOW: &str = "D";

/// The key of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ItemKey {
    pub pk: String,
    pub sk: String,
}

fn item_key(pk: impl Into<String>, sk: impl Into<String>) -> ItemKey {
    ItemKey {
        pk: pk.into(),
        sk: sk.into(),
    }
}

pub(super) fn style_key(style_id: &str) -> ItemKey {
    item_key(catalog_partition(), format!("{STYLE_PREFIX}{style_id}"))
}

/// One currency's lens price list, beside the styles (outside the `STYLE#` range that
/// `list_styles` reads).
pub(super) fn lens_prices_key(currency: &str) -> ItemKey {
    item_key(catalog_partition(), format!("LENSPRICES#{currency}"))
}

pub(super) fn profile_key(customer_id: &str) -> ItemKey {
    item_key(customer_partition(customer_id), "PROFILE")
}

pub(super) fn customer_index_key(customer_id: &str) -> ItemKey {
    item_key(customer_index_partition(shard(customer_id)), customer_id)
}

pub(super) fn list_key(customer_id: &str) -> ItemKey {
    item_key(customer_partition(customer_id), LIST_SORT_KEY)
}

pub(super) fn event_marker_key(event_id: &str) -> ItemKey {
    item_key(format!("EVENT#{event_id}"), "EVENT")
}

/// A subject's signal, in the sort-key range of its class.
pub(super) fn history_key(
    subject_key: &str,
    class: HistoryClass,
    at: DateTime<Utc>,
    event_id: &str,
) -> ItemKey {
    let prefix = match class {
        HistoryClass::Browsing => "",
        HistoryClass::Decisive => DECISIVE_PREFIX,
        HistoryClass::Impression => IMPRESSION_PREFIX,
    };
    item_key(
        history_partition(subject_key),
        format!("{prefix}{}#{event_id}", time_sort_key(at)),
    )
}

pub(super) fn subject_index_key(subject_key: &str) -> ItemKey {
    item_key(subject_index_partition(shard(subject_key)), subject_key)
}

/// The `DAYS` index entry of a day with counts.
pub(super) fn day_key(day: NaiveDate) -> ItemKey {
    item_key(days_partition(), day_sort_key(day))
}

pub(super) fn daily_counts_key(day: NaiveDate, style_id: &str) -> ItemKey {
    item_key(daily_counts_partition(day), style_id)
}

pub(super) fn first_engagement_key(subject_key: &str, style_id: &str) -> ItemKey {
    item_key(
        engagement_partition(subject_key),
        format!("{FIRST_ENGAGEMENT_PREFIX}{style_id}"),
    )
}

pub(super) fn engagement_order_key(
    subject_key: &str,
    at: DateTime<Utc>,
    style_id: &str,
) -> ItemKey {
    item_key(
        engagement_partition(subject_key),
        format!("{ENGAGEMENT_ORDER_PREFIX}{}#{style_id}", time_sort_key(at)),
    )
}

/// The pair `(style_a, style_b)`, `style_a < style_b`.
pub(super) fn pair_key(style_a: &str, style_b: &str) -> ItemKey {
    let pair = format!("{style_a}#{style_b}");
    item_key(pair_partition(shard(&pair)), pair)
}

/// The tombstone of an erased subject, by its tombstone key (a hash, never the id).
pub(super) fn tombstone_item_key(tombstone_key: &str) -> ItemKey {
    item_key(format!("ERASED#{tombstone_key}"), "ERASED")
}

/// Marks an exposure as recorded and counted; kept after the exposure expires or is erased
/// (a bare id), so a re-sent exposure is never counted twice.
pub(super) fn exposure_marker_key(exposure_id: &str) -> ItemKey {
    item_key(format!("EXPOSURE#{exposure_id}"), "EXPOSURE")
}

/// A list shown to a subject, in time order within the subject's partition.
pub(super) fn exposure_key(subject_key: &str, at: DateTime<Utc>, exposure_id: &str) -> ItemKey {
    item_key(
        exposures_partition(subject_key),
        format!("{}#{exposure_id}", time_sort_key(at)),
    )
}

/// Marks a signal's credit as counted (a bare event id, like [`event_marker_key`]); a
/// first sighting's (a style or shopper shown, written by the serving path) under `SEEN#`,
/// so that path's role cannot touch the markers of signals.
pub(super) fn credit_marker_key(event_id: &str) -> ItemKey {
    if is_sighting(event_id) {
        item_key(format!("SEEN#{event_id}"), "SEEN")
    } else {
        item_key(format!("CREDIT#{event_id}"), "CREDIT")
    }
}

/// An attributed purchase of a subject, by the time it was made and its signal's event id.
pub(super) fn attributed_purchase_key(
    subject_key: &str,
    at: DateTime<Utc>,
    event_id: &str,
) -> ItemKey {
    item_key(
        purchases_partition(subject_key),
        format!("{}#{event_id}", time_sort_key(at)),
    )
}

/// One shard of a cell's counters: the shard is picked by `writer_id` (the exposure or
/// event id adding to it). A cell's counters are the sum of its shards.
pub(super) fn cell_counters_key(cell: &CellKey, writer_id: &str) -> ItemKey {
    item_key(
        metrics_partition(cell.day),
        format!(
            "{}#{}#{}#{}",
            cell.placement,
            cell.variant.as_deref().unwrap_or_default(),
            cell.model_version,
            shard(writer_id)
        ),
    )
}

pub(super) fn experiment_key(experiment_id: &str) -> ItemKey {
    item_key(experiments_partition(), experiment_id)
}

/// Stable shard of a key (FNV-1a), the same in every process and Rust version.
pub(super) fn shard(value: &str) -> u32 {
    let hash = value.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    });
    hash % SHARDS
}

pub(super) fn catalog_partition() -> String {
    CATALOG.to_string()
}

pub(super) fn customer_partition(customer_id: &str) -> String {
    format!("CUSTOMER#{customer_id}")
}

pub(super) fn customer_index_partition(shard: u32) -> String {
    format!("CUSTOMERS#{shard}")
}

pub(super) fn history_partition(subject_key: &str) -> String {
    format!("HIST#{subject_key}")
}

pub(super) fn subject_index_partition(shard: u32) -> String {
    format!("SUBJECTS#{shard}")
}

pub(super) fn days_partition() -> String {
    DAYS.to_string()
}

/// Sort key of a day in `DAYS`; ISO dates sort by time, so `sk >= day` reads from `day` on.
pub(super) fn day_sort_key(day: NaiveDate) -> String {
    day.to_string()
}

pub(super) fn daily_counts_partition(day: NaiveDate) -> String {
    format!("DAILY#{day}")
}

pub(super) fn engagement_partition(subject_key: &str) -> String {
    format!("ENG#{subject_key}")
}

pub(super) fn pair_partition(shard: u32) -> String {
    format!("PAIRS#{shard}")
}

pub(super) fn exposures_partition(subject_key: &str) -> String {
    format!("EXPOSURES#{subject_key}")
}

pub(super) fn purchases_partition(subject_key: &str) -> String {
    format!("PURCHASES#{subject_key}")
}

/// Every cell's counters of one UTC day.
pub(super) fn metrics_partition(day: NaiveDate) -> String {
    format!("METRICS#{day}")
}

pub(super) fn experiments_partition() -> String {
    EXPERIMENTS.to_string()
}

/// Sort key (or sort-key prefix) of a time: [`time_key`] as 20 digits, so sort keys order
/// by time and `sk >= time_sort_key(since)` reads from `since` on.
pub(super) fn time_sort_key(at: DateTime<Utc>) -> String {
    format!("{:020}", time_key(at))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn at_millis(millis: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(millis).expect("valid time")
    }

    fn shape(key: ItemKey) -> (String, String) {
        (key.pk, key.sk)
    }

    fn pair(pk: impl Into<String>, sk: impl Into<String>) -> (String, String) {
        (pk.into(), sk.into())
    }

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
    fn when_shard_computed_should_match_fnv1a_mod_16() {
        // FNV-1a 32 of "" is the offset basis 0x811c9dc5; of "a" it is 0xe40c292c.
        assert_eq!(shard(""), 0x811c_9dc5 % 16);
        assert_eq!(shard("a"), 0xe40c_292c % 16);
    }

    #[test]
    fn when_record_keys_built_should_match_the_documented_shapes() {
        assert_eq!(shape(style_key("st-1")), pair("CATALOG", "STYLE#st-1"));
        assert_eq!(
            shape(lens_prices_key("USD")),
            pair("CATALOG", "LENSPRICES#USD")
        );
        assert_eq!(shape(profile_key("cu-1")), pair("CUSTOMER#cu-1", "PROFILE"));
        assert_eq!(shape(list_key("cu-1")), pair("CUSTOMER#cu-1", "LIST"));
        assert_eq!(
            shape(customer_index_key("cu-1")),
            pair(format!("CUSTOMERS#{}", shard("cu-1")), "cu-1")
        );
        assert_eq!(catalog_partition(), "CATALOG");
        assert!(style_key("st-1").sk.starts_with(STYLE_PREFIX));
    }

    #[test]
    fn when_signal_keys_built_should_match_the_documented_shapes() {
        let day = NaiveDate::from_ymd_opt(2025, 3, 1).expect("valid date");
        let at = at_millis(1_740_787_200_000);
        let time = format!("{:020}", time_key(at));
        assert_eq!(time.len(), 20);
        assert_eq!(shape(event_marker_key("e-1")), pair("EVENT#e-1", "EVENT"));
        assert_eq!(
            shape(history_key("c:cu-1", HistoryClass::Browsing, at, "e-1")),
            pair("HIST#c:cu-1", format!("{time}#e-1"))
        );
        assert_eq!(
            shape(history_key("c:cu-1", HistoryClass::Decisive, at, "e-1")),
            pair("HIST#c:cu-1", format!("D#{time}#e-1"))
        );
        assert_eq!(
            shape(history_key("c:cu-1", HistoryClass::Impression, at, "e-1")),
            pair("HIST#c:cu-1", format!("I#{time}#e-1"))
        );
        assert_eq!(
            shape(subject_index_key("s:sess-1")),
            pair(format!("SUBJECTS#{}", shard("s:sess-1")), "s:sess-1")
        );
        assert_eq!(shape(day_key(day)), pair("DAYS", "2025-03-01"));
        assert_eq!(
            shape(daily_counts_key(day, "st-1")),
            pair("DAILY#2025-03-01", "st-1")
        );
        assert_eq!(
            shape(first_engagement_key("c:cu-1", "st-1")),
            pair("ENG#c:cu-1", "S#st-1")
        );
        assert_eq!(
            shape(engagement_order_key("c:cu-1", at, "st-1")),
            pair("ENG#c:cu-1", format!("T#{time}#st-1"))
        );
        assert_eq!(
            shape(pair_key("a", "b")),
            pair(format!("PAIRS#{}", shard("a#b")), "a#b")
        );
        assert_eq!(
            shape(tombstone_item_key("9f2c")),
            pair("ERASED#9f2c", "ERASED")
        );
    }

    #[test]
    fn when_measurement_keys_built_should_match_the_documented_shapes() {
        let day = NaiveDate::from_ymd_opt(2025, 3, 1).expect("valid date");
        let at = at_millis(1_740_787_200_000);
        let time = time_sort_key(at);
        assert_eq!(
            shape(exposure_marker_key("x-1")),
            pair("EXPOSURE#x-1", "EXPOSURE")
        );
        assert_eq!(
            shape(exposure_key("c:cu-1", at, "x-1")),
            pair("EXPOSURES#c:cu-1", format!("{time}#x-1"))
        );
        assert_eq!(
            shape(credit_marker_key("e-1")),
            pair("CREDIT#e-1", "CREDIT")
        );
        assert_eq!(
            shape(credit_marker_key("seen|2026-01-01|home||v1|s1")),
            pair("SEEN#seen|2026-01-01|home||v1|s1", "SEEN")
        );
        assert_eq!(
            shape(attributed_purchase_key("s:sess-1", at, "e-1")),
            pair("PURCHASES#s:sess-1", format!("{time}#e-1"))
        );
        let mut cell = CellKey {
            placement: "home".into(),
            variant: Some("exp-1/treatment".into()),
            model_version: "v7".into(),
            day,
        };
        assert_eq!(
            shape(cell_counters_key(&cell, "x-1")),
            pair(
                "METRICS#2025-03-01",
                format!("home#exp-1/treatment#v7#{}", shard("x-1"))
            )
        );
        cell.variant = None;
        assert_eq!(
            shape(cell_counters_key(&cell, "x-1")),
            pair("METRICS#2025-03-01", format!("home##v7#{}", shard("x-1")))
        );
        assert_eq!(shape(experiment_key("exp-1")), pair("EXPERIMENTS", "exp-1"));
        assert_eq!(exposures_partition("c:x"), exposure_key("c:x", at, "x").pk);
        assert_eq!(
            purchases_partition("c:x"),
            attributed_purchase_key("c:x", at, "e").pk
        );
        assert_eq!(metrics_partition(day), cell_counters_key(&cell, "x").pk);
        assert_eq!(experiments_partition(), experiment_key("exp-1").pk);
    }

    #[test]
    fn when_measurements_keyed_by_time_should_read_from_since_on() {
        let (early, since, late) = (at_millis(-5), at_millis(1_000), at_millis(1_000_000));
        let from = time_sort_key(since);
        assert!(exposure_key("c:x", early, "z").sk < from);
        assert!(exposure_key("c:x", since, "a").sk >= from);
        assert!(exposure_key("c:x", late, "a").sk > exposure_key("c:x", since, "z").sk);
        assert!(attributed_purchase_key("c:x", early, "z").sk < from);
        assert!(attributed_purchase_key("c:x", since, "a").sk >= from);
    }

    #[test]
    fn when_partitions_named_should_match_the_keys_they_hold() {
        let day = NaiveDate::from_ymd_opt(2025, 3, 1).expect("valid date");
        let at = at_millis(0);
        for class in HistoryClass::ALL {
            assert_eq!(
                history_partition("c:x"),
                history_key("c:x", class, at, "e").pk
            );
        }
        assert_eq!(days_partition(), day_key(day).pk);
        assert_eq!(day_sort_key(day), day_key(day).sk);
        assert_eq!(daily_counts_partition(day), daily_counts_key(day, "s").pk);
        assert_eq!(
            engagement_partition("c:x"),
            engagement_order_key("c:x", at, "s").pk
        );
        assert!(engagement_order_key("c:x", at, "s")
            .sk
            .starts_with(ENGAGEMENT_ORDER_PREFIX));
        assert_eq!(
            customer_index_partition(shard("cu-1")),
            customer_index_key("cu-1").pk
        );
        assert_eq!(
            subject_index_partition(shard("c:x")),
            subject_index_key("c:x").pk
        );
        assert_eq!(pair_partition(shard("a#b")), pair_key("a", "b").pk);
        assert_eq!(customer_partition("cu-1"), list_key("cu-1").pk);
        assert_eq!(customer_partition("cu-1"), profile_key("cu-1").pk);
        assert!(list_key("cu-1").sk.starts_with(LIST_SORT_KEY));
        assert!(first_engagement_key("c:x", "s")
            .sk
            .starts_with(FIRST_ENGAGEMENT_PREFIX));
    }

    #[test]
    fn when_history_classes_keyed_should_fall_in_their_own_sort_key_ranges() {
        // The earliest and latest times a signal can carry bound every browsing key.
        let times = [at_millis(-5), at_millis(0), at_millis(253_402_300_799_000)];
        for at in times {
            let browsing = history_key("c:x", HistoryClass::Browsing, at, "e").sk;
            let decisive = history_key("c:x", HistoryClass::Decisive, at, "e").sk;
            let impression = history_key("c:x", HistoryClass::Impression, at, "e").sk;
            assert!(browsing.as_str() < BROWSING_BELOW, "{browsing}");
            assert!(decisive.starts_with(DECISIVE_PREFIX) && decisive.as_str() > BROWSING_BELOW);
            assert!(impression.starts_with(IMPRESSION_PREFIX));
        }
    }

    #[test]
    fn when_times_ordered_should_order_history_and_engagement_sort_keys() {
        let (early, late) = (at_millis(-5), at_millis(1_000_000));
        for class in HistoryClass::ALL {
            assert!(
                history_key("c:x", class, early, "z").sk < history_key("c:x", class, late, "a").sk
            );
        }
        assert!(
            engagement_order_key("c:x", early, "z").sk < engagement_order_key("c:x", late, "a").sk
        );
    }
}

//! First sightings: the measures of what was shown that are counts of distinct things, not
//! sums — the distinct styles a cell showed (catalogue coverage) and the shoppers a
//! variant reached (its cohort, the denominator of revenue per shopper). Each is a credit
//! with a marker id, so the store counts it once however many processes see it; a
//! per-process cache keeps repeat showings from writing at all.
//!
//! Cost on DynamoDB: one marker transaction per (cell, style) per day and per (variant,
//! shopper), each once per warm process, bounded by styles x cells x processes a day —
//! independent of traffic, unlike a write per item shown.

use std::collections::HashSet;
use std::sync::Mutex;

use chrono::NaiveDate;

use sha2::{Digest, Sha256};

use crate::experiments::attribution::{CellKey, Counters, Credit, Exposure};
use crate::experiments::counters::SIGHTING_PREFIXES;

const SEEN: &str = SIGHTING_PREFIXES[0];
const COHORT: &str = SIGHTING_PREFIXES[1];

/// Entries a process remembers before it forgets them all (a forgotten sighting costs
/// one refused marker write, not a wrong count).
const MAX_REMEMBERED: usize = 200_000;

/// The sightings this process has already sent to the store today.
#[derive(Debug, Default)]
pub(super) struct SightingCache {
    seen: Mutex<(Option<NaiveDate>, HashSet<String>)>,
}

impl SightingCache {
    /// The credits `exposure` adds that this process has not sent today: one per style new
    /// to its cell, and one for a shopper new to its variant.
    pub(super) fn credits(&self, exposure: &Exposure) -> Vec<Credit> {
        let cell = CellKey::for_exposure(exposure);
        let cell_id = format!(
            "{}|{}|{}|{}",
            cell.day,
            cell.placement,
            cell.variant.as_deref().unwrap_or_default(),
            cell.model_version
        );
        let mut wanted: Vec<(String, Counters)> = exposure
            .items
            .iter()
            .map(|style| {
                let counters = Counters {
                    distinct_items: 1,
                    ..Counters::default()
                };
                (format!("{SEEN}{cell_id}|{style}"), counters)
            })
            .collect();
        if let Some(variant) = &exposure.variant {
            let counters = Counters {
                new_subjects: 1,
                ..Counters::default()
            };
            // The shopper pseudonymised: markers outlive an erasure until they expire.
            let shopper = hex::encode(&Sha256::digest(exposure.subject.as_bytes())[..12]);
            wanted.push((format!("{COHORT}{variant}|{shopper}"), counters));
        }
        let Ok(mut guard) = self.seen.lock() else {
            // A poisoned cache only costs repeated (refused) marker writes.
            return to_credits(wanted, exposure, &cell);
        };
        let (day, seen) = &mut *guard;
        if *day != Some(cell.day) || seen.len() > MAX_REMEMBERED {
            *day = Some(cell.day);
            seen.clear();
        }
        wanted.retain(|(id, _)| seen.insert(id.clone()));
        to_credits(wanted, exposure, &cell)
    }

    /// Forgets `credits` after the store refused them, so the next showing retries.
    pub(super) fn forget(&self, credits: &[Credit]) {
        if let Ok(mut guard) = self.seen.lock() {
            for credit in credits {
                guard.1.remove(&credit.event_id);
            }
        }
    }
}

fn to_credits(wanted: Vec<(String, Counters)>, exposure: &Exposure, cell: &CellKey) -> Vec<Credit> {
    wanted
        .into_iter()
        .map(|(event_id, counters)| Credit {
            event_id,
            subject: exposure.subject.clone(),
            cell: cell.clone(),
            counters,
            purchase: None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn exposure(subject: &str, variant: Option<&str>, items: &[&str], day: u32) -> Exposure {
        Exposure {
            exposure_id: format!("x-{subject}-{day}"),
            recommendation_id: "r".into(),
            subject: subject.into(),
            placement: "home".into(),
            variant: variant.map(str::to_string),
            model_version: "m1".into(),
            items: items.iter().map(|s| s.to_string()).collect(),
            offset: 0,
            at: Utc
                .with_ymd_and_hms(2026, 3, day, 12, 0, 0)
                .single()
                .expect("date"),
            novel_items: 0,
            diversity_milli: 0,
        }
    }

    fn sum(credits: &[Credit]) -> Counters {
        let mut total = Counters::default();
        credits.iter().for_each(|c| total.merge(&c.counters));
        total
    }

    #[test]
    fn when_styles_and_shoppers_repeat_should_each_be_sighted_once_a_day() {
        let cache = SightingCache::default();
        let first = cache.credits(&exposure("c:a", Some("e/b"), &["s1", "s2"], 1));
        assert_eq!(
            (sum(&first).distinct_items, sum(&first).new_subjects),
            (2, 1)
        );
        let again = cache.credits(&exposure("c:a", Some("e/b"), &["s2", "s3"], 1));
        assert_eq!(
            (sum(&again).distinct_items, sum(&again).new_subjects),
            (1, 0)
        );
        let other = cache.credits(&exposure("c:b", None, &["s1"], 1));
        // Outside experiments: another cell for the styles, no cohort.
        assert_eq!(
            (sum(&other).distinct_items, sum(&other).new_subjects),
            (1, 0)
        );
        let next_day = cache.credits(&exposure("c:a", Some("e/b"), &["s1"], 2));
        assert_eq!(sum(&next_day).distinct_items, 1);
        // The cohort marker is the store's to refuse: the same id comes again.
        assert_eq!(
            next_day
                .iter()
                .filter(|c| c.event_id.starts_with("cohort|"))
                .count(),
            1
        );
        cache.forget(&next_day);
        let retried = cache.credits(&exposure("c:a", Some("e/b"), &["s1"], 2));
        assert_eq!(retried.len(), 2);
    }
}

//! The drifting cohort: one shopper in [`DRIFTING_EVERY`] changes taste shortly before the
//! window ends. Their earlier taste (other shapes, colour families and material) drives the
//! sessions of the two months before the change, the later one a few sessions after it;
//! `Taste` holds the later taste (what they want now) and `Taste::earlier` the one before.
//! Their histories come from a stream of their own, so every other shopper's data is the
//! same as without the cohort.

use chrono::{DateTime, Duration, Utc};

use super::DemoConfig;

/// Every this many customers, one drifts (`cu-00002`, `cu-00027`, ...: the second demo
/// shopper is one, so the storefront's switcher shows a drift).
pub const DRIFTING_EVERY: usize = 25;
const DRIFTING_OFFSET: usize = 1;
/// Days before the window's end when the taste changes (at most a third of the window).
const CHANGED_DAYS_BEFORE_END: i64 = 7;
/// Days of sessions under the earlier taste, before the change.
pub(super) const EARLIER_DAYS: i64 = 60;
/// Sessions (earlier, later): this many plus a Poisson draw of the extra mean. A regular
/// who shopped one look for two months, then a few sessions of another in the last week:
/// the change most of their history does not show yet.
pub(super) const EARLIER_SESSIONS: (u32, f64) = (7, 2.0);
pub(super) const LATER_SESSIONS: (u32, f64) = (3, 1.0);

/// Whether the `index`-th customer of a demo data set is in the drifting cohort.
pub fn is_drifting(index: usize) -> bool {
    index % DRIFTING_EVERY == DRIFTING_OFFSET
}

/// When the cohort's taste changes; `None` when the window has no days.
pub(super) fn changed_at(config: &DemoConfig) -> Option<DateTime<Utc>> {
    let days = i64::from(config.days);
    (days > 0).then(|| config.end - Duration::days(CHANGED_DAYS_BEFORE_END.min(days / 3)))
}

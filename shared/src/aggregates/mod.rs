//! The aggregates the signal store keeps (daily counts per style, co-occurring pairs) and,
//! in [`apply`], the rules that update them when a signal arrives; in [`erasure`], what a
//! store refuses after it erased a subject; in [`history`], which class of a subject's
//! history a signal is kept in. The engine reads these types; the ports and the adapters
//! store them. Depends only on `domain` and `error`.

pub mod apply;
pub mod erasure;
pub mod history;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::SignalKind;

/// Counts of one style's signals on one UTC day; the engine derives popularity and
/// trending (with its own decay) from these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DailyStyleCounts {
    pub style_id: String,
    pub day: NaiveDate,
    /// Indexed like [`DAILY_KINDS`].
    pub counts: [u32; 9],
}

impl DailyStyleCounts {
    /// Signals of `kind` that day (0 for kinds not counted daily).
    pub fn count(&self, kind: SignalKind) -> u32 {
        kind_index(kind).map_or(0, |k| self.counts[k])
    }
}

/// The kinds daily counts keep, in the order of `DailyStyleCounts::counts`, which stores
/// persist: never reorder it. Ratings are not counted (they say nothing of popularity).
pub const DAILY_KINDS: [SignalKind; 9] = [
    SignalKind::Impression,
    SignalKind::View,
    SignalKind::Click,
    SignalKind::TryOn,
    SignalKind::Favorite,
    SignalKind::AddToCart,
    SignalKind::Purchase,
    SignalKind::Return,
    SignalKind::Dismiss,
];

/// Position of a kind in [`DAILY_KINDS`] (and in `DailyStyleCounts::counts`); `None` for
/// kinds not counted daily.
pub fn kind_index(kind: SignalKind) -> Option<usize> {
    DAILY_KINDS.iter().position(|k| *k == kind)
}

/// How many distinct subjects engaged with both styles of a pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoOccurrence {
    pub style_a: String,
    pub style_b: String,
    pub subjects: u32,
}

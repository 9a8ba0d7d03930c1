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
    /// Indexed like `SignalKind::ALL`.
    pub counts: [u32; 9],
}

impl DailyStyleCounts {
    pub fn count(&self, kind: SignalKind) -> u32 {
        self.counts[kind_index(kind)]
    }
}

/// Position of a kind in `SignalKind::ALL` (and in `DailyStyleCounts::counts`).
pub fn kind_index(kind: SignalKind) -> usize {
    SignalKind::ALL
        .iter()
        .position(|k| *k == kind)
        .unwrap_or_default()
}

/// How many distinct subjects engaged with both styles of a pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoOccurrence {
    pub style_a: String,
    pub style_b: String,
    pub subjects: u32,
}

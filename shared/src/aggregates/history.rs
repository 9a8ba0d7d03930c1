//! How a subject's signals are kept: each in one of three classes, by kind, and read back
//! in one order. Every store keeps the classes apart so that a window over what the shopper
//! browsed never drops what they decided, and showing lists never pushes either out:
//!
//! - [`HistoryClass::Decisive`] (purchases, returns, dismissals): kept until the subject is
//!   erased, every one read with the history; the "already bought" and "returned" filters
//!   depend on them;
//! - [`HistoryClass::Browsing`] (views, clicks, try-ons, favourites, carts): the window
//!   `SignalStore::history(subject, limit)` bounds to the most recent `limit`;
//! - [`HistoryClass::Impression`] (a list was shown): stored for the export and erased with
//!   the rest, never read for scoring (their weight is 0 and they are the most numerous).

use crate::domain::{Signal, SignalKind};

/// Where a subject's signal is kept (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HistoryClass {
    Decisive,
    Browsing,
    Impression,
}

impl HistoryClass {
    pub const ALL: [HistoryClass; 3] = [Self::Decisive, Self::Browsing, Self::Impression];

    /// The class of a signal of `kind`: the one classification every store follows.
    pub fn of(kind: SignalKind) -> Self {
        if kind.is_decisive() {
            Self::Decisive
        } else if kind == SignalKind::Impression {
            Self::Impression
        } else {
            Self::Browsing
        }
    }
}

/// Sorts signals newest first, equal times by event id descending: the stores' key order
/// (time key in milliseconds, then event id) read backwards, so signals merged from several
/// classes come out as one history would.
pub fn sort_newest_first(signals: &mut [Signal]) {
    signals.sort_by(|a, b| order_key(b).cmp(&order_key(a)));
}

fn order_key(signal: &Signal) -> (i64, &str) {
    (signal.timestamp.timestamp_millis(), &signal.event_id)
}

/// The history of a subject as `SignalStore::history` returns it: every decisive signal and
/// the most recent browsing ones (already limited by the store), newest first.
pub fn merge_history(decisive: Vec<Signal>, browsing: Vec<Signal>) -> Vec<Signal> {
    let mut merged = decisive;
    merged.extend(browsing);
    sort_newest_first(&mut merged);
    merged
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;

    fn signal(event_id: &str, kind: SignalKind, millis: i64) -> Signal {
        Signal {
            event_id: event_id.to_string(),
            customer_id: Some("c1".to_string()),
            session_id: None,
            kind,
            style_id: "s1".to_string(),
            sku: None,
            timestamp: DateTime::from_timestamp_millis(millis).expect("valid time"),
            recommendation_id: None,
            placement: None,
            context: None,
            price_cents: None,
            quantity: None,
            order_id: None,
            rating: None,
            position: None,
            comment: None,
        }
    }

    #[test]
    fn when_kind_classified_should_keep_decisions_apart_from_browsing_and_impressions() {
        let decisive: Vec<SignalKind> = SignalKind::ALL
            .into_iter()
            .filter(|k| HistoryClass::of(*k) == HistoryClass::Decisive)
            .collect();
        assert_eq!(
            decisive,
            [
                SignalKind::Purchase,
                SignalKind::Return,
                SignalKind::Dismiss
            ]
        );
        assert_eq!(
            HistoryClass::of(SignalKind::Impression),
            HistoryClass::Impression
        );
        for kind in [
            SignalKind::View,
            SignalKind::Click,
            SignalKind::TryOn,
            SignalKind::Favorite,
            SignalKind::AddToCart,
        ] {
            assert_eq!(HistoryClass::of(kind), HistoryClass::Browsing, "{kind:?}");
        }
    }

    #[test]
    fn when_classes_merged_should_be_newest_first_with_ties_by_event_id() {
        let decisive = vec![
            signal("p", SignalKind::Purchase, 1_000),
            signal("d", SignalKind::Dismiss, 5_000),
        ];
        let browsing = vec![
            signal("v3", SignalKind::View, 6_000),
            signal("v2", SignalKind::View, 5_000),
            signal("v1", SignalKind::View, 2_000),
        ];
        let merged = merge_history(decisive, browsing);
        let ids: Vec<&str> = merged.iter().map(|s| s.event_id.as_str()).collect();
        assert_eq!(ids, ["v3", "v2", "d", "v1", "p"]);
    }
}

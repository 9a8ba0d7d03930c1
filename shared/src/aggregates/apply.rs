//! Where a signal is applied: the one definition of how a signal updates history and the
//! aggregates (see [`crate::ports::SignalStore::apply`]).
//!
//! - Idempotency: a signal applies once per `event_id` (its event marker).
//! - Erasure: a signal its subject's live [`Tombstone`] refuses changes nothing at all (no
//!   marker, no count), see [`crate::aggregates::erasure`].
//! - Every new signal adds one to the daily count of its style, day and kind.
//! - A signal with a subject is appended to that subject's history, in the class of its
//!   kind ([`HistoryClass`]: decisive, browsing or impression).
//! - An engagement (`SignalKind::is_engagement`) with a subject is, the first time the
//!   subject engages that style, paired with the subject's most recent other engagements
//!   (at most [`MAX_PAIRED_STYLES`]): each pair counts the subject once.
//!
//! [`effects_of`] computes what one signal changes; stores only persist it. Transactional
//! stores (memory, redb) run [`apply_signals`] over their [`SignalAggregates`] primitives;
//! DynamoDB lays the same [`SignalEffects`] and [`co_occurrence_pairs`] out as its own
//! requests in `adapters/aws/dynamo/apply.rs`.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};

use super::erasure::{tombstone_key, Tombstone};
use super::history::HistoryClass;
use super::kind_index;
use crate::domain::Signal;
use crate::error::StoreResult;

/// A subject's most recent engaged styles that a new engagement is paired with; bounds the
/// cost of one signal for very active subjects.
pub const MAX_PAIRED_STYLES: usize = 200;

/// Everything one signal changes, if its event was not applied before.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalEffects<'a> {
    /// The idempotency key: the effects apply only if this event has no marker yet.
    pub event_id: &'a str,
    /// `None` for kinds not counted daily (see [`super::DAILY_KINDS`]).
    pub daily: Option<DailyIncrement<'a>>,
    /// `None` for a signal without a subject: it only counts towards the daily counts.
    pub history: Option<HistoryAppend<'a>>,
    /// `Some` for an engagement kind with a subject.
    pub engagement: Option<Engagement<'a>>,
}

/// One more signal of kind `kind` for `style_id` on `day` (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyIncrement<'a> {
    pub style_id: &'a str,
    pub day: NaiveDate,
    /// Index into `DailyStyleCounts::counts` (see [`kind_index`]).
    pub kind: usize,
}

/// The signal, as is, appended to its subject's history in the class of its kind.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryAppend<'a> {
    pub subject_key: String,
    pub class: HistoryClass,
    pub signal: &'a Signal,
}

/// The subject engaged `style_id` at `at`. Only a first engagement with the style pairs it
/// (see [`co_occurrence_pairs`]) and is recorded as the subject's most recent one.
#[derive(Debug, Clone, PartialEq)]
pub struct Engagement<'a> {
    pub subject_key: String,
    pub style_id: &'a str,
    pub at: DateTime<Utc>,
}

/// What applying `signal` changes (when its event is new).
pub fn effects_of(signal: &Signal) -> SignalEffects<'_> {
    let subject_key = signal.subject().map(|subject| subject.key());
    SignalEffects {
        event_id: &signal.event_id,
        daily: kind_index(signal.kind).map(|kind| DailyIncrement {
            style_id: &signal.style_id,
            day: signal.timestamp.date_naive(),
            kind,
        }),
        engagement: subject_key
            .clone()
            .filter(|_| signal.kind.is_engagement())
            .map(|subject_key| Engagement {
                subject_key,
                style_id: &signal.style_id,
                at: signal.timestamp,
            }),
        history: subject_key.map(|subject_key| HistoryAppend {
            subject_key,
            class: HistoryClass::of(signal.kind),
            signal,
        }),
    }
}

/// Pairs (each with `a < b`) to count when a subject engages `style` for the first time,
/// given its previously engaged styles, most recent first. Only the first `cap`
/// (normally [`MAX_PAIRED_STYLES`]) are paired; repeats and `style` itself are skipped.
pub fn co_occurrence_pairs<'a>(
    style: &'a str,
    recent_first: impl IntoIterator<Item = &'a str>,
    cap: usize,
) -> Vec<(&'a str, &'a str)> {
    let mut seen = HashSet::new();
    recent_first
        .into_iter()
        .filter(|other| *other != style && seen.insert(*other))
        .take(cap)
        .map(|other| {
            if other < style {
                (other, style)
            } else {
                (style, other)
            }
        })
        .collect()
}

/// Primitive operations of a signal store inside one atomic unit of work.
pub(crate) trait SignalAggregates {
    /// The tombstone stored under `key` (see [`tombstone_key`]), live or not.
    fn tombstone(&mut self, key: &str) -> StoreResult<Option<Tombstone>>;
    fn is_applied(&mut self, event_id: &str) -> StoreResult<bool>;
    fn mark_applied(&mut self, event_id: &str) -> StoreResult<()>;
    /// Adds the signal to the subject's history, kept with the others of its `class`.
    fn append_history(
        &mut self,
        subject_key: &str,
        class: HistoryClass,
        signal: &Signal,
    ) -> StoreResult<()>;
    fn add_daily(&mut self, style_id: &str, day: NaiveDate, kind: usize) -> StoreResult<()>;
    fn is_engaged(&mut self, subject_key: &str, style_id: &str) -> StoreResult<bool>;
    /// Up to `limit` styles the subject engaged with, most recent first.
    fn recent_engaged(&mut self, subject_key: &str, limit: usize) -> StoreResult<Vec<String>>;
    /// Records the subject's first engagement with the style, as its most recent one.
    fn mark_engaged(&mut self, subject_key: &str, style_id: &str) -> StoreResult<()>;
    fn add_pair(&mut self, style_a: &str, style_b: &str) -> StoreResult<()>;
}

/// Applies signals inside one atomic unit of work of a transactional store, as of `now`
/// (which decides whether a tombstone still lives). Returns the signals that were new, in
/// input order; refused ones are not among them.
pub(crate) fn apply_signals(
    store: &mut impl SignalAggregates,
    signals: &[Signal],
    now: DateTime<Utc>,
) -> StoreResult<Vec<Signal>> {
    let mut new = Vec::new();
    // Batches come grouped by subject: the last subject's tombstone is looked up once.
    let mut last_tombstone: Option<(String, Option<Tombstone>)> = None;
    for signal in signals {
        let effects = effects_of(signal);
        if store.is_applied(effects.event_id)? {
            continue;
        }
        if let Some(history) = &effects.history {
            let tombstone = match &last_tombstone {
                Some((subject_key, tombstone)) if *subject_key == history.subject_key => *tombstone,
                _ => {
                    let tombstone = store.tombstone(&tombstone_key(&history.subject_key))?;
                    last_tombstone = Some((history.subject_key.clone(), tombstone));
                    tombstone
                }
            };
            if tombstone.is_some_and(|t| t.refuses(signal.timestamp, now)) {
                continue;
            }
        }
        store.mark_applied(effects.event_id)?;
        if let Some(daily) = effects.daily {
            store.add_daily(daily.style_id, daily.day, daily.kind)?;
        }
        if let Some(history) = &effects.history {
            store.append_history(&history.subject_key, history.class, history.signal)?;
        }
        if let Some(engagement) = &effects.engagement {
            let subject_key = engagement.subject_key.as_str();
            if !store.is_engaged(subject_key, engagement.style_id)? {
                let recent = store.recent_engaged(subject_key, MAX_PAIRED_STYLES)?;
                for (a, b) in co_occurrence_pairs(
                    engagement.style_id,
                    recent.iter().map(String::as_str),
                    MAX_PAIRED_STYLES,
                ) {
                    store.add_pair(a, b)?;
                }
                store.mark_engaged(subject_key, engagement.style_id)?;
            }
        }
        new.push(signal.clone());
    }
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SignalKind;

    #[test]
    fn when_style_engaged_after_others_should_pair_with_each_once_ordered() {
        let pairs = co_occurrence_pairs("m", ["z", "a", "z", "m"], MAX_PAIRED_STYLES);
        assert_eq!(pairs, vec![("m", "z"), ("a", "m")]);
    }

    #[test]
    fn when_subject_engaged_many_styles_should_pair_only_most_recent() {
        let styles: Vec<String> = (0..MAX_PAIRED_STYLES + 50)
            .map(|i| format!("s{i:04}"))
            .collect();
        let pairs =
            co_occurrence_pairs("new", styles.iter().map(String::as_str), MAX_PAIRED_STYLES);
        assert_eq!(pairs.len(), MAX_PAIRED_STYLES);
        assert!(pairs.iter().all(|(a, _)| *a < "s0200"));
    }

    fn signal(kind: SignalKind, customer: Option<&str>, session: Option<&str>) -> Signal {
        Signal {
            event_id: "e1".to_string(),
            customer_id: customer.map(str::to_string),
            session_id: session.map(str::to_string),
            kind,
            style_id: "s1".to_string(),
            sku: None,
            timestamp: DateTime::from_timestamp(1_740_000_000, 0).expect("valid time"),
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
    fn when_engagement_has_subject_should_count_append_and_engage() {
        let click = signal(SignalKind::Click, Some("c1"), Some("sess"));
        let effects = effects_of(&click);
        assert_eq!(effects.event_id, "e1");
        assert_eq!(
            effects.daily,
            Some(DailyIncrement {
                style_id: "s1",
                day: click.timestamp.date_naive(),
                kind: 2,
            })
        );
        assert_eq!(
            effects.history,
            Some(HistoryAppend {
                subject_key: "c:c1".to_string(),
                class: HistoryClass::Browsing,
                signal: &click,
            })
        );
        assert_eq!(
            effects.engagement,
            Some(Engagement {
                subject_key: "c:c1".to_string(),
                style_id: "s1",
                at: click.timestamp,
            })
        );
    }

    #[test]
    fn when_signal_is_not_an_engagement_or_has_no_subject_should_skip_those_effects() {
        let view = signal(SignalKind::View, None, Some("sess"));
        let effects = effects_of(&view);
        assert_eq!(
            effects.history.map(|h| h.subject_key),
            Some("s:sess".to_string())
        );
        assert_eq!(effects.engagement, None);

        let anonymous = signal(SignalKind::Click, None, None);
        let effects = effects_of(&anonymous);
        assert_eq!(effects.daily.map(|d| d.kind), kind_index(SignalKind::Click));
        assert_eq!((effects.history, effects.engagement), (None, None));
    }
}

//! Crediting applied signals to what was shown (rules in
//! [`crate::experiments::attribution`]), plus the two measures that follow the shopper
//! rather than one list:
//! - **cohort revenue**: every purchase and return of a shopper (attributed to a list or
//!   not) counts, net, for the experiment arm of the latest list they were shown before it
//!   within the purchase window; with the arm's new shoppers ([`super::sightings`]) that
//!   is its revenue per assigned shopper, the lifetime value of its cohort so far;
//! - **satisfaction**: a rating is credited to the cell of the attributed purchase of the
//!   rated style, else to the latest list shown to the shopper (within the measurement
//!   retention), else to nothing.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use super::Framewise;
use crate::domain::{Signal, SignalKind};
use crate::error::ServiceError;
use crate::experiments::attribution::{
    attribute, attribute_return, Action, AttributedPurchase, Attribution, AttributionRules,
    CellKey, Counters, Credit, Exposure, Touch,
};
use crate::ports::MEASUREMENT_RETENTION_DAYS;

/// The action a signal kind is credited as, if any.
fn action_of(kind: SignalKind) -> Option<Action> {
    match kind {
        SignalKind::Click => Some(Action::Click),
        SignalKind::TryOn => Some(Action::TryOn),
        SignalKind::AddToCart => Some(Action::AddToCart),
        SignalKind::Purchase => Some(Action::Purchase),
        SignalKind::Return => Some(Action::Return),
        _ => None,
    }
}

/// A signal the measurements care about, with its subject key.
enum Measured<'a> {
    Touch(Touch),
    Rating {
        style_id: &'a str,
        at: DateTime<Utc>,
        stars: u8,
    },
}

impl Measured<'_> {
    fn at(&self) -> DateTime<Utc> {
        match self {
            Self::Touch(touch) => touch.at,
            Self::Rating { at, .. } => *at,
        }
    }
}

/// The latest exposure of the subject at or before `at` and no earlier than `since`
/// (optionally only lists served by an experiment arm).
fn latest_exposure(
    exposures: &[Exposure],
    at: DateTime<Utc>,
    since: DateTime<Utc>,
    in_experiment: bool,
) -> Option<&Exposure> {
    exposures
        .iter()
        .filter(|e| e.at <= at && e.at >= since && (!in_experiment || e.variant.is_some()))
        .max_by_key(|e| e.at)
}

fn cell_of_exposure(exposure: &Exposure, at: DateTime<Utc>) -> CellKey {
    CellKey {
        day: at.date_naive(),
        ..CellKey::for_exposure(exposure)
    }
}

impl Framewise {
    /// Credits the actions and ratings among `signals` to the lists shown before them,
    /// once per `event_id` (a redelivered batch is not counted twice). Returns how many
    /// credits were new.
    pub(super) async fn credit_signals(
        &self,
        signals: &[Signal],
        now: DateTime<Utc>,
    ) -> Result<usize, ServiceError> {
        let rules = self.config.measurement.rules();
        // (event id, signal) per subject, so each subject's exposures are read once.
        let mut by_subject: BTreeMap<String, Vec<(&str, Measured<'_>)>> = BTreeMap::new();
        for signal in signals {
            let Some(subject) = signal.subject().map(|s| s.key()) else {
                continue;
            };
            let measured = match (action_of(signal.kind), signal.rating) {
                (Some(action), _) => Measured::Touch(Touch {
                    subject: subject.clone(),
                    style_id: signal.style_id.clone(),
                    action,
                    at: signal.timestamp,
                    recommendation_id: signal.recommendation_id.clone(),
                    revenue_cents: signal.revenue_cents(),
                    order_id: signal.order_id.clone(),
                }),
                (None, Some(stars)) if signal.kind == SignalKind::Rating => Measured::Rating {
                    style_id: &signal.style_id,
                    at: signal.timestamp,
                    stars,
                },
                _ => continue,
            };
            by_subject
                .entry(subject)
                .or_default()
                .push((signal.event_id.as_str(), measured));
        }
        let mut credits = Vec::new();
        for (subject, mut measured) in by_subject {
            // In time order, so a return later in the batch finds a purchase earlier in it.
            measured.sort_by_key(|(_, m)| m.at());
            let Some(earliest) = measured.first().map(|(_, m)| m.at()) else {
                continue;
            };
            let rated = measured
                .iter()
                .any(|(_, m)| matches!(m, Measured::Rating { .. }));
            let lookback = if rated {
                Duration::days(MEASUREMENT_RETENTION_DAYS)
            } else {
                rules.purchase_window
            };
            let since = earliest - lookback;
            let store = &self.stores.measurements;
            let exposures = store.exposures(&subject, since).await?;
            let returns = measured
                .iter()
                .any(|(_, m)| matches!(m, Measured::Touch(t) if t.action == Action::Return));
            let mut purchases = if returns || rated {
                store.attributed_purchases(&subject, since).await?
            } else {
                Vec::new()
            };
            for (event_id, measured) in measured {
                match measured {
                    Measured::Touch(touch) => {
                        let (credit, cohort) =
                            credit_touch(&exposures, &purchases, &touch, event_id, &rules);
                        if let Some(credit) = credit {
                            purchases.extend(credit.purchase.clone());
                            credits.push(credit);
                        }
                        credits.extend(cohort);
                    }
                    Measured::Rating {
                        style_id,
                        at,
                        stars,
                    } => {
                        let purchase = purchases
                            .iter()
                            .filter(|p| p.style_id == style_id && p.at <= at)
                            .max_by_key(|p| p.at);
                        let cell = match purchase {
                            Some(p) => Some(CellKey::for_attribution(&p.attribution, at)),
                            None => latest_exposure(&exposures, at, since, false)
                                .map(|e| cell_of_exposure(e, at)),
                        };
                        let Some(cell) = cell else { continue };
                        let mut counters = Counters::default();
                        counters.add_rating(stars);
                        credits.push(Credit {
                            event_id: event_id.to_string(),
                            subject: subject.clone(),
                            cell,
                            counters,
                            purchase: None,
                        });
                    }
                }
            }
        }
        if credits.is_empty() {
            return Ok(0);
        }
        let new = self.stores.measurements.record_credits(&credits).await?;
        // The store tells how many were new, not which: a batch that was partly credited
        // before emits nothing, so CloudWatch may undercount a redelivery but never doubles
        // it (the store's cells stay exact).
        if let (Some(events), true) = (&self.measurement_events, new == credits.len()) {
            events.credits(&credits, now);
        }
        Ok(new)
    }
}

/// The credit of one action (if it is attributed) and, for purchases and returns, its
/// cohort revenue credit (if the shopper was shown an experiment arm's list before).
fn credit_touch(
    exposures: &[Exposure],
    purchases: &[AttributedPurchase],
    touch: &Touch,
    event_id: &str,
    rules: &AttributionRules,
) -> (Option<Credit>, Option<Credit>) {
    let credited: Option<(Attribution, Touch)> = if touch.action == Action::Return {
        attribute_return(purchases, touch, rules).map(|(attribution, refunded)| {
            let refund = Touch {
                revenue_cents: refunded,
                ..touch.clone()
            };
            (attribution, refund)
        })
    } else {
        attribute(exposures, touch, rules).map(|a| (a, touch.clone()))
    };
    let credit = credited.as_ref().map(|(attribution, counted)| {
        let mut counters = Counters::default();
        counters.add_attributed(counted);
        let purchase = (touch.action == Action::Purchase).then(|| AttributedPurchase {
            subject: touch.subject.clone(),
            style_id: touch.style_id.clone(),
            order_id: touch.order_id.clone(),
            revenue_cents: touch.revenue_cents,
            at: touch.at,
            attribution: attribution.clone(),
        });
        Credit {
            event_id: event_id.to_string(),
            subject: touch.subject.clone(),
            cell: CellKey::for_attribution(attribution, touch.at),
            counters,
            purchase,
        }
    });
    let cohort = match touch.action {
        Action::Purchase => Some(touch.revenue_cents),
        // What was refunded against an attributed purchase, else what the return says.
        Action::Return => Some(-credited.map_or(touch.revenue_cents, |(_, r)| r.revenue_cents)),
        _ => None,
    }
    .and_then(|cents| {
        let since = touch.at - rules.purchase_window;
        let exposure = latest_exposure(exposures, touch.at, since, true)?;
        Some(Credit {
            event_id: format!("cohort-revenue|{event_id}"),
            subject: touch.subject.clone(),
            cell: cell_of_exposure(exposure, touch.at),
            counters: Counters {
                cohort_revenue_cents: cents,
                ..Counters::default()
            },
            purchase: None,
        })
    });
    (credit, cohort)
}

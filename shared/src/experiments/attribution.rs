//! Last-touch attribution of shopper actions to the recommendation lists
//! (exposures) shown before them, and the per-cell counters that online
//! metrics (CTR, conversion, revenue per exposure) are computed from.
//!
//! The rules:
//! - An action (click, try-on, add-to-cart, purchase) can only be attributed
//!   to an exposure of the same subject (customer or session key) whose items
//!   contain the acted-on style, shown at or before the action and no earlier
//!   than the action's window: 1 hour for clicks, 24 hours for try-ons and
//!   add-to-carts, 7 days for purchases and returns.
//! - Among those candidates, the list the client says it acted on wins;
//!   otherwise the latest one does (last touch), ties going to the later one
//!   in the input. A named list that is not a candidate is ignored.
//! - No candidate means the action is unattributed: the style was not shown,
//!   the list was another shopper's, or it was shown outside the window.
//! - A return is attributed through the purchase it undoes: the attributed
//!   purchase of the same subject and style with the return's order id, or,
//!   without one, the latest earlier such purchase, within the purchase
//!   window. The revenue it subtracts never exceeds that purchase's revenue.
//! - Counters are kept per cell (placement, variant, model version, day); an
//!   attributed action counts on the day of the action, not of the exposure.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub use super::counters::Counters;

/// One recommendation list shown to a shopper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exposure {
    /// Id of this showing: a stored list is shown many times under one recommendation id,
    /// and each showing counts once.
    pub exposure_id: String,
    /// Id of the list, echoed back by clients acting on it.
    pub recommendation_id: String,
    /// Whose list it was: the shopper's [`Subject::key`](crate::domain::Subject::key)
    /// (`c:<customer id>` or `s:<session id>`).
    pub subject: String,
    /// Where on the site or app the list was shown.
    pub placement: String,
    /// Experiment variant that produced the list, if any.
    pub variant: Option<String>,
    /// Version of the model that ranked the list.
    pub model_version: String,
    /// Style ids in the order shown; an item's position is `offset` plus its index.
    pub items: Vec<String>,
    /// Position of the first item in the whole list (a later page starts past 0).
    #[serde(default)]
    pub offset: usize,
    /// When the list was shown.
    pub at: DateTime<Utc>,
    /// How many of `items` were outside the most popular styles when shown.
    #[serde(default)]
    pub novel_items: usize,
    /// Intra-list diversity of `items` in thousandths (0 = all alike, 1000 = no two share
    /// a shape, brand or colour family).
    #[serde(default)]
    pub diversity_milli: u32,
}

/// What a shopper did with a style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Opened the style's page.
    Click,
    /// Tried the frames on virtually.
    TryOn,
    /// Put the style in the cart.
    AddToCart,
    /// Bought the style.
    Purchase,
    /// Returned a bought style.
    Return,
}

/// One shopper action on a style, as reported by a client or the order system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Touch {
    /// Who acted: the same kind of key as [`Exposure::subject`].
    pub subject: String,
    /// The style acted on.
    pub style_id: String,
    /// What was done.
    pub action: Action,
    /// When it was done.
    pub at: DateTime<Utc>,
    /// The list the client says it acted on, if any.
    pub recommendation_id: Option<String>,
    /// Price times quantity for purchases and returns, else 0.
    pub revenue_cents: i64,
    /// The order of a purchase or return, if known.
    pub order_id: Option<String>,
}

/// How long after an exposure each kind of action may still be credited to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributionRules {
    /// Window for clicks.
    pub click_window: Duration,
    /// Window for try-ons and add-to-carts.
    pub engagement_window: Duration,
    /// Window for purchases, and for returns after the purchase.
    pub purchase_window: Duration,
}

impl Default for AttributionRules {
    /// 1 hour for clicks, 24 hours for try-ons and add-to-carts, 7 days for
    /// purchases and returns.
    fn default() -> Self {
        Self {
            click_window: Duration::hours(1),
            engagement_window: Duration::hours(24),
            purchase_window: Duration::days(7),
        }
    }
}

impl AttributionRules {
    /// The window for `action`; returns use the purchase window.
    pub fn window(&self, action: Action) -> Duration {
        match action {
            Action::Click => self.click_window,
            Action::TryOn | Action::AddToCart => self.engagement_window,
            Action::Purchase | Action::Return => self.purchase_window,
        }
    }
}

/// The exposure an action is credited to, and where in it the style was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribution {
    /// Id of the credited list.
    pub recommendation_id: String,
    /// Placement of the credited list.
    pub placement: String,
    /// Variant of the credited list, if any.
    pub variant: Option<String>,
    /// Model version of the credited list.
    pub model_version: String,
    /// Position of the style in the credited list (its first occurrence), 0 = first.
    pub position: usize,
}

/// A purchase with its attribution, kept so later returns can be attributed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributedPurchase {
    /// Who bought.
    pub subject: String,
    /// The style bought.
    pub style_id: String,
    /// The order, if known.
    pub order_id: Option<String>,
    /// Price times quantity.
    pub revenue_cents: i64,
    /// When it was bought.
    pub at: DateTime<Utc>,
    /// The exposure the purchase was credited to.
    pub attribution: Attribution,
}

/// Credits a click, try-on, add-to-cart or purchase to one of `exposures` by
/// the module's rules; `None` when no exposure qualifies or the touch is a
/// return (see [`attribute_return`]).
pub fn attribute(
    exposures: &[Exposure],
    touch: &Touch,
    rules: &AttributionRules,
) -> Option<Attribution> {
    if touch.action == Action::Return {
        return None;
    }
    let earliest = window_start(touch.at, rules.window(touch.action));
    let candidates = exposures.iter().filter_map(|exposure| {
        let in_window = exposure.at <= touch.at && exposure.at >= earliest;
        if exposure.subject != touch.subject || !in_window {
            return None;
        }
        let index = exposure
            .items
            .iter()
            .position(|item| *item == touch.style_id)?;
        Some((exposure, exposure.offset.saturating_add(index)))
    });
    // max_by_key keeps the last of equal maxima: the later in the slice wins
    // ties. The named list sorts above all others, so it wins when it qualifies.
    let (exposure, position) = candidates.max_by_key(|(exposure, _)| {
        let named = touch.recommendation_id.as_deref() == Some(&exposure.recommendation_id);
        (named, exposure.at)
    })?;
    Some(Attribution {
        recommendation_id: exposure.recommendation_id.clone(),
        placement: exposure.placement.clone(),
        variant: exposure.variant.clone(),
        model_version: exposure.model_version.clone(),
        position,
    })
}

/// Credits a return to the attributed purchase it undoes, giving that
/// purchase's attribution and the revenue to subtract from it.
///
/// The purchase must be of the same subject and style, at or before the
/// return and within the purchase window of it. A return with an order id
/// matches only a purchase of that order: falling back to another order would
/// charge an unattributed order's return to an attributed one. Without an
/// order id, the latest such purchase matches. The revenue is the return's
/// when positive, else the purchase's whole revenue, and never more than the
/// purchase's. Callers that see several partial returns of one purchase must
/// keep their total within the purchase themselves.
pub fn attribute_return(
    purchases: &[AttributedPurchase],
    touch: &Touch,
    rules: &AttributionRules,
) -> Option<(Attribution, i64)> {
    if touch.action != Action::Return {
        return None;
    }
    let earliest = window_start(touch.at, rules.purchase_window);
    let purchase = purchases
        .iter()
        .filter(|purchase| {
            purchase.subject == touch.subject
                && purchase.style_id == touch.style_id
                && purchase.at <= touch.at
                && purchase.at >= earliest
                && (touch.order_id.is_none() || purchase.order_id == touch.order_id)
        })
        .max_by_key(|purchase| purchase.at)?;
    let refunded_cents = if touch.revenue_cents > 0 {
        touch.revenue_cents.min(purchase.revenue_cents)
    } else {
        purchase.revenue_cents
    };
    Some((purchase.attribution.clone(), refunded_cents.max(0)))
}

/// The earliest exposure time a touch at `at` may be credited to; the start of
/// time when the window reaches past it.
fn window_start(at: DateTime<Utc>, window: Duration) -> DateTime<Utc> {
    at.checked_sub_signed(window)
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// One attributed action as the stores keep it: the counts it adds to its cell and, for
/// a purchase, the purchase later returns are credited through. Stores apply a credit
/// once per `event_id`, so a redelivered signal is not counted twice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Credit {
    /// The signal's idempotency key.
    pub event_id: String,
    /// Whose action it was (the exposure's subject key).
    pub subject: String,
    pub cell: CellKey,
    pub counters: Counters,
    pub purchase: Option<AttributedPurchase>,
}

/// The cell counters are kept per: one placement, variant and model version
/// on one UTC day.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CellKey {
    /// Placement of the list.
    pub placement: String,
    /// Experiment variant, if any.
    pub variant: Option<String>,
    /// Model version.
    pub model_version: String,
    /// UTC day.
    pub day: NaiveDate,
}

impl CellKey {
    /// The cell of a shown list: its placement, variant and model on the day
    /// it was shown.
    pub fn for_exposure(exposure: &Exposure) -> Self {
        Self {
            placement: exposure.placement.clone(),
            variant: exposure.variant.clone(),
            model_version: exposure.model_version.clone(),
            day: exposure.at.date_naive(),
        }
    }

    /// The cell of an attributed action at `at`: the credited list's
    /// placement, variant and model on the day of the action, not of the
    /// exposure, so a day's counters are final once the day is over instead
    /// of changing for up to a purchase window afterwards.
    pub fn for_attribution(attribution: &Attribution, at: DateTime<Utc>) -> Self {
        Self {
            placement: attribution.placement.clone(),
            variant: attribution.variant.clone(),
            model_version: attribution.model_version.clone(),
            day: at.date_naive(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use Action::{AddToCart, Click, Purchase, Return, TryOn};

    /// Minutes after 2024-03-10 12:00 UTC.
    fn at(minutes: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 3, 10, 12, 0, 0).unwrap() + Duration::minutes(minutes)
    }

    const DAY: i64 = 24 * 60;

    fn exposure(id: &str, items: &[&str], minutes: i64) -> Exposure {
        Exposure {
            exposure_id: format!("{id}@{minutes}"),
            recommendation_id: id.to_string(),
            subject: "c:1".to_string(),
            placement: "home".to_string(),
            variant: Some("treatment".to_string()),
            model_version: "v2".to_string(),
            items: items.iter().map(|item| item.to_string()).collect(),
            offset: 0,
            at: at(minutes),
            novel_items: 0,
            diversity_milli: 0,
        }
    }

    fn touch(action: Action, minutes: i64, revenue_cents: i64) -> Touch {
        Touch {
            subject: "c:1".to_string(),
            style_id: "s1".to_string(),
            action,
            at: at(minutes),
            recommendation_id: None,
            revenue_cents,
            order_id: None,
        }
    }

    /// The list credited with `action` on style s1 at `minutes`, the client
    /// naming `named` if given.
    fn credited(
        exposures: &[Exposure],
        action: Action,
        minutes: i64,
        named: Option<&str>,
    ) -> Option<String> {
        let touch = Touch {
            recommendation_id: named.map(str::to_string),
            ..touch(action, minutes, 0)
        };
        attribute(exposures, &touch, &AttributionRules::default()).map(|a| a.recommendation_id)
    }

    fn purchase(order_id: &str, revenue_cents: i64, minutes: i64) -> AttributedPurchase {
        let attribution = Attribution {
            recommendation_id: format!("list-of-{order_id}"),
            placement: "home".to_string(),
            variant: None,
            model_version: "v2".to_string(),
            position: 0,
        };
        let touch = touch(Purchase, minutes, revenue_cents);
        AttributedPurchase {
            subject: touch.subject,
            style_id: touch.style_id,
            order_id: Some(order_id.to_string()),
            revenue_cents,
            at: touch.at,
            attribution,
        }
    }

    /// The list and cents a return of s1 at `minutes` is charged to.
    fn refund(
        purchases: &[AttributedPurchase],
        order_id: Option<&str>,
        cents: i64,
        minutes: i64,
    ) -> Option<(String, i64)> {
        let touch = Touch {
            order_id: order_id.map(str::to_string),
            ..touch(Return, minutes, cents)
        };
        attribute_return(purchases, &touch, &AttributionRules::default())
            .map(|(a, cents)| (a.recommendation_id, cents))
    }

    fn some(id: &str) -> Option<String> {
        Some(id.to_string())
    }

    #[test]
    fn when_no_exposure_was_shown_should_touch_be_unattributed() {
        assert_eq!(credited(&[], Click, 0, None), None);
    }

    #[test]
    fn when_two_exposures_contain_the_item_should_the_later_win_with_its_position() {
        // The later exposure comes first in the slice, so slice order cannot pass.
        let exposures = [
            exposure("later", &["s9", "s8", "s1"], -5),
            exposure("earlier", &["s1"], -30),
        ];
        let attribution = attribute(
            &exposures,
            &touch(Click, 0, 0),
            &AttributionRules::default(),
        );
        assert_eq!(
            attribution.map(|a| (a.recommendation_id, a.position)),
            Some(("later".to_string(), 2))
        );
    }

    #[test]
    fn when_exposures_tie_in_time_should_the_later_in_the_slice_win() {
        let exposures = [
            exposure("first", &["s1"], -5),
            exposure("second", &["s1"], -5),
        ];
        assert_eq!(credited(&exposures, Click, 0, None), some("second"));
    }

    #[test]
    fn when_client_names_a_list_should_it_win_over_a_later_one() {
        let exposures = [
            exposure("named", &["s1"], -30),
            exposure("later", &["s1"], -5),
        ];
        assert_eq!(credited(&exposures, Click, 0, Some("named")), some("named"));
    }

    #[test]
    fn when_named_list_lacks_the_item_or_is_out_of_window_should_last_touch_apply() {
        let exposures = [
            exposure("stale", &["s1"], -120),
            exposure("no-s1", &["s2"], -1),
            exposure("last", &["s1"], -30),
        ];
        assert_eq!(credited(&exposures, Click, 0, Some("no-s1")), some("last"));
        assert_eq!(credited(&exposures, Click, 0, Some("stale")), some("last"));
    }

    #[test]
    fn when_purchased_item_was_not_shown_should_purchase_be_unattributed() {
        let exposures = [exposure("list", &["s2", "s3"], -60)];
        assert_eq!(credited(&exposures, Purchase, 0, None), None);
    }

    #[test]
    fn when_exposure_belongs_to_another_subject_should_touch_be_unattributed() {
        let theirs = Exposure {
            subject: "s:other".to_string(),
            ..exposure("theirs", &["s1"], -1)
        };
        assert_eq!(credited(&[theirs], Click, 0, None), None);
    }

    #[test]
    fn when_click_is_just_inside_or_outside_the_hour_should_only_inside_be_attributed() {
        let exposures = [exposure("list", &["s1"], 0)];
        let inside = Touch {
            at: at(60),
            ..touch(Click, 0, 0)
        };
        let outside = Touch {
            at: at(60) + Duration::seconds(1),
            ..inside.clone()
        };
        let rules = AttributionRules::default();
        assert!(attribute(&exposures, &inside, &rules).is_some());
        assert_eq!(attribute(&exposures, &outside, &rules), None);
    }

    #[test]
    fn when_purchase_is_6_days_after_exposure_should_it_be_attributed_and_8_days_not() {
        let exposures = [exposure("list", &["s1"], 0)];
        assert_eq!(credited(&exposures, Purchase, 6 * DAY, None), some("list"));
        assert_eq!(credited(&exposures, Purchase, 8 * DAY, None), None);
        // The window is per action: a click that late is not credited.
        assert_eq!(credited(&exposures, Click, 6 * DAY, None), None);
    }

    #[test]
    fn when_exposure_follows_the_action_should_it_not_be_used() {
        assert_eq!(
            credited(&[exposure("after", &["s1"], 1)], AddToCart, 0, None),
            None
        );
    }

    #[test]
    fn when_touch_is_a_return_should_attribute_give_none() {
        assert_eq!(
            credited(&[exposure("list", &["s1"], -1)], Return, 0, None),
            None
        );
    }

    #[test]
    fn when_return_has_order_id_should_it_subtract_from_that_orders_attribution() {
        let purchases = [purchase("o1", 12_000, 0), purchase("o2", 9_000, DAY)];
        assert_eq!(
            refund(&purchases, Some("o1"), 0, 2 * DAY),
            Some(("list-of-o1".to_string(), 12_000))
        );
    }

    #[test]
    fn when_return_names_an_unattributed_order_should_it_be_unattributed() {
        assert_eq!(
            refund(&[purchase("o1", 12_000, 0)], Some("o9"), 0, DAY),
            None
        );
    }

    #[test]
    fn when_return_has_no_order_id_should_it_match_the_latest_earlier_purchase() {
        let purchases = [
            purchase("o1", 12_000, 0),
            purchase("o2", 9_000, DAY),
            purchase("o3", 5_000, 2 * DAY + 60),
        ];
        assert_eq!(
            refund(&purchases, None, 4_000, 2 * DAY),
            Some(("list-of-o2".to_string(), 4_000))
        );
    }

    #[test]
    fn when_return_revenue_exceeds_the_purchase_should_it_be_capped() {
        let refunded = refund(&[purchase("o1", 12_000, 0)], Some("o1"), 50_000, DAY);
        assert_eq!(refunded.map(|(_, cents)| cents), Some(12_000));
    }

    #[test]
    fn when_return_is_past_the_purchase_window_should_it_be_unattributed() {
        assert_eq!(
            refund(&[purchase("o1", 12_000, 0)], Some("o1"), 0, 8 * DAY),
            None
        );
    }

    #[test]
    fn when_denominators_are_zero_should_rates_be_zero() {
        let c = Counters {
            clicks: 3,
            revenue_cents: 500,
            returns: 1,
            ..Counters::default()
        };
        for rate in [
            c.ctr(),
            c.try_on_rate(),
            c.add_to_cart_rate(),
            c.conversion_rate(),
        ] {
            assert_eq!(rate, 0.0);
        }
        for rate in [
            c.revenue_per_exposure(),
            c.average_order_value(),
            c.return_rate(),
        ] {
            assert_eq!(rate, 0.0);
        }
    }

    #[test]
    fn when_counts_are_known_should_rates_be_exact() {
        let mut c = Counters::default();
        (0..4).for_each(|_| c.add_exposure(&exposure("list", &["s1", "s2", "s3"], 0)));
        for action in [Click, Click, TryOn, AddToCart] {
            c.add_attributed(&touch(action, 0, 0));
        }
        c.add_attributed(&touch(Purchase, 0, 10_000));
        c.add_attributed(&touch(Purchase, 0, 20_000));
        c.add_attributed(&touch(Return, 0, 6_000));
        assert_eq!(c.items_shown, 12);
        assert_eq!((c.ctr(), c.try_on_rate()), (0.5, 0.25));
        assert_eq!((c.add_to_cart_rate(), c.conversion_rate()), (0.25, 0.5));
        // Net revenue 30_000 - 6_000 cents over 4 exposures and 2 purchases.
        assert_eq!(
            (c.revenue_per_exposure(), c.average_order_value()),
            (6_000.0, 12_000.0)
        );
        assert_eq!(c.return_rate(), 0.5);
        assert_eq!(c.revenue_squares, 100.0 * 100.0 + 200.0 * 200.0);
    }

    /// Counters whose fields are 1 to 10 times `scale`, each field distinct.
    fn scaled_counters(scale: u64) -> Counters {
        let cents = |k: u64| (k * scale) as i64;
        Counters {
            exposures: scale,
            items_shown: 2 * scale,
            clicks: 3 * scale,
            try_ons: 4 * scale,
            add_to_carts: 5 * scale,
            purchases: 6 * scale,
            revenue_cents: cents(7),
            returns: 8 * scale,
            returned_cents: cents(9),
            revenue_squares: (10 * scale) as f64,
            novel_items: 11 * scale,
            diversity_milli_sum: 12 * scale,
            distinct_items: 13 * scale,
            new_subjects: 14 * scale,
            cohort_revenue_cents: cents(15),
            ratings: 16 * scale,
            rating_sum: 17 * scale,
            rating_squares: 18 * scale,
        }
    }

    #[test]
    fn when_counters_merge_should_every_field_add() {
        let mut merged = scaled_counters(1);
        merged.merge(&scaled_counters(2));
        assert_eq!(merged, scaled_counters(3));
    }

    #[test]
    fn when_action_is_attributed_should_cell_day_be_the_action_day() {
        // Shown at 23:30 on the 10th, bought at 00:15 on the 11th.
        let shown = [exposure("list", &["s1"], 11 * 60 + 30)];
        let bought = touch(Purchase, 12 * 60 + 15, 10_000);
        let attribution = attribute(&shown, &bought, &AttributionRules::default()).unwrap();
        let action_cell = CellKey::for_attribution(&attribution, bought.at);
        assert_eq!(
            action_cell.day,
            NaiveDate::from_ymd_opt(2024, 3, 11).unwrap()
        );
        assert_eq!(
            CellKey::for_exposure(&shown[0]),
            CellKey {
                day: NaiveDate::from_ymd_opt(2024, 3, 10).unwrap(),
                ..action_cell
            }
        );
    }
}

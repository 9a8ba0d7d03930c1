//! The per-cell counters online metrics and experiment reports are computed from: what
//! was shown (lists, items, their novelty and diversity, distinct styles, new shoppers)
//! and what was credited to it (clicks to purchases, revenue, returns, ratings).

use serde::{Deserialize, Serialize};

use super::attribution::{Action, Exposure, Touch};

/// Cents in one currency unit, for revenue squares kept in currency units.
const CENTS_PER_UNIT: f64 = 100.0;

/// Counts of exposures and attributed actions in one cell, from which the
/// online metrics are computed. Partial counters of a cell [`merge`](Self::merge).
/// Integer sums saturate instead of overflowing, so one corrupt revenue value
/// cannot panic an aggregation job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Counters {
    /// Lists shown.
    pub exposures: u64,
    /// Items shown across those lists.
    pub items_shown: u64,
    /// Attributed clicks.
    pub clicks: u64,
    /// Attributed try-ons.
    pub try_ons: u64,
    /// Attributed add-to-carts.
    pub add_to_carts: u64,
    /// Attributed purchases.
    pub purchases: u64,
    /// Gross revenue of attributed purchases, in cents.
    pub revenue_cents: i64,
    /// Attributed returns.
    pub returns: u64,
    /// Revenue given back by attributed returns, in cents.
    pub returned_cents: i64,
    /// Sum over attributed purchases of (revenue in currency units)².
    ///
    /// The variance of revenue per exposure counts exposures without revenue
    /// as zeros: n = `exposures`, sum = net revenue in currency units
    /// (`net_revenue_cents() / 100`), sum of squares = this. That is exact
    /// when each exposure has at most one attributed purchase and none is
    /// returned; otherwise it is an approximation (several purchases on one
    /// exposure understate the variance, returns overstate it).
    pub revenue_squares: f64,
    /// Items shown that were outside the 100 most popular styles when shown (the engine's
    /// `POPULAR_HEAD`): novelty = this / `items_shown`.
    #[serde(default)]
    pub novel_items: u64,
    /// Sum over lists shown of their intra-list diversity in thousandths
    /// ([`Exposure::diversity_milli`]): mean diversity = this / `exposures` / 1000.
    #[serde(default)]
    pub diversity_milli_sum: u64,
    /// Distinct styles shown in the cell (each counted on its first showing of the day):
    /// catalogue coverage = this / the styles on sale. Not additive across days: a style
    /// shown on two days counts on both.
    #[serde(default)]
    pub distinct_items: u64,
    /// Shoppers shown this variant's lists for the first time (in this cell): the size of
    /// the variant's cohort, summed over its cells. Lists outside experiments count none.
    #[serde(default)]
    pub new_subjects: u64,
    /// Net revenue (purchases less returns, attributed to a list or not) of shoppers whose
    /// latest list before buying came from this cell, in cents: with `new_subjects`, the
    /// revenue per assigned shopper of a variant's cohort (its lifetime value so far).
    #[serde(default)]
    pub cohort_revenue_cents: i64,
    /// Post-purchase ratings credited to the cell.
    #[serde(default)]
    pub ratings: u64,
    /// Sum of those ratings (1-5 each).
    #[serde(default)]
    pub rating_sum: u64,
    /// Sum of their squares, for the interval of the mean rating.
    #[serde(default)]
    pub rating_squares: u64,
}

impl Counters {
    /// Counts one list shown and its items.
    pub fn add_exposure(&mut self, exposure: &Exposure) {
        self.exposures = self.exposures.saturating_add(1);
        self.items_shown = self
            .items_shown
            .saturating_add(u64::try_from(exposure.items.len()).unwrap_or(u64::MAX));
        self.novel_items = self
            .novel_items
            .saturating_add(u64::try_from(exposure.novel_items).unwrap_or(u64::MAX));
        self.diversity_milli_sum = self
            .diversity_milli_sum
            .saturating_add(u64::from(exposure.diversity_milli));
    }

    /// Counts one rating of `stars` (1-5).
    pub fn add_rating(&mut self, stars: u8) {
        let stars = u64::from(stars);
        self.ratings = self.ratings.saturating_add(1);
        self.rating_sum = self.rating_sum.saturating_add(stars);
        self.rating_squares = self.rating_squares.saturating_add(stars * stars);
    }

    /// Counts one attributed action. For a return, `touch.revenue_cents`
    /// should be the amount [`attribute_return`] gave, so it never exceeds the
    /// purchase it undoes.
    pub fn add_attributed(&mut self, touch: &Touch) {
        match touch.action {
            Action::Click => self.clicks = self.clicks.saturating_add(1),
            Action::TryOn => self.try_ons = self.try_ons.saturating_add(1),
            Action::AddToCart => self.add_to_carts = self.add_to_carts.saturating_add(1),
            Action::Purchase => {
                self.purchases = self.purchases.saturating_add(1);
                self.revenue_cents = self.revenue_cents.saturating_add(touch.revenue_cents);
                let revenue_units = touch.revenue_cents as f64 / CENTS_PER_UNIT;
                self.revenue_squares += revenue_units * revenue_units;
            }
            Action::Return => {
                self.returns = self.returns.saturating_add(1);
                self.returned_cents = self.returned_cents.saturating_add(touch.revenue_cents);
            }
        }
    }

    /// Adds `other`'s counts to these, e.g. to combine shards of one cell.
    pub fn merge(&mut self, other: &Counters) {
        self.exposures = self.exposures.saturating_add(other.exposures);
        self.items_shown = self.items_shown.saturating_add(other.items_shown);
        self.clicks = self.clicks.saturating_add(other.clicks);
        self.try_ons = self.try_ons.saturating_add(other.try_ons);
        self.add_to_carts = self.add_to_carts.saturating_add(other.add_to_carts);
        self.purchases = self.purchases.saturating_add(other.purchases);
        self.revenue_cents = self.revenue_cents.saturating_add(other.revenue_cents);
        self.returns = self.returns.saturating_add(other.returns);
        self.returned_cents = self.returned_cents.saturating_add(other.returned_cents);
        self.revenue_squares += other.revenue_squares;
        self.novel_items = self.novel_items.saturating_add(other.novel_items);
        self.diversity_milli_sum = self
            .diversity_milli_sum
            .saturating_add(other.diversity_milli_sum);
        self.distinct_items = self.distinct_items.saturating_add(other.distinct_items);
        self.new_subjects = self.new_subjects.saturating_add(other.new_subjects);
        self.cohort_revenue_cents = self
            .cohort_revenue_cents
            .saturating_add(other.cohort_revenue_cents);
        self.ratings = self.ratings.saturating_add(other.ratings);
        self.rating_sum = self.rating_sum.saturating_add(other.rating_sum);
        self.rating_squares = self.rating_squares.saturating_add(other.rating_squares);
    }

    /// Revenue net of returns, in cents.
    pub fn net_revenue_cents(&self) -> i64 {
        self.revenue_cents.saturating_sub(self.returned_cents)
    }

    /// Clicks per exposure (click-through rate); 0 without exposures.
    pub fn ctr(&self) -> f64 {
        ratio(self.clicks as f64, self.exposures)
    }

    /// Try-ons per exposure; 0 without exposures.
    pub fn try_on_rate(&self) -> f64 {
        ratio(self.try_ons as f64, self.exposures)
    }

    /// Add-to-carts per exposure; 0 without exposures.
    pub fn add_to_cart_rate(&self) -> f64 {
        ratio(self.add_to_carts as f64, self.exposures)
    }

    /// Purchases per exposure; 0 without exposures.
    pub fn conversion_rate(&self) -> f64 {
        ratio(self.purchases as f64, self.exposures)
    }

    /// Net revenue per exposure, in cents; 0 without exposures.
    pub fn revenue_per_exposure(&self) -> f64 {
        ratio(self.net_revenue_cents() as f64, self.exposures)
    }

    /// Net revenue per purchase, in cents; 0 without purchases.
    pub fn average_order_value(&self) -> f64 {
        ratio(self.net_revenue_cents() as f64, self.purchases)
    }

    /// Returns per purchase; 0 without purchases.
    pub fn return_rate(&self) -> f64 {
        ratio(self.returns as f64, self.purchases)
    }

    /// Share of the items shown that were outside the most popular styles.
    pub fn novelty(&self) -> f64 {
        ratio(self.novel_items as f64, self.items_shown)
    }

    /// Mean intra-list diversity of the lists shown, 0 (all alike) to 1.
    pub fn intra_list_diversity(&self) -> f64 {
        ratio(self.diversity_milli_sum as f64 / 1000.0, self.exposures)
    }

    /// Distinct styles shown per style on sale; 0 when nothing is on sale.
    pub fn coverage(&self, styles_on_sale: usize) -> f64 {
        ratio(
            self.distinct_items as f64,
            u64::try_from(styles_on_sale).unwrap_or(u64::MAX),
        )
    }

    /// Net revenue per shopper of the cohort, in cents (lifetime value so far).
    pub fn revenue_per_subject(&self) -> f64 {
        ratio(self.cohort_revenue_cents as f64, self.new_subjects)
    }

    /// Mean rating (1-5); 0 without ratings.
    pub fn mean_rating(&self) -> f64 {
        ratio(self.rating_sum as f64, self.ratings)
    }
}

/// `numerator / denominator`, 0 for an empty denominator so empty cells read
/// as no activity rather than NaN.
fn ratio(numerator: f64, denominator: u64) -> f64 {
    if denominator == 0 {
        return 0.0;
    }
    numerator / denominator as f64
}

/// Event ids of the credits that count a first sighting (a style new to a cell's day, a
/// shopper new to a variant) start with one of these; stores may keep their markers apart
/// from those of signals, so the serving path can write them and nothing else.
pub const SIGHTING_PREFIXES: [&str; 2] = ["seen|", "cohort|"];

/// Whether a credit's event id counts a first sighting (see [`SIGHTING_PREFIXES`]).
pub fn is_sighting(event_id: &str) -> bool {
    SIGHTING_PREFIXES.iter().any(|p| event_id.starts_with(p))
}

/// Intra-list diversity in thousandths: over every pair of items, the share of their
/// features (e.g. shape, brand, colour family) that differ, averaged. 0 when every item
/// is alike or the list has fewer than two items, 1000 when no two share any feature.
pub fn diversity_milli<A: PartialEq, B: PartialEq, C: PartialEq>(items: &[(A, B, C)]) -> u32 {
    let mut pairs = 0u64;
    let mut differing = 0u64;
    for (i, a) in items.iter().enumerate() {
        for b in &items[i + 1..] {
            pairs += 1;
            differing += u64::from(a.0 != b.0) + u64::from(a.1 != b.1) + u64::from(a.2 != b.2);
        }
    }
    if pairs == 0 {
        return 0;
    }
    let milli = (differing * 1000 + pairs * 3 / 2) / (pairs * 3);
    u32::try_from(milli).unwrap_or(1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_lists_differ_in_features_should_diversity_rank_them() {
        let same = [("round", "acme", "black"); 4];
        assert_eq!(diversity_milli(&same), 0);
        let apart = [
            ("round", "acme", "black"),
            ("square", "brio", "tortoise"),
            ("cat-eye", "cora", "red"),
        ];
        assert_eq!(diversity_milli(&apart), 1000);
        // Two of three pairs differ in shape only: (1/3 + 1/3 + 0) / 3 = 2/9.
        let one_apart = [
            ("round", "acme", "black"),
            ("round", "acme", "black"),
            ("square", "acme", "black"),
        ];
        assert_eq!(diversity_milli(&one_apart), 222);
        assert_eq!(diversity_milli::<u8, u8, u8>(&[]), 0);
        assert_eq!(diversity_milli(&[(1, 2, 3)]), 0);
    }

    #[test]
    fn when_counters_merge_should_quality_and_satisfaction_sums_add() {
        let mut a = Counters {
            exposures: 2,
            items_shown: 10,
            novel_items: 4,
            diversity_milli_sum: 1_200,
            distinct_items: 7,
            new_subjects: 2,
            cohort_revenue_cents: 10_000,
            ..Counters::default()
        };
        a.add_rating(5);
        a.add_rating(3);
        let mut b = a.clone();
        b.add_rating(1);
        a.merge(&b);
        assert_eq!(a.novel_items, 8);
        assert!((a.novelty() - 0.4).abs() < 1e-12);
        assert!((a.intra_list_diversity() - 0.6).abs() < 1e-12);
        assert_eq!(a.ratings, 5);
        assert_eq!(a.rating_sum, 17);
        assert_eq!(a.rating_squares, 25 + 9 + 25 + 9 + 1);
        assert!((a.mean_rating() - 3.4).abs() < 1e-12);
        assert!((a.revenue_per_subject() - 5_000.0).abs() < 1e-9);
        assert!((a.coverage(28) - 0.5).abs() < 1e-12);
        assert_eq!(Counters::default().coverage(0), 0.0);
    }
}

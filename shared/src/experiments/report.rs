//! An experiment's report from its metric cells: per-variant counts and rates with
//! intervals, each treatment against the control (the first variant) on the primary and
//! guardrail metrics, the sample-ratio check and the smallest effect the traffic so far
//! can detect. Rates are two-proportion tests; revenue per exposure and average order
//! value are Welch tests on the cells' sums and sums of squares.

use serde::Serialize;

use super::assignment::{Experiment, Metric};
use super::attribution::{CellKey, Counters};
use super::stats::{
    compare_means, compare_proportions, minimum_detectable_effect, sample_ratio_check, Comparison,
    Interval, Moments, Proportion, SampleRatio,
};

/// Significance level of every test and interval in a report (95% intervals).
pub const ALPHA: f64 = 0.05;
/// Power the minimum detectable effect is stated for.
pub const POWER: f64 = 0.8;

/// One arm's totals and headline rates.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct VariantSummary {
    pub name: String,
    /// Its configured share of the experiment's traffic.
    pub expected_share: f64,
    pub counters: Counters,
    pub ctr: f64,
    pub ctr_interval: Interval,
    pub conversion_rate: f64,
    pub conversion_interval: Interval,
    /// Cents, net of returns.
    pub revenue_per_exposure: f64,
    pub average_order_value: f64,
    pub return_rate: f64,
    /// Mean rating (1-5) of the ratings credited to the arm; `null` without ratings.
    #[schema(required = true)]
    pub satisfaction: Option<f64>,
    #[schema(required = true)]
    pub satisfaction_interval: Option<Interval>,
    /// Shoppers the arm has shown a list to (its cohort).
    pub shoppers: u64,
    /// Net revenue per shopper of the cohort, in cents, purchases attributed to a list or
    /// not (lifetime value so far); a point estimate (no per-shopper variance is kept).
    pub revenue_per_shopper: f64,
    /// Share of the items shown outside the 100 most popular styles.
    pub novelty: f64,
    /// Mean intra-list diversity (shape, brand, colour family) of the lists shown, 0-1.
    pub intra_list_diversity: f64,
}

/// A treatment against the control on one metric.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MetricComparison {
    pub metric: Metric,
    pub variant: String,
    pub comparison: Comparison,
}

/// What `framewise experiment report` and `GET /v1/experiments/{id}/report` answer.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ExperimentReport {
    pub experiment_id: String,
    pub primary_metric: Metric,
    pub variants: Vec<VariantSummary>,
    /// Every treatment against the control on the primary metric.
    pub primary: Vec<MetricComparison>,
    /// The same for each guardrail metric the cells can answer.
    pub guardrails: Vec<MetricComparison>,
    /// Exposures per arm against the configured shares; `mismatch` means the assignment
    /// or the exposure path is broken and the comparisons should not be trusted.
    pub sample_ratio: Option<SampleRatio>,
    /// The same check on shoppers (the unit assignment randomises), when every arm has
    /// some. Lists per shopper vary, so the list-level check above can alarm on an
    /// unlucky split of heavy shoppers; this one cannot, but misses an arm that loses
    /// some of its shoppers' visits. Read both.
    pub shopper_ratio: Option<SampleRatio>,
    /// Smallest absolute change of the primary metric (a rate) the exposures so far detect
    /// with 80% power; `None` for metrics that are not rates or without traffic.
    pub minimum_detectable_effect: Option<f64>,
}

/// Successes and trials of a rate metric; `None` for the metrics that are not rates.
fn proportion(metric: Metric, c: &Counters) -> Option<Proportion> {
    let (successes, trials) = match metric {
        Metric::Ctr => (c.clicks, c.exposures),
        Metric::TryOnRate => (c.try_ons, c.exposures),
        Metric::AddToCartRate => (c.add_to_carts, c.exposures),
        Metric::ConversionRate => (c.purchases, c.exposures),
        Metric::ReturnRate => (c.returns, c.purchases),
        Metric::RevenuePerExposure
        | Metric::AverageOrderValue
        | Metric::Satisfaction
        | Metric::P95LatencyMs => return None,
    };
    Some(Proportion { successes, trials })
}

/// Moments of a money metric in currency units, from the cells' sums.
fn money(metric: Metric, c: &Counters) -> Option<Moments> {
    let net = c.net_revenue_cents() as f64 / 100.0;
    match metric {
        Metric::RevenuePerExposure => Some(Moments::from_sums(c.exposures, net, c.revenue_squares)),
        Metric::AverageOrderValue => Some(Moments::from_sums(c.purchases, net, c.revenue_squares)),
        Metric::Satisfaction => Some(ratings(c)),
        _ => None,
    }
}

/// Moments of the ratings credited to a cell (exact: one rating is one observation).
fn ratings(c: &Counters) -> Moments {
    Moments::from_sums(c.ratings, c.rating_sum as f64, c.rating_squares as f64)
}

fn compare(metric: Metric, control: &Counters, treatment: &Counters) -> Option<Comparison> {
    match (proportion(metric, control), proportion(metric, treatment)) {
        (Some(a), Some(b)) => compare_proportions(a, b, ALPHA),
        _ => compare_means(money(metric, control)?, money(metric, treatment)?, ALPHA),
    }
}

/// The report of `experiment` over `cells` (any days, placements and model versions;
/// cells of other variants or none are ignored).
pub fn report<'a>(
    experiment: &Experiment,
    cells: impl IntoIterator<Item = (&'a CellKey, &'a Counters)>,
) -> ExperimentReport {
    let mut totals = vec![Counters::default(); experiment.variants.len()];
    for (key, counters) in cells {
        let arm = key
            .variant
            .as_deref()
            .and_then(|name| experiment.variants.iter().position(|v| v.name == name));
        if let Some(arm) = arm {
            totals[arm].merge(counters);
        }
    }
    let shares = experiment.normalised_shares();
    let variants = experiment
        .variants
        .iter()
        .zip(&totals)
        .zip(&shares)
        .map(|((variant, c), share)| VariantSummary {
            name: variant.name.clone(),
            expected_share: *share,
            counters: c.clone(),
            ctr: c.ctr(),
            ctr_interval: Proportion {
                successes: c.clicks,
                trials: c.exposures,
            }
            .wilson(1.0 - ALPHA),
            conversion_rate: c.conversion_rate(),
            conversion_interval: Proportion {
                successes: c.purchases,
                trials: c.exposures,
            }
            .wilson(1.0 - ALPHA),
            revenue_per_exposure: c.revenue_per_exposure(),
            average_order_value: c.average_order_value(),
            return_rate: c.return_rate(),
            satisfaction: (c.ratings > 0).then(|| c.mean_rating()),
            satisfaction_interval: ratings(c).interval(ALPHA),
            shoppers: c.new_subjects,
            revenue_per_shopper: c.revenue_per_subject(),
            novelty: c.novelty(),
            intra_list_diversity: c.intra_list_diversity(),
        })
        .collect();
    let comparisons = |metric: Metric| -> Vec<MetricComparison> {
        let Some((control, treatments)) = totals.split_first() else {
            return Vec::new();
        };
        experiment.variants[1..]
            .iter()
            .zip(treatments)
            .filter_map(|(variant, treatment)| {
                Some(MetricComparison {
                    metric,
                    variant: variant.name.clone(),
                    comparison: compare(metric, control, treatment)?,
                })
            })
            .collect()
    };
    let exposures: Vec<u64> = totals.iter().map(|c| c.exposures).collect();
    let shoppers: Vec<u64> = totals.iter().map(|c| c.new_subjects).collect();
    let minimum_detectable_effect = match (totals.first(), totals.get(1)) {
        (Some(control), Some(treatment)) => proportion(experiment.primary_metric, control)
            .and_then(|p| {
                minimum_detectable_effect(
                    p.rate(),
                    control.exposures,
                    treatment.exposures,
                    ALPHA,
                    POWER,
                )
            }),
        _ => None,
    };
    ExperimentReport {
        experiment_id: experiment.id.clone(),
        primary_metric: experiment.primary_metric,
        variants,
        primary: comparisons(experiment.primary_metric),
        guardrails: experiment
            .guardrails
            .iter()
            .flat_map(|m| comparisons(*m))
            .collect(),
        sample_ratio: sample_ratio_check(&exposures, &shares),
        shopper_ratio: shoppers
            .iter()
            .all(|n| *n > 0)
            .then(|| sample_ratio_check(&shoppers, &shares))
            .flatten(),
        minimum_detectable_effect,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiments::assignment::ExperimentVariant;
    use chrono::{NaiveDate, TimeZone, Utc};

    fn experiment(primary: Metric, guardrails: Vec<Metric>) -> Experiment {
        let variant = |name: &str| ExperimentVariant {
            name: name.into(),
            share: 1.0,
            settings: toml::Table::new(),
        };
        Experiment {
            id: "pop-vs-personal".into(),
            placement: None,
            variants: vec![variant("control"), variant("personal")],
            primary_metric: primary,
            guardrails,
            start: Utc
                .with_ymd_and_hms(2026, 12, 1, 0, 0, 0)
                .single()
                .expect("date"),
            stop: None,
            traffic: 1.0,
            salt: None,
        }
    }

    fn key(variant: Option<&str>, day: u32) -> CellKey {
        CellKey {
            placement: "home".into(),
            variant: variant.map(String::from),
            model_version: "v1".into(),
            day: NaiveDate::from_ymd_opt(2026, 12, day).expect("date"),
        }
    }

    fn counters(exposures: u64, clicks: u64, purchases: u64, revenue_each: i64) -> Counters {
        Counters {
            exposures,
            clicks,
            purchases,
            revenue_cents: purchases as i64 * revenue_each,
            revenue_squares: purchases as f64 * (revenue_each as f64 / 100.0).powi(2),
            ..Counters::default()
        }
    }

    #[test]
    fn when_treatment_clicks_more_should_report_a_significant_lift_over_summed_days() {
        let cells = [
            (key(Some("control"), 1), counters(500, 50, 10, 10_000)),
            (key(Some("control"), 2), counters(500, 50, 10, 10_000)),
            (key(Some("personal"), 1), counters(1000, 150, 40, 10_000)),
            // Not in the experiment: ignored.
            (key(None, 1), counters(5000, 0, 0, 0)),
            (key(Some("retired-arm"), 1), counters(5000, 0, 0, 0)),
        ];
        let r = report(
            &experiment(
                Metric::Ctr,
                vec![Metric::RevenuePerExposure, Metric::P95LatencyMs],
            ),
            cells.iter().map(|(k, c)| (k, c)),
        );
        assert_eq!(r.variants[0].counters.exposures, 1000, "two days summed");
        assert!((r.variants[0].ctr - 0.10).abs() < 1e-12);
        assert!(r.variants[0].ctr_interval.contains(0.10));
        let ctr = &r.primary[0];
        assert_eq!(
            (ctr.metric, ctr.variant.as_str()),
            (Metric::Ctr, "personal")
        );
        assert!((ctr.comparison.difference - 0.05).abs() < 1e-12);
        assert!(ctr.comparison.significant, "{ctr:?}");
        // Revenue per exposure: 200 vs 400 currency units per 100 exposures, Welch-tested;
        // p95 latency has no cell data, so no comparison.
        assert_eq!(r.guardrails.len(), 1, "{:?}", r.guardrails);
        let revenue = &r.guardrails[0].comparison;
        assert!((revenue.control - 2.0).abs() < 1e-9, "{revenue:?}");
        assert!((revenue.treatment - 4.0).abs() < 1e-9, "{revenue:?}");
        assert!(revenue.interval.contains(2.0));
        let srm = r.sample_ratio.expect("two arms with exposures");
        assert!(!srm.mismatch);
        let mde = r.minimum_detectable_effect.expect("a rate with traffic");
        assert!(mde > 0.0 && mde < 0.05, "{mde}");
    }

    #[test]
    fn when_one_arm_is_served_far_more_than_its_share_should_flag_the_sample_ratio() {
        let cells = [
            (key(Some("control"), 1), counters(10_000, 500, 0, 0)),
            (key(Some("personal"), 1), counters(11_000, 550, 0, 0)),
        ];
        let r = report(
            &experiment(Metric::ConversionRate, vec![]),
            cells.iter().map(|(k, c)| (k, c)),
        );
        assert!(r.sample_ratio.expect("check").mismatch);
        assert!(
            !r.primary[0].comparison.significant,
            "no purchases either side"
        );
    }
}

//! Statistics of A/B experiment analysis: per-variant estimates and their
//! intervals, two-sample tests of rates and means, the sample ratio mismatch
//! (SRM) check and minimum detectable effects (MDE) for experiment reports.
//!
//! The formulas are the textbook ones (Wilson score interval, two-proportion
//! z-test, Welch's t-test, Pearson's chi-square goodness of fit); the
//! distributions' CDFs and quantiles come from `statrs`.

use statrs::distribution::{ChiSquared, ContinuousCDF, Normal, StudentsT};

/// The p-value below which a sample ratio check reports a mismatch: strict,
/// because an SRM check runs on every experiment and a false alarm halts one.
pub const SRM_ALPHA: f64 = 0.001;

/// Degrees of freedom above which Student's t is replaced by its normal limit:
/// statrs's t quantile loses accuracy beyond this (and stops terminating near
/// 1e9), while the normal quantile differs from the t one by less than 3e-5.
const NORMAL_LIMIT_DF: f64 = 1e5;

/// A count of successes out of trials in one experiment arm (e.g. clicks out of
/// impressions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proportion {
    /// Trials that succeeded.
    pub successes: u64,
    /// All trials.
    pub trials: u64,
}

impl Proportion {
    /// The observed success rate, 0 when there are no trials; successes beyond
    /// the trials (a data error) count as a rate of 1 so it stays a probability.
    pub fn rate(&self) -> f64 {
        if self.trials == 0 {
            return 0.0;
        }
        self.successes.min(self.trials) as f64 / self.trials as f64
    }

    /// The Wilson score interval of the rate at `confidence` (e.g. 0.95); the
    /// uninformative `[0, 1]` when there are no trials or `confidence` is not
    /// strictly between 0 and 1.
    pub fn wilson(&self, confidence: f64) -> Interval {
        if self.trials == 0 || !is_probability(confidence) {
            return Interval::UNIT;
        }
        let Some(z) = normal_quantile(1.0 - (1.0 - confidence) / 2.0) else {
            return Interval::UNIT;
        };
        let n = self.trials as f64;
        let rate = self.rate();
        let z_squared = z * z;
        let denominator = 1.0 + z_squared / n;
        let centre = (rate + z_squared / (2.0 * n)) / denominator;
        let half_width =
            z / denominator * (rate * (1.0 - rate) / n + z_squared / (4.0 * n * n)).sqrt();
        // A rate of 0 or 1 has that bound exactly, which rounding misses.
        let low = if rate == 0.0 {
            0.0
        } else {
            centre - half_width
        };
        let high = if rate == 1.0 {
            1.0
        } else {
            centre + half_width
        };
        Interval {
            low: low.max(0.0),
            high: high.min(1.0),
        }
    }
}

/// A closed interval `[low, high]` of an estimate.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Interval {
    /// Lower bound, inclusive.
    pub low: f64,
    /// Upper bound, inclusive.
    pub high: f64,
}

impl Interval {
    /// The whole range of a probability: the interval that says nothing.
    const UNIT: Interval = Interval {
        low: 0.0,
        high: 1.0,
    };

    /// Whether `x` lies within the interval, bounds included.
    pub fn contains(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }
}

/// The comparison of a treatment arm against the control arm on one metric.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Comparison {
    /// The control arm's estimate (rate or mean).
    pub control: f64,
    /// The treatment arm's estimate (rate or mean).
    pub treatment: f64,
    /// `treatment - control`.
    pub difference: f64,
    /// `difference / control`; None when the control estimate is 0.
    pub relative_lift: Option<f64>,
    /// The `(1 - alpha)` confidence interval of the difference.
    pub interval: Interval,
    /// Two-sided p-value of "no difference".
    pub p_value: f64,
    /// Whether `p_value < alpha`.
    pub significant: bool,
}

/// Two-proportion z-test of treatment against control at level `alpha`: the
/// p-value uses the pooled standard error (the one under "no difference"), the
/// `(1 - alpha)` interval of the difference the unpooled one. None when an arm
/// has no trials or `alpha` is not strictly between 0 and 1.
pub fn compare_proportions(
    control: Proportion,
    treatment: Proportion,
    alpha: f64,
) -> Option<Comparison> {
    if control.trials == 0 || treatment.trials == 0 {
        return None;
    }
    let (control_rate, treatment_rate) = (control.rate(), treatment.rate());
    let (control_n, treatment_n) = (control.trials as f64, treatment.trials as f64);
    let difference = treatment_rate - control_rate;

    let pooled_successes = control.successes.min(control.trials) as f64
        + treatment.successes.min(treatment.trials) as f64;
    let pooled_rate = pooled_successes / (control_n + treatment_n);
    let pooled_error =
        (pooled_rate * (1.0 - pooled_rate) * (1.0 / control_n + 1.0 / treatment_n)).sqrt();
    // A pooled error of 0 means both arms are all-success or all-failure:
    // identical rates, nothing to reject.
    let z = if pooled_error > 0.0 {
        difference / pooled_error
    } else {
        0.0
    };
    let (z_interval, p_value) = critical_value_and_p(z, f64::INFINITY, alpha)?;
    let unpooled_error = (control_rate * (1.0 - control_rate) / control_n
        + treatment_rate * (1.0 - treatment_rate) / treatment_n)
        .sqrt();
    let interval = around(difference, z_interval * unpooled_error);
    Some(comparison(
        control_rate,
        treatment_rate,
        interval,
        p_value,
        alpha,
    ))
}

/// Count, mean and sample variance of a metric in one arm; mergeable, so
/// per-day or per-shard partial moments can be combined.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Moments {
    /// Number of observations.
    pub n: u64,
    /// Mean of the observations (0 when there are none).
    pub mean: f64,
    /// Sample variance with the `n - 1` denominator (0 when `n < 2`).
    pub variance: f64,
}

impl Moments {
    /// The moments of `values` by Welford's algorithm (stable for large
    /// counts); NaN and infinite values are skipped.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Moments {
        let (mut n, mut mean, mut squared_deviations) = (0_u64, 0.0, 0.0);
        for value in values.into_iter().filter(|value| value.is_finite()) {
            n += 1;
            let deviation = value - mean;
            mean += deviation / n as f64;
            squared_deviations += deviation * (value - mean);
        }
        Moments::from_squared_deviations(n, mean, squared_deviations)
    }

    /// The moments of `n` observations from their sum and sum of squares, as
    /// stored per metric cell. These lose precision when the mean is large
    /// against the spread; a sum of squared deviations that rounding makes
    /// negative is clamped to 0.
    pub fn from_sums(n: u64, sum: f64, sum_squares: f64) -> Moments {
        if n == 0 {
            return Moments::default();
        }
        let mean = sum / n as f64;
        Moments::from_squared_deviations(n, mean, (sum_squares - sum * mean).max(0.0))
    }

    /// The moments of both sets of observations together (Chan et al.'s
    /// parallel combination).
    pub fn merge(self, other: Moments) -> Moments {
        if self.n == 0 {
            return other;
        }
        if other.n == 0 {
            return self;
        }
        let n = self.n + other.n;
        let (self_n, other_n, total_n) = (self.n as f64, other.n as f64, n as f64);
        let delta = other.mean - self.mean;
        let mean = self.mean + delta * other_n / total_n;
        let squared_deviations = self.squared_deviations()
            + other.squared_deviations()
            + delta * delta * self_n * other_n / total_n;
        Moments::from_squared_deviations(n, mean, squared_deviations)
    }

    /// The moments from the sum of squared deviations from the mean.
    fn from_squared_deviations(n: u64, mean: f64, squared_deviations: f64) -> Moments {
        let variance = if n > 1 {
            squared_deviations / (n - 1) as f64
        } else {
            0.0
        };
        Moments { n, mean, variance }
    }

    /// The sum of squared deviations from the mean, which merging adds up.
    fn squared_deviations(&self) -> f64 {
        if self.n > 1 {
            self.variance * (self.n - 1) as f64
        } else {
            0.0
        }
    }

    /// Whether the moments can enter a test: at least two finite observations.
    fn is_testable(&self) -> bool {
        self.n >= 2 && self.mean.is_finite() && self.variance.is_finite()
    }

    /// The squared standard error of the mean.
    fn mean_variance(&self) -> f64 {
        self.variance / self.n as f64
    }

    /// The `(1 - alpha)` t interval of the mean; `None` with fewer than two observations.
    pub fn interval(&self, alpha: f64) -> Option<Interval> {
        if !self.is_testable() {
            return None;
        }
        let (critical, _) = critical_value_and_p(0.0, (self.n - 1) as f64, alpha)?;
        Some(around(self.mean, critical * self.mean_variance().sqrt()))
    }
}

/// Welch's t-test of treatment against control at level `alpha`, with the
/// Welch–Satterthwaite degrees of freedom and the `(1 - alpha)` interval of the
/// difference of means from the t quantile. When both variances are 0 the
/// difference is known exactly: a zero-width interval and a p-value of 1 for
/// equal means, 0 otherwise. None when an arm has fewer than 2 observations or
/// non-finite moments, or `alpha` is not strictly between 0 and 1.
pub fn compare_means(control: Moments, treatment: Moments, alpha: f64) -> Option<Comparison> {
    if !control.is_testable() || !treatment.is_testable() || !is_probability(alpha) {
        return None;
    }
    let difference = treatment.mean - control.mean;
    let (control_part, treatment_part) = (control.mean_variance(), treatment.mean_variance());
    let standard_error = (control_part + treatment_part).sqrt();
    let (interval, p_value) = if standard_error == 0.0 {
        // Both variances are 0: the difference is known exactly.
        let p_value = if difference == 0.0 { 1.0 } else { 0.0 };
        (around(difference, 0.0), p_value)
    } else {
        // Welch–Satterthwaite on the arms' shares of the squared error, which
        // cannot underflow to 0/0 as the raw squared parts can.
        let control_share = control_part / (control_part + treatment_part);
        let treatment_share = 1.0 - control_share;
        let degrees_of_freedom = 1.0
            / (control_share.powi(2) / (control.n - 1) as f64
                + treatment_share.powi(2) / (treatment.n - 1) as f64);
        let t = difference / standard_error;
        let (t_interval, p_value) = critical_value_and_p(t, degrees_of_freedom, alpha)?;
        (around(difference, t_interval * standard_error), p_value)
    };
    Some(comparison(
        control.mean,
        treatment.mean,
        interval,
        p_value,
        alpha,
    ))
}

/// The result of a sample ratio mismatch check.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct SampleRatio {
    /// Pearson's chi-square statistic of the observed arm sizes.
    pub chi_square: f64,
    /// Its p-value with `arms - 1` degrees of freedom.
    pub p_value: f64,
    /// Whether `p_value < SRM_ALPHA`: the assignment is likely broken.
    pub mismatch: bool,
}

/// Chi-square goodness of fit of the observed arm sizes to the designed
/// traffic shares (normalised to sum to 1, so weights like `[1, 1]` work).
/// None for fewer than 2 arms, lengths that differ, no observations, or a
/// share that is not positive and finite (or so small that its expected count
/// underflows).
pub fn sample_ratio_check(observed: &[u64], expected_shares: &[f64]) -> Option<SampleRatio> {
    if observed.len() < 2 || observed.len() != expected_shares.len() {
        return None;
    }
    if !expected_shares
        .iter()
        .all(|share| share.is_finite() && *share > 0.0)
    {
        return None;
    }
    let total_share: f64 = expected_shares.iter().sum();
    let total_observed: f64 = observed.iter().map(|&count| count as f64).sum();
    if total_observed == 0.0 || !total_share.is_finite() {
        return None;
    }
    let chi_square: f64 = observed
        .iter()
        .zip(expected_shares)
        .map(|(&count, share)| {
            let expected = total_observed * share / total_share;
            (count as f64 - expected).powi(2) / expected
        })
        .sum();
    // NaN comes from an expected count that underflowed to 0 (absurd shares).
    if chi_square.is_nan() {
        return None;
    }
    let distribution = ChiSquared::new((observed.len() - 1) as f64).ok()?;
    let p_value = distribution.sf(chi_square);
    Some(SampleRatio {
        chi_square,
        p_value,
        mismatch: p_value < SRM_ALPHA,
    })
}

/// The smallest absolute difference from `baseline_rate` that a two-sided
/// two-proportion test at level `alpha` detects with probability `power`, given
/// the arm sizes: `(z(1 - alpha/2) + z(power)) * sqrt(p(1-p)(1/n_a + 1/n_b))`.
/// None when an arm size is 0, the rate is not strictly between 0 and 1, or
/// `alpha` or `power` are not (or `power` is below `alpha / 2`).
pub fn minimum_detectable_effect(
    baseline_rate: f64,
    control_n: u64,
    treatment_n: u64,
    alpha: f64,
    power: f64,
) -> Option<f64> {
    if control_n == 0 || treatment_n == 0 || !is_probability(baseline_rate) {
        return None;
    }
    let standard_error = (baseline_rate
        * (1.0 - baseline_rate)
        * (1.0 / control_n as f64 + 1.0 / treatment_n as f64))
        .sqrt();
    Some(detectable_multiplier(alpha, power)? * standard_error)
}

/// The smallest absolute difference of means that a two-sided test at level
/// `alpha` detects with probability `power`, from the arms' variances and sizes
/// with the unpooled standard error `sqrt(var_a/n_a + var_b/n_b)` and normal
/// quantiles. None when an arm has fewer than 2 observations or non-finite
/// moments, or `alpha` or `power` are not strictly between 0 and 1 (or `power`
/// is below `alpha / 2`).
pub fn minimum_detectable_mean_effect(
    control: Moments,
    treatment: Moments,
    alpha: f64,
    power: f64,
) -> Option<f64> {
    if !control.is_testable() || !treatment.is_testable() {
        return None;
    }
    let standard_error = (control.mean_variance() + treatment.mean_variance()).sqrt();
    Some(detectable_multiplier(alpha, power)? * standard_error)
}

/// `z(1 - alpha/2) + z(power)`: how many standard errors an effect must span to
/// be detected. None unless positive, since a smaller power than `alpha / 2` is
/// had by every effect.
fn detectable_multiplier(alpha: f64, power: f64) -> Option<f64> {
    let z_interval = critical_value_and_p(0.0, f64::INFINITY, alpha)?.0;
    let multiplier = z_interval + normal_quantile(power)?;
    (multiplier > 0.0).then_some(multiplier)
}

/// A comparison from the arms' estimates, the difference's interval and the
/// p-value.
fn comparison(
    control: f64,
    treatment: f64,
    interval: Interval,
    p_value: f64,
    alpha: f64,
) -> Comparison {
    let difference = treatment - control;
    Comparison {
        control,
        treatment,
        difference,
        relative_lift: (control != 0.0).then(|| difference / control),
        interval,
        p_value,
        significant: p_value < alpha,
    }
}

/// The interval `centre ± half_width`.
fn around(centre: f64, half_width: f64) -> Interval {
    Interval {
        low: centre - half_width,
        high: centre + half_width,
    }
}

/// Whether `x` is strictly between 0 and 1 (false for NaN).
fn is_probability(x: f64) -> bool {
    x > 0.0 && x < 1.0
}

/// The standard normal quantile of `p`; None unless `p` is strictly between 0
/// and 1 (statrs panics outside `[0, 1]`).
fn normal_quantile(p: f64) -> Option<f64> {
    if !is_probability(p) {
        return None;
    }
    Some(Normal::new(0.0, 1.0).ok()?.inverse_cdf(p))
}

/// The `1 - alpha/2` quantile of Student's t with `degrees_of_freedom` and the
/// two-sided p-value of `statistic` in it; infinite or more than
/// `NORMAL_LIMIT_DF` degrees of freedom mean the standard normal. None unless
/// `alpha` is strictly between 0 and 1 and `statistic` is not NaN (statrs
/// panics on either).
fn critical_value_and_p(statistic: f64, degrees_of_freedom: f64, alpha: f64) -> Option<(f64, f64)> {
    if !is_probability(alpha) || statistic.is_nan() {
        return None;
    }
    let level = 1.0 - alpha / 2.0;
    let (critical_value, tail) = if degrees_of_freedom > NORMAL_LIMIT_DF {
        let normal = Normal::new(0.0, 1.0).ok()?;
        (normal.inverse_cdf(level), normal.sf(statistic.abs()))
    } else {
        let t = StudentsT::new(0.0, 1.0, degrees_of_freedom).ok()?;
        (t.inverse_cdf(level), t.sf(statistic.abs()))
    };
    Some((critical_value, (2.0 * tail).min(1.0)))
}

#[cfg(test)]
mod tests {
    //! Reference values are from scipy 1.17 (`stats.norm`, `stats.t`,
    //! `stats.ttest_ind`, `stats.chisquare`) or the textbook formulas.
    use super::*;

    fn assert_close(actual: f64, expected: f64, tolerance: f64) {
        let message = format!("{actual} is not within {tolerance} of {expected}");
        assert!((actual - expected).abs() <= tolerance, "{message}");
    }

    fn proportion(successes: u64, trials: u64) -> Proportion {
        Proportion { successes, trials }
    }

    fn moments(n: u64, mean: f64, variance: f64) -> Moments {
        Moments { n, mean, variance }
    }

    fn interval(low: f64, high: f64) -> Interval {
        Interval { low, high }
    }

    #[test]
    fn when_mean_interval_asked_should_match_the_t_interval() {
        // Ratings 4, 5, 3, 5, 4: mean 4.2, s = 0.8367; t(0.975, 4) = 2.7764
        // (scipy: stats.t.interval(0.95, 4, loc=4.2, scale=0.8367/sqrt(5))).
        let ratings = Moments::of([4.0, 5.0, 3.0, 5.0, 4.0]);
        let ci = ratings.interval(0.05).expect("five observations");
        assert_close(ci.low, 3.1611, 1e-3);
        assert_close(ci.high, 5.2389, 1e-3);
        assert_eq!(Moments::of([4.0]).interval(0.05), None);
    }

    #[test]
    fn when_81_successes_in_263_should_wilson_match_reference() {
        let wilson = proportion(81, 263).wilson(0.95);
        assert_close(wilson.low, 0.255_288_519_878_274_2, 1e-9);
        assert_close(wilson.high, 0.366_209_576_982_8, 1e-9);
    }

    #[test]
    fn when_no_successes_or_all_should_wilson_reach_the_bound_exactly() {
        let none = proportion(0, 10).wilson(0.95);
        assert_eq!(none.low, 0.0);
        assert_close(none.high, 0.277_532_799_862_889_2, 1e-9); // z²/(n+z²)
        let all = proportion(10, 10).wilson(0.90);
        assert_close(all.low, 0.787_058_029_916_593, 1e-9);
        assert_eq!(all.high, 1.0);
    }

    #[test]
    fn when_no_trials_or_no_valid_confidence_should_wilson_be_the_unit_interval() {
        assert_eq!(proportion(0, 0).rate(), 0.0);
        assert_eq!(proportion(12, 10).rate(), 1.0);
        assert_eq!(proportion(0, 0).wilson(0.95), interval(0.0, 1.0));
        assert_eq!(proportion(5, 10).wilson(1.0), interval(0.0, 1.0));
        assert_eq!(proportion(5, 10).wilson(f64::NAN), interval(0.0, 1.0));
    }

    #[test]
    fn when_value_is_on_a_bound_should_interval_contain_it_and_nothing_beyond() {
        let range = interval(-1.0, 2.0);
        assert!(range.contains(-1.0) && range.contains(2.0) && range.contains(0.5));
        assert!(!range.contains(2.000_001) && !range.contains(f64::NAN));
    }

    #[test]
    fn when_rates_are_10_and_12_5_percent_should_z_test_match_reference() {
        let (control, treatment) = (proportion(200, 2000), proportion(250, 2000));
        let result = compare_proportions(control, treatment, 0.05).expect("valid arms");
        assert_close(result.difference, 0.025, 1e-12);
        assert_close(
            result.relative_lift.expect("control rate is 0.1"),
            0.25,
            1e-12,
        );
        assert_close(result.p_value, 0.012_350_947_711_191_42, 1e-9);
        assert_close(result.interval.low, 0.005_431_008_554_656_02, 1e-9);
        assert_close(result.interval.high, 0.044_568_991_445_343_97, 1e-9);
        assert!(result.significant);
        let strict = compare_proportions(control, treatment, 0.01).expect("valid arms");
        assert!(!strict.significant);
    }

    #[test]
    fn when_an_arm_has_no_trials_or_alpha_is_invalid_should_proportions_not_compare() {
        let (some, none) = (proportion(1, 10), proportion(0, 0));
        assert_eq!(compare_proportions(none, some, 0.05), None);
        assert_eq!(compare_proportions(some, none, 0.05), None);
        assert_eq!(compare_proportions(some, some, 0.0), None);
        assert_eq!(compare_proportions(some, some, 1.5), None);
    }

    #[test]
    fn when_neither_arm_converts_should_p_value_be_one_and_lift_undefined() {
        let zero = proportion(0, 100);
        let result = compare_proportions(zero, zero, 0.05).expect("valid arms");
        assert_eq!((result.p_value, result.relative_lift), (1.0, None));
        assert!(!result.significant);
    }

    #[test]
    fn when_values_include_non_finite_ones_should_moments_skip_them() {
        let values = [
            2.0,
            4.0,
            4.0,
            f64::NAN,
            4.0,
            5.0,
            5.0,
            f64::INFINITY,
            7.0,
            9.0,
        ];
        let result = Moments::of(values);
        assert_eq!(result.n, 8);
        assert_close(result.mean, 5.0, 1e-12);
        assert_close(result.variance, 32.0 / 7.0, 1e-12);
        assert_eq!(Moments::of([3.0]), moments(1, 3.0, 0.0));
    }

    #[test]
    fn when_partial_moments_merge_should_they_equal_the_moments_of_all_values() {
        let all = Moments::of([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        let first_day = Moments::of([2.0, 4.0, 4.0]);
        let second_day = Moments::from_sums(5, 30.0, 196.0); // 4, 5, 5, 7, 9
        let merged = first_day.merge(Moments::default()).merge(second_day);
        assert_eq!(merged.n, all.n);
        assert_close(merged.mean, all.mean, 1e-12);
        assert_close(merged.variance, all.variance, 1e-12);
        assert_eq!(Moments::default().merge(all), all);
        assert_eq!(Moments::from_sums(0, 0.0, 0.0), Moments::default());
    }

    #[test]
    fn when_sums_of_equal_values_cancel_below_zero_should_variance_be_zero() {
        // Summing 0.7 seven times leaves sum_squares - sum * mean at -1.3e-15.
        let (sum, sum_squares) = (0..7).fold((0.0, 0.0), |(sum, squares), _| {
            (sum + 0.7, squares + 0.7 * 0.7)
        });
        assert_eq!(Moments::from_sums(7, sum, sum_squares).variance, 0.0);
    }

    #[test]
    fn when_welch_textbook_samples_should_t_test_match_scipy() {
        let control = Moments::of([
            27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7,
            21.4,
        ]);
        let treatment = Moments::of([
            27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5,
            24.4,
        ]);
        let result = compare_means(control, treatment, 0.05).expect("15 values per arm");
        assert_close(result.p_value, 0.021_378_001_462_866_99, 1e-9);
        assert_close(result.interval.low, 0.349_237_066_192_406_9, 1e-8);
        assert_close(result.interval.high, 3.984_096_267_140_929, 1e-8);
        assert!(result.significant);
        let strict = compare_means(control, treatment, 0.01).expect("15 values per arm");
        assert_close(strict.interval.low, -0.293_127_127_881_096_1, 1e-8);
        assert!(!strict.significant && strict.interval.contains(0.0));
    }

    #[test]
    fn when_degrees_of_freedom_are_ten_million_should_t_test_match_scipy() {
        // statrs's own t quantile is off by 0.13 here; the normal limit is not.
        let control = moments(5_000_000, 10.0, 4.0);
        let treatment = moments(5_000_000, 10.004, 4.0);
        let result = compare_means(control, treatment, 0.05).expect("large arms");
        assert_close(result.p_value, 0.001_565_406_933_210_970_8, 1e-8);
        assert_close(result.interval.low, 0.001_520_819_570_710_445_1, 1e-9);
        assert_close(result.interval.high, 0.006_479_180_429_289_555, 1e-9);
    }

    #[test]
    fn when_both_variances_are_zero_should_difference_be_exact() {
        let equal = compare_means(moments(5, 1.0, 0.0), moments(3, 1.0, 0.0), 0.05);
        let equal = equal.expect("two observations per arm");
        assert_eq!((equal.p_value, equal.interval), (1.0, interval(0.0, 0.0)));
        let apart = compare_means(moments(5, 1.0, 0.0), moments(3, 3.0, 0.0), 0.05);
        let apart = apart.expect("two observations per arm");
        assert_eq!((apart.p_value, apart.interval), (0.0, interval(2.0, 2.0)));
        assert_eq!(apart.relative_lift, Some(2.0));
        assert!(apart.significant);
    }

    #[test]
    fn when_an_arm_has_fewer_than_two_values_should_means_not_compare() {
        let enough = moments(10, 1.0, 1.0);
        assert_eq!(compare_means(moments(1, 1.0, 0.0), enough, 0.05), None);
        assert_eq!(
            compare_means(enough, moments(10, f64::NAN, 1.0), 0.05),
            None
        );
        assert_eq!(compare_means(enough, enough, 1.0), None);
    }

    #[test]
    fn when_arms_are_off_by_one_or_one_and_a_half_percent_should_srm_flag_only_the_latter() {
        let close = sample_ratio_check(&[50_000, 51_000], &[0.5, 0.5]).expect("valid");
        assert_close(close.chi_square, 9.900_990_099_009_901, 1e-9);
        assert_close(close.p_value, 0.001_651_898_732_357_361, 1e-9);
        assert!(!close.mismatch);
        let far = sample_ratio_check(&[50_000, 51_500], &[0.5, 0.5]).expect("valid");
        assert_close(far.chi_square, 22.167_487_684_729_064, 1e-9);
        assert_close(far.p_value, 2.498_695_214_678_602e-6, 1e-11);
        assert!(far.mismatch);
    }

    #[test]
    fn when_shares_are_weights_should_srm_normalise_them() {
        let result = sample_ratio_check(&[1000, 2100, 980], &[1.0, 2.0, 1.0]).expect("valid");
        assert_close(result.chi_square, 3.725_490_196_078_431_5, 1e-9);
        assert_close(result.p_value, 0.155_245_879_739_754_82, 1e-9);
    }

    #[test]
    fn when_srm_input_is_degenerate_should_there_be_no_check() {
        assert_eq!(sample_ratio_check(&[10], &[1.0]), None);
        assert_eq!(sample_ratio_check(&[10, 10], &[1.0, 1.0, 1.0]), None);
        assert_eq!(sample_ratio_check(&[0, 0], &[0.5, 0.5]), None);
        assert_eq!(sample_ratio_check(&[10, 10], &[1.0, 0.0]), None);
        assert_eq!(sample_ratio_check(&[10, 10], &[1.0, f64::NAN]), None);
        assert_eq!(sample_ratio_check(&[0, 10], &[5e-324, 1e300]), None);
    }

    #[test]
    fn when_rate_and_sizes_are_known_should_mde_match_the_formula() {
        let even = minimum_detectable_effect(0.1, 10_000, 10_000, 0.05, 0.8);
        assert_close(even.expect("valid"), 0.011_886_119_434_798_038, 1e-9);
        let uneven = minimum_detectable_effect(0.05, 5_000, 20_000, 0.01, 0.9);
        assert_close(uneven.expect("valid"), 0.013_292_581_488_741_241, 1e-9);
    }

    #[test]
    fn when_mde_input_is_degenerate_should_there_be_no_effect() {
        assert_eq!(minimum_detectable_effect(0.1, 0, 10, 0.05, 0.8), None);
        assert_eq!(minimum_detectable_effect(0.0, 10, 10, 0.05, 0.8), None);
        assert_eq!(minimum_detectable_effect(1.0, 10, 10, 0.05, 0.8), None);
        assert_eq!(minimum_detectable_effect(0.1, 10, 10, 1.5, 0.8), None);
        assert_eq!(minimum_detectable_effect(0.1, 10, 10, 0.05, 1.0), None);
        assert_eq!(minimum_detectable_effect(0.1, 10, 10, 0.9, 0.01), None);
    }

    #[test]
    fn when_variances_and_sizes_are_known_should_mean_mde_match_the_formula() {
        let (control, treatment) = (moments(100, 0.0, 4.0), moments(400, 0.0, 9.0));
        let effect = minimum_detectable_mean_effect(control, treatment, 0.05, 0.8);
        assert_close(effect.expect("valid"), 0.700_396_304_528_242_1, 1e-9);
        let too_small = minimum_detectable_mean_effect(moments(1, 0.0, 0.0), treatment, 0.05, 0.8);
        assert_eq!(too_small, None);
    }
}

//! Engine configuration: signal weights, decay half-lives, component weights and list limits.
//! Every field has a documented default, so a partial JSON/TOML file is a valid configuration.

use serde::{Deserialize, Serialize};

pub use crate::domain::KindWeights;

/// Hard cap on a list's length; stored lists and API pages are sized for it.
pub const MAX_LIST_SIZE: usize = 100;

/// Weights of the terms summed into a style's score. Every term is in [-1, 1], so these
/// weights set the balance directly. The personal terms (collaborative, taste) are scaled by
/// the confidence in the shopper's history, and the crowd terms (popularity, trending,
/// season) give up `EngineConfig::personal_dominance` of their weight as confidence grows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ComponentWeights {
    /// 1.0: item-item co-occurrence with the shopper's history.
    pub collaborative: f32,
    /// 1.0: attribute affinity with the shopper's history (shape, colour, material...).
    pub taste: f32,
    /// 0.5: match with the preferences the customer declared.
    pub preference: f32,
    /// 0.15: face shape, undertone and age band guidance (domain brief section 5).
    pub profile: f32,
    /// 0.3: long-run popularity (popularity half-life).
    pub popularity: f32,
    /// 0.2: recent popularity (trending half-life).
    pub trending: f32,
    /// 0.15: sun season and back-to-school boosts.
    pub season: f32,
}

impl Default for ComponentWeights {
    fn default() -> Self {
        Self {
            collaborative: 1.0,
            taste: 1.0,
            preference: 0.5,
            profile: 0.15,
            popularity: 0.3,
            trending: 0.2,
            season: 0.15,
        }
    }
}

pub use crate::domain::Hemisphere;

/// Tunables of model building and scoring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EngineConfig {
    pub kind_weights: KindWeights,
    /// 30 days: how fast a shopper's old signals fade from their taste.
    pub history_half_life_days: f32,
    /// 30 days: decay of the counts behind popularity.
    pub popularity_half_life_days: f32,
    /// 7 days: decay of the counts behind trending.
    pub trending_half_life_days: f32,
    /// true: never recommend a style the shopper already bought.
    pub exclude_purchased: bool,
    /// false: a style the shopper viewed, tried on or carted stays eligible (a frame looked
    /// at twice is a good reminder); true: only styles without any positive signal from
    /// them, a "new for you" list, as the offline protocols rank only unseen items.
    pub exclude_interacted: bool,
    /// 0.7: MMR trade-off, 1.0 = pure relevance, 0.0 = pure novelty.
    pub diversity_lambda: f32,
    /// 100: default and maximum list length (capped at [`MAX_LIST_SIZE`]).
    pub list_size: usize,
    pub weights: ComponentWeights,
    pub hemisphere: Hemisphere,
    /// 50: neighbours kept per style, collaborative and content alike.
    pub neighbours: usize,
    /// 2.0: added to the cosine denominator so pairs seen by one or two subjects count less.
    pub collaborative_shrinkage: f32,
    /// 1.0: history weight at which the personal terms reach half strength
    /// (a single view gives 0.5, a purchase about 0.9).
    pub personal_prior: f32,
    /// 0.5: share of the popularity, trending and season terms handed over to the
    /// personal terms at full confidence, so a known shopper's taste outweighs the crowd.
    pub personal_dominance: f32,
    /// 3: reasons kept per item, strongest first.
    pub max_reasons: usize,
    /// true: when the shopper's recent taste has drifted from their long-run taste (and
    /// says enough), the recent taste leads the taste term; false: the long-run taste alone.
    pub taste_evolution: bool,
    /// 7 days: half-life of the short-term taste profile, beside `history_half_life_days`.
    pub short_half_life_days: f32,
    /// 0.15: distance between the short- and long-term profiles (0 = same shares of shapes,
    /// colours, materials, rims, price bands and brands, 1 = nothing in common) above which
    /// the taste counts as drifted.
    pub drift_threshold: f32,
    /// 0.0: multiples of the distance that sampling alone would put between the profiles
    /// (given how many recent signals there are and how spread the long-run taste is)
    /// taken off before the threshold. Higher flags fewer steady shoppers as drifting but
    /// also fewer real changes; on the demo (`cargo bench --bench taste_drift`) the lists
    /// match tastes best at 0, since a false flag costs a steady shopper little.
    pub drift_noise: f32,
    /// 4.0: decayed positive signal weight the short-term profile needs before it may lead
    /// (a view weighs 1, a try-on 4, a purchase 10).
    pub short_min_evidence: f32,
    /// 0.75: share of the taste term the short-term taste takes while it leads.
    pub short_lead_weight: f32,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            kind_weights: KindWeights::default(),
            history_half_life_days: 30.0,
            popularity_half_life_days: 30.0,
            trending_half_life_days: 7.0,
            exclude_purchased: true,
            exclude_interacted: false,
            diversity_lambda: 0.7,
            list_size: MAX_LIST_SIZE,
            weights: ComponentWeights::default(),
            hemisphere: Hemisphere::North,
            neighbours: 50,
            collaborative_shrinkage: 2.0,
            personal_prior: 1.0,
            personal_dominance: 0.5,
            max_reasons: 3,
            taste_evolution: true,
            short_half_life_days: 7.0,
            drift_threshold: 0.15,
            drift_noise: 0.0,
            short_min_evidence: 4.0,
            short_lead_weight: 0.75,
        }
    }
}

fn finite_or(value: f32, default: f32) -> f32 {
    if value.is_finite() {
        value
    } else {
        default
    }
}

impl EngineConfig {
    /// The same configuration with every value forced into its valid range, so a bad config
    /// file degrades scoring instead of producing NaN scores or unbounded lists.
    pub fn sanitized(&self) -> Self {
        let d = Self::default();
        let half_life = |v: f32, def: f32| finite_or(v, def).clamp(0.1, 3650.0);
        let kinds = {
            let k = &self.kind_weights;
            let dk = &d.kind_weights;
            KindWeights {
                impression: finite_or(k.impression, dk.impression),
                view: finite_or(k.view, dk.view),
                click: finite_or(k.click, dk.click),
                favorite: finite_or(k.favorite, dk.favorite),
                try_on: finite_or(k.try_on, dk.try_on),
                add_to_cart: finite_or(k.add_to_cart, dk.add_to_cart),
                purchase: finite_or(k.purchase, dk.purchase),
                returned: finite_or(k.returned, dk.returned),
                dismiss: finite_or(k.dismiss, dk.dismiss),
                rating: finite_or(k.rating, dk.rating),
            }
        };
        let weights = {
            let w = &self.weights;
            let dw = &d.weights;
            ComponentWeights {
                collaborative: finite_or(w.collaborative, dw.collaborative),
                taste: finite_or(w.taste, dw.taste),
                preference: finite_or(w.preference, dw.preference),
                profile: finite_or(w.profile, dw.profile),
                popularity: finite_or(w.popularity, dw.popularity),
                trending: finite_or(w.trending, dw.trending),
                season: finite_or(w.season, dw.season),
            }
        };
        Self {
            kind_weights: kinds,
            history_half_life_days: half_life(
                self.history_half_life_days,
                d.history_half_life_days,
            ),
            popularity_half_life_days: half_life(
                self.popularity_half_life_days,
                d.popularity_half_life_days,
            ),
            trending_half_life_days: half_life(
                self.trending_half_life_days,
                d.trending_half_life_days,
            ),
            exclude_purchased: self.exclude_purchased,
            exclude_interacted: self.exclude_interacted,
            diversity_lambda: finite_or(self.diversity_lambda, d.diversity_lambda).clamp(0.0, 1.0),
            list_size: self.list_size.clamp(1, MAX_LIST_SIZE),
            weights,
            hemisphere: self.hemisphere,
            neighbours: self.neighbours.clamp(1, 500),
            collaborative_shrinkage: finite_or(
                self.collaborative_shrinkage,
                d.collaborative_shrinkage,
            )
            .max(0.0),
            personal_prior: finite_or(self.personal_prior, d.personal_prior).max(1e-3),
            personal_dominance: finite_or(self.personal_dominance, d.personal_dominance)
                .clamp(0.0, 1.0),
            max_reasons: self.max_reasons.clamp(1, 10),
            taste_evolution: self.taste_evolution,
            short_half_life_days: half_life(self.short_half_life_days, d.short_half_life_days),
            drift_threshold: finite_or(self.drift_threshold, d.drift_threshold).clamp(0.0, 1.0),
            drift_noise: finite_or(self.drift_noise, d.drift_noise).clamp(0.0, 10.0),
            short_min_evidence: finite_or(self.short_min_evidence, d.short_min_evidence).max(0.0),
            short_lead_weight: finite_or(self.short_lead_weight, d.short_lead_weight)
                .clamp(0.0, 1.0),
        }
    }
}

/// 0.5^(age / half_life); ages below zero (clock skew) count as now.
pub(crate) fn decay(age_days: f64, half_life_days: f32) -> f32 {
    let age = age_days.max(0.0);
    0.5f64.powf(age / f64::from(half_life_days.max(1e-3))) as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SignalKind;

    #[test]
    fn when_default_kind_weights_should_order_commitment() {
        let k = KindWeights::default();
        let order = [
            SignalKind::Purchase,
            SignalKind::AddToCart,
            SignalKind::TryOn,
            SignalKind::Favorite,
            SignalKind::Click,
            SignalKind::View,
        ];
        for pair in order.windows(2) {
            assert!(
                k.weight(pair[0]) > k.weight(pair[1]),
                "{:?} > {:?}",
                pair[0],
                pair[1]
            );
        }
        assert!(k.weight(SignalKind::Impression).abs() < 0.1);
        assert!(k.weight(SignalKind::Dismiss) < 0.0);
        assert!(k.weight(SignalKind::Return) < 0.0);
    }

    #[test]
    fn when_config_is_out_of_range_should_sanitize() {
        let cfg = EngineConfig {
            list_size: 10_000,
            diversity_lambda: f32::NAN,
            trending_half_life_days: -3.0,
            ..EngineConfig::default()
        }
        .sanitized();
        assert_eq!(cfg.list_size, MAX_LIST_SIZE);
        assert!((cfg.diversity_lambda - 0.7).abs() < 1e-6);
        assert!(cfg.trending_half_life_days > 0.0);
    }

    #[test]
    fn when_partial_json_should_fill_defaults() {
        let cfg: EngineConfig =
            serde_json::from_str(r#"{"hemisphere":"south","kind_weights":{"return":-1}}"#).unwrap();
        assert_eq!(cfg.hemisphere, Hemisphere::South);
        assert!((cfg.kind_weights.returned + 1.0).abs() < 1e-6);
        assert!((cfg.kind_weights.purchase - 10.0).abs() < 1e-6);
        assert_eq!(cfg.list_size, 100);
    }

    #[test]
    fn when_age_is_one_half_life_should_halve() {
        assert!((decay(30.0, 30.0) - 0.5).abs() < 1e-6);
        assert!((decay(-5.0, 30.0) - 1.0).abs() < 1e-6);
    }
}

//! Taste that evolves: beside the long-run taste (`history_half_life_days`) a short-term
//! profile with its own, shorter half-life. When the two have drifted apart (the distance
//! between their value shares is above `drift_threshold`) and the short-term profile holds
//! enough evidence (`short_min_evidence`), the recent taste leads the taste term: a shopper
//! who moved from black acetate squares to gold metal rounds is shown the rounds now, not
//! in a month when the old signals have faded.

use serde::Serialize;
use utoipa::ToSchema;

use super::config::{decay, EngineConfig};
use super::features::Features;
use super::taste::Taste;
use crate::domain::Style;

/// The attributes a taste profile is kept over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TasteAttribute {
    Shape,
    Colour,
    Material,
    Rim,
    PriceBand,
    Brand,
}

/// Every attribute, in the order profiles and reports list them.
pub(crate) const ATTRIBUTES: [TasteAttribute; 6] = [
    TasteAttribute::Shape,
    TasteAttribute::Colour,
    TasteAttribute::Material,
    TasteAttribute::Rim,
    TasteAttribute::PriceBand,
    TasteAttribute::Brand,
];

impl TasteAttribute {
    /// Share of the drift distance the attribute carries (they sum to 1): shape leads, as in
    /// the taste affinity; brand is the noisiest (many values, few signals each) and counts
    /// least.
    fn drift_weight(self) -> f32 {
        match self {
            Self::Shape => 0.30,
            Self::Colour => 0.25,
            Self::Material => 0.20,
            Self::Rim => 0.10,
            Self::PriceBand => 0.10,
            Self::Brand => 0.05,
        }
    }
}

/// Positive signal weight per attribute value (dismissals and returns say what the shopper
/// does not want, not what they lean toward), and its total.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Profile {
    taste: Taste,
    /// Sum of the positive weights: how much this profile says.
    pub mass: f32,
    /// Sum of their squares, for the effective number of signals.
    mass_sq: f32,
}

impl Profile {
    pub fn add(&mut self, f: &Features, style: &Style, sku: Option<&str>, w: f32) {
        if w > 0.0 && w.is_finite() {
            self.taste.add(f, style, sku, w);
            self.mass += w;
            self.mass_sq += w * w;
        }
    }

    /// How many equally weighted signals the profile is worth: (Σw)² / Σw² (one purchase
    /// among views counts nearly alone).
    fn effective_signals(&self) -> f32 {
        if self.mass_sq > 0.0 {
            self.mass * self.mass / self.mass_sq
        } else {
            0.0
        }
    }

    /// Shares of one attribute's values, largest first; empty without evidence.
    pub fn shares(&self, attribute: TasteAttribute) -> Vec<(u32, f32)> {
        self.taste.shares(attribute)
    }
}

/// Total variation distance between two share lists, in [0, 1].
fn total_variation(a: &[(u32, f32)], b: &[(u32, f32)]) -> f32 {
    let share = |list: &[(u32, f32)], key: u32| {
        list.iter()
            .find(|(k, _)| *k == key)
            .map_or(0.0, |(_, s)| *s)
    };
    let only_b: f32 = b
        .iter()
        .filter(|(k, _)| a.iter().all(|(ka, _)| ka != k))
        .map(|(_, s)| *s)
        .sum();
    let over_a: f32 = a.iter().map(|(k, s)| (s - share(b, *k)).abs()).sum();
    (0.5 * (over_a + only_b)).clamp(0.0, 1.0)
}

/// The total variation distance expected between `shares` and the shares of `n` signals
/// drawn from them, by chance alone: ½ Σ E|p̂ - p| with E|p̂ - p| ≈ √(2p(1-p)/(πn)) (the
/// normal approximation of a binomial share). Zero where the shares sit on one value, so
/// a move to a value never chosen before is never discounted.
fn sampling_distance(shares: &[(u32, f32)], n: f32) -> f32 {
    if n <= 0.0 {
        return 0.0;
    }
    let spread: f32 = shares
        .iter()
        .map(|(_, p)| {
            (2.0 * p * (1.0 - p) / (std::f32::consts::PI * n))
                .max(0.0)
                .sqrt()
        })
        .sum();
    (0.5 * spread).clamp(0.0, 1.0)
}

/// How far the short-term profile is from the long-term one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Drift {
    /// Weighted mean of the per-attribute distances, in [0, 1].
    pub distance: f32,
    /// Total variation distance per attribute of [`ATTRIBUTES`].
    pub per_attribute: [f32; 6],
    /// The weighted distance the short-term signals would show by chance if the taste had
    /// not moved ([`sampling_distance`]).
    pub noise: f32,
    /// The distance less `drift_noise` times the noise is above `drift_threshold`.
    pub detected: bool,
    /// The short-term profile's positive signal weight.
    pub short_evidence: f32,
    /// Detected and the short-term profile holds at least `short_min_evidence`.
    pub short_leads: bool,
}

impl Drift {
    pub fn between(long: &Profile, short: &Profile, config: &EngineConfig) -> Self {
        let mut per_attribute = [0.0f32; 6];
        let mut distance = 0.0f32;
        let mut noise = 0.0f32;
        if long.mass > 0.0 && short.mass > 0.0 {
            let n = short.effective_signals();
            for (slot, attribute) in ATTRIBUTES.iter().enumerate() {
                let long_shares = long.shares(*attribute);
                let d = total_variation(&long_shares, &short.shares(*attribute));
                per_attribute[slot] = d;
                distance += attribute.drift_weight() * d;
                noise += attribute.drift_weight() * sampling_distance(&long_shares, n);
            }
        }
        let detected = distance - config.drift_noise * noise > config.drift_threshold;
        Self {
            distance,
            per_attribute,
            noise,
            detected,
            short_evidence: short.mass,
            short_leads: detected && short.mass >= config.short_min_evidence,
        }
    }
}

/// What one pass over a history gathers for taste evolution: the long- and short-term
/// profiles and the short-term taste vector (negative signals included, like the long one).
#[derive(Debug, Clone, Default)]
pub(crate) struct Evolution {
    pub long: Profile,
    pub short: Profile,
    short_taste: Taste,
}

impl Evolution {
    pub fn add(
        &mut self,
        f: &Features,
        style: &Style,
        sku: Option<&str>,
        kind_weight: f32,
        age_days: f64,
        config: &EngineConfig,
    ) {
        let long = kind_weight * decay(age_days, config.history_half_life_days);
        let short = kind_weight * decay(age_days, config.short_half_life_days);
        self.long.add(f, style, sku, long);
        self.short.add(f, style, sku, short);
        if short != 0.0 && short.is_finite() {
            self.short_taste.add(f, style, sku, short);
        }
    }

    pub fn drift(&self, config: &EngineConfig) -> Drift {
        Drift::between(&self.long, &self.short, config)
    }

    /// The taste scoring uses: the (normalized) long-run `taste` as it is, or blended
    /// toward the short-term taste by `short_lead_weight` when the short-term profile leads.
    pub fn lead(mut self, taste: Taste, config: &EngineConfig) -> Taste {
        if !self.drift(config).short_leads {
            return taste;
        }
        self.short_taste.normalize();
        taste.blend(&self.short_taste, config.short_lead_weight)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ColourFamily, Material, Shape, SignalKind};
    use crate::engine::features::Catalogue;
    use crate::engine::taste::Shopper;
    use crate::engine::testkit::{june, signal, StyleBuilder};

    /// Black acetate squares (the old taste) and gold titanium rounds (the new one).
    fn catalogue() -> Catalogue {
        let old = |id: &str| {
            StyleBuilder::new(id)
                .shape(Shape::Square)
                .material(Material::Acetate)
                .colourway("blk", ColourFamily::Black, &[("52", 5)])
                .build()
        };
        let new = |id: &str| {
            StyleBuilder::new(id)
                .shape(Shape::Round)
                .material(Material::Titanium)
                .colourway("gld", ColourFamily::Gold, &[("52", 5)])
                .build()
        };
        Catalogue::new(vec![
            old("sq1"),
            old("sq2"),
            old("sq3"),
            new("rd1"),
            new("rd2"),
            new("rd3"),
        ])
    }

    fn evolution(history: &[crate::domain::Signal], config: &EngineConfig) -> Evolution {
        let cat = catalogue();
        let now = june();
        let mut e = Evolution::default();
        for s in history {
            let i = cat.get(&s.style_id).unwrap();
            let age = (now - s.timestamp).num_seconds() as f64 / 86_400.0;
            let w = config.kind_weights.weight(s.kind);
            e.add(&cat.features[i], &cat.styles[i], None, w, age, config);
        }
        e
    }

    /// Months of squares, then (`recent` days ago and since) rounds.
    fn drifting(recent: &[i64]) -> Vec<crate::domain::Signal> {
        let mut h: Vec<_> = (20..80)
            .step_by(4)
            .map(|d| {
                signal(
                    SignalKind::TryOn,
                    ["sq1", "sq2", "sq3"][(d % 3) as usize],
                    june(),
                    d,
                )
            })
            .collect();
        for (n, d) in recent.iter().enumerate() {
            h.push(signal(
                SignalKind::Click,
                ["rd1", "rd2", "rd3"][n % 3],
                june(),
                *d,
            ));
        }
        h
    }

    #[test]
    fn when_profiles_are_built_should_share_positive_weight_per_attribute() {
        let config = EngineConfig::default();
        let e = evolution(&drifting(&[1, 2]), &config);
        for attribute in ATTRIBUTES {
            let shares = e.long.shares(attribute);
            let total: f32 = shares.iter().map(|(_, s)| s).sum();
            assert!((total - 1.0).abs() < 1e-4, "{attribute:?} {shares:?}");
            assert!(shares.windows(2).all(|w| w[0].1 >= w[1].1));
        }
        // Long term: the many old square try-ons lead; short term: the recent round clicks.
        assert_eq!(
            e.long.shares(TasteAttribute::Shape)[0].0,
            Shape::Square as u32
        );
        assert_eq!(
            e.short.shares(TasteAttribute::Shape)[0].0,
            Shape::Round as u32
        );
        assert!(e.short.mass < e.long.mass);
    }

    #[test]
    fn when_recent_signals_follow_another_taste_should_detect_drift_and_lead() {
        let config = EngineConfig::default();
        let drift = evolution(&drifting(&[0, 1, 2, 3]), &config).drift(&config);
        assert!(drift.detected, "{drift:?}");
        assert!(drift.short_leads, "{drift:?}");
        assert!(drift.per_attribute[0] > 0.5, "shape moved: {drift:?}");
        assert!(
            drift.per_attribute[5] < 1e-6,
            "one brand throughout: {drift:?}"
        );
    }

    #[test]
    fn when_shopper_is_steady_should_not_detect_drift() {
        let config = EngineConfig::default();
        // The same squares, old and recent.
        let mut h = drifting(&[]);
        for d in [0, 1, 2, 3] {
            h.push(signal(SignalKind::Click, "sq2", june(), d));
        }
        let drift = evolution(&h, &config).drift(&config);
        assert!(!drift.detected && !drift.short_leads, "{drift:?}");
        assert!(drift.distance < 0.05, "{drift:?}");
        assert!(drift.short_evidence >= config.short_min_evidence);
    }

    #[test]
    fn when_noise_is_allowed_recent_picks_on_one_of_two_old_tastes_should_not_read_as_drift() {
        // Months of squares and rounds alike, then three square clicks: a likely sample of
        // the same taste (about one chance in five), not a change of it.
        let mut h: Vec<_> = (20..80)
            .step_by(4)
            .map(|d| {
                let id = ["sq1", "rd1", "sq2", "rd2", "sq3", "rd3"][(d / 4 % 6) as usize];
                signal(SignalKind::TryOn, id, june(), d)
            })
            .collect();
        for (id, d) in [("sq1", 1), ("sq2", 2), ("sq3", 3)] {
            h.push(signal(SignalKind::Click, id, june(), d));
        }
        let raw = EngineConfig::default();
        let drift = evolution(&h, &raw).drift(&raw);
        assert!(drift.detected, "the raw distance crosses: {drift:?}");
        let config = EngineConfig {
            drift_noise: 1.0,
            ..EngineConfig::default()
        };
        let drift = evolution(&h, &config).drift(&config);
        assert!(drift.noise > 0.05, "{drift:?}");
        assert!(!drift.detected && !drift.short_leads, "{drift:?}");
        // The same few clicks on frames seldom chosen before are still a change.
        let moved = evolution(&drifting(&[0, 1, 2, 3]), &config).drift(&config);
        assert!(moved.detected && moved.short_leads, "{moved:?}");
    }

    #[test]
    fn when_recent_evidence_is_thin_should_detect_drift_but_not_lead() {
        let config = EngineConfig::default();
        // One round click today: different, but too little to follow.
        let drift = evolution(&drifting(&[0]), &config).drift(&config);
        assert!(drift.detected, "{drift:?}");
        assert!(drift.short_evidence < config.short_min_evidence);
        assert!(!drift.short_leads);
    }

    #[test]
    fn when_short_term_leads_should_raise_the_new_taste_in_scoring_and_only_then() {
        let cat = catalogue();
        let now = june();
        let round = &cat.features[cat.get("rd3").unwrap()];
        let square = &cat.features[cat.get("sq3").unwrap()];
        let score = |history: &[crate::domain::Signal], config: &EngineConfig| {
            let s = Shopper::new(None, history, now, &cat, config);
            (s.taste.affinity(round), s.taste.affinity(square))
        };
        let off = EngineConfig {
            taste_evolution: false,
            ..EngineConfig::default()
        };
        let on = EngineConfig::default();
        let history = drifting(&[0, 1, 2, 3]);
        let (round_off, square_off) = score(&history, &off);
        let (round_on, square_on) = score(&history, &on);
        assert!(
            square_off > round_off,
            "without evolution the old taste wins"
        );
        assert!(round_on > square_on, "with evolution the new taste wins");
        // Thin recent evidence: evolution changes nothing.
        let thin = drifting(&[0]);
        assert_eq!(score(&thin, &off), score(&thin, &on));
    }

    #[test]
    fn when_distributions_are_compared_should_measure_total_variation() {
        assert!(total_variation(&[(0, 1.0)], &[(0, 1.0)]) < 1e-6);
        assert!((total_variation(&[(0, 1.0)], &[(1, 1.0)]) - 1.0).abs() < 1e-6);
        let d = total_variation(&[(0, 0.5), (1, 0.5)], &[(0, 0.5), (2, 0.5)]);
        assert!((d - 0.5).abs() < 1e-6);
        let sum: f32 = ATTRIBUTES.iter().map(|a| a.drift_weight()).sum();
        assert!((sum - 1.0).abs() < 1e-6);
    }
}

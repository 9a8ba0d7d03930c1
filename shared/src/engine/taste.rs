//! The shopper as the engine sees them: history aggregated per style (weights decayed by
//! age), a taste vector over frame attributes, declared preferences and profile guidance.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::collaborative::WeightedItem;
use super::config::{decay, EngineConfig};
use super::evolution::{Evolution, TasteAttribute};
// Declared preferences live in their own file; scoring and reasons name them from here.
use super::features::{
    colour_index, size_class_index, Catalogue, Features, CATEGORIES, COLOURS, MATERIALS,
    PRICE_BANDS, RIMS, SHAPES, SIZE_CLASSES,
};
use super::fit::{age_fit, colour_harmony, face_shape_fit};
pub(crate) use super::preferences::{Declared, PreferenceMatch};
use crate::domain::{
    ColourFamily, ColourSeason, Customer, FaceShape, FrameColour, Signal, SignalKind, SizeClass,
    Style, Undertone,
};
use crate::optics::style::face_shape_of;

/// Everything one history style says about the shopper.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HistoryEntry {
    pub index: usize,
    /// Sum of kind weight x decay over the style's signals.
    pub weight: f32,
    /// The most committed positive kind seen (purchase beats view).
    pub kind: Option<SignalKind>,
    pub purchased: bool,
    pub returned: bool,
    pub dismissed: bool,
}

/// Attribute weights of the taste affinity; they sum to 1 so affinity is in [-1, 1].
/// Shape leads: it is what shoppers notice and return to first.
const A_SHAPE: f32 = 0.45;
const A_COLOUR: f32 = 0.15;
const A_MATERIAL: f32 = 0.10;
const A_PRICE: f32 = 0.08;
const A_CATEGORY: f32 = 0.08;
const A_BRAND: f32 = 0.06;
const A_RIM: f32 = 0.04;
const A_SIZE: f32 = 0.04;

/// Decayed signal weight per attribute value; after `normalize` each dimension is in
/// [-1, 1] with its strongest value at +-1.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Taste {
    shape: [f32; SHAPES],
    material: [f32; MATERIALS],
    rim: [f32; RIMS],
    colour: [f32; COLOURS],
    price: [f32; PRICE_BANDS],
    category: [f32; CATEGORIES],
    size: [f32; SIZE_CLASSES],
    brand: Vec<(u32, f32)>,
}

fn normalize(values: &mut [f32]) {
    let scale = values.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    if scale > 0.0 {
        values.iter_mut().for_each(|v| *v /= scale);
    }
}

/// Best value over the set bits of `mask`, 0 when no bit is set.
fn best_of_mask(values: &[f32], mask: u16) -> f32 {
    (0..values.len())
        .filter(|i| mask & (1 << i) != 0)
        .map(|i| values[i])
        .reduce(f32::max)
        .unwrap_or(0.0)
}

impl Taste {
    /// Adds one signal; the colour and size come from its SKU when known, else are spread
    /// over the style's colourways and sizes.
    pub(super) fn add(&mut self, f: &Features, style: &Style, sku: Option<&str>, w: f32) {
        self.shape[f.shape as usize] += w;
        self.material[f.material as usize] += w;
        self.rim[f.rim as usize] += w;
        self.price[f.price_band] += w;
        self.category[f.category as usize] += w;
        match self.brand.iter_mut().find(|(b, _)| *b == f.brand) {
            Some((_, v)) => *v += w,
            None => self.brand.push((f.brand, w)),
        }
        let variant = sku.and_then(|s| style.variant(s));
        match variant {
            Some((colourway, v)) => {
                self.colour[colour_index(colourway.colour.family)] += w;
                if let Some(size) = style.size(&v.size) {
                    self.size[size_class_index(size.size_class())] += w;
                }
            }
            None => {
                spread(&mut self.colour, u32::from(f.colours), w);
                spread(&mut self.size, u32::from(f.sizes), w);
            }
        }
    }

    pub(super) fn normalize(&mut self) {
        normalize(&mut self.shape);
        normalize(&mut self.material);
        normalize(&mut self.rim);
        normalize(&mut self.colour);
        normalize(&mut self.price);
        normalize(&mut self.category);
        normalize(&mut self.size);
        let scale = self.brand.iter().fold(0.0f32, |m, (_, v)| m.max(v.abs()));
        if scale > 0.0 {
            self.brand.iter_mut().for_each(|(_, v)| *v /= scale);
        }
    }

    /// Affinity of a style to this (normalized) taste, in [-1, 1].
    pub fn affinity(&self, f: &Features) -> f32 {
        let brand = self
            .brand
            .iter()
            .find(|(b, _)| *b == f.brand)
            .map_or(0.0, |(_, v)| *v);
        A_SHAPE * self.shape[f.shape as usize]
            + A_COLOUR * best_of_mask(&self.colour, f.colours)
            + A_MATERIAL * self.material[f.material as usize]
            + A_PRICE * self.price[f.price_band]
            + A_CATEGORY * self.category[f.category as usize]
            + A_BRAND * brand
            + A_RIM * self.rim[f.rim as usize]
            + A_SIZE * best_of_mask(&self.size, u16::from(f.sizes))
    }

    /// Shares of the positive weight over one attribute's values, largest first (ties by
    /// key); empty when nothing positive was seen. Keys are the attribute enum's index, or
    /// the interned brand.
    pub fn shares(&self, attribute: TasteAttribute) -> Vec<(u32, f32)> {
        let indexed =
            |values: &[f32]| -> Vec<(u32, f32)> { (0u32..).zip(values.iter().copied()).collect() };
        let raw = match attribute {
            TasteAttribute::Shape => indexed(&self.shape),
            TasteAttribute::Colour => indexed(&self.colour),
            TasteAttribute::Material => indexed(&self.material),
            TasteAttribute::Rim => indexed(&self.rim),
            TasteAttribute::PriceBand => indexed(&self.price),
            TasteAttribute::Brand => self.brand.clone(),
        };
        let total: f32 = raw.iter().map(|(_, v)| v.max(0.0)).sum();
        if !(total.is_finite() && total > 0.0) {
            return Vec::new();
        }
        let mut shares: Vec<(u32, f32)> = raw
            .into_iter()
            .filter(|(_, v)| *v > 0.0)
            .map(|(k, v)| (k, v / total))
            .collect();
        shares.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        shares
    }

    /// `(1 - weight) x self + weight x other`; of two normalized tastes, still in [-1, 1].
    pub fn blend(&self, other: &Taste, weight: f32) -> Taste {
        let keep = 1.0 - weight;
        let mix = |a: &mut [f32], b: &[f32]| {
            a.iter_mut()
                .zip(b)
                .for_each(|(x, y)| *x = keep * *x + weight * y);
        };
        let mut out = self.clone();
        mix(&mut out.shape, &other.shape);
        mix(&mut out.material, &other.material);
        mix(&mut out.rim, &other.rim);
        mix(&mut out.colour, &other.colour);
        mix(&mut out.price, &other.price);
        mix(&mut out.category, &other.category);
        mix(&mut out.size, &other.size);
        out.brand.iter_mut().for_each(|(_, v)| *v *= keep);
        for (brand, v) in &other.brand {
            match out.brand.iter_mut().find(|(b, _)| b == brand) {
                Some((_, x)) => *x += weight * v,
                None => out.brand.push((*brand, weight * v)),
            }
        }
        out
    }

    pub fn colour(&self, family: ColourFamily) -> f32 {
        self.colour[colour_index(family)]
    }

    /// The size class with the most positive weight, if any.
    pub fn size_class(&self) -> Option<SizeClass> {
        [SizeClass::Small, SizeClass::Medium, SizeClass::Large]
            .into_iter()
            .map(|c| (c, self.size[size_class_index(c)]))
            .filter(|(_, v)| *v > 0.0)
            .reduce(|a, b| if b.1 > a.1 { b } else { a })
            .map(|(c, _)| c)
    }
}

fn spread(values: &mut [f32], mask: u32, w: f32) {
    let n = mask.count_ones();
    if n == 0 {
        return;
    }
    let share = w / n as f32;
    for (i, v) in values.iter_mut().enumerate() {
        if mask & (1 << i) != 0 {
            *v += share;
        }
    }
}

/// Which piece of profile guidance a style follows best, for reason texts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ProfileMatch {
    FaceShape(FaceShape),
    /// The shopper's colouring and the index of the colourway that suits it best.
    Colouring(Option<Undertone>, Option<ColourSeason>, usize),
}

/// Mean of the profile guidances that apply (face shape declared or measured, colouring,
/// age band), in [-1, 1]. Face and colour rules live in [`crate::optics::style`].
pub(crate) fn profile_score(customer: &Customer, style: &Style) -> (f32, Option<ProfileMatch>) {
    let mut sum = 0.0f32;
    let mut n = 0u8;
    let mut best: Option<(f32, ProfileMatch)> = None;
    if let Some(face) = face_shape_of(customer) {
        let s = face_shape_fit(face, style.shape, style.rim);
        sum += s;
        n += 1;
        if s > 0.0 {
            best = Some((s, ProfileMatch::FaceShape(face)));
        }
    }
    if customer.undertone.is_some() || customer.colour_season.is_some() {
        let (index, s) = style
            .colourways
            .iter()
            .enumerate()
            .map(|(i, c)| (i, colour_harmony(customer, &c.colour)))
            .reduce(|a, b| if b.1 > a.1 { b } else { a })
            .unwrap_or((0, 0.0));
        sum += s;
        n += 1;
        if s > 0.5 && best.is_none_or(|(b, _)| s > b) {
            best = Some((
                s,
                ProfileMatch::Colouring(customer.undertone, customer.colour_season, index),
            ));
        }
    }
    if let Some(age) = customer.age_band {
        sum += age_fit(age, style.category);
        n += 1;
    }
    if n == 0 {
        (0.0, None)
    } else {
        (sum / f32::from(n), best.map(|(_, m)| m))
    }
}

/// The shopper: aggregated history, taste, declared preferences.
#[derive(Debug, Clone)]
pub(crate) struct Shopper<'a> {
    pub customer: Option<&'a Customer>,
    /// One entry per known history style, in order of most recent signal.
    pub items: Vec<HistoryEntry>,
    pub taste: Taste,
    pub declared: Declared,
    /// Sum of |weight| over items: how much the history says.
    pub mass: f32,
    /// Index into `items` of the most recent purchase.
    pub last_purchase: Option<usize>,
}

impl<'a> Shopper<'a> {
    pub fn new(
        customer: Option<&'a Customer>,
        history: &[Signal],
        now: DateTime<Utc>,
        catalogue: &Catalogue,
        config: &EngineConfig,
    ) -> Self {
        let mut items: Vec<HistoryEntry> = Vec::new();
        let mut position: HashMap<usize, usize> = HashMap::new();
        let mut taste = Taste::default();
        let mut last_purchase: Option<(DateTime<Utc>, usize)> = None;
        let mut evolution = Evolution::default();
        for signal in history {
            let Some(index) = catalogue.get(&signal.style_id) else {
                continue;
            };
            let age_days = (now - signal.timestamp).num_seconds() as f64 / 86_400.0;
            let kind_weight = config.kind_weights.weight(signal.kind);
            let w = kind_weight * decay(age_days, config.history_half_life_days);
            let slot = *position.entry(index).or_insert_with(|| {
                items.push(HistoryEntry {
                    index,
                    weight: 0.0,
                    kind: None,
                    purchased: false,
                    returned: false,
                    dismissed: false,
                });
                items.len() - 1
            });
            let entry = &mut items[slot];
            entry.weight += w;
            if signal.kind.is_positive()
                && entry
                    .kind
                    .is_none_or(|k| kind_weight > config.kind_weights.weight(k))
            {
                entry.kind = Some(signal.kind);
            }
            match signal.kind {
                SignalKind::Purchase => {
                    entry.purchased = true;
                    if last_purchase.is_none_or(|(t, _)| signal.timestamp > t) {
                        last_purchase = Some((signal.timestamp, slot));
                    }
                }
                SignalKind::Return => entry.returned = true,
                SignalKind::Dismiss => entry.dismissed = true,
                _ => {}
            }
            let style = &catalogue.styles[index];
            let features = &catalogue.features[index];
            if w != 0.0 && w.is_finite() {
                taste.add(features, style, signal.sku.as_deref(), w);
            }
            if config.taste_evolution {
                let sku = signal.sku.as_deref();
                evolution.add(features, style, sku, kind_weight, age_days, config);
            }
        }
        taste.normalize();
        // The recent taste leads only once it differs and says enough (see `evolution`).
        let taste = if config.taste_evolution {
            evolution.lead(taste, config)
        } else {
            taste
        };
        let mass = items
            .iter()
            .map(|e| e.weight.abs())
            .filter(|w| w.is_finite())
            .sum();
        Self {
            customer,
            items,
            taste,
            declared: Declared::new(customer, catalogue),
            mass,
            last_purchase: last_purchase.map(|(_, slot)| slot),
        }
    }

    /// How much to trust the personal terms, in [0, 1).
    pub fn confidence(&self, prior: f32) -> f32 {
        if self.mass > 0.0 {
            self.mass / (self.mass + prior)
        } else {
            0.0
        }
    }

    pub fn weighted(&self) -> Vec<WeightedItem> {
        self.items
            .iter()
            .map(|e| WeightedItem {
                index: e.index,
                weight: e.weight,
                kind: e.kind,
            })
            .collect()
    }

    /// Styles never to show this shopper: dismissed, returned, and as configured purchased
    /// or interacted with at all.
    pub fn blocked(&self, n: usize, config: &EngineConfig) -> Vec<bool> {
        let mut blocked = vec![false; n];
        for e in &self.items {
            if e.dismissed
                || e.returned
                || (config.exclude_purchased && e.purchased)
                || (config.exclude_interacted && e.kind.is_some())
            {
                blocked[e.index] = true;
            }
        }
        blocked
    }

    /// Preference for a frame colour: history taste, declared colours, undertone harmony.
    pub fn colour_score(&self, colour: &FrameColour) -> f32 {
        let declared = f32::from(u8::from(self.declared.likes_colour(colour.family)));
        let harmony = self
            .customer
            .map_or(0.0, |c| 0.3 * colour_harmony(c, colour));
        self.taste.colour(colour.family) + declared + harmony
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Shape, StylePreferences};
    use crate::engine::testkit::{june, signal, StyleBuilder};

    fn catalogue() -> Catalogue {
        Catalogue::new(vec![
            StyleBuilder::new("r1").shape(Shape::Round).build(),
            StyleBuilder::new("r2").shape(Shape::Round).build(),
            StyleBuilder::new("q1").shape(Shape::Square).build(),
        ])
    }

    #[test]
    fn when_history_has_purchases_should_aggregate_and_flag() {
        let cat = catalogue();
        let now = june();
        let history = vec![
            signal(SignalKind::View, "r1", now, 1),
            signal(SignalKind::Purchase, "r1", now, 2),
            signal(SignalKind::Dismiss, "q1", now, 3),
            signal(SignalKind::View, "unknown", now, 3),
        ];
        let s = Shopper::new(None, &history, now, &cat, &EngineConfig::default());
        assert_eq!(s.items.len(), 2);
        assert_eq!(s.items[0].kind, Some(SignalKind::Purchase));
        assert!(s.items[0].purchased);
        assert!(s.items[1].dismissed);
        assert_eq!(s.last_purchase, Some(0));
        let blocked = s.blocked(3, &EngineConfig::default());
        assert_eq!(
            blocked,
            vec![true, true, false],
            "q1 and r1 blocked, r2 free"
        );
    }

    #[test]
    fn when_history_favours_round_should_prefer_round_affinity() {
        let cat = catalogue();
        let now = june();
        let history = vec![
            signal(SignalKind::Purchase, "r1", now, 1),
            signal(SignalKind::Dismiss, "q1", now, 1),
        ];
        let s = Shopper::new(None, &history, now, &cat, &EngineConfig::default());
        let round = s.taste.affinity(&cat.features[cat.get("r2").unwrap()]);
        let square = s.taste.affinity(&cat.features[cat.get("q1").unwrap()]);
        assert!(round > square + 0.3, "round {round} square {square}");
    }

    #[test]
    fn when_old_signal_should_weigh_less() {
        let cat = catalogue();
        let now = june();
        let recent = Shopper::new(
            None,
            &[signal(SignalKind::View, "r1", now, 0)],
            now,
            &cat,
            &EngineConfig::default(),
        );
        let old = Shopper::new(
            None,
            &[signal(SignalKind::View, "r1", now, 60)],
            now,
            &cat,
            &EngineConfig::default(),
        );
        assert!((recent.mass - 1.0).abs() < 1e-3);
        assert!((old.mass - 0.25).abs() < 1e-3);
    }

    #[test]
    fn when_preferences_declared_should_score_matches_and_budget() {
        let cat = catalogue();
        let mut c = Customer::new("c1");
        c.preferences = StylePreferences {
            shapes: vec![Shape::Round],
            max_price_cents: Some(10_000),
            ..StylePreferences::default()
        };
        let d = Declared::new(Some(&c), &cat);
        let (round, m) = d.score(&cat.features[cat.get("r1").unwrap()], 9_000);
        assert!((round - 1.0).abs() < 1e-6);
        assert_eq!(m, Some(PreferenceMatch::Shape(Shape::Round)));
        let (square_expensive, _) = d.score(&cat.features[cat.get("q1").unwrap()], 50_000);
        assert!((square_expensive + 0.5).abs() < 1e-6);
    }
}

//! Seeded, deterministic demo data: catalogue, customers and taste-driven interactions.
//!
//! The generator follows `shared/docs/eyewear-domain.md` (sections 1, 2, 5, 6 and 7) so the
//! data looks like a mid-size online optical retailer. Every customer has a hidden [`Taste`];
//! their interactions are drawn from it, so tests and reports can measure whether
//! recommendations recover it. The same [`DemoConfig`] always gives the same [`DemoData`].

mod behaviour;
// The bundle showcase: demo lens prices and a shopper with a strong prescription.
mod bundles;
mod catalog;
mod customers;
mod drift;
mod feeds;
mod palette;
#[cfg(test)]
mod tests;

use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use rand::Rng;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma, Poisson, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::domain::{AgeBand, ColourFamily, Customer, Material, PriceBand, Shape, Style};
/// Demo interactions are rows of the interactions file format.
pub use crate::import::Interaction;
use crate::import::{self, ImportError};
pub use bundles::{
    lens_prices as demo_lens_prices, write_promotions, DEMO_PROMOTIONS, SHOWCASE_SPHERE,
};
pub use customers::{customer_id, shopper_name};
pub use drift::{is_drifting, DRIFTING_EVERY};
pub use feeds::{collections as demo_collections, trend_feed as demo_trend_feed, write_feeds};

/// Size, seed and time window of the generated data.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoConfig {
    /// Number of frame styles (default 1000).
    pub styles: usize,
    /// Number of customers (default 5000).
    pub customers: usize,
    /// Days of interaction history ending at `end` (default 180).
    pub days: u32,
    /// Random seed; the same config always produces the same data.
    pub seed: u64,
    /// End of the interaction window; launch dates are also relative to it.
    pub end: DateTime<Utc>,
}

impl Default for DemoConfig {
    /// The documented defaults with a fixed `end` (2025-10-01), so `default()` is
    /// reproducible; set `end: Utc::now()` for fresh-looking data.
    fn default() -> Self {
        Self {
            styles: 1000,
            customers: 5000,
            days: 180,
            seed: 42,
            end: Utc
                .with_ymd_and_hms(2025, 10, 1, 0, 0, 0)
                .single()
                .unwrap_or(DateTime::<Utc>::UNIX_EPOCH),
        }
    }
}

impl DemoConfig {
    /// A small data set (120 styles, 200 customers, 60 days) that generates in milliseconds,
    /// for tests in debug builds.
    pub fn small() -> Self {
        Self {
            styles: 120,
            customers: 200,
            days: 60,
            ..Self::default()
        }
    }
}

/// The hidden ground truth behind one customer's behaviour, written to `tastes.jsonl`
/// so evaluations can check how well recommendations recover it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Taste {
    pub customer_id: String,
    /// One or two favoured frame shapes.
    pub shapes: Vec<Shape>,
    /// One or two favoured colour families.
    pub colour_families: Vec<ColourFamily>,
    pub material: Material,
    pub price_band: PriceBand,
    /// 0..1: how strongly the shopper is drawn to sunglasses (scaled by the season).
    pub sun_affinity: f32,
    /// 0..1: interest in sport frames.
    pub sport_affinity: f32,
    /// Expected number of shopping sessions over the window (a few heavy shoppers).
    pub activity: f32,
    /// True age band, also for customers who did not declare one.
    pub age_band: AgeBand,
    /// For the drifting cohort ([`is_drifting`]): the taste they followed before it changed;
    /// the fields above are the taste they follow since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earlier: Option<EarlierTaste>,
}

/// A drifting shopper's taste before it changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EarlierTaste {
    /// When the taste changed: their signals before follow this taste, after it the new one.
    pub until: DateTime<Utc>,
    pub shapes: Vec<Shape>,
    pub colour_families: Vec<ColourFamily>,
    pub material: Material,
    pub price_band: PriceBand,
}

impl Taste {
    /// The taste the shopper followed at `t`: for the drifting cohort, the earlier one
    /// before it changed.
    pub fn at(&self, t: DateTime<Utc>) -> std::borrow::Cow<'_, Taste> {
        match &self.earlier {
            Some(e) if t < e.until => self.first(),
            _ => std::borrow::Cow::Borrowed(self),
        }
    }

    /// The taste the shopper started the window with: the earlier one for the drifting
    /// cohort, else this one.
    pub fn first(&self) -> std::borrow::Cow<'_, Taste> {
        match &self.earlier {
            None => std::borrow::Cow::Borrowed(self),
            Some(e) => std::borrow::Cow::Owned(Taste {
                shapes: e.shapes.clone(),
                colour_families: e.colour_families.clone(),
                material: e.material,
                price_band: e.price_band,
                earlier: None,
                ..self.clone()
            }),
        }
    }

    /// Whether a style fits this taste: its shape is favoured and either one of its
    /// colourways is in a favoured colour family or its material is the favoured one.
    pub fn matches(&self, style: &Style) -> bool {
        self.shapes.contains(&style.shape)
            && (style.material == self.material
                || style
                    .colourways
                    .iter()
                    .any(|c| self.colour_families.contains(&c.colour.family)))
    }
}

/// Everything the generator produces.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoData {
    /// Styles ordered by id.
    pub styles: Vec<Style>,
    /// Customers ordered by id.
    pub customers: Vec<Customer>,
    /// Interactions sorted by timestamp.
    pub interactions: Vec<Interaction>,
    /// One taste per customer, in customer order.
    pub tastes: Vec<Taste>,
}

/// Paths of the files written by [`write_dir`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoFiles {
    pub catalog: PathBuf,
    pub customers: PathBuf,
    pub interactions: PathBuf,
    pub tastes: PathBuf,
}

/// Generates the demo data. Deterministic: catalogue, customers and behaviour each use
/// their own ChaCha8 stream of `config.seed`, and no output depends on hash order.
pub fn generate(config: &DemoConfig) -> DemoData {
    let styles = catalog::generate_styles(&mut stream(config.seed, 1), config);
    let stats = customers::CatalogueStats::of(&styles);
    let (mut customers, mut tastes) =
        customers::generate_customers(&mut stream(config.seed, 2), config, &stats);
    bundles::showcase_strong_prescription(&mut customers);
    // The drifting cohort: its own streams, so the other shoppers' data does not change.
    if let Some(until) = drift::changed_at(config) {
        customers::drift_tastes(&mut stream(config.seed, 4), &stats, &mut tastes, until);
    }
    let interactions = behaviour::generate_interactions(
        &mut stream(config.seed, 3),
        &mut stream(config.seed, 5),
        config,
        &styles,
        &tastes,
    );
    DemoData {
        styles,
        customers,
        interactions,
        tastes,
    }
}

/// Writes `catalog.jsonl`, `customers.jsonl`, `interactions.csv` and `tastes.jsonl` into
/// `out` (created if missing), in the formats the `import` readers accept.
pub fn write_dir(data: &DemoData, out: &Path) -> Result<DemoFiles, ImportError> {
    std::fs::create_dir_all(out).map_err(|source| ImportError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    let files = DemoFiles {
        catalog: out.join("catalog.jsonl"),
        customers: out.join("customers.jsonl"),
        interactions: out.join("interactions.csv"),
        tastes: out.join("tastes.jsonl"),
    };
    import::write_jsonl(&files.catalog, &data.styles)?;
    import::write_jsonl(&files.customers, &data.customers)?;
    import::write_interactions_csv(&files.interactions, &data.interactions)?;
    import::write_jsonl(&files.tastes, &data.tastes)?;
    Ok(files)
}

// ---- small sampling helpers shared by the submodules ----

/// Every shape in declaration order, so `SHAPES[shape as usize] == shape`.
pub(crate) const SHAPES: [Shape; 11] = Shape::ALL;

/// Every colour family in declaration order.
pub(crate) const FAMILIES: [ColourFamily; 16] = ColourFamily::ALL;

/// Every material in declaration order.
pub(crate) const MATERIALS: [Material; 6] = Material::ALL;

/// Every price band in declaration order.
pub(crate) const BANDS: [PriceBand; 4] = PriceBand::ALL;

fn stream(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// Index drawn with probability proportional to `weights` (0 when all are zero).
pub(crate) fn weighted<R: Rng>(rng: &mut R, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().filter(|w| **w > 0.0).sum();
    if total <= 0.0 {
        return 0;
    }
    let mut r = rng.gen::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if *w > 0.0 {
            if r < *w {
                return i;
            }
            r -= w;
        }
    }
    weights.iter().rposition(|w| *w > 0.0).unwrap_or(0)
}

/// The item drawn with probability proportional to its weight.
pub(crate) fn pick<R: Rng, T: Copy>(rng: &mut R, items: &[(T, f64)]) -> T {
    let weights: Vec<f64> = items.iter().map(|(_, w)| *w).collect();
    items[weighted(rng, &weights)].0
}

/// Up to `k` distinct indices drawn without replacement, proportional to `weights`.
pub(crate) fn weighted_distinct<R: Rng>(rng: &mut R, weights: &[f64], k: usize) -> Vec<usize> {
    let mut remaining = weights.to_vec();
    let mut out = Vec::with_capacity(k);
    while out.len() < k && remaining.iter().any(|w| *w > 0.0) {
        let i = weighted(rng, &remaining);
        remaining[i] = 0.0;
        out.push(i);
    }
    out
}

pub(crate) fn normal<R: Rng>(rng: &mut R, mean: f64, sd: f64) -> f64 {
    let z: f64 = rng.sample(StandardNormal);
    mean + sd * z
}

/// Gamma draw parameterised by mean and standard deviation.
pub(crate) fn gamma<R: Rng>(rng: &mut R, mean: f64, sd: f64) -> f64 {
    let shape = (mean / sd).powi(2);
    let scale = sd * sd / mean;
    Gamma::new(shape, scale).map_or(mean, |g| g.sample(rng))
}

pub(crate) fn poisson<R: Rng>(rng: &mut R, lambda: f64) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    Poisson::new(lambda).map_or(0, |p| {
        let x: f64 = p.sample(rng);
        x.min(f64::from(u32::MAX)) as u32
    })
}

/// Rounds to the nearest 0.25 (dioptre steps).
pub(crate) fn quarter(x: f64) -> f32 {
    ((x * 4.0).round() / 4.0) as f32
}

/// Rounds to the nearest 0.5 (half-millimetre steps).
pub(crate) fn half(x: f64) -> f32 {
    ((x * 2.0).round() / 2.0) as f32
}

/// Rounds to half millimetres and keeps the result inside `valid`, a range the domain
/// validates (e.g. `FACE_LENGTH_MM`): the tails of the normal draws would otherwise produce,
/// in a large data set, a few records that `import` rejects.
pub(crate) fn half_within(x: f64, valid: &RangeInclusive<f32>) -> f32 {
    half(x).clamp(*valid.start(), *valid.end())
}

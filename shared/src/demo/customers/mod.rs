//! Customer generator: age, prescription (section 1), face and colouring (section 5),
//! the latent taste that drives behaviour, and declared preferences drawn from it.
//! This module draws each customer; `taste`, `appearance` and `prescription` hold
//! the parts.

mod appearance;
mod names;
mod prescription;
mod taste;

use chrono::{DateTime, Utc};
use rand::Rng;

use super::{pick, weighted, DemoConfig, Taste};
use crate::domain::{AgeBand, Category, Customer, FaceShape, Style, Undertone};
use appearance::{face_measurements, season};
use prescription::prescription;
use taste::{drift, preferences, taste};

pub use names::shopper_name;

/// Shares of shapes, colour families and materials in the generated catalogue, for adult
/// and children's frames, so tastes favour things the catalogue actually carries.
pub(crate) struct CatalogueStats {
    adult: Supply,
    kids: Supply,
}

#[derive(Default)]
struct Supply {
    shapes: [f64; 11],
    families: [f64; 16],
    materials: [f64; 6],
}

impl CatalogueStats {
    pub(crate) fn of(styles: &[Style]) -> Self {
        let mut adult = Supply::default();
        let mut kids = Supply::default();
        for style in styles {
            let s = if style.category == Category::Kids {
                &mut kids
            } else {
                &mut adult
            };
            s.shapes[style.shape as usize] += 1.0;
            s.materials[style.material as usize] += 1.0;
            for c in &style.colourways {
                s.families[c.colour.family as usize] += 1.0;
            }
        }
        // An empty side (tiny catalogues) falls back to flat weights over sensible options.
        if adult.shapes.iter().all(|w| *w == 0.0) {
            adult.shapes = [1.0; 11];
            adult.families = [1.0; 16];
            adult.materials = [1.0; 6];
        }
        if kids.shapes.iter().all(|w| *w == 0.0) {
            kids.shapes = [1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
            kids.families = [1.0; 16];
            kids.materials = [1.0, 1.0, 0.0, 0.0, 0.0, 0.0];
        }
        Self { adult, kids }
    }
}

/// Age bands with their shares and the ages they span (kids accounts about 5%).
const AGE_BANDS: [(AgeBand, f64, u32, u32); 10] = [
    (AgeBand::Child, 0.03, 4, 12),
    (AgeBand::Teen, 0.02, 13, 17),
    (AgeBand::Age18To29, 0.17, 18, 29),
    (AgeBand::Age30To39, 0.20, 30, 39),
    (AgeBand::Age40To44, 0.09, 40, 44),
    (AgeBand::Age45To49, 0.09, 45, 49),
    (AgeBand::Age50To54, 0.10, 50, 54),
    (AgeBand::Age55To59, 0.09, 55, 59),
    (AgeBand::Age60To64, 0.08, 60, 64),
    (AgeBand::Age65Plus, 0.13, 65, 85),
];

const FACE_SHAPES: [(FaceShape, f64); 7] = [
    (FaceShape::Oval, 0.30),
    (FaceShape::Round, 0.20),
    (FaceShape::Square, 0.15),
    (FaceShape::Oblong, 0.12),
    (FaceShape::Heart, 0.12),
    (FaceShape::Triangle, 0.06),
    (FaceShape::Diamond, 0.05),
];

const DECLARED_AGE: f64 = 0.9;
const DECLARED_FACE_SHAPE: f64 = 0.6;
const MEASURED_FACE: f64 = 0.3;
const DECLARED_UNDERTONE: f64 = 0.5;
const DECLARED_PREFERENCES: f64 = 0.25;

/// Generates customers `cu-00001`... and their tastes, in the same order.
pub(crate) fn generate_customers<R: Rng>(
    rng: &mut R,
    config: &DemoConfig,
    stats: &CatalogueStats,
) -> (Vec<Customer>, Vec<Taste>) {
    let band_weights: Vec<f64> = AGE_BANDS.iter().map(|b| b.1).collect();
    let mut customers = Vec::with_capacity(config.customers);
    let mut tastes = Vec::with_capacity(config.customers);
    for i in 0..config.customers {
        let id = customer_id(i);
        let (band, _, lo, hi) = AGE_BANDS[weighted(rng, &band_weights)];
        let age = rng.gen_range(lo..=hi);
        let female = rng.gen_bool(0.56);
        let face = pick(rng, &FACE_SHAPES);
        let undertone = pick(
            rng,
            &[
                (Undertone::Warm, 0.40),
                (Undertone::Cool, 0.35),
                (Undertone::Neutral, 0.25),
            ],
        );
        let taste = taste(rng, &id, band, face, undertone, stats, config.days);

        let mut customer = Customer::new(id);
        if rng.gen_bool(DECLARED_AGE) {
            customer.age_band = Some(band);
        }
        if rng.gen_bool(DECLARED_FACE_SHAPE) {
            customer.face_shape = Some(face);
        }
        if rng.gen_bool(MEASURED_FACE) {
            customer.face_measurements = Some(face_measurements(rng, face, band, female));
        }
        if rng.gen_bool(DECLARED_UNDERTONE) {
            customer.undertone = Some(undertone);
            if rng.gen_bool(0.75) {
                customer.colour_season = Some(season(rng, undertone));
            }
        }
        if rng.gen_bool(DECLARED_PREFERENCES) {
            customer.preferences = preferences(rng, &taste);
        }
        let rx_share = match age {
            0..=17 => 0.5,
            18..=39 => 0.55,
            _ => 0.72,
        };
        if rng.gen_bool(rx_share) {
            customer.prescription = Some(prescription(rng, age, band, female));
        }
        customers.push(customer);
        tastes.push(taste);
    }
    (customers, tastes)
}

/// Turns the tastes of the drifting cohort ([`crate::demo::is_drifting`]) into tastes that
/// changed at `until`.
pub(crate) fn drift_tastes<R: Rng>(
    rng: &mut R,
    stats: &CatalogueStats,
    tastes: &mut [Taste],
    until: DateTime<Utc>,
) {
    for (index, taste) in tastes.iter_mut().enumerate() {
        if crate::demo::is_drifting(index) {
            drift(rng, taste, stats, until);
        }
    }
}

/// The id of the `index`-th demo shopper (`cu-00001` first).
pub fn customer_id(index: usize) -> String {
    format!("cu-{:05}", index + 1)
}

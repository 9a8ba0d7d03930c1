//! The latent taste behind a customer's behaviour, drawn from what the catalogue carries
//! and pulled by face shape and undertone (eyewear-domain section 5), and the declared
//! preferences drawn from it.

use chrono::{DateTime, Utc};
use rand::Rng;

use super::CatalogueStats;
use crate::demo::{
    gamma, weighted, weighted_distinct, EarlierTaste, Taste, BANDS, FAMILIES, MATERIALS, SHAPES,
};
use crate::domain::{
    AgeBand, ColourFamily, FaceShape, Material, PriceBand, Shape, StylePreferences, Undertone,
};

/// Mean shopping sessions per customer over 180 days; scaled linearly with the window.
const SESSIONS_PER_180_DAYS: f64 = 3.6;

/// Face shapes favour frame shapes that contrast with them (section 5); this is how a
/// declared face shape carries signal about taste.
fn face_factor(face: FaceShape, shape: Shape) -> f64 {
    use Shape::*;
    match (face, shape) {
        (FaceShape::Round, Rectangle) => 1.6,
        (FaceShape::Round, Square) => 1.5,
        (FaceShape::Round, Geometric) => 1.4,
        (FaceShape::Round, Wayfarer) => 1.3,
        (FaceShape::Round, Round) => 0.5,
        (FaceShape::Square, Round | Oval) => 1.6,
        (FaceShape::Square, Square) => 0.5,
        (FaceShape::Square, Geometric) => 0.6,
        (FaceShape::Oblong, Aviator) => 1.4,
        (FaceShape::Oblong, Butterfly) => 1.3,
        (FaceShape::Oblong, Round | Square) => 1.2,
        (FaceShape::Oblong, Rectangle) => 0.6,
        (FaceShape::Heart, Aviator) => 1.5,
        (FaceShape::Heart, Butterfly) => 1.4,
        (FaceShape::Heart, Oval) => 1.2,
        (FaceShape::Heart, Browline) => 0.6,
        (FaceShape::Diamond, CatEye) => 1.6,
        (FaceShape::Diamond, Oval | Browline) => 1.4,
        (FaceShape::Triangle, CatEye | Browline) => 1.6,
        (FaceShape::Triangle, Wayfarer) => 1.2,
        (FaceShape::Triangle, Butterfly | Aviator) => 0.7,
        _ => 1.0,
    }
}

/// Undertone pulls colour preferences (section 5): warm toward gold, browns and tortoise,
/// cool toward silver, gunmetal, black and blue.
fn undertone_factor(undertone: Undertone, family: ColourFamily) -> f64 {
    use ColourFamily::*;
    match undertone {
        Undertone::Neutral => 1.0,
        Undertone::Warm => match family {
            Gold => 1.8,
            Brown => 1.7,
            Orange => 1.6,
            Tortoise => 1.5,
            Green | Red | Yellow => 1.3,
            Blue | Silver | Purple => 0.5,
            Gunmetal => 0.6,
            Grey => 0.7,
            Pink => 0.8,
            Black => 0.9,
            Clear | White => 1.0,
        },
        Undertone::Cool => match family {
            Silver => 1.8,
            Gunmetal | Blue => 1.6,
            Purple => 1.5,
            Grey => 1.4,
            Black | Pink => 1.3,
            Clear => 1.1,
            White => 1.0,
            Tortoise | Red => 0.9,
            Brown | Green => 0.5,
            Gold | Orange | Yellow => 0.4,
        },
    }
}

pub(super) fn taste<R: Rng>(
    rng: &mut R,
    id: &str,
    band: AgeBand,
    face: FaceShape,
    undertone: Undertone,
    stats: &CatalogueStats,
    days: u32,
) -> Taste {
    let kids = band == AgeBand::Child;
    let supply = if kids { &stats.kids } else { &stats.adult };
    let shape_w: Vec<f64> = SHAPES
        .iter()
        .map(|&s| supply.shapes[s as usize] * face_factor(face, s))
        .collect();
    let n_shapes = if rng.gen_bool(0.45) { 1 } else { 2 };
    let mut shapes: Vec<Shape> = weighted_distinct(rng, &shape_w, n_shapes)
        .into_iter()
        .map(|i| SHAPES[i])
        .collect();
    shapes.sort_unstable();
    let family_w: Vec<f64> = FAMILIES
        .iter()
        .map(|&f| supply.families[f as usize] * undertone_factor(undertone, f))
        .collect();
    let n_families = if rng.gen_bool(0.4) { 1 } else { 2 };
    let mut colour_families: Vec<ColourFamily> = weighted_distinct(rng, &family_w, n_families)
        .into_iter()
        .map(|i| FAMILIES[i])
        .collect();
    colour_families.sort_unstable();
    let material = MATERIALS[weighted(rng, &supply.materials)];
    let band_w: [f64; 4] = if band.is_child() {
        [0.6, 0.4, 0.0, 0.0]
    } else {
        [0.35, 0.35, 0.22, 0.08]
    };
    let mut price_band = BANDS[weighted(rng, &band_w)];
    if material == Material::Titanium && !band.is_child() && rng.gen_bool(0.3) {
        price_band = BANDS[(price_band as usize + 1).min(3)];
    }
    let u: f64 = rng.gen();
    let sun_affinity = if band.is_child() {
        0.5 * u
    } else {
        u.powf(1.1)
    };
    let sport_affinity = 0.05 + 0.9 * rng.gen::<f64>().powi(4);
    let mean_sessions = SESSIONS_PER_180_DAYS * f64::from(days) / 180.0;
    let activity = if mean_sessions > 0.0 {
        gamma(rng, mean_sessions, mean_sessions * 1.3)
    } else {
        0.0
    };
    Taste {
        customer_id: id.to_string(),
        shapes,
        colour_families,
        material,
        price_band,
        sun_affinity: sun_affinity as f32,
        sport_affinity: sport_affinity as f32,
        activity: activity as f32,
        age_band: band,
        earlier: None,
    }
}

/// Turns `taste` into a drifting one: what it was becomes `earlier` (until `until`), and the
/// shopper now favours other shapes, colour families and another material, drawn from what
/// the catalogue carries (the values of the earlier taste excluded), and a price band of
/// their own. A catalogue too small to offer other values keeps the earlier ones.
pub(super) fn drift<R: Rng>(
    rng: &mut R,
    taste: &mut Taste,
    stats: &CatalogueStats,
    until: DateTime<Utc>,
) {
    let supply = if taste.age_band.is_child() {
        &stats.kids
    } else {
        &stats.adult
    };
    let others = |weights: &[f64], taken: &[usize]| -> Vec<f64> {
        (0..weights.len())
            .map(|i| if taken.contains(&i) { 0.0 } else { weights[i] })
            .collect()
    };
    let taken: Vec<usize> = taste.shapes.iter().map(|s| *s as usize).collect();
    let mut shapes: Vec<Shape> =
        weighted_distinct(rng, &others(&supply.shapes, &taken), taste.shapes.len())
            .into_iter()
            .map(|i| SHAPES[i])
            .collect();
    let taken: Vec<usize> = taste.colour_families.iter().map(|f| *f as usize).collect();
    let mut families: Vec<ColourFamily> = weighted_distinct(
        rng,
        &others(&supply.families, &taken),
        taste.colour_families.len(),
    )
    .into_iter()
    .map(|i| FAMILIES[i])
    .collect();
    let material_w = others(&supply.materials, &[taste.material as usize]);
    let material = if material_w.iter().any(|w| *w > 0.0) {
        MATERIALS[weighted(rng, &material_w)]
    } else {
        taste.material
    };
    let band_w: [f64; 4] = if taste.age_band.is_child() {
        [0.6, 0.4, 0.0, 0.0]
    } else {
        [0.35, 0.35, 0.22, 0.08]
    };
    let price_band = BANDS[weighted(rng, &band_w)];
    if shapes.is_empty() {
        shapes = taste.shapes.clone();
    }
    if families.is_empty() {
        families = taste.colour_families.clone();
    }
    shapes.sort_unstable();
    families.sort_unstable();
    taste.earlier = Some(EarlierTaste {
        until,
        shapes: std::mem::replace(&mut taste.shapes, shapes),
        colour_families: std::mem::replace(&mut taste.colour_families, families),
        material: std::mem::replace(&mut taste.material, material),
        price_band: std::mem::replace(&mut taste.price_band, price_band),
    });
}

/// Declared preferences: a non-empty subset of the latent taste.
pub(super) fn preferences<R: Rng>(rng: &mut R, taste: &Taste) -> StylePreferences {
    let mut prefs = StylePreferences::default();
    if rng.gen_bool(0.8) {
        prefs.shapes = taste
            .shapes
            .iter()
            .copied()
            .filter(|_| rng.gen_bool(0.8))
            .collect();
    }
    if rng.gen_bool(0.6) {
        prefs.colour_families = taste
            .colour_families
            .iter()
            .copied()
            .filter(|_| rng.gen_bool(0.8))
            .collect();
    }
    if rng.gen_bool(0.4) {
        prefs.materials = vec![taste.material];
    }
    if rng.gen_bool(0.35) {
        prefs.max_price_cents = match taste.price_band {
            PriceBand::Budget => Some(9_900),
            PriceBand::Mid => Some(19_900),
            PriceBand::Premium => Some(39_900),
            PriceBand::Luxury => None,
        };
    }
    if prefs.is_empty() {
        prefs.shapes = taste.shapes.iter().copied().take(1).collect();
    }
    prefs
}

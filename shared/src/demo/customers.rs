//! Customer generator: age, prescription (section 1), face and colouring (section 5),
//! the latent taste that drives behaviour, and declared preferences drawn from it.

use rand::Rng;

use super::{
    gamma, half, normal, pick, quarter, weighted, weighted_distinct, DemoConfig, Taste, BANDS,
    FAMILIES, MATERIALS, SHAPES,
};
use crate::domain::{
    AgeBand, Category, ColourFamily, ColourSeason, Customer, EyeRx, FaceMeasurements, FaceShape,
    Material, Prescription, PriceBand, Prism, PrismBase, PupillaryDistance, Shape, Style,
    StylePreferences, Undertone,
};

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
/// Mean shopping sessions per customer over 180 days; scaled linearly with the window.
const SESSIONS_PER_180_DAYS: f64 = 3.6;

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
        let id = format!("cu-{:05}", i + 1);
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

fn taste<R: Rng>(
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
    }
}

/// Declared preferences: a non-empty subset of the latent taste.
fn preferences<R: Rng>(rng: &mut R, taste: &Taste) -> StylePreferences {
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

fn season<R: Rng>(rng: &mut R, undertone: Undertone) -> ColourSeason {
    match undertone {
        Undertone::Warm => pick(
            rng,
            &[(ColourSeason::Spring, 0.5), (ColourSeason::Autumn, 0.5)],
        ),
        Undertone::Cool => pick(
            rng,
            &[(ColourSeason::Summer, 0.5), (ColourSeason::Winter, 0.5)],
        ),
        Undertone::Neutral => pick(
            rng,
            &[
                (ColourSeason::Spring, 0.25),
                (ColourSeason::Summer, 0.25),
                (ColourSeason::Autumn, 0.25),
                (ColourSeason::Winter, 0.25),
            ],
        ),
    }
}

/// Relative forehead, cheekbone and jaw widths (the widest is 1) and length/width ratio.
fn face_proportions(face: FaceShape) -> (f64, f64, f64, f64) {
    match face {
        FaceShape::Oval => (0.90, 1.0, 0.80, 1.38),
        FaceShape::Round => (0.92, 1.0, 0.86, 1.10),
        FaceShape::Square => (0.96, 1.0, 0.95, 1.12),
        FaceShape::Oblong => (0.92, 1.0, 0.88, 1.55),
        FaceShape::Heart => (1.0, 0.97, 0.72, 1.30),
        FaceShape::Diamond => (0.80, 1.0, 0.76, 1.38),
        FaceShape::Triangle => (0.80, 0.95, 1.0, 1.28),
    }
}

/// Measurements consistent with the face shape: the widest of forehead, cheekbones and jaw
/// is the face width; the length follows the shape's length/width ratio.
fn face_measurements<R: Rng>(
    rng: &mut R,
    face: FaceShape,
    band: AgeBand,
    female: bool,
) -> FaceMeasurements {
    let width = match band {
        AgeBand::Child => normal(rng, 118.0, 5.0),
        AgeBand::Teen => normal(rng, 130.0, 5.0),
        _ if female => normal(rng, 134.0, 5.0),
        _ => normal(rng, 143.0, 5.0),
    }
    .clamp(100.0, 165.0);
    let (f, c, j, ratio) = face_proportions(face);
    let jitter = |rng: &mut R, v: f64| {
        if v >= 1.0 {
            1.0
        } else {
            (v + normal(rng, 0.0, 0.015)).min(0.99)
        }
    };
    let forehead = jitter(rng, f);
    let cheek = jitter(rng, c);
    let jaw = jitter(rng, j);
    let ratio = ratio + normal(rng, 0.0, 0.025);
    FaceMeasurements {
        face_width: half(width),
        face_length: half(width * ratio),
        forehead_width: Some(half(width * forehead)),
        cheekbone_width: Some(half(width * cheek)),
        jaw_width: Some(half(width * jaw)),
    }
}

#[derive(Clone, Copy)]
enum Refraction {
    Myope,
    Hyperope,
    Low,
}

/// A prescription per the section 1 generator defaults.
fn prescription<R: Rng>(rng: &mut R, age: u32, band: AgeBand, female: bool) -> Prescription {
    let class = pick(
        rng,
        &match age {
            0..=17 => [
                (Refraction::Myope, 0.60),
                (Refraction::Hyperope, 0.25),
                (Refraction::Low, 0.15),
            ],
            18..=39 => [
                (Refraction::Myope, 0.68),
                (Refraction::Hyperope, 0.08),
                (Refraction::Low, 0.24),
            ],
            40..=59 => [
                (Refraction::Myope, 0.52),
                (Refraction::Hyperope, 0.18),
                (Refraction::Low, 0.30),
            ],
            _ => [
                (Refraction::Myope, 0.35),
                (Refraction::Hyperope, 0.35),
                (Refraction::Low, 0.30),
            ],
        },
    );
    let child = age < 18;
    let od_sph = match class {
        Refraction::Myope => {
            let (mean, sd) = if child { (1.5, 1.2) } else { (2.3, 2.0) };
            f64::from(quarter(-gamma(rng, mean, sd))).clamp(-12.0, -0.25)
        }
        Refraction::Hyperope => {
            let (mean, sd) = if child { (1.5, 1.0) } else { (1.2, 1.0) };
            f64::from(quarter(gamma(rng, mean, sd))).clamp(0.25, 8.0)
        }
        Refraction::Low => pick(
            rng,
            &[
                (-0.75, 1.0),
                (-0.5, 1.0),
                (-0.25, 1.0),
                (0.0, 3.0),
                (0.25, 1.0),
                (0.5, 1.0),
            ],
        ),
    };
    // Anisometropia grows with the power; SE of the two eyes correlates at about 0.9.
    let os_sph =
        f64::from(quarter(od_sph + normal(rng, 0.0, 0.3 + 0.1 * od_sph.abs()))).clamp(-12.0, 8.0);
    let od_cyl = cylinder(rng);
    let os_cyl = if rng.gen_bool(0.7) {
        od_cyl
    } else if od_cyl == 0.0 {
        if rng.gen_bool(0.15) {
            -0.25
        } else {
            0.0
        }
    } else {
        (od_cyl + pick(rng, &[(-0.25, 1.0), (0.25, 1.0)])).clamp(-6.0, 0.0)
    };
    let od_axis = axis(rng, age);
    // The two eyes are roughly mirror-symmetric about the vertical meridian.
    let os_axis = wrap_axis(180.0 - f64::from(od_axis) + normal(rng, 0.0, 8.0));
    let add = add_power(rng, band);
    let os_add = add.map(|a| {
        if rng.gen_bool(0.05) {
            (a + 0.25).min(3.5)
        } else {
            a
        }
    });
    let prism = rng.gen_bool(0.01).then(|| Prism {
        amount: pick(
            rng,
            &[(0.5, 3.0), (1.0, 3.0), (1.5, 2.0), (2.0, 1.0), (3.0, 1.0)],
        ),
        base: pick(
            rng,
            &[
                (PrismBase::In, 1.0),
                (PrismBase::Out, 1.0),
                (PrismBase::Up, 1.0),
                (PrismBase::Down, 1.0),
            ],
        ),
    });
    let (mut od_sph, mut os_sph) = (od_sph as f32, os_sph as f32);
    if od_sph == 0.0 && os_sph == 0.0 && od_cyl == 0.0 && os_cyl == 0.0 && add.is_none() {
        // A prescription with no power at all is not an order anyone places.
        od_sph = -0.5;
        os_sph = -0.5;
    }
    let pd = pupillary_distance(rng, band, female);
    let fitting_height = if add.is_some() && rng.gen_bool(0.3) {
        Some(f32::from(rng.gen_range(32u8..=48)) / 2.0)
    } else {
        None
    };
    Prescription {
        od: EyeRx {
            sph: od_sph,
            cyl: od_cyl,
            axis: (od_cyl != 0.0).then_some(od_axis),
            add,
            prism,
        },
        os: EyeRx {
            sph: os_sph,
            cyl: os_cyl,
            axis: (os_cyl != 0.0).then_some(os_axis),
            add: os_add,
            prism,
        },
        pd,
        fitting_height,
    }
}

/// Minus cylinder: 0 for 40%, -0.25..-0.75 for 25%, -1.00..-2.00 for 28%, beyond for 7%.
fn cylinder<R: Rng>(rng: &mut R) -> f32 {
    let steps = |rng: &mut R, lo: u32, hi: u32| -(rng.gen_range(lo..=hi) as f32) / 4.0;
    match weighted(rng, &[0.40, 0.25, 0.28, 0.07]) {
        0 => 0.0,
        1 => steps(rng, 1, 3),
        2 => steps(rng, 4, 8),
        _ if rng.gen_bool(0.9) => steps(rng, 9, 16),
        _ => steps(rng, 17, 24),
    }
}

/// With-the-rule (180 +/- 30) when young, against-the-rule (90 +/- 30) from 40; some oblique.
fn axis<R: Rng>(rng: &mut R, age: u32) -> u16 {
    if rng.gen_bool(0.2) {
        return rng.gen_range(1..=180);
    }
    let centre = if age < 40 { 180.0 } else { 90.0 };
    wrap_axis(normal(rng, centre, 15.0))
}

/// Maps any angle to an axis in 1..=180 (0 and 180 are the same meridian).
fn wrap_axis(degrees: f64) -> u16 {
    let a = degrees.round() as i64;
    ((a - 1).rem_euclid(180) + 1) as u16
}

/// Reading addition by age band: none before 40, then rising to about +3.00 (section 1).
fn add_power<R: Rng>(rng: &mut R, band: AgeBand) -> Option<f32> {
    let (p, values): (f64, &[f32]) = match band {
        AgeBand::Age40To44 => (0.5, &[0.75, 1.0]),
        AgeBand::Age45To49 => (0.85, &[1.0, 1.25, 1.5]),
        AgeBand::Age50To54 => (0.98, &[1.5, 1.75, 2.0]),
        AgeBand::Age55To59 => (0.98, &[2.0, 2.25, 2.5]),
        AgeBand::Age60To64 => (0.98, &[2.5, 2.75]),
        AgeBand::Age65Plus => (0.98, &[2.75, 3.0, 2.75, 3.0, 3.0, 3.25]),
        _ => return None,
    };
    rng.gen_bool(p)
        .then(|| values[rng.gen_range(0..values.len())])
}

/// PD ~ N(61.7, 3.5) for women and N(64.0, 3.5) for men; children 43-58 (section 1).
/// One in five customers gives monocular PDs.
fn pupillary_distance<R: Rng>(rng: &mut R, band: AgeBand, female: bool) -> PupillaryDistance {
    let pd = match band {
        AgeBand::Child => normal(rng, 51.0, 3.0).clamp(43.0, 58.0),
        AgeBand::Teen => normal(rng, 58.0, 3.0).clamp(50.0, 66.0),
        _ if female => normal(rng, 61.7, 3.5).clamp(50.0, 75.0),
        _ => normal(rng, 64.0, 3.5).clamp(50.0, 75.0),
    };
    if rng.gen_bool(0.2) {
        let od = f64::from(half(pd / 2.0 + normal(rng, 0.0, 0.4)));
        let os = f64::from(half(pd - od));
        PupillaryDistance::Monocular {
            od: od as f32,
            os: os as f32,
        }
    } else {
        PupillaryDistance::Binocular(half(pd))
    }
}

#[cfg(test)]
mod tests {
    use super::wrap_axis;

    #[test]
    fn when_axis_wraps_should_stay_in_1_to_180() {
        assert_eq!(wrap_axis(0.0), 180);
        assert_eq!(wrap_axis(181.0), 1);
        assert_eq!(wrap_axis(-5.0), 175);
        assert_eq!(wrap_axis(90.0), 90);
        assert_eq!(wrap_axis(360.0), 180);
    }
}

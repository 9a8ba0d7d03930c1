//! Declared appearance: colour season from the undertone and face measurements consistent
//! with the face shape (eyewear-domain section 5).

use rand::Rng;

use crate::demo::{half_within, normal, pick};
use crate::domain::{
    AgeBand, ColourSeason, FaceMeasurements, FaceShape, Undertone, CHEEKBONE_WIDTH_MM,
    FACE_LENGTH_MM, FACE_WIDTH_MM, FOREHEAD_WIDTH_MM, JAW_WIDTH_MM,
};

pub(super) fn season<R: Rng>(rng: &mut R, undertone: Undertone) -> ColourSeason {
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
/// is the face width; the length follows the shape's length/width ratio. Every value stays
/// inside the range `Customer::validate` accepts (a narrow child's round face would
/// otherwise come out shorter than the 120 mm minimum about once in 8,000 customers).
pub(super) fn face_measurements<R: Rng>(
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
        face_width: half_within(width, &FACE_WIDTH_MM),
        face_length: half_within(width * ratio, &FACE_LENGTH_MM),
        forehead_width: Some(half_within(width * forehead, &FOREHEAD_WIDTH_MM)),
        cheekbone_width: Some(half_within(width * cheek, &CHEEKBONE_WIDTH_MM)),
        jaw_width: Some(half_within(width * jaw, &JAW_WIDTH_MM)),
    }
}

//! Frame and lens-blank geometry (domain brief section 2): decentration, minimum blank size
//! and the sag-formula thickness estimate. Only arithmetic: the frame rules judge these
//! numbers, and the lens advice reports them through the frame check.

use serde::Serialize;
use utoipa::ToSchema;

use super::rx::RxSummary;
use crate::domain::{FrameSize, LensMaterial};

/// Decentration per eye d = (A + DBL - PD) / 2 (binocular PD).
pub fn decentration(size: &FrameSize, pd: f32) -> f32 {
    (size.lens_width + size.bridge - pd) / 2.0
}

/// Largest per-eye decentration with monocular PDs: d_eye = (A + DBL)/2 - monoPD.
pub fn max_decentration(size: &FrameSize, mono_pd: (f32, f32)) -> f32 {
    let half = size.frame_pd() / 2.0;
    (half - mono_pd.0).abs().max((half - mono_pd.1).abs())
}

/// Minimum blank size MBS = ED + 2d + 2 (d per eye, not the total).
pub fn min_blank_size(effective_diameter: f32, decentration_per_eye: f32) -> f32 {
    effective_diameter + 2.0 * decentration_per_eye.abs() + 2.0
}

/// Sag of a surface of power `power` at semi-diameter `y` (mm): y^2 |F| / (2000 (n - 1)).
pub fn sag(y: f32, power: f32, index: f32) -> f32 {
    y * y * power.abs() / (2000.0 * (index - 1.0))
}

/// Estimated lens thickness in a frame (mm).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Thickness {
    pub centre: f32,
    /// Thickest edge point (temporal edge for minus lenses).
    pub edge: f32,
}

/// Thickness from the strongest minus and plus meridians, the farthest edge point
/// (ED/2 + d), the material's minimum centre thickness and the mounting's minimum edge.
pub fn thickness(
    summary: &RxSummary,
    size: &FrameSize,
    decentration_per_eye: f32,
    material: LensMaterial,
    min_edge: f32,
) -> Thickness {
    let y = size.effective_diameter / 2.0 + decentration_per_eye.abs();
    let n = material.index();
    let minus = -summary.strongest_minus;
    let plus = summary.strongest_plus;
    let ct_min = material.min_centre_thickness();
    let centre = if plus > 0.0 {
        (min_edge + sag(y, plus, n)).max(ct_min)
    } else {
        ct_min
    };
    let edge = if minus > 0.0 {
        centre + sag(y, minus, n)
    } else {
        (centre - sag(y, plus, n)).max(min_edge)
    };
    Thickness { centre, edge }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optics::testutil::{rx, size};

    #[test]
    fn when_minus_4_in_eye_size_50_should_match_calibration_points() {
        // Eye size 50, DBL 20, ED 52, PD 62: y = 26 + 4 = 30 mm.
        let s = size("50", 50.0, 20.0, 36.0, 52.0);
        let summary = RxSummary::of(&rx(-4.0, 0.0, None, 62.0));
        let d = max_decentration(&s, summary.mono_pd);
        assert_eq!(d, 4.0);
        for (material, expected) in [
            (LensMaterial::Cr39, 5.6),
            (LensMaterial::Index156, 4.7),
            (LensMaterial::Index160, 4.5),
            (LensMaterial::Polycarbonate, 4.5),
            (LensMaterial::Trivex, 4.8),
            (LensMaterial::Index167, 4.1),
            (LensMaterial::Index174, 3.9),
        ] {
            let t = thickness(&summary, &s, d, material, 1.0);
            assert!(
                (t.edge - expected).abs() <= 0.4,
                "{material:?}: {} vs {expected}",
                t.edge
            );
        }
    }

    #[test]
    fn when_sag_formula_should_match_hand_computation() {
        // y = 25, F = 4, n = 1.5: 625 * 4 / 1000 = 2.5 mm.
        assert!((sag(25.0, -4.0, 1.5) - 2.5).abs() < 1e-5);
    }

    #[test]
    fn when_high_plus_should_compute_centre_thickness_from_min_edge() {
        let s = size("50", 50.0, 20.0, 36.0, 52.0);
        let summary = RxSummary::of(&rx(4.0, 0.0, None, 70.0));
        let t = thickness(&summary, &s, 0.0, LensMaterial::Index160, 1.0);
        // y = 26: sag = 676 * 4 / 1200 = 2.25; CT = 1.0 + 2.25.
        assert!((t.centre - 3.2533).abs() < 0.01, "{}", t.centre);
        assert!((t.edge - 1.0).abs() < 0.01);
    }
}

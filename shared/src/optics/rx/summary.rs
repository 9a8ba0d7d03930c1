//! The values derived from a prescription that the frame and lens rules need.

use super::normal_form::normalise;
use crate::domain::{EyeRx, Prescription, PupillaryDistance};

/// Anisometropia above this (D of spherical equivalent between the eyes) is flagged.
pub const ANISOMETROPIA_FLAG: f32 = 2.0;

/// Values derived from a (normalised) prescription. Health data: `Debug` is redacted.
#[derive(Clone, Copy, PartialEq)]
pub struct RxSummary {
    /// max(|SPH|, |SPH + CYL|) over both eyes: drives material and frame rules.
    pub max_meridian_power: f32,
    /// Most negative principal meridian over both eyes (0 when none is minus).
    pub strongest_minus: f32,
    /// Most positive principal meridian over both eyes (0 when none is plus).
    pub strongest_plus: f32,
    /// Largest |CYL| of the two eyes.
    pub max_cyl: f32,
    /// Spherical equivalent SPH + CYL/2, right and left.
    pub se_od: f32,
    pub se_os: f32,
    /// |SE right - SE left|.
    pub anisometropia: f32,
    /// Anisometropia above 2.00 D: steer away from rimless frames.
    pub anisometropic: bool,
    /// Largest ADD of the two eyes (0 without one).
    pub add: f32,
    pub has_prism: bool,
    /// Largest prism amount (prism dioptres).
    pub max_prism: f32,
    pub binocular_pd: f32,
    /// Monocular PDs (right, left); half the binocular PD each when only that is known.
    pub mono_pd: (f32, f32),
}

impl std::fmt::Debug for RxSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RxSummary(<redacted>)")
    }
}

impl RxSummary {
    pub fn of(rx: &Prescription) -> Self {
        let rx = normalise(rx);
        let eyes = [&rx.od, &rx.os];
        let meridians = eyes.iter().flat_map(|e| [e.sph, e.sph + e.cyl]);
        let strongest_minus = meridians.clone().fold(0.0f32, f32::min);
        let strongest_plus = meridians.fold(0.0f32, f32::max);
        let se = |e: &EyeRx| e.sph + e.cyl / 2.0;
        let (se_od, se_os) = (se(&rx.od), se(&rx.os));
        let anisometropia = (se_od - se_os).abs();
        let add = eyes.iter().filter_map(|e| e.add).fold(0.0f32, f32::max);
        let max_prism = eyes
            .iter()
            .filter_map(|e| e.prism.map(|p| p.amount))
            .fold(0.0f32, f32::max);
        let mono_pd = match rx.pd {
            PupillaryDistance::Binocular(pd) => (pd / 2.0, pd / 2.0),
            PupillaryDistance::Monocular { od, os } => (od, os),
        };
        Self {
            max_meridian_power: rx.max_meridian_power(),
            strongest_minus,
            strongest_plus,
            max_cyl: eyes.iter().map(|e| e.cyl.abs()).fold(0.0, f32::max),
            se_od,
            se_os,
            anisometropia,
            anisometropic: anisometropia > ANISOMETROPIA_FLAG + 1e-3,
            add,
            has_prism: max_prism > 0.0,
            max_prism,
            binocular_pd: rx.pd.binocular(),
            mono_pd,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eye(sph: f32, cyl: f32, axis: Option<u16>) -> EyeRx {
        EyeRx {
            sph,
            cyl,
            axis,
            add: None,
            prism: None,
        }
    }

    #[test]
    fn when_summarising_should_derive_se_max_meridian_and_anisometropia() {
        let rx = Prescription {
            od: eye(-1.0, -1.0, Some(180)),
            os: eye(-4.0, 0.0, None),
            pd: PupillaryDistance::Binocular(62.0),
            fitting_height: None,
        };
        let s = RxSummary::of(&rx);
        assert_eq!(s.se_od, -1.5);
        assert_eq!(s.se_os, -4.0);
        assert_eq!(s.max_meridian_power, 4.0);
        assert_eq!(s.strongest_minus, -4.0);
        assert!(s.anisometropic, "2.5 D difference is flagged");
        assert_eq!(format!("{s:?}"), "RxSummary(<redacted>)");
    }
}

//! Shoppers: demographics, face and colouring, declared tastes and an optional prescription.
//! The prescription is health data: its `Debug` output is redacted so it never reaches a log.

use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::catalog::{check_id, Category, ColourFamily, Material, RimType, Shape};
use crate::error::{FieldError, ValidationErrors};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
pub enum AgeBand {
    #[serde(rename = "0-12")]
    Child,
    #[serde(rename = "13-17")]
    Teen,
    #[serde(rename = "18-29")]
    Age18To29,
    #[serde(rename = "30-39")]
    Age30To39,
    #[serde(rename = "40-44")]
    Age40To44,
    #[serde(rename = "45-49")]
    Age45To49,
    #[serde(rename = "50-54")]
    Age50To54,
    #[serde(rename = "55-59")]
    Age55To59,
    #[serde(rename = "60-64")]
    Age60To64,
    #[serde(rename = "65+")]
    Age65Plus,
}

impl AgeBand {
    pub fn is_child(self) -> bool {
        matches!(self, Self::Child | Self::Teen)
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FaceShape {
    Oval,
    Round,
    Square,
    Oblong,
    Heart,
    Diamond,
    Triangle,
}

// The validated ranges below are the one definition of what a profile may hold: validation
// checks them, error messages quote them and the demo generator draws inside them.

/// Face width (the widest of forehead, cheekbones and jaw), mm: small child to large adult.
pub const FACE_WIDTH_MM: RangeInclusive<f32> = 90.0..=180.0;
/// Face length, hairline to chin, mm.
pub const FACE_LENGTH_MM: RangeInclusive<f32> = 120.0..=260.0;
pub const FOREHEAD_WIDTH_MM: RangeInclusive<f32> = 70.0..=180.0;
pub const CHEEKBONE_WIDTH_MM: RangeInclusive<f32> = 80.0..=180.0;
pub const JAW_WIDTH_MM: RangeInclusive<f32> = 60.0..=170.0;

/// Largest sphere power (either sign) in minus-cylinder form, dioptres.
pub const SPHERE_LIMIT_D: f32 = 20.0;
/// Largest cylinder power (either sign), dioptres.
pub const CYLINDER_LIMIT_D: f32 = 6.0;
/// Reading addition, dioptres.
pub const ADD_D: RangeInclusive<f32> = 0.75..=3.5;
/// Largest prism, prism dioptres (above zero).
pub const PRISM_LIMIT_D: f32 = 10.0;
pub const BINOCULAR_PD_MM: RangeInclusive<f32> = 40.0..=80.0;
/// Each eye of a monocular PD.
pub const MONOCULAR_PD_MM: RangeInclusive<f32> = 20.0..=40.0;
pub const FITTING_HEIGHT_MM: RangeInclusive<f32> = 10.0..=40.0;

/// Face measurements in millimetres, as a client-side landmark detector would report them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FaceMeasurements {
    pub face_width: f32,
    pub face_length: f32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forehead_width: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cheekbone_width: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jaw_width: Option<f32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Undertone {
    Warm,
    Cool,
    Neutral,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ColourSeason {
    Spring,
    Summer,
    Autumn,
    Winter,
}

/// What a shopper told us they like; every list is optional and empty means "no preference".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct StylePreferences {
    pub shapes: Vec<Shape>,
    pub materials: Vec<Material>,
    pub colour_families: Vec<ColourFamily>,
    pub rims: Vec<RimType>,
    pub brands: Vec<String>,
    pub categories: Vec<Category>,
    #[serde(skip_serializing_if = "Option::is_none")]
    // utoipa documents u32 as int32 (too small); its uint32 spells "u-int32" (utoipa#1527).
    #[schema(format = "uint32")]
    pub max_price_cents: Option<u32>,
}

impl StylePreferences {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum PrismBase {
    In,
    Out,
    Up,
    Down,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Prism {
    pub amount: f32,
    pub base: PrismBase,
}

/// One eye of a prescription, as written (either cylinder sign is accepted).
#[derive(Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EyeRx {
    pub sph: f32,
    #[serde(default)]
    pub cyl: f32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub axis: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prism: Option<Prism>,
}

/// Binocular PD (`63`) or monocular PDs (`{"od": 31.5, "os": 31.5}`).
#[derive(Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum PupillaryDistance {
    Binocular(f32),
    Monocular { od: f32, os: f32 },
}

impl PupillaryDistance {
    pub fn binocular(self) -> f32 {
        match self {
            Self::Binocular(pd) => pd,
            Self::Monocular { od, os } => od + os,
        }
    }
}

/// A spectacle prescription (health data: encrypted at rest, never logged).
// `Debug` is redacted; stores seal it behind the profile port (`crate::sealing`).
#[derive(Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Prescription {
    pub od: EyeRx,
    pub os: EyeRx,
    pub pd: PupillaryDistance,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fitting_height: Option<f32>,
}

impl std::fmt::Debug for Prescription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Prescription(<redacted>)")
    }
}

impl std::fmt::Debug for EyeRx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EyeRx(<redacted>)")
    }
}

impl std::fmt::Debug for PupillaryDistance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PupillaryDistance(<redacted>)")
    }
}

impl Prescription {
    /// Largest absolute power over both eyes and both principal meridians.
    pub fn max_meridian_power(&self) -> f32 {
        [&self.od, &self.os]
            .iter()
            .map(|e| e.sph.abs().max((e.sph + e.cyl).abs()))
            .fold(0.0, f32::max)
    }

    pub fn has_add(&self) -> bool {
        [&self.od, &self.os]
            .iter()
            .any(|e| e.add.is_some_and(|a| a > 0.0))
    }

    /// Basic range and step checks; the optics work extends these (transposition, notation).
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = Vec::new();
        for (name, eye) in [("od", &self.od), ("os", &self.os)] {
            validate_eye(&mut errors, name, eye);
        }
        let pd_ok = match self.pd {
            PupillaryDistance::Binocular(pd) => BINOCULAR_PD_MM.contains(&pd),
            PupillaryDistance::Monocular { od, os } => {
                MONOCULAR_PD_MM.contains(&od) && MONOCULAR_PD_MM.contains(&os)
            }
        };
        if !pd_ok {
            errors.push(FieldError::new(
                "pd",
                format!(
                    "binocular PD must be {}-{} mm, monocular {}-{} mm per eye",
                    BINOCULAR_PD_MM.start(),
                    BINOCULAR_PD_MM.end(),
                    MONOCULAR_PD_MM.start(),
                    MONOCULAR_PD_MM.end()
                ),
            ));
        }
        if let Some(fh) = self.fitting_height {
            if !FITTING_HEIGHT_MM.contains(&fh) {
                errors.push(FieldError::new(
                    "fitting_height",
                    format!(
                        "must be {}-{} mm",
                        FITTING_HEIGHT_MM.start(),
                        FITTING_HEIGHT_MM.end()
                    ),
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(errors))
        }
    }
}

fn is_quarter_step(v: f32) -> bool {
    v.is_finite() && ((v * 4.0).round() - v * 4.0).abs() < 1e-3
}

fn validate_eye(errors: &mut Vec<FieldError>, name: &str, eye: &EyeRx) {
    let cyl_ok = is_quarter_step(eye.cyl) && eye.cyl.abs() <= CYLINDER_LIMIT_D;
    // The sphere range is checked in minus-cylinder form (plus cylinder transposes to
    // SPH + CYL), the form prescriptions are stored in: a lens is then valid or not whichever
    // way it is written, and a stored prescription always passes again.
    let minus_cyl_sph = if cyl_ok && eye.cyl > 0.0 {
        eye.sph + eye.cyl
    } else {
        eye.sph
    };
    if !is_quarter_step(eye.sph) || minus_cyl_sph.abs() > SPHERE_LIMIT_D {
        let message = if minus_cyl_sph == eye.sph {
            format!("must be within +/-{SPHERE_LIMIT_D:.2} in 0.25 steps")
        } else {
            format!(
                "must be within +/-{SPHERE_LIMIT_D:.2} in 0.25 steps in minus-cylinder form \
                 (here {minus_cyl_sph:+.2})"
            )
        };
        errors.push(FieldError::new(format!("{name}.sph"), message));
    }
    if !cyl_ok {
        errors.push(FieldError::new(
            format!("{name}.cyl"),
            format!("must be within +/-{CYLINDER_LIMIT_D:.2} in 0.25 steps"),
        ));
    }
    match (eye.cyl != 0.0, eye.axis) {
        (true, None) => errors.push(FieldError::new(
            format!("{name}.axis"),
            "required when cyl is not zero",
        )),
        (false, Some(_)) => errors.push(FieldError::new(
            format!("{name}.axis"),
            "must be absent when cyl is zero",
        )),
        (true, Some(axis)) if axis > 180 => errors.push(FieldError::new(
            format!("{name}.axis"),
            "must be 0-180 degrees",
        )),
        _ => {}
    }
    if let Some(add) = eye.add {
        if !is_quarter_step(add) || !ADD_D.contains(&add) {
            errors.push(FieldError::new(
                format!("{name}.add"),
                format!(
                    "must be {:+.2} to {:+.2} in 0.25 steps",
                    ADD_D.start(),
                    ADD_D.end()
                ),
            ));
        }
    }
    if let Some(prism) = eye.prism {
        if !prism.amount.is_finite() || prism.amount <= 0.0 || prism.amount > PRISM_LIMIT_D {
            errors.push(FieldError::new(
                format!("{name}.prism.amount"),
                format!("must be above 0 and at most {PRISM_LIMIT_D} prism dioptres"),
            ));
        }
    }
}

/// A shopper's profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Customer {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_band: Option<AgeBand>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face_shape: Option<FaceShape>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face_measurements: Option<FaceMeasurements>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undertone: Option<Undertone>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour_season: Option<ColourSeason>,
    #[serde(default, skip_serializing_if = "StylePreferences::is_empty")]
    pub preferences: StylePreferences,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prescription: Option<Prescription>,
}

impl Customer {
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            age_band: None,
            face_shape: None,
            face_measurements: None,
            undertone: None,
            colour_season: None,
            preferences: StylePreferences::default(),
            prescription: None,
        }
    }

    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = Vec::new();
        check_id(&mut errors, "id", &self.id);
        if let Some(m) = &self.face_measurements {
            let fields = [
                ("face_width", Some(m.face_width), FACE_WIDTH_MM),
                ("face_length", Some(m.face_length), FACE_LENGTH_MM),
                ("forehead_width", m.forehead_width, FOREHEAD_WIDTH_MM),
                ("cheekbone_width", m.cheekbone_width, CHEEKBONE_WIDTH_MM),
                ("jaw_width", m.jaw_width, JAW_WIDTH_MM),
            ];
            for (name, value, range) in fields {
                if let Some(v) = value {
                    // `contains` is false for NaN, so non-finite values fail here too.
                    if !range.contains(&v) {
                        errors.push(FieldError::new(
                            format!("face_measurements.{name}"),
                            format!("must be between {} and {} mm", range.start(), range.end()),
                        ));
                    }
                }
            }
        }
        if let Some(rx) = &self.prescription {
            if let Err(e) = rx.validate() {
                errors.extend(e.0.into_iter().map(|f| f.under("prescription")));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(errors))
        }
    }
}

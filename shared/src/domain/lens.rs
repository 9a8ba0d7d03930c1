//! Lens vocabulary (domain brief section 4): the materials with their optical data, the
//! designs, and the compact lens advice a recommended frame carries. Choosing a lens for a
//! prescription is optics work (`crate::optics::lens`); these are only the values.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Lens materials with their optical data (index, Abbe, specific gravity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LensMaterial {
    /// CR-39 standard plastic, 1.50.
    Cr39,
    Trivex,
    Polycarbonate,
    Index156,
    Index160,
    Index167,
    Index174,
}

impl LensMaterial {
    pub fn index(self) -> f32 {
        match self {
            Self::Cr39 => 1.50,
            Self::Trivex => 1.53,
            Self::Polycarbonate => 1.59,
            Self::Index156 => 1.56,
            Self::Index160 => 1.60,
            Self::Index167 => 1.67,
            Self::Index174 => 1.74,
        }
    }

    pub fn abbe(self) -> f32 {
        match self {
            Self::Cr39 => 58.0,
            Self::Trivex => 43.0,
            Self::Polycarbonate => 30.0,
            Self::Index156 => 37.0,
            Self::Index160 => 41.0,
            Self::Index167 => 32.0,
            Self::Index174 => 33.0,
        }
    }

    /// Typical minimum centre thickness in mm (section 2); PC and Trivex are assumptions.
    pub fn min_centre_thickness(self) -> f32 {
        match self {
            Self::Cr39 => 2.0,
            Self::Trivex => 1.5,
            Self::Polycarbonate => 1.5,
            Self::Index156 => 1.4,
            Self::Index160 => 1.2,
            Self::Index167 => 1.1,
            Self::Index174 => 1.5,
        }
    }

    /// Impact-resistant and drillable: what rimless, kids and sport need.
    pub fn is_impact_resistant(self) -> bool {
        matches!(self, Self::Trivex | Self::Polycarbonate)
    }

    /// Blocks UV without a separate treatment (PC and high index).
    pub fn blocks_uv(self) -> bool {
        !matches!(self, Self::Cr39 | Self::Trivex)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Cr39 => "standard plastic (CR-39, 1.50)",
            Self::Trivex => "Trivex (1.53)",
            Self::Polycarbonate => "polycarbonate (1.59)",
            Self::Index156 => "mid index 1.56",
            Self::Index160 => "high index 1.60",
            Self::Index167 => "high index 1.67",
            Self::Index174 => "high index 1.74",
        }
    }
}

/// Lens design by need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LensDesign {
    SingleVision,
    Progressive,
    Office,
    Bifocal,
    Reader,
}

/// Coatings and treatments a lens can have (section 4), each advised with a reason and
/// priced by the lens price list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TreatmentKind {
    AntiReflective,
    HardCoat,
    Uv,
    Photochromic,
    Polarized,
    BlueLight,
    Aspheric,
}

/// The lens advice for one recommended frame, compact enough for every list item.
// Built from the full advice by `crate::optics::lens::LensRecommendation::summary`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LensSummary {
    pub material: LensMaterial,
    pub index: f32,
    pub design: LensDesign,
    /// The frame size the estimate is for.
    pub size: String,
    pub edge_thickness_mm: f32,
    pub centre_thickness_mm: f32,
    pub reason: String,
}

//! Lens recommendation (domain brief section 4): the material and design (chosen in
//! [`super::lens_choice`]), coatings and treatments each with a reason, the sun filter
//! category by use, and the edge thickness in a chosen frame.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::frame::{evaluate, FrameCheck, FrameRulesConfig};
use super::rx::RxSummary;
use crate::domain::{Category, FrameSize, LensSummary, Prescription, Style};

// The lens vocabulary lives in the domain and the choosers one layer down; re-exported so
// `optics::lens` stays the one place to find lens advice.
pub use super::lens_choice::{
    choose_design, choose_material, needs_surfacing, LensRequest, LensUse,
};
pub use crate::domain::{LensDesign, LensMaterial, TreatmentKind};

/// Included by default or offered as an option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Inclusion {
    Included,
    Recommended,
    Optional,
    NotAdvised,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Treatment {
    pub kind: TreatmentKind,
    pub inclusion: Inclusion,
    pub reason: String,
}

/// ISO 12312-1 filter category with the reason for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SunCategory {
    pub category: u8,
    pub reason: String,
}

/// The whole advice. Contains derived optical values but never the prescription itself.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LensRecommendation {
    pub material: LensMaterial,
    pub index: f32,
    pub material_reason: String,
    pub design: LensDesign,
    pub design_reason: String,
    pub treatments: Vec<Treatment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sun: Option<SunCategory>,
    /// The chosen frame size checked with this lens (thickness, MBS, rule findings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame: Option<FrameCheck>,
    /// Set when the order needs an optician (prism above the online cap...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assisted_ordering: Option<String>,
}

impl LensRecommendation {
    /// The compact advice for a list item; `None` without a frame check.
    pub fn summary(&self) -> Option<LensSummary> {
        let frame = self.frame.as_ref()?;
        Some(LensSummary {
            material: self.material,
            index: self.index,
            design: self.design,
            size: frame.size_label.clone(),
            edge_thickness_mm: (frame.thickness.edge * 10.0).round() / 10.0,
            centre_thickness_mm: (frame.thickness.centre * 10.0).round() / 10.0,
            reason: self.material_reason.clone(),
        })
    }
}

/// Full lens advice for a prescription, optionally for one frame size of a style.
pub fn recommend_lens(
    rx: &Prescription,
    request: &LensRequest,
    frame: Option<(&Style, &FrameSize)>,
    config: &FrameRulesConfig,
) -> LensRecommendation {
    let summary = RxSummary::of(rx);
    let style = frame.map(|(s, _)| s);
    let (design, design_reason) = choose_design(&summary, request);
    let (material, material_reason) = choose_material(&summary, request, style);
    let mut treatments = Vec::new();
    let high_index = material.index() >= 1.60;
    let night = request.uses.contains(&LensUse::NightDriving);
    let (ar, ar_reason) = if high_index {
        (Inclusion::Included, "High-index lenses reflect more light; anti-reflective coating brings reflections under 1%")
    } else if design == LensDesign::Progressive {
        (
            Inclusion::Included,
            "Anti-reflective coating keeps progressive zones clear of glare",
        )
    } else if night {
        (
            Inclusion::Included,
            "Anti-reflective coating cuts headlight glare at night",
        )
    } else {
        (Inclusion::Recommended, "An uncoated lens reflects about 8% of light; anti-reflective coating brings it under 1%")
    };
    treatments.push(Treatment {
        kind: TreatmentKind::AntiReflective,
        inclusion: ar,
        reason: ar_reason.to_string(),
    });
    let soft = high_index || material == LensMaterial::Polycarbonate;
    treatments.push(Treatment {
        kind: TreatmentKind::HardCoat,
        inclusion: if soft {
            Inclusion::Included
        } else {
            Inclusion::Recommended
        },
        reason: if soft {
            "This material has a soft surface and needs a scratch-resistant hard coat"
        } else {
            "A scratch-resistant hard coat keeps the lenses clear for longer"
        }
        .to_string(),
    });
    treatments.push(Treatment {
        kind: TreatmentKind::Uv,
        inclusion: Inclusion::Included,
        reason: if material.blocks_uv() {
            "This material blocks UV by itself"
        } else {
            "UV protection is added to this material"
        }
        .to_string(),
    });
    if summary.max_meridian_power >= config.aspheric_from_power {
        treatments.push(Treatment {
            kind: TreatmentKind::Aspheric,
            inclusion: Inclusion::Recommended,
            reason: "An aspheric design flattens a strong lens and reduces magnification"
                .to_string(),
        });
    }
    let sun_frame = style.is_some_and(|s| matches!(s.category, Category::Sun | Category::Sport));
    let outdoor = request
        .uses
        .iter()
        .any(|u| matches!(u, LensUse::Outdoor | LensUse::Water | LensUse::Snow));
    if !sun_frame {
        treatments.push(Treatment {
            kind: TreatmentKind::Photochromic,
            inclusion: if outdoor { Inclusion::Recommended } else { Inclusion::Optional },
            reason: "Darkens outdoors within about a minute; it barely darkens behind a car windscreen and is lighter in heat".to_string(),
        });
    }
    let water = request
        .uses
        .iter()
        .any(|u| matches!(u, LensUse::Water | LensUse::Driving));
    if sun_frame || outdoor {
        let (inclusion, reason) = if night {
            (
                Inclusion::NotAdvised,
                "Polarized lenses are unsuitable at night and can black out dashboards and screens",
            )
        } else if request.uses.contains(&LensUse::Snow) {
            (
                Inclusion::Optional,
                "Polarized lenses cut snow glare but can hide ice patches",
            )
        } else if water {
            (Inclusion::Recommended, "Polarized lenses cut glare reflected from water and roads; check that your dashboard or head-up display stays readable")
        } else {
            (
                Inclusion::Optional,
                "Polarized lenses cut reflected glare; they can black out LCD screens",
            )
        };
        treatments.push(Treatment {
            kind: TreatmentKind::Polarized,
            inclusion,
            reason: reason.to_string(),
        });
    }
    treatments.push(Treatment {
        kind: TreatmentKind::BlueLight,
        inclusion: Inclusion::Optional,
        reason: "Available if you like it: filters about 10-25% of blue light; reviews found no clear benefit for eye strain or sleep".to_string(),
    });
    let sun = (sun_frame || outdoor).then(|| sun_category(&request.uses));
    let frame = frame.map(|(style, size)| evaluate(rx, style, size, Some(design), config));
    let assisted_ordering = (summary.max_prism > config.max_online_prism
        || (summary.has_prism
            && design != LensDesign::SingleVision
            && design != LensDesign::Reader))
        .then(|| {
            "Your prescription includes prism: an optician will confirm this order".to_string()
        });
    LensRecommendation {
        material,
        index: material.index(),
        material_reason,
        design,
        design_reason,
        treatments,
        sun,
        frame,
        assisted_ordering,
    }
}

/// Sun filter category by use (section 4 and the section 7 UV defaults).
pub fn sun_category(uses: &[LensUse]) -> SunCategory {
    let driving = uses
        .iter()
        .any(|u| matches!(u, LensUse::Driving | LensUse::NightDriving));
    if uses.contains(&LensUse::Snow) && !driving {
        return SunCategory {
            category: 4,
            reason: "Snow and altitude: category 4 (never for driving)".to_string(),
        };
    }
    if uses.contains(&LensUse::Water) || uses.contains(&LensUse::Snow) {
        return SunCategory {
            category: 3,
            reason: "Bright sun near water or snow: category 3, the darkest still fit for driving"
                .to_string(),
        };
    }
    if driving {
        return SunCategory {
            category: 2,
            reason: "Driving: category 2 keeps the road and dashboard readable".to_string(),
        };
    }
    SunCategory {
        category: 3,
        reason: "Everyday summer sun: category 3".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EyeRx, PupillaryDistance};

    fn rx(sph: f32, cyl: f32, add: Option<f32>) -> Prescription {
        let eye = EyeRx {
            sph,
            cyl,
            axis: (cyl != 0.0).then_some(90),
            add,
            prism: None,
        };
        Prescription {
            od: eye.clone(),
            os: eye,
            pd: PupillaryDistance::Binocular(63.0),
            fitting_height: None,
        }
    }

    #[test]
    fn when_recommending_should_give_every_treatment_a_reason_and_no_health_claim() {
        let r = recommend_lens(
            &rx(-4.5, -0.5, None),
            &LensRequest::default(),
            None,
            &FrameRulesConfig::default(),
        );
        assert_eq!(r.material, LensMaterial::Index167);
        let ar = r
            .treatments
            .iter()
            .find(|t| t.kind == TreatmentKind::AntiReflective)
            .unwrap();
        assert_eq!(ar.inclusion, Inclusion::Included);
        let blue = r
            .treatments
            .iter()
            .find(|t| t.kind == TreatmentKind::BlueLight)
            .unwrap();
        assert_eq!(blue.inclusion, Inclusion::Optional);
        assert!(blue.reason.contains("no clear benefit"));
        assert!(r.treatments.iter().all(|t| !t.reason.is_empty()));
        assert!(r
            .treatments
            .iter()
            .any(|t| t.kind == TreatmentKind::Aspheric));
    }

    #[test]
    fn when_use_differs_should_pick_sun_category() {
        assert_eq!(sun_category(&[LensUse::Snow]).category, 4);
        assert_eq!(sun_category(&[LensUse::Snow, LensUse::Driving]).category, 3);
        assert_eq!(sun_category(&[LensUse::Driving]).category, 2);
        assert_eq!(sun_category(&[]).category, 3);
    }
}

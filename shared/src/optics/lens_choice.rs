//! Which lens a prescription gets (domain brief section 4): the material/index from the
//! maximum meridian power and the cylinder, and the design from the ADD and the uses.
//! Both the frame rules and the full lens advice need these choices, so they sit below
//! [`super::frame`] and [`super::lens`].

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rx::RxSummary;
use crate::domain::{Category, LensDesign, LensMaterial, RimType, Style};

/// How the glasses will be used; drives design, treatments and the sun category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LensUse {
    Everyday,
    Desk,
    NearOnly,
    Driving,
    NightDriving,
    Outdoor,
    Water,
    Snow,
    Sport,
}

/// What the shopper asks for beyond the prescription.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LensRequest {
    /// Overrides the design chosen from the ADD and the uses.
    pub design: Option<LensDesign>,
    pub uses: Vec<LensUse>,
    /// A child wears them: impact-resistant lenses are mandatory.
    pub child: bool,
}

/// The design from the ADD and the uses (section 4 "Design by need").
pub fn choose_design(summary: &RxSummary, request: &LensRequest) -> (LensDesign, String) {
    if let Some(d) = request.design {
        return (d, "The design you chose".to_string());
    }
    if summary.add <= 0.0 {
        return (
            LensDesign::SingleVision,
            "No reading addition: single vision lenses".to_string(),
        );
    }
    if request.uses.contains(&LensUse::NearOnly) {
        return (
            LensDesign::Reader,
            "Near only: single vision readers with your distance power plus the addition"
                .to_string(),
        );
    }
    if request.uses.contains(&LensUse::Desk) {
        return (
            LensDesign::Office,
            "Desk work: an office lens puts the screen distance at the top and reading below"
                .to_string(),
        );
    }
    (
        LensDesign::Progressive,
        "You have a reading addition: progressives cover far, screen and near without a line"
            .to_string(),
    )
}

/// Does the material need a surfaced (not stock) blank: multifocals and strong powers.
pub fn needs_surfacing(design: LensDesign, summary: &RxSummary) -> bool {
    matches!(
        design,
        LensDesign::Progressive | LensDesign::Office | LensDesign::Bifocal
    ) || summary.max_meridian_power > 4.0
        || summary.max_cyl > 2.0
}

/// The material: impact-resistant where mandatory (kids, sport, rimless), else the index
/// table by maximum meridian power P and |CYL|.
pub fn choose_material(
    summary: &RxSummary,
    request: &LensRequest,
    style: Option<&Style>,
) -> (LensMaterial, String) {
    let p = summary.max_meridian_power;
    let cyl = summary.max_cyl;
    let rim = style.map(|s| s.rim);
    let category = style.map(|s| s.category);
    if rim == Some(RimType::Rimless) {
        return (
            LensMaterial::Trivex,
            "Rimless mounts are drilled: Trivex drills cleanly and resists cracking".to_string(),
        );
    }
    if request.child || category == Some(Category::Kids) {
        return (
            LensMaterial::Polycarbonate,
            "Children's lenses must be impact resistant: polycarbonate".to_string(),
        );
    }
    if request.uses.contains(&LensUse::Sport) || category == Some(Category::Sport) {
        return (
            LensMaterial::Polycarbonate,
            "Sport needs impact-resistant polycarbonate lenses".to_string(),
        );
    }
    let (material, why) = if p <= 2.0 && cyl <= 2.0 {
        (
            LensMaterial::Cr39,
            "Low power: standard plastic is thin enough and has the clearest optics",
        )
    } else if p <= 2.5 && cyl <= 2.0 {
        (
            LensMaterial::Index156,
            "Mild power: a mid-index 1.56 lens keeps the edges slim",
        )
    } else if p <= 4.0 && cyl <= 3.0 {
        (
            LensMaterial::Index160,
            "Moderate power: high index 1.60 gives thinner, lighter lenses",
        )
    } else if p <= 7.0 && cyl <= 4.0 {
        (
            LensMaterial::Index167,
            "Strong power: high index 1.67 keeps the lenses thin",
        )
    } else {
        (
            LensMaterial::Index174,
            "Very strong power: 1.74 is the thinnest lens available",
        )
    };
    (material, why.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EyeRx, Prescription, PupillaryDistance};

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

    fn material(sph: f32, cyl: f32) -> LensMaterial {
        choose_material(
            &RxSummary::of(&rx(sph, cyl, None)),
            &LensRequest::default(),
            None,
        )
        .0
    }

    #[test]
    fn when_power_rises_should_step_up_the_index_table() {
        assert_eq!(material(-1.5, -0.5), LensMaterial::Cr39);
        assert_eq!(material(-2.25, 0.0), LensMaterial::Index156);
        assert_eq!(material(-3.5, 0.0), LensMaterial::Index160);
        assert_eq!(material(-5.0, -1.0), LensMaterial::Index167);
        assert_eq!(material(-8.0, -1.0), LensMaterial::Index174);
        // CYL alone: -1.00 -2.50 has P = 3.50 and CYL 2.50 -> 1.60.
        assert_eq!(material(-1.0, -2.5), LensMaterial::Index160);
    }

    #[test]
    fn when_child_or_rimless_should_use_impact_resistant_material() {
        let s = RxSummary::of(&rx(-1.0, 0.0, None));
        let child = LensRequest {
            child: true,
            ..LensRequest::default()
        };
        assert!(choose_material(&s, &child, None).0.is_impact_resistant());
    }

    #[test]
    fn when_add_present_should_pick_progressive_office_or_reader() {
        let s = RxSummary::of(&rx(-1.0, 0.0, Some(2.0)));
        let d = |uses: Vec<LensUse>| {
            choose_design(
                &s,
                &LensRequest {
                    uses,
                    ..LensRequest::default()
                },
            )
            .0
        };
        assert_eq!(d(vec![]), LensDesign::Progressive);
        assert_eq!(d(vec![LensUse::Desk]), LensDesign::Office);
        assert_eq!(d(vec![LensUse::NearOnly]), LensDesign::Reader);
        let none = RxSummary::of(&rx(-1.0, 0.0, None));
        assert_eq!(
            choose_design(&none, &LensRequest::default()).0,
            LensDesign::SingleVision
        );
    }
}

//! The lens part of a bundle: the package the lens advice chooses for one frame size
//! (material and index, design, the coatings and treatments it includes or recommends),
//! priced from the lens price list, and the alternatives one index step up (thinner) and
//! down (cheaper) with their thickness and price against it. Texts never quote the
//! prescription: they speak of "your lenses" and of thickness in this frame, as the lens
//! advice does.

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{
    format_money, FrameSize, LensDesign, LensMaterial, LensPriceList, Prescription, RimType, Style,
    TreatmentKind,
};
use crate::optics::frame::FrameRulesConfig;
use crate::optics::geometry::{max_decentration, thickness, Thickness};
use crate::optics::lens::{recommend_lens, Inclusion, LensRequest};
use crate::optics::rx::RxSummary;

/// The materials alternatives step along: each step up is thinner and dearer. Impact-
/// resistant materials (rimless, children, sport) are mandated, so they have no steps.
const INDEX_LADDER: [LensMaterial; 5] = [
    LensMaterial::Cr39,
    LensMaterial::Index156,
    LensMaterial::Index160,
    LensMaterial::Index167,
    LensMaterial::Index174,
];

/// The lenses of a bundle as the lens advice chooses them for this frame.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LensPackage {
    pub material: LensMaterial,
    pub index: f32,
    pub design: LensDesign,
    /// Coatings and treatments in the package: those the advice includes or recommends.
    pub treatments: Vec<TreatmentKind>,
    /// Estimated thickness in this frame size (mm, one decimal).
    pub edge_thickness_mm: f32,
    pub centre_thickness_mm: f32,
    /// The pair with its treatments; absent when the price list does not price an option.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = "uint32")]
    pub price_cents: Option<u32>,
    /// Why this package, in this frame.
    pub reason: String,
}

/// Which way an alternative steps along the index ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IndexStep {
    /// One index higher: thinner and dearer.
    Up,
    /// One index lower: thicker and cheaper.
    Down,
}

/// The same package one index step up (offered only where it is thinner in this frame) or
/// down.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LensAlternative {
    pub step: IndexStep,
    pub material: LensMaterial,
    pub index: f32,
    pub edge_thickness_mm: f32,
    pub centre_thickness_mm: f32,
    /// Change at the thickest point against the package (mm; negative is thinner).
    pub thickness_change_mm: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = "uint32")]
    pub price_cents: Option<u32>,
    /// Price against the package's (positive is dearer); absent when either is unpriced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_change_cents: Option<i64>,
    /// "Thinner high index 1.74 for +$60: 3.4 mm at the edge instead of 3.9 mm".
    pub text: String,
}

/// The advised package priced, with its alternatives and the frame check's score.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PricedLens {
    pub package: LensPackage,
    pub alternatives: Vec<LensAlternative>,
    /// Why the package has no price (the first option the list does not price).
    pub unavailable: Option<String>,
    /// The frame rules' score of this size with these lenses, in [0, 1].
    pub frame_score: f32,
}

/// What one size of one frame needs for thickness estimates.
struct LensFrame<'a> {
    summary: RxSummary,
    size: &'a FrameSize,
    decentration: f32,
    min_edge: f32,
}

impl LensFrame<'_> {
    fn thickness(&self, material: LensMaterial) -> Thickness {
        let t = thickness(
            &self.summary,
            self.size,
            self.decentration,
            material,
            self.min_edge,
        );
        Thickness {
            centre: tenth(t.centre),
            edge: tenth(t.edge),
        }
    }
}

/// The package the advice chooses for `size` of `style`, priced from `prices` (in the
/// frame's currency), with its alternatives.
pub(super) fn price_lens(
    rx: &Prescription,
    request: &LensRequest,
    (style, size): (&Style, &FrameSize),
    rules: &FrameRulesConfig,
    prices: Option<&LensPriceList>,
) -> PricedLens {
    let advice = recommend_lens(rx, request, Some((style, size)), rules);
    let summary = RxSummary::of(rx);
    let frame = LensFrame {
        decentration: max_decentration(size, summary.mono_pd),
        summary,
        size,
        min_edge: match style.rim {
            RimType::Full => rules.min_edge_full,
            RimType::SemiRimless => rules.min_edge_grooved,
            RimType::Rimless => rules.min_edge_drilled,
        },
    };
    let treatments: Vec<TreatmentKind> = advice
        .treatments
        .iter()
        .filter(|t| matches!(t.inclusion, Inclusion::Included | Inclusion::Recommended))
        .map(|t| t.kind)
        .collect();
    let quote = |material| {
        quote(
            prices,
            &style.currency,
            material,
            advice.design,
            &treatments,
        )
    };
    let own = frame.thickness(advice.material);
    let price = quote(advice.material);
    let allowed = advice.frame.as_ref().is_none_or(|f| f.allowed);
    let position = INDEX_LADDER.iter().position(|m| *m == advice.material);
    let step = |offset: isize| {
        let at = position?.checked_add_signed(offset)?;
        INDEX_LADDER.get(at).copied().filter(|_| allowed)
    };
    let down = step(-1);
    let mut alternatives = Vec::new();
    for (direction, material) in [(IndexStep::Up, step(1)), (IndexStep::Down, down)] {
        let Some(material) = material else { continue };
        let t = frame.thickness(material);
        // A higher index has a thicker minimum centre (1.74: 1.5 mm against 1.1 for 1.67),
        // so in a small frame it can be no thinner: then it is not offered as "thinner".
        if direction == IndexStep::Up && thickest(t).0 >= thickest(own).0 {
            continue;
        }
        let alt_price = quote(material).ok();
        let price_change_cents = match (alt_price, &price) {
            (Some(a), Ok(p)) => Some(i64::from(a) - i64::from(*p)),
            _ => None,
        };
        alternatives.push(LensAlternative {
            step: direction,
            material,
            index: material.index(),
            edge_thickness_mm: t.edge,
            centre_thickness_mm: t.centre,
            thickness_change_mm: tenth(thickest(t).0 - thickest(own).0),
            price_cents: alt_price,
            price_change_cents,
            text: alternative_text(
                direction,
                material,
                t,
                own,
                price_change_cents,
                &style.currency,
            ),
        });
    }
    let (mm, place) = thickest(own);
    let mut reason = format!(
        "{}: about {mm:.1} mm at the {place} in size {} of this frame",
        advice.material_reason, size.label
    );
    if let Some(lower) = down {
        let (lower_mm, _) = thickest(frame.thickness(lower));
        reason.push_str(&format!("; {} would be {lower_mm:.1} mm", lower.label()));
    }
    PricedLens {
        package: LensPackage {
            material: advice.material,
            index: advice.material.index(),
            design: advice.design,
            treatments,
            edge_thickness_mm: own.edge,
            centre_thickness_mm: own.centre,
            price_cents: price.as_ref().ok().copied(),
            reason,
        },
        alternatives,
        unavailable: price.err(),
        frame_score: advice.frame.as_ref().map_or(1.0, |f| f.score),
    }
}

/// The pair in `material` with `design` and `treatments`, or the first option `prices`
/// does not price. UV costs nothing in materials that block it themselves.
pub(super) fn quote(
    prices: Option<&LensPriceList>,
    currency: &str,
    material: LensMaterial,
    design: LensDesign,
    treatments: &[TreatmentKind],
) -> Result<u32, String> {
    let prices = prices.ok_or_else(|| format!("No lens prices in {currency} yet"))?;
    let missing = |what: &str| format!("No price for {what} in {currency}");
    let mut total = prices
        .material(material)
        .ok_or_else(|| missing(material.label()))?;
    total += prices
        .design(design)
        .ok_or_else(|| missing(design_label(design)))?;
    for treatment in treatments {
        if *treatment == TreatmentKind::Uv && material.blocks_uv() {
            continue;
        }
        total += prices
            .treatment(*treatment)
            .ok_or_else(|| missing(treatment_label(*treatment)))?;
    }
    Ok(total)
}

/// The thickest point of a lens (mm) and where it is: the edge of a minus lens, the centre
/// of a plus lens.
fn thickest(t: Thickness) -> (f32, &'static str) {
    if t.edge >= t.centre {
        (t.edge, "edge")
    } else {
        (t.centre, "centre")
    }
}

fn alternative_text(
    step: IndexStep,
    material: LensMaterial,
    t: Thickness,
    own: Thickness,
    price_change: Option<i64>,
    currency: &str,
) -> String {
    let (mm, place) = thickest(t);
    let (own_mm, _) = thickest(own);
    let price = match price_change {
        Some(0) => " at the same price".to_string(),
        Some(c) if c > 0 => format!(" for +{}", format_money(c, currency)),
        Some(c) => format!(" for {} less", format_money(-c, currency)),
        None => String::new(),
    };
    let lead = match step {
        IndexStep::Up => format!("Thinner {}", material.label()),
        IndexStep::Down => capitalised(material.label()),
    };
    let unpriced = if price_change.is_none() {
        " (price unavailable)"
    } else {
        ""
    };
    format!("{lead}{price}: {mm:.1} mm at the {place} instead of {own_mm:.1} mm{unpriced}")
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn tenth(mm: f32) -> f32 {
    (mm * 10.0).round() / 10.0
}

pub(super) fn design_label(design: LensDesign) -> &'static str {
    match design {
        LensDesign::SingleVision => "single vision lenses",
        LensDesign::Progressive => "progressive lenses",
        LensDesign::Office => "office lenses",
        LensDesign::Bifocal => "bifocal lenses",
        LensDesign::Reader => "reading lenses",
    }
}

pub(super) fn treatment_label(treatment: TreatmentKind) -> &'static str {
    match treatment {
        TreatmentKind::AntiReflective => "anti-reflective coating",
        TreatmentKind::HardCoat => "a scratch-resistant hard coat",
        TreatmentKind::Uv => "UV protection",
        TreatmentKind::Photochromic => "photochromic lenses",
        TreatmentKind::Polarized => "polarized lenses",
        TreatmentKind::BlueLight => "a blue-light filter",
        TreatmentKind::Aspheric => "an aspheric design",
    }
}

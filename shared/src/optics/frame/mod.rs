//! Frame compatibility (domain brief section 3, rules F1-F11) with the section 2 geometry:
//! decentration, minimum blank size and the sag-formula thickness estimate. Table-driven:
//! every threshold lives in [`FrameRulesConfig`] ([assumption] values are defaults to tune),
//! and every rule is one function in `rules.rs`.

mod config;
mod rules;
#[cfg(test)]
mod tests;

use serde::Serialize;
use utoipa::ToSchema;

use super::lens_choice::{choose_design, choose_material, LensRequest};
use super::rx::RxSummary;
use crate::domain::{FrameSize, LensDesign, LensMaterial, Prescription, RimType, Style};
use rules::FrameFacts;

pub use super::geometry::{
    decentration, max_decentration, min_blank_size, sag, thickness, Thickness,
};
pub use config::FrameRulesConfig;
pub use rules::{RuleFinding, RuleId, Severity};

/// The verdict on one (prescription, style, size).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FrameCheck {
    pub allowed: bool,
    /// 1 = no concern; each warning deducts its penalty.
    pub score: f32,
    pub size_label: String,
    pub material: LensMaterial,
    pub design: LensDesign,
    pub decentration_mm: f32,
    pub min_blank_size_mm: f32,
    pub thickness: Thickness,
    pub findings: Vec<RuleFinding>,
}

impl FrameCheck {
    pub fn blocked_by(&self) -> impl Iterator<Item = RuleId> + '_ {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Block)
            .map(|f| f.rule)
    }

    /// Cost for the engine's size choice: lost score plus mm above 3 mm at the thickest point.
    pub fn cost(&self, config: &FrameRulesConfig) -> f32 {
        let thickest = self.thickness.edge.max(self.thickness.centre);
        config.cost_per_score * (1.0 - self.score) + config.cost_per_mm * (thickest - 3.0).max(0.0)
    }
}

/// Runs rules F1-F11 for one frame size. `design` defaults from the ADD (progressive).
pub fn evaluate(
    rx: &Prescription,
    style: &Style,
    size: &FrameSize,
    design: Option<LensDesign>,
    config: &FrameRulesConfig,
) -> FrameCheck {
    evaluate_summary(&RxSummary::of(rx), style, size, design, config)
}

/// [`evaluate`] on an already derived summary (the engine computes it once per shopper).
pub fn evaluate_summary(
    s: &RxSummary,
    style: &Style,
    size: &FrameSize,
    design: Option<LensDesign>,
    c: &FrameRulesConfig,
) -> FrameCheck {
    let request = LensRequest {
        design,
        ..LensRequest::default()
    };
    let design = choose_design(s, &request).0;
    let material = choose_material(s, &request, Some(style)).0;
    let d = max_decentration(size, s.mono_pd);
    let mbs = min_blank_size(size.effective_diameter, d);
    let min_edge = match style.rim {
        RimType::Full => c.min_edge_full,
        RimType::SemiRimless => c.min_edge_grooved,
        RimType::Rimless => c.min_edge_drilled,
    };
    let t = thickness(s, size, d, material, min_edge);
    let f = rules::apply_all(
        &FrameFacts {
            rx: s,
            style,
            size,
            design,
            decentration: d,
            min_blank_size: mbs,
            thickness: t,
        },
        c,
    );
    let allowed = f.iter().all(|x| x.severity != Severity::Block);
    let score = if allowed {
        (1.0 - f.iter().map(|x| x.penalty).sum::<f32>()).clamp(0.0, 1.0)
    } else {
        0.0
    };
    FrameCheck {
        allowed,
        score,
        size_label: size.label.clone(),
        material,
        design,
        decentration_mm: d,
        min_blank_size_mm: mbs,
        thickness: t,
        findings: f,
    }
}

/// The best size of a style for a prescription: allowed, highest score, then thinnest.
pub fn best_size<'a>(
    rx: &Prescription,
    style: &'a Style,
    config: &FrameRulesConfig,
) -> Option<(&'a FrameSize, FrameCheck)> {
    let s = RxSummary::of(rx);
    style
        .sizes
        .iter()
        .map(|size| (size, evaluate_summary(&s, style, size, None, config)))
        .filter(|(_, check)| check.allowed)
        .min_by(|a, b| a.1.cost(config).total_cmp(&b.1.cost(config)))
}

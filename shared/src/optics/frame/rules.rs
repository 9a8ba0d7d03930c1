//! The section 3 rule table of the domain brief, one function per rule (F1-F11). Each rule
//! reads the [`FrameFacts`] of one frame size and adds its findings; [`apply_all`] runs them
//! in table order, which is also the order of the findings. Thresholds come from
//! [`FrameRulesConfig`]; the doc comment of each rule quotes the brief.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::config::FrameRulesConfig;
use crate::domain::{Category, FrameSize, LensDesign, RimType, Shape, Style};
use crate::optics::geometry::Thickness;
use crate::optics::lens_choice::needs_surfacing;
use crate::optics::rx::RxSummary;

/// The section 3 rule table ids.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
pub enum RuleId {
    F1,
    F2,
    F3,
    F4,
    F5,
    F6,
    F7,
    F8,
    F9,
    F10,
    F11,
}

impl RuleId {
    pub const ALL: [RuleId; 11] = [
        Self::F1,
        Self::F2,
        Self::F3,
        Self::F4,
        Self::F5,
        Self::F6,
        Self::F7,
        Self::F8,
        Self::F9,
        Self::F10,
        Self::F11,
    ];

    fn info(self, message: &'static str) -> RuleFinding {
        self.finding(Severity::Info, 0.0, message)
    }

    fn warn(self, penalty: f32, message: &'static str) -> RuleFinding {
        self.finding(Severity::Warn, penalty, message)
    }

    fn block(self, message: &'static str) -> RuleFinding {
        self.finding(Severity::Block, 0.0, message)
    }

    fn finding(self, severity: Severity, penalty: f32, message: &'static str) -> RuleFinding {
        RuleFinding {
            rule: self,
            severity,
            penalty,
            message,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warn,
    /// The size must not be offered.
    Block,
}

/// One rule's verdict on one frame size.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RuleFinding {
    pub rule: RuleId,
    pub severity: Severity,
    /// Score deduction in [0, 1] (0 for info and blocks).
    pub penalty: f32,
    pub message: &'static str,
}

/// What the rules look at for one frame size, derived once per size by the caller.
pub(super) struct FrameFacts<'a> {
    pub rx: &'a RxSummary,
    pub style: &'a Style,
    pub size: &'a FrameSize,
    /// The design the lens will have (from the ADD unless the shopper chose one).
    pub design: LensDesign,
    /// Largest per-eye decentration d (mm).
    pub decentration: f32,
    /// Minimum blank size MBS = ED + 2d + 2 (mm).
    pub min_blank_size: f32,
    pub thickness: Thickness,
}

/// Runs F1-F11 in table order.
pub(super) fn apply_all(facts: &FrameFacts, c: &FrameRulesConfig) -> Vec<RuleFinding> {
    let mut findings = Vec::new();
    f1_full_rim_hides_edges(facts, &mut findings);
    f2_rimless_limits(facts, c, &mut findings);
    f3_semi_rimless_limits(facts, c, &mut findings);
    f4_high_minus_small_centred_lens(facts, c, &mut findings);
    f5_high_plus_small_round_lens(facts, c, &mut findings);
    f6_progressive_lens_height(facts, c, &mut findings);
    f7_bifocal_lens_height(facts, c, &mut findings);
    f8_wrap_rx_window(facts, c, &mut findings);
    f9_oversized_frame_with_strong_rx(facts, c, &mut findings);
    f10_centring_and_blank_size(facts, c, &mut findings);
    f11_kids_and_sport_need_impact_resistance(facts, &mut findings);
    findings
}

/// F1, full rim: "any Rx in a full-rim frame: always allowed. Thick acetate rims and thick
/// temples hide edge thickness". Never blocks; from P >= 3.00 (a fixed cut-off, not in the
/// brief) it tells the shopper why a full rim suits them.
fn f1_full_rim_hides_edges(facts: &FrameFacts, out: &mut Vec<RuleFinding>) {
    if facts.style.rim == RimType::Full && facts.rx.max_meridian_power >= 3.0 {
        out.push(
            RuleId::F1.info("Full rims hide edge thickness: a good choice for your prescription"),
        );
    }
}

/// F2, rimless (3-piece drill mount): "lens must be PC or Trivex (or high index), not CR-39"
/// (the material choice enforces it); "Lab edge thickness 2.0–5.0 mm" (`rimless_max_edge`,
/// warns on plus lenses above it); "Not for strong Rx (one source says none at ≥ 6 D)";
/// "Avoid for reading glasses that are taken on and off all day" (warns on readers).
/// [assumption], configurable defaults: "soft limit P ≤ 4.00, hard limit P ≤ 6.00, and
/// SPH ≤ +3.00 for plus" (`rimless_soft_power` warns, `rimless_hard_power` and
/// `rimless_max_plus` block). Section 1 "Flag a difference > 2.00 D, and steer those customers
/// away from rimless frames": anisometropia blocks.
fn f2_rimless_limits(facts: &FrameFacts, c: &FrameRulesConfig, out: &mut Vec<RuleFinding>) {
    if facts.style.rim != RimType::Rimless {
        return;
    }
    let s = facts.rx;
    let p = s.max_meridian_power;
    if p > c.rimless_hard_power {
        out.push(RuleId::F2.block("Rimless mounts cannot take a prescription this strong"));
    } else if p > c.rimless_soft_power {
        out.push(RuleId::F2.warn(
            0.3,
            "Strong prescriptions show thick edges in rimless frames",
        ));
    }
    if s.strongest_plus > c.rimless_max_plus {
        out.push(
            RuleId::F2.block("High-plus lenses are too thick at the centre for rimless mounts"),
        );
    }
    if s.anisometropic {
        out.push(
            RuleId::F2.block(
                "Very different powers between the eyes show unequal edges in rimless frames",
            ),
        );
    }
    if facts.design == LensDesign::Reader {
        out.push(RuleId::F2.warn(
            0.1,
            "Rimless readers taken on and off all day loosen at the drill holes",
        ));
    }
    if p > 0.0 && facts.thickness.edge > c.rimless_max_edge {
        out.push(RuleId::F2.warn(0.15, "Edges would exceed what rimless mounts are made for"));
    }
}

/// F3, semi-rimless (nylon cord ≈ 0.5 mm in a groove): "suits mild to moderate Rx; the
/// groove needs some edge thickness"; "Avoid for high minus above −3.00"
/// (`semi_rimless_high_minus`, warns); "High-plus supra/rimless needs about 3 mm edge, so
/// avoid it" (blocks). [assumption], configurable defaults: "soft P ≤ 6.00, plus ≤ +3.00"
/// (`semi_rimless_soft_power` warns, `rimless_max_plus` blocks).
fn f3_semi_rimless_limits(facts: &FrameFacts, c: &FrameRulesConfig, out: &mut Vec<RuleFinding>) {
    if facts.style.rim != RimType::SemiRimless {
        return;
    }
    let s = facts.rx;
    if s.strongest_plus > c.rimless_max_plus {
        out.push(
            RuleId::F3.block("High-plus lenses are too thin at the edge for a semi-rimless groove"),
        );
    }
    if s.max_meridian_power > c.semi_rimless_soft_power {
        out.push(RuleId::F3.warn(
            0.3,
            "Semi-rimless frames suit mild to moderate prescriptions",
        ));
    } else if s.strongest_minus < c.semi_rimless_high_minus {
        out.push(RuleId::F3.warn(
            0.15,
            "Minus lenses beyond -3.00 show thick edges below a semi-rimless cord",
        ));
    }
}

/// F4, high minus ("≤ −3.00 counts as high; ≤ −5.00 strong": `high_minus`, `strong_minus`):
/// "prefer small A and small ED, round/oval or rounded rectangle; keep frame PD close to PD
/// ([assumption] d ≤ 2–3 mm); avoid wide or angular shapes". Warns on A above
/// `high_minus_max_lens_width` or ED above it + 4, on angular shapes, and on d above
/// `high_minus_max_decentration` (a configurable default); strong minus doubles each penalty.
fn f4_high_minus_small_centred_lens(
    facts: &FrameFacts,
    c: &FrameRulesConfig,
    out: &mut Vec<RuleFinding>,
) {
    let s = facts.rx;
    let high_minus = s.strongest_minus <= c.high_minus;
    if !high_minus {
        return;
    }
    let strong = if s.strongest_minus <= c.strong_minus {
        2.0
    } else {
        1.0
    };
    let size = facts.size;
    if size.lens_width > c.high_minus_max_lens_width
        || size.effective_diameter > c.high_minus_max_lens_width + 4.0
    {
        out.push(RuleId::F4.warn(
            0.1 * strong,
            "A smaller lens keeps a high-minus lens thinner",
        ));
    }
    if matches!(
        facts.style.shape,
        Shape::Square | Shape::Geometric | Shape::Aviator | Shape::Butterfly
    ) {
        out.push(RuleId::F4.warn(
            0.05 * strong,
            "Round, oval or soft rectangular shapes keep high-minus edges even",
        ));
    }
    if facts.decentration > c.high_minus_max_decentration {
        out.push(RuleId::F4.warn(
            0.05 * strong,
            "The frame is much wider than your PD: edges get thick",
        ));
    }
}

/// F5, high plus ("≥ +2.50 counts as high": `high_plus`): "small, round, symmetric shape;
/// use the smallest blank to cut CT; avoid rimless and supra" (the rimless part is F2/F3).
/// Warns on shapes other than round or oval and on A above 52 mm (a fixed cut-off).
fn f5_high_plus_small_round_lens(
    facts: &FrameFacts,
    c: &FrameRulesConfig,
    out: &mut Vec<RuleFinding>,
) {
    let high_plus = facts.rx.strongest_plus >= c.high_plus;
    if !high_plus {
        return;
    }
    if !matches!(facts.style.shape, Shape::Round | Shape::Oval) {
        out.push(RuleId::F5.warn(
            0.05,
            "Small round or oval shapes keep high-plus lenses thinner",
        ));
    }
    if facts.size.lens_width > 52.0 {
        out.push(RuleId::F5.warn(
            0.1,
            "A smaller lens cuts the centre thickness of a high-plus lens",
        ));
    }
}

/// F6, progressive and office lenses: "needs design minimum fitting height ... standard
/// designs 18–22, short-corridor designs 14–16.5" (`progressive_min_fitting_height`, 18);
/// "The pupil sits about 11–13 mm below the top rim, so require B ≥ FH_min + 12 (practical
/// floors: B ≥ 28–32; 30 common)" (`pupil_below_top_rim` 12, `progressive_min_lens_height`
/// 28; see [`FrameRulesConfig::progressive_min_b`]). Blocks a shallower lens.
fn f6_progressive_lens_height(
    facts: &FrameFacts,
    c: &FrameRulesConfig,
    out: &mut Vec<RuleFinding>,
) {
    let progressive = matches!(facts.design, LensDesign::Progressive | LensDesign::Office);
    if progressive && facts.size.lens_height < c.progressive_min_b() {
        out.push(RuleId::F6.block("The lens is too shallow for a progressive corridor"));
    }
}

/// F7, lined bifocal: "flat-top 28 most common; bifocal set at the lower lid".
/// [assumption], a configurable default: "B ≥ 26" (`bifocal_min_lens_height`). Blocks a
/// shallower lens.
fn f7_bifocal_lens_height(facts: &FrameFacts, c: &FrameRulesConfig, out: &mut Vec<RuleFinding>) {
    if facts.design == LensDesign::Bifocal && facts.size.lens_height < c.bifocal_min_lens_height {
        out.push(RuleId::F7.block("The lens is too shallow for a bifocal segment"));
    }
}

/// F8, wrap sun frames: "Rx window about +2.00…−4.00 with CYL ≤ 2.00 (use SPH+CYL)"
/// (`wrap_max_plus`, `wrap_max_minus`, `wrap_max_cyl`: outside blocks); "Rx beyond ±2.00 →
/// avoid wrap; beyond ±3.00 → flat frame; no progressives in wrap" (`wrap_avoid_beyond`
/// warns, `wrap_flat_beyond` blocks, any ADD blocks).
fn f8_wrap_rx_window(facts: &FrameFacts, c: &FrameRulesConfig, out: &mut Vec<RuleFinding>) {
    if facts.style.shape != Shape::Wrap {
        return;
    }
    let s = facts.rx;
    let p = s.max_meridian_power;
    let outside = s.strongest_plus > c.wrap_max_plus
        || s.strongest_minus < c.wrap_max_minus
        || s.max_cyl > c.wrap_max_cyl;
    if outside || p > c.wrap_flat_beyond {
        out.push(
            RuleId::F8.block(
                "Wrap frames cannot take a prescription this strong: choose a flatter frame",
            ),
        );
    } else if p > c.wrap_avoid_beyond {
        out.push(RuleId::F8.warn(
            0.2,
            "Wrap frames distort prescriptions beyond 2.00: a flatter frame is better",
        ));
    }
    if s.add > 0.0 {
        out.push(RuleId::F8.block("Progressive lenses do not work in wrap frames"));
    }
}

/// F9, large or oversized frames: "([assumption] A ≥ 56 or ED ≥ 60) and P ≥ 4.00"
/// (`oversized_lens_width`, `oversized_ed`, `oversized_power`; configurable defaults): "warn
/// about thickness and weight and check MBS; suggest a smaller size. A PD under 60 calls for
/// a small frame" (warns from P >= 1.00, a fixed cut-off). Judged on the size, not the shape.
fn f9_oversized_frame_with_strong_rx(
    facts: &FrameFacts,
    c: &FrameRulesConfig,
    out: &mut Vec<RuleFinding>,
) {
    let s = facts.rx;
    let p = s.max_meridian_power;
    let size = facts.size;
    let oversized =
        size.lens_width >= c.oversized_lens_width || size.effective_diameter >= c.oversized_ed;
    if oversized && p >= c.oversized_power {
        out.push(RuleId::F9.warn(
            0.2,
            "Large frames make strong lenses thick and heavy: a smaller size is better",
        ));
    }
    if oversized && s.binocular_pd < 60.0 && p >= 1.0 {
        out.push(RuleId::F9.warn(0.1, "A narrow PD suits a smaller frame"));
    }
}

/// F10, poor centring. [assumption], configurable defaults: "warn if d > 4 mm per eye; block
/// if MBS > 75 (or > 80 for surfaced lenses)" (`max_decentration_warn`, `stock_blank`,
/// `surfaced_blank`). Section 2: "If MBS exceeds the available blank, the job needs a
/// custom-surfaced blank or the frame should be refused."
fn f10_centring_and_blank_size(
    facts: &FrameFacts,
    c: &FrameRulesConfig,
    out: &mut Vec<RuleFinding>,
) {
    let blank = if needs_surfacing(facts.design, facts.rx) {
        c.surfaced_blank
    } else {
        c.stock_blank
    };
    if facts.min_blank_size > blank {
        out.push(
            RuleId::F10.block("The lens blank is too small to centre your lenses in this frame"),
        );
    } else if facts.decentration > c.max_decentration_warn {
        out.push(RuleId::F10.warn(
            0.15,
            "Your eyes sit far from the lens centres in this frame",
        ));
    }
}

/// F11, child or sport frames: "PC or Trivex mandatory; spring hinges for active children;
/// sports need ASTM F803 protectors worn over PC lenses". The material choice already makes
/// the lens impact resistant; this notes it and never blocks.
fn f11_kids_and_sport_need_impact_resistance(facts: &FrameFacts, out: &mut Vec<RuleFinding>) {
    if matches!(facts.style.category, Category::Kids | Category::Sport) {
        out.push(RuleId::F11.info("Polycarbonate or Trivex lenses are mandatory here"));
    }
}

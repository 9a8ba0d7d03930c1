//! Frame compatibility (domain brief section 3, rules F1-F11) with the section 2 geometry:
//! decentration, minimum blank size and the sag-formula thickness estimate. Table-driven:
//! every threshold lives in [`FrameRulesConfig`] ([assumption] values are defaults to tune).

use serde::{Deserialize, Serialize};

use super::lens_choice::{choose_design, choose_material, needs_surfacing, LensRequest};
use super::rx::RxSummary;
use crate::domain::{
    Category, FrameSize, LensDesign, LensMaterial, Prescription, RimType, Shape, Style,
};

pub use super::geometry::{
    decentration, max_decentration, min_blank_size, sag, thickness, Thickness,
};

/// The section 3 rule table ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warn,
    /// The size must not be offered.
    Block,
}

/// One rule's verdict on one frame size.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleFinding {
    pub rule: RuleId,
    pub severity: Severity,
    /// Score deduction in [0, 1] (0 for info and blocks).
    pub penalty: f32,
    pub message: &'static str,
}

/// Thresholds of the rule table. Defaults follow the domain brief.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FrameRulesConfig {
    /// F2 [assumption]: rimless soft limit on max meridian power P.
    pub rimless_soft_power: f32,
    /// F2 [assumption]: rimless hard limit on P (one source: none at >= 6 D).
    pub rimless_hard_power: f32,
    /// F2/F3 [assumption]: strongest plus meridian allowed in rimless and semi-rimless.
    pub rimless_max_plus: f32,
    /// F2: lab edge thickness range for drilled mounts (upper end warns).
    pub rimless_max_edge: f32,
    /// F3 [assumption]: semi-rimless soft limit on P.
    pub semi_rimless_soft_power: f32,
    /// F3: avoid semi-rimless beyond this minus.
    pub semi_rimless_high_minus: f32,
    /// F4: high minus (<= -3.00) and strong minus (<= -5.00).
    pub high_minus: f32,
    pub strong_minus: f32,
    /// F4 [assumption]: keep decentration within this for high minus.
    pub high_minus_max_decentration: f32,
    /// F4: lens width / ED above which a high-minus lens gets thick.
    pub high_minus_max_lens_width: f32,
    /// F5: high plus (>= +2.50).
    pub high_plus: f32,
    /// F6: design minimum fitting height (standard 18-22; short corridor 14-16.5).
    pub progressive_min_fitting_height: f32,
    /// F6: pupil centre below the top rim.
    pub pupil_below_top_rim: f32,
    /// F6: practical floor for B.
    pub progressive_min_lens_height: f32,
    /// F7 [assumption]: lined bifocal minimum B.
    pub bifocal_min_lens_height: f32,
    /// F8: wrap Rx window on meridians (+2.00 ... -4.00) and |CYL| <= 2.00.
    pub wrap_max_plus: f32,
    pub wrap_max_minus: f32,
    pub wrap_max_cyl: f32,
    /// F8: beyond +-3.00 use a flat frame (blocks); beyond +-2.00 avoid (warns).
    pub wrap_flat_beyond: f32,
    pub wrap_avoid_beyond: f32,
    /// F9 [assumption]: oversized when A >= 56 or ED >= 60, relevant from P >= 4.00.
    pub oversized_lens_width: f32,
    pub oversized_ed: f32,
    pub oversized_power: f32,
    /// F10 [assumption]: warn above this decentration per eye.
    pub max_decentration_warn: f32,
    /// F10 [assumption]: largest blank for stock / surfaced lenses (mm).
    pub stock_blank: f32,
    pub surfaced_blank: f32,
    /// Section 2: minimum edge thickness by mounting (mm) for plus lenses.
    pub min_edge_full: f32,
    pub min_edge_grooved: f32,
    pub min_edge_drilled: f32,
    /// Section 4 [assumption]: aspheric from this P.
    pub aspheric_from_power: f32,
    /// Section 1: online labs cap prism at about 5.
    pub max_online_prism: f32,
    /// Engine cost per point of lost compatibility score (fit rules add costs in mm-ish units).
    pub cost_per_score: f32,
    /// Engine cost per mm of the thickest point above 3 mm (prefers thinner lenses).
    pub cost_per_mm: f32,
}

impl Default for FrameRulesConfig {
    fn default() -> Self {
        Self {
            rimless_soft_power: 4.0,
            rimless_hard_power: 6.0,
            rimless_max_plus: 3.0,
            rimless_max_edge: 5.0,
            semi_rimless_soft_power: 6.0,
            semi_rimless_high_minus: -3.0,
            high_minus: -3.0,
            strong_minus: -5.0,
            high_minus_max_decentration: 3.0,
            high_minus_max_lens_width: 54.0,
            high_plus: 2.5,
            progressive_min_fitting_height: 18.0,
            pupil_below_top_rim: 12.0,
            progressive_min_lens_height: 28.0,
            bifocal_min_lens_height: 26.0,
            wrap_max_plus: 2.0,
            wrap_max_minus: -4.0,
            wrap_max_cyl: 2.0,
            wrap_flat_beyond: 3.0,
            wrap_avoid_beyond: 2.0,
            oversized_lens_width: 56.0,
            oversized_ed: 60.0,
            oversized_power: 4.0,
            max_decentration_warn: 4.0,
            stock_blank: 75.0,
            surfaced_blank: 80.0,
            min_edge_full: 1.0,
            min_edge_grooved: 2.0,
            min_edge_drilled: 2.0,
            aspheric_from_power: 3.0,
            max_online_prism: 5.0,
            cost_per_score: 20.0,
            cost_per_mm: 1.0,
        }
    }
}

impl FrameRulesConfig {
    /// Minimum lens height B a progressive needs: FH_min + 12, at least the practical floor.
    pub fn progressive_min_b(&self) -> f32 {
        (self.progressive_min_fitting_height + self.pupil_below_top_rim)
            .max(self.progressive_min_lens_height)
    }
}

/// The verdict on one (prescription, style, size).
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    let p = s.max_meridian_power;
    let mut f: Vec<RuleFinding> = Vec::new();
    let mut add = |rule, severity, penalty: f32, message| {
        f.push(RuleFinding {
            rule,
            severity,
            penalty,
            message,
        })
    };
    use RuleId::*;
    use Severity::*;
    match style.rim {
        RimType::Full => {
            if p >= 3.0 {
                add(
                    F1,
                    Info,
                    0.0,
                    "Full rims hide edge thickness: a good choice for your prescription",
                );
            }
        }
        RimType::Rimless => {
            if p > c.rimless_hard_power {
                add(
                    F2,
                    Block,
                    0.0,
                    "Rimless mounts cannot take a prescription this strong",
                );
            } else if p > c.rimless_soft_power {
                add(
                    F2,
                    Warn,
                    0.3,
                    "Strong prescriptions show thick edges in rimless frames",
                );
            }
            if s.strongest_plus > c.rimless_max_plus {
                add(
                    F2,
                    Block,
                    0.0,
                    "High-plus lenses are too thick at the centre for rimless mounts",
                );
            }
            if s.anisometropic {
                add(
                    F2,
                    Block,
                    0.0,
                    "Very different powers between the eyes show unequal edges in rimless frames",
                );
            }
            if design == LensDesign::Reader {
                add(
                    F2,
                    Warn,
                    0.1,
                    "Rimless readers taken on and off all day loosen at the drill holes",
                );
            }
            if p > 0.0 && t.edge > c.rimless_max_edge {
                add(
                    F2,
                    Warn,
                    0.15,
                    "Edges would exceed what rimless mounts are made for",
                );
            }
        }
        RimType::SemiRimless => {
            if s.strongest_plus > c.rimless_max_plus {
                add(
                    F3,
                    Block,
                    0.0,
                    "High-plus lenses are too thin at the edge for a semi-rimless groove",
                );
            }
            if p > c.semi_rimless_soft_power {
                add(
                    F3,
                    Warn,
                    0.3,
                    "Semi-rimless frames suit mild to moderate prescriptions",
                );
            } else if s.strongest_minus < c.semi_rimless_high_minus {
                add(
                    F3,
                    Warn,
                    0.15,
                    "Minus lenses beyond -3.00 show thick edges below a semi-rimless cord",
                );
            }
        }
    }
    if s.strongest_minus <= c.high_minus {
        let strong = if s.strongest_minus <= c.strong_minus {
            2.0
        } else {
            1.0
        };
        if size.lens_width > c.high_minus_max_lens_width
            || size.effective_diameter > c.high_minus_max_lens_width + 4.0
        {
            add(
                F4,
                Warn,
                0.1 * strong,
                "A smaller lens keeps a high-minus lens thinner",
            );
        }
        if matches!(
            style.shape,
            Shape::Square | Shape::Geometric | Shape::Aviator | Shape::Butterfly
        ) {
            add(
                F4,
                Warn,
                0.05 * strong,
                "Round, oval or soft rectangular shapes keep high-minus edges even",
            );
        }
        if d > c.high_minus_max_decentration {
            add(
                F4,
                Warn,
                0.05 * strong,
                "The frame is much wider than your PD: edges get thick",
            );
        }
    }
    if s.strongest_plus >= c.high_plus {
        if !matches!(style.shape, Shape::Round | Shape::Oval) {
            add(
                F5,
                Warn,
                0.05,
                "Small round or oval shapes keep high-plus lenses thinner",
            );
        }
        if size.lens_width > 52.0 {
            add(
                F5,
                Warn,
                0.1,
                "A smaller lens cuts the centre thickness of a high-plus lens",
            );
        }
    }
    match design {
        LensDesign::Progressive | LensDesign::Office => {
            if size.lens_height < c.progressive_min_b() {
                add(
                    F6,
                    Block,
                    0.0,
                    "The lens is too shallow for a progressive corridor",
                );
            }
        }
        LensDesign::Bifocal => {
            if size.lens_height < c.bifocal_min_lens_height {
                add(
                    F7,
                    Block,
                    0.0,
                    "The lens is too shallow for a bifocal segment",
                );
            }
        }
        LensDesign::SingleVision | LensDesign::Reader => {}
    }
    if style.shape == Shape::Wrap {
        let outside = s.strongest_plus > c.wrap_max_plus
            || s.strongest_minus < c.wrap_max_minus
            || s.max_cyl > c.wrap_max_cyl;
        if outside || p > c.wrap_flat_beyond {
            add(
                F8,
                Block,
                0.0,
                "Wrap frames cannot take a prescription this strong: choose a flatter frame",
            );
        } else if p > c.wrap_avoid_beyond {
            add(
                F8,
                Warn,
                0.2,
                "Wrap frames distort prescriptions beyond 2.00: a flatter frame is better",
            );
        }
        if s.add > 0.0 {
            add(
                F8,
                Block,
                0.0,
                "Progressive lenses do not work in wrap frames",
            );
        }
    }
    let oversized =
        size.lens_width >= c.oversized_lens_width || size.effective_diameter >= c.oversized_ed;
    if oversized && p >= c.oversized_power {
        add(
            F9,
            Warn,
            0.2,
            "Large frames make strong lenses thick and heavy: a smaller size is better",
        );
    }
    if oversized && s.binocular_pd < 60.0 && p >= 1.0 {
        add(F9, Warn, 0.1, "A narrow PD suits a smaller frame");
    }
    let blank = if needs_surfacing(design, s) {
        c.surfaced_blank
    } else {
        c.stock_blank
    };
    if mbs > blank {
        add(
            F10,
            Block,
            0.0,
            "The lens blank is too small to centre your lenses in this frame",
        );
    } else if d > c.max_decentration_warn {
        add(
            F10,
            Warn,
            0.15,
            "Your eyes sit far from the lens centres in this frame",
        );
    }
    if matches!(style.category, Category::Kids | Category::Sport) {
        add(
            F11,
            Info,
            0.0,
            "Polycarbonate or Trivex lenses are mandatory here",
        );
    }
    let allowed = f.iter().all(|x| x.severity != Block);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EyeRx, PupillaryDistance};
    use crate::optics::testutil::{size, style};

    fn rx(sph: f32, cyl: f32, add: Option<f32>, pd: f32) -> Prescription {
        let eye = EyeRx {
            sph,
            cyl,
            axis: (cyl != 0.0).then_some(180),
            add,
            prism: None,
        };
        Prescription {
            od: eye.clone(),
            os: eye,
            pd: PupillaryDistance::Binocular(pd),
            fitting_height: None,
        }
    }

    fn check(rx: &Prescription, shape: Shape, rim: RimType, size: &FrameSize) -> FrameCheck {
        let st = style("s", Category::Optical, shape, rim, vec![size.clone()]);
        evaluate(rx, &st, size, None, &FrameRulesConfig::default())
    }

    #[test]
    fn when_50_20_frame_and_pd_68_should_decentre_1mm_and_need_ed_plus_4() {
        let s = size("50", 50.0, 20.0, 36.0, 52.0);
        assert_eq!(decentration(&s, 68.0), 1.0);
        assert_eq!(max_decentration(&s, (34.0, 34.0)), 1.0);
        // MBS = ED + 2d + 2 = 52 + 2 + 2 (not ED + d + 2: d is per eye).
        assert_eq!(min_blank_size(52.0, 1.0), 56.0);
        let c = check(&rx(-1.0, 0.0, None, 68.0), Shape::Round, RimType::Full, &s);
        assert_eq!(c.min_blank_size_mm, 56.0);
    }

    #[test]
    fn when_progressive_should_require_b_of_fh_min_plus_12() {
        let c = FrameRulesConfig::default();
        assert_eq!(c.progressive_min_b(), 30.0);
        let presbyope = rx(-1.0, 0.0, Some(2.0), 63.0);
        let shallow = size("50", 50.0, 18.0, 29.0, 52.0);
        let deep = size("50", 50.0, 18.0, 30.0, 52.0);
        let a = check(&presbyope, Shape::Rectangle, RimType::Full, &shallow);
        assert!(!a.allowed);
        assert_eq!(a.blocked_by().collect::<Vec<_>>(), vec![RuleId::F6]);
        assert!(check(&presbyope, Shape::Rectangle, RimType::Full, &deep).allowed);
        // Short-corridor design (FH 14) lowers the bar to the practical floor of 28.
        let short = FrameRulesConfig {
            progressive_min_fitting_height: 14.0,
            ..FrameRulesConfig::default()
        };
        assert_eq!(short.progressive_min_b(), 28.0);
        // The same frame is fine for single vision.
        assert!(
            check(
                &rx(-1.0, 0.0, None, 63.0),
                Shape::Rectangle,
                RimType::Full,
                &shallow
            )
            .allowed
        );
    }

    #[test]
    fn when_bifocal_should_require_b_26() {
        let st_size = size("50", 50.0, 18.0, 25.0, 52.0);
        let st = style(
            "s",
            Category::Optical,
            Shape::Rectangle,
            RimType::Full,
            vec![st_size.clone()],
        );
        let c = evaluate(
            &rx(-1.0, 0.0, Some(2.0), 63.0),
            &st,
            &st_size,
            Some(LensDesign::Bifocal),
            &FrameRulesConfig::default(),
        );
        assert_eq!(c.blocked_by().collect::<Vec<_>>(), vec![RuleId::F7]);
    }

    #[test]
    fn when_rimless_should_apply_f2_limits() {
        let s = size("50", 50.0, 18.0, 34.0, 52.0);
        assert!(
            check(
                &rx(-3.0, 0.0, None, 66.0),
                Shape::Oval,
                RimType::Rimless,
                &s
            )
            .allowed
        );
        let soft = check(
            &rx(-5.0, 0.0, None, 66.0),
            Shape::Oval,
            RimType::Rimless,
            &s,
        );
        assert!(soft.allowed && soft.score < 0.8);
        assert!(
            !check(
                &rx(-6.5, 0.0, None, 66.0),
                Shape::Oval,
                RimType::Rimless,
                &s
            )
            .allowed
        );
        assert!(!check(&rx(3.5, 0.0, None, 66.0), Shape::Oval, RimType::Rimless, &s).allowed);
        let mut aniso = rx(-1.0, 0.0, None, 66.0);
        aniso.os.sph = -3.5;
        assert!(!check(&aniso, Shape::Oval, RimType::Rimless, &s).allowed);
        assert!(check(&aniso, Shape::Oval, RimType::Full, &s).allowed);
    }

    #[test]
    fn when_semi_rimless_should_block_high_plus_and_warn_high_minus() {
        let s = size("50", 50.0, 18.0, 34.0, 52.0);
        assert!(
            !check(
                &rx(3.25, 0.0, None, 66.0),
                Shape::Oval,
                RimType::SemiRimless,
                &s
            )
            .allowed
        );
        let minus = check(
            &rx(-3.5, 0.0, None, 66.0),
            Shape::Oval,
            RimType::SemiRimless,
            &s,
        );
        assert!(minus.allowed && minus.findings.iter().any(|f| f.rule == RuleId::F3));
    }

    #[test]
    fn when_wrap_should_keep_rx_inside_window() {
        let s = size("58", 58.0, 16.0, 40.0, 62.0);
        let wrap = |r: Prescription| check(&r, Shape::Wrap, RimType::Full, &s);
        assert!(wrap(rx(-1.5, -0.5, None, 66.0)).allowed);
        assert!(
            !wrap(rx(-3.5, 0.0, None, 66.0)).allowed,
            "beyond 3.00 needs a flat frame"
        );
        assert!(
            !wrap(rx(2.25, 0.0, None, 66.0)).allowed,
            "plus window ends at +2.00"
        );
        assert!(!wrap(rx(-0.5, -2.5, None, 66.0)).allowed, "cyl above 2.00");
        assert!(
            !wrap(rx(-0.5, 0.0, Some(1.5), 66.0)).allowed,
            "no progressives in wrap"
        );
        let avoid = wrap(rx(-2.5, 0.0, None, 66.0));
        assert!(avoid.allowed && avoid.score < 1.0);
    }

    #[test]
    fn when_high_minus_in_oversized_frame_should_warn_and_prefer_smaller_size() {
        let small = size("49", 49.0, 18.0, 34.0, 51.0);
        let big = size("57", 57.0, 18.0, 40.0, 61.0);
        let r = rx(-5.5, 0.0, None, 64.0);
        let st = style(
            "s",
            Category::Optical,
            Shape::Rectangle,
            RimType::Full,
            vec![big.clone(), small.clone()],
        );
        let c = evaluate(&r, &st, &big, None, &FrameRulesConfig::default());
        assert!(c.findings.iter().any(|f| f.rule == RuleId::F9));
        assert!(c.findings.iter().any(|f| f.rule == RuleId::F4));
        let (best, _) = best_size(&r, &st, &FrameRulesConfig::default()).unwrap();
        assert_eq!(best.label, "49");
    }

    #[test]
    fn when_blank_too_small_should_block_f10() {
        // ED 64, A 60 + DBL 22 = 82 vs PD 54: d = 14, MBS = 64 + 28 + 2 = 94 > 80.
        let s = size("60", 60.0, 22.0, 40.0, 64.0);
        let c = check(
            &rx(-0.5, 0.0, None, 54.0),
            Shape::Rectangle,
            RimType::Full,
            &s,
        );
        assert_eq!(c.min_blank_size_mm, 94.0);
        assert_eq!(c.blocked_by().collect::<Vec<_>>(), vec![RuleId::F10]);
        // d = 5 mm but the blank fits: warning only.
        let s = size("52", 52.0, 18.0, 36.0, 54.0);
        let c = check(
            &rx(-0.5, 0.0, None, 60.0),
            Shape::Rectangle,
            RimType::Full,
            &s,
        );
        assert!(c.allowed && c.findings.iter().any(|f| f.rule == RuleId::F10));
    }

    #[test]
    fn when_kids_frame_should_note_impact_resistant_lenses() {
        let s = size("44", 44.0, 16.0, 30.0, 46.0);
        let st = style(
            "k",
            Category::Kids,
            Shape::Round,
            RimType::Full,
            vec![s.clone()],
        );
        let c = evaluate(
            &rx(-1.0, 0.0, None, 50.0),
            &st,
            &s,
            None,
            &FrameRulesConfig::default(),
        );
        assert!(c.material.is_impact_resistant());
        assert!(c.findings.iter().any(|f| f.rule == RuleId::F11));
    }
}

//! The rules F1-F11 through [`evaluate`] and [`best_size`], as their callers use them.

use super::*;
use crate::domain::{Category, Shape};
use crate::optics::testutil::{rx, size, style};

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

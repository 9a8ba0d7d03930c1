//! "Why this pick?" on small hand-built catalogues: the breakdown is the list's own score,
//! and every reason and counterfactual text is checked against the evidence behind it and
//! against an independent re-run of `Engine::recommend`.

use super::testkit::{daily, frame_size, june, pair, signal, StyleBuilder};
use super::why_fit::refusing_rules;
use super::*;
use crate::domain::{
    ColourFamily, EyeRx, FrameSize, Material, Prescription, PupillaryDistance, RimType, Shape,
    SignalKind, StylePreferences,
};
use crate::optics::frame::FrameRulesConfig;

const SHAPES: [Shape; 6] = [
    Shape::Round,
    Shape::Square,
    Shape::Aviator,
    Shape::CatEye,
    Shape::Oval,
    Shape::Wayfarer,
];
const MATERIALS: [Material; 3] = [Material::Acetate, Material::Titanium, Material::Tr90];
const COLOURS: [ColourFamily; 4] = [
    ColourFamily::Black,
    ColourFamily::Tortoise,
    ColourFamily::Gold,
    ColourFamily::Blue,
];

/// 30 styles `s00`..`s29`; `s01` is "Aurora Round" and co-occurs strongly with `s02`;
/// `s10`..`s19` are popular, so without history `s02` is far from the top.
fn engine() -> Engine {
    let styles: Vec<Style> = (0..30)
        .map(|i| {
            let name = if i == 1 {
                "Aurora Round".to_string()
            } else {
                format!("Model {i}")
            };
            StyleBuilder::new(&format!("s{i:02}"))
                .name(&name)
                .shape(SHAPES[i % 6])
                .material(MATERIALS[i % 3])
                .colourway("c", COLOURS[i % 4], &[("52", 5)])
                .build()
        })
        .collect();
    let counts: Vec<_> = (10..20)
        .map(|i| daily(&format!("s{i:02}"), june(), 2, SignalKind::Purchase, 40))
        .collect();
    let pairs = vec![pair("s01", "s02", 60), pair("s03", "s04", 5)];
    let config = EngineConfig::default();
    let model = Model::build(&styles, &counts, &pairs, june(), &config);
    Engine::new(styles, model, config)
}

fn request<'a>(
    customer: Option<&'a Customer>,
    history: &'a [Signal],
    style_id: &'a str,
    top: usize,
    rules: &'a FrameRulesConfig,
) -> WhyRequest<'a> {
    WhyRequest {
        customer,
        history,
        now: june(),
        style_id,
        top,
        frame_rules: rules,
        feeds: None,
    }
}

fn listed(engine: &Engine, customer: Option<&Customer>, history: &[Signal]) -> Vec<String> {
    engine
        .recommend(&RecommendRequest {
            customer,
            history,
            now: june(),
            limit: engine.config().list_size,
            feeds: None,
        })
        .into_iter()
        .map(|i| i.style_id)
        .collect()
}

fn shown(list: &[String], style_id: &str, top: usize) -> bool {
    list.iter().take(top).any(|s| s == style_id)
}

/// Every text of the answer against what produced it, re-running the engine itself.
fn assert_true_to_evidence(
    engine: &Engine,
    customer: Option<&Customer>,
    history: &[Signal],
    why: &Explanation,
) {
    let top = why.standing.top;
    let before = listed(engine, customer, history);
    assert_eq!(
        shown(&before, &why.style_id, top),
        why.standing.status == ListStatus::Shown
    );
    let history_names: Vec<&str> = history
        .iter()
        .filter_map(|s| engine.style(&s.style_id))
        .map(|s| s.name.as_str())
        .collect();
    for reason in &why.reasons {
        if reason.code.starts_with("because_you") || reason.code.starts_with("similar_to") {
            assert!(
                history_names.iter().any(|n| reason.text.contains(n)),
                "{reason:?} names no history style"
            );
        }
    }
    for e in &why.evidence.history {
        let own: Vec<&Signal> = history
            .iter()
            .filter(|s| s.style_id == e.style_id)
            .collect();
        assert_eq!(own.len(), e.signals, "{e:?}");
        assert!(own.iter().any(|s| s.kind == e.kind), "{e:?}");
    }
    for c in &why.counterfactuals {
        match c.kind {
            CounterfactualKind::WithoutSignal => {
                let id = c.history_style_id.as_deref().unwrap();
                let e = why.evidence.history.iter().find(|e| e.style_id == id);
                let e = e.unwrap_or_else(|| panic!("{c:?} names no evidence"));
                assert!(c.text.contains(&e.name), "{c:?}");
                let without: Vec<Signal> = history
                    .iter()
                    .filter(|s| s.style_id != id)
                    .cloned()
                    .collect();
                let after = listed(engine, customer, &without);
                assert_eq!(shown(&after, &why.style_id, top), c.shown_after, "{c:?}");
                assert_ne!(c.shown_after, shown(&before, &why.style_id, top), "{c:?}");
                let claim = if c.shown_after {
                    "would be shown"
                } else {
                    "would not be shown"
                };
                assert!(c.text.ends_with(claim), "{c:?}");
            }
            CounterfactualKind::Preference => {
                let change = c.preference.as_ref().unwrap();
                let mut changed = customer.cloned().unwrap_or_else(|| Customer::new(""));
                let value = serde_json::Value::String(change.value.clone());
                let p = &mut changed.preferences;
                match change.dimension {
                    PreferenceDimension::Shapes => {
                        p.shapes = vec![serde_json::from_value(value).unwrap()]
                    }
                    PreferenceDimension::Materials => {
                        p.materials = vec![serde_json::from_value(value).unwrap()]
                    }
                    PreferenceDimension::Rims => {
                        p.rims = vec![serde_json::from_value(value).unwrap()]
                    }
                    PreferenceDimension::ColourFamilies => {
                        p.colour_families = vec![serde_json::from_value(value).unwrap()]
                    }
                }
                let after = listed(engine, Some(&changed), history);
                assert!(!c.brings_in.is_empty() && c.brings_in.len() <= 3);
                for s in &c.brings_in {
                    assert!(shown(&after, &s.style_id, top), "{c:?}");
                    assert!(!shown(&before, &s.style_id, top), "{c:?}");
                    assert!(c.text.contains(&s.name), "{c:?}");
                }
                assert_eq!(shown(&after, &why.style_id, top), c.shown_after);
            }
            CounterfactualKind::OtherSize => {
                let style = engine.style(&why.style_id).unwrap();
                let label = c.size.as_deref().unwrap();
                let size = style.size(label).unwrap();
                let customer = customer.unwrap();
                assert!(refusing_rules(engine, customer, style, size).is_empty());
                assert!(c.text.contains(label), "{c:?}");
            }
        }
    }
}

#[test]
fn when_no_history_should_score_with_crowd_terms_only() {
    let engine = engine();
    let rules = FrameRulesConfig::default();
    let why = engine
        .explain(&request(None, &[], "s12", 12, &rules))
        .unwrap();
    assert!(!why.personal);
    let part = |c: Component| {
        why.components
            .iter()
            .find(|p| p.component == c)
            .map(|p| p.contribution)
            .unwrap()
    };
    for personal in [
        Component::Collaborative,
        Component::Taste,
        Component::Preference,
        Component::Profile,
    ] {
        assert_eq!(part(personal), 0.0, "{personal:?}");
    }
    assert!(part(Component::Popularity) > 0.0);
    assert_eq!(part(Component::Context), 0.0);
    assert!(why.evidence.history.is_empty() && why.evidence.profile.is_empty());
    let shares: f32 = why.components.iter().map(|c| c.share).sum();
    assert!((shares - 1.0).abs() < 1e-4, "{shares}");
    assert!(why.fit.fits);
    assert_true_to_evidence(&engine, None, &[], &why);
}

#[test]
fn when_listed_should_break_down_the_score_the_list_ranks_by() {
    let engine = engine();
    let rules = FrameRulesConfig::default();
    let history = vec![signal(SignalKind::TryOn, "s01", june(), 1)];
    let list = engine.recommend(&RecommendRequest {
        customer: None,
        history: &history,
        now: june(),
        limit: 100,
        feeds: None,
    });
    for (p, item) in list.iter().enumerate().take(8) {
        let why = engine
            .explain(&request(None, &history, &item.style_id, 12, &rules))
            .unwrap();
        assert_eq!(why.score, item.score, "{}", item.style_id);
        assert_eq!(why.reasons, item.reasons);
        assert_eq!(why.standing.position, Some(p + 1));
        let terms: f32 = why
            .components
            .iter()
            .filter(|c| !matches!(c.component, Component::Diversity | Component::Context))
            .map(|c| c.contribution)
            .sum();
        assert!((terms - why.score).abs() < 1e-5);
        let rank = why.standing.score_rank.unwrap();
        assert_eq!(
            why.standing.diversity_places,
            Some((p + 1) as i64 - rank as i64)
        );
    }
}

#[test]
fn when_a_try_on_holds_the_pick_up_should_say_dropping_it_removes_it() {
    let engine = engine();
    let rules = FrameRulesConfig::default();
    let history = vec![signal(SignalKind::TryOn, "s01", june(), 1)];
    let why = engine
        .explain(&request(None, &history, "s02", 3, &rules))
        .unwrap();
    assert_eq!(why.standing.status, ListStatus::Shown, "{:?}", why.standing);
    let aurora = &why.evidence.history[0];
    assert_eq!(aurora.style_id, "s01");
    assert_eq!(aurora.kind, SignalKind::TryOn);
    assert!(aurora.collaborative > 0.0 && aurora.anchor);
    let texts: Vec<&str> = why
        .counterfactuals
        .iter()
        .map(|c| c.text.as_str())
        .collect();
    assert!(
        texts.contains(&"Without your try-on of Aurora Round this would not be shown"),
        "{texts:?}"
    );
    assert_true_to_evidence(&engine, None, &history, &why);
}

#[test]
fn when_dismissed_should_be_excluded_and_say_undoing_it_shows_it() {
    let engine = engine();
    let rules = FrameRulesConfig::default();
    let history = vec![
        signal(SignalKind::TryOn, "s01", june(), 1),
        signal(SignalKind::Dismiss, "s12", june(), 2),
    ];
    let why = engine
        .explain(&request(None, &history, "s12", 12, &rules))
        .unwrap();
    assert_eq!(why.standing.status, ListStatus::Excluded);
    assert_eq!(why.standing.text, "Not on your list: you dismissed it");
    assert!(
        why.counterfactuals
            .iter()
            .any(|c| c.text == "Without your dismissal of Model 12 this would be shown"),
        "{:?}",
        why.counterfactuals
    );
    assert_true_to_evidence(&engine, None, &history, &why);
}

#[test]
fn when_a_preference_changed_should_name_styles_the_rerun_brings_in() {
    let engine = engine();
    let rules = FrameRulesConfig::default();
    let mut customer = Customer::new("c1");
    customer.preferences = StylePreferences {
        shapes: vec![Shape::Round],
        ..StylePreferences::default()
    };
    let history = vec![signal(SignalKind::View, "s05", june(), 3)];
    let why = engine
        .explain(&request(Some(&customer), &history, "s06", 5, &rules))
        .unwrap();
    let flip = why
        .counterfactuals
        .iter()
        .find(|c| c.kind == CounterfactualKind::Preference)
        .expect("a preference flip");
    assert!(flip.text.starts_with("If you preferred "), "{}", flip.text);
    let shapes = why
        .evidence
        .profile
        .iter()
        .find(|p| p.field == ProfileField::PreferredShapes)
        .unwrap();
    // s06 is round (SHAPES[0]): the declared preference matches it.
    assert!(shapes.matched, "{shapes:?}");
    assert_true_to_evidence(&engine, Some(&customer), &history, &why);
}

fn strong_minus() -> Customer {
    let eye = EyeRx {
        sph: -7.0,
        cyl: 0.0,
        axis: None,
        add: None,
        prism: None,
    };
    let mut c = Customer::new("rx");
    c.prescription = Some(Prescription {
        od: eye.clone(),
        os: eye,
        pd: PupillaryDistance::Binocular(62.0),
        fitting_height: None,
    });
    c
}

#[test]
fn when_prescription_rules_the_frame_out_should_name_the_checks_but_no_values() {
    let mut rimless = StyleBuilder::new("rimless").name("Air").build();
    rimless.rim = RimType::Rimless;
    let styles = vec![rimless, StyleBuilder::new("full").build()];
    let config = EngineConfig::default();
    let model = Model::build(&styles, &[], &[], june(), &config);
    let engine = Engine::new(styles, model, config);
    let rules = FrameRulesConfig::default();
    let customer = strong_minus();
    let why = engine
        .explain(&request(Some(&customer), &[], "rimless", 12, &rules))
        .unwrap();
    assert!(!why.fit.fits);
    assert_eq!(why.standing.status, ListStatus::DoesNotFit);
    let rejection = &why.fit.rejections[0];
    assert_eq!(rejection.rule, FitRuleKind::Prescription);
    assert!(rejection.checks.contains(&crate::optics::frame::RuleId::F2));
    assert!(why
        .fit
        .text
        .starts_with("Your prescription rules this frame out"));
    let mut texts = vec![why.fit.text.clone(), why.standing.text.clone()];
    texts.extend(why.fit.rejections.iter().map(|r| r.text.clone()));
    texts.extend(why.counterfactuals.iter().map(|c| c.text.clone()));
    texts.extend(why.reasons.iter().map(|r| r.text.clone()));
    for text in &texts {
        // -7.00 D and a 62 mm PD, however written.
        for value in ["7.0", "-7", "7 D", "62"] {
            assert!(!text.contains(value), "{value} in {text}");
        }
    }
    assert_true_to_evidence(&engine, Some(&customer), &[], &why);
}

/// Refuses sizes wider than 140 mm: a stand-in for a size rule that refuses.
struct NarrowOnly;

impl FitRule for NarrowOnly {
    fn size_cost(&self, _: &Customer, _: &Style, size: &FrameSize) -> Option<f32> {
        (size.total_width <= 140.0).then_some(0.0)
    }
}

#[test]
fn when_only_an_out_of_stock_size_fits_should_say_so() {
    let wide = StyleBuilder::new("wide")
        .sizes(vec![
            frame_size("49", 49.0, 18.0, 138.0, 125.0),
            frame_size("57", 57.0, 19.0, 150.0, 143.0),
        ])
        .colourway("blk", ColourFamily::Black, &[("49", 0), ("57", 5)])
        .build();
    let styles = vec![wide, StyleBuilder::new("other").build()];
    let config = EngineConfig::default();
    let model = Model::build(&styles, &[], &[], june(), &config);
    let engine = Engine::new(styles, model, config).with_fit_rule(Box::new(NarrowOnly));
    let rules = FrameRulesConfig::default();
    let customer = Customer::new("c1");
    let why = engine
        .explain(&request(Some(&customer), &[], "wide", 12, &rules))
        .unwrap();
    assert!(!why.fit.fits);
    let size = why
        .counterfactuals
        .iter()
        .find(|c| c.kind == CounterfactualKind::OtherSize)
        .expect("a size counterfactual");
    assert_eq!(size.size.as_deref(), Some("49"));
    assert_eq!(
        size.text,
        "In a narrower size (49, out of stock now) this would fit you"
    );
    assert_true_to_evidence(&engine, Some(&customer), &[], &why);
}

#[test]
fn when_style_unknown_should_answer_none() {
    let engine = engine();
    let rules = FrameRulesConfig::default();
    assert!(engine
        .explain(&request(None, &[], "nope", 12, &rules))
        .is_none());
}

//! Merchandising rules: parsing and bounds, and each rule's effect on a list (read time and
//! compute time), in the documented order.

use chrono::{DateTime, Duration, Utc};

use super::testkit::{daily, june, signal, StyleBuilder};
use super::*;
use crate::domain::{ScoredItem, SignalKind, Style};

const BRANDS: [&str; 3] = ["Alto", "Brio", "Cora"];

/// 12 styles: `a1..a4` by Alto, `b1..b4` by Brio, `c1..c4` by Cora; `c4` tagged "summer".
fn styles() -> Vec<Style> {
    let mut out = Vec::new();
    for n in 1..=4 {
        for brand in BRANDS {
            let id = format!("{}{n}", brand[..1].to_lowercase());
            let mut style = StyleBuilder::new(&id).brand(brand).build();
            if id == "c4" {
                style.tags = vec!["summer".to_string()];
            }
            out.push(style);
        }
    }
    out
}

/// An engine where popularity orders the styles a1, b1, c1, a2, b2, ... (most sold first).
fn engine() -> Engine {
    let styles = styles();
    let counts: Vec<_> = styles
        .iter()
        .enumerate()
        .map(|(rank, s)| {
            daily(
                &s.id,
                june(),
                1,
                SignalKind::Purchase,
                200 - 10 * rank as u32,
            )
        })
        .collect();
    let config = EngineConfig::default();
    let model = Model::build(&styles, &counts, &[], june(), &config);
    Engine::new(styles, model, config)
}

/// A stored list in popularity order with falling scores.
fn stored() -> Vec<ScoredItem> {
    styles()
        .iter()
        .enumerate()
        .map(|(p, s)| ScoredItem {
            style_id: s.id.clone(),
            sku: None,
            score: 1.0 - 0.05 * p as f32,
            reasons: vec![],
        })
        .collect()
}

fn rules(text: &str) -> MerchandisingRules {
    MerchandisingRules::from_toml_str(text).unwrap_or_else(|e| panic!("{e}"))
}

fn refused(text: &str) -> String {
    match MerchandisingRules::from_toml_str(text) {
        Err(e) => e.to_string(),
        Ok(r) => panic!("expected an error, got {r:?}"),
    }
}

fn ids(items: &[ScoredItem]) -> Vec<&str> {
    items.iter().map(|i| i.style_id.as_str()).collect()
}

fn position(items: &[ScoredItem], id: &str) -> Option<usize> {
    items.iter().position(|i| i.style_id == id).map(|p| p + 1)
}

fn served(rules: &MerchandisingRules, placement: &str, now: DateTime<Utc>) -> Vec<ScoredItem> {
    let mut items = stored();
    engine().merchandise(&mut items, rules, placement, now, Vec::new());
    items
}

#[test]
fn when_file_is_valid_should_parse_every_kind_and_name_rules() {
    let parsed = rules(
        r#"
[[pin]]
id = "hero"
style_id = "c4"
placement = "home"
position = 1
[[boost]]
brand = "Cora"
multiplier = 1.5
label = "Summer edit"
[[bury]]
price_band = "luxury"
multiplier = 0.5
[[exclude]]
style_ids = ["a1"]
reason = "recall"
until = 2026-12-31
[[cap]]
per = "brand"
max = 2
"#,
    );
    assert_eq!(parsed.len(), 5);
    assert_eq!(parsed.pins[0].meta.name, "hero");
    assert_eq!(parsed.score_rules[1].meta.name, "bury[1]");
    assert_eq!(
        parsed.score_rules[0].meta.label.as_deref(),
        Some("Summer edit")
    );
    assert_eq!(
        parsed.exclusions[0].meta.until,
        chrono::NaiveDate::from_ymd_opt(2026, 12, 31)
    );
    assert_eq!(parsed.caps[0].group, CapGroup::EachBrand);
    assert!(rules("").is_empty() && rules("").no_list_rules());
}

#[test]
fn when_values_are_out_of_bounds_should_name_the_rule_and_field() {
    let e = refused("[[boost]]\nbrand = \"Alto\"\nmultiplier = 5.0");
    assert!(e.contains("rule boost[1], field `multiplier`"), "{e}");
    assert!(refused("[[boost]]\nbrand = \"Alto\"\nmultiplier = 0.5").contains("`multiplier`"));
    let e = refused("[[bury]]\nid = \"sale\"\nbrand = \"Alto\"\nmultiplier = 0.1");
    assert!(e.contains("rule sale, field `multiplier`"), "{e}");
    let e = refused("[[pin]]\nstyle_id = \"a1\"\nplacement = \"home\"\nposition = 0");
    assert!(e.contains("rule pin[1], field `position`"), "{e}");
    assert!(refused("[[cap]]\nbrand = \"Alto\"\nmax = 0").contains("`max`"));
}

#[test]
fn when_file_is_malformed_should_report_every_problem_by_name() {
    let e = refused("[[boost]]\nbrand = \"Alto\"\nmultipler = 1.5");
    assert!(e.contains("rule boost[1], field `multipler`"), "{e}");
    let e = refused("[[exclude]]\nbrand = \"Alto\"\ntag = \"x\"");
    assert!(e.contains("give only one of"), "{e}");
    let e = refused("[[promote]]\nbrand = \"Alto\"");
    assert!(e.contains("`promote`: unknown section"), "{e}");
    let e = refused("[[exclude]]\nbrand = \"Alto\"\nfrom = \"2026-07-01\"\nuntil = \"2026-06-01\"");
    assert!(e.contains("field `until`"), "{e}");
    let e = refused("[[exclude]]\ncategory = \"goggles\"");
    assert!(e.contains("field `category`"), "{e}");
    let e = refused("[[exclude]]\nstyle_ids = [\"a1\"]\nfrom = \"June\"");
    assert!(e.contains("field `from`"), "{e}");
    // Two bad rules: both reported.
    let e = refused(
        "[[boost]]\nbrand = \"A\"\nmultiplier = 9.0\n[[bury]]\nbrand = \"B\"\nmultiplier = 2.0",
    );
    assert!(e.contains("boost[1]") && e.contains("bury[1]"), "{e}");
    assert!(refused("[[pin]\n").contains("not valid TOML"));
}

#[test]
fn when_pin_is_set_for_a_placement_should_place_its_style_there_only() {
    let pin = rules("[[pin]]\nstyle_id = \"c4\"\nplacement = \"home\"\nposition = 2");
    let home = served(&pin, "home", june());
    assert_eq!(position(&home, "c4"), Some(2));
    assert_eq!(home[1].reasons[0].code, FEATURED_CODE);
    assert_eq!(home[1].reasons[0].text, "Featured");
    assert_eq!(home.len(), 12, "a pin moves, never duplicates");
    let cart = served(&pin, "cart", june());
    assert_eq!(
        position(&cart, "c4"),
        Some(12),
        "other placements untouched"
    );
}

#[test]
fn when_boost_matches_should_lift_and_carry_its_label() {
    let boost = rules("[[boost]]\ntag = \"summer\"\nmultiplier = 1.5\nlabel = \"Summer edit\"");
    let items = served(&boost, "home", june());
    // c4 scored 0.45, last; x1.5 (0.675) it goes after the 7 unaffected items above that.
    assert_eq!(position(&items, "c4"), Some(8), "{:?}", ids(&items));
    let c4 = &items[7];
    assert!((c4.score - 0.675).abs() < 1e-5);
    assert_eq!(c4.reasons[0].code, PROMOTED_CODE);
    assert_eq!(c4.reasons[0].text, "Summer edit");
    // Unaffected items keep their relative order.
    let rest: Vec<&str> = ids(&items).into_iter().filter(|id| *id != "c4").collect();
    let before: Vec<String> = stored().into_iter().map(|i| i.style_id).collect();
    assert_eq!(
        rest,
        before[..11].iter().map(String::as_str).collect::<Vec<_>>()
    );
}

#[test]
fn when_brand_is_buried_should_drop_without_a_reason() {
    let bury = rules("[[bury]]\nbrand = \"alto\"\nmultiplier = 0.25");
    let items = served(&bury, "home", june());
    assert!(position(&items, "a1").unwrap() > 1, "{:?}", ids(&items));
    assert!(position(&items, "a1") > position(&items, "c3"));
    assert!(items.iter().all(|i| i.reasons.is_empty()));
    let mut list = stored();
    let trace = engine().merchandise(&mut list, &bury, "home", june(), Vec::new());
    let a1 = trace.iter().find(|t| t.style_id == "a1").unwrap();
    assert_eq!((a1.rule.as_str(), a1.kind), ("bury[1]", RuleKind::Bury));
    assert_eq!(a1.position_before, Some(1));
    assert_eq!(a1.position, position(&list, "a1"));
}

#[test]
fn when_exclusion_is_in_its_window_should_remove_the_styles() {
    let recall =
        rules("[[exclude]]\nstyle_ids = [\"b1\"]\nreason = \"recall\"\nfrom = 2026-06-10\nuntil = 2026-06-20");
    let inside = june();
    assert_eq!(inside.date_naive().to_string(), "2026-06-15");
    assert_eq!(position(&served(&recall, "home", inside), "b1"), None);
    let before = inside - Duration::days(6);
    let after = inside + Duration::days(6);
    assert_eq!(position(&served(&recall, "home", before), "b1"), Some(2));
    assert_eq!(position(&served(&recall, "home", after), "b1"), Some(2));
}

#[test]
fn when_cap_is_set_should_limit_a_brand_per_list() {
    let per_brand = served(&rules("[[cap]]\nper = \"brand\"\nmax = 2"), "home", june());
    assert_eq!(ids(&per_brand), ["a1", "b1", "c1", "a2", "b2", "c2"]);
    let cora = served(&rules("[[cap]]\nbrand = \"Cora\"\nmax = 1"), "home", june());
    assert_eq!(
        cora.iter().filter(|i| i.style_id.starts_with('c')).count(),
        1
    );
    assert_eq!(cora.len(), 9);
}

#[test]
fn when_rules_combine_should_apply_exclude_then_boost_then_caps_then_pins() {
    let combined = rules(
        r#"
[[exclude]]
style_ids = ["c4"]
[[pin]]
style_id = "c4"
placement = "home"
position = 1
[[pin]]
style_id = "a4"
placement = "home"
position = 1
[[cap]]
brand = "Alto"
max = 1
"#,
    );
    let items = served(&combined, "home", june());
    // The excluded style is never pinned; the pin beats the cap it comes after.
    assert_eq!(position(&items, "c4"), None);
    assert_eq!(items[0].style_id, "a4");
    assert_eq!(
        items.iter().filter(|i| i.style_id.starts_with('a')).count(),
        2,
        "a1 within the cap, a4 pinned"
    );
}

#[test]
fn when_list_is_computed_should_keep_exclusions_out_and_rank_boosts_higher() {
    let engine = engine();
    let request = RecommendRequest {
        customer: None,
        history: &[],
        now: june(),
        limit: 12,
        feeds: None,
    };
    let plain = engine.recommend(&request);
    let adjusted = engine.recommend_merchandised(
        &request,
        engine.config(),
        &rules("[[exclude]]\nbrand = \"Brio\"\n[[boost]]\nstyle_ids = [\"c4\"]\nmultiplier = 4.0"),
    );
    assert!(adjusted.iter().all(|i| !i.style_id.starts_with('b')));
    assert!(position(&adjusted, "c4") < position(&plain, "c4"));
    // Lists keep the unmultiplied score: the read-time pass multiplies it.
    let score = |list: &[ScoredItem]| list.iter().find(|i| i.style_id == "c4").map(|i| i.score);
    assert_eq!(score(&adjusted), score(&plain));
}

#[test]
fn when_pinned_style_is_not_allowed_for_the_shopper_should_skip_the_pin() {
    let engine = engine();
    let dismissed = [signal(SignalKind::Dismiss, "c4", june(), 1)];
    assert!(engine.pin_item(None, &dismissed, june(), "c4").is_none());
    let admitted = engine.pin_item(None, &[], june(), "c4").expect("allowed");
    assert!(admitted.sku.is_some());
    let pin = rules("[[pin]]\nstyle_id = \"c4\"\nplacement = \"home\"\nposition = 1");
    let mut short: Vec<ScoredItem> = stored().into_iter().take(3).collect();
    assert_eq!(engine.pins_to_admit(&short, &pin, "home", june()), ["c4"]);
    engine.merchandise(&mut short, &pin, "home", june(), Vec::new());
    assert_eq!(ids(&short), ["a1", "b1", "c1"], "not admitted: not placed");
    engine.merchandise(&mut short, &pin, "home", june(), vec![admitted]);
    assert_eq!(ids(&short), ["c4", "a1", "b1", "c1"]);
}

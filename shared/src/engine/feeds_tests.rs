//! Trend feeds and influencer collections in scoring: what they lift, the reasons they
//! earn (and only where the lift moved the item), decay, and the hard filters they never
//! pass.

use chrono::{DateTime, Duration, Utc};

use super::feeds::decayed_weight;
use super::testkit::{june, signal, StyleBuilder};
use super::*;
use crate::domain::{
    ColourFamily, Feeds, InfluencerCollection, Shape, SignalKind, TrendEntry, TrendTarget,
};
use crate::optics::frame::FrameRulesConfig;

const BRANDS: [&str; 4] = ["Alto", "Brio", "Cora", "Dune"];

/// 44 optical styles `s00`..`s43`: every shape in every brand, colours cycling.
fn engine() -> Engine {
    let colours = [
        ColourFamily::Black,
        ColourFamily::Tortoise,
        ColourFamily::Gold,
        ColourFamily::Blue,
    ];
    let styles: Vec<Style> = (0..44)
        .map(|i| {
            StyleBuilder::new(&format!("s{i:02}"))
                .shape(Shape::ALL[i % 11])
                .brand(BRANDS[i / 11])
                .colourway("c", colours[i % 4], &[("52", 5)])
                .build()
        })
        .collect();
    let config = EngineConfig::default();
    let model = Model::build(&styles, &[], &[], june(), &config);
    Engine::new(styles, model, config)
}

fn trend(target: TrendTarget, weight: f32, published_at: DateTime<Utc>) -> TrendEntry {
    TrendEntry {
        target,
        weight,
        published_at,
    }
}

fn collection(id: &str, curator: &str, styles: &[&str]) -> InfluencerCollection {
    InfluencerCollection {
        id: id.to_string(),
        curator: curator.to_string(),
        title: format!("{curator}'s picks"),
        style_ids: styles.iter().map(|s| s.to_string()).collect(),
        published_at: june(),
    }
}

fn list(engine: &Engine, history: &[Signal], feeds: Option<&Feeds>) -> Vec<ScoredItem> {
    let weights = FeedWeights::default();
    engine.recommend(&RecommendRequest {
        customer: None,
        history,
        now: june(),
        limit: 44,
        feeds: feeds.map(|feeds| FeedInput {
            feeds,
            weights: &weights,
        }),
    })
}

fn has(item: &ScoredItem, code: &str) -> bool {
    item.reasons.iter().any(|r| r.code == code)
}

fn shape_of(engine: &Engine, id: &str) -> Shape {
    engine.style(id).map(|s| s.shape).unwrap()
}

#[test]
fn when_entry_is_a_week_old_should_weigh_half() {
    let now = june();
    let fresh = trend(TrendTarget::Shape(Shape::Round), 0.8, now);
    let week = trend(
        TrendTarget::Shape(Shape::Round),
        0.8,
        now - Duration::days(7),
    );
    let future = trend(
        TrendTarget::Shape(Shape::Round),
        0.8,
        now + Duration::days(3),
    );
    assert!((decayed_weight(&fresh, now, 7.0) - 0.8).abs() < 1e-6);
    assert!((decayed_weight(&week, now, 7.0) - 0.4).abs() < 1e-6);
    assert!((decayed_weight(&future, now, 7.0) - 0.8).abs() < 1e-6);
}

#[test]
fn when_shape_trends_should_lift_matching_styles_and_only_they_say_trending_now() {
    let engine = engine();
    let feeds = Feeds {
        trends: vec![trend(TrendTarget::Shape(Shape::CatEye), 1.0, june())],
        ..Feeds::default()
    };
    let plain = list(&engine, &[], None);
    assert!(plain.iter().all(|i| !has(i, "trending_now")));
    let lifted = list(&engine, &[], Some(&feeds));
    let cat_eyes: Vec<&ScoredItem> = lifted
        .iter()
        .filter(|i| shape_of(&engine, &i.style_id) == Shape::CatEye)
        .collect();
    assert_eq!(cat_eyes.len(), 4, "every cat-eye style stays on the list");
    for item in &lifted {
        let cat_eye = shape_of(&engine, &item.style_id) == Shape::CatEye;
        assert_eq!(has(item, "trending_now"), cat_eye, "{item:?}");
        if cat_eye {
            let reason = item.reasons.iter().find(|r| r.code == "trending_now");
            assert_eq!(reason.map(|r| r.text.as_str()), Some("Trending now"));
        }
    }
    // Lifted to the top of a list that had them nowhere in particular.
    assert_eq!(shape_of(&engine, &lifted[0].style_id), Shape::CatEye);
    let before = plain.iter().position(|i| i.style_id == lifted[0].style_id);
    assert!(before.is_some_and(|p| p > 0), "{before:?}");
}

#[test]
fn when_entries_name_a_style_brand_or_colour_should_lift_exactly_those() {
    let engine = engine();
    let feeds = Feeds {
        trends: vec![
            trend(TrendTarget::Style("s07".into()), 1.0, june()),
            trend(TrendTarget::Brand("cora".into()), 0.5, june()),
            trend(TrendTarget::Colour(ColourFamily::Gold), 0.5, june()),
        ],
        ..Feeds::default()
    };
    for item in list(&engine, &[], Some(&feeds)) {
        let style = engine.style(&item.style_id).unwrap();
        let named = style.id == "s07"
            || style.brand == "Cora"
            || style.colourways[0].colour.family == ColourFamily::Gold;
        assert_eq!(has(&item, "trending_now"), named, "{}", style.id);
    }
}

#[test]
fn when_entry_has_decayed_away_should_not_claim_trending() {
    let engine = engine();
    let old = june() - Duration::days(70);
    let feeds = Feeds {
        trends: vec![trend(TrendTarget::Shape(Shape::CatEye), 1.0, old)],
        ..Feeds::default()
    };
    // Ten half-lives: a lift of 0.3 / 1024, too small to earn a reason.
    let lifted = list(&engine, &[], Some(&feeds));
    assert!(lifted.iter().all(|i| !has(i, "trending_now")));
}

/// A shopper who viewed and bought round frames.
fn round_history() -> Vec<Signal> {
    vec![
        signal(SignalKind::Purchase, "s00", june(), 3),
        signal(SignalKind::View, "s11", june(), 2),
        signal(SignalKind::AddToCart, "s22", june(), 1),
    ]
}

fn two_collections() -> Feeds {
    Feeds {
        collections: vec![
            // Rounds (s00, s11, s22, s33) and an oval.
            collection("mara", "Mara Lind", &["s00", "s11", "s22", "s33", "s01"]),
            collection("theo", "Theo Okafor", &["s05", "s16", "s27", "s38"]),
        ],
        ..Feeds::default()
    }
}

#[test]
fn when_taste_matches_a_collection_should_lift_a_few_of_its_styles_inspired_by_curator() {
    let engine = engine();
    let feeds = two_collections();
    let items = list(&engine, &round_history(), Some(&feeds));
    let inspired: Vec<&ScoredItem> = items.iter().filter(|i| has(i, "inspired_by")).collect();
    assert!(!inspired.is_empty(), "{items:?}");
    assert!(inspired.len() <= FeedWeights::default().collection_picks);
    let mara = &feeds.collections[0].style_ids;
    for item in &inspired {
        assert!(mara.contains(&item.style_id), "{}", item.style_id);
        let text = item.reasons.iter().find(|r| r.code == "inspired_by");
        assert_eq!(text.map(|r| r.text.as_str()), Some("Inspired by Mara Lind"));
    }
    // The purchase is excluded from the list, so it is never a pick.
    assert!(items.iter().all(|i| i.style_id != "s00"));
    let plain = list(&engine, &round_history(), None);
    assert!(plain.iter().all(|i| !has(i, "inspired_by")));
}

#[test]
fn when_taste_matches_no_collection_should_get_no_inspired_picks() {
    let engine = engine();
    // Wayfarers (Shape::ALL[8]): neither the rounds nor the aviators of the collections.
    let history = vec![
        signal(SignalKind::Purchase, "s08", june(), 3),
        signal(SignalKind::View, "s19", june(), 2),
    ];
    let items = list(&engine, &history, Some(&two_collections()));
    assert!(items.iter().all(|i| !has(i, "inspired_by")), "{items:?}");
    // Without history there is no taste to match.
    let anonymous = list(&engine, &[], Some(&two_collections()));
    assert!(anonymous.iter().all(|i| !has(i, "inspired_by")));
}

/// -7.00 D in both eyes: too strong for rimless frames (the prescription rule).
fn strong_minus() -> Customer {
    use crate::domain::{EyeRx, Prescription, PupillaryDistance};
    let eye = EyeRx {
        sph: -7.0,
        cyl: 0.0,
        axis: None,
        add: None,
        prism: None,
    };
    let mut customer = Customer::new("rx");
    customer.prescription = Some(Prescription {
        od: eye.clone(),
        os: eye,
        pd: PupillaryDistance::Binocular(62.0),
        fitting_height: None,
    });
    customer
}

#[test]
fn when_lifted_style_does_not_fit_or_is_sold_out_should_keep_it_off_the_list() {
    let mut rimless = StyleBuilder::new("rimless").shape(Shape::CatEye).build();
    rimless.rim = crate::domain::RimType::Rimless;
    let styles = vec![
        rimless,
        StyleBuilder::new("full").shape(Shape::CatEye).build(),
        StyleBuilder::new("gone")
            .shape(Shape::CatEye)
            .sold_out()
            .build(),
        StyleBuilder::new("other").build(),
    ];
    let config = EngineConfig::default();
    let model = Model::build(&styles, &[], &[], june(), &config);
    let engine = Engine::new(styles, model, config);
    let customer = strong_minus();
    assert!(
        !engine.style_fits(&customer, "rimless"),
        "the fixture's premise"
    );
    let feeds = Feeds {
        trends: vec![trend(TrendTarget::Shape(Shape::CatEye), 1.0, june())],
        collections: vec![collection("all", "Mara Lind", &["rimless", "gone"])],
        ..Feeds::default()
    };
    let weights = FeedWeights::default();
    let history = [signal(SignalKind::View, "full", june(), 1)];
    let items = engine.recommend(&RecommendRequest {
        customer: Some(&customer),
        history: &history,
        now: june(),
        limit: 10,
        feeds: Some(FeedInput {
            feeds: &feeds,
            weights: &weights,
        }),
    });
    let listed: Vec<&str> = items.iter().map(|i| i.style_id.as_str()).collect();
    assert_eq!(listed, ["full", "other"]);
    assert!(has(&items[0], "trending_now"));
    assert!(items.iter().all(|i| !has(i, "inspired_by")));
}

#[test]
fn when_feeds_lift_a_pick_should_explain_the_lift_in_its_components() {
    let engine = engine();
    let feeds = Feeds {
        trends: vec![trend(
            TrendTarget::Shape(Shape::CatEye),
            1.0,
            june() - Duration::days(7),
        )],
        ..two_collections()
    };
    let weights = FeedWeights::default();
    let history = round_history();
    let rules = FrameRulesConfig::default();
    let why = |style_id: &str| {
        engine
            .explain(&WhyRequest {
                customer: None,
                history: &history,
                now: june(),
                style_id,
                top: 12,
                frame_rules: &rules,
                feeds: Some(FeedInput {
                    feeds: &feeds,
                    weights: &weights,
                }),
            })
            .unwrap()
    };
    let part = |e: &Explanation, c: Component| {
        e.components
            .iter()
            .find(|p| p.component == c)
            .map(|p| p.contribution)
            .unwrap()
    };
    // s04 is a cat eye: a week-old entry of weight 1 lifts it by half the trend weight.
    let cat_eye = why("s04");
    let expected = weights.trend_weight * 0.5;
    assert!((part(&cat_eye, Component::TrendFeed) - expected).abs() < 1e-4);
    assert_eq!(part(&cat_eye, Component::Collection), 0.0);
    let inspired = list(&engine, &history, Some(&feeds))
        .into_iter()
        .find(|i| has(i, "inspired_by"))
        .expect("an inspired pick");
    let pick = why(&inspired.style_id);
    assert!(part(&pick, Component::Collection) > 0.0);
    assert!(pick.reasons.iter().any(|r| r.code == "inspired_by"));
    // The score the list ranks by includes every component but diversity and context.
    let sum: f32 = pick
        .components
        .iter()
        .filter(|p| !matches!(p.component, Component::Diversity | Component::Context))
        .map(|p| p.contribution)
        .sum();
    assert!((sum - pick.score).abs() < 1e-4, "{sum} vs {}", pick.score);
}

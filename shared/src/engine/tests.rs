//! End-to-end behaviour of the engine on small hand-built catalogues.

use chrono::{DateTime, Utc};

use super::testkit::{daily, december, frame_size, june, pair, signal, StyleBuilder};
use super::*;
use crate::aggregates::{CoOccurrence, DailyStyleCounts};
use crate::domain::{
    Category, ColourFamily, Customer, FaceMeasurements, Material, Shape, SignalKind,
    StylePreferences,
};

const SHAPES: [Shape; 11] = Shape::ALL;
const BRANDS: [&str; 6] = ["Alto", "Brio", "Cora", "Dune", "Elan", "Fino"];
const COLOURS: [ColourFamily; 5] = [
    ColourFamily::Black,
    ColourFamily::Tortoise,
    ColourFamily::Gold,
    ColourFamily::Blue,
    ColourFamily::Clear,
];

fn build_engine(
    styles: Vec<Style>,
    counts: &[DailyStyleCounts],
    pairs: &[CoOccurrence],
    config: EngineConfig,
) -> Engine {
    let model = Model::build(&styles, counts, pairs, june(), &config);
    Engine::new(styles, model, config)
}

fn plain_engine(styles: Vec<Style>) -> Engine {
    build_engine(styles, &[], &[], EngineConfig::default())
}

fn rec(
    engine: &Engine,
    customer: Option<&Customer>,
    history: &[Signal],
    now: DateTime<Utc>,
    limit: usize,
) -> Vec<ScoredItem> {
    engine.recommend(&RecommendRequest {
        customer,
        history,
        now,
        limit,
        feeds: None,
    })
}

fn ids(items: &[ScoredItem]) -> Vec<&str> {
    items.iter().map(|i| i.style_id.as_str()).collect()
}

/// 66 optical styles: every shape in every brand, colours cycling; ids `s00`..`s65`.
fn mixed_catalogue() -> Vec<Style> {
    (0..66)
        .map(|i| {
            StyleBuilder::new(&format!("s{i:02}"))
                .name(&format!("Model {i}"))
                .shape(SHAPES[i % 11])
                .brand(BRANDS[i / 11])
                .colourway("c", COLOURS[i % 5], &[("52", 5)])
                .build()
        })
        .collect()
}

/// Views spread so that the popular styles are mostly not round.
fn mixed_counts() -> Vec<DailyStyleCounts> {
    (0..66)
        .map(|i| {
            let views = if i % 11 == 0 {
                5
            } else {
                20 + (i as u32 * 7) % 30
            };
            daily(&format!("s{i:02}"), june(), 3, SignalKind::View, views)
        })
        .collect()
}

fn count_shape(engine: &Engine, items: &[ScoredItem], shape: Shape) -> usize {
    items
        .iter()
        .filter(|i| engine.style(&i.style_id).map(|s| s.shape) == Some(shape))
        .count()
}

#[test]
fn when_styles_inactive_sold_out_purchased_dismissed_or_returned_should_never_be_returned() {
    let now = june();
    let mut styles = vec![
        StyleBuilder::new("inactive").inactive().build(),
        StyleBuilder::new("soldout").sold_out().build(),
        StyleBuilder::new("bought").build(),
        StyleBuilder::new("dismissed").build(),
        StyleBuilder::new("returned").build(),
    ];
    styles.extend((0..6).map(|i| StyleBuilder::new(&format!("ok{i}")).build()));
    // The filtered styles are by far the most popular ones.
    let counts: Vec<_> = ["inactive", "soldout", "bought", "dismissed", "returned"]
        .iter()
        .map(|id| daily(id, now, 1, SignalKind::Purchase, 100))
        .collect();
    let history = vec![
        signal(SignalKind::Return, "returned", now, 1),
        signal(SignalKind::Dismiss, "dismissed", now, 2),
        signal(SignalKind::Purchase, "bought", now, 3),
        signal(SignalKind::Purchase, "returned", now, 4),
    ];
    let engine = build_engine(styles.clone(), &counts, &[], EngineConfig::default());
    let got = rec(&engine, None, &history, now, 100);
    assert_eq!(got.len(), 6);
    for banned in ["inactive", "soldout", "bought", "dismissed", "returned"] {
        assert!(!ids(&got).contains(&banned), "{banned} in {:?}", ids(&got));
    }

    let keep_purchased = EngineConfig {
        exclude_purchased: false,
        ..EngineConfig::default()
    };
    let engine = build_engine(styles, &counts, &[], keep_purchased);
    let got = rec(&engine, None, &history, now, 100);
    assert!(ids(&got).contains(&"bought"));
    assert!(!ids(&got).contains(&"dismissed"));
    assert!(!ids(&got).contains(&"returned"));
}

#[test]
fn when_interacted_styles_are_excluded_should_keep_only_unseen_ones() {
    let now = june();
    let styles: Vec<_> = (0..6)
        .map(|i| StyleBuilder::new(&format!("s{i}")).build())
        .collect();
    let counts: Vec<_> = (0..6)
        .map(|i| daily(&format!("s{i}"), now, 1, SignalKind::Purchase, 10 - i))
        .collect();
    let history = vec![
        signal(SignalKind::View, "s0", now, 1),
        signal(SignalKind::AddToCart, "s1", now, 2),
        signal(SignalKind::Impression, "s2", now, 3),
    ];
    let kept = rec(
        &build_engine(styles.clone(), &counts, &[], EngineConfig::default()),
        None,
        &history,
        now,
        100,
    );
    assert!(ids(&kept).contains(&"s0") && ids(&kept).contains(&"s1"));
    let new_only = EngineConfig {
        exclude_interacted: true,
        ..EngineConfig::default()
    };
    let got = rec(
        &build_engine(styles, &counts, &[], new_only),
        None,
        &history,
        now,
        100,
    );
    // An impression is not an interaction: the shopper may not have noticed the frame.
    assert_eq!(ids(&got).len(), 4, "{:?}", ids(&got));
    assert!(!ids(&got).contains(&"s0") && !ids(&got).contains(&"s1"));
    assert!(ids(&got).contains(&"s2"));
}

#[test]
fn when_shopper_buys_two_round_frames_should_get_clearly_more_round_frames() {
    let now = june();
    let engine = build_engine(
        mixed_catalogue(),
        &mixed_counts(),
        &[],
        EngineConfig::default(),
    );
    let customer = Customer::new("c1");
    let before = rec(&engine, Some(&customer), &[], now, 10);
    let history = vec![
        signal(SignalKind::Purchase, "s11", now, 2),
        signal(SignalKind::Purchase, "s22", now, 5),
    ];
    let after = rec(&engine, Some(&customer), &history, now, 10);
    let (b, a) = (
        count_shape(&engine, &before, Shape::Round),
        count_shape(&engine, &after, Shape::Round),
    );
    assert!(
        a >= b + 3,
        "round frames before {b}, after {a}: {:?}",
        ids(&after)
    );
    assert!(!ids(&after).contains(&"s11") && !ids(&after).contains(&"s22"));
    let first_round = after
        .iter()
        .find(|i| engine.style(&i.style_id).map(|s| s.shape) == Some(Shape::Round));
    let reason = &first_round.map(|i| i.reasons[0].clone());
    assert_eq!(
        reason.as_ref().map(|r| r.code.as_str()),
        Some("similar_to_purchase"),
        "{reason:?}"
    );
}

#[test]
fn when_items_listed_should_each_have_a_reason_and_name_real_history_styles() {
    let now = june();
    let styles = mixed_catalogue();
    let pairs = vec![
        pair("s00", "s05", 30),
        pair("s00", "s17", 12),
        pair("s03", "s30", 20),
    ];
    let engine = build_engine(styles, &mixed_counts(), &pairs, EngineConfig::default());
    let history = vec![
        signal(SignalKind::TryOn, "s00", now, 1),
        signal(SignalKind::View, "s03", now, 2),
    ];
    let names: Vec<String> = ["s00", "s03"]
        .iter()
        .filter_map(|id| engine.style(id).map(|s| s.name.clone()))
        .collect();
    for list in [
        rec(&engine, None, &[], now, 40),
        rec(&engine, Some(&Customer::new("c")), &history, now, 40),
    ] {
        assert!(!list.is_empty());
        for item in &list {
            assert!(!item.reasons.is_empty(), "{} has no reason", item.style_id);
            assert!(item.score.is_finite());
            let own_name = engine.style(&item.style_id).map(|s| s.name.clone());
            for r in &item.reasons {
                if r.code.starts_with("because_you_") {
                    let own = own_name.as_deref().unwrap_or_default();
                    assert!(!r.text.ends_with(own), "{} anchors itself", r.text);
                }
                if r.code.starts_with("because_you_") || r.code.starts_with("similar_to_") {
                    assert!(
                        names
                            .iter()
                            .any(|n| r.text.ends_with(n.as_str())
                                || r.text.contains(&format!("{n},"))),
                        "{} does not name a history style",
                        r.text
                    );
                }
            }
        }
    }
    let personal = rec(&engine, None, &history, now, 40);
    let s05 = personal.iter().find(|i| i.style_id == "s05");
    let first = s05.map(|i| (i.reasons[0].code.clone(), i.reasons[0].text.clone()));
    assert_eq!(
        first,
        Some((
            "because_you_tried_on".to_string(),
            "Because you tried on Model 0".to_string()
        ))
    );
    assert_eq!(personal.first().map(|i| i.style_id.as_str()), Some("s05"));
}

#[test]
fn when_catalogue_dominated_by_one_brand_and_shape_should_diversify_top_five() {
    let now = june();
    let mut styles: Vec<Style> = (0..8)
        .map(|i| {
            StyleBuilder::new(&format!("dup{i}"))
                .brand("Alto")
                .shape(Shape::Round)
                .colourway("c", ColourFamily::Black, &[("52", 5)])
                .build()
        })
        .collect();
    let alternatives = [
        (Shape::Square, "Brio"),
        (Shape::CatEye, "Cora"),
        (Shape::Aviator, "Dune"),
    ];
    styles.extend(alternatives.iter().enumerate().map(|(i, (shape, brand))| {
        StyleBuilder::new(&format!("alt{i}"))
            .brand(brand)
            .shape(*shape)
            .colourway("c", ColourFamily::Tortoise, &[("52", 5)])
            .build()
    }));
    let mut counts: Vec<_> = (0..8)
        .map(|i| daily(&format!("dup{i}"), now, 1, SignalKind::View, 100 - i))
        .collect();
    counts.extend((0..3).map(|i| daily(&format!("alt{i}"), now, 1, SignalKind::View, 85 - i)));
    let is_dup = |id: &str| id.starts_with("dup");

    let engine = build_engine(styles.clone(), &counts, &[], EngineConfig::default());
    let got = rec(&engine, None, &[], now, 5);
    assert_eq!(got.len(), 5);
    let dups = got.iter().filter(|i| is_dup(&i.style_id)).count();
    assert!(dups < 5, "all near-copies: {:?}", ids(&got));
    assert!(
        is_dup(&got[0].style_id),
        "the most relevant item stays first"
    );

    let no_diversity = EngineConfig {
        diversity_lambda: 1.0,
        ..EngineConfig::default()
    };
    let engine = build_engine(styles, &counts, &[], no_diversity);
    let got = rec(&engine, None, &[], now, 5);
    assert_eq!(got.iter().filter(|i| is_dup(&i.style_id)).count(), 5);
}

#[test]
fn when_cold_start_without_customer_should_return_items() {
    let now = june();
    let engine = plain_engine(mixed_catalogue());
    let got = rec(&engine, None, &[], now, 10);
    assert_eq!(got.len(), 10);
    assert!(got.iter().all(|i| !i.reasons.is_empty() && i.sku.is_some()));

    let engine = build_engine(
        mixed_catalogue(),
        &mixed_counts(),
        &[],
        EngineConfig::default(),
    );
    let got = rec(&engine, None, &[], now, 10);
    assert_eq!(got.len(), 10);
    assert!(got.iter().any(|i| i
        .reasons
        .iter()
        .any(|r| r.code == "popular_in_category" || r.code == "trending_in_category")));
}

#[test]
fn when_cold_start_should_mix_categories() {
    let now = june();
    let mut styles: Vec<Style> = (0..10)
        .map(|i| {
            StyleBuilder::new(&format!("opt{i}"))
                .shape(SHAPES[i])
                .build()
        })
        .collect();
    styles.push(
        StyleBuilder::new("sun0")
            .category(Category::Sun)
            .shape(Shape::Aviator)
            .build(),
    );
    let mut counts: Vec<_> = (0..10)
        .map(|i| daily(&format!("opt{i}"), now, 2, SignalKind::Purchase, 100))
        .collect();
    counts.push(daily("sun0", now, 2, SignalKind::Purchase, 10));
    let engine = build_engine(styles, &counts, &[], EngineConfig::default());
    let got = rec(&engine, None, &[], now, 5);
    assert!(ids(&got).contains(&"sun0"), "{:?}", ids(&got));
}

#[test]
fn when_customer_declares_preferences_should_boost_them_without_session_history() {
    let now = june();
    let engine = build_engine(
        mixed_catalogue(),
        &mixed_counts(),
        &[],
        EngineConfig::default(),
    );
    let mut customer = Customer::new("c1");
    let before = rec(&engine, Some(&customer), &[], now, 10);
    customer.preferences = StylePreferences {
        shapes: vec![Shape::CatEye],
        ..StylePreferences::default()
    };
    let after = rec(&engine, Some(&customer), &[], now, 10);
    assert!(
        count_shape(&engine, &after, Shape::CatEye) > count_shape(&engine, &before, Shape::CatEye)
    );
    let top = &after[0];
    assert_eq!(
        engine.style(&top.style_id).map(|s| s.shape),
        Some(Shape::CatEye)
    );
    assert_eq!(
        top.reasons[0].text,
        "Matches your preference for cat-eye frames"
    );
}

#[test]
fn when_anonymous_session_has_history_should_personalise() {
    let now = june();
    let pairs = vec![pair("s01", "s40", 25)];
    let engine = build_engine(
        mixed_catalogue(),
        &mixed_counts(),
        &pairs,
        EngineConfig::default(),
    );
    let history = vec![signal(SignalKind::AddToCart, "s01", now, 0)];
    let got = rec(&engine, None, &history, now, 10);
    assert_eq!(got[0].style_id, "s40");
    assert_eq!(got[0].reasons[0].code, "because_you_added_to_cart");
}

#[test]
fn when_trending_with_category_should_only_return_that_category_newest_counts_first() {
    let now = june();
    let styles = vec![
        StyleBuilder::new("opt").build(),
        StyleBuilder::new("sun-old").category(Category::Sun).build(),
        StyleBuilder::new("sun-new").category(Category::Sun).build(),
        StyleBuilder::new("sun-none")
            .category(Category::Sun)
            .build(),
        StyleBuilder::new("sun-gone")
            .category(Category::Sun)
            .sold_out()
            .build(),
    ];
    let counts = vec![
        daily("opt", now, 0, SignalKind::Purchase, 500),
        daily("sun-old", now, 40, SignalKind::View, 400),
        daily("sun-new", now, 1, SignalKind::View, 50),
        daily("sun-gone", now, 1, SignalKind::View, 900),
    ];
    let engine = build_engine(styles, &counts, &[], EngineConfig::default());
    let sun = engine.trending(Some(Category::Sun), 10, now);
    assert_eq!(ids(&sun), vec!["sun-new", "sun-old", "sun-none"]);
    assert_eq!(sun[0].reasons[0].text, "Trending in sunglasses this week");
    assert!(sun.iter().all(|i| !i.reasons.is_empty()));
    let all = engine.trending(None, 10, now);
    assert_eq!(all[0].style_id, "opt");
    assert_eq!(engine.trending(None, 2, now).len(), 2);
}

#[test]
fn when_similar_or_also_bought_for_unknown_style_should_be_none() {
    let engine = plain_engine(mixed_catalogue());
    assert!(engine.similar("nope", 5).is_none());
    assert!(engine.also_bought("nope", 5).is_none());
}

#[test]
fn when_similar_should_exclude_itself_and_rank_lookalikes_first() {
    let styles = vec![
        StyleBuilder::new("a")
            .name("Aurora")
            .shape(Shape::Round)
            .material(Material::Titanium)
            .build(),
        StyleBuilder::new("b")
            .shape(Shape::Round)
            .material(Material::Titanium)
            .build(),
        StyleBuilder::new("c")
            .shape(Shape::Square)
            .material(Material::Acetate)
            .price(60_000)
            .build(),
        StyleBuilder::new("d")
            .shape(Shape::Round)
            .material(Material::Titanium)
            .sold_out()
            .build(),
    ];
    let engine = plain_engine(styles);
    let got = engine.similar("a", 10).unwrap_or_default();
    assert_eq!(ids(&got), vec!["b", "c"]);
    assert_eq!(got[0].reasons[0].code, "similar_style");
    assert_eq!(
        got[0].reasons[0].text,
        "Similar round titanium frame to Aurora"
    );
    assert!(got[0].score > got[1].score);
}

#[test]
fn when_also_bought_should_use_co_occurrence_then_fall_back_to_content() {
    let styles = mixed_catalogue();
    let pairs = vec![pair("s00", "s07", 10), pair("s00", "s09", 4)];
    let engine = build_engine(styles.clone(), &[], &pairs, EngineConfig::default());
    let got = engine.also_bought("s00", 4).unwrap_or_default();
    assert_eq!(got.len(), 4);
    assert_eq!(ids(&got)[..2], ["s07", "s09"]);
    assert_eq!(
        got[0].reasons[0].text,
        "Shoppers who liked Model 0 also liked this"
    );
    assert_eq!(got[2].reasons[0].code, "similar_style");
    assert!(!ids(&got).contains(&"s00"));

    let engine = plain_engine(styles);
    let got = engine.also_bought("s00", 5).unwrap_or_default();
    assert_eq!(got.len(), 5);
    assert!(got
        .iter()
        .all(|i| i.reasons[0].code == "similar_style" && i.style_id != "s00"));
}

#[test]
fn when_model_round_trips_should_be_equal() {
    let pairs = vec![pair("s00", "s07", 10), pair("s01", "s02", 3)];
    let model = Model::build(
        &mixed_catalogue(),
        &mixed_counts(),
        &pairs,
        june(),
        &EngineConfig::default(),
    );
    let bytes = model.to_bytes();
    let back = Model::from_bytes(&bytes).unwrap();
    assert_eq!(back, model);
    assert!(!model.version.is_empty());
    assert!(model
        .collaborative
        .iter()
        .flatten()
        .all(|n| n.1 > 0.0 && n.1 <= 1.0));
}

#[test]
fn when_bytes_are_garbage_or_wrong_version_should_reject() {
    let model = Model::build(
        &mixed_catalogue(),
        &[],
        &[],
        june(),
        &EngineConfig::default(),
    );
    let bytes = model.to_bytes();
    assert!(matches!(
        Model::from_bytes(b"hello"),
        Err(ModelError::NotAModel)
    ));
    assert!(matches!(Model::from_bytes(&[]), Err(ModelError::NotAModel)));
    let mut wrong = bytes.clone();
    wrong[8..12].copy_from_slice(&99u32.to_le_bytes());
    assert!(matches!(
        Model::from_bytes(&wrong),
        Err(ModelError::UnsupportedFormat { found: 99, .. })
    ));
    let mut truncated = bytes.clone();
    truncated.truncate(bytes.len() / 2);
    assert!(matches!(
        Model::from_bytes(&truncated),
        Err(ModelError::Corrupt(_))
    ));
    let mut bad = model.clone();
    bad.content[0].push(Neighbour(9_999, 0.5));
    assert!(matches!(
        Model::from_bytes(&bad.to_bytes()),
        Err(ModelError::Corrupt(_))
    ));
}

#[test]
fn when_model_built_twice_from_same_input_should_have_same_version() {
    let a = Model::build(
        &mixed_catalogue(),
        &mixed_counts(),
        &[],
        june(),
        &EngineConfig::default(),
    );
    let mut shuffled = mixed_catalogue();
    shuffled.reverse();
    let b = Model::build(
        &shuffled,
        &mixed_counts(),
        &[],
        june(),
        &EngineConfig::default(),
    );
    assert_eq!(a.version, b.version);
    let c = Model::build(
        &mixed_catalogue(),
        &[],
        &[],
        june(),
        &EngineConfig::default(),
    );
    assert_ne!(a.version, c.version);
}

#[test]
fn when_face_width_known_should_pick_matching_size() {
    let now = june();
    let style = StyleBuilder::new("f")
        .sizes(vec![
            frame_size("49", 49.0, 18.0, 138.0, 125.0),
            frame_size("53", 53.0, 18.0, 142.0, 134.0),
            frame_size("57", 57.0, 19.0, 150.0, 143.0),
        ])
        .colourway(
            "blk",
            ColourFamily::Black,
            &[("49", 3), ("53", 3), ("57", 3)],
        )
        .build();
    let engine = plain_engine(vec![style]);
    let with_face = |width: f32| {
        let mut c = Customer::new("c");
        c.face_measurements = Some(FaceMeasurements {
            face_width: width,
            face_length: 190.0,
            forehead_width: None,
            cheekbone_width: None,
            jaw_width: None,
        });
        c
    };
    let sku = |c: Option<&Customer>| rec(&engine, c, &[], now, 1)[0].sku.clone();
    assert_eq!(sku(Some(&with_face(123.0))).as_deref(), Some("f-blk-49"));
    assert_eq!(sku(Some(&with_face(135.0))).as_deref(), Some("f-blk-53"));
    assert_eq!(sku(Some(&with_face(148.0))).as_deref(), Some("f-blk-57"));
    assert_eq!(sku(None).as_deref(), Some("f-blk-53"));
}

#[test]
fn when_shopper_favours_a_colour_should_pick_that_colourway() {
    let now = june();
    let styles = vec![
        StyleBuilder::new("seen")
            .colourway("tor", ColourFamily::Tortoise, &[("52", 1)])
            .build(),
        StyleBuilder::new("next")
            .colourway("blk", ColourFamily::Black, &[("52", 9)])
            .colourway("tor", ColourFamily::Tortoise, &[("52", 1)])
            .build(),
    ];
    let engine = plain_engine(styles);
    assert_eq!(
        rec(&engine, None, &[], now, 2)
            .iter()
            .find(|i| i.style_id == "next")
            .and_then(|i| i.sku.clone())
            .as_deref(),
        Some("next-blk-52")
    );
    let mut tried = signal(SignalKind::TryOn, "seen", now, 1);
    tried.sku = Some("seen-tor-52".into());
    let got = rec(&engine, None, &[tried], now, 2);
    assert_eq!(got[0].style_id, "next");
    assert_eq!(got[0].sku.as_deref(), Some("next-tor-52"));
}

#[test]
fn when_hemisphere_changes_should_flip_sun_season() {
    let styles = vec![
        StyleBuilder::new("a-optical").build(),
        StyleBuilder::new("b-sun").category(Category::Sun).build(),
    ];
    let north = plain_engine(styles.clone());
    let south = build_engine(
        styles,
        &[],
        &[],
        EngineConfig {
            hemisphere: Hemisphere::South,
            ..EngineConfig::default()
        },
    );
    let first = |e: &Engine, now| rec(e, None, &[], now, 2)[0].style_id.clone();
    assert_eq!(first(&north, june()), "b-sun");
    assert_eq!(first(&south, june()), "a-optical");
    assert_eq!(first(&north, december()), "a-optical");
    assert_eq!(first(&south, december()), "b-sun");
    let sun = rec(&north, None, &[], june(), 2);
    assert_eq!(sun[0].reasons[0].text, "Sun season pick");
}

#[test]
fn when_same_input_should_give_same_output_regardless_of_style_order() {
    let now = june();
    let pairs = vec![pair("s00", "s05", 30), pair("s03", "s30", 20)];
    let history = vec![
        signal(SignalKind::TryOn, "s00", now, 1),
        signal(SignalKind::Dismiss, "s02", now, 2),
        signal(SignalKind::View, "s03", now, 2),
    ];
    let a = build_engine(
        mixed_catalogue(),
        &mixed_counts(),
        &pairs,
        EngineConfig::default(),
    );
    let mut reversed = mixed_catalogue();
    reversed.reverse();
    let b = build_engine(reversed, &mixed_counts(), &pairs, EngineConfig::default());
    let customer = Customer::new("c");
    let first = rec(&a, Some(&customer), &history, now, 20);
    assert_eq!(first, rec(&a, Some(&customer), &history, now, 20));
    assert_eq!(first, rec(&b, Some(&customer), &history, now, 20));
    assert_eq!(a.similar("s00", 5), b.similar("s00", 5));
    assert_eq!(a.trending(None, 5, now), b.trending(None, 5, now));
}

#[test]
fn when_limit_varies_should_respect_it_without_duplicates() {
    let now = june();
    let engine = build_engine(
        mixed_catalogue(),
        &mixed_counts(),
        &[],
        EngineConfig::default(),
    );
    assert!(rec(&engine, None, &[], now, 0).is_empty());
    assert_eq!(rec(&engine, None, &[], now, 3).len(), 3);
    let all = rec(&engine, None, &[], now, 1_000);
    assert_eq!(all.len(), 66);
    let mut seen = ids(&all);
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 66);

    let big: Vec<Style> = (0..150)
        .map(|i| StyleBuilder::new(&format!("b{i:03}")).build())
        .collect();
    let engine = plain_engine(big);
    assert_eq!(rec(&engine, None, &[], now, 1_000).len(), MAX_LIST_SIZE);
}

#[test]
fn when_fit_rule_rejects_a_style_should_leave_it_out() {
    struct NoLargeFrames;
    impl FitRule for NoLargeFrames {
        fn size_cost(
            &self,
            _: &Customer,
            _: &Style,
            size: &crate::domain::FrameSize,
        ) -> Option<f32> {
            (size.lens_width < 55.0).then_some(0.0)
        }
    }
    let styles = vec![
        StyleBuilder::new("big")
            .sizes(vec![frame_size("58", 58.0, 18.0, 150.0, 144.0)])
            .build(),
        StyleBuilder::new("fits").build(),
    ];
    let engine = plain_engine(styles).with_fit_rule(Box::new(NoLargeFrames));
    let customer = Customer::new("c");
    assert_eq!(
        ids(&rec(&engine, Some(&customer), &[], june(), 10)),
        vec!["fits"]
    );
}

#[test]
fn when_engine_shared_should_be_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Engine>();
    assert_send_sync::<Model>();
}

#[test]
fn when_style_is_newer_than_the_model_should_still_find_similar_styles() {
    let mut styles = mixed_catalogue();
    let model = Model::build(&styles, &[], &[], june(), &EngineConfig::default());
    styles.push(
        StyleBuilder::new("zz-new")
            .name("Newcomer")
            .shape(Shape::Round)
            .build(),
    );
    let engine = Engine::new(styles, model, EngineConfig::default());
    let got = engine.similar("zz-new", 3).unwrap_or_default();
    assert_eq!(got.len(), 3);
    // The black round frames of the catalogue are its closest lookalikes.
    assert_eq!(ids(&got)[..2], ["s00", "s55"]);
    assert!(rec(&engine, None, &[], june(), 100)
        .iter()
        .any(|i| i.style_id == "zz-new"));
}

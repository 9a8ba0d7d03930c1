//! Trend feeds and collections as editors write them: JSON and CSV, and errors that name
//! the place and the field.

use chrono::{TimeZone, Utc};

use super::feeds::*;
use super::{ColourFamily, Shape};

const JSON: &str = r#"{
  "published_at": "2026-11-30T09:00:00Z",
  "entries": [
    {"kind": "shape", "value": "cat_eye", "weight": 0.9},
    {"kind": "colour", "value": "Tortoise", "weight": 0.5, "published_at": "2026-11-23T09:00:00Z"},
    {"kind": "style", "value": "st-0042", "weight": 1},
    {"kind": "brand", "value": "Lumen & Co", "weight": 0.3},
    {"kind": "tag", "value": "Polarized", "weight": 0.2}
  ]
}"#;

#[test]
fn when_json_feed_is_valid_should_parse_every_entry_with_its_time() {
    let entries = parse_trend_json(JSON.as_bytes()).expect("valid feed");
    assert_eq!(entries.len(), 5);
    assert_eq!(entries[0].target, TrendTarget::Shape(Shape::CatEye));
    assert_eq!(entries[0].weight, 0.9);
    let feed_time = Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap();
    assert_eq!(entries[0].published_at, feed_time);
    // Its own time wins over the feed's.
    assert_eq!(
        entries[1].target,
        TrendTarget::Colour(ColourFamily::Tortoise)
    );
    assert_eq!(
        entries[1].published_at,
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
    );
    assert_eq!(entries[2].target, TrendTarget::Style("st-0042".into()));
    assert_eq!(entries[3].target, TrendTarget::Brand("Lumen & Co".into()));
    assert_eq!(entries[4].target, TrendTarget::Tag("polarized".into()));
}

#[test]
fn when_csv_feed_is_valid_should_parse_every_line() {
    let csv = "kind,value,weight,published_at\n\
               shape,round,0.8,2026-11-30T09:00:00Z\n\
               material, titanium ,0.4,2026-11-29T00:00:00Z\n";
    let entries = parse_trend_csv(csv.as_bytes()).expect("valid feed");
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].target, TrendTarget::Shape(Shape::Round));
    assert_eq!(
        entries[1].target,
        TrendTarget::Material(crate::domain::Material::Titanium)
    );
    assert_eq!(entries[1].weight, 0.4);
}

#[test]
fn when_json_feed_is_broken_should_name_the_entry_and_field() {
    let cases = [
        (
            r#"{"published_at":"2026-11-30T09:00:00Z","entries":[{"kind":"shape","value":"round","weight":1.5}]}"#,
            "entries[0]: `weight` must be between 0 and 1",
        ),
        (
            r#"{"published_at":"2026-11-30T09:00:00Z","entries":[{"kind":"shape","value":"round","weight":1},{"kind":"shape","value":"hexagon","weight":0.5}]}"#,
            "entries[1]: `value` 'hexagon' is not a known shape",
        ),
        (
            r#"{"published_at":"2026-11-30T09:00:00Z","entries":[{"kind":"mood","value":"x","weight":0.5}]}"#,
            "entries[0]: `kind` unknown variant `mood`",
        ),
        (
            r#"{"published_at":"yesterday","entries":[]}"#,
            "document: `published_at`",
        ),
        (
            r#"{"published_at":"2026-11-30T09:00:00Z","entries":[{"kind":"style","value":"a b","weight":0.5}]}"#,
            "entries[0]: `value` may contain only",
        ),
    ];
    for (json, expected) in cases {
        let error = parse_trend_json(json.as_bytes())
            .expect_err(json)
            .to_string();
        assert!(error.starts_with(expected), "{error} (wanted {expected})");
    }
}

#[test]
fn when_csv_feed_is_broken_should_name_the_line_and_field() {
    let bad_weight = "kind,value,weight,published_at\n\
                      shape,round,0.8,2026-11-30T09:00:00Z\n\
                      shape,oval,heavy,2026-11-30T09:00:00Z\n";
    let error = parse_trend_csv(bad_weight.as_bytes())
        .expect_err("bad weight")
        .to_string();
    assert!(error.starts_with("line 3: `weight`"), "{error}");

    let bad_colour = "kind,value,weight,published_at\ncolour,plaid,0.8,2026-11-30T09:00:00Z\n";
    let error = parse_trend_csv(bad_colour.as_bytes())
        .expect_err("bad colour")
        .to_string();
    assert_eq!(
        error,
        "line 2: `value` 'plaid' is not a known colour family"
    );

    let no_weight = "kind,value,published_at\nshape,round,2026-11-30T09:00:00Z\n";
    let error = parse_trend_csv(no_weight.as_bytes())
        .expect_err("no weight column")
        .to_string();
    assert_eq!(error, "line 1: `weight` column is missing");
}

#[test]
fn when_collections_file_is_one_or_many_should_parse_and_validate_each() {
    let one = r#"{"id":"mara-rounds","curator":"Mara Lind","title":"Soft rounds",
        "style_ids":["st-1","st-2"],"published_at":"2026-11-30T09:00:00Z"}"#;
    let parsed = parse_collections_json(one.as_bytes()).expect("one collection");
    assert_eq!(parsed.len(), 1);
    assert_eq!(parsed[0].curator, "Mara Lind");
    assert_eq!(parsed[0].style_ids, ["st-1", "st-2"]);

    let many = format!("[{one}, {}]", one.replace("mara-rounds", "bad id"));
    let error = parse_collections_json(many.as_bytes())
        .expect_err("second id is invalid")
        .to_string();
    assert!(error.starts_with("[1]: `id`"), "{error}");

    let empty = one.replace(r#"["st-1","st-2"]"#, "[]");
    let error = parse_collections_json(empty.as_bytes())
        .expect_err("no styles")
        .to_string();
    assert!(error.starts_with("collection: `style_ids`"), "{error}");

    let missing =
        r#"{"id":"x","title":"t","style_ids":["a"],"published_at":"2026-11-30T09:00:00Z"}"#;
    let error = parse_collections_json(missing.as_bytes())
        .expect_err("no curator")
        .to_string();
    assert!(error.contains("curator"), "{error}");
}

#[test]
fn when_one_file_is_broken_should_keep_the_others_and_name_the_skipped_one() {
    let mut feeds = Feeds::default();
    feeds.add_trend_file("good.json", JSON.as_bytes());
    feeds.add_trend_file("bad.csv", b"kind,value\nshape,round\n");
    feeds.add_trend_file("README.md", b"# not a feed");
    feeds.add_collection_file("broken.json", b"{not json");
    assert_eq!(feeds.trends.len(), 5);
    assert!(feeds.collections.is_empty());
    let skipped: Vec<&str> = feeds.skipped.iter().map(|s| s.source.as_str()).collect();
    assert_eq!(skipped, ["bad.csv", "broken.json"]);
}

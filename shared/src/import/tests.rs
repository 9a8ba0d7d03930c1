use super::*;
use crate::demo::{generate, DemoConfig};

fn dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

fn one_style() -> Style {
    let data = generate(&DemoConfig {
        styles: 3,
        customers: 0,
        ..DemoConfig::small()
    });
    data.styles[0].clone()
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write test file");
}

#[test]
fn when_a_json_line_is_broken_should_name_file_and_line() {
    let d = dir();
    let path = d.path().join("catalog.jsonl");
    let good = serde_json::to_string(&one_style()).expect("json");
    write(&path, &format!("{good}\n\n{{\"id\": \"st-9\", \n"));
    let err = read_catalog_jsonl(&path).expect_err("broken line");
    assert_eq!(err.line(), Some(3));
    let text = err.to_string();
    assert!(text.contains("catalog.jsonl:3:"), "{text}");
    assert!(text.contains("column"), "{text}");
}

#[test]
fn when_a_field_has_the_wrong_type_should_name_its_path() {
    let d = dir();
    let path = d.path().join("catalog.jsonl");
    let mut value = serde_json::to_value(one_style()).expect("json");
    value["sizes"][0]["lens_width"] = serde_json::json!("wide");
    write(&path, &format!("{value}\n"));
    let err = read_catalog_jsonl(&path).expect_err("wrong type");
    assert!(matches!(err, ImportError::Parse { line: 1, .. }), "{err}");
    assert!(err.to_string().contains("sizes[0].lens_width"), "{err}");
}

#[test]
fn when_a_style_is_invalid_should_name_line_and_field() {
    let d = dir();
    let path = d.path().join("catalog.jsonl");
    let good = one_style();
    let mut bad = good.clone();
    bad.id = "st-bad".into();
    bad.price_cents = 0;
    let lines = [
        serde_json::to_string(&good).expect("json"),
        serde_json::to_string(&bad).expect("json"),
    ];
    write(&path, &lines.join("\n"));
    let err = read_catalog_jsonl(&path).expect_err("invalid style");
    match &err {
        ImportError::Invalid { line, errors, .. } => {
            assert_eq!(*line, 2);
            assert_eq!(errors.0[0].field, "price_cents");
        }
        other => panic!("expected Invalid, got {other}"),
    }
    assert!(
        err.to_string().contains(":2: invalid input: price_cents"),
        "{err}"
    );
}

#[test]
fn when_ids_repeat_should_report_both_lines() {
    let d = dir();
    let path = d.path().join("catalog.jsonl");
    let line = serde_json::to_string(&one_style()).expect("json");
    write(&path, &format!("{line}\n{line}\n"));
    let err = read_catalog_jsonl(&path).expect_err("duplicate");
    assert!(
        matches!(
            err,
            ImportError::Duplicate {
                line: 2,
                first_line: 1,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn when_a_customer_is_missing_its_id_should_name_the_field() {
    let d = dir();
    let path = d.path().join("customers.jsonl");
    write(&path, "{\"id\":\"cu-1\"}\n{\"age_band\":\"30-39\"}\n");
    let err = read_customers_jsonl(&path).expect_err("missing id");
    assert_eq!(err.line(), Some(2));
    assert!(err.to_string().contains("missing field `id`"), "{err}");
}

#[test]
fn when_kind_is_unknown_should_name_line_and_field() {
    let d = dir();
    let path = d.path().join("interactions.csv");
    write(
        &path,
        "customer_id,style_id,kind,timestamp\n\
         cu-1,st-1,view,2025-05-01T10:00:00Z\n\
         cu-1,st-1,wishlist,2025-05-01T10:01:00Z\n",
    );
    let err = read_interactions_csv(&path).expect_err("unknown kind");
    match &err {
        ImportError::Invalid { line, errors, .. } => {
            assert_eq!(*line, 3);
            assert_eq!(errors.0[0].field, "kind");
        }
        other => panic!("expected Invalid, got {other}"),
    }
    assert!(err.to_string().contains("interactions.csv:3:"), "{err}");
    assert!(err.to_string().contains("wishlist"), "{err}");
}

#[test]
fn when_timestamp_is_not_rfc3339_or_in_the_future_should_reject_the_row() {
    let d = dir();
    let path = d.path().join("interactions.csv");
    write(
        &path,
        "customer_id,style_id,kind,timestamp\ncu-1,st-1,view,yesterday\n",
    );
    let err = read_interactions_csv(&path).expect_err("bad time");
    assert!(err.to_string().contains("timestamp"), "{err}");
    write(
        &path,
        "customer_id,style_id,kind,timestamp\ncu-1,st-1,view,2999-01-01T00:00:00Z\n",
    );
    let err = read_interactions_csv(&path).expect_err("future");
    assert!(err.to_string().contains("future"), "{err}");
}

#[test]
fn when_a_header_column_is_missing_should_say_which() {
    let d = dir();
    let path = d.path().join("interactions.csv");
    write(
        &path,
        "customer_id,style_id,timestamp\ncu-1,st-1,2025-05-01T10:00:00Z\n",
    );
    let err = read_interactions_csv(&path).expect_err("no kind column");
    assert_eq!(err.line(), Some(1));
    assert!(err.to_string().contains("missing column 'kind'"), "{err}");
}

#[test]
fn when_a_row_has_too_few_fields_should_name_the_line() {
    let d = dir();
    let path = d.path().join("interactions.csv");
    write(
        &path,
        "customer_id,style_id,kind,timestamp\ncu-1,st-1,view,2025-05-01T10:00:00Z\ncu-1,st-1\n",
    );
    let err = read_interactions_csv(&path).expect_err("short row");
    assert_eq!(err.line(), Some(3), "{err}");
}

#[test]
fn when_columns_are_reordered_and_lines_blank_should_still_read() {
    let d = dir();
    let path = d.path().join("interactions.csv");
    write(
        &path,
        "timestamp,kind,style_id,customer_id,extra\n\
         2025-05-01T10:00:00+02:00,try_on,st-1,cu-1,x\n\
         \n\
         2025-05-01T10:05:00Z,purchase,st-2,cu-1,y\n",
    );
    let signals = read_interactions_csv(&path).expect("valid file");
    assert_eq!(signals.len(), 2);
    assert_eq!(signals[0].kind, SignalKind::TryOn);
    assert_eq!(signals[0].customer_id.as_deref(), Some("cu-1"));
    assert_eq!(signals[0].session_id, None);
    assert_eq!(
        signals[0].timestamp.to_rfc3339(),
        "2025-05-01T08:00:00+00:00"
    );
    assert_eq!(signals[1].style_id, "st-2");
}

#[test]
fn when_the_same_row_is_imported_twice_should_get_the_same_event_id() {
    let d = dir();
    let path = d.path().join("interactions.csv");
    write(
        &path,
        "customer_id,style_id,kind,timestamp\n\
         cu-1,st-1,view,2025-05-01T10:00:00Z\n\
         cu-1,st-1,view,2025-05-01T10:00:00+00:00\n\
         cu-1,st-1,click,2025-05-01T10:00:00Z\n",
    );
    let first = read_interactions_csv(&path).expect("read");
    let second = read_interactions_csv(&path).expect("read again");
    assert_eq!(first, second);
    assert_eq!(first[0].event_id, first[1].event_id);
    assert_ne!(first[0].event_id, first[2].event_id);
    assert!(first[0].event_id.starts_with("imp-"));
    assert!(validate_id(&first[0].event_id).is_ok());
}

#[test]
fn when_event_id_is_computed_should_be_stable_across_releases() {
    let t = DateTime::parse_from_rfc3339("2025-05-01T10:00:00Z")
        .expect("time")
        .with_timezone(&Utc);
    // Pinned: changing the hash would make re-imports duplicate history.
    let id = interaction_event_id("cu-1", "st-1", SignalKind::View, t);
    assert_eq!(
        id,
        interaction_event_id("cu-1", "st-1", SignalKind::View, t)
    );
    assert_eq!(id.len(), 20);
    let mut h = Fnv1a::new();
    h.write(b"a");
    assert_eq!(h.0, 0xaf63_dc4c_8601_ec8c, "FNV-1a test vector for 'a'");
}

#[test]
fn when_the_file_is_missing_should_name_the_path() {
    let d = dir();
    let path = d.path().join("nope.jsonl");
    let err = read_catalog_jsonl(&path).expect_err("missing file");
    assert!(matches!(err, ImportError::Io { .. }));
    assert!(err.to_string().contains("nope.jsonl"), "{err}");
}

#[test]
fn when_feed_bytes_hold_a_bad_line_should_name_source_and_line() {
    let data = crate::demo::generate(&crate::demo::DemoConfig {
        styles: 3,
        customers: 1,
        days: 1,
        ..crate::demo::DemoConfig::small()
    });
    let mut body: String = data
        .styles
        .iter()
        .map(|s| serde_json::to_string(s).expect("json") + "\n")
        .collect();
    let parsed = parse_catalog_jsonl("feeds/a.jsonl", body.as_bytes()).expect("valid feed");
    assert_eq!(parsed, data.styles);
    body.push_str("{\"id\": 3}\n");
    let error = parse_catalog_jsonl("feeds/a.jsonl", body.as_bytes()).expect_err("bad line");
    assert_eq!(error.line(), Some(4));
    assert!(error.to_string().starts_with("feeds/a.jsonl:4:"), "{error}");
}

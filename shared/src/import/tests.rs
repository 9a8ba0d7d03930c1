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

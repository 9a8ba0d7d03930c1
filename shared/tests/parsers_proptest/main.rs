//! Property tests of every parser a client reaches: `POST /v1/signals` bodies
//! ([`signals`]), profile bodies ([`profiles`]), prescriptions in JSON and written notation
//! ([`prescriptions`]) and the query parameters of the list routes: ids, `limit`,
//! `category`, `cursor` ([`queries`]). For any input, arbitrary bytes or valid JSON of a
//! hostile shape ([`hostile`]: numbers out of range, huge strings, NUL and escapes, wrong
//! types, deep nesting), a parser answers Ok or its documented error naming the field at
//! fault, and never panics; the router never answers 5xx. A prescription written out or
//! serialized parses back to the same normal form, and a signal serialized parses back the
//! same. Cursors have their properties next to their private codec (`service/cursor.rs`).

mod hostile;
mod prescriptions;
mod profiles;
mod queries;
mod signals;

use chrono::{DateTime, Utc};
use framewise::error::ValidationErrors;
use proptest::prelude::*;
use serde_json::Value;

/// Cases per property: varied enough per run, the whole target in seconds in a debug build.
const CASES: u32 = 256;

pub(crate) fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        // A failure becomes a named regression test in the parser's module instead.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

pub(crate) fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-06-01T12:00:00Z")
        .expect("valid time")
        .with_timezone(&Utc)
}

/// The documented validation error: at least one field error, each naming the field at
/// fault as `accept` judges it.
pub(crate) fn check_fields(
    errors: &ValidationErrors,
    accept: impl Fn(&str) -> bool,
) -> Result<(), TestCaseError> {
    prop_assert!(
        !errors.0.is_empty(),
        "a validation error with no field error"
    );
    for error in &errors.0 {
        prop_assert!(
            accept(&error.field),
            "unexpected field {:?} ({})",
            error.field,
            error.message
        );
    }
    Ok(())
}

/// How an error names member `key` under `parent` ("" at the top): `parent.key` for plain
/// names, `parent["a.b"]` for keys that would read as a path (or as nothing).
pub(crate) fn path(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (parent, plain) {
        ("", true) => key.to_string(),
        (_, true) => format!("{parent}.{key}"),
        (_, false) => format!("{parent}[{}]", Value::String(key.to_string())),
    }
}

/// `field` is `name` or a path under it (`name.sub`, `name[3]`).
pub(crate) fn under(field: &str, name: &str) -> bool {
    field
        .strip_prefix(name)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

//! Inputs a parser may choke on: hostile strings, numbers and JSON of any shape, and JSON
//! text no value can hold.

use proptest::prelude::*;
use serde_json::{json, Value};

/// Ids the domain accepts.
pub(crate) fn id() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_.:-]{1,40}"
}

/// Member names the parsers know, so generated objects often reach real fields.
pub(crate) const KNOWN_KEYS: &[&str] = &[
    "signals",
    "event_id",
    "customer_id",
    "session_id",
    "kind",
    "style_id",
    "sku",
    "timestamp",
    "recommendation_id",
    "placement",
    "context",
    "device",
    "locale",
    "id",
    "age_band",
    "face_shape",
    "face_measurements",
    "face_width",
    "face_length",
    "jaw_width",
    "undertone",
    "colour_season",
    "preferences",
    "shapes",
    "brands",
    "max_price_cents",
    "prescription",
    "od",
    "os",
    "pd",
    "fitting_height",
    "sph",
    "cyl",
    "axis",
    "add",
    "prism",
    "amount",
    "base",
];

/// Words and numbers that look valid to some parser, or sit just outside a range.
pub(crate) const TOKENS: &[&str] = &[
    "",
    "view",
    "purchase",
    "OD",
    "os",
    "R:",
    "L",
    "PD",
    "x",
    "X",
    "×",
    "add",
    "ADD",
    "DS",
    "sph",
    "plano",
    "PL",
    "+2.00",
    "-0.25",
    "-20.25",
    "6,25",
    "180",
    "181",
    "0",
    "-0",
    "65536",
    "1e39",
    "-1e39",
    "1e-50",
    "NaN",
    "inf",
    "-inf",
    "31.5/31.5",
    "31/",
    "/",
    "2026-06-01T11:00:00Z",
    "+262143-12-31T23:59:59Z",
    "9999-12-31T23:59:59Z",
    "0000-01-01T00:00:00Z",
    "round",
    "warm",
    "autumn",
    "18-29",
    "IN",
    "\u{0}",
    "\\u0000",
    "🙂",
];

pub(crate) fn token() -> BoxedStrategy<String> {
    prop::sample::select(TOKENS)
        .prop_map(str::to_string)
        .boxed()
}

/// Strings a parser may choke on: any Unicode, control characters and NUL, escapes,
/// lookalike tokens and sizes past every limit (the signal body's included).
pub(crate) fn hostile_string() -> BoxedStrategy<String> {
    hostile_string_up_to(300_000)
}

/// [`hostile_string`] at most about `max` bytes long (a URI holds at most 64 KiB).
pub(crate) fn hostile_string_up_to(max: usize) -> BoxedStrategy<String> {
    prop_oneof![
        4 => any::<String>(),
        3 => "[\\x00-\\x1f\"\\\\/:×x+\\-.,;| 0-9a-zA-Z]{0,24}",
        3 => token(),
        1 => (0usize..max).prop_map(|n| "9".repeat(n)),
        1 => (0usize..2_000.min(max)).prop_map(|n| "\u{0}".repeat(n)),
    ]
    .boxed()
}

/// Numbers past every range a field has: f32 overflow, u16/u32 overflow, negative zero,
/// subnormals.
pub(crate) fn hostile_number() -> BoxedStrategy<Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("JSON has no NaN or infinity", |f| {
            serde_json::Number::from_f64(f).map(Value::Number)
        }),
        prop::sample::select(vec![
            0.0,
            -0.0,
            0.25,
            -20.25,
            6.125,
            180.0,
            181.0,
            65_536.0,
            4_294_967_296.0,
            3.402_823_5e38,
            1e39,
            -1e39,
            1e308,
            5e-324,
        ])
        .prop_map(|f| json!(f)),
    ]
    .boxed()
}

pub(crate) fn key() -> BoxedStrategy<String> {
    prop_oneof![
        3 => prop::sample::select(KNOWN_KEYS).prop_map(str::to_string),
        1 => any::<String>(),
    ]
    .boxed()
}

/// Any JSON value, a few levels deep, built from hostile leaves under known keys.
pub(crate) fn hostile_json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        hostile_number(),
        hostile_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
    .boxed()
}

/// JSON text no `Value` can hold: nesting past serde_json's depth limit and numbers out of
/// every range (`1e400`, 2^64), placed where a field's value goes.
pub(crate) fn raw_hostile_json() -> BoxedStrategy<String> {
    prop_oneof![
        (1usize..400).prop_map(|d| format!("{}{}", "[".repeat(d), "]".repeat(d))),
        (1usize..400).prop_map(|d| format!("{}1{}", "{\"a\":".repeat(d), "}".repeat(d))),
        prop::sample::select(vec![
            "1e400",
            "-1e400",
            "1e-400",
            "18446744073709551616",
            "-9223372036854775809",
            "\"\\ud800\"",
            "\"\\u0000\"",
            "\"\\\\\\\"\"",
        ])
        .prop_map(str::to_string),
        hostile_json().prop_map(|v| v.to_string()),
    ]
    .boxed()
}

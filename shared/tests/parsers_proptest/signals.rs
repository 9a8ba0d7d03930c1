//! `POST /v1/signals` bodies: arbitrary bytes, hostile JSON, one bad member in a valid batch,
//! and the round trip of valid signals.

use chrono::Duration;
use framewise::api::{parse_signal_batch, MAX_SIGNAL_BODY_BYTES};
use framewise::domain::{Signal, SignalContext, SignalKind};
use framewise::error::ServiceError;
use proptest::prelude::*;
use serde_json::{json, Value};

use crate::hostile::{hostile_json, id, raw_hostile_json};
use crate::{check_fields, config, now, under};

/// A signal batch parses, or fails with `Invalid` naming fields under `accept`, or with
/// `TooLarge` exactly when the body is over the limit.
fn check_signal_batch(body: &[u8], accept: impl Fn(&str) -> bool) -> Result<(), TestCaseError> {
    match parse_signal_batch(body, now()) {
        Ok(signals) => {
            prop_assert!(!signals.is_empty());
            prop_assert!(body.len() <= MAX_SIGNAL_BODY_BYTES);
        }
        Err(ServiceError::Invalid(errors)) => {
            prop_assert!(body.len() <= MAX_SIGNAL_BODY_BYTES);
            check_fields(&errors, accept)?;
        }
        Err(ServiceError::TooLarge(_)) => prop_assert!(body.len() > MAX_SIGNAL_BODY_BYTES),
        Err(other) => prop_assert!(false, "not a client error: {other}"),
    }
    Ok(())
}

fn batch_field(field: &str) -> bool {
    field == "body" || under(field, "signals")
}

fn valid_signal() -> impl Strategy<Value = Signal> {
    (
        id(),
        prop::option::of(id()),
        prop::option::of(id()),
        prop::sample::select(SignalKind::ALL.to_vec()),
        id(),
        prop::option::of(id()),
        0i64..400_000_000,
        prop::option::of((
            prop::option::of("[a-z]{0,64}"),
            prop::option::of("[a-z_A-Z]{0,64}"),
        )),
    )
        .prop_map(
            |(event_id, customer_id, session_id, kind, style_id, sku, age, context)| Signal {
                event_id,
                // One of the two subjects is required.
                customer_id: customer_id.or_else(|| Some("cu-1".to_string())),
                session_id,
                kind,
                style_id,
                sku,
                timestamp: now() - Duration::seconds(age),
                recommendation_id: None,
                placement: None,
                context: context.map(|(device, locale)| SignalContext { device, locale }),
                price_cents: None,
                quantity: None,
                order_id: None,
                // A rating signal must carry its stars; no other kind may.
                rating: (kind == SignalKind::Rating).then_some(3),
                position: Some(u32::try_from(age % 40).unwrap_or(0)),
                comment: None,
            },
        )
}

/// Fields of a signal object, plus one it does not have.
const SIGNAL_FIELDS: &[&str] = &[
    "event_id",
    "customer_id",
    "session_id",
    "kind",
    "style_id",
    "sku",
    "timestamp",
    "recommendation_id",
    "placement",
    "position",
    "context",
    "rating",
    "comment",
    "unknown_member",
];

proptest! {
    #![proptest_config(config())]

    #[test]
    fn signal_batch_of_arbitrary_bytes_is_ok_or_names_body_or_signals(
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..1024),
            any::<String>().prop_map(String::into_bytes),
            prop::collection::vec(any::<u8>(), 0..512)
                .prop_map(|tail| [b"{\"signals\":[{".as_slice(), &tail].concat()),
        ],
    ) {
        check_signal_batch(&body, batch_field)?;
    }

    #[test]
    fn signal_batch_of_hostile_json_is_ok_or_names_body_or_signals(
        root in prop_oneof![
            hostile_json().prop_map(|v| v.to_string()),
            hostile_json().prop_map(|v| json!({"signals": v}).to_string()),
            prop::collection::vec(hostile_json(), 0..120)
                .prop_map(|items| json!({"signals": items}).to_string()),
            raw_hostile_json().prop_map(|raw| format!("{{\"signals\":{raw}}}")),
            raw_hostile_json().prop_map(|raw| format!("{{\"signals\":[{raw}]}}")),
        ],
    ) {
        // An unknown top-level member is named as itself (the contract refuses it).
        let top_level: Vec<String> = serde_json::from_str::<Value>(&root)
            .ok()
            .and_then(|v| v.as_object().map(|o| o.keys().cloned().collect()))
            .unwrap_or_default();
        check_signal_batch(root.as_bytes(), |f| {
            batch_field(f) || top_level.iter().any(|k| k == f)
        })?;
    }

    #[test]
    fn signal_batch_with_one_bad_member_names_that_member(
        signals in prop::collection::vec(valid_signal(), 1..6),
        pick in any::<prop::sample::Index>(),
        member in prop::sample::select(SIGNAL_FIELDS),
        value in prop_oneof![
            3 => hostile_json().prop_map(Some),
            1 => Just(None),
        ],
        raw in prop::option::weighted(0.2, raw_hostile_json()),
    ) {
        let index = pick.index(signals.len());
        let mut items: Vec<Value> = signals
            .iter()
            .map(|s| serde_json::to_value(s).expect("signals serialize"))
            .collect();
        let placeholder = "\"__raw__\"";
        if let Value::Object(object) = &mut items[index] {
            match (&raw, value) {
                (Some(_), _) => {
                    object.insert(member.to_string(), json!("__raw__"));
                }
                (None, Some(v)) => {
                    object.insert(member.to_string(), v);
                }
                (None, None) => {
                    object.remove(member);
                }
            }
        }
        let mut body = json!({"signals": items}).to_string();
        if let Some(raw) = &raw {
            body = body.replacen(placeholder, raw, 1);
        }
        let path = format!("signals[{index}].{member}");
        // Text that is no JSON value (too deep, out of range) fails the whole body.
        check_signal_batch(body.as_bytes(), |field| field == "body" || under(field, &path))?;
    }

    #[test]
    fn signal_serialized_parses_back_the_same(signals in prop::collection::vec(valid_signal(), 1..8)) {
        let body = json!({"signals": signals}).to_string();
        let parsed = parse_signal_batch(body.as_bytes(), now())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(parsed, signals);
    }
}

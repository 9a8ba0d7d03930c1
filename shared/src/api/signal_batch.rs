//! `POST /v1/signals` bodies: parsed and validated as a whole, every bad field named by its
//! path, nothing accepted unless everything is valid. Used by the shared router and by the
//! `signals-api` function alike.
//!
//! What the contract settles for hostile input (README "Signals: what is accepted"): unknown
//! fields (top level, signal, `context`) are refused like the profile endpoint refuses them,
//! so a misspelt `recomendation_id` is not silently lost; a key given twice in one object is
//! refused (no "last one wins"); `context` must be an object; control characters in free
//! text are refused; timestamps before 2000 are refused. An unknown `style_id` is accepted
//! (the catalogue feed may land after the shopper saw the frame), as is a `sku` that is not a
//! variant of the style (it only picks the colourway shown, and an unknown one is ignored).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::ApiError;
use super::identity::permit;
use crate::auth::{Action, Caller, CustomerAccess, Denied};
use crate::domain::Signal;
use crate::error::{FieldError, ServiceError, ValidationErrors};

/// Most signals one request may carry.
pub const MAX_SIGNALS_PER_REQUEST: usize = 100;
/// Largest accepted request body for signals.
pub const MAX_SIGNAL_BODY_BYTES: usize = 256 * 1024;

/// The body of both signal routes: 1 to 100 signals, accepted or rejected as a whole.
// The documented shape only: `parse_signal_batch` reads the body signal by signal rather
// than through this type, so that every bad field is named.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SignalBatch {
    #[schema(min_items = 1, max_items = 100)]
    pub signals: Vec<Signal>,
}

/// Parses and validates a signal batch; every problem is reported with its field path and
/// nothing is accepted unless everything is valid.
pub fn parse_signal_batch(body: &[u8], now: DateTime<Utc>) -> Result<Vec<Signal>, ServiceError> {
    if body.len() > MAX_SIGNAL_BODY_BYTES {
        return Err(ServiceError::TooLarge(format!(
            "a request may carry at most {MAX_SIGNAL_BODY_BYTES} bytes"
        )));
    }
    let root: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ValidationErrors::single("body", format!("not valid JSON: {e}")))?;
    if let Err(key) = serde_json::from_slice::<NoDuplicateKeys>(body) {
        return Err(ValidationErrors::single("body", key.to_string()).into());
    }
    if let Some(key) = root
        .as_object()
        .and_then(|o| o.keys().find(|k| k.as_str() != "signals"))
    {
        return Err(ValidationErrors::single(key.clone(), "unknown field").into());
    }
    let Some(items) = root.get("signals").and_then(|v| v.as_array()) else {
        return Err(ValidationErrors::single("signals", "required: an array of signals").into());
    };
    if items.is_empty() {
        return Err(ValidationErrors::single("signals", "must hold at least one signal").into());
    }
    if items.len() > MAX_SIGNALS_PER_REQUEST {
        return Err(ValidationErrors::single(
            "signals",
            format!("at most {MAX_SIGNALS_PER_REQUEST} signals per request"),
        )
        .into());
    }
    let mut errors = Vec::new();
    let mut signals = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("signals[{i}]");
        let unknown = unknown_fields(item);
        if !unknown.is_empty() {
            errors.extend(unknown.into_iter().map(|f| f.under(&path)));
            continue;
        }
        match serde_path_to_error::deserialize::<_, Signal>(item) {
            Ok(signal) => match signal.validate(now) {
                Ok(()) => signals.push(signal),
                Err(e) => errors.extend(e.0.into_iter().map(|f| f.under(&path))),
            },
            Err(e) => {
                let field = e.path().to_string();
                let message = e.into_inner().to_string();
                let error = if field == "." {
                    // serde reports a missing field at the parent; name the field itself.
                    match missing_field_name(&message) {
                        Some(name) => FieldError::new(name, message),
                        None => FieldError::new("", message),
                    }
                } else {
                    FieldError::new(field, message)
                };
                errors.push(error.under(&path));
            }
        }
    }
    if errors.is_empty() {
        Ok(signals)
    } else {
        Err(ValidationErrors(errors).into())
    }
}

/// Who may post these signals. On the public session route (`session` given) none may name
/// a customer and each must be of that session; otherwise each signal naming a customer
/// needs that shopper's own token or the service scope (session-only signals are fine).
pub fn authorize_signals(
    caller: &Caller,
    signals: &[Signal],
    session: Option<&str>,
) -> Result<(), ApiError> {
    for (i, signal) in signals.iter().enumerate() {
        match (session, &signal.customer_id) {
            (Some(_), Some(_)) => {
                return Err(ApiError::from(Denied::Forbidden(
                    "anonymous session signals may not name a customer; sign in and post to /v1/signals",
                ))
                .with_field(format!("signals[{i}].customer_id")))
            }
            (Some(session), None) => {
                if signal.session_id.as_deref() != Some(session) {
                    return Err(ApiError::invalid(
                        format!("signals[{i}].session_id"),
                        "must equal the session of the path",
                    ));
                }
            }
            (None, Some(customer_id)) => permit(
                caller,
                Action::Customer(customer_id, CustomerAccess::Shopping),
            )
            .map_err(|e| e.with_field(format!("signals[{i}].customer_id")))?,
            (None, None) => {}
        }
    }
    Ok(())
}

/// Fields a signal and its `context` may carry; anything else is named as unknown. Kept
/// here, not as `deny_unknown_fields` on the type, so stored and queued signals written by
/// a newer version still decode in an older worker during a deploy.
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
    "price_cents",
    "quantity",
    "order_id",
    "rating",
    "comment",
];
const CONTEXT_FIELDS: &[&str] = &["device", "locale"];

fn unknown_fields(item: &serde_json::Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let Some(signal) = item.as_object() else {
        return errors;
    };
    for key in signal
        .keys()
        .filter(|k| !SIGNAL_FIELDS.contains(&k.as_str()))
    {
        errors.push(FieldError::new(key.clone(), "unknown field"));
    }
    match signal.get("context") {
        None | Some(serde_json::Value::Null) => {}
        Some(serde_json::Value::Object(context)) => {
            for key in context
                .keys()
                .filter(|k| !CONTEXT_FIELDS.contains(&k.as_str()))
            {
                errors.push(FieldError::new(format!("context.{key}"), "unknown field"));
            }
        }
        Some(_) => errors.push(FieldError::new(
            "context",
            "must be an object with device and locale",
        )),
    }
    errors
}

/// Walks a JSON document and fails on the first object holding a key twice.
struct NoDuplicateKeys;

impl<'de> serde::Deserialize<'de> for NoDuplicateKeys {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NoDuplicateKeysVisitor)
    }
}

struct NoDuplicateKeysVisitor;

impl<'de> serde::de::Visitor<'de> for NoDuplicateKeysVisitor {
    type Value = NoDuplicateKeys;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!(
                    "the key `{key}` appears twice in one object"
                )));
            }
            map.next_value::<NoDuplicateKeys>()?;
        }
        Ok(NoDuplicateKeys)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<NoDuplicateKeys>()?.is_some() {}
        Ok(NoDuplicateKeys)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(NoDuplicateKeys)
    }
}

fn missing_field_name(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-06-01T12:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap()
    }

    fn field_errors(result: Result<Vec<Signal>, ServiceError>) -> Vec<FieldError> {
        match result {
            Err(ServiceError::Invalid(ValidationErrors(errors))) => errors,
            other => panic!("expected validation errors, got {other:?}"),
        }
    }

    #[test]
    fn when_batch_is_valid_should_parse_every_signal() {
        let body = br#"{"signals": [
            {"event_id": "e1", "customer_id": "c1", "kind": "view", "style_id": "s1", "timestamp": "2026-06-01T11:00:00Z"},
            {"event_id": "e2", "session_id": "anon", "kind": "purchase", "style_id": "s2", "sku": "s2-a", "timestamp": "2026-06-01T11:00:00Z", "context": {"device": "ios"}}
        ]}"#;
        let signals = parse_signal_batch(body, now()).unwrap();
        assert_eq!(signals.len(), 2);
        assert_eq!(signals[1].sku.as_deref(), Some("s2-a"));
    }

    #[test]
    fn when_signals_are_invalid_should_name_each_field() {
        let body = br#"{"signals": [
            {"event_id": "e1", "customer_id": "c1", "kind": "stare", "style_id": "s1", "timestamp": "2026-06-01T11:00:00Z"},
            {"event_id": "e2", "customer_id": "c1", "style_id": "s1", "timestamp": "2026-06-01T11:00:00Z"},
            {"event_id": "e3", "kind": "view", "style_id": "s1", "timestamp": "2026-06-01T11:00:00Z"},
            {"event_id": "e4", "customer_id": "c1", "kind": "view", "style_id": "s1", "timestamp": "2030-01-01T00:00:00Z"}
        ]}"#;
        let fields: Vec<String> = field_errors(parse_signal_batch(body, now()))
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "signals[0].kind",
                "signals[1].kind",
                "signals[2].customer_id",
                "signals[3].timestamp"
            ]
        );
    }

    #[test]
    fn when_rating_is_missing_out_of_range_or_misplaced_should_name_the_field() {
        let long = "a".repeat(501);
        let body = format!(
            r#"{{"signals": [
            {{"event_id": "r1", "customer_id": "c1", "kind": "rating", "style_id": "s1", "timestamp": "2026-06-01T11:00:00Z", "rating": 4, "comment": "Light and\nsturdy"}},
            {{"event_id": "r2", "customer_id": "c1", "kind": "rating", "style_id": "s1", "timestamp": "2026-06-01T11:00:00Z"}},
            {{"event_id": "r3", "customer_id": "c1", "kind": "rating", "style_id": "s1", "timestamp": "2026-06-01T11:00:00Z", "rating": 6}},
            {{"event_id": "r4", "customer_id": "c1", "kind": "view", "style_id": "s1", "timestamp": "2026-06-01T11:00:00Z", "rating": 5}},
            {{"event_id": "r5", "customer_id": "c1", "kind": "rating", "style_id": "s1", "timestamp": "2026-06-01T11:00:00Z", "rating": 3, "comment": "{long}"}}
        ]}}"#
        );
        let fields: Vec<String> = field_errors(parse_signal_batch(body.as_bytes(), now()))
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "signals[1].rating",
                "signals[2].rating",
                "signals[3].rating",
                "signals[4].comment"
            ]
        );
        let ok = body
            .lines()
            .take(2)
            .collect::<Vec<_>>()
            .join("\n")
            .trim_end_matches(',')
            .to_string()
            + "]}";
        let parsed = parse_signal_batch(ok.as_bytes(), now()).unwrap();
        assert_eq!(parsed[0].rating, Some(4));
        assert_eq!(parsed[0].comment.as_deref(), Some("Light and\nsturdy"));
    }

    #[test]
    fn when_batch_is_too_big_should_reject_whole_request() {
        let one = r#"{"event_id": "e", "customer_id": "c", "kind": "view", "style_id": "s", "timestamp": "2026-06-01T11:00:00Z"}"#;
        let body = format!("{{\"signals\": [{}]}}", vec![one; 101].join(","));
        let errors = field_errors(parse_signal_batch(body.as_bytes(), now()));
        assert_eq!(errors[0].field, "signals");
        let huge = vec![b' '; MAX_SIGNAL_BODY_BYTES + 1];
        assert!(matches!(
            parse_signal_batch(&huge, now()),
            Err(ServiceError::TooLarge(_))
        ));
    }

    #[test]
    fn when_context_is_long_should_count_characters_not_bytes() {
        // The documented maxLength counts characters; 40 two-byte characters are 80 bytes.
        let batch = |device: &str| {
            format!(
                r#"{{"signals": [{{"event_id": "e1", "session_id": "s", "kind": "view", "style_id": "s1",
                    "timestamp": "2026-06-01T11:00:00Z", "context": {{"device": "{device}"}}}}]}}"#
            )
        };
        assert!(parse_signal_batch(batch(&"é".repeat(40)).as_bytes(), now()).is_ok());
        let errors = field_errors(parse_signal_batch(batch(&"a".repeat(65)).as_bytes(), now()));
        assert_eq!(errors[0].field, "signals[0].context.device");
    }

    #[test]
    fn when_body_is_not_json_should_name_body() {
        let errors = field_errors(parse_signal_batch(b"{nope", now()));
        assert_eq!(errors[0].field, "body");
        let errors = field_errors(parse_signal_batch(b"{\"signals\": 3}", now()));
        assert_eq!(errors[0].field, "signals");
    }

    #[test]
    fn when_batch_is_hostile_should_name_what_the_contract_refuses() {
        let signal = |extra: &str| {
            format!(
                r#"{{"signals": [{{"event_id": "e1", "customer_id": "c1", "kind": "view", "style_id": "s1", "timestamp": "2026-06-01T11:00:00Z"{extra}}}]}}"#
            )
        };
        let cases = [
            (
                signal(r#", "recomendation_id": "r1""#),
                "signals[0].recomendation_id",
            ),
            (
                signal(r#", "context": {"device": "web", "os": "x"}"#),
                "signals[0].context.os",
            ),
            (signal(r#", "context": ["web"]"#), "signals[0].context"),
            (signal(r#", "kind": "purchase""#), "body"),
            (
                signal(r#", "context": {"device": "we\u0000b"}"#),
                "signals[0].context.device",
            ),
            (
                signal("").replace("2026-06-01T11:00:00Z", "0001-01-01T00:00:00Z"),
                "signals[0].timestamp",
            ),
            (
                signal("").replace("2026-06-01T11:00:00Z", "1969-12-31T23:59:59Z"),
                "signals[0].timestamp",
            ),
            (
                signal("").replace(r#"{"signals""#, r#"{"extra": 1, "signals""#),
                "extra",
            ),
        ];
        for (body, field) in cases {
            let errors = field_errors(parse_signal_batch(body.as_bytes(), now()));
            assert!(
                errors.iter().any(|e| e.field == field),
                "{body}: expected {field} in {errors:?}"
            );
        }
        // Accepted with a stated reason: a style the catalogue does not know yet, any sku.
        let lagging = signal(r#", "sku": "another-style-sku""#).replace("\"s1\"", "\"st-new\"");
        assert!(parse_signal_batch(lagging.as_bytes(), now()).is_ok());
    }
}

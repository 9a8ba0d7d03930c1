//! `POST /v1/signals` bodies: parsed and validated as a whole, every bad field named by its
//! path, nothing accepted unless everything is valid. Used by the shared router and by the
//! `signals-api` function alike.

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
}

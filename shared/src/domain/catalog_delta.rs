//! A live catalogue change: one style's price, active flag or one SKU's stock, sent by the
//! shop as it happens (admin `PATCH /v1/products/{style_id}`, or a message on the catalogue
//! events queue, raw or in an EventBridge envelope) instead of a whole feed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::catalog::{check_id, Style, PRICE_CENTS};
use crate::error::{FieldError, ValidationErrors};

/// Fields a delta message may carry; anything else is named as unknown, so a typo
/// (`"prise_cents"`) is refused instead of silently changing nothing.
pub const CATALOG_DELTA_FIELDS: &[&str] =
    &["style_id", "sku", "stock", "price_cents", "active", "at"];

/// One change to one style. `stock` needs the `sku` it applies to; at least one of `stock`,
/// `price_cents` and `active` is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CatalogDelta {
    pub style_id: String,
    /// The SKU whose stock is set (required with `stock`, refused without it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// The SKU's new stock (absolute, not an increment: redelivered messages stay harmless).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = "uint32")]
    pub stock: Option<u32>,
    /// The style's new price in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = "uint32")]
    pub price_cents: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// When the change happened at the source; deltas of one batch apply in this order.
    pub at: DateTime<Utc>,
}

impl CatalogDelta {
    /// Checks the delta on its own (whether its style and SKU exist is the store's to say:
    /// [`CatalogDelta::apply_to`]).
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = Vec::new();
        check_id(&mut errors, "style_id", &self.style_id);
        if let Some(sku) = &self.sku {
            check_id(&mut errors, "sku", sku);
        }
        match (&self.sku, self.stock) {
            (None, Some(_)) => errors.push(FieldError::new("sku", "required with stock")),
            (Some(_), None) => errors.push(FieldError::new("stock", "required with sku")),
            _ => {}
        }
        if let Some(price) = self.price_cents {
            if !PRICE_CENTS.contains(&price) {
                errors.push(FieldError::new(
                    "price_cents",
                    format!(
                        "must be between {} and {}",
                        PRICE_CENTS.start(),
                        PRICE_CENTS.end()
                    ),
                ));
            }
        }
        if self.stock.is_none() && self.price_cents.is_none() && self.active.is_none() {
            errors.push(FieldError::new(
                "body",
                "a change needs at least one of stock, price_cents, active",
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(errors))
        }
    }

    /// Applies the change to `style` in place; returns whether anything changed. Refused
    /// (naming `sku`) when the style has no such SKU; nothing is changed then.
    pub fn apply_to(&self, style: &mut Style) -> Result<bool, ValidationErrors> {
        let mut changed = false;
        if let (Some(sku), Some(stock)) = (&self.sku, self.stock) {
            let variant = style
                .colourways
                .iter_mut()
                .flat_map(|c| c.variants.iter_mut())
                .find(|v| v.sku == *sku)
                .ok_or_else(|| {
                    ValidationErrors::single(
                        "sku",
                        format!("'{sku}' is not a SKU of style {}", style.id),
                    )
                })?;
            changed |= variant.stock != stock;
            variant.stock = stock;
        }
        if let Some(price) = self.price_cents {
            changed |= style.price_cents != price;
            style.price_cents = price;
        }
        if let Some(active) = self.active {
            changed |= style.active != active;
            style.active = active;
        }
        Ok(changed)
    }
}

/// A delta from a queue message: the delta itself as JSON, or an EventBridge event
/// (`{"detail-type": ..., "time": ..., "detail": {delta}}`). Without `at`, the envelope's
/// `time` is used, else `received`. Every problem names its field (under `detail.` in an
/// envelope).
pub fn catalog_delta_from_message(
    body: &str,
    received: DateTime<Utc>,
) -> Result<CatalogDelta, ValidationErrors> {
    let value: serde_json::Value = serde_json::from_str(body)
        .map_err(|e| ValidationErrors::single("body", format!("not valid JSON: {e}")))?;
    let (mut delta, envelope, fallback_at) = match value.get("detail") {
        Some(detail) if value.get("detail-type").is_some() => {
            let time = value
                .get("time")
                .and_then(|t| t.as_str())
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc));
            (detail.clone(), true, time.unwrap_or(received))
        }
        _ => (value, false, received),
    };
    // In an envelope, fields are named where they are: `detail.price_cents`.
    let located = |error: FieldError| {
        if envelope {
            error.under("detail")
        } else {
            error
        }
    };
    let Some(fields) = delta.as_object_mut() else {
        return Err(ValidationErrors(vec![located(FieldError::new(
            "body",
            "must be a JSON object",
        ))]));
    };
    if let Some(key) = fields
        .keys()
        .find(|k| !CATALOG_DELTA_FIELDS.contains(&k.as_str()))
    {
        return Err(ValidationErrors(vec![located(FieldError::new(
            key.clone(),
            "unknown field",
        ))]));
    }
    fields
        .entry("at")
        .or_insert_with(|| serde_json::json!(fallback_at));
    let delta: CatalogDelta = serde_path_to_error::deserialize(delta).map_err(|e| {
        // A missing field is reported at the root ("."): name the object instead.
        let field = match e.path().to_string() {
            root if root == "." => "body".to_string(),
            path => path,
        };
        ValidationErrors(vec![located(FieldError::new(
            field,
            e.into_inner().to_string(),
        ))])
    })?;
    delta
        .validate()
        .map_err(|errors| ValidationErrors(errors.0.into_iter().map(located).collect()))?;
    Ok(delta)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .expect("time")
            .with_timezone(&Utc)
    }

    fn fields(result: Result<CatalogDelta, ValidationErrors>) -> Vec<String> {
        result
            .expect_err("refused")
            .0
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn when_a_message_is_a_raw_delta_should_parse_it_and_default_at_to_receipt() {
        let delta = catalog_delta_from_message(r#"{"style_id":"s1","price_cents":12900}"#, at())
            .expect("delta");
        assert_eq!(delta.price_cents, Some(12_900));
        assert_eq!(delta.at, at());
    }

    #[test]
    fn when_a_message_is_an_eventbridge_event_should_take_detail_and_its_time() {
        let body = r#"{"version":"0","detail-type":"StockChanged","source":"shop.inventory",
            "time":"2026-11-30T08:00:00Z","detail":{"style_id":"s1","sku":"s1-blk-52","stock":0}}"#;
        let delta = catalog_delta_from_message(body, at()).expect("delta");
        assert_eq!(delta.sku.as_deref(), Some("s1-blk-52"));
        assert_eq!(delta.stock, Some(0));
        assert_eq!(delta.at.to_rfc3339(), "2026-11-30T08:00:00+00:00");
    }

    #[test]
    fn when_a_message_is_bad_should_name_the_field() {
        let message = |body: &str| catalog_delta_from_message(body, at());
        assert_eq!(fields(message("not json")), ["body"]);
        assert_eq!(
            fields(message(r#"{"style_id":"s1","prise_cents":1}"#)),
            ["prise_cents"]
        );
        assert_eq!(
            fields(message(r#"{"style_id":"s1","stock":3}"#)),
            ["sku"],
            "stock needs its SKU"
        );
        assert_eq!(
            fields(message(r#"{"style_id":"s1","price_cents":0}"#)),
            ["price_cents"]
        );
        assert_eq!(fields(message(r#"{"style_id":"s1"}"#)), ["body"]);
        assert_eq!(fields(message(r#"{"price_cents":100}"#)), ["body"]);
        assert_eq!(
            fields(message(r#"{"style_id":"s1","active":"yes"}"#)),
            ["active"]
        );
        assert_eq!(
            fields(message(
                r#"{"detail-type":"x","detail":{"style_id":"s 1","active":false}}"#
            )),
            ["detail.style_id"]
        );
    }
}

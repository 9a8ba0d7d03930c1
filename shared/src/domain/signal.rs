//! Interaction signals posted by web and mobile clients.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::catalog::check_id;
use crate::error::{FieldError, ValidationErrors};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    Impression,
    View,
    Click,
    TryOn,
    Favorite,
    AddToCart,
    Purchase,
    Return,
    Dismiss,
    /// Post-purchase satisfaction: a `rating` of 1-5 of a bought style, with an optional
    /// `comment`. Measured per experiment arm; says nothing about taste by default.
    Rating,
}

impl SignalKind {
    pub const ALL: [SignalKind; 10] = [
        Self::Impression,
        Self::View,
        Self::Click,
        Self::TryOn,
        Self::Favorite,
        Self::AddToCart,
        Self::Purchase,
        Self::Return,
        Self::Dismiss,
        Self::Rating,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Impression => "impression",
            Self::View => "view",
            Self::Click => "click",
            Self::TryOn => "try_on",
            Self::Favorite => "favorite",
            Self::AddToCart => "add_to_cart",
            Self::Purchase => "purchase",
            Self::Return => "return",
            Self::Dismiss => "dismiss",
            Self::Rating => "rating",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Signals that show deliberate interest in a style; these feed co-occurrence.
    pub fn is_engagement(self) -> bool {
        matches!(
            self,
            Self::Click | Self::TryOn | Self::Favorite | Self::AddToCart | Self::Purchase
        )
    }

    /// Signals that settle a shopper's relation to a style for good (bought it, sent it
    /// back, said no): kept for the shopper however many signals follow, because the filters
    /// that keep such styles out of lists must never forget them.
    pub fn is_decisive(self) -> bool {
        matches!(self, Self::Purchase | Self::Return | Self::Dismiss)
    }

    /// Signals that show interest in a style (everything but impressions and negatives).
    pub fn is_positive(self) -> bool {
        matches!(
            self,
            Self::View
                | Self::Click
                | Self::TryOn
                | Self::Favorite
                | Self::AddToCart
                | Self::Purchase
        )
    }
}

/// Who a signal belongs to: a known customer or an anonymous browsing session.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Subject {
    Customer(String),
    Session(String),
}

impl Subject {
    /// A single string key for storage (`c:<id>` or `s:<id>`).
    pub fn key(&self) -> String {
        match self {
            Self::Customer(id) => format!("c:{id}"),
            Self::Session(id) => format!("s:{id}"),
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        if let Some(id) = key.strip_prefix("c:") {
            Some(Self::Customer(id.to_string()))
        } else {
            key.strip_prefix("s:")
                .map(|id| Self::Session(id.to_string()))
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SignalContext {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 64)]
    pub device: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 64)]
    pub locale: Option<String>,
}

/// One interaction. `event_id` is the client's idempotency key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Signal {
    // Ids are checked by `check_id` in `validate`; the patterns document the same rule.
    #[schema(pattern = "^[A-Za-z0-9_.:-]{1,128}$")]
    pub event_id: String,
    /// A signed-in shopper; either this or `session_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[A-Za-z0-9_.:-]{1,128}$")]
    pub customer_id: Option<String>,
    /// An anonymous browsing session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[A-Za-z0-9_.:-]{1,128}$")]
    pub session_id: Option<String>,
    pub kind: SignalKind,
    #[schema(pattern = "^[A-Za-z0-9_.:-]{1,128}$")]
    pub style_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[A-Za-z0-9_.:-]{1,128}$")]
    pub sku: Option<String>,
    /// When it happened (RFC 3339); at most 10 minutes in the future (clock skew).
    pub timestamp: DateTime<Utc>,
    /// The list the shopper acted on, for attribution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[A-Za-z0-9_.:-]{1,128}$")]
    pub recommendation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[A-Za-z0-9_.:-]{1,128}$")]
    pub placement: Option<String>,
    /// Where in that list the style was (0 = first), as the client rendered it. Kept with
    /// the signal; attribution reads the position from the recorded exposure instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 1000)]
    pub position: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<SignalContext>,
    /// Unit price paid, in the currency's minor unit (purchases and returns): attributed
    /// revenue is `price_cents` x `quantity`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub price_cents: Option<i64>,
    /// Units bought or returned (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 1000)]
    pub quantity: Option<u32>,
    /// The order a purchase or return belongs to, so a return undoes the right purchase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[A-Za-z0-9_.:-]{1,128}$")]
    pub order_id: Option<String>,
    /// Satisfaction with a bought style, 1 (poor) to 5 (excellent): required on `rating`
    /// signals, refused on others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 5)]
    pub rating: Option<u8>,
    /// The shopper's words with a rating (only on `rating` signals). Health or personal
    /// details may end up here: it is kept with the shopper's history, erased with it, and
    /// never logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 500)]
    pub comment: Option<String>,
}

/// Largest list position a signal may name (lists are far shorter).
pub const MAX_POSITION: u32 = 1000;
/// Ratings run from 1 to this.
pub const MAX_RATING: u8 = 5;
/// Longest rating comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 500;

/// Largest unit price a signal may carry (1,000,000.00 in the currency).
pub const MAX_PRICE_CENTS: i64 = 100_000_000;
/// Most units one purchase or return signal may carry.
pub const MAX_QUANTITY: u32 = 1000;

/// How far in the future a client clock may be before a timestamp is rejected.
pub const MAX_CLOCK_SKEW_MINUTES: i64 = 10;

/// Earliest accepted timestamp (2000-01-01T00:00:00Z): year 1 or 1970 is a client clock or
/// serialisation bug, not an event. Old but plausible events are accepted; they decay.
pub const EARLIEST_SIGNAL_TIMESTAMP: i64 = 946_684_800;

impl Signal {
    /// The customer if known, else the session.
    pub fn subject(&self) -> Option<Subject> {
        match (&self.customer_id, &self.session_id) {
            (Some(c), _) => Some(Subject::Customer(c.clone())),
            (None, Some(s)) => Some(Subject::Session(s.clone())),
            (None, None) => None,
        }
    }

    /// Revenue of a purchase or return: unit price times quantity (0 without a price).
    pub fn revenue_cents(&self) -> i64 {
        let units = i64::from(self.quantity.unwrap_or(1));
        self.price_cents.unwrap_or(0).saturating_mul(units)
    }

    /// Checks one signal; `now` bounds the timestamp (no events from the future).
    pub fn validate(&self, now: DateTime<Utc>) -> Result<(), ValidationErrors> {
        let mut errors = Vec::new();
        check_id(&mut errors, "event_id", &self.event_id);
        match (&self.customer_id, &self.session_id) {
            (None, None) => errors.push(FieldError::new(
                "customer_id",
                "either customer_id or session_id is required",
            )),
            (customer, session) => {
                if let Some(c) = customer {
                    check_id(&mut errors, "customer_id", c);
                }
                if let Some(s) = session {
                    check_id(&mut errors, "session_id", s);
                }
            }
        }
        check_id(&mut errors, "style_id", &self.style_id);
        if let Some(sku) = &self.sku {
            check_id(&mut errors, "sku", sku);
        }
        if let Some(r) = &self.recommendation_id {
            check_id(&mut errors, "recommendation_id", r);
        }
        if let Some(p) = &self.placement {
            check_id(&mut errors, "placement", p);
        }
        if self.position.is_some_and(|p| p > MAX_POSITION) {
            errors.push(FieldError::new(
                "position",
                format!("must be between 0 and {MAX_POSITION}"),
            ));
        }
        if let Some(order) = &self.order_id {
            check_id(&mut errors, "order_id", order);
        }
        if self
            .price_cents
            .is_some_and(|p| !(0..=MAX_PRICE_CENTS).contains(&p))
        {
            errors.push(FieldError::new(
                "price_cents",
                format!("must be between 0 and {MAX_PRICE_CENTS}"),
            ));
        }
        if self
            .quantity
            .is_some_and(|q| !(1..=MAX_QUANTITY).contains(&q))
        {
            errors.push(FieldError::new(
                "quantity",
                format!("must be between 1 and {MAX_QUANTITY}"),
            ));
        }
        let commerce = matches!(self.kind, SignalKind::Purchase | SignalKind::Return);
        if !commerce {
            for (name, given) in [
                ("price_cents", self.price_cents.is_some()),
                ("quantity", self.quantity.is_some()),
                ("order_id", self.order_id.is_some()),
            ] {
                if given {
                    errors.push(FieldError::new(name, "only purchases and returns carry it"));
                }
            }
        }
        if self.kind == SignalKind::Rating {
            match self.rating {
                None => errors.push(FieldError::new("rating", "a rating signal needs it")),
                Some(r) if !(1..=MAX_RATING).contains(&r) => errors.push(FieldError::new(
                    "rating",
                    format!("must be between 1 and {MAX_RATING}"),
                )),
                Some(_) => {}
            }
            if let Some(comment) = &self.comment {
                if comment.chars().count() > MAX_COMMENT_CHARS {
                    errors.push(FieldError::new(
                        "comment",
                        format!("must be at most {MAX_COMMENT_CHARS} characters"),
                    ));
                } else if comment
                    .chars()
                    .any(|c| c.is_control() && c != '\n' && c != '\t')
                {
                    errors.push(FieldError::new(
                        "comment",
                        "must not contain control characters other than newlines and tabs",
                    ));
                }
            }
        } else {
            for (name, given) in [
                ("rating", self.rating.is_some()),
                ("comment", self.comment.is_some()),
            ] {
                if given {
                    errors.push(FieldError::new(name, "only rating signals carry it"));
                }
            }
        }
        if let Some(ctx) = &self.context {
            for (name, value) in [("device", &ctx.device), ("locale", &ctx.locale)] {
                // Characters, as the message (and the documented maxLength) say, not bytes.
                if value.as_ref().is_some_and(|v| v.chars().count() > 64) {
                    errors.push(FieldError::new(
                        format!("context.{name}"),
                        "must be at most 64 characters",
                    ));
                } else if value
                    .as_ref()
                    .is_some_and(|v| v.chars().any(char::is_control))
                {
                    errors.push(FieldError::new(
                        format!("context.{name}"),
                        "must not contain control characters",
                    ));
                }
            }
        }
        if self.timestamp > now + Duration::minutes(MAX_CLOCK_SKEW_MINUTES) {
            errors.push(FieldError::new("timestamp", "must not be in the future"));
        } else if self.timestamp.timestamp() < EARLIEST_SIGNAL_TIMESTAMP {
            errors.push(FieldError::new(
                "timestamp",
                "must not be before 2000-01-01 (a client clock error)",
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(errors))
        }
    }
}

/// How much one signal of each kind says about a shopper's interest in a style.
/// Positive kinds grow from passive to committed; returns and dismissals count against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct KindWeights {
    /// 0.0: being shown a style says nothing about the shopper.
    pub impression: f32,
    /// 1.0
    pub view: f32,
    /// 2.0
    pub click: f32,
    /// 3.0
    pub favorite: f32,
    /// 4.0: a virtual try-on is a strong, deliberate look at the frame on one's own face.
    pub try_on: f32,
    /// 6.0
    pub add_to_cart: f32,
    /// 10.0
    pub purchase: f32,
    /// -12.0: outweighs the purchase it undoes.
    #[serde(rename = "return")]
    pub returned: f32,
    /// -4.0
    pub dismiss: f32,
    /// 0.0: a rating follows a purchase that already counted; it measures satisfaction.
    pub rating: f32,
}

impl Default for KindWeights {
    fn default() -> Self {
        Self {
            impression: 0.0,
            view: 1.0,
            click: 2.0,
            favorite: 3.0,
            try_on: 4.0,
            add_to_cart: 6.0,
            purchase: 10.0,
            returned: -12.0,
            dismiss: -4.0,
            rating: 0.0,
        }
    }
}

impl KindWeights {
    /// The weight of one signal of `kind`, before decay.
    pub fn weight(&self, kind: SignalKind) -> f32 {
        match kind {
            SignalKind::Impression => self.impression,
            SignalKind::View => self.view,
            SignalKind::Click => self.click,
            SignalKind::TryOn => self.try_on,
            SignalKind::Favorite => self.favorite,
            SignalKind::AddToCart => self.add_to_cart,
            SignalKind::Purchase => self.purchase,
            SignalKind::Return => self.returned,
            SignalKind::Dismiss => self.dismiss,
            SignalKind::Rating => self.rating,
        }
    }

    /// Confidence of one signal of `kind` as positive evidence, for the learned models: its
    /// weight when positive; `None` for kinds that say nothing or count against (impressions,
    /// returns, dismissals), which training drops.
    pub fn confidence(&self, kind: SignalKind) -> Option<f32> {
        let weight = self.weight(kind);
        (weight.is_finite() && weight > 0.0).then_some(weight)
    }
}

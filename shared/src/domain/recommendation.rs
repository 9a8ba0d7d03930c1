//! Recommendation lists: what the engine produces, what stores keep and what clients render.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::catalog::{Category, FrameColour, FrameSize, Material, RimType, Shape, Style};
use super::lens::LensSummary;

/// Why an item is on the list, as a stable code plus human-readable text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Reason {
    pub code: String,
    pub text: String,
}

impl Reason {
    pub fn new(code: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            text: text.into(),
        }
    }
}

/// One scored pick as the engine produces it and stores keep it (compact, no display data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ScoredItem {
    pub style_id: String,
    /// In-stock variant in the size that suits the shopper when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    pub score: f32,
    pub reasons: Vec<Reason>,
}

/// How a list was produced, so clients and metrics can tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListSource {
    /// Computed ahead of time by the worker or the scheduled regeneration.
    Precomputed,
    /// Computed while the request waited (no fresh precomputed list).
    Realtime,
    /// Anonymous or unknown shopper: trending/popular, optionally session-seeded.
    ColdStart,
}

/// A stored recommendation list for one shopper.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StoredList {
    pub recommendation_id: String,
    pub customer_id: String,
    pub model_version: String,
    pub generated_at: DateTime<Utc>,
    pub source: ListSource,
    pub items: Vec<ScoredItem>,
}

impl StoredList {
    /// The items from `offset`, at most `limit`, with the list's header.
    pub fn page(self, offset: usize, limit: usize) -> ListPage {
        let total = self.items.len();
        ListPage {
            recommendation_id: self.recommendation_id,
            customer_id: self.customer_id,
            model_version: self.model_version,
            generated_at: self.generated_at,
            source: self.source,
            total,
            offset,
            items: self.items.into_iter().skip(offset).take(limit).collect(),
        }
    }
}

/// A window of a stored list: the header, the list's length and only the requested items,
/// so serving a page of 12 never decodes all 100.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListPage {
    pub recommendation_id: String,
    pub customer_id: String,
    pub model_version: String,
    pub generated_at: DateTime<Utc>,
    pub source: ListSource,
    pub total: usize,
    pub offset: usize,
    pub items: Vec<ScoredItem>,
}

/// What a client needs to render a recommended item without a second call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RecommendedItem {
    pub style_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    pub score: f32,
    pub reasons: Vec<Reason>,
    pub name: String,
    pub brand: String,
    pub category: Category,
    pub shape: Shape,
    pub rim: RimType,
    pub material: Material,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colourway: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour: Option<FrameColour>,
    // utoipa documents u32 as int32 (too small); its uint32 spells "u-int32" (utoipa#1527).
    #[schema(format = "uint32")]
    pub price_cents: u32,
    pub currency: String,
    pub image_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<FrameSize>,
    /// Lens advice for this frame when the shopper has a prescription (set at hydration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lens: Option<LensSummary>,
}

/// A page of a recommendation list as returned by the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RecommendationPage {
    pub recommendation_id: String,
    /// Empty on an anonymous session's page (which names its `session_id` instead).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub customer_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    pub model_version: String,
    pub generated_at: DateTime<Utc>,
    pub source: ListSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<String>,
    pub items: Vec<RecommendedItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl RecommendedItem {
    /// Joins a scored pick with its style's display data; the SKU picks colourway and size.
    pub fn from_style(style: &Style, item: ScoredItem) -> Self {
        let variant = item.sku.as_deref().and_then(|sku| style.variant(sku));
        let colourway = variant.map(|(c, _)| c).or_else(|| style.colourways.first());
        let size = variant
            .and_then(|(_, v)| style.size(&v.size))
            .or_else(|| style.sizes.first())
            .cloned();
        Self {
            style_id: item.style_id,
            sku: item.sku,
            score: item.score,
            reasons: item.reasons,
            name: style.name.clone(),
            brand: style.brand.clone(),
            category: style.category,
            shape: style.shape,
            rim: style.rim,
            material: style.material,
            colourway: colourway.map(|c| c.code.clone()),
            colour: colourway.map(|c| c.colour.clone()),
            price_cents: style.price_cents,
            currency: style.currency.clone(),
            image_url: colourway
                .and_then(|c| c.image_url.clone())
                .unwrap_or_else(|| style.image_url.clone()),
            size,
            lens: None,
        }
    }
}

//! Recommendation lists: what the engine produces, what stores keep and what clients render.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
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
    /// A shopper without history: the precomputed list of their segment (country, device
    /// and season, or occasion), named by the page's `segment`.
    Segment,
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
    /// A digest of what the shopper is shown (model version, items, SKUs, scores, reasons),
    /// not of when or under which id the list was made: two lists with the same fingerprint
    /// serve the same page, so a recompute that produces it again need not rewrite it.
    pub fn fingerprint(&self) -> String {
        let mut hasher = Sha256::new();
        // Every field ends with a 0 byte, so no two different lists hash the same bytes.
        let mut field = |bytes: &[u8]| {
            hasher.update(bytes);
            hasher.update([0]);
        };
        field(self.model_version.as_bytes());
        for item in &self.items {
            field(item.style_id.as_bytes());
            field(item.sku.as_deref().unwrap_or_default().as_bytes());
            field(&item.score.to_le_bytes());
            for reason in &item.reasons {
                field(reason.code.as_bytes());
                field(reason.text.as_bytes());
            }
            field(b"\x01");
        }
        hex::encode(&hasher.finalize()[..8])
    }

    /// What a recompute compares against before rewriting this list.
    pub fn stamp(&self) -> ListStamp {
        ListStamp {
            fingerprint: self.fingerprint(),
            generated_at: self.generated_at,
        }
    }

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

/// When a stored list was made and a digest of its content ([`StoredList::fingerprint`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListStamp {
    pub fingerprint: String,
    pub generated_at: DateTime<Utc>,
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
    /// The experiment this list was served under, when the shopper is in one; clients
    /// need not echo it (signals name the list by `recommendation_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experiment_id: Option<String>,
    /// The experiment's variant this list was computed with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    pub items: Vec<RecommendedItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// The moment this page was re-ranked for (occasion, place, weather), when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<super::context::AppliedContext>,
    /// The segment whose list a shopper without history got (`source: segment`), e.g.
    /// `AU:mobile:winter` or `occasion:sport`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> StoredList {
        StoredList {
            recommendation_id: "r1".into(),
            customer_id: "c1".into(),
            model_version: "v1".into(),
            generated_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
            source: ListSource::Precomputed,
            items: vec![ScoredItem {
                style_id: "s1".into(),
                sku: Some("s1-blk-50".into()),
                score: 0.8125,
                reasons: vec![Reason::new("popular_in_category", "Popular in sunglasses")],
            }],
        }
    }

    #[test]
    fn when_only_id_time_or_source_differ_should_fingerprint_the_same() {
        let mut again = list();
        again.recommendation_id = "r2".into();
        again.generated_at += chrono::Duration::hours(3);
        again.source = ListSource::Realtime;
        assert_eq!(again.fingerprint(), list().fingerprint());
        assert_eq!(list().fingerprint().len(), 16);
    }

    #[test]
    fn when_anything_shown_differs_should_fingerprint_differently() {
        let base = list().fingerprint();
        let changes: [fn(&mut StoredList); 6] = [
            |l| l.model_version = "v2".into(),
            |l| l.items[0].style_id = "s2".into(),
            |l| l.items[0].sku = None,
            |l| l.items[0].score = 0.8124,
            |l| l.items[0].reasons[0].text = "Popular in optical frames".into(),
            |l| l.items.push(l.items[0].clone()),
        ];
        for change in changes {
            let mut changed = list();
            change(&mut changed);
            assert_ne!(changed.fingerprint(), base, "{changed:?}");
        }
    }
}

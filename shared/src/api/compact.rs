//! `?view=compact` of the list answers (shopper and session lists, similar, also-bought,
//! trending), for mobile and constrained clients: per item only the ids, the name, the price,
//! one image, one reason and the recommended size label: a page of 12 of the demo shop is
//! about 3 KB before compression and under 800 bytes gzipped (the full view is ~11 KB);
//! most of it is the reason's text and the image URL. `view=full` (the default) is the full
//! answer; any other value is refused with 400 naming `view`.

use std::collections::HashMap;

use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use super::routes::{RelatedItems, TrendingItems};
use crate::domain::{Category, RecommendationPage, RecommendedItem};

/// `view` of the list routes: `full` (the default) or `compact` (ids, name, price, one
/// image, one reason, the recommended size label).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(super) enum View {
    #[default]
    Full,
    Compact,
}

/// `view` of `params` (absent or empty: the full view).
pub(super) fn view(params: &HashMap<String, String>) -> Result<View, ApiError> {
    match params.get("view").map(String::as_str) {
        None | Some("") | Some("full") => Ok(View::Full),
        Some("compact") => Ok(View::Compact),
        Some(_) => Err(ApiError::invalid("view", "must be one of full, compact")),
    }
}

/// Marks a compact answer (`"view": "compact"`), so a client and the schema tell the two
/// views apart.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(super) enum CompactMarker {
    Compact,
}

/// One item of a compact list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(super) struct CompactItem {
    style_id: String,
    /// The variant (colourway and size) shown, when the list picked one.
    #[serde(skip_serializing_if = "Option::is_none")]
    sku: Option<String>,
    name: String,
    #[schema(format = "uint32")]
    price_cents: u32,
    currency: String,
    /// The image of the colourway shown.
    image_url: String,
    /// The first reason's text ("Because you tried on Aurora Round").
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    /// The recommended size's label ("52"), when the style has sizes.
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<String>,
}

impl From<RecommendedItem> for CompactItem {
    fn from(item: RecommendedItem) -> Self {
        Self {
            reason: item.reasons.into_iter().next().map(|r| r.text),
            size: item.size.map(|s| s.label),
            style_id: item.style_id,
            sku: item.sku,
            name: item.name,
            price_cents: item.price_cents,
            currency: item.currency,
            image_url: item.image_url,
        }
    }
}

fn compact_items(items: Vec<RecommendedItem>) -> Vec<CompactItem> {
    items.into_iter().map(CompactItem::from).collect()
}

/// A compact page of a shopper's or a session's list: what signals name
/// (`recommendation_id`), the next page's cursor and the items.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(super) struct CompactPage {
    view: CompactMarker,
    recommendation_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
    items: Vec<CompactItem>,
}

/// Compact similar or also-bought frames.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(super) struct CompactRelated {
    view: CompactMarker,
    style_id: String,
    items: Vec<CompactItem>,
}

/// Compact trending frames.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(super) struct CompactTrending {
    view: CompactMarker,
    /// The requested category; `null` for all of them.
    #[schema(required = true)]
    category: Option<Category>,
    items: Vec<CompactItem>,
}

/// A list page in the requested view.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub(super) enum PageView {
    // Boxed: a full page (with its context) is several times a compact one.
    Full(Box<RecommendationPage>),
    Compact(CompactPage),
}

/// Similar or also-bought frames in the requested view.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub(super) enum RelatedView {
    Full(RelatedItems),
    Compact(CompactRelated),
}

/// Trending frames in the requested view.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub(super) enum TrendingView {
    Full(TrendingItems),
    Compact(CompactTrending),
}

impl View {
    pub(super) fn page(self, page: RecommendationPage) -> PageView {
        match self {
            Self::Full => PageView::Full(Box::new(page)),
            Self::Compact => PageView::Compact(CompactPage {
                view: CompactMarker::Compact,
                recommendation_id: page.recommendation_id,
                next_cursor: page.next_cursor,
                items: compact_items(page.items),
            }),
        }
    }

    pub(super) fn related(self, style_id: String, items: Vec<RecommendedItem>) -> RelatedView {
        match self {
            Self::Full => RelatedView::Full(RelatedItems { style_id, items }),
            Self::Compact => RelatedView::Compact(CompactRelated {
                view: CompactMarker::Compact,
                style_id,
                items: compact_items(items),
            }),
        }
    }

    pub(super) fn trending(
        self,
        category: Option<Category>,
        items: Vec<RecommendedItem>,
    ) -> TrendingView {
        match self {
            Self::Full => TrendingView::Full(TrendingItems { category, items }),
            Self::Compact => TrendingView::Compact(CompactTrending {
                view: CompactMarker::Compact,
                category,
                items: compact_items(items),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_view_is_absent_empty_full_or_compact_should_parse_and_refuse_anything_else() {
        let with = |v: &str| HashMap::from([("view".to_string(), v.to_string())]);
        assert_eq!(view(&HashMap::new()).ok(), Some(View::Full));
        assert_eq!(view(&with("")).ok(), Some(View::Full));
        assert_eq!(view(&with("full")).ok(), Some(View::Full));
        assert_eq!(view(&with("compact")).ok(), Some(View::Compact));
        for bad in ["COMPACT", "mini", "compact,full"] {
            let error = view(&with(bad)).err().map(|e| e.status());
            assert_eq!(error, Some(axum::http::StatusCode::BAD_REQUEST), "{bad}");
        }
    }
}

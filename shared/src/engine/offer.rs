//! One style as the shopper's list would offer it, without ranking the whole list: the
//! score the list ranks by and the SKU in the best-fitting size (the same fit rules and
//! colour choice as [`super::Engine::recommend`]). A product page (bundles for one style)
//! needs this for any style, listed or not.

use super::fit::SkuChoice;
use super::scoring::Scoring;
use super::{Engine, RecommendRequest};

/// What the list would offer of one style.
#[derive(Debug, Clone, PartialEq)]
pub struct StyleOffer {
    /// The sum of the score terms the list ranks by (diversity and context not included).
    pub score: f32,
    /// The in-stock SKU in the best-fitting size and the preferred colour; `None` when
    /// nothing is in stock or no size passes the fit rules.
    pub sku: Option<String>,
    /// Some in-stock size passes every fit rule (always true without a customer).
    pub fits: bool,
    /// Some size is in stock and the style is active.
    pub available: bool,
}

impl Engine {
    /// The offer of `style_id` for the shopper of `req`; `None` for an unknown style.
    pub fn offer(&self, req: &RecommendRequest<'_>, style_id: &str) -> Option<StyleOffer> {
        let index = self.catalogue.get(style_id)?;
        let scoring = Scoring::new(self, req, &self.config);
        let score = scoring.candidate(index).score;
        let (sku, fits) = match scoring.offered_sku(index) {
            SkuChoice::Sku(sku) => (Some(sku), true),
            SkuChoice::NoStock => (None, true),
            SkuChoice::Unsuitable => (None, false),
        };
        Some(StyleOffer {
            score,
            sku,
            fits,
            available: self.catalogue.available[index],
        })
    }
}

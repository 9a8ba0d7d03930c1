//! Lists about a product rather than a shopper: the product itself, similar frames, frames
//! bought together, and what is trending. Nobody's data goes into them, so they are public.

use chrono::{DateTime, Utc};

use super::lists::hydrate;
use super::{not_found, Framewise};
use crate::domain::{validate_id, Category, RecommendedItem, ScoredItem, Style};
use crate::engine::Engine;
use crate::error::{ServiceError, ValidationErrors};

impl Framewise {
    /// The style with its colourways, sizes and current stock.
    pub async fn product(&self, style_id: &str) -> Result<Style, ServiceError> {
        validate_id(style_id).map_err(|m| ValidationErrors::single("style_id", m))?;
        self.stores
            .catalog
            .get_style(style_id)
            .await?
            .ok_or_else(|| not_found("product", style_id))
    }

    /// Frames similar in shape, material, rim, colour, size, price band and brand.
    pub fn similar(
        &self,
        style_id: &str,
        limit: Option<usize>,
    ) -> Result<Vec<RecommendedItem>, ServiceError> {
        self.related(style_id, limit, Engine::similar)
    }

    /// Frames the same shoppers engaged with, falling back to similar frames.
    pub fn also_bought(
        &self,
        style_id: &str,
        limit: Option<usize>,
    ) -> Result<Vec<RecommendedItem>, ServiceError> {
        self.related(style_id, limit, Engine::also_bought)
    }

    /// Items related to one style by `relate` (`None`: the style is unknown).
    fn related(
        &self,
        style_id: &str,
        limit: Option<usize>,
        relate: fn(&Engine, &str, usize) -> Option<Vec<ScoredItem>>,
    ) -> Result<Vec<RecommendedItem>, ServiceError> {
        validate_id(style_id).map_err(|m| ValidationErrors::single("style_id", m))?;
        let limit = self.check_limit(limit)?;
        let engine = self.engine();
        let items =
            relate(&engine, style_id, limit).ok_or_else(|| not_found("product", style_id))?;
        Ok(hydrate(&engine, items, None))
    }

    pub fn trending(
        &self,
        category: Option<Category>,
        limit: Option<usize>,
        now: DateTime<Utc>,
    ) -> Result<Vec<RecommendedItem>, ServiceError> {
        let limit = self.check_limit(limit)?;
        let engine = self.engine();
        Ok(hydrate(
            &engine,
            engine.trending(category, limit, now),
            None,
        ))
    }
}

//! `?by=` of `GET /v1/products/{style_id}/similar`: what "similar" means.

use std::collections::HashMap;

use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(super) enum SimilarBy {
    /// Shape, material, rim, colour, size, price band and brand from the catalogue.
    #[default]
    Attributes,
    /// The visual embeddings of the product images.
    Look,
}

/// `by` of `params` (absent or empty: by attributes, as before `by` existed).
pub(super) fn similar_by(params: &HashMap<String, String>) -> Result<SimilarBy, ApiError> {
    match params.get("by").map(String::as_str) {
        None | Some("") | Some("attributes") => Ok(SimilarBy::Attributes),
        Some("look") => Ok(SimilarBy::Look),
        Some(_) => Err(ApiError::invalid("by", "must be one of attributes, look")),
    }
}

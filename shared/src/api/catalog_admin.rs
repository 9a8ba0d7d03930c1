//! `PATCH /v1/products/{style_id}` (admin): a live change of one style's stock, price or
//! active flag, applied at once with only the lists holding the style dropped. The same
//! change arrives on AWS as a message on the catalogue events queue (`catalog-sync`).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::patch;
use axum::{Json, Router};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{
    ApiError, BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthorized, Unavailable,
    UnsupportedMediaType,
};
use super::identity::permit;
use super::json_body::read_json_body;
use super::routes::{path_id, Id};
use crate::auth::{Action, Caller};
use crate::domain::CatalogDelta;
use crate::service::{Framewise, ProductSummary};

type AppState = Arc<Framewise>;

/// Largest patch body accepted (a patch is a few dozen bytes).
pub const MAX_PRODUCT_PATCH_BYTES: usize = 4 * 1024;

/// Fields a patch body may carry; anything else is named as unknown.
const PATCH_FIELDS: &[&str] = &["sku", "stock", "price_cents", "active"];

/// The body of `PATCH /v1/products/{style_id}`: at least one change; `stock` with the `sku`
/// it applies to.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ProductPatch {
    pub sku: Option<String>,
    #[schema(format = "uint32")]
    pub stock: Option<u32>,
    #[schema(format = "uint32")]
    pub price_cents: Option<u32>,
    pub active: Option<bool>,
}

/// The answer: the product after the change and how many stored lists were dropped.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductPatched {
    pub product: ProductSummary,
    /// Stored lists that held the style and were dropped (computed again on their next read).
    pub lists_invalidated: usize,
}

/// The admin catalogue route, merged into the main router and `profile_router`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/products/{style_id}", patch(patch_product))
}

/// Changes one style's stock (per SKU), price or active flag now, without a feed. Later
/// lists show it at once; stored lists holding the style are dropped and recomputed on read.
#[utoipa::path(patch, path = "/v1/products/{style_id}", tag = "catalogue",
    security(("bearerAuth" = [])),
    params(("style_id" = String, Path, description = "The style", pattern = "^[A-Za-z0-9_.:-]{1,128}$")),
    request_body = ProductPatch,
    responses(
        (status = 200, description = "The product after the change", body = ProductPatched),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 503, response = Unavailable),
    ))]
pub(super) async fn patch_product(
    State(service): State<AppState>,
    caller: Caller,
    style_id: Id,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    permit(&caller, Action::Admin)?;
    let style_id = path_id(style_id, "style_id")?;
    let bytes = read_json_body(&headers, body, MAX_PRODUCT_PATCH_BYTES, "a product patch").await?;
    let patch = parse_product_patch(&bytes)?;
    let now = Utc::now();
    let delta = CatalogDelta {
        style_id,
        sku: patch.sku,
        stock: patch.stock,
        price_cents: patch.price_cents,
        active: patch.active,
        at: now,
    };
    let (product, lists_invalidated) = service.apply_catalog_delta(&delta, now).await?;
    Ok(Json(ProductPatched {
        product,
        lists_invalidated,
    })
    .into_response())
}

/// A patch from a JSON body, naming the first unknown or malformed field.
pub fn parse_product_patch(bytes: &[u8]) -> Result<ProductPatch, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::invalid("body", format!("not valid JSON: {e}")))?;
    let Some(fields) = value.as_object() else {
        return Err(ApiError::invalid("body", "must be a JSON object"));
    };
    if let Some(key) = fields.keys().find(|k| !PATCH_FIELDS.contains(&k.as_str())) {
        return Err(ApiError::invalid(key.clone(), "unknown field"));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let field = e.path().to_string();
        ApiError::invalid(field, e.into_inner().to_string())
    })
}

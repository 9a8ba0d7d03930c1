//! Frame pictures: `GET /v1/products/{style_id}/image.svg` and `image.png`, drawn by the
//! server from the style and colourway ([`crate::render`]), so every product has a picture
//! whose shape, rim, colour and proportions are the catalogue's own. The demo catalogue's
//! `image_url`s point here; a shop with photographs keeps its own URLs.
//!
//! Public and cacheable: `Cache-Control: public` with a long max-age and a strong `ETag`
//! (a hash of the drawing, so it changes when the style or colourway does); a matching
//! `If-None-Match` answers 304 before any rasterising.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{HeaderBuilder, RefOr};
use utoipa::{Modify, ToSchema};

use super::error::{ApiError, BadRequest, InvalidToken, NotFound, Unavailable};
use super::http_cache::NotModified;
use super::routes::{path_id, query, Id, Params};
use crate::domain::{Colourway, Style};
use crate::render::{frame_svg, rasterise_png, PNG_WIDTH};
use crate::service::Framewise;

type AppState = Arc<Framewise>;

/// How long clients and CDNs may reuse a picture before revalidating with its ETag.
pub const IMAGE_CACHE_CONTROL: &str = "public, max-age=604800, stale-while-revalidate=86400";

/// Width of a PNG when `?width=` is not given.
pub const DEFAULT_PNG_WIDTH: u32 = 480;

/// Paths of the picture routes (as in `ROUTES`).
const PICTURE_PATHS: [&str; 2] = [
    "/v1/products/{style_id}/image.svg",
    "/v1/products/{style_id}/image.png",
];

/// A PNG picture: the bytes themselves, not JSON (for the OpenAPI document only).
#[derive(ToSchema)]
#[schema(value_type = String, content_media_type = "image/png")]
#[allow(dead_code)]
pub(super) struct PngImage(Vec<u8>);

/// The picture routes, merged into the main router.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(PICTURE_PATHS[0], get(product_image_svg))
        .route(PICTURE_PATHS[1], get(product_image_png))
}

/// The colourway `?colourway=` names (the style's first when absent or empty); 404 naming
/// it when the style has no such colourway.
fn colourway<'a>(
    style: &'a Style,
    params: &HashMap<String, String>,
) -> Result<Option<&'a Colourway>, ApiError> {
    match params.get("colourway").filter(|c| !c.is_empty()) {
        None => Ok(style.colourways.first()),
        Some(code) => style
            .colourways
            .iter()
            .find(|c| &c.code == code)
            .map(Some)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    format!(
                        "colourway '{code}' of product '{}' does not exist",
                        style.id
                    ),
                )
                .with_field("colourway")
            }),
    }
}

fn png_width(params: &HashMap<String, String>) -> Result<u32, ApiError> {
    let Some(text) = params.get("width").filter(|w| !w.is_empty()) else {
        return Ok(DEFAULT_PNG_WIDTH);
    };
    text.parse::<u32>()
        .ok()
        .filter(|w| PNG_WIDTH.contains(w))
        .ok_or_else(|| {
            ApiError::invalid(
                "width",
                format!(
                    "must be an integer between {} and {}",
                    PNG_WIDTH.start(),
                    PNG_WIDTH.end()
                ),
            )
        })
}

/// A strong validator of the picture: the drawing and what was asked of it.
fn etag(svg: &str, variant: &str) -> String {
    let digest = Sha256::new()
        .chain_update(svg.as_bytes())
        .chain_update([0])
        .chain_update(variant.as_bytes())
        .finalize();
    format!("\"{}\"", hex::encode(&digest[..12]))
}

/// Whether `If-None-Match` names `etag` (or `*`) in any representation: weak (`W/`) or
/// strong, compressed (`-gzip`, `-br`: the tags `http_cache` gives compressed answers) or
/// not. Checked here, before rasterising; `http_cache` checks every answer again after.
fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    let digest = etag.trim_matches('"');
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim())
        .any(|tag| {
            let opaque = tag.trim_start_matches("W/").trim_matches('"');
            let bare = ["-gzip", "-br"]
                .iter()
                .find_map(|coding| opaque.strip_suffix(coding))
                .unwrap_or(opaque);
            tag == "*" || bare == digest
        })
}

fn cached(status: StatusCode, etag: &str, content_type: Option<&'static str>) -> Response {
    let mut response = status.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(IMAGE_CACHE_CONTROL),
    );
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, value);
    }
    if let Some(content_type) = content_type {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    response
}

/// A 200 with the picture, or a 304 when the request holds it already.
fn picture(
    request_headers: &HeaderMap,
    etag: &str,
    content_type: &'static str,
    bytes: Vec<u8>,
) -> Response {
    if not_modified(request_headers, etag) {
        return cached(StatusCode::NOT_MODIFIED, etag, None);
    }
    let (parts, _) = cached(StatusCode::OK, etag, Some(content_type)).into_parts();
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// The front view of a frame as SVG, drawn from its shape, rim, material, colour and
/// measurements (one unit a millimetre).
#[utoipa::path(get, path = "/v1/products/{style_id}/image.svg", tag = "catalogue",
    params(
        ("style_id" = String, Path, description = "The style", pattern = "^[A-Za-z0-9_.:-]{1,128}$"),
        ("colourway" = Option<String>, Query, description = "A colourway `code` of the style (default: its first)"),
    ),
    responses(
        (status = 200, description = "The picture", content_type = "image/svg+xml", body = String),
        (status = 304, response = NotModified),
        (status = 400, response = BadRequest),
        (status = 401, response = InvalidToken),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ))]
pub(super) async fn product_image_svg(
    State(service): State<AppState>,
    headers: HeaderMap,
    style_id: Id,
    params: Params,
) -> Result<Response, ApiError> {
    let style_id = path_id(style_id, "style_id")?;
    let params = query(params)?;
    let style = service.product(&style_id).await?;
    let svg = frame_svg(&style, colourway(&style, &params)?);
    let tag = etag(&svg, "svg");
    Ok(picture(&headers, &tag, "image/svg+xml", svg.into_bytes()))
}

/// The same picture as PNG, `width` pixels wide (height half of it).
#[utoipa::path(get, path = "/v1/products/{style_id}/image.png", tag = "catalogue",
    params(
        ("style_id" = String, Path, description = "The style", pattern = "^[A-Za-z0-9_.:-]{1,128}$"),
        ("colourway" = Option<String>, Query, description = "A colourway `code` of the style (default: its first)"),
        ("width" = Option<u32>, Query, description = "Width in pixels (default 480); the height is half of it", minimum = 64, maximum = 1200),
    ),
    responses(
        (status = 200, description = "The picture", content_type = "image/png", body = PngImage),
        (status = 304, response = NotModified),
        (status = 400, response = BadRequest),
        (status = 401, response = InvalidToken),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ))]
pub(super) async fn product_image_png(
    State(service): State<AppState>,
    headers: HeaderMap,
    style_id: Id,
    params: Params,
) -> Result<Response, ApiError> {
    let style_id = path_id(style_id, "style_id")?;
    let params = query(params)?;
    let width = png_width(&params)?;
    let style = service.product(&style_id).await?;
    let svg = frame_svg(&style, colourway(&style, &params)?);
    let tag = etag(&svg, &format!("png:{width}"));
    if not_modified(&headers, &tag) {
        return Ok(cached(StatusCode::NOT_MODIFIED, &tag, None));
    }
    // Rasterising is CPU work (a few ms): keep it off the async workers.
    let png = tokio::task::spawn_blocking(move || rasterise_png(&svg, width))
        .await
        .map_err(|e| internal(&e.to_string()))?
        .map_err(|e| internal(&e.to_string()))?;
    Ok(picture(&headers, &tag, "image/png", png))
}

/// Documents the pictures' own `Cache-Control` on their 200s (after `http_cache`'s
/// `CacheHeaders`, whose table of list and catalogue lifetimes does not cover pictures).
pub(super) struct PictureCacheHeader;

impl Modify for PictureCacheHeader {
    fn modify(&self, document: &mut utoipa::openapi::OpenApi) {
        for path in PICTURE_PATHS {
            let ok = document
                .paths
                .paths
                .get_mut(path)
                .and_then(|item| item.get.as_mut())
                .and_then(|op| op.responses.responses.get_mut("200"));
            if let Some(RefOr::T(ok)) = ok {
                let header = HeaderBuilder::new()
                    .schema(ObjectBuilder::new().schema_type(Type::String))
                    .description(Some(format!(
                        "`{IMAGE_CACHE_CONTROL}`: the same for every visitor; revalidate with the ETag"
                    )))
                    .build();
                ok.headers.insert("Cache-Control".to_string(), header);
            }
        }
    }
}

fn internal(error: &str) -> ApiError {
    tracing::error!(%error, "frame picture failed");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "the picture could not be drawn",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_if_none_match_lists_the_etag_should_match_strong_weak_or_star() {
        let tag = "\"abc\"";
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::IF_NONE_MATCH,
                HeaderValue::from_str(value).expect("header"),
            );
            not_modified(&headers, tag)
        };
        assert!(with("\"abc\""));
        assert!(with("\"x\", W/\"abc\""));
        assert!(with("*"));
        assert!(with("\"abc-gzip\""), "the compressed SVG's tag");
        assert!(!with("\"abcd\""));
        assert!(!not_modified(&HeaderMap::new(), tag));
    }

    #[test]
    fn when_width_is_out_of_bounds_or_not_a_number_should_name_the_field() {
        let of = |w: &str| png_width(&HashMap::from([("width".to_string(), w.to_string())]));
        assert_eq!(of("64").ok(), Some(64));
        assert_eq!(of("").ok(), Some(DEFAULT_PNG_WIDTH));
        for bad in ["63", "1201", "-5", "wide", "1e3"] {
            let error = of(bad).expect_err(bad);
            assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        }
    }
}

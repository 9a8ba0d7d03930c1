//! HTTP caching and compression of read answers, the same locally and behind API Gateway
//! (both run [`super::router`]):
//!
//! - every list and product answer carries a strong `ETag` (a digest of the body, or the
//!   offline bundle's `version`) and a `Cache-Control` of its [`CachePolicy`], the one table
//!   of cache lifetimes;
//! - `If-None-Match` naming the current tag is answered `304 Not Modified` without a body;
//! - bodies are compressed with gzip or br when `Accept-Encoding` asks for them (tower-http's
//!   `CompressionLayer`; a Lambda function returns the compressed bytes base64-encoded, which
//!   API Gateway decodes before sending them on).
//!
//! A compressed answer is another representation of the resource, so its strong tag differs:
//! `"<digest>-gzip"` or `"<digest>-br"` (as Apache's mod_deflate does). `If-None-Match`
//! compares the digest whatever the coding (weak comparison, RFC 9110 section 13.1.2), and
//! the 304 carries the tag of the representation the request negotiated.

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tower_http::compression::CompressionLayer;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{HeaderBuilder, RefOr, ResponseBuilder};
use utoipa::{Modify, ToResponse};

use super::error::ApiError;

/// Seconds a shopper's or a session's list may be reused without asking: a list changes a
/// few seconds after the shopper's signals are applied, so a client keeps it for half a
/// minute (a carousel revisited, a back navigation) and then revalidates (a cheap 304).
pub const LIST_MAX_AGE_SECS: u32 = 30;

/// Seconds a product, similar, also-bought or trending answer may be reused, by the client
/// and by shared caches (a CDN in front of the API): the same for every visitor, and it
/// changes with a catalogue feed, a model rebuild or the slow decay of trends.
pub const CATALOGUE_MAX_AGE_SECS: u32 = 300;

/// How long an answer may be reused and by whom. Every `Cache-Control` the API sends is
/// written here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CachePolicy {
    /// One shopper's or one session's list: only their own (browser or app) cache.
    ShopperList,
    /// Products, similar, also-bought, trending: anyone's cache, a CDN included.
    Catalogue,
    /// The offline bundle: kept by the app, revalidated on every request (`?version=`).
    OfflineBundle,
}

impl CachePolicy {
    pub fn cache_control(self) -> String {
        match self {
            Self::ShopperList => format!("private, max-age={LIST_MAX_AGE_SECS}"),
            Self::Catalogue => format!("public, max-age={CATALOGUE_MAX_AGE_SECS}"),
            Self::OfflineBundle => "private, no-cache".to_string(),
        }
    }
}

/// Marks a 200 answer the client already holds (the offline bundle's `?version=` names
/// it): [`not_modified`] turns it into a 304 like a matching `If-None-Match`.
#[derive(Debug, Clone, Copy)]
pub(super) struct AlreadyCurrent;

/// A JSON answer with a strong `ETag` from the digest of its bytes and `policy`'s
/// `Cache-Control`.
pub(super) fn cached_json<T: Serialize>(
    policy: CachePolicy,
    body: &T,
) -> Result<Response, ApiError> {
    let bytes = json_bytes(body)?;
    let tag = body_digest(&bytes);
    Ok(tagged_json(policy, &tag, bytes))
}

/// An answer's JSON bytes; a type that cannot serialise is the server's fault (500).
pub(super) fn json_bytes<T: Serialize>(body: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(body).map_err(|e| {
        tracing::error!(error = %e, "answer not serialisable");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
    })
}

/// A JSON answer (already serialised) with the strong tag `"{tag}"`.
pub(super) fn tagged_json(policy: CachePolicy, tag: &str, bytes: Vec<u8>) -> Response {
    let mut response = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        bytes,
    )
        .into_response();
    let headers = response.headers_mut();
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{tag}\"")) {
        headers.insert(header::ETAG, etag);
    }
    if let Ok(cache) = HeaderValue::from_str(&policy.cache_control()) {
        headers.insert(header::CACHE_CONTROL, cache);
    }
    response
}

/// The digest a body's `ETag` is made of: 128 bits of its SHA-256, in hex.
pub fn body_digest(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..16])
}

/// `routes` answering conditional requests (304) and compressing with gzip or br.
pub(super) fn negotiated(routes: Router) -> Router {
    routes
        .layer(CompressionLayer::new().gzip(true).br(true))
        .layer(middleware::from_fn(not_modified))
}

/// Outside the compression layer: sets the representation's tag (by its content coding)
/// and answers 304 when the request already holds it. The compressed body of a 304 is
/// dropped before it is ever polled, so nothing is compressed for it.
async fn not_modified(request: Request, next: Next) -> Response {
    let conditional = matches!(*request.method(), Method::GET | Method::HEAD);
    let held: Vec<String> = request
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_string())
        .collect();
    let mut response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let Some(digest) = response
        .headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim_matches('"').to_string())
    else {
        return response;
    };
    let coding = response
        .headers()
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let tag = match &coding {
        Some(coding) => format!("\"{digest}-{coding}\""),
        None => format!("\"{digest}\""),
    };
    if let Ok(value) = HeaderValue::from_str(&tag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    let current = response.extensions().get::<AlreadyCurrent>().is_some();
    if conditional && (current || held.iter().any(|t| names_digest(t, &digest))) {
        return not_modified_answer(response.headers());
    }
    response
}

/// Whether an entity tag of `If-None-Match` names this digest: `*`, or the tag of any of its
/// representations, weak (`W/`) or strong.
fn names_digest(held: &str, digest: &str) -> bool {
    if held == "*" {
        return true;
    }
    let opaque = held.strip_prefix("W/").unwrap_or(held).trim_matches('"');
    let bare = ["-gzip", "-br"]
        .iter()
        .find_map(|suffix| opaque.strip_suffix(suffix))
        .unwrap_or(opaque);
    !digest.is_empty() && bare == digest
}

/// A 304 with the headers a 200 would have carried for caches (RFC 9110 section 15.4.5):
/// the tag, the cache lifetime and what the answer varies by; no body.
fn not_modified_answer(full: &HeaderMap) -> Response {
    let mut answer = StatusCode::NOT_MODIFIED.into_response();
    for name in [header::ETAG, header::CACHE_CONTROL, header::VARY] {
        for value in full.get_all(&name) {
            answer.headers_mut().append(name.clone(), value.clone());
        }
    }
    answer
}

/// The documented 304 of the cached routes (`(status = 304, response = NotModified)`).
pub(super) struct NotModified;

impl<'s> ToResponse<'s> for NotModified {
    fn response() -> (&'s str, RefOr<utoipa::openapi::Response>) {
        let mut response = ResponseBuilder::new().description(
            "Not modified: `If-None-Match` (or the offline bundle's `version`) names the \
             current answer; no body, the client keeps the one it has",
        );
        for (name, header) in cache_headers() {
            response = response.header(name, header);
        }
        ("NotModified", response.build().into())
    }
}

fn cache_headers() -> [(&'static str, utoipa::openapi::header::Header); 2] {
    let text = || ObjectBuilder::new().schema_type(Type::String);
    [
        (
            "ETag",
            HeaderBuilder::new()
                .schema(text())
                .description(Some(
                    "Strong tag of this answer: a digest of the body (`-gzip`/`-br` appended \
                     when compressed); send it back as `If-None-Match`",
                ))
                .build(),
        ),
        (
            "Cache-Control",
            HeaderBuilder::new()
                .schema(text())
                .description(Some(format!(
                    "`{}` (lists), `{}` (catalogue), `{}` (offline bundle)",
                    CachePolicy::ShopperList.cache_control(),
                    CachePolicy::Catalogue.cache_control(),
                    CachePolicy::OfflineBundle.cache_control(),
                )))
                .build(),
        ),
    ]
}

/// Documents `ETag` and `Cache-Control` on the 200 of every operation that documents a 304.
pub(super) struct CacheHeaders;

impl Modify for CacheHeaders {
    fn modify(&self, document: &mut utoipa::openapi::OpenApi) {
        for item in document.paths.paths.values_mut() {
            let Some(operation) = item.get.as_mut() else {
                continue;
            };
            let responses = &mut operation.responses.responses;
            if !responses.contains_key("304") {
                continue;
            }
            if let Some(RefOr::T(ok)) = responses.get_mut("200") {
                for (name, header) in cache_headers() {
                    ok.headers.insert(name.to_string(), header);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_if_none_match_names_a_representation_should_match_its_digest_only() {
        let digest = "0123abcd";
        for held in [
            "\"0123abcd\"",
            "W/\"0123abcd\"",
            "\"0123abcd-gzip\"",
            "\"0123abcd-br\"",
            "*",
        ] {
            assert!(names_digest(held, digest), "{held}");
        }
        for held in ["\"0123abce\"", "\"0123abcd-zstd\"", "\"\"", "0123"] {
            assert!(!names_digest(held, digest), "{held}");
        }
        assert!(!names_digest("\"\"", ""), "an empty tag names nothing");
    }

    #[test]
    fn when_policies_are_written_should_be_private_for_shoppers_and_public_for_the_catalogue() {
        assert_eq!(
            CachePolicy::ShopperList.cache_control(),
            "private, max-age=30"
        );
        assert_eq!(
            CachePolicy::Catalogue.cache_control(),
            "public, max-age=300"
        );
        assert_eq!(
            CachePolicy::OfflineBundle.cache_control(),
            "private, no-cache"
        );
    }
}

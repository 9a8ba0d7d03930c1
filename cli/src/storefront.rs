//! The demo storefront host of `framewise serve --demo`: the single-page shop built into
//! `web/demo/dist` (embedded at compile time by `build.rs`, so the binary serves it from any
//! working directory) and `GET /demo/shoppers`, development tokens for its shopper switcher.
//!
//! A local developer affordance, not part of the API: these routes are not in
//! `framewise::api::ROUTES` or the OpenAPI document, the Lambda functions never serve them
//! and the SAM template deploys none of them. A shop hosts its own pages and calls the API.
//!
//! Routing in front of the API router: `GET /` and `/assets/*` serve the build; any other
//! GET outside the API's own paths (`/v1/...`, `/healthz`, `/livez`, `/openapi.json`, the
//! first segments of `ROUTES`) serves `index.html`, so the shop's client-side routes
//! (`/product/st-0001`) survive a reload; everything else (unknown `/v1/*` paths included)
//! goes to the API and keeps its JSON answers.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use framewise::api::{ApiError, ROUTES};
use framewise::demo;
use framewise::service::Framewise;
use include_dir::{include_dir, Dir};
use tower::ServiceExt;

/// `web/demo/dist` as it was when the binary was built (or a placeholder page).
static STOREFRONT: Dir<'static> = include_dir!("$OUT_DIR/storefront");

/// How many demo shoppers the switcher offers.
pub const DEMO_SHOPPERS: usize = 12;

#[derive(Clone)]
struct Host {
    api: Router,
    /// `GET /demo/shoppers`; None when tokens come from an identity provider (`auth.jwks`).
    shoppers: Option<Arc<serde_json::Value>>,
}

/// `api` behind the storefront routes (see the module documentation).
pub fn with_storefront(api: Router, shoppers: Option<serde_json::Value>) -> Router {
    let host = Host {
        api,
        shoppers: shoppers.map(Arc::new),
    };
    Router::new()
        .route("/", get(index))
        .route("/assets/{*path}", get(asset))
        .route("/demo/shoppers", get(demo_shoppers))
        .fallback(fallback)
        .with_state(host)
}

/// The first `DEMO_SHOPPERS` demo customers in the store with a readable name each (see
/// [`demo::shopper_name`]); customers not in the store are skipped.
pub async fn demo_customers(service: &Framewise) -> Vec<(String, String)> {
    let mut customers = Vec::with_capacity(DEMO_SHOPPERS);
    for index in 0..DEMO_SHOPPERS {
        let id = demo::customer_id(index);
        match service.get_profile(&id).await {
            Ok(customer) => customers.push((id, demo::shopper_name(&customer))),
            Err(e) => tracing::debug!(customer = %id, error = %e, "demo shopper left out"),
        }
    }
    customers
}

/// The content type of an embedded file, by extension.
fn content_type(path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map_or("", |(_, e)| e);
    match extension.to_ascii_lowercase().as_str() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// An embedded file; revalidated on every use (the local build changes under the same
/// names).
fn file(path: &str) -> Option<Response> {
    let file = STOREFRONT.get_file(path)?;
    let mut response = Response::new(Body::from(file.contents()));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(path)),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Some(response)
}

fn not_found(what: &str) -> Response {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", what.to_string()).into_response()
}

async fn index() -> Response {
    file("index.html").unwrap_or_else(|| not_found("the storefront has no index.html"))
}

async fn asset(Path(path): Path<String>) -> Response {
    // A missing asset is a 404, never the page: a browser would read HTML as a script.
    file(&format!("assets/{path}")).unwrap_or_else(|| not_found("no such asset"))
}

async fn demo_shoppers(State(host): State<Host>) -> Response {
    match &host.shoppers {
        Some(shoppers) => Json(shoppers.as_ref().clone()).into_response(),
        None => not_found(
            "demo shoppers exist only with development tokens (auth.jwks is set: tokens come \
             from your identity provider)",
        ),
    }
}

/// Whether `path` belongs to the API (its first segment is one of `ROUTES`'), or to this
/// host's own `/demo/` and `/assets/`.
fn reserved(path: &str) -> bool {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    matches!(first, "demo" | "assets")
        || ROUTES
            .iter()
            .any(|(_, route, _)| route.trim_start_matches('/').split('/').next() == Some(first))
}

async fn fallback(State(host): State<Host>, request: Request) -> Response {
    let page = matches!(*request.method(), Method::GET | Method::HEAD);
    let path = request.uri().path();
    if page && !reserved(path) {
        // A file at the top of the build (favicon.ico, robots.txt), else the shop's page.
        if let Some(found) = file(path.trim_start_matches('/')).filter(|_| path.len() > 1) {
            return found;
        }
        return index().await;
    }
    match host.api.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

#[cfg(test)]
mod tests {
    use axum::http::Request;

    use super::*;

    fn api() -> Router {
        framewise::api::with_api_fallbacks(Router::new().route(
            "/v1/trending",
            get(|| async { Json(serde_json::json!({"items": []})) }),
        ))
    }

    async fn get_uri(app: &Router, uri: &str) -> (StatusCode, String, Vec<u8>) {
        let request = Request::get(uri).body(Body::empty()).expect("request");
        let response = app.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        (status, content_type, body.to_vec())
    }

    #[tokio::test]
    async fn when_pages_assets_and_api_paths_are_asked_for_should_route_each_to_its_owner() {
        let app = with_storefront(api(), Some(serde_json::json!({"shoppers": []})));
        let (status, content_type, page) = get_uri(&app, "/").await;
        assert_eq!(
            (status, content_type.as_str()),
            (StatusCode::OK, "text/html; charset=utf-8")
        );
        // Client-side routes of the shop get the same page.
        let (status, _, deep) = get_uri(&app, "/product/st-0001?colourway=c1").await;
        assert_eq!((status, &deep), (StatusCode::OK, &page));
        // The API keeps its paths, its answers and its JSON 404.
        let (status, content_type, _) = get_uri(&app, "/v1/trending").await;
        assert_eq!(
            (status, content_type.as_str()),
            (StatusCode::OK, "application/json")
        );
        for uri in [
            "/v1/x",
            "/v1/products/st-1/nothing",
            "/healthz/more",
            "/assets/none.js",
        ] {
            let (status, content_type, body) = get_uri(&app, uri).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
            assert_eq!(content_type, "application/json", "{uri}");
            let body: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
            assert_eq!(body["error"]["code"], "not_found", "{uri}");
        }
        let (status, _, body) = get_uri(&app, "/demo/shoppers").await;
        assert_eq!(
            (status, body.as_slice()),
            (StatusCode::OK, br#"{"shoppers":[]}"#.as_slice())
        );
        // Every file of the build is served with its type.
        let assets = STOREFRONT.get_dir("assets").map(|d| d.files());
        for file in assets.into_iter().flatten() {
            let path = file.path().to_string_lossy().to_string();
            let (status, content_type, _) = get_uri(&app, &format!("/{path}")).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert_eq!(content_type, super::content_type(&path), "{path}");
        }
    }

    #[tokio::test]
    async fn when_tokens_come_from_an_identity_provider_should_not_offer_demo_shoppers() {
        let app = with_storefront(api(), None);
        let (status, content_type, _) = get_uri(&app, "/demo/shoppers").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(content_type, "application/json");
    }

    #[test]
    fn when_files_are_typed_should_follow_their_extension() {
        assert_eq!(
            content_type("assets/app.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("assets/app.CSS"), "text/css; charset=utf-8");
        assert_eq!(content_type("assets/logo.svg"), "image/svg+xml");
        assert_eq!(content_type("assets/blob"), "application/octet-stream");
        assert!(reserved("/v1/anything") && reserved("/openapi.json") && reserved("/demo/x"));
        assert!(!reserved("/") && !reserved("/product/st-1") && !reserved("/v2/x"));
    }
}

//! Frame pictures through the `recommendations-api` function as Lambda runs it: an API
//! Gateway HTTP API (v2) event goes through lambda_http's adapter (what `lambda_http::run`
//! wraps the router in) and comes out as the JSON the function hands back to the gateway.
//! The PNG must travel base64-encoded with `isBase64Encoded: true` (the gateway decodes it),
//! the SVG as text, and errors stay JSON.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use framewise::service::{ModelRefresh, ServiceConfig};
use framewise_integration_tests::apigw::{self, Caller};
use framewise_lambda::Access;
use lambda_http::tower::{Service, ServiceExt};
use lambda_http::{Adapter, Context, LambdaEvent};
use serde_json::Value;

#[path = "functions_demo.rs"]
mod functions_demo;
use functions_demo::demo_stores;

/// One invocation of the function with the gateway event for `GET path_and_query`: the
/// response document Lambda returns to API Gateway.
async fn invoke(app: axum::Router, path_and_query: &str) -> Value {
    let event = apigw::event("GET", path_and_query, None, Caller::Anonymous).to_string();
    let payload: lambda_http::request::LambdaRequest =
        serde_json::from_str(&event).expect("an API Gateway v2 event");
    let mut adapter = Adapter::from(app);
    let response = adapter
        .ready()
        .await
        .unwrap_or_else(|e| match e {})
        .call(LambdaEvent::new(payload, Context::default()))
        .await
        .unwrap_or_else(|e| match e {});
    serde_json::to_value(response).expect("the response serialises")
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") || bytes.get(12..16) != Some(b"IHDR".as_slice()) {
        return None;
    }
    let word = |at: usize| {
        bytes
            .get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_be_bytes)
    };
    Some((word(16)?, word(20)?))
}

#[tokio::test]
async fn when_a_picture_is_served_by_lambda_should_send_png_as_base64_and_svg_as_text() {
    let service = framewise_lambda::open(
        demo_stores().await,
        ServiceConfig::default(),
        Access::ReadOnly,
    )
    .await
    .expect("service");
    let app = recommendations_api::app(
        service,
        Arc::new(ModelRefresh::new(Duration::from_secs(60))),
    );

    let png = invoke(
        app.clone(),
        "/v1/products/st-0001/image.png?colourway=st-0001-c2&width=320",
    )
    .await;
    assert_eq!(png["statusCode"], 200, "{png}");
    assert_eq!(png["isBase64Encoded"], true, "a PNG is binary: {png}");
    assert_eq!(png["headers"]["content-type"], "image/png");
    let cache = png["headers"]["cache-control"].as_str().unwrap_or_default();
    assert!(cache.starts_with("public"), "{cache}");
    assert!(png["headers"]["etag"].is_string());
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(png["body"].as_str().expect("a body"))
        .expect("base64");
    assert_eq!(png_size(&bytes), Some((320, 160)));

    let svg = invoke(app.clone(), "/v1/products/st-0001/image.svg").await;
    assert_eq!(svg["statusCode"], 200, "{svg}");
    assert_eq!(svg["isBase64Encoded"], false);
    assert_eq!(svg["headers"]["content-type"], "image/svg+xml");
    let text = svg["body"].as_str().unwrap_or_default();
    assert!(
        text.starts_with("<svg") && text.ends_with("</svg>"),
        "{text}"
    );

    let missing = invoke(app.clone(), "/v1/products/st-0001/image.png?colourway=nope").await;
    assert_eq!(missing["statusCode"], 404);
    assert_eq!(missing["isBase64Encoded"], false);
    let body: Value =
        serde_json::from_str(missing["body"].as_str().unwrap_or_default()).expect("a JSON error");
    assert_eq!(body["error"]["field"], "colourway");
    let wide = invoke(app, "/v1/products/st-0001/image.png?width=5000").await;
    assert_eq!(wide["statusCode"], 400);
}

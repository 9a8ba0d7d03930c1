//! `GET /v1/products/{style_id}/image.svg` and `image.png` through the router: the picture
//! of the asked colourway, PNG at the asked width, 404 naming an unknown colourway or style,
//! 400 naming a bad width, public caching with an ETag and 304 for a matching
//! `If-None-Match`.

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use resvg::tiny_skia::Pixmap;
use serde_json::{json, Value};
use tower::ServiceExt;

use super::{harness, Harness};

async fn get(h: &Harness, uri: &str, headers: &[(&str, &str)]) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut request = Request::get(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = h
        .app
        .clone()
        .oneshot(request.body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.expect("body").to_bytes().to_vec();
    (parts.status, parts.headers, bytes)
}

fn header_of(headers: &HeaderMap, name: header::HeaderName) -> &str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

fn error(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}

#[tokio::test]
async fn when_picture_is_asked_for_should_draw_the_colourway_as_svg_or_png() {
    let h = harness().await;
    let base = format!("/v1/products/{}", h.style_id);
    let (status, headers, svg) = get(&h, &format!("{base}/image.svg"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header_of(&headers, header::CONTENT_TYPE), "image/svg+xml");
    let cache = header_of(&headers, header::CACHE_CONTROL);
    assert!(cache.starts_with("public, max-age="), "{cache}");
    assert!(header_of(&headers, header::ETAG).starts_with('"'));
    let svg = String::from_utf8(svg).expect("SVG is text");
    assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");

    // The default picture is the first colourway's; another colourway is another picture.
    let (_, _, first) = get(
        &h,
        &format!("{base}/image.svg?colourway={}-c1", h.style_id),
        &[],
    )
    .await;
    let (status, _, second) = get(
        &h,
        &format!("{base}/image.svg?colourway={}-c2", h.style_id),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(String::from_utf8_lossy(&first), svg);
    assert_ne!(first, second);

    let (status, headers, png) = get(&h, &format!("{base}/image.png?width=300"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header_of(&headers, header::CONTENT_TYPE), "image/png");
    let pixmap = Pixmap::decode_png(&png).expect("a PNG");
    assert_eq!((pixmap.width(), pixmap.height()), (300, 150));
    let (_, _, default_png) = get(&h, &format!("{base}/image.png"), &[]).await;
    let pixmap = Pixmap::decode_png(&default_png).expect("a PNG");
    assert_eq!(pixmap.width(), super::super::images::DEFAULT_PNG_WIDTH);
}

#[tokio::test]
async fn when_colourway_style_or_width_is_wrong_should_answer_json_naming_it() {
    let h = harness().await;
    let base = format!("/v1/products/{}", h.style_id);
    for uri in [
        format!("{base}/image.svg?colourway=st-9999-c1"),
        format!("{base}/image.png?colourway=st-9999-c1"),
    ] {
        let (status, headers, body) = get(&h, &uri, &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(
            header_of(&headers, header::CONTENT_TYPE),
            "application/json"
        );
        let body = error(&body);
        assert_eq!(body["error"]["field"], json!("colourway"), "{body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("'st-9999-c1'"), "{message}");
    }
    let (status, _, body) = get(&h, "/v1/products/st-nope/image.svg", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(error(&body)["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("st-nope")));
    for width in ["63", "1201", "0", "big", "-1"] {
        let (status, _, body) = get(&h, &format!("{base}/image.png?width={width}"), &[]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "width={width}");
        assert_eq!(
            error(&body)["error"]["field"],
            json!("width"),
            "width={width}"
        );
    }
    let (status, _, _) = get(&h, &format!("{base}/image.png?width=1200"), &[]).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn when_client_holds_the_current_picture_should_answer_304() {
    let h = harness().await;
    for uri in [
        format!("/v1/products/{}/image.svg", h.style_id),
        format!("/v1/products/{}/image.png?width=128", h.style_id),
    ] {
        let (_, headers, _) = get(&h, &uri, &[]).await;
        let etag = header_of(&headers, header::ETAG).to_string();
        let (status, headers, body) = get(&h, &uri, &[("if-none-match", &etag)]).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED, "{uri}");
        assert!(body.is_empty());
        assert_eq!(header_of(&headers, header::ETAG), etag);
        let (status, _, _) = get(&h, &uri, &[("if-none-match", "\"stale\"")]).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
    }
    // PNGs of two widths are two representations with two tags.
    let mut tags = Vec::new();
    for width in [100, 200] {
        let uri = format!("/v1/products/{}/image.png?width={width}", h.style_id);
        tags.push(header_of(&get(&h, &uri, &[]).await.1, header::ETAG).to_string());
    }
    assert_ne!(tags[0], tags[1]);
}

#[test]
fn when_pictures_are_documented_should_declare_their_media_types_and_cache_lifetime() {
    let doc = serde_json::to_value(crate::api::openapi()).expect("document");
    let ok = |path: &str| doc["paths"][path]["get"]["responses"]["200"].clone();
    let svg = ok("/v1/products/{style_id}/image.svg");
    assert_eq!(
        svg["content"]["image/svg+xml"]["schema"]["type"],
        json!("string")
    );
    let png = ok("/v1/products/{style_id}/image.png");
    let schema = &png["content"]["image/png"]["schema"];
    let schema = match schema["$ref"].as_str() {
        Some(r) => doc
            .pointer(r.trim_start_matches('#'))
            .cloned()
            .unwrap_or(Value::Null),
        None => schema.clone(),
    };
    assert_eq!(schema["contentMediaType"], json!("image/png"), "{schema}");
    for answer in [svg, png] {
        let cache = answer["headers"]["Cache-Control"]["description"].as_str();
        assert!(
            cache.is_some_and(|c| c.contains("public, max-age=604800")),
            "{answer}"
        );
    }
}

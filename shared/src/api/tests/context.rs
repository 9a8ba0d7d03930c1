//! The shopper's moment through the router: `occasion`, `country`, `lat`/`lon`, `hour` and
//! the `CloudFront-Viewer-Country` header (the harness of `api/tests.rs`).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use super::{harness, token};

#[tokio::test]
async fn when_context_parameters_are_malformed_should_refuse_naming_each() {
    let h = harness().await;
    let owner = token(Some("c1"), &[]);
    for (query, field) in [
        ("occasion=skydiving", "occasion"),
        ("country=AUS", "country"),
        ("lat=-33.9", "lon"),
        ("lon=151.2", "lat"),
        ("lat=north&lon=1", "lat"),
        ("lat=95&lon=1", "lat"),
        ("lat=1&lon=181", "lon"),
        ("hour=24", "hour"),
        ("hour=-1", "hour"),
    ] {
        for path in [
            "/v1/customers/c1/recommendations",
            "/v1/sessions/s1/recommendations",
        ] {
            let (status, body, _) = h
                .call("GET", &format!("{path}?{query}"), Some(&owner), None)
                .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}?{query}: {body}");
            assert_eq!(
                body["error"]["field"],
                json!(field),
                "{path}?{query}: {body}"
            );
        }
    }
}

#[tokio::test]
async fn when_context_is_given_should_echo_what_re_ranked_the_page() {
    let h = harness().await;
    let owner = token(Some("c1"), &[]);
    let (status, body, _) = h
        .call(
            "GET",
            "/v1/customers/c1/recommendations?occasion=Driving&country=nz&hour=20",
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let context = &body["context"];
    assert_eq!(context["occasion"], json!("driving"));
    assert_eq!(context["country"], json!("NZ"));
    assert_eq!(context["hemisphere"], json!("south"));
    assert_eq!(context["local_hour"], json!(20));
    assert!(context["advice"][0]
        .as_str()
        .is_some_and(|a| a.contains("polarised")));
    // Without any context the page carries none.
    let (_, plain, _) = h
        .call(
            "GET",
            "/v1/customers/c1/recommendations",
            Some(&owner),
            None,
        )
        .await;
    assert!(plain.get("context").is_none(), "{plain}");
}

#[tokio::test]
async fn when_cloudfront_names_the_viewer_country_should_use_it_unless_the_query_does() {
    let h = harness().await;
    let country = |uri: &str, header_value: &str| {
        let request = Request::builder()
            .uri(uri)
            .header("cloudfront-viewer-country", header_value)
            .body(Body::empty())
            .unwrap();
        let app = h.app.clone();
        async move {
            let response = app.oneshot(request).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            let body: Value = serde_json::from_slice(&bytes).unwrap();
            body["context"]["country"].clone()
        }
    };
    assert_eq!(
        country("/v1/sessions/s1/recommendations", "AU").await,
        json!("AU")
    );
    assert_eq!(
        country("/v1/sessions/s1/recommendations?country=DE", "AU").await,
        json!("DE")
    );
    // A malformed header is the CDN's, not the client's fault: ignored.
    assert_eq!(
        country("/v1/sessions/s1/recommendations", "XX1").await,
        Value::Null
    );
}

#[tokio::test]
async fn when_content_page_names_a_country_should_theme_the_season_of_its_hemisphere() {
    let h = harness().await;
    let owner = token(Some("c1"), &[]);
    let season = |country: &'static str| {
        let uri = format!("/v1/customers/c1/content?page=home&country={country}");
        let h = &h;
        let owner = owner.clone();
        async move {
            let (status, body, _) = h.call("GET", &uri, Some(&owner), None).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body["hero"]["season"].clone()
        }
    };
    // Whatever today's date, the two halves of the world are in opposite seasons.
    assert_ne!(season("AU").await, season("GB").await);
    let (status, body, _) = h
        .call("GET", "/v1/customers/c1/content?lat=1", Some(&owner), None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["field"], json!("lon"));
}

//! Mobile and constrained clients behind API Gateway: `recommendations-api` over DynamoDB, S3
//! and SQS (moto) answers `?view=compact`, `ETag`/`Cache-Control` with 304, gzip/br and the
//! offline bundle exactly as the local router (`framewise serve`'s, over the same stores)
//! does. Each request goes through lambda_http's adapter (what `lambda_http::run` wraps the
//! router in) and comes out as the response document the function hands to the HTTP API, so
//! the test also checks that a compressed body travels base64-encoded with
//! `isBase64Encoded: true` (the gateway decodes it) and a 304 carries no body.

use chrono::{DateTime, Utc};
use framewise::adapters::aws::aws_stores;
use framewise::demo::DemoConfig;
use framewise::service::ServiceConfig;
use framewise_integration_tests::apigw::Caller;
use framewise_integration_tests::gateway::{
    local_and_function, locally, shopper_token, through_gateway,
};
use framewise_integration_tests::moto::Moto;
use framewise_integration_tests::seed_demo;
use serde_json::json;

const SECRET: &[u8] = b"aws-mobile-tests-secret-32-bytes";

#[tokio::test]
async fn when_mobile_clients_call_the_function_should_answer_as_the_local_server_does() {
    let moto = Moto::shared();
    let (settings, clients) = moto.fresh("mobile", 5).await;
    let stores = aws_stores(&clients, &settings);
    seed_demo(
        &stores,
        &DemoConfig {
            styles: 40,
            customers: 6,
            days: 10,
            end: DateTime::parse_from_rfc3339("2026-01-04T00:00:00Z")
                .expect("time")
                .with_timezone(&Utc),
            ..DemoConfig::small()
        },
    )
    .await;
    let (local, lambda) = local_and_function(
        stores.clone(),
        aws_stores(&clients, &settings),
        ServiceConfig::default(),
        SECRET,
        |local| local,
    )
    .await;
    let shopper = shopper_token(SECRET, "cu-00001");
    let as_shopper = Caller::Shopper("cu-00001");

    // Compact, plain and compressed: the same JSON, tags and cache headers on both.
    let list = "/v1/customers/cu-00001/recommendations?limit=12&view=compact";
    let mut plain_tag = String::new();
    for accept in ["identity", "gzip", "br"] {
        let headers = [("accept-encoding", accept)];
        let (document, gateway) = through_gateway(&lambda, list, as_shopper, &headers).await;
        let server = locally(&local, list, Some(&shopper), &headers).await;
        assert_eq!(
            gateway, server,
            "{accept}: the function and the server differ"
        );
        assert_eq!(gateway.status, 200, "{document}");
        let page = gateway.json();
        assert_eq!(page["view"], json!("compact"), "{page}");
        assert_eq!(page["items"].as_array().map(Vec::len), Some(12));
        assert!(page["items"][0]["reasons"].is_null() && page["items"][0]["reason"].is_string());
        assert_eq!(gateway.header("cache-control"), Some("private, max-age=30"));
        let compressed = accept != "identity";
        assert_eq!(
            document["isBase64Encoded"],
            json!(compressed),
            "{accept}: compressed bytes travel base64-encoded, JSON as text"
        );
        let tag = gateway.header("etag").unwrap_or_default().to_string();
        if compressed {
            assert_eq!(gateway.header("content-encoding"), Some(accept));
            assert_eq!(
                tag,
                format!("{}-{accept}\"", plain_tag.trim_end_matches('"'))
            );
        } else {
            assert!(gateway.header("content-encoding").is_none());
            plain_tag = tag.clone();
        }

        // Revalidation: 304 without a body, on both, whatever tag of the list is held.
        let held = [("accept-encoding", accept), ("if-none-match", tag.as_str())];
        let (document, gateway) = through_gateway(&lambda, list, as_shopper, &held).await;
        let server = locally(&local, list, Some(&shopper), &held).await;
        assert_eq!(gateway, server, "{accept}: 304s differ");
        assert_eq!(gateway.status, 304, "{document}");
        assert!(gateway.body.is_empty(), "{document}");
        assert_eq!(document["isBase64Encoded"], json!(false));
        assert_eq!(gateway.header("etag"), Some(tag.as_str()));
    }

    // Public catalogue reads: the same compact answers and public cache lifetimes.
    let style = "st-0001";
    for uri in [
        format!("/v1/products/{style}"),
        format!("/v1/products/{style}/similar?limit=6&view=compact"),
        format!("/v1/products/{style}/also-bought?limit=6&view=compact"),
        "/v1/trending?limit=8&view=compact".to_string(),
    ] {
        let headers = [("accept-encoding", "gzip")];
        let (document, gateway) = through_gateway(&lambda, &uri, Caller::Anonymous, &headers).await;
        let server = locally(&local, &uri, None, &headers).await;
        assert_eq!(gateway, server, "{uri}");
        assert_eq!(gateway.status, 200, "{document}");
        assert_eq!(gateway.header("cache-control"), Some("public, max-age=300"));
        let tag = gateway.header("etag").unwrap_or_default().to_string();
        let held = [("if-none-match", tag.as_str())];
        let (_, again) = through_gateway(&lambda, &uri, Caller::Anonymous, &held).await;
        assert_eq!(again.status, 304, "{uri}");
    }

    // Unknown views are refused the same way (400 naming the field, JSON as text).
    let bad = "/v1/trending?view=tiny";
    let (document, gateway) = through_gateway(&lambda, bad, Caller::Anonymous, &[]).await;
    assert_eq!(gateway, locally(&local, bad, None, &[]).await);
    assert_eq!(gateway.status, 400, "{document}");
    assert_eq!(gateway.json()["error"]["field"], json!("view"));

    // The offline bundle: the same bundle, and 304 on its version (parameter or tag).
    let bundle = "/v1/customers/cu-00001/offline-bundle?limit=10";
    let headers = [("accept-encoding", "br")];
    let (document, gateway) = through_gateway(&lambda, bundle, as_shopper, &headers).await;
    let server = locally(&local, bundle, Some(&shopper), &headers).await;
    assert_eq!(gateway, server, "the bundles differ");
    assert_eq!(gateway.status, 200, "{document}");
    assert_eq!(document["isBase64Encoded"], json!(true));
    let body = gateway.json();
    let version = body["version"].as_str().unwrap_or_default().to_string();
    assert_eq!(body["items"].as_array().map(Vec::len), Some(10), "{body}");
    assert!(body["products"].as_array().is_some_and(|p| !p.is_empty()));
    assert_eq!(gateway.header("cache-control"), Some("private, no-cache"));
    let with_version = format!("{bundle}&version={version}");
    for (uri, held) in [
        (with_version.as_str(), None),
        (bundle, Some(format!("\"{version}\""))),
    ] {
        let mut headers = vec![("accept-encoding", "br")];
        if let Some(tag) = &held {
            headers.push(("if-none-match", tag.as_str()));
        }
        let (document, gateway) = through_gateway(&lambda, uri, as_shopper, &headers).await;
        assert_eq!(gateway.status, 304, "{uri}: {document}");
        assert!(gateway.body.is_empty());
        let tag = format!("\"{version}-br\"");
        assert_eq!(gateway.header("etag"), Some(tag.as_str()));
    }
    let (_, stranger) = through_gateway(&lambda, bundle, Caller::Shopper("cu-00002"), &[]).await;
    assert_eq!(stranger.status, 403);
    let (_, service) = through_gateway(&lambda, bundle, Caller::Service, &[]).await;
    assert_eq!(service.status, 200);
    assert_eq!(service.json()["version"], json!(version));
}

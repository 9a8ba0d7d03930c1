//! Mobile and constrained clients behind API Gateway: `recommendations-api` over DynamoDB, S3
//! and SQS (moto) answers `?view=compact`, `ETag`/`Cache-Control` with 304, gzip/br and the
//! offline bundle exactly as the local router (`framewise serve`'s, over the same stores)
//! does. Each request goes through lambda_http's adapter (what `lambda_http::run` wraps the
//! router in) and comes out as the response document the function hands to the HTTP API, so
//! the test also checks that a compressed body travels base64-encoded with
//! `isBase64Encoded: true` (the gateway decodes it) and a 304 carries no body.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use base64::Engine;
use chrono::{DateTime, Utc};
use framewise::adapters::aws::aws_stores;
use framewise::api::{bearer_auth, router};
use framewise::auth::{AuthConfig, DevTokenIssuer, TokenVerifier};
use framewise::demo::DemoConfig;
use framewise::service::{Framewise, ModelRefresh, ServiceConfig};
use framewise_integration_tests::apigw::{self, Caller};
use framewise_integration_tests::moto::Moto;
use framewise_integration_tests::seed_demo;
use framewise_lambda::Access;
use http_body_util::BodyExt;
use lambda_http::tower::{Service, ServiceExt};
use lambda_http::{Adapter, Context, LambdaEvent};
use serde_json::{json, Value};

const SECRET: &[u8] = b"aws-mobile-tests-secret-32-bytes";

/// What a client gets: the status, the headers that matter here and the body, decoded from
/// its content coding (and, behind the gateway, from base64).
#[derive(Debug, Clone, PartialEq)]
struct Answer {
    status: u16,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

const KEPT: [&str; 5] = [
    "etag",
    "cache-control",
    "content-encoding",
    "vary",
    "content-type",
];

fn decode(coding: Option<&str>, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match coding {
        Some("gzip") => {
            flate2::read::GzDecoder::new(bytes)
                .read_to_end(&mut out)
                .expect("gzip body");
        }
        Some("br") => {
            brotli::Decompressor::new(bytes, 4096)
                .read_to_end(&mut out)
                .expect("br body");
        }
        None => out = bytes.to_vec(),
        Some(other) => panic!("unexpected content-encoding {other}"),
    }
    out
}

/// One invocation of the function with the gateway event for `GET path_and_query` as
/// `caller` with `headers`: the response document Lambda returns to API Gateway, and what
/// the client receives from it.
async fn through_gateway(
    app: &axum::Router,
    path_and_query: &str,
    caller: Caller<'_>,
    headers: &[(&str, &str)],
) -> (Value, Answer) {
    let mut event = apigw::event("GET", path_and_query, None, caller);
    for (name, value) in headers {
        event["headers"][*name] = json!(value);
    }
    let payload: lambda_http::request::LambdaRequest =
        serde_json::from_value(event).expect("an API Gateway v2 event");
    let mut adapter = Adapter::from(app.clone());
    let response = adapter
        .ready()
        .await
        .unwrap_or_else(|e| match e {})
        .call(LambdaEvent::new(payload, Context::default()))
        .await
        .unwrap_or_else(|e| match e {});
    let document = serde_json::to_value(response).expect("the response serialises");
    let kept: BTreeMap<String, String> = KEPT
        .iter()
        .filter_map(|name| {
            let value = document["headers"][*name].as_str()?;
            Some((name.to_string(), value.to_string()))
        })
        .collect();
    let text = document["body"].as_str().unwrap_or_default();
    let bytes = if document["isBase64Encoded"] == json!(true) {
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .expect("base64 body")
    } else {
        text.as_bytes().to_vec()
    };
    let answer = Answer {
        status: document["statusCode"].as_u64().unwrap_or_default() as u16,
        body: decode(kept.get("content-encoding").map(String::as_str), &bytes),
        headers: kept,
    };
    (document, answer)
}

/// The same request to the local router (bearer token verified by the server itself).
async fn locally(
    app: &axum::Router,
    path_and_query: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
) -> Answer {
    let mut request = axum::http::Request::get(path_and_query);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).expect("request"))
        .await
        .unwrap_or_else(|e| match e {});
    let status = response.status().as_u16();
    let kept: BTreeMap<String, String> = KEPT
        .iter()
        .filter_map(|name| {
            let value = response.headers().get(*name)?.to_str().ok()?;
            Some((name.to_string(), value.to_string()))
        })
        .collect();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    Answer {
        status,
        body: decode(kept.get("content-encoding").map(String::as_str), &bytes),
        headers: kept,
    }
}

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
    let local = Framewise::open(stores.clone(), ServiceConfig::default())
        .await
        .expect("service");
    local
        .regenerate(Utc::now(), &|_, _| {})
        .await
        .expect("lists precomputed");
    let verifier = TokenVerifier::with_secret(SECRET.to_vec(), AuthConfig::default());
    let local = bearer_auth(router(Arc::new(local)), Arc::new(verifier));
    let api_service = framewise_lambda::open(
        aws_stores(&clients, &settings),
        ServiceConfig::default(),
        Access::ReadOnly,
    )
    .await
    .expect("api service");
    let lambda = recommendations_api::app(
        api_service,
        Arc::new(ModelRefresh::new(Duration::from_secs(60))),
    );
    let shopper = DevTokenIssuer::new(SECRET.to_vec())
        .mint(
            Some("cu-00001"),
            &[],
            600,
            Utc::now(),
            &AuthConfig::default(),
        )
        .expect("token");
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

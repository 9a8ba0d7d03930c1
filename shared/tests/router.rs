//! Router tests: the real router and service over the in-memory adapters, driven by fixtures.

use framewise::auth::{AuthConfig, Caller, Principal};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use chrono::Utc;
use framewise::adapters::memory_stores;
use framewise::domain::Style;
use framewise::service::{Framewise, ServiceConfig};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

const CATALOG: &str = include_str!("fixtures/catalog.json");
const SIGNALS_VALID: &str = include_str!("fixtures/signals_valid.json");
const SIGNALS_INVALID: &str = include_str!("fixtures/signals_invalid.json");

async fn service() -> Arc<Framewise> {
    let styles: Vec<Style> = serde_json::from_str(CATALOG).expect("fixture catalogue parses");
    for style in &styles {
        style.validate().expect("fixture styles are valid");
    }
    let service = Framewise::open(memory_stores(), ServiceConfig::default())
        .await
        .expect("service opens");
    service.import_styles(&styles).await.expect("import");
    Arc::new(service)
}

/// The shop's backend: may read any shopper's list and post their signals (access rules
/// themselves are tested in `shared/src/api/tests.rs`).
fn service_caller() -> Caller {
    let scopes = ["framewise/service".to_string()].into_iter().collect();
    Caller::Authenticated(Principal::new(None, scopes, &AuthConfig::default()))
}

async fn call(
    service: &Arc<Framewise>,
    method: Method,
    uri: &str,
    body: &str,
) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .extension(service_caller())
        .body(Body::from(body.to_string()))
        .expect("request builds");
    let response = framewise::api::router(service.clone())
        .oneshot(request)
        .await
        .expect("router answers");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body reads")
        .to_bytes();
    let value = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
        panic!(
            "{uri}: body is not JSON: {}",
            String::from_utf8_lossy(&bytes)
        )
    });
    (status, value)
}

async fn get(service: &Arc<Framewise>, uri: &str) -> (StatusCode, Value) {
    call(service, Method::GET, uri, "").await
}

fn style_ids(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["style_id"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn when_health_is_requested_should_report_model_and_queue() {
    let service = service().await;
    let (status, body) = get(&service, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["styles"], 10);
    assert_eq!(body["queue_depth"], 0);
}

#[tokio::test]
async fn when_product_exists_should_return_it_with_stock_and_unknown_is_404() {
    let service = service().await;
    let (status, body) = get(&service, "/v1/products/st-round-1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["colourways"][0]["variants"][0]["stock"], 7);
    assert_eq!(body["sizes"][1]["lens_width"], 53.0);

    let (status, body) = get(&service, "/v1/products/st-missing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");

    let (status, body) = get(&service, "/v1/products/bad%20id").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["field"], "style_id");
}

#[tokio::test]
async fn when_customer_is_unknown_should_get_cold_start_list_without_unavailable_styles() {
    let service = service().await;
    let (status, body) = get(&service, "/v1/customers/nobody/recommendations?limit=20").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["source"], "cold_start");
    let ids = style_ids(&body);
    assert!(!ids.is_empty());
    assert!(
        !ids.contains(&"st-gone".to_string()),
        "inactive styles are filtered"
    );
    assert!(
        !ids.contains(&"st-empty".to_string()),
        "out-of-stock styles are filtered"
    );
    for item in body["items"].as_array().into_iter().flatten() {
        assert!(!item["reasons"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .is_empty());
        assert!(item["brand"].is_string() && item["image_url"].is_string());
    }
}

#[tokio::test]
async fn when_query_is_bad_should_answer_400_naming_the_field() {
    let service = service().await;
    for (uri, field) in [
        ("/v1/customers/cu-1/recommendations?limit=0", "limit"),
        ("/v1/customers/cu-1/recommendations?limit=101", "limit"),
        ("/v1/customers/cu-1/recommendations?limit=ten", "limit"),
        ("/v1/customers/cu-1/recommendations?cursor=%%%", "cursor"),
        ("/v1/customers/cu%201/recommendations", "customer_id"),
        ("/v1/trending?category=hats", "category"),
        ("/v1/products/st-round-1/similar?limit=-1", "limit"),
    ] {
        let (status, body) = get(&service, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert_eq!(body["error"]["field"], field, "{uri}: {body}");
        assert_eq!(body["error"]["code"], "invalid_request");
    }
}

#[tokio::test]
async fn when_route_or_method_is_unknown_should_answer_json_404_and_405() {
    let service = service().await;
    let (status, body) = get(&service, "/v2/nothing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
    let (status, body) = call(&service, Method::DELETE, "/v1/signals", "").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["error"]["code"], "method_not_allowed");
}

#[tokio::test]
async fn when_signals_are_valid_should_queue_them_once() {
    let service = service().await;
    let (status, body) = call(&service, Method::POST, "/v1/signals", SIGNALS_VALID).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body, json!({"accepted": 3, "duplicates": 0}));
    let (status, body) = call(&service, Method::POST, "/v1/signals", SIGNALS_VALID).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(body, json!({"accepted": 0, "duplicates": 3}));
    assert_eq!(service.stores().queue.depth().await.expect("depth"), 3);
}

#[tokio::test]
async fn when_one_signal_is_invalid_should_reject_the_batch_whole() {
    let service = service().await;
    let (status, body) = call(&service, Method::POST, "/v1/signals", SIGNALS_INVALID).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let fields: Vec<&str> = body["error"]["details"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["field"].as_str())
        .collect();
    assert_eq!(fields, ["signals[1].event_id", "signals[2].timestamp"]);
    assert_eq!(body["error"]["field"], "signals[1].event_id");
    assert_eq!(
        service.stores().queue.depth().await.expect("depth"),
        0,
        "nothing half-applied"
    );
}

#[tokio::test]
async fn when_body_is_too_large_or_malformed_should_answer_413_or_400() {
    let service = service().await;
    let huge = format!(
        "{{\"signals\": [], \"pad\": \"{}\"}}",
        "x".repeat(300 * 1024)
    );
    let (status, body) = call(&service, Method::POST, "/v1/signals", &huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["error"]["code"], "payload_too_large");
    let (status, body) = call(&service, Method::POST, "/v1/signals", "{\"signals\": [").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["field"], "body");
}

#[tokio::test]
async fn when_purchase_is_processed_should_drop_it_from_the_list_and_favour_its_shape() {
    let service = service().await;
    let uri = "/v1/customers/cu-1/recommendations?limit=8";
    let (_, before) = get(&service, uri).await;
    assert_eq!(
        before["source"], "cold_start",
        "cu-1 is unknown before its first signal"
    );

    let (status, _) = call(&service, Method::POST, "/v1/signals", SIGNALS_VALID).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let report = service
        .process_queue(100, Utc::now())
        .await
        .expect("worker pass");
    assert_eq!(report.received, 3);
    assert_eq!(report.applied, 3);
    assert_eq!(
        report.lists_recomputed, 1,
        "only the known customer gets a stored list"
    );
    assert_eq!(service.stores().queue.depth().await.expect("depth"), 0);

    let (status, after) = get(&service, uri).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(after["source"], "precomputed");
    let ids = style_ids(&after);
    assert!(
        !ids.contains(&"st-round-1".to_string()),
        "purchased style is filtered"
    );
    assert!(
        ids.first().is_some_and(|id| id.starts_with("st-round")),
        "a round frame leads after buying one: {ids:?}"
    );
}

#[tokio::test]
async fn when_paging_with_cursor_should_continue_without_repeats() {
    let service = service().await;
    service
        .apply_signals(
            &serde_json::from_value::<Vec<framewise::domain::Signal>>(
                serde_json::from_str::<Value>(SIGNALS_VALID).expect("json")["signals"].clone(),
            )
            .expect("signals"),
            Utc::now(),
        )
        .await
        .expect("applied");
    let (_, first) = get(&service, "/v1/customers/cu-1/recommendations?limit=3").await;
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next cursor")
        .to_string();
    let (status, second) = get(
        &service,
        &format!("/v1/customers/cu-1/recommendations?limit=3&cursor={cursor}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(first["recommendation_id"], second["recommendation_id"]);
    let a = style_ids(&first);
    let b = style_ids(&second);
    assert_eq!(a.len(), 3);
    assert!(!b.is_empty());
    assert!(a.iter().all(|id| !b.contains(id)), "{a:?} vs {b:?}");
}

#[tokio::test]
async fn when_products_are_related_should_list_similar_and_also_bought_without_self() {
    let service = service().await;
    let (status, body) = get(&service, "/v1/products/st-round-1/similar?limit=3").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ids = style_ids(&body);
    assert!(!ids.is_empty() && !ids.contains(&"st-round-1".to_string()));
    let (status, body) = get(&service, "/v1/products/st-round-1/also-bought").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!style_ids(&body).contains(&"st-round-1".to_string()));
    let (status, _) = get(&service, "/v1/products/st-missing/similar").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = get(&service, "/v1/trending?category=sun&limit=5").await;
    assert_eq!(status, StatusCode::OK);
    for item in body["items"].as_array().into_iter().flatten() {
        assert_eq!(item["category"], "sun");
    }
}

#[tokio::test]
async fn when_json_body_is_not_declared_json_should_answer_415_and_queue_nothing() {
    let service = service().await;
    let signals = Body::from(SIGNALS_VALID.to_string());
    let profile = Body::from(r#"{"face_shape": "round"}"#);
    for (method, uri, content_type, body) in [
        (Method::POST, "/v1/signals", Some("text/plain"), signals),
        (
            Method::PUT,
            "/v1/customers/c1/profile",
            Some("application/x-www-form-urlencoded"),
            profile,
        ),
        (Method::POST, "/v1/signals", None, Body::from("{}")),
    ] {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .extension(service_caller());
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = framewise::api::router(service.clone())
            .oneshot(request.body(body).expect("request builds"))
            .await
            .expect("router answers");
        assert_eq!(
            response.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{uri}"
        );
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let error: Value = serde_json::from_slice(&bytes).expect("JSON error body");
        assert_eq!(error["error"]["code"], "unsupported_media_type");
        assert_eq!(error["error"]["field"], "content-type");
    }
    assert_eq!(service.stores().queue.depth().await.expect("depth"), 0);
    assert!(service
        .stores()
        .profiles
        .get_customer("c1")
        .await
        .expect("read")
        .is_none());
}

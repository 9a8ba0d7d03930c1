//! Access to every route of [`super::ROUTES`] through the local edge (bearer tokens
//! verified by [`super::bearer_auth`]): 401 without a token, 403 with another shopper's,
//! the owner and the service where the rules allow them.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use chrono::Utc;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use super::{bearer_auth, router, RouteAccess, ROUTES};
use crate::adapters::memory_stores;
use crate::auth::{AuthConfig, DevTokenIssuer, TokenVerifier};
use crate::demo::{self, DemoConfig};
use crate::service::{Framewise, ServiceConfig};

/// The content page (same harness).
mod content;
/// Occasion, place, time: the list's context parameters (same harness).
mod context;
/// Trend feeds on the list and in "why" (its own service with a feed directory).
mod feeds;
/// Frame pictures: SVG and PNG, colourways, widths, caching (same harness).
mod images;
/// Compact views, HTTP caching and compression (same harness).
mod mobile;
/// The offline bundle (same harness).
mod offline_bundle;
/// The OpenAPI document against this router (same harness).
mod openapi;
/// The shopper's taste route (its own demo shop with histories).
mod taste;
/// "Why this pick?" (same harness).
mod why;

const SECRET: &[u8] = b"api-tests-secret-of-32-bytes!!!!";

struct Harness {
    app: Router,
    style_id: String,
}

async fn harness() -> Harness {
    let data = demo::generate(&DemoConfig {
        customers: 5,
        ..DemoConfig::small()
    });
    let service = Framewise::open(memory_stores(), ServiceConfig::default())
        .await
        .unwrap();
    service.import_styles(&data.styles).await.unwrap();
    let style_id = data.styles[0].id.clone();
    let verifier = TokenVerifier::with_secret(SECRET.to_vec(), AuthConfig::default());
    Harness {
        app: bearer_auth(router(Arc::new(service)), Arc::new(verifier)),
        style_id,
    }
}

fn token(customer: Option<&str>, scopes: &[&str]) -> String {
    DevTokenIssuer::new(SECRET.to_vec())
        .mint(customer, scopes, 600, Utc::now(), &AuthConfig::default())
        .unwrap()
}

fn signal_body(customer: Option<&str>, session: Option<&str>, style: &str) -> String {
    let mut signal = json!({"event_id": format!("e-{}", uuid::Uuid::new_v4()), "kind": "view",
        "style_id": style, "timestamp": Utc::now().to_rfc3339()});
    if let Some(c) = customer {
        signal["customer_id"] = json!(c);
    }
    if let Some(s) = session {
        signal["session_id"] = json!(s);
    }
    json!({ "signals": [signal] }).to_string()
}

impl Harness {
    async fn call(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<String>,
    ) -> (StatusCode, Value, Option<String>) {
        let mut request = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(t) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let request = request
            .body(body.map(Body::from).unwrap_or_default())
            .unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let challenge = response
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, body, challenge)
    }

    /// A concrete request for a route of the table, about shopper `c1` / session `s1`.
    fn request_for(&self, method: &str, path: &str) -> (String, Option<String>) {
        let uri = path
            .replace("{customer_id}", "c1")
            .replace("{session_id}", "s1")
            .replace("{style_id}", &self.style_id)
            .replace("{experiment_id}", "exp-1");
        let body = match (method, path) {
            ("PUT", _) => Some(r#"{"face_shape":"round"}"#.to_string()),
            ("POST", "/v1/signals") => Some(signal_body(Some("c1"), None, &self.style_id)),
            ("POST", "/v1/experiments") => Some(experiment_body("exp-1")),
            ("POST", _) => Some(signal_body(None, Some("s1"), &self.style_id)),
            _ => None,
        };
        (uri, body)
    }
}

#[tokio::test]
async fn when_customer_route_called_without_token_or_as_another_shopper_should_refuse() {
    let h = harness().await;
    let owner = token(Some("c1"), &[]);
    let stranger = token(Some("c2"), &[]);
    let mut token_routes = 0;
    for &(method, path, access) in ROUTES {
        if access != RouteAccess::Token {
            continue;
        }
        token_routes += 1;
        let (uri, body) = h.request_for(method, path);
        let (status, answer, challenge) = h.call(method, &uri, None, body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{method} {path}: {answer}"
        );
        assert_eq!(
            answer["error"]["code"],
            json!("unauthorized"),
            "{method} {path}"
        );
        assert_eq!(answer["error"]["field"], json!("authorization"));
        assert!(
            challenge.is_some_and(|c| c.starts_with("Bearer")),
            "{method} {path}"
        );

        let (status, answer, _) = h.call(method, &uri, Some(&stranger), body.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {answer}");
        assert_eq!(answer["error"]["code"], json!("forbidden"));

        let (status, answer, _) = h.call(method, &uri, Some(&owner), body).await;
        assert!(
            status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
            "the owner is refused on {method} {path}: {status} {answer}"
        );
    }
    assert!(token_routes >= 6, "the table lost its customer routes");
}

#[tokio::test]
async fn when_public_route_called_anonymously_should_answer_without_a_token() {
    let h = harness().await;
    for &(method, path, access) in ROUTES {
        if access != RouteAccess::Public {
            continue;
        }
        let (uri, body) = h.request_for(method, path);
        let (status, answer, _) = h.call(method, &uri, None, body).await;
        assert!(status.is_success(), "{method} {path}: {status} {answer}");
    }
}

#[tokio::test]
async fn when_every_table_route_is_requested_should_reach_a_handler() {
    let h = harness().await;
    let admin = token(Some("ops"), &["framewise/admin", "framewise/service"]);
    for &(method, path, _) in ROUTES {
        let (uri, body) = h.request_for(method, path);
        let (status, answer, _) = h.call(method, &uri, Some(&admin), body).await;
        assert_ne!(
            answer["error"]["message"],
            json!("no such route"),
            "{method} {path}"
        );
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
    }
    let (status, _, _) = h
        .call("GET", "/v1/customers/c1/nothing", Some(&admin), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn when_token_is_bad_should_answer_401_even_on_public_routes() {
    let h = harness().await;
    for bad in ["garbage", "a.b.c"] {
        let (status, answer, _) = h.call("GET", "/v1/trending", Some(bad), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(answer["error"]["code"], json!("invalid_token"));
        assert!(
            !answer.to_string().contains(bad),
            "the token is never echoed"
        );
    }
}

#[tokio::test]
async fn when_prescription_requested_should_answer_only_its_owner() {
    let h = harness().await;
    let profile = r#"{"prescription":"OD -9.00 OS -8.50 PD 61.5"}"#.to_string();
    let owner = token(Some("c1"), &[]);
    let service = token(None, &["framewise/service"]);
    let admin = token(None, &["framewise/admin"]);
    let put = h
        .call(
            "PUT",
            "/v1/customers/c1/profile",
            Some(&service),
            Some(profile),
        )
        .await;
    assert_eq!(put.0, StatusCode::OK, "{}", put.1);
    let uri = "/v1/customers/c1/profile?include=prescription";
    let (status, body, _) = h.call("GET", uri, Some(&owner), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["prescription"]["od"]["sph"], json!(-9.0));
    for other in [&service, &admin] {
        let (status, body, _) = h.call("GET", uri, Some(other), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert!(!body.to_string().contains("-9"));
    }
    let (_, body, _) = h.call("GET", uri, Some(&service), None).await;
    assert_eq!(body["error"]["field"], json!("include"));
    // The service sees the redacted profile and lens advice (it serves the shop's pages).
    let (status, body, _) = h
        .call("GET", "/v1/customers/c1/profile", Some(&service), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.get("prescription").is_none());
}

#[tokio::test]
async fn when_signals_posted_should_allow_own_or_service_and_anonymous_only_by_session() {
    let h = harness().await;
    let style = h.style_id.clone();
    let c1 = token(Some("c1"), &[]);
    let service = token(None, &["framewise/service"]);
    let post = |uri: &'static str, t: Option<String>, body: String| {
        let h = &h;
        async move { h.call("POST", uri, t.as_deref(), Some(body)).await }
    };
    let (status, _, _) = post(
        "/v1/signals",
        Some(c1.clone()),
        signal_body(Some("c1"), None, &style),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, body, _) = post(
        "/v1/signals",
        Some(c1),
        signal_body(Some("c2"), None, &style),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["field"], json!("signals[0].customer_id"));
    let (status, _, _) = post(
        "/v1/signals",
        Some(service),
        signal_body(Some("c2"), None, &style),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);

    let session = "/v1/sessions/s1/signals";
    let (status, body, _) = post(session, None, signal_body(Some("c1"), Some("s1"), &style)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["field"], json!("signals[0].customer_id"));
    let (status, body, _) = post(session, None, signal_body(None, Some("s2"), &style)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["field"], json!("signals[0].session_id"));
    let (status, _, _) = post(session, None, signal_body(None, Some("s1"), &style)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn when_session_list_requested_should_never_carry_a_customer() {
    let h = harness().await;
    // Shopper c1 has a prescription and a history; a session that happens to be called
    // "c1" must see none of it.
    let service = token(None, &["framewise/service"]);
    let profile = r#"{"prescription":"OD -4.00 OS -4.00 PD 62"}"#.to_string();
    let signals = signal_body(Some("c1"), None, &h.style_id);
    h.call(
        "PUT",
        "/v1/customers/c1/profile",
        Some(&service),
        Some(profile),
    )
    .await;
    h.call("POST", "/v1/signals", Some(&service), Some(signals))
        .await;
    let (status, body, _) = h
        .call("GET", "/v1/sessions/c1/recommendations?limit=5", None, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["session_id"], json!("c1"));
    assert!(body.get("customer_id").is_none(), "{body}");
    let items = body["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 5);
    assert!(items.iter().all(|i| i.get("lens").is_none()), "{body}");
    assert_eq!(body["source"], json!("cold_start"));
}

#[tokio::test]
async fn when_uri_or_headers_are_too_large_should_answer_with_the_json_error_shape() {
    let h = harness().await;
    let long = format!("/v1/trending?category={}", "a".repeat(super::MAX_URI_BYTES));
    let (status, body, _) = h.call("GET", &long, None, None).await;
    assert_eq!(status, StatusCode::URI_TOO_LONG);
    assert_eq!(body["error"]["code"], json!("uri_too_long"));

    let mut request = Request::builder().uri("/v1/trending");
    for i in 0..=super::MAX_HEADERS {
        request = request.header(format!("x-padding-{i}"), "1");
    }
    let response = h
        .app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(body["error"]["field"], json!("headers"));
}

#[tokio::test]
async fn when_shopper_data_is_exported_or_erased_should_allow_only_owner_or_admin() {
    let h = harness().await;
    let service = token(None, &["framewise/service"]);
    let admin = token(None, &["framewise/admin"]);
    let owner = token(Some("c1"), &[]);
    let profile = r#"{"prescription":"OD -3.00 OS -3.25 PD 63"}"#.to_string();
    let signals = signal_body(Some("c1"), None, &h.style_id);
    h.call(
        "PUT",
        "/v1/customers/c1/profile",
        Some(&owner),
        Some(profile),
    )
    .await;
    h.call("POST", "/v1/signals", Some(&owner), Some(signals))
        .await;

    let export = "/v1/customers/c1/export";
    let (status, _, _) = h.call("GET", export, Some(&service), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the backend may not export");
    let (status, body, _) = h.call("GET", export, Some(&admin), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["customer_id"], json!("c1"));
    assert_eq!(body["profile"]["prescription"]["os"]["sph"], json!(-3.25));
    let (status, _, _) = h
        .call("DELETE", "/v1/customers/c1", Some(&service), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the backend may not erase");

    let (status, body, _) = h
        .call("DELETE", "/v1/customers/c1", Some(&owner), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["deleted"]["profiles"], json!(1));
    assert_eq!(body["deleted"]["prescriptions"], json!(1));
    let (status, _, _) = h
        .call("GET", "/v1/customers/c1/profile", Some(&owner), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = h.call("GET", export, Some(&owner), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing left to export");
}

#[tokio::test]
async fn when_cursor_is_empty_should_answer_the_first_page() {
    // Found by the schema fuzzer: `cursor=` was a 400 while an empty `placement=` or
    // `session_id=` counted as absent; a client template without a cursor yet sends it.
    let h = harness().await;
    let owner = token(Some("c1"), &[]);
    for uri in [
        "/v1/customers/c1/recommendations?limit=2&cursor=",
        "/v1/sessions/s1/recommendations?limit=2&cursor=",
    ] {
        let (status, body, _) = h.call("GET", uri, Some(&owner), None).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        assert_eq!(body["items"].as_array().map(Vec::len), Some(2), "{uri}");
    }
}

#[tokio::test]
async fn when_admin_route_is_called_should_refuse_shoppers_and_the_service_and_answer_admins() {
    let h = harness().await;
    let shopper = token(Some("c1"), &[]);
    let service = token(None, &["framewise/service"]);
    let admin = token(None, &["framewise/admin"]);
    let mut admin_routes = 0;
    for &(method, path, access) in ROUTES {
        if access != RouteAccess::Admin {
            continue;
        }
        admin_routes += 1;
        let uri = path
            .replace("{experiment_id}", "exp-1")
            .replace("{style_id}", &h.style_id);
        let body = match method {
            "POST" => Some(experiment_body("exp-1")),
            "PATCH" => Some(r#"{"active": true}"#.to_string()),
            _ => None,
        };
        let (status, _, _) = h.call(method, &uri, None, body.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
        for refused in [&shopper, &service] {
            let (status, answer, _) = h.call(method, &uri, Some(refused), body.clone()).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {answer}");
        }
    }
    assert_eq!(admin_routes, 6);

    let (status, created, _) = h
        .call(
            "POST",
            "/v1/experiments",
            Some(&admin),
            Some(experiment_body("exp-1")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, list, _) = h.call("GET", "/v1/experiments", Some(&admin), None).await;
    assert_eq!(
        (status, list[0]["id"].clone()),
        (StatusCode::OK, json!("exp-1"))
    );
    let (status, report, _) = h
        .call("GET", "/v1/experiments/exp-1/report", Some(&admin), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["variants"].as_array().map(Vec::len), Some(2));
    let (status, missing, _) = h
        .call("GET", "/v1/experiments/nope/report", Some(&admin), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");

    let mut unknown: Value = serde_json::from_str(&experiment_body("exp-2")).unwrap();
    unknown["variants"][1]["weight"] = json!(2);
    let (status, answer, _) = h
        .call(
            "POST",
            "/v1/experiments",
            Some(&admin),
            Some(unknown.to_string()),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["error"]["field"], json!("variants[1].weight"));
    let (status, answer, _) = h
        .call("GET", "/v1/metrics?from=2026-13-01", Some(&admin), None)
        .await;
    assert_eq!(
        (status, answer["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("from"))
    );
}

fn experiment_body(id: &str) -> String {
    json!({
        "id": id,
        "placement": "home",
        "variants": [
            {"name": "control", "share": 0.5},
            {"name": "fewer-reasons", "share": 0.5, "settings": {"engine": {"max_reasons": 1}}}
        ],
        "primary_metric": "ctr",
        "guardrails": ["return_rate"],
        "start": Utc::now().to_rfc3339(),
    })
    .to_string()
}

//! Access through the API functions as API Gateway hands them requests: 401 without the
//! JWT authorizer's claims, 403 for another shopper, the owner and the service where the
//! rules allow them (the rules themselves: `shared/src/api/tests.rs`).

use std::sync::Arc;
use std::time::Duration;

use framewise::auth::AuthConfig;
use framewise::service::{Framewise, ModelRefresh, ServiceConfig};
use framewise_integration_tests::apigw::{self, call, Caller};
use framewise_lambda::Access;
use tower::ServiceExt;

#[path = "functions_demo.rs"]
mod functions_demo;
use functions_demo::demo_stores;

/// Every customer route of the three API functions, as the gateway would route it.
async fn api_functions() -> Vec<(
    &'static str,
    &'static str,
    Option<&'static str>,
    axum::Router,
)> {
    let stores = demo_stores().await;
    let read_only =
        framewise_lambda::open(stores.clone(), ServiceConfig::default(), Access::ReadOnly)
            .await
            .expect("read-only service");
    let read_write = Arc::new(
        Framewise::open(stores.clone(), ServiceConfig::default())
            .await
            .expect("service"),
    );
    let recommendations = recommendations_api::app(
        read_only,
        Arc::new(ModelRefresh::new(Duration::from_secs(60))),
    );
    let profiles = profiles_api::app(read_write);
    let signals = signals_api::app(stores.queue.clone(), AuthConfig::default());
    let signal = r#"{"signals":[{"event_id":"e-auth","customer_id":"cu-00003","kind":"view","style_id":"st-0001","timestamp":"2026-01-05T10:00:00Z"}]}"#;
    vec![
        (
            "GET",
            "/v1/customers/cu-00003/recommendations",
            None,
            recommendations,
        ),
        (
            "PUT",
            "/v1/customers/cu-00003/profile",
            Some(r#"{"face_shape":"oval"}"#),
            profiles.clone(),
        ),
        (
            "GET",
            "/v1/customers/cu-00003/profile",
            None,
            profiles.clone(),
        ),
        (
            "GET",
            "/v1/customers/cu-00003/lens-recommendation",
            None,
            profiles.clone(),
        ),
        (
            "DELETE",
            "/v1/customers/cu-00003/profile",
            None,
            profiles.clone(),
        ),
        (
            "GET",
            "/v1/customers/cu-00003/export",
            None,
            profiles.clone(),
        ),
        ("DELETE", "/v1/customers/cu-00003", None, profiles),
        ("POST", "/v1/signals", Some(signal), signals),
    ]
}

#[tokio::test]
async fn when_customer_route_reaches_a_function_without_claims_or_as_another_shopper_should_refuse()
{
    for (method, path, body, app) in api_functions().await {
        let (status, answer) = call(
            app.clone(),
            apigw::request(method, path, body, Caller::Anonymous),
        )
        .await;
        assert_eq!(status, 401, "{method} {path}: {answer}");
        assert_eq!(answer["error"]["code"], "unauthorized");
        let stranger = Caller::Shopper("cu-00004");
        let (status, answer) =
            call(app.clone(), apigw::request(method, path, body, stranger)).await;
        assert_eq!(status, 403, "{method} {path}: {answer}");
        assert_eq!(answer["error"]["code"], "forbidden");
        let response = app
            .oneshot(apigw::request(
                method,
                path,
                body,
                Caller::Shopper("cu-00003"),
            ))
            .await
            .expect("router is infallible");
        let status = response.status().as_u16();
        assert!(
            status != 401 && status != 403,
            "the owner is refused on {method} {path}: {status}"
        );
    }
}

#[tokio::test]
async fn when_service_token_asks_for_a_prescription_should_refuse_but_serve_lists_and_signals() {
    let stores = demo_stores().await;
    let service = Arc::new(
        Framewise::open(stores.clone(), ServiceConfig::default())
            .await
            .expect("service"),
    );
    let profile = r#"{"prescription": "OD -9.00 OS -8.50 PD 61.5"}"#;
    let path = "/v1/customers/cu-00005/profile";
    let (status, body) = call(
        profiles_api::app(service.clone()),
        apigw::request("PUT", path, Some(profile), Caller::Service),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let full = "/v1/customers/cu-00005/profile?include=prescription";
    let (status, body) = call(
        profiles_api::app(service.clone()),
        apigw::request("GET", full, None, Caller::Service),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(!body.to_string().contains("-9"), "{body}");
    let (status, body) = call(
        profiles_api::app(service),
        apigw::request("GET", full, None, Caller::Shopper("cu-00005")),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["prescription"]["od"]["sph"], -9.0);

    let signals = signals_api::app(stores.queue.clone(), AuthConfig::default());
    let anonymous = r#"{"signals":[{"event_id":"e-s1","session_id":"sess-7","kind":"view","style_id":"st-0001","timestamp":"2026-01-05T10:00:00Z"}]}"#;
    let (status, body) = call(
        signals.clone(),
        apigw::request(
            "POST",
            "/v1/sessions/sess-7/signals",
            Some(anonymous),
            Caller::Anonymous,
        ),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let as_customer = anonymous.replace(
        r#""session_id":"sess-7""#,
        r#""session_id":"sess-7","customer_id":"cu-00001""#,
    );
    let (status, body) = call(
        signals,
        apigw::request(
            "POST",
            "/v1/sessions/sess-7/signals",
            Some(&as_customer),
            Caller::Anonymous,
        ),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["field"], "signals[0].customer_id");
}

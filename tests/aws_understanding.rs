//! Context and understanding behind API Gateway (issue 14): `recommendations-api` over
//! DynamoDB, S3 and SQS (moto) re-ranks lists by occasion, place and the weather from a
//! forecast API (a local stub of Open-Meteo the test starts, configured as on a real
//! deployment) exactly as the local router over the same stores does.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::Json;
use chrono::{DateTime, Timelike, Utc};
use framewise::adapters::aws::aws_stores;
use framewise::adapters::weather;
use framewise::api::{bearer_auth, router};
use framewise::auth::{AuthConfig, DevTokenIssuer, TokenVerifier};
use framewise::demo::DemoConfig;
use framewise::service::{Framewise, ModelRefresh, ServiceConfig, WeatherConfig};
use framewise_integration_tests::apigw::Caller;
use framewise_integration_tests::gateway::{locally, through_gateway};
use framewise_integration_tests::moto::Moto;
use framewise_integration_tests::seed_demo;
use framewise_lambda::Access;
use serde_json::{json, Value};

const SECRET: &[u8] = b"aws-understand-tests-secret-32-b";

/// A forecast API answering a sunny Sydney noon (UV 9) to every place; counts its calls.
async fn forecast_stub() -> (String, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let app = axum::Router::new().route(
        "/v1/forecast",
        get(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            async {
                Json(json!({
                    "utc_offset_seconds": 39600,
                    "current": {"time": "2026-01-04T12:00", "temperature_2m": 29.0, "precipitation": 0.0},
                    "hourly": {"time": ["2026-01-04T11:00", "2026-01-04T12:00"],
                               "uv_index": [8.0, 9.0], "sunshine_duration": [3600.0, 3600.0]}
                }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{address}"), calls)
}

/// The answer without what differs between two processes serving the same list (ids and
/// times of lists computed on request), at any depth.
fn comparable(mut answer: Value) -> Value {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(object) => {
                for key in ["recommendation_id", "generated_at", "next_cursor", "href"] {
                    object.remove(key);
                }
                object.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut answer);
    answer
}

#[tokio::test]
async fn when_lists_carry_a_context_the_function_should_answer_as_the_local_server_does() {
    let moto = Moto::shared();
    let (settings, clients) = moto.fresh("understanding", 5).await;
    let stores = aws_stores(&clients, &settings);
    let end = DateTime::parse_from_rfc3339("2026-01-04T00:00:00Z")
        .expect("time")
        .with_timezone(&Utc);
    seed_demo(
        &stores,
        &DemoConfig {
            styles: 60,
            customers: 6,
            days: 10,
            end,
            ..DemoConfig::small()
        },
    )
    .await;
    let (forecast_url, forecast_calls) = forecast_stub().await;
    let config = ServiceConfig {
        weather: WeatherConfig {
            url: forecast_url.clone(),
            timeout_ms: 2000,
            ..WeatherConfig::default()
        },
        ..ServiceConfig::default()
    };
    let local = Framewise::open(stores.clone(), config.clone())
        .await
        .expect("service");
    local
        .regenerate(Utc::now(), &|_, _| {})
        .await
        .expect("lists precomputed");
    let source = weather::from_url(&forecast_url, Duration::from_secs(2))
        .expect("client")
        .expect("configured");
    let local = local.with_weather(source);
    let verifier = TokenVerifier::with_secret(SECRET.to_vec(), AuthConfig::default());
    let local = bearer_auth(router(Arc::new(local)), Arc::new(verifier));
    let api_service =
        framewise_lambda::open(aws_stores(&clients, &settings), config, Access::ReadOnly)
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

    // Occasion and coordinates: the forecast is read by the function itself.
    let beach =
        "/v1/customers/cu-00001/recommendations?limit=20&occasion=beach&lat=-33.87&lon=151.21";
    let (document, gateway) = through_gateway(&lambda, beach, as_shopper, &[]).await;
    assert_eq!(gateway.status, 200, "{document}");
    let server = locally(&local, beach, Some(&shopper), &[]).await;
    assert_eq!(comparable(gateway.json()), comparable(server.json()));
    let page = gateway.json();
    let context = &page["context"];
    assert_eq!(context["occasion"], json!("beach"));
    assert_eq!(context["hemisphere"], json!("south"));
    assert_eq!(context["weather"]["uv_index"], json!(9.0));
    // The forecast's UTC offset (+11 h) gives the local hour (the clock may tick over).
    let sydney_hour = |at: DateTime<Utc>| json!((at.hour() + 11) % 24);
    let hour = &context["local_hour"];
    let earlier = Utc::now() - chrono::Duration::minutes(5);
    assert!(
        *hour == sydney_hour(Utc::now()) || *hour == sydney_hour(earlier),
        "{hour}"
    );
    assert!(
        forecast_calls.load(Ordering::SeqCst) >= 2,
        "both processes asked"
    );
    let items = page["items"].as_array().cloned().unwrap_or_default();
    let lifted_by_uv: Vec<&Value> = items
        .iter()
        .filter(|i| {
            i["reasons"]
                .as_array()
                .is_some_and(|r| r.iter().any(|r| r["code"] == json!("uv_today")))
        })
        .collect();
    assert!(!lifted_by_uv.is_empty(), "{page}");
    assert!(lifted_by_uv
        .iter()
        .all(|i| i["category"] == json!("sun") || i["category"] == json!("sport")));
    // The same city again: cached, no new forecast call from the function.
    let before = forecast_calls.load(Ordering::SeqCst);
    through_gateway(&lambda, beach, as_shopper, &[]).await;
    assert_eq!(forecast_calls.load(Ordering::SeqCst), before);

    // The viewer's country from CloudFront, through the gateway's headers.
    let list = "/v1/sessions/s-9/recommendations?limit=5";
    let headers = [("cloudfront-viewer-country", "NZ")];
    let (document, gateway) = through_gateway(&lambda, list, Caller::Anonymous, &headers).await;
    assert_eq!(gateway.status, 200, "{document}");
    assert_eq!(gateway.json()["context"]["country"], json!("NZ"));
    assert_eq!(gateway.json()["context"]["hemisphere"], json!("south"));

    // A bad parameter: the same 400 naming it on both.
    let bad = "/v1/customers/cu-00001/recommendations?occasion=skydiving";
    let (_, gateway) = through_gateway(&lambda, bad, as_shopper, &[]).await;
    let server = locally(&local, bad, Some(&shopper), &[]).await;
    assert_eq!(gateway, server);
    assert_eq!(gateway.status, 400);
    assert_eq!(gateway.json()["error"]["field"], json!("occasion"));

    // Understanding routes: the same answers from the function and the server, owner only.
    let style = page["items"][0]["style_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    for uri in [
        format!("/v1/customers/cu-00001/recommendations/{style}/why?top=12"),
        "/v1/customers/cu-00001/taste".to_string(),
        "/v1/customers/cu-00001/content?page=home&occasion=beach".to_string(),
    ] {
        let (document, gateway) = through_gateway(&lambda, &uri, as_shopper, &[]).await;
        assert_eq!(gateway.status, 200, "{uri}: {document}");
        let server = locally(&local, &uri, Some(&shopper), &[]).await;
        assert_eq!(
            comparable(gateway.json()),
            comparable(server.json()),
            "{uri}"
        );
        let (_, stranger) = through_gateway(&lambda, &uri, Caller::Shopper("cu-00002"), &[]).await;
        assert_eq!(stranger.status, 403, "{uri}");
    }
}

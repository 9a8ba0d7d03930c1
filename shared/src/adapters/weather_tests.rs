//! The Open-Meteo adapter against a local stub of the forecast API (started by each test),
//! alone and behind the service: readings parsed, cached per place, and a slow or failing
//! forecast never fails a list.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::*;
use crate::domain::Context;
use crate::service::{Framewise, RecommendationQuery, ServiceConfig, WeatherConfig};

/// How the stub answers.
#[derive(Clone, Copy)]
enum Behaviour {
    Sunny,
    Failing,
    Slow,
}

#[derive(Clone)]
struct Stub {
    behaviour: Behaviour,
    calls: Arc<AtomicUsize>,
    last_query: Arc<std::sync::Mutex<HashMap<String, String>>>,
}

fn forecast_body() -> Value {
    json!({
        "latitude": -33.875, "longitude": 151.25, "utc_offset_seconds": 39600,
        "timezone": "Australia/Sydney",
        "current": {"time": "2025-10-01T13:15", "interval": 900, "temperature_2m": 27.4, "precipitation": 0.0},
        "hourly": {
            "time": ["2025-10-01T12:00", "2025-10-01T13:00", "2025-10-01T14:00"],
            "uv_index": [7.5, 8.2, 7.9],
            "sunshine_duration": [3600.0, 2700.0, 3600.0]
        }
    })
}

async fn forecast(
    State(stub): State<Stub>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, StatusCode> {
    stub.calls.fetch_add(1, Ordering::SeqCst);
    if let Ok(mut last) = stub.last_query.lock() {
        *last = query;
    }
    match stub.behaviour {
        Behaviour::Sunny => Ok(Json(forecast_body())),
        Behaviour::Failing => Err(StatusCode::INTERNAL_SERVER_ERROR),
        Behaviour::Slow => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            Ok(Json(forecast_body()))
        }
    }
}

/// Serves the stub on a free local port; returns its base URL.
async fn start_stub(behaviour: Behaviour) -> (String, Stub) {
    let stub = Stub {
        behaviour,
        calls: Arc::new(AtomicUsize::new(0)),
        last_query: Arc::default(),
    };
    let app = Router::new()
        .route("/v1/forecast", get(forecast))
        .with_state(stub.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{address}"), stub)
}

fn sydney() -> Coordinates {
    Coordinates::new(-33.87, 151.21).unwrap()
}

#[tokio::test]
async fn when_forecast_answers_should_read_this_hours_uv_and_local_offset() {
    let (url, stub) = start_stub(Behaviour::Sunny).await;
    let source = OpenMeteo::new(&url, Duration::from_secs(2)).unwrap();
    let weather = source.current(sydney()).await.unwrap();
    assert_eq!(weather.uv_index, 8.2, "the 13:00 slot, not the first");
    assert_eq!(weather.temperature_c, 27.4);
    assert!((weather.sunshine - 0.75).abs() < 1e-6);
    assert_eq!(weather.utc_offset_minutes, Some(660));
    let query = stub.last_query.lock().unwrap().clone();
    assert_eq!(query.get("latitude").map(String::as_str), Some("-33.87"));
    assert_eq!(query.get("timezone").map(String::as_str), Some("auto"));
    assert!(query["hourly"].contains("uv_index"));
}

#[tokio::test]
async fn when_forecast_fails_or_url_is_empty_should_say_so() {
    let (url, _) = start_stub(Behaviour::Failing).await;
    let source = OpenMeteo::new(&url, Duration::from_secs(2)).unwrap();
    assert!(matches!(
        source.current(sydney()).await,
        Err(WeatherError::Status { status: 500 })
    ));
    assert!(from_url("  ", Duration::from_secs(1)).unwrap().is_none());
}

async fn service_with(url: &str, timeout_ms: u64) -> (Framewise, chrono::DateTime<chrono::Utc>) {
    let data = crate::demo::generate(&crate::demo::DemoConfig {
        styles: 60,
        customers: 20,
        days: 30,
        ..crate::demo::DemoConfig::default()
    });
    let config = ServiceConfig {
        weather: WeatherConfig {
            url: url.into(),
            timeout_ms,
            ..WeatherConfig::default()
        },
        ..ServiceConfig::default()
    };
    let source = from_url(url, Duration::from_millis(timeout_ms))
        .unwrap()
        .unwrap();
    let service = Framewise::open(crate::adapters::memory_stores(), config)
        .await
        .unwrap()
        .with_weather(source);
    service.import_styles(&data.styles).await.unwrap();
    (service, crate::demo::DemoConfig::default().end)
}

fn at_sydney() -> RecommendationQuery {
    RecommendationQuery {
        limit: Some(20),
        context: Context {
            coordinates: Some(sydney()),
            ..Context::default()
        },
        ..RecommendationQuery::default()
    }
}

#[tokio::test]
async fn when_list_has_coordinates_should_lift_sunglasses_by_uv_once_per_place() {
    let (url, stub) = start_stub(Behaviour::Sunny).await;
    let (service, now) = service_with(&url, 2000).await;
    let page = service
        .session_recommendations("s-1", at_sydney(), now)
        .await
        .unwrap();
    let context = page.context.expect("context echoed");
    assert_eq!(context.weather.map(|w| w.uv_index), Some(8.2));
    assert_eq!(context.local_hour, Some(11), "00:00 UTC + 11 h");
    assert!(context.advice.iter().any(|a| a.contains("category 3")));
    let lifted: Vec<_> = page
        .items
        .iter()
        .filter(|i| i.reasons.iter().any(|r| r.code == "uv_today"))
        .collect();
    assert!(!lifted.is_empty());
    assert!(lifted.iter().all(|i| matches!(
        i.category,
        crate::domain::Category::Sun | crate::domain::Category::Sport
    )));
    // Same city, next request: the cached reading.
    service
        .session_recommendations("s-2", at_sydney(), now)
        .await
        .unwrap();
    assert_eq!(stub.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn when_forecast_is_slow_or_down_should_serve_the_list_without_weather() {
    for behaviour in [Behaviour::Slow, Behaviour::Failing] {
        let (url, _) = start_stub(behaviour).await;
        let (service, now) = service_with(&url, 150).await;
        let started = Instant::now();
        let page = service
            .session_recommendations("s-1", at_sydney(), now)
            .await
            .unwrap();
        assert!(started.elapsed() < Duration::from_secs(2));
        let context = page.context.expect("coordinates still apply");
        assert_eq!(context.weather, None);
        assert!(page
            .items
            .iter()
            .all(|i| i.reasons.iter().all(|r| r.code != "uv_today")));
        assert!(!page.items.is_empty());
    }
}

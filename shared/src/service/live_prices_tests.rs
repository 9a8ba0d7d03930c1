//! Live prices through the HTTP adapter against a local server: the page shows the live
//! price, the cache answers within the TTL and asks again after it, a slow or failing
//! source leaves catalogue prices without failing the request.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;

use super::*;
use crate::adapters::memory_stores;
use crate::adapters::prices::HttpPrices;
use crate::demo::{self, DemoConfig};
use crate::ports::PriceSourceKind;

/// What the pricing server does: the price it gives every style, how long it waits, and
/// whether it fails; it counts the calls.
#[derive(Default)]
struct PricingServer {
    price: AtomicU32,
    delay_ms: AtomicU32,
    failing: std::sync::atomic::AtomicBool,
    calls: AtomicUsize,
}

async fn answer(
    State(server): State<Arc<PricingServer>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    server.calls.fetch_add(1, Ordering::SeqCst);
    let delay = server.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(u64::from(delay))).await;
    }
    if server.failing.load(Ordering::SeqCst) {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let price = server.price.load(Ordering::SeqCst);
    let prices: HashMap<&str, u32> = query
        .get("style_ids")
        .map(|ids| ids.split(',').map(|id| (id, price)).collect())
        .unwrap_or_default();
    Json(prices).into_response()
}

/// A pricing server on a local port, and its base URL.
async fn pricing_server(price: u32) -> (Arc<PricingServer>, String) {
    let server = Arc::new(PricingServer::default());
    server.price.store(price, Ordering::SeqCst);
    let app = Router::new()
        .route("/prices", get(answer))
        .with_state(server.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (server, format!("http://{address}/prices"))
}

/// A small shop whose prices come from `url`, cached `ttl_seconds`, `timeout_ms` per call.
async fn shop(url: &str, ttl_seconds: u64, timeout_ms: u64) -> Framewise {
    let data = demo::generate(&DemoConfig {
        styles: 20,
        customers: 5,
        days: 5,
        ..DemoConfig::default()
    });
    let stores = memory_stores();
    stores.catalog.put_styles(&data.styles).await.unwrap();
    let config = ServiceConfig {
        pricing: PricingConfig {
            source: PriceSourceKind::Http,
            url: url.to_string(),
            ttl_seconds,
            timeout_ms,
            ..PricingConfig::default()
        },
        ..ServiceConfig::default()
    };
    // The client's own timeout is long: the service's must be the one that cuts a slow call.
    let source = HttpPrices::new(url, Duration::from_secs(10)).unwrap();
    Framewise::open(stores, config)
        .await
        .unwrap()
        .with_prices(Arc::new(source))
}

fn ids(service: &Framewise) -> Vec<String> {
    service
        .engine()
        .styles()
        .take(3)
        .map(|s| s.id.clone())
        .collect()
}

#[tokio::test]
async fn when_a_source_is_configured_a_served_page_should_show_the_live_price() {
    let (server, url) = pricing_server(4_242).await;
    let service = shop(&url, 60, 2_000).await;
    let page = service
        .session_recommendations("sess-live", RecommendationQuery::default(), Utc::now())
        .await
        .unwrap();
    assert!(!page.items.is_empty());
    assert!(
        page.items.iter().all(|i| i.price_cents == 4_242),
        "{:?}",
        page.items.iter().map(|i| i.price_cents).collect::<Vec<_>>()
    );
    assert_eq!(server.calls.load(Ordering::SeqCst), 1, "one call per page");
}

#[tokio::test]
async fn when_prices_are_younger_than_the_ttl_should_answer_from_the_cache_and_ask_again_after() {
    let (server, url) = pricing_server(1_000).await;
    let service = shop(&url, 1, 2_000).await;
    let styles = ids(&service);
    let first = service.live_prices(&styles).await;
    assert_eq!(first.get(&styles[0]), Some(&1_000));
    server.price.store(2_000, Ordering::SeqCst);
    let cached = service.live_prices(&styles).await;
    assert_eq!(cached.get(&styles[0]), Some(&1_000), "within the TTL");
    assert_eq!(server.calls.load(Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let fresh = service.live_prices(&styles).await;
    assert_eq!(fresh.get(&styles[0]), Some(&2_000), "after the TTL");
    assert_eq!(server.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn when_the_source_is_slower_than_the_timeout_should_serve_catalogue_prices_in_time() {
    let (server, url) = pricing_server(4_242).await;
    server.delay_ms.store(1_500, Ordering::SeqCst);
    let service = shop(&url, 60, 100).await;
    let started = Instant::now();
    let page = service
        .session_recommendations("sess-slow", RecommendationQuery::default(), Utc::now())
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(1_000),
        "{:?}",
        started.elapsed()
    );
    let engine = service.engine();
    for item in &page.items {
        let catalogue = engine.style(&item.style_id).unwrap().price_cents;
        assert_eq!(item.price_cents, catalogue, "{}", item.style_id);
    }
    // A failed source is left alone for the TTL: the next page does not wait again.
    service
        .session_recommendations("sess-slow", RecommendationQuery::default(), Utc::now())
        .await
        .unwrap();
    assert_eq!(server.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn when_the_source_fails_should_serve_catalogue_prices() {
    let (server, url) = pricing_server(4_242).await;
    server.failing.store(true, Ordering::SeqCst);
    let service = shop(&url, 60, 2_000).await;
    let styles = ids(&service);
    assert!(service.live_prices(&styles).await.is_empty());
    let page = service
        .session_recommendations("sess-down", RecommendationQuery::default(), Utc::now())
        .await
        .unwrap();
    assert!(!page.items.is_empty());
    assert!(page.items.iter().all(|i| i.price_cents != 4_242));
}

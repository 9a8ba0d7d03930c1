//! Trend feeds through the router: a style the feed names comes back on the shopper's list
//! with "Trending now" (and no other item claims it), and "why" shows the lift as its own
//! component.

use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::{json, Value};

use super::mobile::{auth, get};
use super::{bearer_auth, router, token, SECRET};
use crate::adapters::{memory_stores, LocalFeedSource};
use crate::auth::{AuthConfig, TokenVerifier};
use crate::demo::{self, DemoConfig};
use crate::service::{Framewise, ServiceConfig};

fn codes(item: &Value) -> Vec<&str> {
    item["reasons"]
        .as_array()
        .map(|r| r.iter().filter_map(|r| r["code"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn when_feed_names_a_style_should_list_it_trending_now_and_explain_the_lift() {
    let data = demo::generate(&DemoConfig {
        customers: 5,
        ..DemoConfig::small()
    });
    let style_id = data
        .styles
        .iter()
        .find(|s| s.is_available())
        .map(|s| s.id.clone())
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let trends = dir.path().join("feeds/trends");
    std::fs::create_dir_all(&trends).unwrap();
    let feed = json!({"published_at": chrono::Utc::now(),
        "entries": [{"kind": "style", "value": style_id, "weight": 1.0}]});
    std::fs::write(trends.join("today.json"), feed.to_string()).unwrap();
    let service = Framewise::open(memory_stores(), ServiceConfig::default())
        .await
        .unwrap()
        .with_feeds(Arc::new(LocalFeedSource::new(dir.path())));
    service.import_styles(&data.styles).await.unwrap();
    let verifier = TokenVerifier::with_secret(SECRET.to_vec(), AuthConfig::default());
    let app = bearer_auth(router(Arc::new(service)), Arc::new(verifier));
    let owner = auth(&token(Some("c1"), &[]));

    let answer = get(
        &app,
        "/v1/customers/c1/recommendations?limit=100",
        &[("authorization", &owner)],
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    let body = answer.json();
    let items = body["items"].as_array().unwrap();
    let trending: Vec<&str> = items
        .iter()
        .filter(|i| codes(i).contains(&"trending_now"))
        .filter_map(|i| i["style_id"].as_str())
        .collect();
    assert_eq!(trending, [style_id.as_str()]);
    // The cold-start list leads with the one style the feed lifts.
    assert_eq!(items[0]["style_id"], json!(style_id));
    let reason = items[0]["reasons"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["code"] == json!("trending_now")));
    assert_eq!(reason.map(|r| &r["text"]), Some(&json!("Trending now")));

    let why = get(
        &app,
        &format!("/v1/customers/c1/recommendations/{style_id}/why"),
        &[("authorization", &owner)],
    )
    .await;
    assert_eq!(why.status, StatusCode::OK);
    let body = why.json();
    let component = |name: &str| {
        body["components"]
            .as_array()
            .and_then(|c| c.iter().find(|p| p["component"] == json!(name)))
            .and_then(|p| p["contribution"].as_f64())
            .unwrap_or_else(|| panic!("no {name} in {body}"))
    };
    let weight = f64::from(ServiceConfig::default().feeds.trend_weight);
    assert!((component("trend_feed") - weight).abs() < 1e-3, "{body}");
    assert_eq!(component("collection"), 0.0);
}

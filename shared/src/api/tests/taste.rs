//! `GET /v1/customers/{id}/taste` through the router: the demo shop's drifting shopper
//! (`cu-00002`) shows a detected drift toward their hidden new taste; owner or service
//! only, 400 for a bad id, 404 for a shopper the store knows nothing about.

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::Utc;
use serde_json::{json, Value};

use super::{token, Harness, SECRET};
use crate::adapters::memory_stores;
use crate::api::{bearer_auth, router};
use crate::auth::{AuthConfig, TokenVerifier};
use crate::demo::{self, DemoConfig, DemoData};
use crate::service::{Framewise, ServiceConfig};

/// The demo shop with its shoppers and their histories, ending now.
async fn shop() -> (Harness, DemoData) {
    // Ending at today's midnight: recent enough for the route's clock, and the same hours.
    let today = Utc::now().date_naive().and_hms_opt(0, 0, 0);
    let data = demo::generate(&DemoConfig {
        customers: 30,
        end: today.map_or_else(Utc::now, |t| t.and_utc()),
        ..DemoConfig::small()
    });
    let service = Framewise::open(memory_stores(), ServiceConfig::default())
        .await
        .unwrap();
    service.import_styles(&data.styles).await.unwrap();
    service.import_customers(&data.customers).await.unwrap();
    let signals = crate::import::interactions_to_signals(&data.interactions);
    service.apply_signals(&signals, Utc::now()).await.unwrap();
    let verifier = TokenVerifier::with_secret(SECRET.to_vec(), AuthConfig::default());
    let harness = Harness {
        app: bearer_auth(router(Arc::new(service)), Arc::new(verifier)),
        style_id: data.styles[0].id.clone(),
    };
    (harness, data)
}

fn attribute<'a>(profile: &'a Value, name: &str) -> &'a Value {
    profile
        .as_array()
        .and_then(|a| a.iter().find(|x| x["attribute"] == json!(name)))
        .unwrap_or_else(|| panic!("no {name} in {profile}"))
}

#[tokio::test]
async fn when_drifting_shopper_asks_for_their_taste_should_show_the_drift_toward_the_new_taste() {
    let (h, data) = shop().await;
    let hidden = data.tastes.iter().find(|t| t.customer_id == "cu-00002");
    let hidden = hidden.expect("the second demo shopper");
    let earlier = hidden.earlier.as_ref().expect("drifting");
    let owner = token(Some("cu-00002"), &[]);
    let uri = "/v1/customers/cu-00002/taste";
    let (status, body, _) = h.call("GET", uri, Some(&owner), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["customer_id"], json!("cu-00002"));
    assert_eq!(body["drift"]["detected"], json!(true), "{body:#}");
    assert_eq!(body["drift"]["short_term_leads"], json!(true), "{body:#}");
    // The current leading shape is one the shopper moved to; a moved shape moved to it.
    let name = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let now = name(&attribute(&body["current"], "shape")["values"][0]["value"]);
    let new_shapes: Vec<String> = hidden.shapes.iter().map(|s| name(&json!(s))).collect();
    assert!(new_shapes.contains(&now), "{now} {hidden:?}");
    let moved = body["drift"]["moved"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if let Some(shape) = moved.iter().find(|m| m["attribute"] == json!("shape")) {
        assert_eq!(name(&shape["to"]["value"]), now);
        let old_shapes: Vec<String> = earlier.shapes.iter().map(|s| name(&json!(s))).collect();
        assert!(
            old_shapes.contains(&name(&shape["from"]["value"])),
            "{body:#}"
        );
    }
    let reasons = body["reasons"].as_array().cloned().unwrap_or_default();
    assert!(!reasons.is_empty() && reasons.iter().all(|r| r["code"] != json!("steady_taste")));
    let timeline = body["timeline"].as_array().cloned().unwrap_or_default();
    let signals: u64 = timeline.iter().filter_map(|m| m["signals"].as_u64()).sum();
    let history = data
        .interactions
        .iter()
        .filter(|i| i.customer_id == "cu-00002")
        .count();
    assert_eq!(signals as usize, history, "every signal in some month");

    // The shop's backend may read it too.
    let service = token(None, &["framewise/service"]);
    let (status, _, _) = h.call("GET", uri, Some(&service), None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn when_taste_is_asked_by_others_or_for_bad_or_unknown_ids_should_refuse() {
    let (h, _) = shop().await;
    let service = token(None, &["framewise/service"]);
    let stranger = token(Some("cu-00003"), &[]);
    let uri = "/v1/customers/cu-00002/taste";
    let (status, body, _) = h.call("GET", uri, Some(&stranger), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _, _) = h.call("GET", uri, None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body, _) = h
        .call("GET", "/v1/customers/bad$id/taste", Some(&service), None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], json!("customer_id"));
    let (status, body, _) = h
        .call("GET", "/v1/customers/nobody/taste", Some(&service), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["code"], json!("not_found"));
}

//! "Why this pick?" through the router (the harness of `api/tests.rs`): owner or service
//! only, field-named 400s, 404 for an unknown style, a cold-start answer for an unknown
//! shopper, and the drawable panel (swatches, sizes against the face width).

use axum::http::StatusCode;
use serde_json::{json, Value};

use super::mobile::{auth, get};
use super::{harness, token};

fn why_uri(customer: &str, style: &str) -> String {
    format!("/v1/customers/{customer}/recommendations/{style}/why")
}

fn contribution(body: &Value, component: &str) -> f64 {
    body["components"]
        .as_array()
        .and_then(|c| c.iter().find(|p| p["component"] == json!(component)))
        .and_then(|p| p["contribution"].as_f64())
        .unwrap_or_else(|| panic!("no {component} in {body}"))
}

#[tokio::test]
async fn when_owner_asks_why_should_explain_with_profile_and_drawable_panel() {
    let h = harness().await;
    let service = token(None, &["framewise/service"]);
    let profile = r#"{"face_shape":"round","undertone":"warm",
        "face_measurements":{"face_width":138,"face_length":190}}"#;
    let (status, body, _) = h
        .call(
            "PUT",
            "/v1/customers/c1/profile",
            Some(&service),
            Some(profile.to_string()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let owner = auth(&token(Some("c1"), &[]));
    let uri = format!("{}?top=5", why_uri("c1", &h.style_id));
    let answer = get(&h.app, &uri, &[("authorization", &owner)]).await;
    assert_eq!(answer.status, StatusCode::OK);
    let body = answer.json();
    assert_eq!(body["style_id"], json!(h.style_id));
    assert_eq!(body["standing"]["top"], json!(5));
    let names: Vec<&str> = body["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["component"].as_str())
        .collect();
    for name in [
        "collaborative",
        "taste",
        "preference",
        "profile",
        "popularity",
        "trending",
        "season",
        "context",
        "diversity",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    assert_eq!(contribution(&body, "context"), 0.0);
    // The profile term is scored and its fields are the evidence.
    let fields: Vec<&str> = body["evidence"]["profile"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["field"].as_str())
        .collect();
    assert!(
        fields.contains(&"face_shape") && fields.contains(&"colouring"),
        "{fields:?}"
    );
    let visual = &body["visual"];
    assert_eq!(visual["face_width"], json!(138.0));
    for swatch in visual["swatches"].as_array().unwrap() {
        let hex = swatch["hex"].as_str().unwrap();
        assert!(hex.len() == 7 && hex.starts_with('#'), "{swatch}");
    }
    for size in visual["sizes"].as_array().unwrap() {
        let total = size["total_width"].as_f64().unwrap();
        let against = size["width_vs_face"].as_f64().unwrap();
        assert!((total - 138.0 - against).abs() < 1e-3, "{size}");
    }
    assert!(body["fit"]["fits"].is_boolean());
    assert!(!body["standing"]["text"].as_str().unwrap().is_empty());

    // The shop's backend may ask too.
    let as_service = get(&h.app, &uri, &[("authorization", &auth(&service))]).await;
    assert_eq!(as_service.status, StatusCode::OK);
}

#[tokio::test]
async fn when_another_shopper_or_nobody_asks_should_refuse() {
    let h = harness().await;
    let uri = why_uri("c1", &h.style_id);
    let stranger = auth(&token(Some("c2"), &[]));
    let refused = get(&h.app, &uri, &[("authorization", &stranger)]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let anonymous = get(&h.app, &uri, &[]).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn when_ids_or_top_are_bad_should_answer_400_naming_the_field_and_404_for_no_style() {
    let h = harness().await;
    let service = auth(&token(None, &["framewise/service"]));
    let headers = [("authorization", service.as_str())];
    let cases = [
        (why_uri("c1", "no%20pe"), "style_id"),
        (why_uri("c%201", &h.style_id), "customer_id"),
        (format!("{}?top=0", why_uri("c1", &h.style_id)), "top"),
        (format!("{}?top=101", why_uri("c1", &h.style_id)), "top"),
        (format!("{}?top=many", why_uri("c1", &h.style_id)), "top"),
    ];
    for (uri, field) in cases {
        let answer = get(&h.app, &uri, &headers).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(answer.json()["error"]["field"], json!(field), "{uri}");
    }
    let unknown = get(&h.app, &why_uri("c1", "nope"), &headers).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn when_shopper_is_unknown_should_explain_the_cold_start_list() {
    let h = harness().await;
    let service = auth(&token(None, &["framewise/service"]));
    let answer = get(
        &h.app,
        &why_uri("c9", &h.style_id),
        &[("authorization", &service)],
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    let body = answer.json();
    assert_eq!(body["personal"], json!(false));
    for personal in ["collaborative", "taste", "preference", "profile"] {
        assert_eq!(contribution(&body, personal), 0.0, "{personal}");
    }
    assert_eq!(body["evidence"]["history"], json!([]));
    assert!(body["counterfactuals"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["kind"] != json!("without_signal")));
}

//! The content page through the router (the harness of `api/tests.rs`, the helpers of
//! `mobile.rs`): the owner and the service get it, another shopper does not, and a page or
//! occasion it does not know is a 400 naming the field.

use axum::http::{header, StatusCode};
use serde_json::json;

use super::mobile::{auth, get, with_stored_list};
use super::{harness, token};
use crate::api::CachePolicy;

#[tokio::test]
async fn when_owner_asks_for_the_home_page_should_answer_rows_with_copy() {
    let h = harness().await;
    let owner = auth(&with_stored_list(&h).await);
    let answer = get(
        &h.app,
        "/v1/customers/c1/content?page=home&occasion=driving",
        &[("authorization", &owner)],
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.header(header::CACHE_CONTROL),
        Some(CachePolicy::ShopperList.cache_control().as_str())
    );
    let body = answer.json();
    assert_eq!(body["page"], json!("home"));
    assert_eq!(body["placement"], json!("home"));
    assert_eq!(body["hero"]["occasion"], json!("driving"));
    let rows = body["rows"].as_array().cloned().unwrap_or_default();
    assert!(!rows.is_empty() && rows.len() <= 3, "{body}");
    for row in &rows {
        let items = row["items"].as_array().cloned().unwrap_or_default();
        assert!(!items.is_empty(), "{row}");
        for item in items {
            assert!(
                item["copy"].as_str().is_some_and(|c| !c.is_empty()),
                "{item}"
            );
            assert!(item["reasons"].is_array(), "{item}");
        }
    }
    // The page is one list: the same id the recommendations route serves.
    let list = get(
        &h.app,
        "/v1/customers/c1/recommendations",
        &[("authorization", &owner)],
    )
    .await;
    assert_eq!(body["recommendation_id"], list.json()["recommendation_id"]);

    let service = auth(&token(None, &["framewise/service"]));
    let by_service = get(
        &h.app,
        "/v1/customers/c1/content",
        &[("authorization", &service)],
    )
    .await;
    assert_eq!(by_service.status, StatusCode::OK);
}

#[tokio::test]
async fn when_another_shopper_asks_should_refuse_and_name_bad_fields() {
    let h = harness().await;
    let stranger = auth(&token(Some("c2"), &[]));
    let refused = get(
        &h.app,
        "/v1/customers/c1/content",
        &[("authorization", &stranger)],
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let anonymous = get(&h.app, "/v1/customers/c1/content", &[]).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    let owner = auth(&token(Some("c1"), &[]));
    for (uri, field) in [
        ("/v1/customers/c1/content?page=checkout", "page"),
        ("/v1/customers/c1/content?occasion=party", "occasion"),
    ] {
        let answer = get(&h.app, uri, &[("authorization", &owner)]).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{uri}");
        let text = answer.json().to_string();
        assert!(text.contains(&format!("\"{field}\"")), "{uri}: {text}");
    }
}

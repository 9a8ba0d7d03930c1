//! The offline bundle through the router (the harness of `api/tests.rs`, the helpers of
//! `mobile.rs`): owner or service only, products and images of every item, and 304 on its
//! version (`?version=` or `If-None-Match`, any coding) until the list changes.

use axum::http::{header, StatusCode};
use serde_json::json;

use super::mobile::{auth, get, with_stored_list};
use super::{harness, signal_body, token};
use crate::api::CachePolicy;

#[tokio::test]
async fn when_offline_bundle_is_fetched_should_answer_its_owner_and_304_on_its_version() {
    let h = harness().await;
    let owner = auth(&with_stored_list(&h).await);
    let uri = "/v1/customers/c1/offline-bundle?limit=20";
    let bundle = get(&h.app, uri, &[("authorization", &owner)]).await;
    assert_eq!(bundle.status, StatusCode::OK);
    let body = bundle.json();
    let version = body["version"].as_str().unwrap_or_default().to_string();
    assert_eq!(version.len(), 32, "{body}");
    assert_eq!(
        bundle.header(header::ETAG),
        Some(format!("\"{version}\"").as_str())
    );
    assert_eq!(
        bundle.header(header::CACHE_CONTROL),
        Some(CachePolicy::OfflineBundle.cache_control().as_str())
    );
    let items = body["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 20);
    let products = body["products"].as_array().cloned().unwrap_or_default();
    let images = body["images"].as_array().cloned().unwrap_or_default();
    for item in &items {
        let product = products.iter().find(|p| p["id"] == item["style_id"]);
        let product = product.unwrap_or_else(|| panic!("no product for {item}"));
        assert!(product["colourways"].is_array() && product["sizes"].is_array());
        assert!(images.contains(&item["image_url"]), "{item}");
    }
    assert_eq!(body["placement"], json!("offline"));

    // The version back, as a parameter or as If-None-Match (any coding): 304, no body.
    let with_version = format!("{uri}&version={version}");
    let etag = format!("\"{version}-gzip\"");
    for (uri, headers) in [
        (
            with_version.as_str(),
            vec![("authorization", owner.as_str())],
        ),
        (
            uri,
            vec![("authorization", owner.as_str()), ("if-none-match", &etag)],
        ),
    ] {
        let mut headers = headers;
        headers.push(("accept-encoding", "gzip"));
        let again = get(&h.app, uri, &headers).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{uri}");
        assert!(again.bytes.is_empty());
        assert_eq!(again.header(header::ETAG), Some(etag.as_str()));
    }
    let stale = get(
        &h.app,
        &format!("{uri}&version=0123"),
        &[("authorization", &owner)],
    )
    .await;
    assert_eq!(
        stale.status,
        StatusCode::OK,
        "an old version gets the bundle"
    );

    // The same access as the shopper's list: owner or service, never another shopper.
    let service = auth(&token(None, &["framewise/service"]));
    let stranger = auth(&token(Some("c2"), &[]));
    let as_service = get(&h.app, uri, &[("authorization", &service)]).await;
    assert_eq!(as_service.status, StatusCode::OK);
    let refused = get(&h.app, uri, &[("authorization", &stranger)]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let anonymous = get(&h.app, uri, &[]).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let bad = get(
        &h.app,
        "/v1/customers/c1/offline-bundle?limit=0",
        &[("authorization", &owner)],
    )
    .await;
    assert_eq!(bad.json()["error"]["field"], json!("limit"));
}

#[tokio::test]
async fn when_shopper_signals_and_list_is_recomputed_should_change_the_bundle_version() {
    let h = harness().await;
    let owner_token = with_stored_list(&h).await;
    let owner = auth(&owner_token);
    let uri = "/v1/customers/c1/offline-bundle";
    let first = get(&h.app, uri, &[("authorization", &owner)]).await;
    let version = first.json()["version"].clone();
    let same = get(&h.app, uri, &[("authorization", &owner)]).await;
    assert_eq!(
        same.json()["version"],
        version,
        "a stored list: a stable version"
    );
    h.call(
        "POST",
        "/v1/signals",
        Some(&owner_token),
        Some(signal_body(Some("c1"), None, &h.style_id)),
    )
    .await;
    let service = token(None, &["framewise/service"]);
    h.call(
        "PUT",
        "/v1/customers/c1/profile",
        Some(&service),
        Some(r#"{"face_shape":"oval"}"#.to_string()),
    )
    .await;
    let held = format!("\"{}\"", version.as_str().unwrap_or_default());
    let changed = get(
        &h.app,
        uri,
        &[("authorization", &owner), ("if-none-match", &held)],
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_ne!(changed.json()["version"], version);
}

//! Mobile and constrained clients through the router (the harness of `api/tests.rs`):
//! `?view=compact`, `ETag`/`Cache-Control` with 304 on `If-None-Match` and gzip/br
//! negotiation (the offline bundle: `offline_bundle.rs`, with these helpers).

use std::io::Read;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use chrono::Utc;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use super::{harness, token, Harness, SECRET};
use crate::adapters::memory_stores;
use crate::api::{bearer_auth, router, CachePolicy};
use crate::auth::{AuthConfig, TokenVerifier};
use crate::demo::{generate, DemoConfig};
use crate::import::interactions_to_signals;
use crate::service::{Framewise, ServiceConfig};

/// An answer: status, headers and the body bytes as sent (compressed or not).
pub(super) struct Answer {
    pub(super) status: StatusCode,
    pub(super) headers: HeaderMap,
    pub(super) bytes: Vec<u8>,
}

impl Answer {
    pub(super) fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body decoded from its `Content-Encoding`.
    fn decoded(&self) -> Vec<u8> {
        decode(self.header(header::CONTENT_ENCODING), &self.bytes)
    }

    pub(super) fn json(&self) -> Value {
        serde_json::from_slice(&self.decoded()).unwrap_or(Value::Null)
    }
}

/// Decodes a gzip or br body (identity as is).
pub(super) fn decode(coding: Option<&str>, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match coding {
        Some("gzip") => {
            flate2::read::GzDecoder::new(bytes)
                .read_to_end(&mut out)
                .expect("gzip");
        }
        Some("br") => {
            brotli::Decompressor::new(bytes, 4096)
                .read_to_end(&mut out)
                .expect("br");
        }
        None => out = bytes.to_vec(),
        Some(other) => panic!("unexpected content-encoding {other}"),
    }
    out
}

pub(super) async fn get(app: &Router, uri: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = Request::get(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.expect("body");
    Answer {
        status,
        headers,
        bytes: bytes.to_bytes().to_vec(),
    }
}

/// Shopper `c1` with a profile, so their list is stored (and the same on every read).
pub(super) async fn with_stored_list(h: &Harness) -> String {
    let service = token(None, &["framewise/service"]);
    let (status, body, _) = h
        .call(
            "PUT",
            "/v1/customers/c1/profile",
            Some(&service),
            Some(r#"{"face_shape":"round"}"#.to_string()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    token(Some("c1"), &[])
}

pub(super) fn auth(token: &str) -> String {
    format!("Bearer {token}")
}

/// Every list route, as shopper `c1` may call it.
fn list_uris(style: &str) -> Vec<String> {
    vec![
        "/v1/customers/c1/recommendations?limit=12".to_string(),
        "/v1/sessions/s1/recommendations?limit=12".to_string(),
        format!("/v1/products/{style}/similar?limit=12"),
        format!("/v1/products/{style}/also-bought?limit=12"),
        "/v1/trending?limit=12".to_string(),
    ]
}

#[tokio::test]
async fn when_view_is_compact_should_answer_only_what_a_card_needs_on_every_list_route() {
    let h = harness().await;
    let owner = auth(&with_stored_list(&h).await);
    let allowed = [
        "style_id",
        "sku",
        "name",
        "price_cents",
        "currency",
        "image_url",
        "reason",
        "size",
    ];
    for uri in list_uris(&h.style_id) {
        let full = get(&h.app, &uri, &[("authorization", &owner)]).await;
        let compact_uri = format!("{uri}&view=compact");
        let compact = get(&h.app, &compact_uri, &[("authorization", &owner)]).await;
        assert_eq!(compact.status, StatusCode::OK, "{uri}");
        let body = compact.json();
        assert_eq!(body["view"], json!("compact"), "{uri}: {body}");
        let items = body["items"].as_array().cloned().unwrap_or_default();
        assert_eq!(items.len(), 12, "{uri}");
        for item in &items {
            let keys: Vec<&String> = item.as_object().map(|o| o.keys().collect()).expect("item");
            assert!(
                keys.iter().all(|k| allowed.contains(&k.as_str())),
                "{uri}: {item}"
            );
            for required in ["style_id", "name", "price_cents", "image_url", "reason"] {
                assert!(item.get(required).is_some(), "{uri}: {required} in {item}");
            }
            assert!(item["size"].is_string(), "{uri}: the size label: {item}");
        }
        let full_items = full.json()["items"].clone();
        assert_eq!(items[0]["style_id"], full_items[0]["style_id"], "{uri}");
        assert_eq!(items[0]["reason"], full_items[0]["reasons"][0]["text"]);
        assert_eq!(items[0]["size"], full_items[0]["size"]["label"]);
        assert!(
            compact.bytes.len() * 5 < full.bytes.len() * 2,
            "{uri}: compact {} vs full {} bytes",
            compact.bytes.len(),
            full.bytes.len()
        );
        // `view=full` is the default, spelt out.
        let explicit = get(
            &h.app,
            &format!("{uri}&view=full"),
            &[("authorization", &owner)],
        )
        .await;
        assert!(explicit.json()["items"][0]["reasons"].is_array(), "{uri}");
    }
}

#[tokio::test]
async fn when_view_is_unknown_should_refuse_with_400_naming_view() {
    let h = harness().await;
    let owner = auth(&token(Some("c1"), &[]));
    let mut uris = list_uris(&h.style_id);
    uris.push("/v1/customers/c1/recommendations".to_string());
    for uri in uris {
        let sep = if uri.contains('?') { '&' } else { '?' };
        let answer = get(
            &h.app,
            &format!("{uri}{sep}view=tiny"),
            &[("authorization", &owner)],
        )
        .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{uri}");
        let body = answer.json();
        assert_eq!(body["error"]["code"], json!("invalid_request"), "{body}");
        assert_eq!(body["error"]["field"], json!("view"), "{body}");
        assert!(
            answer.header(header::ETAG).is_none(),
            "errors are not tagged"
        );
    }
}

/// The size of a compact page of 12 on the demo catalogue, for shoppers with a history and a
/// profile (their reasons are the longest: "Frames wider at the bottom balance a
/// heart-shaped face"), as sent and as gzip and br send it. Measured: about 2.9 KB as is
/// (about 250 bytes per item, of which the reason, the image URL and the ids are ~150),
/// about 0.8 KB compressed; the full view of the same page is about 8 KB.
#[tokio::test]
async fn when_demo_shoppers_ask_for_a_compact_page_of_12_should_stay_about_3_kb_and_1_kb_compressed(
) {
    let data = generate(&DemoConfig {
        customers: 40,
        days: 30,
        ..DemoConfig::default()
    });
    let stores = memory_stores();
    stores
        .catalog
        .put_styles(&data.styles)
        .await
        .expect("styles");
    stores
        .profiles
        .put_customers(&data.customers)
        .await
        .expect("customers");
    let signals = interactions_to_signals(&data.interactions);
    stores.signals.apply(&signals).await.expect("signals");
    let service = Framewise::open(stores, ServiceConfig::default())
        .await
        .expect("service");
    service
        .regenerate(Utc::now(), &|_, _| {})
        .await
        .expect("lists");
    let verifier = TokenVerifier::with_secret(SECRET.to_vec(), AuthConfig::default());
    let app = bearer_auth(router(Arc::new(service)), Arc::new(verifier));
    let service = auth(&token(None, &["framewise/service"]));
    let mut uris: Vec<String> = data
        .customers
        .iter()
        .take(20)
        .map(|c| format!("/v1/customers/{}/recommendations?limit=12", c.id))
        .collect();
    uris.push("/v1/trending?limit=12".to_string());
    // (as is, gzip, br, full view) of the largest compact page.
    let mut largest = (0, 0, 0, 0, String::new());
    for uri in uris {
        let compact = format!("{uri}&view=compact");
        let mut sizes = Vec::new();
        for (accept, view) in [
            ("identity", &compact),
            ("gzip", &compact),
            ("br", &compact),
            ("identity", &uri),
        ] {
            let headers = [
                ("authorization", service.as_str()),
                ("accept-encoding", accept),
            ];
            let answer = get(&app, view, &headers).await;
            assert_eq!(answer.status, StatusCode::OK, "{view}");
            let items = answer.json()["items"].as_array().map(Vec::len);
            assert_eq!(items, Some(12), "{view}");
            sizes.push(answer.bytes.len());
        }
        if sizes[0] > largest.0 {
            largest = (sizes[0], sizes[1], sizes[2], sizes[3], compact);
        }
    }
    let (plain, gzip, br, full, uri) = largest;
    println!("largest compact page of 12: {plain} B, gzip {gzip} B, br {br} B, full view {full} B ({uri})");
    assert!(plain < 3200, "{plain} bytes: {uri}");
    assert!(gzip < 1024 && br < 1024, "gzip {gzip}, br {br}: {uri}");
    assert!(plain * 5 < full * 2, "compact {plain} vs full {full}");
}

#[tokio::test]
async fn when_answer_is_unchanged_should_tag_it_and_answer_304_to_if_none_match() {
    let h = harness().await;
    let owner = auth(&with_stored_list(&h).await);
    let mut uris = list_uris(&h.style_id);
    uris.retain(|u| !u.starts_with("/v1/sessions") && !u.starts_with("/v1/trending"));
    uris.push(format!("/v1/products/{}", h.style_id));
    uris.push(format!("/v1/products/{}/similar?view=compact", h.style_id));
    uris.push("/v1/trending?limit=5&view=compact".to_string());
    for uri in uris {
        let first = get(&h.app, &uri, &[("authorization", &owner)]).await;
        assert_eq!(first.status, StatusCode::OK, "{uri}");
        let etag = first.header(header::ETAG).expect("an ETag").to_string();
        assert!(
            etag.starts_with('"') && etag.len() == 34,
            "strong, 128 bits: {etag}"
        );
        let policy = if uri.starts_with("/v1/customers") {
            CachePolicy::ShopperList
        } else {
            CachePolicy::Catalogue
        };
        let cache = first.header(header::CACHE_CONTROL).map(str::to_string);
        assert_eq!(cache, Some(policy.cache_control()), "{uri}");
        assert_eq!(
            etag,
            format!("\"{}\"", crate::api::body_digest(&first.bytes)),
            "{uri}: the digest of the body"
        );

        let again = get(
            &h.app,
            &uri,
            &[("authorization", &owner), ("if-none-match", &etag)],
        )
        .await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{uri}");
        assert!(again.bytes.is_empty(), "{uri}: a 304 has no body");
        assert_eq!(again.header(header::ETAG), Some(etag.as_str()));
        assert_eq!(again.header(header::CACHE_CONTROL), cache.as_deref());

        let listed = format!("\"0000\", W/{etag}");
        let weak = get(
            &h.app,
            &uri,
            &[("authorization", &owner), ("if-none-match", &listed)],
        )
        .await;
        assert_eq!(
            weak.status,
            StatusCode::NOT_MODIFIED,
            "{uri}: a list of tags"
        );
        let other = get(
            &h.app,
            &uri,
            &[("authorization", &owner), ("if-none-match", "\"0000\"")],
        )
        .await;
        assert_eq!(other.status, StatusCode::OK, "{uri}: another tag");
    }
}

#[tokio::test]
async fn when_list_changes_should_change_its_etag() {
    let h = harness().await;
    let owner = auth(&with_stored_list(&h).await);
    let uri = "/v1/customers/c1/recommendations?limit=12";
    let before = get(&h.app, uri, &[("authorization", &owner)]).await;
    let etag = before.header(header::ETAG).unwrap_or_default().to_string();
    // A new profile recomputes and stores the list under a new id.
    let service = token(None, &["framewise/service"]);
    h.call(
        "PUT",
        "/v1/customers/c1/profile",
        Some(&service),
        Some(r#"{"face_shape":"square"}"#.to_string()),
    )
    .await;
    let after = get(
        &h.app,
        uri,
        &[("authorization", &owner), ("if-none-match", &etag)],
    )
    .await;
    assert_eq!(after.status, StatusCode::OK);
    assert_ne!(after.header(header::ETAG), Some(etag.as_str()));
}

#[tokio::test]
async fn when_client_accepts_gzip_or_br_should_compress_and_tag_each_coding() {
    let h = harness().await;
    let owner = auth(&with_stored_list(&h).await);
    let uri = "/v1/customers/c1/recommendations?limit=12";
    let plain = get(&h.app, uri, &[("authorization", &owner)]).await;
    assert!(plain.header(header::CONTENT_ENCODING).is_none());
    assert_eq!(plain.header(header::VARY), Some("accept-encoding"));
    let digest = plain.header(header::ETAG).unwrap_or_default().to_string();
    for (accept, coding) in [
        ("gzip", "gzip"),
        ("br", "br"),
        ("gzip;q=0.5, br", "br"),
        ("identity", ""),
    ] {
        let answer = get(
            &h.app,
            uri,
            &[("authorization", &owner), ("accept-encoding", accept)],
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{accept}");
        let expected_tag = if coding.is_empty() {
            digest.clone()
        } else {
            assert_eq!(answer.header(header::CONTENT_ENCODING), Some(coding));
            assert!(answer.bytes.len() * 2 < plain.bytes.len(), "{accept}");
            format!("{}-{coding}\"", digest.trim_end_matches('"'))
        };
        assert_eq!(answer.decoded(), plain.bytes, "{accept}: the same JSON");
        assert_eq!(answer.header(header::ETAG), Some(expected_tag.as_str()));
        // The tag of any coding revalidates; the 304 names this request's representation.
        for held in [&expected_tag, &digest] {
            let again = get(
                &h.app,
                uri,
                &[
                    ("authorization", &owner),
                    ("accept-encoding", accept),
                    ("if-none-match", held),
                ],
            )
            .await;
            assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{accept} {held}");
            assert!(again.bytes.is_empty());
            assert!(again.header(header::CONTENT_ENCODING).is_none());
            assert_eq!(again.header(header::ETAG), Some(expected_tag.as_str()));
        }
    }
    // Errors are compressed too, and stay JSON.
    let missing = get(&h.app, "/v1/products/nope", &[("accept-encoding", "gzip")]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.json()["error"]["code"], json!("not_found"));
}

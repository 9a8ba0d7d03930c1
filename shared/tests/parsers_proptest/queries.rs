//! Query parameters and path ids of the list routes, through the router over an in-memory
//! service: never a 5xx, and a 400 names a parameter the request carried.

use framewise::auth::{AuthConfig, Caller, Principal};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use framewise::adapters::memory_stores;
use framewise::domain::{Customer, Style};
use framewise::service::{Framewise, ServiceConfig};
use http_body_util::BodyExt;
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use serde_json::Value;
use tower::ServiceExt;

use crate::config;
use crate::hostile::{hostile_string_up_to, id};

const CATALOG: &str = include_str!("../fixtures/catalog.json");
/// A shopper with a profile, so their list is stored and pages carry a cursor.
const KNOWN: &str = "cu-known";

struct Api {
    runtime: tokio::runtime::Runtime,
    service: Arc<Framewise>,
    /// The id of the list `KNOWN` pages through.
    recommendation_id: String,
    /// A cursor the API handed out for `KNOWN`'s list.
    cursor: String,
}

impl Api {
    fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let (service, recommendation_id, cursor) = runtime.block_on(async {
            let styles: Vec<Style> = serde_json::from_str(CATALOG).expect("fixture catalogue");
            let service = Framewise::open(memory_stores(), ServiceConfig::default())
                .await
                .expect("service opens");
            service.import_styles(&styles).await.expect("styles");
            service
                .import_customers(&[Customer::new(KNOWN)])
                .await
                .expect("customer");
            let service = Arc::new(service);
            let (status, page) = get(
                &service,
                &format!("/v1/customers/{KNOWN}/recommendations?limit=2"),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            let id = page["recommendation_id"]
                .as_str()
                .expect("list id")
                .to_string();
            let cursor = page["next_cursor"]
                .as_str()
                .expect("a next page")
                .to_string();
            (service, id, cursor)
        });
        Self {
            runtime,
            service,
            recommendation_id,
            cursor,
        }
    }

    /// Runs `property` over `strategy` against this API.
    fn check<S: Strategy>(
        &self,
        strategy: S,
        property: impl Fn(&Self, S::Value) -> Result<(), TestCaseError>,
    ) {
        let mut runner = TestRunner::new(config());
        if let Err(failure) = runner.run(&strategy, |input| property(self, input)) {
            panic!("{failure}");
        }
    }

    /// GETs `uri` and checks the answer is a success or a client error naming one of
    /// `fields` (the parameters the request carried); never a 5xx. Returns the status.
    fn answers(&self, uri: &str, fields: &[&str]) -> Result<StatusCode, TestCaseError> {
        let (status, body) = self.runtime.block_on(get(&self.service, uri));
        prop_assert!(!status.is_server_error(), "{uri}: {status} {body}");
        prop_assert!(
            body.is_object(),
            "{uri}: {status} answered with no JSON object"
        );
        if status == StatusCode::BAD_REQUEST {
            let field = body["error"]["field"].as_str().unwrap_or_default();
            prop_assert!(
                fields.contains(&field),
                "{uri}: 400 names {field:?}: {body}"
            );
        } else if uri.len() > framewise::api::MAX_URI_BYTES {
            // Too long to be a real request: the documented 414 with the JSON shape.
            prop_assert_eq!(status, StatusCode::URI_TOO_LONG, "{}", body);
            prop_assert_eq!(&body["error"]["field"], "uri");
        } else {
            prop_assert!(
                [StatusCode::OK, StatusCode::NOT_FOUND].contains(&status),
                "{uri}: {status} {body}"
            );
        }
        Ok(status)
    }
}

async fn get(service: &Arc<Framewise>, uri: &str) -> (StatusCode, Value) {
    // The shop's backend may read any list; access itself is tested in api/tests.rs.
    let scopes = ["framewise/service".to_string()].into_iter().collect();
    let caller = Caller::Authenticated(Principal::new(None, scopes, &AuthConfig::default()));
    let request = Request::builder()
        .uri(uri)
        .extension(caller)
        .body(Body::empty())
        .expect("request builds");
    let response = framewise::api::router(service.clone())
        .oneshot(request)
        .await
        .expect("the router is infallible");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body reads")
        .to_bytes();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, body)
}

/// A hostile parameter value that still fits a URI (64 KiB) with the others, encoded.
fn param_string() -> BoxedStrategy<String> {
    hostile_string_up_to(4_000)
}

/// Percent-encodes every byte but the unreserved ones, so any text travels as a value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Text as clients type it into a URL, percent signs and all (still a valid URI).
fn raw_query_text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9%&=+;._~:-]{0,40}"
}

fn limit_value() -> BoxedStrategy<String> {
    prop_oneof![
        (0u64..=120).prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        Just(u128::MAX.to_string()),
        prop::sample::select(vec!["", " 5", "+5", "5.0", "1e2", "0x10", "-0"])
            .prop_map(str::to_string),
        param_string(),
    ]
    .boxed()
}

#[test]
fn recommendations_query_is_ok_or_names_the_bad_parameter() {
    let api = Api::new();
    let cursor = |api: &Api| {
        let real_id = api.recommendation_id.clone();
        let handed_out = api.cursor.clone();
        prop_oneof![
            Just(handed_out),
            // The right list, any offset: past the end, or overflowing arithmetic.
            any::<u64>().prop_map(move |offset| {
                use base64::Engine as _;
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .encode(format!("{offset}:{real_id}"))
            }),
            prop::collection::vec(any::<u8>(), 0..48).prop_map(|bytes| {
                use base64::Engine as _;
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
            }),
            param_string(),
        ]
    };
    let strategy = (
        prop_oneof![3 => Just(KNOWN.to_string()), 1 => id(), 1 => param_string()],
        prop::option::of(limit_value()),
        prop::option::of(cursor(&api)),
        prop::option::of(param_string()),
        prop::option::of(param_string()),
    );
    api.check(
        strategy,
        |api, (customer, limit, cursor, placement, session)| {
            let mut params = Vec::new();
            let mut fields = vec!["customer_id"];
            for (name, value) in [
                ("limit", limit),
                ("cursor", cursor),
                ("placement", placement),
                ("session_id", session),
            ] {
                if let Some(value) = value {
                    params.push(format!("{name}={}", encode(&value)));
                    fields.push(name);
                }
            }
            let uri = format!(
                "/v1/customers/{}/recommendations?{}",
                encode(&customer),
                params.join("&")
            );
            let status = api.answers(&uri, &fields)?;
            // Any customer id gets a list (computed cold when unknown) or a 400; only an
            // empty one misses the route.
            if !customer.is_empty() {
                prop_assert_ne!(status, StatusCode::NOT_FOUND, "{}", uri);
            }
            Ok(())
        },
    );
}

#[test]
fn trending_and_related_queries_are_ok_or_name_the_bad_parameter() {
    let api = Api::new();
    let strategy = (
        prop::sample::select(vec!["trending", "similar", "also-bought"]),
        prop_oneof![Just("st-round-1".to_string()), id(), param_string()],
        prop::option::of(limit_value()),
        prop::option::of(prop_oneof![
            prop::sample::select(vec![
                "optical", "sun", "sport", "kids", "Optical", "SUN", ""
            ])
            .prop_map(str::to_string),
            param_string(),
        ]),
    );
    api.check(strategy, |api, (route, style, limit, category)| {
        let mut params = Vec::new();
        let mut fields = Vec::new();
        if let Some(limit) = limit {
            params.push(format!("limit={}", encode(&limit)));
            fields.push("limit");
        }
        let uri = if route == "trending" {
            if let Some(category) = category {
                params.push(format!("category={}", encode(&category)));
                fields.push("category");
            }
            format!("/v1/trending?{}", params.join("&"))
        } else {
            fields.push("style_id");
            format!(
                "/v1/products/{}/{route}?{}",
                encode(&style),
                params.join("&")
            )
        };
        api.answers(&uri, &fields)?;
        Ok(())
    });
}

#[test]
fn raw_query_strings_are_ok_or_name_a_parameter() {
    let api = Api::new();
    let strategy = (
        prop::sample::select(vec![
            format!("/v1/customers/{KNOWN}/recommendations"),
            "/v1/trending".to_string(),
            "/v1/products/st-round-1/similar".to_string(),
        ]),
        raw_query_text(),
    );
    api.check(strategy, |api, (path, query)| {
        let uri = format!("{path}?{query}");
        api.answers(
            &uri,
            &[
                "limit",
                "cursor",
                "category",
                "placement",
                "session_id",
                "query",
            ],
        )?;
        Ok(())
    });
}

//! One request to a function's router as API Gateway sends it (through lambda_http's
//! adapter, what `lambda_http::run` wraps the router in) and the same request to the local
//! router, each reduced to what a client receives: the parity checks of the Lambda tests.

use std::collections::BTreeMap;
use std::io::Read;

use axum::body::Body;
use base64::Engine;
use http_body_util::BodyExt;
use lambda_http::tower::{Service, ServiceExt};
use lambda_http::{Adapter, Context, LambdaEvent};
use serde_json::{json, Value};

use crate::apigw::{self, Caller};

/// What a client gets: the status, the headers that matter here and the body, decoded from
/// its content coding (and, behind the gateway, from base64).
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

pub const KEPT: [&str; 5] = [
    "etag",
    "cache-control",
    "content-encoding",
    "vary",
    "content-type",
];

pub fn decode(coding: Option<&str>, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match coding {
        Some("gzip") => {
            flate2::read::GzDecoder::new(bytes)
                .read_to_end(&mut out)
                .expect("gzip body");
        }
        Some("br") => {
            brotli::Decompressor::new(bytes, 4096)
                .read_to_end(&mut out)
                .expect("br body");
        }
        None => out = bytes.to_vec(),
        Some(other) => panic!("unexpected content-encoding {other}"),
    }
    out
}

/// One invocation of the function with the gateway event for `GET path_and_query` as
/// `caller` with `headers`: the response document Lambda returns to API Gateway, and what
/// the client receives from it.
pub async fn through_gateway(
    app: &axum::Router,
    path_and_query: &str,
    caller: Caller<'_>,
    headers: &[(&str, &str)],
) -> (Value, Answer) {
    let mut event = apigw::event("GET", path_and_query, None, caller);
    for (name, value) in headers {
        event["headers"][*name] = json!(value);
    }
    let payload: lambda_http::request::LambdaRequest =
        serde_json::from_value(event).expect("an API Gateway v2 event");
    let mut adapter = Adapter::from(app.clone());
    let response = adapter
        .ready()
        .await
        .unwrap_or_else(|e| match e {})
        .call(LambdaEvent::new(payload, Context::default()))
        .await
        .unwrap_or_else(|e| match e {});
    let document = serde_json::to_value(response).expect("the response serialises");
    let kept: BTreeMap<String, String> = KEPT
        .iter()
        .filter_map(|name| {
            let value = document["headers"][*name].as_str()?;
            Some((name.to_string(), value.to_string()))
        })
        .collect();
    let text = document["body"].as_str().unwrap_or_default();
    let bytes = if document["isBase64Encoded"] == json!(true) {
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .expect("base64 body")
    } else {
        text.as_bytes().to_vec()
    };
    let answer = Answer {
        status: document["statusCode"].as_u64().unwrap_or_default() as u16,
        body: decode(kept.get("content-encoding").map(String::as_str), &bytes),
        headers: kept,
    };
    (document, answer)
}

/// The same request to the local router (bearer token verified by the server itself).
pub async fn locally(
    app: &axum::Router,
    path_and_query: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
) -> Answer {
    let mut request = axum::http::Request::get(path_and_query);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).expect("request"))
        .await
        .unwrap_or_else(|e| match e {});
    let status = response.status().as_u16();
    let kept: BTreeMap<String, String> = KEPT
        .iter()
        .filter_map(|name| {
            let value = response.headers().get(*name)?.to_str().ok()?;
            Some((name.to_string(), value.to_string()))
        })
        .collect();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    Answer {
        status,
        body: decode(kept.get("content-encoding").map(String::as_str), &bytes),
        headers: kept,
    }
}

/// The two sides of a parity test over the same stores: the local server's router (its
/// lists precomputed, bearer tokens signed with `secret`, the service first passed through
/// `prepare`, e.g. to give it a weather source) and recommendations-api's app over a
/// read-only service, both with `config`.
pub async fn local_and_function(
    local_stores: framewise::ports::Stores,
    function_stores: framewise::ports::Stores,
    config: framewise::service::ServiceConfig,
    secret: &[u8],
    prepare: impl FnOnce(framewise::service::Framewise) -> framewise::service::Framewise,
) -> (axum::Router, axum::Router) {
    use std::sync::Arc;

    use framewise::auth::{AuthConfig, TokenVerifier};
    use framewise::service::{Framewise, ModelRefresh};

    let local = Framewise::open(local_stores, config.clone())
        .await
        .expect("local service");
    local
        .regenerate(chrono::Utc::now(), &|_, _| {})
        .await
        .expect("lists precomputed");
    let verifier = TokenVerifier::with_secret(secret.to_vec(), AuthConfig::default());
    let local = framewise::api::bearer_auth(
        framewise::api::router(Arc::new(prepare(local))),
        Arc::new(verifier),
    );
    let function =
        framewise_lambda::open(function_stores, config, framewise_lambda::Access::ReadOnly)
            .await
            .expect("function service");
    let lambda = recommendations_api::app(
        function,
        Arc::new(ModelRefresh::new(std::time::Duration::from_secs(60))),
    );
    (local, lambda)
}

/// A shopper's bearer token for the local router, signed with `secret` for ten minutes.
pub fn shopper_token(secret: &[u8], customer_id: &str) -> String {
    use framewise::auth::{AuthConfig, DevTokenIssuer};

    DevTokenIssuer::new(secret.to_vec())
        .mint(
            Some(customer_id),
            &[],
            600,
            chrono::Utc::now(),
            &AuthConfig::default(),
        )
        .expect("token")
}

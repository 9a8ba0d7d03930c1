//! API Gateway HTTP API (v2) events as the gateway hands them to a function, with the JWT
//! authorizer's verified claims of a chosen caller (or none, as on a public route).

use serde_json::{json, Value};

/// Who the gateway's JWT authorizer says is calling.
#[derive(Debug, Clone, Copy)]
pub enum Caller<'a> {
    /// A public route, or no token: no authorizer context at all.
    Anonymous,
    /// A shopper's token (`sub` = the customer id).
    Shopper(&'a str),
    /// The shop's backend (`framewise/service` scope).
    Service,
    /// An operator (`framewise/admin` scope).
    Admin,
}

/// The authorizer context the gateway attaches for `caller` (None when anonymous).
pub fn authorizer(caller: Caller<'_>) -> Option<Value> {
    let (sub, scope) = match caller {
        Caller::Anonymous => return None,
        Caller::Shopper(id) => (id.to_string(), None),
        Caller::Service => ("shop-backend-client".into(), Some("framewise/service")),
        Caller::Admin => ("ops-client".into(), Some("framewise/admin")),
    };
    let mut claims = json!({
        "sub": sub,
        "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_test",
        "exp": "1999999999",
    });
    if let Some(scope) = scope {
        claims["scope"] = json!(scope);
    }
    Some(json!({ "jwt": { "claims": claims, "scopes": scope.map(|s| vec![s]) } }))
}

/// A v2 event for `method path?query` with an optional JSON body, as `caller`.
pub fn event(method: &str, path_and_query: &str, body: Option<&str>, caller: Caller<'_>) -> Value {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut event = json!({
        "version": "2.0",
        "routeKey": format!("{method} {path}"),
        "rawPath": path,
        "rawQueryString": query,
        "headers": {
            "content-type": "application/json",
            "host": "abc123.execute-api.eu-west-1.amazonaws.com",
            "x-forwarded-proto": "https"
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.10",
                "userAgent": "framewise-tests"
            },
            "requestId": "test-request",
            "routeKey": format!("{method} {path}"),
            "stage": "$default",
            "time": "27/Nov/2026:10:00:00 +0000",
            "timeEpoch": 1795773600000u64
        },
        "body": body,
        "isBase64Encoded": false
    });
    if !query.is_empty() {
        let params: serde_json::Map<String, Value> = query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        event["queryStringParameters"] = Value::Object(params);
    }
    if let Some(authorizer) = authorizer(caller) {
        event["requestContext"]["authorizer"] = authorizer;
    }
    event
}

/// [`event`] as the request `lambda_http` hands to the router.
pub fn request(
    method: &str,
    path_and_query: &str,
    body: Option<&str>,
    caller: Caller<'_>,
) -> lambda_http::Request {
    into_request(&event(method, path_and_query, body, caller))
}

/// A stored fixture event, re-attributed to `caller`.
pub fn fixture_as(fixture: &str, caller: Caller<'_>) -> lambda_http::Request {
    let mut event: Value = serde_json::from_str(fixture).unwrap_or(Value::Null);
    match authorizer(caller) {
        Some(a) => event["requestContext"]["authorizer"] = a,
        None => {
            if let Some(context) = event["requestContext"].as_object_mut() {
                context.remove("authorizer");
            }
        }
    }
    into_request(&event)
}

fn into_request(event: &Value) -> lambda_http::Request {
    lambda_http::request::from_str(&event.to_string())
        .unwrap_or_else(|e| panic!("not an API Gateway v2 event: {e}"))
}

/// Sends `request` through a function's router: the status and the JSON body (`Null` when
/// the body is empty, as for a 204; `{"content_type", "bytes"}` for a body that is not
/// JSON, such as a frame picture).
pub async fn call(app: axum::Router, request: lambda_http::Request) -> (u16, Value) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    let response = app.oneshot(request).await.unwrap_or_else(|e| match e {});
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let body = if bytes.is_empty() {
        Value::Null
    } else if !content_type.is_empty() && !content_type.starts_with("application/json") {
        json!({"content_type": content_type, "bytes": bytes.len()})
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| panic!("status {status}: body is not JSON: {bytes:?}"))
    };
    (status, body)
}

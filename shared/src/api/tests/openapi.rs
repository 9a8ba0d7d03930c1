//! The OpenAPI document against the router: the same operations as [`ROUTES`], bearer
//! security exactly on token routes, and real answers (the harness of `api/tests.rs`:
//! memory stores, demo catalogue, development tokens) valid against the documented schema of
//! their status. Responses are checked closed: a field the document does not declare fails.

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Map, Value};
use tower::ServiceExt;

use super::{experiment_body, harness, signal_body, token, Harness};
use crate::api::{openapi, RouteAccess, BEARER_AUTH, MAX_SIGNALS_PER_REQUEST, ROUTES};

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

fn document() -> Value {
    serde_json::to_value(openapi()).expect("the document serialises")
}

/// `#/components/...` of the document.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(pointer) => {
            let target = doc.pointer(pointer.trim_start_matches('#'));
            target.unwrap_or_else(|| panic!("dangling $ref {pointer}"))
        }
        None => value,
    }
}

fn operation<'a>(doc: &'a Value, method: &str, path: &str) -> &'a Value {
    let op = &doc["paths"][path][method.to_ascii_lowercase()];
    assert!(op.is_object(), "{method} {path} is not in the document");
    op
}

/// The documented response of `status` (after `$ref`), if any.
fn response<'a>(doc: &'a Value, method: &str, path: &str, status: u16) -> Option<&'a Value> {
    let responses = &operation(doc, method, path)["responses"];
    responses.get(status.to_string()).map(|r| resolve(doc, r))
}

fn every_ref(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.push(r.clone());
            }
            map.values().for_each(|v| every_ref(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| every_ref(v, out)),
        _ => {}
    }
}

#[test]
fn when_routes_and_document_are_compared_should_list_the_same_operations() {
    let doc = document();
    assert_eq!(doc["openapi"], json!("3.1.0"));
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(|m| (m.to_ascii_uppercase(), path.clone()))
        })
        .collect();
    let routed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(
        routed.difference(&documented).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "routes missing from the document (annotate the handler, add it to paths(...) of api/openapi.rs)"
    );
    assert_eq!(
        documented.difference(&routed).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "documented operations that are not in ROUTES"
    );
}

#[test]
fn when_route_needs_a_token_should_document_bearer_security_and_only_then() {
    let doc = document();
    let scheme = &doc["components"]["securitySchemes"][BEARER_AUTH];
    assert_eq!(scheme["type"], json!("http"), "{scheme}");
    assert_eq!(scheme["scheme"], json!("bearer"));
    assert_eq!(scheme["bearerFormat"], json!("JWT"));
    assert!(doc.get("security").is_none(), "no document-wide security");
    for &(method, path, access) in ROUTES {
        let op = operation(&doc, method, path);
        let security = op.get("security").cloned().unwrap_or(json!([]));
        match access {
            RouteAccess::Token | RouteAccess::Admin => {
                assert_eq!(security, json!([{ BEARER_AUTH: [] }]), "{method} {path}");
                for status in [401, 403] {
                    assert!(
                        response(&doc, method, path, status).is_some(),
                        "{method} {path} does not document {status}"
                    );
                }
            }
            RouteAccess::Public => assert_eq!(security, json!([]), "{method} {path}"),
        }
    }
}

#[test]
fn when_operations_are_documented_should_declare_params_errors_and_resolvable_refs() {
    let doc = document();
    let mut refs = Vec::new();
    every_ref(&doc, &mut refs);
    let dangling: BTreeSet<&String> = refs
        .iter()
        .filter(|r| doc.pointer(r.trim_start_matches('#')).is_none())
        .collect();
    assert!(
        dangling.is_empty(),
        "unresolved (list the type in components(schemas(...))): {dangling:?}"
    );
    for &(method, path, _) in ROUTES {
        let op = operation(&doc, method, path);
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        for name in path.split('/').filter_map(|s| s.strip_prefix('{')) {
            let name = name.trim_end_matches('}');
            let declared = params.iter().any(|p| {
                p["name"] == json!(name) && p["in"] == json!("path") && p["required"] == json!(true)
            });
            assert!(
                declared,
                "{method} {path}: path parameter {name} undeclared"
            );
        }
        // A token that does not verify is refused on every route (api::bearer_auth).
        let mut statuses = vec![401];
        if op.get("requestBody").is_some() {
            statuses.extend([400, 413, 415]);
            let body = &op["requestBody"];
            assert_eq!(body["required"], json!(true), "{method} {path}");
            assert!(body["content"]["application/json"]["schema"].is_object());
        }
        for status in statuses {
            assert!(
                response(&doc, method, path, status).is_some(),
                "{method} {path} does not document {status}"
            );
        }
        for (status, answer) in op["responses"].as_object().expect("responses") {
            let answer = resolve(&doc, answer);
            // A failing readiness check answers 503 with the health report itself, so that a
            // probe and a person read the same checks.
            let readiness = path.eq("/healthz") && status == "503";
            if (status.starts_with('4') || status.starts_with('5')) && !readiness {
                let schema = &answer["content"]["application/json"]["schema"];
                assert_eq!(
                    schema["$ref"],
                    json!("#/components/schemas/ErrorBody"),
                    "{method} {path} {status}: errors have the one shape"
                );
            }
        }
    }
}

#[test]
fn when_fields_are_u32_should_be_documented_as_uint32() {
    // Found by the schema fuzzer: u32 fields were `format: int32`, so clients and fuzzers
    // took 2^31 (a valid `max_price_cents`) for out of range. Every u32 of the API:
    let doc = document();
    let schemas = &doc["components"]["schemas"];
    for (schema, field) in [
        ("Style", "price_cents"),
        ("Variant", "stock"),
        ("RecommendedItem", "price_cents"),
        ("StylePreferences", "max_price_cents"),
    ] {
        let format = &schemas[schema]["properties"][field]["format"];
        assert_eq!(format, &json!("uint32"), "{schema}.{field}");
    }
}

/// The components with every object closed (`unevaluatedProperties: false`), so an answer
/// that carries a field the document does not declare fails. Members of an `allOf` (the
/// flattened profile) stay open: their parent closes over all of them.
fn closed(value: &Value, in_all_of: bool, open: &BTreeSet<String>) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, v) in map {
                let child = match key.as_str() {
                    "allOf" => match v {
                        Value::Array(items) => {
                            Value::Array(items.iter().map(|i| closed(i, true, open)).collect())
                        }
                        other => other.clone(),
                    },
                    "schemas" => match v {
                        // The component map itself: each schema stays open if allOf names it.
                        Value::Object(schemas) => Value::Object(
                            schemas
                                .iter()
                                .map(|(name, s)| {
                                    (name.clone(), closed(s, open.contains(name), open))
                                })
                                .collect(),
                        ),
                        other => other.clone(),
                    },
                    _ => closed(v, false, open),
                };
                out.insert(key.clone(), child);
            }
            let is_object = map.contains_key("properties") || map.contains_key("allOf");
            let declared = map.contains_key("additionalProperties")
                || map.contains_key("unevaluatedProperties");
            if is_object && !declared && !in_all_of {
                out.insert("unevaluatedProperties".into(), json!(false));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|i| closed(i, false, open)).collect()),
        other => other.clone(),
    }
}

/// Validates instances against schemas of the document, `$ref`s resolved in it.
struct Schemas {
    components: Value,
}

impl Schemas {
    fn of(doc: &Value) -> Self {
        let mut all_of_refs = Vec::new();
        for schema in doc["components"]["schemas"]
            .as_object()
            .into_iter()
            .flat_map(|m| m.values())
        {
            if let Some(members) = schema.get("allOf") {
                every_ref(members, &mut all_of_refs);
            }
        }
        let open = all_of_refs
            .iter()
            .filter_map(|r| r.strip_prefix("#/components/schemas/"))
            .map(str::to_string)
            .collect();
        Self {
            components: closed(&doc["components"], false, &open),
        }
    }

    /// Every violation of `schema` (a schema object of the document) by `instance`.
    fn violations(&self, schema: &Value, instance: &Value) -> Vec<String> {
        let mut root = closed(schema, false, &BTreeSet::new());
        if let Value::Object(map) = &mut root {
            map.insert(
                "$schema".into(),
                json!("https://json-schema.org/draft/2020-12/schema"),
            );
            map.insert("components".into(), self.components.clone());
        }
        let validator = jsonschema::draft202012::new(&root)
            .unwrap_or_else(|e| panic!("not a JSON Schema 2020-12: {e}\n{schema}"));
        validator
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }
}

/// A sample request and the status it must get.
struct Sample {
    method: &'static str,
    uri: String,
    token: Option<String>,
    content_type: &'static str,
    body: Option<String>,
    status: StatusCode,
}

fn sample(method: &'static str, uri: impl Into<String>, status: StatusCode) -> Sample {
    Sample {
        method,
        uri: uri.into(),
        token: None,
        content_type: "application/json",
        body: None,
        status,
    }
}

impl Sample {
    fn token(mut self, token: &str) -> Self {
        self.token = Some(token.to_string());
        self
    }

    fn body(mut self, body: impl Into<String>) -> Self {
        self.body = Some(body.into());
        self
    }

    fn content_type(mut self, content_type: &'static str) -> Self {
        self.content_type = content_type;
        self
    }
}

/// The route of the table `uri` is a request for.
fn route_of(method: &str, uri: &str) -> Option<&'static str> {
    let path = uri.split('?').next().unwrap_or(uri);
    let segments: Vec<&str> = path.split('/').collect();
    ROUTES.iter().find_map(|&(m, template, _)| {
        let parts: Vec<&str> = template.split('/').collect();
        let matches = m == method
            && parts.len() == segments.len()
            && parts
                .iter()
                .zip(&segments)
                .all(|(t, s)| t.starts_with('{') || t == s);
        matches.then_some(template)
    })
}

async fn send(h: &Harness, s: &Sample) -> (StatusCode, Option<String>, Vec<u8>) {
    let mut request = Request::builder()
        .method(Method::from_bytes(s.method.as_bytes()).expect("method"))
        .uri(&s.uri)
        .header(header::CONTENT_TYPE, s.content_type);
    if let Some(t) = &s.token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let body = s.body.clone().map(Body::from).unwrap_or_default();
    let response = h
        .app
        .clone()
        .oneshot(request.body(body).expect("request"))
        .await
        .expect("infallible");
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = response.into_body().collect().await.expect("body");
    (status, content_type, bytes.to_bytes().to_vec())
}

/// Requests covering every route's success and the errors a test can provoke (not 503:
/// the memory stores do not fail), in an order where each finds what it needs.
fn samples(h: &Harness) -> Vec<Sample> {
    let owner = token(Some("c1"), &[]);
    let stranger = token(Some("c2"), &[]);
    let service = token(None, &["framewise/service"]);
    let admin = token(None, &["framewise/admin"]);
    let style = h.style_id.clone();
    let product = format!("/v1/products/{style}");
    let structured = r#"{"face_shape":"round","undertone":"warm","colour_season":"autumn",
        "age_band":"45-49","preferences":{"shapes":["oval"],"max_price_cents":30000},
        "face_measurements":{"face_width":140,"face_length":190},
        "prescription":{"od":{"sph":-2.25,"cyl":-0.75,"axis":180,"add":2.0},
                        "os":{"sph":-2.0,"cyl":-0.5,"axis":170,"add":2.0},"pd":{"od":31.5,"os":31.5}}}"#;
    let notation = r#"{"face_measurements":{"face_width":140,"face_length":190},
        "prescription":"OD -4.00 -1.00 x 90 OS -3.75 DS PD 62"}"#;
    let profile = "/v1/customers/c1/profile";
    let lens = "/v1/customers/c1/lens-recommendation";
    let too_large = format!(r#"{{"signals": [], "pad": "{}"}}"#, "x".repeat(300 * 1024));
    use StatusCode as S;
    vec![
        sample("GET", "/healthz", S::OK),
        sample("GET", "/livez", S::OK),
        sample("GET", "/healthz", S::UNAUTHORIZED).token("a.b.c"),
        sample("GET", "/openapi.json", S::OK),
        sample("PUT", profile, S::OK).token(&owner).body(structured),
        sample("PUT", "/v1/customers/c3/profile", S::OK)
            .token(&service)
            .body(notation),
        sample("PUT", profile, S::BAD_REQUEST)
            .token(&owner)
            .body(r#"{"face_shape":"pear","x":1}"#),
        sample("PUT", profile, S::UNSUPPORTED_MEDIA_TYPE)
            .token(&owner)
            .body("{}")
            .content_type("text/plain"),
        sample("PUT", profile, S::PAYLOAD_TOO_LARGE)
            .token(&owner)
            .body(too_large.clone()),
        sample("PUT", profile, S::UNAUTHORIZED).body("{}"),
        sample("PUT", profile, S::FORBIDDEN)
            .token(&stranger)
            .body("{}"),
        sample("GET", profile, S::OK).token(&owner),
        sample("GET", format!("{profile}?include=prescription"), S::OK).token(&owner),
        sample(
            "GET",
            format!("{profile}?include=prescription"),
            S::FORBIDDEN,
        )
        .token(&service),
        sample(
            "GET",
            format!("{profile}?include=everything"),
            S::BAD_REQUEST,
        )
        .token(&owner),
        sample("GET", "/v1/customers/c9/profile", S::NOT_FOUND).token(&service),
        sample(
            "GET",
            format!("{lens}?style_id={style}&use=driving,water&child=false"),
            S::OK,
        )
        .token(&owner),
        sample("GET", format!("{lens}?design=progressive"), S::OK).token(&service),
        sample("GET", format!("{lens}?use=flying"), S::BAD_REQUEST).token(&owner),
        sample("GET", format!("{lens}?style_id=nope"), S::NOT_FOUND).token(&owner),
        sample("GET", lens, S::UNAUTHORIZED),
        sample("GET", "/v1/customers/c1/recommendations?limit=3", S::OK).token(&owner),
        sample(
            "GET",
            "/v1/customers/c1/recommendations?limit=3&occasion=beach&country=AU&lat=-33.9&lon=151.2&hour=20",
            S::OK,
        )
        .token(&owner),
        sample(
            "GET",
            "/v1/customers/c1/recommendations?occasion=skydiving",
            S::BAD_REQUEST,
        )
        .token(&owner),
        sample(
            "GET",
            "/v1/customers/c8/recommendations?limit=3&placement=home&session_id=s1",
            S::OK,
        )
        .token(&service),
        sample(
            "GET",
            "/v1/customers/c1/recommendations?limit=0",
            S::BAD_REQUEST,
        )
        .token(&owner),
        sample(
            "GET",
            "/v1/customers/c1/recommendations?limit=3&view=compact",
            S::OK,
        )
        .token(&owner),
        sample(
            "GET",
            "/v1/customers/c1/recommendations?view=mini",
            S::BAD_REQUEST,
        )
        .token(&owner),
        sample("GET", "/v1/customers/c1/offline-bundle?limit=3", S::OK).token(&owner),
        sample("GET", "/v1/customers/c1/offline-bundle", S::OK).token(&service),
        sample(
            "GET",
            "/v1/customers/c1/offline-bundle?limit=x",
            S::BAD_REQUEST,
        )
        .token(&owner),
        sample("GET", "/v1/customers/c1/offline-bundle", S::UNAUTHORIZED),
        sample("GET", "/v1/customers/c1/offline-bundle", S::FORBIDDEN).token(&stranger),
        sample("GET", "/v1/customers/c1/taste", S::OK).token(&owner),
        sample("GET", "/v1/customers/c9/taste", S::NOT_FOUND).token(&service),
        sample("GET", "/v1/customers/c1/taste", S::FORBIDDEN).token(&stranger),
        sample("GET", "/v1/customers/c1/taste", S::UNAUTHORIZED),
        sample("GET", "/v1/customers/c1/bundles?limit=3", S::OK).token(&owner),
        sample(
            "GET",
            format!("/v1/customers/c1/bundles?style_id={style}"),
            S::OK,
        )
        .token(&service),
        sample("GET", "/v1/customers/c1/bundles?limit=x", S::BAD_REQUEST).token(&owner),
        sample("GET", "/v1/customers/c9/bundles", S::NOT_FOUND).token(&service),
        sample("GET", "/v1/customers/c1/bundles", S::FORBIDDEN).token(&stranger),
        sample("GET", "/v1/customers/c1/bundles", S::UNAUTHORIZED),
        sample("GET", "/v1/customers/c1/offers?limit=2", S::OK).token(&owner),
        sample("GET", "/v1/customers/c1/offers?limit=0", S::BAD_REQUEST).token(&owner),
        sample("GET", "/v1/customers/c9/offers", S::NOT_FOUND).token(&service),
        sample("GET", "/v1/customers/c1/offers", S::FORBIDDEN).token(&stranger),
        sample("GET", "/v1/customers/c1/offers", S::UNAUTHORIZED),
        sample(
            "GET",
            format!("/v1/customers/c1/recommendations/{style}/why?top=5"),
            S::OK,
        )
        .token(&owner),
        sample(
            "GET",
            format!("/v1/customers/c8/recommendations/{style}/why"),
            S::OK,
        )
        .token(&service),
        sample(
            "GET",
            "/v1/customers/c1/recommendations/nope/why",
            S::NOT_FOUND,
        )
        .token(&owner),
        sample(
            "GET",
            format!("/v1/customers/c1/recommendations/{style}/why?top=0"),
            S::BAD_REQUEST,
        )
        .token(&owner),
        sample(
            "GET",
            format!("/v1/customers/c1/recommendations/{style}/why"),
            S::FORBIDDEN,
        )
        .token(&stranger),
        sample("GET", "/v1/customers/c1/content?occasion=beach", S::OK).token(&owner),
        sample("GET", "/v1/customers/c1/content?page=home", S::OK).token(&service),
        sample("GET", "/v1/customers/c1/content?page=cart", S::BAD_REQUEST).token(&owner),
        sample("GET", "/v1/customers/c1/content", S::UNAUTHORIZED),
        sample("GET", "/v1/customers/c1/content", S::FORBIDDEN).token(&stranger),
        sample("GET", "/v1/customers/c1/recommendations", S::UNAUTHORIZED),
        sample("GET", "/v1/customers/c1/recommendations", S::FORBIDDEN).token(&stranger),
        sample("POST", "/v1/signals", S::ACCEPTED)
            .token(&owner)
            .body(signal_body(Some("c1"), None, &style)),
        sample("POST", "/v1/signals", S::BAD_REQUEST)
            .token(&owner)
            .body(r#"{"signals": [{"kind": "stare"}]}"#),
        sample("POST", "/v1/signals", S::FORBIDDEN)
            .token(&owner)
            .body(signal_body(Some("c2"), None, &style)),
        sample("POST", "/v1/signals", S::UNSUPPORTED_MEDIA_TYPE)
            .token(&owner)
            .body("{}")
            .content_type("text/plain"),
        sample("POST", "/v1/signals", S::PAYLOAD_TOO_LARGE)
            .token(&owner)
            .body(too_large.clone()),
        sample("POST", "/v1/signals", S::UNAUTHORIZED).body(signal_body(Some("c1"), None, &style)),
        sample("POST", "/v1/sessions/s1/signals", S::ACCEPTED).body(signal_body(
            None,
            Some("s1"),
            &style,
        )),
        sample("POST", "/v1/sessions/s1/signals", S::FORBIDDEN).body(signal_body(
            Some("c1"),
            Some("s1"),
            &style,
        )),
        sample("POST", "/v1/sessions/s1/signals", S::BAD_REQUEST).body(signal_body(
            None,
            Some("s2"),
            &style,
        )),
        sample("POST", "/v1/sessions/s1/signals", S::PAYLOAD_TOO_LARGE).body(too_large),
        sample("POST", "/v1/sessions/s1/signals", S::UNSUPPORTED_MEDIA_TYPE)
            .body("{}")
            .content_type("application/x-www-form-urlencoded"),
        sample(
            "GET",
            "/v1/sessions/s1/recommendations?limit=4&placement=home",
            S::OK,
        ),
        sample(
            "GET",
            "/v1/sessions/s1/recommendations?limit=many",
            S::BAD_REQUEST,
        ),
        sample("GET", &product, S::OK),
        sample("GET", "/v1/products/nope", S::NOT_FOUND),
        sample("GET", "/v1/products/no%20pe", S::BAD_REQUEST),
        sample("GET", format!("{product}/similar?limit=4"), S::OK),
        sample(
            "GET",
            format!("{product}/similar?limit=4&view=compact"),
            S::OK,
        ),
        sample(
            "GET",
            format!("{product}/also-bought?limit=4&view=compact"),
            S::OK,
        ),
        sample(
            "GET",
            "/v1/sessions/s1/recommendations?limit=4&view=compact",
            S::OK,
        ),
        sample("GET", "/v1/trending?view=compact&category=sun", S::OK),
        sample("GET", "/v1/trending?view=COMPACT", S::BAD_REQUEST),
        sample("GET", "/v1/products/nope/similar", S::NOT_FOUND),
        sample(
            "GET",
            format!("{product}/similar?limit=101"),
            S::BAD_REQUEST,
        ),
        sample("GET", format!("{product}/also-bought?limit=4"), S::OK),
        sample("GET", "/v1/products/nope/also-bought", S::NOT_FOUND),
        sample("GET", format!("{product}/image.svg"), S::OK),
        sample(
            "GET",
            format!("{product}/image.svg?colourway=nope"),
            S::NOT_FOUND,
        ),
        sample("GET", format!("{product}/image.png?width=64"), S::OK),
        sample(
            "GET",
            format!("{product}/image.png?width=9"),
            S::BAD_REQUEST,
        ),
        sample("GET", "/v1/products/nope/image.png", S::NOT_FOUND),
        sample("GET", "/v1/trending?limit=5", S::OK),
        sample("GET", "/v1/trending?category=sun&limit=5", S::OK),
        sample("GET", "/v1/trending?category=moon", S::BAD_REQUEST),
        sample("GET", "/v1/customers/c1/export", S::OK).token(&owner),
        sample("GET", "/v1/customers/c1/export", S::FORBIDDEN).token(&service),
        sample("GET", "/v1/customers/c7/export", S::NOT_FOUND).token(&admin),
        sample("DELETE", "/v1/customers/c3", S::FORBIDDEN).token(&service),
        sample("DELETE", "/v1/customers/c3", S::OK).token(&admin),
        sample("DELETE", "/v1/customers/c3", S::UNAUTHORIZED),
        sample("DELETE", profile, S::NO_CONTENT).token(&owner),
        sample("DELETE", profile, S::NOT_FOUND).token(&owner),
        sample("DELETE", profile, S::FORBIDDEN).token(&stranger),
        sample("DELETE", profile, S::UNAUTHORIZED),
        sample("POST", "/v1/experiments", S::CREATED)
            .token(&admin)
            .body(experiment_body("exp-1")),
        sample("POST", "/v1/experiments", S::BAD_REQUEST)
            .token(&admin)
            .body(r#"{"id":"exp-2"}"#),
        sample("POST", "/v1/experiments", S::FORBIDDEN)
            .token(&service)
            .body(experiment_body("exp-3")),
        sample("GET", "/v1/experiments", S::OK).token(&admin),
        sample("GET", "/v1/experiments/exp-1/report", S::OK).token(&admin),
        sample("GET", "/v1/experiments/nope/report", S::NOT_FOUND).token(&admin),
        sample("GET", "/v1/metrics?placement=home", S::OK).token(&admin),
        sample("GET", "/v1/metrics?from=yesterday", S::BAD_REQUEST).token(&admin),
        sample("POST", "/v1/experiments/exp-1/stop", S::OK).token(&admin),
        sample("POST", "/v1/experiments/nope/stop", S::NOT_FOUND).token(&admin),
        sample("PATCH", &product, S::OK)
            .token(&admin)
            .body(r#"{"price_cents":12345}"#),
        sample("PATCH", &product, S::BAD_REQUEST)
            .token(&admin)
            .body(r#"{"prise_cents":12345}"#),
        sample("PATCH", &product, S::FORBIDDEN)
            .token(&service)
            .body(r#"{"active":false}"#),
        sample("PATCH", &product, S::UNAUTHORIZED).body(r#"{"active":false}"#),
        sample("PATCH", "/v1/products/nope", S::NOT_FOUND)
            .token(&admin)
            .body(r#"{"active":false}"#),
    ]
}

#[tokio::test]
async fn when_routes_answer_should_match_the_documented_schema_of_the_status() {
    let h = harness().await;
    let doc = document();
    let schemas = Schemas::of(&doc);
    let mut problems = Vec::new();
    let mut succeeded: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for s in samples(&h) {
        let what = format!("{} {}", s.method, s.uri);
        let route = route_of(s.method, &s.uri).unwrap_or_else(|| panic!("{what}: no route"));
        let (status, content_type, bytes) = send(&h, &s).await;
        let text = String::from_utf8_lossy(&bytes);
        assert_eq!(status, s.status, "{what}: {text}");
        let Some(documented) = response(&doc, s.method, route, status.as_u16()) else {
            problems.push(format!("{what}: status {status} is not documented"));
            continue;
        };
        if status.is_success() {
            *succeeded.entry((s.method, route)).or_default() += 1;
        }
        let Some(schema) = documented
            .get("content")
            .and_then(|c| c.get("application/json"))
            .map(|c| &c["schema"])
        else {
            // Pictures: the answer's content type must be one the document declares.
            let declared = content_type
                .as_deref()
                .is_some_and(|ct| documented["content"].get(ct).is_some());
            if !bytes.is_empty() && !declared {
                problems.push(format!(
                    "{what}: {status} is documented without a {content_type:?} body"
                ));
            }
            continue;
        };
        if content_type.as_deref() != Some("application/json") {
            problems.push(format!("{what}: content-type {content_type:?}"));
        }
        let Ok(answer) = serde_json::from_slice::<Value>(&bytes) else {
            problems.push(format!("{what}: not JSON: {text}"));
            continue;
        };
        for v in schemas.violations(schema, &answer) {
            problems.push(format!("{what} -> {status}: {v}"));
        }
        // The request body of a success is valid under the documented request schema.
        if let (true, Some(body)) = (status.is_success(), &s.body) {
            let op = operation(&doc, s.method, route);
            let schema = &op["requestBody"]["content"]["application/json"]["schema"];
            let body: Value = serde_json::from_str(body).expect("sample bodies are JSON");
            for v in schemas.violations(schema, &body) {
                problems.push(format!("{what} request body: {v}"));
            }
        }
    }
    for &(method, path, _) in ROUTES {
        if !succeeded.contains_key(&(method, path)) {
            problems.push(format!(
                "{method} {path}: no successful sample answer was checked"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn when_request_bodies_break_the_documented_schema_should_be_invalid_there_too() {
    // The documented request schemas refuse what the parsers refuse (the schema is closed
    // where the parser is: unknown profile fields, batches of 0 or 101 signals).
    let doc = document();
    let schemas = Schemas::of(&doc);
    let body_of = |method: &str, path: &str| {
        operation(&doc, method, path)["requestBody"]["content"]["application/json"]["schema"]
            .clone()
    };
    let profile = body_of("PUT", "/v1/customers/{customer_id}/profile");
    for bad in [
        json!({"favourite": 1}),
        json!({"prescription": 5}),
        json!({"age_band": "ancient"}),
    ] {
        assert!(!schemas.violations(&profile, &bad).is_empty(), "{bad}");
    }
    let batch = body_of("POST", "/v1/signals");
    let signals = &doc["components"]["schemas"]["SignalBatch"]["properties"]["signals"];
    assert_eq!(signals["maxItems"], json!(MAX_SIGNALS_PER_REQUEST));
    let one = json!({"event_id": "e", "customer_id": "c", "kind": "view", "style_id": "s",
        "timestamp": "2026-06-01T11:00:00Z"});
    assert!(schemas
        .violations(&batch, &json!({"signals": [one]}))
        .is_empty());
    for bad in [
        json!({"signals": []}),
        json!({"signals": vec![one.clone(); 101]}),
        json!({"signals": [{"event_id": "e", "kind": "stare", "style_id": "s", "timestamp": "x"}]}),
    ] {
        assert!(!schemas.violations(&batch, &bad).is_empty());
    }
}

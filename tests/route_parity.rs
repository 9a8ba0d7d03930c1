//! Parity between the shared router and the AWS deployment: every route of
//! `framewise::api::ROUTES` is routed by `infra/template.yaml` to a function, with the JWT
//! authorizer exactly on token routes, and the function it names really serves it (its
//! router answers from a handler, not the 404/405 fallback). A route the template does not
//! deploy is a bug unless it is listed in `LOCAL_ONLY` with a reason.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use framewise::adapters::memory_stores;
use framewise::api::{RouteAccess, ROUTES};
use framewise::auth::AuthConfig;
use framewise::demo::{generate, DemoConfig};
use framewise::service::{Framewise, ModelRefresh, ServiceConfig};
use framewise_integration_tests::apigw::{self, call, Caller};
use framewise_lambda::Access;

/// Routes served only by `framewise serve`, each with the reason it is not deployed.
const LOCAL_ONLY: &[(&str, &str, &str)] = &[];

/// One `Type: HttpApi` event of the template.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TemplateRoute {
    function: String,
    public: bool,
}

/// The HTTP API events of every function in the template, by (method, path). A line scan:
/// CloudFormation's short-form tags (`!Ref`, `!Sub`) defeat plain YAML parsers, and the
/// event blocks have one fixed shape.
fn template_routes() -> BTreeMap<(String, String), Vec<TemplateRoute>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/template.yaml");
    let text = std::fs::read_to_string(&path).expect("infra/template.yaml");
    let mut routes: BTreeMap<(String, String), Vec<TemplateRoute>> = BTreeMap::new();
    let mut resource = String::new();
    let mut event: Option<(Option<String>, Option<String>, bool)> = None;
    let mut flush = |event: &mut Option<(Option<String>, Option<String>, bool)>, resource: &str| {
        if let Some((Some(method), Some(path), public)) = event.take() {
            routes
                .entry((method, path))
                .or_default()
                .push(TemplateRoute {
                    function: resource.to_string(),
                    public,
                });
        }
    };
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim();
        if indent == 2 && trimmed.ends_with(':') && !trimmed.starts_with('#') {
            flush(&mut event, &resource);
            resource = trimmed.trim_end_matches(':').to_string();
        } else if trimmed == "Type: HttpApi" {
            flush(&mut event, &resource);
            event = Some((None, None, false));
        } else if let Some((method, path, public)) = event.as_mut() {
            if indent <= 8 && !trimmed.is_empty() && !trimmed.starts_with('#') {
                // The next event (or section) began: this one is complete.
                flush(&mut event, &resource);
            } else if let Some(m) = trimmed.strip_prefix("Method: ") {
                *method = Some(m.trim().to_string());
            } else if let Some(p) = trimmed.strip_prefix("Path: ") {
                *path = Some(p.trim().to_string());
            } else if trimmed == "Authorizer: NONE" {
                *public = true;
            }
        }
    }
    flush(&mut event, &resource);
    routes
}

#[test]
fn when_router_has_a_route_the_template_should_deploy_it_with_the_same_access() {
    let deployed = template_routes();
    assert!(deployed.len() >= 10, "the template scan found {deployed:?}");
    for &(method, path, access) in ROUTES {
        if LOCAL_ONLY
            .iter()
            .any(|(m, p, _)| *m == method && *p == path)
        {
            continue;
        }
        let key = (method.to_string(), path.to_string());
        let Some(targets) = deployed.get(&key) else {
            panic!("{method} {path} is served locally but infra/template.yaml routes it nowhere");
        };
        assert_eq!(
            targets.len(),
            1,
            "{method} {path} is routed twice: {targets:?}"
        );
        assert_eq!(
            targets[0].public,
            access == RouteAccess::Public,
            "{method} {path}: the template's authorizer does not match the route's access"
        );
    }
    for (method, path) in deployed.keys() {
        assert!(
            ROUTES.iter().any(|(m, p, _)| m == method && p == path),
            "the template routes {method} {path}, which the shared router does not have"
        );
    }
}

#[tokio::test]
async fn when_template_routes_a_path_to_a_function_that_function_should_serve_it() {
    let data = generate(&DemoConfig {
        styles: 20,
        customers: 5,
        days: 10,
        ..DemoConfig::small()
    });
    let stores = memory_stores();
    stores
        .catalog
        .put_styles(&data.styles)
        .await
        .expect("styles");
    let read_only =
        framewise_lambda::open(stores.clone(), ServiceConfig::default(), Access::ReadOnly)
            .await
            .expect("read-only service");
    let read_write = Arc::new(
        Framewise::open(stores.clone(), ServiceConfig::default())
            .await
            .expect("service"),
    );
    let app_of = |function: &str| -> axum::Router {
        match function {
            "RecommendationsApiFunction" => recommendations_api::app(
                read_only.clone(),
                Arc::new(ModelRefresh::new(Duration::from_secs(60))),
            ),
            "ProfilesApiFunction" => profiles_api::app(read_write.clone()),
            "SignalsApiFunction" => signals_api::app(stores.queue.clone(), AuthConfig::default()),
            other => panic!("the template routes HTTP to {other}, which this test does not know"),
        }
    };
    let style = &data.styles[0].id;
    for ((method, path), targets) in template_routes() {
        let uri = path
            .replace("{customer_id}", "cu-00001")
            .replace("{session_id}", "sess-1")
            .replace("{style_id}", style);
        for target in targets {
            let request = apigw::request(&method, &uri, Some("{}"), Caller::Shopper("cu-00001"));
            let (status, body) = call(app_of(&target.function), request).await;
            assert!(
                status != 405 && body["error"]["message"] != "no such route",
                "{method} {path} is routed to {} but it does not serve it: {status} {body}",
                target.function
            );
        }
    }
}

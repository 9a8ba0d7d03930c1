//! Merchandising rules through the HTTP API (issue 15): locally the rules file in the data
//! directory, on AWS the bucket's `config/merchandising.toml` read by `recommendations-api`
//! over DynamoDB and S3 (moto). A rule published after the lists were stored applies on the
//! next request, without a restart: the pinned style at its position of its placement, the
//! buried brand lower.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use framewise::adapters::aws::{aws_stores, S3ArtifactStore, MERCHANDISING_KEY};
use framewise::adapters::{memory_stores, FileMerchandisingSource};
use framewise::api::{bearer_auth, router};
use framewise::auth::{AuthConfig, DevTokenIssuer, TokenVerifier};
use framewise::demo::DemoConfig;
use framewise::service::{Framewise, MerchandisingConfig, ModelRefresh, ServiceConfig};
use framewise_integration_tests::apigw::Caller;
use framewise_integration_tests::gateway::{locally, through_gateway};
use framewise_integration_tests::moto::Moto;
use framewise_integration_tests::seed_demo;
use framewise_lambda::Access;
use serde_json::Value;

const SECRET: &[u8] = b"aws-merchandise-tests-secret-32-b";
const LIST: &str = "/v1/customers/cu-00001/recommendations?limit=30&placement=home";

fn demo() -> DemoConfig {
    let end = DateTime::parse_from_rfc3339("2026-01-04T00:00:00Z")
        .expect("time")
        .with_timezone(&Utc);
    DemoConfig {
        styles: 60,
        customers: 6,
        days: 10,
        end,
        ..DemoConfig::small()
    }
}

/// Rules are read again for every list, so each request sees the file as just written.
fn config() -> ServiceConfig {
    ServiceConfig {
        merchandising: MerchandisingConfig {
            reload_secs: 0,
            ..MerchandisingConfig::default()
        },
        ..ServiceConfig::default()
    }
}

fn items(page: &Value) -> Vec<Value> {
    page["items"].as_array().cloned().unwrap_or_default()
}

fn position(page: &Value, style_id: &str) -> Option<usize> {
    items(page)
        .iter()
        .position(|i| i["style_id"] == style_id)
        .map(|p| p + 1)
}

/// The first position of an item of `brand`.
fn first_of(page: &Value, brand: &str) -> Option<usize> {
    items(page)
        .iter()
        .position(|i| i["brand"] == brand)
        .map(|p| p + 1)
}

/// A pin of the 11th item at position 2 of "home" and a bury of the first item's brand.
fn rules_for(page: &Value) -> (String, String, String) {
    let list = items(page);
    let pinned = list[10]["style_id"].as_str().expect("id").to_string();
    let brand = list[0]["brand"].as_str().expect("brand").to_string();
    let text = format!(
        "[[pin]]\nid = \"hero\"\nstyle_id = \"{pinned}\"\nplacement = \"home\"\nposition = 2\nlabel = \"Staff pick\"\n\n\
         [[bury]]\nbrand = \"{brand}\"\nmultiplier = 0.25\n"
    );
    (pinned, brand, text)
}

fn assert_applied(before: &Value, after: &Value, pinned: &str, brand: &str) {
    assert_eq!(position(after, pinned), Some(2), "{after}");
    let reason = &items(after)[1]["reasons"][0];
    assert_eq!(reason["code"], "featured");
    assert_eq!(reason["text"], "Staff pick");
    assert_eq!(first_of(before, brand), Some(1));
    assert!(
        first_of(after, brand).is_none_or(|p| p > 1),
        "buried brand {brand} still leads: {after}"
    );
    assert_eq!(after["recommendation_id"], before["recommendation_id"]);
}

fn token(customer: &str) -> String {
    DevTokenIssuer::new(SECRET.to_vec())
        .mint(Some(customer), &[], 600, Utc::now(), &AuthConfig::default())
        .expect("token")
}

#[tokio::test]
async fn when_rules_file_changes_the_local_api_should_pin_and_bury_on_the_next_request() {
    let stores = memory_stores();
    seed_demo(&stores, &demo()).await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("merchandising.toml");
    let service = Framewise::open(stores, config()).await.expect("service");
    service
        .regenerate(Utc::now(), &|_, _| {})
        .await
        .expect("lists precomputed");
    let service = service.with_merchandising(Arc::new(FileMerchandisingSource::new(&file)));
    let verifier = TokenVerifier::with_secret(SECRET.to_vec(), AuthConfig::default());
    let app = bearer_auth(router(Arc::new(service)), Arc::new(verifier));
    let shopper = token("cu-00001");

    let before = locally(&app, LIST, Some(&shopper), &[]).await;
    assert_eq!(before.status, 200);
    let before = before.json();
    let (pinned, brand, text) = rules_for(&before);
    std::fs::write(&file, text).expect("rules written");
    let after = locally(&app, LIST, Some(&shopper), &[]).await;
    assert_eq!(after.status, 200);
    assert_applied(&before, &after.json(), &pinned, &brand);

    // A broken edit keeps the last good rules; removing the file removes them.
    std::fs::write(
        &file,
        "[[pin]]\nstyle_id = \"x\"\nplacement = \"home\"\nposition = 0\n",
    )
    .expect("broken rules written");
    let kept = locally(&app, LIST, Some(&shopper), &[]).await.json();
    assert_eq!(position(&kept, &pinned), Some(2));
    std::fs::remove_file(&file).expect("removed");
    let plain = locally(&app, LIST, Some(&shopper), &[]).await.json();
    assert_eq!(position(&plain, &pinned), position(&before, &pinned));
}

#[tokio::test]
async fn when_rules_are_uploaded_to_the_bucket_the_function_should_pin_and_bury() {
    let moto = Moto::shared();
    let (settings, clients) = moto.fresh("merchandising", 5).await;
    let stores = aws_stores(&clients, &settings);
    seed_demo(&stores, &demo()).await;
    let local = Framewise::open(stores, config()).await.expect("service");
    local
        .regenerate(Utc::now(), &|_, _| {})
        .await
        .expect("lists precomputed");
    let api_service =
        framewise_lambda::open(aws_stores(&clients, &settings), config(), Access::ReadOnly)
            .await
            .expect("api service");
    // As `open_service` wires it on every function.
    api_service.set_merchandising(framewise_lambda::bucket_merchandising(&clients, &settings));
    let lambda = recommendations_api::app(
        api_service,
        Arc::new(ModelRefresh::new(Duration::from_secs(60))),
    );
    let as_shopper = Caller::Shopper("cu-00001");

    let (document, before) = through_gateway(&lambda, LIST, as_shopper, &[]).await;
    assert_eq!(before.status, 200, "{document}");
    let before = before.json();
    let (pinned, brand, text) = rules_for(&before);
    S3ArtifactStore::new(clients.s3.clone(), settings.bucket.clone())
        .put_object(MERCHANDISING_KEY, text.as_bytes())
        .await
        .expect("rules uploaded");
    let (document, after) = through_gateway(&lambda, LIST, as_shopper, &[]).await;
    assert_eq!(after.status, 200, "{document}");
    assert_applied(&before, &after.json(), &pinned, &brand);

    // Another placement has no pin; the bury applies to every placement.
    let cart = "/v1/customers/cu-00001/recommendations?limit=30&placement=cart";
    let (_, other) = through_gateway(&lambda, cart, as_shopper, &[]).await;
    let other = other.json();
    assert_ne!(position(&other, &pinned), Some(2));
    assert!(first_of(&other, &brand).is_none_or(|p| p > 1));

    // The why answer names the rule that moved the buried style.
    let buried = items(&before)[0]["style_id"]
        .as_str()
        .expect("id")
        .to_string();
    let why = format!("/v1/customers/cu-00001/recommendations/{buried}/why");
    let (document, answer) = through_gateway(&lambda, &why, as_shopper, &[]).await;
    assert_eq!(answer.status, 200, "{document}");
    let answer = answer.json();
    let rule = &answer["merchandising"][0];
    assert_eq!(rule["rule"], "bury[1]", "{answer}");
    assert_eq!(rule["kind"], "bury");
}

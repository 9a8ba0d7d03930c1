//! Live catalogue deltas on AWS (issue 15): messages of the catalogue events queue (a raw
//! delta, an EventBridge event, a bad one) reach `catalog-sync`, which changes the style's
//! price and stock in DynamoDB (moto), drops only the stored lists holding it and reports
//! the bad message alone; the admin `PATCH /v1/products/{style_id}` answers the same
//! through `profiles-api` behind API Gateway as from the local server.

use std::collections::HashMap;
use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use axum::body::Body;
use chrono::{DateTime, Utc};
use framewise::adapters::aws::aws_stores;
use framewise::auth::{AuthConfig, DevTokenIssuer, TokenVerifier};
use framewise::demo::DemoConfig;
use framewise::domain::{StoredList, Style};
use framewise::ports::Stores;
use framewise::service::{Framewise, ServiceConfig};
use framewise_integration_tests::apigw::{self, call, Caller};
use framewise_integration_tests::moto::Moto;
use framewise_integration_tests::seed_demo;
use framewise_lambda::Access;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

const SECRET: &[u8] = b"aws-catalog-deltas-secret-32byte";

fn demo() -> DemoConfig {
    DemoConfig {
        styles: 30,
        customers: 12,
        days: 10,
        end: DateTime::parse_from_rfc3339("2026-01-04T00:00:00Z")
            .expect("time")
            .with_timezone(&Utc),
        ..DemoConfig::small()
    }
}

/// Every stored list, by customer.
async fn stored_lists(service: &Framewise) -> HashMap<String, StoredList> {
    let mut lists = HashMap::new();
    for customer in service.regeneration_customers().await.expect("customers") {
        if let Some(list) = service
            .stores()
            .lists
            .get_list(&customer)
            .await
            .expect("list")
        {
            lists.insert(customer, list);
        }
    }
    lists
}

/// A style on some stored lists but not on all of them, with the customers holding it.
fn style_on_some(lists: &HashMap<String, StoredList>) -> (String, Vec<String>) {
    let mut holders: HashMap<&str, Vec<String>> = HashMap::new();
    for (customer, list) in lists {
        for item in &list.items {
            holders
                .entry(item.style_id.as_str())
                .or_default()
                .push(customer.clone());
        }
    }
    let (style, customers) = holders
        .into_iter()
        .filter(|(_, c)| c.len() < lists.len())
        .max_by_key(|(s, c)| (c.len(), s.to_string()))
        .expect("a style on some lists");
    (style.to_string(), customers)
}

/// An SQS batch as Lambda delivers it, message ids `m0`, `m1`...
fn sqs_batch(bodies: &[Value]) -> SqsEvent {
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            json!({
                "messageId": format!("m{i}"),
                "receiptHandle": format!("r{i}"),
                "body": if body.is_string() { body.as_str().unwrap_or_default().to_string() } else { body.to_string() },
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1767484800000"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:framewise-dev-catalog-events",
                "awsRegion": "eu-west-1"
            })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).expect("SQS event")
}

async fn read_write(stores: Stores) -> Arc<Framewise> {
    framewise_lambda::open(stores, ServiceConfig::default(), Access::ReadWrite)
        .await
        .expect("read-write service")
}

#[tokio::test]
async fn when_deltas_arrive_on_the_queue_should_change_dynamodb_and_drop_only_lists_holding_the_style(
) {
    let moto = Moto::shared();
    let (settings, clients) = moto.fresh("catalog-deltas", 5).await;
    let stores = aws_stores(&clients, &settings);
    let config = demo();
    seed_demo(&stores, &config).await;
    let syncer = read_write(stores.clone()).await;
    syncer
        .regenerate(config.end, &|_, _| {})
        .await
        .expect("lists precomputed");
    let before = stored_lists(&syncer).await;
    let (style_id, holders) = style_on_some(&before);
    let style: Style = stores
        .catalog
        .get_style(&style_id)
        .await
        .expect("read")
        .expect("style");
    let sku = style.colourways[0].variants[0].sku.clone();
    let new_price = style.price_cents + 2_500;
    let new_stock = style.colourways[0].variants[0].stock + 11;

    let response = catalog_sync::handle_deltas(
        &syncer,
        sqs_batch(&[
            json!({"style_id": style_id, "price_cents": new_price, "at": "2026-01-04T09:00:00Z"}),
            json!({"style_id": "no-such-style", "active": false}),
            json!({"version": "0", "detail-type": "Framewise Catalog Delta", "source": "shop.inventory",
                "time": "2026-01-04T09:01:00Z", "detail": {"style_id": style_id, "sku": sku, "stock": new_stock}}),
        ]),
        Utc::now(),
    )
    .await;

    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, ["m1"], "only the unknown style is redelivered");
    let stored = stores
        .catalog
        .get_style(&style_id)
        .await
        .expect("read")
        .expect("style");
    assert_eq!(stored.price_cents, new_price, "price in DynamoDB");
    assert_eq!(
        stored.variant(&sku).map(|(_, v)| v.stock),
        Some(new_stock),
        "stock in DynamoDB"
    );
    let after = stored_lists(&syncer).await;
    for (customer, list) in &before {
        if holders.contains(customer) {
            assert!(
                !after.contains_key(customer),
                "{customer}'s list held {style_id}: dropped"
            );
        } else {
            assert_eq!(
                after.get(customer).map(|l| &l.recommendation_id),
                Some(&list.recommendation_id),
                "{customer}'s list did not hold {style_id}: kept"
            );
        }
    }
}

/// A PATCH to the local router with a bearer token: status and JSON body.
async fn patch_locally(app: &axum::Router, uri: &str, body: &str, token: &str) -> (u16, Value) {
    let request = axum::http::Request::patch(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    let response = app
        .clone()
        .oneshot(request)
        .await
        .unwrap_or_else(|e| match e {});
    let status = response.status().as_u16();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn token(customer: Option<&str>, scopes: &[&str]) -> String {
    DevTokenIssuer::new(SECRET.to_vec())
        .mint(customer, scopes, 600, Utc::now(), &AuthConfig::default())
        .expect("token")
}

#[tokio::test]
async fn when_an_admin_patches_a_product_the_function_should_answer_as_the_local_server_does() {
    let moto = Moto::shared();
    let (settings, clients) = moto.fresh("product-patch", 5).await;
    let stores = aws_stores(&clients, &settings);
    let config = demo();
    seed_demo(&stores, &config).await;
    let function = read_write(stores.clone()).await;
    function
        .regenerate(config.end, &|_, _| {})
        .await
        .expect("lists precomputed");
    let lambda = profiles_api::app(function.clone());
    let local_service = Arc::new(
        Framewise::open(stores.clone(), ServiceConfig::default())
            .await
            .expect("local service"),
    );
    let verifier = TokenVerifier::with_secret(SECRET.to_vec(), AuthConfig::default());
    let local =
        framewise::api::bearer_auth(framewise::api::router(local_service), Arc::new(verifier));
    let admin = token(None, &["framewise/admin"]);

    let before = stored_lists(&function).await;
    let (style_id, holders) = style_on_some(&before);
    let original = stores
        .catalog
        .get_style(&style_id)
        .await
        .expect("read")
        .expect("style");
    let uri = format!("/v1/products/{style_id}");
    let body = json!({"price_cents": original.price_cents + 1_000, "active": true}).to_string();

    let (status, through_function) = call(
        lambda.clone(),
        apigw::request("PATCH", &uri, Some(&body), Caller::Admin),
    )
    .await;
    assert_eq!(status, 200, "{through_function}");
    assert_eq!(
        through_function["lists_invalidated"],
        json!(holders.len()),
        "{through_function}"
    );
    assert_eq!(
        through_function["product"]["price_cents"],
        json!(original.price_cents + 1_000)
    );

    // Back to the state before, then the same request to the local server.
    stores
        .catalog
        .put_styles(std::slice::from_ref(&original))
        .await
        .expect("style restored");
    let dropped: Vec<StoredList> = holders.iter().map(|c| before[c].clone()).collect();
    stores
        .lists
        .put_lists(&dropped)
        .await
        .expect("lists restored");
    let (status, from_server) = patch_locally(&local, &uri, &body, &admin).await;
    assert_eq!(status, 200, "{from_server}");
    assert_eq!(from_server, through_function);

    // The refusals match too: an unknown field, an unknown style, a shopper.
    let cases = [
        (
            uri.clone(),
            r#"{"prise_cents": 100}"#,
            Caller::Admin,
            400,
            "prise_cents",
        ),
        (uri.clone(), r#"{"stock": 3}"#, Caller::Admin, 400, "sku"),
        (
            "/v1/products/no-such-style".to_string(),
            r#"{"active": false}"#,
            Caller::Admin,
            404,
            "",
        ),
        (
            uri.clone(),
            r#"{"active": false}"#,
            Caller::Shopper("cu-00001"),
            403,
            "",
        ),
    ];
    let shopper = token(Some("cu-00001"), &[]);
    for (path, body, caller, expected, field) in cases {
        let bearer = if matches!(caller, Caller::Admin) {
            &admin
        } else {
            &shopper
        };
        let (status, through_function) = call(
            lambda.clone(),
            apigw::request("PATCH", &path, Some(body), caller),
        )
        .await;
        let (local_status, from_server) = patch_locally(&local, &path, body, bearer).await;
        assert_eq!(
            (status, local_status),
            (expected, expected),
            "{body}: {through_function}"
        );
        assert_eq!(through_function, from_server, "{body}");
        if !field.is_empty() {
            assert_eq!(
                through_function["error"]["field"],
                json!(field),
                "{through_function}"
            );
        }
    }
}

//! Handler tests of the Lambda functions from JSON fixtures (API Gateway HTTP API v2, SQS,
//! EventBridge Scheduler and S3 events in tests/fixtures/), over in-memory stores.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lambda_events::event::s3::S3Event;
use aws_lambda_events::event::sqs::SqsEvent;
use framewise::adapters::memory_stores;
use framewise::auth::AuthConfig;
use framewise::domain::Subject;
use framewise::service::{Framewise, ModelRefresh, ServiceConfig};
use framewise_integration_tests::apigw::{self, Caller};
use framewise_lambda::Access;
use serde_json::Value;
use tower::ServiceExt;

#[path = "functions_demo.rs"]
mod functions_demo;
use functions_demo::{demo_stores, now};

use framewise_integration_tests::apigw::call;
use framewise_integration_tests::{fixture, FeedMap};

fn request(name: &str) -> lambda_http::Request {
    lambda_http::request::from_str(&fixture(name)).expect("fixture is an API Gateway v2 event")
}

#[tokio::test]
async fn when_get_recommendations_event_arrives_should_serve_list_without_storing_it() {
    let stores = demo_stores().await;
    let service =
        framewise_lambda::open(stores.clone(), ServiceConfig::default(), Access::ReadOnly)
            .await
            .expect("service");
    let app = recommendations_api::app(
        service,
        Arc::new(ModelRefresh::new(Duration::from_secs(60))),
    );

    let (status, body) = call(app.clone(), request("apigw-v2-get-recommendations.json")).await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["customer_id"], "cu-00001");
    assert_eq!(body["items"].as_array().map(Vec::len), Some(5));
    assert!(
        stores
            .lists
            .get_list("cu-00001")
            .await
            .expect("read")
            .is_none(),
        "the read-only API must not store the list it computed"
    );

    let (status, body) = call(app, request("apigw-v2-post-signals.json")).await;
    assert_eq!(status, 405, "{body}");
    assert_eq!(body["error"]["code"], "method_not_allowed");
}

#[tokio::test]
async fn when_signals_posted_should_queue_all_and_answer_202() {
    let stores = memory_stores();
    let app = signals_api::app(stores.queue.clone(), AuthConfig::default());

    let (status, body) = call(app.clone(), request("apigw-v2-post-signals.json")).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["accepted"], 2);
    assert_eq!(stores.queue.depth().await.expect("depth"), 2);

    let (status, body) = call(app, request("apigw-v2-post-signals.json")).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        stores.queue.depth().await.expect("depth"),
        2,
        "duplicates are not queued twice"
    );
}

#[tokio::test]
async fn when_signals_invalid_should_answer_400_naming_fields_and_queue_nothing() {
    let stores = memory_stores();
    let app = signals_api::app(stores.queue.clone(), AuthConfig::default());

    let (status, body) = call(app, request("apigw-v2-post-signals-invalid.json")).await;

    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "invalid_request");
    assert_eq!(body["error"]["field"], "signals[0].kind");
    let fields: Vec<&str> = body["error"]["details"]
        .as_array()
        .expect("details")
        .iter()
        .filter_map(|d| d["field"].as_str())
        .collect();
    assert_eq!(fields, ["signals[0].kind", "signals[1].customer_id"]);
    assert_eq!(stores.queue.depth().await.expect("depth"), 0);
}

#[tokio::test]
async fn when_signals_are_posted_as_text_plain_should_answer_415_and_queue_nothing() {
    let stores = memory_stores();
    let app = signals_api::app(stores.queue.clone(), AuthConfig::default());
    let mut event: Value =
        serde_json::from_str(&fixture("apigw-v2-post-signals.json")).expect("json");
    event["headers"]["content-type"] = Value::String("text/plain".to_string());
    let request = lambda_http::request::from_str(&event.to_string()).expect("event");

    let (status, body) = call(app, request).await;

    assert_eq!(status, 415, "{body}");
    assert_eq!(body["error"]["field"], "content-type");
    assert_eq!(stores.queue.depth().await.expect("depth"), 0);
}

#[tokio::test]
async fn when_signals_body_too_large_should_answer_413() {
    let stores = memory_stores();
    let app = signals_api::app(stores.queue.clone(), AuthConfig::default());
    let mut event: Value =
        serde_json::from_str(&fixture("apigw-v2-post-signals.json")).expect("json");
    event["body"] = Value::String(" ".repeat(framewise::api::MAX_SIGNAL_BODY_BYTES + 1));
    let request = lambda_http::request::from_str(&event.to_string()).expect("event");

    let (status, body) = call(app, request).await;

    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "payload_too_large");
}

#[tokio::test]
async fn when_sqs_batch_has_undecodable_record_should_fail_only_that_record_and_apply_once() {
    let stores = demo_stores().await;
    let service = Framewise::open(stores.clone(), ServiceConfig::default())
        .await
        .expect("service");
    let refresh = ModelRefresh::new(Duration::from_secs(60));
    let event: SqsEvent = serde_json::from_str(&fixture("sqs-signals.json")).expect("SQS event");
    let subject = Subject::Customer("cu-00002".to_string());
    let before = stores
        .signals
        .history(&subject, 1000)
        .await
        .expect("history")
        .len();

    let response = signals_worker::handle(&service, &refresh, event.clone(), now()).await;

    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, ["0a1b2c3d-0000-4000-8000-000000000002"]);
    let history = stores
        .signals
        .history(&subject, 1000)
        .await
        .expect("history");
    assert_eq!(history.len(), before + 2);
    assert!(history.iter().any(|s| s.event_id == "evt-sqs-1"));
    let list = stores.lists.get_list("cu-00002").await.expect("read");
    assert!(list.is_some_and(|l| l.generated_at == now()));

    // Redelivery of the same batch: nothing is applied twice.
    let response = signals_worker::handle(&service, &refresh, event, now()).await;
    assert_eq!(response.batch_item_failures.len(), 1);
    let again = stores
        .signals
        .history(&subject, 1000)
        .await
        .expect("history");
    assert_eq!(again.len(), before + 2);
}

#[tokio::test]
async fn when_feed_drops_and_empties_styles_should_deactivate_and_recompute_lists_holding_them() {
    let stores = demo_stores().await;
    let service = Framewise::open(stores.clone(), ServiceConfig::default())
        .await
        .expect("service");
    service.regenerate(now(), &|_, _| {}).await.expect("lists");
    // The two styles most often listed disappear (one dropped, one sold out).
    let mut counts: HashMap<String, usize> = HashMap::new();
    for id in service.regeneration_customers().await.expect("ids") {
        if let Some(list) = stores.lists.get_list(&id).await.expect("read") {
            for item in list.items {
                *counts.entry(item.style_id).or_default() += 1;
            }
        }
    }
    let mut popular: Vec<(String, usize)> = counts.into_iter().collect();
    popular.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let (dropped, sold_out) = (popular[0].0.clone(), popular[1].0.clone());
    let mut feed = stores.catalog.list_styles().await.expect("styles");
    feed.retain(|s| s.id != dropped);
    for style in feed.iter_mut().filter(|s| s.id == sold_out) {
        for colourway in &mut style.colourways {
            for variant in &mut colourway.variants {
                variant.stock = 0;
            }
        }
    }
    let body: String = feed
        .iter()
        .map(|s| serde_json::to_string(s).expect("json") + "\n")
        .collect();
    let objects = FeedMap(HashMap::from([(
        "feeds/master frames:2026-11-27.jsonl".to_string(),
        body.into_bytes(),
    )]));
    let event: S3Event = serde_json::from_str(&fixture("s3-feed-created.json")).expect("S3 event");

    let outcomes = catalog_sync::handle(
        &service,
        &objects,
        event,
        Instant::now() + Duration::from_secs(600),
        now(),
    )
    .await
    .expect("synced");

    assert_eq!(outcomes.len(), 1);
    let outcome = &outcomes[0];
    assert_eq!(outcome.sync.deactivated, std::slice::from_ref(&dropped));
    let mut unavailable = vec![dropped.clone(), sold_out.clone()];
    unavailable.sort();
    assert_eq!(outcome.sync.newly_unavailable, unavailable);
    assert!(outcome.lists_recomputed > 0);
    let style = stores
        .catalog
        .get_style(&dropped)
        .await
        .expect("read")
        .expect("kept");
    assert!(!style.active);
    for id in service.regeneration_customers().await.expect("ids") {
        if let Some(list) = stores.lists.get_list(&id).await.expect("read") {
            assert!(
                list.items
                    .iter()
                    .all(|i| i.style_id != dropped && i.style_id != sold_out),
                "{id} still lists an unavailable style"
            );
        }
    }
}

#[tokio::test]
async fn when_feed_line_invalid_should_fail_naming_line_and_write_nothing() {
    let stores = demo_stores().await;
    let service = Framewise::open(stores.clone(), ServiceConfig::default())
        .await
        .expect("service");
    let styles = stores.catalog.list_styles().await.expect("styles");
    let mut broken = styles[1].clone();
    broken.price_cents = 0;
    let body = format!(
        "{}\n{}\n",
        serde_json::to_string(&styles[0]).expect("json"),
        serde_json::to_string(&broken).expect("json")
    );
    let objects = FeedMap(HashMap::from([(
        "feeds/master frames:2026-11-27.jsonl".to_string(),
        body.into_bytes(),
    )]));
    let event: S3Event = serde_json::from_str(&fixture("s3-feed-created.json")).expect("S3 event");

    let error = catalog_sync::handle(&service, &objects, event, Instant::now(), now())
        .await
        .expect_err("invalid feed");

    let message = error.to_string();
    assert!(
        message.contains(":2:") && message.contains("price_cents"),
        "{message}"
    );
    let after = stores.catalog.list_styles().await.expect("styles");
    assert_eq!(after, styles, "an invalid feed changes nothing");
}

#[tokio::test]
async fn when_object_is_a_trend_feed_or_collection_should_not_sync_it_as_a_catalogue() {
    let stores = demo_stores().await;
    let service = Framewise::open(stores.clone(), ServiceConfig::default())
        .await
        .expect("service");
    let styles = stores.catalog.list_styles().await.expect("styles");
    let mut outcomes = Vec::new();
    for key in ["feeds/trends/today.jsonl", "feeds/collections/mara.jsonl"] {
        // Not a catalogue: synced, it would deactivate every style.
        let objects = FeedMap(HashMap::from([(
            key.to_string(),
            serde_json::to_vec(&styles[0]).expect("json"),
        )]));
        let event =
            fixture("s3-feed-created.json").replace("feeds/master+frames%3A2026-11-27.jsonl", key);
        let event: S3Event = serde_json::from_str(&event).expect("S3 event");
        outcomes.extend(
            catalog_sync::handle(&service, &objects, event, Instant::now(), now())
                .await
                .expect("skipped, not failed"),
        );
    }
    assert!(outcomes.is_empty(), "{outcomes:?}");
    let after = stores.catalog.list_styles().await.expect("styles");
    assert_eq!(after, styles);
}

#[test]
fn when_s3_key_is_form_encoded_should_decode_it() {
    assert_eq!(
        catalog_sync::decode_s3_key("feeds/master+frames%3A2026.jsonl"),
        "feeds/master frames:2026.jsonl"
    );
    assert_eq!(catalog_sync::decode_s3_key("feeds/100%"), "feeds/100%");
}

#[tokio::test]
async fn when_another_instance_publishes_a_model_should_switch_at_the_next_refresh() {
    let stores = demo_stores().await;
    let worker = Framewise::open(stores.clone(), ServiceConfig::default())
        .await
        .expect("worker");
    let regenerator = Framewise::open(stores.clone(), ServiceConfig::default())
        .await
        .expect("regenerator");
    let refresh = ModelRefresh::new(Duration::from_secs(3600));
    assert!(!refresh.maybe_reload(&worker).await.expect("first check"));

    let (version, _) = regenerator
        .regenerate_model(now())
        .await
        .expect("published");

    assert!(
        !refresh.maybe_reload(&worker).await.expect("rate limited"),
        "checked again before the interval passed"
    );
    assert!(worker.reload_model_if_changed().await.expect("reload"));
    assert_eq!(worker.engine().model_version(), version);
    let eager = ModelRefresh::new(Duration::ZERO);
    assert!(!eager.maybe_reload(&worker).await.expect("unchanged"));
}

#[tokio::test]
async fn when_profile_put_through_profiles_api_should_read_back_advise_lenses_and_delete() {
    const OWNER: Caller = Caller::Shopper("cu-00002");
    let stores = demo_stores().await;
    let service = Arc::new(
        Framewise::open(stores.clone(), ServiceConfig::default())
            .await
            .expect("open"),
    );
    let path = "/v1/customers/cu-00002/profile";
    let profile = r#"{"face_shape": "round", "prescription": "OD -4.00 OS -4.00 PD 63"}"#;

    let (status, body) = call(
        profiles_api::app(service.clone()),
        apigw::request("PUT", path, Some(profile), OWNER),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["prescription_on_file"], true);
    assert!(body.get("prescription").is_none(), "redacted: {body}");

    let (status, body) = call(
        profiles_api::app(service.clone()),
        apigw::request("GET", path, None, OWNER),
    )
    .await;
    assert_eq!(
        (status, body["face_shape"].as_str()),
        (200, Some("round")),
        "{body}"
    );

    let lens = "/v1/customers/cu-00002/lens-recommendation";
    let (status, body) = call(
        profiles_api::app(service.clone()),
        apigw::request("GET", lens, None, OWNER),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["index"].is_number(), "{body}");

    // 204 has no body to parse.
    let deleted = profiles_api::app(service.clone())
        .oneshot(apigw::request("DELETE", path, None, OWNER))
        .await
        .expect("router is infallible");
    assert_eq!(deleted.status().as_u16(), 204);
    let (status, _) = call(
        profiles_api::app(service.clone()),
        apigw::request("GET", path, None, OWNER),
    )
    .await;
    assert_eq!(status, 404);
    let (status, body) = call(
        profiles_api::app(service),
        apigw::request("GET", "/v1/trending", None, OWNER),
    )
    .await;
    assert_eq!(status, 404, "only the profile routes: {body}");
}

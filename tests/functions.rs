//! Handler tests of the Lambda functions from JSON fixtures (API Gateway HTTP API v2, SQS,
//! EventBridge Scheduler and S3 events in tests/fixtures/), over in-memory stores.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_lambda_events::event::s3::S3Event;
use aws_lambda_events::event::sqs::SqsEvent;
use framewise::adapters::memory_stores;
use framewise::auth::AuthConfig;
use framewise::domain::Subject;
use framewise::error::StoreResult;
use framewise::ports::Stores;
use framewise::service::{Framewise, ModelRefresh, ServiceConfig};
use framewise_integration_tests::apigw::{self, Caller};
use framewise_lambda::Access;
use serde_json::{json, Value};
use tower::ServiceExt;

fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[path = "functions_demo.rs"]
mod functions_demo;
use functions_demo::{demo_stores, now};

use framewise_integration_tests::apigw::call;

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

/// Runs one regeneration step as the state machine would, returning what it sees.
async fn step(service: &Framewise, event: Value) -> Value {
    step_until(service, event, Instant::now() + Duration::from_secs(600))
        .await
        .expect("step succeeded")
}

async fn step_until(
    service: &Framewise,
    event: Value,
    deadline: Instant,
) -> Result<Value, framewise_lambda::FunctionError> {
    let output = regenerate::handle(service, event, deadline, now()).await?;
    Ok(serde_json::to_value(output).expect("json"))
}

/// Train and shard: the run id and its shard names.
async fn train_and_shard(service: &Framewise, shard_size: usize) -> (String, Vec<String>) {
    let trained = step(service, json!({"step": "train"})).await;
    let run = trained["run"].as_str().expect("run").to_string();
    let sharded = step(
        service,
        json!({"step": "shard", "run": run, "shard_size": shard_size}),
    )
    .await;
    assert_eq!(sharded["manifest_key"], format!("models/{run}/shards.json"));
    let manifest = unfinished_shards(service, &run).await;
    assert_eq!(sharded["shards"], manifest.len());
    (run, manifest)
}

async fn unfinished_shards(service: &Framewise, run: &str) -> Vec<String> {
    let summary = step(service, json!({"step": "summarize", "run": run})).await;
    summary["failed_shards"]
        .as_array()
        .expect("failed shards")
        .iter()
        .map(|s| s["shard"].as_str().expect("shard").to_string())
        .collect()
}

#[tokio::test]
async fn when_run_is_stepped_should_publish_shard_recompute_every_list_and_sum_up() {
    let stores = demo_stores().await;
    let service = Framewise::open(stores.clone(), ServiceConfig::default())
        .await
        .expect("service");

    let (run, shards) = train_and_shard(&service, 5).await;
    assert_eq!(shards.len(), 3, "12 customers in shards of 5");
    for shard in &shards {
        let done = step(
            &service,
            json!({"step": "recompute", "run": run, "shard": shard}),
        )
        .await;
        assert_eq!(done["superseded"], false);
    }
    let summary = step(&service, json!({"step": "summarize", "run": run})).await;

    assert_eq!(
        (
            &summary["completed"],
            &summary["recomputed"],
            &summary["checked"]
        ),
        (&json!(3), &json!(12), &json!(12))
    );
    assert_eq!(summary["failed_shards"], json!([]));
    assert_eq!(
        stores.artifacts.current().await.expect("pointer"),
        Some(run.clone())
    );
    let list = stores
        .lists
        .get_list("cu-00012")
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(list.model_version, run);
}

#[tokio::test]
async fn when_shard_runs_out_of_time_should_fail_for_a_retry_and_stay_unfinished() {
    let stores = demo_stores().await;
    let config = ServiceConfig {
        write_chunk: 2,
        ..ServiceConfig::default()
    };
    let service = Framewise::open(stores.clone(), config)
        .await
        .expect("service");
    let (run, shards) = train_and_shard(&service, 6).await;
    let first = json!({"step": "recompute", "run": run, "shard": shards[0]});

    // The deadline has already passed: the shard fails with a type the state machine retries.
    let late = step_until(&service, first.clone(), Instant::now())
        .await
        .expect_err("out of time");
    assert_eq!(late.error_type(), "Framewise.OutOfTime");
    let summary = step(&service, json!({"step": "summarize", "run": run})).await;
    assert_eq!(
        summary["failed_shards"],
        json!([{"shard": shards[0]}, {"shard": shards[1]}])
    );

    // The retry finishes it; only the other shard is still to do.
    let retried = step(&service, first).await;
    assert_eq!(retried["recomputed"], 6);
    let summary = step(&service, json!({"step": "summarize", "run": run})).await;
    assert_eq!(summary["failed_shards"], json!([{"shard": shards[1]}]));
    assert_eq!(summary["completed"], 1);

    let unknown = step_until(
        &service,
        json!({"step": "recompute", "run": run, "shard": "shard-999999.json"}),
        Instant::now() + Duration::from_secs(60),
    )
    .await
    .expect_err("no such shard");
    assert_eq!(unknown.error_type(), "Framewise.NotFound");
    let bad = step_until(&service, json!({"step": "shard"}), Instant::now())
        .await
        .expect_err("no run");
    assert_eq!(bad.error_type(), "Framewise.Invalid");
    assert!(bad.to_string().contains("run"), "{bad}");
}

/// A feed that lists the catalogue as it is: catalog-sync publishes a model over it and
/// recomputes no list (nothing stopped being sellable).
async fn unchanged_feed(stores: &Stores) -> Objects {
    let body: String = stores
        .catalog
        .list_styles()
        .await
        .expect("styles")
        .iter()
        .map(|s| serde_json::to_string(s).expect("json") + "\n")
        .collect();
    Objects(HashMap::from([(
        "feeds/master frames:2026-11-27.jsonl".to_string(),
        body.into_bytes(),
    )]))
}

#[tokio::test]
async fn when_catalog_feed_lands_mid_run_should_finish_the_run_with_the_refreshed_model() {
    let stores = demo_stores().await;
    // Two functions, as on AWS: regenerate and catalog-sync, over the same stores.
    let regenerator = Framewise::open(stores.clone(), ServiceConfig::default())
        .await
        .expect("regenerator");
    let syncer = Framewise::open(stores.clone(), ServiceConfig::default())
        .await
        .expect("catalog-sync");
    let (run, shards) = train_and_shard(&regenerator, 5).await;
    step(
        &regenerator,
        json!({"step": "recompute", "run": run, "shard": shards[0]}),
    )
    .await;

    // A feed lands: catalog-sync publishes a model and recomputes no list.
    let event: S3Event = serde_json::from_str(&fixture("s3-feed-created.json")).expect("S3 event");
    let feed = unchanged_feed(&stores).await;
    let synced = catalog_sync::handle(&syncer, &feed, event, Instant::now(), now())
        .await
        .expect("synced");
    let refreshed_model = synced[0].sync.model_version.clone();
    assert_ne!(refreshed_model, run);
    assert_eq!(synced[0].lists_recomputed, 0);

    for shard in &shards[1..] {
        let done = step(
            &regenerator,
            json!({"step": "recompute", "run": run, "shard": shard}),
        )
        .await;
        assert_eq!(
            (&done["superseded"], &done["model_version"]),
            (&json!(false), &json!(refreshed_model))
        );
    }
    let summary = step(&regenerator, json!({"step": "summarize", "run": run})).await;

    assert_eq!(
        (&summary["recomputed"], &summary["superseded"]),
        (&json!(12), &json!(0))
    );
    assert_eq!(summary["model_version"], refreshed_model);
    for n in 6..=12 {
        let id = format!("cu-{n:05}");
        let list = stores
            .lists
            .get_list(&id)
            .await
            .expect("read")
            .expect("stored");
        assert_eq!(list.model_version, refreshed_model, "{id}");
    }
}

#[tokio::test]
async fn when_runs_overlap_should_leave_the_older_runs_shards_to_the_newest() {
    let stores = demo_stores().await;
    let regenerator = Framewise::open(stores.clone(), ServiceConfig::default())
        .await
        .expect("regenerator");
    let syncer = Framewise::open(stores.clone(), ServiceConfig::default())
        .await
        .expect("catalog-sync");
    // Two runs start before either recomputes a list.
    let (older, older_shards) = train_and_shard(&regenerator, 20).await;
    let (newer, newer_shards) = train_and_shard(&regenerator, 20).await;
    assert_ne!(older, newer);
    let event: S3Event = serde_json::from_str(&fixture("s3-feed-created.json")).expect("S3 event");
    let feed = unchanged_feed(&stores).await;
    let synced = catalog_sync::handle(&syncer, &feed, event, Instant::now(), now())
        .await
        .expect("synced");
    assert_eq!(
        syncer.current_run().await.expect("run").as_deref(),
        Some(newer.as_str()),
        "a refresh joins the run in progress"
    );

    let dropped = step(
        &regenerator,
        json!({"step": "recompute", "run": older, "shard": older_shards[0]}),
    )
    .await;
    let finished = step(
        &regenerator,
        json!({"step": "recompute", "run": newer, "shard": newer_shards[0]}),
    )
    .await;

    assert_eq!(
        (&dropped["superseded"], &dropped["recomputed"]),
        (&json!(true), &json!(0))
    );
    assert_eq!(
        (&finished["superseded"], &finished["recomputed"]),
        (&json!(false), &json!(12))
    );
    assert_eq!(finished["model_version"], synced[0].sync.model_version);
}

#[tokio::test]
async fn when_training_is_exported_should_adopt_only_a_complete_external_model() {
    let stores = demo_stores().await;
    let service = Framewise::open(stores.clone(), ServiceConfig::default())
        .await
        .expect("service");
    let before = stores.artifacts.current().await.expect("pointer");

    let exported = step(&service, json!({"step": "export"})).await;
    let version = exported["run"].as_str().expect("version").to_string();
    assert_eq!(exported["out_prefix"], format!("models/{version}/"));
    let csv = stores
        .artifacts
        .get(&version, "training-events.csv")
        .await
        .expect("read")
        .expect("events exported");
    let csv = String::from_utf8(csv).expect("utf-8");
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("subject,item,weight,timestamp"));
    assert_eq!(
        lines.count(),
        exported["events"].as_u64().expect("count") as usize
    );
    assert!(exported["events"].as_u64().expect("count") > 0);
    assert!(
        !csv.contains("session:"),
        "anonymous sessions are not trained on"
    );

    // Spark has not written its embeddings: nothing is published.
    let refused = step_until(
        &service,
        json!({"step": "adopt", "run": version}),
        Instant::now(),
    )
    .await
    .expect_err("no learned artifacts");
    assert_eq!(refused.error_type(), "Framewise.Model");
    assert_eq!(stores.artifacts.current().await.expect("pointer"), before);
}

#[tokio::test]
async fn when_resumed_after_a_customer_should_only_recompute_the_rest() {
    let stores = demo_stores().await;
    let service = Framewise::open(stores.clone(), ServiceConfig::default())
        .await
        .expect("service");
    let batch = service
        .recompute_lists(Some("cu-00010"), usize::MAX, None, now())
        .await
        .expect("batch");
    assert_eq!((batch.checked, batch.recomputed), (2, 2));
    assert_eq!(batch.next_cursor, None);
    assert!(stores
        .lists
        .get_list("cu-00010")
        .await
        .expect("read")
        .is_none());
    assert!(stores
        .lists
        .get_list("cu-00011")
        .await
        .expect("read")
        .is_some());

    let batch = service
        .recompute_lists(None, 4, None, now())
        .await
        .expect("batch");
    assert_eq!(batch.next_cursor.as_deref(), Some("cu-00004"));
}

/// Feed objects from a map instead of S3.
struct Objects(HashMap<String, Vec<u8>>);

#[async_trait]
impl catalog_sync::FeedObjects for Objects {
    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.0.get(key).cloned())
    }
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
    let objects = Objects(HashMap::from([(
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
    let objects = Objects(HashMap::from([(
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

//! The regenerate function's steps as the Step Functions state machine sends them
//! (train, shard, recompute, summarize, export and adopt), over the small demo shop in memory:
//! what each returns, retries after running out of time, a catalogue refresh mid-run and
//! overlapping runs. `tests/step_functions.rs` runs the state machine itself on moto.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_lambda_events::event::s3::S3Event;
use framewise::ports::Stores;
use framewise::service::{Framewise, ServiceConfig};
use framewise_integration_tests::{fixture, FeedMap};
use serde_json::{json, Value};

#[path = "functions_demo.rs"]
mod functions_demo;
use functions_demo::{demo_stores, now};

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
async fn unchanged_feed(stores: &Stores) -> FeedMap {
    let body: String = stores
        .catalog
        .list_styles()
        .await
        .expect("styles")
        .iter()
        .map(|s| serde_json::to_string(s).expect("json") + "\n")
        .collect();
    FeedMap(HashMap::from([(
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

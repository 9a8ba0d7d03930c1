//! End-to-end: the real `framewise serve` binary over HTTP, with demo data and the embedded store.

use std::time::{Duration, Instant};

use framewise_integration_tests::{get_json, post_json, wait_for, Server};
use serde_json::{json, Value};

const DEMO: &[&str] = &[
    "--demo",
    "--styles",
    "200",
    "--customers",
    "300",
    "--days",
    "60",
    "--regenerate-every",
    "0",
];

/// A timestamp the server accepts (not in the future, even with a little clock skew).
fn recent_timestamp() -> String {
    (chrono::Utc::now() - chrono::Duration::seconds(1)).to_rfc3339()
}

fn purchase(event_id: &str, customer: &str, style: &str, ts: &str) -> Value {
    json!({"event_id": event_id, "customer_id": customer, "kind": "purchase",
           "style_id": style, "timestamp": ts})
}

fn styles_of(list: &Value) -> Vec<(String, String)> {
    list["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| {
                    (
                        i["style_id"].as_str().unwrap_or_default().to_string(),
                        i["shape"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn count_round(list: &Value) -> usize {
    styles_of(list).iter().filter(|(_, s)| s == "round").count()
}

#[tokio::test(flavor = "multi_thread")]
async fn when_customer_buys_two_round_frames_should_see_more_round_frames_and_not_the_purchases() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(dir.path(), DEMO);
    let client = server.client();

    let (status, health) = get_json(&client, &server.url("/healthz")).await;
    assert_eq!(status, 200, "{health}");

    // The demo customer with the fewest round frames in their list.
    let mut chosen: Option<(String, Value)> = None;
    for n in 1..=15 {
        let id = format!("cu-{n:05}");
        let url = server.url(&format!("/v1/customers/{id}/recommendations?limit=20"));
        let (status, list) = get_json(&client, &url).await;
        assert_eq!(status, 200, "{list}");
        let items = list["items"].as_array().cloned().unwrap_or_default();
        assert_eq!(items.len(), 20, "a demo customer gets a full page: {list}");
        for item in &items {
            let reasons = item["reasons"].as_array().cloned().unwrap_or_default();
            assert!(!reasons.is_empty(), "every item has a reason: {item}");
            assert!(reasons
                .iter()
                .all(|r| r["text"].as_str().is_some_and(|t| !t.is_empty())));
            assert!(
                item["name"].is_string()
                    && item["price_cents"].is_u64()
                    && item["size"].is_object()
            );
        }
        if chosen
            .as_ref()
            .is_none_or(|(_, best)| count_round(&list) < count_round(best))
        {
            chosen = Some((id, list));
        }
    }
    let (customer, before) = chosen.expect("at least one customer");

    // Two in-stock round frames that are not on the list yet.
    let listed: Vec<String> = styles_of(&before).into_iter().map(|(id, _)| id).collect();
    let mut round = Vec::new();
    for n in 1..=200 {
        let id = format!("st-{n:04}");
        let (status, style) = get_json(&client, &server.url(&format!("/v1/products/{id}"))).await;
        if status != 200
            || style["shape"] != "round"
            || style["active"] != true
            || listed.contains(&id)
        {
            continue;
        }
        let in_stock = style["colourways"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| {
                c["variants"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|v| v["stock"].as_u64() > Some(0))
            });
        if in_stock {
            round.push(id);
        }
        if round.len() == 2 {
            break;
        }
    }
    assert_eq!(round.len(), 2, "the demo catalogue has round frames");

    let ts = recent_timestamp();
    let body = json!({"signals": [
        purchase("e2e-p1", &customer, &round[0], &ts),
        purchase("e2e-p2", &customer, &round[1], &ts),
    ]});
    let posted = Instant::now();
    let (status, accepted) = post_json(&client, &server.url("/v1/signals"), &body).await;
    assert_eq!(status, 202, "{accepted}");
    assert_eq!(accepted, json!({"accepted": 2, "duplicates": 0}));
    let (status, again) = post_json(&client, &server.url("/v1/signals"), &body).await;
    assert_eq!(status, 202);
    assert_eq!(again, json!({"accepted": 0, "duplicates": 2}));

    let url = server.url(&format!(
        "/v1/customers/{customer}/recommendations?limit=20"
    ));
    let before_id = before["recommendation_id"].clone();
    let after = wait_for(Duration::from_secs(10), || {
        let client = client.clone();
        let url = url.clone();
        let before_id = before_id.clone();
        async move {
            let (status, list) = get_json(&client, &url).await;
            (status == 200 && list["recommendation_id"] != before_id).then_some(list)
        }
    })
    .await
    .expect("the list changed after the purchases were processed");
    let elapsed = posted.elapsed();
    println!(
        "list updated {} ms after the 202; round frames {} -> {}",
        elapsed.as_millis(),
        count_round(&before),
        count_round(&after)
    );
    let after_ids: Vec<String> = styles_of(&after).into_iter().map(|(id, _)| id).collect();
    assert!(
        !after_ids.contains(&round[0]) && !after_ids.contains(&round[1]),
        "purchased styles are filtered"
    );
    assert!(
        count_round(&after) > count_round(&before),
        "round frames {} -> {}",
        count_round(&before),
        count_round(&after)
    );
    let reasons: Vec<String> = after["items"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|i| i["reasons"].as_array().cloned().unwrap_or_default())
        .filter_map(|r| r["text"].as_str().map(str::to_string))
        .collect();
    assert!(!reasons.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn when_server_is_killed_after_202_should_process_signal_after_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    // No worker: the accepted signal can only survive in the durable queue.
    let server = Server::start(dir.path(), &[DEMO, &["--no-worker"]].concat());
    // The token secret lives in the data directory, so the token outlives the restart.
    let client = server.client();
    let customer = "cu-00002";
    let list_url = format!("/v1/customers/{customer}/recommendations?limit=100");
    let (_, before) = get_json(&client, &server.url(&list_url)).await;
    let target = styles_of(&before)
        .first()
        .map(|(id, _)| id.clone())
        .expect("a non-empty list");
    let ts = recent_timestamp();
    let body = json!({"signals": [purchase("durable-1", customer, &target, &ts)]});
    let (status, accepted) = post_json(&client, &server.url("/v1/signals"), &body).await;
    assert_eq!(status, 202, "{accepted}");
    let (_, health) = get_json(&client, &server.url("/healthz")).await;
    assert_eq!(health["queue_depth"], 1, "{health}");
    server.kill();

    let server = Server::start(dir.path(), &["--regenerate-every", "0"]);
    let processed = wait_for(Duration::from_secs(15), || {
        let client = client.clone();
        let url = server.url(&list_url);
        let health = server.url("/healthz");
        let target = target.clone();
        async move {
            let (_, h) = get_json(&client, &health).await;
            let (_, list) = get_json(&client, &url).await;
            let gone = !styles_of(&list).iter().any(|(id, _)| *id == target);
            (h["queue_depth"] == 0 && gone).then_some(())
        }
    })
    .await;
    assert!(
        processed.is_some(),
        "the queued purchase was processed after restart"
    );
    // Re-posting the same event after restart is still a duplicate.
    let (_, again) = post_json(&client, &server.url("/v1/signals"), &body).await;
    assert_eq!(again, json!({"accepted": 0, "duplicates": 1}));
}

#[tokio::test(flavor = "multi_thread")]
async fn when_input_is_bad_should_answer_structured_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(dir.path(), DEMO);
    let client = server.client();
    let (status, body) = get_json(&client, &server.url("/v1/products/nope")).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
    let (status, body) = get_json(
        &client,
        &server.url("/v1/customers/cu-00001/recommendations?limit=0"),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["field"], "limit");
    let (status, body) = get_json(
        &client,
        &server.url("/v1/customers/nobody-yet/recommendations"),
    )
    .await;
    assert_eq!(
        status, 200,
        "unknown customers get a cold-start list: {body}"
    );
    assert_eq!(body["source"], "cold_start");
    assert!(!body["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .is_empty());
    let (status, body) = post_json(
        &client,
        &server.url("/v1/signals"),
        &json!({"signals": [{"event_id": "x", "customer_id": "c", "kind": "stare", "style_id": "st-0001", "timestamp": "2026-01-01T00:00:00Z"}]}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["field"], "signals[0].kind");
}

#[test]
fn when_config_printed_should_validate_and_when_a_key_is_bad_serve_should_refuse_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bin = framewise_integration_tests::framewise_bin();
    let printed = std::process::Command::new(bin)
        .args(["config", "--print-defaults"])
        .output()
        .expect("framewise config runs");
    assert!(printed.status.success());
    let defaults = dir.path().join("defaults.toml");
    std::fs::write(&defaults, &printed.stdout).expect("write defaults");
    let checked = std::process::Command::new(bin)
        .arg("config")
        .arg("--config")
        .arg(&defaults)
        .output()
        .expect("framewise config --config runs");
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[engine]\ndiversity_lambda = 3.0\n").expect("write bad config");
    let mut serve = std::process::Command::new(bin)
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("--config")
        .arg(&bad)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("framewise serve runs");
    // A server that wrongly accepted the file would keep running: give it a minute, then stop it.
    let started = Instant::now();
    let exited = loop {
        match serve.try_wait().expect("wait for serve") {
            Some(status) => break Some(status),
            None if started.elapsed() > Duration::from_secs(60) => break None,
            None => std::thread::sleep(Duration::from_millis(100)),
        }
    };
    let _ = serve.kill();
    let refused = serve.wait_with_output().expect("serve output");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        exited.is_some_and(|status| !status.success()),
        "a bad configuration must stop the server at start: {stderr}"
    );
    assert!(stderr.contains("engine.diversity_lambda"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn when_config_file_sets_default_limit_should_serve_pages_of_that_size() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("framewise.toml");
    std::fs::write(&config, "default_limit = 5\n").expect("write config");
    let config = config.to_string_lossy().to_string();
    let mut args = DEMO.to_vec();
    args.extend(["--config", config.as_str()]);
    let server = Server::start(&dir.path().join("data"), &args);
    let client = server.client();
    let (status, list) = get_json(
        &client,
        &server.url("/v1/customers/cu-00001/recommendations"),
    )
    .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(5), "{list}");
}

#[tokio::test(flavor = "multi_thread")]
async fn when_demo_serves_should_write_tokens_and_refuse_strangers_over_http() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(dir.path(), DEMO);
    // `serve --demo` wrote tokens for a shopper, the service and an operator.
    let tokens: Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("dev-tokens.json")).expect("dev-tokens.json"),
    )
    .expect("JSON");
    let shopper = tokens["shopper"]["token"].as_str().expect("shopper token");
    assert_eq!(tokens["shopper"]["customer_id"], "cu-00001");
    let own = server.url("/v1/customers/cu-00001/recommendations?limit=3");
    let other = server.url("/v1/customers/cu-00002/recommendations?limit=3");

    let (status, body) = get_json(&framewise_integration_tests::http_client(), &own).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "unauthorized");
    let as_shopper = server.client_with(shopper);
    let (status, body) = get_json(&as_shopper, &own).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = get_json(&as_shopper, &other).await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = get_json(&server.client_with("not-a-token"), &own).await;
    assert_eq!(status, 401);
    // Public routes need no token.
    let (status, _) = get_json(
        &framewise_integration_tests::http_client(),
        &server.url("/v1/trending"),
    )
    .await;
    assert_eq!(status, 200);

    // `framewise token` mints a token the running server accepts.
    let output = std::process::Command::new(framewise_integration_tests::framewise_bin())
        .args(["token", "--customer", "cu-00002", "--data-dir"])
        .arg(dir.path())
        .output()
        .expect("framewise token");
    assert!(output.status.success(), "{output:?}");
    let minted = String::from_utf8_lossy(&output.stdout).trim().to_string();
    let (status, body) = get_json(&server.client_with(&minted), &other).await;
    assert_eq!(status, 200, "{body}");
}

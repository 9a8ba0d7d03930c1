//! End-to-end through the Lambda handlers over the real AWS protocols, against moto server:
//! signals-api -> SQS -> signals-worker -> DynamoDB -> recommendations-api. Needs
//! `pip install 'moto[server]'`; without it the test fails saying so.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use framewise::adapters::aws::{aws_stores, S3ArtifactStore, SqsSignalQueue};
use framewise::demo::{generate, DemoConfig};
use framewise::domain::Subject;
use framewise::service::{CollaborativeMode, Framewise, ModelRefresh, ServiceConfig};
use framewise_integration_tests::moto::Moto;
use framewise_integration_tests::{fixture, seed_demo};
use framewise_lambda::{load_service_config, Access, Env};
use serde_json::{json, Value};

async fn call(app: axum::Router, fixture_name: &str) -> (u16, Value) {
    let request = lambda_http::request::from_str(&fixture(fixture_name)).expect("v2 event");
    framewise_integration_tests::apigw::call(app, request).await
}

/// Receives until `want` messages arrived (or 10 s passed) and shapes them as the SQS event
/// Lambda would deliver.
async fn receive_as_event(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    want: usize,
) -> (Value, Vec<String>) {
    let mut records = Vec::new();
    let mut receipts = Vec::new();
    let started = std::time::Instant::now();
    while records.len() < want && started.elapsed() < Duration::from_secs(10) {
        let output = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_system_attribute_names(
                aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount,
            )
            .send()
            .await
            .expect("ReceiveMessage");
        for message in output.messages.unwrap_or_default() {
            let receipt = message.receipt_handle.clone().unwrap_or_default();
            records.push(json!({
                "messageId": message.message_id.unwrap_or_default(),
                "receiptHandle": receipt,
                "body": message.body.unwrap_or_default(),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:signals",
                "awsRegion": "us-east-1"
            }));
            receipts.push(receipt);
        }
    }
    (json!({ "Records": records }), receipts)
}

#[tokio::test]
async fn when_signals_flow_through_the_functions_should_serve_the_recomputed_list_once() {
    let moto = Moto::shared();
    let (settings, clients) = moto.fresh("functions-e2e", 5).await;
    let stores = aws_stores(&clients, &settings);
    seed_demo(
        &stores,
        &DemoConfig {
            styles: 30,
            customers: 6,
            days: 10,
            end: DateTime::parse_from_rfc3339("2026-01-04T00:00:00Z")
                .expect("time")
                .with_timezone(&Utc),
            ..DemoConfig::small()
        },
    )
    .await;
    let admin = Framewise::open(stores.clone(), ServiceConfig::default())
        .await
        .expect("service");
    admin
        .regenerate(Utc::now(), &|_, _| {})
        .await
        .expect("first model");
    let before = stores
        .lists
        .get_list("cu-00001")
        .await
        .expect("read")
        .expect("precomputed");

    // signals-api: the same batch posted twice; both accepted (SQS cannot deduplicate).
    let signals_app = signals_api::app(
        Arc::new(SqsSignalQueue::new(
            clients.sqs.clone(),
            settings.queue_url.clone(),
        )),
        framewise::auth::AuthConfig::default(),
    );
    for _ in 0..2 {
        let (status, body) = call(signals_app.clone(), "apigw-v2-post-signals.json").await;
        assert_eq!(status, 202, "{body}");
        assert_eq!(body["accepted"], 2);
    }

    // signals-worker: invoked with what SQS holds, like the event source mapping does.
    let (event, receipts) = receive_as_event(&clients.sqs, &settings.queue_url, 4).await;
    assert_eq!(receipts.len(), 4, "both posts reached SQS");
    let worker = Framewise::open(aws_stores(&clients, &settings), ServiceConfig::default())
        .await
        .expect("worker service");
    let response = signals_worker::handle(
        &worker,
        &ModelRefresh::new(Duration::from_secs(60)),
        serde_json::from_value(event).expect("SQS event"),
        Utc::now(),
    )
    .await;
    assert!(response.batch_item_failures.is_empty());

    // Applied once per event_id, and the list in DynamoDB was recomputed.
    let history = stores
        .signals
        .history(&Subject::Customer("cu-00001".to_string()), 1000)
        .await
        .expect("history");
    assert_eq!(
        history
            .iter()
            .filter(|s| s.event_id == "evt-fixture-1")
            .count(),
        1
    );
    let stored = stores
        .lists
        .get_list("cu-00001")
        .await
        .expect("read")
        .expect("list stored");
    assert_ne!(stored.recommendation_id, before.recommendation_id);
    assert!(stored.generated_at > before.generated_at);

    // recommendations-api serves exactly that list.
    let service = framewise_lambda::open(
        aws_stores(&clients, &settings),
        ServiceConfig::default(),
        Access::ReadOnly,
    )
    .await
    .expect("api service");
    let api = recommendations_api::app(
        service,
        Arc::new(ModelRefresh::new(Duration::from_secs(60))),
    );
    let (status, body) = call(api, "apigw-v2-get-recommendations.json").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["recommendation_id"], stored.recommendation_id.as_str());
    assert_eq!(body["customer_id"], "cu-00001");
}

#[tokio::test]
async fn when_framewise_config_names_an_s3_object_should_open_the_service_with_it() {
    let moto = Moto::shared();
    let (settings, clients) = moto.fresh("config-s3", 5).await;
    let objects = S3ArtifactStore::new(clients.s3.clone(), settings.bucket.clone());
    objects
        .put_object(
            "config/framewise.toml",
            b"default_limit = 20\ncollaborative = \"cooccurrence\"\n[engine]\nhemisphere = \"south\"\n",
        )
        .await
        .expect("config object");
    objects
        .put_object(
            "config/typo.toml",
            b"[engine.kind_weights]\npurchse = 3.0\n",
        )
        .await
        .expect("bad config object");
    let env = |key: &str| {
        Env::from_pairs(&[(
            "FRAMEWISE_CONFIG",
            &format!("s3://{}/{key}", settings.bucket),
        )])
    };

    let config = load_service_config(&env("config/framewise.toml"), &clients.s3)
        .await
        .expect("config from S3");
    assert_eq!(config.default_limit, 20);
    assert_eq!(config.collaborative, CollaborativeMode::Cooccurrence);
    assert_eq!(
        config.engine.hemisphere,
        framewise::engine::Hemisphere::South
    );
    let service = framewise_lambda::open(
        aws_stores(&clients, &settings),
        config.clone(),
        Access::ReadWrite,
    )
    .await
    .expect("service");
    assert_eq!(service.config(), &config);

    let message = load_service_config(&env("config/typo.toml"), &clients.s3)
        .await
        .expect_err("unknown key")
        .to_string();
    assert!(message.contains("FRAMEWISE_CONFIG"), "{message}");
    assert!(message.contains("config/typo.toml"), "{message}");
    assert!(
        message.contains("`engine.kind_weights.purchse`"),
        "{message}"
    );

    let message = load_service_config(&env("config/missing.toml"), &clients.s3)
        .await
        .expect_err("no such object")
        .to_string();
    assert!(message.contains("FRAMEWISE_CONFIG"), "{message}");
    assert!(message.contains("config/missing.toml"), "{message}");
    assert!(message.contains("does not exist"), "{message}");
}

/// profiles-api over DynamoDB and KMS on moto: the owner puts a prescription, reads it back
/// redacted and in full, gets lens advice; another shopper's token and the service token are
/// refused the prescription; the raw item never holds it in clear.
#[tokio::test]
async fn when_profile_goes_through_profiles_api_on_moto_should_answer_only_its_owner() {
    use framewise_integration_tests::apigw::{self, Caller};

    let moto = Moto::shared();
    let (settings, clients) = moto.fresh("profiles-e2e", 5).await;
    let stores = aws_stores(&clients, &settings);
    let data = generate(&DemoConfig {
        styles: 20,
        customers: 3,
        days: 5,
        ..DemoConfig::small()
    });
    stores
        .catalog
        .put_styles(&data.styles)
        .await
        .expect("styles");
    let service = framewise_lambda::open(stores, ServiceConfig::default(), Access::ReadWrite)
        .await
        .expect("service");
    let app = profiles_api::app(service);
    let send = |method: &str, uri: &str, body: Option<&str>, caller: Caller<'_>| {
        apigw::call(app.clone(), apigw::request(method, uri, body, caller))
    };

    let owner = Caller::Shopper("cu-77");
    let profile = "/v1/customers/cu-77/profile";
    let body =
        r#"{"face_shape": "oval", "prescription": "OD -5.25 -1.25 x10 OS -4.75 DS PD 62.5"}"#;

    let (status, answer) = send("PUT", profile, Some(body), owner).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["prescription_on_file"], true);
    assert!(answer.get("prescription").is_none(), "{answer}");

    let (status, answer) = send("GET", profile, None, owner).await;
    assert_eq!(status, 200, "{answer}");
    assert!(!answer.to_string().contains("-5.25"), "redacted: {answer}");
    let full = "/v1/customers/cu-77/profile?include=prescription";
    let (status, answer) = send("GET", full, None, owner).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["prescription"]["od"]["sph"], json!(-5.25));

    let lens = format!(
        "/v1/customers/cu-77/lens-recommendation?style_id={}",
        data.styles[0].id
    );
    let (status, answer) = send("GET", &lens, None, owner).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer["index"].is_number(), "{answer}");

    for (uri, caller) in [
        (full, Caller::Shopper("cu-78")),
        (profile, Caller::Shopper("cu-78")),
        (lens.as_str(), Caller::Shopper("cu-78")),
        (full, Caller::Service),
        (full, Caller::Admin),
    ] {
        let (status, answer) = send("GET", uri, None, caller).await;
        assert_eq!(status, 403, "{uri} as {caller:?}: {answer}");
        assert!(!answer.to_string().contains("5.25"), "{answer}");
    }
    let (status, _) = send("GET", full, None, Caller::Anonymous).await;
    assert_eq!(status, 401);

    // The raw item holds only the sealed form.
    let raw = clients
        .dynamodb
        .scan()
        .table_name(&settings.table)
        .send()
        .await
        .expect("scan");
    let raw = format!("{:?}", raw.items());
    assert!(raw.contains("cu-77"), "the profile is stored");
    assert!(!raw.contains("-5.25") && !raw.contains("62.5"), "{raw}");
}

type EmfLines = Arc<std::sync::Mutex<Vec<Value>>>;

/// EMF events into a buffer, as the functions print them to stdout on Lambda.
fn captured_emf() -> (
    Arc<dyn framewise::experiments::emf::MeasurementEvents>,
    EmfLines,
) {
    let lines = EmfLines::default();
    let sink = lines.clone();
    let writer =
        framewise::experiments::emf::EmfWriter::new("Framewise/test", move |line: &str| {
            if let Ok(mut lines) = sink.lock() {
                lines.push(serde_json::from_str(line).unwrap_or_default());
            }
        });
    (Arc::new(writer), lines)
}

fn emf_sum(lines: &EmfLines, metric: &str) -> f64 {
    let lines = lines.lock().map(|l| l.clone()).unwrap_or_default();
    lines.iter().filter_map(|l| l[metric].as_f64()).sum()
}

/// Issue 12 on AWS: an experiment created through profiles-api, a list served by
/// recommendations-api (an exposure in DynamoDB, an EMF line), a purchase of a shown frame
/// posted to signals-api, carried by SQS to signals-worker and credited there; the report
/// endpoint then shows the purchase and its revenue in the shopper's arm.
#[tokio::test]
async fn when_a_shown_frame_is_bought_through_the_functions_should_the_report_credit_its_arm() {
    use framewise_integration_tests::apigw::{self, Caller};

    let moto = Moto::shared();
    let (settings, clients) = moto.fresh("measure-e2e", 5).await;
    let stores = aws_stores(&clients, &settings);
    seed_demo(
        &stores,
        &DemoConfig {
            styles: 30,
            customers: 6,
            days: 10,
            ..DemoConfig::small()
        },
    )
    .await;
    let config = ServiceConfig {
        collaborative: CollaborativeMode::Cooccurrence,
        ..ServiceConfig::default()
    };
    let open = |access, events| {
        framewise_lambda::open_with_events(
            aws_stores(&clients, &settings),
            config.clone(),
            access,
            events,
        )
    };

    // profiles-api: the admin creates the experiment.
    let profiles = profiles_api::app(open(Access::ReadWrite, None).await.expect("service"));
    let experiment = json!({
        "id": "exp-e2e", "placement": "home", "primary_metric": "conversion_rate",
        "variants": [{"name": "control", "share": 1}, {"name": "calm", "share": 1,
            "settings": {"engine": {"diversity_lambda": 0.9}}}],
        "start": (Utc::now() - chrono::Duration::minutes(5)).to_rfc3339(),
    })
    .to_string();
    let request = apigw::request("POST", "/v1/experiments", Some(&experiment), Caller::Admin);
    let (status, body) = apigw::call(profiles, request).await;
    assert_eq!(status, 201, "{body}");

    // recommendations-api: the shopper's list, served in their arm and recorded.
    let (api_events, api_emf) = captured_emf();
    let api_service = open(Access::ReadOnly, Some(api_events)).await.expect("api");
    let api = recommendations_api::app(
        api_service,
        Arc::new(ModelRefresh::new(Duration::from_secs(60))),
    );
    let uri = "/v1/customers/cu-00001/recommendations?placement=home&limit=5";
    let request = apigw::request("GET", uri, None, Caller::Shopper("cu-00001"));
    let (status, page) = apigw::call(api.clone(), request).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["experiment_id"], "exp-e2e");
    let variant = page["variant"].as_str().expect("an arm").to_string();
    let bought = page["items"][2]["style_id"]
        .as_str()
        .expect("items")
        .to_string();
    assert_eq!(emf_sum(&api_emf, "Exposures"), 1.0);

    // signals-api -> SQS -> signals-worker: the purchase of the third frame shown.
    let signals_app = signals_api::app(
        Arc::new(SqsSignalQueue::new(
            clients.sqs.clone(),
            settings.queue_url.clone(),
        )),
        framewise::auth::AuthConfig::default(),
    );
    let purchase = json!({"signals": [{
        "event_id": "buy-e2e-1", "customer_id": "cu-00001", "kind": "purchase",
        "style_id": bought, "timestamp": Utc::now().to_rfc3339(),
        "recommendation_id": page["recommendation_id"], "placement": "home",
        "price_cents": 15900, "quantity": 1, "order_id": "order-e2e"}, {
        "event_id": "rate-e2e-1", "customer_id": "cu-00001", "kind": "rating",
        "style_id": bought, "timestamp": Utc::now().to_rfc3339(), "rating": 4,
        "comment": "Light, fits well"}]})
    .to_string();
    let request = apigw::request(
        "POST",
        "/v1/signals",
        Some(&purchase),
        Caller::Shopper("cu-00001"),
    );
    let (status, body) = apigw::call(signals_app, request).await;
    assert_eq!(status, 202, "{body}");
    let (event, receipts) = receive_as_event(&clients.sqs, &settings.queue_url, 2).await;
    assert_eq!(receipts.len(), 2, "one message per signal");
    let (worker_events, worker_emf) = captured_emf();
    let worker = open(Access::ReadWrite, Some(worker_events))
        .await
        .expect("worker");
    let response = signals_worker::handle(
        &worker,
        &ModelRefresh::new(Duration::from_secs(60)),
        serde_json::from_value(event).expect("SQS event"),
        Utc::now(),
    )
    .await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(emf_sum(&worker_emf, "Purchases"), 1.0);
    assert_eq!(emf_sum(&worker_emf, "RevenueCents"), 15_900.0);
    assert_eq!(emf_sum(&worker_emf, "CohortRevenueCents"), 15_900.0);
    assert_eq!(emf_sum(&worker_emf, "Ratings"), 1.0);

    // recommendations-api: the report credits the purchase to the shopper's arm.
    let report_uri = "/v1/experiments/exp-e2e/report";
    let (status, report) = apigw::call(
        api.clone(),
        apigw::request("GET", report_uri, None, Caller::Admin),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    let arms = report["variants"].as_array().expect("variants");
    let arm = arms
        .iter()
        .find(|v| v["name"] == variant.as_str())
        .expect("the arm");
    assert_eq!(arm["counters"]["exposures"], 1, "{report}");
    assert_eq!(arm["counters"]["purchases"], 1, "{report}");
    assert_eq!(arm["counters"]["revenue_cents"], 15_900, "{report}");
    // The shopper's cohort (one shopper, the sighting written by the serving path),
    // their lifetime value so far, and their rating of the frame through its purchase.
    assert_eq!(arm["shoppers"], 1, "{report}");
    assert_eq!(arm["revenue_per_shopper"], 15_900.0, "{report}");
    assert_eq!(arm["satisfaction"], 4.0, "{report}");
    let (status, _) = apigw::call(
        api.clone(),
        apigw::request("GET", report_uri, None, Caller::Shopper("cu-00001")),
    )
    .await;
    assert_eq!(status, 403, "reports are for admins");
    let (status, metrics) = apigw::call(
        api,
        apigw::request("GET", "/v1/metrics?placement=home", None, Caller::Admin),
    )
    .await;
    assert_eq!(status, 200, "{metrics}");
    assert_eq!(metrics["total"]["purchases"], 1, "{metrics}");
}

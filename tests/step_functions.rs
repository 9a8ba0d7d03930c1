//! The regeneration state machine (`infra/statemachine/regenerate.asl.json`) executed for
//! real by moto's Step Functions interpreter (a port of LocalStack's), its Lambda tasks
//! answered by the regenerate function's handler over moto's DynamoDB and S3.
//!
//! How: moto's interpreter sends the AWS calls of its tasks to `localhost:$MOTO_PORT`. This
//! test starts its own moto with `MOTO_PORT` naming a small proxy in this process: Lambda
//! `Invoke` runs `regenerate::handle` (as the deployed function would); every other call (S3
//! for the Map's ItemReader, Step Functions for the Map's child executions) goes on to moto.
//!
//! Where this differs from AWS, by necessity:
//! - moto cannot run `emr-serverless:startJobRun.sync`, so the Spark branch is not executed
//!   here (tests/spark_artifact.rs runs the Spark job itself, and functions.rs the export and
//!   adopt steps);
//! - the Distributed Map's children run inside moto's process, so MaxConcurrency is not
//!   load-tested, and moto ignores ToleratedFailurePercentage (a failed child never fails the
//!   Map there): the summary and the redrive are what this test sees;
//! - ResultWriter and ItemBatcher are not used (moto writes an empty result manifest and has
//!   no batcher): each item is already a shard of shoppers and each child writes its own
//!   result file, which is also how the summary finds failed shards;
//! - no IAM: the execution role's policies are checked by cfn-lint only.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use framewise::adapters::aws::aws_stores;
use framewise::demo::DemoConfig;
use framewise::service::{Framewise, ServiceConfig};
use framewise_integration_tests::http_client_builder;
use framewise_integration_tests::moto::Moto;
use framewise_integration_tests::seed_demo;
use serde_json::{json, Value};

const ACCOUNT: &str = "123456789012";
const FUNCTION_ARN: &str =
    "arn:aws:lambda:us-east-1:123456789012:function:framewise-test-regenerate";

/// Answers the interpreter's calls: Lambda invocations here, the rest by moto.
struct Proxy {
    service: Framewise,
    moto: String,
    http: reqwest::Client,
    /// Every step payload the state machine sent, in order.
    invocations: Mutex<Vec<Value>>,
    /// Shard name -> how many more times its recompute fails as a throttled store would.
    failures: Mutex<HashMap<String, usize>>,
}

impl Proxy {
    async fn invoke(&self, payload: &[u8]) -> Response {
        let event: Value = serde_json::from_slice(payload).unwrap_or(Value::Null);
        lock(&self.invocations).push(event.clone());
        if let Some(shard) = event["shard"].as_str() {
            let mut failures = lock(&self.failures);
            if let Some(left) = failures.get_mut(shard).filter(|n| **n > 0) {
                *left -= 1;
                return lambda_error("Framewise.Store", "injected: throughput exceeded");
            }
        }
        let deadline = Instant::now() + Duration::from_secs(600);
        match regenerate::handle(&self.service, event, deadline, Utc::now()).await {
            Ok(output) => (
                StatusCode::OK,
                serde_json::to_vec(&output).unwrap_or_default(),
            )
                .into_response(),
            Err(error) => {
                let error = framewise_lambda::FunctionError::from(error);
                lambda_error(error.error_type(), &error.to_string())
            }
        }
    }

    async fn forward(
        &self,
        method: Method,
        path: &str,
        headers: HeaderMap,
        body: Bytes,
    ) -> Response {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.moto))
            .body(body);
        for (name, value) in &headers {
            if name != "host" && name != "content-length" {
                request = request.header(name, value);
            }
        }
        let Ok(response) = request.send().await else {
            return StatusCode::BAD_GATEWAY.into_response();
        };
        let status = response.status();
        let mut out = HeaderMap::new();
        for (name, value) in response.headers() {
            if !matches!(
                name.as_str(),
                "transfer-encoding" | "connection" | "content-length"
            ) {
                out.insert(name.clone(), value.clone());
            }
        }
        let body = response.bytes().await.unwrap_or_default();
        (status, out, body).into_response()
    }
}

/// A function error as Lambda's Invoke API returns it (HTTP 200, the error in the payload).
fn lambda_error(error_type: &str, message: &str) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(
        HeaderName::from_static("x-amz-function-error"),
        HeaderValue::from_static("Unhandled"),
    );
    let body = json!({"errorType": error_type, "errorMessage": message}).to_string();
    (StatusCode::OK, headers, body).into_response()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn route(State(proxy): State<Arc<Proxy>>, request: Request<Body>) -> Response {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let path = parts.uri.path();
    if parts.method == Method::POST
        && path.starts_with("/2015-03-31/functions/")
        && path.ends_with("/invocations")
    {
        return proxy.invoke(&body).await;
    }
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    proxy
        .forward(parts.method, &path_and_query, parts.headers, body)
        .await
}

/// A Step Functions API call in its JSON protocol (moto reads the service from the
/// credential scope and ignores the signature).
async fn sfn(http: &reqwest::Client, endpoint: &str, action: &str, body: Value) -> Value {
    let response = http
        .post(endpoint)
        .header("X-Amz-Target", format!("AWSStepFunctions.{action}"))
        .header("Content-Type", "application/x-amz-json-1.0")
        .header(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=test/20261201/us-east-1/states/aws4_request, \
             SignedHeaders=host, Signature=0",
        )
        .body(body.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{action}: {e}"));
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    assert!(status.is_success(), "{action}: {status} {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{action}: {e}: {text}"))
}

/// The ASL file with its template substitutions filled in for this test.
fn definition(bucket: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../infra/statemachine/regenerate.asl.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let filled = [
        ("${RegenerateFunctionArn}", FUNCTION_ARN),
        ("${ArtifactBucket}", bucket),
        ("${SparkApplicationId}", "none"),
        ("${SparkJobRoleArn}", "arn:aws:iam::123456789012:role/none"),
        ("${DefaultShardSize}", "1000"),
        ("${DefaultMaxConcurrency}", "2"),
    ]
    .iter()
    .fold(text, |text, (from, to)| text.replace(from, to));
    assert!(
        !filled.contains("${"),
        "a substitution is not filled: {filled}"
    );
    filled
}

/// Runs the state machine to its end; returns the final description.
async fn execute(http: &reqwest::Client, endpoint: &str, machine: &str, input: Value) -> Value {
    let started = sfn(
        http,
        endpoint,
        "StartExecution",
        json!({"stateMachineArn": machine, "input": input.to_string()}),
    )
    .await;
    let execution = started["executionArn"].as_str().expect("execution arn");
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let described = sfn(
            http,
            endpoint,
            "DescribeExecution",
            json!({"executionArn": execution}),
        )
        .await;
        if described["status"] != "RUNNING" {
            return described;
        }
        assert!(
            Instant::now() < deadline,
            "execution still running: {described}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_regeneration_state_machine_runs_should_recompute_every_shard_and_retry_a_failed_one()
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("proxy port");
    let proxy_port = listener.local_addr().expect("address").port().to_string();
    let moto = Moto::start_with_env(&[("MOTO_PORT", &proxy_port)]);
    let http = http_client_builder().build().expect("http client");
    let config = http
        .post(format!("{}/moto-api/config", moto.endpoint))
        .json(&json!({"stepfunctions": {"execute_state_machine": true}}))
        .send()
        .await
        .expect("moto config");
    assert!(
        config.status().is_success(),
        "moto config: {}",
        config.status()
    );

    let (settings, clients) = moto.fresh("regeneration-sfn", 5).await;
    let stores = aws_stores(&clients, &settings);
    seed_demo(
        &stores,
        &DemoConfig {
            styles: 30,
            customers: 12,
            days: 10,
            end: DateTime::parse_from_rfc3339("2026-01-04T00:00:00Z")
                .expect("time")
                .with_timezone(&Utc),
            ..DemoConfig::small()
        },
    )
    .await;
    let service = Framewise::open(stores.clone(), ServiceConfig::default())
        .await
        .expect("service");
    let proxy = Arc::new(Proxy {
        service,
        moto: moto.endpoint.clone(),
        http: http.clone(),
        invocations: Mutex::new(Vec::new()),
        // The second shard is throttled once: the child's retry must absorb it.
        failures: Mutex::new(HashMap::from([("shard-000001.json".to_string(), 1)])),
    });
    let app = axum::Router::new()
        .fallback(route)
        .with_state(proxy.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let created = sfn(
        &http,
        &moto.endpoint,
        "CreateStateMachine",
        json!({
            "name": "framewise-test-regeneration",
            "definition": definition(&settings.bucket),
            "roleArn": format!("arn:aws:iam::{ACCOUNT}:role/framewise-test-regeneration"),
            "type": "STANDARD",
        }),
    )
    .await;
    let machine = created["stateMachineArn"].as_str().expect("machine arn");

    let done = execute(&http, &moto.endpoint, machine, json!({"shard_size": 5})).await;

    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    let steps: Vec<Value> = lock(&proxy.invocations).clone();
    let named = |step: &str| steps.iter().filter(|s| s["step"] == step).count();
    assert_eq!(
        (
            named("train"),
            named("segments"),
            named("shard"),
            named("summarize")
        ),
        (1, 1, 1, 1),
        "{steps:?}"
    );
    assert_eq!(
        named("recompute"),
        4,
        "three shards, one retried: {steps:?}"
    );
    // The segment lists come right after the model, before the shoppers' lists.
    assert_eq!(steps[1]["step"], "segments", "{steps:?}");
    assert_eq!(steps[2]["shard_size"], 5, "the input overrides the default");
    let run = steps[2]["run"].as_str().expect("run").to_string();
    assert_eq!(steps[1]["run"], json!(run));
    assert_eq!(
        stores.artifacts.current().await.expect("pointer"),
        Some(run.clone())
    );
    let customers = proxy
        .service
        .regeneration_customers()
        .await
        .expect("customers");
    assert_eq!(customers.len(), 12);
    for customer in &customers {
        let list = stores
            .lists
            .get_list(customer)
            .await
            .expect("read")
            .unwrap_or_else(|| panic!("{customer} has no list"));
        assert_eq!(list.model_version, run, "{customer}");
    }
    let summary = proxy.service.summarize_run(&run).await.expect("summary");
    assert_eq!((summary.completed, summary.recomputed), (3, 12));
    assert!(summary.failed_shards.is_empty());
}

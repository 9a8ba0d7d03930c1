//! Context and understanding behind API Gateway (issue 14): `recommendations-api` over
//! DynamoDB, S3 and SQS (moto) re-ranks lists by occasion, place and the weather from a
//! forecast API (a local stub of Open-Meteo the test starts, configured as on a real
//! deployment) exactly as the local router over the same stores does.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::Json;
use chrono::{DateTime, Timelike, Utc};
use framewise::adapters::aws::{aws_stores, S3ArtifactStore};
use framewise::adapters::weather;
use framewise::api::{bearer_auth, router};
use framewise::auth::{AuthConfig, TokenVerifier};
use framewise::demo::DemoConfig;
use framewise::domain::{Hemisphere, Season, Signal, SignalContext, SignalKind};
use framewise::service::{Framewise, ModelRefresh, SegmentsConfig, ServiceConfig, WeatherConfig};
use framewise_integration_tests::apigw::Caller;
use framewise_integration_tests::gateway::{
    local_and_function, locally, shopper_token, through_gateway,
};
use framewise_integration_tests::moto::Moto;
use framewise_integration_tests::seed_demo;
use framewise_lambda::Access;
use serde_json::{json, Value};

const SECRET: &[u8] = b"aws-understand-tests-secret-32-b";

/// A forecast API answering a sunny Sydney noon (UV 9) to every place; counts its calls.
async fn forecast_stub() -> (String, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let app = axum::Router::new().route(
        "/v1/forecast",
        get(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            async {
                Json(json!({
                    "utc_offset_seconds": 39600,
                    "current": {"time": "2026-01-04T12:00", "temperature_2m": 29.0, "precipitation": 0.0},
                    "hourly": {"time": ["2026-01-04T11:00", "2026-01-04T12:00"],
                               "uv_index": [8.0, 9.0], "sunshine_duration": [3600.0, 3600.0]}
                }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{address}"), calls)
}

/// The answer without what differs between two processes serving the same list (ids and
/// times of lists computed on request), at any depth, with numbers to 4 decimals: the
/// function scores with the model it read back from S3, whose last float bits may differ
/// from the trained one's, and a why answer's components show them.
fn comparable(mut answer: Value) -> Value {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(object) => {
                for key in ["recommendation_id", "generated_at", "next_cursor", "href"] {
                    object.remove(key);
                }
                object.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            Value::Number(number) if number.is_f64() => {
                let rounded = (number.as_f64().unwrap_or_default() * 1e4).round() / 1e4;
                *value = json!(rounded);
            }
            _ => {}
        }
    }
    strip(&mut answer);
    answer
}

#[tokio::test]
async fn when_lists_carry_a_context_the_function_should_answer_as_the_local_server_does() {
    let moto = Moto::shared();
    let (settings, clients) = moto.fresh("understanding", 5).await;
    let stores = aws_stores(&clients, &settings);
    let end = DateTime::parse_from_rfc3339("2026-01-04T00:00:00Z")
        .expect("time")
        .with_timezone(&Utc);
    seed_demo(
        &stores,
        &DemoConfig {
            styles: 60,
            customers: 6,
            days: 10,
            end,
            ..DemoConfig::small()
        },
    )
    .await;
    let (forecast_url, forecast_calls) = forecast_stub().await;
    let config = ServiceConfig {
        weather: WeatherConfig {
            url: forecast_url.clone(),
            timeout_ms: 2000,
            ..WeatherConfig::default()
        },
        ..ServiceConfig::default()
    };
    let source = weather::from_url(&forecast_url, Duration::from_secs(2))
        .expect("client")
        .expect("configured");
    let (local, lambda) = local_and_function(
        stores.clone(),
        aws_stores(&clients, &settings),
        config,
        SECRET,
        |local| local.with_weather(source),
    )
    .await;
    let shopper = shopper_token(SECRET, "cu-00001");
    let as_shopper = Caller::Shopper("cu-00001");

    // Occasion and coordinates: the forecast is read by the function itself.
    let beach =
        "/v1/customers/cu-00001/recommendations?limit=20&occasion=beach&lat=-33.87&lon=151.21";
    let (document, gateway) = through_gateway(&lambda, beach, as_shopper, &[]).await;
    assert_eq!(gateway.status, 200, "{document}");
    let server = locally(&local, beach, Some(&shopper), &[]).await;
    assert_eq!(comparable(gateway.json()), comparable(server.json()));
    let page = gateway.json();
    let context = &page["context"];
    assert_eq!(context["occasion"], json!("beach"));
    assert_eq!(context["hemisphere"], json!("south"));
    assert_eq!(context["weather"]["uv_index"], json!(9.0));
    // The forecast's UTC offset (+11 h) gives the local hour (the clock may tick over).
    let sydney_hour = |at: DateTime<Utc>| json!((at.hour() + 11) % 24);
    let hour = &context["local_hour"];
    let earlier = Utc::now() - chrono::Duration::minutes(5);
    assert!(
        *hour == sydney_hour(Utc::now()) || *hour == sydney_hour(earlier),
        "{hour}"
    );
    assert!(
        forecast_calls.load(Ordering::SeqCst) >= 2,
        "both processes asked"
    );
    let items = page["items"].as_array().cloned().unwrap_or_default();
    let lifted_by_uv: Vec<&Value> = items
        .iter()
        .filter(|i| {
            i["reasons"]
                .as_array()
                .is_some_and(|r| r.iter().any(|r| r["code"] == json!("uv_today")))
        })
        .collect();
    assert!(!lifted_by_uv.is_empty(), "{page}");
    assert!(lifted_by_uv
        .iter()
        .all(|i| i["category"] == json!("sun") || i["category"] == json!("sport")));
    // The same city again: cached, no new forecast call from the function.
    let before = forecast_calls.load(Ordering::SeqCst);
    through_gateway(&lambda, beach, as_shopper, &[]).await;
    assert_eq!(forecast_calls.load(Ordering::SeqCst), before);

    // The viewer's country from CloudFront, through the gateway's headers.
    let list = "/v1/sessions/s-9/recommendations?limit=5";
    let headers = [("cloudfront-viewer-country", "NZ")];
    let (document, gateway) = through_gateway(&lambda, list, Caller::Anonymous, &headers).await;
    assert_eq!(gateway.status, 200, "{document}");
    assert_eq!(gateway.json()["context"]["country"], json!("NZ"));
    assert_eq!(gateway.json()["context"]["hemisphere"], json!("south"));

    // A bad parameter: the same 400 naming it on both.
    let bad = "/v1/customers/cu-00001/recommendations?occasion=skydiving";
    let (_, gateway) = through_gateway(&lambda, bad, as_shopper, &[]).await;
    let server = locally(&local, bad, Some(&shopper), &[]).await;
    assert_eq!(gateway, server);
    assert_eq!(gateway.status, 400);
    assert_eq!(gateway.json()["error"]["field"], json!("occasion"));

    // Understanding routes: the same answers from the function and the server, owner only.
    let style = page["items"][0]["style_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    for uri in [
        format!("/v1/customers/cu-00001/recommendations/{style}/why?top=12"),
        "/v1/customers/cu-00001/taste".to_string(),
        "/v1/customers/cu-00001/content?page=home&occasion=beach".to_string(),
    ] {
        let (document, gateway) = through_gateway(&lambda, &uri, as_shopper, &[]).await;
        assert_eq!(gateway.status, 200, "{uri}: {document}");
        let server = locally(&local, &uri, Some(&shopper), &[]).await;
        assert_eq!(
            comparable(gateway.json()),
            comparable(server.json()),
            "{uri}"
        );
        let (_, stranger) = through_gateway(&lambda, &uri, Caller::Shopper("cu-00002"), &[]).await;
        assert_eq!(stranger.status, 403, "{uri}");
    }
}

/// The weekly digest step of `regenerate` over DynamoDB and S3 (moto): one `text/html` object
/// per shopper with a stored list under `digests/{date}/`, links carrying the list's
/// `recommendation_id` and `placement=email`; a second run the same week writes nothing.
#[tokio::test]
async fn when_digest_step_runs_on_aws_should_write_each_digest_once_to_s3() {
    let moto = Moto::shared();
    let (settings, clients) = moto.fresh("digests", 5).await;
    let stores = aws_stores(&clients, &settings);
    seed_demo(
        &stores,
        &DemoConfig {
            styles: 60,
            customers: 4,
            days: 10,
            ..DemoConfig::small()
        },
    )
    .await;
    let service = framewise_lambda::open(stores, ServiceConfig::default(), Access::ReadWrite)
        .await
        .expect("service");
    let now = Utc::now();
    service
        .regenerate(now, &|_, _| {})
        .await
        .expect("lists precomputed");
    let outbox = regenerate::S3Digests(S3ArtifactStore::new(
        clients.s3.clone(),
        settings.bucket.clone(),
    ));
    let step = json!({"step": "digest", "shop_url": "https://shop.example"});
    let deadline = std::time::Instant::now() + Duration::from_secs(120);

    let first = regenerate::handle_with(&service, Some(&outbox), step.clone(), deadline, now)
        .await
        .expect("digest step");
    let first = serde_json::to_value(first).expect("json");
    assert_eq!(first["checked"], json!(4), "{first}");
    assert_eq!(first["failed"], json!(0), "{first}");
    let sent = first["sent"].as_u64().unwrap_or_default();
    assert!(sent >= 1, "demo shoppers with lists get a digest: {first}");

    let prefix = format!("digests/{}/", now.date_naive());
    let listed = clients
        .s3
        .list_objects_v2()
        .bucket(&settings.bucket)
        .prefix(&prefix)
        .send()
        .await
        .expect("ListObjectsV2");
    let keys: Vec<String> = listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect();
    assert_eq!(keys.len() as u64, sent, "{keys:?}");
    let key = &keys[0];
    let customer = key
        .trim_start_matches(&prefix)
        .trim_end_matches(".html")
        .to_string();
    let object = clients
        .s3
        .get_object()
        .bucket(&settings.bucket)
        .key(key)
        .send()
        .await
        .expect("GetObject");
    assert_eq!(object.content_type(), Some("text/html; charset=utf-8"));
    let html = object.body.collect().await.expect("body").into_bytes();
    let html = String::from_utf8(html.to_vec()).expect("utf-8");
    let list = service
        .stores()
        .lists
        .get_list_page(&customer, 0, 1)
        .await
        .expect("list read")
        .expect("the digest's list is stored");
    // Links name the stored list the digest showed, so a click is credited to it.
    assert!(html.contains("https://shop.example/products/"), "{html}");
    assert!(
        html.contains(&format!(
            "recommendation_id={}&amp;placement=email",
            list.recommendation_id
        )) || html.contains(&format!(
            "recommendation_id={}&placement=email",
            list.recommendation_id
        )),
        "{html}"
    );

    // The same week again: every shopper was just sent one, so nothing is written.
    let second = regenerate::handle_with(&service, Some(&outbox), step, deadline, now)
        .await
        .expect("second digest step");
    let second = serde_json::to_value(second).expect("json");
    assert_eq!(second["sent"], json!(0), "{second}");
    let relisted = clients
        .s3
        .list_objects_v2()
        .bucket(&settings.bucket)
        .prefix(&prefix)
        .send()
        .await
        .expect("ListObjectsV2");
    assert_eq!(relisted.key_count(), Some(keys.len() as i32));
}

/// Segment lists behind API Gateway (issue 14, segments): once the regenerate function's
/// segments step ran over DynamoDB (moto), an anonymous shopper whose country CloudFront
/// names (and whose phone the User-Agent does) gets that segment's stored list from
/// `recommendations-api`, as the local router answers it; without the headers, cold start.
#[tokio::test]
async fn when_segments_step_ran_an_anonymous_shopper_should_get_their_segments_list() {
    let moto = Moto::shared();
    let (settings, clients) = moto.fresh("segments", 5).await;
    let stores = aws_stores(&clients, &settings);
    let now = Utc::now();
    seed_demo(
        &stores,
        &DemoConfig {
            styles: 60,
            customers: 4,
            days: 10,
            end: now,
            ..DemoConfig::small()
        },
    )
    .await;
    // Shoppers in the UK clicked three styles on their phones yesterday.
    let styles = stores.catalog.list_styles().await.expect("styles");
    let liked: Vec<String> = styles
        .iter()
        .filter(|s| s.is_available())
        .take(3)
        .map(|s| s.id.clone())
        .collect();
    let mut signals = Vec::new();
    for session in 0..6 {
        for (n, style) in liked.iter().enumerate() {
            signals.push(Signal {
                event_id: format!("seg-{session}-{n}"),
                customer_id: None,
                session_id: Some(format!("gb-{session}")),
                kind: SignalKind::Click,
                style_id: style.clone(),
                sku: None,
                timestamp: now - chrono::Duration::hours(20),
                recommendation_id: None,
                placement: None,
                position: None,
                context: Some(SignalContext {
                    device: Some("ios".into()),
                    locale: Some("en-GB".into()),
                }),
                price_cents: None,
                quantity: None,
                order_id: None,
                rating: None,
                comment: None,
            });
        }
    }
    stores
        .signals
        .apply(&signals)
        .await
        .expect("signals stored");
    let config = ServiceConfig {
        segments: SegmentsConfig {
            min_signals: 10,
            ..SegmentsConfig::default()
        },
        ..ServiceConfig::default()
    };
    let worker = framewise_lambda::open(
        aws_stores(&clients, &settings),
        config.clone(),
        Access::ReadWrite,
    )
    .await
    .expect("regenerate service");
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let trained = regenerate::handle(&worker, json!({"step": "train"}), deadline, now)
        .await
        .expect("train step");
    let run = serde_json::to_value(trained).expect("json")["run"].clone();
    let step = json!({"step": "segments", "run": run});
    let report = regenerate::handle(&worker, step, deadline, now)
        .await
        .expect("segments step");
    let report = serde_json::to_value(report).expect("json");
    let season = Season::at(now, Hemisphere::North).name();
    let segment = format!("GB:mobile:{season}");
    assert!(
        report["segments"]
            .as_array()
            .is_some_and(|s| s.contains(&json!(segment))),
        "{report}"
    );

    let api_service = framewise_lambda::open(
        aws_stores(&clients, &settings),
        config.clone(),
        Access::ReadOnly,
    )
    .await
    .expect("api service");
    let lambda = recommendations_api::app(
        api_service,
        Arc::new(ModelRefresh::new(Duration::from_secs(60))),
    );
    let local = Framewise::open(aws_stores(&clients, &settings), config)
        .await
        .expect("local service");
    let verifier = TokenVerifier::with_secret(SECRET.to_vec(), AuthConfig::default());
    let local = bearer_auth(router(Arc::new(local)), Arc::new(verifier));
    let list = "/v1/sessions/s-first-visit/recommendations?limit=12";
    let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148";
    let headers = [("cloudfront-viewer-country", "GB"), ("user-agent", iphone)];
    let (document, gateway) = through_gateway(&lambda, list, Caller::Anonymous, &headers).await;
    assert_eq!(gateway.status, 200, "{document}");
    let page = gateway.json();
    assert_eq!(page["source"], json!("segment"), "{page}");
    assert_eq!(page["segment"], json!(segment));
    assert_eq!(page["context"]["country"], json!("GB"));
    let first = &page["items"][0];
    assert!(
        liked.iter().any(|s| first["style_id"] == json!(s)),
        "{page}"
    );
    assert!(
        first["reasons"]
            .as_array()
            .is_some_and(|r| r.iter().any(|r| r["code"] == json!("popular_in_segment"))),
        "{first}"
    );
    let server = locally(&local, list, None, &headers).await;
    assert_eq!(comparable(gateway.json()), comparable(server.json()));

    // No country and no device: nothing narrower than cold start.
    let (_, plain) = through_gateway(&lambda, list, Caller::Anonymous, &[]).await;
    assert_eq!(plain.json()["source"], json!("cold_start"));
    assert_eq!(plain.json().get("segment"), None);
}

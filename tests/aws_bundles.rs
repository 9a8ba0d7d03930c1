//! Bundles on AWS (issue 15): a lens price feed dropped in S3 is imported by `catalog-sync`
//! into DynamoDB (moto), and `recommendations-api` behind API Gateway serves the bundles of
//! the demo's strong-prescription shopper (thinner lenses with their reasons) exactly as the
//! local router over the same stores does; owner only.

use std::time::{Duration, Instant};

use aws_lambda_events::event::s3::S3Event;
use chrono::{DateTime, Utc};
use framewise::adapters::aws::{aws_stores, S3ArtifactStore};
use framewise::demo::{demo_lens_prices, generate, DemoConfig, SHOWCASE_SPHERE};
use framewise::service::ServiceConfig;
use framewise_integration_tests::apigw::Caller;
use framewise_integration_tests::gateway::{
    local_and_function, locally, shopper_token, through_gateway,
};
use framewise_integration_tests::moto::Moto;
use framewise_integration_tests::{fixture, seed_demo};
use framewise_lambda::Access;
use serde_json::{json, Value};

const SECRET: &[u8] = b"aws-bundles-tests-secret-32-byte";

/// The S3 notification of `key` (the feed fixture with another object key).
fn created(key: &str) -> S3Event {
    let text =
        fixture("s3-feed-created.json").replace("feeds/master+frames%3A2026-11-27.jsonl", key);
    serde_json::from_str(&text).expect("S3 event")
}

/// The answer without what differs between two processes serving the same list.
fn comparable(mut answer: Value) -> Value {
    if let Value::Object(object) = &mut answer {
        object.remove("recommendation_id");
    }
    answer
}

#[tokio::test]
async fn when_lens_price_feed_lands_the_function_should_serve_bundles_as_the_local_server_does() {
    let moto = Moto::shared();
    let (settings, clients) = moto.fresh("bundles", 5).await;
    let stores = aws_stores(&clients, &settings);
    let end = DateTime::parse_from_rfc3339("2026-01-04T00:00:00Z")
        .expect("time")
        .with_timezone(&Utc);
    let demo = DemoConfig {
        styles: 60,
        customers: 12,
        days: 10,
        end,
        ..DemoConfig::small()
    };
    seed_demo(&stores, &demo).await;
    let strong = generate(&demo)
        .customers
        .into_iter()
        .find(|c| {
            c.prescription
                .as_ref()
                .is_some_and(|rx| rx.max_meridian_power() >= SHOWCASE_SPHERE.abs())
        })
        .expect("a storefront shopper with a strong prescription")
        .id;

    // The lens price feed lands in S3; catalog-sync stores it in DynamoDB.
    let objects = S3ArtifactStore::new(clients.s3.clone(), settings.bucket.clone());
    let feed: String = demo_lens_prices()
        .iter()
        .map(|list| serde_json::to_string(&feed_shape(list)).expect("json") + "\n")
        .collect();
    objects
        .put_object("feeds/lens-prices.jsonl", feed.as_bytes())
        .await
        .expect("feed object");
    let syncer = framewise_lambda::open(
        aws_stores(&clients, &settings),
        ServiceConfig::default(),
        Access::ReadWrite,
    )
    .await
    .expect("catalog-sync service");
    let deadline = Instant::now() + Duration::from_secs(120);
    let outcomes = catalog_sync::handle(
        &syncer,
        &objects,
        created("feeds/lens-prices.jsonl"),
        deadline,
        Utc::now(),
    )
    .await
    .expect("lens prices synced");
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].sync.upserted, 0, "no style changed");
    let stored = stores.catalog.lens_prices("USD").await.expect("read");
    assert_eq!(stored, demo_lens_prices().into_iter().next());

    // A bad feed names the line and the field, and changes nothing.
    let bad = r#"{"currency": "USD", "materials": {"index168": 100}}"#;
    objects
        .put_object("feeds/lens-prices-bad.jsonl", bad.as_bytes())
        .await
        .expect("bad object");
    let error = catalog_sync::handle(
        &syncer,
        &objects,
        created("feeds/lens-prices-bad.jsonl"),
        deadline,
        Utc::now(),
    )
    .await
    .expect_err("invalid feed");
    let message = error.to_string();
    assert!(
        message.contains("lens-prices-bad.jsonl:1:") && message.contains("materials.index168"),
        "{message}"
    );
    assert_eq!(
        stores.catalog.lens_prices("USD").await.expect("read"),
        stored
    );

    // The same bundles from the function and from the local server.
    let (local, lambda) = local_and_function(
        stores.clone(),
        aws_stores(&clients, &settings),
        ServiceConfig::default(),
        SECRET,
        |local| local,
    )
    .await;
    let token = shopper_token(SECRET, &strong);

    let uri = format!("/v1/customers/{strong}/bundles?limit=4");
    let (document, gateway) = through_gateway(&lambda, &uri, Caller::Shopper(&strong), &[]).await;
    assert_eq!(gateway.status, 200, "{document}");
    let server = locally(&local, &uri, Some(&token), &[]).await;
    assert_eq!(server.status, 200);
    assert_eq!(comparable(gateway.json()), comparable(server.json()));
    let answer = gateway.json();
    assert_eq!(answer["with_lenses"], json!(true), "{answer}");
    let bundles = answer["bundles"].as_array().cloned().unwrap_or_default();
    assert!(!bundles.is_empty(), "{answer}");
    // Thinner high-index lenses with their reasons, except where a frame mandates an
    // impact-resistant material (kids, sport, rimless).
    let mut thinner = 0;
    for bundle in &bundles {
        let index = bundle["lens"]["index"].as_f64().unwrap_or_default();
        let reason = bundle["reason"].as_str().unwrap_or_default();
        assert!(reason.contains("mm at the"), "{reason}");
        assert!(
            bundle["price"]["total_cents"].as_u64().is_some(),
            "{bundle}"
        );
        if index >= 1.67 {
            assert!(reason.contains("would be"), "{reason}");
            thinner += 1;
        } else {
            let material = &bundle["lens"]["material"];
            assert!(
                *material == json!("polycarbonate") || *material == json!("trivex"),
                "{bundle}"
            );
        }
    }
    assert!(thinner > 0, "{answer}");
    let values: Vec<f64> = bundles
        .iter()
        .map(|b| b["value"]["expected"].as_f64().unwrap_or_default())
        .collect();
    assert!(values.windows(2).all(|w| w[0] >= w[1]), "{values:?}");

    // A product page: one frame's bundle, the same from both.
    let style = bundles[0]["style_id"].as_str().unwrap_or_default();
    let uri = format!("/v1/customers/{strong}/bundles?style_id={style}");
    let (document, gateway) = through_gateway(&lambda, &uri, Caller::Shopper(&strong), &[]).await;
    assert_eq!(gateway.status, 200, "{document}");
    let server = locally(&local, &uri, Some(&token), &[]).await;
    assert_eq!(gateway.json(), server.json());
    assert_eq!(gateway.json()["bundles"][0]["style_id"], json!(style));

    // Another shopper may not read them.
    let (_, stranger) = through_gateway(&lambda, &uri, Caller::Shopper("cu-99999"), &[]).await;
    assert_eq!(stranger.status, 403);
}

/// A stored price list in the feed's format: each section maps option names to cents.
fn feed_shape(list: &framewise::domain::LensPriceList) -> Value {
    fn section(entries: impl Iterator<Item = (Value, u32)>) -> Value {
        let map: serde_json::Map<String, Value> = entries
            .filter_map(|(name, cents)| Some((name.as_str()?.to_string(), json!(cents))))
            .collect();
        Value::Object(map)
    }
    json!({
        "currency": list.currency,
        "materials": section(list.materials.iter().map(|m| (json!(m.material), m.price_cents))),
        "designs": section(list.designs.iter().map(|d| (json!(d.design), d.price_cents))),
        "treatments": section(list.treatments.iter().map(|t| (json!(t.treatment), t.price_cents))),
    })
}

//! Bundles and offers on AWS (issue 15): a lens price feed dropped in S3 is imported by
//! `catalog-sync` into DynamoDB (moto), and `recommendations-api` behind API Gateway serves
//! the bundles of the demo's strong-prescription shopper (thinner lenses with their
//! reasons) exactly as the local router over the same stores does; owner only. Promotions
//! in the bucket's merchandising file become the same offers from the function as from the
//! local server with the same file, within the merchant's bounds, recorded as exposures.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lambda_events::event::s3::S3Event;
use chrono::{DateTime, Utc};
use framewise::adapters::aws::{aws_stores, S3ArtifactStore, MERCHANDISING_KEY};
use framewise::adapters::FileMerchandisingSource;
use framewise::demo::{demo_lens_prices, generate, DemoConfig, DEMO_PROMOTIONS, SHOWCASE_SPHERE};
use framewise::service::{Framewise, ModelRefresh, ServiceConfig};
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

/// The demo both tests seed: 60 styles, 12 shoppers, 10 days to 2026-01-04.
fn demo() -> DemoConfig {
    let end = DateTime::parse_from_rfc3339("2026-01-04T00:00:00Z")
        .expect("time")
        .with_timezone(&Utc);
    DemoConfig {
        styles: 60,
        customers: 12,
        days: 10,
        end,
        ..DemoConfig::small()
    }
}

/// The demo's storefront shopper with a strong prescription.
fn strong_shopper(demo: &DemoConfig) -> String {
    generate(demo)
        .customers
        .into_iter()
        .find(|c| {
            c.prescription
                .as_ref()
                .is_some_and(|rx| rx.max_meridian_power() >= SHOWCASE_SPHERE.abs())
        })
        .expect("a storefront shopper with a strong prescription")
        .id
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
    let demo = demo();
    seed_demo(&stores, &demo).await;
    let strong = strong_shopper(&demo);

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

/// Offers without their showing's id (each request shows them anew).
fn without_offer_ids(mut answer: Value) -> Value {
    if let Some(offers) = answer["offers"].as_array_mut() {
        for offer in offers {
            if let Value::Object(o) = offer {
                o.remove("offer_id");
            }
        }
    }
    answer
}

#[tokio::test]
async fn when_promotions_are_in_the_bucket_the_function_should_offer_them_as_the_local_server_does()
{
    let moto = Moto::shared();
    let (settings, clients) = moto.fresh("offers", 5).await;
    let stores = aws_stores(&clients, &settings);
    let demo = demo();
    seed_demo(&stores, &demo).await;
    stores
        .catalog
        .put_lens_prices(&demo_lens_prices())
        .await
        .expect("lens prices");
    let strong = strong_shopper(&demo);
    S3ArtifactStore::new(clients.s3.clone(), settings.bucket.clone())
        .put_object(MERCHANDISING_KEY, DEMO_PROMOTIONS.as_bytes())
        .await
        .expect("promotions uploaded");

    // The function reads the bucket's file, as `open_service` wires every function.
    let function = framewise_lambda::open(
        aws_stores(&clients, &settings),
        ServiceConfig::default(),
        Access::ReadOnly,
    )
    .await
    .expect("function service");
    function.set_merchandising(framewise_lambda::bucket_merchandising(&clients, &settings));
    let lambda = recommendations_api::app(
        function,
        Arc::new(ModelRefresh::new(Duration::from_secs(60))),
    );
    // The local server reads the same text from its data directory.
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("merchandising.toml");
    std::fs::write(&file, DEMO_PROMOTIONS).expect("rules file");
    let (local, _) = local_and_function(
        stores.clone(),
        aws_stores(&clients, &settings),
        ServiceConfig::default(),
        SECRET,
        |local: Framewise| local.with_merchandising(Arc::new(FileMerchandisingSource::new(&file))),
    )
    .await;

    let uri = format!("/v1/customers/{strong}/offers?limit=4");
    let (document, gateway) = through_gateway(&lambda, &uri, Caller::Shopper(&strong), &[]).await;
    assert_eq!(gateway.status, 200, "{document}");
    let server = locally(&local, &uri, Some(&shopper_token(SECRET, &strong)), &[]).await;
    assert_eq!(server.status, 200);
    let answer = gateway.json();
    assert_eq!(
        without_offer_ids(answer.clone()),
        without_offer_ids(server.json())
    );
    let offers = answer["offers"].as_array().cloned().unwrap_or_default();
    // The thinner lenses the advice chooses are on offer, never past the merchant's bound
    // (50% by default) and never below the list price's promotion.
    let thin = offers
        .iter()
        .find(|o| o["promotion_id"] == "thin-167")
        .unwrap_or_else(|| panic!("the 1.67 promotion is offered: {answer}"));
    assert_eq!(thin["kind"], json!("lens"));
    assert_eq!(thin["placement"], json!("offer:thin-167"));
    for offer in &offers {
        let list = offer["price"]["list_cents"].as_u64().unwrap_or_default();
        let price = offer["price"]["price_cents"].as_u64().unwrap_or_default();
        assert!(price < list && price * 2 >= list, "{offer}");
        assert!(
            offer["reason"].as_str().is_some_and(|r| r.contains("off")),
            "{offer}"
        );
    }

    // Each offer the function showed is an exposure of its promotion's placement.
    let since = Utc::now() - chrono::Duration::minutes(5);
    let exposures = stores
        .measurements
        .exposures(&format!("c:{strong}"), since)
        .await
        .expect("exposures");
    let offer_id = thin["offer_id"].as_str().unwrap_or_default();
    assert!(
        exposures
            .iter()
            .any(|e| e.recommendation_id == offer_id && e.placement == "offer:thin-167"),
        "{exposures:?}"
    );

    // Another shopper may not read them.
    let (_, stranger) = through_gateway(&lambda, &uri, Caller::Shopper("cu-99999"), &[]).await;
    assert_eq!(stranger.status, 403);
}

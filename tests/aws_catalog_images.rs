//! Product images on AWS (issue 15): a feed and the pictures beside it
//! (`feeds/images/<colourway>.png`) land in the bucket (moto); `catalog-sync` reads them
//! through the S3 adapter, reports the picture that does not decode without failing the
//! feed, keeps the looks in the models bucket, and the service ranks `similar?by=look`.

use std::time::{Duration, Instant};

use aws_lambda_events::event::s3::S3Event;
use chrono::Utc;
use framewise::adapters::aws::{aws_stores, S3ArtifactStore};
use framewise::demo::{generate, DemoConfig};
use framewise::render::{frame_svg, rasterise_png};
use framewise::service::{ServiceConfig, LOOKS_ARTIFACT, LOOKS_VERSION};
use framewise_integration_tests::fixture;
use framewise_integration_tests::moto::Moto;
use framewise_lambda::Access;

fn created(key: &str) -> S3Event {
    let text =
        fixture("s3-feed-created.json").replace("feeds/master+frames%3A2026-11-27.jsonl", key);
    serde_json::from_str(&text).expect("S3 event")
}

#[tokio::test]
async fn when_pictures_land_beside_a_feed_should_analyse_them_and_serve_similar_by_look() {
    let moto = Moto::shared();
    let (settings, clients) = moto.fresh("catalog-images", 5).await;
    let styles = generate(&DemoConfig {
        styles: 12,
        customers: 2,
        ..DemoConfig::small()
    })
    .styles;
    let objects = S3ArtifactStore::new(clients.s3.clone(), settings.bucket.clone());
    let feed: String = styles
        .iter()
        .map(|s| serde_json::to_string(s).expect("json") + "\n")
        .collect();
    objects
        .put_object("feeds/frames.jsonl", feed.as_bytes())
        .await
        .expect("feed object");
    // Pictures of the first three styles' first colourways; the fourth's is corrupt.
    for style in &styles[..3] {
        let colourway = &style.colourways[0];
        let svg =
            frame_svg(style, Some(colourway)).replace(r##"fill="#f3f4f6""##, r##"fill="#ffffff""##);
        let png = rasterise_png(&svg, 480).expect("png");
        let key = format!("feeds/images/{}.png", colourway.code);
        objects.put_object(&key, &png).await.expect("picture");
    }
    let corrupt = styles[3].colourways[0].code.clone();
    objects
        .put_object(&format!("feeds/images/{corrupt}.jpg"), b"not a jpeg")
        .await
        .expect("corrupt picture");

    let service = framewise_lambda::open(
        aws_stores(&clients, &settings),
        ServiceConfig::default(),
        Access::ReadWrite,
    )
    .await
    .expect("catalog-sync service");
    let outcomes = catalog_sync::handle(
        &service,
        &objects,
        created("feeds/frames.jsonl"),
        Instant::now() + Duration::from_secs(120),
        Utc::now(),
    )
    .await
    .expect("the feed syncs although one picture is corrupt");
    assert_eq!(outcomes[0].sync.upserted, styles.len());
    let report = outcomes[0].images.as_ref().expect("the feed has pictures");
    assert!(report.extracted.len() >= 3, "{report:?}");
    assert!(
        !report.failed.is_empty() && report.failed.iter().all(|f| f.colourway == corrupt),
        "{:?}",
        report.failed
    );
    assert!(report.looks_stored >= 3);
    let stored = objects
        .get_object(&format!("models/{LOOKS_VERSION}/{LOOKS_ARTIFACT}"))
        .await
        .expect("read");
    assert!(stored.is_some(), "the looks are kept in the models bucket");

    let similar = service
        .similar_by_look(&styles[0].id, Some(5))
        .await
        .expect("similar by look");
    assert!(
        similar
            .iter()
            .any(|item| item.reasons.iter().any(|r| r.code == "similar_look")),
        "styles with pictures rank by look: {similar:?}"
    );
}

//! Trend feeds and influencer collections in the bucket (S3 on moto): both prefixes read,
//! JSON and CSV, broken objects skipped by name, other prefixes (the catalogue feed beside
//! them) and nested folders ignored.

use framewise::adapters::aws::{S3ArtifactStore, S3FeedSource};
use framewise::domain::{Shape, TrendTarget};
use framewise::ports::FeedSource;

use super::fresh;

#[tokio::test]
async fn when_bucket_holds_feeds_should_read_trends_and_collections_and_skip_broken_ones() {
    let (settings, clients) = fresh("feeds").await;
    let source = S3FeedSource::new(clients.s3.clone(), &settings.bucket);
    let empty = source.feeds().await.expect("an empty bucket has no feeds");
    assert!(empty.is_empty() && empty.skipped.is_empty());

    let bucket = S3ArtifactStore::new(clients.s3.clone(), &settings.bucket);
    let objects: [(&str, &str); 7] = [
        (
            "feeds/trends/week48.json",
            r#"{"published_at":"2026-11-30T09:00:00Z",
                "entries":[{"kind":"shape","value":"cat_eye","weight":0.9}]}"#,
        ),
        (
            "feeds/trends/week48.csv",
            "kind,value,weight,published_at\ntag,polarized,0.5,2026-11-30T09:00:00Z\n",
        ),
        ("feeds/trends/broken.json", r#"{"entries": ["#),
        ("feeds/trends/archive/old.json", r#"{"not": "read"}"#),
        (
            "feeds/collections/mara.json",
            r#"{"id":"mara","curator":"Mara Lind","title":"Soft rounds",
                "style_ids":["st-1","st-2"],"published_at":"2026-11-30T09:00:00Z"}"#,
        ),
        (
            "feeds/collections/theo.json",
            r#"[{"id":"theo","curator":"","title":"Titanium","style_ids":["st-3"],
                 "published_at":"2026-11-30T09:00:00Z"}]"#,
        ),
        ("feeds/master-frames.jsonl", "{}\n"),
    ];
    for (key, body) in objects {
        bucket.put_object(key, body.as_bytes()).await.expect("put");
    }

    let feeds = source.feeds().await.expect("feeds");
    let targets: Vec<&TrendTarget> = feeds.trends.iter().map(|t| &t.target).collect();
    assert_eq!(
        targets,
        [
            &TrendTarget::Tag("polarized".into()),
            &TrendTarget::Shape(Shape::CatEye)
        ],
        "listed in key order: week48.csv before week48.json"
    );
    assert_eq!(feeds.collections.len(), 1);
    assert_eq!(feeds.collections[0].curator, "Mara Lind");
    let skipped: Vec<(&str, &str)> = feeds
        .skipped
        .iter()
        .map(|s| (s.source.as_str(), s.error.as_str()))
        .collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert_eq!(skipped[0].0, "feeds/trends/broken.json");
    assert_eq!(skipped[1].0, "feeds/collections/theo.json");
    assert!(skipped[1].1.starts_with("[0]: `curator`"), "{skipped:?}");
}

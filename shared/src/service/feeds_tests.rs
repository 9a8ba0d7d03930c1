//! Feeds through the service on memory stores: the demo feeds lift precomputed and
//! real-time lists, a refresh picks up a changed feed, and a missing, failing or broken feed
//! leaves every list as it is without feeds.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;

use super::tests::demo_data;
use super::*;
use crate::adapters::{memory_stores, LocalFeedSource};
use crate::demo::{self, DemoConfig, DemoData};
use crate::domain::{Feeds, StoredList};
use crate::error::{StoreError, StoreResult};
use crate::ports::FeedSource;

fn quick_config() -> ServiceConfig {
    ServiceConfig {
        collaborative: CollaborativeMode::Cooccurrence,
        ..ServiceConfig::default()
    }
}

/// A source that cannot be reached; counts the attempts.
#[derive(Default)]
struct Unreachable {
    calls: AtomicUsize,
}

#[async_trait]
impl FeedSource for Unreachable {
    async fn feeds(&self) -> StoreResult<Feeds> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Err(StoreError::Backend("bucket unreachable".into()))
    }
}

/// The demo shop regenerated with `feeds` (none: no feed source).
async fn shop(
    data: &DemoData,
    config: ServiceConfig,
    feeds: Option<Arc<dyn FeedSource>>,
) -> (Framewise, chrono::DateTime<chrono::Utc>) {
    let mut service = Framewise::open(memory_stores(), config).await.unwrap();
    if let Some(source) = feeds {
        service = service.with_feeds(source);
    }
    service.import_styles(&data.styles).await.unwrap();
    service.import_customers(&data.customers).await.unwrap();
    let signals = crate::import::interactions_to_signals(&data.interactions);
    let now = DemoConfig::default().end;
    service.apply_signals(&signals, now).await.unwrap();
    service.regenerate(now, &|_, _| {}).await.unwrap();
    (service, now)
}

async fn stored(service: &Framewise, customers: &[String]) -> Vec<StoredList> {
    let mut lists = Vec::new();
    for id in customers {
        lists.push(service.stores().lists.get_list(id).await.unwrap().unwrap());
    }
    lists
}

fn items(lists: &[StoredList]) -> Vec<Vec<(String, f32, Vec<String>)>> {
    lists
        .iter()
        .map(|l| {
            l.items
                .iter()
                .map(|i| {
                    let codes = i.reasons.iter().map(|r| r.code.clone()).collect();
                    (i.style_id.clone(), i.score, codes)
                })
                .collect()
        })
        .collect()
}

fn count(lists: &[StoredList], code: &str) -> usize {
    lists
        .iter()
        .flat_map(|l| &l.items)
        .filter(|i| i.reasons.iter().any(|r| r.code == code))
        .count()
}

#[tokio::test]
async fn when_feed_is_missing_failing_or_broken_should_leave_every_list_unchanged() {
    let data = demo_data();
    let customers: Vec<String> = data
        .customers
        .iter()
        .take(20)
        .map(|c| c.id.clone())
        .collect();
    let (plain, _) = shop(&data, quick_config(), None).await;
    let expected = items(&stored(&plain, &customers).await);

    let unreachable = Arc::new(Unreachable::default());
    let (failing, now) = shop(&data, quick_config(), Some(unreachable.clone())).await;
    assert_eq!(items(&stored(&failing, &customers).await), expected);
    // One failed read serves until the refresh, not one read per list.
    assert_eq!(unreachable.calls.load(Ordering::SeqCst), 1);
    // A read request still answers.
    let page = failing
        .recommendations(&customers[0], RecommendationQuery::default(), now)
        .await
        .unwrap();
    assert!(!page.items.is_empty());

    let dir = tempfile::tempdir().unwrap();
    let trends = dir.path().join("feeds/trends");
    std::fs::create_dir_all(&trends).unwrap();
    std::fs::write(trends.join("broken.json"), r#"{"entries": "#).unwrap();
    std::fs::write(trends.join("bad.csv"), "kind,value,weight\nshape,round,2\n").unwrap();
    let broken = Arc::new(LocalFeedSource::new(dir.path()));
    let (broken, _) = shop(&data, quick_config(), Some(broken)).await;
    assert_eq!(items(&stored(&broken, &customers).await), expected);

    let empty = Arc::new(LocalFeedSource::new(&dir.path().join("nowhere")));
    let (missing, _) = shop(&data, quick_config(), Some(empty)).await;
    assert_eq!(items(&stored(&missing, &customers).await), expected);
}

#[tokio::test]
async fn when_demo_feeds_are_dropped_should_lift_lists_and_follow_a_changed_feed() {
    let data = demo_data();
    let dir = tempfile::tempdir().unwrap();
    let now = DemoConfig::default().end;
    let written = demo::write_feeds(&data, &dir.path().join("feeds"), now).unwrap();
    assert_eq!(written.len(), 3, "{written:?}");
    let config = ServiceConfig {
        feeds: FeedsConfig {
            // Read for every list, so the test sees a changed feed at once.
            refresh_secs: 0,
            ..FeedsConfig::default()
        },
        ..quick_config()
    };
    let source = Arc::new(LocalFeedSource::new(dir.path()));
    let (service, now) = shop(&data, config, Some(source)).await;
    let customers: Vec<String> = data.customers.iter().map(|c| c.id.clone()).collect();
    let lists = stored(&service, &customers).await;
    // Precomputed lists: trending styles and collection picks, each with its reason.
    assert!(count(&lists, "trending_now") > 0);
    let inspired: Vec<&str> = lists
        .iter()
        .flat_map(|l| &l.items)
        .flat_map(|i| &i.reasons)
        .filter(|r| r.code == "inspired_by")
        .map(|r| r.text.as_str())
        .collect();
    assert!(!inspired.is_empty());
    assert!(inspired
        .iter()
        .all(|t| *t == "Inspired by Mara Lind" || *t == "Inspired by Theo Okafor"));
    // A real-time list (an unknown shopper's cold start) is lifted too.
    let page = service
        .recommendations("walk-in", RecommendationQuery::default(), now)
        .await
        .unwrap();
    assert!(page
        .items
        .iter()
        .any(|i| i.reasons.iter().any(|r| r.code == "trending_now")));

    // The editor takes the trend feed down: the next list computed has no trend lift.
    std::fs::remove_file(dir.path().join("feeds/trends/demo.json")).unwrap();
    let mut after = Vec::new();
    for id in &customers {
        after.push(service.recompute_customer(id, now).await.unwrap());
    }
    assert_eq!(count(&after, "trending_now"), 0);
}

#[test]
fn when_feeds_section_is_out_of_range_should_name_the_key() {
    let error = ServiceConfig::from_toml_str("[feeds]\ntrend_weight = 5.0\n")
        .expect_err("out of range")
        .to_string();
    assert!(error.contains("feeds.trend_weight"), "{error}");
    let error = ServiceConfig::from_toml_str("[feeds]\ncollection_match_min = 0.0\n")
        .expect_err("would match shoppers without any taste")
        .to_string();
    assert!(error.contains("feeds.collection_match_min"), "{error}");
    let parsed = ServiceConfig::from_toml_str("[feeds]\nrefresh_secs = 60\n").unwrap();
    assert_eq!(parsed.feeds.refresh_secs, 60);
    assert_eq!(
        parsed.feeds.weights(),
        crate::engine::FeedWeights::default()
    );
}

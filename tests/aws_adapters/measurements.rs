//! Measurements on DynamoDB beyond the conformance suite: concurrent writers on one cell,
//! TTL on shopper records only, and the longest counter range.

use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::Utc;
use framewise::adapters::aws::DynamoStore;
use framewise::experiments::attribution::{CellKey, Counters, Credit, Exposure};
use framewise::ports::{MeasurementStore, MEASUREMENT_RETENTION_DAYS};

use super::fresh;

/// Measurements on DynamoDB: workers writing one cell at once lose no increment (the cell's
/// shards sum up), a shopper's records carry their TTL while counters carry none, and a
/// counter read wider than one read allows is refused naming the range.
#[tokio::test]
async fn when_workers_measure_one_cell_at_once_should_count_all_and_expire_only_shopper_records() {
    let (settings, clients) = fresh("measure").await;
    let store = Arc::new(DynamoStore::new(clients.dynamodb.clone(), &settings.table));
    let at = Utc::now() - chrono::Duration::hours(1);
    let exposure = |i: usize| Exposure {
        exposure_id: format!("x{i:02}"),
        recommendation_id: "r-1".to_string(),
        subject: format!("c:cu-{}", i % 3),
        placement: "home".to_string(),
        variant: Some("exp-1/treatment".to_string()),
        model_version: "v1".to_string(),
        items: vec!["st-1".to_string(), "st-2".to_string()],
        offset: 0,
        at,
        novel_items: 1,
        diversity_milli: 500,
    };
    let cell = CellKey::for_exposure(&exposure(0));
    let click = |i: usize| Credit {
        event_id: format!("k{i:02}"),
        subject: "c:cu-0".to_string(),
        cell: cell.clone(),
        counters: Counters {
            clicks: 1,
            ..Counters::default()
        },
        purchase: None,
    };
    let mut writers = tokio::task::JoinSet::new();
    for worker in 0..4 {
        let store = store.clone();
        let exposures: Vec<Exposure> = (0..6).map(|i| exposure(worker * 6 + i)).collect();
        let credits: Vec<Credit> = (0..5).map(|i| click(worker * 5 + i)).collect();
        writers.spawn(async move {
            store.record_exposures(&exposures).await?;
            store.record_credits(&credits).await
        });
    }
    while let Some(done) = writers.join_next().await {
        assert_eq!(done.expect("writer task").expect("record"), 5);
    }
    let day = at.date_naive();
    let cells = store.counters(day, day).await.expect("counters");
    let counted = Counters {
        exposures: 24,
        items_shown: 48,
        clicks: 20,
        novel_items: 24,
        diversity_milli_sum: 24 * 500,
        ..Counters::default()
    };
    assert_eq!(cells, [(cell, counted)]);

    let partition = |pk: String| {
        clients
            .dynamodb
            .query()
            .table_name(&settings.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(pk))
            .consistent_read(true)
            .send()
    };
    let shards = partition(format!("METRICS#{day}"))
        .await
        .expect("raw Query");
    assert!(shards.items().len() > 1, "the cell is spread over shards");
    assert!(shards.items().iter().all(|i| !i.contains_key("expires_at")));
    let shown = partition("EXPOSURES#c:cu-0".to_string())
        .await
        .expect("raw Query");
    let expiry = (at + chrono::Duration::days(MEASUREMENT_RETENTION_DAYS)).timestamp();
    assert_eq!(shown.items().len(), 8);
    for item in shown.items() {
        assert_eq!(
            item.get("expires_at"),
            Some(&AttributeValue::N(expiry.to_string()))
        );
    }

    let from = day - chrono::Duration::days(400);
    let error = store
        .counters(from, day)
        .await
        .expect_err("401 days")
        .to_string();
    assert!(
        error.contains(&from.to_string()) && error.contains(&day.to_string()),
        "{error}"
    );
}

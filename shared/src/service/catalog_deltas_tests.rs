//! Live catalogue deltas over the memory stores: the stored style and the engine change,
//! only the lists holding the style are dropped, and bad deltas fail alone.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::demo::{self, DemoConfig};
use crate::domain::{CatalogDelta, StoredList};
use crate::error::ServiceError;

async fn shop() -> (Framewise, DateTime<Utc>) {
    let data = demo::generate(&DemoConfig {
        styles: 30,
        customers: 40,
        days: 20,
        ..DemoConfig::default()
    });
    super::tests::regenerated(&data, ServiceConfig::default()).await
}

async fn stored_lists(service: &Framewise) -> HashMap<String, StoredList> {
    let mut lists = HashMap::new();
    for customer in service.regeneration_customers().await.unwrap() {
        if let Some(list) = service.stores().lists.get_list(&customer).await.unwrap() {
            lists.insert(customer, list);
        }
    }
    lists
}

fn change(style_id: &str, at: DateTime<Utc>) -> CatalogDelta {
    CatalogDelta {
        style_id: style_id.to_string(),
        sku: None,
        stock: None,
        price_cents: None,
        active: None,
        at,
    }
}

/// A style on some stored lists but not all of them.
fn style_on_some_lists(lists: &HashMap<String, StoredList>) -> String {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for list in lists.values() {
        for item in &list.items {
            *counts.entry(item.style_id.as_str()).or_default() += 1;
        }
    }
    let (style, _) = counts
        .into_iter()
        .filter(|(_, n)| *n < lists.len())
        .max_by_key(|(id, n)| (*n, id.to_string()))
        .expect("a style on some lists");
    style.to_string()
}

#[tokio::test]
async fn when_a_price_changes_should_store_it_serve_it_and_drop_only_lists_holding_the_style() {
    let (service, now) = shop().await;
    let before = stored_lists(&service).await;
    let style_id = style_on_some_lists(&before);
    let holding: Vec<&String> = before
        .iter()
        .filter(|(_, l)| l.items.iter().any(|i| i.style_id == style_id))
        .map(|(c, _)| c)
        .collect();
    let old_price = service.product(&style_id).await.unwrap().price_cents;
    let new_price = old_price + 1_000;

    let (product, invalidated) = service
        .apply_catalog_delta(
            &CatalogDelta {
                price_cents: Some(new_price),
                ..change(&style_id, now)
            },
            now,
        )
        .await
        .unwrap();

    assert_eq!(product.price_cents, new_price);
    assert_eq!(invalidated, holding.len());
    assert_eq!(
        service.product(&style_id).await.unwrap().price_cents,
        new_price
    );
    assert_eq!(
        service.engine().style(&style_id).unwrap().price_cents,
        new_price,
        "the engine serves the new price without a regeneration"
    );
    let after = stored_lists(&service).await;
    for (customer, list) in &before {
        let held = holding.contains(&customer);
        assert_eq!(
            after.contains_key(customer),
            !held,
            "{customer}: dropped exactly when it held {style_id}"
        );
        if !held {
            assert_eq!(
                after[customer].recommendation_id, list.recommendation_id,
                "{customer}: untouched"
            );
        }
    }
}

#[tokio::test]
async fn when_a_delta_changes_nothing_should_drop_no_list() {
    let (service, now) = shop().await;
    let before = stored_lists(&service).await;
    let style_id = style_on_some_lists(&before);
    let style = service.product(&style_id).await.unwrap();
    let (_, invalidated) = service
        .apply_catalog_delta(
            &CatalogDelta {
                price_cents: Some(style.price_cents),
                active: Some(style.active),
                ..change(&style_id, now)
            },
            now,
        )
        .await
        .unwrap();
    assert_eq!(invalidated, 0);
    assert_eq!(stored_lists(&service).await.len(), before.len());
}

#[tokio::test]
async fn when_stock_of_every_sku_runs_out_should_hide_the_style_from_served_lists() {
    let (service, now) = shop().await;
    let before = stored_lists(&service).await;
    let style_id = style_on_some_lists(&before);
    let style = service.product(&style_id).await.unwrap();
    let deltas: Vec<CatalogDelta> = style
        .colourways
        .iter()
        .flat_map(|c| &c.variants)
        .map(|v| CatalogDelta {
            sku: Some(v.sku.clone()),
            stock: Some(0),
            ..change(&style_id, now)
        })
        .collect();
    let report = service.apply_catalog_deltas(&deltas, now).await.unwrap();
    assert_eq!(report.applied, deltas.len());
    assert!(report.rejected.is_empty());
    assert!(!report.products[0].available);
    assert!(report.products[0].stock.iter().all(|s| s.stock == 0));
    let holder = before
        .iter()
        .find(|(_, l)| l.items.iter().any(|i| i.style_id == style_id))
        .map(|(c, _)| c.clone())
        .unwrap();
    let page = service
        .recommendations(&holder, RecommendationQuery::default(), now)
        .await
        .unwrap();
    assert!(
        page.items.iter().all(|i| i.style_id != style_id),
        "out of stock everywhere: not served"
    );
}

#[tokio::test]
async fn when_deltas_of_one_batch_arrive_out_of_order_should_keep_the_latest_by_time() {
    let (service, now) = shop().await;
    let style_id = service.engine().styles().next().unwrap().id.clone();
    let newer = CatalogDelta {
        price_cents: Some(20_000),
        ..change(&style_id, now)
    };
    let older = CatalogDelta {
        price_cents: Some(10_000),
        ..change(&style_id, now - Duration::minutes(5))
    };
    service
        .apply_catalog_deltas(&[newer, older], now)
        .await
        .unwrap();
    assert_eq!(
        service.product(&style_id).await.unwrap().price_cents,
        20_000
    );
}

#[tokio::test]
async fn when_a_delta_is_bad_should_refuse_it_alone_and_apply_the_others() {
    let (service, now) = shop().await;
    let style_id = service.engine().styles().next().unwrap().id.clone();
    let deltas = [
        CatalogDelta {
            sku: Some("no-such-sku".to_string()),
            stock: Some(3),
            ..change(&style_id, now)
        },
        CatalogDelta {
            active: Some(false),
            ..change("no-such-style", now)
        },
        change(&style_id, now),
        CatalogDelta {
            price_cents: Some(15_500),
            ..change(&style_id, now)
        },
    ];
    let report = service.apply_catalog_deltas(&deltas, now).await.unwrap();
    let rejected: Vec<usize> = report.rejected.iter().map(|r| r.index).collect();
    assert_eq!(rejected, [0, 1, 2]);
    assert!(
        matches!(&report.rejected[0].error, ServiceError::Invalid(e) if e.0[0].field == "sku"),
        "{:?}",
        report.rejected[0].error
    );
    assert!(matches!(
        report.rejected[1].error,
        ServiceError::NotFound { .. }
    ));
    assert!(
        matches!(&report.rejected[2].error, ServiceError::Invalid(e) if e.0[0].field == "body"),
        "a delta that changes nothing is refused"
    );
    assert_eq!(report.applied, 1);
    assert_eq!(
        service.product(&style_id).await.unwrap().price_cents,
        15_500
    );

    let single = service
        .apply_catalog_delta(
            &CatalogDelta {
                active: Some(false),
                ..change("no-such-style", now)
            },
            now,
        )
        .await;
    assert!(matches!(single, Err(ServiceError::NotFound { .. })));
}

#[tokio::test]
async fn when_another_process_applies_a_delta_a_warm_one_should_reload_the_catalogue() {
    let (writer, now) = shop().await;
    // A second process over the same stores (a warm Lambda instance of another function).
    let reader = Framewise::open(writer.stores().clone(), ServiceConfig::default())
        .await
        .unwrap();
    let refresh = ModelRefresh::new(std::time::Duration::ZERO);
    assert!(
        !refresh.maybe_reload(&reader).await.unwrap(),
        "nothing moved yet"
    );
    let style = reader.engine().styles().next().unwrap().id.clone();
    let price = reader.engine().style(&style).unwrap().price_cents;
    let mut delta = change(&style, now);
    delta.price_cents = Some(price + 1_000);
    writer.apply_catalog_deltas(&[delta], now).await.unwrap();

    assert!(
        refresh.maybe_reload(&reader).await.unwrap(),
        "the stamp moved"
    );
    assert_eq!(
        reader.engine().style(&style).unwrap().price_cents,
        price + 1_000
    );
    assert!(
        !refresh.maybe_reload(&reader).await.unwrap(),
        "once per change"
    );
}

//! Recomputes that produce what is already stored do not rewrite it.

use std::collections::HashMap;

use super::tests::{demo_data, regenerated};
use super::*;

/// Every stored list's recommendation id, which a rewrite replaces.
async fn recommendation_ids(service: &Framewise) -> HashMap<String, String> {
    let mut ids = HashMap::new();
    for customer in service.regeneration_customers().await.unwrap() {
        if let Some(list) = service.stores().lists.get_list(&customer).await.unwrap() {
            ids.insert(customer, list.recommendation_id);
        }
    }
    ids
}

#[tokio::test]
async fn when_recomputed_lists_show_the_same_should_not_rewrite_them() {
    let data = demo_data();
    let (service, now) = regenerated(&data, ServiceConfig::default()).await;
    let before = recommendation_ids(&service).await;
    assert!(before.len() > 100, "{} lists", before.len());

    let batch = service
        .recompute_lists(None, usize::MAX, None, now)
        .await
        .unwrap();
    assert_eq!(batch.recomputed, before.len());
    assert_eq!(
        batch.unchanged, batch.recomputed,
        "same model, data and time"
    );
    assert_eq!(
        recommendation_ids(&service).await,
        before,
        "nothing rewritten"
    );

    // One stored list no longer matches what the model produces (say it was computed
    // before the shopper's last signal): only that one is rewritten.
    let shopper = before.keys().min().unwrap().clone();
    let mut outdated = service
        .stores()
        .lists
        .get_list(&shopper)
        .await
        .unwrap()
        .unwrap();
    outdated.items.truncate(3);
    service.stores().lists.put_lists(&[outdated]).await.unwrap();
    let batch = service
        .recompute_lists(None, usize::MAX, None, now)
        .await
        .unwrap();
    assert_eq!(batch.unchanged, batch.recomputed - 1);
    let after = recommendation_ids(&service).await;
    let rewritten: Vec<&String> = after
        .iter()
        .filter(|(id, rid)| before[*id] != **rid)
        .map(|(id, _)| id)
        .collect();
    assert_eq!(rewritten, [&shopper]);
    let restored = service.stores().lists.get_list(&shopper).await.unwrap();
    assert!(restored.unwrap().items.len() > 3);
}

#[tokio::test]
async fn when_stored_list_is_past_half_its_freshness_should_rewrite_it_even_if_the_same() {
    let data = demo_data();
    let (service, now) = regenerated(&data, ServiceConfig::default()).await;
    // The same stores, served with lists that are never young enough to skip.
    let strict = ServiceConfig {
        list_max_age_secs: 0,
        ..ServiceConfig::default()
    };
    let reopened = Framewise::open(service.stores().clone(), strict)
        .await
        .unwrap();
    let before = recommendation_ids(&service).await;
    let batch = reopened
        .recompute_lists(None, usize::MAX, None, now)
        .await
        .unwrap();
    assert_eq!(batch.unchanged, 0);
    let after = recommendation_ids(&service).await;
    assert!(after.iter().all(|(id, rid)| before[id] != *rid));
}

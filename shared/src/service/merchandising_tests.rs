//! Merchandising through the service on memory stores: rules published after the lists were
//! stored apply on the next read (pins per placement, buries, exclusions), a change is
//! picked up without a restart, a broken file keeps the last good rules, pins never bring a
//! frame the shopper may not get, and the "why" answer names the rule.

use std::sync::Arc;

use super::tests::{demo_data, regenerated};
use super::*;
use crate::adapters::StaticMerchandisingSource;
use crate::domain::{RecommendationPage, SignalKind};
use crate::engine::{Component, RuleKind, FEATURED_CODE};

fn config() -> ServiceConfig {
    ServiceConfig {
        collaborative: CollaborativeMode::Cooccurrence,
        merchandising: MerchandisingConfig {
            reload_secs: 0,
            ..MerchandisingConfig::default()
        },
        ..ServiceConfig::default()
    }
}

fn query(placement: Option<&str>) -> RecommendationQuery {
    RecommendationQuery {
        limit: Some(100),
        placement: placement.map(str::to_string),
        ..RecommendationQuery::default()
    }
}

fn position(page: &RecommendationPage, style_id: &str) -> Option<usize> {
    page.items
        .iter()
        .position(|i| i.style_id == style_id)
        .map(|p| p + 1)
}

fn pin(style_id: &str, placement: &str, position: usize) -> String {
    format!(
        "[[pin]]\nstyle_id = \"{style_id}\"\nplacement = \"{placement}\"\nposition = {position}\n"
    )
}

#[tokio::test]
async fn when_rules_are_published_after_lists_are_stored_should_apply_on_the_next_read() {
    let data = demo_data();
    let (service, now) = regenerated(&data, config()).await;
    let source = Arc::new(StaticMerchandisingSource::new(""));
    let service = service.with_merchandising(source.clone());
    let customer = &data.customers[3].id;
    let before = service
        .recommendations(customer, query(Some("home")), now)
        .await
        .unwrap();
    assert!(before.items.len() > 20);
    let top = before.items[0].clone();
    let pinned = before.items[15].style_id.clone();
    let banned = before.items[1].style_id.clone();

    source.set(&format!(
        "{}[[bury]]\nbrand = \"{}\"\nmultiplier = 0.25\n[[exclude]]\nstyle_ids = [\"{banned}\"]\nreason = \"recall\"\n",
        pin(&pinned, "home", 2),
        top.brand
    ));
    let home = service
        .recommendations(customer, query(Some("home")), now)
        .await
        .unwrap();
    assert_eq!(
        home.recommendation_id, before.recommendation_id,
        "the stored list, re-ranked"
    );
    assert_eq!(position(&home, &pinned), Some(2));
    assert_eq!(home.items[1].reasons[0].code, FEATURED_CODE);
    assert_eq!(position(&home, &banned), None, "excluded");
    assert!(
        position(&home, &top.style_id) > Some(1),
        "buried brand drops"
    );
    let first_of_brand = home.items.iter().position(|i| i.brand == top.brand);
    let others_before = before.items.iter().position(|i| i.brand == top.brand);
    assert!(first_of_brand > others_before);
    // The pin is for "home" only.
    let other = service
        .recommendations(customer, query(Some("cart")), now)
        .await
        .unwrap();
    assert_ne!(position(&other, &pinned), Some(2));
    assert!(other
        .items
        .iter()
        .all(|i| i.reasons[0].code != FEATURED_CODE));

    // Recomputed lists are computed under the rules: the recalled style is not stored.
    let stored = service.recompute_customer(customer, now).await.unwrap();
    assert!(stored.items.iter().all(|i| i.style_id != banned));
}

#[tokio::test]
async fn when_file_changes_or_breaks_should_reload_without_restart_and_keep_the_last_good_rules() {
    let data = demo_data();
    let (service, now) = regenerated(&data, config()).await;
    let customer = &data.customers[5].id;
    let plain = service
        .recommendations(customer, query(None), now)
        .await
        .unwrap();
    let first = plain.items[10].style_id.clone();
    let second = plain.items[20].style_id.clone();
    let source = Arc::new(StaticMerchandisingSource::new(&pin(&first, "default", 1)));
    let service = service.with_merchandising(source.clone());
    let page = service
        .recommendations(customer, query(None), now)
        .await
        .unwrap();
    assert_eq!(page.items[0].style_id, first);

    source.set(&pin(&second, "default", 1));
    let page = service
        .recommendations(customer, query(None), now)
        .await
        .unwrap();
    assert_eq!(
        page.items[0].style_id, second,
        "picked up without a restart"
    );

    source.set("[[boost]]\nbrand = \"Anything\"\nmultiplier = 40.0\n");
    let status = service.reload_merchandising().await;
    let error = status.error.expect("refused");
    assert!(
        error.contains("rule boost[1], field `multiplier`"),
        "{error}"
    );
    assert_eq!(status.rules, 1, "the last good rules keep serving");
    let page = service
        .recommendations(customer, query(None), now)
        .await
        .unwrap();
    assert_eq!(page.items[0].style_id, second);

    source.set("");
    assert_eq!(service.reload_merchandising().await.rules, 0);
    let page = service
        .recommendations(customer, query(None), now)
        .await
        .unwrap();
    assert_eq!(page.items[0].style_id, plain.items[0].style_id);
}

#[tokio::test]
async fn when_pinned_style_is_dismissed_or_unavailable_should_not_place_it() {
    let data = demo_data();
    let (service, now) = regenerated(&data, config()).await;
    let customer = data.customers[7].id.clone();
    let plain = service
        .recommendations(&customer, query(None), now)
        .await
        .unwrap();
    // A style the shopper dismisses, and a new style not on sale, both then pinned; and a
    // new style on sale like one on the list (so it fits), which the stored list lacks.
    let dismissed = plain.items[3].style_id.clone();
    let mut dismissal = crate::engine::testkit::signal(SignalKind::Dismiss, &dismissed, now, 0);
    dismissal.customer_id = Some(customer.clone());
    service.apply_signals(&[dismissal], now).await.unwrap();
    let like = service
        .engine()
        .style(&plain.items[5].style_id)
        .unwrap()
        .clone();
    let mut retired = like.clone();
    retired.id = "st-retired".to_string();
    retired.active = false;
    let mut fresh = like;
    fresh.id = "st-fresh".to_string();
    service
        .import_styles(&[retired.clone(), fresh.clone()])
        .await
        .unwrap();
    let allowed = fresh.id;
    let source = StaticMerchandisingSource::new(&format!(
        "{}{}{}",
        pin(&dismissed, "default", 1),
        pin(&retired.id, "default", 2),
        pin(&allowed, "default", 3)
    ));
    let service = service.with_merchandising(Arc::new(source));
    let page = service
        .recommendations(&customer, query(None), now)
        .await
        .unwrap();
    assert_eq!(position(&page, &dismissed), None);
    assert_eq!(position(&page, &retired.id), None);
    // A style off the list that the shopper may get is placed (history read for it).
    assert_eq!(position(&page, &allowed), Some(3));
}

#[tokio::test]
async fn when_asked_why_should_name_the_rule_that_moved_the_style() {
    let data = demo_data();
    let (service, now) = regenerated(&data, config()).await;
    let customer = &data.customers[3].id;
    let plain = service
        .recommendations(customer, query(None), now)
        .await
        .unwrap();
    let buried = plain.items[0].clone();
    let source = StaticMerchandisingSource::new(&format!(
        "[[bury]]\nid = \"clearance\"\nstyle_ids = [\"{}\"]\nmultiplier = 0.25\n",
        buried.style_id
    ));
    let service = service.with_merchandising(Arc::new(source));
    let why = service
        .explain_pick(
            customer,
            &buried.style_id,
            None,
            &crate::domain::Context::default(),
            |_| "#000000".to_string(),
            now,
        )
        .await
        .unwrap();
    let rule = &why.merchandising[0];
    assert_eq!(
        (rule.rule.as_str(), rule.kind),
        ("clearance", RuleKind::Bury)
    );
    assert_eq!(rule.position_before, Some(1));
    assert!(rule.position > Some(1), "{rule:?}");
    let component = why
        .components
        .iter()
        .find(|c| c.component == Component::Merchandising)
        .unwrap();
    assert!((component.contribution + 0.75 * why.score).abs() < 1e-4);
    // No reason on the item itself for a bury.
    let page = service
        .recommendations(customer, query(None), now)
        .await
        .unwrap();
    let item = page
        .items
        .iter()
        .find(|i| i.style_id == buried.style_id)
        .unwrap();
    assert_eq!(item.reasons, buried.reasons);
}

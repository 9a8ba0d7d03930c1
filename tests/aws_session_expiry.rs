//! Expiry of an anonymous session's DynamoDB items, read back raw from moto: a session's
//! items carry a TTL, a customer's purchases never do. Needs `pip install 'moto[server]'`.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{TimeZone, Utc};
use framewise::adapters::aws::aws_stores;
use framewise::domain::{Signal, SignalKind};
use framewise_integration_tests::moto::Moto;

fn click(event_id: &str, customer: &str, style: &str) -> Signal {
    Signal {
        event_id: event_id.to_string(),
        customer_id: Some(customer.to_string()),
        session_id: None,
        kind: SignalKind::Click,
        style_id: style.to_string(),
        sku: None,
        timestamp: Utc
            .with_ymd_and_hms(2026, 11, 20, 10, 0, 0)
            .single()
            .expect("valid time"),
        recommendation_id: None,
        placement: None,
        context: None,
        price_cents: None,
        quantity: None,
        order_id: None,
        rating: None,
        position: None,
        comment: None,
    }
}

#[tokio::test]
async fn when_anonymous_session_applies_signals_should_expire_with_the_session_not_the_customer() {
    let (settings, clients) = Moto::shared().fresh("session-ttl", 5).await;
    let stores = aws_stores(&clients, &settings);
    let mut session_purchase = click("ev-s1", "unused", "st-1");
    session_purchase.customer_id = None;
    session_purchase.session_id = Some("sess-1".to_string());
    session_purchase.kind = SignalKind::Purchase;
    let mut session_view = session_purchase.clone();
    session_view.event_id = "ev-s2".to_string();
    session_view.kind = SignalKind::Click;
    session_view.style_id = "st-2".to_string();
    let mut customer_purchase = click("ev-c1", "cu-1", "st-1");
    customer_purchase.kind = SignalKind::Purchase;
    stores
        .signals
        .apply(&[session_purchase.clone(), session_view, customer_purchase])
        .await
        .expect("applied");

    let items = clients
        .dynamodb
        .scan()
        .table_name(&settings.table)
        .send()
        .await
        .expect("raw Scan")
        .items
        .unwrap_or_default();
    let attr = |item: &HashMap<String, AttributeValue>, name: &str| {
        item.get(name)
            .and_then(|v| v.as_s().ok().or(v.as_n().ok()))
            .cloned()
    };
    let session_ttl = (session_purchase.timestamp + chrono::Duration::days(30)).timestamp();
    let session_items: Vec<_> = items
        .iter()
        .filter(|i| {
            attr(i, "pk").is_some_and(|pk| pk.ends_with("s:sess-1"))
                || attr(i, "sk").is_some_and(|sk| sk == "s:sess-1")
        })
        .collect();
    // Two history items, two first engagements, two engagement orders, the index entry.
    assert_eq!(session_items.len(), 7, "{session_items:?}");
    for item in &session_items {
        let expires: i64 = attr(item, "expires_at")
            .unwrap_or_else(|| panic!("session item without TTL: {item:?}"))
            .parse()
            .expect("epoch seconds");
        assert!(expires >= session_ttl, "{item:?}");
    }
    let customer_purchase_item = items
        .iter()
        .find(|i| {
            attr(i, "pk").as_deref() == Some("HIST#c:cu-1")
                && attr(i, "sk").is_some_and(|sk| sk.starts_with("D#"))
        })
        .expect("customer's purchase in history");
    assert_eq!(
        attr(customer_purchase_item, "expires_at"),
        None,
        "a customer's purchase never expires"
    );
}

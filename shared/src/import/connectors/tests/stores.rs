//! Idempotence where it counts: applying an export's signals to the memory and redb signal
//! stores twice adds nothing the second time, a later export that overlaps the first adds
//! only its new lines, and the same order read by both connectors is counted once.

use super::*;
use crate::adapters::embedded::EmbeddedStore;
use crate::adapters::memory::MemoryStore;
use crate::domain::Subject;
use crate::ports::SignalStore;

/// The orders fixture with one more order and the first order listed again: what a later
/// "export all orders" gives.
fn later_export() -> String {
    let mut text = fixture("shopify-orders.csv");
    text.push_str(
        "#1004,dee@example.com,paid,2025-05-04 09:00:00 +0000,,USD,129.50,\
         2025-05-04 08:59:00 +0000,1,Luna Round - 52 / Black,129.50,LUNA-52-BLK,\n",
    );
    text
}

async fn assert_imports_once(store: &dyn SignalStore) {
    let options = OrderOptions::default();
    let first = shopify_orders(&fixture("shopify-orders.csv"), &options).expect("first export");
    let applied = store.apply(&first.signals).await.expect("apply");
    assert_eq!(applied.len(), 3, "every purchase is new");
    let again = shopify_orders(&fixture("shopify-orders.csv"), &options).expect("same export");
    assert_eq!(again.signals, first.signals, "same ids, same signals");
    assert!(store
        .apply(&again.signals)
        .await
        .expect("apply again")
        .is_empty());
    let later = shopify_orders(&later_export(), &options).expect("later export");
    assert_eq!(later.signals.len(), 4);
    let applied = store.apply(&later.signals).await.expect("apply later");
    assert_eq!(applied.len(), 1, "only #1004 is new");
    assert_eq!(applied[0].order_id.as_deref(), Some("1004"));
    // The same order through the generic connector: the same event ids.
    let ana = pseudonymous_customer_id("ana@example.com");
    let generic = format!(
        "order_id,customer_id,sku,quantity,unit_price,currency,timestamp\n\
         #1001,{ana},LUNA-49-TRT,1,139.50,USD,2025-05-01T14:00:00Z\n\
         #1001,{ana},LUNA-49-BLK,1,129.50,USD,2025-05-01T14:00:00Z\n"
    );
    let lines = parse_order_lines("lines.csv", generic.as_bytes(), &fixture_catalog())
        .expect("order lines");
    assert!(store
        .apply(&lines.signals)
        .await
        .expect("apply lines")
        .is_empty());
    let history = store
        .all_signals(&Subject::Customer(ana))
        .await
        .expect("history");
    assert_eq!(history.len(), 2, "#1001's two lines, each once");
}

#[tokio::test]
async fn when_an_export_is_imported_twice_should_add_nothing_the_second_time() {
    assert_imports_once(&MemoryStore::new()).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let store = EmbeddedStore::open(&dir.path().join("framewise.redb")).expect("redb store");
    assert_imports_once(&store).await;
}

#[test]
fn when_an_order_lists_a_sku_twice_should_give_each_line_its_own_id() {
    let text = fixture("shopify-orders.csv").replace("LUNA-49-TRT", "LUNA-49-BLK");
    let import = shopify_orders(&text, &OrderOptions::default()).expect("orders");
    assert_ne!(import.signals[0].event_id, import.signals[1].event_id);
    assert_eq!(
        import.signals[1].event_id,
        order_line_event_id("1001", "LUNA-49-BLK", 1)
    );
    // Pinned (SHA-256 of "1001\x1fLUNA-49-BLK\x1f0\x1f", by Python's hashlib): changing
    // the id would make every re-import count orders twice.
    assert_eq!(
        order_line_event_id("1001", "LUNA-49-BLK", 0),
        "ord-0509abb261e68096c212"
    );
    assert_ne!(
        order_line_event_id("1001", "LUNA-49-BLK", 0),
        order_line_event_id("10011", "LUNA-49-BLK", 0)
    );
}

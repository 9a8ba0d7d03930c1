//! The small demo shop the function tests run on (included by `functions.rs` and
//! `function_access.rs`).

use chrono::{DateTime, Utc};
use framewise::adapters::memory_stores;
use framewise::demo::{generate, DemoConfig};
use framewise::import::interactions_to_signals;
use framewise::ports::Stores;

/// The fixed "now" of the function tests.
pub fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-10T12:00:00Z")
        .expect("valid time")
        .with_timezone(&Utc)
}

/// Memory stores holding a small demo shop (styles st-0001.., customers cu-00001..).
pub async fn demo_stores() -> Stores {
    let data = generate(&DemoConfig {
        styles: 40,
        customers: 12,
        days: 20,
        end: now(),
        ..DemoConfig::small()
    });
    let stores = memory_stores();
    stores
        .catalog
        .put_styles(&data.styles)
        .await
        .expect("styles");
    stores
        .profiles
        .put_customers(&data.customers)
        .await
        .expect("customers");
    stores
        .signals
        .apply(&interactions_to_signals(&data.interactions))
        .await
        .expect("signals");
    stores
}

//! The small demo shop the function tests run on (included by `functions.rs` and
//! `function_access.rs`).

use chrono::{DateTime, Utc};
use framewise::adapters::memory_stores;
use framewise::demo::DemoConfig;
use framewise::ports::Stores;
use framewise_integration_tests::seed_demo;

/// The fixed "now" of the function tests.
pub fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-10T12:00:00Z")
        .expect("valid time")
        .with_timezone(&Utc)
}

/// Memory stores holding a small demo shop (styles st-0001.., customers cu-00001..).
pub async fn demo_stores() -> Stores {
    let stores = memory_stores();
    seed_demo(
        &stores,
        &DemoConfig {
            styles: 40,
            customers: 12,
            days: 20,
            end: now(),
            ..DemoConfig::small()
        },
    )
    .await;
    stores
}

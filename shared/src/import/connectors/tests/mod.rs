//! Connector tests against the fixtures in `tests/fixtures/connectors/`: realistic exports
//! (a multi-line order, a refunded one, a product in 2 sizes x 2 colours, a gift card that
//! is no frame) read, mapped and applied to the memory and redb stores.

mod order_lines;
mod products;
mod shopify_orders;
mod stores;

use std::path::PathBuf;

use chrono::NaiveDate;

use super::*;
use crate::domain::Style;

/// The text of a fixture file.
fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/connectors")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn product_options() -> ProductOptions {
    ProductOptions {
        currency: "USD".into(),
        launch_date: NaiveDate::from_ymd_opt(2025, 1, 15).expect("date"),
    }
}

/// The styles of the products fixture (the gift card is rejected).
fn fixture_styles() -> Vec<Style> {
    let import = parse_shopify_products(
        "shopify-products.csv",
        fixture("shopify-products.csv").as_bytes(),
        &product_options(),
    )
    .expect("products export");
    assert_eq!(import.styles.len(), 2, "{:?}", import.rejected);
    import.styles
}

fn fixture_catalog() -> SkuCatalog {
    SkuCatalog::new(&fixture_styles())
}

fn shopify_orders(
    text: &str,
    options: &OrderOptions,
) -> Result<OrderImport, crate::import::ImportError> {
    parse_shopify_orders("orders.csv", text.as_bytes(), &fixture_catalog(), options)
}

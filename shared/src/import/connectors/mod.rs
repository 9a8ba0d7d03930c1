//! Shop data connectors: the order and product CSV exports of e-commerce platforms, read
//! into purchase signals and catalogue records.
//!
//! - `shopify_orders.rs`: Shopify's orders export (one row per line item; order-level
//!   columns only on an order's first row) -> purchase signals;
//! - `shopify_products.rs`: Shopify's products export (one row per variant) -> `Style`s,
//!   with the eyewear attributes read by `product_attributes.rs` and `frame_geometry.rs`;
//! - `order_lines.rs`: a generic order-lines CSV -> purchase signals.
//!
//! Every purchase gets a deterministic event id ([`order_line_event_id`]), so importing the
//! same export again, or a later one that overlaps it, adds nothing twice: the signal store
//! skips event ids it has applied. Errors name the file, the 1-based line and the column.

mod cells;
mod frame_geometry;
mod money;
mod order_lines;
mod orders;
mod product_attributes;
mod shopify_orders;
mod shopify_products;
mod table;

pub use money::{minor_unit_digits, parse_minor_units};
pub use order_lines::{parse_order_lines, read_order_lines, ORDER_LINES_COLUMNS};
pub use orders::{
    order_line_event_id, pseudonymous_customer_id, sanitise_id, CustomerSource, OrderImport,
    OrderOptions, OrderReport, SkipReason, SkuCatalog, UNKNOWN_SKU_EXAMPLES,
};
pub use shopify_orders::{parse_shopify_orders, read_shopify_orders};
pub use shopify_products::{
    keep_launch_dates, parse_shopify_products, read_shopify_products, DefaultedFields,
    ProductImport, ProductOptions,
};

#[cfg(test)]
mod tests;

//! A generic order-lines CSV, for shops on any platform: one row per order line with the
//! header
//!
//! ```text
//! order_id,customer_id,sku,quantity,unit_price,currency,timestamp
//! ```
//!
//! in any order (names are matched ignoring case; other columns are ignored). `sku` may be
//! replaced or joined by `style_id`: a line is the style of its SKU in the catalogue, else the
//! `style_id` if the catalogue has that style. `unit_price` is a decimal amount in the
//! currency (`129.50`), `currency` an ISO 4217 code (optional: two decimals when absent),
//! `timestamp` RFC 3339 (`2025-05-01T10:00:00Z`), `2025-05-01 10:00:00 -0400` or a date.
//! `order_id` is fitted to the id charset as Shopify's order names are (`#1001` -> `1001`).

use std::path::Path;

use super::cells::{parse_quantity, parse_time};
use super::money::parse_minor_units;
use super::orders::{
    sanitise_id, OrderImport, PurchaseCollector, PurchaseLine, SkipReason, SkuCatalog,
};
use super::table::{read_file, Table};
use crate::domain::validate_id;
use crate::import::ImportError;

/// The documented header of an order-lines file (`sku` or `style_id`, or both).
pub const ORDER_LINES_COLUMNS: [&str; 8] = [
    "order_id",
    "customer_id",
    "sku",
    "style_id",
    "quantity",
    "unit_price",
    "currency",
    "timestamp",
];

const FORMAT: &str =
    "order-lines file (order_id,customer_id,sku,quantity,unit_price,currency,timestamp)";

/// Reads an order-lines CSV into purchase signals. Lines without a customer, with quantity
/// 0 or an unknown SKU are counted in the report, not imported; a malformed cell stops the
/// import with an error naming the line and the column.
pub fn read_order_lines(path: &Path, catalog: &SkuCatalog) -> Result<OrderImport, ImportError> {
    let bytes = read_file(path)?;
    parse_order_lines(&path.to_string_lossy(), &bytes, catalog)
}

/// [`read_order_lines`] of a file already in memory; errors name `source`.
pub fn parse_order_lines(
    source: &str,
    bytes: &[u8],
    catalog: &SkuCatalog,
) -> Result<OrderImport, ImportError> {
    let table = Table::parse(source, bytes)?;
    let order = table.require("order_id", FORMAT)?;
    let customer = table.require("customer_id", FORMAT)?;
    let quantity_column = table.require("quantity", FORMAT)?;
    let price_column = table.require("unit_price", FORMAT)?;
    let time_column = table.require("timestamp", FORMAT)?;
    let sku_column = table.column("sku");
    let style_column = table.column("style_id");
    if sku_column.is_none() && style_column.is_none() {
        return Err(table.missing("'sku' or 'style_id'", FORMAT));
    }
    let currency_column = table.column("currency");
    let mut collector = PurchaseCollector::new(catalog);
    for row in table.rows() {
        collector.row();
        let order_id = sanitise_id(row.cell(&order))
            .ok_or_else(|| table.invalid(row, &order.name, "must not be empty"))?;
        let sku = row.get(sku_column.as_ref());
        let style = row.get(style_column.as_ref());
        let item = if sku.is_empty() { style } else { sku };
        if item.is_empty() {
            let column = sku_column.as_ref().or(style_column.as_ref());
            let name = column.map_or("sku", |c| c.name.as_str());
            return Err(table.invalid(row, name, "needs a SKU or a style id"));
        }
        let occurrence = collector.occurrence(&order_id, item);
        let quantity = parse_quantity(row.cell(&quantity_column))
            .map_err(|m| table.invalid(row, &quantity_column.name, m))?;
        let Some(quantity) = quantity else {
            collector.skip(SkipReason::NoQuantity, &order_id);
            continue;
        };
        let customer_id = row.cell(&customer);
        if customer_id.is_empty() {
            collector.skip(SkipReason::NoCustomer, &order_id);
            continue;
        }
        validate_id(customer_id).map_err(|m| table.invalid(row, &customer.name, m))?;
        let currency = row.get(currency_column.as_ref());
        let price_cents = parse_minor_units(row.cell(&price_column), currency)
            .map_err(|m| table.invalid(row, &price_column.name, m))?;
        let timestamp = parse_time(row.cell(&time_column), collector.now)
            .map_err(|m| table.invalid(row, &time_column.name, m))?;
        let Some((style_id, sku)) = collector.resolve(sku, style) else {
            continue;
        };
        let line = PurchaseLine {
            order_id: &order_id,
            customer_id: customer_id.to_string(),
            style_id,
            sku,
            item,
            occurrence,
            quantity,
            price_cents,
            timestamp,
        };
        collector.push(&table, row, line)?;
    }
    Ok(collector.finish())
}

//! Shopify's orders export (Admin > Orders > Export, CSV): one row per line item, with the
//! order-level columns (`Email`, `Financial Status`, `Paid at`, ...) filled only on an
//! order's first row, so they are carried forward to its other rows by `Name`.
//!
//! Columns read: `Name` (order number, e.g. `#1001`), `Lineitem quantity`, `Lineitem price`,
//! `Lineitem sku` (required); `Email`, `Financial Status`, `Paid at`, `Created at`,
//! `Currency`, `Cancelled at` (order level) and any others named by the options. Each line
//! becomes a purchase of the style whose variant has the SKU, at the unit price before
//! order-level discounts, timed when the order was paid (else created).

use std::collections::HashMap;
use std::path::Path;

use super::cells::{parse_quantity, parse_time};
use super::money::parse_minor_units;
use super::orders::{
    pseudonymous_customer_id, sanitise_id, CustomerSource, OrderImport, OrderOptions,
    PurchaseCollector, PurchaseLine, SkipReason, SkuCatalog,
};
use super::table::{read_file, Column, Row, Table};
use crate::domain::validate_id;
use crate::import::ImportError;

const FORMAT: &str = "Shopify orders export";

/// Financial statuses of orders that were not paid for in the end: their lines are skipped.
const UNPAID_STATUSES: [&str; 3] = ["refunded", "voided", "expired"];

/// Reads a Shopify orders export into purchase signals (see the module documentation).
/// Lines of refunded, voided or cancelled orders, without a customer or with an unknown SKU
/// are counted in the report, not imported; a malformed cell stops the import with an
/// error naming the line and the column.
pub fn read_shopify_orders(
    path: &Path,
    catalog: &SkuCatalog,
    options: &OrderOptions,
) -> Result<OrderImport, ImportError> {
    let bytes = read_file(path)?;
    parse_shopify_orders(&path.to_string_lossy(), &bytes, catalog, options)
}

/// [`read_shopify_orders`] of an export already in memory; errors name `source`.
pub fn parse_shopify_orders(
    source: &str,
    bytes: &[u8],
    catalog: &SkuCatalog,
    options: &OrderOptions,
) -> Result<OrderImport, ImportError> {
    let table = Table::parse(source, bytes)?;
    let columns = OrderColumns::find(&table, options)?;
    let mut orders: HashMap<String, OrderHeader> = HashMap::new();
    let mut collector = PurchaseCollector::new(catalog);
    for row in table.rows() {
        collector.row();
        let name = row.cell(&columns.name);
        let order_id = sanitise_id(name).ok_or_else(|| {
            table.invalid(
                row,
                &columns.name.name,
                "needs an order number such as #1001",
            )
        })?;
        let header = orders.entry(order_id.clone()).or_default();
        header.fill_from(row, &columns);
        let header = header.clone();
        let sku = row.cell(&columns.sku);
        let fallback_style = row.get(columns.style.as_ref());
        let item = [sku, fallback_style, row.get(columns.item_name.as_ref())]
            .into_iter()
            .find(|s| !s.is_empty())
            .unwrap_or("");
        let occurrence = collector.occurrence(&order_id, item);
        if UNPAID_STATUSES.contains(&header.financial_status.to_ascii_lowercase().as_str()) {
            collector.skip(SkipReason::Refunded, &order_id);
            continue;
        }
        if !header.cancelled_at.is_empty() {
            collector.skip(SkipReason::Cancelled, &order_id);
            continue;
        }
        let quantity = parse_quantity(row.cell(&columns.quantity))
            .map_err(|m| table.invalid(row, &columns.quantity.name, m))?;
        let Some(quantity) = quantity else {
            collector.skip(SkipReason::NoQuantity, &order_id);
            continue;
        };
        let Some(customer_id) = customer_of(&table, row, &columns, &header, options)? else {
            collector.skip(SkipReason::NoCustomer, &order_id);
            continue;
        };
        let price_cents = parse_minor_units(row.cell(&columns.price), &header.currency)
            .map_err(|m| table.invalid(row, &columns.price.name, m))?;
        let (time_column, time) = if header.paid_at.is_empty() {
            (&columns.created_at, &header.created_at)
        } else {
            (&columns.paid_at, &header.paid_at)
        };
        let time_name = time_column.as_ref().map_or("Paid at", |c| c.name.as_str());
        if time.is_empty() {
            return Err(table.invalid(
                row,
                time_name,
                "the order has neither a 'Paid at' nor a 'Created at' time",
            ));
        }
        let timestamp =
            parse_time(time, collector.now).map_err(|m| table.invalid(row, time_name, m))?;
        let Some((style_id, sku)) = collector.resolve(sku, fallback_style) else {
            continue;
        };
        let line = PurchaseLine {
            order_id: &order_id,
            customer_id,
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

/// The customer of a line: the configured column's id, else the pseudonym of the order's
/// e-mail. None when the order names nobody.
fn customer_of(
    table: &Table,
    row: &Row,
    columns: &OrderColumns,
    header: &OrderHeader,
    options: &OrderOptions,
) -> Result<Option<String>, ImportError> {
    match (&options.customer, &columns.customer) {
        (CustomerSource::Column(_), Some(column)) => {
            let id = header.customer.as_str();
            if id.is_empty() {
                return Ok(None);
            }
            validate_id(id).map_err(|m| table.invalid(row, &column.name, m))?;
            Ok(Some(id.to_string()))
        }
        _ if header.email.is_empty() => Ok(None),
        _ => Ok(Some(pseudonymous_customer_id(&header.email))),
    }
}

/// The columns of the export this connector reads.
struct OrderColumns {
    name: Column,
    quantity: Column,
    price: Column,
    sku: Column,
    item_name: Option<Column>,
    email: Option<Column>,
    financial_status: Option<Column>,
    paid_at: Option<Column>,
    created_at: Option<Column>,
    currency: Option<Column>,
    cancelled_at: Option<Column>,
    customer: Option<Column>,
    style: Option<Column>,
}

impl OrderColumns {
    fn find(table: &Table, options: &OrderOptions) -> Result<Self, ImportError> {
        let named = |name: &str| {
            table.column(name).ok_or_else(|| ImportError::Parse {
                path: table.path().to_path_buf(),
                line: 1,
                message: format!("missing column '{name}' (named by the import options)"),
            })
        };
        let customer = match &options.customer {
            CustomerSource::Column(name) => Some(named(name)?),
            CustomerSource::HashedEmail => None,
        };
        let style = options.style_column.as_deref().map(named).transpose()?;
        let columns = Self {
            name: table.require("Name", FORMAT)?,
            quantity: table.require("Lineitem quantity", FORMAT)?,
            price: table.require("Lineitem price", FORMAT)?,
            sku: table.require("Lineitem sku", FORMAT)?,
            item_name: table.column("Lineitem name"),
            email: table.column("Email"),
            financial_status: table.column("Financial Status"),
            paid_at: table.column("Paid at"),
            created_at: table.column("Created at"),
            currency: table.column("Currency"),
            cancelled_at: table.column("Cancelled at"),
            customer,
            style,
        };
        if columns.paid_at.is_none() && columns.created_at.is_none() {
            return Err(table.missing("'Paid at' or 'Created at'", FORMAT));
        }
        if columns.email.is_none() && columns.customer.is_none() {
            return Err(table.missing("'Email'", FORMAT));
        }
        Ok(columns)
    }
}

/// The order-level cells of an order, gathered from its rows (the first non-empty wins).
#[derive(Debug, Clone, Default)]
struct OrderHeader {
    email: String,
    financial_status: String,
    paid_at: String,
    created_at: String,
    currency: String,
    cancelled_at: String,
    customer: String,
}

impl OrderHeader {
    fn fill_from(&mut self, row: &Row, columns: &OrderColumns) {
        let fields = [
            (&mut self.email, &columns.email),
            (&mut self.financial_status, &columns.financial_status),
            (&mut self.paid_at, &columns.paid_at),
            (&mut self.created_at, &columns.created_at),
            (&mut self.currency, &columns.currency),
            (&mut self.cancelled_at, &columns.cancelled_at),
            (&mut self.customer, &columns.customer),
        ];
        for (field, column) in fields {
            let value = row.get(column.as_ref());
            if field.is_empty() && !value.is_empty() {
                *field = value.to_string();
            }
        }
    }
}

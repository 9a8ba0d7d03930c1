//! The generic order-lines connector: any column order, extra columns ignored, style ids
//! instead of SKUs, errors naming line and column.

use super::*;
use crate::import::ImportError;

fn order_lines(text: &str) -> Result<OrderImport, ImportError> {
    parse_order_lines("order-lines.csv", text.as_bytes(), &fixture_catalog())
}

#[test]
fn when_order_lines_are_read_should_map_every_column() {
    let import = order_lines(&fixture("order-lines.csv")).expect("order lines");
    assert_eq!(import.report.rows, 3);
    assert_eq!(import.report.purchases, 3);
    assert_eq!(import.report.orders, 2);
    let first = &import.signals[0];
    assert_eq!(first.order_id.as_deref(), Some("A-2001"));
    assert_eq!(first.customer_id.as_deref(), Some("cu-42"));
    assert_eq!(
        (first.style_id.as_str(), first.sku.as_deref()),
        ("luna-round", Some("LUNA-52-BLK"))
    );
    assert_eq!(import.signals[1].price_cents, Some(129_900), "\"1,299.00\"");
    assert_eq!(
        import.signals[2].timestamp.to_rfc3339(),
        "2025-06-02T13:00:00+00:00"
    );
}

#[test]
fn when_columns_are_reordered_or_name_styles_should_still_read() {
    let text = "Timestamp,Quantity,Style_ID,Unit_Price,Customer_ID,Order_ID\n\
                2025-06-01,2,nova-aviator,99,cu-1,#77\n\
                2025-06-01,1,no-such-style,99,cu-1,#77\n\
                2025-06-01,0,luna-round,99,cu-1,#78\n\
                2025-06-01,1,luna-round,99,,#79\n";
    let import = order_lines(text).expect("reordered");
    assert_eq!(import.signals.len(), 1);
    let signal = &import.signals[0];
    assert_eq!(
        (
            signal.style_id.as_str(),
            signal.sku.as_deref(),
            signal.order_id.as_deref()
        ),
        ("nova-aviator", None, Some("77"))
    );
    assert_eq!(
        (signal.quantity, signal.price_cents),
        (Some(2), Some(9_900))
    );
    assert_eq!(import.report.unknown_skus, 1);
    assert_eq!(
        import.report.unknown_sku_examples,
        vec!["no-such-style".to_string()]
    );
    assert_eq!(import.report.skipped.get(&SkipReason::NoQuantity), Some(&1));
    assert_eq!(import.report.skipped.get(&SkipReason::NoCustomer), Some(&1));
}

#[test]
fn when_a_row_is_bad_should_name_line_and_column() {
    let text = fixture("order-lines.csv").replace("cu-7", "cu 7");
    let error = order_lines(&text).expect_err("bad customer");
    assert!(
        error
            .to_string()
            .starts_with("order-lines.csv:4: invalid input: customer_id:"),
        "{error}"
    );
    let text = fixture("order-lines.csv").replace("139.50,USD", "139.505,USD");
    let error = order_lines(&text).expect_err("bad price");
    assert!(
        error
            .to_string()
            .contains(":4: invalid input: unit_price: '139.505' has more than 2"),
        "{error}"
    );
    let text = fixture("order-lines.csv")
        .replace("2025-06-01T09:30:00Z,store", "2999-01-01T00:00:00Z,store");
    let error = order_lines(&text).expect_err("future");
    assert!(
        error.to_string().contains(":2: invalid input: timestamp:"),
        "{error}"
    );
    let error =
        order_lines("order_id,customer_id,quantity,unit_price,timestamp\n").expect_err("no item");
    assert!(
        error
            .to_string()
            .contains("missing column 'sku' or 'style_id'"),
        "{error}"
    );
    let short = "order_id,customer_id,sku,quantity,unit_price,timestamp\nA,cu-1,LUNA-49-BLK,1\n";
    let error = order_lines(short).expect_err("short row");
    assert_eq!(error.line(), Some(2), "{error}");
}

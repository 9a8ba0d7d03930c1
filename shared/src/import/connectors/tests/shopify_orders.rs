//! The Shopify orders connector: carried-forward order columns, refunds, unknown SKUs,
//! pseudonymous customers, exact prices and errors naming line and column.

use super::*;
use crate::domain::SignalKind;
use crate::import::ImportError;

#[test]
fn when_an_order_has_several_lines_should_carry_its_columns_to_every_line() {
    let import = shopify_orders(&fixture("shopify-orders.csv"), &OrderOptions::default())
        .expect("orders export");
    let report = &import.report;
    assert_eq!(report.rows, 5);
    assert_eq!(report.purchases, 3);
    assert_eq!(report.orders, 2, "#1001 and #1003");
    let ana = pseudonymous_customer_id("ana@example.com");
    let lines: Vec<_> = import
        .signals
        .iter()
        .map(|s| {
            (
                s.order_id.as_deref(),
                s.customer_id.as_deref(),
                s.style_id.as_str(),
                s.sku.as_deref(),
                s.price_cents,
                s.quantity,
                s.timestamp.to_rfc3339(),
            )
        })
        .collect();
    let paid = "2025-05-01T14:00:00+00:00".to_string();
    assert_eq!(
        lines[..2],
        [
            (
                Some("1001"),
                Some(ana.as_str()),
                "luna-round",
                Some("LUNA-49-BLK"),
                Some(12_950),
                Some(1),
                paid.clone()
            ),
            (
                Some("1001"),
                Some(ana.as_str()),
                "luna-round",
                Some("LUNA-49-TRT"),
                Some(13_950),
                Some(1),
                paid
            ),
        ]
    );
    // No `Paid at` (pending): the order's creation time; "1299.00" exactly.
    let nova = &import.signals[2];
    assert_eq!(nova.style_id, "nova-aviator");
    assert_eq!((nova.price_cents, nova.quantity), (Some(129_900), Some(2)));
    assert_eq!(nova.timestamp.to_rfc3339(), "2025-05-03T12:00:00+00:00");
    assert!(import
        .signals
        .iter()
        .all(|s| s.kind == SignalKind::Purchase && s.event_id.starts_with("ord-")));
}

#[test]
fn when_an_order_was_refunded_should_skip_and_report_it() {
    let import = shopify_orders(&fixture("shopify-orders.csv"), &OrderOptions::default())
        .expect("orders export");
    assert_eq!(import.report.skipped.get(&SkipReason::Refunded), Some(&1));
    assert_eq!(import.report.skipped_orders, 1);
    assert!(import
        .signals
        .iter()
        .all(|s| s.order_id.as_deref() != Some("1002")));
    // Voided and cancelled orders are skipped the same way.
    let text = fixture("shopify-orders.csv")
        .replace(",refunded,", ",voided,")
        .replace("fulfilled,USD,269.00,2025-05-01 09:58:00 -0400,1,Luna Round - 49 / Black,129.50,LUNA-49-BLK,",
                 "fulfilled,USD,269.00,2025-05-01 09:58:00 -0400,1,Luna Round - 49 / Black,129.50,LUNA-49-BLK,2025-05-02 08:00:00 -0400");
    let import = shopify_orders(&text, &OrderOptions::default()).expect("orders");
    assert_eq!(import.report.skipped.get(&SkipReason::Refunded), Some(&1));
    assert_eq!(
        import.report.skipped.get(&SkipReason::Cancelled),
        Some(&2),
        "both #1001 lines"
    );
    assert_eq!(import.report.skipped_orders, 2);
    assert_eq!(import.report.purchases, 1);
}

#[test]
fn when_a_sku_is_unknown_should_count_it_and_import_the_rest() {
    let import = shopify_orders(&fixture("shopify-orders.csv"), &OrderOptions::default())
        .expect("orders export");
    assert_eq!(import.report.unknown_skus, 1);
    assert_eq!(
        import.report.unknown_sku_examples,
        vec!["CLOTH-1".to_string()]
    );
    // A fallback column names the style when the SKU is not in the catalogue.
    let text = fixture("shopify-orders.csv")
        .replace("Cancelled at\n", "Cancelled at,Style\n")
        .replace(",CLOTH-1,\n", ",CLOTH-1,,luna-round\n")
        .replace(",\n", ",,\n");
    let options = OrderOptions {
        style_column: Some("style".into()),
        ..OrderOptions::default()
    };
    let import = shopify_orders(&text, &options).expect("with a style column");
    assert_eq!(import.report.unknown_skus, 0);
    let cloth = import.signals.last().expect("the cloth line");
    assert_eq!(
        (cloth.style_id.as_str(), cloth.sku.as_deref()),
        ("luna-round", Some("CLOTH-1"))
    );
}

#[test]
fn when_customers_are_named_should_never_keep_the_email() {
    let import = shopify_orders(&fixture("shopify-orders.csv"), &OrderOptions::default())
        .expect("orders export");
    for signal in &import.signals {
        let customer = signal.customer_id.as_deref().unwrap_or_default();
        assert!(
            customer.starts_with("em-") && customer.len() == 27,
            "{customer}"
        );
        assert!(!customer.contains('@'));
    }
    // Pinned: SHA-256 of "ana@example.com" (Python's hashlib), whatever the case and spaces.
    assert_eq!(
        pseudonymous_customer_id(" Ana@Example.com "),
        "em-8e43ca37701228e74983efdb"
    );
    assert_ne!(
        pseudonymous_customer_id("ana@example.com"),
        pseudonymous_customer_id("ben@example.com")
    );
    // A customer column instead, carried forward like the e-mail; no e-mail column needed.
    let text = fixture("shopify-orders.csv")
        .replace("Name,Email,", "Name,Customer ID,")
        .replace("Ana@Example.com", "shop-cust-1")
        .replace("cy@example.com", "");
    let options = OrderOptions {
        customer: CustomerSource::Column("Customer ID".into()),
        ..OrderOptions::default()
    };
    let import = shopify_orders(&text, &options).expect("customer column");
    let customers: Vec<_> = import
        .signals
        .iter()
        .map(|s| s.customer_id.as_deref())
        .collect();
    assert_eq!(customers, [Some("shop-cust-1"), Some("shop-cust-1")]);
    assert_eq!(import.report.skipped.get(&SkipReason::NoCustomer), Some(&2));
    let missing = OrderOptions {
        customer: CustomerSource::Column("Client".into()),
        ..OrderOptions::default()
    };
    let error = shopify_orders(&fixture("shopify-orders.csv"), &missing).expect_err("no column");
    assert!(
        error.to_string().contains("missing column 'Client'"),
        "{error}"
    );
}

#[test]
fn when_a_cell_is_malformed_should_name_line_and_column() {
    let text = fixture("shopify-orders.csv").replace(",139.50,LUNA-49-TRT", ",13.9.50,LUNA-49-TRT");
    let error = shopify_orders(&text, &OrderOptions::default()).expect_err("bad price");
    match &error {
        ImportError::Invalid { line, errors, .. } => {
            assert_eq!(*line, 3);
            assert_eq!(errors.0[0].field, "Lineitem price");
        }
        other => panic!("expected Invalid, got {other}"),
    }
    assert!(
        error
            .to_string()
            .starts_with("orders.csv:3: invalid input: Lineitem price: '13.9.50'"),
        "{error}"
    );
    let text = fixture("shopify-orders.csv").replace(",2,Nova", ",two,Nova");
    let error = shopify_orders(&text, &OrderOptions::default()).expect_err("bad quantity");
    assert!(
        error
            .to_string()
            .starts_with("orders.csv:5: invalid input: Lineitem quantity:"),
        "{error}"
    );
    let text = fixture("shopify-orders.csv").replace("2025-05-01 10:00:00 -0400", "May 1st");
    let error = shopify_orders(&text, &OrderOptions::default()).expect_err("bad time");
    // The time is the order's, carried forward: the first line that needs it names it.
    assert!(
        error
            .to_string()
            .starts_with("orders.csv:2: invalid input: Paid at:"),
        "{error}"
    );
    let error = shopify_orders("Name,Email\n#1,a@b.c\n", &OrderOptions::default())
        .expect_err("not an orders export");
    assert_eq!(error.line(), Some(1));
    assert!(
        error
            .to_string()
            .contains("missing column 'Lineitem quantity'"),
        "{error}"
    );
}

#[test]
fn when_order_names_hold_other_characters_should_fit_the_id_charset() {
    assert_eq!(sanitise_id("#1001").as_deref(), Some("1001"));
    assert_eq!(sanitise_id(" EU #12/3 ").as_deref(), Some("EU-12-3"));
    assert_eq!(sanitise_id("SO-12.3:a_b").as_deref(), Some("SO-12.3:a_b"));
    assert_eq!(sanitise_id("##"), None);
    assert_eq!(sanitise_id(&"9".repeat(200)).map(|s| s.len()), Some(128));
}

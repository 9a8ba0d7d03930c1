//! `framewise import shopify-products|shopify-orders|order-lines` end to end on the fixture
//! exports in `tests/fixtures/connectors/`: counts printed, a second import of the same
//! orders adds nothing, a bad cell names file, line and column.

use std::path::{Path, PathBuf};
use std::process::Output;

use framewise_integration_tests::framewise_bin;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/connectors")
        .join(name)
}

fn import(data_dir: &Path, what: &str, file: &Path) -> Output {
    std::process::Command::new(framewise_bin())
        .args(["import", what])
        .arg(file)
        .arg("--data-dir")
        .arg(data_dir)
        .output()
        .expect("framewise import")
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn when_shop_exports_are_imported_twice_should_add_each_purchase_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path();
    let products = stdout(&import(
        data,
        "shopify-products",
        &fixture("shopify-products.csv"),
    ));
    assert!(
        products
            .contains("read 7 rows: imported 2 styles (2 new, 0 updated), 1 products not imported"),
        "{products}"
    );
    assert!(
        products.contains("shopify-products.csv:8: invalid input: Tags: no lens width"),
        "{products}"
    );

    let orders = fixture("shopify-orders.csv");
    let first = stdout(&import(data, "shopify-orders", &orders));
    assert!(first.contains("read 5 order lines"), "{first}");
    assert!(
        first.contains("imported 3 purchases; 0 already present"),
        "{first}"
    );
    assert!(
        first.contains("skipped 1 lines (1 orders): 1 refunded or voided"),
        "{first}"
    );
    assert!(
        first.contains("unknown SKUs on 1 lines: CLOTH-1"),
        "{first}"
    );
    let second = stdout(&import(data, "shopify-orders", &orders));
    assert!(
        second.contains("imported 0 purchases; 3 already present"),
        "{second}"
    );

    let lines = stdout(&import(data, "order-lines", &fixture("order-lines.csv")));
    assert!(
        lines.contains("imported 3 purchases; 0 already present"),
        "{lines}"
    );
    let again = stdout(&import(data, "order-lines", &fixture("order-lines.csv")));
    assert!(
        again.contains("imported 0 purchases; 3 already present"),
        "{again}"
    );
}

#[test]
fn when_an_order_line_is_malformed_should_fail_naming_line_and_column() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("bad-lines.csv");
    let text = std::fs::read_to_string(fixture("order-lines.csv")).expect("fixture");
    std::fs::write(&bad, text.replace("139.50,USD", "139.5.0,USD")).expect("write");
    let output = import(&dir.path().join("data"), "order-lines", &bad);
    assert!(!output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("bad-lines.csv:4: invalid input: unit_price:"),
        "{stderr}"
    );
}

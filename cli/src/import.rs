//! `framewise import`: a catalogue, customers, interaction history, lens prices or shop
//! exports (Shopify orders and products, generic order lines) into the data directory.
//!
//! An interactions file is read twice. The first pass only checks it, so a bad row is
//! reported (file, line, field) before anything is written. The second streams it in chunks:
//! each chunk is grouped by shopper and applied in one store transaction while a blocking
//! thread parses the next one. Event ids are derived from the rows, so importing the same
//! file again applies nothing twice.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::ValueEnum;
use framewise::adapters::{embedded_stores_with, OpenOptions};
use framewise::domain::Signal;
use framewise::import::connectors::{
    self, CustomerSource, OrderImport, OrderOptions, ProductOptions, SkuCatalog,
};
use framewise::import::{self, group_by_subject, ImportError, InteractionChunks};
use framewise::ports::SignalStore;
use framewise::service::{CatalogImageReport, Framewise, ServiceConfig};
use indicatif::{ProgressBar, ProgressFinish, ProgressStyle};
use tokio::sync::mpsc;

use crate::{open_service, CliResult};

/// Signals applied per store transaction by default. A transaction rewrites every store page
/// it touches, so a few large ones write far less than many small ones: 3.74M demo rows
/// import in 74 s with 1M-row chunks, 95 s with 500k, 106 s with 250k, at a peak of 3.1 GB
/// resident against 2.5 GB (the store's page cache is most of it); `--chunk-rows` trades back.
const DEFAULT_CHUNK_ROWS: usize = 1_000_000;

#[derive(clap::Args)]
pub struct ImportArgs {
    /// What the file holds.
    what: ImportKind,
    /// catalog/customers: JSON Lines; interactions: CSV with header customer_id,style_id,kind,timestamp;
    /// lens-prices: JSON (one list per currency), JSON Lines or CSV (currency,kind,name,price_cents);
    /// shopify-orders / shopify-products: Shopify's CSV exports; order-lines: CSV with header
    /// order_id,customer_id,sku,quantity,unit_price,currency,timestamp.
    file: PathBuf,
    #[arg(long, env = "FRAMEWISE_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    /// Interactions applied per store transaction: larger is faster and takes more memory.
    #[arg(
        long,
        default_value_t = DEFAULT_CHUNK_ROWS,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..)
    )]
    chunk_rows: usize,
    /// catalog: product pictures `DIR/<colourway code>.jpg` (or .jpeg, .png) to analyse:
    /// colours and shape are checked against the feed and kept for `similar?by=look`.
    #[arg(long, value_name = "DIR")]
    images: Option<PathBuf>,
    /// catalog with --images: also write the full report (extracted attributes,
    /// mismatches, failures) as JSON to FILE.
    #[arg(long, value_name = "FILE", requires = "images")]
    image_report: Option<PathBuf>,
    /// shopify-orders: take the customer id from this column (e.g. "Customer ID") instead of
    /// a pseudonym of the order's e-mail.
    #[arg(long, value_name = "COLUMN")]
    customer_column: Option<String>,
    /// shopify-orders: a column with the style id, for lines whose SKU the catalogue lacks.
    #[arg(long, value_name = "COLUMN")]
    style_column: Option<String>,
    /// shopify-products: the shop's currency (the export does not say).
    #[arg(long, value_name = "CODE", default_value = "USD")]
    currency: String,
}

#[derive(Clone, Copy, ValueEnum)]
enum ImportKind {
    Catalog,
    Customers,
    Interactions,
    /// Lens price lists (JSON, JSON Lines or CSV; see docs/bundles.md).
    LensPrices,
    /// Shopify's orders export: each line item becomes a purchase.
    ShopifyOrders,
    /// Shopify's products export: each product becomes a style.
    ShopifyProducts,
    /// Order lines of any shop (order_id,customer_id,sku,quantity,unit_price,currency,timestamp).
    OrderLines,
}

pub async fn run(args: ImportArgs, config: ServiceConfig, options: &OpenOptions) -> CliResult {
    match args.what {
        ImportKind::Catalog => {
            let styles = import::read_catalog_jsonl(&args.file)?;
            let images = match &args.images {
                Some(dir) => Some(import::read_colourway_images(dir, &styles)?),
                None => None,
            };
            let (service, _) = open_service(&args.data_dir, config, options).await?;
            service.import_styles(&styles).await?;
            println!("imported {} styles", styles.len());
            if let Some(images) = images {
                let report = service.import_catalog_images(&styles, &images).await?;
                print_image_report(&report);
                if let Some(path) = &args.image_report {
                    std::fs::write(path, serde_json::to_vec_pretty(&report)?)?;
                }
            }
        }
        ImportKind::LensPrices => {
            let lists = import::read_lens_prices(&args.file)?;
            let (service, _) = open_service(&args.data_dir, config, options).await?;
            let currencies = service.import_lens_prices(&lists).await?;
            println!("imported lens prices in {}", currencies.join(", "));
        }
        ImportKind::Customers => {
            let customers = import::read_customers_jsonl(&args.file)?;
            let (service, _) = open_service(&args.data_dir, config, options).await?;
            service.import_customers(&customers).await?;
            println!("imported {} customers", customers.len());
        }
        ImportKind::Interactions => {
            let started = Instant::now();
            let rows = check_interactions(&args.file, args.chunk_rows).await?;
            let checked = started.elapsed().as_secs_f64();
            // Only the signal store: opening the service would build a model first.
            let (stores, _) = embedded_stores_with(&args.data_dir, options)?;
            let applied =
                apply_interactions(stores.signals.as_ref(), &args.file, args.chunk_rows, rows)
                    .await?;
            tracing::debug!(
                rows,
                checked_seconds = checked,
                "interactions checked, then applied"
            );
            let seconds = started.elapsed().as_secs_f64();
            println!(
                "imported {applied} new of {rows} interactions in {seconds:.1} s ({}/s); \
                 run `framewise regenerate` to refresh lists",
                rate(rows, seconds)
            );
        }
        ImportKind::ShopifyOrders | ImportKind::OrderLines => {
            // Only the stores: opening the service would build a model first.
            let (stores, _) = embedded_stores_with(&args.data_dir, options)?;
            let styles = stores.catalog.list_styles().await?;
            if styles.is_empty() {
                eprintln!("the catalogue is empty, so every SKU is unknown: import products first");
            }
            let catalog = SkuCatalog::new(&styles);
            let import = if matches!(args.what, ImportKind::ShopifyOrders) {
                let order_options = OrderOptions {
                    customer: args
                        .customer_column
                        .clone()
                        .map_or(CustomerSource::HashedEmail, CustomerSource::Column),
                    style_column: args.style_column.clone(),
                };
                connectors::read_shopify_orders(&args.file, &catalog, &order_options)?
            } else {
                connectors::read_order_lines(&args.file, &catalog)?
            };
            let applied =
                apply_purchases(stores.signals.as_ref(), &import, args.chunk_rows).await?;
            print_order_report(&import, applied);
        }
        ImportKind::ShopifyProducts => {
            let product_options = ProductOptions {
                currency: args.currency.clone(),
                launch_date: chrono::Utc::now().date_naive(),
            };
            let mut import = connectors::read_shopify_products(&args.file, &product_options)?;
            for error in &import.rejected {
                println!("  not imported: {error}");
            }
            for d in &import.defaulted {
                println!(
                    "  defaults used for {} (line {}): {}; tag the product to set them",
                    d.style_id,
                    d.line,
                    d.fields.join(", ")
                );
            }
            if import.styles.is_empty() {
                return Err(format!(
                    "{}: no product could be imported ({} rejected)",
                    args.file.display(),
                    import.rejected.len()
                )
                .into());
            }
            let (service, _) = open_service(&args.data_dir, config, options).await?;
            let existing = service.stores().catalog.list_styles().await?;
            connectors::keep_launch_dates(&mut import.styles, &existing);
            let known = import
                .styles
                .iter()
                .filter(|s| existing.iter().any(|e| e.id == s.id))
                .count();
            service.import_styles(&import.styles).await?;
            println!(
                "read {} rows: imported {} styles ({} new, {known} updated), {} products not imported",
                import.rows,
                import.styles.len(),
                import.styles.len() - known,
                import.rejected.len()
            );
        }
    }
    Ok(())
}

/// Applies an order import's purchases in chunks, each grouped by shopper; the number that
/// were new (the rest were already in the store: same event ids).
async fn apply_purchases(
    store: &dyn SignalStore,
    import: &OrderImport,
    chunk_rows: usize,
) -> Result<usize, Box<dyn std::error::Error>> {
    let mut applied = 0;
    for chunk in import.signals.chunks(chunk_rows) {
        let mut chunk = chunk.to_vec();
        group_by_subject(&mut chunk);
        applied += store.apply(&chunk).await?.len();
    }
    Ok(applied)
}

/// What an order import read, added, found already present and left out.
fn print_order_report(import: &OrderImport, applied: usize) {
    let report = &import.report;
    let skipped: Vec<String> = report
        .skipped
        .iter()
        .map(|(reason, lines)| format!("{lines} {}", reason.as_str()))
        .collect();
    println!("read {} order lines", report.rows);
    println!(
        "imported {applied} purchases; {} already present",
        report.purchases - applied
    );
    println!(
        "skipped {} lines ({} orders){}",
        report.skipped_lines(),
        report.skipped_orders,
        if skipped.is_empty() {
            String::new()
        } else {
            format!(": {}", skipped.join(", "))
        }
    );
    let examples = if report.distinct_unknown_skus > report.unknown_sku_examples.len() {
        format!("{}, ...", report.unknown_sku_examples.join(", "))
    } else {
        report.unknown_sku_examples.join(", ")
    };
    println!(
        "unknown SKUs on {} lines{}",
        report.unknown_skus,
        if examples.is_empty() {
            String::new()
        } else {
            format!(": {examples}")
        }
    );
    println!("run `framewise regenerate` to refresh lists");
}

/// One line per picture that failed and per declared attribute a picture contradicts.
fn print_image_report(report: &CatalogImageReport) {
    println!(
        "analysed {} pictures ({} colourways without one, {} failed); {} mismatches; {} fields filled; {} looks stored",
        report.extracted.len(),
        report.without_image.len(),
        report.failed.len(),
        report.mismatches.len(),
        report.filled.len(),
        report.looks_stored
    );
    for f in &report.filled {
        println!(
            "  filled {}/{} {}: {}",
            f.style_id, f.colourway, f.field, f.value
        );
    }
    for failure in &report.failed {
        println!(
            "  failed {}/{}: {}",
            failure.style_id, failure.colourway, failure.error
        );
    }
    for m in &report.mismatches {
        println!(
            "  mismatch {}/{} {}: declared {}, picture shows {}",
            m.style_id, m.colourway, m.field, m.declared, m.extracted
        );
    }
}

/// Reads the whole file without writing anything; the number of rows, or the first bad one.
async fn check_interactions(
    file: &Path,
    chunk_rows: usize,
) -> Result<usize, Box<dyn std::error::Error>> {
    let length = std::fs::metadata(file).map_or(0, |m| m.len());
    let bar = progress(
        length,
        "checking interactions",
        "{binary_bytes}/{binary_total_bytes} ({binary_bytes_per_sec}",
    );
    let mut chunks = InteractionChunks::open(file, chunk_rows)?;
    let counting = bar.clone();
    let rows = tokio::task::spawn_blocking(move || {
        let mut rows = 0;
        while let Some(chunk) = chunks.next() {
            rows += chunk?.len();
            counting.set_position(chunks.bytes_read());
        }
        Ok::<_, ImportError>(rows)
    })
    .await??;
    bar.finish_and_clear();
    Ok(rows)
}

/// Applies a checked file chunk by chunk; the next chunk is parsed while one is applied.
async fn apply_interactions(
    store: &dyn SignalStore,
    file: &Path,
    chunk_rows: usize,
    rows: usize,
) -> Result<usize, Box<dyn std::error::Error>> {
    let chunks = InteractionChunks::open(file, chunk_rows)?;
    // One chunk waits parsed and grouped while another is applied: that takes the second core.
    let (sender, mut receiver) = mpsc::channel(1);
    let reader = tokio::task::spawn_blocking(move || {
        for mut chunk in chunks {
            if let Ok(signals) = &mut chunk {
                group_by_subject(signals);
            }
            // A closed channel means applying failed; that error is the one reported.
            if sender.blocking_send(chunk).is_err() {
                break;
            }
        }
    });
    let bar = progress(
        rows as u64,
        "importing interactions",
        "{human_pos}/{human_len} ({per_sec:0}",
    );
    let mut applied = 0;
    while let Some(chunk) = receiver.recv().await {
        let chunk = chunk?;
        applied += store.apply(&chunk).await?.len();
        bar.inc(chunk.len() as u64);
    }
    // The channel also closes if the reading thread panicked: that is no complete import.
    reader.await?;
    bar.finish_and_clear();
    Ok(applied)
}

/// Bulk-loads historical signals straight into the signal store (not through the queue),
/// in chunks of one transaction each; the number of signals that were new.
pub async fn import_history(
    service: &Framewise,
    signals: &[Signal],
) -> Result<usize, Box<dyn std::error::Error>> {
    let bar = progress(
        signals.len() as u64,
        "importing interactions",
        "{human_pos}/{human_len} ({per_sec:0}",
    );
    let mut applied = 0;
    for chunk in signals.chunks(DEFAULT_CHUNK_ROWS) {
        let mut chunk = chunk.to_vec();
        // Each shopper's records are then written together; same result as input order.
        group_by_subject(&mut chunk);
        applied += service.stores().signals.apply(&chunk).await?.len();
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    Ok(applied)
}

/// A bar with throughput, drawn on stderr only when it is a terminal (indicatif hides it
/// otherwise, so logs and pipes stay clean) and cleared when done or dropped on an error.
/// `counts` is the template of position, length and rate.
fn progress(length: u64, message: &'static str, counts: &str) -> ProgressBar {
    let bar = ProgressBar::new(length).with_finish(ProgressFinish::AndClear);
    let template = format!("{{msg:24}} [{{bar:40}}] {counts}, eta {{eta}})");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(message);
    // Chunks take seconds each: tick so that elapsed time and rate keep moving.
    bar.enable_steady_tick(Duration::from_millis(250));
    bar
}

/// Rows per second, rounded, for the summary line.
fn rate(rows: usize, seconds: f64) -> String {
    if seconds > 0.0 {
        format!("{:.0}", rows as f64 / seconds)
    } else {
        "-".to_string()
    }
}

//! What every order connector shares: the catalogue lookup (SKU -> style), who the customer
//! is, deterministic event ids, and the collection of purchase signals with the report of
//! what was skipped.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::table::{Row, Table};
use crate::domain::{validate_id, Signal, SignalKind, Style};
use crate::import::ImportError;

/// How many distinct unknown SKUs a report lists by name (all are counted).
pub const UNKNOWN_SKU_EXAMPLES: usize = 5;

/// Where an order line's customer id comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CustomerSource {
    /// A pseudonymous id derived from the order's e-mail ([`pseudonymous_customer_id`]):
    /// the address itself is personal data and never stored.
    #[default]
    HashedEmail,
    /// The value of this column (e.g. `Customer ID`), which must be a valid id.
    Column(String),
}

/// Options of the Shopify orders connector.
#[derive(Debug, Clone, Default)]
pub struct OrderOptions {
    pub customer: CustomerSource,
    /// A column holding the style id, used when a line's SKU is not in the catalogue.
    pub style_column: Option<String>,
}

/// The catalogue as an order import needs it: which style a SKU belongs to.
#[derive(Debug, Clone, Default)]
pub struct SkuCatalog {
    style_of_sku: HashMap<String, String>,
    styles: HashSet<String>,
}

impl SkuCatalog {
    pub fn new(styles: &[Style]) -> Self {
        let mut catalog = Self::default();
        for style in styles {
            catalog.styles.insert(style.id.clone());
            for variant in style.colourways.iter().flat_map(|c| &c.variants) {
                catalog
                    .style_of_sku
                    .insert(variant.sku.clone(), style.id.clone());
            }
        }
        catalog
    }

    /// The style of a SKU, if the catalogue sells it.
    pub fn style_of(&self, sku: &str) -> Option<&str> {
        self.style_of_sku.get(sku).map(String::as_str)
    }

    pub fn has_style(&self, style_id: &str) -> bool {
        self.styles.contains(style_id)
    }

    pub fn is_empty(&self) -> bool {
        self.styles.is_empty()
    }
}

/// Why order lines were read but not imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    /// The order was refunded, voided or its payment expired (Shopify `Financial Status`).
    Refunded,
    /// The order was cancelled (Shopify `Cancelled at`).
    Cancelled,
    /// No e-mail or customer id: the purchase belongs to nobody the service knows.
    NoCustomer,
    /// A quantity of 0 (a line removed by an order edit).
    NoQuantity,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Refunded => "refunded or voided",
            Self::Cancelled => "cancelled",
            Self::NoCustomer => "without customer",
            Self::NoQuantity => "quantity 0",
        }
    }
}

/// What an order export held and what became of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderReport {
    /// Data rows read (one per order line).
    pub rows: usize,
    /// Purchase signals made (one per imported line).
    pub purchases: usize,
    /// Distinct orders with at least one purchase signal.
    pub orders: usize,
    /// Lines not imported, by reason.
    pub skipped: BTreeMap<SkipReason, usize>,
    /// Distinct orders skipped whole (refunded, voided, cancelled).
    pub skipped_orders: usize,
    /// Lines whose SKU (or style) the catalogue does not know; they are not imported.
    pub unknown_skus: usize,
    /// How many distinct SKUs those lines name.
    pub distinct_unknown_skus: usize,
    /// The first few of those SKUs, distinct, in file order.
    pub unknown_sku_examples: Vec<String>,
}

impl OrderReport {
    /// Lines skipped for any reason, unknown SKUs not included.
    pub fn skipped_lines(&self) -> usize {
        self.skipped.values().sum()
    }
}

/// The purchase signals of an export with its report. Applying the signals to a store that
/// already holds some of them adds only the new ones (their event ids are derived).
#[derive(Debug, Clone, Default)]
pub struct OrderImport {
    pub signals: Vec<Signal>,
    pub report: OrderReport,
}

/// Deterministic event id of an order line: `ord-` and 80 bits of SHA-256 over the order id,
/// the item (SKU as written, else style id) and which occurrence of that item in the order
/// this line is (0 for the first). Neither the timestamp nor the line's position in the file
/// take part, so a later export that lists the order again, or lists its lines in another
/// order, gives the same ids. The Shopify and generic connectors share it: the same order
/// imported through both is counted once.
pub fn order_line_event_id(order_id: &str, item: &str, occurrence: u32) -> String {
    let mut hash = Sha256::new();
    for part in [order_id, item, &occurrence.to_string()] {
        hash.update(part.as_bytes());
        hash.update([0x1f]);
    }
    format!("ord-{}", &hex::encode(hash.finalize())[..20])
}

/// A stable pseudonymous customer id for an e-mail address: `em-` and the first 24 hex
/// digits of the SHA-256 of the trimmed, lower-cased address. The same shopper gets the
/// same id in every export; the address cannot be read back from it (it can be confirmed by
/// whoever already knows it, so the id is pseudonymous personal data, not anonymous).
pub fn pseudonymous_customer_id(email: &str) -> String {
    let normalised = email.trim().to_lowercase();
    format!(
        "em-{}",
        &hex::encode(Sha256::digest(normalised.as_bytes()))[..24]
    )
}

/// Fits a shop's identifier (an order name like `#1001`) to the id charset
/// `[A-Za-z0-9_.:-]`: each run of other characters becomes one `-`, leading and trailing
/// `-` are dropped, and it is cut at 128 characters (`#1001` -> `1001`, `EU #12/3` ->
/// `EU-12-3`). None when nothing is left.
pub fn sanitise_id(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut pending_dash = false;
    for c in text.trim().chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-') {
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.push(c);
        } else {
            pending_dash = true;
        }
    }
    let out = out.trim_matches('-');
    let cut: String = out.chars().take(128).collect();
    (!cut.is_empty()).then_some(cut)
}

/// One order line ready to become a purchase signal.
pub(super) struct PurchaseLine<'a> {
    pub order_id: &'a str,
    pub customer_id: String,
    pub style_id: String,
    pub sku: Option<String>,
    /// The SKU as written (or the style id): the item part of the event id.
    pub item: &'a str,
    pub occurrence: u32,
    pub quantity: u32,
    pub price_cents: i64,
    pub timestamp: DateTime<Utc>,
}

/// Gathers the purchase signals and the report while a connector walks its rows.
pub(super) struct PurchaseCollector<'a> {
    catalog: &'a SkuCatalog,
    occurrences: HashMap<(String, String), u32>,
    imported_orders: HashSet<String>,
    skipped_orders: HashSet<String>,
    unknown_seen: HashSet<String>,
    pub now: DateTime<Utc>,
    import: OrderImport,
}

impl<'a> PurchaseCollector<'a> {
    pub fn new(catalog: &'a SkuCatalog) -> Self {
        Self {
            catalog,
            occurrences: HashMap::new(),
            imported_orders: HashSet::new(),
            skipped_orders: HashSet::new(),
            unknown_seen: HashSet::new(),
            now: Utc::now(),
            import: OrderImport::default(),
        }
    }

    /// Counts one data row. Called for every row, imported or not.
    pub fn row(&mut self) {
        self.import.report.rows += 1;
    }

    /// Which occurrence of `item` in `order_id` this line is. Called for every line of an
    /// order, skipped ones included, so a line's id does not change when the lines before
    /// it become importable (a SKU added to the catalogue later).
    pub fn occurrence(&mut self, order_id: &str, item: &str) -> u32 {
        let count = self
            .occurrences
            .entry((order_id.to_string(), item.to_string()))
            .or_insert(0);
        let occurrence = *count;
        *count += 1;
        occurrence
    }

    pub fn skip(&mut self, reason: SkipReason, order_id: &str) {
        *self.import.report.skipped.entry(reason).or_insert(0) += 1;
        if matches!(reason, SkipReason::Refunded | SkipReason::Cancelled) {
            self.skipped_orders.insert(order_id.to_string());
        }
    }

    pub fn unknown_sku(&mut self, sku: &str) {
        self.import.report.unknown_skus += 1;
        let examples = &mut self.import.report.unknown_sku_examples;
        if self.unknown_seen.insert(sku.to_string()) && examples.len() < UNKNOWN_SKU_EXAMPLES {
            examples.push(if sku.is_empty() {
                "(no SKU)".to_string()
            } else {
                sku.to_string()
            });
        }
    }

    /// The style of a line: its SKU (as written, else fitted to the id charset) in the
    /// catalogue, else the fallback style id if the catalogue has that style. None (and
    /// counted as unknown) otherwise.
    pub fn resolve(&mut self, sku: &str, fallback_style: &str) -> Option<(String, Option<String>)> {
        // The products connector fits SKUs to the id charset the same way.
        let catalog_sku = if self.catalog.style_of(sku).is_some() {
            Some(sku.to_string())
        } else {
            sanitise_id(sku)
        };
        if let Some(sku) = catalog_sku {
            if let Some(style) = self.catalog.style_of(&sku) {
                return Some((style.to_string(), Some(sku)));
            }
        }
        if !fallback_style.is_empty() && self.catalog.has_style(fallback_style) {
            let sku = validate_id(sku).is_ok().then(|| sku.to_string());
            return Some((fallback_style.to_string(), sku));
        }
        self.unknown_sku(if sku.is_empty() { fallback_style } else { sku });
        None
    }

    /// Adds the purchase signal of `line`, checked as any posted signal is (an error names
    /// the row's line and the signal's field).
    pub fn push(
        &mut self,
        table: &Table,
        row: &Row,
        line: PurchaseLine<'_>,
    ) -> Result<(), ImportError> {
        let signal = Signal {
            event_id: order_line_event_id(line.order_id, line.item, line.occurrence),
            customer_id: Some(line.customer_id),
            session_id: None,
            kind: SignalKind::Purchase,
            style_id: line.style_id,
            sku: line.sku,
            timestamp: line.timestamp,
            recommendation_id: None,
            placement: None,
            context: None,
            price_cents: Some(line.price_cents),
            quantity: Some(line.quantity),
            order_id: Some(line.order_id.to_string()),
            rating: None,
            position: None,
            comment: None,
        };
        signal
            .validate(self.now)
            .map_err(|errors| ImportError::Invalid {
                path: table.path().to_path_buf(),
                line: row.line,
                errors,
            })?;
        self.imported_orders.insert(line.order_id.to_string());
        self.import.signals.push(signal);
        Ok(())
    }

    pub fn finish(mut self) -> OrderImport {
        self.import.report.purchases = self.import.signals.len();
        self.import.report.orders = self.imported_orders.len();
        self.import.report.skipped_orders = self.skipped_orders.len();
        self.import.report.distinct_unknown_skus = self.unknown_seen.len();
        self.import
    }
}

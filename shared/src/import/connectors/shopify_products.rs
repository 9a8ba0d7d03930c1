//! Shopify's products export (Admin > Products > Export, CSV) -> `Style` records: one row
//! per variant, product-level columns (`Title`, `Vendor`, `Type`, `Tags`, `Published`,
//! `Status`, option names) on the first row of a `Handle`, image-only rows after them.
//!
//! A product becomes a style with id = `Handle`, name = `Title`, brand = `Vendor`; category,
//! shape, rim and material from `Tags`, `Type` and `Title` (`product_attributes.rs`); a size
//! per `Size` option value and a colourway per `Color`/`Colour` option value; frame geometry
//! from the size value or tags (`frame_geometry.rs`); price = the lowest `Variant Price`;
//! stock from `Variant Inventory Qty` (negative counts as 0; no column or an empty cell, as
//! for untracked inventory, counts as 1 in stock); active when `Status` is `active` and
//! `Published` is not `false`. A product that cannot be mapped (a gift card without frame
//! geometry, say) is rejected with its line and column and the others are imported.

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;

use super::frame_geometry::{declared_geometry, frame_size, is_geometry_tag, size_value};
use super::money::parse_minor_units;
use super::orders::sanitise_id;
use super::product_attributes::{frame_attributes, frame_colour, tag_value};
use super::table::{read_file, Column, Row, Table};
use crate::domain::{validate_id, Colourway, Style, Variant};
use crate::error::ValidationErrors;
use crate::import::ImportError;

const FORMAT: &str = "Shopify products export";

/// Stock of a variant whose inventory Shopify does not track (always sellable).
const UNTRACKED_STOCK: u32 = 1;

/// Options of the products connector.
#[derive(Debug, Clone)]
pub struct ProductOptions {
    /// The shop's currency (the export holds none): ISO 4217, e.g. `USD`.
    pub currency: String,
    /// Launch date of products without a `launch-date:YYYY-MM-DD` tag.
    pub launch_date: NaiveDate,
}

/// Which attributes of a style fell back to a default, to tag them properly in the shop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultedFields {
    pub style_id: String,
    pub line: usize,
    pub fields: Vec<&'static str>,
}

/// The styles of a products export, the products that could not be mapped and the defaults
/// used.
#[derive(Debug, Default)]
pub struct ProductImport {
    /// Data rows read.
    pub rows: usize,
    pub styles: Vec<Style>,
    /// One error per product that was not mapped: its line, column and why.
    pub rejected: Vec<ImportError>,
    pub defaulted: Vec<DefaultedFields>,
}

/// Keeps the launch date of styles the catalogue already has, so a re-import does not make
/// every product new again.
pub fn keep_launch_dates(styles: &mut [Style], existing: &[Style]) {
    let known: HashMap<&str, NaiveDate> = existing
        .iter()
        .map(|s| (s.id.as_str(), s.launch_date))
        .collect();
    for style in styles {
        if let Some(date) = known.get(style.id.as_str()) {
            style.launch_date = *date;
        }
    }
}

/// Reads a Shopify products export into validated styles (see the module documentation).
pub fn read_shopify_products(
    path: &Path,
    options: &ProductOptions,
) -> Result<ProductImport, ImportError> {
    let bytes = read_file(path)?;
    parse_shopify_products(&path.to_string_lossy(), &bytes, options)
}

/// [`read_shopify_products`] of an export already in memory; errors name `source`. Only a
/// file that is no products export (no `Handle` column, broken CSV) is an error; each
/// unmappable product is listed in `rejected`.
pub fn parse_shopify_products(
    source: &str,
    bytes: &[u8],
    options: &ProductOptions,
) -> Result<ProductImport, ImportError> {
    let table = Table::parse(source, bytes)?;
    let columns = ProductColumns::find(&table)?;
    let mut products: Vec<Vec<&Row>> = Vec::new();
    let mut index_of: HashMap<&str, usize> = HashMap::new();
    for row in table.rows() {
        let handle = row.cell(&columns.handle);
        let index = *index_of.entry(handle).or_insert_with(|| {
            products.push(Vec::new());
            products.len() - 1
        });
        products[index].push(row);
    }
    let mut import = ProductImport {
        rows: table.rows().len(),
        ..ProductImport::default()
    };
    let mut sku_owner: HashMap<String, String> = HashMap::new();
    for rows in &products {
        match product_style(&table, &columns, rows, options, &sku_owner) {
            Ok((style, defaulted)) => {
                for variant in style.colourways.iter().flat_map(|c| &c.variants) {
                    sku_owner.insert(variant.sku.clone(), style.id.clone());
                }
                if !defaulted.is_empty() {
                    import.defaulted.push(DefaultedFields {
                        style_id: style.id.clone(),
                        line: rows[0].line,
                        fields: defaulted,
                    });
                }
                import.styles.push(style);
            }
            Err(error) => import.rejected.push(error),
        }
    }
    Ok(import)
}

/// The style of one product's rows, with the attributes that were defaulted.
fn product_style(
    table: &Table,
    columns: &ProductColumns,
    rows: &[&Row],
    options: &ProductOptions,
    sku_owner: &HashMap<String, String>,
) -> Result<(Style, Vec<&'static str>), ImportError> {
    let first = rows[0];
    let product = |column: &Option<Column>| product_cell(rows, column.as_ref());
    let handle = first.cell(&columns.handle);
    validate_id(handle).map_err(|m| table.invalid(first, &columns.handle.name, m))?;
    let tags: Vec<String> = product(&columns.tags)
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(String::from)
        .collect();
    let title = product(&columns.title);
    let tags_name = columns.tags.as_ref().map_or("Tags", |c| c.name.as_str());
    let attributes = frame_attributes(&tags, product(&columns.product_type), title);
    let declared = declared_geometry(&tags).map_err(|m| table.invalid(first, tags_name, m))?;
    let mut defaulted = attributes.defaulted.clone();
    let options_of = ProductOptionColumns::find(columns, rows);
    let fallback_colour = tags
        .iter()
        .find_map(|t| tag_value(t, &["color", "colour", "frame-color", "frame-colour"]))
        .unwrap_or("Standard")
        .to_string();
    let mut sizes: Vec<crate::domain::FrameSize> = Vec::new();
    let mut colourways: Vec<Colourway> = Vec::new();
    let mut price_cents: Option<i64> = None;
    let variant_rows = rows.iter().filter(|r| is_variant_row(r, columns));
    for row in variant_rows {
        let size_text = options_of.size.map_or("", |c| row.cell(c));
        let size_column = options_of.size.map_or(tags_name, |c| c.name.as_str());
        let measured = if size_text.is_empty() {
            Default::default()
        } else {
            size_value(size_text).ok_or_else(|| {
                table.invalid(
                    row,
                    size_column,
                    format!("'{size_text}' is not a lens width or width-bridge-temple such as 52-18-145"),
                )
            })?
        };
        let mut size = frame_size(measured, &declared, attributes.shape).map_err(|missing| {
            table.invalid(
                row,
                size_column,
                format!(
                    "no {missing}: give it in the size value (52-18-145) or a tag \
                     (lens-width:52, bridge:18, temple:145)"
                ),
            )
        })?;
        // Two sizes of one eye size (52-18-145 and 52-20-145) keep their own labels.
        if sizes.iter().any(|s| s.label == size.label && *s != size) && !size_text.is_empty() {
            size.label = size_text.chars().take(20).collect();
        }
        let label = size.label.clone();
        if !sizes.iter().any(|s| s.label == label) {
            sizes.push(size);
        }
        let colour_name = options_of
            .colour
            .map(|c| row.cell(c))
            .filter(|v| !v.is_empty())
            .unwrap_or(fallback_colour.as_str());
        let code =
            format!("{handle}-{}", sanitise_id(colour_name).unwrap_or_default()).to_lowercase();
        let index = match colourways.iter().position(|c| c.code == code) {
            Some(i) => i,
            None => {
                let (colour, unknown) = frame_colour(colour_name);
                if unknown && !defaulted.contains(&"colour") {
                    defaulted.push("colour");
                }
                colourways.push(Colourway {
                    code: code.clone(),
                    colour,
                    image_url: None,
                    variants: Vec::new(),
                });
                colourways.len() - 1
            }
        };
        let colourway = &mut colourways[index];
        if colourway.image_url.is_none() {
            colourway.image_url = Some(row.get(columns.variant_image.as_ref()))
                .filter(|u| !u.is_empty())
                .map(String::from);
        }
        let sku_text = row.get(columns.sku.as_ref());
        let sku = sanitise_id(sku_text).unwrap_or_else(|| format!("{code}-{label}"));
        let sku_name = columns
            .sku
            .as_ref()
            .map_or("Variant SKU", |c| c.name.as_str());
        if let Some(owner) = sku_owner.get(&sku).filter(|o| *o != handle) {
            return Err(table.invalid(
                row,
                sku_name,
                format!("'{sku}' is already used by product '{owner}'"),
            ));
        }
        let price = parse_minor_units(row.cell(&columns.price), &options.currency)
            .map_err(|m| table.invalid(row, &columns.price.name, m))?;
        price_cents = Some(price_cents.map_or(price, |p| p.min(price)));
        let stock = stock(table, row, columns.inventory.as_ref())?;
        colourway.variants.push(Variant {
            sku,
            size: label,
            stock,
        });
    }
    let Some(price_cents) = price_cents else {
        return Err(table.invalid(
            first,
            &columns.price.name,
            "the product has no variant with a price",
        ));
    };
    let launch_date = match tags
        .iter()
        .find_map(|t| tag_value(t, &["launch-date", "launched"]))
    {
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
            table.invalid(
                first,
                tags_name,
                format!("launch date '{text}' is not YYYY-MM-DD"),
            )
        })?,
        None => options.launch_date,
    };
    let status = product(&columns.status);
    let published = product(&columns.published);
    let style = Style {
        id: handle.to_string(),
        name: title.to_string(),
        brand: product(&columns.vendor).to_string(),
        category: attributes.category,
        shape: attributes.shape,
        rim: attributes.rim,
        material: attributes.material,
        price_cents: u32::try_from(price_cents).unwrap_or(u32::MAX),
        currency: options.currency.trim().to_ascii_uppercase(),
        active: (status.is_empty() || status.eq_ignore_ascii_case("active"))
            && !published.eq_ignore_ascii_case("false"),
        tags: tags.into_iter().filter(|t| !is_geometry_tag(t)).collect(),
        launch_date,
        image_url: product(&columns.image).to_string(),
        sizes,
        colourways,
    };
    style.validate().map_err(|errors| ImportError::Invalid {
        path: table.path().to_path_buf(),
        line: first.line,
        errors: with_columns(errors),
    })?;
    Ok((style, defaulted))
}

/// A product-level cell: the first non-empty one among the product's rows.
fn product_cell<'r>(rows: &[&'r Row], column: Option<&Column>) -> &'r str {
    rows.iter()
        .map(|r| r.get(column))
        .find(|v| !v.is_empty())
        .unwrap_or("")
}

/// A variant row has a SKU, a price or an option value; image-only rows have none.
fn is_variant_row(row: &Row, columns: &ProductColumns) -> bool {
    let option_value = columns.options.iter().any(|(_, c)| !row.cell(c).is_empty());
    option_value
        || !row.get(columns.sku.as_ref()).is_empty()
        || !row.cell(&columns.price).is_empty()
}

/// A variant's stock: the inventory count (negative, an oversold variant, is 0), or
/// [`UNTRACKED_STOCK`] without a column or a count.
fn stock(table: &Table, row: &Row, column: Option<&Column>) -> Result<u32, ImportError> {
    let Some(column) = column else {
        return Ok(UNTRACKED_STOCK);
    };
    let text = row.cell(column);
    if text.is_empty() {
        return Ok(UNTRACKED_STOCK);
    }
    let count: i64 = text
        .parse()
        .map_err(|_| table.invalid(row, &column.name, format!("'{text}' is not a whole number")))?;
    Ok(u32::try_from(count.max(0)).unwrap_or(u32::MAX))
}

/// Style validation errors with the export's column beside each style field
/// (`brand` -> `Vendor (brand)`), so the operator knows what to fix in the shop.
fn with_columns(errors: ValidationErrors) -> ValidationErrors {
    const COLUMNS: [(&str, &str); 6] = [
        ("id", "Handle"),
        ("name", "Title"),
        ("brand", "Vendor"),
        ("price_cents", "Variant Price"),
        ("image_url", "Image Src"),
        ("currency", "--currency"),
    ];
    let named = errors
        .0
        .into_iter()
        .map(|mut e| {
            let column = if e.field.starts_with("sizes") {
                Some("Size option or Tags")
            } else if e.field.contains(".sku") {
                Some("Variant SKU")
            } else if e.field.starts_with("colourways") {
                Some("Color option")
            } else {
                COLUMNS.iter().find(|(f, _)| *f == e.field).map(|(_, c)| *c)
            };
            if let Some(column) = column {
                e.field = format!("{column} ({})", e.field);
            }
            e
        })
        .collect();
    ValidationErrors(named)
}

/// The columns of the export this connector reads.
struct ProductColumns {
    handle: Column,
    price: Column,
    title: Option<Column>,
    vendor: Option<Column>,
    product_type: Option<Column>,
    tags: Option<Column>,
    published: Option<Column>,
    status: Option<Column>,
    sku: Option<Column>,
    inventory: Option<Column>,
    image: Option<Column>,
    variant_image: Option<Column>,
    /// (`OptionN Name`, `OptionN Value`) of each option the export has.
    options: Vec<(Column, Column)>,
}

impl ProductColumns {
    fn find(table: &Table) -> Result<Self, ImportError> {
        let options = (1..=3)
            .filter_map(|i| {
                let name = table.column(&format!("Option{i} Name"))?;
                Some((name, table.column(&format!("Option{i} Value"))?))
            })
            .collect();
        Ok(Self {
            handle: table.require("Handle", FORMAT)?,
            price: table.require("Variant Price", FORMAT)?,
            title: table.column("Title"),
            vendor: table.column("Vendor"),
            product_type: table.any_column(&["Type", "Product Type"]),
            tags: table.column("Tags"),
            published: table.column("Published"),
            status: table.column("Status"),
            sku: table.column("Variant SKU"),
            inventory: table.column("Variant Inventory Qty"),
            image: table.column("Image Src"),
            variant_image: table.column("Variant Image"),
            options,
        })
    }
}

/// Which option value columns hold the size and the colour, by the option names on the
/// product's rows (`Size`, `Frame Size`; `Color`, `Colour`, `Frame Color`).
struct ProductOptionColumns<'a> {
    size: Option<&'a Column>,
    colour: Option<&'a Column>,
}

impl<'a> ProductOptionColumns<'a> {
    fn find(columns: &'a ProductColumns, rows: &[&Row]) -> Self {
        let mut found = Self {
            size: None,
            colour: None,
        };
        for (name_column, value_column) in &columns.options {
            let name = rows
                .iter()
                .map(|r| r.cell(name_column))
                .find(|n| !n.is_empty())
                .unwrap_or("")
                .to_ascii_lowercase();
            if name.contains("size") && found.size.is_none() {
                found.size = Some(value_column);
            } else if (name.contains("color") || name.contains("colour")) && found.colour.is_none()
            {
                found.colour = Some(value_column);
            }
        }
        found
    }
}

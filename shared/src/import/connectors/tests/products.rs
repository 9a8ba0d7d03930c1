//! The Shopify products connector: variants grouped into sizes and colourways, attributes
//! from tags, unmappable products reported with line and column.

use super::*;
use crate::domain::{Category, ColourFamily, Material, Pattern, Shape};
use crate::import::ImportError;

fn products(text: &str) -> ProductImport {
    parse_shopify_products("products.csv", text.as_bytes(), &product_options())
        .expect("a products export")
}

#[test]
fn when_a_product_has_two_sizes_and_two_colours_should_map_one_style() {
    let import = products(&fixture("shopify-products.csv"));
    assert_eq!(import.rows, 7);
    let luna = &import.styles[0];
    assert_eq!(luna.validate(), Ok(()));
    assert_eq!(
        (luna.id.as_str(), luna.name.as_str(), luna.brand.as_str()),
        ("luna-round", "Luna Round", "Framewise Studio")
    );
    assert_eq!(
        (luna.category, luna.shape, luna.material),
        (Category::Optical, Shape::Round, Material::Acetate)
    );
    assert_eq!(luna.price_cents, 12_950, "the lowest variant price");
    assert_eq!(luna.currency, "USD");
    assert!(luna.active);
    assert_eq!(luna.image_url, "https://cdn.example.com/luna-1.jpg");
    assert_eq!(
        luna.tags,
        vec!["round", "acetate", "bestseller"],
        "measurements dropped"
    );
    assert_eq!(luna.launch_date, product_options().launch_date);
    let sizes: Vec<_> = luna
        .sizes
        .iter()
        .map(|s| (s.label.as_str(), s.lens_width, s.bridge, s.temple_length))
        .collect();
    assert_eq!(
        sizes,
        [("49", 49.0, 20.0, 145.0), ("52", 52.0, 20.0, 145.0)]
    );
    let colourways: Vec<_> = luna
        .colourways
        .iter()
        .map(|c| {
            let variants: Vec<_> = c
                .variants
                .iter()
                .map(|v| (v.sku.as_str(), v.size.as_str(), v.stock))
                .collect();
            (
                c.code.as_str(),
                c.colour.family,
                c.image_url.as_deref(),
                variants,
            )
        })
        .collect();
    assert_eq!(
        colourways,
        [
            (
                "luna-round-black",
                ColourFamily::Black,
                Some("https://cdn.example.com/luna-black.jpg"),
                vec![("LUNA-49-BLK", "49", 12), ("LUNA-52-BLK", "52", 0)]
            ),
            (
                "luna-round-honey-tortoise",
                ColourFamily::Tortoise,
                Some("https://cdn.example.com/luna-tortoise.jpg"),
                // Oversold (-2) is none in stock; an empty count is untracked inventory.
                vec![("LUNA-49-TRT", "49", 0), ("LUNA-52-TRT", "52", 1)]
            ),
        ]
    );
    assert_eq!(luna.colourways[1].colour.pattern, Pattern::Tortoise);
}

#[test]
fn when_a_size_value_holds_the_measurements_should_use_them() {
    let import = products(&fixture("shopify-products.csv"));
    let nova = &import.styles[1];
    assert_eq!(
        (nova.category, nova.shape, nova.material),
        (Category::Sun, Shape::Aviator, Material::Titanium)
    );
    assert!(!nova.active, "Status draft");
    assert_eq!(nova.price_cents, 129_900);
    let size = &nova.sizes[0];
    assert_eq!(
        (
            size.label.as_str(),
            size.lens_width,
            size.bridge,
            size.temple_length
        ),
        ("55", 55.0, 14.0, 140.0)
    );
    assert_eq!(nova.colourways[0].colour.family, ColourFamily::Gold);
    assert!(import.defaulted.is_empty(), "{:?}", import.defaulted);
}

#[test]
fn when_a_product_cannot_be_mapped_should_report_line_and_column_and_import_the_rest() {
    let import = products(&fixture("shopify-products.csv"));
    assert_eq!(import.rejected.len(), 1);
    let error = &import.rejected[0];
    assert_eq!(error.line(), Some(8), "the gift card's row");
    let text = error.to_string();
    assert!(
        text.starts_with("products.csv:8: invalid input: Tags: no lens width"),
        "{text}"
    );

    let bad = fixture("shopify-products.csv").replace("bridge:20", "bridge:wide");
    let import = products(&bad);
    assert_eq!(import.styles.len(), 1, "nova still imports");
    let text = import.rejected[0].to_string();
    assert!(
        text.starts_with("products.csv:2: invalid input: Tags: tag 'bridge:wide'"),
        "{text}"
    );

    let bad = fixture("shopify-products.csv").replace(",139.50,,,,", ",free,,,,");
    let text = products(&bad).rejected[0].to_string();
    assert!(
        text.starts_with("products.csv:5: invalid input: Variant Price: 'free'"),
        "{text}"
    );

    let bad = fixture("shopify-products.csv").replace("Framewise Studio,Sunglasses", ",Sunglasses");
    let error = &products(&bad).rejected[0];
    match error {
        ImportError::Invalid { line, errors, .. } => {
            assert_eq!(*line, 7);
            assert_eq!(errors.0[0].field, "Vendor (brand)");
        }
        other => panic!("expected Invalid, got {other}"),
    }
}

#[test]
fn when_attributes_are_missing_should_report_the_defaults_used() {
    let text = fixture("shopify-products.csv")
        .replace("\"round, acetate, bridge:20", "\"bridge:20")
        .replace("Luna Round,<p>", "Luna,<p>")
        .replace(",Honey Tortoise,", ",Sunset,");
    let import = products(&text);
    let luna = &import.styles[0];
    assert_eq!(
        (luna.shape, luna.material),
        (Shape::Rectangle, Material::Acetate)
    );
    assert_eq!(
        import.defaulted,
        vec![DefaultedFields {
            style_id: "luna-round".into(),
            line: 2,
            fields: vec!["shape", "material", "colour"],
        }]
    );
}

#[test]
fn when_two_sizes_share_an_eye_size_should_keep_both() {
    let text = fixture("shopify-products.csv")
        .replace(",Size,49,Color,Black,", ",Size,52-18-140,Color,Black,")
        .replace(",,52,,Black,", ",,52-20-145,,Black,")
        .replace(",,49,,Honey Tortoise,", ",,52-18-140,,Honey Tortoise,")
        .replace(",,52,,Honey Tortoise,", ",,52-20-145,,Honey Tortoise,");
    let luna = &products(&text).styles[0];
    let sizes: Vec<_> = luna
        .sizes
        .iter()
        .map(|s| (s.label.as_str(), s.bridge, s.temple_length))
        .collect();
    assert_eq!(sizes, [("52", 18.0, 140.0), ("52-20-145", 20.0, 145.0)]);
    assert_eq!(luna.colourways[1].variants[1].size, "52-20-145");
}

#[test]
fn when_reimported_should_keep_known_launch_dates() {
    let mut styles = fixture_styles();
    let mut existing = styles[..1].to_vec();
    let launched = NaiveDate::from_ymd_opt(2023, 3, 1).expect("date");
    existing[0].launch_date = launched;
    keep_launch_dates(&mut styles, &existing);
    assert_eq!(styles[0].launch_date, launched);
    assert_eq!(styles[1].launch_date, product_options().launch_date);
}

#[test]
fn when_not_a_products_export_should_say_which_column_is_missing() {
    let error = parse_shopify_products("p.csv", b"Title,Price\nA,1\n", &product_options())
        .expect_err("no handle");
    assert_eq!(error.line(), Some(1));
    assert!(
        error.to_string().contains("missing column 'Handle'"),
        "{error}"
    );
}

//! Product images of a feed through the service and the API: mismatches reported per
//! colourway, a corrupt picture failing alone, looks stored and ranked by `?by=look`.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::adapters::memory_stores;
use crate::api::router;
use crate::domain::{ColourFamily, Material, Shape, Style};
use crate::engine::testkit::{frame_size, StyleBuilder};
use crate::render::{frame_svg, rasterise_png};
use crate::service::{ColourwayImages, Framewise, ServiceConfig};

/// A style with a 46 x 41 mm lens (as deep as a round frame is).
fn style(id: &str, shape: Shape, code: &str, family: ColourFamily) -> Style {
    let mut size = frame_size("52", 46.0, 18.0, 140.0, 120.0);
    size.lens_height = 41.0;
    StyleBuilder::new(id)
        .sizes(vec![size])
        .shape(shape)
        .material(Material::Acetate)
        .colourway(code, family, &[("52", 5)])
        .build()
}

/// The product picture of `style` on white, as a shop would upload it.
fn picture(style: &Style) -> Vec<u8> {
    let svg = frame_svg(style, None).replace(r##"fill="#f3f4f6""##, r##"fill="#ffffff""##);
    rasterise_png(&svg, 480).expect("rasterised")
}

struct Feed {
    styles: Vec<Style>,
    images: ColourwayImages,
}

/// a and b: round blue frames pictured as they are; c: a gold aviator; d: declared a red
/// square but pictured as a's round blue frame; e: a corrupt picture; f: no picture.
fn feed() -> Feed {
    let a = style("a", Shape::Round, "a-blue", ColourFamily::Blue);
    let b = style("b", Shape::Round, "b-blue", ColourFamily::Blue);
    let c = style("c", Shape::Aviator, "c-gold", ColourFamily::Gold);
    let d = style("d", Shape::Square, "d-red", ColourFamily::Red);
    let e = style("e", Shape::Rectangle, "e-black", ColourFamily::Black);
    let f = style("f", Shape::Oval, "f-green", ColourFamily::Green);
    let mut images = ColourwayImages::new();
    images.insert("a-blue".to_string(), picture(&a));
    images.insert("b-blue".to_string(), picture(&b));
    images.insert("c-gold".to_string(), picture(&c));
    images.insert("d-red".to_string(), picture(&a));
    images.insert(
        "e-black".to_string(),
        b"\x89PNG\r\n\x1a\n truncated".to_vec(),
    );
    Feed {
        styles: vec![a, b, c, d, e, f],
        images,
    }
}

async fn service(feed: &Feed) -> Framewise {
    let service = Framewise::open(memory_stores(), ServiceConfig::default())
        .await
        .expect("service");
    service.import_styles(&feed.styles).await.expect("styles");
    service
}

#[tokio::test]
async fn when_pictures_contradict_the_feed_should_report_each_mismatch_and_go_on_past_a_corrupt_one(
) {
    let feed = feed();
    let service = service(&feed).await;
    let report = service
        .import_catalog_images(&feed.styles, &feed.images)
        .await
        .expect("a corrupt picture is no error of the import");

    assert_eq!(report.failed.len(), 1, "{:?}", report.failed);
    assert_eq!(
        (
            report.failed[0].style_id.as_str(),
            report.failed[0].colourway.as_str()
        ),
        ("e", "e-black")
    );
    assert!(
        report.failed[0].error.contains("decode"),
        "{}",
        report.failed[0].error
    );
    assert_eq!(report.without_image, vec!["f/f-green".to_string()]);
    assert_eq!(
        report.extracted.len(),
        4,
        "every other picture was analysed"
    );
    assert_eq!(report.looks_stored, 4);

    let fields_of = |id: &str| -> Vec<(String, String, String)> {
        report
            .mismatches
            .iter()
            .filter(|m| m.style_id == id)
            .map(|m| (m.field.clone(), m.declared.clone(), m.extracted.clone()))
            .collect()
    };
    let d = fields_of("d");
    assert!(
        d.contains(&("shape".into(), "square".into(), "round".into())),
        "{d:?}"
    );
    assert!(
        d.contains(&(
            "colourways[0].colour.family".into(),
            "red".into(),
            "blue".into()
        )),
        "{d:?}"
    );
    for id in ["a", "b", "c"] {
        let found = fields_of(id);
        assert!(
            !found
                .iter()
                .any(|(f, _, _)| f == "shape" || f.ends_with("family")),
            "{id} is pictured as declared: {found:?}"
        );
    }
    let a = report
        .extracted
        .iter()
        .find(|x| x.style_id == "a")
        .expect("a");
    assert_eq!(a.colour_family, ColourFamily::Blue);
    assert!(a.colours[0].hex.starts_with('#') && a.colours[0].hex.len() == 7);
}

#[tokio::test]
async fn when_similar_is_asked_by_look_should_rank_by_the_pictures_through_the_api() {
    let feed = feed();
    let service = service(&feed).await;
    service
        .import_catalog_images(&feed.styles, &feed.images)
        .await
        .expect("images");
    let by_look = service
        .similar_by_look("a", Some(3))
        .await
        .expect("similar");
    let ids: Vec<&str> = by_look.iter().map(|i| i.style_id.as_str()).collect();
    // b and d show the very same picture as a; the gold aviator comes after them.
    assert_eq!(&ids[..2], ["b", "d"], "{ids:?}");
    assert_eq!(ids[2], "c", "{ids:?}");

    let app = router(Arc::new(service));
    let get = |uri: &str| {
        app.clone()
            .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
    };
    let answer = get("/v1/products/a/similar?by=look&limit=2")
        .await
        .expect("answer");
    assert_eq!(answer.status(), StatusCode::OK);
    let body = answer.into_body().collect().await.expect("body").to_bytes();
    let json: serde_json::Value = serde_json::from_slice(&body).expect("json");
    let first = json["items"][0]["style_id"].as_str().expect("an item");
    assert_eq!(first, "b", "{json}");
    let default = get("/v1/products/a/similar?limit=2").await.expect("answer");
    assert_eq!(
        default.status(),
        StatusCode::OK,
        "no `by` keeps the attribute ranking"
    );

    let bad = get("/v1/products/a/similar?by=colour")
        .await
        .expect("answer");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let body = bad.into_body().collect().await.expect("body").to_bytes();
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains("\"by\""), "the error names `by`: {text}");
}

#[tokio::test]
async fn when_the_feed_leaves_a_swatch_out_should_fill_it_in_the_catalogue_and_never_overwrite_one()
{
    let mut feed = feed();
    // b declares a red swatch for its blue frame: kept, and reported.
    feed.styles[1].colourways[0].colour.hex = Some("#b0242e".to_string());
    let service = service(&feed).await;
    let report = service
        .import_catalog_images(&feed.styles, &feed.images)
        .await
        .expect("images");

    let filled: Vec<(&str, &str, &str)> = report
        .filled
        .iter()
        .map(|f| (f.style_id.as_str(), f.colourway.as_str(), f.field.as_str()))
        .collect();
    for id in ["a", "c", "d"] {
        assert!(
            filled
                .iter()
                .any(|(s, _, f)| *s == id && *f == "colourways[0].colour.hex"),
            "{id}: {filled:?}"
        );
    }
    assert!(
        !filled.iter().any(|(s, _, _)| *s == "b"),
        "a declared swatch is never filled: {filled:?}"
    );
    let b_swatch = report
        .mismatches
        .iter()
        .find(|m| m.style_id == "b" && m.field == "colourways[0].colour.hex")
        .expect("the declared red swatch contradicts the blue picture");
    assert_eq!(b_swatch.declared, "#b0242e");

    let stored_hex = |style: Option<Style>| {
        style.expect("stored").colourways[0]
            .colour
            .hex
            .clone()
            .expect("a swatch")
    };
    let a = stored_hex(service.stores.catalog.get_style("a").await.expect("read"));
    let a_fill = report
        .filled
        .iter()
        .find(|f| f.style_id == "a")
        .expect("a filled");
    assert_eq!(a, a_fill.value, "the filled swatch is stored");
    let [r, g, b] = [1, 3, 5].map(|i| u8::from_str_radix(&a[i..i + 2], 16).expect("hex"));
    assert!(b > r && b > g, "a's frame is blue: {a}");
    let b_stored = stored_hex(service.stores.catalog.get_style("b").await.expect("read"));
    assert_eq!(b_stored, "#b0242e", "the declared swatch stays");
    assert!(
        service
            .stores
            .catalog
            .get_style("f")
            .await
            .expect("read")
            .expect("f")
            .colourways[0]
            .colour
            .hex
            .is_none(),
        "no picture, nothing filled"
    );
}

//! The frame pictures: every shape looks different (in the SVG and in pixels), rim types,
//! colours and sizes show, the same data always gives the same bytes, every demo colourway
//! renders, and PNGs decode at the width asked for.

use resvg::tiny_skia::Pixmap;

use super::{frame_svg, rasterise_png, RenderError, PNG_WIDTH};
use crate::demo::{self, DemoConfig};
use crate::domain::{ColourFamily, Finish, Pattern, RimType, Shape, Style};
use crate::engine::testkit::{frame_size, StyleBuilder};

const SHAPES: [Shape; 11] = Shape::ALL;

fn style(shape: Shape) -> Style {
    StyleBuilder::new("st-1")
        .name("Aurora")
        .shape(shape)
        .colourway("c1", ColourFamily::Blue, &[("52", 3)])
        .build()
}

fn decode(png: &[u8]) -> Pixmap {
    Pixmap::decode_png(png).expect("a PNG")
}

/// Share of pixels that differ noticeably between two pictures of the same size.
fn difference(a: &Pixmap, b: &Pixmap) -> f64 {
    assert_eq!((a.width(), a.height()), (b.width(), b.height()));
    let differing = a
        .pixels()
        .iter()
        .zip(b.pixels())
        .filter(|(p, q)| {
            let d = |x: u8, y: u8| u32::from(x.abs_diff(y));
            d(p.red(), q.red()) + d(p.green(), q.green()) + d(p.blue(), q.blue()) > 60
        })
        .count();
    differing as f64 / a.pixels().len() as f64
}

#[test]
fn when_each_shape_is_drawn_should_give_a_distinct_picture() {
    let svgs: Vec<String> = SHAPES.iter().map(|s| frame_svg(&style(*s), None)).collect();
    for (i, a) in svgs.iter().enumerate() {
        for (j, b) in svgs.iter().enumerate().skip(i + 1) {
            assert_ne!(
                a, b,
                "{:?} and {:?} draw the same SVG",
                SHAPES[i], SHAPES[j]
            );
        }
    }
    // Visibly different, not only different bytes: at least 1% of the pixels change.
    let pixels: Vec<Pixmap> = svgs
        .iter()
        .map(|svg| decode(&rasterise_png(svg, 240).expect("rasterised")))
        .collect();
    for i in 0..pixels.len() {
        for j in i + 1..pixels.len() {
            let share = difference(&pixels[i], &pixels[j]);
            assert!(
                share > 0.01,
                "{:?} and {:?} look alike ({:.2}% of pixels differ)",
                SHAPES[i],
                SHAPES[j],
                share * 100.0
            );
        }
    }
}

#[test]
fn when_drawn_twice_should_give_the_same_bytes() {
    for shape in SHAPES {
        let s = style(shape);
        assert_eq!(frame_svg(&s, None), frame_svg(&s, s.colourways.first()));
        let svg = frame_svg(&s, None);
        assert_eq!(rasterise_png(&svg, 200).ok(), rasterise_png(&svg, 200).ok());
    }
}

#[test]
fn when_rim_colour_or_size_change_should_show_in_the_picture() {
    let base = style(Shape::Rectangle);
    let mut rimless = base.clone();
    rimless.rim = RimType::Rimless;
    let mut semi = base.clone();
    semi.rim = RimType::SemiRimless;
    let full = frame_svg(&base, None);
    let (rimless, semi) = (frame_svg(&rimless, None), frame_svg(&semi, None));
    assert!(
        !rimless.contains("stroke-width=\"4.2\""),
        "no acetate rim when rimless"
    );
    assert!(
        rimless.contains("<circle"),
        "rimless lenses show their mounting screws"
    );
    assert!(
        semi.contains("clip-path"),
        "semi-rimless: rim over the top only"
    );
    assert!(full.contains("stroke-width=\"4.2\""), "a full acetate rim");
    let png = |svg: &str| decode(&rasterise_png(svg, 240).expect("png"));
    assert!(difference(&png(&full), &png(&rimless)) > 0.01);

    let two = StyleBuilder::new("st-1")
        .colourway("c1", ColourFamily::Black, &[("52", 1)])
        .colourway("c2", ColourFamily::Red, &[("52", 1)])
        .build();
    let black = frame_svg(&two, two.colourways.first());
    let red = frame_svg(&two, two.colourways.get(1));
    assert!(
        black.contains("#1d1d20") && red.contains("#b0242e"),
        "{red}"
    );

    let mut tortoise = two.clone();
    tortoise.colourways[0].colour.pattern = Pattern::Tortoise;
    tortoise.colourways[0].colour.finish = Finish::Glossy;
    assert!(frame_svg(&tortoise, None).contains("<pattern"));

    // A 44 mm lens is drawn narrower than a 60 mm one (one unit is a millimetre).
    let sized = |lens: f32| {
        let s = StyleBuilder::new("st-1")
            .sizes(vec![frame_size("x", lens, 18.0, 140.0, 2.0 * lens + 26.0)])
            .build();
        decode(&rasterise_png(&frame_svg(&s, None), 240).expect("png"))
    };
    let dark = |p: &Pixmap| p.pixels().iter().filter(|c| c.red() < 90).count();
    assert!(dark(&sized(44.0)) < dark(&sized(60.0)));
}

#[test]
fn when_png_is_made_should_decode_at_the_width_asked_for() {
    let svg = frame_svg(&style(Shape::Aviator), None);
    for width in [*PNG_WIDTH.start(), 480, *PNG_WIDTH.end()] {
        let png = rasterise_png(&svg, width).expect("rasterised");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        let pixmap = decode(&png);
        assert_eq!((pixmap.width(), pixmap.height()), (width, width / 2));
    }
    for width in [0, 63, 1201] {
        assert!(matches!(
            rasterise_png(&svg, width),
            Err(RenderError::Width(w)) if w == width
        ));
    }
    assert!(matches!(
        rasterise_png("<svg", 100),
        Err(RenderError::Svg(_))
    ));
}

#[test]
fn when_the_name_holds_markup_should_escape_it() {
    let mut s = style(Shape::Round);
    s.name = r#"<script>alert("x")</script> & 'co'"#.to_string();
    let svg = frame_svg(&s, None);
    assert!(!svg.contains("<script>"), "{svg}");
    assert!(svg.contains("&lt;script&gt;alert(&quot;x&quot;)"));
    assert!(rasterise_png(&svg, 100).is_ok(), "still a valid document");
}

#[test]
fn when_every_demo_colourway_is_drawn_should_parse_and_rasterise() {
    let data = demo::generate(&DemoConfig {
        styles: 150,
        customers: 1,
        days: 1,
        ..DemoConfig::small()
    });
    let mut shapes = std::collections::BTreeSet::new();
    for style in &data.styles {
        shapes.insert(style.shape);
        for colourway in &style.colourways {
            let svg = frame_svg(style, Some(colourway));
            let parsed = resvg::usvg::Tree::from_str(&svg, &Default::default());
            assert!(
                parsed.is_ok(),
                "{} {}: {parsed:?}",
                style.id,
                colourway.code
            );
        }
        assert!(
            rasterise_png(&frame_svg(style, None), 64).is_ok(),
            "{}",
            style.id
        );
    }
    assert!(
        shapes.len() >= 8,
        "the demo catalogue covers the shapes: {shapes:?}"
    );
}

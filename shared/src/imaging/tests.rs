//! Product-image analysis on drawn test images: colours, background handling, errors.

use image::{Rgba, RgbaImage};

use super::*;

/// A white or transparent canvas with two filled ellipses ringed in `rim`.
fn spectacles(rim: [u8; 3], transparent: bool) -> RgbaImage {
    let background = if transparent {
        Rgba([0, 0, 0, 0])
    } else {
        Rgba([255, 255, 255, 255])
    };
    RgbaImage::from_fn(300, 140, |x, y| {
        for cx in [90.0f32, 210.0] {
            let (dx, dy) = ((x as f32 - cx) / 50.0, (y as f32 - 70.0) / 46.0);
            let r = (dx * dx + dy * dy).sqrt();
            if (0.88..=1.0).contains(&r) {
                return Rgba([rim[0], rim[1], rim[2], 255]);
            }
        }
        background
    })
}

#[test]
fn when_a_frame_is_on_white_or_transparent_should_find_its_colour_and_round_outline() {
    for transparent in [false, true] {
        let features = analyse(&spectacles([0x2a, 0x58, 0xa0], transparent)).expect("features");
        assert_eq!(
            features.family,
            ColourFamily::Blue,
            "transparent {transparent}"
        );
        assert!(
            features.colours[0].share > 0.8,
            "the background is not a colour of the frame: {:?}",
            features.colours
        );
        assert_eq!(features.shape, ShapeClass::Round, "{:?}", features.lens);
        assert_eq!(features.embedding.len(), EMBEDDING_LEN);
    }
}

#[test]
fn when_bytes_are_not_an_image_should_say_so() {
    let error = decode(b"not an image at all").expect_err("garbage");
    assert!(matches!(error, ImageError::Decode(_)), "{error}");
    let blank = RgbaImage::from_pixel(200, 100, Rgba([255, 255, 255, 255]));
    assert_eq!(analyse(&blank), Err(ImageError::NoFrame));
    let tiny = RgbaImage::from_pixel(20, 10, Rgba([0, 0, 0, 255]));
    assert!(matches!(analyse(&tiny), Err(ImageError::TooSmall { .. })));
}

/// Two lenses 50 x 46 px (half axes) at x 90 and 210, y 70, with what `paint` draws at
/// each pixel (None: background white).
fn drawn(paint: impl Fn(u32, u32, f32, bool) -> Option<Rgba<u8>>) -> RgbaImage {
    RgbaImage::from_fn(300, 150, |x, y| {
        for cx in [90.0f32, 210.0] {
            let (dx, dy) = ((x as f32 - cx) / 50.0, (y as f32 - 70.0) / 46.0);
            let r = (dx * dx + dy * dy).sqrt();
            if r <= 1.0 {
                return paint(x, y, r, true).unwrap_or(Rgba([255, 255, 255, 255]));
            }
        }
        paint(x, y, 2.0, false).unwrap_or(Rgba([255, 255, 255, 255]))
    })
}

/// Bridge (between the lenses) and temples (outside them), 5 px thick at y 48-52.
fn thin_part(x: u32, y: u32) -> bool {
    (48..=52).contains(&y) && ((138..=162).contains(&x) || x <= 40 || x >= 260)
}

#[test]
fn when_a_white_or_clear_frame_barely_differs_from_white_should_still_find_it_and_tell_them_apart()
{
    for (rgb, family) in [
        ([0xf6, 0xf5, 0xf2], ColourFamily::White),
        ([0xf1, 0xf5, 0xf8], ColourFamily::Clear),
    ] {
        let features = analyse(&spectacles(rgb, false)).expect("a faint frame is a frame");
        assert_eq!(features.family, family, "{rgb:?}: {:?}", features.colours);
        assert_eq!(features.shape, ShapeClass::Round, "{:?}", features.lens);
    }
}

#[test]
fn when_a_rimless_frame_has_tinted_lenses_should_read_the_bridge_and_temples_not_the_lens() {
    // Sun lenses dark at the top, lighter below; red bridge and temples; no rim.
    let image = drawn(|x, y, _, in_lens| {
        if thin_part(x, y) && !in_lens {
            return Some(Rgba([0xb0, 0x24, 0x2e, 255]));
        }
        in_lens.then(|| {
            let v = (40.0 + (y as f32 - 24.0) * 1.0).clamp(40.0, 130.0) as u8;
            Rgba([v, v + 4, v + 8, 255])
        })
    });
    let features = analyse(&image).expect("features");
    assert_eq!(features.family, ColourFamily::Red, "{:?}", features.colours);
}

#[test]
fn when_a_frame_casts_a_faint_shadow_should_not_take_it_for_a_faint_frame() {
    let blue = Rgba([0x2a, 0x58, 0xa0, 255]);
    let image = drawn(|x, y, r, in_lens| {
        let (dx, dy) = ((x as f32 - 150.0) / 130.0, (y as f32 - 136.0) / 5.0);
        if in_lens && r >= 0.9 {
            Some(blue)
        } else if dx * dx + dy * dy <= 1.0 {
            Some(Rgba([0xed, 0xed, 0xed, 255]))
        } else {
            None
        }
    });
    let features = analyse(&image).expect("features");
    assert_eq!(
        features.family,
        ColourFamily::Blue,
        "{:?}",
        features.colours
    );
    assert_eq!(features.shape, ShapeClass::Round, "{:?}", features.lens);
}

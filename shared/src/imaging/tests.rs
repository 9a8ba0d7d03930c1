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

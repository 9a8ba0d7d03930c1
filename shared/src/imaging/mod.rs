//! Features from product images (PNG or JPEG of a frame from the front, on a white or
//! transparent background): the dominant frame colours in CIELAB and their colour family
//! (`colour`), the frame's proportions and the outline class of its lenses (`silhouette`,
//! over the masks of `mask`), and a compact visual embedding for "looks similar"
//! neighbours (`embedding`). Pure functions over decoded pixels; no I/O.
//!
//! The steps: every pixel is laid over white (transparency becomes background) and
//! compared in Lab with the background colour read from the image border (a white or
//! clear frame on white differs only faintly: a second, faint mask finds it, and then only
//! its faint pixels are the frame's); the frame mask is closed and its lenses filled; the
//! lenses are what survives opening away the thin parts; the frame's colour comes from the
//! band along the silhouette's edge (the rims) and from the bridge and temples, never from
//! the lens tint, edge line or screws (`frame_pixels`).

mod colour;
mod embedding;
mod frame_pixels;
mod mask;
mod silhouette;
#[cfg(test)]
mod tests;

use image::imageops::FilterType;
use image::RgbaImage;

pub use colour::{
    faint_family, frame_family, kmeans, lab_to_srgb, nearest_family, srgb_to_lab, DominantColour,
    Lab,
};
pub use embedding::{colour_histogram, cosine, embed, COLOUR_BINS, EMBEDDING_LEN};
pub use silhouette::{classify, LensDescriptors, ShapeClass, PROFILE_ROWS};

use crate::domain::ColourFamily;
use colour::LinearTable;
use mask::Mask;

/// Why an image gave no features.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ImageError {
    #[error("not a PNG or JPEG image that decodes: {0}")]
    Decode(String),
    #[error(
        "the image is {width}x{height} pixels; at least {MIN_SIDE} pixels each way are needed"
    )]
    TooSmall { width: u32, height: u32 },
    #[error("no frame found: the image is background throughout")]
    NoFrame,
}

/// Smallest width and height an image may have.
pub const MIN_SIDE: u32 = 48;
/// Images are analysed at most this wide (larger ones are scaled down first).
const WORKING_WIDTH: u32 = 480;
/// Largest decoded image accepted (width and height), against decompression bombs.
const MAX_SIDE: u32 = 12_000;
/// Colour difference (CIE76) from the background above which a pixel is the frame's.
const BACKGROUND_DELTA_E: f32 = 9.0;
/// Colour difference from the background above which a pixel may be a faint frame's
/// (white or clear acetate on white): above compression noise.
const FAINT_DELTA_E: f32 = 2.2;
/// How much wider or taller than the strong silhouette the faint one must be for the frame
/// to be faint (anti-aliasing and compression fringes add only a few pixels).
const FAINT_SPAN_GAIN: f32 = 1.12;
/// How far (pixels) JPEG ringing reaches from a strong edge: one 16-pixel block of
/// subsampled chroma.
const RINGING_PIXELS: f32 = 16.0;
/// Fewest faint pixels beyond the ringing that make a faint frame.
const MIN_FAINT_PIXELS: usize = 20;
/// Parts of the faint mask smaller than this share of the largest are not the frame (the
/// shadow it casts, specks of noise).
const FAINT_PART_SHARE: f32 = 0.3;
/// Clusters of the frame colour k-means.
const COLOUR_CLUSTERS: usize = 4;

/// Decodes PNG or JPEG bytes.
pub fn decode(bytes: &[u8]) -> Result<RgbaImage, ImageError> {
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ImageError::Decode(e.to_string()))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    reader.limits(limits);
    let decoded = reader
        .decode()
        .map_err(|e| ImageError::Decode(e.to_string()))?;
    Ok(decoded.to_rgba8())
}

/// What one product image shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageFeatures {
    /// The frame's colours, largest share first.
    pub colours: Vec<DominantColour>,
    pub family: ColourFamily,
    /// Width over height of the whole frame as pictured (temples included).
    pub frame_width_to_height: f32,
    /// Width over height of one lens with its rim (comparable to boxing A / B).
    pub lens_width_to_height: f32,
    pub shape: ShapeClass,
    pub lens: LensDescriptors,
    /// See [`embed`]; [`EMBEDDING_LEN`] numbers.
    pub embedding: Vec<f32>,
}

/// The features of a decoded image.
pub fn analyse(image: &RgbaImage) -> Result<ImageFeatures, ImageError> {
    if image.width() < MIN_SIDE || image.height() < MIN_SIDE {
        return Err(ImageError::TooSmall {
            width: image.width(),
            height: image.height(),
        });
    }
    let working;
    let image = if image.width() > WORKING_WIDTH {
        let height = (u64::from(image.height()) * u64::from(WORKING_WIDTH)
            / u64::from(image.width()))
        .max(u64::from(MIN_SIDE)) as u32;
        working = image::imageops::resize(image, WORKING_WIDTH, height, FilterType::Triangle);
        &working
    } else {
        image
    };
    let (width, height) = (image.width() as usize, image.height() as usize);
    let table = LinearTable::new();
    let labs: Vec<Lab> = image.pixels().map(|p| table.lab(over_white(p.0))).collect();
    let background = border_colour(&labs, width, height);
    let strong = Mask::from_fn(width, height, |x, y| {
        labs[y * width + x].delta_e(background) >= BACKGROUND_DELTA_E
    });
    let faint = faint_mask(&labs, background, width, height);
    // A white or clear frame on a light background: only the faint mask sees its rims and
    // temples, the strong one at most the lenses, nose pads and screws. Compression rings
    // faintly around strong edges, so the faint parts must also reach well beyond them.
    let beyond_strong = {
        // Measured from the strong silhouette with its lenses filled: an optical lens is
        // faint too, inside the rims.
        let radius = strong
            .bounds()
            .map_or(1.5, |b| (0.04 * b.height() as f32).max(1.5));
        let distance = strong.closed(radius).holes_filled().distance_to_on();
        // Not below it: that is where the frame's shadow falls.
        let bottom = strong.bounds().map_or(height, |b| b.bottom);
        (0..width * (bottom + 1).min(height))
            .filter(|&i| faint.on[i] && distance[i] > RINGING_PIXELS)
            .count()
    };
    let faint_frame = match (strong.bounds(), faint.bounds()) {
        (None, Some(_)) => true,
        (Some(s), Some(f)) => {
            beyond_strong >= MIN_FAINT_PIXELS
                && (f.width() as f32 > FAINT_SPAN_GAIN * s.width() as f32
                    || f.height() as f32 > FAINT_SPAN_GAIN * s.height() as f32)
        }
        _ => false,
    };
    let foreground = if faint_frame { faint } else { strong.clone() };
    let bounds = foreground.bounds().ok_or(ImageError::NoFrame)?;
    let closing = (0.04 * bounds.height() as f32).max(1.5);
    let solid = foreground.closed(closing).holes_filled();
    let frame = solid.bounds().ok_or(ImageError::NoFrame)?;
    let frame_height = frame.height() as f32;
    let blobs = silhouette::lens_blobs(&solid, frame_height);
    let lens = silhouette::lenses(&blobs).ok_or(ImageError::NoFrame)?;
    let shape = silhouette::classify(&lens);

    // In a faint frame, what the strong mask saw (and its anti-aliased edge) is lens tint,
    // hardware or glare, never the frame.
    let strong_parts = faint_frame.then(|| strong.dilated(1.5));
    let rim_pixels = frame_pixels::frame_pixels(&frame_pixels::Scene {
        labs: &labs,
        width,
        background,
        foreground: &foreground,
        solid: &solid,
        blobs: &blobs,
        excluded: strong_parts.as_ref(),
        frame_height,
    });
    let points = quantised(&rim_pixels);
    let colours = kmeans(&points, COLOUR_CLUSTERS);
    let family = if faint_frame {
        frame_pixels::mean(&rim_pixels).map_or(ColourFamily::White, faint_family)
    } else {
        frame_family(&colours)
    };
    let histogram = colour_histogram(&rim_pixels);
    Ok(ImageFeatures {
        family,
        frame_width_to_height: frame.width() as f32 / frame_height,
        lens_width_to_height: if lens.aspect > 0.0 {
            1.0 / lens.aspect
        } else {
            0.0
        },
        shape,
        embedding: embed(&histogram, &lens),
        lens,
        colours,
    })
}

/// The pixels that differ faintly from the background, in the large parts only.
fn faint_mask(labs: &[Lab], background: Lab, width: usize, height: usize) -> Mask {
    let faint = Mask::from_fn(width, height, |x, y| {
        labs[y * width + x].delta_e(background) >= FAINT_DELTA_E
    });
    let Some(bounds) = faint.bounds() else {
        return faint;
    };
    let parts = faint
        .closed((0.04 * bounds.height() as f32).max(1.5))
        .components();
    let largest = parts.first().map_or(0, |c| c.pixels.len()) as f32;
    let mut kept = vec![false; width * height];
    for part in parts
        .iter()
        .filter(|c| c.pixels.len() as f32 >= FAINT_PART_SHARE * largest)
    {
        part.pixels.iter().for_each(|&i| kept[i] = true);
    }
    Mask::from_fn(width, height, |x, y| {
        let i = y * width + x;
        kept[i] && faint.on[i]
    })
}

/// The pixel laid over white, so a transparent background reads as white.
fn over_white([r, g, b, a]: [u8; 4]) -> [u8; 3] {
    let alpha = f32::from(a) / 255.0;
    [r, g, b].map(|c| (f32::from(c) * alpha + 255.0 * (1.0 - alpha)).round() as u8)
}

/// The background: the median Lab of the image's outermost pixels.
fn border_colour(labs: &[Lab], width: usize, height: usize) -> Lab {
    let border: Vec<Lab> = (0..width)
        .flat_map(|x| [x, (height - 1) * width + x])
        .chain((0..height).flat_map(|y| [y * width, y * width + width - 1]))
        .map(|i| labs[i])
        .collect();
    let median = |values: &mut Vec<f32>| {
        values.sort_by(f32::total_cmp);
        values.get(values.len() / 2).copied().unwrap_or(100.0)
    };
    let channel = |f: fn(&Lab) -> f32| median(&mut border.iter().map(f).collect());
    let (l, a, b) = (channel(|c| c.l), channel(|c| c.a), channel(|c| c.b));
    Lab { l, a, b }
}

/// Pixels merged into cells of about 2 Lab units, so k-means runs over a few hundred
/// weighted points instead of every pixel.
fn quantised(pixels: &[(Lab, f32)]) -> Vec<(Lab, f32)> {
    // Per cell: the weighted sums of L, a and b, and the weight.
    let mut cells: std::collections::BTreeMap<(i32, i32, i32), [f32; 4]> =
        std::collections::BTreeMap::new();
    for (lab, w) in pixels {
        let key = (
            (lab.l / 2.0).round() as i32,
            (lab.a / 2.0).round() as i32,
            (lab.b / 2.0).round() as i32,
        );
        let cell = cells.entry(key).or_default();
        *cell = [
            cell[0] + lab.l * w,
            cell[1] + lab.a * w,
            cell[2] + lab.b * w,
            cell[3] + w,
        ];
    }
    cells
        .into_values()
        .filter(|c| c[3] > 0.0)
        .map(|[l, a, b, w]| {
            (
                Lab {
                    l: l / w,
                    a: a / w,
                    b: b / w,
                },
                w,
            )
        })
        .collect()
}

//! Which pixels of a product image show the frame's own colour. The silhouette's edge band
//! holds the rims, but also what a rim does not cover: a rimless lens's tinted edge, its
//! edge line and screws, a semi-rimless frame's nylon thread. Temples and bridge are the
//! frame's colour whatever the rim. So lens-coloured pixels are dropped from the band
//! (compared with the lens's own colour in the same row: a sun lens is a vertical
//! gradient), and when what is left of the band disagrees with the bridge and temples,
//! the band is hardware and only they are read.

use super::colour::Lab;
use super::mask::Mask;

/// Depth of the band along the silhouette's edge read as the frame's colour, as a share
/// of the frame's height: about a rim's width.
const RIM_BAND: f32 = 0.04;
/// How much more a bridge pixel tells of the frame's colour than a pixel of the band
/// along the lens, which may be lens edge, nylon thread or tinted lens.
const BRIDGE_WEIGHT: f32 = 3.0;
/// Temples recede from the camera (foreshortened, drawn or lit lighter than the front):
/// they count like the band, not like the bridge.
const TEMPLE_WEIGHT: f32 = 1.0;
/// Fewest inner pixels worth reading the colour from (else edge pixels join).
const MIN_INNER_PIXELS: usize = 40;
/// A band pixel this close (CIE76) to the lens's colour in its row is lens, not rim.
const LENS_DELTA_E: f32 = 7.0;
/// Lens pixels this deep inside a lens (in bands) give the lens's colour.
const LENS_INTERIOR_BANDS: f32 = 2.0;
/// Mean colours of band and of bridge and temples further apart than this: the band is
/// lens edge and hardware (a rimless or nylon-thread frame), not a rim.
const BAND_DISAGREEMENT: f32 = 20.0;
/// Fewest bridge and temple pixels that can overrule the band.
const MIN_THIN_PIXELS: usize = 25;

/// The masks of one analysed image, `width` pixels a row.
pub(super) struct Scene<'a> {
    pub labs: &'a [Lab],
    pub width: usize,
    pub background: Lab,
    /// What differs from the background.
    pub foreground: &'a Mask,
    /// The silhouette: foreground closed, lenses filled.
    pub solid: &'a Mask,
    /// The lenses with their rims (the silhouette with the thin parts opened away).
    pub blobs: &'a Mask,
    /// Pixels that are never the frame's (a faint frame's lens tint and hardware).
    pub excluded: Option<&'a Mask>,
    pub frame_height: f32,
}

/// The frame's pixels, each with its weight: contrast with the background (the frame
/// counts over faint lens edges and nose pads) times how much its part tells.
pub(super) fn frame_pixels(scene: &Scene) -> Vec<(Lab, f32)> {
    let Scene {
        labs,
        width,
        foreground,
        solid,
        blobs,
        ..
    } = *scene;
    let len = labs.len();
    let height = len / width.max(1);
    let depth = solid.distance_to_off();
    let band = (RIM_BAND * scene.frame_height).max(1.5);
    let lens_rows = lens_row_colours(scene, band);
    let lens_span = blobs.bounds().map(|b| (b.left, b.right));
    let thin = |i: usize| solid.on[i] && !blobs.on[i];
    let excluded = |i: usize| scene.excluded.is_some_and(|m| m.on[i]);
    let lens_like =
        |i: usize| lens_rows[i / width].is_some_and(|lens| labs[i].delta_e(lens) < LENS_DELTA_E);
    let candidate = |i: usize| {
        foreground.on[i] && !excluded(i) && (thin(i) || (depth[i] <= band && !lens_like(i)))
    };
    // Edge pixels are part background (anti-aliasing, compression): inner ones if enough.
    let inner = |i: usize| {
        let (x, y) = (i % width, i / width);
        x > 0
            && y > 0
            && x + 1 < width
            && y + 1 < height
            && [i - 1, i + 1, i - width, i + width]
                .iter()
                .all(|&j| foreground.on[j])
    };
    let mut chosen: Vec<usize> = (0..len).filter(|&i| candidate(i) && inner(i)).collect();
    if chosen.len() < MIN_INNER_PIXELS {
        chosen = (0..len).filter(|&i| candidate(i)).collect();
    }
    let weight = |i: usize| {
        let part = if !thin(i) {
            1.0
        } else if lens_span.is_some_and(|(left, right)| (left..=right).contains(&(i % width))) {
            BRIDGE_WEIGHT
        } else {
            TEMPLE_WEIGHT
        };
        part * labs[i].delta_e(scene.background)
    };
    let (thin_pixels, band_pixels): (Vec<usize>, Vec<usize>) =
        chosen.into_iter().partition(|&i| thin(i));
    let weighted = |pixels: &[usize]| -> Vec<(Lab, f32)> {
        pixels.iter().map(|&i| (labs[i], weight(i))).collect()
    };
    let (thin_pixels, band_pixels) = (weighted(&thin_pixels), weighted(&band_pixels));
    let disagree = thin_pixels.len() >= MIN_THIN_PIXELS
        && match (mean(&thin_pixels), mean(&band_pixels)) {
            (Some(t), Some(b)) => t.delta_e(b) > BAND_DISAGREEMENT,
            _ => false,
        };
    if disagree {
        thin_pixels
    } else {
        band_pixels.into_iter().chain(thin_pixels).collect()
    }
}

/// The lens's colour in each row: the median Lab of the pixels deep inside the lenses.
fn lens_row_colours(scene: &Scene, band: f32) -> Vec<Option<Lab>> {
    let width = scene.width;
    let depth = scene.blobs.distance_to_off();
    let interior = band * LENS_INTERIOR_BANDS;
    scene
        .labs
        .chunks(width.max(1))
        .enumerate()
        .map(|(y, row)| {
            let inside: Vec<Lab> = row
                .iter()
                .enumerate()
                .filter(|(x, _)| {
                    let i = y * width + x;
                    scene.blobs.on[i] && depth[i] > interior
                })
                .map(|(_, lab)| *lab)
                .collect();
            median_lab(&inside)
        })
        .collect()
}

fn median_lab(values: &[Lab]) -> Option<Lab> {
    if values.is_empty() {
        return None;
    }
    let median = |f: fn(&Lab) -> f32| {
        let mut channel: Vec<f32> = values.iter().map(f).collect();
        channel.sort_by(f32::total_cmp);
        channel[channel.len() / 2]
    };
    Some(Lab {
        l: median(|c| c.l),
        a: median(|c| c.a),
        b: median(|c| c.b),
    })
}

/// The weighted mean colour.
pub(super) fn mean(pixels: &[(Lab, f32)]) -> Option<Lab> {
    let total: f32 = pixels.iter().map(|(_, w)| w).sum();
    if total <= 0.0 {
        return None;
    }
    let sum = |f: fn(&Lab) -> f32| pixels.iter().map(|(c, w)| f(c) * w).sum::<f32>() / total;
    Some(Lab {
        l: sum(|c| c.l),
        a: sum(|c| c.a),
        b: sum(|c| c.b),
    })
}

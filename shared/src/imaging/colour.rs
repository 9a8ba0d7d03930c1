//! Colour of a product image: sRGB to CIELAB (D65), the background mask and the dominant
//! frame colours by k-means in Lab, named by the nearest colour family.

use crate::domain::ColourFamily;

/// A colour in CIELAB (D65 white): `l` 0-100, `a` green-red, `b` blue-yellow.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Lab {
    pub l: f32,
    pub a: f32,
    pub b: f32,
}

impl Lab {
    /// CIE76 colour difference: about 2.3 is a just-noticeable difference.
    pub fn delta_e(self, other: Lab) -> f32 {
        ((self.l - other.l).powi(2) + (self.a - other.a).powi(2) + (self.b - other.b).powi(2))
            .sqrt()
    }

    /// Distance from the grey axis.
    pub fn chroma(self) -> f32 {
        self.a.hypot(self.b)
    }
}

/// sRGB gamma decoded, per 8-bit channel value.
fn linear(channel: u8) -> f32 {
    let c = f32::from(channel) / 255.0;
    if c <= 0.040_45 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

/// A table of [`linear`] for all 256 values (decoding a whole image calls it millions of times).
pub(super) struct LinearTable([f32; 256]);

impl LinearTable {
    pub fn new() -> Self {
        let mut table = [0.0; 256];
        for (value, slot) in table.iter_mut().enumerate() {
            *slot = linear(value as u8);
        }
        Self(table)
    }

    pub fn lab(&self, rgb: [u8; 3]) -> Lab {
        linear_to_lab(rgb.map(|c| self.0[usize::from(c)]))
    }
}

/// sRGB (8 bits per channel) to CIELAB.
pub fn srgb_to_lab(rgb: [u8; 3]) -> Lab {
    linear_to_lab(rgb.map(linear))
}

/// Linear sRGB to Lab through CIE XYZ.
fn linear_to_lab([r, g, b]: [f32; 3]) -> Lab {
    xyz_to_lab(
        0.412_456_4 * r + 0.357_576_1 * g + 0.180_437_5 * b,
        0.212_672_9 * r + 0.715_152_2 * g + 0.072_175 * b,
        0.019_333_9 * r + 0.119_192 * g + 0.950_304_1 * b,
    )
}

fn xyz_to_lab(x: f32, y: f32, z: f32) -> Lab {
    const DELTA: f32 = 6.0 / 29.0;
    let f = |t: f32| {
        if t > DELTA * DELTA * DELTA {
            t.cbrt()
        } else {
            t / (3.0 * DELTA * DELTA) + 4.0 / 29.0
        }
    };
    let (fx, fy, fz) = (f(x / 0.950_47), f(y), f(z / 1.088_83));
    Lab {
        l: 116.0 * fy - 16.0,
        a: 500.0 * (fx - fy),
        b: 200.0 * (fy - fz),
    }
}

/// CIELAB back to 8-bit sRGB (for reporting a dominant colour as `#rrggbb`).
pub fn lab_to_srgb(lab: Lab) -> [u8; 3] {
    const DELTA: f32 = 6.0 / 29.0;
    let finv = |t: f32| {
        if t > DELTA {
            t * t * t
        } else {
            3.0 * DELTA * DELTA * (t - 4.0 / 29.0)
        }
    };
    let fy = (lab.l + 16.0) / 116.0;
    let (x, y, z) = (
        0.950_47 * finv(fy + lab.a / 500.0),
        finv(fy),
        1.088_83 * finv(fy - lab.b / 200.0),
    );
    let r = 3.240_454_2 * x - 1.537_138_5 * y - 0.498_531_4 * z;
    let g = -0.969_266 * x + 1.876_010_8 * y + 0.041_556 * z;
    let b = 0.055_643_4 * x - 0.204_025_9 * y + 1.057_225_2 * z;
    [r, g, b].map(|c| {
        let c = c.clamp(0.0, 1.0);
        let encoded = if c <= 0.003_130_8 {
            12.92 * c
        } else {
            1.055 * c.powf(1.0 / 2.4) - 0.055
        };
        (encoded * 255.0).round() as u8
    })
}

/// One colour of an image with the share of the pixels it stands for.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DominantColour {
    pub lab: Lab,
    /// Share of the weighted pixels in this cluster, 0-1.
    pub share: f32,
}

impl DominantColour {
    /// `#rrggbb` of the cluster centre.
    pub fn hex(&self) -> String {
        let [r, g, b] = lab_to_srgb(self.lab);
        format!("#{r:02x}{g:02x}{b:02x}")
    }
}

/// Weighted k-means over Lab points, seeded deterministically (the heaviest point first,
/// then each time the point farthest from the centres chosen so far, weighted), so the same
/// image always gives the same colours. Clusters come back largest first.
pub fn kmeans(points: &[(Lab, f32)], k: usize) -> Vec<DominantColour> {
    let total: f32 = points.iter().map(|(_, w)| w).sum();
    if points.is_empty() || k == 0 || total <= 0.0 {
        return Vec::new();
    }
    let mut centres: Vec<Lab> = Vec::with_capacity(k);
    if let Some((first, _)) = points.iter().max_by(|a, b| a.1.total_cmp(&b.1)) {
        centres.push(*first);
    }
    while centres.len() < k {
        let farthest = points
            .iter()
            .map(|(p, w)| (p, w.sqrt() * nearest(&centres, *p).1))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        match farthest {
            // Fewer distinct colours than clusters: stop with what there is.
            Some((p, d)) if d > 1.0 => centres.push(*p),
            _ => break,
        }
    }
    let mut assignment = vec![0usize; points.len()];
    for _ in 0..24 {
        let mut sums = vec![(0.0f32, 0.0f32, 0.0f32, 0.0f32); centres.len()];
        let mut moved = false;
        for (i, (p, w)) in points.iter().enumerate() {
            let (c, _) = nearest(&centres, *p);
            moved |= assignment[i] != c;
            assignment[i] = c;
            let s = &mut sums[c];
            *s = (s.0 + p.l * w, s.1 + p.a * w, s.2 + p.b * w, s.3 + w);
        }
        for (centre, (l, a, b, w)) in centres.iter_mut().zip(&sums) {
            if *w > 0.0 {
                *centre = Lab {
                    l: l / w,
                    a: a / w,
                    b: b / w,
                };
            }
        }
        if !moved {
            break;
        }
    }
    let mut weights = vec![0.0f32; centres.len()];
    for (c, (_, w)) in assignment.iter().zip(points) {
        weights[*c] += w;
    }
    let mut clusters: Vec<DominantColour> = centres
        .into_iter()
        .zip(weights)
        .filter(|(_, w)| *w > 0.0)
        .map(|(lab, w)| DominantColour {
            lab,
            share: w / total,
        })
        .collect();
    clusters.sort_by(|a, b| b.share.total_cmp(&a.share));
    clusters
}

/// Index of the centre nearest `p` and its distance.
fn nearest(centres: &[Lab], p: Lab) -> (usize, f32) {
    centres
        .iter()
        .enumerate()
        .map(|(i, c)| (i, c.delta_e(p)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or((0, f32::MAX))
}

/// Typical frame colours of each family, light, medium and dark (sRGB), the shades
/// stylists' colour names describe: the nearest one names a dominant colour's family.
const FAMILY_SHADES: [(ColourFamily, [u8; 3]); 16] = [
    (ColourFamily::Black, [0x1d, 0x1d, 0x20]),
    (ColourFamily::Tortoise, [0x7a, 0x45, 0x1c]),
    (ColourFamily::Brown, [0x6b, 0x44, 0x28]),
    (ColourFamily::Gold, [0xc8, 0xa2, 0x48]),
    (ColourFamily::Silver, [0xb4, 0xba, 0xc1]),
    (ColourFamily::Gunmetal, [0x52, 0x56, 0x5c]),
    (ColourFamily::Grey, [0x86, 0x8b, 0x91]),
    (ColourFamily::Clear, [0xd9, 0xe2, 0xe8]),
    (ColourFamily::Blue, [0x2a, 0x58, 0xa0]),
    (ColourFamily::Green, [0x3c, 0x7a, 0x4c]),
    (ColourFamily::Red, [0xb0, 0x24, 0x2e]),
    (ColourFamily::Pink, [0xe2, 0x86, 0xad]),
    (ColourFamily::Purple, [0x6a, 0x3e, 0x9e]),
    (ColourFamily::Orange, [0xde, 0x77, 0x1e]),
    (ColourFamily::Yellow, [0xe6, 0xc2, 0x1a]),
    (ColourFamily::White, [0xf2, 0xf1, 0xec]),
];

/// Each family's shades in Lab: the medium shade, and for chromatic families its lighter
/// and darker variants too (a light black is grey, a dark grey gunmetal: the neutral
/// families are told apart by lightness alone). Clear is left out: on a light background
/// a clear frame cannot be told from silver or white by colour.
fn family_prototypes() -> Vec<(ColourFamily, Lab)> {
    let mix = |c: [u8; 3], to: u8, t: f32| {
        c.map(|v| (f32::from(v) + (f32::from(to) - f32::from(v)) * t).round() as u8)
    };
    FAMILY_SHADES
        .iter()
        .filter(|(family, _)| *family != ColourFamily::Clear)
        .flat_map(|&(family, rgb)| {
            let shades = if is_neutral(family) {
                vec![rgb]
            } else {
                vec![rgb, mix(rgb, 255, 0.35), mix(rgb, 0, 0.35)]
            };
            shades
                .into_iter()
                .map(move |shade| (family, srgb_to_lab(shade)))
        })
        .collect()
}

fn is_neutral(family: ColourFamily) -> bool {
    matches!(
        family,
        ColourFamily::Black
            | ColourFamily::Gunmetal
            | ColourFamily::Grey
            | ColourFamily::Silver
            | ColourFamily::White
            | ColourFamily::Clear
    )
}

/// The family of one colour: the family of the nearest prototype shade.
pub fn nearest_family(lab: Lab) -> ColourFamily {
    family_prototypes()
        .into_iter()
        .map(|(family, p)| (family, p.delta_e(lab)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(ColourFamily::Black, |(family, _)| family)
}

/// The colour family of a frame from its dominant colours: the family nearest their
/// weighted mean (a metallic gradient or a glossy highlight averages back to the frame's
/// shade). A brown frame whose colours spread from dark to amber is tortoiseshell (the
/// mottling), an even one plain brown.
pub fn frame_family(colours: &[DominantColour]) -> ColourFamily {
    let total: f32 = colours.iter().map(|c| c.share).sum();
    if total <= 0.0 {
        return ColourFamily::Black;
    }
    let mean = colours.iter().fold(
        Lab {
            l: 0.0,
            a: 0.0,
            b: 0.0,
        },
        |m, c| Lab {
            l: m.l + c.lab.l * c.share / total,
            a: m.a + c.lab.a * c.share / total,
            b: m.b + c.lab.b * c.share / total,
        },
    );
    let family = nearest_family(mean);
    if matches!(family, ColourFamily::Brown | ColourFamily::Tortoise) {
        return if is_mottled(colours) {
            ColourFamily::Tortoise
        } else {
            ColourFamily::Brown
        };
    }
    family
}

/// The family of a frame that barely differs from a light background: white, or clear
/// when its cast is cool (clear acetate shows the blue-grey of its edges and of the lens
/// behind it; white acetate is neutral to warm).
pub fn faint_family(mean: Lab) -> ColourFamily {
    if mean.b < CLEAR_MAX_B {
        ColourFamily::Clear
    } else {
        ColourFamily::White
    }
}

/// b* below which a faint frame is clear rather than white.
const CLEAR_MAX_B: f32 = 0.0;

/// Warm clusters of clearly different lightness, each a real part of the frame: the dark
/// and amber patches of tortoiseshell.
fn is_mottled(colours: &[DominantColour]) -> bool {
    let warm: Vec<&DominantColour> = colours
        .iter()
        .filter(|c| c.share >= 0.08 && c.lab.b > 6.0 && c.lab.a > 0.0 && c.lab.l < 75.0)
        .collect();
    let lightest = warm.iter().map(|c| c.lab.l).fold(f32::MIN, f32::max);
    let darkest = warm.iter().map(|c| c.lab.l).fold(f32::MAX, f32::min);
    warm.len() >= 2 && lightest - darkest >= MOTTLING_SPREAD
}

/// Lightness spread (L*) between warm clusters that makes a brown frame tortoiseshell.
const MOTTLING_SPREAD: f32 = 18.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_converting_reference_colours_should_match_published_lab_values() {
        let white = srgb_to_lab([255, 255, 255]);
        assert!(
            (white.l - 100.0).abs() < 0.1 && white.chroma() < 0.1,
            "{white:?}"
        );
        let red = srgb_to_lab([255, 0, 0]);
        // Published D65 values: L 53.24, a 80.09, b 67.20.
        assert!((red.l - 53.24).abs() < 0.2, "{red:?}");
        assert!(
            (red.a - 80.09).abs() < 0.3 && (red.b - 67.20).abs() < 0.3,
            "{red:?}"
        );
        assert_eq!(
            lab_to_srgb(srgb_to_lab([0x2a, 0x58, 0xa0])),
            [0x2a, 0x58, 0xa0]
        );
    }

    #[test]
    fn when_two_colours_are_mixed_should_find_both_with_their_shares() {
        let blue = srgb_to_lab([0x2a, 0x58, 0xa0]);
        let gold = srgb_to_lab([0xc8, 0xa2, 0x48]);
        let mut points = vec![(blue, 3.0); 30];
        points.extend(vec![(gold, 1.0); 30]);
        let clusters = kmeans(&points, 3);
        assert_eq!(clusters.len(), 2, "two distinct colours: {clusters:?}");
        assert!(clusters[0].lab.delta_e(blue) < 0.5 && (clusters[0].share - 0.75).abs() < 1e-4);
        assert_eq!(nearest_family(clusters[1].lab), ColourFamily::Gold);
        assert_eq!(kmeans(&points, 3), clusters, "deterministic");
    }
}

//! Boxing sizes of a style: lens width, bridge, temple, lens height, effective diameter
//! and total width for its one or two sizes (eyewear-domain section 2).

use rand::Rng;

use super::is_metal;
use crate::demo::{half, normal, pick, weighted};
use crate::domain::{Category, FrameSize, Material, Shape};

/// Lens widths A of the style's one or two sizes, ascending (section 2 ranges).
fn lens_widths<R: Rng>(
    rng: &mut R,
    category: Category,
    shape: Shape,
    kid_group: usize,
) -> Vec<u32> {
    let two = rng.gen_bool(0.45);
    if category == Category::Kids {
        // Eye size by age: 2.5-4 -> 40-42, 4-7 -> 43-45, 7-10 -> 45-47, 10-16 -> 47-52.
        let (lo, hi) = [(40, 42), (43, 45), (45, 47), (47, 52)][kid_group];
        let a = rng.gen_range(lo..=hi);
        return if two && a + 2 <= 52 {
            vec![a, a + 2]
        } else {
            vec![a]
        };
    }
    let mean = match shape {
        Shape::Round => 49.0,
        Shape::Oval | Shape::Browline | Shape::Geometric => 51.0,
        Shape::Square | Shape::CatEye | Shape::Wayfarer => 52.0,
        Shape::Rectangle => 53.0,
        Shape::Aviator | Shape::Butterfly => 56.0,
        Shape::Wrap => 62.0,
    };
    let (mean, lo, hi) = match (category, shape) {
        (_, Shape::Wrap) => (mean, 58.0, 68.0),
        (Category::Sun, _) => (mean + 2.0, 46.0, 64.0),
        (Category::Sport, _) => (mean + 2.0, 52.0, 62.0),
        _ => (mean, 44.0, 62.0),
    };
    let a = normal(rng, mean, 2.2).round().clamp(lo, hi) as u32;
    if !two {
        return vec![a];
    }
    let step = pick(rng, &[(2u32, 0.3), (3, 0.4), (4, 0.3)]);
    if f64::from(a + step) <= hi {
        vec![a, a + step]
    } else if f64::from(a - step) >= lo {
        vec![a - step, a]
    } else {
        vec![a]
    }
}

pub(super) fn frame_sizes<R: Rng>(
    rng: &mut R,
    category: Category,
    shape: Shape,
    material: Material,
) -> Vec<FrameSize> {
    let kid_group = weighted(rng, &[0.15, 0.3, 0.3, 0.25]);
    let widths = lens_widths(rng, category, shape, kid_group);
    let bridge0 = match (category, shape) {
        (Category::Kids, _) => {
            let (lo, hi) = [(14, 15), (14, 16), (15, 17), (16, 18)][kid_group];
            f64::from(rng.gen_range(lo..=hi))
        }
        (Category::Sport, _) | (_, Shape::Wrap) => normal(rng, 16.0, 1.2).round().clamp(14.0, 18.0),
        _ => normal(rng, 18.5, 1.8).round().clamp(14.0, 24.0),
    };
    let endpiece = if shape == Shape::Wrap {
        rng.gen_range(10..=12) as f64 / 2.0
    } else if is_metal(material) {
        rng.gen_range(4..=7) as f64 / 2.0
    } else if material == Material::Mixed {
        rng.gen_range(6..=9) as f64 / 2.0
    } else {
        rng.gen_range(8..=12) as f64 / 2.0
    };
    widths
        .iter()
        .enumerate()
        .map(|(i, &a)| {
            let a_mm = f64::from(a);
            let bridge = if i > 0 && rng.gen_bool(0.5) {
                (bridge0 + 1.0).min(24.0)
            } else {
                bridge0
            };
            let temple = match (category, shape) {
                (Category::Kids, _) if kid_group == 3 => {
                    pick(rng, &[(125.0, 0.3), (130.0, 0.5), (135.0, 0.2)])
                }
                (Category::Kids, _) => pick(rng, &[(120.0, 0.25), (125.0, 0.5), (130.0, 0.25)]),
                (Category::Sport, _) | (_, Shape::Wrap) => pick(rng, &[(130.0, 0.5), (135.0, 0.5)]),
                _ if a <= 50 => pick(rng, &[(135.0, 0.6), (140.0, 0.4)]),
                _ if a <= 54 => pick(rng, &[(140.0, 0.6), (145.0, 0.4)]),
                _ => pick(rng, &[(145.0, 0.5), (150.0, 0.5)]),
            };
            let height = (a_mm * f64::from(shape.typical_depth_ratio()) + normal(rng, 0.0, 1.0))
                .round()
                .clamp(28.0, 45.0);
            let ed = (a_mm.max(height)
                + f64::from(shape.typical_ed_allowance_mm())
                + normal(rng, 0.0, 0.4))
            .max(a_mm.max(height) + 0.5);
            FrameSize {
                label: a.to_string(),
                lens_width: a as f32,
                bridge: bridge as f32,
                temple_length: temple as f32,
                lens_height: height as f32,
                effective_diameter: half(ed),
                total_width: (2.0 * a_mm + bridge + 2.0 * endpiece) as f32,
            }
        })
        .collect()
}

//! Catalogue generator: brands, styles, colourways, boxing sizes and stock
//! (eyewear-domain sections 2 and 6). Brands and price tiers live in `brands`, boxing
//! sizes in `sizes`; this module assembles styles from them.

mod brands;
mod sizes;

use chrono::Duration;
use rand::seq::SliceRandom;
use rand::Rng;

use super::palette::{self, NamedColour};
use super::{pick, weighted, weighted_distinct, DemoConfig, MATERIALS, SHAPES};
use crate::domain::{
    Category, Colourway, FrameColour, FrameSize, Material, RimType, Shape, Style, Variant,
};
use brands::{brands, choose_brand};
use sizes::frame_sizes;

/// Demo pictures are drawn by the server itself (`GET /v1/products/{id}/image.svg`, see
/// `api/images.rs`): same-origin paths, so no demo image is ever broken and each looks like
/// its frame. A real shop's feed carries its own absolute photo URLs.
fn image_path(style_id: &str, colourway: Option<&str>) -> String {
    match colourway {
        Some(code) => format!("/v1/products/{style_id}/image.svg?colourway={code}"),
        None => format!("/v1/products/{style_id}/image.svg"),
    }
}

/// Share of styles per category (section 6: sun 20-30%, kids 5-10%, sport about 5%).
const CATEGORY_SHARES: [(Category, f64); 4] = [
    (Category::Optical, 0.62),
    (Category::Sun, 0.25),
    (Category::Kids, 0.07),
    (Category::Sport, 0.06),
];

const INACTIVE_SHARE: f64 = 0.03;
const OUT_OF_STOCK_SHARE: f64 = 0.08;
const LAUNCH_WINDOW_DAYS: i64 = 3 * 365;

fn shape_weights(category: Category) -> [(Shape, f64); 11] {
    // Weights in `SHAPES` order: round oval square rectangle cat-eye aviator browline
    // geometric wayfarer butterfly wrap. Wraps are sun and sport only.
    let w: [f64; 11] = match category {
        Category::Optical => [14.0, 12.0, 12.0, 20.0, 9.0, 5.0, 8.0, 7.0, 10.0, 3.0, 0.0],
        Category::Sun => [10.0, 3.0, 10.0, 5.0, 12.0, 20.0, 3.0, 5.0, 18.0, 12.0, 8.0],
        Category::Kids => [30.0, 25.0, 8.0, 30.0, 0.0, 0.0, 0.0, 0.0, 7.0, 0.0, 0.0],
        Category::Sport => [0.0, 0.0, 10.0, 25.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 65.0],
    };
    std::array::from_fn(|i| (SHAPES[i], w[i]))
}

/// Rim type: none but full rims for kids, sport and wraps (section 6); overall about
/// 75% full, 15% semi-rimless, 10% rimless.
fn choose_rim<R: Rng>(rng: &mut R, category: Category, shape: Shape) -> RimType {
    use RimType::*;
    if matches!(category, Category::Kids | Category::Sport)
        || matches!(shape, Shape::Wrap | Shape::Wayfarer)
    {
        return Full;
    }
    let weights = match (category, shape) {
        (_, Shape::Browline) => [(Full, 0.7), (SemiRimless, 0.3), (Rimless, 0.0)],
        (_, Shape::Butterfly | Shape::CatEye) if category == Category::Sun => {
            [(Full, 0.9), (SemiRimless, 0.07), (Rimless, 0.03)]
        }
        (Category::Sun, _) => [(Full, 0.84), (SemiRimless, 0.09), (Rimless, 0.07)],
        _ => [(Full, 0.60), (SemiRimless, 0.23), (Rimless, 0.17)],
    };
    pick(rng, &weights)
}

/// Material given category, rim and shape (section 6: TR-90 for kids and sport, metal for
/// rimless and aviators, acetate for bold fashion shapes, mixed for browlines).
fn choose_material<R: Rng>(
    rng: &mut R,
    category: Category,
    rim: RimType,
    shape: Shape,
) -> Material {
    // acetate tr90 titanium stainless monel mixed
    let mut w: [f64; 6] = match (rim, category) {
        (RimType::Rimless, _) => [0.0, 0.0, 0.7, 0.3, 0.0, 0.0],
        (RimType::SemiRimless, _) => [0.05, 0.0, 0.35, 0.3, 0.1, 0.2],
        (RimType::Full, Category::Optical) => [0.5, 0.07, 0.1, 0.12, 0.08, 0.13],
        (RimType::Full, Category::Sun) => [0.45, 0.12, 0.07, 0.15, 0.08, 0.13],
        (RimType::Full, Category::Kids) => [0.32, 0.6, 0.0, 0.08, 0.0, 0.0],
        (RimType::Full, Category::Sport) => [0.1, 0.85, 0.0, 0.0, 0.0, 0.05],
    };
    if rim == RimType::Full && matches!(category, Category::Optical | Category::Sun) {
        let (acetate, metal, mixed) = match shape {
            Shape::Aviator => (0.3, 4.0, 1.0),
            Shape::Wayfarer | Shape::Butterfly | Shape::CatEye => (1.8, 0.4, 1.0),
            Shape::Browline => (1.0, 1.0, 6.0),
            Shape::Round => (1.0, 1.3, 1.0),
            Shape::Geometric => (1.0, 1.5, 1.0),
            _ => (1.0, 1.0, 1.0),
        };
        w[0] *= acetate;
        w[2] *= metal;
        w[3] *= metal;
        w[4] *= metal;
        w[5] *= mixed;
    }
    if shape == Shape::Wrap {
        w[1] *= 3.0;
    }
    MATERIALS[weighted(rng, &w)]
}

fn is_metal(material: Material) -> bool {
    matches!(
        material,
        Material::Titanium | Material::StainlessSteel | Material::Monel
    )
}

fn palette_for(category: Category, material: Material) -> &'static [NamedColour] {
    match (category, material) {
        (_, Material::Titanium | Material::StainlessSteel | Material::Monel) => palette::METAL,
        (_, Material::Mixed) => palette::MIXED,
        (Category::Kids, _) => palette::KIDS,
        (Category::Sport, _) => palette::SPORT,
        _ => palette::PLASTIC,
    }
}

fn shape_label(shape: Shape) -> &'static str {
    match shape {
        Shape::Round => "Round",
        Shape::Oval => "Oval",
        Shape::Square => "Square",
        Shape::Rectangle => "Rectangle",
        Shape::CatEye => "Cat-Eye",
        Shape::Aviator => "Aviator",
        Shape::Browline => "Browline",
        Shape::Geometric => "Hexagon",
        Shape::Wayfarer => "Wayfarer",
        Shape::Butterfly => "Butterfly",
        Shape::Wrap => "Shield",
    }
}

fn tags<R: Rng>(
    rng: &mut R,
    category: Category,
    shape: Shape,
    rim: RimType,
    material: Material,
    sizes: &[FrameSize],
    new_arrival: bool,
) -> Vec<String> {
    let mut tags: Vec<&str> = Vec::new();
    match material {
        Material::Titanium => tags.extend(["lightweight", "hypoallergenic"]),
        Material::Tr90 => tags.extend(["lightweight", "flexible"]),
        Material::StainlessSteel => tags.push("durable"),
        Material::Monel => tags.push("adjustable"),
        Material::Acetate | Material::Mixed => {}
    }
    if is_metal(material) && rim != RimType::SemiRimless && rng.gen_bool(0.8) {
        tags.push("adjustable_nose_pads");
    }
    let hinge = match category {
        Category::Kids => 0.75,
        Category::Sport => 0.5,
        _ => 0.3,
    };
    if rng.gen_bool(hinge) {
        tags.push("spring_hinge");
    }
    match category {
        Category::Sun => {
            tags.push("uv400");
            if rng.gen_bool(0.45) {
                tags.push("polarized");
            }
            if shape != Shape::Wrap && rng.gen_bool(0.65) {
                tags.push("rx_available");
            }
        }
        Category::Sport => {
            tags.extend(["impact_resistant", "uv400"]);
            if rng.gen_bool(0.6) {
                tags.push("rubber_grips");
            }
        }
        Category::Kids => {
            if material == Material::Tr90 {
                tags.push("impact_resistant");
            }
        }
        Category::Optical => {
            if rim != RimType::Rimless && sizes.iter().all(|s| s.lens_height >= 32.0) {
                tags.push("progressive_friendly");
            }
            if rng.gen_bool(0.08) {
                tags.push("low_bridge_fit");
            }
        }
    }
    if new_arrival {
        tags.push("new_arrival");
    }
    tags.sort_unstable();
    tags.dedup();
    tags.into_iter().map(str::to_string).collect()
}

/// Categories in exact proportion (largest remainder), shuffled.
fn category_plan<R: Rng>(rng: &mut R, n: usize) -> Vec<Category> {
    let mut counts: Vec<(Category, usize, f64)> = CATEGORY_SHARES
        .iter()
        .map(|&(c, s)| {
            let exact = s * n as f64;
            (c, exact.floor() as usize, exact - exact.floor())
        })
        .collect();
    let mut missing = n - counts.iter().map(|c| c.1).sum::<usize>();
    let mut order: Vec<usize> = (0..counts.len()).collect();
    order.sort_by(|&a, &b| counts[b].2.total_cmp(&counts[a].2).then(a.cmp(&b)));
    for i in order {
        if missing == 0 {
            break;
        }
        counts[i].1 += 1;
        missing -= 1;
    }
    let mut plan: Vec<Category> = counts
        .iter()
        .flat_map(|&(c, k, _)| std::iter::repeat_n(c, k))
        .collect();
    plan.shuffle(rng);
    plan
}

/// Generates `config.styles` styles with ids `st-0001`... in id order.
pub(crate) fn generate_styles<R: Rng>(rng: &mut R, config: &DemoConfig) -> Vec<Style> {
    let brands = brands(rng, config.styles);
    let plan = category_plan(rng, config.styles);
    let mut words = palette::STYLE_WORDS.to_vec();
    words.shuffle(rng);
    let mut kids_words = palette::KIDS_WORDS.to_vec();
    kids_words.shuffle(rng);
    let end_date = config.end.date_naive();
    let (mut adult_n, mut kids_n) = (0usize, 0usize);

    plan.into_iter()
        .enumerate()
        .map(|(i, category)| {
            let id = format!("st-{:04}", i + 1);
            let shape = pick(rng, &shape_weights(category));
            let rim = choose_rim(rng, category, shape);
            let material = choose_material(rng, category, rim, shape);
            let (brand, tier) = choose_brand(rng, &brands, category);
            let price_cents = tier.price_cents(rng, material == Material::Titanium);
            let sizes = frame_sizes(rng, category, shape, material);

            let palette = palette_for(category, material);
            let weights: Vec<f64> = palette.iter().map(|c| c.weight).collect();
            let n_colours = pick(rng, &[(2usize, 0.25), (3, 0.40), (4, 0.22), (5, 0.13)]);
            let colourways = weighted_distinct(rng, &weights, n_colours)
                .into_iter()
                .enumerate()
                .map(|(k, ci)| {
                    let named = &palette[ci];
                    let code = format!("{id}-c{}", k + 1);
                    let variants = sizes
                        .iter()
                        .map(|size| Variant {
                            sku: format!("{code}-{}", size.label),
                            size: size.label.clone(),
                            stock: if rng.gen_bool(OUT_OF_STOCK_SHARE) {
                                0
                            } else {
                                1 + (39.0 * rng.gen::<f64>().powf(1.6)).round() as u32
                            },
                        })
                        .collect();
                    Colourway {
                        image_url: Some(image_path(&id, Some(&code))),
                        code,
                        colour: FrameColour {
                            name: named.name.to_string(),
                            family: named.family,
                            temperature: named.temperature,
                            value: named.value,
                            finish: named.finish,
                            pattern: named.pattern,
                            hex: None,
                        },
                        variants,
                    }
                })
                .collect();

            let (pool, n) = if category == Category::Kids {
                kids_n += 1;
                (&kids_words, kids_n - 1)
            } else {
                adult_n += 1;
                (&words, adult_n - 1)
            };
            let generation = n / pool.len();
            let mut name = format!("{} {}", pool[n % pool.len()], shape_label(shape));
            if generation > 0 {
                name.push_str(&format!(" {}", generation + 1));
            }
            let age_days = rng.gen_range(0..=LAUNCH_WINDOW_DAYS);
            let launch_date = end_date - Duration::days(age_days);
            let tags = tags(rng, category, shape, rim, material, &sizes, age_days <= 60);
            Style {
                image_url: image_path(&id, None),
                id,
                name,
                brand: brand.name.to_string(),
                category,
                shape,
                rim,
                material,
                price_cents,
                currency: "USD".to_string(),
                active: !rng.gen_bool(INACTIVE_SHARE),
                tags,
                launch_date,
                sizes,
                colourways,
            }
        })
        .collect()
}

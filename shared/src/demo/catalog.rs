//! Catalogue generator: brands, styles, colourways, boxing sizes and stock
//! (eyewear-domain sections 2 and 6).

use chrono::Duration;
use rand::seq::SliceRandom;
use rand::Rng;

use super::palette::{self, NamedColour};
use super::{normal, pick, weighted, weighted_distinct, DemoConfig, MATERIALS, SHAPES};
use crate::domain::{
    Category, Colourway, FrameColour, FrameSize, Material, RimType, Shape, Style, Variant,
};

const IMAGE_BASE: &str = "https://images.framewise.example/styles";

/// Share of styles per category (section 6: sun 20-30%, kids 5-10%, sport about 5%).
const CATEGORY_SHARES: [(Category, f64); 4] = [
    (Category::Optical, 0.62),
    (Category::Sun, 0.25),
    (Category::Kids, 0.07),
    (Category::Sport, 0.06),
];

/// Share of styles carried by the retailer's house brands (section 6: 40-60%).
const HOUSE_SHARE: f64 = 0.5;
const INACTIVE_SHARE: f64 = 0.03;
const OUT_OF_STOCK_SHARE: f64 = 0.08;
const LAUNCH_WINDOW_DAYS: i64 = 3 * 365;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tier {
    Budget,
    Mid,
    Designer,
    Luxury,
}

impl Tier {
    /// Frame price in whole dollars, skewed to the cheaper end of the tier unless `up`.
    fn price_cents<R: Rng>(self, rng: &mut R, up: bool) -> u32 {
        let u: f64 = if up {
            rng.gen::<f64>().max(rng.gen())
        } else {
            rng.gen::<f64>().powf(1.3)
        };
        // (lowest price, step, number of steps): $29-99, $109-199, $209-399, $449-1199.
        let (base, step, steps) = match self {
            Self::Budget => (29, 10, 8),
            Self::Mid => (109, 10, 10),
            Self::Designer => (209, 10, 20),
            Self::Luxury => (449, 50, 16),
        };
        let k = ((u * f64::from(steps)) as u32).min(steps - 1);
        (base + k * step) * 100
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BrandKind {
    House,
    General,
    Sun,
    Sport,
    Kids,
}

#[derive(Debug, Clone)]
struct Brand {
    name: &'static str,
    kind: BrandKind,
    tier: Tier,
    /// Relative number of styles (a few large brands, many small ones).
    size: f64,
}

/// House brands plus invented external brands; 20-80 in total, about 40 for 1000 styles.
fn brands<R: Rng>(rng: &mut R, styles: usize) -> Vec<Brand> {
    let external_pool = palette::GENERAL_BRANDS.len()
        + palette::SUN_BRANDS.len()
        + palette::SPORT_BRANDS.len()
        + palette::KIDS_BRANDS.len();
    let total = ((styles as f64 / 25.0).round() as usize).clamp(20, 80);
    let external = (total - 4).min(external_pool);
    let share = |n: usize, min: usize| {
        ((external * n) as f64 / external_pool as f64)
            .round()
            .max(min as f64) as usize
    };
    let kids = share(palette::KIDS_BRANDS.len(), 1).min(palette::KIDS_BRANDS.len());
    let sport = share(palette::SPORT_BRANDS.len(), 1).min(palette::SPORT_BRANDS.len());
    let sun = share(palette::SUN_BRANDS.len(), 2).min(palette::SUN_BRANDS.len());
    let general = external.saturating_sub(kids + sport + sun);

    let mut out = vec![
        house(palette::HOUSE_ESSENTIALS, Tier::Budget),
        house(palette::HOUSE_STUDIO, Tier::Mid),
        house(palette::HOUSE_KIDS, Tier::Budget),
        house(palette::HOUSE_ACTIVE, Tier::Mid),
    ];
    let groups: [(&[&'static str], usize, BrandKind, [f64; 4]); 4] = [
        (
            palette::GENERAL_BRANDS,
            general,
            BrandKind::General,
            [0.2, 0.35, 0.3, 0.15],
        ),
        (
            palette::SUN_BRANDS,
            sun,
            BrandKind::Sun,
            [0.25, 0.4, 0.25, 0.1],
        ),
        (
            palette::SPORT_BRANDS,
            sport,
            BrandKind::Sport,
            [0.0, 0.6, 0.4, 0.0],
        ),
        (
            palette::KIDS_BRANDS,
            kids,
            BrandKind::Kids,
            [0.5, 0.5, 0.0, 0.0],
        ),
    ];
    for (names, count, kind, tiers) in groups {
        let mut names = names.to_vec();
        names.shuffle(rng);
        for (rank, name) in names.into_iter().take(count).enumerate() {
            let tier =
                [Tier::Budget, Tier::Mid, Tier::Designer, Tier::Luxury][weighted(rng, &tiers)];
            out.push(Brand {
                name,
                kind,
                tier,
                size: 1.0 / (rank as f64 + 1.0).powf(0.7),
            });
        }
    }
    out
}

fn house(name: &'static str, tier: Tier) -> Brand {
    Brand {
        name,
        kind: BrandKind::House,
        tier,
        size: 1.0,
    }
}

/// Brand and price tier of a style: half from house brands, the rest from external brands
/// that make that category.
fn choose_brand<'a, R: Rng>(
    rng: &mut R,
    brands: &'a [Brand],
    category: Category,
) -> (&'a Brand, Tier) {
    let by_name = |name: &str| brands.iter().find(|b| b.name == name);
    if rng.gen_bool(HOUSE_SHARE) {
        let (name, tier) = match category {
            Category::Kids => (
                palette::HOUSE_KIDS,
                if rng.gen_bool(0.6) {
                    Tier::Budget
                } else {
                    Tier::Mid
                },
            ),
            Category::Sport => (palette::HOUSE_ACTIVE, Tier::Mid),
            Category::Optical | Category::Sun => {
                if rng.gen_bool(0.45) {
                    (palette::HOUSE_ESSENTIALS, Tier::Budget)
                } else {
                    (palette::HOUSE_STUDIO, Tier::Mid)
                }
            }
        };
        if let Some(brand) = by_name(name) {
            return (brand, tier);
        }
    }
    let affinity = |b: &Brand| -> f64 {
        match (category, b.kind) {
            (_, BrandKind::House) => 0.0,
            (Category::Optical, BrandKind::General) => 1.0,
            (Category::Optical, BrandKind::Sun) => 0.3,
            (Category::Sun, BrandKind::General) => 1.0,
            (Category::Sun, BrandKind::Sun) => 3.0,
            (Category::Sun, BrandKind::Sport) => 0.5,
            (Category::Kids, BrandKind::Kids) => 3.0,
            (Category::Kids, BrandKind::General) if matches!(b.tier, Tier::Budget | Tier::Mid) => {
                0.3
            }
            (Category::Sport, BrandKind::Sport) => 3.0,
            (Category::Sport, BrandKind::Sun) => 0.3,
            _ => 0.0,
        }
    };
    let weights: Vec<f64> = brands.iter().map(|b| affinity(b) * b.size).collect();
    if weights.iter().any(|w| *w > 0.0) {
        let brand = &brands[weighted(rng, &weights)];
        return (brand, brand.tier);
    }
    // Only reachable with an unusually small brand list: fall back to a house brand.
    let fallback = match category {
        Category::Kids => palette::HOUSE_KIDS,
        Category::Sport => palette::HOUSE_ACTIVE,
        _ => palette::HOUSE_STUDIO,
    };
    let brand = by_name(fallback).unwrap_or(&brands[0]);
    (brand, brand.tier)
}

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

/// Lens height B as a share of A by shape (aviators deep, browlines shallow).
fn height_ratio(shape: Shape) -> f64 {
    match shape {
        Shape::Round => 0.90,
        Shape::Aviator => 0.88,
        Shape::Butterfly => 0.86,
        Shape::Square | Shape::Geometric => 0.84,
        Shape::Wayfarer => 0.80,
        Shape::CatEye => 0.78,
        Shape::Oval => 0.76,
        Shape::Browline | Shape::Wrap => 0.70,
        Shape::Rectangle => 0.66,
    }
}

/// How far ED exceeds max(A, B): round shapes barely, upswept and angular shapes more.
fn ed_allowance(shape: Shape) -> f64 {
    match shape {
        Shape::Round => 1.0,
        Shape::Oval => 1.5,
        Shape::Rectangle | Shape::Browline => 2.5,
        Shape::Square | Shape::Wayfarer => 3.0,
        Shape::CatEye | Shape::Aviator | Shape::Geometric | Shape::Wrap => 4.0,
        Shape::Butterfly => 5.0,
    }
}

fn frame_sizes<R: Rng>(
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
            let height = (a_mm * height_ratio(shape) + normal(rng, 0.0, 1.0))
                .round()
                .clamp(28.0, 45.0);
            let ed = (a_mm.max(height) + ed_allowance(shape) + normal(rng, 0.0, 0.4))
                .max(a_mm.max(height) + 0.5);
            FrameSize {
                label: a.to_string(),
                lens_width: a as f32,
                bridge: bridge as f32,
                temple_length: temple as f32,
                lens_height: height as f32,
                effective_diameter: super::half(ed),
                total_width: (2.0 * a_mm + bridge + 2.0 * endpiece) as f32,
            }
        })
        .collect()
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
                        image_url: Some(format!("{IMAGE_BASE}/{code}.jpg")),
                        code,
                        colour: FrameColour {
                            name: named.name.to_string(),
                            family: named.family,
                            temperature: named.temperature,
                            value: named.value,
                            finish: named.finish,
                            pattern: named.pattern,
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
                image_url: format!("{IMAGE_BASE}/{id}.jpg"),
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

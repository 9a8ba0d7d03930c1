//! Brands and price tiers: the retailer's house brands, invented external brands and
//! which brand makes a style of a given category (eyewear-domain section 6).

use rand::seq::SliceRandom;
use rand::Rng;

use crate::demo::{palette, weighted};
use crate::domain::Category;

/// Share of styles carried by the retailer's house brands (section 6: 40-60%).
const HOUSE_SHARE: f64 = 0.5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tier {
    Budget,
    Mid,
    Designer,
    Luxury,
}

impl Tier {
    /// Frame price in whole dollars, skewed to the cheaper end of the tier unless `up`.
    pub(super) fn price_cents<R: Rng>(self, rng: &mut R, up: bool) -> u32 {
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
pub(super) struct Brand {
    pub(super) name: &'static str,
    kind: BrandKind,
    tier: Tier,
    /// Relative number of styles (a few large brands, many small ones).
    size: f64,
}

/// House brands plus invented external brands; 20-80 in total, about 40 for 1000 styles.
pub(super) fn brands<R: Rng>(rng: &mut R, styles: usize) -> Vec<Brand> {
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
pub(super) fn choose_brand<'a, R: Rng>(
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

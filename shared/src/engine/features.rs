//! Compact content features of a style and the similarities built on them: content
//! similarity (neighbours, taste anchors) and the near-duplicate similarity used by MMR.

use std::collections::HashMap;

use crate::domain::{Category, ColourFamily, Material, RimType, Shape, SizeClass, Style};

/// Number of variants of the attribute enums, for fixed-size taste vectors.
pub(crate) const SHAPES: usize = 11;
pub(crate) const MATERIALS: usize = 6;
pub(crate) const RIMS: usize = 3;
pub(crate) const COLOURS: usize = 16;
pub(crate) const PRICE_BANDS: usize = 4;
pub(crate) const CATEGORIES: usize = 4;
pub(crate) const SIZE_CLASSES: usize = 3;

/// Every colour family, indexed like the bits of [`Features::colours`].
pub(crate) const ALL_COLOURS: [ColourFamily; COLOURS] = ColourFamily::ALL;

pub(crate) fn colour_index(c: ColourFamily) -> usize {
    c as usize
}

pub(crate) fn size_class_index(s: SizeClass) -> usize {
    s as usize
}

/// Attributes of one style packed for fast pairwise comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Features {
    pub category: Category,
    pub shape: Shape,
    pub rim: RimType,
    pub material: Material,
    /// Index of `PriceBand` (0 budget .. 3 luxury).
    pub price_band: usize,
    /// Interned, case-folded brand.
    pub brand: u32,
    /// Bit per colour family present in the style's colourways.
    pub colours: u16,
    /// Bit per size class among the style's sizes.
    pub sizes: u8,
}

/// Interns brand names case-insensitively so features compare brands as integers.
#[derive(Debug, Clone, Default)]
pub(crate) struct BrandTable {
    ids: HashMap<String, u32>,
}

impl BrandTable {
    pub fn key(brand: &str) -> String {
        brand.trim().to_lowercase()
    }

    pub fn intern(&mut self, brand: &str) -> u32 {
        let next = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
        *self.ids.entry(Self::key(brand)).or_insert(next)
    }

    pub fn get(&self, brand: &str) -> Option<u32> {
        self.ids.get(&Self::key(brand)).copied()
    }
}

/// The catalogue as the engine sees it: styles sorted by id with their features.
#[derive(Debug, Clone)]
pub(crate) struct Catalogue {
    pub styles: Vec<Style>,
    pub features: Vec<Features>,
    pub index: HashMap<String, usize>,
    pub brands: BrandTable,
    /// `Style::is_available`, precomputed.
    pub available: Vec<bool>,
    /// Per style, per entry of `sizes`: whether some variant of that size is in stock
    /// (precomputed: the prescription filter asks for every style of every list).
    pub stocked_sizes: Vec<Vec<bool>>,
}

impl Catalogue {
    /// Sorts by id; of duplicate ids the first given wins.
    pub fn new(mut styles: Vec<Style>) -> Self {
        styles.sort_by(|a, b| a.id.cmp(&b.id));
        styles.dedup_by(|later, first| later.id == first.id);
        let mut brands = BrandTable::default();
        let features = styles
            .iter()
            .map(|s| Features::of(s, &mut brands))
            .collect();
        let index = styles
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i))
            .collect();
        let available = styles.iter().map(Style::is_available).collect();
        let stocked_sizes = styles
            .iter()
            .map(|style| {
                style
                    .sizes
                    .iter()
                    .map(|size| {
                        style
                            .colourways
                            .iter()
                            .flat_map(|c| &c.variants)
                            .any(|v| v.size == size.label && v.stock > 0)
                    })
                    .collect()
            })
            .collect();
        Self {
            styles,
            features,
            index,
            brands,
            available,
            stocked_sizes,
        }
    }

    pub fn len(&self) -> usize {
        self.styles.len()
    }

    pub fn get(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }
}

impl Features {
    pub fn of(style: &Style, brands: &mut BrandTable) -> Self {
        let colours = style
            .colourways
            .iter()
            .fold(0u16, |m, c| m | (1 << colour_index(c.colour.family)));
        let sizes = style
            .sizes
            .iter()
            .fold(0u8, |m, s| m | (1 << size_class_index(s.size_class())));
        Self {
            category: style.category,
            shape: style.shape,
            rim: style.rim,
            material: style.material,
            price_band: style.price_band() as usize,
            brand: brands.intern(&style.brand),
            colours,
            sizes,
        }
    }
}

fn jaccard16(a: u16, b: u16) -> f32 {
    let union = (a | b).count_ones();
    if union == 0 {
        0.0
    } else {
        (a & b).count_ones() as f32 / union as f32
    }
}

fn jaccard8(a: u8, b: u8) -> f32 {
    jaccard16(u16::from(a), u16::from(b))
}

/// Shapes that read alike to shoppers (round/oval, square/rectangle...); 1.0 for equal.
pub(crate) fn shape_affinity(a: Shape, b: Shape) -> f32 {
    use Shape::*;
    if a == b {
        return 1.0;
    }
    let (x, y) = if a <= b { (a, b) } else { (b, a) };
    match (x, y) {
        (Round, Oval) | (Square, Rectangle) | (CatEye, Butterfly) => 0.5,
        (Square, Wayfarer) | (Rectangle, Wayfarer) | (Round, Browline) => 0.4,
        (Aviator, Butterfly) | (Round, Geometric) | (Aviator, Wrap) => 0.3,
        _ => 0.0,
    }
}

fn is_metal(m: Material) -> bool {
    matches!(
        m,
        Material::Titanium | Material::StainlessSteel | Material::Monel
    )
}

fn material_affinity(a: Material, b: Material) -> f32 {
    if a == b {
        1.0
    } else if is_metal(a) && is_metal(b) {
        0.6
    } else if a == Material::Mixed || b == Material::Mixed {
        0.4
    } else if !is_metal(a) && !is_metal(b) {
        0.3
    } else {
        0.0
    }
}

fn rim_affinity(a: RimType, b: RimType) -> f32 {
    use RimType::*;
    match (a, b) {
        _ if a == b => 1.0,
        (SemiRimless, Rimless) | (Rimless, SemiRimless) => 0.5,
        (Full, SemiRimless) | (SemiRimless, Full) => 0.3,
        _ => 0.0,
    }
}

fn category_affinity(a: Category, b: Category) -> f32 {
    use Category::*;
    if a == b {
        return 1.0;
    }
    let (x, y) = if a <= b { (a, b) } else { (b, a) };
    match (x, y) {
        (Sun, Sport) => 0.5,
        (Optical, Sun) => 0.4,
        (Optical, Kids) => 0.2,
        _ => 0.0,
    }
}

// Attribute weights of content similarity; they sum to 1 so similarity is in [0, 1].
const W_SHAPE: f32 = 0.25;
const W_CATEGORY: f32 = 0.12;
const W_MATERIAL: f32 = 0.15;
const W_COLOUR: f32 = 0.15;
const W_PRICE: f32 = 0.10;
const W_RIM: f32 = 0.08;
const W_BRAND: f32 = 0.08;
const W_SIZE: f32 = 0.07;

/// Weighted attribute overlap in [0, 1]; 1.0 for identical features.
pub(crate) fn content_similarity(a: &Features, b: &Features) -> f32 {
    let price = 1.0 - (a.price_band.abs_diff(b.price_band) as f32 / 3.0);
    W_SHAPE * shape_affinity(a.shape, b.shape)
        + W_CATEGORY * category_affinity(a.category, b.category)
        + W_MATERIAL * material_affinity(a.material, b.material)
        + W_COLOUR * jaccard16(a.colours, b.colours)
        + W_PRICE * price
        + W_RIM * rim_affinity(a.rim, b.rim)
        + W_BRAND * f32::from(u8::from(a.brand == b.brand))
        + W_SIZE * jaccard8(a.sizes, b.sizes)
}

/// How much two list items look like near-copies to a shopper (shape, brand, colour).
pub(crate) fn duplicate_similarity(a: &Features, b: &Features) -> f32 {
    0.45 * f32::from(u8::from(a.shape == b.shape))
        + 0.35 * f32::from(u8::from(a.brand == b.brand))
        + 0.2 * jaccard16(a.colours, b.colours)
}

/// The most telling attribute two styles share, for reason texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SharedAttribute {
    Shape,
    Colour,
    Material,
    Brand,
    Style,
}

pub(crate) fn strongest_shared(a: &Features, b: &Features) -> SharedAttribute {
    if a.shape == b.shape {
        SharedAttribute::Shape
    } else if a.colours & b.colours != 0 {
        SharedAttribute::Colour
    } else if a.material == b.material {
        SharedAttribute::Material
    } else if a.brand == b.brand {
        SharedAttribute::Brand
    } else {
        SharedAttribute::Style
    }
}

/// Top `k` entries of `(index, score)` by score, ties by index; positive scores only.
pub(crate) fn top_k(mut items: Vec<(u32, f32)>, k: usize) -> Vec<(u32, f32)> {
    items.retain(|(_, s)| s.is_finite() && *s > 0.0);
    let cmp = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    if items.len() > k && k > 0 {
        items.select_nth_unstable_by(k - 1, cmp);
        items.truncate(k);
    } else if k == 0 {
        items.clear();
    }
    items.sort_unstable_by(cmp);
    items
}

/// Top `k` content neighbours of every style (O(n^2), for the offline model build).
pub(crate) fn content_neighbours(features: &[Features], k: usize) -> Vec<Vec<(u32, f32)>> {
    let mut buffer = Vec::with_capacity(features.len());
    features
        .iter()
        .enumerate()
        .map(|(i, a)| {
            buffer.clear();
            buffer.extend(
                features
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(j, b)| {
                        (
                            u32::try_from(j).unwrap_or(u32::MAX),
                            content_similarity(a, b),
                        )
                    }),
            );
            top_k(std::mem::take(&mut buffer), k)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(shape: Shape, brand: u32, colours: u16) -> Features {
        Features {
            category: Category::Optical,
            shape,
            rim: RimType::Full,
            material: Material::Acetate,
            price_band: 1,
            brand,
            colours,
            sizes: 0b010,
        }
    }

    #[test]
    fn when_features_identical_should_be_fully_similar() {
        let a = features(Shape::Round, 1, 0b11);
        assert!((content_similarity(&a, &a) - 1.0).abs() < 1e-5);
        assert!((duplicate_similarity(&a, &a) - 1.0).abs() < 1e-5);
    }

    #[test]
    fn when_shape_differs_should_be_less_similar_and_symmetric() {
        let a = features(Shape::Round, 1, 0b1);
        let oval = features(Shape::Oval, 1, 0b1);
        let square = features(Shape::Square, 1, 0b1);
        let ao = content_similarity(&a, &oval);
        let asq = content_similarity(&a, &square);
        assert!(ao > asq, "round~oval {ao} should beat round~square {asq}");
        assert!((ao - content_similarity(&oval, &a)).abs() < 1e-6);
        assert!(ao < 1.0);
    }

    #[test]
    fn when_top_k_should_keep_best_positive_in_order() {
        let got = top_k(vec![(3, 0.2), (1, 0.9), (2, 0.0), (4, 0.9), (5, 0.5)], 3);
        assert_eq!(got, vec![(1, 0.9), (4, 0.9), (5, 0.5)]);
    }

    #[test]
    fn when_content_neighbours_should_exclude_self() {
        let fs = vec![
            features(Shape::Round, 0, 1),
            features(Shape::Round, 0, 1),
            features(Shape::Square, 1, 2),
        ];
        let n = content_neighbours(&fs, 5);
        assert_eq!(n[0][0].0, 1);
        assert!(n
            .iter()
            .enumerate()
            .all(|(i, l)| l.iter().all(|(j, _)| *j as usize != i)));
    }

    #[test]
    fn when_brand_names_differ_in_case_should_intern_equal() {
        let mut t = BrandTable::default();
        let a = t.intern("Ray-Ban");
        let b = t.intern(" ray-ban ");
        let c = t.intern("Oakley");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(t.get("RAY-BAN"), Some(a));
    }
}

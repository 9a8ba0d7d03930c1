//! Declared preferences (`customer.preferences`) compiled for scoring: which declared
//! dimensions a style matches, and the first match for the reason text.

use super::features::{colour_index, Catalogue, Features, ALL_COLOURS};
use crate::domain::{Category, ColourFamily, Customer, Material, RimType, Shape};

/// A declared preference a style matched, for reason texts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum PreferenceMatch {
    Shape(Shape),
    Colour(ColourFamily),
    Material(Material),
    Rim(RimType),
    Brand,
    Category(Category),
    Budget,
}

/// `customer.preferences` compiled to bit masks.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Declared {
    shapes: u16,
    colours: u16,
    materials: u8,
    rims: u8,
    categories: u8,
    brands: Vec<u32>,
    brand_declared: bool,
    colour_list: Vec<ColourFamily>,
    max_price: Option<u32>,
    dimensions: u8,
}

impl Declared {
    pub fn new(customer: Option<&Customer>, catalogue: &Catalogue) -> Self {
        let Some(p) = customer.map(|c| &c.preferences) else {
            return Self::default();
        };
        let shapes = p.shapes.iter().fold(0u16, |m, s| m | 1 << (*s as u16));
        let colours = p
            .colour_families
            .iter()
            .fold(0u16, |m, c| m | 1 << colour_index(*c));
        let materials = p.materials.iter().fold(0u8, |m, x| m | 1 << (*x as u8));
        let rims = p.rims.iter().fold(0u8, |m, x| m | 1 << (*x as u8));
        let categories = p.categories.iter().fold(0u8, |m, x| m | 1 << (*x as u8));
        let brands = p
            .brands
            .iter()
            .filter_map(|b| catalogue.brands.get(b))
            .collect();
        let dimensions = [
            shapes != 0,
            colours != 0,
            materials != 0,
            rims != 0,
            !p.brands.is_empty(),
            categories != 0,
            p.max_price_cents.is_some(),
        ]
        .into_iter()
        .filter(|d| *d)
        .count() as u8;
        Self {
            shapes,
            colours,
            materials,
            rims,
            categories,
            brands,
            brand_declared: !p.brands.is_empty(),
            colour_list: p.colour_families.clone(),
            max_price: p.max_price_cents,
            dimensions,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.dimensions == 0
    }

    pub fn likes_colour(&self, family: ColourFamily) -> bool {
        self.colour_list.contains(&family)
    }

    /// Share of declared dimensions the style matches, in [-1, 1] (over budget counts -1),
    /// and the first match for the reason text.
    pub fn score(&self, f: &Features, price_cents: u32) -> (f32, Option<PreferenceMatch>) {
        if self.is_empty() {
            return (0.0, None);
        }
        let mut total = 0.0f32;
        let mut first = None;
        let mut hit = |matched: bool, m: PreferenceMatch, total: &mut f32| {
            if matched {
                *total += 1.0;
                first.get_or_insert(m);
            }
        };
        if self.shapes != 0 {
            hit(
                self.shapes & (1 << (f.shape as u16)) != 0,
                PreferenceMatch::Shape(f.shape),
                &mut total,
            );
        }
        if self.colours != 0 {
            let common = self.colours & f.colours;
            let family = ALL_COLOURS
                .into_iter()
                .find(|c| common & (1 << colour_index(*c)) != 0);
            if let Some(c) = family {
                hit(true, PreferenceMatch::Colour(c), &mut total);
            }
        }
        if self.materials != 0 {
            hit(
                self.materials & (1 << (f.material as u8)) != 0,
                PreferenceMatch::Material(f.material),
                &mut total,
            );
        }
        if self.rims != 0 {
            hit(
                self.rims & (1 << (f.rim as u8)) != 0,
                PreferenceMatch::Rim(f.rim),
                &mut total,
            );
        }
        if self.brand_declared {
            hit(
                self.brands.contains(&f.brand),
                PreferenceMatch::Brand,
                &mut total,
            );
        }
        if self.categories != 0 {
            hit(
                self.categories & (1 << (f.category as u8)) != 0,
                PreferenceMatch::Category(f.category),
                &mut total,
            );
        }
        if let Some(max) = self.max_price {
            if price_cents <= max {
                hit(true, PreferenceMatch::Budget, &mut total);
            } else {
                total -= 1.0;
            }
        }
        (total / f32::from(self.dimensions), first)
    }
}

//! The frame catalogue: style (frame model) -> colourways -> sizes -> SKU with stock.
//! Measurements follow the boxing system (../docs: eyewear-domain section 2), in millimetres.

use std::ops::RangeInclusive;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{FieldError, ValidationErrors};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Optical,
    Sun,
    Sport,
    Kids,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    Round,
    Oval,
    Square,
    Rectangle,
    CatEye,
    Aviator,
    Browline,
    Geometric,
    Wayfarer,
    Butterfly,
    Wrap,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RimType {
    Full,
    SemiRimless,
    Rimless,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Material {
    Acetate,
    Tr90,
    Titanium,
    StainlessSteel,
    Monel,
    Mixed,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ColourFamily {
    Black,
    Tortoise,
    Brown,
    Gold,
    Silver,
    Gunmetal,
    Grey,
    Clear,
    Blue,
    Green,
    Red,
    Pink,
    Purple,
    Orange,
    Yellow,
    White,
}

impl Shape {
    /// Every shape in declaration order (`ALL[s as usize] == s`).
    pub const ALL: [Shape; 11] = [
        Self::Round,
        Self::Oval,
        Self::Square,
        Self::Rectangle,
        Self::CatEye,
        Self::Aviator,
        Self::Browline,
        Self::Geometric,
        Self::Wayfarer,
        Self::Butterfly,
        Self::Wrap,
    ];

    /// Typical lens height B as a share of the lens width A (aviators deep, rectangles
    /// shallow): for catalogues that do not give B.
    pub fn typical_depth_ratio(self) -> f32 {
        match self {
            Self::Round => 0.90,
            Self::Aviator => 0.88,
            Self::Butterfly => 0.86,
            Self::Square | Self::Geometric => 0.84,
            Self::Wayfarer => 0.80,
            Self::CatEye => 0.78,
            Self::Oval => 0.76,
            Self::Browline | Self::Wrap => 0.70,
            Self::Rectangle => 0.66,
        }
    }

    /// Typical excess (mm) of the effective diameter over max(A, B): round shapes barely,
    /// upswept and angular shapes more.
    pub fn typical_ed_allowance_mm(self) -> f32 {
        match self {
            Self::Round => 1.0,
            Self::Oval => 1.5,
            Self::Rectangle | Self::Browline => 2.5,
            Self::Square | Self::Wayfarer => 3.0,
            Self::CatEye | Self::Aviator | Self::Geometric | Self::Wrap => 4.0,
            Self::Butterfly => 5.0,
        }
    }
}

impl Material {
    /// Every material in declaration order (`ALL[m as usize] == m`).
    pub const ALL: [Material; 6] = [
        Self::Acetate,
        Self::Tr90,
        Self::Titanium,
        Self::StainlessSteel,
        Self::Monel,
        Self::Mixed,
    ];
}

impl RimType {
    /// Every rim type in declaration order (`ALL[r as usize] == r`).
    pub const ALL: [RimType; 3] = [Self::Full, Self::SemiRimless, Self::Rimless];
}

impl PriceBand {
    /// Every price band in declaration order (`ALL[b as usize] == b`).
    pub const ALL: [PriceBand; 4] = [Self::Budget, Self::Mid, Self::Premium, Self::Luxury];
}

impl ColourFamily {
    /// Every colour family in declaration order (`ALL[f as usize] == f`).
    pub const ALL: [ColourFamily; 16] = [
        Self::Black,
        Self::Tortoise,
        Self::Brown,
        Self::Gold,
        Self::Silver,
        Self::Gunmetal,
        Self::Grey,
        Self::Clear,
        Self::Blue,
        Self::Green,
        Self::Red,
        Self::Pink,
        Self::Purple,
        Self::Orange,
        Self::Yellow,
        Self::White,
    ];
}

/// Colour temperature of a frame colour, matched against a shopper's undertone.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Temperature {
    Warm,
    Cool,
    Neutral,
}

/// Lightness of a frame colour (light honey tortoise vs dark tortoise), for contrast rules.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ColourValue {
    Light,
    Medium,
    Dark,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Finish {
    Glossy,
    Matte,
    Metallic,
    Transparent,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Pattern {
    Solid,
    Tortoise,
    Gradient,
    TwoTone,
    Crystal,
}

/// Lens-width size class (small <= 50, medium 51-54, large >= 55).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SizeClass {
    Small,
    Medium,
    Large,
}

/// Price band used by content similarity and taste modelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceBand {
    Budget,
    Mid,
    Premium,
    Luxury,
}

impl PriceBand {
    pub fn of_cents(cents: u32) -> Self {
        match cents {
            0..=9_999 => Self::Budget,
            10_000..=19_999 => Self::Mid,
            20_000..=39_999 => Self::Premium,
            _ => Self::Luxury,
        }
    }
}

/// A frame colour as shoppers and stylists describe it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FrameColour {
    pub name: String,
    pub family: ColourFamily,
    pub temperature: Temperature,
    pub value: ColourValue,
    pub finish: Finish,
    pub pattern: Pattern,
    /// The swatch colour as `#rrggbb`, when the feed gives one; an image import fills it
    /// from the product picture when it does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hex: Option<String>,
}

/// Whether `value` is a colour spelled `#rrggbb` (hex digits, either case).
pub fn is_hex_colour(value: &str) -> bool {
    value.len() == 7 && value.starts_with('#') && value[1..].chars().all(|c| c.is_ascii_hexdigit())
}

// The validated ranges below are the one definition of what a style may hold: validation
// checks them, error messages quote them and the demo generator stays inside them.

/// Price of a style in cents (above zero, at most $100,000).
pub const PRICE_CENTS: RangeInclusive<u32> = 1..=10_000_000;
/// Boxing measurements of a frame size, in millimetres: A (lens width), DBL (bridge),
/// temple, B (lens height), ED and total width, from small children's frames to wraps.
pub const LENS_WIDTH_MM: RangeInclusive<f32> = 30.0..=75.0;
pub const BRIDGE_MM: RangeInclusive<f32> = 10.0..=30.0;
pub const TEMPLE_LENGTH_MM: RangeInclusive<f32> = 100.0..=160.0;
pub const LENS_HEIGHT_MM: RangeInclusive<f32> = 20.0..=65.0;
pub const EFFECTIVE_DIAMETER_MM: RangeInclusive<f32> = 30.0..=85.0;
pub const TOTAL_WIDTH_MM: RangeInclusive<f32> = 90.0..=175.0;

/// Boxing measurements of one frame size, in millimetres.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FrameSize {
    /// The size label printed on the temple, usually the eye size ("52").
    pub label: String,
    pub lens_width: f32,
    pub bridge: f32,
    pub temple_length: f32,
    pub lens_height: f32,
    pub effective_diameter: f32,
    pub total_width: f32,
}

impl FrameSize {
    pub fn size_class(&self) -> SizeClass {
        if self.lens_width <= 50.0 {
            SizeClass::Small
        } else if self.lens_width < 55.0 {
            SizeClass::Medium
        } else {
            SizeClass::Large
        }
    }

    /// Frame PD (geometric centre distance) = A + DBL.
    pub fn frame_pd(&self) -> f32 {
        self.lens_width + self.bridge
    }
}

/// One sellable unit: a colourway in one size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Variant {
    pub sku: String,
    /// Label of one of the style's sizes.
    pub size: String,
    // utoipa documents u32 as int32 (too small); its uint32 spells "u-int32" (utoipa#1527).
    #[schema(format = "uint32")]
    pub stock: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Colourway {
    pub code: String,
    pub colour: FrameColour,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    pub variants: Vec<Variant>,
}

/// A frame model with its colourways and sizes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Style {
    pub id: String,
    pub name: String,
    pub brand: String,
    pub category: Category,
    pub shape: Shape,
    pub rim: RimType,
    pub material: Material,
    // utoipa documents u32 as int32 (too small); its uint32 spells "u-int32" (utoipa#1527).
    #[schema(format = "uint32")]
    pub price_cents: u32,
    #[serde(default = "default_currency")]
    pub currency: String,
    #[serde(default = "default_true")]
    pub active: bool,
    #[serde(default)]
    pub tags: Vec<String>,
    pub launch_date: NaiveDate,
    pub image_url: String,
    pub sizes: Vec<FrameSize>,
    pub colourways: Vec<Colourway>,
}

fn default_currency() -> String {
    "USD".to_string()
}

fn default_true() -> bool {
    true
}

impl Style {
    pub fn price_band(&self) -> PriceBand {
        PriceBand::of_cents(self.price_cents)
    }

    pub fn size(&self, label: &str) -> Option<&FrameSize> {
        self.sizes.iter().find(|s| s.label == label)
    }

    pub fn total_stock(&self) -> u64 {
        self.colourways
            .iter()
            .flat_map(|c| &c.variants)
            .map(|v| u64::from(v.stock))
            .sum()
    }

    /// Active and with at least one variant in stock.
    pub fn is_available(&self) -> bool {
        self.active && self.total_stock() > 0
    }

    /// Finds the colourway and variant of a SKU.
    pub fn variant(&self, sku: &str) -> Option<(&Colourway, &Variant)> {
        self.colourways
            .iter()
            .find_map(|c| c.variants.iter().find(|v| v.sku == sku).map(|v| (c, v)))
    }

    /// Checks the style and returns every problem found, with field paths.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = Vec::new();
        check_id(&mut errors, "id", &self.id);
        check_text(&mut errors, "name", &self.name, 200);
        check_text(&mut errors, "brand", &self.brand, 100);
        if !PRICE_CENTS.contains(&self.price_cents) {
            errors.push(FieldError::new(
                "price_cents",
                format!(
                    "must be between {} and {}",
                    PRICE_CENTS.start(),
                    PRICE_CENTS.end()
                ),
            ));
        }
        if self.currency.len() != 3 || !self.currency.chars().all(|c| c.is_ascii_uppercase()) {
            errors.push(FieldError::new(
                "currency",
                "must be an ISO 4217 code such as USD",
            ));
        }
        if self.image_url.trim().is_empty() {
            errors.push(FieldError::new("image_url", "must not be empty"));
        }
        if self.sizes.is_empty() {
            errors.push(FieldError::new("sizes", "a style needs at least one size"));
        }
        for (i, size) in self.sizes.iter().enumerate() {
            let path = format!("sizes[{i}]");
            if self.sizes[..i].iter().any(|s| s.label == size.label) {
                errors.push(FieldError::new(
                    format!("{path}.label"),
                    "duplicate size label",
                ));
            }
            validate_size(&mut errors, &path, size);
        }
        if self.colourways.is_empty() {
            errors.push(FieldError::new(
                "colourways",
                "a style needs at least one colourway",
            ));
        }
        let mut skus = std::collections::HashSet::new();
        for (i, colourway) in self.colourways.iter().enumerate() {
            let path = format!("colourways[{i}]");
            check_id(&mut errors, &format!("{path}.code"), &colourway.code);
            check_text(
                &mut errors,
                &format!("{path}.colour.name"),
                &colourway.colour.name,
                100,
            );
            if let Some(hex) = &colourway.colour.hex {
                if !is_hex_colour(hex) {
                    errors.push(FieldError::new(
                        format!("{path}.colour.hex"),
                        "must be a colour spelled #rrggbb",
                    ));
                }
            }
            if colourway.variants.is_empty() {
                errors.push(FieldError::new(
                    format!("{path}.variants"),
                    "a colourway needs at least one variant",
                ));
            }
            for (j, variant) in colourway.variants.iter().enumerate() {
                let vpath = format!("{path}.variants[{j}]");
                check_id(&mut errors, &format!("{vpath}.sku"), &variant.sku);
                if !skus.insert(variant.sku.as_str()) {
                    errors.push(FieldError::new(format!("{vpath}.sku"), "duplicate SKU"));
                }
                if self.size(&variant.size).is_none() {
                    errors.push(FieldError::new(
                        format!("{vpath}.size"),
                        format!("'{}' is not one of the style's size labels", variant.size),
                    ));
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(errors))
        }
    }
}

fn validate_size(errors: &mut Vec<FieldError>, path: &str, size: &FrameSize) {
    check_text(errors, &format!("{path}.label"), &size.label, 20);
    let ranges = [
        ("lens_width", size.lens_width, LENS_WIDTH_MM),
        ("bridge", size.bridge, BRIDGE_MM),
        ("temple_length", size.temple_length, TEMPLE_LENGTH_MM),
        ("lens_height", size.lens_height, LENS_HEIGHT_MM),
        (
            "effective_diameter",
            size.effective_diameter,
            EFFECTIVE_DIAMETER_MM,
        ),
        ("total_width", size.total_width, TOTAL_WIDTH_MM),
    ];
    for (name, value, range) in ranges {
        // `contains` is false for NaN, so non-finite values fail here too.
        if !range.contains(&value) {
            errors.push(FieldError::new(
                format!("{path}.{name}"),
                format!("must be between {} and {} mm", range.start(), range.end()),
            ));
        }
    }
    if size.effective_diameter.is_finite()
        && size.lens_width.is_finite()
        && size.effective_diameter + 0.01 < size.lens_width.max(size.lens_height)
    {
        errors.push(FieldError::new(
            format!("{path}.effective_diameter"),
            "must be at least the larger of lens width and lens height",
        ));
    }
    if size.total_width.is_finite() && size.total_width + 0.01 < 2.0 * size.lens_width + size.bridge
    {
        errors.push(FieldError::new(
            format!("{path}.total_width"),
            "must be at least 2 x lens width + bridge",
        ));
    }
}

/// Identifiers are opaque keys used in URLs and storage keys: 1-128 chars of `[A-Za-z0-9_.:-]`.
pub fn check_id(errors: &mut Vec<FieldError>, field: &str, value: &str) {
    if let Err(message) = validate_id(value) {
        errors.push(FieldError::new(field, message));
    }
}

pub fn validate_id(value: &str) -> Result<(), &'static str> {
    if value.is_empty() {
        Err("must not be empty")
    } else if value.len() > 128 {
        Err("must be at most 128 characters")
    } else if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
    {
        Err("may contain only letters, digits, '_', '-', '.' and ':'")
    } else {
        Ok(())
    }
}

pub(crate) fn check_text(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize) {
    if value.trim().is_empty() {
        errors.push(FieldError::new(field, "must not be empty"));
    } else if value.chars().count() > max {
        errors.push(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
}

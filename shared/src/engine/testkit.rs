//! Test helpers: small hand-built catalogues, signals and aggregates.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use crate::aggregates::{kind_index, CoOccurrence, DailyStyleCounts};
use crate::domain::{
    Category, ColourFamily, ColourValue, Colourway, Finish, FrameColour, FrameSize, Material,
    Pattern, RimType, Shape, Signal, SignalKind, Style, Temperature, Variant,
};

/// A fixed "now" in June (northern sun season).
pub fn june() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 15, 12, 0, 0)
        .single()
        .unwrap()
}

/// A fixed "now" in December.
pub fn december() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 15, 12, 0, 0)
        .single()
        .unwrap()
}

pub fn frame_size(label: &str, lens: f32, bridge: f32, temple: f32, total: f32) -> FrameSize {
    FrameSize {
        label: label.to_string(),
        lens_width: lens,
        bridge,
        temple_length: temple,
        lens_height: 40.0,
        effective_diameter: lens + 2.0,
        total_width: total,
    }
}

pub fn colour(family: ColourFamily) -> FrameColour {
    use ColourFamily::*;
    let temperature = match family {
        Gold | Brown | Tortoise | Orange | Red | Yellow => Temperature::Warm,
        Silver | Gunmetal | Grey | Blue | Purple | Pink => Temperature::Cool,
        _ => Temperature::Neutral,
    };
    FrameColour {
        name: format!("{family:?}"),
        family,
        temperature,
        value: ColourValue::Medium,
        finish: Finish::Glossy,
        pattern: Pattern::Solid,
        hex: None,
    }
}

/// Builds a valid style with sensible defaults; SKUs are `<style>-<colourway>-<size>`.
pub struct StyleBuilder {
    style: Style,
}

impl StyleBuilder {
    pub fn new(id: &str) -> Self {
        Self {
            style: Style {
                id: id.to_string(),
                name: format!("Style {id}"),
                brand: "House".to_string(),
                category: Category::Optical,
                shape: Shape::Rectangle,
                rim: RimType::Full,
                material: Material::Acetate,
                price_cents: 15_000,
                currency: "USD".to_string(),
                active: true,
                tags: vec![],
                launch_date: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
                image_url: format!("https://img.example/{id}.jpg"),
                sizes: vec![frame_size("52", 52.0, 18.0, 140.0, 132.0)],
                colourways: vec![],
            },
        }
    }

    pub fn name(mut self, name: &str) -> Self {
        self.style.name = name.to_string();
        self
    }

    pub fn brand(mut self, brand: &str) -> Self {
        self.style.brand = brand.to_string();
        self
    }

    pub fn category(mut self, category: Category) -> Self {
        self.style.category = category;
        self
    }

    pub fn shape(mut self, shape: Shape) -> Self {
        self.style.shape = shape;
        self
    }

    pub fn material(mut self, material: Material) -> Self {
        self.style.material = material;
        self
    }

    pub fn price(mut self, cents: u32) -> Self {
        self.style.price_cents = cents;
        self
    }

    pub fn inactive(mut self) -> Self {
        self.style.active = false;
        self
    }

    pub fn sizes(mut self, sizes: Vec<FrameSize>) -> Self {
        self.style.sizes = sizes;
        self
    }

    /// Adds a colourway with `(size label, stock)` variants.
    pub fn colourway(mut self, code: &str, family: ColourFamily, stock: &[(&str, u32)]) -> Self {
        let id = self.style.id.clone();
        self.style.colourways.push(Colourway {
            code: code.to_string(),
            colour: colour(family),
            image_url: None,
            variants: stock
                .iter()
                .map(|(size, n)| Variant {
                    sku: format!("{id}-{code}-{size}"),
                    size: size.to_string(),
                    stock: *n,
                })
                .collect(),
        });
        self
    }

    /// Sets every variant's stock to zero.
    pub fn sold_out(mut self) -> Self {
        if self.style.colourways.is_empty() {
            self = self.colourway("blk", ColourFamily::Black, &[("52", 0)]);
        }
        for v in self
            .style
            .colourways
            .iter_mut()
            .flat_map(|c| &mut c.variants)
        {
            v.stock = 0;
        }
        self
    }

    pub fn build(mut self) -> Style {
        if self.style.colourways.is_empty() {
            let labels: Vec<String> = self.style.sizes.iter().map(|s| s.label.clone()).collect();
            let stock: Vec<(&str, u32)> = labels.iter().map(|l| (l.as_str(), 10)).collect();
            self = self.colourway("blk", ColourFamily::Black, &stock);
        }
        debug_assert!(self.style.validate().is_ok(), "{:?}", self.style.validate());
        self.style
    }
}

/// One signal of a customer, `days_ago` before `now`.
pub fn signal(kind: SignalKind, style_id: &str, now: DateTime<Utc>, days_ago: i64) -> Signal {
    Signal {
        event_id: format!("e-{}-{style_id}-{days_ago}", kind.as_str()),
        customer_id: Some("c1".to_string()),
        session_id: None,
        kind,
        style_id: style_id.to_string(),
        sku: None,
        timestamp: now - Duration::days(days_ago),
        recommendation_id: None,
        placement: None,
        context: None,
        price_cents: None,
        quantity: None,
        order_id: None,
        rating: None,
        position: None,
        comment: None,
    }
}

/// Daily counts of one kind for one style, `days_ago` before `now`.
pub fn daily(
    style_id: &str,
    now: DateTime<Utc>,
    days_ago: i64,
    kind: SignalKind,
    n: u32,
) -> DailyStyleCounts {
    let mut counts = [0u32; 9];
    if let Some(k) = kind_index(kind) {
        counts[k] = n;
    }
    DailyStyleCounts {
        style_id: style_id.to_string(),
        day: (now - Duration::days(days_ago)).date_naive(),
        counts,
    }
}

pub fn pair(a: &str, b: &str, subjects: u32) -> CoOccurrence {
    CoOccurrence {
        style_a: a.min(b).to_string(),
        style_b: a.max(b).to_string(),
        subjects,
    }
}

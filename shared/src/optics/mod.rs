//! Optical and style intelligence (domain brief sections 1-5): prescriptions, frame
//! compatibility (rules F1-F11, one function each in `frame/rules.rs`), lens advice, face
//! shape and colour harmony. Everything here is pure; encryption at rest is
//! [`crate::sealing`].

pub mod frame;
pub mod lens;
pub mod rx;
pub mod style;

// The layers the frame rules and the lens advice share (section 2 geometry, lens choice).
pub mod geometry;
pub mod lens_choice;

pub use frame::{evaluate, FrameCheck, FrameRulesConfig, RuleFinding, RuleId, Severity};
pub use lens::{recommend_lens, LensDesign, LensMaterial, LensRecommendation, LensRequest};
pub use rx::{parse_prescription, RxSummary};

#[cfg(test)]
pub(crate) mod testutil {
    use chrono::NaiveDate;

    use crate::domain::{
        Category, ColourFamily, ColourValue, Colourway, EyeRx, Finish, FrameColour, FrameSize,
        Material, Pattern, Prescription, PupillaryDistance, RimType, Shape, Style, Temperature,
        Variant,
    };

    /// The same SPH/CYL (axis 180)/ADD in both eyes with a binocular PD.
    pub fn rx(sph: f32, cyl: f32, add: Option<f32>, pd: f32) -> Prescription {
        let eye = EyeRx {
            sph,
            cyl,
            axis: (cyl != 0.0).then_some(180),
            add,
            prism: None,
        };
        Prescription {
            od: eye.clone(),
            os: eye,
            pd: PupillaryDistance::Binocular(pd),
            fitting_height: None,
        }
    }

    /// A frame size: A, DBL, B, ED; temple 140, total width 2A + DBL + 8.
    pub fn size(label: &str, a: f32, dbl: f32, b: f32, ed: f32) -> FrameSize {
        FrameSize {
            label: label.to_string(),
            lens_width: a,
            bridge: dbl,
            temple_length: 140.0,
            lens_height: b,
            effective_diameter: ed,
            total_width: 2.0 * a + dbl + 8.0,
        }
    }

    pub fn colour(
        family: ColourFamily,
        temperature: Temperature,
        value: ColourValue,
    ) -> FrameColour {
        FrameColour {
            name: format!("{family:?}"),
            family,
            temperature,
            value,
            finish: Finish::Glossy,
            pattern: if family == ColourFamily::Tortoise {
                Pattern::Tortoise
            } else {
                Pattern::Solid
            },
            hex: None,
        }
    }

    /// A style with one black colourway stocked in every size.
    pub fn style(
        id: &str,
        category: Category,
        shape: Shape,
        rim: RimType,
        sizes: Vec<FrameSize>,
    ) -> Style {
        let variants = sizes
            .iter()
            .map(|s| Variant {
                sku: format!("{id}-blk-{}", s.label),
                size: s.label.clone(),
                stock: 5,
            })
            .collect();
        Style {
            id: id.to_string(),
            name: format!("Style {id}"),
            brand: "Acme".to_string(),
            category,
            shape,
            rim,
            material: Material::Acetate,
            price_cents: 10_000,
            currency: "USD".to_string(),
            active: true,
            tags: Vec::new(),
            launch_date: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default(),
            image_url: "https://example.com/x.jpg".to_string(),
            sizes,
            colourways: vec![Colourway {
                code: "blk".to_string(),
                colour: colour(ColourFamily::Black, Temperature::Cool, ColourValue::Dark),
                image_url: None,
                variants,
            }],
        }
    }
}

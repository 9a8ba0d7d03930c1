//! Product copy for one shopper and one frame: the facts are gathered from data first
//! ([`CopyFacts::gather`]), then [`product_copy`] renders them with the embedded template.
//! A fact that does not hold (the frame shape does not suit the face, the colour does not
//! suit the colouring, the frame rules refuse the lens) is `None`, and its sentence is not
//! written.

use serde::Serialize;

use crate::domain::{Customer, FaceShape, RecommendedItem, SizeClass, Style};
use crate::engine::reasons::{category_label, material_label, shape_label};
use crate::error::ServiceError;
use crate::optics::frame::FrameRulesConfig;
use crate::optics::lens::{recommend_lens, LensRequest};
use crate::optics::style::{customer_colour_harmony, face_shape_of, frame_shape_fit};

use super::ContentOccasion;

pub(super) const TEMPLATE: &str = "product_copy.txt";

/// Everything the copy of one frame may say, each read from the catalogue, the profile or
/// the optics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CopyFacts {
    pub name: String,
    /// `narrow`, `medium` or `wide`: the size class of the recommended size's lens width.
    pub fit: Option<&'static str>,
    pub shape: &'static str,
    pub material: &'static str,
    /// The recommended colourway's colour name.
    pub colour: Option<String>,
    pub face: Option<FaceFact>,
    /// Why the colourway suits the shopper's undertone or colour season.
    pub colouring: Option<String>,
    pub lens: Option<LensFact>,
    pub occasion: Option<OccasionFact>,
}

/// The shopper's face shape and the guidance by which this frame shape suits it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaceFact {
    #[serde(skip)]
    pub face_shape: FaceShape,
    /// "square", "heart-shaped"...
    pub face: &'static str,
    /// The section 5 guidance, as a clause: "soft curves balance a strong jawline".
    pub guidance: String,
}

/// The lens the optics advise for the shopper's prescription in the recommended size, when
/// the frame rules allow it. Derived values only, never the prescription.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LensFact {
    pub size: String,
    pub lens_width_mm: f32,
    /// Rounded to 0.1 mm, as list items' lens advice is.
    pub edge_thickness_mm: f32,
    pub material: &'static str,
    /// The numbers as the copy prints them.
    pub lens_width_text: String,
    pub edge_thickness_text: String,
}

/// The occasion asked for, when this frame belongs to one of its categories.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OccasionFact {
    pub category: &'static str,
    pub phrase: String,
}

impl CopyFacts {
    /// The facts of `item` (a list item of `style`) for `customer`: lens advice under `rules`
    /// for the item's size, the same advice the list item carries.
    pub(crate) fn gather(
        customer: Option<&Customer>,
        style: &Style,
        item: &RecommendedItem,
        occasion: Option<ContentOccasion<'_>>,
        rules: &FrameRulesConfig,
    ) -> Self {
        let face = customer.and_then(face_shape_of).and_then(|face_shape| {
            let (_, guidance) = frame_shape_fit(face_shape, style.shape, style.rim);
            guidance.map(|g| FaceFact {
                face_shape,
                face: face_word(face_shape),
                guidance: lowercase_first(g),
            })
        });
        let colouring = customer
            .zip(item.colour.as_ref())
            .and_then(|(c, colour)| customer_colour_harmony(c, colour).1);
        let lens = customer.and_then(|c| {
            let rx = c.prescription.as_ref()?;
            let size = item.size.as_ref()?;
            let request = LensRequest {
                child: c.age_band.is_some_and(|a| a.is_child()),
                ..LensRequest::default()
            };
            let advice = recommend_lens(rx, &request, Some((style, size)), rules);
            let check = advice.frame.as_ref().filter(|f| f.allowed)?;
            let edge = (check.thickness.edge * 10.0).round() / 10.0;
            Some(LensFact {
                size: check.size_label.clone(),
                lens_width_mm: size.lens_width,
                edge_thickness_mm: edge,
                material: advice.material.label(),
                lens_width_text: format!("{}", size.lens_width),
                edge_thickness_text: format!("{edge:.1}"),
            })
        });
        let occasion = occasion
            .filter(|o| o.takes(style.category))
            .map(|o| OccasionFact {
                category: category_label(style.category),
                phrase: o.phrase().to_string(),
            });
        Self {
            name: style.name.clone(),
            fit: item.size.as_ref().map(|s| fit_word(s.size_class())),
            shape: shape_label(style.shape),
            material: material_label(style.material),
            colour: item.colour.as_ref().map(|c| c.name.clone()),
            face,
            colouring,
            lens,
            occasion,
        }
    }
}

/// The copy of one frame: one sentence per fact that holds, on one line.
pub fn product_copy(facts: &CopyFacts) -> Result<String, ServiceError> {
    let text = super::render(TEMPLATE, facts)?;
    Ok(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn fit_word(size: SizeClass) -> &'static str {
    match size {
        SizeClass::Small => "narrow",
        SizeClass::Medium => "medium",
        SizeClass::Large => "wide",
    }
}

pub(super) fn face_word(face: FaceShape) -> &'static str {
    match face {
        FaceShape::Oval => "oval",
        FaceShape::Round => "round",
        FaceShape::Square => "square",
        FaceShape::Oblong => "oblong",
        FaceShape::Heart => "heart-shaped",
        FaceShape::Diamond => "diamond-shaped",
        FaceShape::Triangle => "triangular",
    }
}

/// "Soft curves balance a strong jawline" -> "soft curves balance ...", to follow a colon.
fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

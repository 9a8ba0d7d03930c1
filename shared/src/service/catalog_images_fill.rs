//! Catalogue fields a feed left out and its pictures determine: a colourway's swatch
//! colour (`colour.hex`) from the frame's dominant colour. A declared value is never
//! overwritten: when the picture disagrees with it, that is a mismatch of the report.

use serde::Serialize;

use super::catalog_images::AttributeMismatch;
use crate::domain::{is_hex_colour, Style};
use crate::imaging::{srgb_to_lab, ImageFeatures};

/// Colour difference (CIE76) between a declared swatch and the nearest colour the picture
/// shows beyond which they are reported: lighting and a metallic finish move a frame's
/// pictured colour a good way from its swatch, a wrong swatch much further.
const HEX_TOLERANCE: f32 = 25.0;
/// Smallest share of the frame's pixels a pictured colour needs to match a swatch.
const MIN_MATCHING_SHARE: f32 = 0.1;

/// A field the feed left out, filled from the picture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FilledAttribute {
    pub style_id: String,
    pub colourway: String,
    /// The feed's field, as validation names it (`colourways[0].colour.hex`).
    pub field: String,
    pub value: String,
}

/// What the picture of colourway `c` of `style` fills in, and the declared values among
/// those fields that it contradicts.
pub(super) fn fills(
    style: &Style,
    c: usize,
    features: &ImageFeatures,
) -> (Vec<FilledAttribute>, Vec<AttributeMismatch>) {
    let colourway = &style.colourways[c];
    let field = format!("colourways[{c}].colour.hex");
    let Some(dominant) = features.colours.first() else {
        return (Vec::new(), Vec::new());
    };
    match &colourway.colour.hex {
        None => (
            vec![FilledAttribute {
                style_id: style.id.clone(),
                colourway: colourway.code.clone(),
                field,
                value: dominant.hex(),
            }],
            Vec::new(),
        ),
        Some(declared) => {
            let Some(rgb) = parse_hex(declared) else {
                return (Vec::new(), Vec::new());
            };
            let swatch = srgb_to_lab(rgb);
            let nearest = features
                .colours
                .iter()
                .filter(|c| c.share >= MIN_MATCHING_SHARE)
                .map(|c| c.lab.delta_e(swatch))
                .fold(f32::MAX, f32::min);
            let mismatches = if nearest > HEX_TOLERANCE {
                vec![AttributeMismatch {
                    style_id: style.id.clone(),
                    colourway: colourway.code.clone(),
                    field,
                    declared: declared.clone(),
                    extracted: dominant.hex(),
                }]
            } else {
                Vec::new()
            };
            (Vec::new(), mismatches)
        }
    }
}

/// `#rrggbb` as three bytes.
fn parse_hex(value: &str) -> Option<[u8; 3]> {
    if !is_hex_colour(value) {
        return None;
    }
    let byte = |at: usize| u8::from_str_radix(&value[at..at + 2], 16).ok();
    Some([byte(1)?, byte(3)?, byte(5)?])
}

/// `style` with the values of `filled` that belong to it set where it still lacks them;
/// None when nothing changes.
pub(super) fn with_filled(style: &Style, filled: &[FilledAttribute]) -> Option<Style> {
    let mut changed = style.clone();
    let mut any = false;
    for fill in filled.iter().filter(|f| f.style_id == style.id) {
        let colour = changed
            .colourways
            .iter_mut()
            .find(|c| c.code == fill.colourway)
            .map(|c| &mut c.colour);
        if let Some(colour) = colour {
            if colour.hex.is_none() && fill.field.ends_with(".colour.hex") {
                colour.hex = Some(fill.value.clone());
                any = true;
            }
        }
    }
    any.then_some(changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ColourFamily;
    use crate::engine::testkit::StyleBuilder;
    use crate::imaging::{DominantColour, LensDescriptors, ShapeClass};

    fn features(rgb: [u8; 3]) -> ImageFeatures {
        ImageFeatures {
            colours: vec![DominantColour {
                lab: srgb_to_lab(rgb),
                share: 1.0,
            }],
            family: ColourFamily::Blue,
            frame_width_to_height: 3.0,
            lens_width_to_height: 1.2,
            shape: ShapeClass::Round,
            lens: LensDescriptors::default(),
            embedding: Vec::new(),
        }
    }

    fn style(hex: Option<&str>) -> Style {
        let mut style = StyleBuilder::new("s")
            .colourway("s-blue", ColourFamily::Blue, &[("52", 1)])
            .build();
        style.colourways[0].colour.hex = hex.map(str::to_string);
        style
    }

    #[test]
    fn when_the_feed_has_no_swatch_should_fill_it_from_the_picture() {
        let (filled, mismatches) = fills(&style(None), 0, &features([0x2a, 0x58, 0xa0]));
        assert!(mismatches.is_empty());
        assert_eq!(filled.len(), 1);
        assert_eq!(filled[0].field, "colourways[0].colour.hex");
        assert_eq!(filled[0].value, "#2a58a0");
        let updated = with_filled(&style(None), &filled).expect("filled");
        assert_eq!(updated.colourways[0].colour.hex.as_deref(), Some("#2a58a0"));
    }

    #[test]
    fn when_the_feed_declares_a_swatch_should_keep_it_and_report_only_a_disagreement() {
        let close = fills(&style(Some("#2B5AA3")), 0, &features([0x2a, 0x58, 0xa0]));
        assert_eq!(close, (Vec::new(), Vec::new()), "a near swatch agrees");
        let (filled, mismatches) = fills(&style(Some("#b0242e")), 0, &features([0x2a, 0x58, 0xa0]));
        assert!(filled.is_empty(), "a declared swatch is never filled over");
        assert_eq!(mismatches.len(), 1);
        assert_eq!(
            (
                mismatches[0].declared.as_str(),
                mismatches[0].extracted.as_str()
            ),
            ("#b0242e", "#2a58a0")
        );
        let fill = FilledAttribute {
            style_id: "s".into(),
            colourway: "s-blue".into(),
            field: "colourways[0].colour.hex".into(),
            value: "#000000".into(),
        };
        assert_eq!(with_filled(&style(Some("#b0242e")), &[fill]), None);
    }

    #[test]
    fn when_a_feed_declares_a_swatch_that_is_not_hex_should_name_the_field() {
        assert!(style(None).validate().is_ok(), "the swatch is optional");
        assert!(style(Some("#2a58A0")).validate().is_ok());
        let errors = style(Some("navy")).validate().expect_err("not #rrggbb");
        assert!(
            errors
                .0
                .iter()
                .any(|e| e.field == "colourways[0].colour.hex"),
            "{errors:?}"
        );
        let parsed: Style = serde_json::from_value({
            let mut json = serde_json::to_value(style(None)).expect("json");
            assert!(
                json["colourways"][0]["colour"].get("hex").is_none(),
                "{json}"
            );
            json["colourways"][0]["colour"]["hex"] = "#2a58a0".into();
            json
        })
        .expect("a feed line with a swatch");
        assert_eq!(parsed.colourways[0].colour.hex.as_deref(), Some("#2a58a0"));
    }
}

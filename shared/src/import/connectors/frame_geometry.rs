//! Boxing measurements of a shop product: lens width (A), bridge (DBL) and temple from a size
//! option value (`52-18-145`, `52□18 145`, `52`) or from tags (`lens-width:52`, `bridge:18`,
//! `temple:145`, or `size:52-18-145`). Lens height, effective diameter and total width are
//! read from tags when given (`lens-height:40`, `ed:55`, `frame-width:140`, applying to every
//! size) and otherwise estimated from the shape (eyewear-domain section 2): B = A x the
//! shape's depth ratio, ED = max(A, B) + the shape's allowance, total width = 2A + DBL + two
//! 4 mm endpieces.

use super::product_attributes::tag_value;
use crate::domain::{FrameSize, Shape};

/// Width of one endpiece (hinge block), per side: eyewear-domain gives 2-6 mm [S28].
const ENDPIECE_MM: f32 = 4.0;

/// Tag keys of each measurement (compared after lower-casing, `_` and spaces read as `-`).
const LENS_WIDTH_KEYS: &[&str] = &["lens-width", "eye-size", "a"];
const BRIDGE_KEYS: &[&str] = &["bridge", "dbl"];
const TEMPLE_KEYS: &[&str] = &["temple", "temple-length"];
const LENS_HEIGHT_KEYS: &[&str] = &["lens-height", "b"];
const ED_KEYS: &[&str] = &["ed", "effective-diameter"];
const TOTAL_WIDTH_KEYS: &[&str] = &["frame-width", "total-width"];
const TRIPLE_KEYS: &[&str] = &["size", "measurements"];

/// Whether a tag carries a measurement (it is data, not a label to keep with the style).
pub(super) fn is_geometry_tag(tag: &str) -> bool {
    let lengths = [
        LENS_WIDTH_KEYS,
        BRIDGE_KEYS,
        TEMPLE_KEYS,
        LENS_HEIGHT_KEYS,
        ED_KEYS,
        TOTAL_WIDTH_KEYS,
    ];
    lengths.iter().any(|keys| tag_value(tag, keys).is_some())
        || tag_value(tag, TRIPLE_KEYS).and_then(size_value).is_some()
}

/// Measurements a product's tags declare, in millimetres.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct DeclaredGeometry {
    pub measured: Measured,
    pub lens_height: Option<f32>,
    pub effective_diameter: Option<f32>,
    pub total_width: Option<f32>,
}

/// Lens width, bridge and temple as far as a size value or the tags give them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Measured {
    pub lens_width: Option<f32>,
    pub bridge: Option<f32>,
    pub temple: Option<f32>,
}

impl Measured {
    /// Each measurement from `self`, else from `fallback`.
    fn or(self, fallback: Measured) -> Measured {
        Measured {
            lens_width: self.lens_width.or(fallback.lens_width),
            bridge: self.bridge.or(fallback.bridge),
            temple: self.temple.or(fallback.temple),
        }
    }
}

/// Reads the measurement tags; an error quotes the tag that is not a length.
pub(super) fn declared_geometry(tags: &[String]) -> Result<DeclaredGeometry, String> {
    let mut declared = DeclaredGeometry::default();
    for tag in tags {
        let length = |keys: &[&str]| -> Result<Option<f32>, String> {
            tag_value(tag, keys)
                .map(|v| millimetres(v).ok_or_else(|| not_a_length(tag)))
                .transpose()
        };
        // `size:52-18-145`; a `size:large` is a label, not a measurement.
        if let Some(triple) = tag_value(tag, TRIPLE_KEYS).and_then(size_value) {
            declared.measured = triple.or(declared.measured);
        }
        let m = &mut declared.measured;
        m.lens_width = length(LENS_WIDTH_KEYS)?.or(m.lens_width);
        m.bridge = length(BRIDGE_KEYS)?.or(m.bridge);
        m.temple = length(TEMPLE_KEYS)?.or(m.temple);
        declared.lens_height = length(LENS_HEIGHT_KEYS)?.or(declared.lens_height);
        declared.effective_diameter = length(ED_KEYS)?.or(declared.effective_diameter);
        declared.total_width = length(TOTAL_WIDTH_KEYS)?.or(declared.total_width);
    }
    Ok(declared)
}

fn not_a_length(tag: &str) -> String {
    format!("tag '{tag}' is not a length in millimetres")
}

/// "52", "52mm", "52.5 mm" -> millimetres.
fn millimetres(text: &str) -> Option<f32> {
    let number = text.trim().trim_end_matches("mm").trim();
    number
        .parse::<f32>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0)
}

/// The numbers of a size value: `52-18-145`, `52□18-145`, `52/18/145`, `52 18 145`,
/// `Medium (52-18-145)`, `52-18` or `52`. None when it holds no number or more than three.
pub(super) fn size_value(text: &str) -> Option<Measured> {
    let numbers: Vec<f32> = text
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter(|t| !t.is_empty())
        .map(|t| t.parse::<f32>().ok().filter(|v| v.is_finite()))
        .collect::<Option<_>>()?;
    match numbers.as_slice() {
        [a] => Some(Measured {
            lens_width: Some(*a),
            ..Measured::default()
        }),
        [a, dbl] => Some(Measured {
            lens_width: Some(*a),
            bridge: Some(*dbl),
            temple: None,
        }),
        [a, dbl, temple] => Some(Measured {
            lens_width: Some(*a),
            bridge: Some(*dbl),
            temple: Some(*temple),
        }),
        _ => None,
    }
}

/// The frame size of `measured` (a size option's numbers, or none), completed from the
/// declared tags and the shape's estimates. Err names the measurement nothing gave.
pub(super) fn frame_size(
    measured: Measured,
    declared: &DeclaredGeometry,
    shape: Shape,
) -> Result<FrameSize, &'static str> {
    let m = measured.or(declared.measured);
    let a = m.lens_width.ok_or("lens width")?;
    let dbl = m.bridge.ok_or("bridge")?;
    let temple = m.temple.ok_or("temple")?;
    let height = declared
        .lens_height
        .unwrap_or_else(|| half_mm(a * shape.typical_depth_ratio()));
    let ed = declared
        .effective_diameter
        .unwrap_or_else(|| half_mm(a.max(height) + shape.typical_ed_allowance_mm()));
    let total = declared
        .total_width
        .unwrap_or(2.0 * a + dbl + 2.0 * ENDPIECE_MM);
    Ok(FrameSize {
        label: length_label(a),
        lens_width: a,
        bridge: dbl,
        temple_length: temple,
        lens_height: height,
        effective_diameter: ed,
        total_width: total,
    })
}

/// "52" for 52 mm, "52.5" for 52.5 mm: the eye size printed on the temple.
fn length_label(mm: f32) -> String {
    if mm.fract() == 0.0 {
        format!("{mm:.0}")
    } else {
        format!("{mm}")
    }
}

fn half_mm(mm: f32) -> f32 {
    (mm * 2.0).round() / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn when_a_size_value_holds_measurements_should_read_them() {
        let triple = size_value("52□18-145").expect("triple");
        assert_eq!(
            (triple.lens_width, triple.bridge, triple.temple),
            (Some(52.0), Some(18.0), Some(145.0))
        );
        assert_eq!(
            size_value("Medium (49/20/140)").and_then(|m| m.temple),
            Some(140.0)
        );
        assert_eq!(size_value("54").and_then(|m| m.lens_width), Some(54.0));
        assert_eq!(size_value("Medium"), None);
        assert_eq!(size_value("1-2-3-4"), None);
    }

    #[test]
    fn when_tags_declare_geometry_should_complete_the_size_and_estimate_the_rest() {
        let declared = declared_geometry(&tags(&["Bridge: 18", "temple_length:145mm", "acetate"]))
            .expect("valid tags");
        let size =
            frame_size(size_value("52").expect("52"), &declared, Shape::Round).expect("complete");
        assert_eq!(size.label, "52");
        assert_eq!((size.bridge, size.temple_length), (18.0, 145.0));
        assert_eq!(size.lens_height, 47.0, "52 x 0.90 rounded to 0.5 mm");
        assert_eq!(size.effective_diameter, 53.0, "max(A, B) + 1 for round");
        assert_eq!(size.total_width, 130.0, "2 x 52 + 18 + 2 x 4");
        let missing = frame_size(Measured::default(), &declared, Shape::Round);
        assert_eq!(missing, Err("lens width"));
        let error = declared_geometry(&tags(&["bridge:wide"])).expect_err("not a length");
        assert!(error.contains("'bridge:wide'"), "{error}");
        assert!(is_geometry_tag("lens-width:52") && !is_geometry_tag("acetate"));
    }
}

//! Colours of a drawing: the frame's paint from its [`FrameColour`] (family, value, finish,
//! pattern) and the lens tint from the category. Gradients and patterns are in user space
//! (millimetres), so straight parts such as a bridge bar are painted like curved ones.

use std::fmt::Write;

use super::outline::num;
use crate::domain::{
    Category, ColourFamily, ColourValue, Finish, FrameColour, Pattern, Temperature,
};

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Rgb(u8, u8, u8);

const WHITE: Rgb = Rgb(255, 255, 255);
const BLACK: Rgb = Rgb(0, 0, 0);
const GREY: Rgb = Rgb(128, 128, 128);

impl Rgb {
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// `t` of the way from this colour to `other`.
    fn mix(self, other: Rgb, t: f32) -> Rgb {
        let channel = |a: u8, b: u8| {
            (f32::from(a) + (f32::from(b) - f32::from(a)) * t.clamp(0.0, 1.0)).round() as u8
        };
        Rgb(
            channel(self.0, other.0),
            channel(self.1, other.1),
            channel(self.2, other.2),
        )
    }

    /// Relative lightness, 0 (black) to 1 (white).
    fn lightness(self) -> f32 {
        (0.299 * f32::from(self.0) + 0.587 * f32::from(self.1) + 0.114 * f32::from(self.2)) / 255.0
    }
}

/// The medium shade of each colour family.
fn family_colour(family: ColourFamily) -> Rgb {
    match family {
        ColourFamily::Black => Rgb(0x1d, 0x1d, 0x20),
        ColourFamily::Tortoise => Rgb(0x7a, 0x45, 0x1c),
        ColourFamily::Brown => Rgb(0x6b, 0x44, 0x28),
        ColourFamily::Gold => Rgb(0xc8, 0xa2, 0x48),
        ColourFamily::Silver => Rgb(0xb4, 0xba, 0xc1),
        ColourFamily::Gunmetal => Rgb(0x52, 0x56, 0x5c),
        ColourFamily::Grey => Rgb(0x86, 0x8b, 0x91),
        ColourFamily::Clear => Rgb(0xd9, 0xe2, 0xe8),
        ColourFamily::Blue => Rgb(0x2a, 0x58, 0xa0),
        ColourFamily::Green => Rgb(0x3c, 0x7a, 0x4c),
        ColourFamily::Red => Rgb(0xb0, 0x24, 0x2e),
        ColourFamily::Pink => Rgb(0xe2, 0x86, 0xad),
        ColourFamily::Purple => Rgb(0x6a, 0x3e, 0x9e),
        ColourFamily::Orange => Rgb(0xde, 0x77, 0x1e),
        ColourFamily::Yellow => Rgb(0xe6, 0xc2, 0x1a),
        ColourFamily::White => Rgb(0xf2, 0xf1, 0xec),
    }
}

/// The frame's main colour: the family's shade made lighter or darker by the value.
pub(super) fn base_colour(colour: &FrameColour) -> Rgb {
    let base = family_colour(colour.family);
    match colour.value {
        ColourValue::Light => base.mix(WHITE, 0.35),
        ColourValue::Medium => base,
        ColourValue::Dark => base.mix(BLACK, 0.35),
    }
}

/// How the frame is painted: a `stroke`/`fill` value, its opacity, and the definitions
/// (gradient, pattern) it refers to.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct FramePaint {
    pub paint: String,
    pub opacity: f32,
    pub defs: String,
    /// A fine metal line (a browline's lower rim): gold for warm colours, silver otherwise.
    pub metal_line: String,
    /// Glossy acetate catches a highlight along the top of the rim.
    pub glossy: bool,
}

/// The paint of `colour`; `id` names its definitions, `top`..`bottom` is the vertical
/// extent of the frame in millimetres (where gradients run).
pub(super) fn frame_paint(colour: &FrameColour, id: &str, top: f32, bottom: f32) -> FramePaint {
    let base = base_colour(colour);
    let paint_id = format!("{id}-frame");
    let gradient = |stops: &[(f32, Rgb)]| {
        let mut defs = format!(
            r#"<linearGradient id="{paint_id}" gradientUnits="userSpaceOnUse" x1="0" y1="{}" x2="0" y2="{}">"#,
            num(top),
            num(bottom)
        );
        for (offset, rgb) in stops {
            let _ = write!(
                defs,
                r#"<stop offset="{}" stop-color="{}"/>"#,
                num(*offset),
                rgb.hex()
            );
        }
        defs.push_str("</linearGradient>");
        defs
    };
    let (defs, paint) = match (colour.pattern, colour.finish) {
        (Pattern::Tortoise, _) => (tortoise(&paint_id, base, &colour.name), url(&paint_id)),
        (Pattern::Gradient, _) => (
            gradient(&[(0.0, base), (1.0, base.mix(WHITE, 0.55))]),
            url(&paint_id),
        ),
        (Pattern::TwoTone, _) => {
            let second = if base.lightness() < 0.5 {
                base.mix(WHITE, 0.6)
            } else {
                base.mix(BLACK, 0.5)
            };
            (
                gradient(&[(0.0, base), (0.5, base), (0.5, second), (1.0, second)]),
                url(&paint_id),
            )
        }
        (_, Finish::Metallic) => (
            gradient(&[
                (0.0, base.mix(WHITE, 0.45)),
                (0.45, base),
                (1.0, base.mix(BLACK, 0.3)),
            ]),
            url(&paint_id),
        ),
        (_, Finish::Matte) => (String::new(), base.mix(GREY, 0.12).hex()),
        _ => (String::new(), base.hex()),
    };
    let opacity = match (colour.pattern, colour.finish) {
        (Pattern::Crystal, _) => 0.55,
        (_, Finish::Transparent) => 0.65,
        _ => 1.0,
    };
    let metal_line = if colour.temperature == Temperature::Warm {
        family_colour(ColourFamily::Gold)
    } else {
        family_colour(ColourFamily::Silver)
    };
    FramePaint {
        paint,
        opacity,
        defs,
        metal_line: metal_line.hex(),
        glossy: colour.finish == Finish::Glossy && colour.pattern != Pattern::Crystal,
    }
}

fn url(id: &str) -> String {
    format!("url(#{id})")
}

/// A tortoiseshell pattern: dark and amber patches on the base, laid out from the colour's
/// name so each tortoise colourway has its own (and always the same) mottling.
fn tortoise(id: &str, base: Rgb, name: &str) -> String {
    let mut seed = fnv1a(name.as_bytes());
    let mut next = || {
        // xorshift32: deterministic, no state outside this pattern.
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        (seed % 1000) as f32 / 1000.0
    };
    let dark = base.mix(BLACK, 0.6).hex();
    let amber = base.mix(Rgb(0xe0, 0xa0, 0x40), 0.5).hex();
    let mut defs = format!(
        r#"<pattern id="{id}" patternUnits="userSpaceOnUse" width="12" height="9"><rect width="12" height="9" fill="{}"/>"#,
        base.hex()
    );
    for i in 0..5 {
        let fill = if i % 2 == 0 { &dark } else { &amber };
        let _ = write!(
            defs,
            r#"<ellipse cx="{}" cy="{}" rx="{}" ry="{}" fill="{fill}" opacity="0.8"/>"#,
            num(next() * 12.0),
            num(next() * 9.0),
            num(1.0 + next() * 2.2),
            num(0.7 + next() * 1.4)
        );
    }
    defs.push_str("</pattern>");
    defs
}

/// FNV-1a, 32 bits: a stable hash for ids and patterns (never for security).
pub(super) fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |hash, b| {
        (hash ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

/// The lens tint: clear for optical and children's frames, a dark gradient matched to the
/// frame's temperature for sunglasses, a blue mirror for sport.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct LensPaint {
    pub fill: String,
    pub opacity: f32,
    pub defs: String,
    /// How bright the glare streak on the lens is.
    pub glare: f32,
}

pub(super) fn lens_paint(
    category: Category,
    colour: &FrameColour,
    id: &str,
    top: f32,
    bottom: f32,
) -> LensPaint {
    let tint = |from: Rgb, to: Rgb, opacity: f32, glare: f32| {
        let lens_id = format!("{id}-lens");
        LensPaint {
            defs: format!(
                r#"<linearGradient id="{lens_id}" gradientUnits="userSpaceOnUse" x1="0" y1="{}" x2="0" y2="{}"><stop offset="0" stop-color="{}"/><stop offset="1" stop-color="{}"/></linearGradient>"#,
                num(top),
                num(bottom),
                from.hex(),
                to.hex()
            ),
            fill: url(&lens_id),
            opacity,
            glare,
        }
    };
    match category {
        Category::Optical | Category::Kids => LensPaint {
            fill: Rgb(0xdd, 0xea, 0xf2).hex(),
            opacity: 0.5,
            defs: String::new(),
            glare: 0.75,
        },
        Category::Sun => match colour.temperature {
            Temperature::Warm => tint(Rgb(0x3a, 0x28, 0x1c), Rgb(0x8f, 0x6b, 0x4e), 0.9, 0.35),
            Temperature::Cool => tint(Rgb(0x2c, 0x38, 0x34), Rgb(0x6c, 0x7e, 0x76), 0.9, 0.35),
            Temperature::Neutral => tint(Rgb(0x26, 0x29, 0x2e), Rgb(0x6e, 0x74, 0x7b), 0.9, 0.35),
        },
        Category::Sport => tint(Rgb(0x1c, 0x4a, 0x78), Rgb(0x86, 0xbe, 0xe6), 0.92, 0.5),
    }
}

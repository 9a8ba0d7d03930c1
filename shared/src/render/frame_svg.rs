//! The front view of a frame as SVG, one unit a millimetre: two lenses of the style's
//! shape (A x B of its first size) a bridge (DBL) apart, rims by rim type and material,
//! end pieces and foreshortened temples (their length from the size), in the colourway's
//! colour over a light backdrop.

use std::fmt::Write;

use super::outline::{self, num, pt, Outline, Pt};
use super::paint::{fnv1a, frame_paint, lens_paint, FramePaint, LensPaint};
use crate::domain::{
    Category, ColourFamily, ColourValue, Colourway, Finish, FrameColour, FrameSize, Material,
    Pattern, RimType, Shape, Style, Temperature, BRIDGE_MM, LENS_HEIGHT_MM, LENS_WIDTH_MM,
    TEMPLE_LENGTH_MM, TOTAL_WIDTH_MM,
};

/// The drawing's extent in millimetres (its `viewBox`): room for the widest valid frame.
pub const VIEW_WIDTH: f32 = 240.0;
pub const VIEW_HEIGHT: f32 = 120.0;
/// The frame's centre (slightly above the middle: the shadow sits below).
const CX: f32 = VIEW_WIDTH / 2.0;
const CY: f32 = 56.0;
/// Default pixel size the SVG declares (2 px per millimetre).
const DISPLAY_SCALE: f32 = 2.0;
/// Share of a temple's length seen in the front view.
const TEMPLE_FORESHORTENING: f32 = 0.12;

/// The measurements the drawing uses, in millimetres, inside the catalogue's valid ranges.
#[derive(Debug, Clone, Copy)]
struct Dims {
    lens_width: f32,
    lens_height: f32,
    bridge: f32,
    endpiece: f32,
    temple: f32,
}

impl Dims {
    fn of(size: Option<&FrameSize>) -> Dims {
        let clamp = |v: Option<f32>, range: &std::ops::RangeInclusive<f32>, default: f32| {
            v.filter(|v| v.is_finite())
                .map_or(default, |v| v.clamp(*range.start(), *range.end()))
        };
        let lens_width = clamp(size.map(|s| s.lens_width), &LENS_WIDTH_MM, 52.0);
        let lens_height = clamp(size.map(|s| s.lens_height), &LENS_HEIGHT_MM, 40.0);
        let bridge = clamp(size.map(|s| s.bridge), &BRIDGE_MM, 18.0);
        let total = clamp(
            size.map(|s| s.total_width),
            &TOTAL_WIDTH_MM,
            2.0 * lens_width + bridge + 8.0,
        );
        Dims {
            lens_width,
            lens_height,
            bridge,
            endpiece: ((total - 2.0 * lens_width - bridge) / 2.0).clamp(2.0, 8.0),
            temple: clamp(size.map(|s| s.temple_length), &TEMPLE_LENGTH_MM, 140.0),
        }
    }
}

/// The size a colourway is drawn in: its first variant's, else the style's first.
fn drawn_size<'a>(style: &'a Style, colourway: Option<&Colourway>) -> Option<&'a FrameSize> {
    colourway
        .and_then(|c| c.variants.first())
        .and_then(|v| style.size(&v.size))
        .or_else(|| style.sizes.first())
}

/// Black glossy acetate: the colour of a style drawn without a colourway.
fn default_colour() -> FrameColour {
    FrameColour {
        name: "Black".to_string(),
        family: ColourFamily::Black,
        temperature: Temperature::Neutral,
        value: ColourValue::Dark,
        finish: Finish::Glossy,
        pattern: Pattern::Solid,
        hex: None,
    }
}

fn is_metal(material: Material) -> bool {
    matches!(
        material,
        Material::Titanium | Material::StainlessSteel | Material::Monel
    )
}

/// Rim thickness in millimetres: chunky acetate, slimmer mixed, fine metal.
fn rim_width(material: Material, category: Category) -> f32 {
    let width = match material {
        Material::Acetate => 4.2,
        Material::Tr90 => 3.6,
        Material::Mixed => 3.0,
        Material::Titanium | Material::StainlessSteel | Material::Monel => 1.5,
    };
    if category == Category::Kids {
        width * 0.9
    } else {
        width
    }
}

/// Characters that would end an attribute or start markup in free text (style names).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Where everything sits: the two lens outlines placed in the drawing.
struct Layout {
    dims: Dims,
    outline: Outline,
    hw: f32,
    hh: f32,
}

impl Layout {
    /// Centre x of the left (index 0) and right (1) lens.
    fn centre(&self, side: usize) -> f32 {
        let offset = self.dims.bridge / 2.0 + self.hw;
        if side == 0 {
            CX - offset
        } else {
            CX + offset
        }
    }

    /// A point of a lens outline placed in the drawing; the right lens is mirrored.
    fn place(&self, side: usize, p: Pt) -> Pt {
        if side == 0 {
            pt(self.centre(0) + p.x, CY + p.y)
        } else {
            pt(self.centre(1) - p.x, CY + p.y)
        }
    }

    fn lens_path(&self, side: usize) -> String {
        self.outline.path(|p| self.place(side, p))
    }

    /// Where the line at `dy` (relative to the lens centre, as a share of the half height)
    /// meets the left lens: its temple-side and nose-side x in the drawing.
    fn edges(&self, dy: f32) -> (f32, f32) {
        let (temple, nose) = self
            .outline
            .span_at(dy * self.hh)
            .unwrap_or((-self.hw, self.hw));
        (self.centre(0) + temple, self.centre(0) + nose)
    }

    /// The x of `x` on the left side mirrored to the right side.
    fn mirror(x: f32) -> f32 {
        2.0 * CX - x
    }
}

/// The front view of `style` in `colourway` (its first colourway's look when None, black
/// when it has none) as a standalone SVG document. Same input, same bytes.
pub fn frame_svg(style: &Style, colourway: Option<&Colourway>) -> String {
    let colourway = colourway.or_else(|| style.colourways.first());
    let fallback = default_colour();
    let colour = colourway.map_or(&fallback, |c| &c.colour);
    let dims = Dims::of(drawn_size(style, colourway));
    let (hw, hh) = (dims.lens_width / 2.0, dims.lens_height / 2.0);
    let layout = Layout {
        dims,
        outline: outline::lens(style.shape, hw, hh, dims.bridge / 2.0),
        hw,
        hh,
    };
    let key = format!("{}/{}", style.id, colourway.map_or("", |c| c.code.as_str()));
    let id = format!("fw{:08x}", fnv1a(key.as_bytes()));
    let (top, bottom) = (CY - hh * 1.15, CY + hh * 1.05);
    let frame = frame_paint(colour, &id, top, bottom);
    let lens = lens_paint(style.category, colour, &id, top, bottom);
    let rim = rim_width(style.material, style.category);
    let title = escape(&format!("{}, {}: front view", style.name, colour.name));

    let mut svg = String::with_capacity(6 * 1024);
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {vw} {vh}" width="{w}" height="{h}" role="img" aria-labelledby="{id}-title"><title id="{id}-title">{title}</title>"#,
        vw = num(VIEW_WIDTH),
        vh = num(VIEW_HEIGHT),
        w = num(VIEW_WIDTH * DISPLAY_SCALE),
        h = num(VIEW_HEIGHT * DISPLAY_SCALE),
    );
    // Clips for rims drawn over the top of the lens only (semi-rimless, browline brows).
    let brow_line = CY
        - hh * if style.shape == Shape::Browline {
            0.3
        } else {
            0.1
        };
    let _ = write!(
        svg,
        r#"<defs>{}{}<clipPath id="{id}-top"><rect width="{}" height="{}"/></clipPath></defs>"#,
        frame.defs,
        lens.defs,
        num(VIEW_WIDTH),
        num(brow_line)
    );
    let _ = write!(
        svg,
        r##"<rect width="{}" height="{}" fill="#f3f4f6"/><ellipse cx="{}" cy="{}" rx="{}" ry="3" fill="#000" opacity="0.07"/>"##,
        num(VIEW_WIDTH),
        num(VIEW_HEIGHT),
        num(CX),
        num(CY + hh + 13.0),
        num(layout.centre(1) - CX + hw + dims.endpiece)
    );
    temples(&mut svg, &layout, style, &frame, rim);
    bridge(&mut svg, &layout, style, &frame, rim);
    lenses(&mut svg, &layout, &lens);
    rims(&mut svg, &layout, style, &frame, rim, &id);
    glare(&mut svg, &layout, &lens);
    svg.push_str("</svg>");
    svg
}

fn stroke(frame: &FramePaint) -> String {
    if frame.opacity < 1.0 {
        format!(
            r#"stroke="{}" stroke-opacity="{}""#,
            frame.paint,
            num(frame.opacity)
        )
    } else {
        format!(r#"stroke="{}""#, frame.paint)
    }
}

/// End pieces from the rim to the hinge, then the temples receding behind the frame.
fn temples(svg: &mut String, layout: &Layout, style: &Style, frame: &FramePaint, rim: f32) {
    let metal = is_metal(style.material) || style.rim == RimType::Rimless;
    let width = if metal { 1.6 } else { rim };
    let y = CY - layout.hh * 0.45;
    let (temple_x, _) = layout.edges(-0.45);
    // Rimless: the end piece is screwed into the lens a little inside its edge.
    let start = if style.rim == RimType::Rimless {
        temple_x + 2.5
    } else {
        temple_x + width / 2.0
    };
    let hinge = temple_x - layout.dims.endpiece;
    let reach = layout.dims.temple * TEMPLE_FORESHORTENING;
    let paint = stroke(frame);
    for side in [0, 1] {
        let x = |v: f32| if side == 0 { v } else { Layout::mirror(v) };
        let _ = write!(
            svg,
            r#"<path d="M{} {} L{} {} L{} {}" fill="none" {paint} stroke-width="{}" stroke-linecap="round" stroke-linejoin="round" opacity="0.85"/>"#,
            num(x(start)),
            num(y),
            num(x(hinge)),
            num(y),
            num(x(hinge - reach)),
            num(y + reach * 0.35),
            num(width * 0.85)
        );
    }
}

/// The bridge between the lenses: a keyhole saddle in plastic, a fine arch with nose pads
/// in metal, a second bar across the top for aviators. A wrap's shield has none.
fn bridge(svg: &mut String, layout: &Layout, style: &Style, frame: &FramePaint, rim: f32) {
    if style.shape == Shape::Wrap {
        return;
    }
    let paint = stroke(frame);
    let metal = is_metal(style.material) || style.rim == RimType::Rimless;
    let y = CY - layout.hh * 0.45;
    let (_, nose) = layout.edges(-0.45);
    let inset = if style.rim == RimType::Rimless {
        2.5
    } else {
        0.0
    };
    let (left, right) = (nose - inset, Layout::mirror(nose - inset));
    let arch = 2.5 + layout.dims.bridge * 0.18;
    let width = if metal { 1.4 } else { rim * 1.1 };
    let _ = write!(
        svg,
        r#"<path d="M{} {} Q{} {} {} {}" fill="none" {paint} stroke-width="{}" stroke-linecap="round"/>"#,
        num(left),
        num(y),
        num(CX),
        num(y - arch),
        num(right),
        num(y),
        num(width)
    );
    if style.shape == Shape::Aviator {
        let bar_y = CY - layout.hh * 0.9;
        let (_, bar_nose) = layout.edges(-0.9);
        let _ = write!(
            svg,
            r#"<path d="M{} {} L{} {}" fill="none" {paint} stroke-width="{}" stroke-linecap="round"/>"#,
            num(bar_nose - 1.0),
            num(bar_y),
            num(Layout::mirror(bar_nose - 1.0)),
            num(bar_y),
            num(width.min(1.6))
        );
    }
    if metal {
        // Nose pads on their arms, below the bridge.
        for side in [0, 1] {
            let x = |v: f32| if side == 0 { v } else { Layout::mirror(v) };
            let pad_x = CX - layout.dims.bridge / 2.0 - 1.2;
            let pad_y = CY + layout.hh * 0.05;
            let _ = write!(
                svg,
                r##"<path d="M{} {} L{} {}" stroke="#9aa4ae" stroke-width="0.6" fill="none"/><ellipse cx="{}" cy="{}" rx="1.7" ry="3.2" fill="#ffffff" fill-opacity="0.6" stroke="#aab3bc" stroke-width="0.4"/>"##,
                num(x(CX - layout.dims.bridge * 0.3)),
                num(y - arch * 0.4),
                num(x(pad_x)),
                num(pad_y - 2.5),
                num(x(pad_x)),
                num(pad_y)
            );
        }
    }
}

fn lenses(svg: &mut String, layout: &Layout, lens: &LensPaint) {
    for side in [0, 1] {
        let _ = write!(
            svg,
            r#"<path d="{}" fill="{}" fill-opacity="{}"/>"#,
            layout.lens_path(side),
            lens.fill,
            num(lens.opacity)
        );
    }
}

/// Rims by rim type: all round (full), over the top with a nylon thread below
/// (semi-rimless), or none with the lens edge and its mounting screws (rimless). A
/// browline's brow is heavy above a fine metal rim.
fn rims(svg: &mut String, layout: &Layout, style: &Style, frame: &FramePaint, rim: f32, id: &str) {
    let paint = stroke(frame);
    let browline = style.shape == Shape::Browline;
    for side in [0, 1] {
        let d = layout.lens_path(side);
        match style.rim {
            RimType::Full if !browline => {
                let _ = write!(
                    svg,
                    r#"<path d="{d}" fill="none" {paint} stroke-width="{}" stroke-linejoin="round"/>"#,
                    num(rim)
                );
            }
            RimType::Full | RimType::SemiRimless => {
                let (lower, lower_width) = if style.rim == RimType::Full {
                    (frame.metal_line.as_str(), 1.0)
                } else {
                    ("#9ba5ae", 0.5)
                };
                // A browline's brow is a bold bar whatever the rest is made of.
                let brow = if browline { rim.max(3.5) * 1.3 } else { rim };
                let _ = write!(
                    svg,
                    r#"<path d="{d}" fill="none" stroke="{lower}" stroke-width="{}"/><path d="{d}" fill="none" {paint} stroke-width="{}" stroke-linejoin="round" clip-path="url(#{id}-top)"/>"#,
                    num(lower_width),
                    num(brow)
                );
            }
            RimType::Rimless => {
                let _ = write!(
                    svg,
                    r##"<path d="{d}" fill="none" stroke="#aeb8c2" stroke-width="0.5"/>"##
                );
            }
        }
        if frame.glossy && style.rim != RimType::Rimless {
            let _ = write!(
                svg,
                r##"<path d="{d}" fill="none" stroke="#ffffff" stroke-opacity="0.35" stroke-width="{}" clip-path="url(#{id}-top)" transform="translate(0 -{})"/>"##,
                num((rim * 0.25).max(0.4)),
                num(rim * 0.2)
            );
        }
    }
    if style.rim == RimType::Rimless {
        let y = CY - layout.hh * 0.45;
        let (temple, nose) = layout.edges(-0.45);
        for x in [temple + 2.5, nose - 2.5] {
            for x in [x, Layout::mirror(x)] {
                let _ = write!(
                    svg,
                    r#"<circle cx="{}" cy="{}" r="1.1" fill="{}"/>"#,
                    num(x),
                    num(y),
                    frame.metal_line
                );
            }
        }
    }
}

/// A soft reflection across each lens.
fn glare(svg: &mut String, layout: &Layout, lens: &LensPaint) {
    for side in [0, 1] {
        let at = |x: f32, y: f32| layout.place(side, pt(x * layout.hw, y * layout.hh));
        let (a, c, b) = (at(-0.5, -0.3), at(-0.25, -0.62), at(0.15, -0.6));
        let _ = write!(
            svg,
            r##"<path d="M{} {} Q{} {} {} {}" fill="none" stroke="#ffffff" stroke-opacity="{}" stroke-width="1.6" stroke-linecap="round"/>"##,
            num(a.x),
            num(a.y),
            num(c.x),
            num(c.y),
            num(b.x),
            num(b.y),
            num(lens.glare)
        );
    }
}

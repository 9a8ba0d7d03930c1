//! Frame pictures drawn from catalogue data: a front view of a style in one colourway as
//! SVG ([`frame_svg`]), rasterised to PNG where a client needs pixels ([`rasterise_png`]).
//!
//! The drawing is a pure function of the style (shape, rim, material, category), the
//! colourway's [`crate::domain::FrameColour`] and the boxing measurements of its first size,
//! so the same data always gives the same bytes (and ETag), and no picture is ever missing.
//! One SVG unit is one millimetre: a 44 mm child's frame is drawn smaller than a 62 mm wrap.
//!
//! - `outline`: the lens outline of each [`crate::domain::Shape`], in millimetres;
//! - `paint`: the frame colour (family, value, finish, pattern) and the lens tint;
//! - `frame_svg`: assembles the rims, bridge, end pieces, temples and lenses;
//! - `png`: rasterisation with resvg.

mod frame_svg;
mod outline;
mod paint;
mod png;
#[cfg(test)]
mod tests;

pub use frame_svg::{frame_svg, VIEW_HEIGHT, VIEW_WIDTH};
pub use png::{rasterise_png, RenderError, PNG_WIDTH};

/// The `#rrggbb` the pictures paint a frame colour with (family shade, lighter or darker by
/// value), for swatches beside them.
pub fn swatch_hex(colour: &crate::domain::FrameColour) -> String {
    paint::base_colour(colour).hex()
}

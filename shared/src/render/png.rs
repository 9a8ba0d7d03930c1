//! SVG to PNG with resvg (pure Rust). The drawings carry no text, so no fonts are loaded.

use std::ops::RangeInclusive;

use resvg::{tiny_skia, usvg};

/// Widths in pixels a PNG may be asked for: a thumbnail to a large product image.
pub const PNG_WIDTH: RangeInclusive<u32> = 64..=1200;

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("width {0} is outside {start}..={end} pixels", start = PNG_WIDTH.start(), end = PNG_WIDTH.end())]
    Width(u32),
    #[error("the SVG does not parse: {0}")]
    Svg(String),
    #[error("the PNG could not be made: {0}")]
    Png(String),
}

/// `svg` rasterised `width` pixels wide (the height keeps its aspect ratio), as PNG bytes.
pub fn rasterise_png(svg: &str, width: u32) -> Result<Vec<u8>, RenderError> {
    if !PNG_WIDTH.contains(&width) {
        return Err(RenderError::Width(width));
    }
    let tree = usvg::Tree::from_str(svg, &usvg::Options::default())
        .map_err(|e| RenderError::Svg(e.to_string()))?;
    let size = tree.size();
    let scale = width as f32 / size.width();
    let height = (size.height() * scale).round().max(1.0) as u32;
    let mut pixmap = tiny_skia::Pixmap::new(width, height)
        .ok_or_else(|| RenderError::Png(format!("no {width}x{height} canvas")))?;
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| RenderError::Png(e.to_string()))
}

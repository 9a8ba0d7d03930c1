//! Product images beside a feed file: `DIR/<colourway code>.jpg` (or `.jpeg`, `.png`),
//! read for the colourways of the styles being imported.

use std::path::Path;

use crate::domain::Style;

use super::ImportError;

/// Extensions tried for a colourway's picture, in this order.
pub const COLOURWAY_IMAGE_EXTENSIONS: [&str; 3] = ["jpg", "jpeg", "png"];

/// The picture bytes of every colourway of `styles` found in `dir`, by colourway code.
/// A colourway without a file is simply absent; a file that cannot be read is an error
/// naming it. (Whether the bytes are an image is for the analysis to say, per colourway.)
pub fn read_colourway_images(
    dir: &Path,
    styles: &[Style],
) -> Result<std::collections::HashMap<String, Vec<u8>>, ImportError> {
    let mut images = std::collections::HashMap::new();
    if !dir.is_dir() {
        return Err(ImportError::Io {
            path: dir.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a directory"),
        });
    }
    for code in styles.iter().flat_map(|s| &s.colourways).map(|c| &c.code) {
        if images.contains_key(code) {
            continue;
        }
        for extension in COLOURWAY_IMAGE_EXTENSIONS {
            let path = dir.join(format!("{code}.{extension}"));
            match std::fs::read(&path) {
                Ok(bytes) => {
                    images.insert(code.clone(), bytes);
                    break;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(source) => return Err(ImportError::Io { path, source }),
            }
        }
    }
    Ok(images)
}

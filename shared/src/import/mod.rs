//! Import and export file formats: JSON Lines for the catalogue and customers (one
//! `Style` or `Customer` per line), CSV for interaction history
//! (`customer_id,style_id,kind,timestamp`, in `interactions.rs`). Readers validate every
//! record and stop at the first bad one with an error naming the file, the 1-based line and
//! the field.

// Shop exports (Shopify orders and products, generic order lines) -> signals and styles.
pub mod connectors;
mod images;
mod interactions;
// Lens price lists (JSON, JSON Lines, CSV) for bundles.
mod lens_prices;

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::domain::{Customer, Style};
use crate::error::ValidationErrors;
pub use images::{read_colourway_images, COLOURWAY_IMAGE_EXTENSIONS};
pub use interactions::{
    group_by_subject, interaction_event_id, interactions_to_signals, read_interactions_csv,
    write_interactions_csv, Interaction, InteractionChunks, INTERACTIONS_HEADER,
};
pub use lens_prices::{parse_lens_prices, read_lens_prices, LENS_PRICES_CSV_HEADER};

/// A file that could not be read, parsed or written. Every variant names the file, and
/// record-level variants the 1-based line, so an operator can fix the input.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be opened, read or written.
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The line is not well-formed (bad JSON, wrong type, missing CSV column...).
    #[error("{}:{line}: {message}", .path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// The record parsed but failed domain validation.
    #[error("{}:{line}: {errors}", .path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        errors: ValidationErrors,
    },
    /// Two records share an id, so one would silently replace the other.
    #[error("{}:{line}: duplicate id '{id}' (first on line {first_line})", .path.display())]
    Duplicate {
        path: PathBuf,
        line: usize,
        id: String,
        first_line: usize,
    },
}

impl ImportError {
    /// The 1-based line of a record-level error.
    pub fn line(&self) -> Option<usize> {
        match self {
            Self::Io { .. } => None,
            Self::Parse { line, .. }
            | Self::Invalid { line, .. }
            | Self::Duplicate { line, .. } => Some(*line),
        }
    }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> ImportError + '_ {
    move |source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Reads a catalogue: one `Style` per line, each validated; ids must be unique.
pub fn read_catalog_jsonl(path: &Path) -> Result<Vec<Style>, ImportError> {
    read_validated(path, Style::validate, |s: &Style| s.id.clone())
}

/// Reads customer profiles: one `Customer` per line, each validated; ids must be unique.
pub fn read_customers_jsonl(path: &Path) -> Result<Vec<Customer>, ImportError> {
    read_validated(path, Customer::validate, |c: &Customer| c.id.clone())
}

/// Parses a catalogue already in memory (a feed object fetched from S3), with the same
/// validation as [`read_catalog_jsonl`]; errors name `source` (e.g. the object key) as the file.
pub fn parse_catalog_jsonl(source: &str, bytes: &[u8]) -> Result<Vec<Style>, ImportError> {
    let path = Path::new(source);
    let reader = BufReader::new(bytes);
    validated_lines(path, reader, Style::validate, |s: &Style| s.id.clone())
}

/// Parses customer profiles already in memory, with the same validation as
/// [`read_customers_jsonl`]; errors name `source` as the file.
pub fn parse_customers_jsonl(source: &str, bytes: &[u8]) -> Result<Vec<Customer>, ImportError> {
    let path = Path::new(source);
    let reader = BufReader::new(bytes);
    validated_lines(path, reader, Customer::validate, |c: &Customer| {
        c.id.clone()
    })
}

fn read_validated<T: DeserializeOwned>(
    path: &Path,
    validate: impl Fn(&T) -> Result<(), ValidationErrors>,
    id: impl Fn(&T) -> String,
) -> Result<Vec<T>, ImportError> {
    let reader = BufReader::new(File::open(path).map_err(io_error(path))?);
    validated_lines(path, reader, validate, id)
}

fn validated_lines<T: DeserializeOwned>(
    path: &Path,
    reader: impl BufRead,
    validate: impl Fn(&T) -> Result<(), ValidationErrors>,
    id: impl Fn(&T) -> String,
) -> Result<Vec<T>, ImportError> {
    let mut first_seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    json_lines(path, reader, |line, item: T| {
        validate(&item).map_err(|errors| ImportError::Invalid {
            path: path.to_path_buf(),
            line,
            errors,
        })?;
        let key = id(&item);
        if let Some(&first_line) = first_seen.get(&key) {
            return Err(ImportError::Duplicate {
                path: path.to_path_buf(),
                line,
                id: key,
                first_line,
            });
        }
        first_seen.insert(key, line);
        out.push(item);
        Ok(())
    })?;
    Ok(out)
}

/// Reads any JSON Lines file without domain validation (e.g. `tastes.jsonl`).
pub fn read_jsonl<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, ImportError> {
    let mut out = Vec::new();
    for_each_json_line(path, |_, item| {
        out.push(item);
        Ok(())
    })?;
    Ok(out)
}

/// Parses each non-blank line and hands it to `f` with its 1-based line number.
fn for_each_json_line<T: DeserializeOwned>(
    path: &Path,
    f: impl FnMut(usize, T) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let reader = BufReader::new(File::open(path).map_err(io_error(path))?);
    json_lines(path, reader, f)
}

/// [`for_each_json_line`] over any reader; `path` only names the source in errors.
fn json_lines<T: DeserializeOwned>(
    path: &Path,
    reader: impl BufRead,
    mut f: impl FnMut(usize, T) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    for (index, text) in reader.lines().enumerate() {
        let text = text.map_err(io_error(path))?;
        let line = index + 1;
        let text = if line == 1 {
            text.trim_start_matches('\u{feff}')
        } else {
            &text
        };
        if text.trim().is_empty() {
            continue;
        }
        let item = parse_json(text).map_err(|message| ImportError::Parse {
            path: path.to_path_buf(),
            line,
            message,
        })?;
        f(line, item)?;
    }
    Ok(())
}

/// Deserialises one JSON document; the error names the field path when there is one.
fn parse_json<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let mut de = serde_json::Deserializer::from_str(text);
    let item = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        let message = describe_json_error(&inner);
        if field.is_empty() || field == "." {
            message
        } else {
            format!("{field}: {message}")
        }
    })?;
    de.end().map_err(|e| describe_json_error(&e))?;
    Ok(item)
}

/// serde_json's message with "line 1" (always, since each record is one line) replaced
/// by the column.
fn describe_json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let message = text
        .rfind(" at line ")
        .map_or(text.as_str(), |i| &text[..i]);
    format!("{message} (column {})", e.column())
}

/// Writes one JSON document per line.
pub fn write_jsonl<T: Serialize>(path: &Path, items: &[T]) -> Result<(), ImportError> {
    let file = File::create(path).map_err(io_error(path))?;
    let mut writer = BufWriter::new(file);
    for item in items {
        serde_json::to_writer(&mut writer, item)
            .map_err(|e| io_error(path)(std::io::Error::from(e)))?;
        writer.write_all(b"\n").map_err(io_error(path))?;
    }
    writer.flush().map_err(io_error(path))
}

/// A CSV reader's error as an import error: I/O as such, the rest as a parse error at
/// its 1-based line.
fn csv_error(path: &Path, e: csv::Error) -> ImportError {
    let line = e
        .position()
        .map_or(1, |p| usize::try_from(p.line()).unwrap_or(usize::MAX));
    if e.is_io_error() {
        return ImportError::Io {
            path: path.to_path_buf(),
            source: e.into(),
        };
    }
    ImportError::Parse {
        path: path.to_path_buf(),
        line,
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests;

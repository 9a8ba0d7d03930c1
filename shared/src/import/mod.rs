//! Import and export file formats: JSON Lines for the catalogue and customers (one
//! `Style` or `Customer` per line), CSV for interaction history
//! (`customer_id,style_id,kind,timestamp`). Readers validate every record and stop at the
//! first bad one with an error naming the file, the 1-based line and the field.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::domain::{validate_id, Customer, Signal, SignalKind, Style};
use crate::error::{FieldError, ValidationErrors};

/// One historical interaction as read from and written to `interactions.csv`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interaction {
    pub customer_id: String,
    pub style_id: String,
    pub kind: SignalKind,
    pub timestamp: DateTime<Utc>,
}

/// Header of the interactions CSV, in the order the writer uses.
pub const INTERACTIONS_HEADER: [&str; 4] = ["customer_id", "style_id", "kind", "timestamp"];

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

/// Reads interaction history. The header must name `customer_id`, `style_id`, `kind` and
/// `timestamp` (any order; extra columns are ignored). Each row becomes a `Signal` with a
/// deterministic `event_id` (see [`interaction_event_id`]), so importing the same file
/// twice applies nothing new.
pub fn read_interactions_csv(path: &Path) -> Result<Vec<Signal>, ImportError> {
    let file = File::open(path).map_err(io_error(path))?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(BufReader::new(file));
    let headers = reader.headers().map_err(|e| csv_error(path, e))?.clone();
    let mut columns = [0usize; 4];
    for (slot, name) in columns.iter_mut().zip(INTERACTIONS_HEADER) {
        *slot = headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == name)
            .ok_or_else(|| ImportError::Parse {
                path: path.to_path_buf(),
                line: 1,
                message: format!(
                    "missing column '{name}': the header must name {}",
                    INTERACTIONS_HEADER.join(",")
                ),
            })?;
    }
    let now = Utc::now();
    let mut signals = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(path, e))?;
        let line = record
            .position()
            .map_or(0, |p| usize::try_from(p.line()).unwrap_or(usize::MAX));
        let [customer_id, style_id, kind, timestamp] = columns.map(|i| record.get(i).unwrap_or(""));
        let interaction =
            parse_interaction(customer_id, style_id, kind, timestamp, now).map_err(|errors| {
                ImportError::Invalid {
                    path: path.to_path_buf(),
                    line,
                    errors,
                }
            })?;
        signals.push(to_signal(&interaction));
    }
    Ok(signals)
}

fn parse_interaction(
    customer_id: &str,
    style_id: &str,
    kind: &str,
    timestamp: &str,
    now: DateTime<Utc>,
) -> Result<Interaction, ValidationErrors> {
    let mut errors = Vec::new();
    for (field, value) in [("customer_id", customer_id), ("style_id", style_id)] {
        if let Err(message) = validate_id(value) {
            errors.push(FieldError::new(field, message));
        }
    }
    let parsed_kind = SignalKind::parse(kind);
    if parsed_kind.is_none() {
        let expected: Vec<&str> = SignalKind::ALL.iter().map(|k| k.as_str()).collect();
        errors.push(FieldError::new(
            "kind",
            format!(
                "unknown kind '{kind}'; expected one of {}",
                expected.join(", ")
            ),
        ));
    }
    let parsed_time = match DateTime::parse_from_rfc3339(timestamp) {
        Ok(t) if t.with_timezone(&Utc) > now => {
            errors.push(FieldError::new("timestamp", "must not be in the future"));
            None
        }
        Ok(t) => Some(t.with_timezone(&Utc)),
        Err(e) => {
            errors.push(FieldError::new(
                "timestamp",
                format!(
                    "'{timestamp}' is not an RFC 3339 date-time such as 2025-06-01T12:00:00Z ({e})"
                ),
            ));
            None
        }
    };
    match (parsed_kind, parsed_time) {
        (Some(kind), Some(timestamp)) if errors.is_empty() => Ok(Interaction {
            customer_id: customer_id.to_string(),
            style_id: style_id.to_string(),
            kind,
            timestamp,
        }),
        _ => Err(ValidationErrors(errors)),
    }
}

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

/// Deterministic event id of an imported interaction: `imp-` and a 64-bit FNV-1a hash of
/// customer, style, kind and the normalised UTC timestamp. The same row always gets the
/// same id, so a re-import (or the demo loader and a CSV import of the same data) is
/// deduplicated by the signal store.
pub fn interaction_event_id(
    customer_id: &str,
    style_id: &str,
    kind: SignalKind,
    timestamp: DateTime<Utc>,
) -> String {
    let time = timestamp.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    let mut hash = Fnv1a::new();
    for part in [customer_id, style_id, kind.as_str(), time.as_str()] {
        hash.write(part.as_bytes());
        hash.write(&[0x1f]);
    }
    format!("imp-{:016x}", hash.0)
}

/// 64-bit FNV-1a: tiny, stable across runs and platforms (unlike `DefaultHasher`).
struct Fnv1a(u64);

impl Fnv1a {
    fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

fn to_signal(i: &Interaction) -> Signal {
    Signal {
        event_id: interaction_event_id(&i.customer_id, &i.style_id, i.kind, i.timestamp),
        customer_id: Some(i.customer_id.clone()),
        session_id: None,
        kind: i.kind,
        style_id: i.style_id.clone(),
        sku: None,
        timestamp: i.timestamp,
        recommendation_id: None,
        placement: None,
        context: None,
    }
}

/// Converts generated interactions to signals exactly as [`read_interactions_csv`] would,
/// so loading demo data directly and importing its CSV give the same event ids.
pub fn interactions_to_signals(interactions: &[Interaction]) -> Vec<Signal> {
    interactions.iter().map(to_signal).collect()
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

/// Writes interactions as CSV with the [`INTERACTIONS_HEADER`] and RFC 3339 UTC times.
pub fn write_interactions_csv(
    path: &Path,
    interactions: &[Interaction],
) -> Result<(), ImportError> {
    let file = File::create(path).map_err(io_error(path))?;
    let mut writer = csv::Writer::from_writer(BufWriter::new(file));
    let to_io = |e: csv::Error| io_error(path)(std::io::Error::from(e));
    writer.write_record(INTERACTIONS_HEADER).map_err(to_io)?;
    for i in interactions {
        let time = i.timestamp.to_rfc3339_opts(SecondsFormat::AutoSi, true);
        writer
            .write_record([
                i.customer_id.as_str(),
                i.style_id.as_str(),
                i.kind.as_str(),
                time.as_str(),
            ])
            .map_err(to_io)?;
    }
    writer.flush().map_err(io_error(path))
}

#[cfg(test)]
mod tests;

//! Interaction history as CSV (`customer_id,style_id,kind,timestamp`): read whole or in
//! chunks of signals with deterministic event ids, written back by the demo generator.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::{csv_error, io_error, ImportError};
use crate::domain::{validate_id, Signal, SignalKind};
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

/// Reads interaction history. The header must name `customer_id`, `style_id`, `kind` and
/// `timestamp` (any order; extra columns are ignored). Each row becomes a `Signal` with a
/// deterministic `event_id` (see [`interaction_event_id`]), so importing the same file
/// twice applies nothing new. Large files are better read with [`InteractionChunks`].
pub fn read_interactions_csv(path: &Path) -> Result<Vec<Signal>, ImportError> {
    let mut signals = Vec::new();
    for chunk in InteractionChunks::open(path, usize::MAX)? {
        signals.extend(chunk?);
    }
    Ok(signals)
}

/// The rows of an interactions file as signals, at most `chunk_rows` at a time, so a long
/// history never sits whole in memory and a store can apply each chunk in one transaction.
/// Rows are checked as by [`read_interactions_csv`]; the first bad one ends the iteration
/// with its error (file, line, field).
pub struct InteractionChunks {
    path: PathBuf,
    reader: csv::Reader<BufReader<File>>,
    /// Positions of `INTERACTIONS_HEADER`'s columns in the file's header.
    columns: [usize; 4],
    record: csv::StringRecord,
    chunk_rows: usize,
    /// Timestamps after this are refused (no events from the future).
    now: DateTime<Utc>,
    finished: bool,
}

impl InteractionChunks {
    /// Opens `path` and reads its header; fails if a required column is missing.
    pub fn open(path: &Path, chunk_rows: usize) -> Result<Self, ImportError> {
        let file = File::open(path).map_err(io_error(path))?;
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(BufReader::with_capacity(1 << 20, file));
        let headers = reader.headers().map_err(|e| csv_error(path, e))?;
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
        Ok(Self {
            path: path.to_path_buf(),
            reader,
            columns,
            record: csv::StringRecord::new(),
            chunk_rows: chunk_rows.max(1),
            now: Utc::now(),
            finished: false,
        })
    }

    /// Bytes of the file read so far, to show progress against its length.
    pub fn bytes_read(&self) -> u64 {
        self.reader.position().byte()
    }

    /// The signal of the row in `self.record`.
    fn current_signal(&self) -> Result<Signal, ImportError> {
        let line = self
            .record
            .position()
            .map_or(0, |p| usize::try_from(p.line()).unwrap_or(usize::MAX));
        let [customer_id, style_id, kind, timestamp] =
            self.columns.map(|i| self.record.get(i).unwrap_or(""));
        parse_interaction(customer_id, style_id, kind, timestamp, self.now)
            .map(into_signal)
            .map_err(|errors| ImportError::Invalid {
                path: self.path.clone(),
                line,
                errors,
            })
    }
}

impl Iterator for InteractionChunks {
    type Item = Result<Vec<Signal>, ImportError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        let mut chunk = Vec::with_capacity(self.chunk_rows.min(1 << 16));
        while chunk.len() < self.chunk_rows {
            let row = match self.reader.read_record(&mut self.record) {
                Ok(true) => self.current_signal(),
                Ok(false) => {
                    self.finished = true;
                    break;
                }
                Err(e) => Err(csv_error(&self.path, e)),
            };
            match row {
                Ok(signal) => chunk.push(signal),
                Err(e) => {
                    self.finished = true;
                    return Some(Err(e));
                }
            }
        }
        (!chunk.is_empty()).then_some(Ok(chunk))
    }
}

/// Orders signals by subject (customer, else session), keeping each subject's signals in
/// their original order. Applying them in this order changes nothing in the result, since
/// only a subject's own order matters (its history, first engagements and their pairs),
/// but a store then writes each subject's records together instead of all over its tables:
/// the bulk of the speed of a large import.
pub fn group_by_subject(signals: &mut [Signal]) {
    fn subject(s: &Signal) -> (u8, &str) {
        match (&s.customer_id, &s.session_id) {
            (Some(customer), _) => (0, customer),
            (None, Some(session)) => (1, session),
            (None, None) => (2, ""),
        }
    }
    // A stable sort (equal subjects keep their order) of the keys alone, then one move per
    // signal: sorting the signals themselves moved each large struct ~log n times.
    signals.sort_by_cached_key(|s| {
        let (class, id) = subject(s);
        (class, id.to_string())
    });
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

/// The signal of an interaction read from a file (its strings moved, not copied).
fn into_signal(i: Interaction) -> Signal {
    Signal {
        event_id: interaction_event_id(&i.customer_id, &i.style_id, i.kind, i.timestamp),
        customer_id: Some(i.customer_id),
        session_id: None,
        kind: i.kind,
        style_id: i.style_id,
        sku: None,
        timestamp: i.timestamp,
        recommendation_id: None,
        placement: None,
        context: None,
        price_cents: None,
        quantity: None,
        order_id: None,
        rating: None,
        position: None,
        comment: None,
    }
}

fn to_signal(i: &Interaction) -> Signal {
    into_signal(i.clone())
}

/// Converts generated interactions to signals exactly as [`read_interactions_csv`] would,
/// so loading demo data directly and importing its CSV give the same event ids.
pub fn interactions_to_signals(interactions: &[Interaction]) -> Vec<Signal> {
    interactions.iter().map(to_signal).collect()
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

//! A CSV export held in memory with its header: columns found by name (any order, case and
//! surrounding spaces ignored), each row with its 1-based line, errors naming line and column.

use std::path::{Path, PathBuf};

use crate::error::ValidationErrors;
use crate::import::{csv_error, ImportError};

/// The rows of one export. Shop exports are small next to interaction histories (thousands
/// of orders, not millions of events), so they are read whole.
pub(super) struct Table {
    path: PathBuf,
    /// Header names as written (first cell without a byte-order mark), for messages.
    headers: Vec<String>,
    rows: Vec<Row>,
}

/// One data row with the line it starts on.
pub(super) struct Row {
    pub line: usize,
    record: csv::StringRecord,
}

/// A column of the header, by position, with its name as the file spells it.
#[derive(Debug, Clone)]
pub(super) struct Column {
    index: usize,
    pub name: String,
}

impl Table {
    /// Parses `bytes` (a whole CSV file with a header row); `source` names it in errors.
    /// Rows with a different number of cells than the header are refused with their line.
    pub fn parse(source: &str, bytes: &[u8]) -> Result<Self, ImportError> {
        let path = PathBuf::from(source);
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(bytes);
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| csv_error(&path, e))?
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let h = if i == 0 {
                    h.trim_start_matches('\u{feff}')
                } else {
                    h
                };
                h.trim().to_string()
            })
            .collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| csv_error(&path, e))?;
            if record.iter().all(str::is_empty) {
                continue;
            }
            let line = record
                .position()
                .map_or(0, |p| usize::try_from(p.line()).unwrap_or(usize::MAX));
            rows.push(Row { line, record });
        }
        Ok(Self {
            path,
            headers,
            rows,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// The column whose header is `name` (case-insensitive), if the file has one.
    pub fn column(&self, name: &str) -> Option<Column> {
        self.headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
            .map(|index| Column {
                index,
                name: self.headers[index].clone(),
            })
    }

    /// The first of `names` the header holds.
    pub fn any_column(&self, names: &[&str]) -> Option<Column> {
        names.iter().find_map(|name| self.column(name))
    }

    /// A column the format needs: a missing one is an error on line 1 saying which.
    pub fn require(&self, name: &str, format: &str) -> Result<Column, ImportError> {
        self.column(name)
            .ok_or_else(|| self.missing(&format!("'{name}'"), format))
    }

    /// The error of a header without `what` (quoted column names), on line 1.
    pub fn missing(&self, what: &str, format: &str) -> ImportError {
        ImportError::Parse {
            path: self.path.clone(),
            line: 1,
            message: format!("missing column {what}: not a {format}"),
        }
    }

    /// An error about one cell of `row`: the file, the row's line and the column's name.
    pub fn invalid(&self, row: &Row, column: &str, message: impl Into<String>) -> ImportError {
        ImportError::Invalid {
            path: self.path.clone(),
            line: row.line,
            errors: ValidationErrors::single(column, message),
        }
    }
}

impl Row {
    /// The trimmed cell of `column` ("" when the file has no such column).
    pub fn get<'a>(&'a self, column: Option<&Column>) -> &'a str {
        column.and_then(|c| self.record.get(c.index)).unwrap_or("")
    }

    /// The cell of a column the file is known to have.
    pub fn cell<'a>(&'a self, column: &Column) -> &'a str {
        self.record.get(column.index).unwrap_or("")
    }
}

/// Reads a whole file for [`Table::parse`].
pub(super) fn read_file(path: &Path) -> Result<Vec<u8>, ImportError> {
    std::fs::read(path).map_err(|source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    })
}

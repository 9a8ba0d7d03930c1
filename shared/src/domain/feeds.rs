//! Social feeds: trend feeds (styles or frame attributes that are trending now, each with a
//! weight) and influencer collections (named lists of styles a curator picked). Both are
//! files an editor drops where the deployment reads them (`feeds/trends/`,
//! `feeds/collections/`); this module parses and validates them. How they lift lists is the
//! engine's business (`engine::feeds`).
//!
//! Trend feed, JSON:
//! `{"published_at": "2026-11-30T09:00:00Z", "entries": [{"kind": "shape", "value":
//! "cat_eye", "weight": 0.9}]}` (an entry may carry its own `published_at`).
//! Trend feed, CSV: the header `kind,value,weight,published_at`, one entry a line.
//! Collection, JSON: `{"id", "curator", "title", "style_ids": [...], "published_at"}`, one
//! object or an array of them per file.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::catalog::{validate_id, ColourFamily, Material, RimType, Shape};

/// Entries one trend file may hold, and styles one collection may name.
pub const MAX_TREND_ENTRIES: usize = 1_000;
pub const MAX_COLLECTION_STYLES: usize = 100;

/// What a trend entry names: one style, or every style with a frame attribute or tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrendTarget {
    Style(String),
    Shape(Shape),
    Colour(ColourFamily),
    Material(Material),
    Rim(RimType),
    /// Matched case-insensitively.
    Brand(String),
    /// A catalogue tag such as `polarized` or `lightweight`.
    Tag(String),
}

/// One trending style or style attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendEntry {
    pub target: TrendTarget,
    /// How strongly it trends, in [0, 1], when published (it decays from there).
    pub weight: f32,
    pub published_at: DateTime<Utc>,
}

/// A named list of styles picked by a curator ("Inspired by NAME").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InfluencerCollection {
    pub id: String,
    /// The curator's display name.
    pub curator: String,
    pub title: String,
    pub style_ids: Vec<String>,
    pub published_at: DateTime<Utc>,
}

/// A feed file that could not be used, and why; the other files are used regardless.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedFeed {
    /// The file name or object key.
    pub source: String,
    pub error: String,
}

/// Every trend entry and collection published right now.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Feeds {
    pub trends: Vec<TrendEntry>,
    pub collections: Vec<InfluencerCollection>,
    /// Files left out because they did not parse.
    pub skipped: Vec<SkippedFeed>,
}

impl Feeds {
    pub fn is_empty(&self) -> bool {
        self.trends.is_empty() && self.collections.is_empty()
    }

    /// Adds one trend file by its name (`.json` or `.csv`); a file that does not parse is
    /// recorded in `skipped` instead. Other extensions are ignored (a README beside them).
    pub fn add_trend_file(&mut self, name: &str, bytes: &[u8]) {
        let parsed = match extension(name).as_deref() {
            Some("json") => parse_trend_json(bytes),
            Some("csv") => parse_trend_csv(bytes),
            _ => return,
        };
        match parsed {
            Ok(entries) => self.trends.extend(entries),
            Err(e) => self.skip(name, e),
        }
    }

    /// Adds one collections file (`.json`); see [`Feeds::add_trend_file`].
    pub fn add_collection_file(&mut self, name: &str, bytes: &[u8]) {
        if extension(name).as_deref() != Some("json") {
            return;
        }
        match parse_collections_json(bytes) {
            Ok(collections) => self.collections.extend(collections),
            Err(e) => self.skip(name, e),
        }
    }

    fn skip(&mut self, name: &str, error: FeedError) {
        self.skipped.push(SkippedFeed {
            source: name.to_string(),
            error: error.to_string(),
        });
    }
}

fn extension(name: &str) -> Option<String> {
    let (_, ext) = name.rsplit_once('.')?;
    Some(ext.to_ascii_lowercase())
}

/// A feed file that does not parse: where (a JSON path or a CSV line), which field, why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: `{field}` {message}")]
pub struct FeedError {
    /// `entries[2]`, `line 4` or `document`.
    pub location: String,
    pub field: String,
    pub message: String,
}

impl FeedError {
    fn new(location: impl Into<String>, field: &str, message: impl Into<String>) -> Self {
        Self {
            location: location.into(),
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// The kinds a trend entry's `kind` names.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum TrendKind {
    Style,
    Shape,
    Colour,
    Material,
    Rim,
    Brand,
    Tag,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrendFeed {
    published_at: DateTime<Utc>,
    entries: Vec<RawTrendEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrendEntry {
    kind: TrendKind,
    value: String,
    weight: f32,
    #[serde(default)]
    published_at: Option<DateTime<Utc>>,
}

/// Splits a `serde_path_to_error` path (`entries[2].weight`) into location and field.
fn path_error<E: std::fmt::Display>(error: serde_path_to_error::Error<E>) -> FeedError {
    let path = error.path().to_string();
    let message = error.into_inner().to_string();
    match path.rsplit_once('.') {
        Some((location, field)) => FeedError::new(location, field, message),
        None if path == "." || path.is_empty() => FeedError::new("document", "", message),
        None => FeedError::new("document", &path, message),
    }
}

/// Parses a JSON trend feed.
pub fn parse_trend_json(bytes: &[u8]) -> Result<Vec<TrendEntry>, FeedError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let raw: RawTrendFeed = serde_path_to_error::deserialize(de).map_err(path_error)?;
    check_count(raw.entries.len(), "document")?;
    raw.entries
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            let published_at = e.published_at.unwrap_or(raw.published_at);
            entry(e, published_at, &format!("entries[{i}]"))
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CsvRow {
    kind: TrendKind,
    value: String,
    weight: f32,
    published_at: DateTime<Utc>,
}

/// Parses a CSV trend feed (header `kind,value,weight,published_at`).
pub fn parse_trend_csv(bytes: &[u8]) -> Result<Vec<TrendEntry>, FeedError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| FeedError::new("line 1", "header", e.to_string()))?
        .clone();
    for wanted in ["kind", "value", "weight", "published_at"] {
        if !headers.iter().any(|h| h == wanted) {
            return Err(FeedError::new("line 1", wanted, "column is missing"));
        }
    }
    let mut entries = Vec::new();
    for (i, row) in reader.deserialize::<CsvRow>().enumerate() {
        // Line 1 is the header; a record error knows its own line.
        let line = i + 2;
        let row = row.map_err(|e| csv_error(&e, &headers, line))?;
        let location = format!("line {line}");
        check_count(entries.len() + 1, &location)?;
        let raw = RawTrendEntry {
            kind: row.kind,
            value: row.value,
            weight: row.weight,
            published_at: None,
        };
        entries.push(entry(raw, row.published_at, &location)?);
    }
    Ok(entries)
}

fn csv_error(error: &csv::Error, headers: &csv::StringRecord, line: usize) -> FeedError {
    let line = error
        .position()
        .map_or(line, |p| usize::try_from(p.line()).unwrap_or(line));
    let field = match error.kind() {
        csv::ErrorKind::Deserialize { err, .. } => err
            .field()
            .and_then(|f| headers.get(usize::try_from(f).ok()?))
            .unwrap_or("row"),
        _ => "row",
    };
    let message = match error.kind() {
        csv::ErrorKind::Deserialize { err, .. } => err.kind().to_string(),
        _ => error.to_string(),
    };
    FeedError::new(format!("line {line}"), field, message)
}

fn check_count(count: usize, location: &str) -> Result<(), FeedError> {
    if count > MAX_TREND_ENTRIES {
        return Err(FeedError::new(
            location,
            "entries",
            format!("more than {MAX_TREND_ENTRIES} entries"),
        ));
    }
    Ok(())
}

/// Validates one entry: a weight in [0, 1], a value its kind knows.
fn entry(
    raw: RawTrendEntry,
    published_at: DateTime<Utc>,
    location: &str,
) -> Result<TrendEntry, FeedError> {
    if !(raw.weight.is_finite() && (0.0..=1.0).contains(&raw.weight)) {
        return Err(FeedError::new(
            location,
            "weight",
            "must be between 0 and 1",
        ));
    }
    let value = raw.value.trim();
    if value.is_empty() {
        return Err(FeedError::new(location, "value", "must not be empty"));
    }
    let named = |what: &str| {
        let value = value.to_string();
        let what = what.to_string();
        move |_| {
            FeedError::new(
                location,
                "value",
                format!("'{value}' is not a known {what}"),
            )
        }
    };
    let target = match raw.kind {
        TrendKind::Style => {
            validate_id(value).map_err(|m| FeedError::new(location, "value", m))?;
            TrendTarget::Style(value.to_string())
        }
        TrendKind::Shape => TrendTarget::Shape(enum_value(value).map_err(named("shape"))?),
        TrendKind::Colour => {
            TrendTarget::Colour(enum_value(value).map_err(named("colour family"))?)
        }
        TrendKind::Material => TrendTarget::Material(enum_value(value).map_err(named("material"))?),
        TrendKind::Rim => TrendTarget::Rim(enum_value(value).map_err(named("rim type"))?),
        TrendKind::Brand => TrendTarget::Brand(value.to_string()),
        TrendKind::Tag => TrendTarget::Tag(value.to_ascii_lowercase()),
    };
    Ok(TrendEntry {
        target,
        weight: raw.weight,
        published_at,
    })
}

/// A snake_case catalogue enum (`cat_eye`, `stainless_steel`) from its name.
fn enum_value<T: serde::de::DeserializeOwned>(value: &str) -> Result<T, serde_json::Error> {
    serde_json::from_value(serde_json::Value::String(value.to_ascii_lowercase()))
}

#[derive(Deserialize)]
#[serde(untagged)]
enum CollectionFile {
    Many(Vec<serde_json::Value>),
    One(serde_json::Value),
}

/// Parses a collections file: one collection object, or an array of them.
pub fn parse_collections_json(bytes: &[u8]) -> Result<Vec<InfluencerCollection>, FeedError> {
    let file: CollectionFile =
        serde_json::from_slice(bytes).map_err(|e| FeedError::new("document", "", e.to_string()))?;
    let (values, many) = match file {
        CollectionFile::Many(values) => (values, true),
        CollectionFile::One(value) => (vec![value], false),
    };
    values
        .into_iter()
        .enumerate()
        .map(|(i, value)| {
            let location = if many {
                format!("[{i}]")
            } else {
                "collection".to_string()
            };
            let collection: InfluencerCollection = serde_path_to_error::deserialize(value)
                .map_err(|e| {
                    let field = e.path().to_string();
                    FeedError::new(&location, &field, e.into_inner().to_string())
                })?;
            check_collection(&collection, &location)?;
            Ok(collection)
        })
        .collect()
}

fn check_collection(c: &InfluencerCollection, location: &str) -> Result<(), FeedError> {
    validate_id(&c.id).map_err(|m| FeedError::new(location, "id", m))?;
    for (field, value, max) in [("curator", &c.curator, 100), ("title", &c.title, 200)] {
        if value.trim().is_empty() {
            return Err(FeedError::new(location, field, "must not be empty"));
        }
        if value.chars().count() > max {
            return Err(FeedError::new(
                location,
                field,
                format!("must be at most {max} characters"),
            ));
        }
    }
    if c.style_ids.is_empty() || c.style_ids.len() > MAX_COLLECTION_STYLES {
        return Err(FeedError::new(
            location,
            "style_ids",
            format!("must name between 1 and {MAX_COLLECTION_STYLES} styles"),
        ));
    }
    for (i, id) in c.style_ids.iter().enumerate() {
        validate_id(id).map_err(|m| FeedError::new(location, &format!("style_ids[{i}]"), m))?;
    }
    Ok(())
}

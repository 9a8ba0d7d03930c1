//! Library errors. Adapters and the engine return these; the HTTP edge maps them to status codes.

use serde::Serialize;
use utoipa::ToSchema;

/// One problem with one field of an input, named by its JSON path (`signals[3].kind`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A member an object should not have. A key that is not a plain name (empty, or with
    /// `.`, `[` or other punctuation) is written as a quoted JSON string in brackets
    /// (`["a.b"]`), so it reads as one member and not as a path into others.
    pub fn unknown_member(key: &str) -> Self {
        let plain = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        let field = if plain {
            key.to_string()
        } else {
            // Serializing a str cannot fail; Debug quoting is a stand-in that never runs.
            let quoted = serde_json::to_string(key).unwrap_or_else(|_| format!("{key:?}"));
            format!("[{quoted}]")
        };
        Self::new(field, "unknown field")
    }

    /// The same error nested under a parent path (`kind` -> `signals[3].kind`).
    pub fn under(self, parent: &str) -> Self {
        let field = if self.field.is_empty() {
            parent.to_string()
        } else if self.field.starts_with('[') {
            format!("{parent}{}", self.field)
        } else {
            format!("{parent}.{}", self.field)
        };
        Self { field, ..self }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Input that failed validation; carries every field error found, not just the first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid input: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    pub fn single(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self(vec![FieldError::new(field, message)])
    }
}

/// Failure of a storage, queue or artifact backend.
/// Why no weather could be read; the list is then served without weather.
#[derive(Debug, thiserror::Error)]
pub enum WeatherError {
    #[error("weather service unreachable: {0}")]
    Unreachable(String),
    #[error("weather service answered {status}")]
    Status { status: u16 },
    #[error("weather answer malformed: {0}")]
    Malformed(String),
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage backend error: {0}")]
    Backend(String),
    #[error("stored record is corrupt: {0}")]
    Corrupt(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

impl StoreError {
    pub fn backend(e: impl std::fmt::Display) -> Self {
        Self::Backend(e.to_string())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        Self::Corrupt(e.to_string())
    }
}

/// Errors of the application service, mapped to HTTP status at the edge.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error("{what} not found: {id}")]
    NotFound { what: &'static str, id: String },
    #[error("payload too large: {0}")]
    TooLarge(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("model error: {0}")]
    Model(String),
    /// Bounded work (a regeneration shard) did not finish before its deadline; nothing
    /// partial was recorded as done, so retrying it is safe.
    #[error("out of time: {0}")]
    OutOfTime(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

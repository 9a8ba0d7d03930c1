//! Errors of the functions as Lambda sees them. Every error returned to the runtime (or
//! reported at a failed cold start) carries a stable `error_type` per kind, so CloudWatch,
//! failure destinations and dead-letter records say what failed, not a Rust type name.

use framewise::error::{ServiceError, StoreError};
use lambda_runtime::Diagnostic;

/// A deployment configuration that cannot be used; every message names the variable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("missing configuration: environment variable {name} must be set")]
    Missing { name: String },
    #[error("invalid configuration: {name} must be a whole number of seconds, got '{value}'")]
    NotWholeSeconds { name: String, value: String },
    #[error("invalid configuration: {name} is neither TOML nor s3://BUCKET/KEY: {message}")]
    BadAddress { name: String, message: String },
    #[error("invalid configuration: {name} names {address}, which does not exist")]
    ObjectMissing { name: String, address: String },
    #[error("invalid configuration: {name} names {address}, which cannot be read: {source}")]
    ObjectUnreadable {
        name: String,
        address: String,
        source: StoreError,
    },
    #[error("invalid configuration: {name} names {address}, which is not UTF-8 text")]
    ObjectNotText { name: String, address: String },
    #[error("invalid configuration: {name} ({origin}): {source}")]
    Service {
        name: String,
        /// `inline` or the `s3://` address the TOML came from.
        origin: String,
        source: framewise::service::ConfigError,
    },
}

/// What failed, each with its own Lambda `error_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The environment or the deployment configuration (`FRAMEWISE_CONFIG`).
    Config,
    /// A store, queue or artifact backend (DynamoDB, SQS, S3, KMS).
    Store,
    /// The event or an input it names (a feed line, a continuation message).
    Invalid,
    /// Something the event names does not exist.
    NotFound,
    /// Training, loading or publishing a model.
    Model,
    /// Bounded work ran past its deadline; the caller retries it (Step Functions does).
    OutOfTime,
}

impl ErrorKind {
    /// The `error_type` Lambda records; stable, so alarms and queries can match on it.
    pub fn error_type(self) -> &'static str {
        match self {
            Self::Config => "Framewise.Config",
            Self::Store => "Framewise.Store",
            Self::Invalid => "Framewise.Invalid",
            Self::NotFound => "Framewise.NotFound",
            Self::Model => "Framewise.Model",
            Self::OutOfTime => "Framewise.OutOfTime",
        }
    }
}

/// An error returned to Lambda: the original error and its kind. Display and `source` are
/// the original error's, so messages and error chains read as before.
#[derive(Debug)]
pub struct FunctionError {
    kind: ErrorKind,
    error: Box<dyn std::error::Error + Send + Sync>,
}

impl FunctionError {
    pub fn new(
        kind: ErrorKind,
        error: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            kind,
            error: error.into(),
        }
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The `error_type` of [`FunctionError::kind`].
    pub fn error_type(&self) -> &'static str {
        self.kind.error_type()
    }
}

impl std::fmt::Display for FunctionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for FunctionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

impl From<FunctionError> for Diagnostic {
    fn from(error: FunctionError) -> Self {
        Diagnostic {
            error_type: error.error_type().to_string(),
            error_message: error.to_string(),
        }
    }
}

impl From<ConfigError> for FunctionError {
    fn from(error: ConfigError) -> Self {
        Self::new(ErrorKind::Config, error)
    }
}

impl From<StoreError> for FunctionError {
    fn from(error: StoreError) -> Self {
        Self::new(ErrorKind::Store, error)
    }
}

impl From<ServiceError> for FunctionError {
    fn from(error: ServiceError) -> Self {
        let kind = match &error {
            ServiceError::Invalid(_) | ServiceError::TooLarge(_) => ErrorKind::Invalid,
            ServiceError::NotFound { .. } => ErrorKind::NotFound,
            ServiceError::Store(_) => ErrorKind::Store,
            ServiceError::Model(_) => ErrorKind::Model,
            ServiceError::OutOfTime(_) => ErrorKind::OutOfTime,
        };
        Self::new(kind, error)
    }
}

#[cfg(test)]
mod tests {
    use framewise::error::ValidationErrors;

    use super::*;

    fn diagnostic(error: impl Into<FunctionError>) -> Diagnostic {
        Diagnostic::from(error.into())
    }

    #[test]
    fn when_errors_reach_lambda_should_carry_a_stable_type_per_kind_and_the_message() {
        let missing = diagnostic(ConfigError::Missing {
            name: "FRAMEWISE_TABLE".to_string(),
        });
        assert_eq!(missing.error_type, "Framewise.Config");
        assert!(missing.error_message.contains("FRAMEWISE_TABLE"));

        let store = diagnostic(StoreError::Backend("GetItem: throttled".to_string()));
        assert_eq!(store.error_type, "Framewise.Store");
        assert_eq!(
            store.error_message,
            "storage backend error: GetItem: throttled"
        );

        let cases = [
            (
                ServiceError::Invalid(ValidationErrors::single("kind", "unknown")),
                "Framewise.Invalid",
            ),
            (
                ServiceError::TooLarge("feed".to_string()),
                "Framewise.Invalid",
            ),
            (
                ServiceError::NotFound {
                    what: "style",
                    id: "st-1".to_string(),
                },
                "Framewise.NotFound",
            ),
            (
                ServiceError::Store(StoreError::Conflict("pointer moved".to_string())),
                "Framewise.Store",
            ),
            (
                ServiceError::Model("no styles".to_string()),
                "Framewise.Model",
            ),
        ];
        for (error, error_type) in cases {
            let message = error.to_string();
            let diagnostic = diagnostic(error);
            assert_eq!(diagnostic.error_type, error_type, "{message}");
            assert_eq!(diagnostic.error_message, message);
        }
    }

    #[test]
    fn when_kind_given_explicitly_should_keep_it() {
        let error = FunctionError::new(ErrorKind::Invalid, "continuation message is not valid");
        assert_eq!(error.kind(), ErrorKind::Invalid);
        assert_eq!(Diagnostic::from(error).error_type, "Framewise.Invalid");
    }
}

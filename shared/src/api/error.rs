//! The one JSON error shape of the API: `{"error": {"code", "message", "field", "details"}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::error::{FieldError, ServiceError, ValidationErrors};

#[derive(Debug, Serialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Debug, Serialize)]
struct ErrorDetail {
    code: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    details: Vec<FieldError>,
}

/// An error response; built from a `ServiceError` or directly for routing problems.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    detail: ErrorDetail,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            detail: ErrorDetail {
                code,
                message: message.into(),
                field: None,
                details: Vec::new(),
            },
        }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let message = message.into();
        Self {
            status: StatusCode::BAD_REQUEST,
            detail: ErrorDetail {
                code: "invalid_request",
                message: format!("{field}: {message}"),
                field: Some(field.clone()),
                details: vec![FieldError::new(field, message)],
            },
        }
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(e: ValidationErrors) -> Self {
        ServiceError::from(e).into()
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(errors) => {
                let first = errors.0.first().cloned();
                Self {
                    status: StatusCode::BAD_REQUEST,
                    detail: ErrorDetail {
                        code: "invalid_request",
                        message: match &first {
                            Some(f) if errors.0.len() == 1 => f.to_string(),
                            Some(f) => format!("{f} (and {} more)", errors.0.len() - 1),
                            None => "invalid request".to_string(),
                        },
                        field: first.map(|f| f.field),
                        details: errors.0,
                    },
                }
            }
            ServiceError::NotFound { what, id } => Self::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} '{id}' does not exist"),
            ),
            ServiceError::TooLarge(message) => {
                Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
            }
            ServiceError::Store(e) => {
                // Internal details go to the log, not to clients.
                tracing::error!(error = %e, "storage failure");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "storage is temporarily unavailable; retry later",
                )
            }
            ServiceError::Model(e) => {
                tracing::error!(error = %e, "model failure");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(ErrorBody { error: self.detail })).into_response()
    }
}

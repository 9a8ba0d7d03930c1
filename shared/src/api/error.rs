//! The one JSON error shape of the API: `{"error": {"code", "message", "field", "details"}}`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::auth::Denied;
use crate::error::{FieldError, ServiceError, ValidationErrors};

/// Most field errors listed in one error body.
pub const MAX_ERROR_DETAILS: usize = 20;

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

    /// 415 for a body that is not declared as JSON (see `json_body`).
    pub fn unsupported_media_type() -> Self {
        Self {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            detail: ErrorDetail {
                code: "unsupported_media_type",
                message: "content-type: must be application/json".to_string(),
                field: Some("content-type".to_string()),
                details: Vec::new(),
            },
        }
    }

    /// Names the request field the error is about (a 401 names `authorization`).
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.detail.field = Some(field.into());
        self
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
                        // One bad token per detail would let a large body echo back a
                        // larger error; the message still counts every problem.
                        details: errors.0.into_iter().take(MAX_ERROR_DETAILS).collect(),
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

impl From<Denied> for ApiError {
    fn from(denied: Denied) -> Self {
        match denied {
            Denied::Unauthenticated => Self::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                format!("authorization: {denied}"),
            )
            .with_field("authorization"),
            Denied::Forbidden(reason) => Self::new(StatusCode::FORBIDDEN, "forbidden", reason),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status;
        let mut response = (status, Json(ErrorBody { error: self.detail })).into_response();
        if status == StatusCode::UNAUTHORIZED {
            // RFC 6750: a 401 names the scheme the client should use.
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"framewise\""),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn when_input_has_many_bad_fields_should_cap_the_details_but_count_them_all() {
        let errors = (0..500)
            .map(|i| FieldError::new(format!("prescription[{i}]"), "not a number"))
            .collect();
        let response =
            ApiError::from(ServiceError::Invalid(ValidationErrors(errors))).into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        assert!(bytes.len() < 4096, "{} bytes", bytes.len());
        let body: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        let details = body["error"]["details"].as_array().map(Vec::len);
        assert_eq!(details, Some(MAX_ERROR_DETAILS));
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("(and 499 more)"), "{message}");
        assert_eq!(body["error"]["field"], "prescription[0]");
    }
}

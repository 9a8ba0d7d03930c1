//! The one JSON error shape of the API: `{"error": {"code", "message", "field", "details"}}`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, HeaderBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{ToResponse, ToSchema};

use crate::auth::Denied;
use crate::error::{FieldError, ServiceError, ValidationErrors};

/// Most field errors listed in one error body.
pub const MAX_ERROR_DETAILS: usize = 20;

/// The body of every error answer of the API.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ErrorDetail {
    /// Whose fault and what kind: `invalid_request`, `unauthorized`, `invalid_token`,
    /// `forbidden`, `not_found`, `method_not_allowed`, `payload_too_large`,
    /// `unsupported_media_type`, `unavailable`, `internal`.
    #[schema(value_type = String)]
    code: &'static str,
    message: String,
    /// The request field at fault (`signals[0].kind`, `limit`, `authorization`).
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
    /// Every invalid field (the first 20; `message` counts them all).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    details: Vec<FieldError>,
}

/// The documented error answers, one reusable response per status, each with the error
/// body; handlers list the ones they can answer in `#[utoipa::path(responses(...))]`.
macro_rules! error_responses {
    ($($name:ident($status:literal): $description:literal;)*) => {$(
        pub(super) struct $name;

        impl<'s> ToResponse<'s> for $name {
            fn response() -> (&'s str, RefOr<utoipa::openapi::Response>) {
                (stringify!($name), error_response($status, $description))
            }
        }
    )*};
}

error_responses! {
    BadRequest(400): "`invalid_request`: a path, query or body field is invalid; `field` names the first, `details` lists them";
    Unauthorized(401): "`unauthorized`: no bearer token, or `invalid_token`: one that does not verify";
    InvalidToken(401): "`invalid_token`: an `Authorization` header was sent and its token does not verify (this route needs none)";
    Forbidden(403): "`forbidden`: the caller may not act for this shopper (or read this prescription)";
    NotFound(404): "`not_found`: the named resource does not exist";
    PayloadTooLarge(413): "`payload_too_large`: the body is over the route's limit";
    UnsupportedMediaType(415): "`unsupported_media_type`: the body is not declared `content-type: application/json`";
    Unavailable(503): "`unavailable`: storage is temporarily unavailable; retry later";
}

fn error_response(status: u16, description: &str) -> RefOr<utoipa::openapi::Response> {
    let body = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("ErrorBody")))
        .build();
    let mut response = ResponseBuilder::new()
        .description(description)
        .content("application/json", body);
    if status == StatusCode::UNAUTHORIZED.as_u16() {
        // Every 401 names the scheme (see `IntoResponse` below).
        let text = ObjectBuilder::new().schema_type(Type::String);
        response = response.header(
            "WWW-Authenticate",
            HeaderBuilder::new()
                .schema(text)
                .description(Some(r#"`Bearer realm="framewise"`"#))
                .build(),
        );
    }
    response.build().into()
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
            ServiceError::OutOfTime(e) => {
                tracing::error!(error = %e, "deadline passed");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the work did not finish in time; retry later",
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

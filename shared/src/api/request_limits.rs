//! Limits on the request line and headers, answered with the API's JSON error shape. The
//! HTTP parser below (hyper locally, API Gateway on AWS) has its own, larger limits: a
//! request beyond those (a URI over 64 KiB, headers over ~400 KiB, or bytes that are not
//! HTTP at all) is refused by the parser with a bare status before any route sees it.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// Longest accepted path and query (8 KiB: any real list or lens request is far below).
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Most headers, and their total size, accepted on one request.
pub const MAX_HEADERS: usize = 64;
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// 414 or 431 with the JSON error body, before any handler runs.
pub async fn enforce_request_limits(request: Request, next: Next) -> Response {
    let uri_len = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    if uri_len > MAX_URI_BYTES {
        return ApiError::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!("the path and query may be at most {MAX_URI_BYTES} bytes"),
        )
        .with_field("uri")
        .into_response();
    }
    let headers = request.headers();
    let header_bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if headers.len() > MAX_HEADERS || header_bytes > MAX_HEADER_BYTES {
        return ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            format!("at most {MAX_HEADERS} headers of {MAX_HEADER_BYTES} bytes in total"),
        )
        .with_field("headers")
        .into_response();
    }
    next.run(request).await
}

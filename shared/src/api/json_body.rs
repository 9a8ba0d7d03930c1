//! JSON request bodies must say they are JSON. A `text/plain` or form-encoded POST is a
//! "simple" cross-site request that browsers send without a CORS preflight; accepting it
//! would let any web page post signals or overwrite a profile in a shopper's name.

use axum::body::{Body, Bytes};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};

use super::error::ApiError;

/// `Ok` when the `content-type` is `application/json` or an `application/*+json` type
/// (parameters such as `charset` allowed); otherwise the 415 JSON error naming the header.
pub fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let value = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let media = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let json = media == "application/json"
        || (media.starts_with("application/") && media.ends_with("+json"));
    if json {
        Ok(())
    } else {
        Err(ApiError::unsupported_media_type())
    }
}

/// The bytes of a JSON request body: 415 unless it says it is JSON (see
/// [`require_json`]), 413 naming `what` and `limit` when it is larger.
pub async fn read_json_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    what: &str,
) -> Result<Bytes, ApiError> {
    require_json(headers)?;
    axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("{what} may be at most {limit} bytes"),
        )
    })
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn with(content_type: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(value) = content_type {
            headers.insert(CONTENT_TYPE, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn when_body_is_declared_json_should_pass() {
        for ok in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/merge-patch+json",
        ] {
            assert!(require_json(&with(Some(ok))).is_ok(), "{ok}");
        }
    }

    #[test]
    fn when_body_is_not_declared_json_should_answer_415() {
        for bad in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=x"),
            Some("text/json"),
        ] {
            let error = require_json(&with(bad)).expect_err("refused");
            assert_eq!(error.status().as_u16(), 415, "{bad:?}");
        }
    }
}

//! The shopper's moment from a list request: `occasion`, `country` (else the
//! `CloudFront-Viewer-Country` header a CloudFront distribution in front of the API adds),
//! `lat`/`lon` and `hour`. Malformed values are refused naming the parameter; whether an
//! occasion exists is the service's call (it knows the configuration).

use std::collections::HashMap;

use axum::http::HeaderMap;

use super::error::ApiError;
use crate::domain::{parse_country, Context, Coordinates, DeviceClass};

/// Set by CloudFront from the viewer's IP address (ISO 3166-1 alpha-2).
pub const VIEWER_COUNTRY_HEADER: &str = "cloudfront-viewer-country";

fn number(params: &HashMap<String, String>, name: &str) -> Result<Option<f64>, ApiError> {
    params
        .get(name)
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<f64>()
                .map_err(|_| ApiError::invalid(name, "must be a number"))
        })
        .transpose()
}

/// The context of a list request; empty when it names none.
pub(super) fn context(
    params: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<Context, ApiError> {
    let occasion = params
        .get("occasion")
        .filter(|v| !v.is_empty())
        .map(|v| v.trim().to_ascii_lowercase());
    let country = match params.get("country").filter(|v| !v.is_empty()) {
        Some(code) => Some(parse_country(code).map_err(|m| ApiError::invalid("country", m))?),
        // A header the client did not choose: ignored when malformed, never an error.
        None => headers
            .get(VIEWER_COUNTRY_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_country(v).ok()),
    };
    let coordinates = match (number(params, "lat")?, number(params, "lon")?) {
        (Some(lat), Some(lon)) => Some(Coordinates::new(lat, lon).map_err(|m| {
            let field = if m.starts_with("lat") { "lat" } else { "lon" };
            ApiError::invalid(field, m)
        })?),
        (None, None) => None,
        (Some(_), None) => return Err(ApiError::invalid("lon", "required with lat")),
        (None, Some(_)) => return Err(ApiError::invalid("lat", "required with lon")),
    };
    let local_hour = params
        .get("hour")
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<u8>()
                .ok()
                .filter(|h| *h <= 23)
                .ok_or_else(|| ApiError::invalid("hour", "must be an hour of the day, 0-23"))
        })
        .transpose()?;
    Ok(Context {
        occasion,
        country,
        coordinates,
        local_hour,
        weather: None,
    })
}

/// The device class of a list request: `?device=` (`any`: none), else the `User-Agent`
/// header classified simply (unknown agents: none). Picks a segment list for a shopper
/// without history.
pub(super) fn device(
    params: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<Option<DeviceClass>, ApiError> {
    match params.get("device").filter(|v| !v.is_empty()) {
        Some(value) => DeviceClass::parse(value).map_err(|m| ApiError::invalid("device", m)),
        None => Ok(headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .and_then(DeviceClass::from_user_agent)),
    }
}

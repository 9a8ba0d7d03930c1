//! Open-Meteo's forecast API (or any server answering its `/v1/forecast` shape) as the
//! [`WeatherSource`]: the current temperature and precipitation, and this hour's UV index
//! and sunshine, at the shopper's coordinates, in the location's own time zone (which gives
//! the local hour). No key is needed for Open-Meteo's free tier; a self-hosted or commercial
//! instance is the same URL shape.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;

use crate::domain::{Coordinates, Weather};
use crate::error::WeatherError;
use crate::ports::WeatherSource;

/// A forecast API client; cheap to share.
pub struct OpenMeteo {
    client: reqwest::Client,
    forecast_url: String,
}

/// The forecast source for a configured base URL; `None` when the URL is empty (weather off).
pub fn from_url(
    base_url: &str,
    timeout: Duration,
) -> Result<Option<Arc<dyn WeatherSource>>, WeatherError> {
    if base_url.trim().is_empty() {
        return Ok(None);
    }
    Ok(Some(Arc::new(OpenMeteo::new(base_url, timeout)?)))
}

impl OpenMeteo {
    /// `base_url` such as `https://api.open-meteo.com`; `timeout` bounds every call.
    pub fn new(base_url: &str, timeout: Duration) -> Result<Self, WeatherError> {
        // reqwest's rustls is built without a bundled provider; the AWS SDKs already link
        // aws-lc-rs. Installing twice is harmless (the first one stays).
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| WeatherError::Unreachable(e.to_string()))?;
        Ok(Self {
            client,
            forecast_url: format!("{}/v1/forecast", base_url.trim_end_matches('/')),
        })
    }
}

#[derive(Deserialize)]
struct Forecast {
    utc_offset_seconds: Option<i32>,
    current: Current,
    hourly: Hourly,
}

#[derive(Deserialize)]
struct Current {
    /// Local time, `2026-12-02T14:15`.
    time: String,
    temperature_2m: Option<f32>,
    precipitation: Option<f32>,
}

#[derive(Deserialize)]
struct Hourly {
    time: Vec<String>,
    uv_index: Vec<Option<f32>>,
    sunshine_duration: Vec<Option<f32>>,
}

/// The reading of the hour `current.time` falls in.
fn reading(forecast: Forecast) -> Result<Weather, WeatherError> {
    let hour = forecast
        .current
        .time
        .get(..13)
        .ok_or_else(|| WeatherError::Malformed("current.time".into()))?;
    let slot = forecast
        .hourly
        .time
        .iter()
        .position(|t| t.starts_with(hour))
        .ok_or_else(|| WeatherError::Malformed("no hourly value for the current hour".into()))?;
    let hourly = |values: &[Option<f32>]| values.get(slot).copied().flatten();
    let uv_index = hourly(&forecast.hourly.uv_index)
        .ok_or_else(|| WeatherError::Malformed("hourly.uv_index".into()))?;
    let sunshine_secs = hourly(&forecast.hourly.sunshine_duration).unwrap_or(0.0);
    let finite = |v: f32| if v.is_finite() { v } else { 0.0 };
    Ok(Weather {
        uv_index: finite(uv_index).max(0.0),
        temperature_c: finite(forecast.current.temperature_2m.unwrap_or(0.0)),
        sunshine: (finite(sunshine_secs) / 3600.0).clamp(0.0, 1.0),
        precipitation_mm: finite(forecast.current.precipitation.unwrap_or(0.0)).max(0.0),
        utc_offset_minutes: forecast.utc_offset_seconds.map(|s| s / 60),
    })
}

#[async_trait]
impl WeatherSource for OpenMeteo {
    async fn current(&self, at: Coordinates) -> Result<Weather, WeatherError> {
        let response = self
            .client
            .get(&self.forecast_url)
            .query(&[
                ("latitude", format!("{:.2}", at.lat)),
                ("longitude", format!("{:.2}", at.lon)),
                ("current", "temperature_2m,precipitation".into()),
                ("hourly", "uv_index,sunshine_duration".into()),
                ("forecast_days", "1".into()),
                ("timezone", "auto".into()),
            ])
            .send()
            .await
            .map_err(|e| WeatherError::Unreachable(e.to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(WeatherError::Status {
                status: status.as_u16(),
            });
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| WeatherError::Unreachable(e.to_string()))?;
        let forecast: Forecast =
            serde_json::from_slice(&body).map_err(|e| WeatherError::Malformed(e.to_string()))?;
        reading(forecast)
    }
}

#[cfg(test)]
#[path = "weather_tests.rs"]
mod tests;

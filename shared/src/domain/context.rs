//! The moment a list is asked for: occasion, place, local time and weather. Lists are
//! stored without it; it re-ranks a stored list when it is read (see `engine::context`).

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Which half of the year is sun season (April-September in the north, October-March in
/// the south).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Hemisphere {
    #[default]
    North,
    South,
}

/// Meteorological season (whole months): of the content page's hero and of a segment list.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Season {
    Spring,
    Summer,
    Autumn,
    Winter,
}

impl Season {
    pub const ALL: [Season; 4] = [Self::Spring, Self::Summer, Self::Autumn, Self::Winter];

    /// The season at `now` in `hemisphere` (north: March-May is spring; south: six months on).
    pub fn at(now: DateTime<Utc>, hemisphere: Hemisphere) -> Self {
        let month = now.month();
        let month = match hemisphere {
            Hemisphere::North => month,
            Hemisphere::South => (month + 5) % 12 + 1,
        };
        match month {
            3..=5 => Self::Spring,
            6..=8 => Self::Summer,
            9..=11 => Self::Autumn,
            _ => Self::Winter,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Spring => "spring",
            Self::Summer => "summer",
            Self::Autumn => "autumn",
            Self::Winter => "winter",
        }
    }
}

/// What the context did to a list: echoed on the page so the storefront can say it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AppliedContext {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occasion: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The hemisphere whose season was used.
    pub hemisphere: Hemisphere,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_hour: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weather: Option<Weather>,
    /// Lens and protection advice for the moment (never health claims).
    pub advice: Vec<String>,
    /// How many items the context lifted or lowered.
    pub reranked: usize,
}

/// A point on Earth in decimal degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Coordinates {
    pub lat: f64,
    pub lon: f64,
}

impl Coordinates {
    /// Checks the ranges (-90..=90, -180..=180) and that both are finite.
    pub fn new(lat: f64, lon: f64) -> Result<Self, &'static str> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err("lat must be between -90 and 90");
        }
        if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
            return Err("lon must be between -180 and 180");
        }
        Ok(Self { lat, lon })
    }
}

/// Current weather where the shopper is, as a forecast service reports it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Weather {
    /// UV index (0-2 low, 3-5 moderate, 6-7 high, 8-10 very high, 11+ extreme).
    pub uv_index: f32,
    pub temperature_c: f32,
    /// Share of the last interval with sunshine, in [0, 1].
    pub sunshine: f32,
    /// Precipitation of the last interval in millimetres.
    pub precipitation_mm: f32,
    /// The location's offset from UTC, when the service reports it (gives the local hour).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utc_offset_minutes: Option<i32>,
}

/// What the shopper's moment adds to a list request. Every part is optional; an empty
/// context leaves the list as stored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Context {
    /// An occasion id from the configuration (`work`, `screen`, `driving`, `sport`,
    /// `beach`, `evening`, `reading` by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occasion: Option<String>,
    /// ISO 3166-1 alpha-2 country code, upper case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coordinates: Option<Coordinates>,
    /// Hour of day where the shopper is, 0-23.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_hour: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weather: Option<Weather>,
}

impl Context {
    pub fn is_empty(&self) -> bool {
        *self == Context::default()
    }
}

/// Checks an ISO 3166-1 alpha-2 code (two ASCII letters) and upper-cases it.
pub fn parse_country(code: &str) -> Result<String, &'static str> {
    let code = code.trim();
    if code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(code.to_ascii_uppercase())
    } else {
        Err("must be a two-letter ISO 3166-1 country code")
    }
}

/// The country of a BCP 47 locale such as `en-AU` or `pt_BR` (its region subtag).
pub fn locale_country(locale: &str) -> Option<String> {
    locale
        .split(['-', '_'])
        .skip(1)
        .find(|part| part.len() == 2 && part.bytes().all(|b| b.is_ascii_alphabetic()))
        .map(|part| part.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_locale_has_region_should_name_its_country() {
        assert_eq!(locale_country("en-AU").as_deref(), Some("AU"));
        assert_eq!(locale_country("pt_br").as_deref(), Some("BR"));
        assert_eq!(locale_country("zh-Hant-TW").as_deref(), Some("TW"));
        assert_eq!(locale_country("en"), None);
    }

    #[test]
    fn when_country_or_coordinates_are_malformed_should_refuse() {
        assert_eq!(parse_country(" au ").as_deref(), Ok("AU"));
        assert!(parse_country("AUS").is_err());
        assert!(parse_country("1A").is_err());
        assert!(Coordinates::new(-33.9, 151.2).is_ok());
        assert!(Coordinates::new(91.0, 0.0).is_err());
        assert!(Coordinates::new(0.0, f64::NAN).is_err());
    }
}

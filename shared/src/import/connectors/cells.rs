//! Cells every order export has: quantities and times, parsed with messages an operator can
//! act on.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::domain::{MAX_CLOCK_SKEW_MINUTES, MAX_QUANTITY};

/// A line's quantity: Some(units) for 1-1000, None for 0 (a removed line, skipped).
pub(super) fn parse_quantity(text: &str) -> Result<Option<u32>, String> {
    let units: u32 = text
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a whole number of units"))?;
    match units {
        0 => Ok(None),
        1..=MAX_QUANTITY => Ok(Some(units)),
        _ => Err(format!("{units} is more than {MAX_QUANTITY} units")),
    }
}

/// An order time: RFC 3339 (`2025-05-01T10:00:00Z`), Shopify's `2025-05-01 10:00:00 -0400`,
/// or a bare date (`2025-05-01`, midnight UTC). Times in the future are refused.
pub(super) fn parse_time(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    let parsed = DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S %z"))
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%z"))
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc())
        })
        .map_err(|_| {
            format!(
                "'{text}' is not a time such as 2025-05-01T10:00:00Z or 2025-05-01 10:00:00 -0400"
            )
        })?;
    if parsed > now + Duration::minutes(MAX_CLOCK_SKEW_MINUTES) {
        return Err(format!("'{text}' is in the future"));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_times_use_shop_formats_should_read_them_in_utc() {
        let now = Utc::now();
        let expected = "2025-05-01T14:00:00+00:00";
        for text in [
            "2025-05-01 10:00:00 -0400",
            "2025-05-01T10:00:00-04:00",
            "2025-05-01T14:00:00Z",
        ] {
            assert_eq!(
                parse_time(text, now).map(|t| t.to_rfc3339()),
                Ok(expected.to_string()),
                "{text}"
            );
        }
        assert_eq!(
            parse_time("2025-05-01", now).map(|t| t.to_rfc3339()),
            Ok("2025-05-01T00:00:00+00:00".to_string())
        );
        assert!(parse_time("01/05/2025", now).is_err());
        assert!(parse_time("2999-01-01", now)
            .unwrap_err()
            .contains("future"));
    }

    #[test]
    fn when_quantity_is_zero_or_too_large_should_skip_or_refuse() {
        assert_eq!(parse_quantity("2"), Ok(Some(2)));
        assert_eq!(parse_quantity("0"), Ok(None));
        assert!(parse_quantity("1001").is_err());
        assert!(parse_quantity("1.5").is_err());
        assert!(parse_quantity("-1").is_err());
    }
}

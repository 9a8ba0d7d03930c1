//! Decimal prices as written in shop exports ("129.50", "1,299.00", "1299") to whole minor
//! units of the currency, exactly: integers only, never a float that could round 0.29 down.

/// Decimal places of a currency's minor unit (ISO 4217): 0 for the yen and a few others, 3
/// for the dinars and rials that divide by 1000, 2 for every other code (and an empty one).
pub fn minor_unit_digits(currency: &str) -> u32 {
    const NONE: [&str; 16] = [
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
        "VUV", "XAF", "XOF",
    ];
    const THREE: [&str; 7] = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
    let code = currency.trim().to_ascii_uppercase();
    if NONE.contains(&code.as_str()) || code == "XPF" {
        0
    } else if THREE.contains(&code.as_str()) {
        3
    } else {
        2
    }
}

/// Parses a non-negative decimal amount into minor units of `currency`: "129.50" USD ->
/// 12950, "1,299.00" -> 129900 (commas only as thousands separators), "1500" JPY -> 1500.
/// More decimals than the currency has are refused unless they are zeros ("12.500" USD is
/// 1250, "12.505" is an error), so nothing is rounded silently.
pub fn parse_minor_units(text: &str, currency: &str) -> Result<i64, String> {
    let digits = minor_unit_digits(currency);
    let text = text.trim();
    if text.is_empty() {
        return Err("is empty".into());
    }
    if text.starts_with('-') {
        return Err(format!("'{text}' must not be negative"));
    }
    let text = text.strip_prefix('+').unwrap_or(text);
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let whole = strip_thousands(whole).ok_or_else(|| not_a_number(text))?;
    if (whole.is_empty() && fraction.is_empty())
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(not_a_number(text));
    }
    let places = digits as usize;
    let (kept, dropped) = fraction.split_at(fraction.len().min(places));
    if dropped.bytes().any(|b| b != b'0') {
        return Err(format!(
            "'{text}' has more than {places} decimal places, the minor unit of {}",
            if currency.trim().is_empty() {
                "the currency"
            } else {
                currency.trim()
            }
        ));
    }
    let too_large = || format!("'{text}' is too large");
    let mut value: i64 = 0;
    let scaled = whole
        .bytes()
        .chain(kept.bytes().chain(std::iter::repeat(b'0')).take(places));
    for b in scaled {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(b - b'0')))
            .ok_or_else(too_large)?;
    }
    Ok(value)
}

/// The integer part without thousands separators, or None when commas are misplaced
/// ("1,299" and "12,345,678" pass; "1,29" and ",5" do not).
fn strip_thousands(whole: &str) -> Option<String> {
    if !whole.contains(',') {
        return Some(whole.to_string());
    }
    let mut groups = whole.split(',');
    let first = groups.next().unwrap_or("");
    if first.is_empty() || first.len() > 3 {
        return None;
    }
    let mut out = first.to_string();
    for group in groups {
        if group.len() != 3 {
            return None;
        }
        out.push_str(group);
    }
    Some(out)
}

fn not_a_number(text: &str) -> String {
    format!("'{text}' is not a decimal amount such as 129.50")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_prices_are_decimal_strings_should_give_exact_minor_units() {
        let usd = |t: &str| parse_minor_units(t, "USD");
        assert_eq!(usd("129.50"), Ok(12_950));
        assert_eq!(usd("0.29"), Ok(29));
        assert_eq!(usd("1299"), Ok(129_900));
        assert_eq!(usd("1299.5"), Ok(129_950));
        assert_eq!(usd("1,299.00"), Ok(129_900));
        assert_eq!(usd("12,345,678.90"), Ok(1_234_567_890));
        assert_eq!(usd(".5"), Ok(50));
        assert_eq!(usd("12.500"), Ok(1_250));
        assert_eq!(parse_minor_units("1500", "JPY"), Ok(1_500));
        assert_eq!(parse_minor_units("1.250", "KWD"), Ok(1_250));
    }

    #[test]
    fn when_a_price_is_malformed_should_say_why() {
        let usd = |t: &str| parse_minor_units(t, "USD");
        assert!(usd("12.505")
            .unwrap_err()
            .contains("more than 2 decimal places"));
        assert!(parse_minor_units("10.5", "JPY")
            .unwrap_err()
            .contains("more than 0"));
        assert!(usd("-3.00").unwrap_err().contains("negative"));
        for bad in ["", "abc", "1,29.00", "12.3.4", "1e3", "$12", ".", "1 299"] {
            assert!(usd(bad).is_err(), "{bad:?} accepted");
        }
        assert!(usd("99999999999999999999")
            .unwrap_err()
            .contains("too large"));
    }
}

//! Anonymous segments: groups of shoppers without history that share a precomputed list.
//! A segment is a country (or any) x device class (or any) x season, or one configured
//! occasion. Its list is stored like a shopper's, under [`SegmentKey::stored_id`], an id
//! no customer can have (customer ids pass `validate_id`, which refuses `#`).

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::context::{parse_country, Season};

/// Prefix of every segment's stored list id; `#` is never in a customer id.
pub const SEGMENT_ID_PREFIX: &str = "#seg:";

/// Written for the "any" part of a key.
const ANY: &str = "any";

/// What a shopper browses on, as far as a list cares.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DeviceClass {
    Mobile,
    Tablet,
    Desktop,
}

impl DeviceClass {
    pub const ALL: [DeviceClass; 3] = [Self::Mobile, Self::Tablet, Self::Desktop];

    pub fn name(self) -> &'static str {
        match self {
            Self::Mobile => "mobile",
            Self::Tablet => "tablet",
            Self::Desktop => "desktop",
        }
    }

    /// The `?device=` parameter: `mobile`, `tablet`, `desktop`, or `any` (`None`: the
    /// shopper's device is not to be used).
    pub fn parse(value: &str) -> Result<Option<Self>, &'static str> {
        let value = value.trim().to_ascii_lowercase();
        if value == ANY {
            return Ok(None);
        }
        Self::ALL
            .into_iter()
            .find(|d| d.name() == value)
            .map(Some)
            .ok_or("must be one of mobile, tablet, desktop, any")
    }

    /// A `User-Agent` header, classified simply: iPads and Android without "Mobile" are
    /// tablets, other phones mobile, the desktop systems desktop; anything else (bots, HTTP
    /// libraries) unknown. iPadOS that presents itself as a Mac counts as desktop.
    pub fn from_user_agent(agent: &str) -> Option<Self> {
        let has = |word: &str| agent.contains(word);
        if has("iPad") || has("Tablet") || (has("Android") && !has("Mobile")) {
            Some(Self::Tablet)
        } else if has("Mobi") || has("iPhone") || has("iPod") || has("Android") {
            Some(Self::Mobile)
        } else if has("Windows NT") || has("Macintosh") || has("X11") || has("CrOS") {
            Some(Self::Desktop)
        } else {
            None
        }
    }

    /// A signal's `context.device` as clients name it (`ios`, `android-phone`, `ipad`,
    /// `web-desktop`...), by its words; `None` when no word is recognisable.
    pub fn from_label(label: &str) -> Option<Self> {
        let label = label.to_ascii_lowercase();
        let words: Vec<&str> = label
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        let has = |names: &[&str]| words.iter().any(|w| names.contains(w));
        if has(&["tablet", "ipad"]) {
            Some(Self::Tablet)
        } else if has(&["mobile", "phone", "iphone", "smartphone", "ios", "android"]) {
            Some(Self::Mobile)
        } else if has(&[
            "desktop", "laptop", "web", "pc", "mac", "macos", "windows", "linux",
        ]) {
            Some(Self::Desktop)
        } else {
            None
        }
    }

    /// How a reason says where the crowd shops: "on mobile".
    pub fn phrase(self) -> &'static str {
        match self {
            Self::Mobile => "on mobile",
            Self::Tablet => "on tablets",
            Self::Desktop => "on desktop",
        }
    }
}

/// One segment. Written `AU:mobile:winter`, `GB:any:summer`, `any:tablet:winter` or
/// `occasion:sport` (the form pages echo and [`SegmentKey::parse`] reads).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SegmentKey {
    /// Shoppers of one country (ISO code; `None`: any) on one device class (`None`: any),
    /// in the season their hemisphere is in.
    Audience {
        country: Option<String>,
        device: Option<DeviceClass>,
        season: Season,
    },
    /// An occasion of `[context.occasions]`, for shoppers anywhere.
    Occasion(String),
}

impl SegmentKey {
    /// The id the segment's list is stored under: never a customer's.
    pub fn stored_id(&self) -> String {
        format!("{SEGMENT_ID_PREFIX}{self}")
    }

    /// Reads the written form back; the message says what is wrong.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let parts: Vec<&str> = text.split(':').collect();
        match parts.as_slice() {
            ["occasion", id] => {
                let valid = !id.is_empty()
                    && id.len() <= 64
                    && id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
                if valid {
                    Ok(Self::Occasion((*id).to_string()))
                } else {
                    Err("an occasion id has letters, digits, '_' and '-' only")
                }
            }
            [country, device, season] => {
                let country = match *country {
                    ANY => None,
                    code if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) => {
                        Some(parse_country(code)?)
                    }
                    _ => return Err("country must be an upper-case ISO 3166-1 code or any"),
                };
                let device = DeviceClass::parse(device)
                    .map_err(|_| "device must be mobile, tablet, desktop or any")?;
                let season = Season::ALL
                    .into_iter()
                    .find(|s| s.name() == *season)
                    .ok_or("season must be spring, summer, autumn or winter")?;
                Ok(Self::Audience {
                    country,
                    device,
                    season,
                })
            }
            _ => Err("expected country:device:season or occasion:id"),
        }
    }

    /// Reads a stored id ([`SegmentKey::stored_id`]) back; `None` for a customer's id.
    pub fn from_stored_id(id: &str) -> Option<Self> {
        Self::parse(id.strip_prefix(SEGMENT_ID_PREFIX)?).ok()
    }
}

impl fmt::Display for SegmentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Audience {
                country,
                device,
                season,
            } => write!(
                f,
                "{}:{}:{}",
                country.as_deref().unwrap_or(ANY),
                device.map_or(ANY, DeviceClass::name),
                season.name()
            ),
            Self::Occasion(id) => write!(f, "occasion:{id}"),
        }
    }
}

/// How a reason names a country: the common ones by name, others by their code.
pub fn country_phrase(code: &str) -> String {
    let name = match code {
        "AR" => "Argentina",
        "AT" => "Austria",
        "AU" => "Australia",
        "BE" => "Belgium",
        "BR" => "Brazil",
        "CA" => "Canada",
        "CH" => "Switzerland",
        "CL" => "Chile",
        "DE" => "Germany",
        "DK" => "Denmark",
        "ES" => "Spain",
        "FI" => "Finland",
        "FR" => "France",
        "GB" => "the UK",
        "IE" => "Ireland",
        "IN" => "India",
        "IT" => "Italy",
        "JP" => "Japan",
        "MX" => "Mexico",
        "NL" => "the Netherlands",
        "NO" => "Norway",
        "NZ" => "New Zealand",
        "PL" => "Poland",
        "PT" => "Portugal",
        "SE" => "Sweden",
        "SG" => "Singapore",
        "US" => "the US",
        "ZA" => "South Africa",
        _ => return code.to_string(),
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audience(country: Option<&str>, device: Option<DeviceClass>, season: Season) -> SegmentKey {
        SegmentKey::Audience {
            country: country.map(str::to_string),
            device,
            season,
        }
    }

    #[test]
    fn when_key_is_written_should_read_back_the_same_key() {
        let keys = [
            audience(Some("AU"), Some(DeviceClass::Mobile), Season::Winter),
            audience(Some("GB"), None, Season::Summer),
            audience(None, Some(DeviceClass::Tablet), Season::Autumn),
            SegmentKey::Occasion("sport".into()),
        ];
        let written: Vec<String> = keys.iter().map(ToString::to_string).collect();
        assert_eq!(
            written,
            [
                "AU:mobile:winter",
                "GB:any:summer",
                "any:tablet:autumn",
                "occasion:sport"
            ]
        );
        for key in keys {
            assert_eq!(SegmentKey::parse(&key.to_string()), Ok(key.clone()));
            assert_eq!(SegmentKey::from_stored_id(&key.stored_id()), Some(key));
        }
    }

    #[test]
    fn when_key_is_malformed_should_say_which_part() {
        for (text, part) in [
            ("au:mobile:winter", "country"),
            ("AUS:any:winter", "country"),
            ("AU:phone:winter", "device"),
            ("AU:any:monsoon", "season"),
            ("occasion:", "occasion"),
            ("occasion:a#b", "occasion"),
            ("AU:any", "expected"),
        ] {
            let message = SegmentKey::parse(text).expect_err(text);
            assert!(message.contains(part), "{text}: {message}");
        }
        assert_eq!(SegmentKey::from_stored_id("AU:any:winter"), None);
    }

    #[test]
    fn when_stored_should_never_be_a_valid_customer_id() {
        let key = audience(Some("AU"), Some(DeviceClass::Mobile), Season::Winter);
        assert_eq!(key.stored_id(), "#seg:AU:mobile:winter");
        assert!(super::super::validate_id(&key.stored_id()).is_err());
        assert!(
            super::super::validate_id(&SegmentKey::Occasion("beach".into()).stored_id()).is_err()
        );
    }

    #[test]
    fn when_user_agent_is_read_should_classify_phones_tablets_and_desktops() {
        let cases = [
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148", Some(DeviceClass::Mobile)),
            ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/124.0 Mobile Safari/537.36", Some(DeviceClass::Mobile)),
            ("Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148", Some(DeviceClass::Tablet)),
            ("Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 Chrome/124.0 Safari/537.36", Some(DeviceClass::Tablet)),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36", Some(DeviceClass::Desktop)),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Version/17.4 Safari/605.1.15", Some(DeviceClass::Desktop)),
            ("Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", Some(DeviceClass::Desktop)),
            ("curl/8.5.0", None),
            ("", None),
        ];
        for (agent, class) in cases {
            assert_eq!(DeviceClass::from_user_agent(agent), class, "{agent}");
        }
    }

    #[test]
    fn when_device_is_named_should_parse_the_parameter_and_signal_labels() {
        assert_eq!(DeviceClass::parse("Mobile"), Ok(Some(DeviceClass::Mobile)));
        assert_eq!(DeviceClass::parse("any"), Ok(None));
        assert!(DeviceClass::parse("watch").is_err());
        assert_eq!(DeviceClass::from_label("ios"), Some(DeviceClass::Mobile));
        assert_eq!(DeviceClass::from_label("iPad"), Some(DeviceClass::Tablet));
        assert_eq!(
            DeviceClass::from_label("web-desktop"),
            Some(DeviceClass::Desktop)
        );
        assert_eq!(
            DeviceClass::from_label("android-phone"),
            Some(DeviceClass::Mobile)
        );
        // Whole words only: "kiosk" holds "ios" but is no phone.
        assert_eq!(DeviceClass::from_label("kiosk"), None);
    }

    #[test]
    fn when_country_is_named_in_a_reason_should_use_its_name_or_code() {
        assert_eq!(country_phrase("AU"), "Australia");
        assert_eq!(country_phrase("GB"), "the UK");
        assert_eq!(country_phrase("KE"), "KE");
    }
}

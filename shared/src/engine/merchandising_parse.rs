//! Parsing and validating a merchandising rule file (the shape is in
//! [`super::merchandising`]): every problem is collected, each naming its rule (`id`, else
//! `section[n]`) and field.

use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::config::MAX_LIST_SIZE;
use super::merchandising::{
    Cap, CapGroup, Exclusion, MerchandisingError, MerchandisingRules, Pin, RuleError, RuleKind,
    RuleMeta, ScoreRule, StyleMatch, MAX_MULTIPLIER, MIN_MULTIPLIER,
};
use super::promotions_parse::parse_promotion;
use crate::domain::{validate_id, Category, PriceBand};

/// Longest label a rule may show to shoppers.
const MAX_LABEL_CHARS: usize = 80;

/// Fields every rule may have; `deny_unknown_fields` on each section names a misspelt key.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPin {
    #[serde(rename = "id")]
    _id: Option<toml::Value>,
    label: Option<String>,
    from: Option<toml::Value>,
    until: Option<toml::Value>,
    style_id: String,
    placement: String,
    position: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScoreRule {
    #[serde(rename = "id")]
    _id: Option<toml::Value>,
    label: Option<String>,
    from: Option<toml::Value>,
    until: Option<toml::Value>,
    brand: Option<String>,
    tag: Option<String>,
    category: Option<Category>,
    price_band: Option<PriceBand>,
    style_ids: Option<Vec<String>>,
    multiplier: f32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExclusion {
    #[serde(rename = "id")]
    _id: Option<toml::Value>,
    label: Option<String>,
    from: Option<toml::Value>,
    until: Option<toml::Value>,
    brand: Option<String>,
    tag: Option<String>,
    category: Option<Category>,
    price_band: Option<PriceBand>,
    style_ids: Option<Vec<String>>,
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCap {
    #[serde(rename = "id")]
    _id: Option<toml::Value>,
    label: Option<String>,
    from: Option<toml::Value>,
    until: Option<toml::Value>,
    brand: Option<String>,
    tag: Option<String>,
    category: Option<Category>,
    price_band: Option<PriceBand>,
    style_ids: Option<Vec<String>>,
    per: Option<String>,
    max: usize,
}

/// The match fields of a rule; exactly one must be given.
pub(super) struct RawMatch {
    pub brand: Option<String>,
    pub tag: Option<String>,
    pub category: Option<Category>,
    pub price_band: Option<PriceBand>,
    pub style_ids: Option<Vec<String>>,
}

/// The match fields of a parsed rule section, moved out.
macro_rules! raw_match {
    ($raw:expr) => {
        RawMatch {
            brand: $raw.brand,
            tag: $raw.tag,
            category: $raw.category,
            price_band: $raw.price_band,
            style_ids: $raw.style_ids,
        }
    };
}

pub(super) const MATCH_FIELDS: &str = "brand, tag, category, price_band or style_ids";

/// Collects the problems of one rule while it is checked.
pub(super) struct Check<'a> {
    pub rule: String,
    pub errors: &'a mut Vec<RuleError>,
}

impl<'a> Check<'a> {
    /// The check of the `n`th (1-based) rule of `section`: named by its `id` when that is
    /// a valid id, else `section[n]` (and a bad `id` is the first problem).
    pub(super) fn named(
        section: &str,
        n: usize,
        entry: &toml::Value,
        errors: &'a mut Vec<RuleError>,
    ) -> Self {
        let fallback = format!("{section}[{n}]");
        let id = entry.get("id").and_then(toml::Value::as_str);
        let mut check = Check {
            rule: id
                .filter(|id| validate_id(id).is_ok())
                .map_or_else(|| fallback.clone(), str::to_string),
            errors,
        };
        if let Some(Err(message)) = id.map(validate_id) {
            check.rule = fallback;
            check.fail("id", message);
        }
        check
    }

    pub(super) fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(RuleError {
            rule: Some(self.rule.clone()),
            field: Some(field.to_string()),
            message: message.into(),
        });
    }

    fn date(&mut self, field: &str, value: Option<toml::Value>) -> Option<NaiveDate> {
        let text = match value? {
            toml::Value::String(s) => s,
            toml::Value::Datetime(d) => d.to_string(),
            other => other.to_string(),
        };
        match NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
            Ok(date) => Some(date),
            Err(_) => {
                self.fail(field, format!("`{text}` is not a date (YYYY-MM-DD)"));
                None
            }
        }
    }

    pub(super) fn meta(
        &mut self,
        label: Option<String>,
        from: Option<toml::Value>,
        until: Option<toml::Value>,
    ) -> RuleMeta {
        if let Some(label) = &label {
            if label.trim().is_empty() || label.chars().count() > MAX_LABEL_CHARS {
                self.fail("label", format!("must be 1-{MAX_LABEL_CHARS} characters"));
            }
        }
        let from = self.date("from", from);
        let until = self.date("until", until);
        if let (Some(f), Some(u)) = (from, until) {
            if f > u {
                self.fail("until", format!("{u} is before `from` ({f})"));
            }
        }
        RuleMeta {
            name: self.rule.clone(),
            label: label.map(|l| l.trim().to_string()),
            from,
            until,
        }
    }

    pub(super) fn style_match(&mut self, raw: RawMatch) -> Option<StyleMatch> {
        let mut found = Vec::new();
        if let Some(brand) = raw.brand {
            found.push(("brand", StyleMatch::Brand(brand.trim().to_string())));
        }
        if let Some(tag) = raw.tag {
            found.push(("tag", StyleMatch::Tag(tag.trim().to_string())));
        }
        if let Some(category) = raw.category {
            found.push(("category", StyleMatch::Category(category)));
        }
        if let Some(band) = raw.price_band {
            found.push(("price_band", StyleMatch::PriceBand(band)));
        }
        if let Some(ids) = raw.style_ids {
            if ids.is_empty() {
                self.fail("style_ids", "must name at least one style");
            }
            for id in &ids {
                if let Err(message) = validate_id(id) {
                    self.fail("style_ids", format!("`{id}` {message}"));
                }
            }
            found.push(("style_ids", StyleMatch::StyleIds(ids)));
        }
        for (field, m) in &found {
            if matches!(m, StyleMatch::Brand(v) | StyleMatch::Tag(v) if v.is_empty()) {
                self.fail(field, "must not be empty");
            }
        }
        match found.len() {
            1 => found.pop().map(|(_, m)| m),
            0 => {
                self.fail("brand", format!("give one of {MATCH_FIELDS}"));
                None
            }
            _ => {
                let fields: Vec<&str> = found.iter().map(|(f, _)| *f).collect();
                self.fail(
                    fields[1],
                    format!(
                        "give only one of {MATCH_FIELDS} (found {})",
                        fields.join(", ")
                    ),
                );
                None
            }
        }
    }
}

impl MerchandisingRules {
    /// Parses and validates a rule file; every problem is reported, each naming its rule
    /// (`id` or `section[n]`) and field.
    pub fn from_toml_str(text: &str) -> Result<Self, MerchandisingError> {
        let whole = |message: String| {
            MerchandisingError(vec![RuleError {
                rule: None,
                field: None,
                message,
            }])
        };
        let table: toml::Table =
            toml::from_str(text).map_err(|e| whole(format!("not valid TOML: {}", e.message())))?;
        let mut errors = Vec::new();
        let mut rules = Self::default();
        for (key, value) in table {
            let kind = match key.as_str() {
                "promotion" => None,
                "pin" => Some(RuleKind::Pin),
                "boost" => Some(RuleKind::Boost),
                "bury" => Some(RuleKind::Bury),
                "exclude" => Some(RuleKind::Exclude),
                "cap" => Some(RuleKind::Cap),
                _ => {
                    errors.push(RuleError {
                        rule: None,
                        field: Some(key.clone()),
                        message: "unknown section; use [[pin]], [[boost]], [[bury]], [[exclude]], [[cap]] or [[promotion]]".to_string(),
                    });
                    continue;
                }
            };
            let toml::Value::Array(entries) = value else {
                errors.push(RuleError {
                    rule: None,
                    field: Some(key.clone()),
                    message: format!("must be an array of tables ([[{key}]])"),
                });
                continue;
            };
            for (n, entry) in entries.into_iter().enumerate() {
                let section = kind.map_or("promotion", RuleKind::section);
                let mut check = Check::named(section, n + 1, &entry, &mut errors);
                match kind {
                    Some(kind) => rules.add(kind, &mut check, entry),
                    None => {
                        if let Some(promotion) = parse_promotion(&mut check, entry) {
                            rules.promotions.push(promotion);
                        }
                    }
                }
            }
        }
        rules.score_rules.sort_by_key(|r| r.kind != RuleKind::Boost);
        let mut names: Vec<&str> = rules.names().collect();
        names.sort_unstable();
        for pair in names.windows(2) {
            if pair[0] == pair[1] {
                errors.push(RuleError {
                    rule: Some(pair[0].to_string()),
                    field: Some("id".to_string()),
                    message: "another rule has the same id".to_string(),
                });
            }
        }
        if errors.is_empty() {
            Ok(rules)
        } else {
            Err(MerchandisingError(errors))
        }
    }

    fn names(&self) -> impl Iterator<Item = &str> {
        let pins = self.pins.iter().map(|r| &r.meta);
        let scores = self.score_rules.iter().map(|r| &r.meta);
        let exclusions = self.exclusions.iter().map(|r| &r.meta);
        let caps = self.caps.iter().map(|r| &r.meta);
        let promotions = self.promotions.iter().map(|r| &r.meta);
        pins.chain(scores)
            .chain(exclusions)
            .chain(caps)
            .chain(promotions)
            .map(|m| m.name.as_str())
    }

    fn add(&mut self, kind: RuleKind, check: &mut Check<'_>, entry: toml::Value) {
        match kind {
            RuleKind::Pin => {
                let Some(raw) = parse::<RawPin>(check, entry) else {
                    return;
                };
                let meta = check.meta(raw.label, raw.from, raw.until);
                for (field, value) in [("style_id", &raw.style_id), ("placement", &raw.placement)] {
                    if let Err(message) = validate_id(value) {
                        check.fail(field, message);
                    }
                }
                if !(1..=MAX_LIST_SIZE).contains(&raw.position) {
                    check.fail("position", format!("must be between 1 and {MAX_LIST_SIZE}"));
                }
                self.pins.push(Pin {
                    meta,
                    style_id: raw.style_id,
                    placement: raw.placement,
                    position: raw.position,
                });
            }
            RuleKind::Boost | RuleKind::Bury => {
                let Some(raw) = parse::<RawScoreRule>(check, entry) else {
                    return;
                };
                let meta = check.meta(raw.label, raw.from, raw.until);
                let m = raw.multiplier;
                let (ok, range) = if kind == RuleKind::Boost {
                    (
                        m > 1.0 && m <= MAX_MULTIPLIER,
                        format!("above 1 and at most {MAX_MULTIPLIER}"),
                    )
                } else {
                    (
                        (MIN_MULTIPLIER..1.0).contains(&m),
                        format!("at least {MIN_MULTIPLIER} and below 1"),
                    )
                };
                if !(m.is_finite() && ok) {
                    check.fail("multiplier", format!("must be {range} (got {m})"));
                }
                if let Some(matches) = check.style_match(raw_match!(raw)) {
                    self.score_rules.push(ScoreRule {
                        meta,
                        kind,
                        matches,
                        multiplier: m,
                    });
                }
            }
            RuleKind::Exclude => {
                let Some(raw) = parse::<RawExclusion>(check, entry) else {
                    return;
                };
                let meta = check.meta(raw.label, raw.from, raw.until);
                if let Some(matches) = check.style_match(raw_match!(raw)) {
                    self.exclusions.push(Exclusion {
                        meta,
                        matches,
                        reason: raw.reason.filter(|r| !r.trim().is_empty()),
                    });
                }
            }
            RuleKind::Cap => {
                let Some(raw) = parse::<RawCap>(check, entry) else {
                    return;
                };
                let meta = check.meta(raw.label, raw.from, raw.until);
                if raw.max == 0 {
                    check.fail(
                        "max",
                        "must be at least 1 (use [[exclude]] to remove styles)",
                    );
                }
                let group = match raw.per.as_deref() {
                    Some("brand") => {
                        let none = raw.brand.is_none()
                            && raw.tag.is_none()
                            && raw.category.is_none()
                            && raw.price_band.is_none()
                            && raw.style_ids.is_none();
                        if !none {
                            check.fail(
                                "per",
                                format!("`per` and {MATCH_FIELDS} exclude each other"),
                            );
                        }
                        Some(CapGroup::EachBrand)
                    }
                    Some(other) => {
                        check.fail("per", format!("`{other}` is not a grouping; use \"brand\""));
                        None
                    }
                    None => check.style_match(raw_match!(raw)).map(CapGroup::Matching),
                };
                if let Some(group) = group {
                    self.caps.push(Cap {
                        meta,
                        group,
                        max: raw.max,
                    });
                }
            }
        }
    }
}

/// One rule's table into its section's shape; a missing, misspelt or mistyped field is
/// reported by name.
pub(super) fn parse<T: DeserializeOwned>(check: &mut Check<'_>, entry: toml::Value) -> Option<T> {
    match serde_path_to_error::deserialize::<_, T>(entry) {
        Ok(raw) => Some(raw),
        Err(e) => {
            let path = e.path().to_string();
            let message = e.into_inner().message().to_string();
            // serde names an unknown or missing field in the message, not in the path.
            let field = if path.is_empty() || path == "." {
                field_in(&message).unwrap_or(path)
            } else {
                path
            };
            check.fail(&field, message);
            None
        }
    }
}

/// The first backquoted name in a serde message (`unknown field `multipler`, expected ...`).
fn field_in(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_string())
}

//! Merchandising rules: what a merchandiser sets without code (`merchandising.toml` in the
//! data directory, `config/merchandising.toml` in the bucket on AWS). Pins put a style at a
//! position of one placement, boosts and buries multiply scores (bounded), exclusions take
//! styles off every list (recalls, out-of-season), caps limit how many of one brand (or any
//! match) a list shows. Every rule may carry `from`/`until` dates (inclusive, UTC).
//!
//! This file is the rules' shape; parsing and validation are in
//! [`super::merchandising_parse`], how the rules change a list in
//! [`super::merchandising_pass`]; the order of application is in `docs/merchandising.md`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::promotions::Promotion;
use crate::domain::{Category, PriceBand, Style};

/// Smallest multiplier a bury may set (a quarter of the score).
pub const MIN_MULTIPLIER: f32 = 0.25;
/// Largest multiplier a boost may set (four times the score).
pub const MAX_MULTIPLIER: f32 = 4.0;

/// The kinds of rule, in the sections of the file (`[[pin]]`, `[[boost]]`...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    Pin,
    Boost,
    Bury,
    Exclude,
    Cap,
}

impl RuleKind {
    pub(super) fn section(self) -> &'static str {
        match self {
            Self::Pin => "pin",
            Self::Boost => "boost",
            Self::Bury => "bury",
            Self::Exclude => "exclude",
            Self::Cap => "cap",
        }
    }
}

/// What a rule is called in errors, logs and `why` answers, when it is active, and what it
/// may say to shoppers.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleMeta {
    /// The rule's `id`, else its section and 1-based place in it (`boost[2]`).
    pub name: String,
    pub label: Option<String>,
    pub from: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
}

impl RuleMeta {
    /// Whether the rule applies on the day of `now` (both dates inclusive).
    pub fn active(&self, now: DateTime<Utc>) -> bool {
        let day = now.date_naive();
        self.from.is_none_or(|from| from <= day) && self.until.is_none_or(|until| day <= until)
    }
}

/// Which styles a boost, bury, exclusion or cap is about.
#[derive(Debug, Clone, PartialEq)]
pub enum StyleMatch {
    /// Case-insensitive.
    Brand(String),
    /// Case-insensitive.
    Tag(String),
    Category(Category),
    PriceBand(PriceBand),
    StyleIds(Vec<String>),
}

impl StyleMatch {
    pub fn matches(&self, style: &Style) -> bool {
        match self {
            Self::Brand(brand) => style.brand.eq_ignore_ascii_case(brand),
            Self::Tag(tag) => style.tags.iter().any(|t| t.eq_ignore_ascii_case(tag)),
            Self::Category(category) => style.category == *category,
            Self::PriceBand(band) => style.price_band() == *band,
            Self::StyleIds(ids) => ids.contains(&style.id),
        }
    }

    /// The match in words, for `why` answers ("brand Lumen", "price band budget").
    pub fn describe(&self) -> String {
        fn named(value: impl Serialize) -> String {
            serde_json::to_value(value)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        }
        match self {
            Self::Brand(brand) => format!("brand {brand}"),
            Self::Tag(tag) => format!("tag {tag}"),
            Self::Category(category) => format!("category {}", named(category)),
            Self::PriceBand(band) => format!("price band {}", named(band)),
            Self::StyleIds(ids) => format!("styles {}", ids.join(", ")),
        }
    }
}

/// `[[pin]]`: `style_id` at `position` (1-based) of the lists of `placement`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pin {
    pub meta: RuleMeta,
    pub style_id: String,
    pub placement: String,
    pub position: usize,
}

/// `[[boost]]` (multiplier above 1) or `[[bury]]` (below 1).
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreRule {
    pub meta: RuleMeta,
    pub kind: RuleKind,
    pub matches: StyleMatch,
    pub multiplier: f32,
}

/// `[[exclude]]`: off every list while active.
#[derive(Debug, Clone, PartialEq)]
pub struct Exclusion {
    pub meta: RuleMeta,
    pub matches: StyleMatch,
    /// Why, for operators and `why` answers ("recall", "out of season").
    pub reason: Option<String>,
}

/// What a cap counts together.
#[derive(Debug, Clone, PartialEq)]
pub enum CapGroup {
    /// Every style the match selects, as one group.
    Matching(StyleMatch),
    /// Each brand on its own (`per = "brand"`).
    EachBrand,
}

/// `[[cap]]`: at most `max` styles of a group per list; the lower ones leave the list.
#[derive(Debug, Clone, PartialEq)]
pub struct Cap {
    pub meta: RuleMeta,
    pub group: CapGroup,
    pub max: usize,
}

/// A whole rule file, parsed and validated. Empty when there is no file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MerchandisingRules {
    pub pins: Vec<Pin>,
    /// Boosts and buries, in file order (boosts first).
    pub score_rules: Vec<ScoreRule>,
    pub exclusions: Vec<Exclusion>,
    pub caps: Vec<Cap>,
    /// `[[promotion]]`: prices, not positions (see [`super::promotions`]).
    pub promotions: Vec<Promotion>,
}

/// One problem of a rule file, naming the rule and the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// `None` for a problem of the whole file (syntax, unknown section).
    pub rule: Option<String>,
    pub field: Option<String>,
    pub message: String,
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.rule, &self.field) {
            (Some(rule), Some(field)) => {
                write!(f, "rule {rule}, field `{field}`: {}", self.message)
            }
            (Some(rule), None) => write!(f, "rule {rule}: {}", self.message),
            (None, Some(field)) => write!(f, "`{field}`: {}", self.message),
            (None, None) => f.write_str(&self.message),
        }
    }
}

/// Every problem found in a rule file (at least one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("merchandising rules refused: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct MerchandisingError(pub Vec<RuleError>);

impl MerchandisingRules {
    /// Whether the file has no rule that changes lists (they are then served untouched;
    /// promotions price items, they do not move them).
    pub fn no_list_rules(&self) -> bool {
        self.pins.is_empty()
            && self.score_rules.is_empty()
            && self.exclusions.is_empty()
            && self.caps.is_empty()
    }

    /// The active boosts and buries matching `style`, and their product bounded to
    /// [`MIN_MULTIPLIER`]..=[`MAX_MULTIPLIER`] (1 when none matches).
    pub fn multiplier(&self, style: &Style, now: DateTime<Utc>) -> (f32, Vec<&ScoreRule>) {
        let matched: Vec<&ScoreRule> = self
            .score_rules
            .iter()
            .filter(|r| r.meta.active(now) && r.matches.matches(style))
            .collect();
        let product: f32 = matched.iter().map(|r| r.multiplier).product();
        (product.clamp(MIN_MULTIPLIER, MAX_MULTIPLIER), matched)
    }

    /// The first active exclusion of `style`, if any.
    pub fn exclusion(&self, style: &Style, now: DateTime<Utc>) -> Option<&Exclusion> {
        self.exclusions
            .iter()
            .find(|r| r.meta.active(now) && r.matches.matches(style))
    }

    /// How many rules of any kind, promotions included.
    pub fn len(&self) -> usize {
        self.pins.len()
            + self.score_rules.len()
            + self.exclusions.len()
            + self.caps.len()
            + self.promotions.len()
    }

    /// Whether the file has no rule of any kind.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The promotions running on the day of `now`.
    pub fn active_promotions(&self, now: DateTime<Utc>) -> impl Iterator<Item = &Promotion> {
        self.promotions.iter().filter(move |p| p.meta.active(now))
    }
}

//! Personalized content: product copy for a shopper ([`copy`]), the curated rows of a page
//! (`GET /v1/customers/{id}/content`, [`page`]) and the weekly email digest ([`digest`]).
//!
//! Everything said comes from data: copy is rendered from templates fed only with facts read
//! from the catalogue, the shopper's profile and the optics (face-shape and colour guidance of
//! domain brief section 5, lens advice of section 4); a sentence whose fact is missing is left
//! out rather than filled in. Prescription values never appear: copy says "your
//! prescription", so it may sit in any log or private cache.

mod copy;
mod digest;
mod page;
#[cfg(test)]
mod tests;

use std::sync::LazyLock;

use chrono::{DateTime, Datelike, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::Category;
use crate::engine::Hemisphere;
use crate::error::{ServiceError, ValidationErrors};

pub use copy::{product_copy, CopyFacts, FaceFact, LensFact, OccasionFact};
pub use digest::{
    digest_key, DigestBatch, DigestItem, DigestMarker, DigestOutbox, DigestOutcome, EmailDigest,
    DIGEST_ITEMS, DIGEST_MARKERS, DIGEST_MIN_INTERVAL_DAYS, EMAIL_PLACEMENT,
};
pub use page::{ContentItem, ContentPage, ContentRow, Hero, PageKind, CONTENT_ROWS};

/// What the shopper is shopping for (`?occasion=`): it picks the categories of an occasion
/// row and one sentence of copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Occasion {
    Work,
    Screen,
    Driving,
    Sport,
    Beach,
    Evening,
    Reading,
}

impl Occasion {
    pub const ALL: [Occasion; 7] = [
        Self::Work,
        Self::Screen,
        Self::Driving,
        Self::Sport,
        Self::Beach,
        Self::Evening,
        Self::Reading,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Work => "work",
            Self::Screen => "screen",
            Self::Driving => "driving",
            Self::Sport => "sport",
            Self::Beach => "beach",
            Self::Evening => "evening",
            Self::Reading => "reading",
        }
    }

    /// The occasion a query names; 400 naming `occasion` for any other value.
    pub fn parse(value: &str) -> Result<Self, ValidationErrors> {
        Self::ALL
            .into_iter()
            .find(|o| o.name() == value)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|o| o.name()).collect();
                ValidationErrors::single("occasion", format!("must be one of {}", names.join(", ")))
            })
    }

    /// The categories whose frames are picked for this occasion (a merchandising rule: sun
    /// lenses for the beach and the drive, sport frames for sport, optical for the rest).
    pub fn categories(self) -> &'static [Category] {
        match self {
            Self::Beach => &[Category::Sun],
            Self::Driving => &[Category::Sun, Category::Optical],
            Self::Sport => &[Category::Sport],
            Self::Work | Self::Screen | Self::Evening | Self::Reading => &[Category::Optical],
        }
    }

    /// The phrase after "picked for" in copy.
    pub(crate) fn phrase(self) -> &'static str {
        match self {
            Self::Work => "your workday",
            Self::Screen => "screen time",
            Self::Driving => "your commute",
            Self::Sport => "sport",
            Self::Beach => "the beach",
            Self::Evening => "evenings out",
            Self::Reading => "reading",
        }
    }

    /// The title of the page row of this occasion.
    pub(crate) fn row_title(self) -> &'static str {
        match self {
            Self::Work => "For your workday",
            Self::Screen => "For screen time",
            Self::Driving => "For your commute",
            Self::Sport => "For your sport",
            Self::Beach => "For the beach",
            Self::Evening => "For evenings out",
            Self::Reading => "For reading",
        }
    }
}

/// Meteorological season (whole months) of the hero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Season {
    Spring,
    Summer,
    Autumn,
    Winter,
}

impl Season {
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

/// The embedded templates, parsed once. Undefined values are strict, so a template naming
/// a fact that is not supplied fails (a 500) instead of printing an empty claim.
static TEMPLATE_ENV: LazyLock<minijinja::Environment<'static>> = LazyLock::new(|| {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    for (name, source) in TEMPLATES {
        // Compiled into the binary; a parse error surfaces as a render error of that name
        // (and fails the template tests).
        if let Err(e) = env.add_template(name, source) {
            tracing::error!(error = %e, template = name, "content template does not parse");
        }
    }
    env
});

const TEMPLATES: [(&str, &str); 2] = [
    (
        copy::TEMPLATE,
        include_str!("templates/product_copy.txt.jinja"),
    ),
    (
        digest::TEMPLATE,
        include_str!("templates/digest.html.jinja"),
    ),
];

/// Renders an embedded template (names ending `.html` are HTML-escaped); a failure is the
/// code's fault, never the request's.
fn render<S: Serialize>(name: &str, context: S) -> Result<String, ServiceError> {
    TEMPLATE_ENV
        .get_template(name)
        .and_then(|t| t.render(context))
        .map_err(|e| ServiceError::Model(format!("content template {name}: {e}")))
}

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

use serde::Serialize;

use crate::domain::Category;
use crate::engine::OccasionRule;
use crate::error::ServiceError;

pub use copy::{product_copy, CopyFacts, FaceFact, LensFact, OccasionFact};
pub use digest::{
    digest_key, DigestBatch, DigestItem, DigestMarker, DigestOutbox, DigestOutcome, EmailDigest,
    DIGEST_ITEMS, DIGEST_MARKERS, DIGEST_MIN_INTERVAL_DAYS, EMAIL_PLACEMENT,
};
pub use page::{ContentItem, ContentPage, ContentRow, Hero, PageKind, CONTENT_ROWS};

/// The occasion of a content request (`?occasion=`), as configured in
/// `[context.occasions.ID]`, so an occasion a shop adds gets its row, hero and copy too: it
/// picks the categories of the occasion row and one sentence of copy.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ContentOccasion<'a> {
    pub id: &'a str,
    pub rule: &'a OccasionRule,
}

impl ContentOccasion<'_> {
    /// Whether frames of `category` are picked for it (every category when it names none).
    pub(crate) fn takes(&self, category: Category) -> bool {
        self.rule.categories.is_empty() || self.rule.categories.contains(&category)
    }

    /// The phrase after "picked for" in copy and "edit for" in the hero: the rule's label.
    pub(crate) fn phrase(&self) -> &str {
        &self.rule.label
    }

    /// The title of the page row of this occasion.
    pub(crate) fn row_title(&self) -> String {
        format!("For {}", self.rule.label)
    }
}

/// The hero's season: the meteorological season of the shopper's hemisphere.
pub use crate::domain::Season;

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

//! The evidence of "why this pick?": which history styles move the collaborative and taste
//! terms and by how much (each measured by re-scoring without that style's signals), and
//! which profile fields and declared preferences the style matches.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::features::BrandTable;
use super::fit::{age_fit, colour_harmony, face_shape_fit};
use super::reasons::{
    capitalized, category_label, colour_label, face_label, material_label, rim_label, shape_label,
};
use super::scoring::{Candidate, Scoring, Term};
use super::taste::Shopper;
use super::why::WhyContext;
use super::Engine;
use crate::domain::{Customer, Signal, SignalKind, Style};
use crate::optics::style::face_shape_of;

/// History styles measured (the weightiest first): each costs one re-score.
const MAX_MEASURED: usize = 40;
/// History styles reported.
const MAX_REPORTED: usize = 8;
/// Smaller influences are noise.
const MIN_INFLUENCE: f32 = 1e-4;

/// One history style and what it does to this style's personal terms.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct HistoryEvidence {
    pub style_id: String,
    pub name: String,
    /// The most committed positive signal on it (purchase beats view), or the return or
    /// dismissal when those outweigh it.
    pub kind: SignalKind,
    /// How many of the shopper's signals are on this style.
    pub signals: usize,
    pub last_at: DateTime<Utc>,
    /// Decayed signal weight (negative when returns or dismissals dominate).
    pub weight: f32,
    /// How much the collaborative contribution falls without this style's signals.
    pub collaborative: f32,
    /// How much the taste contribution falls without this style's signals.
    pub taste: f32,
    /// The style the collaborative term is anchored on (the one its reason names).
    pub anchor: bool,
}

/// A profile field or declared preference the engine scores the style against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProfileField {
    FaceShape,
    Colouring,
    AgeBand,
    PreferredShapes,
    PreferredColours,
    PreferredMaterials,
    PreferredRims,
    PreferredBrands,
    PreferredCategories,
    Budget,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ProfileEvidence {
    pub field: ProfileField,
    pub matched: bool,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Evidence {
    /// Strongest influence first.
    pub history: Vec<HistoryEvidence>,
    pub profile: Vec<ProfileEvidence>,
}

/// Which features of the style the shopper's positive history (other styles) shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct HistoryMatch {
    pub shape: bool,
    pub colour: bool,
    pub material: bool,
}

/// The history styles that move the target's collaborative and taste terms, strongest
/// first, each measured by re-scoring without every signal on that style.
pub(super) fn history_evidence(
    ctx: &WhyContext<'_>,
    scoring: &Scoring<'_>,
    candidate: &Candidate,
) -> Vec<HistoryEvidence> {
    let cat = &ctx.engine.catalogue;
    let history = ctx.request.history;
    let mut slots: Vec<usize> = (0..scoring.shopper.items.len()).collect();
    slots.sort_by(|a, b| {
        let w = |s: &usize| scoring.shopper.items[*s].weight.abs();
        w(b).total_cmp(&w(a)).then(a.cmp(b))
    });
    slots.truncate(MAX_MEASURED);
    let mut out: Vec<HistoryEvidence> = slots
        .into_iter()
        .filter_map(|slot| {
            let entry = &scoring.shopper.items[slot];
            let style = &cat.styles[entry.index];
            let own: Vec<&Signal> = history.iter().filter(|s| s.style_id == style.id).collect();
            let without = without_style(history, &style.id);
            let rescored = ctx.rescore(&without);
            let collaborative =
                candidate.part(Term::Collaborative) - rescored.part(Term::Collaborative);
            let taste = candidate.part(Term::Taste) - rescored.part(Term::Taste);
            if collaborative.abs() + taste.abs() < MIN_INFLUENCE {
                return None;
            }
            let kind = if entry.weight < 0.0 && (entry.returned || entry.dismissed) {
                if entry.returned {
                    SignalKind::Return
                } else {
                    SignalKind::Dismiss
                }
            } else {
                entry
                    .kind
                    .or_else(|| own.first().map(|s| s.kind))
                    .unwrap_or(SignalKind::View)
            };
            Some(HistoryEvidence {
                style_id: style.id.clone(),
                name: style.name.clone(),
                kind,
                signals: own.len(),
                last_at: own.iter().map(|s| s.timestamp).max()?,
                weight: entry.weight,
                collaborative,
                taste,
                anchor: candidate.collab_anchor == Some(slot),
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (b.collaborative + b.taste)
            .abs()
            .total_cmp(&(a.collaborative + a.taste).abs())
    });
    out.truncate(MAX_REPORTED);
    out
}

/// The history without any signal on `style_id`.
pub(super) fn without_style(history: &[Signal], style_id: &str) -> Vec<Signal> {
    history
        .iter()
        .filter(|s| s.style_id != style_id)
        .cloned()
        .collect()
}

pub(super) fn history_match(engine: &Engine, shopper: &Shopper<'_>, target: usize) -> HistoryMatch {
    let features = &engine.catalogue.features;
    let t = &features[target];
    let liked = || {
        shopper
            .items
            .iter()
            .filter(|e| e.weight > 0.0 && e.index != target)
            .map(|e| &features[e.index])
    };
    HistoryMatch {
        shape: liked().any(|f| f.shape == t.shape),
        colour: liked().any(|f| f.colours & t.colours != 0),
        material: liked().any(|f| f.material == t.material),
    }
}

/// The profile fields and declared preferences that apply, matched or not. The same
/// functions the profile and preference terms score with decide "matched".
pub(super) fn profile_evidence(
    engine: &Engine,
    customer: Option<&Customer>,
    target: usize,
) -> Vec<ProfileEvidence> {
    let Some(customer) = customer else {
        return Vec::new();
    };
    let style = &engine.catalogue.styles[target];
    let mut out = Vec::new();
    let mut push = |field, matched, text: String| {
        out.push(ProfileEvidence {
            field,
            matched,
            text,
        });
    };
    let shape = shape_label(style.shape);
    if let Some(face) = face_shape_of(customer) {
        let fit = face_shape_fit(face, style.shape, style.rim);
        let text = if fit > 0.0 {
            format!(
                "{} frames suit {} face",
                capitalized(shape),
                face_label(face)
            )
        } else {
            format!(
                "{} frames are not the advice for {} face",
                capitalized(shape),
                face_label(face)
            )
        };
        push(ProfileField::FaceShape, fit > 0.0, text);
    }
    if customer.undertone.is_some() || customer.colour_season.is_some() {
        let best = style
            .colourways
            .iter()
            .map(|c| (c, colour_harmony(customer, &c.colour)))
            .reduce(|a, b| if b.1 > a.1 { b } else { a });
        // The profile term names colouring from 0.5 up.
        let matched = best.is_some_and(|(_, s)| s > 0.5);
        let text = match best {
            Some((c, _)) if matched => format!("{} suits your colouring", c.colour.name),
            _ => "None of its colours is a strong match for your colouring".to_string(),
        };
        push(ProfileField::Colouring, matched, text);
    }
    if let Some(age) = customer.age_band {
        let fit = age_fit(age, style.category);
        let text = if fit >= 0.0 {
            format!(
                "{} suit your age group",
                capitalized(category_label(style.category))
            )
        } else {
            format!(
                "{} are not made for your age group",
                capitalized(category_label(style.category))
            )
        };
        push(ProfileField::AgeBand, fit >= 0.0, text);
    }
    preference_evidence(style, customer, &mut push);
    out
}

fn preference_evidence(
    style: &Style,
    customer: &Customer,
    push: &mut impl FnMut(ProfileField, bool, String),
) {
    let p = &customer.preferences;
    let mut dimension = |field, declared: bool, matched: bool, what: String| {
        if declared {
            let text = if matched {
                format!("Matches your preference for {what}")
            } else {
                format!("Not one of your preferred {}", preferred_noun(field))
            };
            push(field, matched, text);
        }
    };
    dimension(
        ProfileField::PreferredShapes,
        !p.shapes.is_empty(),
        p.shapes.contains(&style.shape),
        format!("{} frames", shape_label(style.shape)),
    );
    let common = style
        .colourways
        .iter()
        .map(|c| c.colour.family)
        .find(|f| p.colour_families.contains(f));
    dimension(
        ProfileField::PreferredColours,
        !p.colour_families.is_empty(),
        common.is_some(),
        common.map_or_else(String::new, |f| format!("{} frames", colour_label(f))),
    );
    dimension(
        ProfileField::PreferredMaterials,
        !p.materials.is_empty(),
        p.materials.contains(&style.material),
        format!("{} frames", material_label(style.material)),
    );
    dimension(
        ProfileField::PreferredRims,
        !p.rims.is_empty(),
        p.rims.contains(&style.rim),
        format!("{} frames", rim_label(style.rim)),
    );
    let brand = BrandTable::key(&style.brand);
    dimension(
        ProfileField::PreferredBrands,
        !p.brands.is_empty(),
        p.brands.iter().any(|b| BrandTable::key(b) == brand),
        style.brand.clone(),
    );
    dimension(
        ProfileField::PreferredCategories,
        !p.categories.is_empty(),
        p.categories.contains(&style.category),
        category_label(style.category).to_string(),
    );
    if let Some(max) = p.max_price_cents {
        let within = style.price_cents <= max;
        let text = if within {
            "Within your budget"
        } else {
            "Over your budget"
        };
        push(ProfileField::Budget, within, text.to_string());
    }
}

fn preferred_noun(field: ProfileField) -> &'static str {
    match field {
        ProfileField::PreferredShapes => "shapes",
        ProfileField::PreferredColours => "colours",
        ProfileField::PreferredMaterials => "materials",
        ProfileField::PreferredRims => "rim types",
        ProfileField::PreferredBrands => "brands",
        ProfileField::PreferredCategories => "categories",
        _ => "choices",
    }
}

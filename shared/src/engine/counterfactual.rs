//! Counterfactuals of "why this pick?": the smallest changes that take a style off the
//! shopper's page or put it on, each confirmed by re-running the engine (or, for sizes,
//! the fit rules) with the change. A change the re-run does not confirm is not reported.
//!
//! - without a history style: re-run without every signal on one of the styles that move
//!   the pick most ("Without your try-on of Aurora Round this would not be shown");
//! - another size: a size of the style that every fit rule accepts when none in stock does;
//! - a declared preference: the preference value that changes the page most, and the
//!   styles it would bring onto it.

use serde::Serialize;
use utoipa::ToSchema;

use super::reasons::{colour_label, material_label, rim_label, shape_label};
use super::scoring::Scoring;
use super::why::{signal_phrase, ListRun, WhyContext, WhyRequest};
use super::why_evidence::{without_style, HistoryEvidence};
use super::why_fit::{refusing_rules, FitRuleKind, FitVerdict};
use super::Engine;
use crate::domain::{ColourFamily, Customer, Material, RimType, Shape, StylePreferences};

/// History styles tried as counterfactuals (each costs one full list run).
const MAX_HISTORY_TRIES: usize = 3;
/// Styles a preference change names.
const MAX_BROUGHT_IN: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CounterfactualKind {
    /// Without every signal on one history style.
    WithoutSignal,
    /// In another size of the style.
    OtherSize,
    /// With one declared preference replaced.
    Preference,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PreferenceDimension {
    Shapes,
    Materials,
    ColourFamilies,
    Rims,
}

/// A declared preference set to one value (the others kept).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PreferenceChange {
    pub dimension: PreferenceDimension,
    /// The value as profiles spell it (`titanium`, `cat_eye`, ...).
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StyleRef {
    pub style_id: String,
    pub name: String,
}

/// One confirmed what-if.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Counterfactual {
    pub kind: CounterfactualKind,
    pub text: String,
    /// `without_signal`: the history style whose signals the re-run left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_style_id: Option<String>,
    /// `without_signal`: how many signals that was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signals_dropped: Option<usize>,
    /// `other_size`: the size every fit rule accepts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preference: Option<PreferenceChange>,
    /// `preference`: styles the change brings onto the page, best first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub brings_in: Vec<StyleRef>,
    /// Whether the explained style is on the page after the change.
    pub shown_after: bool,
    /// Its 1-based position on the re-run list, when on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position_after: Option<usize>,
}

impl Counterfactual {
    fn new(kind: CounterfactualKind, text: String, shown_after: bool) -> Self {
        Self {
            kind,
            text,
            history_style_id: None,
            signals_dropped: None,
            size: None,
            preference: None,
            brings_in: Vec::new(),
            shown_after,
            position_after: None,
        }
    }
}

/// Re-runs without the history styles that hold the pick up (when it is shown) or hold it
/// down (when it is not), and reports those whose absence flips it.
pub(super) fn without_history(
    ctx: &WhyContext<'_>,
    scoring: &Scoring<'_>,
    evidence: &[HistoryEvidence],
    list: &ListRun,
) -> Vec<Counterfactual> {
    let target = ctx.target;
    let shown = list.shows(target, ctx.top);
    let own_id = &ctx.engine.catalogue.styles[target].id;
    if !shown && !scoring.competes(target) && !scoring.is_blocked(target) {
        return Vec::new(); // unavailable: no history change can show it
    }
    let tries = evidence
        .iter()
        .filter(|e| {
            let influence = e.collaborative + e.taste;
            // The shopper's own dismissal or return of it keeps it off whatever it scores.
            let own_block = !shown && &e.style_id == own_id && scoring.is_blocked(target);
            own_block || (shown && influence > 0.0) || (!shown && influence < 0.0)
        })
        .take(MAX_HISTORY_TRIES);
    let mut out = Vec::new();
    for e in tries {
        let without = without_style(ctx.request.history, &e.style_id);
        let run = ctx.run(ctx.request.customer, &without);
        let shown_after = run.shows(target, ctx.top);
        if shown_after == shown {
            continue;
        }
        let more = match e.signals {
            0 | 1 => String::new(),
            n => format!(
                " and {} other signal{} on it",
                n - 1,
                if n == 2 { "" } else { "s" }
            ),
        };
        let outcome = if shown {
            "this would not be shown"
        } else {
            "this would be shown"
        };
        let text = format!(
            "Without your {}{more} {outcome}",
            signal_phrase(e.kind, &e.name)
        );
        let mut c = Counterfactual::new(CounterfactualKind::WithoutSignal, text, shown_after);
        c.history_style_id = Some(e.style_id.clone());
        c.signals_dropped = Some(e.signals);
        c.position_after = run.position(target).map(|p| p + 1);
        out.push(c);
    }
    out
}

/// When no size in stock fits, a size of the style that every fit rule accepts.
pub(super) fn size_change(
    engine: &Engine,
    req: &WhyRequest<'_>,
    target: usize,
    fit: &FitVerdict,
) -> Option<Counterfactual> {
    let customer = req.customer?;
    if fit.fits {
        return None;
    }
    let style = &engine.catalogue.styles[target];
    let stocked = &engine.catalogue.stocked_sizes[target];
    let refused: Vec<f32> = style
        .sizes
        .iter()
        .zip(stocked)
        .filter(|(_, s)| **s)
        .map(|(size, _)| size.total_width)
        .collect();
    if refused.is_empty() {
        return None; // nothing in stock: no size to compare with
    }
    // Confirmed by asking every rule again about this size.
    let fitting = style
        .sizes
        .iter()
        .find(|size| refusing_rules(engine, customer, style, size).is_empty())?;
    let narrowest = refused.iter().copied().fold(f32::INFINITY, f32::min);
    let widest = refused.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let which = if fitting.total_width < narrowest {
        "In a narrower size".to_string()
    } else if fitting.total_width > widest {
        "In a wider size".to_string()
    } else {
        "In another size".to_string()
    };
    let refused_by = |kind| fit.rejections.iter().any(|r| r.in_stock && r.rule == kind);
    let what = if refused_by(FitRuleKind::Prescription) {
        "your prescription"
    } else if refused_by(FitRuleKind::FaceWidth) {
        "your face"
    } else {
        "you"
    };
    let text = format!(
        "{which} ({}, out of stock now) this would fit {what}",
        fitting.label
    );
    let mut c = Counterfactual::new(CounterfactualKind::OtherSize, text, false);
    c.size = Some(fitting.label.clone());
    Some(c)
}

/// Every value a preference dimension can take, with its label for texts.
fn preference_options() -> Vec<(PreferenceDimension, String, &'static str, StylePreferences)> {
    let mut options = Vec::new();
    let blank = StylePreferences::default();
    let serde_name = |v: serde_json::Value| v.as_str().unwrap_or_default().to_string();
    for shape in ALL_SHAPES {
        let mut c = blank.clone();
        c.shapes = vec![shape];
        let value = serde_name(serde_json::to_value(shape).unwrap_or_default());
        options.push((PreferenceDimension::Shapes, value, shape_label(shape), c));
    }
    for material in ALL_MATERIALS {
        let mut c = blank.clone();
        c.materials = vec![material];
        let value = serde_name(serde_json::to_value(material).unwrap_or_default());
        options.push((
            PreferenceDimension::Materials,
            value,
            material_label(material),
            c,
        ));
    }
    for rim in [RimType::Full, RimType::SemiRimless, RimType::Rimless] {
        let mut c = blank.clone();
        c.rims = vec![rim];
        let value = serde_name(serde_json::to_value(rim).unwrap_or_default());
        options.push((PreferenceDimension::Rims, value, rim_label(rim), c));
    }
    for colour in ColourFamily::ALL {
        let mut c = blank.clone();
        c.colour_families = vec![colour];
        let value = serde_name(serde_json::to_value(colour).unwrap_or_default());
        options.push((
            PreferenceDimension::ColourFamilies,
            value,
            colour_label(colour),
            c,
        ));
    }
    options
}

const ALL_SHAPES: [Shape; 11] = Shape::ALL;

const ALL_MATERIALS: [Material; 6] = Material::ALL;

/// The shopper with one preference dimension set as in `option`; `None` when it already is.
fn with_preference(
    base: &Customer,
    dimension: PreferenceDimension,
    option: &StylePreferences,
) -> Option<Customer> {
    fn replace<T: Clone + PartialEq>(slot: &mut Vec<T>, value: &[T]) -> bool {
        let changed = slot.as_slice() != value;
        *slot = value.to_vec();
        changed
    }
    let mut c = base.clone();
    let p = &mut c.preferences;
    let changed = match dimension {
        PreferenceDimension::Shapes => replace(&mut p.shapes, &option.shapes),
        PreferenceDimension::Materials => replace(&mut p.materials, &option.materials),
        PreferenceDimension::Rims => replace(&mut p.rims, &option.rims),
        PreferenceDimension::ColourFamilies => {
            replace(&mut p.colour_families, &option.colour_families)
        }
    };
    changed.then_some(c)
}

/// The one declared preference value that brings the most new styles onto the page, and
/// the first of them; reported only when the re-run brings some in.
pub(super) fn preference_flip(ctx: &WhyContext<'_>, list: &ListRun) -> Option<Counterfactual> {
    let top = ctx.top;
    let page: Vec<usize> = list.order.iter().take(top).copied().collect();
    let base = ctx
        .request
        .customer
        .cloned()
        .unwrap_or_else(|| Customer::new(""));
    let mut best: Option<(PreferenceChange, &'static str, Vec<usize>, ListRun)> = None;
    for (dimension, value, label, option) in preference_options() {
        let Some(changed) = with_preference(&base, dimension, &option) else {
            continue;
        };
        let run = ctx.run(Some(&changed), ctx.request.history);
        let brought: Vec<usize> = run
            .order
            .iter()
            .take(top)
            .filter(|i| !page.contains(i))
            .copied()
            .collect();
        if brought.len() > best.as_ref().map_or(0, |b| b.2.len()) {
            best = Some((PreferenceChange { dimension, value }, label, brought, run));
        }
    }
    let (change, label, brought, run) = best?;
    let styles = &ctx.engine.catalogue.styles;
    let brings_in: Vec<StyleRef> = brought
        .iter()
        .take(MAX_BROUGHT_IN)
        .map(|i| StyleRef {
            style_id: styles[*i].id.clone(),
            name: styles[*i].name.clone(),
        })
        .collect();
    let names: Vec<&str> = brings_in.iter().map(|s| s.name.as_str()).collect();
    let listed = match names.as_slice() {
        [one] => format!("{one} would join"),
        [rest @ .., last] => format!("{} and {last} would join", rest.join(", ")),
        [] => return None,
    };
    let text = format!("If you preferred {label} frames, {listed} the {top} picks you see");
    let shown_after = run.shows(ctx.target, top);
    let mut c = Counterfactual::new(CounterfactualKind::Preference, text, shown_after);
    c.preference = Some(change);
    c.brings_in = brings_in;
    c.position_after = run.position(ctx.target).map(|p| p + 1);
    Some(c)
}

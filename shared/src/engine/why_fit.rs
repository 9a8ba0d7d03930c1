//! The hard-filter verdict of "why this pick?": whether the style fits the shopper (the
//! engine's own fit rules, asked size by size) and, for every size a rule refuses, which
//! rule and, for the prescription rule, which checks (F1-F11). Texts never quote
//! prescription values: prescriptions are health data, so they say "your prescription".

use serde::Serialize;
use utoipa::ToSchema;

use super::fit::SkuChoice;
use super::scoring::Scoring;
use super::why::WhyRequest;
use super::Engine;
use crate::domain::{Customer, FrameSize, Style};
use crate::optics::frame::{evaluate_summary, RuleId};
use crate::optics::rx::RxSummary;

/// Which fit rule refused a size. The engine asks the face-width rule first and the
/// prescription rule second (see `Engine::new`); shop-specific rules come after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FitRuleKind {
    FaceWidth,
    Prescription,
    Other,
}

impl FitRuleKind {
    fn of_position(position: usize) -> Self {
        match position {
            0 => Self::FaceWidth,
            1 => Self::Prescription,
            _ => Self::Other,
        }
    }
}

/// One size of the style a fit rule refuses.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SizeRejection {
    pub size: String,
    pub in_stock: bool,
    pub rule: FitRuleKind,
    /// For the prescription rule: the checks that block this size.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<RuleId>,
    pub text: String,
}

/// Whether the style passes the hard filter, and why not when it does not.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FitVerdict {
    /// Some size in stock passes every fit rule (always true without a profile).
    pub fits: bool,
    /// The SKU the list offers (best-fitting size, preferred colour), when it fits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    /// Every size a rule refuses, in stock or not.
    pub rejections: Vec<SizeRejection>,
    pub text: String,
}

/// The rules that refuse `size` for `customer`, by position in the engine's rule list.
pub(super) fn refusing_rules(
    engine: &Engine,
    customer: &Customer,
    style: &Style,
    size: &FrameSize,
) -> Vec<usize> {
    engine
        .fit_rules
        .iter()
        .enumerate()
        .filter(|(_, rule)| rule.size_cost(customer, style, size).is_none())
        .map(|(position, _)| position)
        .collect()
}

pub(super) fn fit_verdict(
    engine: &Engine,
    req: &WhyRequest<'_>,
    target: usize,
    scoring: &Scoring<'_>,
) -> FitVerdict {
    let style = &engine.catalogue.styles[target];
    let stocked = &engine.catalogue.stocked_sizes[target];
    let Some(customer) = req.customer else {
        let sku = offered(scoring, target);
        return FitVerdict {
            fits: true,
            size: size_of(style, sku.as_deref()),
            sku,
            rejections: Vec::new(),
            text: "No fit rule rules this frame out: we know nothing of your face or prescription"
                .to_string(),
        };
    };
    let summary = customer.prescription.as_ref().map(RxSummary::of);
    let mut rejections = Vec::new();
    for (size, in_stock) in style.sizes.iter().zip(stocked) {
        for position in refusing_rules(engine, customer, style, size) {
            let rule = FitRuleKind::of_position(position);
            let (checks, text) = match (rule, &summary) {
                (FitRuleKind::Prescription, Some(rx)) => {
                    let check = evaluate_summary(rx, style, size, None, req.frame_rules);
                    let checks: Vec<RuleId> = check.blocked_by().collect();
                    let why = check
                        .findings
                        .iter()
                        .find(|f| checks.contains(&f.rule))
                        .map_or("its lenses would not work in it", |f| f.message);
                    (
                        checks,
                        format!("Your prescription rules out size {}: {why}", size.label),
                    )
                }
                (FitRuleKind::Prescription, None) => (
                    Vec::new(),
                    format!("Your prescription rules out size {}", size.label),
                ),
                (FitRuleKind::FaceWidth, _) => (
                    Vec::new(),
                    format!("Size {} does not fit your face width", size.label),
                ),
                (FitRuleKind::Other, _) => (
                    Vec::new(),
                    format!("Size {} is ruled out for you", size.label),
                ),
            };
            rejections.push(SizeRejection {
                size: size.label.clone(),
                in_stock: *in_stock,
                rule,
                checks,
                text,
            });
        }
    }
    let fits = engine.fits(customer, target);
    let sku = fits.then(|| offered(scoring, target)).flatten();
    let size = size_of(style, sku.as_deref());
    let text = if fits {
        match &size {
            Some(label) => format!("Size {label} fits you best"),
            None => "It fits you".to_string(),
        }
    } else if !stocked.iter().any(|s| *s) {
        "No size is in stock".to_string()
    } else {
        let stocked_refusals = || rejections.iter().filter(|r| r.in_stock);
        if let Some(r) = stocked_refusals().find(|r| r.rule == FitRuleKind::Prescription) {
            let why = r
                .text
                .split_once(": ")
                .map_or("its lenses would not work in it", |(_, why)| why);
            format!("Your prescription rules this frame out: {why}")
        } else if stocked_refusals().any(|r| r.rule == FitRuleKind::FaceWidth) {
            "No size in stock fits your face width".to_string()
        } else {
            "A fit rule rules out every size in stock for you".to_string()
        }
    };
    FitVerdict {
        fits,
        sku,
        size,
        rejections,
        text,
    }
}

fn offered(scoring: &Scoring<'_>, target: usize) -> Option<String> {
    match scoring.offered_sku(target) {
        SkuChoice::Sku(sku) => Some(sku),
        SkuChoice::NoStock | SkuChoice::Unsuitable => None,
    }
}

fn size_of(style: &Style, sku: Option<&str>) -> Option<String> {
    sku.and_then(|s| style.variant(s))
        .map(|(_, v)| v.size.clone())
}

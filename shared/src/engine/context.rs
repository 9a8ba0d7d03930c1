//! Read-time context: a stored list is re-ranked for the shopper's moment (occasion,
//! hemisphere, weather, local hour). Stored lists stay context-free, so one precomputed list
//! serves every moment; the re-rank only reorders items already on the list, which passed
//! every hard fit rule when it was computed, so context can never bring in a frame the
//! shopper's prescription or face cannot take.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::config::Hemisphere;
use super::reasons::{category_label, material_label, rim_label, seasonal, shape_label};
use super::scoring::season_boost;
use super::Engine;
use crate::domain::{
    AppliedContext, Category, Context, Customer, Material, Reason, RimType, ScoredItem, Shape,
    Style, Weather,
};

/// Frame and lens needs of one occasion. A style matches by the share of the non-empty
/// lists (categories, shapes, materials, rims, tags) it satisfies.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OccasionRule {
    /// How reasons name the occasion: "Suits {label}".
    pub label: String,
    pub categories: Vec<Category>,
    pub shapes: Vec<Shape>,
    pub materials: Vec<Material>,
    pub rims: Vec<RimType>,
    /// Catalogue tags such as `polarized`, `lightweight`, `uv400`.
    pub tags: Vec<String>,
    /// Lens needs for everyone, said on the page and in matching items' reasons.
    pub lens_advice: String,
    /// Extra lens needs for presbyopes (a prescription with an add).
    pub presbyope_advice: String,
}

/// How much each kind of context can lift a style (scores are sums of terms in [-1, 1]
/// weighted like `engine.weights`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContextWeights {
    /// 0.4: a style that fully matches the occasion.
    pub occasion: f32,
    /// 0.25: sunglasses and sport eyewear at a high UV index.
    pub weather: f32,
    /// 0.15: screen wear in the evening hours.
    pub evening: f32,
}

impl Default for ContextWeights {
    fn default() -> Self {
        Self {
            occasion: 0.4,
            weather: 0.25,
            evening: 0.15,
        }
    }
}

/// The `[context]` section: occasions and how context re-ranks a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContextConfig {
    /// Occasions by id (the `occasion` query parameter). A file's occasions are added to
    /// the defaults (`[context.occasions.hiking]`); one named like a default replaces it.
    #[serde(deserialize_with = "occasions_over_defaults")]
    pub occasions: BTreeMap<String, OccasionRule>,
    pub weights: ContextWeights,
    /// 3: UV index from which sun protection is advised (domain brief section 7).
    pub uv_moderate: f32,
    /// 6: UV index that fully lifts sunglasses.
    pub uv_high: f32,
    /// 2 mm: precipitation above which the UV lift is halved (nobody shops for sun in rain).
    pub rain_mm: f32,
    /// [18, 23]: local hours (inclusive) in which screen wear is lifted.
    pub evening_hours: [u8; 2],
    /// The occasion whose frames count as screen wear in the evening.
    pub evening_occasion: String,
    /// Countries in the southern hemisphere (ISO codes): their sun season is October-March.
    pub southern_countries: Vec<String>,
}

fn occasions_over_defaults<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, OccasionRule>, D::Error> {
    let given = BTreeMap::<String, OccasionRule>::deserialize(deserializer)?;
    let mut occasions = ContextConfig::default().occasions;
    occasions.extend(given);
    Ok(occasions)
}

fn rule(label: &str, lens: &str, presbyope: &str) -> OccasionRule {
    OccasionRule {
        label: label.into(),
        lens_advice: lens.into(),
        presbyope_advice: presbyope.into(),
        ..OccasionRule::default()
    }
}

impl Default for ContextConfig {
    fn default() -> Self {
        let occasions = BTreeMap::from([
            (
                "work".to_string(),
                OccasionRule {
                    categories: vec![Category::Optical],
                    rims: vec![RimType::Full, RimType::SemiRimless],
                    materials: vec![
                        Material::Titanium,
                        Material::StainlessSteel,
                        Material::Acetate,
                    ],
                    ..rule(
                        "work",
                        "anti-reflective coating for office lighting",
                        "office lenses suit desk and screen distances",
                    )
                },
            ),
            (
                "screen".to_string(),
                OccasionRule {
                    categories: vec![Category::Optical],
                    tags: vec!["lightweight".into()],
                    ..rule(
                        "screen work",
                        "a blue-light filter coating is available",
                        "office lenses suit screen distance",
                    )
                },
            ),
            (
                "driving".to_string(),
                OccasionRule {
                    categories: vec![Category::Sun],
                    shapes: vec![Shape::Aviator, Shape::Wayfarer, Shape::Rectangle],
                    tags: vec!["polarized".into()],
                    ..rule(
                        "driving",
                        "polarised lenses cut road glare; never category 4 tints at the wheel",
                        "",
                    )
                },
            ),
            (
                "sport".to_string(),
                OccasionRule {
                    categories: vec![Category::Sport],
                    shapes: vec![Shape::Wrap],
                    materials: vec![Material::Tr90],
                    ..rule("sport", "polycarbonate lenses for impact resistance", "")
                },
            ),
            (
                "beach".to_string(),
                OccasionRule {
                    categories: vec![Category::Sun],
                    tags: vec!["polarized".into(), "uv400".into()],
                    ..rule("the beach", "polarised category 3 lenses near water", "")
                },
            ),
            (
                "evening".to_string(),
                OccasionRule {
                    categories: vec![Category::Optical],
                    materials: vec![Material::Titanium],
                    rims: vec![RimType::Rimless, RimType::SemiRimless],
                    ..rule(
                        "an evening out",
                        "anti-reflective coating for night lights",
                        "",
                    )
                },
            ),
            (
                "reading".to_string(),
                OccasionRule {
                    categories: vec![Category::Optical],
                    ..rule("reading", "", "reading or progressive lenses for near work")
                },
            ),
        ]);
        Self {
            occasions,
            weights: ContextWeights::default(),
            uv_moderate: 3.0,
            uv_high: 6.0,
            rain_mm: 2.0,
            evening_hours: [18, 23],
            evening_occasion: "screen".into(),
            southern_countries: [
                "AR", "AU", "BO", "BR", "BW", "CL", "FJ", "LS", "MG", "MU", "MW", "MZ", "NA", "NZ",
                "PE", "PY", "SZ", "UY", "ZA", "ZM", "ZW",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

impl ContextConfig {
    /// The shopper's hemisphere: coordinates decide, then the country; `None` when unknown.
    pub fn hemisphere(&self, context: &Context) -> Option<Hemisphere> {
        if let Some(at) = context.coordinates {
            return Some(if at.lat < 0.0 {
                Hemisphere::South
            } else {
                Hemisphere::North
            });
        }
        let country = context.country.as_deref()?;
        Some(if self.southern_countries.iter().any(|c| c == country) {
            Hemisphere::South
        } else {
            Hemisphere::North
        })
    }
}

/// How a weather reading lifts sun and sport eyewear, in [0, 1].
fn uv_level(weather: &Weather, cfg: &ContextConfig) -> f32 {
    let level = if weather.uv_index >= cfg.uv_high {
        1.0
    } else if weather.uv_index >= cfg.uv_moderate {
        0.5
    } else {
        0.0
    };
    if weather.precipitation_mm >= cfg.rain_mm {
        level * 0.5
    } else {
        level
    }
}

fn uv_band(uv: f32) -> &'static str {
    match uv {
        u if u >= 11.0 => "extreme",
        u if u >= 8.0 => "very high",
        u if u >= 6.0 => "high",
        u if u >= 3.0 => "moderate",
        _ => "low",
    }
}

/// The share of the rule's lists the style satisfies, and the matched attributes in words.
pub(super) fn occasion_match(rule: &OccasionRule, style: &Style) -> (f32, Vec<String>) {
    let mut lists = 0u8;
    let mut matched = Vec::new();
    if !rule.shapes.is_empty() {
        lists += 1;
        if rule.shapes.contains(&style.shape) {
            matched.push(format!("{} shape", shape_label(style.shape)));
        }
    }
    if !rule.materials.is_empty() {
        lists += 1;
        if rule.materials.contains(&style.material) {
            matched.push(material_label(style.material).to_string());
        }
    }
    if !rule.rims.is_empty() {
        lists += 1;
        if rule.rims.contains(&style.rim) {
            matched.push(rim_label(style.rim).to_string());
        }
    }
    if !rule.tags.is_empty() {
        lists += 1;
        if let Some(tag) = rule.tags.iter().find(|t| style.tags.contains(t)) {
            matched.push(tag.replace('_', " "));
        }
    }
    if !rule.categories.is_empty() {
        lists += 1;
        if rule.categories.contains(&style.category) {
            matched.push(category_label(style.category).to_string());
        }
    }
    if lists == 0 {
        return (0.0, matched);
    }
    (matched.len() as f32 / f32::from(lists), matched)
}

/// One lift of one item, with the reason it earns.
struct Lift {
    amount: f32,
    reason: Option<Reason>,
}

/// Lifts below this do not earn a reason (the engine's own threshold).
const REASON_MIN: f32 = 0.02;

impl Engine {
    /// Whether some in-stock size of the style passes every fit rule for the customer.
    #[cfg(test)]
    pub(crate) fn style_fits(&self, customer: &Customer, style_id: &str) -> bool {
        self.catalogue
            .get(style_id)
            .is_some_and(|i| self.fits(customer, i))
    }

    /// Re-ranks `items` (a whole stored list, best first) for the shopper's moment: adds each
    /// lift to the item's score, leads its reasons with the context's own, and sorts again
    /// (stable, so equal scores keep the stored order). Only reorders; never adds items.
    pub fn apply_context(
        &self,
        items: &mut [ScoredItem],
        context: &Context,
        cfg: &ContextConfig,
        customer: Option<&Customer>,
        now: DateTime<Utc>,
    ) -> AppliedContext {
        let occasion = context
            .occasion
            .as_deref()
            .and_then(|id| cfg.occasions.get(id));
        let local = cfg.hemisphere(context);
        let global = self.config.hemisphere;
        let presbyope = customer
            .and_then(|c| c.prescription.as_ref())
            .is_some_and(|rx| rx.has_add());
        let evening_rule = context
            .local_hour
            .filter(|h| (cfg.evening_hours[0]..=cfg.evening_hours[1]).contains(h))
            .filter(|_| context.occasion.as_deref() != Some(cfg.evening_occasion.as_str()))
            .and_then(|_| cfg.occasions.get(&cfg.evening_occasion));
        let uv = context.weather.as_ref().map_or(0.0, |w| uv_level(w, cfg));

        let mut reranked = 0;
        for item in items.iter_mut() {
            let Some(style) = self.style(&item.style_id) else {
                continue;
            };
            let mut lifts: Vec<Lift> = Vec::new();
            if let (Some(rule), Some(id)) = (occasion, context.occasion.as_deref()) {
                let (share, matched) = occasion_match(rule, style);
                if share > 0.0 {
                    let mut text = format!("Suits {}: {}", rule.label, matched.join(", "));
                    let advice = if presbyope && !rule.presbyope_advice.is_empty() {
                        &rule.presbyope_advice
                    } else {
                        &rule.lens_advice
                    };
                    if !advice.is_empty() {
                        text = format!("{text}; {advice}");
                    }
                    lifts.push(Lift {
                        amount: cfg.weights.occasion * share,
                        reason: Some(Reason::new(format!("occasion_{id}"), text)),
                    });
                }
            }
            if let Some(local) = local.filter(|h| *h != global) {
                let delta = self.config.weights.season
                    * (season_boost(style.category, now, local)
                        - season_boost(style.category, now, global));
                lifts.push(Lift {
                    amount: delta,
                    reason: (delta > 0.0).then(|| {
                        let mut r = seasonal(style.category);
                        r.text = format!("{} where you are", r.text);
                        r
                    }),
                });
            }
            if uv > 0.0 && matches!(style.category, Category::Sun | Category::Sport) {
                let index = context.weather.map_or(0.0, |w| w.uv_index);
                lifts.push(Lift {
                    amount: cfg.weights.weather * uv,
                    reason: Some(Reason::new(
                        "uv_today",
                        format!(
                            "UV index {index:.0} ({}) where you are today",
                            uv_band(index)
                        ),
                    )),
                });
            }
            if let Some(rule) = evening_rule {
                let (share, _) = occasion_match(rule, style);
                if share > 0.0 {
                    lifts.push(Lift {
                        amount: cfg.weights.evening * share,
                        reason: Some(Reason::new(
                            "evening_screens",
                            format!("For evening {}", rule.label),
                        )),
                    });
                }
            }
            let total: f32 = lifts.iter().map(|l| l.amount).sum();
            if total == 0.0 {
                continue;
            }
            reranked += 1;
            item.score = super::finite(item.score + total);
            lifts.sort_by(|a, b| b.amount.total_cmp(&a.amount));
            let mut reasons: Vec<Reason> = lifts
                .into_iter()
                .filter(|l| l.amount >= REASON_MIN)
                .filter_map(|l| l.reason)
                .collect();
            for r in item.reasons.drain(..) {
                if !reasons.iter().any(|o| o.code == r.code) {
                    reasons.push(r);
                }
            }
            reasons.truncate(self.config.max_reasons.max(1));
            item.reasons = reasons;
        }
        items.sort_by(|a, b| b.score.total_cmp(&a.score));

        AppliedContext {
            occasion: context.occasion.clone(),
            country: context.country.clone(),
            hemisphere: local.unwrap_or(global),
            local_hour: context.local_hour,
            weather: context.weather,
            advice: advice(context, cfg, occasion, customer, presbyope),
            reranked,
        }
    }
}

/// Page-level advice: the occasion's lens needs and what today's UV asks for.
fn advice(
    context: &Context,
    cfg: &ContextConfig,
    occasion: Option<&OccasionRule>,
    customer: Option<&Customer>,
    presbyope: bool,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(rule) = occasion {
        if !rule.lens_advice.is_empty() {
            out.push(format!("For {}: {}", rule.label, rule.lens_advice));
        }
        if presbyope && !rule.presbyope_advice.is_empty() {
            out.push(format!("For {}: {}", rule.label, rule.presbyope_advice));
        }
    }
    if let Some(w) = context.weather.filter(|w| w.uv_index >= cfg.uv_moderate) {
        let category = if w.uv_index >= cfg.uv_high {
            "category 3"
        } else {
            "category 2"
        };
        out.push(format!(
            "UV index {:.0} ({}) today: {category} sun lenses protect",
            w.uv_index,
            uv_band(w.uv_index)
        ));
        if customer.is_some_and(|c| c.prescription.is_some()) {
            out.push("Photochromic lenses darken outdoors in today's UV".into());
        }
    }
    out
}

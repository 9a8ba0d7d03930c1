//! How merchandising rules change lists, in this order (see `docs/merchandising.md`):
//! exclude -> boost/bury -> diversity (MMR) -> caps -> pins.
//!
//! When a list is computed, exclusions take styles out of the competition and boosts and
//! buries multiply the relevance MMR ranks by ([`ScoreAdjustments`], used by
//! [`super::scoring::Scoring::rank`]); the list keeps the unmultiplied scores. Stored lists
//! outlive a rule change, so every list read passes through [`Engine::merchandise`]:
//! exclusions again, boosted and buried items re-placed among the others by their
//! multiplied score, caps, then the pins of the placement.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::fit::SkuChoice;
use super::merchandising::{CapGroup, Exclusion, MerchandisingRules, Pin, RuleKind, ScoreRule};
use super::scoring::{recommend, Scoring};
use super::{finite, Engine, RecommendRequest};
use crate::domain::{Customer, Reason, ScoredItem, Signal};

/// Reason code of an item a pin placed.
pub const FEATURED_CODE: &str = "featured";
/// Reason code of an item a labelled boost lifted.
pub const PROMOTED_CODE: &str = "promoted";

/// What one rule did to one style of a list (the `why` answer shows these).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MerchandisingAdjustment {
    pub style_id: String,
    /// The rule's `id`, else its section and place in the file (`bury[1]`).
    pub rule: String,
    pub kind: RuleKind,
    /// What it did, in words.
    pub text: String,
    /// The score multiplier of a boost or bury.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multiplier: Option<f32>,
    /// 1-based position before the rules of this read applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position_before: Option<usize>,
    /// 1-based position after them; absent when the style left the list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<usize>,
}

/// Compute-time adjustments per engine style: excluded, and the boost/bury multiplier.
pub(crate) struct ScoreAdjustments {
    excluded: Vec<bool>,
    multiplier: Vec<f32>,
}

impl ScoreAdjustments {
    pub fn new(engine: &Engine, rules: &MerchandisingRules, now: DateTime<Utc>) -> Self {
        let styles = &engine.catalogue.styles;
        Self {
            excluded: styles
                .iter()
                .map(|s| rules.exclusion(s, now).is_some())
                .collect(),
            multiplier: styles.iter().map(|s| rules.multiplier(s, now).0).collect(),
        }
    }

    pub fn excludes(&self, index: usize) -> bool {
        self.excluded.get(index).copied().unwrap_or(false)
    }

    pub fn multiplier(&self, index: usize) -> f32 {
        self.multiplier.get(index).copied().unwrap_or(1.0)
    }
}

/// Puts `reason` first, replacing a reason of the same code.
fn lead_with(item: &mut ScoredItem, reason: Reason) {
    item.reasons.retain(|r| r.code != reason.code);
    item.reasons.insert(0, reason);
}

impl Engine {
    /// [`Engine::recommend_with`] under merchandising rules: exclusions do not compete and
    /// boosts/buries multiply the relevance the diversity re-ranking sees. Items keep their
    /// unmultiplied score (the read-time pass multiplies it, see [`Engine::merchandise`]).
    pub fn recommend_merchandised(
        &self,
        req: &RecommendRequest<'_>,
        config: &super::EngineConfig,
        rules: &MerchandisingRules,
    ) -> Vec<ScoredItem> {
        let config = config.sanitized();
        let rules = (!rules.no_list_rules()).then_some(rules);
        recommend(self, req, &config, rules)
    }

    /// The item a pin would place for this shopper when the style is not on their list, or
    /// `None` when the shopper may not get it: unavailable, dismissed, returned or bought
    /// (as lists filter), or no size in stock passes their fit rules. Pins never override
    /// those.
    pub fn pin_item(
        &self,
        customer: Option<&Customer>,
        history: &[Signal],
        now: DateTime<Utc>,
        style_id: &str,
    ) -> Option<ScoredItem> {
        let index = self.catalogue.get(style_id)?;
        let request = RecommendRequest {
            customer,
            history,
            now,
            limit: 1,
            feeds: None,
        };
        let scoring = Scoring::new(self, &request, &self.config);
        if !scoring.competes(index) || customer.is_some_and(|c| !self.fits(c, index)) {
            return None;
        }
        let SkuChoice::Sku(sku) = scoring.offered_sku(index) else {
            return None;
        };
        let candidate = scoring.candidate(index);
        Some(ScoredItem {
            style_id: style_id.to_string(),
            sku: Some(sku),
            score: candidate.score,
            reasons: scoring.reasons(&candidate, now),
        })
    }

    /// The read-time pass over a whole list for `placement`: exclusions, boosts and buries
    /// (items re-placed among the unaffected ones by their multiplied score), caps, then
    /// pins. A pinned style not on the list is placed only from `admitted` (see
    /// [`Engine::pin_item`]). Returns what each rule did, for the `why` answer.
    pub fn merchandise(
        &self,
        items: &mut Vec<ScoredItem>,
        rules: &MerchandisingRules,
        placement: &str,
        now: DateTime<Utc>,
        admitted: Vec<ScoredItem>,
    ) -> Vec<MerchandisingAdjustment> {
        if rules.no_list_rules() {
            return Vec::new();
        }
        let before: HashMap<String, usize> = items
            .iter()
            .enumerate()
            .map(|(p, item)| (item.style_id.clone(), p + 1))
            .collect();
        let mut trace = Vec::new();
        self.exclude(items, rules, now, &mut trace);
        self.rescore(items, rules, now, &mut trace);
        // A pin comes after the caps: it may place a style a cap took off.
        let mut pinnable = self.cap(items, rules, now, &mut trace);
        pinnable.extend(admitted);
        self.pin(items, rules, placement, now, pinnable, &mut trace);
        let after: HashMap<&str, usize> = items
            .iter()
            .enumerate()
            .map(|(p, item)| (item.style_id.as_str(), p + 1))
            .collect();
        for adjustment in &mut trace {
            adjustment.position_before = before.get(&adjustment.style_id).copied();
            adjustment.position = after.get(adjustment.style_id.as_str()).copied();
        }
        trace
    }

    /// The active exclusion and boosts/buries of one style, whatever list it is on (a
    /// style these keep off a list has no place to be traced at).
    pub fn rule_adjustments(
        &self,
        style_id: &str,
        rules: &MerchandisingRules,
        now: DateTime<Utc>,
    ) -> Vec<MerchandisingAdjustment> {
        let Some(style) = self.style(style_id) else {
            return Vec::new();
        };
        let exclusion = rules
            .exclusion(style, now)
            .map(|rule| exclusion_adjustment(style_id, rule));
        let (_, matched) = rules.multiplier(style, now);
        exclusion
            .into_iter()
            .chain(matched.into_iter().map(|r| score_adjustment(style_id, r)))
            .collect()
    }

    /// Active pins of `placement` whose style is not on the list and not excluded: the
    /// styles the caller must vet with [`Engine::pin_item`].
    pub fn pins_to_admit(
        &self,
        items: &[ScoredItem],
        rules: &MerchandisingRules,
        placement: &str,
        now: DateTime<Utc>,
    ) -> Vec<String> {
        active_pins(rules, placement, now)
            .into_iter()
            .map(|pin| pin.style_id.clone())
            .filter(|id| !items.iter().any(|item| item.style_id == *id))
            .filter(|id| {
                self.style(id)
                    .is_some_and(|s| rules.exclusion(s, now).is_none())
            })
            .collect()
    }

    fn exclude(
        &self,
        items: &mut Vec<ScoredItem>,
        rules: &MerchandisingRules,
        now: DateTime<Utc>,
        trace: &mut Vec<MerchandisingAdjustment>,
    ) {
        items.retain(|item| {
            let Some(style) = self.style(&item.style_id) else {
                return true;
            };
            let Some(rule) = rules.exclusion(style, now) else {
                return true;
            };
            trace.push(exclusion_adjustment(&item.style_id, rule));
            false
        });
    }

    fn rescore(
        &self,
        items: &mut Vec<ScoredItem>,
        rules: &MerchandisingRules,
        now: DateTime<Utc>,
        trace: &mut Vec<MerchandisingAdjustment>,
    ) {
        if rules.score_rules.is_empty() {
            return;
        }
        let mut rest = Vec::with_capacity(items.len());
        let mut moved: Vec<(usize, ScoredItem)> = Vec::new();
        for (p, mut item) in items.drain(..).enumerate() {
            let Some(style) = self.style(&item.style_id) else {
                rest.push(item);
                continue;
            };
            let (multiplier, matched) = rules.multiplier(style, now);
            if matched.is_empty() {
                rest.push(item);
                continue;
            }
            item.score = finite(item.score * multiplier);
            if let Some(label) = matched
                .iter()
                .find(|r| r.kind == RuleKind::Boost)
                .and_then(|r| r.meta.label.as_deref())
            {
                lead_with(&mut item, Reason::new(PROMOTED_CODE, label));
            }
            for rule in matched {
                trace.push(score_adjustment(&item.style_id, rule));
            }
            moved.push((p, item));
        }
        // Each moved item goes after every unaffected item scoring above it; unaffected
        // items keep the order diversity gave them.
        moved.sort_by(|a, b| b.1.score.total_cmp(&a.1.score).then(a.0.cmp(&b.0)));
        let slotted: Vec<(usize, ScoredItem)> = moved
            .into_iter()
            .map(|(_, item)| {
                let slot = rest.iter().filter(|r| r.score > item.score).count();
                (slot, item)
            })
            .collect();
        let mut moved = slotted.into_iter().peekable();
        for (j, item) in rest.into_iter().enumerate() {
            while let Some((_, next)) = moved.next_if(|(slot, _)| *slot <= j) {
                items.push(next);
            }
            items.push(item);
        }
        items.extend(moved.map(|(_, item)| item));
    }

    /// Takes off each item past a cap's `max` for its group; returns them (a pin may
    /// still place one).
    fn cap(
        &self,
        items: &mut Vec<ScoredItem>,
        rules: &MerchandisingRules,
        now: DateTime<Utc>,
        trace: &mut Vec<MerchandisingAdjustment>,
    ) -> Vec<ScoredItem> {
        let caps: Vec<_> = rules.caps.iter().filter(|c| c.meta.active(now)).collect();
        let mut capped = Vec::new();
        if caps.is_empty() {
            return capped;
        }
        let mut counts: HashMap<(usize, String), usize> = HashMap::new();
        let mut kept = Vec::with_capacity(items.len());
        for item in items.drain(..) {
            let Some(style) = self.style(&item.style_id) else {
                kept.push(item);
                continue;
            };
            let groups: Vec<(usize, String, String)> = caps
                .iter()
                .enumerate()
                .filter_map(|(n, cap)| match &cap.group {
                    CapGroup::Matching(m) => {
                        m.matches(style).then(|| (n, String::new(), m.describe()))
                    }
                    CapGroup::EachBrand => Some((
                        n,
                        style.brand.to_lowercase(),
                        format!("brand {}", style.brand),
                    )),
                })
                .collect();
            let full = groups.iter().find(|(n, key, _)| {
                counts.get(&(*n, key.clone())).copied().unwrap_or(0) >= caps[*n].max
            });
            if let Some((n, _, what)) = full {
                let cap = caps[*n];
                trace.push(adjustment(
                    &item,
                    &cap.meta.name,
                    RuleKind::Cap,
                    format!(
                        "Taken off this list: at most {} of {what} per list",
                        cap.max
                    ),
                    None,
                ));
                capped.push(item);
                continue;
            }
            for (n, key, _) in groups {
                *counts.entry((n, key)).or_insert(0) += 1;
            }
            kept.push(item);
        }
        *items = kept;
        capped
    }

    fn pin(
        &self,
        items: &mut Vec<ScoredItem>,
        rules: &MerchandisingRules,
        placement: &str,
        now: DateTime<Utc>,
        mut admitted: Vec<ScoredItem>,
        trace: &mut Vec<MerchandisingAdjustment>,
    ) {
        // Take every pinned item out first, then insert by position, so a removal never
        // shifts an item already pinned.
        let mut placing: Vec<(&Pin, ScoredItem)> = Vec::new();
        for pin in active_pins(rules, placement, now) {
            let excluded = self
                .style(&pin.style_id)
                .is_none_or(|s| rules.exclusion(s, now).is_some());
            if excluded {
                continue;
            }
            let taken = match items.iter().position(|i| i.style_id == pin.style_id) {
                Some(p) => Some(items.remove(p)),
                None => admitted
                    .iter()
                    .position(|i| i.style_id == pin.style_id)
                    .map(|p| admitted.remove(p)),
            };
            if let Some(mut item) = taken {
                let text = pin.meta.label.as_deref().unwrap_or("Featured");
                lead_with(&mut item, Reason::new(FEATURED_CODE, text));
                placing.push((pin, item));
            }
        }
        let mut pinned = vec![false; items.len()];
        for (pin, item) in placing {
            let mut at = (pin.position - 1).min(items.len());
            while at < items.len() && pinned[at] {
                at += 1;
            }
            trace.push(adjustment(
                &item,
                &pin.meta.name,
                RuleKind::Pin,
                format!(
                    "Pinned at position {} of placement {placement}",
                    pin.position
                ),
                None,
            ));
            items.insert(at, item);
            pinned.insert(at, true);
        }
    }
}

/// Active pins of `placement`, by position, ties in file order.
fn active_pins<'r>(
    rules: &'r MerchandisingRules,
    placement: &str,
    now: DateTime<Utc>,
) -> Vec<&'r Pin> {
    let mut pins: Vec<&Pin> = rules
        .pins
        .iter()
        .filter(|p| p.placement == placement && p.meta.active(now))
        .collect();
    pins.sort_by_key(|p| p.position);
    pins
}

fn exclusion_adjustment(style_id: &str, rule: &Exclusion) -> MerchandisingAdjustment {
    let why = rule.reason.as_deref().unwrap_or("excluded");
    MerchandisingAdjustment {
        style_id: style_id.to_string(),
        rule: rule.meta.name.clone(),
        kind: RuleKind::Exclude,
        text: format!("Taken off every list ({why}): {}", rule.matches.describe()),
        multiplier: None,
        position_before: None,
        position: None,
    }
}

fn score_adjustment(style_id: &str, rule: &ScoreRule) -> MerchandisingAdjustment {
    let verb = if rule.kind == RuleKind::Boost {
        "Boosted"
    } else {
        "Buried"
    };
    MerchandisingAdjustment {
        style_id: style_id.to_string(),
        rule: rule.meta.name.clone(),
        kind: rule.kind,
        text: format!(
            "{verb}: score x{} ({})",
            rule.multiplier,
            rule.matches.describe()
        ),
        multiplier: Some(rule.multiplier),
        position_before: None,
        position: None,
    }
}

fn adjustment(
    item: &ScoredItem,
    rule: &str,
    kind: RuleKind,
    text: String,
    multiplier: Option<f32>,
) -> MerchandisingAdjustment {
    MerchandisingAdjustment {
        style_id: item.style_id.clone(),
        rule: rule.to_string(),
        kind,
        text,
        multiplier,
        position_before: None,
        position: None,
    }
}

//! Segment lists: the cold-start ranking of the whole catalogue in a segment's season,
//! lifted by what that segment's own crowd engaged with lately (country x device x season)
//! or by one occasion's frame needs. The regeneration stores one per segment; shoppers
//! without history are served the one that matches them (`service::segments`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::config::{decay, EngineConfig, Hemisphere};
use super::context::{occasion_match, OccasionRule};
use super::diversity::mmr;
use super::features::duplicate_similarity;
use super::feeds::FeedInput;
use super::fit::SkuChoice;
use super::scoring::{season_boost, Scoring, Term};
use super::{finite, log_scaled, Engine, RecommendRequest};
use crate::domain::{country_phrase, Reason, ScoredItem, SegmentKey, Signal};

/// Lifts below this earn no reason (the engine's threshold for every term).
const REASON_MIN: f32 = 0.02;
/// A crowd calls a style popular from this share of its most engaged style's count: the
/// long tail of one-click styles of a busy segment gets a lift but no claim.
const POPULAR_SHARE: f32 = 0.25;
/// Candidates per list slot handed to MMR, and at least this many (as `Engine::recommend`).
const POOL_PER_SLOT: usize = 3;
const MIN_POOL: usize = 30;

/// What one segment's shoppers engaged with: kind-weighted signals per style, decayed with
/// the popularity half-life (the crowd behind popularity, narrowed to the segment).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SegmentCrowd {
    signals: usize,
    counts: HashMap<String, f32>,
}

impl SegmentCrowd {
    /// Signals counted: the segment's traffic.
    pub fn signals(&self) -> usize {
        self.signals
    }

    /// The decayed, weighted count of one style (0 when the segment never engaged with it).
    pub fn count(&self, style_id: &str) -> f32 {
        self.counts.get(style_id).copied().unwrap_or(0.0)
    }
}

/// What lifts a segment's list above plain cold start.
#[derive(Debug, Clone, Copy)]
pub enum SegmentLift<'a> {
    /// The segment's crowd, up to `weight` for its most engaged style (log-scaled).
    Crowd {
        crowd: &'a SegmentCrowd,
        weight: f32,
    },
    /// An occasion's needs, up to `weight` for a style matching all of them.
    Occasion {
        id: &'a str,
        rule: &'a OccasionRule,
        weight: f32,
    },
}

/// Input of [`Engine::segment_list`].
#[derive(Debug, Clone, Copy)]
pub struct SegmentRequest<'a> {
    /// Named in the crowd's reasons.
    pub key: &'a SegmentKey,
    pub lift: SegmentLift<'a>,
    /// The hemisphere whose season ranks the catalogue.
    pub hemisphere: Hemisphere,
    pub now: DateTime<Utc>,
    pub limit: usize,
    /// Trend feeds and collections, lifting styles as on a cold-start list.
    pub feeds: Option<FeedInput<'a>>,
}

/// "Popular on mobile in Australia this winter": what a segment's crowd says of a style.
pub(crate) fn segment_reason(key: &SegmentKey) -> Option<Reason> {
    let SegmentKey::Audience {
        country,
        device,
        season,
    } = key
    else {
        return None;
    };
    let season = season.name();
    let text = match (country.as_deref().map(country_phrase), device) {
        (Some(c), Some(d)) => format!("Popular {} in {c} this {season}", d.phrase()),
        (Some(c), None) => format!("Popular with shoppers in {c} this {season}"),
        (None, Some(d)) => format!("Popular {} this {season}", d.phrase()),
        (None, None) => format!("Popular this {season}"),
    };
    Some(Reason::new("popular_in_segment", text))
}

impl Engine {
    /// Adds one signal to a segment's crowd: its kind's positive weight (impressions,
    /// returns and dismissals add nothing), decayed by its age at `now`.
    pub fn add_to_crowd(&self, crowd: &mut SegmentCrowd, signal: &Signal, now: DateTime<Utc>) {
        let weight = self.config.kind_weights.weight(signal.kind).max(0.0);
        if weight <= 0.0 {
            return;
        }
        let age_days = (now - signal.timestamp).num_seconds() as f64 / 86_400.0;
        let decayed = weight * decay(age_days, self.config.popularity_half_life_days);
        crowd.signals += 1;
        *crowd.counts.entry(signal.style_id.clone()).or_default() += finite(decayed);
    }

    /// A segment's list: every available style scored as for a shopper without history (in
    /// the segment's hemisphere's season) plus the segment's lift, diversified like any list,
    /// with SKUs under the same stock and fit rules as cold start. Only a style the lift
    /// raised by a reason's worth (and, for a crowd, engaged with at least a quarter as much
    /// as its favourite) names the segment; a style that is there by global popularity alone
    /// says only that.
    ///
    /// Scores are stored with the deployment's own season term, as every stored list is:
    /// the read-time context adds the shopper's hemisphere's difference again, so it is
    /// not counted twice.
    pub fn segment_list(&self, req: &SegmentRequest<'_>) -> Vec<ScoredItem> {
        let cfg = EngineConfig {
            hemisphere: req.hemisphere,
            ..self.config.clone()
        };
        let limit = req.limit.min(cfg.list_size);
        let cat = &self.catalogue;
        if limit == 0 || cat.len() == 0 {
            return Vec::new();
        }
        let request = RecommendRequest {
            customer: None,
            history: &[],
            now: req.now,
            limit,
            feeds: req.feeds,
        };
        let scoring = Scoring::new(self, &request, &cfg);
        let lifts: Vec<(f32, Option<Reason>)> = self.segment_lifts(req);
        let mut candidates: Vec<_> = (0..cat.len())
            .filter(|i| scoring.competes(*i))
            .map(|i| {
                let mut c = scoring.candidate(i);
                c.score = finite(c.score + lifts[i].0);
                c
            })
            .collect();
        candidates.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.index.cmp(&b.index)));
        candidates.truncate((limit * POOL_PER_SLOT).max(MIN_POOL));

        let pool: Vec<(usize, f32)> = candidates.iter().map(|c| (c.index, c.score)).collect();
        let mut skus: Vec<Option<String>> = vec![None; pool.len()];
        let order = mmr(
            &pool,
            limit,
            cfg.diversity_lambda,
            |a, b| duplicate_similarity(&cat.features[a], &cat.features[b]),
            |p| match scoring.offered_sku(pool[p].0) {
                SkuChoice::Sku(s) => {
                    skus[p] = Some(s);
                    true
                }
                SkuChoice::NoStock | SkuChoice::Unsuitable => false,
            },
        );
        order
            .into_iter()
            .map(|p| {
                let c = &candidates[p];
                let (lift, segment) = &lifts[c.index];
                let mut reasons = scoring.reasons(c, req.now);
                if let Some(reason) = segment {
                    // First when the lift outweighs every other term, else after the strongest.
                    let strongest = c.parts.iter().copied().fold(0.0f32, f32::max);
                    reasons.retain(|r| r.code != reason.code);
                    let at = usize::from(*lift < strongest).min(reasons.len());
                    reasons.insert(at, reason.clone());
                    reasons.truncate(cfg.max_reasons.max(1));
                }
                let category = cat.features[c.index].category;
                let deployment_season =
                    cfg.weights.season * season_boost(category, req.now, self.config.hemisphere);
                ScoredItem {
                    style_id: cat.styles[c.index].id.clone(),
                    sku: skus[p].take(),
                    score: finite(c.score - c.part(Term::Season) + deployment_season),
                    reasons,
                }
            })
            .collect()
    }

    /// The lift of every style (by engine index) and the reason it earns, if any.
    fn segment_lifts(&self, req: &SegmentRequest<'_>) -> Vec<(f32, Option<Reason>)> {
        let styles = &self.catalogue.styles;
        match req.lift {
            SegmentLift::Crowd { crowd, weight } => {
                let max = crowd.counts.values().copied().fold(0.0f32, f32::max);
                let reason = segment_reason(req.key);
                styles
                    .iter()
                    .map(|style| {
                        let count = crowd.count(&style.id);
                        let lift = finite(weight * log_scaled(count, max));
                        let named = lift >= REASON_MIN && count >= POPULAR_SHARE * max;
                        (lift, reason.clone().filter(|_| named))
                    })
                    .collect()
            }
            SegmentLift::Occasion { id, rule, weight } => styles
                .iter()
                .map(|style| {
                    let (share, matched) = occasion_match(rule, style);
                    let lift = finite(weight * share);
                    let reason = (lift >= REASON_MIN).then(|| {
                        Reason::new(
                            format!("occasion_{id}"),
                            format!("Suits {}: {}", rule.label, matched.join(", ")),
                        )
                    });
                    (lift, reason)
                })
                .collect(),
        }
    }
}

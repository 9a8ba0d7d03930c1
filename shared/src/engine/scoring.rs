//! `Engine::recommend`: score every available style, filter, re-rank for diversity, pick
//! SKUs and explain.

use chrono::{DateTime, Datelike, Utc};

use super::collaborative::CollaborativeScore;
use super::config::{EngineConfig, Hemisphere};
use super::diversity::mmr;
use super::features::{content_similarity, duplicate_similarity, strongest_shared};
use super::feeds::{trending_now, FeedLift, FeedLifts};
use super::fit::{choose_sku, FitContext, SkuChoice};
use super::merchandising::MerchandisingRules;
use super::merchandising_pass::ScoreAdjustments;
use super::reasons;
use super::taste::{profile_score, PreferenceMatch, ProfileMatch, Shopper};
use super::{finite, Engine, RecommendRequest};
use crate::domain::{Category, Customer, Reason, ScoredItem, SignalKind};

/// Score terms, in the order ties between equal contributions are broken for reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Term {
    Collaborative,
    Taste,
    Preference,
    Profile,
    Season,
    Trending,
    Popularity,
    /// Feed lifts (`engine::feeds`): not weighted terms of `parts`, see `Candidate::feed`.
    TrendFeed,
    Collection,
}

pub(crate) const TERMS: [Term; 7] = [
    Term::Collaborative,
    Term::Taste,
    Term::Preference,
    Term::Profile,
    Term::Season,
    Term::Trending,
    Term::Popularity,
];

/// Contributions below this do not earn a reason.
const REASON_MIN: f32 = 0.02;
/// MMR considers this many candidates per list slot (and at least `MIN_POOL`).
const POOL_PER_SLOT: usize = 3;
const MIN_POOL: usize = 30;

#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub index: usize,
    pub score: f32,
    /// Contribution of each term, in [`TERMS`] order.
    pub parts: [f32; 7],
    /// Index into `Shopper::items` of the history style behind the collaborative term.
    pub collab_anchor: Option<usize>,
    preference: Option<PreferenceMatch>,
    profile: Option<ProfileMatch>,
    /// Lifts of the trend feed and influencer collections, included in `score`.
    pub feed: FeedLift,
}

impl Candidate {
    /// The contribution of one term.
    pub fn part(&self, term: Term) -> f32 {
        match term {
            Term::TrendFeed => return self.feed.trend,
            Term::Collection => return self.feed.collection,
            _ => {}
        }
        TERMS
            .iter()
            .position(|t| *t == term)
            .map_or(0.0, |i| self.parts[i])
    }
}

/// Seasonal boost in [0, 1]: sunglasses in sun season (April-September north,
/// October-March south), kids' frames around back-to-school (Aug-Sep north, Jan-Feb south).
pub(crate) fn season_boost(category: Category, now: DateTime<Utc>, hemisphere: Hemisphere) -> f32 {
    let month = now.month();
    let north = hemisphere == Hemisphere::North;
    match category {
        Category::Sun => {
            let in_season = (4..=9).contains(&month);
            f32::from(u8::from(in_season == north))
        }
        Category::Kids => {
            let school = if north {
                matches!(month, 8 | 9)
            } else {
                matches!(month, 1 | 2)
            };
            if school {
                0.6
            } else {
                0.0
            }
        }
        Category::Optical | Category::Sport => 0.0,
    }
}

/// One request's scoring state, computed once: the shopper, every style's collaborative
/// score and how much the personal and crowd terms weigh. `recommend` ranks with it and
/// `Engine::explain` re-scores single styles with the very same terms.
pub(crate) struct Scoring<'a> {
    engine: &'a Engine,
    cfg: &'a EngineConfig,
    customer: Option<&'a Customer>,
    pub shopper: Shopper<'a>,
    collab: Vec<CollaborativeScore>,
    confidence: f32,
    personal: bool,
    crowd: f32,
    season: [f32; 4],
    blocked: Vec<bool>,
    /// Trend-feed and collection lifts of this request (`engine::feeds`).
    feeds: FeedLifts<'a>,
    /// Merchandising at compute time: exclusions and boost/bury multipliers (none: off).
    adjustments: Option<ScoreAdjustments>,
}

/// A ranked list before hydration: the filtered candidate pool (best score first) and the
/// pool positions MMR picked, in display order, with their SKUs.
pub(crate) struct Ranking {
    pub pool: Vec<Candidate>,
    pub order: Vec<usize>,
    skus: Vec<Option<String>>,
}

impl<'a> Scoring<'a> {
    pub fn new(engine: &'a Engine, req: &RecommendRequest<'a>, cfg: &'a EngineConfig) -> Self {
        let cat = &engine.catalogue;
        let n = cat.len();
        let shopper = Shopper::new(req.customer, req.history, req.now, cat, cfg);
        let history = shopper.weighted();
        let mut collab = vec![CollaborativeScore::default(); n];
        if !history.is_empty() {
            engine.collaborative.score(&history, &mut collab);
        }
        let confidence = shopper.confidence(cfg.personal_prior);
        let personal = !shopper.items.is_empty();
        let crowd = 1.0 - cfg.personal_dominance * confidence;
        let blocked = shopper.blocked(n, cfg);
        let season: [f32; 4] = [
            Category::Optical,
            Category::Sun,
            Category::Sport,
            Category::Kids,
        ]
        .map(|c| season_boost(c, req.now, cfg.hemisphere));
        let eligible = |i: usize| {
            cat.available[i] && !blocked[i] && req.customer.is_none_or(|c| engine.fits(c, i))
        };
        let feeds = FeedLifts::new(req.feeds, cat, &shopper, req.now, eligible);
        Self {
            engine,
            cfg,
            customer: req.customer,
            shopper,
            collab,
            confidence,
            personal,
            crowd,
            season,
            blocked,
            feeds,
            adjustments: None,
        }
    }

    /// Ranks under merchandising rules (see [`super::merchandising_pass`]).
    pub fn with_merchandising(mut self, rules: &MerchandisingRules, now: DateTime<Utc>) -> Self {
        self.adjustments = Some(ScoreAdjustments::new(self.engine, rules, now));
        self
    }

    /// Whether style `i` competes at all: on sale and not excluded by the history (or by
    /// a merchandising exclusion).
    pub fn competes(&self, i: usize) -> bool {
        self.engine.catalogue.available[i]
            && !self.blocked[i]
            && !self.adjustments.as_ref().is_some_and(|a| a.excludes(i))
    }

    /// Whether the history keeps style `i` off every list (dismissed, returned, bought).
    pub fn is_blocked(&self, i: usize) -> bool {
        self.blocked[i]
    }

    /// Style `i` scored term by term (see [`TERMS`] for the order of `parts`).
    pub fn candidate(&self, i: usize) -> Candidate {
        let cat = &self.engine.catalogue;
        let w = &self.cfg.weights;
        let f = &cat.features[i];
        let style = &cat.styles[i];
        let (pref, preference) = self.shopper.declared.score(f, style.price_cents);
        let (prof, profile) = match self.customer {
            Some(c) => profile_score(c, style),
            None => (0.0, None),
        };
        let (collab_score, taste_score) = if self.personal {
            (self.collab[i].score, self.shopper.taste.affinity(f))
        } else {
            (0.0, 0.0)
        };
        let parts = [
            w.collaborative * self.confidence * collab_score,
            w.taste * self.confidence * taste_score,
            w.preference * pref,
            w.profile * prof,
            self.crowd * w.season * self.season[f.category as usize],
            self.crowd * w.trending * self.engine.trending[i],
            self.crowd * w.popularity * self.engine.popularity[i],
        ];
        let feed = self.feeds.lift(i);
        Candidate {
            index: i,
            score: finite(parts.iter().sum::<f32>() + feed.total()),
            parts,
            collab_anchor: self.collab[i].anchor,
            preference,
            profile,
            feed,
        }
    }

    /// Filters, re-ranks for diversity and picks SKUs: at most `limit` items.
    pub fn rank(&self, limit: usize) -> Ranking {
        let engine = self.engine;
        let cat = &engine.catalogue;
        let candidates: Vec<Candidate> = (0..cat.len())
            .filter(|i| self.competes(*i))
            .map(|i| {
                // Boosts and buries change what the pool and MMR rank by, not the terms.
                let mut c = self.candidate(i);
                if let Some(a) = &self.adjustments {
                    c.score = finite(c.score * a.multiplier(i));
                }
                c
            })
            .collect();
        let pool_size = (limit * POOL_PER_SLOT).max(MIN_POOL);
        // Hard filter: a style no size of which fits (prescription rules) never competes. It
        // is the costliest check, so it runs in score order only until the pool is full.
        let candidates = best_passing(candidates, pool_size, |c| {
            self.customer
                .is_none_or(|customer| engine.fits(customer, c.index))
        });

        let pool: Vec<(usize, f32)> = candidates.iter().map(|c| (c.index, c.score)).collect();
        let mut skus: Vec<Option<String>> = vec![None; pool.len()];
        let order = mmr(
            &pool,
            limit,
            self.cfg.diversity_lambda,
            |a, b| duplicate_similarity(&cat.features[a], &cat.features[b]),
            |p| match self.offered_sku(pool[p].0) {
                SkuChoice::Sku(s) => {
                    skus[p] = Some(s);
                    true
                }
                SkuChoice::NoStock | SkuChoice::Unsuitable => false,
            },
        );
        Ranking {
            pool: candidates,
            order,
            skus,
        }
    }

    /// The SKU the list offers of style `i`: the best-fitting size, the preferred colour.
    pub fn offered_sku(&self, i: usize) -> SkuChoice {
        let size_class = self.shopper.taste.size_class();
        let colour_score = |c: &crate::domain::FrameColour| self.shopper.colour_score(c);
        let fit = FitContext {
            customer: self.customer,
            rules: &self.engine.fit_rules,
            colour_score: &colour_score,
            size_class,
        };
        choose_sku(&self.engine.catalogue.styles[i], &fit)
    }

    /// The reasons the list gives for a candidate.
    pub fn reasons(&self, c: &Candidate, now: DateTime<Utc>) -> Vec<Reason> {
        let max = self.cfg.max_reasons;
        explain(self.engine, &self.shopper, &self.feeds, c, now, max)
    }
}

pub(crate) fn recommend(
    engine: &Engine,
    req: &RecommendRequest<'_>,
    cfg: &EngineConfig,
    rules: Option<&MerchandisingRules>,
) -> Vec<ScoredItem> {
    let limit = req.limit.min(cfg.list_size);
    let cat = &engine.catalogue;
    if limit == 0 || cat.len() == 0 {
        return Vec::new();
    }
    let mut scoring = Scoring::new(engine, req, cfg);
    if let Some(rules) = rules {
        scoring = scoring.with_merchandising(rules, req.now);
    }
    let Ranking {
        pool,
        order,
        mut skus,
    } = scoring.rank(limit);
    order
        .into_iter()
        .map(|p| {
            let c = &pool[p];
            ScoredItem {
                style_id: cat.styles[c.index].id.clone(),
                sku: skus[p].take(),
                // The sum of the terms: a boost's multiplier is applied when the list is read.
                score: finite(c.parts.iter().sum::<f32>() + c.feed.total()),
                reasons: scoring.reasons(c, req.now),
            }
        })
        .collect()
}

pub(crate) fn by_score(a: &Candidate, b: &Candidate) -> std::cmp::Ordering {
    b.score.total_cmp(&a.score).then(a.index.cmp(&b.index))
}

/// The best `size` candidates that pass `keep`, best first: the same as filtering all and
/// taking the top, but `keep` runs on candidates in score order, in growing windows, only
/// until `size` have passed.
fn best_passing(
    mut rest: Vec<Candidate>,
    size: usize,
    keep: impl Fn(&Candidate) -> bool,
) -> Vec<Candidate> {
    let mut passed = Vec::with_capacity(size);
    let mut window = size.max(1) * 2;
    while passed.len() < size && !rest.is_empty() {
        let tail = if rest.len() > window {
            rest.select_nth_unstable_by(window - 1, by_score);
            rest.split_off(window)
        } else {
            Vec::new()
        };
        rest.sort_unstable_by(by_score);
        for c in rest {
            if passed.len() < size && keep(&c) {
                passed.push(c);
            }
        }
        rest = tail;
        window = window.saturating_mul(4);
    }
    passed
}

/// Reasons for one pick, strongest contribution first; never empty.
fn explain(
    engine: &Engine,
    shopper: &Shopper<'_>,
    feeds: &FeedLifts<'_>,
    c: &Candidate,
    now: DateTime<Utc>,
    max_reasons: usize,
) -> Vec<Reason> {
    let cat = &engine.catalogue;
    let style = &cat.styles[c.index];
    let lifts = [
        (&Term::TrendFeed, c.feed.trend),
        (&Term::Collection, c.feed.collection),
    ];
    let mut terms: Vec<(Term, f32)> = TERMS
        .iter()
        .zip(c.parts)
        .chain(lifts)
        .filter(|(_, v)| *v >= REASON_MIN)
        .map(|(t, v)| (*t, v))
        .collect();
    terms.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut out: Vec<Reason> = Vec::new();
    let mut named_anchor: Option<usize> = None;
    for (term, _) in terms {
        if out.len() >= max_reasons {
            break;
        }
        let reason = match term {
            Term::Collaborative => c.collab_anchor.and_then(|h| shopper.items.get(h)).map(|e| {
                named_anchor = Some(e.index);
                let kind = e.kind.unwrap_or(SignalKind::View);
                // A style can anchor its own pick (a cart or a try-on coming back): saying
                // "because you added X" on X itself would read as a bug.
                if e.index == c.index {
                    reasons::you_engaged(kind)
                } else {
                    reasons::because_you(kind, &cat.styles[e.index])
                }
            }),
            Term::Taste => taste_anchor(engine, shopper, c.index)
                .filter(|(slot, _)| Some(shopper.items[*slot].index) != named_anchor)
                .map(|(slot, shared)| {
                    let e = &shopper.items[slot];
                    named_anchor = Some(e.index);
                    reasons::similar_to_history(
                        e.kind.unwrap_or(SignalKind::View),
                        &cat.styles[e.index],
                        shared,
                        shopper.last_purchase == Some(slot),
                    )
                }),
            Term::Preference => c.preference.map(|m| reasons::matches_preference(m, style)),
            Term::Profile => c.profile.map(|m| reasons::profile(m, style)),
            Term::Season => Some(reasons::seasonal(style.category)),
            Term::Trending => {
                (engine.trending_rank[c.index] >= 0.5).then(|| reasons::trending(style.category))
            }
            Term::Popularity => {
                (engine.popularity_rank[c.index] >= 0.5).then(|| reasons::popular(style.category))
            }
            Term::TrendFeed => Some(trending_now()),
            Term::Collection => feeds.collection_reason(&c.feed),
        };
        if let Some(r) = reason {
            if !out.iter().any(|o| o.code == r.code) {
                out.push(r);
            }
        }
    }
    if out.is_empty() {
        out.push(engine.fallback_reason(c.index, now));
    }
    out
}

/// The positive history style most like `index` (weight x content similarity), with the
/// attribute they share most tellingly.
fn taste_anchor(
    engine: &Engine,
    shopper: &Shopper<'_>,
    index: usize,
) -> Option<(usize, super::features::SharedAttribute)> {
    let cat = &engine.catalogue;
    let target = &cat.features[index];
    shopper
        .items
        .iter()
        .enumerate()
        .filter(|(_, e)| e.weight > 0.0 && e.index != index)
        .map(|(slot, e)| {
            (
                slot,
                e.weight * content_similarity(&cat.features[e.index], target),
            )
        })
        .filter(|(_, v)| *v > 0.0)
        .reduce(|a, b| if b.1 > a.1 { b } else { a })
        .map(|(slot, _)| {
            let e = &shopper.items[slot];
            (slot, strongest_shared(&cat.features[e.index], target))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testkit::{december, june};
    use chrono::TimeZone;

    #[test]
    fn when_filter_runs_lazily_should_pick_what_filtering_everything_first_picks() {
        let candidates: Vec<Candidate> = (0..1000)
            .map(|index| Candidate {
                index,
                // Many ties, broken by index.
                score: ((index * 7919) % 97) as f32,
                parts: [0.0; 7],
                collab_anchor: None,
                preference: None,
                profile: None,
                feed: FeedLift::default(),
            })
            .collect();
        for (size, keep_every) in [(30, 3), (30, 50), (5, 1), (30, 2000)] {
            let keep = |c: &Candidate| c.index.is_multiple_of(keep_every);
            let mut eager: Vec<Candidate> =
                candidates.iter().filter(|c| keep(c)).cloned().collect();
            eager.sort_by(by_score);
            eager.truncate(size);
            let lazy = best_passing(candidates.clone(), size, keep);
            let ids = |v: &[Candidate]| v.iter().map(|c| c.index).collect::<Vec<_>>();
            assert_eq!(ids(&lazy), ids(&eager), "size {size}, every {keep_every}");
        }
    }

    #[test]
    fn when_month_changes_should_boost_sun_by_hemisphere_and_kids_at_school_start() {
        assert_eq!(season_boost(Category::Sun, june(), Hemisphere::North), 1.0);
        assert_eq!(season_boost(Category::Sun, june(), Hemisphere::South), 0.0);
        assert_eq!(
            season_boost(Category::Sun, december(), Hemisphere::South),
            1.0
        );
        assert_eq!(
            season_boost(Category::Optical, june(), Hemisphere::North),
            0.0
        );
        let september = Utc.with_ymd_and_hms(2026, 9, 1, 0, 0, 0).single().unwrap();
        assert!(season_boost(Category::Kids, september, Hemisphere::North) > 0.0);
        assert_eq!(
            season_boost(Category::Kids, september, Hemisphere::South),
            0.0
        );
    }
}

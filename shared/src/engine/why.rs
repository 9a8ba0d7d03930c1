//! "Why this pick?": one style's score re-computed term by term with the scoring code the
//! list uses ([`super::scoring::Scoring`]), its place on the shopper's list, the fit
//! verdict, the history and profile behind it and counterfactuals confirmed by re-running
//! the engine ([`super::counterfactual`]). Nothing here is a template: every number and
//! every text comes from a re-score or a re-run.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::config::EngineConfig;
use super::counterfactual::{preference_flip, size_change, without_history};
use super::features::duplicate_similarity;
use super::scoring::{by_score, Candidate, Ranking, Scoring, Term};
use super::why_evidence::{history_evidence, history_match, profile_evidence};
use super::why_fit::fit_verdict;
use super::{Engine, RecommendRequest};
use crate::domain::{Customer, Reason, Signal, SignalKind};
use crate::optics::frame::FrameRulesConfig;

pub use super::counterfactual::{
    Counterfactual, CounterfactualKind, PreferenceChange, PreferenceDimension, StyleRef,
};
pub use super::why_evidence::{
    Evidence, HistoryEvidence, HistoryMatch, ProfileEvidence, ProfileField,
};
pub use super::why_fit::{FitRuleKind, FitVerdict, SizeRejection};

/// Input of [`Engine::explain`].
#[derive(Debug, Clone, Copy)]
pub struct WhyRequest<'a> {
    /// `None` for an unknown customer (cold start: crowd terms only).
    pub customer: Option<&'a Customer>,
    /// The shopper's signals, newest first, as the list is computed from.
    pub history: &'a [Signal],
    pub now: DateTime<Utc>,
    pub style_id: &'a str,
    /// The page the shopper sees: "shown" means among the first `top` of the list.
    pub top: usize,
    /// Thresholds of the prescription rule the engine serves with, to name the checks (F1-F11)
    /// that block a size.
    pub frame_rules: &'a FrameRulesConfig,
    /// The feeds the list is computed with, so their lifts are explained too.
    pub feeds: Option<super::FeedInput<'a>>,
}

/// A term of the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Component {
    Collaborative,
    Taste,
    Preference,
    Profile,
    Popularity,
    Trending,
    Season,
    /// The trend feed's lift ("Trending now"), decayed by the entries' age.
    TrendFeed,
    /// An influencer collection's lift ("Inspired by NAME").
    Collection,
    /// Context (device, weather, time of day) re-ranks at read time, after the list is
    /// scored: it adds nothing to the stored score, so it is always 0 here.
    Context,
    /// What a merchandising boost or bury changed the score by (read time, like context);
    /// the rules behind it, and pins, caps and exclusions, are the answer's `merchandising`.
    Merchandising,
    /// What the diversity re-ranking (MMR) took off when it placed the style, in score
    /// units: `(1 - lambda) / lambda` x its similarity to the picks above it.
    Diversity,
}

/// One term's contribution to the score and its share of all contributions (by size).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ScoreComponent {
    pub component: Component,
    pub contribution: f32,
    /// `|contribution|` over the sum of every `|contribution|`, in [0, 1].
    pub share: f32,
}

/// Where the style stands on the shopper's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListStatus {
    /// Among the first `top` items: shown.
    Shown,
    /// On the list, below the first `top`.
    Listed,
    /// It competes and fits but others scored (or diversified) ahead of it.
    NotListed,
    /// The shopper dismissed, returned or bought it.
    Excluded,
    /// Inactive or out of stock.
    Unavailable,
    /// No size in stock passes the fit rules.
    DoesNotFit,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ListStanding {
    pub status: ListStatus,
    /// 1-based position on the list, when it is on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<usize>,
    pub top: usize,
    pub list_length: usize,
    /// 1-based rank by score alone among the styles that compete and fit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_rank: Option<usize>,
    /// `position - score_rank` on the stored list: places the diversity re-ranking moved it
    /// down (negative: up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diversity_places: Option<i64>,
    /// Places the read-time passes (the request's context, merchandising rules) moved it from
    /// its place on the stored list to `position` (negative: up); absent when they did not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub served_places: Option<i64>,
    pub text: String,
}

impl Explanation {
    /// Sets one component's contribution (a read-time pass: context, merchandising) and
    /// recomputes every share.
    pub fn set_contribution(&mut self, which: Component, contribution: f32) {
        for component in &mut self.components {
            if component.component == which {
                component.contribution = contribution;
            }
        }
        let total: f32 = self.components.iter().map(|c| c.contribution.abs()).sum();
        for component in &mut self.components {
            component.share = if total > 0.0 {
                component.contribution.abs() / total
            } else {
                0.0
            };
        }
    }
}

impl ListStanding {
    /// The standing on the list as served: the read-time passes put the style at `served`
    /// (1-based; `None`: a rule took it off). Only a style that competes and fits moves;
    /// one the shopper cannot have keeps its verdict.
    pub fn served_at(&mut self, served: Option<usize>) {
        if !matches!(
            self.status,
            ListStatus::Shown | ListStatus::Listed | ListStatus::NotListed
        ) || served == self.position
        {
            return;
        }
        let top = self.top;
        self.served_places = served
            .zip(self.position)
            .map(|(now, stored)| now as i64 - stored as i64);
        (self.status, self.text) = match served {
            Some(p) if p <= top => (
                ListStatus::Shown,
                format!("Number {p} of the {top} picks you see"),
            ),
            Some(p) => (
                ListStatus::Listed,
                format!("Number {p} on your list, below the first {top}"),
            ),
            None => (
                ListStatus::NotListed,
                "Not on the list you see: a merchandising rule takes it off".to_string(),
            ),
        };
        self.position = served;
    }
}

/// The whole explanation of one style for one shopper.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Explanation {
    pub style_id: String,
    pub name: String,
    /// false: no history, so only the crowd terms (and profile, preferences) score it.
    pub personal: bool,
    /// The score the list ranks by: the sum of the score terms (diversity and context not
    /// included).
    pub score: f32,
    pub components: Vec<ScoreComponent>,
    pub standing: ListStanding,
    pub fit: FitVerdict,
    pub evidence: Evidence,
    /// Each confirmed by re-running the engine with the change.
    pub counterfactuals: Vec<Counterfactual>,
    /// The reasons the list gives for this style.
    pub reasons: Vec<Reason>,
    /// Which of its features the shopper's positive history shares.
    pub history_match: HistoryMatch,
}

/// A list computed for a what-if: style indices in display order.
pub(super) struct ListRun {
    pub order: Vec<usize>,
}

impl ListRun {
    fn of(ranking: &Ranking) -> Self {
        Self {
            order: ranking
                .order
                .iter()
                .map(|p| ranking.pool[*p].index)
                .collect(),
        }
    }

    pub fn position(&self, index: usize) -> Option<usize> {
        self.order.iter().position(|i| *i == index)
    }

    pub fn shows(&self, index: usize, top: usize) -> bool {
        self.position(index).is_some_and(|p| p < top)
    }
}

/// What stays fixed across the what-if runs of one explanation.
pub(super) struct WhyContext<'a> {
    pub engine: &'a Engine,
    pub config: &'a EngineConfig,
    pub request: &'a WhyRequest<'a>,
    pub target: usize,
    pub top: usize,
}

impl WhyContext<'_> {
    /// The full list (as stored and paged) for this customer and history.
    pub fn run(&self, customer: Option<&Customer>, history: &[Signal]) -> ListRun {
        let req = RecommendRequest {
            customer,
            history,
            now: self.request.now,
            limit: self.config.list_size,
            feeds: self.request.feeds,
        };
        let scoring = Scoring::new(self.engine, &req, self.config);
        ListRun::of(&scoring.rank(self.config.list_size))
    }

    /// The target's score terms under another history.
    pub fn rescore(&self, history: &[Signal]) -> Candidate {
        let req = RecommendRequest {
            customer: self.request.customer,
            history,
            now: self.request.now,
            limit: self.config.list_size,
            feeds: self.request.feeds,
        };
        Scoring::new(self.engine, &req, self.config).candidate(self.target)
    }
}

impl Engine {
    /// Explains `req.style_id` for the shopper under the engine's own settings; `None` for
    /// a style the catalogue does not know.
    pub fn explain(&self, req: &WhyRequest<'_>) -> Option<Explanation> {
        self.explain_with(req, &self.config)
    }

    /// [`Engine::explain`] under other scoring settings (an experiment arm's, sanitized
    /// here), as [`Engine::recommend_with`] lists.
    pub fn explain_with(&self, req: &WhyRequest<'_>, config: &EngineConfig) -> Option<Explanation> {
        let config = config.sanitized();
        let target = self.catalogue.get(req.style_id)?;
        let top = req.top.clamp(1, config.list_size.max(1));
        let ctx = WhyContext {
            engine: self,
            config: &config,
            request: req,
            target,
            top,
        };
        let list_req = RecommendRequest {
            customer: req.customer,
            history: req.history,
            now: req.now,
            limit: config.list_size,
            feeds: req.feeds,
        };
        let scoring = Scoring::new(self, &list_req, &config);
        let ranking = scoring.rank(config.list_size);
        let list = ListRun::of(&ranking);
        let candidate = scoring.candidate(target);
        let fit = fit_verdict(self, req, target, &scoring);
        let position = list.position(target);
        let diversity = position.map_or(0.0, |p| diversity_penalty(self, &config, &list, p));
        let score_rank = score_rank(self, &scoring, &ranking, &candidate, req.customer, fit.fits);
        let standing = standing(&scoring, &candidate, &list, &fit, top, score_rank);
        let evidence = Evidence {
            history: history_evidence(&ctx, &scoring, &candidate),
            profile: profile_evidence(self, req.customer, target),
        };
        let mut counterfactuals = without_history(&ctx, &scoring, &evidence.history, &list);
        counterfactuals.extend(size_change(self, req, target, &fit));
        counterfactuals.extend(preference_flip(&ctx, &list));
        let style = &self.catalogue.styles[target];
        Some(Explanation {
            style_id: style.id.clone(),
            name: style.name.clone(),
            personal: !scoring.shopper.items.is_empty(),
            score: candidate.score,
            components: components(&candidate, diversity),
            standing,
            fit,
            reasons: scoring.reasons(&candidate, req.now),
            history_match: history_match(self, &scoring.shopper, target),
            evidence,
            counterfactuals,
        })
    }
}

fn component_of(term: Term) -> Component {
    match term {
        Term::Collaborative => Component::Collaborative,
        Term::Taste => Component::Taste,
        Term::Preference => Component::Preference,
        Term::Profile => Component::Profile,
        Term::Season => Component::Season,
        Term::Trending => Component::Trending,
        Term::Popularity => Component::Popularity,
        Term::TrendFeed => Component::TrendFeed,
        Term::Collection => Component::Collection,
    }
}

/// The score terms in a fixed order, then context (0) and the diversity penalty.
fn components(candidate: &Candidate, diversity: f32) -> Vec<ScoreComponent> {
    let order = [
        Term::Collaborative,
        Term::Taste,
        Term::Preference,
        Term::Profile,
        Term::Popularity,
        Term::Trending,
        Term::Season,
        Term::TrendFeed,
        Term::Collection,
    ];
    let mut values: Vec<(Component, f32)> = order
        .iter()
        .map(|t| (component_of(*t), candidate.part(*t)))
        .collect();
    values.push((Component::Context, 0.0));
    values.push((Component::Merchandising, 0.0));
    values.push((Component::Diversity, -diversity));
    let total: f32 = values.iter().map(|(_, v)| v.abs()).sum();
    values
        .into_iter()
        .map(|(component, contribution)| ScoreComponent {
            component,
            contribution,
            share: if total > 0.0 {
                contribution.abs() / total
            } else {
                0.0
            },
        })
        .collect()
}

/// What MMR subtracted from the style at its pick (position `p`), in score units.
fn diversity_penalty(engine: &Engine, config: &EngineConfig, list: &ListRun, p: usize) -> f32 {
    let lambda = config.diversity_lambda;
    if lambda <= 0.0 {
        return 0.0;
    }
    let features = &engine.catalogue.features;
    let target = &features[list.order[p]];
    let max_sim = list.order[..p]
        .iter()
        .map(|i| duplicate_similarity(&features[*i], target))
        .fold(0.0f32, f32::max);
    (1.0 - lambda) / lambda * max_sim
}

/// 1-based rank by score among the styles that compete and fit; `None` when the target
/// itself does not compete or fit.
fn score_rank(
    engine: &Engine,
    scoring: &Scoring<'_>,
    ranking: &Ranking,
    candidate: &Candidate,
    customer: Option<&Customer>,
    fits: bool,
) -> Option<usize> {
    if !scoring.competes(candidate.index) || !fits {
        return None;
    }
    if let Some(p) = ranking.pool.iter().position(|c| c.index == candidate.index) {
        return Some(p + 1);
    }
    // Below the pool: count every competing, fitting style that scores ahead of it.
    let ahead = (0..engine.catalogue.len())
        .filter(|i| *i != candidate.index && scoring.competes(*i))
        .map(|i| scoring.candidate(i))
        .filter(|c| by_score(c, candidate).is_lt())
        .filter(|c| customer.is_none_or(|cu| engine.fits(cu, c.index)))
        .count();
    Some(ahead + 1)
}

fn standing(
    scoring: &Scoring<'_>,
    candidate: &Candidate,
    list: &ListRun,
    fit: &FitVerdict,
    top: usize,
    score_rank: Option<usize>,
) -> ListStanding {
    let index = candidate.index;
    let position = list.position(index).map(|p| p + 1);
    let status = match position {
        Some(p) if p <= top => ListStatus::Shown,
        Some(_) => ListStatus::Listed,
        None if scoring.is_blocked(index) => ListStatus::Excluded,
        None if !scoring.competes(index) => ListStatus::Unavailable,
        None if !fit.fits => ListStatus::DoesNotFit,
        None => ListStatus::NotListed,
    };
    let text = match (status, position) {
        (ListStatus::Shown, Some(p)) => format!("Number {p} of the {top} picks you see"),
        (ListStatus::Listed, Some(p)) => format!("Number {p} on your list, below the first {top}"),
        (ListStatus::Excluded, _) => {
            let why = scoring
                .shopper
                .items
                .iter()
                .find(|e| e.index == index)
                .map_or("you already have it", |e| {
                    if e.dismissed {
                        "you dismissed it"
                    } else if e.returned {
                        "you returned it"
                    } else {
                        "you bought it"
                    }
                });
            format!("Not on your list: {why}")
        }
        (ListStatus::Unavailable, _) => "Not on your list: not available right now".to_string(),
        (ListStatus::DoesNotFit, _) => format!("Not on your list: {}", fit.text),
        _ => "Not on your list: other frames score higher for you".to_string(),
    };
    ListStanding {
        status,
        position,
        top,
        list_length: list.order.len(),
        score_rank,
        diversity_places: position.zip(score_rank).map(|(p, r)| p as i64 - r as i64),
        served_places: None,
        text,
    }
}

/// The noun phrase of a history signal in counterfactual texts ("try-on of Aurora Round").
pub(super) fn signal_phrase(kind: SignalKind, name: &str) -> String {
    match kind {
        SignalKind::Purchase => format!("purchase of {name}"),
        SignalKind::AddToCart => format!("adding {name} to your cart"),
        SignalKind::TryOn => format!("try-on of {name}"),
        SignalKind::Favorite => format!("saving {name}"),
        SignalKind::Return => format!("return of {name}"),
        SignalKind::Dismiss => format!("dismissal of {name}"),
        SignalKind::Rating => format!("rating of {name}"),
        SignalKind::Click => format!("click on {name}"),
        SignalKind::View | SignalKind::Impression => format!("view of {name}"),
    }
}

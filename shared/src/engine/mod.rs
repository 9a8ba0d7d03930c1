//! The recommendation engine: pure, synchronous and deterministic.
//!
//! [`Model::build`] turns the signal aggregates (daily counts, co-occurrences) into a model
//! artifact offline. [`Engine::new`] joins a model with the current catalogue once per
//! catalogue or model change; the engine is then shared behind an `Arc` and answers
//! [`Engine::recommend`], [`Engine::similar`], [`Engine::also_bought`] and
//! [`Engine::trending`] with a linear pass over precomputed per-style features.
//!
//! Scoring sums weighted terms (collaborative, taste, declared preferences, profile,
//! popularity, trending, season), applies hard filters, re-ranks with MMR for diversity,
//! picks a SKU per item (see [`FitRule`]) and explains every item with reasons.

pub(crate) mod collaborative;
mod config;
mod context;
mod diversity;
mod evolution;
mod features;
mod feeds;
#[cfg(test)]
mod feeds_tests;
mod fit;
// Neighbours by the visual embeddings of product images (`?by=look`).
mod look;
mod merchandising;
mod merchandising_parse;
mod merchandising_pass;
#[cfg(test)]
mod merchandising_tests;
mod model;
// One style as the shopper's list would offer it (bundles for a product page).
mod offer;
mod preferences;
mod promotions;
mod promotions_parse;
#[cfg(test)]
mod promotions_tests;
// Crate-visible so personalized content (service/content) names frames with the same labels.
mod counterfactual;
pub(crate) mod reasons;
mod scoring;
mod segment;
mod taste;
mod taste_report;
mod taste_words;
#[cfg(test)]
pub(crate) mod testkit;
#[cfg(test)]
mod tests;
mod why;
mod why_evidence;
mod why_fit;
#[cfg(test)]
mod why_tests;

use chrono::{DateTime, Utc};

pub use collaborative::{CollaborativeScore, CollaborativeScorer, ItemKnn, WeightedItem};
pub use config::{ComponentWeights, EngineConfig, Hemisphere, KindWeights, MAX_LIST_SIZE};
pub use context::{ContextConfig, ContextWeights, OccasionRule};
pub use evolution::TasteAttribute;
pub use feeds::{FeedInput, FeedWeights};
pub use fit::{FaceWidthRule, FitRule, PrescriptionRule};
pub use look::LookIndex;
pub use merchandising::{
    Cap, CapGroup, Exclusion, MerchandisingError, MerchandisingRules, Pin, RuleError, RuleKind,
    RuleMeta, ScoreRule, StyleMatch, MAX_MULTIPLIER, MIN_MULTIPLIER,
};
pub use merchandising_pass::{MerchandisingAdjustment, FEATURED_CODE, PROMOTED_CODE};
pub use model::{Model, ModelError, ModelStats, Neighbour, MODEL_FORMAT_VERSION};
pub use offer::StyleOffer;
pub use promotions::{
    discount_words, quote, Audience, Behaviour, Discount, LensOption, OfferBounds, PriceQuote,
    PricedItem, Promotion, PromotionTarget, BROWSED_AT_LEAST, MAX_PERCENT_OFF,
};
pub use segment::{SegmentCrowd, SegmentLift, SegmentRequest};
pub use taste_report::{
    AttributeLead, AttributeShift, AttributeTaste, TasteDrift, TasteMonth, TasteReport, ValueShare,
};
pub use why::{
    Component, Counterfactual, CounterfactualKind, Evidence, Explanation, FitRuleKind, FitVerdict,
    HistoryEvidence, HistoryMatch, ListStanding, ListStatus, PreferenceChange, PreferenceDimension,
    ProfileEvidence, ProfileField, ScoreComponent, SizeRejection, StyleRef, WhyRequest,
};

use crate::domain::{Category, Customer, ScoredItem, Signal, Style};
use config::decay;
use features::{content_similarity, top_k, Catalogue};
use fit::{choose_sku, FitContext, SkuChoice};

/// Input of [`Engine::recommend`].
#[derive(Debug, Clone, Copy)]
pub struct RecommendRequest<'a> {
    /// `None` for anonymous sessions and unknown customers.
    pub customer: Option<&'a Customer>,
    /// The subject's signals, newest first (may be empty).
    pub history: &'a [Signal],
    pub now: DateTime<Utc>,
    /// Wanted list length; capped at the configured list size.
    pub limit: usize,
    /// Trend feeds and influencer collections to lift styles by (`None`: no feeds).
    pub feeds: Option<FeedInput<'a>>,
}

/// Styles counted as the popular head: novelty is the share of shown items outside it.
pub const POPULAR_HEAD: usize = 100;

/// Marks the [`POPULAR_HEAD`] styles with the most (decayed) popularity; styles without
/// any never count as popular. Ties go to the lower index, so the head is deterministic.
fn popular_head(popularity_raw: &[f32]) -> Vec<bool> {
    let mut order: Vec<usize> = (0..popularity_raw.len())
        .filter(|i| popularity_raw[*i] > 0.0)
        .collect();
    order.sort_by(|a, b| {
        popularity_raw[*b]
            .total_cmp(&popularity_raw[*a])
            .then(a.cmp(b))
    });
    let mut head = vec![false; popularity_raw.len()];
    for i in order.into_iter().take(POPULAR_HEAD) {
        head[i] = true;
    }
    head
}

/// The catalogue joined with a model, ready to serve. `Send + Sync`: build it once per
/// catalogue or model change and share it behind an `Arc`.
pub struct Engine {
    config: EngineConfig,
    /// Kept so a catalogue change can rebuild the engine with the same model.
    model: Model,
    catalogue: Catalogue,
    /// Raw decayed counts at `built_at`, by engine index.
    popularity_raw: Vec<f32>,
    trending_raw: Vec<f32>,
    /// Log-scaled, half global and half within the category, in [0, 1].
    popularity: Vec<f32>,
    trending: Vec<f32>,
    /// Rank within the category among styles with any count, 1.0 = top, 0.0 = none.
    popularity_rank: Vec<f32>,
    trending_rank: Vec<f32>,
    /// Whether the style is among the [`POPULAR_HEAD`] most popular (novelty's baseline).
    in_popular_head: Vec<bool>,
    /// Content neighbours from the model (empty for styles the model does not know).
    content: Vec<Vec<(u32, f32)>>,
    collaborative: Box<dyn CollaborativeScorer>,
    fit_rules: Vec<Box<dyn FitRule>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("model_version", &self.model.version)
            .field("styles", &self.catalogue.len())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// `log(1 + value)` scaled so that `max` maps to 1.
fn log_scaled(value: f32, max: f32) -> f32 {
    let denom = max.max(0.0).ln_1p();
    if denom > 0.0 {
        (value.max(0.0).ln_1p() / denom).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// Half global, half within-category log-scaled value, and the within-category rank.
fn normalise_by_category(values: &[f32], catalogue: &Catalogue) -> (Vec<f32>, Vec<f32>) {
    let n = values.len();
    let global_max = values.iter().copied().fold(0.0f32, f32::max);
    let mut category_max = [0.0f32; features::CATEGORIES];
    for (i, v) in values.iter().enumerate() {
        let c = catalogue.features[i].category as usize;
        category_max[c] = category_max[c].max(*v);
    }
    let scaled = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let c = catalogue.features[i].category as usize;
            0.5 * log_scaled(*v, global_max) + 0.5 * log_scaled(*v, category_max[c])
        })
        .collect();
    let mut rank = vec![0.0f32; n];
    for c in 0..features::CATEGORIES {
        let mut members: Vec<usize> = (0..n)
            .filter(|i| catalogue.features[*i].category as usize == c && values[*i] > 0.0)
            .collect();
        members.sort_by(|a, b| values[*b].total_cmp(&values[*a]).then(a.cmp(b)));
        let count = members.len() as f32;
        for (r, i) in members.into_iter().enumerate() {
            rank[i] = 1.0 - r as f32 / count;
        }
    }
    (scaled, rank)
}

impl Engine {
    /// Joins the catalogue with a model. Styles are ordered by id (the first of duplicate
    /// ids wins); model rows of styles no longer in the catalogue are ignored.
    pub fn new(styles: Vec<Style>, model: Model, config: EngineConfig) -> Engine {
        let config = config.sanitized();
        let catalogue = Catalogue::new(styles);
        let n = catalogue.len();
        let map: Vec<Option<usize>> = model.style_ids.iter().map(|id| catalogue.get(id)).collect();
        let remap = |list: &[Neighbour]| -> Vec<(u32, f32)> {
            list.iter()
                .filter_map(|Neighbour(j, s)| {
                    let e = map.get(*j as usize).copied().flatten()?;
                    Some((u32::try_from(e).ok()?, *s))
                })
                .collect()
        };
        let mut popularity_raw = vec![0.0f32; n];
        let mut trending_raw = vec![0.0f32; n];
        let mut collab = vec![Vec::new(); n];
        let mut content = vec![Vec::new(); n];
        for (m, e) in map.iter().enumerate() {
            let Some(e) = *e else { continue };
            popularity_raw[e] = model.popularity.get(m).copied().unwrap_or(0.0);
            trending_raw[e] = model.trending.get(m).copied().unwrap_or(0.0);
            collab[e] = remap(model.collaborative.get(m).map_or(&[][..], Vec::as_slice));
            content[e] = remap(model.content.get(m).map_or(&[][..], Vec::as_slice));
        }
        let (popularity, popularity_rank) = normalise_by_category(&popularity_raw, &catalogue);
        let (trending, trending_rank) = normalise_by_category(&trending_raw, &catalogue);
        let in_popular_head = popular_head(&popularity_raw);
        Engine {
            config,
            model,
            catalogue,
            popularity_raw,
            trending_raw,
            popularity,
            trending,
            popularity_rank,
            trending_rank,
            in_popular_head,
            content,
            collaborative: Box::new(ItemKnn::new(collab)),
            fit_rules: vec![
                Box::new(FaceWidthRule),
                Box::new(PrescriptionRule::default()),
            ],
        }
    }

    /// Replaces the co-occurrence scorer (e.g. with a trained ALS or EASE model).
    pub fn with_collaborative(mut self, scorer: Box<dyn CollaborativeScorer>) -> Self {
        self.collaborative = scorer;
        self
    }

    /// Adds a fit rule after the face-width and prescription rules.
    pub fn with_fit_rule(mut self, rule: Box<dyn FitRule>) -> Self {
        self.fit_rules.push(rule);
        self
    }

    /// Replaces the prescription rule's thresholds (the default follows the domain brief).
    pub fn with_frame_rules(mut self, config: crate::optics::FrameRulesConfig) -> Self {
        // `new` puts the prescription rule second.
        if let Some(slot) = self.fit_rules.get_mut(1) {
            *slot = Box::new(PrescriptionRule::new(config));
        }
        self
    }

    /// Whether at least one in-stock size of the style passes every fit rule for the
    /// customer: the hard filter that keeps incompatible frames off every list.
    pub(crate) fn fits(&self, customer: &Customer, index: usize) -> bool {
        let style = &self.catalogue.styles[index];
        let stocked = &self.catalogue.stocked_sizes[index];
        style.sizes.iter().zip(stocked).any(|(size, stocked)| {
            *stocked
                && self
                    .fit_rules
                    .iter()
                    .all(|rule| rule.size_cost(customer, style, size).is_some())
        })
    }

    /// Version of the model in use; stored lists record it.
    pub fn model_version(&self) -> &str {
        &self.model.version
    }

    /// The model this engine serves, to rebuild the engine when only the catalogue changes.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Name of the collaborative scorer in use ("cooccurrence", "learned", ...).
    pub fn collaborative_name(&self) -> &'static str {
        self.collaborative.name()
    }

    /// The sanitized configuration in use.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// A catalogue style by id, available or not, for hydrating scored items.
    pub fn style(&self, id: &str) -> Option<&Style> {
        self.catalogue.get(id).map(|i| &self.catalogue.styles[i])
    }

    /// Whether `id` is one of the [`POPULAR_HEAD`] most popular styles: a list made of
    /// others shows the shopper something they would not find on the bestseller shelf.
    pub fn is_in_popular_head(&self, id: &str) -> bool {
        self.catalogue
            .get(id)
            .is_some_and(|i| self.in_popular_head[i])
    }

    /// How many styles are on sale (the denominator of catalogue coverage).
    pub fn styles_on_sale(&self) -> usize {
        self.catalogue.available.iter().filter(|a| **a).count()
    }

    /// Every style, available or not, ordered by id.
    pub fn styles(&self) -> impl Iterator<Item = &Style> {
        self.catalogue.styles.iter()
    }

    /// A personalised list for a customer or session, in display order.
    pub fn recommend(&self, req: &RecommendRequest<'_>) -> Vec<ScoredItem> {
        scoring::recommend(self, req, &self.config, None)
    }

    /// [`Engine::recommend`] under other scoring settings (an experiment variant's): the
    /// same catalogue, model and crowd terms, scored and diversified by `config` (sanitized
    /// here). The neighbour lists were built with the engine's own `neighbours`, so that
    /// key cannot change this way.
    pub fn recommend_with(
        &self,
        req: &RecommendRequest<'_>,
        config: &EngineConfig,
    ) -> Vec<ScoredItem> {
        scoring::recommend(self, req, &config.sanitized(), None)
    }

    /// The shopper's taste from their history: current (short-term) and long-term
    /// profiles, the drift between them, a monthly timeline and reasons in plain words.
    pub fn taste_report(&self, history: &[Signal], now: DateTime<Utc>) -> TasteReport {
        taste_report::report(&self.catalogue, history, now, &self.config)
    }

    fn clamp_limit(&self, limit: usize) -> usize {
        limit.min(self.config.list_size)
    }

    /// A SKU without shopper context, optionally preferring some colour families.
    fn default_sku(&self, index: usize, colours: u16) -> Option<String> {
        let colour_score = |c: &crate::domain::FrameColour| {
            f32::from(u8::from(
                colours & (1 << features::colour_index(c.family)) != 0,
            ))
        };
        let ctx = FitContext {
            customer: None,
            rules: &self.fit_rules,
            colour_score: &colour_score,
            size_class: None,
        };
        match choose_sku(&self.catalogue.styles[index], &ctx) {
            SkuChoice::Sku(s) => Some(s),
            SkuChoice::NoStock | SkuChoice::Unsuitable => None,
        }
    }

    /// Available styles most similar in content to `index`, without it, best first.
    fn content_neighbours(&self, index: usize, limit: usize) -> Vec<(usize, f32)> {
        let ok = |j: usize| j != index && self.catalogue.available[j];
        let from_model: Vec<(usize, f32)> = self.content[index]
            .iter()
            .map(|&(j, s)| (j as usize, s))
            .filter(|(j, _)| ok(*j))
            .take(limit)
            .collect();
        if from_model.len() >= limit {
            return from_model;
        }
        // Model too old or too many neighbours out of stock: scan the catalogue.
        let source = &self.catalogue.features[index];
        let scanned: Vec<(u32, f32)> = (0..self.catalogue.len())
            .filter(|j| ok(*j))
            .map(|j| {
                let s = content_similarity(source, &self.catalogue.features[j]);
                (u32::try_from(j).unwrap_or(u32::MAX), s)
            })
            .collect();
        top_k(scanned, limit)
            .into_iter()
            .map(|(j, s)| (j as usize, s))
            .collect()
    }

    /// Styles like `style_id` in shape, material, colour, price...; `None` for an unknown
    /// style. Only available styles, never the style itself.
    pub fn similar(&self, style_id: &str, limit: usize) -> Option<Vec<ScoredItem>> {
        let index = self.catalogue.get(style_id)?;
        let limit = self.clamp_limit(limit);
        let source = &self.catalogue.styles[index];
        let colours = self.catalogue.features[index].colours;
        Some(
            self.content_neighbours(index, limit)
                .into_iter()
                .map(|(j, s)| ScoredItem {
                    style_id: self.catalogue.styles[j].id.clone(),
                    sku: self.default_sku(j, colours),
                    score: s,
                    reasons: vec![reasons::similar_style(source, &self.catalogue.styles[j])],
                })
                .collect(),
        )
    }

    /// What shoppers who engaged with `style_id` also engaged with; padded with content
    /// neighbours (with their own reason) when co-occurrence data is short. `None` for an
    /// unknown style; never the style itself.
    pub fn also_bought(&self, style_id: &str, limit: usize) -> Option<Vec<ScoredItem>> {
        let index = self.catalogue.get(style_id)?;
        let limit = self.clamp_limit(limit);
        let source = &self.catalogue.styles[index];
        let colours = self.catalogue.features[index].colours;
        let fetch = limit.max(self.config.neighbours);
        let mut items: Vec<ScoredItem> = Vec::with_capacity(limit);
        let mut taken = vec![false; self.catalogue.len()];
        for (j, s) in self.collaborative.related(index, fetch) {
            if items.len() >= limit {
                break;
            }
            if j == index || j >= taken.len() || taken[j] || !self.catalogue.available[j] {
                continue;
            }
            taken[j] = true;
            items.push(ScoredItem {
                style_id: self.catalogue.styles[j].id.clone(),
                sku: self.default_sku(j, colours),
                score: finite(s),
                reasons: vec![reasons::also_liked(source)],
            });
        }
        if items.len() < limit {
            for (j, s) in self.content_neighbours(index, limit + items.len()) {
                if items.len() >= limit {
                    break;
                }
                if taken[j] {
                    continue;
                }
                taken[j] = true;
                items.push(ScoredItem {
                    style_id: self.catalogue.styles[j].id.clone(),
                    sku: self.default_sku(j, colours),
                    score: finite(s),
                    reasons: vec![reasons::similar_style(source, &self.catalogue.styles[j])],
                });
            }
        }
        Some(items)
    }

    /// Available styles by recent (trending half-life) engagement, optionally in one
    /// category; styles without recent counts follow by popularity, then newest first.
    pub fn trending(
        &self,
        category: Option<Category>,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Vec<ScoredItem> {
        let limit = self.clamp_limit(limit);
        let age_days = (now - self.model.built_at).num_seconds() as f64 / 86_400.0;
        let factor = decay(age_days, self.model.trending_half_life_days);
        let styles = &self.catalogue.styles;
        let mut picks: Vec<usize> = (0..self.catalogue.len())
            .filter(|i| self.catalogue.available[*i])
            .filter(|i| category.is_none_or(|c| styles[*i].category == c))
            .collect();
        picks.sort_by(|a, b| {
            self.trending_raw[*b]
                .total_cmp(&self.trending_raw[*a])
                .then(self.popularity_raw[*b].total_cmp(&self.popularity_raw[*a]))
                .then(styles[*b].launch_date.cmp(&styles[*a].launch_date))
                .then(a.cmp(b))
        });
        picks.truncate(limit);
        picks
            .into_iter()
            .map(|i| {
                let style = &styles[i];
                let reason = if self.trending_raw[i] > 0.0 {
                    reasons::trending(style.category)
                } else {
                    self.fallback_reason(i, now)
                };
                ScoredItem {
                    style_id: style.id.clone(),
                    sku: self.default_sku(i, 0),
                    score: finite(self.trending_raw[i] * factor),
                    reasons: vec![reason],
                }
            })
            .collect()
    }

    /// A true reason for any style: popular, new, or simply in its category.
    fn fallback_reason(&self, index: usize, now: DateTime<Utc>) -> crate::domain::Reason {
        let style = &self.catalogue.styles[index];
        let age = now.date_naive() - style.launch_date;
        if self.popularity_raw[index] > 0.0 && self.popularity_rank[index] >= 0.5 {
            reasons::popular(style.category)
        } else if (0..=90).contains(&age.num_days()) {
            reasons::new_in(style.category)
        } else {
            reasons::in_category(style.category)
        }
    }
}

fn finite(x: f32) -> f32 {
    if x.is_finite() {
        x
    } else {
        0.0
    }
}

//! Social feeds in scoring: a trend feed lifts the styles its entries name (by id, shape,
//! colour family, material, rim, brand or tag), each entry's weight halving every
//! `trend_half_life_days` after it was published ("Trending now"); an influencer collection
//! whose taste the shopper shares lifts a few of its styles ("Inspired by NAME").
//!
//! A collection's taste is the mean of its styles' features, so the shopper's affinity with
//! it is their taste's mean affinity over those styles (affinity is linear in the features).
//! The match is how far that exceeds their mean affinity over everything on sale: in a range
//! of mostly acetate optical frames, an acetate lover likes nearly every collection a little,
//! and only a collection that suits them more than the range does should speak to them.
//! Lifts are added to a candidate's score before the hard filters and MMR run, so a lifted
//! style that is unavailable, blocked by the shopper's history or does not fit never shows.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::config::decay;
use super::features::{colour_index, Catalogue};
use super::taste::Shopper;
use crate::domain::{Feeds, InfluencerCollection, Reason, TrendEntry, TrendTarget};

/// How much the feeds weigh (the engine's part of the `[feeds]` configuration).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FeedWeights {
    /// Days after which a trend entry's weight has halved.
    pub trend_half_life_days: f32,
    /// Lift of a fresh entry of weight 1 (score units, like `engine.weights`).
    pub trend_weight: f32,
    /// Lift of a pick of a matching collection.
    pub collection_weight: f32,
    /// Taste match (the shopper's mean affinity with the collection's styles minus their
    /// mean affinity with every style on sale) from which a collection inspires picks.
    pub collection_match_min: f32,
    /// Styles of one matching collection lifted for a shopper.
    pub collection_picks: usize,
    /// Matching collections used per shopper, best match first.
    pub collections_per_shopper: usize,
}

impl Default for FeedWeights {
    fn default() -> Self {
        Self {
            trend_half_life_days: 7.0,
            trend_weight: 0.3,
            collection_weight: 0.3,
            collection_match_min: 0.15,
            collection_picks: 3,
            collections_per_shopper: 2,
        }
    }
}

/// The feeds a list is computed with (part of the engine's request).
#[derive(Debug, Clone, Copy)]
pub struct FeedInput<'a> {
    pub feeds: &'a Feeds,
    pub weights: &'a FeedWeights,
}

/// One candidate's feed lifts, in score units.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct FeedLift {
    pub trend: f32,
    pub collection: f32,
    /// Index of the collection behind `collection`, into the request's collections.
    pub collection_index: Option<usize>,
}

impl FeedLift {
    pub fn total(&self) -> f32 {
        self.trend + self.collection
    }
}

/// One request's feed lifts by style index, computed once in `Scoring::new`.
#[derive(Default)]
pub(crate) struct FeedLifts<'a> {
    /// Empty when no trend entry matched anything.
    trend: Vec<f32>,
    /// Lift and collection index by style; empty when no collection matched.
    collection: Vec<Option<(f32, usize)>>,
    collections: &'a [InfluencerCollection],
}

impl<'a> FeedLifts<'a> {
    /// The lifts of `input` for this shopper at `now`; `eligible` says whether a style may
    /// show at all (on sale, not blocked, fits), so collection picks are never wasted on
    /// styles the filters would drop.
    pub fn new(
        input: Option<FeedInput<'a>>,
        catalogue: &Catalogue,
        shopper: &Shopper<'_>,
        now: DateTime<Utc>,
        eligible: impl Fn(usize) -> bool,
    ) -> Self {
        let Some(input) = input else {
            return Self::default();
        };
        Self {
            trend: trend_lifts(&input.feeds.trends, input.weights, catalogue, now),
            collection: collection_lifts(input, catalogue, shopper, eligible),
            collections: &input.feeds.collections,
        }
    }

    pub fn lift(&self, index: usize) -> FeedLift {
        let (collection, collection_index) = self
            .collection
            .get(index)
            .copied()
            .flatten()
            .map_or((0.0, None), |(lift, c)| (lift, Some(c)));
        FeedLift {
            trend: self.trend.get(index).copied().unwrap_or(0.0),
            collection,
            collection_index,
        }
    }

    /// "Inspired by NAME" for a pick a collection lifted.
    pub fn collection_reason(&self, lift: &FeedLift) -> Option<Reason> {
        let collection = self.collections.get(lift.collection_index?)?;
        Some(inspired_by(collection))
    }
}

pub(crate) fn trending_now() -> Reason {
    Reason::new("trending_now", "Trending now")
}

pub(crate) fn inspired_by(collection: &InfluencerCollection) -> Reason {
    Reason::new(
        "inspired_by",
        format!("Inspired by {}", collection.curator.trim()),
    )
}

/// An entry's weight at `now`: halved every `half_life_days` since it was published (an
/// entry dated in the future counts as fresh).
pub(crate) fn decayed_weight(entry: &TrendEntry, now: DateTime<Utc>, half_life_days: f32) -> f32 {
    let age_days = (now - entry.published_at).num_seconds() as f64 / 86_400.0;
    entry.weight * decay(age_days, half_life_days)
}

/// Whether style `i` is what `target` names.
fn matches(target: &TrendTarget, catalogue: &Catalogue, i: usize, brand: Option<u32>) -> bool {
    let f = &catalogue.features[i];
    match target {
        TrendTarget::Style(id) => catalogue.styles[i].id == *id,
        TrendTarget::Shape(s) => f.shape == *s,
        TrendTarget::Colour(c) => f.colours & (1 << colour_index(*c)) != 0,
        TrendTarget::Material(m) => f.material == *m,
        TrendTarget::Rim(r) => f.rim == *r,
        TrendTarget::Brand(_) => brand == Some(f.brand),
        TrendTarget::Tag(t) => catalogue.styles[i]
            .tags
            .iter()
            .any(|tag| tag.eq_ignore_ascii_case(t)),
    }
}

/// Per style, the strongest decayed entry naming it, times `trend_weight` (entries do not
/// add up: a style that is round and tortoise trends as much as its stronger trend).
fn trend_lifts(
    entries: &[TrendEntry],
    weights: &FeedWeights,
    catalogue: &Catalogue,
    now: DateTime<Utc>,
) -> Vec<f32> {
    if entries.is_empty() || weights.trend_weight <= 0.0 {
        return Vec::new();
    }
    let mut lifts = vec![0.0f32; catalogue.len()];
    for entry in entries {
        let value = weights.trend_weight * decayed_weight(entry, now, weights.trend_half_life_days);
        if !(value.is_finite() && value > 0.0) {
            continue;
        }
        if let TrendTarget::Style(id) = &entry.target {
            if let Some(i) = catalogue.get(id) {
                lifts[i] = lifts[i].max(value);
            }
            continue;
        }
        let brand = match &entry.target {
            TrendTarget::Brand(name) => match catalogue.brands.get(name) {
                Some(id) => Some(id),
                None => continue,
            },
            _ => None,
        };
        for (i, lift) in lifts.iter_mut().enumerate() {
            if matches(&entry.target, catalogue, i, brand) {
                *lift = lift.max(value);
            }
        }
    }
    if lifts.iter().all(|l| *l == 0.0) {
        return Vec::new();
    }
    lifts
}

/// The shopper's taste match with each collection; the best `collections_per_shopper`
/// above the threshold each lift their `collection_picks` eligible styles the shopper's
/// taste likes most by `collection_weight`.
fn collection_lifts(
    input: FeedInput<'_>,
    catalogue: &Catalogue,
    shopper: &Shopper<'_>,
    eligible: impl Fn(usize) -> bool,
) -> Vec<Option<(f32, usize)>> {
    let weights = input.weights;
    if shopper.items.is_empty() || weights.collection_weight <= 0.0 {
        return Vec::new();
    }
    let affinity = |i: usize| shopper.taste.affinity(&catalogue.features[i]);
    let on_sale: Vec<usize> = (0..catalogue.len())
        .filter(|i| catalogue.available[*i])
        .collect();
    if on_sale.is_empty() {
        return Vec::new();
    }
    let baseline = on_sale.iter().map(|i| affinity(*i)).sum::<f32>() / on_sale.len() as f32;
    let mean = |members: &[usize]| {
        members.iter().map(|i| affinity(*i)).sum::<f32>() / members.len().max(1) as f32
    };
    let mut matched: Vec<(usize, f32, Vec<usize>)> = input
        .feeds
        .collections
        .iter()
        .enumerate()
        .map(|(c, collection)| (c, members(collection, catalogue)))
        .filter(|(_, members)| !members.is_empty())
        .map(|(c, members)| (c, mean(&members) - baseline, members))
        .filter(|(_, taste_match, _)| {
            taste_match.is_finite() && *taste_match >= weights.collection_match_min
        })
        .collect();
    matched.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    matched.truncate(weights.collections_per_shopper);
    if matched.is_empty() {
        return Vec::new();
    }
    let mut lifts: Vec<Option<(f32, usize)>> = vec![None; catalogue.len()];
    for (c, _, members) in matched {
        let mut picks: Vec<(usize, f32)> = members.into_iter().map(|i| (i, affinity(i))).collect();
        picks.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        for (i, _) in picks
            .into_iter()
            .filter(|(i, _)| eligible(*i))
            .take(weights.collection_picks)
        {
            // A style two matching collections share is credited to the better match.
            if lifts[i].is_none() {
                lifts[i] = Some((weights.collection_weight, c));
            }
        }
    }
    lifts
}

/// The catalogue styles a collection names (unknown ids left out), each once.
fn members(collection: &InfluencerCollection, catalogue: &Catalogue) -> Vec<usize> {
    let mut members: Vec<usize> = collection
        .style_ids
        .iter()
        .filter_map(|id| catalogue.get(id))
        .collect();
    members.sort_unstable();
    members.dedup();
    members
}

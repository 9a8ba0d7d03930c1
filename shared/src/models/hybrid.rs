//! The served blend: item-item votes (EASE on small catalogues, sparse item-kNN beyond) from
//! a shopper's recency-weighted history, optionally blended with iALS scores by fold-in and
//! popularity-debiased, then blended convexly with popularity. Every part scores a shopper
//! from their history alone, so shoppers unseen in training are served the same way. The
//! scoring-time knobs and blend weights are chosen on a validation split only; popularity
//! weight 1 (popularity alone) is always in the grid, so on validation the blend never
//! scores below popularity.

use std::sync::Arc;

use super::als::{Als, AlsParams};
use super::data::{window_secs, HistItem, TrainData};
use super::ease::{Ease, EaseParams};
use super::knn::{ItemKnnModel, KnnParams};
use super::pop::MostPopular;
use super::{LearnError, Recommender};

/// Above this many items EASE's dense n x n inverse (~12 B x n², 1.7 GB at 12k) gives way to
/// sparse item-kNN, whose memory grows with items x K.
pub const EASE_MAX_ITEMS: usize = 12_000;

/// Hybrid hyperparameters; `ease`, `window_days` and `als` are training-time, the rest
/// apply at scoring time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HybridParams {
    pub ease: EaseParams,
    /// Co-occurrence time window in days (0 = plain counts): pairs bought in one visit count
    /// more than pairs months apart.
    pub window_days: f32,
    /// Half-life of a history item's weight, in positions from the most recent (0 = off).
    pub half_life: f32,
    /// Weight floor, so old items still vote a little.
    pub floor: f32,
    /// Positive scores are divided by (popularity + 1)^beta (0 = off).
    pub beta: f32,
    /// Weight of max-normalised iALS scores added to max-normalised item-item scores.
    pub als_weight: f32,
    pub als: AlsParams,
    /// Convex weight of max-normalised popularity: 0 = collaborative only, 1 = popularity
    /// only (the same ranking as [`MostPopular`]).
    pub pop_weight: f32,
}

impl Default for HybridParams {
    /// Values chosen on the ml-100k temporal validation split (`framewise eval --tune`);
    /// sparse shop data should be tuned on its own validation split.
    fn default() -> Self {
        Self {
            ease: EaseParams { lambda: 200.0 },
            window_days: 0.0,
            half_life: 5.0,
            floor: 0.1,
            beta: 0.1,
            als_weight: 0.0,
            als: AlsParams::default(),
            pop_weight: 0.0,
        }
    }
}

/// The item-item part: dense EASE weights or sparse kNN neighbour lists.
#[derive(Debug, Clone)]
pub enum ItemItem {
    Ease(Arc<Ease>),
    Knn(Arc<ItemKnnModel>),
}

impl ItemItem {
    /// EASE when the catalogue fits [`EASE_MAX_ITEMS`], item-kNN (shrinkage 50) otherwise.
    pub fn fit(train: &TrainData, params: &HybridParams) -> Result<ItemItem, LearnError> {
        Self::fit_up_to(train, params, EASE_MAX_ITEMS)
    }

    /// EASE up to `ease_max_items` items (its memory grows with their square), item-kNN
    /// beyond.
    pub fn fit_up_to(
        train: &TrainData,
        params: &HybridParams,
        ease_max_items: usize,
    ) -> Result<ItemItem, LearnError> {
        if train.n_items == 0 {
            return Err(LearnError::Empty);
        }
        if train.n_items <= ease_max_items {
            let window = window_secs(params.window_days);
            let gram = train.windowed_gram(window);
            let ease = Ease::from_gram(train.n_items, &gram, params.ease.lambda)?;
            Ok(ItemItem::Ease(Arc::new(ease)))
        } else {
            let knn = KnnParams {
                window_days: params.window_days,
                ..KnnParams::default()
            };
            Ok(ItemItem::Knn(Arc::new(ItemKnnModel::fit(train, knn))))
        }
    }

    /// Each item's `k` strongest positive weights, strongest first: the served artifact's
    /// rows. With `beta` > 0 the weight towards item j is divided by (popularity_j + 1)^beta
    /// first: the hybrid's popularity debiasing, baked into the rows.
    pub fn prune(&self, k: usize, popularity: &[f32], beta: f32) -> Vec<Vec<(u32, f32)>> {
        let scale: Option<Vec<f32>> = (beta > 0.0).then(|| {
            popularity
                .iter()
                .map(|c| (c.max(0.0) + 1.0).powf(-beta))
                .collect()
        });
        let scale = scale.as_deref().filter(|s| s.len() >= self.n_items());
        match self {
            ItemItem::Ease(ease) => ease.prune(k, scale),
            ItemItem::Knn(knn) => knn
                .neighbours
                .iter()
                .map(|row| {
                    let scaled = row
                        .iter()
                        .map(|&(j, w)| (j, w * scale.map_or(1.0, |s| s[j as usize])))
                        .collect();
                    super::knn::top_k(scaled, k)
                })
                .collect(),
        }
    }

    /// Number of items the part was trained on.
    pub fn n_items(&self) -> usize {
        match self {
            ItemItem::Ease(ease) => ease.n,
            ItemItem::Knn(knn) => knn.neighbours.len(),
        }
    }

    /// Adds `weight` times item `item`'s votes into `out`.
    pub fn accumulate(&self, item: usize, weight: f32, out: &mut [f32]) {
        match self {
            ItemItem::Ease(ease) => ease.accumulate(item, weight, out),
            ItemItem::Knn(knn) => {
                for &(j, s) in knn.neighbours.get(item).map_or(&[][..], Vec::as_slice) {
                    if let Some(o) = out.get_mut(j as usize) {
                        *o += weight * s;
                    }
                }
            }
        }
    }
}

/// Trained parts shared between parameter variants (tuning re-weights without refitting).
#[derive(Debug, Clone)]
pub struct Hybrid {
    pub item_item: ItemItem,
    pub als: Option<Arc<Als>>,
    pub popularity: Arc<Vec<f32>>,
    pub params: HybridParams,
}

impl Hybrid {
    /// Fits the item-item part, and iALS when it is blended in.
    pub fn fit(train: &TrainData, params: HybridParams) -> Result<Hybrid, LearnError> {
        let item_item = ItemItem::fit(train, &params)?;
        let als = (params.als_weight > 0.0).then(|| Arc::new(Als::fit(train, params.als)));
        Ok(Self::from_parts(train, item_item, als, params))
    }

    /// Assembles already trained parts (popularity is counted from `train`).
    pub fn from_parts(
        train: &TrainData,
        item_item: ItemItem,
        als: Option<Arc<Als>>,
        params: HybridParams,
    ) -> Hybrid {
        Hybrid {
            item_item,
            als,
            popularity: Arc::new(MostPopular::fit(train).counts),
            params,
        }
    }

    /// The same trained parts with other scoring-time parameters.
    pub fn with_params(&self, params: HybridParams) -> Hybrid {
        Hybrid {
            params,
            ..self.clone()
        }
    }

    /// Weight of the history item `from_end` positions before the most recent one.
    pub fn recency_weight(&self, from_end: usize) -> f32 {
        recency_weight(self.params.half_life, self.params.floor, from_end)
    }

    /// The collaborative part alone (before the popularity blend).
    fn collaborative(&self, history: &[HistItem], out: &mut [f32]) {
        out.iter_mut().for_each(|o| *o = 0.0);
        let n = history.len();
        for (k, h) in history.iter().enumerate() {
            let w = self.recency_weight(n - 1 - k);
            self.item_item.accumulate(h.item as usize, w, out);
        }
        if let (Some(als), true) = (&self.als, self.params.als_weight > 0.0) {
            let mut a = vec![0.0f32; out.len()];
            als.score_history(history, &mut a);
            let (se, sa) = (max_abs(out), max_abs(&a));
            for (o, x) in out.iter_mut().zip(&a) {
                *o = *o / se + self.params.als_weight * x / sa;
            }
        }
        if self.params.beta > 0.0 {
            for (o, c) in out.iter_mut().zip(self.popularity.iter()) {
                if *o > 0.0 {
                    *o /= (c + 1.0).powf(self.params.beta);
                }
            }
        }
    }
}

/// Weight of a history item `from_end` positions before the most recent one: halves every
/// `half_life` positions down to `floor` (half-life 0 = every item weighs 1). The eval hybrid
/// and the served item-item scorer weigh histories with this one rule.
pub fn recency_weight(half_life: f32, floor: f32, from_end: usize) -> f32 {
    if half_life <= 0.0 {
        return 1.0;
    }
    floor + (1.0 - floor) * 0.5f32.powf(from_end as f32 / half_life)
}

/// `out = (1 - w) out / max|out| + w popularity / max|popularity|`; nothing for w = 0. With
/// w = 1 (and `out` zeroed) it is exactly the popularity ranking.
pub(super) fn blend_popularity(out: &mut [f32], popularity: &[f32], pop_weight: f32) {
    if pop_weight > 0.0 {
        let (sc, sp) = (max_abs(out), max_abs(popularity));
        for (o, c) in out.iter_mut().zip(popularity) {
            *o = (1.0 - pop_weight) * *o / sc + pop_weight * c / sp;
        }
    }
}

fn max_abs(v: &[f32]) -> f32 {
    v.iter()
        .fold(0.0f32, |m, x| m.max(x.abs()))
        .max(f32::MIN_POSITIVE)
}

impl Recommender for Hybrid {
    fn score(&self, _user: u32, history: &[HistItem], out: &mut [f32]) {
        let pop_weight = self.params.pop_weight.clamp(0.0, 1.0);
        if pop_weight < 1.0 {
            self.collaborative(history, out);
        } else {
            out.iter_mut().for_each(|o| *o = 0.0);
        }
        blend_popularity(out, &self.popularity, pop_weight);
    }
}

#[cfg(test)]
mod tests;

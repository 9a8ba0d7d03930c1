//! The recency-aware hybrid: EASE votes weighted by how recent each history item is (what a
//! shopper did last matters most), optionally blended with normalised ALS scores and
//! popularity-debiased. Its serving-time knobs are chosen on a validation split only.

use std::sync::Arc;

use super::als::{Als, AlsParams};
use super::data::{HistItem, TrainData};
use super::ease::{Ease, EaseParams};
use super::pop::MostPopular;
use super::{LearnError, Recommender};

/// Hybrid hyperparameters; all but `ease` and `als` apply at scoring time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HybridParams {
    pub ease: EaseParams,
    /// Half-life of a history item's weight, in positions from the most recent (0 = off).
    pub half_life: f32,
    /// Weight floor, so old items still vote a little.
    pub floor: f32,
    /// Positive scores are divided by (popularity + 1)^beta (0 = off).
    pub beta: f32,
    /// Weight of max-normalised ALS scores added to max-normalised EASE scores (0 = off).
    pub als_weight: f32,
    pub als: AlsParams,
}

impl Default for HybridParams {
    /// Values chosen on the ml-100k temporal validation split (`framewise eval --tune`).
    fn default() -> Self {
        Self {
            ease: EaseParams { lambda: 200.0 },
            half_life: 5.0,
            floor: 0.1,
            beta: 0.1,
            als_weight: 0.0,
            als: AlsParams::default(),
        }
    }
}

/// Trained parts shared between parameter variants (tuning re-weights without refitting).
#[derive(Debug, Clone)]
pub struct Hybrid {
    pub ease: Arc<Ease>,
    pub als: Option<Arc<Als>>,
    pub popularity: Arc<Vec<f32>>,
    pub params: HybridParams,
}

impl Hybrid {
    /// Fits EASE, and ALS when it is blended in.
    pub fn fit(train: &TrainData, params: HybridParams) -> Result<Hybrid, LearnError> {
        let ease = Arc::new(Ease::fit(train, params.ease)?);
        let als = (params.als_weight > 0.0).then(|| Arc::new(Als::fit(train, params.als)));
        Ok(Hybrid {
            ease,
            als,
            popularity: Arc::new(MostPopular::fit(train).counts),
            params,
        })
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
        let p = &self.params;
        if p.half_life <= 0.0 {
            return 1.0;
        }
        p.floor + (1.0 - p.floor) * 0.5f32.powf(from_end as f32 / p.half_life)
    }
}

fn max_abs(v: &[f32]) -> f32 {
    v.iter()
        .fold(0.0f32, |m, x| m.max(x.abs()))
        .max(f32::MIN_POSITIVE)
}

impl Recommender for Hybrid {
    fn score(&self, user: u32, history: &[HistItem], out: &mut [f32]) {
        out.iter_mut().for_each(|o| *o = 0.0);
        let n = history.len();
        for (k, h) in history.iter().enumerate() {
            let w = self.recency_weight(n - 1 - k);
            self.ease.accumulate(h.item as usize, w, out);
        }
        if let (Some(als), true) = (&self.als, self.params.als_weight > 0.0) {
            let mut a = vec![0.0f32; out.len()];
            als.score(user, history, &mut a);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::data::Interaction;

    #[test]
    fn when_recency_on_should_favour_neighbours_of_the_latest_item() {
        // Items 0~1 co-occur, 2~3 co-occur; the shopper saw 0 long ago and 2 just now.
        let mut xs = Vec::new();
        for u in 0..6u32 {
            let (a, b) = if u % 2 == 0 { (0, 1) } else { (2, 3) };
            for (t, i) in [a, b].into_iter().enumerate() {
                xs.push(Interaction {
                    user: u,
                    item: i,
                    ts: t as i64,
                    weight: 1.0,
                });
            }
        }
        let t = TrainData::new(6, 4, &xs, None);
        let h = Hybrid::fit(
            &t,
            HybridParams {
                ease: EaseParams { lambda: 1.0 },
                half_life: 1.0,
                floor: 0.0,
                ..HybridParams::default()
            },
        )
        .unwrap();
        let history = [
            HistItem {
                item: 0,
                weight: 1.0,
                ts: 0,
            },
            HistItem {
                item: 2,
                weight: 1.0,
                ts: 10,
            },
        ];
        let mut out = vec![0.0; 4];
        h.score(99, &history, &mut out);
        assert!(out[3] > out[1], "recent item's neighbour first: {out:?}");
        let flat = h.with_params(HybridParams {
            half_life: 0.0,
            ..h.params
        });
        flat.score(99, &history, &mut out);
        assert!(
            (out[3] - out[1]).abs() < 1e-6,
            "no recency: symmetric {out:?}"
        );
    }
}

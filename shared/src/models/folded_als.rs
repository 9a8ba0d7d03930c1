//! iALS scored the way the service serves embeddings: each shopper's vector is folded in
//! from their history at request time (`Als::score_history`, not the vector learned in
//! training), blended convexly with popularity. `framewise eval --models embeddings`
//! measures the served scorer with it; the catalogue-content part of the served model needs
//! catalogue attributes, which interaction files do not have.

use std::sync::Arc;

use super::als::{Als, AlsParams};
use super::data::{HistItem, TrainData};
use super::hybrid::blend_popularity;
use super::pop::MostPopular;
use super::Recommender;

/// Hyperparameters of [`FoldedAls`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FoldedAlsParams {
    pub als: AlsParams,
    /// Weight of max-normalised popularity in the blend; 1 is popularity alone.
    pub pop_weight: f32,
}

impl Default for FoldedAlsParams {
    fn default() -> Self {
        Self {
            als: AlsParams::default(),
            pop_weight: 0.0,
        }
    }
}

/// Trained item factors, scored by fold-in, plus popularity.
#[derive(Debug, Clone)]
pub struct FoldedAls {
    als: Arc<Als>,
    popularity: Arc<Vec<f32>>,
    pub params: FoldedAlsParams,
}

impl FoldedAls {
    pub fn fit(train: &TrainData, params: FoldedAlsParams) -> Self {
        Self {
            als: Arc::new(Als::fit(train, params.als)),
            popularity: Arc::new(MostPopular::fit(train).counts),
            params,
        }
    }

    /// The same trained factors with another blend weight (tuning without refitting).
    pub fn with_pop_weight(&self, pop_weight: f32) -> Self {
        Self {
            params: FoldedAlsParams {
                pop_weight,
                ..self.params
            },
            ..self.clone()
        }
    }
}

impl Recommender for FoldedAls {
    fn score(&self, _user: u32, history: &[HistItem], out: &mut [f32]) {
        let pop_weight = self.params.pop_weight.clamp(0.0, 1.0);
        if pop_weight < 1.0 {
            self.als.score_history(history, out);
        } else {
            out.iter_mut().for_each(|o| *o = 0.0);
        }
        blend_popularity(out, &self.popularity, pop_weight);
    }
}

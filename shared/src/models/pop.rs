//! Most-popular baseline: every user gets the items with the most training weight.

use super::data::{HistItem, TrainData};
use super::Recommender;

/// Item popularity as summed training weight.
#[derive(Debug, Clone, Default)]
pub struct MostPopular {
    pub counts: Vec<f32>,
}

impl MostPopular {
    /// Counts training weight per item.
    pub fn fit(train: &TrainData) -> MostPopular {
        MostPopular {
            counts: train
                .items
                .iter()
                .map(|l| l.iter().map(|(_, w)| *w).sum())
                .collect(),
        }
    }
}

impl Recommender for MostPopular {
    fn score(&self, _user: u32, _history: &[HistItem], out: &mut [f32]) {
        for (o, c) in out.iter_mut().zip(&self.counts) {
            *o = *c;
        }
    }
}

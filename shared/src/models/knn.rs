//! Item-kNN: cosine similarity of item columns with shrinkage, top-K neighbours per item.

use rayon::prelude::*;

use super::data::{HistItem, TrainData};
use super::Recommender;

/// Neighbourhood size and shrinkage (damps similarities backed by few co-occurrences).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KnnParams {
    pub k: usize,
    pub shrink: f32,
}

impl Default for KnnParams {
    fn default() -> Self {
        Self {
            k: 100,
            shrink: 0.0,
        }
    }
}

/// Item-item neighbours: `neighbours[i]` = `(j, sim)` strongest first, self excluded.
#[derive(Debug, Clone, Default)]
pub struct ItemKnnModel {
    pub neighbours: Vec<Vec<(u32, f32)>>,
}

impl ItemKnnModel {
    /// sim(i, j) = co(i, j) / (sqrt(n_i n_j) + shrink), kept for the K largest per item.
    pub fn fit(train: &TrainData, params: KnnParams) -> ItemKnnModel {
        let n = train.n_items;
        let g = train.gram();
        let neighbours = (0..n)
            .into_par_iter()
            .map(|i| {
                let row = &g[i * n..(i + 1) * n];
                let gi = row[i];
                let sims: Vec<(u32, f32)> = row
                    .iter()
                    .enumerate()
                    .filter(|&(j, c)| j != i && *c > 0.0)
                    .map(|(j, c)| {
                        let denom = (gi * g[j * n + j]).sqrt() as f32 + params.shrink;
                        (j as u32, *c as f32 / denom.max(f32::MIN_POSITIVE))
                    })
                    .collect();
                top_k(sims, params.k)
            })
            .collect();
        ItemKnnModel { neighbours }
    }
}

/// The `k` largest by value (ties by smaller index), strongest first.
pub fn top_k(mut v: Vec<(u32, f32)>, k: usize) -> Vec<(u32, f32)> {
    let cmp = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    if v.len() > k && k > 0 {
        v.select_nth_unstable_by(k - 1, cmp);
        v.truncate(k);
    } else if k == 0 {
        v.clear();
    }
    v.sort_by(cmp);
    v
}

impl Recommender for ItemKnnModel {
    fn score(&self, _user: u32, history: &[HistItem], out: &mut [f32]) {
        out.iter_mut().for_each(|o| *o = 0.0);
        for h in history {
            if let Some(list) = self.neighbours.get(h.item as usize) {
                for &(j, s) in list {
                    if let Some(o) = out.get_mut(j as usize) {
                        *o += h.weight * s;
                    }
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
    fn when_items_always_co_occur_should_have_cosine_one_and_shrink_lowers_it() {
        let xs: Vec<Interaction> = [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2)]
            .iter()
            .map(|&(user, item)| Interaction {
                user,
                item,
                ts: 0,
                weight: 1.0,
            })
            .collect();
        let t = TrainData::new(3, 3, &xs, None);
        let m = ItemKnnModel::fit(&t, KnnParams { k: 5, shrink: 0.0 });
        assert_eq!(m.neighbours[0], vec![(1, 1.0)]);
        assert!(m.neighbours[2].is_empty());
        let s = ItemKnnModel::fit(&t, KnnParams { k: 5, shrink: 2.0 });
        assert!((s.neighbours[0][0].1 - 0.5).abs() < 1e-6);
    }
}

//! Serving item embeddings through the engine: each request folds the shopper's weighted
//! history into the embedding space (one k x k solve), scores every style by a dot product
//! and names, for the strongest styles, the history item that contributed most. Filters,
//! diversity and reasons stay the engine's.

use super::als::{dot, fold_in};
use super::content::style_tokens;
use super::embeddings::{EmbeddingModel, FoldIn};
use crate::domain::Style;
use crate::engine::{CollaborativeScore, CollaborativeScorer, WeightedItem};

/// Styles (by collaborative score) that get an anchor: reasons are only shown for the top of
/// a list, and each anchor costs one dot product per history item.
const ANCHORED_STYLES: usize = 64;

/// Fold-in scorer on engine indices.
#[derive(Debug, Clone)]
pub struct EmbeddingScorer {
    dims: usize,
    /// One row per engine style (engine order), zeros for styles the model cannot place.
    vectors: Vec<f32>,
    norms: Vec<f32>,
    gram: Vec<f32>,
    fold: FoldIn,
    /// Styles the model had no row for and placed by their attributes.
    placed_by_content: usize,
}

impl EmbeddingScorer {
    /// Maps a model onto the engine's styles (in engine index order). A style the model
    /// does not know gets the sum of its attributes' vectors, when the model has them.
    pub fn new<'a>(model: &EmbeddingModel, styles: impl IntoIterator<Item = &'a Style>) -> Self {
        let d = model.dims;
        let mut vectors = Vec::new();
        let mut placed_by_content = 0;
        for style in styles {
            match model.item_ids.binary_search(&style.id) {
                Ok(row) => vectors.extend_from_slice(&model.item[row * d..(row + 1) * d]),
                Err(_) => {
                    let mut v = vec![0.0f32; d];
                    for token in style_tokens(style) {
                        if let Some(e) = model.attribute_vector(&token) {
                            v.iter_mut().zip(e).for_each(|(x, y)| *x += y);
                        }
                    }
                    placed_by_content += usize::from(v.iter().any(|x| *x != 0.0));
                    vectors.extend_from_slice(&v);
                }
            }
        }
        let norms = vectors.chunks_exact(d).map(|v| dot(v, v).sqrt()).collect();
        EmbeddingScorer {
            dims: d,
            vectors,
            norms,
            gram: model.gram.clone(),
            fold: model.fold_in,
            placed_by_content,
        }
    }

    /// Styles placed by their attributes because the model had no row for them.
    pub fn placed_by_content(&self) -> usize {
        self.placed_by_content
    }

    fn row(&self, index: usize) -> Option<&[f32]> {
        self.vectors.get(index * self.dims..(index + 1) * self.dims)
    }
}

impl CollaborativeScorer for EmbeddingScorer {
    fn name(&self) -> &'static str {
        "embeddings"
    }

    fn score(&self, history: &[WeightedItem], out: &mut [CollaborativeScore]) {
        let d = self.dims;
        let pairs = history.iter().map(|h| (h.index, h.weight));
        let Some(folded) = fold_in(&self.vectors, &self.gram, d, self.fold, pairs) else {
            return;
        };
        let raw: Vec<f32> = self
            .vectors
            .chunks_exact(d)
            .map(|y| dot(y, &folded.vector))
            .collect();
        let max = raw.iter().copied().fold(0.0f32, f32::max);
        if max <= 0.0 {
            return;
        }
        for (o, r) in out.iter_mut().zip(&raw) {
            o.score = (r / max).clamp(-1.0, 1.0);
            o.anchor = None;
        }
        // score_j = Σ_h (1 + alpha w_h) y_jᵀ A⁻¹ y_h: the part of each history item is exact,
        // so the anchor is the item that really contributed most.
        let parts: Vec<(usize, f32, Vec<f32>)> = history
            .iter()
            .enumerate()
            .filter(|(_, h)| h.weight > 0.0 && h.weight.is_finite())
            .filter_map(|(at, h)| {
                let z = folded.solve(self.row(h.index)?);
                Some((at, 1.0 + self.fold.alpha * h.weight, z))
            })
            .collect();
        let mut top: Vec<usize> = (0..raw.len().min(out.len()))
            .filter(|&j| raw[j] > 0.0)
            .collect();
        if top.len() > ANCHORED_STYLES {
            top.select_nth_unstable_by(ANCHORED_STYLES - 1, |&a, &b| raw[b].total_cmp(&raw[a]));
            top.truncate(ANCHORED_STYLES);
        }
        for j in top {
            let Some(y) = self.row(j) else { continue };
            out[j].anchor = parts
                .iter()
                .map(|(at, c, z)| (*at, c * dot(y, z)))
                .filter(|(_, part)| *part > 0.0)
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(at, _)| at);
        }
    }

    fn related(&self, index: usize, limit: usize) -> Vec<(usize, f32)> {
        let (Some(y), Some(&norm)) = (self.row(index), self.norms.get(index)) else {
            return Vec::new();
        };
        if norm <= 0.0 {
            return Vec::new();
        }
        let mut similar: Vec<(usize, f32)> = self
            .vectors
            .chunks_exact(self.dims)
            .zip(&self.norms)
            .enumerate()
            .filter(|(j, (_, n))| *j != index && **n > 0.0)
            .map(|(j, (v, n))| (j, dot(v, y) / (n * norm)))
            .filter(|(_, s)| *s > 0.0)
            .collect();
        similar.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        similar.truncate(limit);
        similar
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testkit::StyleBuilder;

    /// a and b point one way, c and d the other.
    fn model() -> EmbeddingModel {
        let item = vec![1.0, 0.0, 0.9, 0.1, 0.0, 1.0, 0.1, 0.9];
        EmbeddingModel {
            version: "v".into(),
            trainer: "test".into(),
            dims: 2,
            item_ids: ["a", "b", "c", "d"].map(String::from).to_vec(),
            gram: EmbeddingModel::gram_of(&item, 2),
            item,
            popularity: vec![1.0; 4],
            fold_in: FoldIn {
                alpha: 4.0,
                reg: 0.1,
                reg_per_interaction: false,
            },
            attributes: vec!["shape:round".into()],
            attribute_vectors: vec![0.0, 0.5],
            params: serde_json::Value::Null,
            validation: serde_json::Value::Null,
        }
    }

    fn item(index: usize, weight: f32) -> WeightedItem {
        WeightedItem {
            index,
            weight,
            kind: None,
        }
    }

    #[test]
    fn when_history_points_two_ways_should_anchor_each_style_on_its_own_side() {
        let styles: Vec<Style> = ["a", "b", "c", "d"]
            .map(|id| StyleBuilder::new(id).build())
            .to_vec();
        let scorer = EmbeddingScorer::new(&model(), styles.iter());
        let mut out = vec![CollaborativeScore::default(); 4];
        // History: a (strong), c (weak), and a dismissal of d that fold-in ignores.
        scorer.score(&[item(0, 3.0), item(2, 1.0), item(3, -2.0)], &mut out);
        assert_eq!(out[1].anchor, Some(0), "b is there because of a");
        assert_eq!(out[3].anchor, Some(1), "d because of c");
        assert!(
            out[1].score > out[3].score,
            "the stronger side leads: {out:?}"
        );
        assert!(out.iter().all(|o| (-1.0..=1.0).contains(&o.score)));
        assert_eq!(scorer.related(0, 1), vec![(1, scorer.related(0, 1)[0].1)]);
        let mut none = vec![CollaborativeScore::default(); 4];
        scorer.score(&[item(3, -2.0)], &mut none);
        assert!(none.iter().all(|o| o.score == 0.0 && o.anchor.is_none()));
    }

    #[test]
    fn when_catalogue_has_a_style_the_model_lacks_should_place_it_by_attributes() {
        let styles = [
            StyleBuilder::new("a").build(),
            StyleBuilder::new("new-round")
                .shape(crate::domain::Shape::Round)
                .build(),
            StyleBuilder::new("new-square")
                .shape(crate::domain::Shape::Square)
                .build(),
        ];
        let scorer = EmbeddingScorer::new(&model(), styles.iter());
        assert_eq!(scorer.placed_by_content(), 1);
        assert_eq!(scorer.row(1), Some(&[0.0, 0.5][..]));
        assert_eq!(scorer.row(2), Some(&[0.0, 0.0][..]));
    }
}

//! The served hybrid: the item-item scorer's recency-weighted votes plus, when a deployment
//! gives them weight, fold-in embedding scores (which place new and rarely bought styles by
//! their catalogue attributes). Both parts are max-normalised before they are added, as in
//! the eval hybrid; popularity is the engine's own term, not this scorer's.

use super::serving::LearnedScorer;
use super::serving_embeddings::EmbeddingScorer;
use crate::engine::{CollaborativeScore, CollaborativeScorer, WeightedItem};

/// Item-item votes blended with embedding scores.
#[derive(Debug, Clone)]
pub struct HybridScorer {
    item_item: LearnedScorer,
    embeddings: Option<(EmbeddingScorer, f32)>,
}

impl HybridScorer {
    /// `embeddings` with its weight relative to the item-item part (1 = equal footing); a
    /// weight of 0 or less leaves it out.
    pub fn new(item_item: LearnedScorer, embeddings: Option<(EmbeddingScorer, f32)>) -> Self {
        let embeddings = embeddings.filter(|(_, w)| w.is_finite() && *w > 0.0);
        HybridScorer {
            item_item,
            embeddings,
        }
    }
}

impl CollaborativeScorer for HybridScorer {
    fn name(&self) -> &'static str {
        "hybrid"
    }

    fn score(&self, history: &[WeightedItem], out: &mut [CollaborativeScore]) {
        self.item_item.score(history, out);
        let Some((embeddings, weight)) = &self.embeddings else {
            return;
        };
        let mut folded = vec![CollaborativeScore::default(); out.len()];
        embeddings.score(history, &mut folded);
        // Each part is already in [-1, 1] with its best style at 1; the anchor is the one of
        // the part that contributed more.
        for (o, e) in out.iter_mut().zip(&folded) {
            let part = weight * e.score;
            if part > o.score {
                o.anchor = e.anchor;
            }
            o.score += part;
        }
        let max = out.iter().map(|o| o.score).fold(0.0f32, f32::max);
        let min = out.iter().map(|o| o.score).fold(0.0f32, f32::min);
        let scale = if max > 0.0 { max } else { -min };
        if scale > 0.0 {
            for o in out.iter_mut() {
                o.score = (o.score / scale).clamp(-1.0, 1.0);
                if o.score <= 0.0 {
                    o.anchor = None;
                }
            }
        }
    }

    /// The item-item neighbours; a style with none (new, or never bought with another) gets
    /// its nearest styles in the embedding space.
    fn related(&self, index: usize, limit: usize) -> Vec<(usize, f32)> {
        let related = self.item_item.related(index, limit);
        match &self.embeddings {
            Some((embeddings, _)) if related.is_empty() => embeddings.related(index, limit),
            _ => related,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testkit::StyleBuilder;
    use crate::models::embeddings::{EmbeddingModel, FoldIn};
    use crate::models::serving::Recency;
    use crate::models::SparseItemModel;

    /// a ~ b by item-item; c and d only by embeddings (no item-item rows).
    fn scorer(weight: f32) -> HybridScorer {
        let ids = ["a", "b", "c", "d"];
        let item_item = LearnedScorer::new(
            &SparseItemModel {
                item_ids: ids.map(String::from).to_vec(),
                rows: vec![vec![(1, 0.5)], vec![(0, 0.5)], vec![], vec![]],
            },
            ids,
        )
        .with_recency(Recency {
            half_life: 1.0,
            floor: 0.0,
        });
        let item = vec![1.0, 0.0, 1.0, 0.1, 0.0, 1.0, 0.1, 1.0];
        let model = EmbeddingModel {
            version: "v".into(),
            trainer: "test".into(),
            dims: 2,
            item_ids: ids.map(String::from).to_vec(),
            gram: EmbeddingModel::gram_of(&item, 2),
            item,
            popularity: vec![1.0; 4],
            fold_in: FoldIn {
                alpha: 4.0,
                reg: 0.1,
                reg_per_interaction: false,
            },
            attributes: vec![],
            attribute_vectors: vec![],
            params: serde_json::Value::Null,
            validation: serde_json::Value::Null,
        };
        let styles = ids.map(|id| StyleBuilder::new(id).build());
        HybridScorer::new(
            item_item,
            Some((EmbeddingScorer::new(&model, styles.iter()), weight)),
        )
    }

    fn item(index: usize, weight: f32) -> WeightedItem {
        WeightedItem {
            index,
            weight,
            kind: None,
        }
    }

    #[test]
    fn when_embeddings_weigh_nothing_should_score_item_item_alone() {
        let mut out = vec![CollaborativeScore::default(); 4];
        scorer(0.0).score(&[item(0, 1.0)], &mut out);
        assert_eq!(out[1].score, 1.0);
        assert_eq!(out[3].score, 0.0, "d has no item-item vote");
        assert!(scorer(0.0).related(2, 3).is_empty());
    }

    #[test]
    fn when_embeddings_weigh_in_should_score_styles_item_item_cannot_reach() {
        let mut out = vec![CollaborativeScore::default(); 4];
        // c (most recent) has no item-item row; a votes for b.
        scorer(1.0).score(&[item(2, 1.0), item(0, 1.0)], &mut out);
        assert!(
            out[3].score > 0.0,
            "d is near c in the embedding space: {out:?}"
        );
        assert_eq!(out[3].anchor, Some(0), "and c is why");
        assert_eq!(out[1].anchor, Some(1), "b is there because of a");
        assert!(out.iter().all(|o| (-1.0..=1.0).contains(&o.score)));
        assert_eq!(
            scorer(1.0).related(2, 1)[0].0,
            3,
            "c's neighbour from embeddings"
        );
    }
}

//! The collaborative term behind a small trait, so trained models (ALS, EASE) can replace the
//! item-item co-occurrence scorer without touching scoring, filters or reasons.

use crate::domain::SignalKind;

/// One style of a shopper's history with its aggregated, decayed signal weight
/// (negative when dismissals or returns dominate).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeightedItem {
    /// Dense style index of the engine (styles sorted by id).
    pub index: usize,
    pub weight: f32,
    /// The most committed positive kind seen for this style, for reason texts.
    pub kind: Option<SignalKind>,
}

/// A style's collaborative score and the history item that contributed most to it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CollaborativeScore {
    /// In [-1, 1]; 1 for the best-supported style when the evidence is strong.
    pub score: f32,
    /// Index into the `history` slice passed to [`CollaborativeScorer::score`].
    pub anchor: Option<usize>,
}

/// Scores styles from what other shoppers did. Implementations work on the engine's dense
/// style indices and must be deterministic.
pub trait CollaborativeScorer: Send + Sync {
    /// Writes a score for every style into `out` (length = number of styles, pre-zeroed).
    fn score(&self, history: &[WeightedItem], out: &mut [CollaborativeScore]);
    /// Styles most related to one style, strongest first, without the style itself.
    fn related(&self, index: usize, limit: usize) -> Vec<(usize, f32)>;
    /// Short name of the scorer, so operators and tests can tell which one serves.
    fn name(&self) -> &'static str {
        "custom"
    }
}

/// Average similarity to the history at which the collaborative term reaches full strength;
/// weaker co-occurrence evidence is scaled down proportionally.
const FULL_STRENGTH_SIMILARITY: f32 = 0.1;

/// Item-item k-nearest-neighbour scorer over cosine-normalised co-occurrence counts.
#[derive(Debug, Clone, Default)]
pub struct ItemKnn {
    neighbours: Vec<Vec<(u32, f32)>>,
}

impl ItemKnn {
    /// `neighbours[i]` lists `(style index, similarity in [0, 1])`, strongest first.
    pub fn new(neighbours: Vec<Vec<(u32, f32)>>) -> Self {
        Self { neighbours }
    }
}

impl CollaborativeScorer for ItemKnn {
    fn name(&self) -> &'static str {
        "cooccurrence"
    }

    fn score(&self, history: &[WeightedItem], out: &mut [CollaborativeScore]) {
        let mut best_part = vec![0.0f32; out.len()];
        let mut raw = vec![0.0f32; out.len()];
        let mut positive_mass = 0.0f32;
        for (h, item) in history.iter().enumerate() {
            if item.weight > 0.0 {
                positive_mass += item.weight;
            }
            let Some(list) = self.neighbours.get(item.index) else {
                continue;
            };
            for &(j, sim) in list {
                let j = j as usize;
                if j >= out.len() {
                    continue;
                }
                let part = item.weight * sim;
                raw[j] += part;
                if part > best_part[j] {
                    best_part[j] = part;
                    out[j].anchor = Some(h);
                }
            }
        }
        let max_raw = raw.iter().copied().fold(0.0f32, f32::max);
        if max_raw <= 0.0 || positive_mass <= 0.0 {
            // Only negative evidence: push neighbours of dismissed styles down, gently.
            let min_raw = raw.iter().copied().fold(0.0f32, f32::min);
            for (o, r) in out.iter_mut().zip(&raw) {
                o.score = if min_raw < 0.0 {
                    -(r / min_raw).abs()
                } else {
                    0.0
                };
                o.anchor = None;
            }
            return;
        }
        let strength = (max_raw / positive_mass / FULL_STRENGTH_SIMILARITY).min(1.0);
        for (o, r) in out.iter_mut().zip(&raw) {
            o.score = (r / max_raw).clamp(-1.0, 1.0) * strength;
            if o.score <= 0.0 {
                o.anchor = None;
            }
        }
    }

    fn related(&self, index: usize, limit: usize) -> Vec<(usize, f32)> {
        row_neighbours(&self.neighbours, index, limit)
    }
}

/// The first `limit` entries of row `index` of a sparse item-item matrix, without the item
/// itself: what `CollaborativeScorer::related` answers for any neighbour-list model.
pub(crate) fn row_neighbours(
    rows: &[Vec<(u32, f32)>],
    index: usize,
    limit: usize,
) -> Vec<(usize, f32)> {
    rows.get(index)
        .map(|row| {
            row.iter()
                // A learned row may end in negative weights: never "related".
                .filter(|(j, w)| *j as usize != index && *w > 0.0)
                .take(limit)
                .map(|&(j, w)| (j as usize, w))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn knn() -> ItemKnn {
        // 0 ~ 1 strongly, 0 ~ 2 weakly, 3 ~ 2.
        ItemKnn::new(vec![
            vec![(1, 0.8), (2, 0.2)],
            vec![(0, 0.8)],
            vec![(3, 0.5), (0, 0.2)],
            vec![(2, 0.5)],
        ])
    }

    fn item(index: usize, weight: f32) -> WeightedItem {
        WeightedItem {
            index,
            weight,
            kind: Some(SignalKind::View),
        }
    }

    #[test]
    fn when_history_has_one_item_should_score_its_neighbours_with_anchor() {
        let mut out = vec![CollaborativeScore::default(); 4];
        knn().score(&[item(0, 2.0)], &mut out);
        assert!((out[1].score - 1.0).abs() < 1e-6);
        assert!(out[2].score > 0.0 && out[2].score < out[1].score);
        assert_eq!(out[1].anchor, Some(0));
        assert_eq!(out[3].score, 0.0);
        assert_eq!(out[3].anchor, None);
    }

    #[test]
    fn when_two_history_items_should_anchor_on_strongest_contributor() {
        let mut out = vec![CollaborativeScore::default(); 4];
        knn().score(&[item(0, 1.0), item(3, 5.0)], &mut out);
        assert_eq!(out[2].anchor, Some(1), "style 3 contributes 2.5 vs 0.2");
    }

    #[test]
    fn when_history_only_negative_should_not_boost() {
        let mut out = vec![CollaborativeScore::default(); 4];
        knn().score(&[item(0, -4.0)], &mut out);
        assert!(out.iter().all(|o| o.score <= 0.0));
        assert!(out[1].score < 0.0);
    }

    #[test]
    fn when_related_should_skip_self_and_respect_limit() {
        let k = ItemKnn::new(vec![vec![(0, 1.0), (1, 0.5), (2, 0.4)], vec![], vec![]]);
        assert_eq!(k.related(0, 1), vec![(1, 0.5)]);
        assert!(k.related(9, 5).is_empty());
    }
}

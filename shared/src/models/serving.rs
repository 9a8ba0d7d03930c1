//! Serving learned item-item weights through the engine: a [`CollaborativeScorer`] over a
//! [`SparseItemModel`] (pruned EASE, or item-kNN on catalogues too large for EASE), mapped
//! onto the engine's style indices and voting from a recency-weighted history, so the usual
//! filters, diversity and "because you liked X" reasons apply to learned scores. It is the
//! item-item part of the eval hybrid (`framewise eval --models hybrid`), served.

use std::collections::HashMap;

use super::artifact::SparseItemModel;
use super::data::{Dataset, TrainData};
use super::ease::EaseParams;
use super::hybrid::{recency_weight, HybridParams, ItemItem};
use super::pop::MostPopular;
use super::LearnError;
use crate::engine::{CollaborativeScore, CollaborativeScorer, WeightedItem};

/// Training parameters of the served item-item model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ItemItemParams {
    pub ease: EaseParams,
    /// Co-occurrence window in days (0 = plain counts).
    pub window_days: f32,
    /// Strongest positive weights kept per item.
    pub neighbours: usize,
    /// Weights towards item j are divided by (popularity_j + 1)^beta (0 = off).
    pub beta: f32,
    /// Above this many items item-kNN replaces EASE, whose dense Gram matrix and inverse
    /// need ~36 B x items² of memory.
    pub ease_max_items: usize,
}

/// Trains the hybrid's item-item part on a data set (EASE on a windowed Gram matrix up to
/// `params.ease_max_items` items, windowed item-kNN beyond) and keeps each item's
/// `neighbours` strongest positive weights.
pub fn train_item_item(
    data: &Dataset,
    params: ItemItemParams,
) -> Result<SparseItemModel, LearnError> {
    if data.interactions.is_empty() {
        return Err(LearnError::Empty);
    }
    let train = TrainData::new(data.n_users(), data.n_items(), &data.interactions, None);
    let hybrid = HybridParams {
        ease: params.ease,
        window_days: params.window_days,
        ..HybridParams::default()
    };
    let item_item = ItemItem::fit_up_to(&train, &hybrid, params.ease_max_items)?;
    Ok(SparseItemModel {
        item_ids: data.item_ids.clone(),
        rows: item_item.prune(
            params.neighbours.max(1),
            &MostPopular::fit(&train).counts,
            params.beta,
        ),
    })
}

/// How a history's items vote: the most recent fully, older ones less (see
/// [`recency_weight`]); `half_life` 0 weighs every item by its signal weight alone.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Recency {
    /// In history positions (styles), not days: the engine already decays by age.
    pub half_life: f32,
    pub floor: f32,
}

/// Learned item-item scorer on engine indices.
#[derive(Debug, Clone, Default)]
pub struct LearnedScorer {
    rows: Vec<Vec<(u32, f32)>>,
    recency: Recency,
}

impl LearnedScorer {
    /// Maps a model onto the engine's styles (`style_ids` in engine index order, i.e.
    /// `engine.styles()` order); items unknown to the catalogue are dropped.
    pub fn new<'a>(model: &SparseItemModel, style_ids: impl IntoIterator<Item = &'a str>) -> Self {
        let index: HashMap<&str, u32> = style_ids
            .into_iter()
            .enumerate()
            .map(|(i, id)| (id, i as u32))
            .collect();
        let to_engine: Vec<Option<u32>> = model
            .item_ids
            .iter()
            .map(|id| index.get(id.as_str()).copied())
            .collect();
        let mut rows = vec![Vec::new(); index.len()];
        for (m, row) in model.rows.iter().enumerate() {
            let Some(Some(e)) = to_engine.get(m) else {
                continue;
            };
            rows[*e as usize] = row
                .iter()
                .filter_map(|&(j, w)| Some((to_engine.get(j as usize).copied().flatten()?, w)))
                .collect();
        }
        LearnedScorer {
            rows,
            recency: Recency::default(),
        }
    }

    /// The same scorer weighing history items by recency.
    pub fn with_recency(self, recency: Recency) -> Self {
        Self { recency, ..self }
    }
}

impl CollaborativeScorer for LearnedScorer {
    fn name(&self) -> &'static str {
        "learned"
    }

    fn score(&self, history: &[WeightedItem], out: &mut [CollaborativeScore]) {
        let mut raw = vec![0.0f32; out.len()];
        let mut best_part = vec![0.0f32; out.len()];
        // History comes most recent first; a vote is the signal weight relative to the
        // strongest one, times the item's recency weight.
        let scale = history
            .iter()
            .map(|h| h.weight.abs())
            .filter(|w| w.is_finite())
            .fold(0.0f32, f32::max);
        if scale <= 0.0 {
            return;
        }
        let Recency { half_life, floor } = self.recency;
        for (h, item) in history.iter().enumerate() {
            if !item.weight.is_finite() {
                continue;
            }
            let vote = item.weight / scale * recency_weight(half_life, floor, h);
            for &(j, w) in self.rows.get(item.index).map_or(&[][..], Vec::as_slice) {
                let j = j as usize;
                if j >= out.len() {
                    continue;
                }
                let part = vote * w;
                raw[j] += part;
                if part > best_part[j] {
                    best_part[j] = part;
                    out[j].anchor = Some(h);
                }
            }
        }
        let max_raw = raw.iter().copied().fold(0.0f32, f32::max);
        let min_raw = raw.iter().copied().fold(0.0f32, f32::min);
        for (o, r) in out.iter_mut().zip(&raw) {
            o.score = if max_raw > 0.0 {
                (r / max_raw).clamp(-1.0, 1.0)
            } else if min_raw < 0.0 {
                -(r / min_raw).abs()
            } else {
                0.0
            };
            if o.score <= 0.0 {
                o.anchor = None;
            }
        }
    }

    fn related(&self, index: usize, limit: usize) -> Vec<(usize, f32)> {
        crate::engine::collaborative::row_neighbours(&self.rows, index, limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{self, DemoConfig};
    use crate::domain::SignalKind;
    use crate::engine::{Engine, EngineConfig, Model, RecommendRequest};

    fn model() -> SparseItemModel {
        SparseItemModel {
            item_ids: vec!["a".into(), "b".into(), "c".into(), "gone".into()],
            rows: vec![
                vec![(1, 0.6), (3, 0.9)],
                vec![(0, 0.6), (2, 0.1)],
                vec![(1, 0.3)],
                vec![(0, 0.9)],
            ],
        }
    }

    fn item(index: usize, weight: f32) -> WeightedItem {
        WeightedItem {
            index,
            weight,
            kind: Some(SignalKind::View),
        }
    }

    #[test]
    fn when_mapped_to_catalogue_should_drop_unknown_items_and_reindex() {
        // Engine order c, a, b: "gone" is not in the catalogue.
        let s = LearnedScorer::new(&model(), ["c", "a", "b"]);
        assert_eq!(s.related(1, 5), vec![(2, 0.6)], "a -> b only");
        assert_eq!(s.related(0, 5), vec![(2, 0.3)], "c -> b");
    }

    #[test]
    fn when_two_history_items_should_anchor_on_strongest_contributor() {
        let s = LearnedScorer::new(&model(), ["a", "b", "c"]);
        let mut out = vec![CollaborativeScore::default(); 3];
        s.score(&[item(0, 1.0), item(2, 3.0)], &mut out);
        // b gets 0.6 from a and 0.9 from c: c anchors, b is the top score.
        assert_eq!(out[1].anchor, Some(1));
        assert!((out[1].score - 1.0).abs() < 1e-6);
        assert_eq!(out[2].score, 0.0);
    }

    #[test]
    fn when_recency_weighs_votes_should_favour_the_most_recent_history_style() {
        // a votes for b (0.6); c votes for b (0.3) and nothing else. History: c, then a
        // (most recent first), equal weights.
        let ids = ["a", "b", "c", "d"];
        let model = SparseItemModel {
            item_ids: ids.map(String::from).to_vec(),
            rows: vec![vec![(3, 0.6)], vec![], vec![(1, 0.5)], vec![]],
        };
        let history = [item(2, 1.0), item(0, 1.0)];
        let mut flat = vec![CollaborativeScore::default(); 4];
        LearnedScorer::new(&model, ids).score(&history, &mut flat);
        assert!(
            flat[3].score > flat[1].score,
            "without recency a's vote is larger"
        );
        let recent = LearnedScorer::new(&model, ids).with_recency(Recency {
            half_life: 1.0,
            floor: 0.0,
        });
        let mut out = vec![CollaborativeScore::default(); 4];
        recent.score(&history, &mut out);
        assert_eq!(out[1].score, 1.0, "c is the most recent: {out:?}");
        assert!(
            (out[3].score - 0.6).abs() < 1e-6,
            "a's vote halves: {out:?}"
        );
        assert_eq!(out[1].anchor, Some(0));
    }

    #[test]
    fn when_engine_serves_learned_scores_should_keep_filters_and_name_real_anchors() {
        use chrono::TimeZone;
        let now = chrono::Utc
            .with_ymd_and_hms(2026, 6, 15, 12, 0, 0)
            .single()
            .unwrap();
        let data = demo::generate(&DemoConfig {
            styles: 60,
            customers: 150,
            days: 60,
            seed: 7,
            end: now,
        });
        let events = data.interactions.iter().filter_map(|x| {
            crate::models::data::kind_weight(x.kind.as_str()).map(|w| {
                (
                    x.customer_id.as_str(),
                    x.style_id.as_str(),
                    x.timestamp.timestamp(),
                    w,
                )
            })
        });
        let params = ItemItemParams {
            ease: EaseParams::default(),
            window_days: 0.0,
            neighbours: 50,
            beta: 0.0,
            ease_max_items: 1_000,
        };
        let learned = train_item_item(&Dataset::from_events(events), params).unwrap();
        let bytes = learned.to_bytes().unwrap();
        let learned = SparseItemModel::from_bytes(&bytes).unwrap();
        let config = EngineConfig::default();
        let base = Model::build(&data.styles, &[], &[], now, &config);
        let engine = Engine::new(data.styles.clone(), base, config);
        let ids: Vec<String> = engine.styles().map(|s| s.id.clone()).collect();
        let scorer = LearnedScorer::new(&learned, ids.iter().map(String::as_str));
        let engine = engine.with_collaborative(Box::new(scorer));
        let customer = &data.customers[0];
        let mine: Vec<_> = data
            .interactions
            .iter()
            .filter(|x| x.customer_id == customer.id)
            .cloned()
            .collect();
        let mut history = crate::import::interactions_to_signals(&mine);
        history.sort_by_key(|s| std::cmp::Reverse(s.timestamp));
        let list = engine.recommend(&RecommendRequest {
            customer: Some(customer),
            history: &history,
            now,
            limit: 12,
            feeds: None,
        });
        assert!(!list.is_empty());
        // Anchors are styles of this shopper's own history, named in full.
        let names: Vec<&str> = mine
            .iter()
            .filter_map(|x| engine.style(&x.style_id))
            .map(|s| s.name.as_str())
            .collect();
        let because: Vec<&str> = list
            .iter()
            .flat_map(|i| &i.reasons)
            .filter(|r| r.code.starts_with("because_you"))
            .map(|r| r.text.as_str())
            .collect();
        assert!(
            !because.is_empty(),
            "learned scores should produce anchored reasons"
        );
        assert!(
            because.iter().all(|t| names.iter().any(|n| t.contains(n))),
            "{because:?}"
        );
        for i in &list {
            let style = engine.style(&i.style_id).unwrap();
            assert!(style.active, "inactive style {} recommended", style.id);
            // A pick is never "because" of the shopper's signal on that very frame.
            let own = format!(" {}", style.name);
            assert!(
                i.reasons
                    .iter()
                    .filter(|r| r.code.starts_with("because_you"))
                    .all(|r| !r.text.ends_with(&own)),
                "{:?}",
                i.reasons
            );
        }
    }
}

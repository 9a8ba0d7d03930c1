//! "Looks similar": neighbours by the visual embeddings of product images (colour
//! histogram and lens outline, made by `imaging` at catalogue import), ranked by cosine.
//! A style without an embedding gets [`Engine::similar`]'s content neighbours; a short
//! list is padded with them.

use std::collections::HashMap;

use super::{reasons, Engine, ScoredItem};
use crate::domain::{Reason, Style};

/// Visual embeddings by style id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LookIndex {
    embeddings: HashMap<String, Vec<f32>>,
}

impl LookIndex {
    pub fn new(embeddings: HashMap<String, Vec<f32>>) -> Self {
        Self { embeddings }
    }

    pub fn get(&self, style_id: &str) -> Option<&[f32]> {
        self.embeddings.get(style_id).map(Vec::as_slice)
    }

    pub fn len(&self) -> usize {
        self.embeddings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.embeddings.is_empty()
    }
}

/// Cosine similarity; 0 when the lengths differ (embeddings of another format) or a
/// vector is zero. (The engine may not import `imaging`, which has its own.)
fn cosine(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return 0.0;
    }
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    let (na, nb) = (norm(a), norm(b));
    if na > 0.0 && nb > 0.0 && dot.is_finite() {
        dot / (na * nb)
    } else {
        0.0
    }
}

fn looks_like(source: &Style) -> Reason {
    Reason::new("similar_look", format!("Looks like {}", source.name))
}

impl Engine {
    /// Available styles that look most like `style_id` in their product images, best
    /// first; `None` for an unknown style. Never the style itself.
    pub fn similar_by_look(
        &self,
        looks: &LookIndex,
        style_id: &str,
        limit: usize,
    ) -> Option<Vec<ScoredItem>> {
        let index = self.catalogue.get(style_id)?;
        let Some(embedding) = looks.get(style_id) else {
            return self.similar(style_id, limit);
        };
        let limit = self.clamp_limit(limit);
        let source = &self.catalogue.styles[index];
        let colours = self.catalogue.features[index].colours;
        let mut ranked: Vec<(usize, f32)> = (0..self.catalogue.len())
            .filter(|&j| j != index && self.catalogue.available[j])
            .filter_map(|j| {
                let other = looks.get(&self.catalogue.styles[j].id)?;
                Some((j, cosine(embedding, other)))
            })
            .collect();
        // Styles are ordered by id, so ties keep a stable order.
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(limit);
        let mut taken: Vec<usize> = ranked.iter().map(|(j, _)| *j).collect();
        let mut items: Vec<ScoredItem> = ranked
            .into_iter()
            .map(|(j, score)| ScoredItem {
                style_id: self.catalogue.styles[j].id.clone(),
                sku: self.default_sku(j, colours),
                score,
                reasons: vec![looks_like(source)],
            })
            .collect();
        if items.len() < limit {
            for (j, score) in self.content_neighbours(index, limit + items.len()) {
                if items.len() >= limit {
                    break;
                }
                if taken.contains(&j) {
                    continue;
                }
                taken.push(j);
                items.push(ScoredItem {
                    style_id: self.catalogue.styles[j].id.clone(),
                    sku: self.default_sku(j, colours),
                    score,
                    reasons: vec![reasons::similar_style(source, &self.catalogue.styles[j])],
                });
            }
        }
        Some(items)
    }
}

//! Catalogue content as attribute tokens, and the embedding trainer that uses them: iALS
//! whose item vectors lean on their attributes ([`Als::fit_with_content`]), so a frame that
//! is new or rarely bought still sits near the frames it resembles.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::als::{Als, AlsParams, ItemContent};
use super::data::{Dataset, TrainData};
use super::embeddings::{EmbeddingModel, FoldIn};
use super::LearnError;
use crate::domain::Style;

fn token(prefix: &str, value: impl Serialize) -> String {
    let name = match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    };
    format!("{prefix}:{name}")
}

/// The attribute tokens of a style (`shape:round`, `brand:acme`, `colour:tortoise`...):
/// category, shape, rim, material, price band, brand, every colour family of its colourways
/// and every size class of its sizes. Sorted and unique.
pub fn style_tokens(style: &Style) -> Vec<String> {
    let mut tokens = BTreeSet::new();
    tokens.insert(token("category", style.category));
    tokens.insert(token("shape", style.shape));
    tokens.insert(token("rim", style.rim));
    tokens.insert(token("material", style.material));
    tokens.insert(token("price", style.price_band()));
    tokens.insert(format!("brand:{}", style.brand.trim().to_lowercase()));
    for colourway in &style.colourways {
        tokens.insert(token("colour", colourway.colour.family));
    }
    for size in &style.sizes {
        tokens.insert(token("size", size.size_class()));
    }
    tokens.into_iter().collect()
}

/// Hyperparameters of the embedding trainer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EmbeddingParams {
    pub als: AlsParams,
    /// Ridge penalty of the attribute vectors; `None` trains without content.
    pub attribute_reg: Option<f32>,
}

/// Trains item embeddings over a catalogue from weighted `(subject, style, unix ts, weight)`
/// events. Every style of `styles` gets a row (sorted by id): trained styles their learned
/// vector, the others the sum of their attributes' vectors (zeros without content).
/// Events on styles outside the catalogue are ignored.
pub fn train_embeddings<'a>(
    styles: &[Style],
    events: impl IntoIterator<Item = (&'a str, &'a str, i64, f32)>,
    params: EmbeddingParams,
    version: &str,
) -> Result<EmbeddingModel, LearnError> {
    let catalogue: BTreeMap<&str, &Style> = styles.iter().map(|s| (s.id.as_str(), s)).collect();
    let data = Dataset::from_events(
        events
            .into_iter()
            .filter(|(_, style, _, _)| catalogue.contains_key(style)),
    );
    if data.interactions.is_empty() {
        return Err(LearnError::Empty);
    }
    let train = TrainData::new(data.n_users(), data.n_items(), &data.interactions, None);
    let mut vocabulary: BTreeMap<String, u32> = BTreeMap::new();
    let tokens: BTreeMap<&str, Vec<String>> = catalogue
        .iter()
        .map(|(id, style)| (*id, style_tokens(style)))
        .collect();
    for token in tokens.values().flatten() {
        let next = vocabulary.len() as u32;
        vocabulary.entry(token.clone()).or_insert(next);
    }
    // Indices in token order, so the artifact's attribute list is sorted.
    for (i, index) in vocabulary.values_mut().enumerate() {
        *index = i as u32;
    }
    let attrs_of = |id: &str| -> Vec<u32> {
        tokens
            .get(id)
            .map(|ts| {
                ts.iter()
                    .filter_map(|t| vocabulary.get(t).copied())
                    .collect()
            })
            .unwrap_or_default()
    };
    let content = params.attribute_reg.map(|reg| ItemContent {
        n_attributes: vocabulary.len(),
        items: data.item_ids.iter().map(|id| attrs_of(id)).collect(),
        reg,
    });
    let (als, attribute_vectors) = Als::fit_with_content(&train, params.als, content.as_ref());
    let f = als.factors;
    let trained: HashMap<&str, usize> = data
        .item_ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut popularity_of = vec![0.0f32; data.n_items()];
    for x in &data.interactions {
        popularity_of[x.item as usize] += x.weight;
    }
    // Untrained styles get the sum of their attributes' vectors (zeros without content).
    let content_rows = ItemContent {
        n_attributes: vocabulary.len(),
        items: catalogue.keys().map(|id| attrs_of(id)).collect(),
        reg: 0.0,
    }
    .vectors(&attribute_vectors, catalogue.len(), f);
    let mut item = Vec::with_capacity(catalogue.len() * f);
    let mut popularity = Vec::with_capacity(catalogue.len());
    for (row, id) in catalogue.keys().enumerate() {
        match trained.get(id) {
            Some(&i) => {
                item.extend_from_slice(&als.item[i * f..(i + 1) * f]);
                popularity.push(popularity_of[i]);
            }
            None => {
                item.extend_from_slice(&content_rows[row * f..(row + 1) * f]);
                popularity.push(0.0);
            }
        }
    }
    let (attributes, attribute_vectors) = if attribute_vectors.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        (vocabulary.into_keys().collect(), attribute_vectors)
    };
    let p = params.als;
    Ok(EmbeddingModel {
        version: version.to_string(),
        trainer: "framewise-ials".into(),
        dims: f,
        item_ids: catalogue.keys().map(|id| id.to_string()).collect(),
        gram: EmbeddingModel::gram_of(&item, f),
        item,
        popularity,
        fold_in: FoldIn {
            alpha: p.alpha,
            reg: p.reg,
            reg_per_interaction: false,
        },
        attributes,
        attribute_vectors,
        params: serde_json::json!({
            "factors": f,
            "alpha": p.alpha,
            "reg": p.reg,
            "iterations": p.iterations,
            "cg_steps": p.cg_steps,
            "seed": p.seed,
            "attribute_reg": params.attribute_reg,
            "users": data.n_users(),
            "trained_items": data.n_items(),
            "interactions": data.interactions.len(),
        }),
        validation: serde_json::Value::Null,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Category, Shape};
    use crate::engine::testkit::StyleBuilder;
    use crate::engine::{CollaborativeScore, CollaborativeScorer, WeightedItem};
    use crate::models::EmbeddingScorer;

    /// Round optical frames r0..r5 and square sun frames s0..s5; 40 shoppers love one
    /// block each. `r-new` and `s-new` were never touched.
    type Events = Vec<(String, String, i64, f32)>;

    fn shop() -> (Vec<Style>, Events) {
        let mut styles = Vec::new();
        for i in 0..6 {
            styles.push(
                StyleBuilder::new(&format!("r{i}"))
                    .shape(Shape::Round)
                    .build(),
            );
            styles.push(
                StyleBuilder::new(&format!("s{i}"))
                    .shape(Shape::Square)
                    .category(Category::Sun)
                    .brand("Sunny")
                    .build(),
            );
        }
        styles.push(StyleBuilder::new("r-new").shape(Shape::Round).build());
        styles.push(
            StyleBuilder::new("s-new")
                .shape(Shape::Square)
                .category(Category::Sun)
                .brand("Sunny")
                .build(),
        );
        let mut events = Vec::new();
        for u in 0..40 {
            let block = if u % 2 == 0 { "r" } else { "s" };
            for i in 0..6 {
                // Each shopper skips one style of their block, a different one by shopper.
                if i != (u / 2) % 6 {
                    events.push((format!("u{u}"), format!("{block}{i}"), i as i64, 1.0));
                }
            }
        }
        (styles, events)
    }

    fn params(attribute_reg: Option<f32>) -> EmbeddingParams {
        EmbeddingParams {
            als: AlsParams {
                factors: 4,
                alpha: 5.0,
                reg: 1.0,
                iterations: 10,
                ..AlsParams::default()
            },
            attribute_reg,
        }
    }

    fn train(attribute_reg: Option<f32>) -> EmbeddingModel {
        let (styles, events) = shop();
        let borrowed = events
            .iter()
            .map(|(u, i, t, w)| (u.as_str(), i.as_str(), *t, *w));
        train_embeddings(&styles, borrowed, params(attribute_reg), "v1").expect("train")
    }

    fn scores_for(model: &EmbeddingModel, styles: &[Style], liked: &[&str]) -> Vec<f32> {
        let scorer = EmbeddingScorer::new(model, styles.iter());
        let history: Vec<WeightedItem> = liked
            .iter()
            .map(|id| WeightedItem {
                index: styles.iter().position(|s| s.id == *id).expect("style"),
                weight: 1.0,
                kind: None,
            })
            .collect();
        let mut out = vec![CollaborativeScore::default(); styles.len()];
        scorer.score(&history, &mut out);
        out.iter().map(|o| o.score).collect()
    }

    #[test]
    fn when_tokens_are_made_should_name_every_attribute_once() {
        let style = StyleBuilder::new("x")
            .shape(Shape::Round)
            .brand(" Acme ")
            .build();
        let tokens = style_tokens(&style);
        for expected in ["shape:round", "brand:acme", "category:optical", "rim:full"] {
            assert!(tokens.contains(&expected.to_string()), "{tokens:?}");
        }
        assert!(tokens.windows(2).all(|w| w[0] < w[1]), "sorted, unique");
    }

    #[test]
    fn when_a_style_was_never_bought_should_place_it_by_its_attributes() {
        let (mut styles, _) = shop();
        styles.sort_by(|a, b| a.id.cmp(&b.id));
        let model = train(Some(1.0));
        assert_eq!(model.item_ids.len(), styles.len(), "every catalogue style");
        let at = |id: &str| styles.iter().position(|s| s.id == id).expect("style");
        let scores = scores_for(&model, &styles, &["r0", "r1"]);
        assert!(
            scores[at("r-new")] > scores[at("s-new")],
            "a round lover: new round {} vs new square {}",
            scores[at("r-new")],
            scores[at("s-new")]
        );
        let scores = scores_for(&model, &styles, &["s0", "s1"]);
        assert!(scores[at("s-new")] > scores[at("r-new")]);
        // Without content a never-bought style has no vector at all.
        let plain = train(None);
        let scores = scores_for(&plain, &styles, &["r0", "r1"]);
        assert_eq!((scores[at("r-new")], scores[at("s-new")]), (0.0, 0.0));
    }

    #[test]
    fn when_trained_should_rank_the_shoppers_block_first_and_round_trip_as_files() {
        let (mut styles, _) = shop();
        styles.sort_by(|a, b| a.id.cmp(&b.id));
        let model = train(Some(1.0));
        let files = model.to_files("2026-12-01T00:00:00Z").expect("files");
        let manifest = EmbeddingModel::manifest(&files.last().expect("manifest").1).expect("m");
        let loaded = EmbeddingModel::from_parts(manifest, |name| {
            files
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, b)| b.clone())
        })
        .expect("load");
        assert_eq!(loaded, model);
        let scores = scores_for(&loaded, &styles, &["s0", "s2"]);

        let best_round = styles
            .iter()
            .zip(&scores)
            .filter(|(s, _)| s.id.starts_with('r'))
            .map(|(_, v)| *v)
            .fold(f32::MIN, f32::max);
        for unseen in ["s1", "s3", "s4", "s5"] {
            let i = styles.iter().position(|s| s.id == unseen).expect("style");
            assert!(
                scores[i] > best_round,
                "{unseen}: {} vs {best_round}",
                scores[i]
            );
        }
    }
}

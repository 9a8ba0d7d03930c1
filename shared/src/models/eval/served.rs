//! The served path, measured: the engine as `framewise serve` runs it (popularity and
//! trending from daily counts, the learned item-item scorer with recency weights plus, when
//! weighted, iALS factors served as embeddings by fold-in (the hybrid scorer), the
//! engine's blend of terms, filters and diversity) over a catalogue of bare styles, one per
//! item. Interaction files carry no catalogue attributes, so the content terms (taste,
//! profile, embeddings placed by attributes) are level across styles and measured on the
//! demo shop instead (`cargo bench --bench embeddings`).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::super::als::Als;
use super::super::data::{HistItem, TrainData};
use super::super::embeddings::{EmbeddingModel, FoldIn};
use super::super::hybrid::{HybridParams, ItemItem};
use super::super::pop::MostPopular;
use super::super::serving::{LearnedScorer, Recency};
use super::super::serving_hybrid::HybridScorer;
use super::super::{EmbeddingScorer, LearnError, Recommender, SparseItemModel};
use crate::aggregates::{kind_index, DailyStyleCounts};
use crate::domain::{
    Category, ColourFamily, ColourValue, Colourway, Finish, FrameColour, FrameSize, Material,
    Pattern, RimType, Shape, Signal, SignalKind, Style, Temperature, Variant,
};
use crate::engine::{Engine, EngineConfig, Model, RecommendRequest, MAX_LIST_SIZE};

/// Learned weights kept per style, as `learned_neighbours` defaults to.
const NEIGHBOURS: usize = 100;
/// Every interaction of a file counts as this kind of signal.
const KIND: SignalKind = SignalKind::AddToCart;

/// What the served engine is measured with: the hybrid's item-item training and recency
/// knobs, its popularity debiasing (beta, baked into the pruned rows) and its embeddings'
/// weight (`als_weight`; `pop_weight` is not used: the crowd terms replace it), and
/// the engine's own weights of the collaborative term and of the crowd terms (popularity
/// and trending, scaled together from their defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServedParams {
    pub hybrid: HybridParams,
    /// `[engine.weights] collaborative`; 0 leaves the crowd terms alone, which ranks by
    /// popularity and trending.
    pub collaborative: f32,
    /// Multiplies `[engine.weights] popularity` and `trending`.
    pub crowd: f32,
    /// `[engine] diversity_lambda`: the MMR trade-off (1 = relevance alone).
    pub diversity_lambda: f32,
    /// `[engine] history_half_life_days`: how fast a history's older signals fade.
    pub history_half_life_days: f32,
    /// `learned_neighbours`: weights kept per style in the served artifact.
    pub neighbours: usize,
}

impl Default for ServedParams {
    fn default() -> Self {
        let engine = EngineConfig::default();
        Self {
            hybrid: HybridParams::default(),
            collaborative: 1.0,
            crowd: 1.0,
            diversity_lambda: engine.diversity_lambda,
            history_half_life_days: engine.history_half_life_days,
            neighbours: NEIGHBOURS,
        }
    }
}

impl ServedParams {
    /// The engine configuration these parameters stand for.
    pub fn engine_config(&self) -> EngineConfig {
        // The protocols rank only items the user has not interacted with.
        let mut config = EngineConfig {
            exclude_interacted: true,
            diversity_lambda: self.diversity_lambda,
            history_half_life_days: self.history_half_life_days,
            ..EngineConfig::default()
        };
        let weights = &mut config.weights;
        weights.collaborative = self.collaborative;
        weights.popularity *= self.crowd;
        weights.trending *= self.crowd;
        config
    }
}

/// The engine over bare styles named so that engine order is item order.
pub struct ServedEngine {
    engine: Engine,
    ids: Vec<String>,
    now: DateTime<Utc>,
}

fn style_id(item: usize) -> String {
    format!("i{item:08}")
}

fn at(ts: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(ts, 0).unwrap_or_default()
}

/// An always-available optical frame with nothing to tell it from the others but its id.
fn bare_style(id: String) -> Style {
    Style {
        name: id.clone(),
        brand: "-".into(),
        category: Category::Optical,
        shape: Shape::Rectangle,
        rim: RimType::Full,
        material: Material::Acetate,
        price_cents: 10_000,
        currency: "USD".into(),
        active: true,
        tags: Vec::new(),
        launch_date: NaiveDate::MIN,
        image_url: String::new(),
        sizes: vec![FrameSize {
            label: "52".into(),
            lens_width: 52.0,
            bridge: 18.0,
            temple_length: 140.0,
            lens_height: 40.0,
            effective_diameter: 54.0,
            total_width: 132.0,
        }],
        colourways: vec![Colourway {
            code: "c".into(),
            colour: FrameColour {
                name: "black".into(),
                family: ColourFamily::Black,
                temperature: Temperature::Neutral,
                value: ColourValue::Dark,
                finish: Finish::Glossy,
                pattern: Pattern::Solid,
                hex: None,
            },
            image_url: None,
            variants: vec![Variant {
                sku: format!("{id}-52"),
                size: "52".into(),
                stock: 1,
            }],
        }],
        id,
    }
}

impl ServedEngine {
    /// Trains the item-item part (and iALS when weighted) and builds the engine.
    pub fn fit(train: &TrainData, params: &ServedParams) -> Result<ServedEngine, LearnError> {
        let hybrid = &params.hybrid;
        let item_item = ItemItem::fit(train, hybrid)?;
        let als = (hybrid.als_weight > 0.0).then(|| Als::fit(train, hybrid.als));
        Ok(Self::from_parts(train, &item_item, als.as_ref(), params))
    }

    /// The engine over an already trained item-item part and, weighted by
    /// `params.als_weight`, iALS factors served as embeddings (`collaborative = "hybrid"`).
    pub fn from_parts(
        train: &TrainData,
        item_item: &ItemItem,
        als: Option<&Als>,
        params: &ServedParams,
    ) -> ServedEngine {
        let hybrid = &params.hybrid;
        let ids: Vec<String> = (0..train.n_items).map(style_id).collect();
        let newest = train.users.iter().flatten().map(|h| h.ts).max();
        let now = at(newest.unwrap_or(0) + 1);
        let mut daily: HashMap<(u32, NaiveDate), u32> = HashMap::new();
        for h in train.users.iter().flatten() {
            *daily.entry((h.item, at(h.ts).date_naive())).or_default() += 1;
        }
        let daily: Vec<DailyStyleCounts> = daily
            .into_iter()
            .map(|((item, day), n)| {
                let mut counts = [0u32; 9];
                if let Some(k) = kind_index(KIND) {
                    counts[k] = n;
                }
                DailyStyleCounts {
                    style_id: ids[item as usize].clone(),
                    day,
                    counts,
                }
            })
            .collect();
        let styles: Vec<Style> = ids.iter().cloned().map(bare_style).collect();
        let config = params.engine_config();
        let model = Model::build(&styles, &daily, &[], now, &config);
        let learned = SparseItemModel {
            item_ids: ids.clone(),
            rows: item_item.prune(
                params.neighbours,
                &MostPopular::fit(train).counts,
                hybrid.beta,
            ),
        };
        let scorer =
            LearnedScorer::new(&learned, ids.iter().map(String::as_str)).with_recency(Recency {
                half_life: hybrid.half_life,
                floor: hybrid.floor,
            });
        let embeddings = als.map(|als| {
            let model = EmbeddingModel {
                version: "eval".into(),
                trainer: "framewise-ials".into(),
                dims: als.factors,
                item_ids: ids.clone(),
                item: als.item.clone(),
                gram: als.item_gram.clone(),
                popularity: Vec::new(),
                fold_in: FoldIn {
                    alpha: als.params.alpha,
                    reg: als.params.reg,
                    reg_per_interaction: false,
                },
                attributes: Vec::new(),
                attribute_vectors: Vec::new(),
                params: serde_json::Value::Null,
                validation: serde_json::Value::Null,
            };
            (EmbeddingScorer::new(&model, &styles), hybrid.als_weight)
        });
        let scorer = HybridScorer::new(scorer, embeddings);
        let engine = Engine::new(styles, model, config).with_collaborative(Box::new(scorer));
        ServedEngine { engine, ids, now }
    }
}

impl Recommender for ServedEngine {
    fn score(&self, user: u32, history: &[HistItem], out: &mut [f32]) {
        out.iter_mut().for_each(|o| *o = 0.0);
        let signals: Vec<Signal> = history
            .iter()
            .rev()
            .enumerate()
            .filter_map(|(n, h)| {
                Some(Signal {
                    event_id: format!("{user}-{n}"),
                    customer_id: Some(user.to_string()),
                    session_id: None,
                    kind: KIND,
                    style_id: self.ids.get(h.item as usize)?.clone(),
                    sku: None,
                    timestamp: at(h.ts),
                    recommendation_id: None,
                    placement: None,
                    context: None,
                    price_cents: None,
                    quantity: None,
                    order_id: None,
                    rating: None,
                    position: None,
                    comment: None,
                })
            })
            .collect();
        let list = self.engine.recommend(&RecommendRequest {
            customer: None,
            history: &signals,
            now: self.now,
            limit: MAX_LIST_SIZE,
            feeds: None,
        });
        // Rank order as descending scores; styles off the list stay at 0.
        for (rank, item) in list.iter().enumerate() {
            if let Ok(j) = self.ids.binary_search(&item.style_id) {
                out[j] = (MAX_LIST_SIZE - rank) as f32;
            }
        }
    }
}

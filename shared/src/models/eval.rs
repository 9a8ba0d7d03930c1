//! Fitting, ranking and scoring models on a split, and validation-only tuning; the
//! `framewise eval` command is a thin printer over this.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use super::als::{Als, AlsParams};
use super::data::TrainData;
use super::ease::{Ease, EaseParams};
use super::folded_als::{FoldedAls, FoldedAlsParams};
use super::hybrid::{Hybrid, HybridParams, ItemItem};
use super::knn::{ItemKnnModel, KnnParams};
use super::metrics::{summarize, user_metrics, Summary};
use super::pop::MostPopular;
use super::split::{Protocol, Split};
use super::{LearnError, Recommender};
use served::ServedEngine;
pub use served::ServedParams;

mod served;

/// The models the harness knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    Pop,
    ItemKnn,
    Ials,
    Ease,
    Hybrid,
    /// iALS scored by fold-in and blended with popularity, as embeddings are served.
    Embeddings,
    /// The engine as it serves `collaborative = "learned"`/`"hybrid"`: the hybrid's item-item
    /// part pruned and recency-weighted, the engine's popularity, trending and filters.
    Served,
}

impl FromStr for ModelKind {
    type Err = LearnError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pop" | "mostpopular" => Ok(Self::Pop),
            "itemknn" | "knn" => Ok(Self::ItemKnn),
            "ials" | "als" => Ok(Self::Ials),
            "ease" => Ok(Self::Ease),
            "hybrid" => Ok(Self::Hybrid),
            "embeddings" => Ok(Self::Embeddings),
            "served" => Ok(Self::Served),
            other => Err(LearnError::UnknownModel(other.to_string())),
        }
    }
}

impl ModelKind {
    /// Display name used in tables.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pop => "MostPopular",
            Self::ItemKnn => "ItemKNN",
            Self::Ials => "iALS",
            Self::Ease => "EASE",
            Self::Hybrid => "Hybrid (item-item+iALS+pop)",
            Self::Embeddings => "Embeddings (fold-in+pop)",
            Self::Served => "Served engine (item-item)",
        }
    }
}

/// Hyperparameters of one model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Params {
    Pop,
    Knn(KnnParams),
    Als(AlsParams),
    Ease(EaseParams),
    Hybrid(HybridParams),
    Embeddings(FoldedAlsParams),
    Served(ServedParams),
}

impl Params {
    /// Defaults (chosen on ml-100k validation splits, never on test items).
    pub fn default_for(kind: ModelKind) -> Params {
        match kind {
            ModelKind::Pop => Params::Pop,
            ModelKind::ItemKnn => Params::Knn(KnnParams::default()),
            ModelKind::Ials => Params::Als(AlsParams::default()),
            ModelKind::Ease => Params::Ease(EaseParams::default()),
            ModelKind::Hybrid => Params::Hybrid(HybridParams::default()),
            ModelKind::Embeddings => Params::Embeddings(FoldedAlsParams::default()),
            ModelKind::Served => Params::Served(ServedParams::default()),
        }
    }

    /// Short human-readable description for tables.
    pub fn describe(&self) -> String {
        match self {
            Params::Pop => "count".into(),
            Params::Knn(p) => format!("K={} shrink={} window={}d", p.k, p.shrink, p.window_days),
            Params::Als(p) => format!(
                "f={} reg={} alpha={} it={}",
                p.factors, p.reg, p.alpha, p.iterations
            ),
            Params::Ease(p) => format!("lambda={}", p.lambda),
            Params::Embeddings(p) => format!(
                "f={} reg={} alpha={} it={} pop_w={}",
                p.als.factors, p.als.reg, p.als.alpha, p.als.iterations, p.pop_weight
            ),
            Params::Hybrid(p) => format!(
                "lambda={} window={}d half_life={} floor={} beta={} als_w={} pop_w={}",
                p.ease.lambda,
                p.window_days,
                p.half_life,
                p.floor,
                p.beta,
                p.als_weight,
                p.pop_weight
            ),
            Params::Served(p) => format!(
                "lambda={} window={}d half_life={} floor={} beta={} als_w={} collaborative={} crowd_x={} diversity={} age_half_life={}d neighbours={}",
                p.hybrid.ease.lambda,
                p.hybrid.window_days,
                p.hybrid.half_life,
                p.hybrid.floor,
                p.hybrid.beta,
                p.hybrid.als_weight,
                p.collaborative,
                p.crowd,
                p.diversity_lambda,
                p.history_half_life_days,
                p.neighbours
            ),
        }
    }
}

/// Trains a model.
pub fn fit(params: &Params, train: &TrainData) -> Result<Box<dyn Recommender>, LearnError> {
    Ok(match params {
        Params::Pop => Box::new(MostPopular::fit(train)),
        Params::Knn(p) => Box::new(ItemKnnModel::fit(train, *p)),
        Params::Als(p) => Box::new(Als::fit(train, *p)),
        Params::Ease(p) => Box::new(Ease::fit(train, *p)?),
        Params::Hybrid(p) => Box::new(Hybrid::fit(train, *p)?),
        Params::Embeddings(p) => Box::new(FoldedAls::fit(train, *p)),
        Params::Served(p) => Box::new(ServedEngine::fit(train, p)?),
    })
}

/// Top-`k` unseen items for every test user of `split`, in parallel: `(user, list)`.
pub fn rank(
    model: &dyn Recommender,
    train: &TrainData,
    split: &Split,
    k: usize,
) -> Vec<(u32, Vec<u32>)> {
    let n = train.n_items;
    split
        .test_users()
        .par_iter()
        .map_init(
            || vec![0.0f32; n],
            |out, &u| {
                let history = train.users.get(u as usize).map_or(&[][..], Vec::as_slice);
                model.score(u, history, out);
                for h in history {
                    out[h.item as usize] = f32::NEG_INFINITY;
                }
                let cand: Vec<(u32, f32)> = out
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.is_finite())
                    .map(|(i, s)| (i as u32, *s))
                    .collect();
                let top = super::knn::top_k(cand, k);
                (u, top.into_iter().map(|(i, _)| i).collect())
            },
        )
        .collect()
}

/// Metrics of a trained model on a split, and the seconds scoring took.
pub fn score_split(model: &dyn Recommender, train: &TrainData, split: &Split) -> (Summary, f64) {
    let start = Instant::now();
    let lists = rank(model, train, split, 20);
    let secs = start.elapsed().as_secs_f64();
    let per_user: Vec<_> = lists
        .iter()
        .map(|(u, l)| user_metrics(l, &split.test[*u as usize]))
        .collect();
    let tops: Vec<Vec<u32>> = lists.into_iter().map(|(_, l)| l).collect();
    (summarize(&per_user, &tops, split.n_items), secs)
}

/// The metric a protocol is judged on: NDCG@20 for temporal, NDCG@10 for LOO.
pub fn primary(summary: &Summary, protocol: Protocol) -> f64 {
    match protocol {
        Protocol::Temporal => summary.ndcg20.mean,
        Protocol::LeaveLastOut => summary.ndcg10.mean,
    }
}

/// One evaluated model.
#[derive(Debug, Clone)]
pub struct Report {
    pub kind: ModelKind,
    pub params: Params,
    pub summary: Summary,
    pub train_secs: f64,
    pub score_secs: f64,
}

/// Fits on `split.train` and scores the test users.
/// `half_life_secs` decays training weights by age (None = no decay).
pub fn evaluate(
    kind: ModelKind,
    params: Params,
    split: &Split,
    half_life_secs: Option<f64>,
) -> Result<Report, LearnError> {
    let train = TrainData::new(split.n_users, split.n_items, &split.train, half_life_secs);
    let start = Instant::now();
    let model = fit(&params, &train)?;
    let train_secs = start.elapsed().as_secs_f64();
    let (summary, score_secs) = score_split(model.as_ref(), &train, split);
    Ok(Report {
        kind,
        params,
        summary,
        train_secs,
        score_secs,
    })
}

/// Chooses hyperparameters on `split`'s validation split (carved from its training data by
/// the same protocol); test items are never seen. Returns the choice and the trials tried.
pub fn tune(
    kind: ModelKind,
    split: &Split,
    protocol: Protocol,
    half_life_secs: Option<f64>,
) -> Result<(Params, Vec<(String, f64)>), LearnError> {
    let valid = split.validation(protocol);
    let train = TrainData::new(valid.n_users, valid.n_items, &valid.train, half_life_secs);
    let mut trials = Vec::new();
    let mut judge = |params: Params, model: &dyn Recommender| -> f64 {
        let (s, _) = score_split(model, &train, &valid);
        let v = primary(&s, protocol);
        trials.push((params.describe(), v));
        v
    };
    let mut best: Option<(Params, f64)> = None;
    let keep = |p: Params, v: f64, best: &mut Option<(Params, f64)>| {
        if best.as_ref().is_none_or(|(_, b)| v > *b) {
            *best = Some((p, v));
        }
    };
    match kind {
        ModelKind::Pop => {
            let p = Params::Pop;
            let m = fit(&p, &train)?;
            let v = judge(p, m.as_ref());
            keep(p, v, &mut best);
        }
        ModelKind::ItemKnn => {
            for k in [50, 100, 200, 400] {
                for shrink in [0.0, 10.0, 50.0] {
                    for window_days in [0.0, 3.0] {
                        let p = Params::Knn(KnnParams {
                            k,
                            shrink,
                            window_days,
                        });
                        let m = fit(&p, &train)?;
                        let v = judge(p, m.as_ref());
                        keep(p, v, &mut best);
                    }
                }
            }
        }
        ModelKind::Ials => {
            for reg in ALS_REGS {
                for alpha in ALS_ALPHAS {
                    let p = Params::Als(AlsParams {
                        reg,
                        alpha,
                        ..AlsParams::default()
                    });
                    let m = fit(&p, &train)?;
                    let v = judge(p, m.as_ref());
                    keep(p, v, &mut best);
                }
            }
        }
        ModelKind::Ease => {
            for lambda in EASE_LAMBDAS {
                let p = Params::Ease(EaseParams { lambda });
                let m = fit(&p, &train)?;
                let v = judge(p, m.as_ref());
                keep(p, v, &mut best);
            }
        }
        ModelKind::Hybrid => {
            let chosen = tune_hybrid(&train, &mut judge)?;
            keep(Params::Hybrid(chosen.0), chosen.1, &mut best);
        }
        ModelKind::Served => {
            // The hybrid's training knobs; then, through the engine, the learned weights kept
            // per style and the history's fading by age; then the weight of the engine's crowd
            // terms (collaborative 0 = the crowd alone, so validation never picks a served
            // engine below the popularity ranking), then the recency knobs and the embeddings'
            // weight, then the popularity debiasing.
            let (hybrid, _) = tune_hybrid(&train, &mut judge)?;
            let item_item = ItemItem::fit(&train, &hybrid)?;
            let als = Als::fit(&train, hybrid.als);
            let mut judge_served = |p: ServedParams, best: &mut Option<(Params, f64)>| {
                let m = ServedEngine::from_parts(&train, &item_item, Some(&als), &p);
                let v = judge(Params::Served(p), &m);
                keep(Params::Served(p), v, best);
                v
            };
            let recency = HybridParams {
                als_weight: 0.0,
                ..hybrid
            };
            // First what the served artifact keeps and how a history fades by age: pruning
            // changes every later comparison (the learned weights alone, no crowd terms).
            let mut kept = ServedParams {
                hybrid: recency,
                crowd: 0.0,
                ..ServedParams::default()
            };
            let mut kept_value = f64::NEG_INFINITY;
            for history_half_life_days in SERVED_AGE_HALF_LIVES {
                for neighbours in SERVED_NEIGHBOURS {
                    let p = ServedParams {
                        history_half_life_days,
                        neighbours,
                        ..kept
                    };
                    let v = judge_served(p, &mut best);
                    if v > kept_value {
                        (kept, kept_value) = (p, v);
                    }
                }
            }
            for (collaborative, crowd) in SERVED_BLENDS {
                let p = ServedParams {
                    collaborative,
                    crowd,
                    ..kept
                };
                if p != kept {
                    judge_served(p, &mut best);
                }
            }
            let Some((Params::Served(chosen), _)) = best else {
                return Err(LearnError::Empty);
            };
            for als_weight in [0.0, 0.1, 0.25, 0.5, 1.0] {
                for half_life in [0.0, 1.0, 2.0, 5.0, 10.0, 20.0] {
                    for floor in [0.0, 0.1] {
                        let hybrid = HybridParams {
                            half_life,
                            floor,
                            als_weight,
                            ..chosen.hybrid
                        };
                        if chosen.collaborative > 0.0 {
                            judge_served(ServedParams { hybrid, ..chosen }, &mut best);
                        }
                    }
                }
            }
            if let Some((Params::Served(chosen), _)) = best {
                for beta in [0.0, 0.05, 0.1, 0.2, 0.3] {
                    let hybrid = HybridParams {
                        beta,
                        ..chosen.hybrid
                    };
                    if chosen.collaborative > 0.0 && hybrid != chosen.hybrid {
                        judge_served(ServedParams { hybrid, ..chosen }, &mut best);
                    }
                }
            }
        }
        ModelKind::Embeddings => {
            // The factors first (the same grid as iALS), then the popularity blend on them.
            let mut fitted: Option<(FoldedAls, f64)> = None;
            for reg in ALS_REGS {
                for alpha in ALS_ALPHAS {
                    let p = FoldedAlsParams {
                        als: AlsParams {
                            reg,
                            alpha,
                            ..AlsParams::default()
                        },
                        pop_weight: 0.0,
                    };
                    let m = FoldedAls::fit(&train, p);
                    let v = judge(Params::Embeddings(p), &m);
                    keep(Params::Embeddings(p), v, &mut best);
                    if fitted.as_ref().is_none_or(|(_, b)| v > *b) {
                        fitted = Some((m, v));
                    }
                }
            }
            if let Some((m, _)) = fitted {
                for &pop_weight in &POP_WEIGHTS[1..] {
                    let blended = m.with_pop_weight(pop_weight);
                    let v = judge(Params::Embeddings(blended.params), &blended);
                    keep(Params::Embeddings(blended.params), v, &mut best);
                }
            }
        }
    }
    best.map(|(p, _)| (p, trials)).ok_or(LearnError::Empty)
}

/// The iALS grid (L2 regularisation x confidence scale), shared by every model with factors.
const ALS_REGS: [f32; 4] = [0.01, 0.1, 1.0, 10.0];
const ALS_ALPHAS: [f32; 4] = [1.0, 5.0, 10.0, 20.0];

const EASE_LAMBDAS: [f64; 10] = [
    5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 300.0, 500.0, 800.0, 1200.0,
];

/// The served engine's `(collaborative weight, crowd scale)` pairs; `(0, 1)` is the crowd
/// terms alone.
const SERVED_BLENDS: [(f32, f32); 7] = [
    (1.0, 0.0),
    (1.0, 0.1),
    (1.0, 0.25),
    (1.0, 0.5),
    (1.0, 1.0),
    (1.0, 2.0),
    (0.0, 1.0),
];

/// `[engine] history_half_life_days` tried for the served engine (3650: age barely counts).
const SERVED_AGE_HALF_LIVES: [f32; 4] = [30.0, 90.0, 365.0, 3650.0];

/// `learned_neighbours` tried for the served engine.
const SERVED_NEIGHBOURS: [usize; 4] = [100, 250, 500, 1000];

/// Co-occurrence windows (days) tried for the hybrid's item-item part; 0 = plain counts.
const WINDOWS_DAYS: [f32; 7] = [0.0, 1.0, 3.0, 10.0, 30.0, 90.0, 180.0];

/// Popularity blend weights; 1 (popularity alone) is always tried, which is what makes the
/// tuned blend never worse than popularity on validation.
pub const POP_WEIGHTS: [f32; 9] = [0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0];

/// Tunes the hybrid on a validation training set, judging each variant with `judge`
/// (validation metric): 1. EASE's lambda (plain counts, small catalogues only); 2. the
/// co-occurrence window; 3. the scoring-time knobs and blend weights by coordinate ascent,
/// twice. Returns the choice and its validation value.
pub fn tune_hybrid(
    train: &TrainData,
    judge: &mut dyn FnMut(Params, &dyn Recommender) -> f64,
) -> Result<(HybridParams, f64), LearnError> {
    let mut base = HybridParams::default();
    if train.n_items <= super::hybrid::EASE_MAX_ITEMS {
        let mut best_lambda = (base.ease.lambda, f64::MIN);
        for lambda in EASE_LAMBDAS {
            let p = Params::Ease(EaseParams { lambda });
            let m = fit(&p, train)?;
            let v = judge(p, m.as_ref());
            if v > best_lambda.1 {
                best_lambda = (lambda, v);
            }
        }
        base.ease.lambda = best_lambda.0;
    }
    // iALS is tuned alone on validation (the iALS grid), trained once and shared by every
    // variant; its weight in the blend is tuned below.
    let mut best_als: Option<(Als, f64)> = None;
    for reg in ALS_REGS {
        for alpha in ALS_ALPHAS {
            let als_params = AlsParams {
                reg,
                alpha,
                ..AlsParams::default()
            };
            let m = Als::fit(train, als_params);
            let v = judge(Params::Als(als_params), &m);
            if best_als.as_ref().is_none_or(|(_, b)| v > *b) {
                best_als = Some((m, v));
            }
        }
    }
    let als = best_als.map(|(m, _)| Arc::new(m));
    if let Some(m) = &als {
        base.als = m.params;
    }
    base.als_weight = 0.1;
    let mut fitted: Option<Hybrid> = None;
    let mut current_v = f64::MIN;
    for window_days in WINDOWS_DAYS {
        let p = HybridParams {
            window_days,
            ..base
        };
        let item_item = ItemItem::fit(train, &p)?;
        let h = Hybrid::from_parts(train, item_item, als.clone(), p);
        let v = judge(Params::Hybrid(p), &h);
        if v > current_v {
            current_v = v;
            fitted = Some(h);
        }
    }
    let fitted = fitted.ok_or(LearnError::Empty)?;
    let mut current = fitted.params;
    for _round in 0..2 {
        for knob in 0..5 {
            let grid: &[f32] = match knob {
                0 => &[0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0],
                1 => &[0.0, 0.1, 0.3, 0.5],
                2 => &[0.0, 0.05, 0.1, 0.2, 0.3],
                3 => &[0.0, 0.1, 0.25, 0.5],
                _ => &POP_WEIGHTS,
            };
            for &value in grid {
                let mut p = current;
                match knob {
                    0 => p.half_life = value,
                    1 => p.floor = value,
                    2 => p.beta = value,
                    3 => p.als_weight = value,
                    _ => p.pop_weight = value,
                }
                if p == current {
                    continue;
                }
                let v = judge(Params::Hybrid(p), &fitted.with_params(p));
                if v > current_v {
                    current = p;
                    current_v = v;
                }
            }
        }
    }
    Ok((current, current_v))
}

#[cfg(test)]
mod tests;

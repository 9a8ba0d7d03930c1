//! The embedding model against the collaborative scorers it may replace, printed as tables:
//!
//! 1. hidden-taste share on the demo shop (share of each shopper's top 12 that fits the
//!    taste the generator gave them; 5,000 shoppers by default) for popularity, co-occurrence,
//!    pruned EASE, embeddings with and without catalogue content and the hybrid of EASE and
//!    embeddings (the default), with training time;
//! 2. serving cost per shopper at 5k and 30k styles, k = 64: the fold-in scorer alone, then
//!    a whole list (fold-in, every other score, hard filters, MMR, reasons) on one thread,
//!    and the time to load a model version from its files.
//!
//! ```text
//! cargo bench -p framewise-shared --bench embeddings -- [--customers N] [--styles N]
//! cargo bench -p framewise-shared --bench embeddings -- --serving   # table 2 only
//! cargo bench -p framewise-shared --bench embeddings -- --hybrid-grid --seed 7
//! ```
//!
//! All rows run back to back in one process; compare ratios, the machine is noisy.

use std::time::Instant;

use framewise::adapters::memory_stores;
use framewise::demo::{self, DemoConfig, DemoData};
use framewise::engine::{CollaborativeScore, CollaborativeScorer, WeightedItem};
use framewise::models::embeddings::FoldIn;
use framewise::models::{EmbeddingModel, EmbeddingScorer};
use framewise::service::{
    CollaborativeMode, EmbeddingConfig, Framewise, RecommendationQuery, ServiceConfig,
};
use rand::{Rng, SeedableRng};

mod support;
use support::arg;

type Error = Box<dyn std::error::Error>;

/// Share of top-12 lists that fit each shopper's hidden taste, and seconds to train.
async fn taste_share(data: &DemoData, config: ServiceConfig) -> Result<(f64, f64), Error> {
    let service = Framewise::open(memory_stores(), config).await?;
    service.import_styles(&data.styles).await?;
    service.import_customers(&data.customers).await?;
    let now = DemoConfig::default().end;
    let signals = framewise::import::interactions_to_signals(&data.interactions);
    service.apply_signals(&signals, now).await?;
    // A full regeneration: lists were stored as signals arrived, before any model.
    let started = Instant::now();
    service.regenerate_model(now).await?;
    let trained = started.elapsed().as_secs_f64();
    service.regenerate(now, &|_, _| {}).await?;
    let engine = service.engine();
    let (mut fits, mut total) = (0usize, 0usize);
    for taste in &data.tastes {
        let page = service
            .recommendations(&taste.customer_id, RecommendationQuery::default(), now)
            .await?;
        fits += page
            .items
            .iter()
            .filter(|i| engine.style(&i.style_id).is_some_and(|s| taste.matches(s)))
            .count();
        total += 12;
    }
    Ok((fits as f64 / total.max(1) as f64, trained))
}

async fn popularity_share(data: &DemoData) -> Result<f64, Error> {
    let config = ServiceConfig {
        collaborative: CollaborativeMode::Cooccurrence,
        ..ServiceConfig::default()
    };
    let service = Framewise::open(memory_stores(), config).await?;
    service.import_styles(&data.styles).await?;
    let now = DemoConfig::default().end;
    let signals = framewise::import::interactions_to_signals(&data.interactions);
    service.apply_signals(&signals, now).await?;
    service.regenerate_model(now).await?;
    let trending = service.trending(None, Some(12), now)?;
    let engine = service.engine();
    let mut fits = 0usize;
    for taste in &data.tastes {
        fits += trending
            .iter()
            .filter(|i| engine.style(&i.style_id).is_some_and(|s| taste.matches(s)))
            .count();
    }
    Ok(fits as f64 / (12 * data.tastes.len()).max(1) as f64)
}

fn random_model(ids: Vec<String>, dims: usize) -> EmbeddingModel {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let item: Vec<f32> = (0..ids.len() * dims)
        .map(|_| rng.gen::<f32>() - 0.5)
        .collect();
    EmbeddingModel {
        version: "bench".into(),
        trainer: "bench".into(),
        dims,
        gram: EmbeddingModel::gram_of(&item, dims),
        item,
        popularity: vec![1.0; ids.len()],
        item_ids: ids,
        fold_in: FoldIn {
            alpha: 2.0,
            reg: 1.0,
            reg_per_interaction: false,
        },
        attributes: Vec::new(),
        attribute_vectors: Vec::new(),
        params: serde_json::Value::Null,
        validation: serde_json::Value::Null,
    }
}

fn serving_row(styles: usize, dims: usize) -> Result<(), Error> {
    let data = demo::generate(&DemoConfig {
        styles,
        customers: 200,
        days: 60,
        ..DemoConfig::default()
    });
    let mut ids: Vec<String> = data.styles.iter().map(|s| s.id.clone()).collect();
    ids.sort();
    let model = random_model(ids, dims);
    let files = model.to_files("bench")?;
    let started = Instant::now();
    let manifest = EmbeddingModel::manifest(&files.last().ok_or("no manifest")?.1)?;
    let loaded = EmbeddingModel::from_parts(manifest, |name| {
        files
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, b)| b.clone())
    })?;
    let load_ms = started.elapsed().as_secs_f64() * 1e3;

    let config = ServiceConfig::default();
    let now = DemoConfig::default().end;
    let base = framewise::engine::Model::build(&data.styles, &[], &[], now, &config.engine);
    let engine = framewise::engine::Engine::new(data.styles.clone(), base, config.engine);
    let scorer = EmbeddingScorer::new(&loaded, engine.styles());
    let history: Vec<WeightedItem> = (0..10)
        .map(|i| WeightedItem {
            index: (i * 97) % styles,
            weight: 1.0,
            kind: None,
        })
        .collect();
    let mut out = vec![CollaborativeScore::default(); styles];
    let rounds = 200;
    let started = Instant::now();
    for _ in 0..rounds {
        out.iter_mut()
            .for_each(|o| *o = CollaborativeScore::default());
        scorer.score(&history, &mut out);
    }
    let score_us = started.elapsed().as_secs_f64() * 1e6 / rounds as f64;

    let engine = engine.with_collaborative(Box::new(scorer));
    let mut signals = Vec::new();
    for x in data.interactions.iter().take(2_000) {
        signals.push(x.clone());
    }
    let customers: Vec<_> = data.customers.iter().take(100).collect();
    let started = Instant::now();
    let mut lists = 0usize;
    for customer in &customers {
        let mine: Vec<_> = signals
            .iter()
            .filter(|x| x.customer_id == customer.id)
            .cloned()
            .collect();
        let mut history = framewise::import::interactions_to_signals(&mine);
        history.sort_by_key(|s| std::cmp::Reverse(s.timestamp));
        let list = engine.recommend(&framewise::engine::RecommendRequest {
            customer: Some(customer),
            history: &history,
            now,
            limit: 12,
            feeds: None,
        });
        lists += usize::from(!list.is_empty());
    }
    let list_ms = started.elapsed().as_secs_f64() * 1e3 / customers.len() as f64;
    println!(
        "| {styles:>6} | {dims:>3} | {load_ms:>8.1} | {score_us:>10.0} | {list_ms:>9.2} | {:>10.0} | {lists}/{} |",
        1000.0 / list_ms,
        customers.len()
    );
    Ok(())
}

fn main() -> Result<(), Error> {
    if std::env::args().any(|a| a == "--serving") {
        return serving_table();
    }
    let customers = arg("--customers", 5_000);
    let styles = arg("--styles", 1_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let seed = arg("--seed", DemoConfig::default().seed as usize) as u64;
    let data = demo::generate(&DemoConfig {
        styles,
        customers,
        seed,
        ..DemoConfig::default()
    });
    if std::env::args().any(|a| a == "--hybrid-grid") {
        // The hybrid's embedding weight, chosen like the trainer's parameters (another seed).
        println!("| hybrid_embedding_weight | taste share (seed {seed}) |");
        println!("|---|---|");
        for weight in [0.25, 0.5, 1.0, 2.0, 4.0] {
            let config = ServiceConfig {
                hybrid_embedding_weight: weight,
                ..ServiceConfig::default()
            };
            let (share, _) = runtime.block_on(taste_share(&data, config))?;
            println!("| {weight} | {share:.3} |");
        }
        return Ok(());
    }
    if std::env::args().any(|a| a == "--grid") {
        // Hyperparameters are chosen on another seed than the one reported (validation).
        println!("| factors | alpha | reg | attribute_reg | taste share (seed {seed}) |");
        println!("|---|---|---|---|---|");
        for (factors, alpha, reg, attribute_reg) in [
            (32, 2.0, 1.0, 1.0),
            (64, 2.0, 1.0, 1.0),
            (64, 8.0, 10.0, 1.0),
            (64, 8.0, 30.0, 1.0),
            (64, 8.0, 100.0, 1.0),
            (64, 8.0, 300.0, 1.0),
            (64, 4.0, 100.0, 1.0),
        ] {
            let config = ServiceConfig {
                collaborative: CollaborativeMode::Embeddings,
                embedding: EmbeddingConfig {
                    factors,
                    alpha,
                    reg,
                    attribute_reg,
                    ..EmbeddingConfig::default()
                },
                ..ServiceConfig::default()
            };
            let (share, _) = runtime.block_on(taste_share(&data, config))?;
            println!("| {factors} | {alpha} | {reg} | {attribute_reg} | {share:.3} |");
        }
        return Ok(());
    }
    println!(
        "hidden-taste share of top-12 lists, demo {styles} styles x {customers} shoppers ({} interactions)\n",
        data.interactions.len()
    );
    println!("| scorer | taste share | train s |");
    println!("|---|---|---|");
    let popular = runtime.block_on(popularity_share(&data))?;
    println!("| popularity (trending list) | {popular:.3} | - |");
    let embeddings = |attribute_reg: f32| ServiceConfig {
        collaborative: CollaborativeMode::Embeddings,
        embedding: EmbeddingConfig {
            attribute_reg,
            ..EmbeddingConfig::default()
        },
        ..ServiceConfig::default()
    };
    for (name, config) in [
        (
            "co-occurrence",
            ServiceConfig {
                collaborative: CollaborativeMode::Cooccurrence,
                ..ServiceConfig::default()
            },
        ),
        (
            "learned (pruned EASE, recency-weighted votes)",
            ServiceConfig {
                collaborative: CollaborativeMode::Learned,
                ..ServiceConfig::default()
            },
        ),
        ("embeddings, no content", embeddings(0.0)),
        (
            "embeddings with content",
            embeddings(EmbeddingConfig::default().attribute_reg),
        ),
        (
            "hybrid: learned + embeddings (default)",
            ServiceConfig::default(),
        ),
    ] {
        let (share, trained) = runtime.block_on(taste_share(&data, config))?;
        println!("| {name} | {share:.3} | {trained:.1} |");
    }
    serving_table()
}

fn serving_table() -> Result<(), Error> {
    println!("\nserving per shopper, one thread (random k-dim embeddings over demo styles)\n");
    println!("| styles | k | load ms | fold-in+score µs | list ms | lists/s/core | non-empty |");
    println!("|---|---|---|---|---|---|---|");
    for n in [5_000, 30_000] {
        serving_row(n, 64)?;
    }
    Ok(())
}

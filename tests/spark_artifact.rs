//! The PySpark trainer (`infra/spark/train_als.py`, what EMR Serverless runs when one Lambda
//! cannot train the catalogue) run for real with local Spark, its artifact loaded and
//! served by the Rust fold-in, and its top-k compared with the Rust trainer's on the same
//! data. Needs `pyspark` in the venv of `FRAMEWISE_PYTHON` and a Java 17 runtime (`.ci/run`
//! installs both).

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use framewise::adapters::{memory_stores, LocalArtifactStore};
use framewise::demo::DemoConfig;
use framewise::service::{Framewise, ServiceConfig, TRAINING_EVENTS};
use framewise_integration_tests::seed_demo;

use framewise::models::als::{fold_in, Als, AlsParams};
use framewise::models::data::TrainData;
use framewise::models::{Dataset, EmbeddingModel};

const BLOCKS: usize = 3;
const ITEMS_PER_BLOCK: usize = 10;
const USERS_PER_BLOCK: usize = 20;

/// Shoppers of block b touch 8 of block b's 10 styles (which 8 varies), plus an anonymous
/// session that must not enter training.
fn events() -> Vec<(String, String, i64, f32)> {
    let mut rows = Vec::new();
    for b in 0..BLOCKS {
        for u in 0..USERS_PER_BLOCK {
            for i in 0..ITEMS_PER_BLOCK {
                if i != u % ITEMS_PER_BLOCK && i != (u + 3) % ITEMS_PER_BLOCK {
                    let item = format!("st-{}", b * ITEMS_PER_BLOCK + i);
                    rows.push((format!("cu-{b}-{u}"), item, (u * 10 + i) as i64, 1.0));
                }
            }
        }
    }
    rows.push(("anon:x".into(), "st-only-anonymous".into(), 1, 1.0));
    rows
}

fn python() -> String {
    std::env::var("FRAMEWISE_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Runs the Spark job with local Spark on `events`, writing the artifact into `out`.
fn run_spark(events: &Path, out: &Path, args: &[&str]) {
    let job = Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/spark/train_als.py");
    // The venv's python starts the JVM through pyspark's bundled launcher; the arguments
    // `spark-submit` would take come by PYSPARK_SUBMIT_ARGS. ALS's lineage grows with every
    // iteration and, without a checkpoint directory, serializing its tasks can overflow the
    // default 1 MB thread stack (seen once in CI): a bigger stack for the local driver.
    let submit_args = "--master local[2] --driver-memory 1g --conf spark.ui.enabled=false \
        --conf spark.driver.extraJavaOptions=-Xss16m \
        --conf spark.sql.shuffle.partitions=2 --conf spark.framewise.als.blocks=2 pyspark-shell";
    let output = Command::new(python())
        .env("PYSPARK_SUBMIT_ARGS", submit_args)
        .env("PYSPARK_PYTHON", python())
        .env("PYSPARK_DRIVER_PYTHON", python())
        .arg(&job)
        .arg("--events")
        .arg(events)
        .arg("--out")
        .arg(out)
        .args(args)
        .args(["--reg", "0.05", "--iterations", "15"])
        .output()
        .expect("the FRAMEWISE_PYTHON venv runs the job (pyspark installed?)");
    assert!(
        output.status.success(),
        "spark job failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn read_version(dir: &Path) -> EmbeddingModel {
    let manifest = std::fs::read(dir.join("manifest.json")).expect("manifest written");
    let manifest = EmbeddingModel::manifest(&manifest).expect("manifest parses");
    EmbeddingModel::from_parts(manifest, |name| std::fs::read(dir.join(name)).ok())
        .expect("spark artifact loads with checksums")
}

/// Top `k` item ids for a history of item ids, by fold-in against `item` rows.
fn top_k(model: &EmbeddingModel, history: &[&str], k: usize) -> BTreeSet<String> {
    let rows: Vec<(usize, f32)> = history
        .iter()
        .filter_map(|id| model.item_ids.binary_search(&id.to_string()).ok())
        .map(|row| (row, 1.0))
        .collect();
    let folded = fold_in(&model.item, &model.gram, model.dims, model.fold_in, rows)
        .expect("history inside the model");
    let mut scored: Vec<(f32, &String)> = model
        .item
        .chunks_exact(model.dims)
        .map(|y| {
            y.iter()
                .zip(&folded.vector)
                .map(|(a, b)| a * b)
                .sum::<f32>()
        })
        .zip(&model.item_ids)
        .filter(|(_, id)| !history.contains(&id.as_str()))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored
        .into_iter()
        .take(k)
        .map(|(_, id)| id.clone())
        .collect()
}

/// The Rust trainer on the same events, as an [`EmbeddingModel`] (item ids sorted as
/// strings, like every artifact).
fn rust_model(rows: &[(String, String, i64, f32)]) -> EmbeddingModel {
    let data = Dataset::from_events(
        rows.iter()
            .filter(|(u, ..)| !u.starts_with("anon:"))
            .map(|(u, i, t, w)| (u.as_str(), i.as_str(), *t, *w)),
    );
    let train = TrainData::new(data.n_users(), data.n_items(), &data.interactions, None);
    let params = AlsParams {
        factors: 8,
        alpha: 10.0,
        reg: 5.0,
        iterations: 15,
        cg_steps: 8,
        ..AlsParams::default()
    };
    let als = Als::fit(&train, params);
    let index: HashMap<&str, usize> = data
        .item_ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut ids = data.item_ids.clone();
    ids.sort();
    let f = als.factors;
    let item: Vec<f32> = ids
        .iter()
        .flat_map(|id| als.item[index[id.as_str()] * f..(index[id.as_str()] + 1) * f].to_vec())
        .collect();
    EmbeddingModel {
        version: "rust".into(),
        trainer: "framewise-ials".into(),
        dims: f,
        gram: EmbeddingModel::gram_of(&item, f),
        popularity: vec![0.0; ids.len()],
        item,
        item_ids: ids,
        fold_in: framewise::models::embeddings::FoldIn {
            alpha: params.alpha,
            reg: params.reg,
            reg_per_interaction: false,
        },
        attributes: Vec::new(),
        attribute_vectors: Vec::new(),
        params: serde_json::Value::Null,
        validation: serde_json::Value::Null,
    }
}

#[test]
fn when_spark_trains_the_events_should_publish_an_artifact_rust_serves_like_its_own() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rows = events();
    let mut csv = String::from("subject,item,weight,timestamp\n");
    for (u, i, t, w) in &rows {
        csv.push_str(&format!("{u},{i},{w},{t}\n"));
    }
    let events_path = dir.path().join("events.csv");
    std::fs::write(&events_path, csv).expect("write events");
    let out = dir.path().join("models").join("v-spark");
    run_spark(
        &events_path,
        &out,
        &["--version", "v-spark", "--factors", "8", "--alpha", "10"],
    );
    let spark = read_version(&out);
    assert_eq!(spark.trainer, "spark-als");
    assert!(spark.fold_in.reg_per_interaction, "Spark's ALS-WR scaling");
    assert_eq!(
        spark.item_ids.len(),
        BLOCKS * ITEMS_PER_BLOCK,
        "no anonymous style"
    );
    let rust = rust_model(&rows);
    assert_eq!(spark.item_ids, rust.item_ids, "same item index");
    for b in 0..BLOCKS {
        let history: Vec<String> = (0..3)
            .map(|i| format!("st-{}", b * ITEMS_PER_BLOCK + i))
            .collect();
        let history: Vec<&str> = history.iter().map(String::as_str).collect();
        let block: BTreeSet<String> = (3..ITEMS_PER_BLOCK)
            .map(|i| format!("st-{}", b * ITEMS_PER_BLOCK + i))
            .collect();
        let from_spark = top_k(&spark, &history, block.len());
        let from_rust = top_k(&rust, &history, block.len());
        assert_eq!(from_spark, block, "spark, block {b}");
        assert_eq!(from_rust, block, "rust, block {b}");
    }
}

/// The Spark branch of the regeneration state machine, run locally: the export step writes
/// the training events next to a new version's engine model, Spark trains into that
/// version's folder, and the adopt step publishes it; a fresh process then serves it.
#[tokio::test]
async fn when_a_run_trains_on_spark_should_export_then_adopt_what_spark_wrote() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut stores = memory_stores();
    stores.artifacts = Arc::new(LocalArtifactStore::new(dir.path()));
    let now = DateTime::parse_from_rfc3339("2026-01-04T00:00:00Z")
        .expect("time")
        .with_timezone(&Utc);
    seed_demo(
        &stores,
        &DemoConfig {
            styles: 40,
            customers: 30,
            days: 20,
            end: now,
            ..DemoConfig::small()
        },
    )
    .await;
    let service = Framewise::open(stores.clone(), ServiceConfig::default())
        .await
        .expect("service");

    let (version, events) = service.export_training(now).await.expect("exported");
    assert!(events > 0);
    let folder = dir.path().join("models").join(&version);
    run_spark(
        &folder.join(TRAINING_EVENTS),
        &folder,
        &["--version", &version, "--factors", "8", "--alpha", "10"],
    );
    let (published, styles) = service.adopt_model(&version).await.expect("adopted");

    assert_eq!((published.as_str(), styles), (version.as_str(), 40));
    assert_eq!(
        stores.artifacts.current().await.expect("pointer"),
        Some(version.clone())
    );
    assert_eq!(read_version(&folder).trainer, "spark-als");
    // A fresh process (another Lambda) loads the adopted version with its embeddings.
    let fresh = Framewise::open(stores.clone(), ServiceConfig::default())
        .await
        .expect("fresh service");
    let health = fresh.health(now).await;
    assert_eq!(health.model_version, version);
    let model = health.checks.iter().find(|c| c.name == "model");
    assert!(
        model.is_some_and(|c| c.detail.is_none()),
        "the learned model loads: {:?}",
        health.checks
    );
}

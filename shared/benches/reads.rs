//! What a serving container pays per read, and what a stored list weighs, printed as tables:
//! the numbers behind the caching decision in `docs/scaling.md`.
//!
//! 1. stored list bytes: the precomputed lists of a regenerated demo shop as JSON, and
//!    DEFLATE-compressed as the DynamoDB adapter stores them (`data_z`), with scores at the
//!    4 decimals lists keep and, for comparison, at full f32 precision, without reason
//!    texts and without SKUs (what each part weighs);
//! 2. in-container reads, one thread: a trending page from the engine's in-memory model,
//!    and decoding a stored list item (inflate + JSON + hydrating 12 items from the
//!    in-memory catalogue), which is all a precomputed read adds to its one GetItem.
//!
//! ```text
//! cargo bench -p framewise-shared --bench reads -- [--styles 1000] [--customers 2000]
//! ```

use std::time::Instant;

use framewise::adapters::memory_stores;
use framewise::demo::{self, DemoConfig};
use framewise::domain::{RecommendedItem, StoredList};
use framewise::service::{Framewise, ServiceConfig};
use rand::{Rng, SeedableRng};

mod support;
use support::arg;

type Error = Box<dyn std::error::Error>;

fn deflate(json: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec(json, 6)
}

/// p50 and max of `values`.
fn p50_max(mut values: Vec<usize>) -> (usize, usize) {
    values.sort_unstable();
    let p50 = values.get(values.len() / 2).copied().unwrap_or_default();
    (p50, values.last().copied().unwrap_or_default())
}

fn main() -> Result<(), Error> {
    let styles = arg("--styles", 1_000);
    let customers = arg("--customers", 2_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let data = demo::generate(&DemoConfig {
        styles,
        customers,
        ..DemoConfig::default()
    });
    let now = DemoConfig::default().end;
    let service = runtime.block_on(async {
        let service = Framewise::open(memory_stores(), ServiceConfig::default()).await?;
        service.import_styles(&data.styles).await?;
        service.import_customers(&data.customers).await?;
        let signals = framewise::import::interactions_to_signals(&data.interactions);
        service.apply_signals(&signals, now).await?;
        service.regenerate(now, &|_, _| {}).await?;
        Ok::<_, Error>(service)
    })?;
    let mut lists: Vec<StoredList> = Vec::new();
    for customer in &data.customers {
        let stored = runtime.block_on(service.stores().lists.get_list(&customer.id))?;
        lists.extend(stored);
    }

    // 1. Bytes per stored list.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let (mut json, mut packed, mut packed_full, mut items) = (vec![], vec![], vec![], vec![]);
    let (mut codes_only, mut no_skus) = (vec![], vec![]);
    for list in &lists {
        let bytes = serde_json::to_vec(list)?;
        packed.push(deflate(&bytes).len());
        json.push(bytes.len());
        items.push(list.items.len());
        // The same list with every score at full f32 precision (~9 significant digits).
        let mut full = list.clone();
        for item in &mut full.items {
            item.score += rng.gen_range(1e-7..9e-5);
        }
        packed_full.push(deflate(&serde_json::to_vec(&full)?).len());
        // What the reason texts and the SKUs weigh: the list without each.
        let mut codes = list.clone();
        for item in &mut codes.items {
            item.reasons.iter_mut().for_each(|r| r.text.clear());
        }
        codes_only.push(deflate(&serde_json::to_vec(&codes)?).len());
        let mut skuless = list.clone();
        skuless.items.iter_mut().for_each(|item| item.sku = None);
        no_skus.push(deflate(&serde_json::to_vec(&skuless)?).len());
    }
    println!(
        "\nstored lists of a regenerated demo shop ({styles} styles, {} lists)\n",
        lists.len()
    );
    println!("| form | p50 bytes | max bytes |");
    println!("|---|---|---|");
    let rows = [
        ("items per list", p50_max(items)),
        ("JSON", p50_max(json)),
        (
            "DEFLATE, scores at full f32 precision",
            p50_max(packed_full),
        ),
        (
            "DEFLATE, scores at 4 decimals (stored)",
            p50_max(packed.clone()),
        ),
        ("  without reason texts (codes only)", p50_max(codes_only)),
        ("  without SKUs", p50_max(no_skus)),
    ];
    for (form, (p50, max)) in rows {
        println!("| {form} | {p50} | {max} |");
    }

    // 2. In-container reads.
    let engine = service.engine();
    let rounds = 2_000;
    let started = Instant::now();
    let mut shown = 0;
    for _ in 0..rounds {
        shown += service.trending(None, Some(12), now)?.len();
    }
    let trending_us = started.elapsed().as_secs_f64() * 1e6 / rounds as f64;

    let stored: Vec<Vec<u8>> = lists
        .iter()
        .map(|l| serde_json::to_vec(l).map(|j| deflate(&j)))
        .collect::<Result<_, _>>()?;
    let started = Instant::now();
    for packed in stored.iter().cycle().take(rounds) {
        let json = miniz_oxide::inflate::decompress_to_vec(packed).map_err(|e| format!("{e:?}"))?;
        let list: StoredList = serde_json::from_slice(&json)?;
        let page: Vec<RecommendedItem> = list
            .items
            .into_iter()
            .take(12)
            .filter_map(|item| {
                Some(RecommendedItem::from_style(
                    engine.style(&item.style_id)?,
                    item,
                ))
            })
            .collect();
        shown += page.len();
    }
    let decode_us = started.elapsed().as_secs_f64() * 1e6 / rounds as f64;
    println!("\nin-container reads, one thread ({rounds} each; {shown} items shown)\n");
    println!("| read | µs |");
    println!("|---|---|");
    println!("| trending page of 12 (engine memory) | {trending_us:.1} |");
    println!("| stored list: inflate + decode + hydrate 12 | {decode_us:.1} |");
    Ok(())
}

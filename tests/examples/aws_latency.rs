//! Latency of the AWS adapter calls against moto server: prints median and p95 per call.
//!
//! `cargo run -p framewise-integration-tests --example aws_latency [-- <calls>]`
//! (needs `pip install 'moto[server]'`). Numbers measure the adapter plus moto on this
//! machine, not AWS; they are for comparing changes, not for capacity planning.

use std::time::{Duration, Instant};

use chrono::{Duration as ChronoDuration, TimeZone, Utc};
use framewise::adapters::aws::aws_stores;
use framewise::domain::*;
use framewise::ports::Stores;
use framewise_integration_tests::moto::Moto;

fn click(event_id: String, minute: i64) -> Signal {
    Signal {
        event_id,
        customer_id: Some("cu-bench".to_string()),
        session_id: None,
        kind: SignalKind::View,
        style_id: "st-bench".to_string(),
        sku: None,
        timestamp: Utc
            .with_ymd_and_hms(2026, 11, 20, 10, 0, 0)
            .single()
            .unwrap_or_else(Utc::now)
            + ChronoDuration::minutes(minute),
        recommendation_id: None,
        placement: None,
        context: None,
        price_cents: None,
        quantity: None,
        order_id: None,
        rating: None,
        position: None,
        comment: None,
    }
}

fn list() -> StoredList {
    StoredList {
        recommendation_id: "rec-bench".to_string(),
        customer_id: "cu-bench".to_string(),
        model_version: "v1".to_string(),
        generated_at: Utc::now(),
        source: ListSource::Precomputed,
        items: (0..100)
            .map(|i| ScoredItem {
                style_id: format!("st-{i:03}"),
                sku: None,
                score: 1.0 - i as f32 / 100.0,
                reasons: vec![Reason::new("face_shape", "Suits an oval face")],
            })
            .collect(),
    }
}

/// Runs `call` `n` times and returns (median, p95).
async fn measure<F, Fut>(n: usize, mut call: F) -> (Duration, Duration)
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let start = Instant::now();
        call(i).await;
        times.push(start.elapsed());
    }
    times.sort();
    let pick = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    (pick(0.5), pick(0.95))
}

async fn run(stores: &Stores, n: usize) -> Result<Vec<(&'static str, Duration, Duration)>, String> {
    let err = |e: framewise::error::StoreError| e.to_string();
    let history: Vec<Signal> = (0..24).map(|i| click(format!("seed-{i}"), i)).collect();
    stores.signals.apply(&history).await.map_err(err)?;
    stores.lists.put_lists(&[list()]).await.map_err(err)?;
    let subject = Subject::Customer("cu-bench".to_string());
    let mut rows = Vec::new();

    let (m, p) = measure(n, |_| async {
        let _ = stores.lists.get_list_page("cu-bench", 0, 12).await;
    })
    .await;
    rows.push(("get_list_page (GetItem, 100-item list)", m, p));
    let (m, p) = measure(n, |_| async {
        let _ = stores.signals.history(&subject, 50).await;
    })
    .await;
    rows.push(("history (Query, 24 items)", m, p));
    let (m, p) = measure(n, |i| async move {
        let _ = stores.queue.enqueue(&[click(format!("q-{i}"), 0)]).await;
    })
    .await;
    rows.push(("enqueue 1 signal (SendMessageBatch)", m, p));
    let (m, p) = measure(n, |i| async move {
        let _ = stores.signals.apply(&[click(format!("a-{i}"), 30)]).await;
    })
    .await;
    rows.push(("apply 1 view (TransactWriteItems)", m, p));
    Ok(rows)
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200)
        .max(1);
    let moto = Moto::start();
    let (settings, clients) = moto.fresh("bench", 5).await;
    let stores = aws_stores(&clients, &settings);
    let rows = run(&stores, n).await?;
    println!("{n} calls each against moto at {}", moto.endpoint);
    println!("| call | median | p95 |");
    println!("|---|---|---|");
    for (name, median, p95) in rows {
        println!(
            "| {name} | {:.2} ms | {:.2} ms |",
            median.as_secs_f64() * 1e3,
            p95.as_secs_f64() * 1e3
        );
    }
    Ok(())
}

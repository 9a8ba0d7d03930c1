//! Training cost of the Rust iALS (`shared/src/models/als.rs`, conjugate gradient like the
//! `implicit` library's CPU ALS) against size, beside `implicit` on the same synthetic
//! interactions, run back to back, printed as one table:
//! interactions x styles x k x threads -> seconds and peak memory of each trainer.
//!
//! ```text
//! cargo bench -p framewise-shared --bench training -- \
//!     [--interactions 1000000,10000000] [--styles 5000,30000,100000] \
//!     [--factors 32,64,128] [--threads 1,2] [--iterations 5]
//! ```
//!
//! Shop-like data: ~5 interactions per shopper (most eyewear customers have 2-5), styles by a
//! Zipf-like popularity, weights view 1 / try-on 2 / cart 3 / purchase 5; duplicate pairs are
//! summed, as both trainers see one entry per (shopper, style).
//!
//! Every measurement runs in its own process (this binary re-run with `--one`, or
//! `shared/benches/implicit_als.py`), so its peak RSS is its own. `implicit` runs with the
//! interpreter in `FRAMEWISE_BENCH_PYTHON` (default `python3`; `pip install implicit`); when
//! it is missing its columns say so. Compare ratios within one run: the machine is noisy.

use std::io::Write;
use std::process::Command;
use std::time::Instant;

use framewise::models::als::{Als, AlsParams};
use framewise::models::data::{Interaction, TrainData};
use rand::{Rng, SeedableRng};

type Error = Box<dyn std::error::Error>;

const PER_SHOPPER: usize = 5;
const ALPHA: f32 = 8.0;
const REG: f32 = 1.0;

fn list_arg(name: &str, default: &[usize]) -> Vec<usize> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| default.to_vec())
}

/// Deduplicated synthetic interactions: (shoppers, rows sorted by shopper then style).
fn synthetic(interactions: usize, styles: usize) -> (usize, Vec<Interaction>) {
    let shoppers = (interactions / PER_SHOPPER).max(1);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut cumulative = Vec::with_capacity(styles);
    let mut total = 0.0f64;
    for rank in 0..styles {
        total += 1.0 / ((rank + 10) as f64).powf(0.9);
        cumulative.push(total);
    }
    let mut rows: Vec<(u32, u32, f32)> = (0..interactions)
        .map(|_| {
            let user = rng.gen_range(0..shoppers) as u32;
            let pick = rng.gen::<f64>() * total;
            let item = cumulative.partition_point(|c| *c < pick).min(styles - 1) as u32;
            let weight = [1.0, 1.0, 1.0, 2.0, 3.0, 5.0][rng.gen_range(0..6)];
            (user, item, weight)
        })
        .collect();
    rows.sort_unstable_by_key(|r| (r.0, r.1));
    let mut merged: Vec<Interaction> = Vec::with_capacity(rows.len());
    for (user, item, weight) in rows {
        match merged.last_mut() {
            Some(last) if last.user == user && last.item == item => last.weight += weight,
            _ => merged.push(Interaction {
                user,
                item,
                ts: 0,
                weight,
            }),
        }
    }
    (shoppers, merged)
}

/// Peak resident memory of this process in MB (Linux `VmHWM`).
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// The child: trains once and prints `seconds peak_mb`.
fn one(
    interactions: usize,
    styles: usize,
    factors: usize,
    threads: usize,
    iterations: usize,
) -> Result<(), Error> {
    let (shoppers, rows) = synthetic(interactions, styles);
    let train = TrainData::new(shoppers, styles, &rows, None);
    drop(rows);
    let params = AlsParams {
        factors,
        reg: REG,
        alpha: ALPHA,
        iterations,
        cg_steps: 3,
        seed: 42,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let started = Instant::now();
    let model = pool.install(|| Als::fit(&train, params));
    let seconds = started.elapsed().as_secs_f64();
    std::hint::black_box(&model.item);
    println!("{seconds} {}", peak_rss_mb());
    Ok(())
}

/// Runs `command`, whose last stdout line is `seconds peak_mb` (or the implicit script's JSON).
fn measure(mut command: Command) -> Result<(f64, f64), Error> {
    let output = command.output()?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned().into());
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().last().unwrap_or_default();
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(line) {
        let field = |name: &str| json[name].as_f64().unwrap_or(f64::NAN);
        return Ok((field("seconds"), field("peak_rss_mb")));
    }
    let mut parts = line.split_whitespace().map(|x| x.parse::<f64>());
    match (parts.next(), parts.next()) {
        (Some(Ok(seconds)), Some(Ok(peak))) => Ok((seconds, peak)),
        _ => Err(format!("unexpected output: {line}").into()),
    }
}

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    let iterations = list_arg("--iterations", &[5])[0];
    if let Some(at) = args.iter().position(|a| a == "--one") {
        let value = |k: usize| -> Result<usize, Error> {
            Ok(args.get(at + k).ok_or("--one needs 4 values")?.parse()?)
        };
        return one(value(1)?, value(2)?, value(3)?, value(4)?, iterations);
    }
    let sizes = list_arg("--interactions", &[1_000_000]);
    let catalogues = list_arg("--styles", &[5_000, 30_000]);
    let dims = list_arg("--factors", &[32, 64]);
    let threads = list_arg("--threads", &[1, 2]);
    let python = std::env::var("FRAMEWISE_BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/implicit_als.py");
    let has_implicit = Command::new(&python)
        .args(["-c", "import implicit, scipy, threadpoolctl"])
        .output()
        .is_ok_and(|o| o.status.success());
    let exe = std::env::current_exe()?;
    println!(
        "iALS training, {iterations} iterations, CG 3 steps, alpha {ALPHA}, reg {REG}; \
         ~{PER_SHOPPER} interactions per shopper{}\n",
        if has_implicit {
            ""
        } else {
            " (implicit not installed: its columns are empty)"
        }
    );
    println!("| interactions | shoppers | styles | k | threads | Rust s | Rust peak MB | implicit s | implicit peak MB | Rust / implicit time |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for &size in &sizes {
        for &styles in &catalogues {
            let (shoppers, rows) = synthetic(size, styles);
            let dir = tempfile::tempdir()?;
            let rows_path = dir.path().join("rows.bin");
            {
                let mut file = std::io::BufWriter::new(std::fs::File::create(&rows_path)?);
                for r in &rows {
                    file.write_all(&r.user.to_le_bytes())?;
                    file.write_all(&r.item.to_le_bytes())?;
                    file.write_all(&r.weight.to_le_bytes())?;
                }
            }
            let distinct = rows.len();
            drop(rows);
            for &k in &dims {
                for &t in &threads {
                    let mut rust = Command::new(&exe);
                    rust.args(["--one", &size.to_string(), &styles.to_string()])
                        .args([&k.to_string(), &t.to_string()])
                        .args(["--iterations", &iterations.to_string()]);
                    let (rust_s, rust_mb) = measure(rust)?;
                    let theirs = if has_implicit {
                        let mut py = Command::new(&python);
                        py.arg(script)
                            .arg("--rows")
                            .arg(&rows_path)
                            .args([
                                "--users",
                                &shoppers.to_string(),
                                "--items",
                                &styles.to_string(),
                            ])
                            .args([
                                "--factors",
                                &k.to_string(),
                                "--iterations",
                                &iterations.to_string(),
                            ])
                            .args(["--alpha", &ALPHA.to_string(), "--reg", &REG.to_string()])
                            .args(["--threads", &t.to_string()]);
                        Some(measure(py)?)
                    } else {
                        None
                    };
                    let (their_s, their_mb, ratio) = match theirs {
                        Some((s, mb)) => (
                            format!("{s:.2}"),
                            format!("{mb:.0}"),
                            format!("{:.2}", rust_s / s),
                        ),
                        None => ("-".into(), "-".into(), "-".into()),
                    };
                    println!(
                        "| {size} ({distinct} distinct) | {shoppers} | {styles} | {k} | {t} | {rust_s:.2} | {rust_mb:.0} | {their_s} | {their_mb} | {ratio} |"
                    );
                }
            }
        }
    }
    Ok(())
}

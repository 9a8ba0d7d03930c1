//! Taste that evolves, measured offline: the demo shop's drifting cohort (one shopper in 25
//! changes shape, colour and material in the last week, after two months of another look)
//! served with `engine.taste_evolution` on and off. Per seed, the share of the top 12 that
//! fits the cohort's new taste and their earlier one, the steady shoppers' share, and how
//! often drift is detected (and leads) for drifting and for steady shoppers. Each seed runs
//! back to back with `engine.drift_noise` 0 (the default: the raw distance against the
//! threshold), 0.25, 0.5 and 1 (the distance less that many times what the recent signals
//! show by chance).
//!
//! ```text
//! cargo bench -p framewise-shared --bench taste_drift -- [--seeds 3] [--customers 1000] [--styles 300] [--days 120] [--steady 300]
//! ```

use framewise::adapters::memory_stores;
use framewise::demo::DemoConfig;
use framewise::domain::Style;
use framewise::service::{KnownTaste, ServiceConfig};
use framewise::simulation::open_demo_shop;

mod support;
use support::arg;

type Error = Box<dyn std::error::Error>;

const TOP: usize = 12;

fn main() -> Result<(), Error> {
    let seeds = arg("--seeds", 3) as u64;
    let demo = DemoConfig {
        styles: arg("--styles", 300),
        customers: arg("--customers", 1000),
        days: arg("--days", 120) as u32,
        ..DemoConfig::default()
    };
    let steady = arg("--steady", 300);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    println!(
        "{} styles, {} shoppers, {} days; top {TOP}; fits = share of the top that fits the taste",
        demo.styles, demo.customers, demo.days
    );
    println!(
        "{:>4} {:>5} | {:>8} {:>8} {:>7} | {:>17} | {:>17} | {:>17} | {:>12} {:>12}",
        "seed",
        "noise",
        "drifting",
        "detected",
        "leading",
        "new taste on/off",
        "old taste on/off",
        "steady on/off",
        "steady det.",
        "steady lead"
    );
    let settings = [0.0, 0.25, 0.5, 1.0];
    for (seed, drift_noise) in (0..seeds).flat_map(|s| settings.map(|n| (s, n))) {
        let demo = DemoConfig {
            seed: 42 + seed,
            ..demo.clone()
        };
        let mut config = ServiceConfig::default();
        config.engine.drift_noise = drift_noise;
        let check = runtime.block_on(async {
            let (service, data, now) = open_demo_shop(memory_stores(), &demo, config).await?;
            let drifting = data.tastes.iter().filter(|t| t.earlier.is_some());
            let others = data.tastes.iter().filter(|t| t.earlier.is_none());
            let known: Vec<KnownTaste<'_>> = drifting
                .chain(others.take(steady))
                .map(|t| KnownTaste {
                    customer_id: &t.customer_id,
                    fits_now: Box::new(move |s: &Style| t.matches(s)),
                    fitted_before: t.earlier.as_ref().map(|_| {
                        let first = t.first().into_owned();
                        Box::new(move |s: &Style| first.matches(s)) as Box<dyn Fn(&Style) -> bool>
                    }),
                })
                .collect();
            Ok::<_, Error>(service.drift_check(&known, now, TOP).await?)
        })?;
        println!(
            "{:>4} {:>5.2} | {:>8} {:>8} {:>7} | {:>8.3} {:>8.3} | {:>8.3} {:>8.3} | {:>8.3} {:>8.3} | {:>12} {:>12}",
            demo.seed,
            drift_noise,
            check.drifting,
            check.detected,
            check.leading,
            check.new_with,
            check.new_without,
            check.old_with,
            check.old_without,
            check.steady_with,
            check.steady_without,
            format!("{}/{}", check.steady_detected, check.steady),
            format!("{}/{}", check.steady_leading, check.steady),
        );
    }
    Ok(())
}

//! Does the measurement loop tell the truth? Simulated shoppers (`framewise::simulation`)
//! replayed through the real service, printed as tables:
//!
//! 1. A/A: two identical arms, one run per seed (the seed also salts the assignment); how
//!    often the report calls a difference significant at 5% (CTR and conversion).
//! 2. Popularity alone (control) against the personalised engine (treatment): the measured
//!    lift with its 95% interval next to the lift the click model implies for the lists
//!    served, and the plan's success metrics (conversion +15%, AOV +10%, engagement +20%,
//!    p95 list time < 200 ms).
//! 3. A broken arm losing 30% of its visits: the sample-ratio check.
//!
//! ```text
//! cargo bench -p framewise-shared --bench experiments -- [--seeds 20] [--customers 400] [--days 14]
//! ```

use chrono::Duration;
use framewise::adapters::memory_stores;
use framewise::demo::DemoConfig;
use framewise::experiments::stats::Comparison;
use framewise::experiments::ExperimentReport;
use framewise::service::{CollaborativeMode, ServiceConfig};
use framewise::simulation::{
    open_demo_shop, popularity_only, simulate, two_arm_experiment, SimulationConfig,
    SimulationOutcome,
};

mod support;
use support::arg;

type Error = Box<dyn std::error::Error>;

struct Run {
    outcome: SimulationOutcome,
    report: ExperimentReport,
}

async fn run(
    seed: u64,
    customers: usize,
    days: u32,
    arms: (toml::Table, toml::Table),
    lose: Option<(String, f64)>,
) -> Result<Run, Error> {
    let demo = DemoConfig {
        customers,
        seed,
        ..DemoConfig::small()
    };
    let config = ServiceConfig {
        collaborative: CollaborativeMode::Cooccurrence,
        ..ServiceConfig::default()
    };
    let (service, data, now) = open_demo_shop(memory_stores(), &demo, config).await?;
    let start = now + Duration::hours(1);
    let id = format!("exp-{seed}");
    service
        .create_experiment(two_arm_experiment(&id, "home", arms.0, arms.1, start))
        .await?;
    let simulation = SimulationConfig {
        days,
        seed,
        lose_visits_of: lose,
        ..SimulationConfig::default()
    };
    let outcome = simulate(&service, &data, start, &simulation).await?;
    let report = service.experiment_report(&id, outcome.end).await?;
    Ok(Run { outcome, report })
}

fn significant(
    comparisons: &[framewise::experiments::report::MetricComparison],
    metric: &str,
) -> bool {
    comparisons
        .iter()
        .any(|c| format!("{:?}", c.metric) == metric && c.comparison.significant)
}

fn lift(c: &Comparison) -> String {
    let base = c.control.max(f64::MIN_POSITIVE);
    format!(
        "{:+.1}% [{:+.1}%, {:+.1}%]",
        100.0 * c.difference / base,
        100.0 * c.interval.low / base,
        100.0 * c.interval.high / base
    )
}

fn comparison<'a>(report: &'a ExperimentReport, metric: &str) -> Option<&'a Comparison> {
    report
        .primary
        .iter()
        .chain(&report.guardrails)
        .find(|c| format!("{:?}", c.metric) == metric)
        .map(|c| &c.comparison)
}

fn main() -> Result<(), Error> {
    let seeds = arg("--seeds", 20) as u64;
    let customers = arg("--customers", 400);
    let days = arg("--days", 14) as u32;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;

    println!("## A/A: identical arms, {seeds} seeds, {customers} shoppers, {days} days");
    println!("| seed | lists A | lists B | CTR A | CTR B | p (CTR) | significant CTR | significant conversion | SRM |");
    println!("|---|---|---|---|---|---|---|---|---|");
    let (mut false_ctr, mut false_conversion, mut srm) = (0, 0, 0);
    for seed in 1..=seeds {
        let same = (toml::Table::new(), toml::Table::new());
        let r = runtime.block_on(run(seed, customers, days, same, None))?;
        let ctr = comparison(&r.report, "Ctr").ok_or("no CTR comparison")?;
        let sig_ctr = significant(&r.report.primary, "Ctr");
        let sig_conv = significant(&r.report.guardrails, "ConversionRate");
        let mismatch = r.report.sample_ratio.is_some_and(|s| s.mismatch);
        false_ctr += usize::from(sig_ctr);
        false_conversion += usize::from(sig_conv);
        srm += usize::from(mismatch);
        let v = &r.report.variants;
        println!(
            "| {seed} | {} | {} | {:.4} | {:.4} | {:.3} | {sig_ctr} | {sig_conv} | {mismatch} |",
            v[0].counters.exposures, v[1].counters.exposures, v[0].ctr, v[1].ctr, ctr.p_value
        );
    }
    println!(
        "\nfalse positives at 5%: CTR {false_ctr}/{seeds}, conversion {false_conversion}/{seeds} (expected ~{:.1}); SRM alarms {srm}/{seeds}\n",
        seeds as f64 * 0.05
    );

    println!("## Popularity alone (control) vs the personalised engine (treatment), seed 1");
    let arms = (popularity_only(), toml::Table::new());
    let r = runtime.block_on(run(1, customers, days, arms, None))?;
    let truth = |arm: &str| &r.outcome.arms[arm];
    let true_ctr_lift = truth("treatment").true_ctr() / truth("control").true_ctr() - 1.0;
    let true_conv_lift =
        truth("treatment").true_conversion() / truth("control").true_conversion() - 1.0;
    println!("| metric | plan | measured lift [95% interval] | click-model truth |");
    println!("|---|---|---|---|");
    for (metric, plan, truth) in [
        ("Ctr", "engagement +20%", Some(true_ctr_lift)),
        ("ConversionRate", "conversion +15%", Some(true_conv_lift)),
        ("AverageOrderValue", "AOV +10%", None),
    ] {
        let measured = comparison(&r.report, metric).map_or("n/a".into(), lift);
        let truth = truth.map_or("-".into(), |t| format!("{:+.1}%", 100.0 * t));
        println!("| {metric} | {plan} | {measured} | {truth} |");
    }
    for (name, arm) in &r.outcome.arms {
        println!(
            "\n{name}: {} lists, {} clicks, {} purchases, revenue {:.2}, p95 list time {:.2} ms (plan < 200 ms)",
            arm.lists,
            arm.clicks,
            arm.purchases,
            arm.revenue_cents as f64 / 100.0,
            arm.p95_list_millis()
        );
    }
    println!("\n| arm | satisfaction [95%] (truth) | revenue per shopper | shoppers | novelty | intra-list diversity |");
    println!("|---|---|---|---|---|---|");
    for v in &r.report.variants {
        let truth = &r.outcome.arms[&v.name];
        let interval = v
            .satisfaction_interval
            .map_or("-".into(), |i| format!("[{:.2}, {:.2}]", i.low, i.high));
        println!(
            "| {} | {:.2} {interval} ({:.2}) | {:.2} | {} | {:.3} | {:.3} |",
            v.name,
            v.satisfaction.unwrap_or_default(),
            truth.rating_sum as f64 / truth.ratings.max(1) as f64,
            v.revenue_per_shopper / 100.0,
            v.shoppers,
            v.novelty,
            v.intra_list_diversity,
        );
    }

    println!("\n## A broken arm: treatment loses 30% of its visits, seed 1");
    let same = (toml::Table::new(), toml::Table::new());
    let r = runtime.block_on(run(
        1,
        customers,
        days,
        same,
        Some(("treatment".into(), 0.3)),
    ))?;
    let v = &r.report.variants;
    let s = r.report.sample_ratio.ok_or("no sample-ratio check")?;
    println!(
        "lists {} vs {} (lost {}): chi-square {:.1}, p {:.2e}, mismatch {}",
        v[0].counters.exposures,
        v[1].counters.exposures,
        r.outcome.lost_visits,
        s.chi_square,
        s.p_value,
        s.mismatch
    );
    Ok(())
}

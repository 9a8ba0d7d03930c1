//! `framewise experiment create|list|stop|report` and `framewise metrics`: the admin
//! routes of the measurement loop, on the data directory's store.

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};
use framewise::adapters::OpenOptions;
use framewise::experiments::{Experiment, ExperimentReport};
use framewise::service::{MetricsQuery, ServiceConfig};

use crate::CliResult;

#[derive(clap::Args)]
pub struct ExperimentArgs {
    #[command(subcommand)]
    action: ExperimentAction,
    #[arg(
        long,
        env = "FRAMEWISE_DATA_DIR",
        default_value = "data",
        global = true
    )]
    data_dir: PathBuf,
}

#[derive(clap::Subcommand)]
enum ExperimentAction {
    /// Create (or replace, by id) an experiment from a TOML or JSON file (`.json`: JSON).
    Create { file: PathBuf },
    /// One line per experiment: id, placement, state, variants and shares.
    List,
    /// Stop an experiment now; its shoppers get the default lists again.
    Stop { id: String },
    /// The experiment's report: per-variant estimates with intervals and the tests.
    Report {
        id: String,
        /// Print the report as JSON (as `GET /v1/experiments/{id}/report` answers).
        #[arg(long)]
        json: bool,
        /// Also write the HTML report (charts per day, cumulative lift) to this file.
        #[arg(long)]
        html: Option<PathBuf>,
    },
}

#[derive(clap::Args)]
pub struct MetricsArgs {
    /// First day (YYYY-MM-DD); default 6 days before `--to`.
    #[arg(long)]
    from: Option<NaiveDate>,
    /// Last day (YYYY-MM-DD); default today (UTC).
    #[arg(long)]
    to: Option<NaiveDate>,
    #[arg(long)]
    placement: Option<String>,
    /// `experiment/variant`, or `none` for lists outside experiments.
    #[arg(long)]
    variant: Option<String>,
    #[arg(long, env = "FRAMEWISE_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
}

/// An experiment from a file: JSON when it ends in `.json`, else TOML.
fn read_experiment(path: &Path) -> Result<Experiment, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if path.extension().is_some_and(|e| e == "json") {
        Ok(serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?)
    } else {
        Ok(toml::from_str(&text).map_err(|e| format!("{}: {}", path.display(), e.message()))?)
    }
}

pub async fn experiment(
    args: ExperimentArgs,
    config: ServiceConfig,
    options: &OpenOptions,
) -> CliResult {
    let (service, _) = crate::open_service(&args.data_dir, config, options).await?;
    let now = Utc::now();
    match args.action {
        ExperimentAction::Create { file } => {
            let experiment = service.create_experiment(read_experiment(&file)?).await?;
            println!("{}", serde_json::to_string_pretty(&experiment)?);
        }
        ExperimentAction::List => {
            for e in service.experiments().await? {
                let state = match e.stop {
                    Some(stop) if stop <= now => "stopped",
                    _ if e.start > now => "scheduled",
                    _ => "running",
                };
                let arms: Vec<String> = e
                    .variants
                    .iter()
                    .map(|v| format!("{}={}", v.name, v.share))
                    .collect();
                println!(
                    "{}  {}  {state}  traffic {}  {}",
                    e.id,
                    e.placement.as_deref().unwrap_or("(all placements)"),
                    e.traffic,
                    arms.join(" "),
                );
            }
        }
        ExperimentAction::Stop { id } => {
            let experiment = service.stop_experiment(&id, now).await?;
            println!("{} stopped at {:?}", experiment.id, experiment.stop);
        }
        ExperimentAction::Report { id, json, html } => {
            let (experiment, cells) = service.experiment_cells(&id, now).await?;
            let report =
                framewise::experiments::report(&experiment, cells.iter().map(|(k, c)| (k, c)));
            if let Some(path) = &html {
                crate::report_html::write(&experiment, &cells, &report, path)?;
                eprintln!("wrote {}", path.display());
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print_report(&report);
            }
        }
    }
    Ok(())
}

fn print_report(report: &ExperimentReport) {
    println!(
        "experiment {} (primary metric {:?})",
        report.experiment_id, report.primary_metric
    );
    println!(
        "{:<14} {:>10} {:>8} {:>22} {:>8} {:>22} {:>12}",
        "variant", "exposures", "CTR", "95% interval", "conv.", "95% interval", "rev/exp"
    );
    for v in &report.variants {
        println!(
            "{:<14} {:>10} {:>8.4} {:>22} {:>8.4} {:>22} {:>12.2}",
            v.name,
            v.counters.exposures,
            v.ctr,
            format!("[{:.4}, {:.4}]", v.ctr_interval.low, v.ctr_interval.high),
            v.conversion_rate,
            format!(
                "[{:.4}, {:.4}]",
                v.conversion_interval.low, v.conversion_interval.high
            ),
            v.revenue_per_exposure / 100.0,
        );
    }
    for (label, comparisons) in [
        ("primary", &report.primary),
        ("guardrail", &report.guardrails),
    ] {
        for c in comparisons {
            println!(
                "{label} {:?} {} vs control: {}",
                c.metric,
                c.variant,
                serde_json::to_string(&c.comparison).unwrap_or_default()
            );
        }
    }
    if let Some(srm) = &report.sample_ratio {
        println!(
            "sample ratio: {}",
            serde_json::to_string(srm).unwrap_or_default()
        );
    }
    if let Some(mde) = report.minimum_detectable_effect {
        println!("minimum detectable effect (absolute, 80% power): {mde:.5}");
    }
}

pub async fn metrics(args: MetricsArgs, config: ServiceConfig, options: &OpenOptions) -> CliResult {
    let (service, _) = crate::open_service(&args.data_dir, config, options).await?;
    let query = MetricsQuery {
        from: args.from,
        to: args.to,
        placement: args.placement,
        variant: args.variant,
    };
    let report = service.metrics(query, Utc::now()).await?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

#[derive(clap::Args)]
pub struct SimulateArgs {
    /// The experiment to run shoppers through (`framewise experiment create`); it must have
    /// started `--days` days ago or earlier, since the simulated days end now.
    #[arg(long)]
    experiment: String,
    /// Days of shopping, ending now.
    #[arg(long, default_value_t = 7)]
    days: u32,
    /// Chance a shopper visits on a given day.
    #[arg(long, default_value_t = 0.3)]
    visit_rate: f64,
    /// Seed of the shoppers' choices.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// The demo shop the store was loaded with (`serve --demo --styles --customers --seed`):
    /// the same sizes and seed, so the simulated shoppers are its customers with their
    /// hidden tastes.
    #[arg(long, default_value_t = 1000)]
    demo_styles: usize,
    #[arg(long, default_value_t = 5000)]
    demo_customers: usize,
    #[arg(long, default_value_t = 42)]
    demo_seed: u64,
    #[arg(long, env = "FRAMEWISE_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
}

/// Replays demo shoppers through the store's service in the experiment, then prints its
/// report and what the click model says each arm should have scored.
pub async fn simulate(
    args: SimulateArgs,
    config: ServiceConfig,
    options: &OpenOptions,
) -> CliResult {
    let (service, _) = crate::open_service(&args.data_dir, config, options).await?;
    let experiment = service
        .experiments()
        .await?
        .into_iter()
        .find(|e| e.id == args.experiment)
        .ok_or_else(|| {
            format!(
                "no experiment {} (framewise experiment list)",
                args.experiment
            )
        })?;
    let now = Utc::now();
    let start = now - chrono::Duration::days(i64::from(args.days));
    if experiment.start > start {
        return Err(format!(
            "experiment {} starts at {}, after the simulated window ({} days ending now): create it with an earlier start",
            experiment.id, experiment.start, args.days
        )
        .into());
    }
    let placement = experiment
        .placement
        .clone()
        .unwrap_or_else(|| framewise::service::DEFAULT_PLACEMENT.to_string());
    let data = framewise::demo::generate(&framewise::demo::DemoConfig {
        styles: args.demo_styles,
        customers: args.demo_customers,
        seed: args.demo_seed,
        end: now,
        ..framewise::demo::DemoConfig::default()
    });
    let simulation = framewise::simulation::SimulationConfig {
        days: args.days,
        seed: args.seed,
        visit_rate: args.visit_rate,
        placement,
        ..Default::default()
    };
    let bar = crate::spinner("simulating shoppers");
    let outcome = framewise::simulation::simulate(&service, &data, start, &simulation).await?;
    bar.finish_and_clear();
    println!(
        "{} signals from {} arms",
        outcome.signals,
        outcome.arms.len()
    );
    for (name, arm) in &outcome.arms {
        println!(
            "{name}: {} lists, {} clicks, {} purchases; click-model CTR {:.4}, conversion {:.4}; p95 list time {:.1} ms",
            arm.lists,
            arm.clicks,
            arm.purchases,
            arm.true_ctr(),
            arm.true_conversion(),
            arm.p95_list_millis()
        );
    }
    print_report(&service.experiment_report(&experiment.id, now).await?);
    Ok(())
}

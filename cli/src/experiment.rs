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
        ExperimentAction::Report { id, json } => {
            let report = service.experiment_report(&id, now).await?;
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

//! `framewise`: the whole recommendation service on one machine (API, worker, scheduler)
//! over the embedded store, plus demo data, imports and regeneration.

mod check_fit;
mod digest;
mod eval;
mod experiment;
mod http_server;
mod identity;
mod import;
mod merchandising;
mod operate;
mod report_html;
mod serve;
mod storefront;

// The serving path allocates many small strings per request; mimalloc handles that
// measurably better than glibc malloc under concurrent load.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use chrono::Utc;
use clap::{Parser, Subcommand};
use framewise::adapters::{embedded_stores_with, EmbeddedStore, OpenOptions};
use framewise::demo::{self, DemoConfig};
use framewise::service::{Framewise, ServiceConfig};
use indicatif::{ProgressBar, ProgressStyle};
// `serve --demo` loads its history the way `import` does.
pub use import::import_history;

#[derive(Parser)]
#[command(
    name = "framewise",
    version,
    about = "Personalized eyewear recommendations"
)]
struct Cli {
    /// Configuration file (TOML; see `framewise config --print-defaults`). Every key is
    /// optional; without a file the documented defaults apply.
    #[arg(long, global = true, env = "FRAMEWISE_CONFIG_FILE")]
    config: Option<PathBuf>,
    /// The key that seals prescriptions (default: DATA_DIR/keys/kek.bin). Keep it outside
    /// the data directory, so a copy of the directory opens no prescription.
    #[arg(long, global = true, env = "FRAMEWISE_KEY_FILE")]
    key_file: Option<PathBuf>,
    /// Skip the store's integrity check at start (it reads the whole file).
    #[arg(long, global = true)]
    skip_integrity_check: bool,
    #[command(subcommand)]
    command: Command,
}

impl Cli {
    fn open_options(&self) -> OpenOptions {
        OpenOptions {
            key_file: self.key_file.clone(),
            init: false,
            skip_integrity_check: self.skip_integrity_check,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP API, the signal worker and the regeneration scheduler in one process.
    Serve(serve::ServeArgs),
    /// Write seeded demo data: catalog.jsonl, customers.jsonl, interactions.csv, tastes.jsonl.
    DemoData {
        /// Output directory (created if missing).
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        size: DemoSize,
    },
    /// Import a catalogue, customers or interactions file into the data directory.
    Import(import::ImportArgs),
    /// Check that no list recommends a frame the shopper's prescription cannot take.
    CheckFit(check_fit::CheckFitArgs),
    /// Rebuild the model and recompute every customer's list now.
    Regenerate {
        #[arg(long, env = "FRAMEWISE_DATA_DIR", default_value = "data")]
        data_dir: PathBuf,
    },
    /// Write one shopper's email digest (new relevant frames, tracked links) as HTML.
    Digest(digest::DigestArgs),
    /// Offline evaluation of the learned models on interaction data (docs/evaluation.md).
    Eval(eval::EvalArgs),
    /// Mint a development token (signed with the data directory's secret) for a shopper,
    /// a scope, or both; `serve` accepts it while `auth.jwks` is not configured.
    Token(identity::TokenArgs),
    /// Inspect, redrive or purge the signals that failed too often (works next to `serve`).
    Dlq(operate::DlqArgs),
    /// Write a consistent snapshot of the store to a file while it serves.
    Backup(operate::BackupArgs),
    /// Replace the store with a backup (stop `serve` first); the old file is kept aside.
    Restore(operate::RestoreArgs),
    /// Create, list, stop and report A/B experiments.
    Experiment(experiment::ExperimentArgs),
    /// Online metrics per placement, variant, model version and day, as JSON.
    Metrics(experiment::MetricsArgs),
    /// Replay the demo shop's shoppers (hidden tastes, position bias) through an experiment.
    Simulate(experiment::SimulateArgs),
    /// Check a merchandising rules file before publishing it (docs/merchandising.md).
    Merchandising(merchandising::MerchandisingArgs),
    /// Print the documented default configuration, or check a configuration file.
    Config {
        /// Print every key with its default and what it does, as TOML.
        #[arg(long)]
        print_defaults: bool,
    },
}

/// Size and seed of generated demo data.
#[derive(clap::Args, Clone, Debug)]
pub struct DemoSize {
    /// Number of frame styles.
    #[arg(long, default_value_t = 1000)]
    pub styles: usize,
    /// Number of customers.
    #[arg(long, default_value_t = 5000)]
    pub customers: usize,
    /// Days of interaction history, ending now.
    #[arg(long, default_value_t = 180)]
    pub days: u32,
    /// Random seed; the same seed and end date give the same data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

impl DemoSize {
    pub fn config(&self) -> DemoConfig {
        DemoConfig {
            styles: self.styles,
            customers: self.customers,
            days: self.days,
            seed: self.seed,
            end: Utc::now(),
        }
    }
}

fn main() -> ExitCode {
    init_tracing();
    // TLS for fetching an identity provider's JWKS (auth.jwks = "https://...").
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("FRAMEWISE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

type CliResult = Result<(), Box<dyn std::error::Error>>;

async fn run(cli: Cli) -> CliResult {
    let config = load_config(cli.config.as_deref())?;
    let options = cli.open_options();
    match cli.command {
        Command::Serve(args) => serve::serve(args, config, options).await,
        Command::Dlq(args) => operate::dlq(args, &options).await,
        Command::Experiment(args) => experiment::experiment(args, config, &options).await,
        Command::Metrics(args) => experiment::metrics(args, config, &options).await,
        Command::Merchandising(args) => merchandising::run(args),
        Command::Simulate(args) => experiment::simulate(args, config, &options).await,
        Command::Backup(args) => operate::backup(args, &options).await,
        Command::Restore(args) => operate::restore(args, &options),
        Command::Token(args) => identity::print_token(args, &config.auth),
        Command::Config { print_defaults } => {
            if print_defaults {
                print!("{}", framewise::service::DEFAULTS_TOML);
            } else {
                // Reaching here means the file (if any) loaded and validated.
                match &cli.config {
                    Some(path) => println!("{}: valid", path.display()),
                    None => println!(
                        "no --config given: the defaults apply (--print-defaults shows them)"
                    ),
                }
            }
            Ok(())
        }
        Command::Eval(args) => eval::run(args),
        Command::Digest(args) => digest::run(args, config, &options).await,
        Command::DemoData { out, size } => {
            let bar = spinner("generating demo data");
            let data = demo::generate(&size.config());
            bar.set_message("writing files");
            let files = demo::write_dir(&data, &out)?;
            bar.finish_and_clear();
            println!(
                "wrote {} styles, {} customers, {} interactions to {}",
                data.styles.len(),
                data.customers.len(),
                data.interactions.len(),
                out.display()
            );
            println!("{files:#?}");
            Ok(())
        }
        Command::Import(args) => import::run(args, config, &options).await,
        Command::CheckFit(args) => check_fit::run(args, config).await,
        Command::Regenerate { data_dir } => {
            let (service, _) = open_service(&data_dir, config, &options).await?;
            let report = regenerate_with_progress(&service).await?;
            println!(
                "model {}: {} styles, {} lists, {} segment lists in {:.1} s",
                report.model_version, report.styles, report.lists, report.segments, report.seconds
            );
            Ok(())
        }
    }
}

/// The configuration file, validated, or the defaults without one.
fn load_config(path: Option<&Path>) -> Result<ServiceConfig, Box<dyn std::error::Error>> {
    Ok(match path {
        Some(path) => ServiceConfig::from_file(path)?,
        None => ServiceConfig::default(),
    })
}

/// The service over the embedded store of `data_dir`, and the store itself.
async fn open_service(
    data_dir: &Path,
    config: ServiceConfig,
    options: &OpenOptions,
) -> Result<(Arc<Framewise>, Arc<EmbeddedStore>), Box<dyn std::error::Error>> {
    let (stores, store) = embedded_stores_with(data_dir, options)?;
    let weather = framewise::adapters::weather::from_url(
        &config.weather.url,
        std::time::Duration::from_millis(config.weather.timeout_ms),
    )?;
    // Live prices (`[pricing]`); a relative file path is inside the data directory.
    let pricing = &config.pricing;
    let prices = framewise::adapters::prices::from_config(
        pricing.source,
        &pricing.url,
        &data_dir.join(&pricing.path).to_string_lossy(),
        std::time::Duration::from_millis(pricing.timeout_ms),
    )?;
    // Trend feeds and influencer collections dropped in `<data-dir>/feeds/`.
    let feeds = Arc::new(framewise::adapters::LocalFeedSource::new(data_dir));
    // Merchandising rules in `<data-dir>/merchandising.toml` (or `merchandising.file`).
    let rules = Arc::new(framewise::adapters::FileMerchandisingSource::for_data_dir(
        data_dir,
        &config.merchandising.file,
    ));
    let service = Framewise::open(stores, config)
        .await?
        .with_feeds(feeds)
        .with_merchandising(rules);
    let service = match weather {
        Some(source) => service.with_weather(source),
        None => service,
    };
    let service = match prices {
        Some(source) => service.with_prices(source),
        None => service,
    };
    Ok((Arc::new(service), store))
}

pub async fn regenerate_with_progress(
    service: &Framewise,
) -> Result<framewise::service::RegenerateReport, Box<dyn std::error::Error>> {
    let bar = bar(0, "recomputing lists");
    let progress = {
        let bar = bar.clone();
        move |done: usize, total: usize| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    };
    let report = service.regenerate(Utc::now(), &progress).await?;
    bar.finish_and_clear();
    Ok(report)
}

pub fn bar(len: u64, message: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if let Ok(style) =
        ProgressStyle::with_template("{msg:24} [{bar:40}] {pos}/{len} ({elapsed}, eta {eta})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(message);
    bar
}

pub fn spinner(message: &'static str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_message(message);
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

//! `framewise serve`: API, worker and scheduler in one process over the embedded store.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use framewise::demo;
use framewise::service::{Framewise, ServiceConfig};
use tokio::sync::watch;

use crate::http_server::{self, HttpLimits};
use crate::identity;
use crate::operate::lock_serving;
use crate::storefront;
use crate::{import_history, open_service, regenerate_with_progress, spinner, CliResult, DemoSize};
use framewise::adapters::OpenOptions;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (the chosen address is printed).
    #[arg(long, env = "FRAMEWISE_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Where the embedded store and model artifacts live.
    #[arg(long, env = "FRAMEWISE_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    /// Load generated demo data when the store has no catalogue yet.
    #[arg(long)]
    demo: bool,
    #[command(flatten)]
    demo_size: DemoSize,
    /// Seconds between full regenerations of the model and every list (0 = never).
    #[arg(long, env = "FRAMEWISE_REGENERATE_EVERY", default_value_t = 3600)]
    regenerate_every: u64,
    /// Most signals the worker takes from the queue per pass.
    #[arg(long, default_value_t = 100)]
    worker_batch: usize,
    /// Accept signals but leave them queued (maintenance, or inspecting the queue).
    #[arg(long)]
    no_worker: bool,
    /// Start with an empty store even though the data directory shows one existed (its
    /// file is missing or empty but model artifacts are there). Without it, serve refuses.
    #[arg(long)]
    init: bool,
    #[command(flatten)]
    limits: HttpLimits,
}

pub async fn serve(args: ServeArgs, config: ServiceConfig, options: OpenOptions) -> CliResult {
    let auth = config.auth.clone();
    framewise::adapters::embedded::create_private_dir(&args.data_dir)?;
    let _serving = lock_serving(&args.data_dir)?;
    let options = OpenOptions {
        init: args.init,
        ..options
    };
    let (service, _) = open_service(&args.data_dir, config, &options).await?;
    if args.demo && service.engine().styles().next().is_none() {
        load_demo(&service, &args.demo_size, &args.data_dir).await?;
    }
    let verifier = identity::verifier(&auth, &args.data_dir).await?;
    // `--demo` also hosts the storefront; its shopper switcher gets development tokens.
    let mut shoppers = None;
    if args.demo && auth.jwks.is_empty() {
        identity::write_demo_tokens(&args.data_dir, &auth, &demo::customer_id(0))?;
        let customers = storefront::demo_customers(&service).await;
        shoppers = Some(identity::demo_shoppers(&args.data_dir, &auth, &customers)?);
    }

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let worker = (!args.no_worker).then(|| {
        tokio::spawn(run_worker(
            service.clone(),
            args.worker_batch,
            shutdown_rx.clone(),
        ))
    });
    let scheduler = (args.regenerate_every > 0).then(|| {
        tokio::spawn(run_scheduler(
            service.clone(),
            Duration::from_secs(args.regenerate_every),
            shutdown_rx.clone(),
        ))
    });

    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    let local = listener.local_addr()?;
    // Scripts and tests read this line to find the port.
    println!("framewise listening on http://{local}");
    tracing::info!(%local, data_dir = %args.data_dir.display(), "serving");
    let mut app = framewise::api::bearer_auth(framewise::api::router(service.clone()), verifier);
    if args.demo {
        println!("demo shop on http://{local}/");
        app = storefront::with_storefront(app, shoppers);
    }
    http_server::serve(listener, app, &args.limits, shutdown_signal()).await?;

    let _ = shutdown_tx.send(true);
    if let Some(worker) = worker {
        let _ = worker.await;
    }
    if let Some(scheduler) = scheduler {
        scheduler.abort();
    }
    Ok(())
}

async fn load_demo(service: &Framewise, size: &DemoSize, data_dir: &Path) -> CliResult {
    let bar = spinner("generating demo data");
    let data = demo::generate(&size.config());
    bar.finish_and_clear();
    // A trend feed and two influencer collections, read before the lists are computed.
    demo::write_feeds(&data, &data_dir.join("feeds"), Utc::now())?;
    // Promotions for the offers route, unless the merchandiser already has a rules file.
    demo::write_promotions(&data_dir.join("merchandising.toml"))?;
    service.import_styles(&data.styles).await?;
    service
        .import_lens_prices(&demo::demo_lens_prices())
        .await?;
    service.import_customers(&data.customers).await?;
    let signals = framewise::import::interactions_to_signals(&data.interactions);
    import_history(service, &signals).await?;
    let report = regenerate_with_progress(service).await?;
    tracing::info!(
        styles = data.styles.len(),
        customers = data.customers.len(),
        interactions = data.interactions.len(),
        lists = report.lists,
        "demo data loaded"
    );
    Ok(())
}

/// Drains the queue in batches; sleeps until signals arrive (or a second passes, which
/// also picks up messages left from before a restart).
async fn run_worker(service: Arc<Framewise>, batch: usize, mut shutdown: watch::Receiver<bool>) {
    let queued = service.signals_queued();
    loop {
        if *shutdown.borrow() {
            break;
        }
        match service.process_queue(batch, Utc::now()).await {
            Ok(report) if report.received > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "worker pass failed; the batch will be retried"),
        }
        tokio::select! {
            _ = queued.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = shutdown.changed() => {}
        }
    }
}

async fn run_scheduler(
    service: Arc<Framewise>,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval(every);
    ticks.tick().await; // the first tick fires at once; the store was just loaded
    loop {
        tokio::select! {
            _ = ticks.tick() => {
                if let Err(e) = service.regenerate(Utc::now(), &|_, _| {}).await {
                    tracing::error!(error = %e, "scheduled regeneration failed");
                }
            }
            _ = shutdown.changed() => break,
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
    tracing::info!("shutting down");
}

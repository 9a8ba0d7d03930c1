//! Operating the embedded store: the dead letters (`framewise dlq`), online backups
//! (`framewise backup`) and restores (`framewise restore`). The store opens in redb's
//! multi-process mode, so `dlq` and `backup` work next to a running `framewise serve`;
//! `restore` needs the server stopped (it holds `serve.lock`).

use std::fs::File;
use std::path::{Path, PathBuf};

use framewise::adapters::embedded::{restore_file, DeadLetterSelection};
use framewise::adapters::{EmbeddedStore, OpenOptions, DATABASE_FILE, SERVE_LOCK_FILE};

use crate::CliResult;

#[derive(clap::Args)]
pub struct DlqArgs {
    #[command(subcommand)]
    action: DlqAction,
    #[arg(
        long,
        env = "FRAMEWISE_DATA_DIR",
        default_value = "data",
        global = true
    )]
    data_dir: PathBuf,
}

#[derive(clap::Subcommand)]
enum DlqAction {
    /// One line per dead letter: id, receives, event, kind, style, subject.
    List,
    /// The whole signal of one dead letter, as JSON.
    Show { id: u64 },
    /// Queue dead letters again (fresh receive count); each is applied once.
    Redrive {
        /// Dead letter ids; none with --all.
        ids: Vec<u64>,
        #[arg(long, conflicts_with = "ids")]
        all: bool,
    },
    /// Delete dead letters for good.
    Purge {
        ids: Vec<u64>,
        #[arg(long, conflicts_with = "ids")]
        all: bool,
    },
}

fn selection(ids: Vec<u64>, all: bool) -> Result<DeadLetterSelection, String> {
    match (all, ids.is_empty()) {
        (true, _) => Ok(DeadLetterSelection::All),
        (false, false) => Ok(DeadLetterSelection::Ids(ids)),
        (false, true) => Err("name dead letter ids, or pass --all".to_string()),
    }
}

/// Opens the store of `data_dir` next to a running server (no integrity check: the server
/// checked it, and the check would wait for its writes).
fn open_store(
    data_dir: &Path,
    options: &OpenOptions,
) -> Result<EmbeddedStore, Box<dyn std::error::Error>> {
    let path = data_dir.join(DATABASE_FILE);
    if !path.is_file() {
        return Err(format!("no store at {}", path.display()).into());
    }
    let options = OpenOptions {
        skip_integrity_check: true,
        ..options.clone()
    };
    Ok(EmbeddedStore::open_with(&path, &options)?)
}

pub async fn dlq(args: DlqArgs, options: &OpenOptions) -> CliResult {
    let store = open_store(&args.data_dir, options)?;
    match args.action {
        DlqAction::List => {
            let letters = store.dead_letter_entries().await?;
            for letter in &letters {
                match &letter.signal {
                    Some(s) => println!(
                        "{:>8}  receives {:>2}  {}  {}  {}  {}",
                        letter.id,
                        letter.receive_count,
                        s.event_id,
                        s.kind.as_str(),
                        s.style_id,
                        s.subject().map_or("anonymous".to_string(), |s| s.key()),
                    ),
                    None => println!(
                        "{:>8}  undecodable message of {} bytes (purge it)",
                        letter.id, letter.bytes
                    ),
                }
            }
            println!("{} dead letters", letters.len());
        }
        DlqAction::Show { id } => {
            let letters = store.dead_letter_entries().await?;
            let letter = letters
                .iter()
                .find(|l| l.id == id)
                .ok_or_else(|| format!("no dead letter {id}"))?;
            println!("{}", serde_json::to_string_pretty(letter)?);
        }
        DlqAction::Redrive { ids, all } => {
            let moved = store.redrive_dead_letters(selection(ids, all)?).await?;
            println!("{moved} dead letters queued again");
        }
        DlqAction::Purge { ids, all } => {
            let purged = store.purge_dead_letters(selection(ids, all)?).await?;
            println!("{purged} dead letters deleted");
        }
    }
    Ok(())
}

#[derive(clap::Args)]
pub struct BackupArgs {
    /// Where to write the backup (replaced if it exists).
    #[arg(long)]
    out: PathBuf,
    #[arg(long, env = "FRAMEWISE_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
}

pub async fn backup(args: BackupArgs, options: &OpenOptions) -> CliResult {
    let started = std::time::Instant::now();
    let store = open_store(&args.data_dir, options)?;
    let report = store.backup_to(&args.out).await?;
    println!(
        "backup of {} entries ({} bytes) written to {} in {:.2} s; snapshot taken at {}",
        report.entries,
        report.bytes,
        report.path.display(),
        started.elapsed().as_secs_f64(),
        report.taken_at.to_rfc3339()
    );
    Ok(())
}

#[derive(clap::Args)]
pub struct RestoreArgs {
    /// A file written by `framewise backup`.
    backup: PathBuf,
    #[arg(long, env = "FRAMEWISE_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
}

pub fn restore(args: RestoreArgs, options: &OpenOptions) -> CliResult {
    framewise::adapters::embedded::create_private_dir(&args.data_dir)?;
    let _lock = lock_serving(&args.data_dir).map_err(|e| {
        format!("{e}: stop `framewise serve` on this data directory before restoring")
    })?;
    let target = args.data_dir.join(DATABASE_FILE);
    let (taken_at, kept) = restore_file(&args.backup, &target)?;
    // Opening checks the result like a start would (integrity, prescription key).
    EmbeddedStore::open_with(&target, options)?;
    if let Some(kept) = kept {
        println!("the replaced store was kept as {}", kept.display());
    }
    match taken_at {
        Some(at) => println!(
            "restored {}; anything written after {} (signals accepted since included) is not in it",
            target.display(),
            at.to_rfc3339()
        ),
        None => println!("restored {}", target.display()),
    }
    Ok(())
}

/// Takes the data directory's serve lock: held by `framewise serve` while it runs.
pub fn lock_serving(data_dir: &Path) -> Result<File, String> {
    let path = data_dir.join(SERVE_LOCK_FILE);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(_) => Err(format!(
            "{} is in use by a running framewise serve",
            data_dir.display()
        )),
    }
}

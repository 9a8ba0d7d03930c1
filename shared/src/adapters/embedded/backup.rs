//! Online backups of the embedded store. A backup is a new redb file holding every table as
//! of one read transaction: a consistent snapshot taken while the server keeps serving
//! (redb readers do not block the writer), checked with redb's integrity check before it is
//! moved into place. Restoring is the reverse, done with the server stopped: the backup is
//! checked, the current file kept aside, the backup copied in.
//!
//! What a restore loses: everything written after the backup was taken, accepted signals
//! included (locally the queue lives in the same file). `taken_at` in the report says from
//! when; take backups as often as that window must be short (`framewise backup` from cron).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use redb::{
    Database, Key, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition, TableHandle,
    Value, WriteTransaction,
};
use serde::Serialize;

use super::{
    create_tables, RedbResultExt, ACCEPTED_EVENTS, APPLIED_EVENTS, ATTRIBUTED_PURCHASES,
    CELL_COUNTERS, CELL_QUALITY, CREDITED_EVENTS, CUSTOMERS, DAILY, DEAD_LETTERS, DECISIVE_SIGNALS,
    ENGAGED_ORDER, EXPERIMENTS, EXPOSURES, EXPOSURE_IDS, HISTORY, IMPRESSIONS, LENS_PRICES, LISTS,
    META, PAIRS, QUEUE, SEALED_KEYS, STYLES, SUBJECTS, TOMBSTONES,
};
use super::{handle::open_database, EmbeddedStore};
use crate::error::{StoreError, StoreResult};

/// Key in `META` of a backup: when its snapshot was taken (Unix seconds).
const BACKUP_TAKEN_AT: &str = "backup_taken_at";

/// What a backup holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupReport {
    pub path: PathBuf,
    /// When the snapshot was taken: a restore loses what was written after it.
    pub taken_at: DateTime<Utc>,
    pub bytes: u64,
    /// Entries copied, all tables together.
    pub entries: u64,
}

fn copy_table<K: Key + 'static, V: Value + 'static>(
    from: &ReadTransaction,
    to: &WriteTransaction,
    table: TableDefinition<K, V>,
    copied: &mut Vec<String>,
) -> StoreResult<u64> {
    let source = from.open_table(table).db()?;
    let mut target = to.open_table(table).db()?;
    let mut entries = 0;
    for entry in source.iter().db()? {
        let (key, value) = entry.db()?;
        target.insert(key.value(), value.value()).db()?;
        entries += 1;
    }
    copied.push(table.name().to_string());
    Ok(entries)
}

/// Copies every table of the snapshot `from` into `to`; fails if the snapshot holds a table
/// this function does not know, so a table added later cannot be left out of backups.
fn copy_all(from: &ReadTransaction, to: &WriteTransaction) -> StoreResult<u64> {
    let mut copied = Vec::new();
    let c = &mut copied;
    let entries = copy_table(from, to, STYLES, c)?
        + copy_table(from, to, LENS_PRICES, c)?
        + copy_table(from, to, CUSTOMERS, c)?
        + copy_table(from, to, LISTS, c)?
        + copy_table(from, to, APPLIED_EVENTS, c)?
        + copy_table(from, to, HISTORY, c)?
        + copy_table(from, to, DECISIVE_SIGNALS, c)?
        + copy_table(from, to, IMPRESSIONS, c)?
        + copy_table(from, to, SUBJECTS, c)?
        + copy_table(from, to, DAILY, c)?
        + copy_table(from, to, ENGAGED_ORDER, c)?
        + copy_table(from, to, PAIRS, c)?
        + copy_table(from, to, ACCEPTED_EVENTS, c)?
        + copy_table(from, to, QUEUE, c)?
        + copy_table(from, to, DEAD_LETTERS, c)?
        + copy_table(from, to, META, c)?
        + copy_table(from, to, TOMBSTONES, c)?
        + copy_table(from, to, SEALED_KEYS, c)?
        + copy_table(from, to, EXPOSURES, c)?
        + copy_table(from, to, ATTRIBUTED_PURCHASES, c)?
        + copy_table(from, to, EXPOSURE_IDS, c)?
        + copy_table(from, to, CREDITED_EVENTS, c)?
        + copy_table(from, to, CELL_COUNTERS, c)?
        + copy_table(from, to, CELL_QUALITY, c)?
        + copy_table(from, to, EXPERIMENTS, c)?;
    let missed: Vec<String> = from
        .list_tables()
        .db()?
        .map(|t| t.name().to_string())
        .filter(|name| !copied.contains(name))
        .collect();
    if missed.is_empty() {
        Ok(entries)
    } else {
        Err(StoreError::Backend(format!(
            "backup does not copy tables {missed:?}"
        )))
    }
}

/// `path` with `suffix` appended to its file name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

impl EmbeddedStore {
    /// Writes a consistent snapshot of the whole store to `out` (replaced if it exists),
    /// without stopping writers. The file is private (0600) and integrity-checked.
    pub async fn backup_to(&self, out: &Path) -> StoreResult<BackupReport> {
        let out = out.to_path_buf();
        let db = self.db.database()?;
        let result = tokio::task::spawn_blocking(move || {
            let snapshot = db.begin_read().db()?;
            let taken_at = Utc::now();
            let partial = with_suffix(&out, ".partial");
            let _ = std::fs::remove_file(&partial);
            let mut backup = open_database(&partial)?;
            super::startup::make_private(&partial)?;
            let txn = backup.begin_write().db()?;
            create_tables(&txn)?;
            let entries = copy_all(&snapshot, &txn)?;
            txn.open_table(META)
                .db()?
                .insert(
                    BACKUP_TAKEN_AT,
                    u64::try_from(taken_at.timestamp()).unwrap_or(0),
                )
                .db()?;
            txn.commit().db()?;
            drop(snapshot);
            if !backup.check_integrity().db()? {
                return Err(StoreError::Corrupt(format!(
                    "the backup written to {} failed its integrity check",
                    partial.display()
                )));
            }
            drop(backup);
            std::fs::rename(&partial, &out)?;
            let bytes = std::fs::metadata(&out)?.len();
            Ok(BackupReport {
                path: out,
                taken_at,
                bytes,
                entries,
            })
        })
        .await
        .map_err(|e| StoreError::Backend(format!("backup task failed: {e}")))?;
        self.db.observe(result)
    }
}

/// Replaces the store file `target` with the backup `backup`, the server stopped: checks the
/// backup, keeps the current file (if any) aside as `<target>.replaced-<time>`, copies the
/// backup in (through a temporary file, so a crash leaves either file whole). Returns when
/// the backup was taken, and where the replaced file went.
pub fn restore_file(
    backup: &Path,
    target: &Path,
) -> StoreResult<(Option<DateTime<Utc>>, Option<PathBuf>)> {
    let taken_at = {
        let mut db = Database::open(backup).map_err(|e| {
            StoreError::Backend(format!(
                "{} is not a readable backup: {e}",
                backup.display()
            ))
        })?;
        if !db.check_integrity().db()? {
            return Err(StoreError::Corrupt(format!(
                "the backup {} failed its integrity check",
                backup.display()
            )));
        }
        let txn = db.begin_read().db()?;
        let meta = txn.open_table(META).db()?;
        let taken = meta.get(BACKUP_TAKEN_AT).db()?.map(|v| v.value());
        taken.and_then(|secs| DateTime::from_timestamp(i64::try_from(secs).ok()?, 0))
    };
    let incoming = with_suffix(target, ".restoring");
    std::fs::copy(backup, &incoming)?;
    super::startup::make_private(&incoming)?;
    std::fs::File::open(&incoming)?.sync_all()?;
    let kept = if target.exists() {
        let kept = with_suffix(
            target,
            &format!(".replaced-{}", Utc::now().format("%Y%m%dT%H%M%SZ")),
        );
        std::fs::rename(target, &kept)?;
        Some(kept)
    } else {
        None
    };
    std::fs::rename(&incoming, target)?;
    Ok((taken_at, kept))
}

//! The database handle of the embedded store. redb refuses every call on a handle that saw
//! an I/O error ("Previous I/O error occurred") until the file is reopened, so a disk that
//! filled up once would answer 503 until a restart; this handle reopens the file by itself
//! once the calls still using the failed handle are done, and remembers the last failure
//! for the health check (see [`crate::ports::StoreHealth`]).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use chrono::Utc;
use redb::ReadableTableMetadata;
use redb::{Builder, ConcurrencyMode, Database, DatabaseError};

use super::{next_seq, EmbeddedStore, RedbResultExt, HEALTH_PROBE_SEQ, META};
use crate::error::{StoreError, StoreResult};
use crate::ports::{StoreFailure, StoreHealth};

/// Several processes may open the file at once (`framewise serve` and an operator's
/// `framewise dlq` or `framewise backup`); redb still runs one write transaction at a time.
/// Cost, measured by `benches/store_concurrency.rs` against the exclusive mode: about 2x per
/// commit (+0.4 ms on the CI disk, which fsyncs either way) and +2-4 us per read
/// transaction; one `serve` per directory is kept by `serve.lock`, not by redb.
const CONCURRENCY: ConcurrencyMode = ConcurrencyMode::MultiWriter;

/// Opens (or creates) the database file with the store's settings. A file so damaged that
/// redb panics reading it is reported as corrupt.
pub(super) fn open_database(path: &Path) -> StoreResult<Database> {
    std::panic::catch_unwind(|| {
        Builder::new()
            .set_concurrency_mode(CONCURRENCY)
            .create(path)
    })
    .map_err(|_| {
        StoreError::Corrupt(format!(
            "{} cannot be read: it failed its integrity check (the storage layer panicked \
                 on a damaged page). Restore a backup with `framewise restore BACKUP`.",
            path.display()
        ))
    })?
    .map_err(|e| match e {
        DatabaseError::DatabaseAlreadyOpen | DatabaseError::LockProtocolMismatch => {
            StoreError::Backend(format!(
                "data directory is in use by another framewise process: {} is locked",
                path.display()
            ))
        }
        DatabaseError::Storage(redb::StorageError::Corrupted(m)) => StoreError::Corrupt(m),
        other => StoreError::Backend(format!("cannot open {}: {other}", path.display())),
    })
}

pub(super) struct DatabaseHandle {
    path: PathBuf,
    current: RwLock<Option<Arc<Database>>>,
    state: Mutex<HandleState>,
}

#[derive(Default)]
struct HandleState {
    failure: Option<StoreFailure>,
    /// The current handle saw an I/O error and must be reopened before the next call.
    reopen: bool,
    reopened: u64,
}

impl DatabaseHandle {
    pub fn new(path: &Path, db: Database) -> Self {
        Self {
            path: path.to_path_buf(),
            current: RwLock::new(Some(Arc::new(db))),
            state: Mutex::new(HandleState::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, HandleState> {
        // The state is plain data: a panic elsewhere cannot leave it half-written.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The open database; after an I/O error, reopens the file first.
    pub fn database(&self) -> StoreResult<Arc<Database>> {
        if !self.state().reopen {
            let current = self.current.read().unwrap_or_else(|p| p.into_inner());
            if let Some(db) = current.as_ref() {
                return Ok(db.clone());
            }
        }
        self.reopen()
    }

    fn reopen(&self) -> StoreResult<Arc<Database>> {
        let mut slot = self.current.write().unwrap_or_else(|p| p.into_inner());
        if !self.state().reopen {
            if let Some(db) = slot.as_ref() {
                return Ok(db.clone());
            }
        }
        if let Some(old) = slot.take() {
            // The file lock goes only when the last user of the failed handle drops it.
            match Arc::try_unwrap(old) {
                Ok(db) => drop(db),
                Err(in_use) => {
                    *slot = Some(in_use);
                    return Err(StoreError::Io(std::io::Error::other(
                        "the store is recovering from an I/O error; retry shortly",
                    )));
                }
            }
        }
        let db = self.observe(open_database(&self.path).map(Arc::new))?;
        let mut state = self.state();
        state.reopen = false;
        state.reopened += 1;
        tracing::warn!(path = %self.path.display(), "store reopened after an I/O error");
        *slot = Some(db.clone());
        Ok(db)
    }

    /// Records the outcome of a call: an I/O error marks the handle for reopening, and it or
    /// a panic is remembered for the health check; a committed write (`wrote`) clears the
    /// failure (reads can succeed on a disk that cannot take a write). A corrupt record is
    /// that record's problem, reported by its own calls (the file was checked at start).
    pub fn observe<T>(&self, result: StoreResult<T>) -> StoreResult<T> {
        self.observe_call(result, false)
    }

    pub fn observe_write<T>(&self, result: StoreResult<T>) -> StoreResult<T> {
        self.observe_call(result, true)
    }

    fn observe_call<T>(&self, result: StoreResult<T>, wrote: bool) -> StoreResult<T> {
        let kind = match &result {
            Ok(_) => {
                if wrote {
                    let mut state = self.state();
                    if let Some(failure) = state.failure.take() {
                        tracing::warn!(since = %failure.since, "store recovered");
                    }
                }
                return result;
            }
            Err(StoreError::Io(_)) => "io",
            Err(StoreError::Backend(m)) if m.starts_with(PANIC_PREFIX) => "panic",
            Err(_) => return result,
        };
        if let Err(e) = &result {
            let mut state = self.state();
            state.reopen |= kind == "io";
            if state.failure.as_ref().is_none_or(|f| f.kind != kind) {
                tracing::error!(error = %e, kind, "storage failure");
                state.failure = Some(StoreFailure {
                    since: Utc::now(),
                    error: e.to_string(),
                    kind: kind.to_string(),
                });
            }
        }
        result
    }

    pub fn failure(&self) -> Option<StoreFailure> {
        self.state().failure.clone()
    }

    /// Times the file was reopened after an I/O error since the process started.
    pub fn reopened(&self) -> u64 {
        self.state().reopened
    }

    pub fn has_failure(&self) -> bool {
        self.state().failure.is_some()
    }
}

/// Start of the message of a storage task that panicked (see `EmbeddedStore::blocking`).
pub(super) const PANIC_PREFIX: &str = "storage layer panicked";

#[async_trait::async_trait]
impl StoreHealth for EmbeddedStore {
    /// While a failure is remembered, a small write probes whether the disk takes writes
    /// again (reads alone cannot tell a full disk from a healthy one).
    async fn failure(&self) -> Option<StoreFailure> {
        if self.db.has_failure() {
            let _ = self
                .write(|txn| {
                    let mut meta = txn.open_table(META).db()?;
                    next_seq(&mut meta, HEALTH_PROBE_SEQ).map(|_| ())
                })
                .await;
        }
        self.db.failure()
    }

    async fn dead_letters(&self) -> StoreResult<Option<u64>> {
        let txn = self.read()?;
        Ok(Some(txn.open_table(super::DEAD_LETTERS).db()?.len().db()?))
    }
}

//! What redb's multi-process mode costs the embedded store, against the anchor it replaced
//! (`ExclusiveWriter`, one process per file). The store opens in `MultiWriter` so that an
//! operator's `framewise dlq` and `framewise backup` work next to a running server.
//! Rounds alternate the modes back to back on the same disk; compare the ratios.
//!
//!     cargo bench -p framewise-shared --bench store_concurrency

use std::time::Instant;

use redb::{Builder, ConcurrencyMode, ReadableDatabase, TableDefinition};

const TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("lists");
const ROWS: usize = 10_000;
const READS: usize = 200_000;
const COMMITS: usize = 500;

/// Microseconds per read transaction with one get, and per committed one-row write.
fn measure(mode: ConcurrencyMode, dir: &std::path::Path) -> Result<(f64, f64), redb::Error> {
    let path = dir.join(format!("{mode:?}.redb"));
    let _ = std::fs::remove_file(&path);
    let db = Builder::new().set_concurrency_mode(mode).create(&path)?;
    let row = [7u8; 1500]; // about one stored list
    let txn = db.begin_write()?;
    {
        let mut table = txn.open_table(TABLE)?;
        for i in 0..ROWS {
            table.insert(format!("cu-{i:05}").as_str(), row.as_slice())?;
        }
    }
    txn.commit()?;
    let started = Instant::now();
    for i in 0..READS {
        let txn = db.begin_read()?;
        let table = txn.open_table(TABLE)?;
        let _ = table.get(format!("cu-{:05}", i % ROWS).as_str())?;
    }
    let read = started.elapsed().as_secs_f64() * 1e6 / READS as f64;
    let started = Instant::now();
    for i in 0..COMMITS {
        let txn = db.begin_write()?;
        txn.open_table(TABLE)?
            .insert(format!("new-{i}").as_str(), row.as_slice())?;
        txn.commit()?;
    }
    let write = started.elapsed().as_secs_f64() * 1e6 / COMMITS as f64;
    Ok((read, write))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    println!("| round | mode            | read txn + get (us) | commit (us) | read ratio | commit ratio |");
    println!("|---|---|---|---|---|---|");
    for round in 1..=4 {
        let (anchor_read, anchor_write) = measure(ConcurrencyMode::ExclusiveWriter, dir.path())?;
        let (read, write) = measure(ConcurrencyMode::MultiWriter, dir.path())?;
        println!(
            "| {round} | ExclusiveWriter | {anchor_read:.2} | {anchor_write:.0} | 1.00 | 1.00 |"
        );
        println!(
            "| {round} | MultiWriter     | {read:.2} | {write:.0} | {:.2} | {:.2} |",
            read / anchor_read,
            write / anchor_write
        );
    }
    Ok(())
}

//! Brings a data file written by an earlier version to the current layout, inside the
//! write transaction that opens the store, so a file is either migrated whole or not at
//! all. The version reached is recorded in `META` under [`SCHEMA_VERSION_KEY`]; a file
//! without one predates versioning (version 1).

use redb::{ReadableTable, TableDefinition, WriteTransaction};
use serde::Deserialize;

use super::{signal_table, RedbResultExt, HISTORY, META, SCHEMA_VERSION, SCHEMA_VERSION_KEY};
use crate::aggregates::history::HistoryClass;
use crate::domain::SignalKind;
use crate::error::{StoreError, StoreResult};

/// Runs every step the file has not had yet and records the version reached.
pub(super) fn migrate(txn: &WriteTransaction) -> StoreResult<()> {
    let mut meta = txn.open_table(META).db()?;
    let version = meta.get(SCHEMA_VERSION_KEY).db()?.map_or(1, |v| v.value());
    if version > SCHEMA_VERSION {
        return Err(StoreError::Backend(format!(
            "the data file has layout version {version}, newer than the {SCHEMA_VERSION} this \
             framewise reads: run the version that wrote it, or a newer one"
        )));
    }
    if version < 2 {
        let moved = split_history_by_class(txn)?;
        tracing::info!(
            moved,
            "moved decisive signals and impressions out of history"
        );
    }
    if version < 3 {
        txn.delete_table(LEGACY_ENGAGED).db()?;
    }
    meta.insert(SCHEMA_VERSION_KEY, SCHEMA_VERSION).db()?;
    Ok(())
}

/// Version 2's (subject key, style id) -> engagement sequence, which repeated
/// `engaged_order`; version 3 deletes it.
const LEGACY_ENGAGED: TableDefinition<(&str, &str), u64> = TableDefinition::new("engaged");

/// The only field of a stored signal the split needs.
#[derive(Deserialize)]
struct StoredKind {
    kind: SignalKind,
}

/// The class of a stored signal; `None` when its JSON cannot be read, which leaves it in
/// `history`, where reading it fails as it did before the split.
fn stored_class(bytes: &[u8]) -> Option<HistoryClass> {
    serde_json::from_slice::<StoredKind>(bytes)
        .ok()
        .map(|stored| HistoryClass::of(stored.kind))
}

/// Version 1 to 2: moves decisive signals and impressions from `history` (which keeps
/// browsing only) to their own tables, under the same keys. Returns how many moved.
fn split_history_by_class(txn: &WriteTransaction) -> StoreResult<usize> {
    let mut history = txn.open_table(HISTORY).db()?;
    let mut decisive = txn.open_table(signal_table(HistoryClass::Decisive)).db()?;
    let mut impressions = txn
        .open_table(signal_table(HistoryClass::Impression))
        .db()?;
    let mut moved = 0;
    let leaving = history
        .extract_if(|_, bytes| stored_class(bytes).is_some_and(|c| c != HistoryClass::Browsing))
        .db()?;
    for entry in leaving {
        let (key, bytes) = entry.db()?;
        let (key, bytes) = (key.value(), bytes.value());
        let target = match stored_class(bytes) {
            Some(HistoryClass::Decisive) => &mut decisive,
            _ => &mut impressions,
        };
        target.insert(key, bytes).db()?;
        moved += 1;
    }
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration};
    use redb::{Database, ReadableTableMetadata};

    use super::super::{encode, EmbeddedStore, DECISIVE_SIGNALS, IMPRESSIONS};
    use super::*;
    use crate::adapters::time_key::time_key;
    use crate::domain::{Signal, Subject};
    use crate::ports::SignalStore;

    fn signal(event_id: &str, kind: SignalKind, minutes: i64) -> Signal {
        Signal {
            event_id: event_id.to_string(),
            customer_id: Some("c1".to_string()),
            session_id: None,
            kind,
            style_id: "s1".to_string(),
            sku: None,
            timestamp: DateTime::from_timestamp(1_740_000_000, 0).expect("valid time")
                + Duration::minutes(minutes),
            recommendation_id: None,
            placement: None,
            context: None,
            price_cents: None,
            quantity: None,
            order_id: None,
            rating: None,
            position: None,
            comment: None,
        }
    }

    /// A file as version 1 wrote it: every signal of a subject in `history`, no version.
    fn write_version_1(path: &std::path::Path, signals: &[Signal]) {
        let db = Database::create(path).expect("create");
        let txn = db.begin_write().expect("write");
        {
            let mut history = txn.open_table(HISTORY).expect("history");
            for signal in signals {
                let bytes = encode(signal).expect("encode");
                let key = ("c:c1", time_key(signal.timestamp), signal.event_id.as_str());
                history.insert(key, bytes.as_slice()).expect("insert");
            }
        }
        txn.commit().expect("commit");
    }

    fn rows(store: &EmbeddedStore, table: super::super::SignalTable) -> usize {
        let txn = store.read().expect("read");
        let table = txn.open_table(table).expect("table");
        table.len().expect("len") as usize
    }

    #[tokio::test]
    async fn when_version_1_file_opened_should_split_history_once_and_keep_every_signal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("framewise.redb");
        let mut old = vec![signal("buy", SignalKind::Purchase, 0)];
        old.extend((1..=5).map(|i| signal(&format!("v{i}"), SignalKind::View, i)));
        old.extend((6..=9).map(|i| signal(&format!("imp{i}"), SignalKind::Impression, i)));
        old.push(signal("no", SignalKind::Dismiss, 10));
        write_version_1(&path, &old);

        let store = EmbeddedStore::open(&path).expect("open");
        let subject = Subject::Customer("c1".to_string());
        let history = store.history(&subject, 2).await.expect("history");
        let ids: Vec<&str> = history.iter().map(|s| s.event_id.as_str()).collect();
        assert_eq!(ids, ["no", "v5", "v4", "buy"]);
        let all = store.all_signals(&subject).await.expect("all");
        assert_eq!(all.len(), old.len());
        assert_eq!(all.last(), old.first(), "round-trips unchanged");
        assert_eq!(
            (rows(&store, HISTORY), rows(&store, DECISIVE_SIGNALS)),
            (5, 2)
        );
        assert_eq!(rows(&store, IMPRESSIONS), 4);
        drop(store);

        // Reopened: already version 2, nothing moves again.
        let store = EmbeddedStore::open(&path).expect("reopen");
        let txn = store.read().expect("read");
        let meta = txn.open_table(META).expect("meta");
        let version = meta
            .get(SCHEMA_VERSION_KEY)
            .expect("get")
            .map(|v| v.value());
        assert_eq!(version, Some(SCHEMA_VERSION));
        assert_eq!(rows(&store, HISTORY), 5);
    }

    #[tokio::test]
    async fn when_version_2_file_opened_should_drop_the_engaged_table_and_keep_pairing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("framewise.redb");
        {
            let store = EmbeddedStore::open(&path).expect("create");
            store
                .apply(&[signal("e1", SignalKind::Purchase, 0)])
                .await
                .expect("apply");
            drop(store);
            let db = Database::create(&path).expect("open as version 2");
            let txn = db.begin_write().expect("write");
            txn.open_table(LEGACY_ENGAGED)
                .expect("engaged")
                .insert(("c:c1", "s1"), 1)
                .expect("insert");
            txn.open_table(META)
                .expect("meta")
                .insert(SCHEMA_VERSION_KEY, 2)
                .expect("version");
            txn.commit().expect("commit");
        }
        let store = EmbeddedStore::open(&path).expect("open");
        {
            let txn = store.read().expect("read");
            assert!(txn.open_table(LEGACY_ENGAGED).is_err(), "engaged is gone");
        }
        // The first engagement is still known: a second style pairs with it, the same style
        // again pairs nothing.
        let mut second = signal("e2", SignalKind::Purchase, 1);
        second.style_id = "s2".to_string();
        let again = signal("e3", SignalKind::Click, 2);
        store.apply(&[second, again]).await.expect("apply");
        let pairs = store.co_occurrences().await.expect("pairs");
        assert_eq!(pairs.len(), 1);
        assert_eq!((pairs[0].style_a.as_str(), pairs[0].subjects), ("s1", 1));
    }

    #[test]
    fn when_file_is_of_a_newer_layout_should_refuse_to_open() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("framewise.redb");
        {
            let db = Database::create(&path).expect("create");
            let txn = db.begin_write().expect("write");
            txn.open_table(META)
                .expect("meta")
                .insert(SCHEMA_VERSION_KEY, SCHEMA_VERSION + 1)
                .expect("insert");
            txn.commit().expect("commit");
        }
        match EmbeddedStore::open(&path) {
            Err(StoreError::Backend(message)) => assert!(message.contains("newer"), "{message}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
}

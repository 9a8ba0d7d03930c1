//! Every record of the embedded store as text, for tests that check what an erasure left
//! behind (compiled only for tests and the `conformance` feature).

use std::collections::BTreeSet;

use redb::{ReadableTable, TableHandle};

use super::{
    EmbeddedStore, RedbResultExt, ACCEPTED_EVENTS, APPLIED_EVENTS, ATTRIBUTED_PURCHASES,
    CELL_COUNTERS, CELL_QUALITY, CREDITED_EVENTS, CUSTOMERS, DAILY, DEAD_LETTERS, DECISIVE_SIGNALS,
    ENGAGED_ORDER, EXPERIMENTS, EXPOSURES, EXPOSURE_IDS, HISTORY, IMPRESSIONS, LENS_PRICES, LISTS,
    META, PAIRS, QUEUE, SEALED_KEYS, STYLES, SUBJECTS, TOMBSTONES,
};
use crate::error::{StoreError, StoreResult};

/// Appends `<table>: <key> => <value>` for every entry of `$table`, the key and value shown
/// by `$show` (bytes as lossy UTF-8: records are JSON).
macro_rules! dump {
    ($txn:expr, $out:expr, $seen:expr, $table:expr, |$k:ident, $v:ident| $show:expr) => {{
        let table = $txn.open_table($table).db()?;
        $seen.insert($table.name().to_string());
        for entry in table.iter().db()? {
            let (key, value) = entry.db()?;
            let ($k, $v) = (key.value(), value.value());
            $out.push(format!("{}: {}", $table.name(), $show));
        }
    }};
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

impl EmbeddedStore {
    /// Every entry of every table, one line each. Fails if the database holds a table this
    /// function does not read, so a table added later cannot escape an erasure check.
    pub fn raw_records(&self) -> StoreResult<Vec<String>> {
        let txn = self.read()?;
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        dump!(txn, out, seen, STYLES, |k, v| format!("{k} => {}", text(v)));
        dump!(txn, out, seen, LENS_PRICES, |k, v| format!(
            "{k} => {}",
            text(v)
        ));
        dump!(txn, out, seen, CUSTOMERS, |k, v| format!(
            "{k} => {}",
            text(v)
        ));
        dump!(txn, out, seen, LISTS, |k, v| format!("{k} => {}", text(v)));
        dump!(txn, out, seen, APPLIED_EVENTS, |k, _v| k.to_string());
        for table in [HISTORY, DECISIVE_SIGNALS, IMPRESSIONS] {
            dump!(txn, out, seen, table, |k, v| format!(
                "{k:?} => {}",
                text(v)
            ));
        }
        dump!(txn, out, seen, SUBJECTS, |k, _v| k.to_string());
        dump!(txn, out, seen, DAILY, |k, v| format!("{k:?} => {v:?}"));
        dump!(txn, out, seen, ENGAGED_ORDER, |k, v| format!(
            "{k:?} => {v}"
        ));
        dump!(txn, out, seen, PAIRS, |k, v| format!("{k:?} => {v}"));
        dump!(txn, out, seen, ACCEPTED_EVENTS, |k, _v| k.to_string());
        dump!(txn, out, seen, QUEUE, |k, v| format!("{k} => {}", text(v)));
        dump!(txn, out, seen, DEAD_LETTERS, |k, v| format!(
            "{k} => {}",
            text(v)
        ));
        dump!(txn, out, seen, META, |k, v| format!("{k} => {v}"));
        dump!(txn, out, seen, TOMBSTONES, |k, v| format!(
            "{k} => {}",
            text(v)
        ));
        dump!(txn, out, seen, SEALED_KEYS, |k, _v| k.to_string());
        for table in [EXPOSURES, ATTRIBUTED_PURCHASES] {
            dump!(txn, out, seen, table, |k, v| format!(
                "{k:?} => {}",
                text(v)
            ));
        }
        for table in [EXPOSURE_IDS, CREDITED_EVENTS] {
            dump!(txn, out, seen, table, |k, _v| k.to_string());
        }
        dump!(txn, out, seen, CELL_COUNTERS, |k, v| format!(
            "{k:?} => {v:?}"
        ));
        dump!(txn, out, seen, CELL_QUALITY, |k, v| format!(
            "{k:?} => {v:?}"
        ));
        dump!(txn, out, seen, EXPERIMENTS, |k, v| format!(
            "{k} => {}",
            text(v)
        ));
        let unread: Vec<String> = txn
            .list_tables()
            .db()?
            .map(|t| t.name().to_string())
            .filter(|name| !seen.contains(name))
            .collect();
        if unread.is_empty() {
            Ok(out)
        } else {
            Err(StoreError::Backend(format!(
                "raw_records does not read tables {unread:?}"
            )))
        }
    }
}

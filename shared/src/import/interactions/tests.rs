//! Reading interaction history: errors naming line and field, event ids, chunks, and the
//! grouping by subject that must leave a store as applying in file order does.

use std::path::Path;

use chrono::NaiveDate;

use super::*;
use crate::adapters::embedded::EmbeddedStore;
use crate::adapters::memory::MemoryStore;
use crate::demo::{generate, DemoConfig};
use crate::ports::SignalStore;

fn dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write test file");
}

#[test]
fn when_kind_is_unknown_should_name_line_and_field() {
    let d = dir();
    let path = d.path().join("interactions.csv");
    write(
        &path,
        "customer_id,style_id,kind,timestamp\n\
         cu-1,st-1,view,2025-05-01T10:00:00Z\n\
         cu-1,st-1,wishlist,2025-05-01T10:01:00Z\n",
    );
    let err = read_interactions_csv(&path).expect_err("unknown kind");
    match &err {
        ImportError::Invalid { line, errors, .. } => {
            assert_eq!(*line, 3);
            assert_eq!(errors.0[0].field, "kind");
        }
        other => panic!("expected Invalid, got {other}"),
    }
    assert!(err.to_string().contains("interactions.csv:3:"), "{err}");
    assert!(err.to_string().contains("wishlist"), "{err}");
}

#[test]
fn when_timestamp_is_not_rfc3339_or_in_the_future_should_reject_the_row() {
    let d = dir();
    let path = d.path().join("interactions.csv");
    write(
        &path,
        "customer_id,style_id,kind,timestamp\ncu-1,st-1,view,yesterday\n",
    );
    let err = read_interactions_csv(&path).expect_err("bad time");
    assert!(err.to_string().contains("timestamp"), "{err}");
    write(
        &path,
        "customer_id,style_id,kind,timestamp\ncu-1,st-1,view,2999-01-01T00:00:00Z\n",
    );
    let err = read_interactions_csv(&path).expect_err("future");
    assert!(err.to_string().contains("future"), "{err}");
}

#[test]
fn when_a_header_column_is_missing_should_say_which() {
    let d = dir();
    let path = d.path().join("interactions.csv");
    write(
        &path,
        "customer_id,style_id,timestamp\ncu-1,st-1,2025-05-01T10:00:00Z\n",
    );
    let err = read_interactions_csv(&path).expect_err("no kind column");
    assert_eq!(err.line(), Some(1));
    assert!(err.to_string().contains("missing column 'kind'"), "{err}");
}

#[test]
fn when_a_row_has_too_few_fields_should_name_the_line() {
    let d = dir();
    let path = d.path().join("interactions.csv");
    write(
        &path,
        "customer_id,style_id,kind,timestamp\ncu-1,st-1,view,2025-05-01T10:00:00Z\ncu-1,st-1\n",
    );
    let err = read_interactions_csv(&path).expect_err("short row");
    assert_eq!(err.line(), Some(3), "{err}");
}

#[test]
fn when_columns_are_reordered_and_lines_blank_should_still_read() {
    let d = dir();
    let path = d.path().join("interactions.csv");
    write(
        &path,
        "timestamp,kind,style_id,customer_id,extra\n\
         2025-05-01T10:00:00+02:00,try_on,st-1,cu-1,x\n\
         \n\
         2025-05-01T10:05:00Z,purchase,st-2,cu-1,y\n",
    );
    let signals = read_interactions_csv(&path).expect("valid file");
    assert_eq!(signals.len(), 2);
    assert_eq!(signals[0].kind, SignalKind::TryOn);
    assert_eq!(signals[0].customer_id.as_deref(), Some("cu-1"));
    assert_eq!(signals[0].session_id, None);
    assert_eq!(
        signals[0].timestamp.to_rfc3339(),
        "2025-05-01T08:00:00+00:00"
    );
    assert_eq!(signals[1].style_id, "st-2");
}

#[test]
fn when_the_same_row_is_imported_twice_should_get_the_same_event_id() {
    let d = dir();
    let path = d.path().join("interactions.csv");
    write(
        &path,
        "customer_id,style_id,kind,timestamp\n\
         cu-1,st-1,view,2025-05-01T10:00:00Z\n\
         cu-1,st-1,view,2025-05-01T10:00:00+00:00\n\
         cu-1,st-1,click,2025-05-01T10:00:00Z\n",
    );
    let first = read_interactions_csv(&path).expect("read");
    let second = read_interactions_csv(&path).expect("read again");
    assert_eq!(first, second);
    assert_eq!(first[0].event_id, first[1].event_id);
    assert_ne!(first[0].event_id, first[2].event_id);
    assert!(first[0].event_id.starts_with("imp-"));
    assert!(validate_id(&first[0].event_id).is_ok());
}

#[test]
fn when_event_id_is_computed_should_be_stable_across_releases() {
    let t = DateTime::parse_from_rfc3339("2025-05-01T10:00:00Z")
        .expect("time")
        .with_timezone(&Utc);
    // Pinned: changing the hash would make re-imports duplicate history.
    let id = interaction_event_id("cu-1", "st-1", SignalKind::View, t);
    assert_eq!(
        id,
        interaction_event_id("cu-1", "st-1", SignalKind::View, t)
    );
    assert_eq!(id.len(), 20);
    let mut h = Fnv1a::new();
    h.write(b"a");
    assert_eq!(h.0, 0xaf63_dc4c_8601_ec8c, "FNV-1a test vector for 'a'");
}

/// The demo interactions of a small shop written as CSV, with the signals they hold.
fn demo_file(dir: &Path) -> (std::path::PathBuf, Vec<Signal>) {
    let data = generate(&DemoConfig::small());
    let path = dir.join("interactions.csv");
    write_interactions_csv(&path, &data.interactions).expect("write interactions");
    (path, interactions_to_signals(&data.interactions))
}

#[test]
fn when_read_in_chunks_should_give_the_whole_file_in_order() {
    let d = dir();
    let (path, signals) = demo_file(d.path());
    assert!(signals.len() > 1000, "{} rows", signals.len());
    let chunks: Vec<Vec<Signal>> = InteractionChunks::open(&path, 700)
        .expect("open")
        .collect::<Result<_, _>>()
        .expect("valid rows");
    assert!(chunks.iter().all(|c| !c.is_empty() && c.len() <= 700));
    assert_eq!(chunks.len(), signals.len().div_ceil(700));
    assert_eq!(chunks.concat(), signals);
    assert_eq!(read_interactions_csv(&path).expect("whole file"), signals);
}

#[test]
fn when_a_later_chunk_holds_a_bad_row_should_end_with_its_line() {
    let d = dir();
    let path = d.path().join("interactions.csv");
    write(
        &path,
        "customer_id,style_id,kind,timestamp\n\
         cu-1,st-1,view,2025-05-01T10:00:00Z\n\
         cu-1,st-2,view,2025-05-01T10:01:00Z\n\
         cu-1,st-3,view,2025-05-01T10:02:00Z\n\
         cu-1,st 4,view,2025-05-01T10:03:00Z\n\
         cu-1,st-5,view,2025-05-01T10:04:00Z\n",
    );
    let mut chunks = InteractionChunks::open(&path, 2).expect("open");
    assert_eq!(chunks.next().expect("first").expect("valid").len(), 2);
    let err = chunks.next().expect("second").expect_err("bad style id");
    assert_eq!(err.line(), Some(5), "{err}");
    assert!(err.to_string().contains("interactions.csv:5: "), "{err}");
    assert!(err.to_string().contains("style_id"), "{err}");
    assert!(
        chunks.next().is_none(),
        "reading stops at the first bad row"
    );
    assert!(chunks.bytes_read() > 0);
}

#[test]
fn when_grouped_by_subject_should_keep_each_subjects_order() {
    let d = dir();
    let (_, mut signals) = demo_file(d.path());
    let original = signals.clone();
    group_by_subject(&mut signals);
    let key = |s: &Signal| s.subject().map(|subject| subject.key());
    let keys: Vec<_> = signals.iter().map(key).collect();
    assert!(keys.windows(2).all(|w| w[0] <= w[1]), "grouped by subject");
    let own = |list: &[Signal], k: &Option<String>| -> Vec<String> {
        list.iter()
            .filter(|s| key(s) == *k)
            .map(|s| s.event_id.clone())
            .collect()
    };
    for k in keys.iter().step_by(97) {
        assert_eq!(own(&signals, k), own(&original, k));
    }
}

/// Everything a signal store derives from the signals, in a comparable order.
async fn store_state(store: &dyn SignalStore) -> String {
    let mut out = Vec::new();
    let mut subjects = store.subjects().await.expect("subjects");
    subjects.sort();
    for subject in &subjects {
        let history = store.history(subject, usize::MAX).await.expect("history");
        let ids: Vec<&str> = history.iter().map(|s| s.event_id.as_str()).collect();
        let engaged = store.engaged_styles(subject).await.expect("engaged");
        out.push(format!("{subject:?} {ids:?} {engaged:?}"));
    }
    let mut pairs = store.co_occurrences().await.expect("pairs");
    pairs.sort_by(|a, b| (&a.style_a, &a.style_b).cmp(&(&b.style_a, &b.style_b)));
    out.push(format!("{pairs:?}"));
    let mut daily = store.daily_counts(NaiveDate::MIN).await.expect("daily");
    daily.sort_by(|a, b| (a.day, &a.style_id).cmp(&(b.day, &b.style_id)));
    out.push(format!("{daily:?}"));
    out.join("\n")
}

/// Applies `signals` as the import does (grouped chunks) and in file order in one call.
async fn assert_grouped_chunks_apply_like_file_order(
    imported: &dyn SignalStore,
    file_order: &dyn SignalStore,
    signals: &[Signal],
) {
    let mut applied = 0;
    for chunk in signals.chunks(500) {
        let mut chunk = chunk.to_vec();
        group_by_subject(&mut chunk);
        applied += imported.apply(&chunk).await.expect("apply chunk").len();
    }
    assert_eq!(applied, signals.len());
    file_order.apply(signals).await.expect("apply in order");
    assert_eq!(store_state(imported).await, store_state(file_order).await);
    // Idempotent: the same chunks again apply nothing.
    for chunk in signals.chunks(500) {
        let mut chunk = chunk.to_vec();
        group_by_subject(&mut chunk);
        assert!(imported.apply(&chunk).await.expect("again").is_empty());
    }
}

#[tokio::test]
async fn when_grouped_chunks_are_applied_should_leave_the_store_as_file_order_does() {
    let d = dir();
    let (_, mut signals) = demo_file(d.path());
    // A few anonymous sessions too: they are subjects of their own.
    for s in signals.iter_mut().step_by(11) {
        s.session_id = s.customer_id.take().map(|c| format!("sess-{c}"));
    }
    assert_grouped_chunks_apply_like_file_order(&MemoryStore::new(), &MemoryStore::new(), &signals)
        .await;
    let imported = EmbeddedStore::open(&d.path().join("a/framewise.redb")).expect("store a");
    let file_order = EmbeddedStore::open(&d.path().join("b/framewise.redb")).expect("store b");
    assert_grouped_chunks_apply_like_file_order(&imported, &file_order, &signals).await;
}

//! Conformance suite for the record, signal and queue ports, written once over [`Stores`]
//! and run against every implementation: in-memory and embedded here, DynamoDB/SQS/S3 over
//! moto in the integration tests (public with the `conformance` feature). Every backend
//! runs the one scenario list of [`conformance_tests!`](crate::conformance_tests).
//!
//! Each scenario expects fresh, empty stores and a queue that dead-letters a message after
//! [`MAX_RECEIVES`] receives.

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use crate::domain::*;
use crate::experiments::attribution::{
    Action, AttributedPurchase, Attribution, CellKey, Counters, Credit, Exposure, Touch,
};
use crate::experiments::{Experiment, ExperimentVariant, Metric};
use crate::ports::{CoOccurrence, Stores, Tombstone};

/// Receives after which the queue under test must dead-letter a message.
pub const MAX_RECEIVES: u32 = 3;

/// How the queue under test treats what the port leaves to the backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueSemantics {
    /// The local queues: an `event_id` accepted before is reported as a duplicate.
    Local,
    /// SQS: every signal is queued (duplicates = 0); the worker dedupes by `event_id`.
    Sqs,
}

/// Fresh stores under test, plus what the ports do not expose.
#[async_trait]
pub trait Harness: Send + Sync {
    fn stores(&self) -> &Stores;
    /// Signals moved to the dead letters, oldest first.
    async fn dead_letters(&self) -> Vec<Signal>;
    fn queue_semantics(&self) -> QueueSemantics {
        QueueSemantics::Local
    }
    /// The co-occurrence pairing cap the stores under test were built with.
    fn pair_cap(&self) -> usize {
        crate::adapters::MAX_PAIRED_STYLES
    }
    /// Every record of the record, signal and local queue stores as one line of text (keys
    /// and values), read around the ports, so a scenario can check that nothing names an
    /// erased shopper. (Not SQS, which cannot delete selected messages, nor artifacts.)
    async fn raw_records(&self) -> Vec<String>;
}

#[cfg(test)]
mod local {
    use std::sync::Arc;

    use async_trait::async_trait;
    use tempfile::TempDir;

    use super::Harness;
    use crate::adapters::{
        EmbeddedStore, LocalArtifactStore, MemoryArtifactStore, MemoryMeasurementStore, MemoryStore,
    };
    use crate::domain::Signal;
    use crate::ports::Stores;

    /// The stores under test plus the inherent dead-letter view and the temp dir to keep alive.
    pub(super) struct Fixture {
        stores: Stores,
        backend: Backend,
        _dir: Option<TempDir>,
    }

    enum Backend {
        Memory(Arc<MemoryStore>),
        Embedded(Arc<EmbeddedStore>),
    }

    #[async_trait]
    impl Harness for Fixture {
        fn stores(&self) -> &Stores {
            &self.stores
        }

        async fn dead_letters(&self) -> Vec<Signal> {
            match &self.backend {
                Backend::Memory(store) => store.dead_letters(),
                Backend::Embedded(store) => store.dead_letters(),
            }
            .expect("dead letters")
        }

        async fn raw_records(&self) -> Vec<String> {
            match &self.backend {
                Backend::Memory(store) => store.raw_records(),
                Backend::Embedded(store) => store.raw_records(),
            }
            .expect("raw records")
        }
    }

    pub(super) fn memory() -> Fixture {
        let store = Arc::new(MemoryStore::new().with_max_receives(super::MAX_RECEIVES));
        Fixture {
            stores: Stores {
                catalog: store.clone(),
                profiles: store.clone(),
                lists: store.clone(),
                signals: store.clone(),
                queue: store.clone(),
                artifacts: Arc::new(MemoryArtifactStore::new()),
                measurements: Arc::new(MemoryMeasurementStore::new()),
                health: store.clone(),
            },
            backend: Backend::Memory(store),
            _dir: None,
        }
    }

    pub(super) fn embedded() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(
            EmbeddedStore::open(&dir.path().join("framewise.redb"))
                .expect("open")
                .with_max_receives(super::MAX_RECEIVES),
        );
        Fixture {
            stores: Stores {
                catalog: store.clone(),
                profiles: store.clone(),
                lists: store.clone(),
                signals: store.clone(),
                queue: store.clone(),
                artifacts: Arc::new(LocalArtifactStore::new(dir.path())),
                measurements: store.clone(),
                health: store.clone(),
            },
            backend: Backend::Embedded(store),
            _dir: Some(dir),
        }
    }
}

fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, day, hour, minute, 0)
        .single()
        .expect("valid time")
}

fn date(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, day).expect("valid date")
}

fn signal(
    event_id: &str,
    customer: &str,
    kind: SignalKind,
    style: &str,
    ts: DateTime<Utc>,
) -> Signal {
    Signal {
        event_id: event_id.to_string(),
        customer_id: Some(customer.to_string()),
        session_id: None,
        kind,
        style_id: style.to_string(),
        sku: None,
        timestamp: ts,
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

fn click(event_id: &str, customer: &str, style: &str) -> Signal {
    signal(event_id, customer, SignalKind::Click, style, at(1, 12, 0))
}

fn ids(signals: &[Signal]) -> Vec<&str> {
    signals.iter().map(|s| s.event_id.as_str()).collect()
}

fn pair(a: &str, b: &str, subjects: u32) -> CoOccurrence {
    CoOccurrence {
        style_a: a.to_string(),
        style_b: b.to_string(),
        subjects,
    }
}

fn style(id: &str, price_cents: u32) -> Style {
    Style {
        id: id.to_string(),
        name: format!("Frame {id}"),
        brand: "Acme".to_string(),
        category: Category::Optical,
        shape: Shape::Round,
        rim: RimType::Full,
        material: Material::Acetate,
        price_cents,
        currency: "USD".to_string(),
        active: true,
        tags: vec!["classic".to_string()],
        launch_date: date(1),
        image_url: "https://example.com/a.jpg".to_string(),
        sizes: vec![FrameSize {
            label: "50".to_string(),
            lens_width: 50.0,
            bridge: 20.0,
            temple_length: 145.0,
            lens_height: 40.0,
            effective_diameter: 54.5,
            total_width: 132.0,
        }],
        colourways: vec![Colourway {
            code: "blk".to_string(),
            colour: FrameColour {
                name: "Black".to_string(),
                family: ColourFamily::Black,
                temperature: Temperature::Neutral,
                value: ColourValue::Dark,
                finish: Finish::Glossy,
                pattern: Pattern::Solid,
                hex: None,
            },
            image_url: None,
            variants: vec![Variant {
                sku: format!("{id}-blk-50"),
                size: "50".to_string(),
                stock: 3,
            }],
        }],
    }
}

/// A customer with a prescription (and a face shape), for tests of sealing and erasure.
/// Values are distinctive so tests can look for them in raw bytes.
pub fn customer_with_rx(id: &str) -> Customer {
    Customer {
        face_shape: Some(FaceShape::Oval),
        prescription: Some(Prescription {
            od: EyeRx {
                sph: -7.25,
                cyl: -1.75,
                axis: Some(35),
                add: None,
                prism: None,
            },
            os: EyeRx {
                sph: -6.75,
                cyl: 0.0,
                axis: None,
                add: None,
                prism: None,
            },
            pd: PupillaryDistance::Binocular(58.5),
            fitting_height: None,
        }),
        ..Customer::new(id)
    }
}

fn list(customer: &str, version: &str) -> StoredList {
    StoredList {
        recommendation_id: format!("r-{customer}-{version}"),
        customer_id: customer.to_string(),
        model_version: version.to_string(),
        generated_at: at(2, 8, 30),
        source: ListSource::Precomputed,
        items: vec![ScoredItem {
            style_id: "s1".to_string(),
            sku: Some("s1-blk-50".to_string()),
            score: 0.8125,
            reasons: vec![Reason::new("face_shape", "Suits an oval face")],
        }],
    }
}

/// Conformance scenario, run on every backend.
pub async fn when_same_event_applied_twice_should_count_once(h: &dyn Harness) {
    let signals = &h.stores().signals;
    let e1 = click("e1", "c1", "A");
    assert_eq!(
        ids(&signals
            .apply(std::slice::from_ref(&e1))
            .await
            .expect("apply")),
        ["e1"]
    );
    assert!(signals
        .apply(std::slice::from_ref(&e1))
        .await
        .expect("apply")
        .is_empty());
    let subject = Subject::Customer("c1".to_string());
    assert_eq!(
        signals.history(&subject, 10).await.expect("history"),
        std::slice::from_ref(&e1)
    );
    let counts = signals.daily_counts(date(1)).await.expect("counts");
    assert_eq!(counts.len(), 1);
    assert_eq!(counts[0].count(SignalKind::Click), 1);

    let e2 = click("e2", "c1", "A");
    let new = signals.apply(&[e2.clone(), e1, e2]).await.expect("apply");
    assert_eq!(
        ids(&new),
        ["e2"],
        "duplicates within one call are skipped too"
    );
    assert_eq!(
        signals.history(&subject, 10).await.expect("history").len(),
        2
    );
    let counts = signals.daily_counts(date(1)).await.expect("counts");
    assert_eq!(counts.len(), 1);
    assert_eq!(counts[0].style_id, "A");
    assert_eq!(counts[0].count(SignalKind::Click), 2);
    assert_eq!(counts[0].counts.iter().sum::<u32>(), 2);
}

/// Conformance scenario, run on every backend.
pub async fn when_history_read_should_be_newest_first_and_limited(h: &dyn Harness) {
    let signals = &h.stores().signals;
    let base = at(1, 10, 0);
    let batch: Vec<Signal> = [("h2", 2), ("h0", 0), ("h3", 3), ("h1", 1)]
        .into_iter()
        .map(|(id, minutes)| {
            signal(
                id,
                "c1",
                SignalKind::View,
                "A",
                base + Duration::minutes(minutes),
            )
        })
        .collect();
    signals.apply(&batch).await.expect("apply");
    let mut other = signal("x1", "c10", SignalKind::View, "A", base);
    signals.apply(&[other.clone()]).await.expect("apply");
    other.event_id = "x2".to_string();
    other.customer_id = None;
    other.session_id = Some("c1".to_string());
    signals.apply(&[other]).await.expect("apply");

    let c1 = Subject::Customer("c1".to_string());
    let all = signals.history(&c1, 10).await.expect("history");
    assert_eq!(ids(&all), ["h3", "h2", "h1", "h0"]);
    assert_eq!(all[0], batch[2], "stored signals round-trip unchanged");
    let latest = signals.history(&c1, 2).await.expect("history");
    assert_eq!(ids(&latest), ["h3", "h2"]);
    assert!(signals.history(&c1, 0).await.expect("history").is_empty());
    let session = Subject::Session("c1".to_string());
    assert_eq!(
        ids(&signals.history(&session, 10).await.expect("history")),
        ["x2"]
    );
    let nobody = Subject::Customer("nobody".to_string());
    assert!(signals
        .history(&nobody, 10)
        .await
        .expect("history")
        .is_empty());
}

/// Conformance scenario, run on every backend: decisive signals (purchase, return,
/// dismissal) stay in the history however much browsing follows, impressions never enter it,
/// and the export and the erasure cover all three classes.
pub async fn when_decisive_signals_are_followed_by_much_browsing_should_keep_them_in_history(
    h: &dyn Harness,
) {
    let signals = &h.stores().signals;
    let base = at(1, 8, 0);
    let minutes = |m: i64| base + Duration::minutes(m);
    let mut sent = vec![
        signal("k-buy", "c1", SignalKind::Purchase, "A", minutes(0)),
        signal("k-ret", "c1", SignalKind::Return, "B", minutes(1)),
    ];
    sent.extend((0..6).map(|i| {
        let id = format!("k-view{i}");
        signal(&id, "c1", SignalKind::View, "C", minutes(2 + i))
    }));
    // Newer than most browsing, so the merge must interleave the classes.
    sent.push(signal("k-dis", "c1", SignalKind::Dismiss, "D", minutes(6)));
    sent.extend((0..12).map(|i| {
        let id = format!("k-imp{i:02}");
        signal(&id, "c1", SignalKind::Impression, "E", minutes(10 + i))
    }));
    sent.push(signal(
        "k-other",
        "c2",
        SignalKind::Purchase,
        "A",
        minutes(30),
    ));
    assert_eq!(signals.apply(&sent).await.expect("apply").len(), sent.len());

    let c1 = Subject::Customer("c1".to_string());
    let history = signals.history(&c1, 3).await.expect("history");
    assert_eq!(
        ids(&history),
        ["k-view5", "k-view4", "k-dis", "k-view3", "k-ret", "k-buy"],
        "every decisive signal, the 3 newest browsing ones, no impression"
    );
    assert_eq!(history[5], sent[0], "stored signals round-trip unchanged");
    assert_eq!(
        ids(&signals.history(&c1, 0).await.expect("history")),
        ["k-dis", "k-ret", "k-buy"]
    );

    let all = signals.all_signals(&c1).await.expect("all signals");
    let mut expected: Vec<&Signal> = sent.iter().filter(|s| s.event_id != "k-other").collect();
    expected.sort_by(|a, b| (b.timestamp, &b.event_id).cmp(&(a.timestamp, &a.event_id)));
    assert_eq!(all.iter().collect::<Vec<_>>(), expected, "newest first");

    let erased = signals.erase_subject(&c1).await.expect("erase");
    assert_eq!(erased.signals, sent.len() - 1, "all three classes");
    assert!(signals.history(&c1, 10).await.expect("history").is_empty());
    assert!(signals.all_signals(&c1).await.expect("all").is_empty());
    let c2 = Subject::Customer("c2".to_string());
    assert_eq!(
        ids(&signals.history(&c2, 10).await.expect("history")),
        ["k-other"]
    );
}

/// Conformance scenario, run on every backend.
pub async fn when_daily_counts_requested_since_should_skip_older_days(h: &dyn Harness) {
    let signals = &h.stores().signals;
    signals
        .apply(&[
            signal("d1", "c1", SignalKind::View, "A", at(1, 23, 59)),
            signal("d2", "c1", SignalKind::View, "A", at(2, 0, 0)),
            signal("d3", "c2", SignalKind::Purchase, "A", at(2, 9, 0)),
            signal("d4", "c2", SignalKind::View, "B", at(3, 9, 0)),
            signal("d5", "c3", SignalKind::View, "A", at(2, 18, 0)),
        ])
        .await
        .expect("apply");
    let mut counts = signals.daily_counts(date(2)).await.expect("counts");
    counts.sort_by(|a, b| (a.day, &a.style_id).cmp(&(b.day, &b.style_id)));
    assert_eq!(counts.len(), 2);
    assert_eq!((counts[0].day, counts[0].style_id.as_str()), (date(2), "A"));
    assert_eq!(counts[0].count(SignalKind::View), 2);
    assert_eq!(counts[0].count(SignalKind::Purchase), 1);
    assert_eq!(counts[0].count(SignalKind::Click), 0);
    assert_eq!((counts[1].day, counts[1].style_id.as_str()), (date(3), "B"));
    assert_eq!(
        signals.daily_counts(date(1)).await.expect("counts").len(),
        3
    );
    assert!(signals
        .daily_counts(date(4))
        .await
        .expect("counts")
        .is_empty());
}

/// Conformance scenario, run on every backend.
pub async fn when_subjects_engage_styles_should_count_each_pair_once_per_subject(h: &dyn Harness) {
    let signals = &h.stores().signals;
    signals
        .apply(&[
            click("p1", "c1", "A"),
            click("p2", "c1", "B"),
            click("p3", "c1", "A"),
        ])
        .await
        .expect("apply");
    assert_eq!(
        signals.co_occurrences().await.expect("pairs"),
        [pair("A", "B", 1)]
    );

    // Second subject engages in the other order and with another engagement kind.
    let try_on = signal("p4", "c2", SignalKind::TryOn, "B", at(1, 12, 0));
    signals.apply(&[try_on]).await.expect("apply");
    signals
        .apply(&[click("p5", "c2", "A")])
        .await
        .expect("apply");
    assert_eq!(
        signals.co_occurrences().await.expect("pairs"),
        [pair("A", "B", 2)]
    );

    // Views, impressions and negatives do not count.
    signals
        .apply(&[
            signal("p6", "c3", SignalKind::View, "A", at(1, 12, 0)),
            signal("p7", "c3", SignalKind::View, "B", at(1, 12, 0)),
            signal("p8", "c3", SignalKind::Impression, "C", at(1, 12, 0)),
            signal("p9", "c3", SignalKind::Dismiss, "A", at(1, 12, 0)),
            signal("p10", "c3", SignalKind::Return, "B", at(1, 12, 0)),
        ])
        .await
        .expect("apply");
    assert_eq!(
        signals.co_occurrences().await.expect("pairs"),
        [pair("A", "B", 2)]
    );

    // A third style pairs with each earlier one; replaying the same event changes nothing.
    let third = signal("p11", "c1", SignalKind::Favorite, "C", at(1, 13, 0));
    signals
        .apply(std::slice::from_ref(&third))
        .await
        .expect("apply");
    signals.apply(&[third]).await.expect("apply");
    let mut pairs = signals.co_occurrences().await.expect("pairs");
    pairs.sort_by(|a, b| (&a.style_a, &a.style_b).cmp(&(&b.style_a, &b.style_b)));
    assert_eq!(
        pairs,
        [pair("A", "B", 2), pair("A", "C", 1), pair("B", "C", 1)]
    );
    assert!(pairs.iter().all(|p| p.style_a < p.style_b));
}

/// Conformance scenario, run on every backend.
pub async fn when_subject_engaged_more_than_cap_should_pair_only_most_recent(h: &dyn Harness) {
    let signals = &h.stores().signals;
    let cap = h.pair_cap();
    let batch: Vec<Signal> = (0..=cap)
        .map(|i| click(&format!("cap{i}"), "c1", &format!("s{i:03}")))
        .collect();
    signals.apply(&batch).await.expect("apply");
    signals
        .apply(&[click("cap-x", "c1", "x")])
        .await
        .expect("apply");
    let pairs = signals.co_occurrences().await.expect("pairs");
    let with_x: Vec<&str> = pairs
        .iter()
        .filter(|p| p.style_b == "x")
        .map(|p| p.style_a.as_str())
        .collect();
    assert_eq!(with_x.len(), cap);
    assert!(
        !with_x.contains(&"s000"),
        "the oldest engagement is beyond the cap"
    );
    assert!(with_x.contains(&"s001") && with_x.contains(&format!("s{cap:03}").as_str()));
}

/// Conformance scenario, run on every backend.
pub async fn when_signals_applied_should_list_each_subject_once(h: &dyn Harness) {
    let signals = &h.stores().signals;
    assert!(signals.subjects().await.expect("subjects").is_empty());
    let mut anonymous = click("s3", "x", "A");
    anonymous.customer_id = None;
    anonymous.session_id = Some("sess-1".to_string());
    signals
        .apply(&[
            click("s1", "c2", "A"),
            click("s2", "c2", "B"),
            anonymous,
            click("s4", "c1", "A"),
        ])
        .await
        .expect("apply");
    let mut subjects = signals.subjects().await.expect("subjects");
    subjects.sort();
    assert_eq!(
        subjects,
        [
            Subject::Customer("c1".to_string()),
            Subject::Customer("c2".to_string()),
            Subject::Session("sess-1".to_string()),
        ]
    );
}

/// Conformance scenario, run on every backend.
pub async fn when_queue_used_should_deliver_fifo_dedupe_and_redeliver_unacked(h: &dyn Harness) {
    let queue = &h.stores().queue;
    assert_eq!(queue.depth().await.expect("depth"), 0);
    assert!(queue.receive(10).await.expect("receive").is_empty());
    let outcome = queue
        .enqueue(&[
            click("q1", "c1", "A"),
            click("q2", "c1", "B"),
            click("q3", "c1", "C"),
        ])
        .await
        .expect("enqueue");
    assert_eq!((outcome.accepted, outcome.duplicates), (3, 0));
    // SQS cannot tell duplicates at enqueue (the worker drops them), so it only gets q4.
    let local = h.queue_semantics() == QueueSemantics::Local;
    let second = if local {
        vec![
            click("q2", "c1", "B"),
            click("q4", "c1", "D"),
            click("q4", "c1", "D"),
        ]
    } else {
        vec![click("q4", "c1", "D")]
    };
    let outcome = queue.enqueue(&second).await.expect("enqueue");
    let duplicates = if local { 2 } else { 0 };
    assert_eq!((outcome.accepted, outcome.duplicates), (1, duplicates));
    assert_eq!(queue.depth().await.expect("depth"), 4);

    assert!(queue.receive(0).await.expect("receive").is_empty());
    let first = queue.receive(2).await.expect("receive");
    let first_ids: Vec<_> = first.iter().map(|m| m.signal.event_id.as_str()).collect();
    assert_eq!(first_ids, ["q1", "q2"]);
    assert!(first.iter().all(|m| m.receive_count == 1));
    assert_eq!(first[1].signal, click("q2", "c1", "B"));

    // Not acknowledged: delivered again, oldest first, with the count going up.
    let again = queue.receive(10).await.expect("receive");
    let summary: Vec<_> = again
        .iter()
        .map(|m| (m.signal.event_id.as_str(), m.receive_count))
        .collect();
    assert_eq!(summary, [("q1", 2), ("q2", 2), ("q3", 1), ("q4", 1)]);

    let mut receipts: Vec<String> = again[..2].iter().map(|m| m.receipt.clone()).collect();
    receipts.push("not-a-receipt".to_string());
    receipts.push("999999".to_string());
    queue.ack(&receipts).await.expect("ack");
    queue.ack(&receipts).await.expect("ack twice is harmless");
    assert_eq!(queue.depth().await.expect("depth"), 2);
    let rest = queue.receive(10).await.expect("receive");
    let rest_ids: Vec<_> = rest.iter().map(|m| m.signal.event_id.as_str()).collect();
    assert_eq!(rest_ids, ["q3", "q4"]);
    queue
        .ack(&rest.iter().map(|m| m.receipt.clone()).collect::<Vec<_>>())
        .await
        .expect("ack");
    assert_eq!(queue.depth().await.expect("depth"), 0);
    let outcome = queue
        .enqueue(&[click("q1", "c1", "A")])
        .await
        .expect("enqueue");
    if local {
        assert_eq!(outcome.duplicates, 1, "acknowledged ids stay known");
    } else {
        assert_eq!((outcome.accepted, outcome.duplicates), (1, 0));
    }
}

/// Conformance scenario, run on every backend.
pub async fn when_message_received_too_often_should_go_to_dead_letters(h: &dyn Harness) {
    let queue = &h.stores().queue;
    queue
        .enqueue(&[click("dl1", "c1", "A"), click("dl2", "c1", "B")])
        .await
        .expect("enqueue");
    for round in 1..=MAX_RECEIVES {
        let got = queue.receive(1).await.expect("receive");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].signal.event_id, "dl1");
        assert_eq!(got[0].receive_count, round);
    }
    // dl1 is skipped to the dead letters; the next message is still delivered.
    let got = queue.receive(1).await.expect("receive");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].signal.event_id, "dl2");
    assert_eq!(queue.depth().await.expect("depth"), 1);
    assert_eq!(ids(&h.dead_letters().await), ["dl1"]);
    queue.ack(&[got[0].receipt.clone()]).await.expect("ack");
    assert_eq!(queue.depth().await.expect("depth"), 0);
    assert!(queue.receive(10).await.expect("receive").is_empty());
}

/// Conformance scenario, run on every backend.
pub async fn when_styles_put_should_round_trip_ordered_and_replace(h: &dyn Harness) {
    let catalog = &h.stores().catalog;
    assert!(catalog.get_style("a").await.expect("get").is_none());
    catalog
        .put_styles(&[style("b", 15_000), style("a", 9_000)])
        .await
        .expect("put");
    assert_eq!(
        catalog.get_style("a").await.expect("get"),
        Some(style("a", 9_000))
    );
    let mut replaced = style("b", 21_000);
    replaced.active = false;
    catalog.put_styles(&[replaced.clone()]).await.expect("put");
    assert_eq!(
        catalog.list_styles().await.expect("list"),
        [style("a", 9_000), replaced]
    );
}

fn lens_prices(currency: &str, index167_cents: u32) -> crate::domain::LensPriceList {
    use crate::domain::{LensMaterial, MaterialPrice};
    crate::domain::LensPriceList {
        currency: currency.to_string(),
        materials: vec![
            MaterialPrice {
                material: LensMaterial::Cr39,
                price_cents: 0,
            },
            MaterialPrice {
                material: LensMaterial::Index167,
                price_cents: index167_cents,
            },
        ],
        designs: Vec::new(),
        treatments: Vec::new(),
    }
}

/// Conformance scenario, run on every backend.
pub async fn when_lens_prices_put_should_round_trip_by_currency_and_replace(h: &dyn Harness) {
    let catalog = &h.stores().catalog;
    assert!(catalog.lens_prices("USD").await.expect("get").is_none());
    catalog
        .put_lens_prices(&[lens_prices("USD", 12_000), lens_prices("EUR", 11_000)])
        .await
        .expect("put");
    assert_eq!(
        catalog.lens_prices("EUR").await.expect("get"),
        Some(lens_prices("EUR", 11_000))
    );
    catalog
        .put_lens_prices(&[lens_prices("USD", 13_000)])
        .await
        .expect("replace");
    assert_eq!(
        catalog.lens_prices("USD").await.expect("get"),
        Some(lens_prices("USD", 13_000))
    );
    // Price lists live beside the styles but are never listed as one.
    catalog.put_styles(&[style("a", 9_000)]).await.expect("put");
    assert_eq!(
        catalog.list_styles().await.expect("list"),
        [style("a", 9_000)]
    );
}

/// Conformance scenario, run on every backend.
pub async fn when_customers_put_should_round_trip_and_delete(h: &dyn Harness) {
    let profiles = &h.stores().profiles;
    profiles
        .put_customers(&[customer_with_rx("c2"), Customer::new("c1")])
        .await
        .expect("put");
    assert_eq!(
        profiles.get_customer("c2").await.expect("get"),
        Some(customer_with_rx("c2")),
        "the prescription is kept with the profile"
    );
    assert_eq!(
        profiles.list_customer_ids().await.expect("ids"),
        ["c1", "c2"]
    );
    let deleted = profiles.delete_customer("c2").await.expect("delete");
    assert_eq!(
        deleted.map(|d| d.had_prescription),
        Some(true),
        "told without opening the sealed prescription"
    );
    assert_eq!(
        profiles.delete_customer("c2").await.expect("delete again"),
        None
    );
    assert!(profiles.get_customer("c2").await.expect("get").is_none());
    assert_eq!(profiles.list_customer_ids().await.expect("ids"), ["c1"]);
}

/// Conformance scenario, run on every backend.
pub async fn when_lists_put_should_round_trip_and_replace(h: &dyn Harness) {
    let lists = &h.stores().lists;
    assert!(lists.get_list("c1").await.expect("get").is_none());
    lists
        .put_lists(&[list("c1", "v1"), list("c2", "v1")])
        .await
        .expect("put");
    lists.put_lists(&[list("c1", "v2")]).await.expect("put");
    assert_eq!(
        lists.get_list("c1").await.expect("get"),
        Some(list("c1", "v2"))
    );
    assert_eq!(
        lists.get_list("c2").await.expect("get"),
        Some(list("c2", "v1"))
    );
}

/// Conformance scenario, run on every backend.
pub async fn when_list_page_requested_should_return_only_that_window(h: &dyn Harness) {
    let lists = &h.stores().lists;
    let mut long = list("c1", "v1");
    long.items = (0..10)
        .map(|i| ScoredItem {
            style_id: format!("s{i}"),
            sku: None,
            score: 1.0 - i as f32 / 10.0,
            reasons: vec![Reason::new(
                "popular_in_category",
                "Popular in optical frames",
            )],
        })
        .collect();
    lists
        .put_lists(std::slice::from_ref(&long))
        .await
        .expect("put");
    let page = lists
        .get_list_page("c1", 3, 4)
        .await
        .expect("page")
        .expect("list exists");
    assert_eq!(page, long.clone().page(3, 4));
    assert_eq!(page.total, 10);
    let ids: Vec<&str> = page.items.iter().map(|i| i.style_id.as_str()).collect();
    assert_eq!(ids, ["s3", "s4", "s5", "s6"]);
    let tail = lists
        .get_list_page("c1", 8, 5)
        .await
        .expect("page")
        .expect("list");
    assert_eq!(tail.items.len(), 2);
    assert!(lists
        .get_list_page("c9", 0, 5)
        .await
        .expect("page")
        .is_none());
}

/// Conformance scenario, run on every backend.
pub async fn when_list_stamps_requested_should_describe_stored_lists(h: &dyn Harness) {
    let lists = &h.stores().lists;
    lists
        .put_lists(&[list("c1", "v1"), list("c2", "v2")])
        .await
        .expect("put");
    let ids = ["c1", "c2", "c3"].map(String::from);
    let stamps = lists.list_stamps(&ids).await.expect("stamps");
    assert_eq!(stamps.len(), 2, "no stamp for a customer without a list");
    assert_eq!(stamps.get("c1"), Some(&list("c1", "v1").stamp()));
    assert_eq!(stamps.get("c2"), Some(&list("c2", "v2").stamp()));
    // A replaced list has the replacement's stamp.
    let mut replaced = list("c1", "v1");
    replaced.items[0].score = 0.5;
    replaced.generated_at = at(3, 9, 0);
    lists
        .put_lists(std::slice::from_ref(&replaced))
        .await
        .expect("put");
    let stamps = lists.list_stamps(&ids[..1]).await.expect("stamps");
    assert_eq!(stamps.get("c1"), Some(&replaced.stamp()));
    assert!(lists.list_stamps(&[]).await.expect("none").is_empty());
}

/// Conformance scenario, run on every backend.
pub async fn when_artifacts_put_should_be_readable_and_current(h: &dyn Harness) {
    let artifacts = &h.stores().artifacts;
    artifacts.put("v1", "model.json", b"{}").await.expect("put");
    artifacts.set_current("v1").await.expect("current");
    assert_eq!(
        artifacts.current().await.expect("current").as_deref(),
        Some("v1")
    );
    assert_eq!(
        artifacts
            .get("v1", "model.json")
            .await
            .expect("get")
            .as_deref(),
        Some(&b"{}"[..])
    );
    assert!(artifacts.put("v1", "../x", b"{}").await.is_err());
}

/// The shopper erased in the erasure scenarios; no other record may contain this id.
const ERASED: &str = "shopper-erased";
/// A session the erased shopper's signals named: stored with them, so erased with them.
const ERASED_SESSION: &str = "sess-of-erased";
/// The shopper who must be left as they were.
const KEPT: &str = "shopper-kept";

/// Records (raw, around the ports) that mention `needle`.
fn mentioning<'a>(records: &'a [String], needle: &str) -> Vec<&'a String> {
    records.iter().filter(|r| r.contains(needle)).collect()
}

/// Conformance scenario, run on every backend: an erased shopper leaves nothing naming them
/// in any store, late data does not bring them back, the other shopper and the anonymous
/// counts are untouched, and the export covers everything before and nothing after.
pub async fn when_customer_erased_should_leave_nothing_naming_them(h: &dyn Harness) {
    use crate::error::ServiceError;
    use crate::service::{Framewise, ServiceConfig, EXPORT_FORMAT_VERSION};

    let stores = h.stores();
    stores
        .catalog
        .put_styles(&[style("s1", 9_000), style("s2", 12_000)])
        .await
        .expect("styles");
    stores
        .profiles
        .put_customers(&[customer_with_rx(ERASED), customer_with_rx(KEPT)])
        .await
        .expect("profiles");
    let mut in_session = signal("ev-a3", ERASED, SignalKind::View, "s1", at(1, 13, 0));
    in_session.session_id = Some(ERASED_SESSION.to_string());
    let history = [
        click("ev-a1", ERASED, "s1"),
        signal("ev-a2", ERASED, SignalKind::Favorite, "s2", at(1, 12, 30)),
        in_session,
        signal("ev-a4", ERASED, SignalKind::Impression, "s2", at(1, 14, 0)),
        click("ev-b1", KEPT, "s1"),
        signal("ev-b2", KEPT, SignalKind::Purchase, "s2", at(1, 12, 30)),
    ];
    stores.signals.apply(&history).await.expect("apply");
    stores
        .lists
        .put_lists(&[list(ERASED, "v1"), list(KEPT, "v1")])
        .await
        .expect("lists");
    let queued = [click("ev-aq", ERASED, "s2"), click("ev-bq", KEPT, "s2")];
    stores.queue.enqueue(&queued).await.expect("enqueue");
    let counts_before = stores.signals.daily_counts(date(1)).await.expect("counts");
    let pairs_before = stores.signals.co_occurrences().await.expect("pairs");
    assert_eq!(pairs_before, [pair("s1", "s2", 2)], "both shoppers paired");

    let service = Framewise::open(stores.clone(), ServiceConfig::default())
        .await
        .expect("open service");
    let now = at(5, 9, 0);
    let export = service.export_customer(ERASED, now).await.expect("export");
    assert_eq!(export.format_version, EXPORT_FORMAT_VERSION);
    assert_eq!(export.generated_at, now);
    assert_eq!(
        export.profile,
        Some(customer_with_rx(ERASED)),
        "the prescription is exported opened"
    );
    assert_eq!(ids(&export.signals), ["ev-a4", "ev-a3", "ev-a2", "ev-a1"]);
    assert_eq!(export.engaged_styles, ["s2", "s1"]);
    assert_eq!(export.lists, [list(ERASED, "v1")]);
    let kept_before = service.export_customer(KEPT, now).await.expect("export");

    let report = service.erase_customer(ERASED).await.expect("erase");
    let local = h.queue_semantics() == QueueSemantics::Local;
    let deleted = report.deleted;
    assert_eq!(
        (deleted.profiles, deleted.prescriptions, deleted.lists),
        (1, 1, 1)
    );
    assert_eq!((deleted.signals, deleted.engaged_styles), (4, 2));
    assert_eq!(deleted.queued_signals, usize::from(local));
    assert_eq!(report.customer_id, ERASED);
    assert!(report.late_data_cutoff > report.erased_at);
    assert!(report.late_data_refused_until > report.late_data_cutoff);

    let raw = h.raw_records().await;
    assert!(!raw.is_empty(), "the other shopper's records are read");
    assert_eq!(mentioning(&raw, ERASED), Vec::<&String>::new());
    assert_eq!(mentioning(&raw, ERASED_SESSION), Vec::<&String>::new());
    assert!(!mentioning(&raw, KEPT).is_empty());
    assert!(matches!(
        service.export_customer(ERASED, now).await,
        Err(ServiceError::NotFound { .. })
    ));
    assert_eq!(
        service.export_customer(KEPT, now).await.expect("export"),
        kept_before
    );
    let signals = &stores.signals;
    assert_eq!(
        signals.daily_counts(date(1)).await.expect("counts"),
        counts_before,
        "anonymous counts stay"
    );
    assert_eq!(signals.co_occurrences().await.expect("pairs"), pairs_before);
    assert_eq!(
        signals.subjects().await.expect("subjects"),
        [Subject::Customer(KEPT.to_string())]
    );

    // Late data: the queued signal (still on SQS, which cannot drop it), a redelivery of an
    // erased event, and a list computed before the erasure are all refused.
    let mut applied = Vec::new();
    loop {
        let received = stores.queue.receive(10).await.expect("receive");
        if received.is_empty() {
            break;
        }
        let batch: Vec<Signal> = received.iter().map(|m| m.signal.clone()).collect();
        service.apply_signals(&batch, now).await.expect("apply");
        let receipts: Vec<String> = received.into_iter().map(|m| m.receipt).collect();
        stores.queue.ack(&receipts).await.expect("ack");
        applied.extend(batch);
    }
    let delivered_erased = applied.iter().any(|s| s.event_id == "ev-aq");
    assert_eq!(delivered_erased, !local, "only SQS still delivers it");
    assert!(applied.iter().any(|s| s.event_id == "ev-bq"));
    let sent_before = click("ev-a5", ERASED, "s1");
    let refused = stores.signals.apply(&[sent_before]).await.expect("apply");
    assert!(
        refused.is_empty(),
        "a new event, but dated before the erasure"
    );
    stores
        .lists
        .put_lists(&[list(ERASED, "v0")])
        .await
        .expect("lists");
    assert_eq!(stores.lists.get_list(ERASED).await.expect("get"), None);
    let raw = h.raw_records().await;
    assert_eq!(mentioning(&raw, ERASED), Vec::<&String>::new());
    let kept = Subject::Customer(KEPT.to_string());
    let kept_history = signals.history(&kept, 10).await.expect("history");
    assert_eq!(ids(&kept_history), ["ev-b2", "ev-bq", "ev-b1"]);

    let again = service.erase_customer(ERASED).await.expect("erase again");
    assert_eq!(again.deleted.total(), 0, "idempotent");
}

/// Conformance scenario, run on every backend: a live tombstone refuses the subject's
/// signals and lists dated before its cutoff, and nothing else.
pub async fn when_tombstone_recorded_should_refuse_only_late_data_of_that_subject(h: &dyn Harness) {
    let signals = &h.stores().signals;
    let lists = &h.stores().lists;
    let now = Utc::now();
    let erased = Subject::Customer(ERASED.to_string());
    signals
        .record_erasure(&erased, &Tombstone::at(now))
        .await
        .expect("tombstone");
    let expired = Subject::Customer("c-expired".to_string());
    let long_ago = now - Duration::days(crate::aggregates::erasure::TOMBSTONE_DAYS + 1);
    signals
        .record_erasure(&expired, &Tombstone::at(long_ago))
        .await
        .expect("expired tombstone");

    let late = signal("t1", ERASED, SignalKind::Click, "A", at(1, 12, 0));
    let fast_clock = signal(
        "t2",
        ERASED,
        SignalKind::Click,
        "B",
        now + Duration::minutes(5),
    );
    let new_activity = signal(
        "t3",
        ERASED,
        SignalKind::Click,
        "C",
        now + Duration::hours(1),
    );
    let others = [
        signal("t4", KEPT, SignalKind::Click, "A", at(1, 12, 0)),
        signal("t5", "c-expired", SignalKind::Click, "A", at(1, 12, 0)),
    ];
    let mut batch = vec![late, fast_clock, new_activity];
    batch.extend(others);
    let applied = signals.apply(&batch).await.expect("apply");
    assert_eq!(ids(&applied), ["t3", "t4", "t5"]);
    assert_eq!(
        ids(&signals.history(&erased, 10).await.expect("history")),
        ["t3"]
    );
    assert_eq!(
        signals.engaged_styles(&erased).await.expect("engaged"),
        ["C"]
    );
    let counts = signals.daily_counts(date(1)).await.expect("counts");
    let clicks: u32 = counts
        .iter()
        .filter(|c| c.day == date(1))
        .map(|c| c.count(SignalKind::Click))
        .sum();
    assert_eq!(clicks, 2, "a refused signal counts nowhere");

    let mut fresh = list(ERASED, "v2");
    fresh.generated_at = now + Duration::hours(1);
    lists
        .put_lists(&[list(ERASED, "v1"), list(KEPT, "v1")])
        .await
        .expect("put");
    assert_eq!(lists.get_list(ERASED).await.expect("get"), None);
    assert_eq!(
        lists.get_list(KEPT).await.expect("get"),
        Some(list(KEPT, "v1"))
    );
    lists.put_lists(&[fresh.clone()]).await.expect("put");
    assert_eq!(lists.get_list(ERASED).await.expect("get"), Some(fresh));
    assert_eq!(lists.delete_lists(ERASED).await.expect("delete"), 1);
    assert_eq!(lists.delete_lists(ERASED).await.expect("delete"), 0);
}

/// Conformance scenario, run on every backend: a customer's queued signals (and, locally,
/// dead letters) can be dropped where the queue can select them; SQS keeps them.
pub async fn when_customer_signals_dropped_should_keep_other_shoppers_queued(h: &dyn Harness) {
    let queue = &h.stores().queue;
    let local = h.queue_semantics() == QueueSemantics::Local;
    if local {
        queue
            .enqueue(&[click("dq-dead", ERASED, "A")])
            .await
            .expect("enqueue");
        for _ in 0..MAX_RECEIVES {
            assert_eq!(queue.receive(1).await.expect("receive").len(), 1);
        }
    }
    queue
        .enqueue(&[
            click("dq1", ERASED, "A"),
            click("dq2", KEPT, "A"),
            click("dq3", ERASED, "B"),
        ])
        .await
        .expect("enqueue");
    if local {
        // Moves the over-received message to the dead letters and hands out dq1 (unacked).
        let got = queue.receive(1).await.expect("receive");
        assert_eq!(got[0].signal.event_id, "dq1");
        assert_eq!(ids(&h.dead_letters().await), ["dq-dead"]);
    }
    let dropped = queue.drop_customer_signals(ERASED).await.expect("drop");
    let mut left = Vec::new();
    loop {
        let got = queue.receive(10).await.expect("receive");
        if got.is_empty() {
            break;
        }
        let receipts: Vec<String> = got.iter().map(|m| m.receipt.clone()).collect();
        queue.ack(&receipts).await.expect("ack");
        left.extend(got.into_iter().map(|m| m.signal));
    }
    left.sort_by(|a, b| a.event_id.cmp(&b.event_id));
    if local {
        assert_eq!(dropped, 3, "two waiting, one dead letter");
        assert_eq!(ids(&left), ["dq2"]);
        assert!(h.dead_letters().await.is_empty());
    } else {
        assert_eq!(dropped, 0, "SQS cannot select messages");
        assert_eq!(ids(&left), ["dq1", "dq2", "dq3"]);
    }
}

/// Dates near today for the measurement scenarios: backends may prune exposures and
/// purchases older than [`MEASUREMENT_RETENTION_DAYS`](crate::ports::MEASUREMENT_RETENTION_DAYS),
/// so the fixed dates of [`at`] would vanish. Taken once per scenario, so a run across
/// midnight stays consistent.
#[derive(Clone, Copy)]
struct RecentDays(NaiveDate);

impl RecentDays {
    fn new() -> Self {
        Self(Utc::now().date_naive())
    }

    fn day(&self, days_ago: i64) -> NaiveDate {
        self.0 - Duration::days(days_ago)
    }

    fn at(&self, days_ago: i64, hour: u32) -> DateTime<Utc> {
        let time = self
            .day(days_ago)
            .and_hms_opt(hour, 0, 0)
            .expect("valid time");
        Utc.from_utc_datetime(&time)
    }
}

/// A home list of the treatment variant (three items) shown to `subject`.
fn shown(exposure_id: &str, subject: &str, at: DateTime<Utc>) -> Exposure {
    Exposure {
        exposure_id: exposure_id.to_string(),
        recommendation_id: format!("r-{exposure_id}"),
        subject: subject.to_string(),
        placement: "home".to_string(),
        variant: Some("treatment".to_string()),
        model_version: "v2".to_string(),
        items: ["s1", "s2", "s3"].map(String::from).to_vec(),
        offset: 0,
        at,
        novel_items: 2,
        diversity_milli: 667,
    }
}

/// `subject`'s `action` on style s1 at `at`, credited to a list like [`shown`] ones (so to
/// their cell, on the day of the action); a purchase keeps its attributed purchase.
fn credit(
    event_id: &str,
    subject: &str,
    action: Action,
    at: DateTime<Utc>,
    revenue_cents: i64,
) -> Credit {
    let attribution = Attribution {
        recommendation_id: "r-shown".to_string(),
        placement: "home".to_string(),
        variant: Some("treatment".to_string()),
        model_version: "v2".to_string(),
        position: 1,
    };
    let touch = Touch {
        subject: subject.to_string(),
        style_id: "s1".to_string(),
        action,
        at,
        recommendation_id: None,
        revenue_cents,
        order_id: Some(format!("o-{event_id}")),
    };
    let mut counters = Counters::default();
    counters.add_attributed(&touch);
    let purchase = (action == Action::Purchase).then(|| AttributedPurchase {
        subject: touch.subject.clone(),
        style_id: touch.style_id.clone(),
        order_id: touch.order_id.clone(),
        revenue_cents,
        at,
        attribution: attribution.clone(),
    });
    Credit {
        event_id: event_id.to_string(),
        subject: subject.to_string(),
        cell: CellKey::for_attribution(&attribution, at),
        counters,
        purchase,
    }
}

fn exposure_ids(exposures: &[Exposure]) -> Vec<&str> {
    exposures.iter().map(|e| e.exposure_id.as_str()).collect()
}

/// Conformance scenario, run on every backend.
pub async fn when_exposure_recorded_twice_should_count_once_and_read_back_oldest_first(
    h: &dyn Harness,
) {
    let measurements = &h.stores().measurements;
    let days = RecentDays::new();
    let first = shown("x1", "c:m1", days.at(2, 10));
    let second = shown("x2", "c:m1", days.at(1, 9));
    let earliest = shown("x3", "c:m1", days.at(2, 8));
    measurements
        .record_exposures(&[first.clone(), second.clone(), first.clone()])
        .await
        .expect("record");
    let others = [
        shown("x4", "c:m10", days.at(2, 9)),
        shown("x5", "s:m1", days.at(2, 9)),
    ];
    let mut replayed = vec![first.clone(), earliest.clone()];
    replayed.extend(others);
    measurements
        .record_exposures(&replayed)
        .await
        .expect("record");

    let all = measurements
        .exposures("c:m1", days.at(3, 0))
        .await
        .expect("read");
    assert_eq!(
        all,
        [earliest, first.clone(), second.clone()],
        "oldest first, unchanged"
    );
    let since_first = measurements
        .exposures("c:m1", first.at)
        .await
        .expect("read");
    assert_eq!(since_first, [first, second], "`since` is inclusive");
    assert_eq!(
        exposure_ids(
            &measurements
                .exposures("c:m10", days.at(3, 0))
                .await
                .expect("read")
        ),
        ["x4"]
    );
    let nobody = measurements.exposures("c:nobody", days.at(3, 0)).await;
    assert!(nobody.expect("read").is_empty());

    let cell = |days_ago| CellKey {
        placement: "home".to_string(),
        variant: Some("treatment".to_string()),
        model_version: "v2".to_string(),
        day: days.day(days_ago),
    };
    let shown_times = |n: u64| Counters {
        exposures: n,
        items_shown: 3 * n,
        novel_items: 2 * n,
        diversity_milli_sum: 667 * n,
        ..Counters::default()
    };
    assert_eq!(
        measurements
            .counters(days.day(3), days.day(0))
            .await
            .expect("counters"),
        [(cell(2), shown_times(4)), (cell(1), shown_times(1))],
        "each exposure id counted once"
    );
}

/// Conformance scenario, run on every backend.
pub async fn when_credit_recorded_twice_should_count_once_in_its_cell(h: &dyn Harness) {
    let measurements = &h.stores().measurements;
    let days = RecentDays::new();
    let exposure = shown("cx1", "c:m1", days.at(1, 9));
    measurements
        .record_exposures(std::slice::from_ref(&exposure))
        .await
        .expect("record");
    let click = credit("k1", "c:m1", Action::Click, days.at(1, 9), 0);
    let bought = credit("k2", "c:m1", Action::Purchase, days.at(1, 10), 12_000);
    let new = measurements
        .record_credits(&[click.clone(), bought.clone(), click.clone()])
        .await
        .expect("credit");
    assert_eq!(new, 2, "a duplicate within one call counts once");
    let mut again = credit("k3", "c:m2", Action::Purchase, days.at(1, 11), 8_000);
    // Every other counter a credit may carry round-trips too.
    again.counters.add_rating(4);
    again.counters.new_subjects = 1;
    again.counters.distinct_items = 3;
    again.counters.cohort_revenue_cents = -500;
    let mut control = credit("k4", "c:m2", Action::Click, days.at(1, 11), 0);
    control.cell.variant = None;
    let new = measurements
        .record_credits(&[bought, again, control.clone(), click])
        .await
        .expect("credit");
    assert_eq!(new, 2, "redelivered credits are not counted again");
    assert_eq!(measurements.record_credits(&[]).await.expect("credit"), 0);

    let expected = Counters {
        exposures: 1,
        items_shown: 3,
        clicks: 1,
        purchases: 2,
        revenue_cents: 20_000,
        revenue_squares: 120.0 * 120.0 + 80.0 * 80.0,
        novel_items: 2,
        diversity_milli_sum: 667,
        distinct_items: 3,
        new_subjects: 1,
        cohort_revenue_cents: -500,
        ratings: 1,
        rating_sum: 4,
        rating_squares: 16,
        ..Counters::default()
    };
    let cells = measurements
        .counters(days.day(1), days.day(1))
        .await
        .expect("counters");
    let control_clicks = Counters {
        clicks: 1,
        ..Counters::default()
    };
    assert_eq!(
        cells,
        [
            (control.cell, control_clicks),
            (CellKey::for_exposure(&exposure), expected),
        ],
        "ordered by cell key: no variant first"
    );
}

/// Conformance scenario, run on every backend.
pub async fn when_purchases_credited_should_read_back_by_subject_since_oldest_first(
    h: &dyn Harness,
) {
    let measurements = &h.stores().measurements;
    let days = RecentDays::new();
    let purchase = |event_id: &str, subject: &str, days_ago: i64| {
        credit(
            event_id,
            subject,
            Action::Purchase,
            days.at(days_ago, 10),
            9_000,
        )
    };
    let credits = [
        purchase("b1", "c:m1", 3),
        purchase("b2", "c:m1", 1),
        purchase("b3", "c:m1", 2),
        purchase("b4", "c:m2", 2),
        credit("b5", "c:m1", Action::Click, days.at(1, 12), 0),
    ];
    measurements.record_credits(&credits).await.expect("credit");
    let bought = |credit: &Credit| credit.purchase.clone().expect("a purchase");

    let all = measurements
        .attributed_purchases("c:m1", days.at(4, 0))
        .await
        .expect("read");
    assert_eq!(
        all,
        [
            bought(&credits[0]),
            bought(&credits[2]),
            bought(&credits[1])
        ]
    );
    let since = measurements
        .attributed_purchases("c:m1", days.at(2, 10))
        .await
        .expect("read");
    assert_eq!(since, [bought(&credits[2]), bought(&credits[1])]);
    let other = measurements
        .attributed_purchases("c:m2", days.at(4, 0))
        .await
        .expect("read");
    assert_eq!(other, [bought(&credits[3])]);
}

/// Conformance scenario, run on every backend.
pub async fn when_counters_requested_for_days_should_leave_out_days_outside_the_range(
    h: &dyn Harness,
) {
    let measurements = &h.stores().measurements;
    let days = RecentDays::new();
    let mut on_product = shown("r5", "c:m1", days.at(2, 12));
    on_product.placement = "product".to_string();
    let exposures = [
        shown("r1", "c:m1", days.at(4, 12)),
        shown("r2", "c:m1", days.at(3, 0)),
        shown("r3", "c:m1", days.at(2, 23)),
        shown("r4", "c:m1", days.at(1, 0)),
        on_product.clone(),
    ];
    measurements
        .record_exposures(&exposures)
        .await
        .expect("record");
    let cells = |from, to| async move {
        let counters = measurements.counters(days.day(from), days.day(to)).await;
        let cells = counters
            .expect("counters")
            .into_iter()
            .map(|(cell, _)| cell);
        cells.collect::<Vec<_>>()
    };
    let home = |days_ago| CellKey::for_exposure(&shown("-", "-", days.at(days_ago, 12)));
    assert_eq!(
        cells(3, 2).await,
        [home(3), home(2), CellKey::for_exposure(&on_product)],
        "ordered by cell key: placement before day"
    );
    assert_eq!(cells(1, 1).await, [home(1)]);
    assert_eq!(cells(4, 0).await.len(), 5);
    assert!(cells(0, 0).await.is_empty());
    assert!(cells(1, 3).await.is_empty(), "from after to");
}

/// Conformance scenario, run on every backend: an erasure deletes the shopper's exposures
/// and attributed purchases, and leaves other shoppers and the anonymous counters alone.
pub async fn when_measurements_erased_should_remove_only_that_subjects_records(h: &dyn Harness) {
    let measurements = &h.stores().measurements;
    let days = RecentDays::new();
    let erased = "c:m-erased";
    let kept_exposure = shown("e3", "c:m-kept", days.at(1, 9));
    measurements
        .record_exposures(&[
            shown("e1", erased, days.at(2, 9)),
            shown("e2", erased, days.at(1, 9)),
            kept_exposure.clone(),
        ])
        .await
        .expect("record");
    let kept_purchase = credit("p2", "c:m-kept", Action::Purchase, days.at(1, 10), 5_000);
    measurements
        .record_credits(&[
            credit("p1", erased, Action::Purchase, days.at(1, 10), 7_000),
            kept_purchase.clone(),
        ])
        .await
        .expect("credit");
    let counters_before = measurements.counters(days.day(3), days.day(0)).await;
    let counters_before = counters_before.expect("counters");

    assert_eq!(
        measurements
            .erase_measurements(erased)
            .await
            .expect("erase"),
        3
    );
    let since = days.at(3, 0);
    let exposures = measurements.exposures(erased, since).await.expect("read");
    assert!(exposures.is_empty());
    let purchases = measurements.attributed_purchases(erased, since).await;
    assert!(purchases.expect("read").is_empty());
    let kept = measurements
        .exposures("c:m-kept", since)
        .await
        .expect("read");
    assert_eq!(kept, [kept_exposure]);
    let kept = measurements.attributed_purchases("c:m-kept", since).await;
    assert_eq!(
        kept.expect("read"),
        kept_purchase.purchase.into_iter().collect::<Vec<_>>()
    );
    let counters = measurements.counters(days.day(3), days.day(0)).await;
    assert_eq!(
        counters.expect("counters"),
        counters_before,
        "counters stay"
    );
    assert_eq!(
        measurements
            .erase_measurements(erased)
            .await
            .expect("erase"),
        0
    );
}

/// Conformance scenario, run on every backend.
pub async fn when_experiments_put_should_replace_by_id_and_list_ordered(h: &dyn Harness) {
    let measurements = &h.stores().measurements;
    assert!(measurements.experiments().await.expect("list").is_empty());
    let experiment = |id: &str| Experiment {
        id: id.to_string(),
        placement: Some("home".to_string()),
        variants: vec![
            ExperimentVariant {
                name: "control".to_string(),
                share: 1.0,
                settings: toml::Table::new(),
            },
            ExperimentVariant {
                name: "diverse".to_string(),
                share: 1.0,
                settings: "engine = { diversity_lambda = 0.5 }"
                    .parse()
                    .expect("toml table"),
            },
        ],
        primary_metric: Metric::ConversionRate,
        guardrails: vec![Metric::ReturnRate, Metric::P95LatencyMs],
        start: at(1, 0, 0),
        stop: None,
        traffic: 1.0,
        salt: None,
    };
    measurements
        .put_experiment(&experiment("exp-b"))
        .await
        .expect("put");
    measurements
        .put_experiment(&experiment("exp-a"))
        .await
        .expect("put");
    assert_eq!(
        measurements.experiments().await.expect("list"),
        [experiment("exp-a"), experiment("exp-b")],
        "ordered by id, settings included"
    );
    let stopped = Experiment {
        stop: Some(at(9, 0, 0)),
        traffic: 0.5,
        salt: Some("reshuffled".to_string()),
        ..experiment("exp-a")
    };
    measurements
        .put_experiment(&stopped)
        .await
        .expect("replace");
    assert_eq!(
        measurements.experiments().await.expect("list"),
        [stopped, experiment("exp-b")]
    );
}

/// Expands every conformance scenario as a `#[tokio::test]` of the same name, each on
/// fresh stores from `$harness`: an expression evaluating to a future of a [`Harness`],
/// run once per test. This is the one list of scenarios: the in-crate memory and embedded
/// backends and the AWS integration tests all expand it, so a scenario added here runs on
/// every backend. Invoke it inside a module named after the backend:
///
/// ```ignore
/// mod conformance_on_aws {
///     framewise::conformance_tests!(super::harness("conf"));
/// }
/// ```
#[macro_export]
macro_rules! conformance_tests {
    ($harness:expr) => {
        $crate::conformance_tests!(@scenarios ($harness)
            // scenarios: begin
            when_same_event_applied_twice_should_count_once,
            when_history_read_should_be_newest_first_and_limited,
            when_decisive_signals_are_followed_by_much_browsing_should_keep_them_in_history,
            when_daily_counts_requested_since_should_skip_older_days,
            when_subjects_engage_styles_should_count_each_pair_once_per_subject,
            when_subject_engaged_more_than_cap_should_pair_only_most_recent,
            when_signals_applied_should_list_each_subject_once,
            when_queue_used_should_deliver_fifo_dedupe_and_redeliver_unacked,
            when_message_received_too_often_should_go_to_dead_letters,
            when_styles_put_should_round_trip_ordered_and_replace,
            when_lens_prices_put_should_round_trip_by_currency_and_replace,
            when_customers_put_should_round_trip_and_delete,
            when_lists_put_should_round_trip_and_replace,
            when_list_page_requested_should_return_only_that_window,
            when_list_stamps_requested_should_describe_stored_lists,
            when_artifacts_put_should_be_readable_and_current,
            when_customer_erased_should_leave_nothing_naming_them,
            when_tombstone_recorded_should_refuse_only_late_data_of_that_subject,
            when_customer_signals_dropped_should_keep_other_shoppers_queued,
            when_exposure_recorded_twice_should_count_once_and_read_back_oldest_first,
            when_credit_recorded_twice_should_count_once_in_its_cell,
            when_purchases_credited_should_read_back_by_subject_since_oldest_first,
            when_counters_requested_for_days_should_leave_out_days_outside_the_range,
            when_measurements_erased_should_remove_only_that_subjects_records,
            when_experiments_put_should_replace_by_id_and_list_ordered,
            // scenarios: end
        );
    };
    (@scenarios ($harness:expr) $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let harness = $harness.await;
                $crate::adapters::conformance::$name(&harness).await;
            }
        )*
    };
}

#[cfg(test)]
mod memory_backend {
    crate::conformance_tests!(async { super::local::memory() });
}

#[cfg(test)]
mod embedded_backend {
    crate::conformance_tests!(async { super::local::embedded() });
}

#[cfg(test)]
mod tests {
    /// Names between two marker lines of this file's source.
    fn listed(source: &str, begin: &str, end: &str) -> Vec<String> {
        let start = source.find(begin).expect("begin marker") + begin.len();
        let stop = source[start..].find(end).expect("end marker") + start;
        source[start..stop]
            .lines()
            .map(|line| line.trim().trim_end_matches(',').to_string())
            .filter(|name| !name.is_empty() && !name.starts_with("//"))
            .collect()
    }

    #[test]
    fn when_scenario_defined_should_be_in_the_one_list() {
        let source = include_str!("conformance.rs");
        let defined: Vec<String> = source
            .lines()
            .filter_map(|line| line.strip_prefix("pub async fn "))
            .filter_map(|rest| rest.split('(').next())
            .map(str::to_string)
            .collect();
        let listed = listed(source, "// scenarios: begin", "// scenarios: end");
        assert!(!defined.is_empty(), "no scenario found in the source");
        assert_eq!(listed, defined, "every scenario, in definition order");
    }
}

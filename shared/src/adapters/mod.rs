//! Storage adapters: the embedded default for one machine and an in-memory one for tests.
//!
//! Both implement every port of [`crate::ports`]. The rules that decide how a signal
//! updates the aggregates and how the queue redelivers and dead-letters messages live
//! here once ([`apply_signals`], [`enqueue_with`], [`receive_with`]); each adapter only
//! provides the primitive reads and writes, so the two cannot drift apart.

pub mod artifacts;
#[cfg(feature = "aws")]
pub mod aws;
pub mod embedded;
pub mod memory;

#[cfg(any(test, feature = "conformance"))]
pub mod conformance;

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::domain::Signal;
use crate::error::{StoreError, StoreResult};
use crate::optics::sealing::Sealer;
use crate::ports::{kind_index, EnqueueOutcome, QueuedSignal, Stores};

pub use artifacts::{LocalArtifactStore, MemoryArtifactStore};
pub use embedded::EmbeddedStore;
pub use memory::MemoryStore;

/// File name of the embedded database inside the data directory.
pub const DATABASE_FILE: &str = "framewise.redb";

/// Receives after which an unacknowledged message goes to the dead letters, by default.
pub const DEFAULT_MAX_RECEIVES: u32 = 5;

/// A subject's most recent engaged styles that a new engagement is paired with; bounds the
/// cost of one signal for very active subjects.
pub const MAX_PAIRED_STYLES: usize = 200;

/// Opens the durable single-machine stores in `data_dir` (created if missing): one redb
/// file for the five record ports and model artifacts under `data_dir/models`.
pub fn embedded_stores(data_dir: &Path) -> StoreResult<Stores> {
    std::fs::create_dir_all(data_dir)?;
    let store = Arc::new(EmbeddedStore::open(&data_dir.join(DATABASE_FILE))?);
    Ok(Stores {
        catalog: store.clone(),
        profiles: store.clone(),
        lists: store.clone(),
        signals: store.clone(),
        queue: store,
        artifacts: Arc::new(LocalArtifactStore::new(data_dir)),
    })
}

/// Fresh in-memory stores, for tests and demos that need no persistence.
pub fn memory_stores() -> Stores {
    let store = Arc::new(MemoryStore::new());
    Stores {
        catalog: store.clone(),
        profiles: store.clone(),
        lists: store.clone(),
        signals: store.clone(),
        queue: store,
        artifacts: Arc::new(MemoryArtifactStore::new()),
    }
}

/// Order-preserving key of a timestamp: millis since the epoch with the sign bit flipped,
/// so pre-1970 times still sort before later ones as unsigned integers.
pub(crate) fn time_key(ts: DateTime<Utc>) -> u64 {
    (ts.timestamp_millis() as u64) ^ (1 << 63)
}

/// The UTC day a signal counts towards.
pub(crate) fn signal_day(signal: &Signal) -> NaiveDate {
    signal.timestamp.date_naive()
}

/// Pairs (each with `a < b`) to count when a subject engages `style` for the first time,
/// given its previously engaged styles, most recent first. Only the first `cap`
/// (normally [`MAX_PAIRED_STYLES`]) are paired; repeats and `style` itself are skipped.
pub(crate) fn co_occurrence_pairs<'a>(
    style: &str,
    recent_first: impl IntoIterator<Item = &'a str>,
    cap: usize,
) -> Vec<(String, String)> {
    let mut seen = std::collections::HashSet::new();
    recent_first
        .into_iter()
        .filter(|other| *other != style && seen.insert(*other))
        .take(cap)
        .map(|other| {
            if other < style {
                (other.to_string(), style.to_string())
            } else {
                (style.to_string(), other.to_string())
            }
        })
        .collect()
}

/// Primitive operations of a signal store inside one atomic unit of work.
pub(crate) trait SignalAggregates {
    fn is_applied(&mut self, event_id: &str) -> StoreResult<bool>;
    fn mark_applied(&mut self, event_id: &str) -> StoreResult<()>;
    fn append_history(&mut self, subject_key: &str, signal: &Signal) -> StoreResult<()>;
    fn add_daily(&mut self, style_id: &str, day: NaiveDate, kind: usize) -> StoreResult<()>;
    fn is_engaged(&mut self, subject_key: &str, style_id: &str) -> StoreResult<bool>;
    /// Up to `limit` styles the subject engaged with, most recent first.
    fn recent_engaged(&mut self, subject_key: &str, limit: usize) -> StoreResult<Vec<String>>;
    /// Records the subject's first engagement with the style, as its most recent one.
    fn mark_engaged(&mut self, subject_key: &str, style_id: &str) -> StoreResult<()>;
    fn add_pair(&mut self, style_a: &str, style_b: &str) -> StoreResult<()>;
}

/// The one definition of how signals update history and aggregates (see
/// [`crate::ports::SignalStore::apply`]). Returns the signals that were new, in input order.
/// A signal without a subject only counts towards the daily counts.
pub(crate) fn apply_signals(
    store: &mut impl SignalAggregates,
    signals: &[Signal],
) -> StoreResult<Vec<Signal>> {
    let mut new = Vec::new();
    for signal in signals {
        if store.is_applied(&signal.event_id)? {
            continue;
        }
        store.mark_applied(&signal.event_id)?;
        store.add_daily(
            &signal.style_id,
            signal_day(signal),
            kind_index(signal.kind),
        )?;
        if let Some(subject) = signal.subject() {
            let key = subject.key();
            store.append_history(&key, signal)?;
            if signal.kind.is_engagement() && !store.is_engaged(&key, &signal.style_id)? {
                let recent = store.recent_engaged(&key, MAX_PAIRED_STYLES)?;
                for (a, b) in co_occurrence_pairs(
                    &signal.style_id,
                    recent.iter().map(String::as_str),
                    MAX_PAIRED_STYLES,
                ) {
                    store.add_pair(&a, &b)?;
                }
                store.mark_engaged(&key, &signal.style_id)?;
            }
        }
        new.push(signal.clone());
    }
    Ok(new)
}

/// A queued message as stored: the signal and how often it was handed out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct QueueMessage {
    pub signal: Signal,
    pub receive_count: u32,
}

/// Primitive operations of a queue inside one atomic unit of work.
pub(crate) trait QueueOps {
    fn is_accepted(&mut self, event_id: &str) -> StoreResult<bool>;
    fn mark_accepted(&mut self, event_id: &str) -> StoreResult<()>;
    fn push(&mut self, message: &QueueMessage) -> StoreResult<()>;
    /// Up to `limit` waiting messages with sequence after `after`, oldest first; `None`
    /// for a stored message that cannot be decoded.
    fn oldest(
        &mut self,
        after: Option<u64>,
        limit: usize,
    ) -> StoreResult<Vec<(u64, Option<QueueMessage>)>>;
    fn update(&mut self, seq: u64, message: &QueueMessage) -> StoreResult<()>;
    /// Moves the stored message, as is, from the queue to the dead letters.
    fn move_to_dead_letters(&mut self, seq: u64) -> StoreResult<()>;
}

/// The one definition of enqueue (see [`crate::ports::SignalQueue::enqueue`]).
pub(crate) fn enqueue_with(
    queue: &mut impl QueueOps,
    signals: &[Signal],
) -> StoreResult<EnqueueOutcome> {
    let mut outcome = EnqueueOutcome::default();
    for signal in signals {
        if queue.is_accepted(&signal.event_id)? {
            outcome.duplicates += 1;
            continue;
        }
        queue.mark_accepted(&signal.event_id)?;
        queue.push(&QueueMessage {
            signal: signal.clone(),
            receive_count: 0,
        })?;
        outcome.accepted += 1;
    }
    Ok(outcome)
}

/// The one definition of receive (see [`crate::ports::SignalQueue::receive`]): the oldest
/// messages, each counted as received once more; a message that would exceed
/// `max_receives` (or cannot be decoded) goes to the dead letters instead.
pub(crate) fn receive_with(
    queue: &mut impl QueueOps,
    max: usize,
    max_receives: u32,
) -> StoreResult<Vec<QueuedSignal>> {
    let mut delivered = Vec::new();
    let mut cursor = None;
    while delivered.len() < max {
        let batch = queue.oldest(cursor, max - delivered.len())?;
        if batch.is_empty() {
            break;
        }
        for (seq, message) in batch {
            cursor = Some(seq);
            let Some(mut message) = message else {
                tracing::warn!(seq, "undecodable queue message moved to dead letters");
                queue.move_to_dead_letters(seq)?;
                continue;
            };
            message.receive_count = message.receive_count.saturating_add(1);
            if message.receive_count > max_receives {
                tracing::warn!(
                    event_id = %message.signal.event_id,
                    receives = max_receives,
                    "signal moved to dead letters after too many receives"
                );
                queue.move_to_dead_letters(seq)?;
                continue;
            }
            queue.update(seq, &message)?;
            delivered.push(QueuedSignal {
                receipt: seq.to_string(),
                signal: message.signal,
                receive_count: message.receive_count,
            });
        }
    }
    Ok(delivered)
}

/// Parses a receipt handed out by [`receive_with`]; unknown shapes are ignored by `ack`.
pub(crate) fn parse_receipt(receipt: &str) -> Option<u64> {
    receipt.parse().ok()
}

/// Decodes one page of a JSON-encoded `StoredList`: the header and only the requested items.
/// The other items are skipped as raw JSON, so serving 12 of 100 stays cheap.
pub(crate) fn decode_list_page(
    bytes: &[u8],
    offset: usize,
    limit: usize,
) -> Result<crate::domain::ListPage, serde_json::Error> {
    #[derive(serde::Deserialize)]
    struct ListView<'a> {
        recommendation_id: String,
        customer_id: String,
        model_version: String,
        generated_at: chrono::DateTime<chrono::Utc>,
        source: crate::domain::ListSource,
        #[serde(borrow)]
        items: Vec<&'a serde_json::value::RawValue>,
    }
    let view: ListView<'_> = serde_json::from_slice(bytes)?;
    let items = view
        .items
        .iter()
        .skip(offset)
        .take(limit)
        .map(|raw| serde_json::from_str(raw.get()))
        .collect::<Result<_, _>>()?;
    Ok(crate::domain::ListPage {
        recommendation_id: view.recommendation_id,
        customer_id: view.customer_id,
        model_version: view.model_version,
        generated_at: view.generated_at,
        source: view.source,
        total: view.items.len(),
        offset,
        items,
    })
}

/// A customer at rest in every persistent store: the profile as JSON with the prescription
/// only in sealed form (envelope encryption, see [`crate::optics::sealing`]).
#[derive(Serialize, Deserialize)]
pub(crate) struct SealedCustomer {
    #[serde(flatten)]
    customer: crate::domain::Customer,
    /// Base64 of the sealed prescription JSON, bound to the customer id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sealed_prescription: Option<String>,
}

/// How a customer is kept at rest: the prescription is sealed, the rest stays JSON. Without
/// a sealer a customer with a prescription is refused: health data is never stored in clear.
pub(crate) async fn seal_customer(
    sealer: Option<&Sealer>,
    customer: &crate::domain::Customer,
) -> StoreResult<SealedCustomer> {
    let sealed_prescription = match (&customer.prescription, sealer) {
        (None, _) => None,
        (Some(_), None) => {
            return Err(StoreError::Backend(format!(
                "customer {}: no encryption key to seal the prescription",
                customer.id
            )));
        }
        (Some(rx), Some(sealer)) => Some(
            sealer
                .seal_prescription(&customer.id, rx)
                .await
                .map(|bytes| STANDARD.encode(bytes))
                .map_err(|e| {
                    StoreError::Backend(format!("sealing customer {}: {e}", customer.id))
                })?,
        ),
    };
    Ok(SealedCustomer {
        customer: crate::domain::Customer {
            prescription: None,
            ..customer.clone()
        },
        sealed_prescription,
    })
}

/// Inverse of [`seal_customer`] over the stored JSON. Errors never include the stored bytes
/// (health data). A record written before sealing existed (plaintext prescription) still
/// opens.
pub(crate) async fn open_customer(
    sealer: Option<&Sealer>,
    bytes: &[u8],
    id: &str,
) -> StoreResult<crate::domain::Customer> {
    let stored: SealedCustomer = serde_json::from_slice(bytes).map_err(|e| {
        StoreError::Corrupt(format!(
            "customer {id}: undecodable record ({:?} error at line {} column {})",
            e.classify(),
            e.line(),
            e.column()
        ))
    })?;
    let mut customer = stored.customer;
    if let Some(sealed) = stored.sealed_prescription {
        let sealer = sealer.ok_or_else(|| {
            StoreError::Backend(format!(
                "customer {id}: the prescription is sealed but no encryption key is configured"
            ))
        })?;
        let raw = STANDARD
            .decode(sealed)
            .map_err(|_| StoreError::Corrupt(format!("customer {id}: sealed prescription")))?;
        let rx = sealer
            .open_prescription(id, &raw)
            .await
            .map_err(|e| StoreError::Corrupt(format!("customer {id}: {e}")))?;
        customer.prescription = Some(rx);
    }
    Ok(customer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_style_engaged_after_others_should_pair_with_each_once_ordered() {
        let pairs = co_occurrence_pairs("m", ["z", "a", "z", "m"], MAX_PAIRED_STYLES);
        assert_eq!(
            pairs,
            vec![
                ("m".to_string(), "z".to_string()),
                ("a".to_string(), "m".to_string())
            ]
        );
    }

    #[test]
    fn when_subject_engaged_many_styles_should_pair_only_most_recent() {
        let styles: Vec<String> = (0..MAX_PAIRED_STYLES + 50)
            .map(|i| format!("s{i:04}"))
            .collect();
        let pairs =
            co_occurrence_pairs("new", styles.iter().map(String::as_str), MAX_PAIRED_STYLES);
        assert_eq!(pairs.len(), MAX_PAIRED_STYLES);
        assert!(pairs.iter().all(|(a, _)| a.as_str() < "s0200"));
    }

    #[tokio::test]
    async fn when_embedded_stores_opened_should_create_data_dir_and_persist() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data_dir = dir.path().join("nested/data");
        {
            let stores = embedded_stores(&data_dir).expect("open");
            stores
                .profiles
                .put_customers(&[crate::domain::Customer::new("c1")])
                .await
                .expect("put");
            stores
                .artifacts
                .put("v1", "m.json", b"1")
                .await
                .expect("put");
        }
        assert!(data_dir.join(DATABASE_FILE).is_file());
        assert!(data_dir.join("models/v1/m.json").is_file());
        let stores = embedded_stores(&data_dir).expect("reopen");
        assert_eq!(
            stores.profiles.list_customer_ids().await.expect("ids"),
            ["c1"]
        );
    }

    #[tokio::test]
    async fn when_memory_stores_created_should_share_one_store() {
        let stores = memory_stores();
        stores
            .profiles
            .put_customers(&[crate::domain::Customer::new("c1")])
            .await
            .expect("put");
        assert!(stores
            .profiles
            .get_customer("c1")
            .await
            .expect("get")
            .is_some());
        assert_eq!(stores.queue.depth().await.expect("depth"), 0);
    }

    #[test]
    fn when_times_straddle_epoch_should_keep_order() {
        let before = DateTime::from_timestamp_millis(-5).expect("valid time");
        let after = DateTime::from_timestamp_millis(5).expect("valid time");
        assert!(time_key(before) < time_key(after));
    }

    fn customer_with_rx() -> crate::domain::Customer {
        let eye = crate::domain::EyeRx {
            sph: -7.25,
            cyl: 0.0,
            axis: None,
            add: None,
            prism: None,
        };
        crate::domain::Customer {
            prescription: Some(crate::domain::Prescription {
                od: eye.clone(),
                os: eye,
                pd: crate::domain::PupillaryDistance::Binocular(61.5),
                fitting_height: None,
            }),
            ..crate::domain::Customer::new("cu-1")
        }
    }

    fn sealer() -> Sealer {
        let key = crate::optics::sealing::LocalKeyFile::random("k").expect("key");
        Sealer::new(Arc::new(key))
    }

    #[tokio::test]
    async fn when_customer_sealed_should_hide_prescription_and_open_back() {
        let sealer = sealer();
        let customer = customer_with_rx();
        let json =
            serde_json::to_string(&seal_customer(Some(&sealer), &customer).await.expect("seal"))
                .expect("json");
        assert!(json.contains("sealed_prescription"), "{json}");
        assert!(
            !json.contains("-7.25") && !json.contains("\"sph\""),
            "{json}"
        );
        let opened = open_customer(Some(&sealer), json.as_bytes(), "cu-1").await;
        assert_eq!(opened.expect("open"), customer);
        let moved = open_customer(Some(&sealer), json.as_bytes(), "cu-2").await;
        assert!(
            moved.is_err(),
            "a sealed prescription is bound to its customer"
        );
    }

    #[tokio::test]
    async fn when_no_sealer_should_refuse_prescriptions_but_keep_plain_profiles() {
        let error = seal_customer(None, &customer_with_rx())
            .await
            .err()
            .expect("refused")
            .to_string();
        assert!(error.contains("no encryption key"), "{error}");
        let plain = crate::domain::Customer::new("cu-1");
        let sealed = seal_customer(None, &plain).await.expect("plain");
        let json = serde_json::to_vec(&sealed).expect("json");
        assert_eq!(
            open_customer(None, &json, "cu-1").await.expect("open"),
            plain
        );

        let sealed = seal_customer(Some(&sealer()), &customer_with_rx())
            .await
            .expect("seal");
        let json = serde_json::to_vec(&sealed).expect("json");
        assert!(open_customer(None, &json, "cu-1").await.is_err());
    }
}

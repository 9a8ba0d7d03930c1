//! The dead letters of the embedded queue, for an operator (`framewise dlq`): list them,
//! show one, send them back to the queue, or drop them. Redriving moves a message in one
//! transaction (removed from the dead letters, queued with a fresh receive count), and the
//! worker applies a signal once per `event_id`, so a redriven signal is applied exactly once
//! even if the redrive or the worker is interrupted.

use redb::{ReadableTable, ReadableTableMetadata};
use serde::Serialize;

use super::{next_seq, EmbeddedStore, RedbResultExt, DEAD_LETTERS, META, QUEUE, QUEUE_SEQ};
use crate::adapters::queue_rules::QueueMessage;
use crate::domain::Signal;
use crate::error::StoreResult;

/// One dead letter as an operator sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeadLetter {
    /// Its position in the dead letters: what `show`, `redrive` and `purge` take.
    pub id: u64,
    /// Deliveries it had before it was set aside.
    pub receive_count: u32,
    /// `None` when the stored message cannot be decoded (it can only be purged).
    pub signal: Option<Signal>,
    /// Size of the stored message.
    pub bytes: usize,
}

/// Which dead letters an operation takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeadLetterSelection {
    All,
    Ids(Vec<u64>),
}

impl DeadLetterSelection {
    fn takes(&self, id: u64) -> bool {
        match self {
            Self::All => true,
            Self::Ids(ids) => ids.contains(&id),
        }
    }
}

impl EmbeddedStore {
    /// Every dead letter, oldest first.
    pub async fn dead_letter_entries(&self) -> StoreResult<Vec<DeadLetter>> {
        self.blocking(|db| {
            use redb::ReadableDatabase as _;
            let txn = db.begin_read().db()?;
            let table = txn.open_table(DEAD_LETTERS).db()?;
            let mut out = Vec::new();
            for entry in table.iter().db()? {
                let (id, bytes) = entry.db()?;
                let message = serde_json::from_slice::<QueueMessage>(bytes.value()).ok();
                out.push(DeadLetter {
                    id: id.value(),
                    receive_count: message.as_ref().map_or(0, |m| m.receive_count),
                    signal: message.map(|m| m.signal),
                    bytes: bytes.value().len(),
                });
            }
            Ok(out)
        })
        .await
    }

    /// Moves the selected dead letters back to the queue (fresh receive count); returns how
    /// many. Undecodable ones stay: nothing could apply them.
    pub async fn redrive_dead_letters(&self, selection: DeadLetterSelection) -> StoreResult<usize> {
        self.write(move |txn| {
            let mut dead = txn.open_table(DEAD_LETTERS).db()?;
            let mut queue = txn.open_table(QUEUE).db()?;
            let mut meta = txn.open_table(META).db()?;
            let mut chosen = Vec::new();
            for entry in dead.iter().db()? {
                let (id, bytes) = entry.db()?;
                if selection.takes(id.value()) {
                    if let Ok(message) = serde_json::from_slice::<QueueMessage>(bytes.value()) {
                        chosen.push((id.value(), message.signal));
                    }
                }
            }
            for (id, signal) in &chosen {
                dead.remove(*id).db()?;
                let bytes = super::encode(&QueueMessage {
                    signal: signal.clone(),
                    receive_count: 0,
                })?;
                let seq = next_seq(&mut meta, QUEUE_SEQ)?;
                queue.insert(seq, bytes.as_slice()).db()?;
            }
            Ok(chosen.len())
        })
        .await
    }

    /// Deletes the selected dead letters for good; returns how many.
    pub async fn purge_dead_letters(&self, selection: DeadLetterSelection) -> StoreResult<usize> {
        self.write(move |txn| {
            let mut dead = txn.open_table(DEAD_LETTERS).db()?;
            let before = dead.len().db()?;
            dead.retain(|id, _| !selection.takes(id)).db()?;
            Ok(usize::try_from(before - dead.len().db()?).unwrap_or(usize::MAX))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::adapters::{embedded_stores_with, OpenOptions};
    use crate::domain::{Customer, SignalKind, Subject};
    use crate::ports::{ProfileStore, SignalQueue, SignalStore};
    use crate::service::{Framewise, HealthStatus, ServiceConfig};

    fn view(event_id: &str, customer: &str) -> Signal {
        Signal {
            event_id: event_id.to_string(),
            customer_id: Some(customer.to_string()),
            session_id: None,
            kind: SignalKind::View,
            style_id: "s1".to_string(),
            sku: None,
            timestamp: Utc::now(),
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

    async fn history_ids(store: &EmbeddedStore, customer: &str) -> Vec<String> {
        store
            .history(&Subject::Customer(customer.to_string()), 100)
            .await
            .expect("history")
            .into_iter()
            .map(|s| s.event_id)
            .collect()
    }

    #[tokio::test]
    async fn when_one_signal_is_poison_should_fail_alone_then_redrive_apply_it_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (stores, store) =
            embedded_stores_with(dir.path(), &OpenOptions::default()).expect("open");
        let service = Framewise::open(stores, ServiceConfig::default())
            .await
            .expect("service");
        // A damaged profile: every list computed for this shopper fails.
        store
            .write(|txn| {
                txn.open_table(super::super::CUSTOMERS)
                    .db()?
                    .insert("poison", b"{not json".as_slice())
                    .db()?;
                Ok(())
            })
            .await
            .expect("inject");
        let batch = [
            view("a-1", "alice"),
            view("p-1", "poison"),
            view("b-1", "bob"),
        ];
        store.enqueue(&batch).await.expect("enqueue");

        let first = service.process_queue(10, Utc::now()).await.expect("pass");
        assert_eq!((first.received, first.failed), (3, 1), "{first:?}");
        assert_eq!(
            store.depth().await.expect("depth"),
            1,
            "only the poison waits"
        );
        assert_eq!(history_ids(&store, "alice").await, ["a-1"]);
        assert_eq!(history_ids(&store, "bob").await, ["b-1"]);
        for _ in 0..crate::adapters::DEFAULT_MAX_RECEIVES + 1 {
            let _ = service.process_queue(10, Utc::now()).await;
        }
        assert_eq!(store.depth().await.expect("depth"), 0);
        let letters = store.dead_letter_entries().await.expect("dead letters");
        assert_eq!(letters.len(), 1);
        assert_eq!(
            letters[0].signal.as_ref().map(|s| s.event_id.as_str()),
            Some("p-1")
        );
        let health = service.health(Utc::now()).await;
        assert_eq!(health.dead_letters, Some(1));
        assert_eq!(health.status, HealthStatus::Degraded, "{health:?}");

        // The operator repairs the profile, then redrives: applied once, list computed.
        store
            .put_customers(&[Customer::new("poison")])
            .await
            .expect("repair");
        let moved = store
            .redrive_dead_letters(DeadLetterSelection::Ids(vec![letters[0].id]))
            .await
            .expect("redrive");
        assert_eq!(moved, 1);
        let pass = service.process_queue(10, Utc::now()).await.expect("pass");
        assert_eq!(
            (pass.received, pass.failed, pass.lists_recomputed),
            (1, 0, 1)
        );
        assert_eq!(history_ids(&store, "poison").await, ["p-1"], "applied once");
        assert!(store.dead_letter_entries().await.expect("dlq").is_empty());
        assert_eq!(service.health(Utc::now()).await.status, HealthStatus::Ok);
    }

    #[tokio::test]
    async fn when_dead_letters_purged_should_keep_unselected_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = EmbeddedStore::open(&dir.path().join("framewise.redb"))
            .expect("open")
            .with_max_receives(0);
        store
            .enqueue(&[view("x-1", "c"), view("x-2", "c"), view("x-3", "c")])
            .await
            .expect("enqueue");
        assert!(store.receive(10).await.expect("receive").is_empty());
        let ids: Vec<u64> = store
            .dead_letter_entries()
            .await
            .expect("dlq")
            .iter()
            .map(|l| l.id)
            .collect();
        assert_eq!(ids.len(), 3);
        let purged = store
            .purge_dead_letters(DeadLetterSelection::Ids(vec![ids[0]]))
            .await
            .expect("purge");
        assert_eq!(purged, 1);
        assert_eq!(
            store
                .redrive_dead_letters(DeadLetterSelection::All)
                .await
                .expect("redrive"),
            2
        );
        assert_eq!(store.depth().await.expect("depth"), 2);
        assert!(store.dead_letter_entries().await.expect("dlq").is_empty());
    }
}

//! The signal queue of the embedded store: redb tables behind the primitives of
//! [`QueueOps`]; redelivery and dead letters are the shared `queue_rules`.

use std::ops::Bound;

use async_trait::async_trait;
use redb::{ReadableTable, ReadableTableMetadata, Table, WriteTransaction};

use super::{
    decode, encode, next_seq, EmbeddedStore, RedbResultExt, ACCEPTED_EVENTS, DEAD_LETTERS, META,
    QUEUE, QUEUE_SEQ,
};
use crate::adapters::queue_rules::{
    enqueue_with, parse_receipt, receive_with, QueueMessage, QueueOps,
};
use crate::domain::Signal;
use crate::error::{StoreError, StoreResult};
use crate::ports::{EnqueueOutcome, QueuedSignal, SignalQueue};

impl EmbeddedStore {
    /// Signals that were received too often without an ack, oldest first, for inspection.
    pub fn dead_letters(&self) -> StoreResult<Vec<Signal>> {
        let txn = self.read()?;
        let table = txn.open_table(DEAD_LETTERS).db()?;
        let mut signals = Vec::new();
        for entry in table.iter().db()? {
            let (seq, bytes) = entry.db()?;
            let message: QueueMessage = decode(bytes.value(), "dead letter", seq.value())?;
            signals.push(message.signal);
        }
        Ok(signals)
    }
}

/// The queue tables opened inside one write transaction.
struct QueueTables<'txn> {
    accepted: Table<'txn, &'static str, ()>,
    queue: Table<'txn, u64, &'static [u8]>,
    dead: Table<'txn, u64, &'static [u8]>,
    meta: Table<'txn, &'static str, u64>,
}

impl<'txn> QueueTables<'txn> {
    fn open(txn: &'txn WriteTransaction) -> StoreResult<Self> {
        Ok(Self {
            accepted: txn.open_table(ACCEPTED_EVENTS).db()?,
            queue: txn.open_table(QUEUE).db()?,
            dead: txn.open_table(DEAD_LETTERS).db()?,
            meta: txn.open_table(META).db()?,
        })
    }
}

impl QueueOps for QueueTables<'_> {
    fn is_accepted(&mut self, event_id: &str) -> StoreResult<bool> {
        Ok(self.accepted.get(event_id).db()?.is_some())
    }

    fn mark_accepted(&mut self, event_id: &str) -> StoreResult<()> {
        self.accepted.insert(event_id, ()).db()?;
        Ok(())
    }

    fn push(&mut self, message: &QueueMessage) -> StoreResult<()> {
        let seq = next_seq(&mut self.meta, QUEUE_SEQ)?;
        let bytes = encode(message)?;
        self.queue.insert(seq, bytes.as_slice()).db()?;
        Ok(())
    }

    fn oldest(
        &mut self,
        after: Option<u64>,
        limit: usize,
    ) -> StoreResult<Vec<(u64, Option<QueueMessage>)>> {
        let start = after.map_or(Bound::Unbounded, Bound::Excluded);
        let mut out = Vec::new();
        for entry in self
            .queue
            .range((start, Bound::Unbounded))
            .db()?
            .take(limit)
        {
            let (seq, bytes) = entry.db()?;
            let message = serde_json::from_slice(bytes.value()).ok();
            out.push((seq.value(), message));
        }
        Ok(out)
    }

    fn update(&mut self, seq: u64, message: &QueueMessage) -> StoreResult<()> {
        let bytes = encode(message)?;
        self.queue.insert(seq, bytes.as_slice()).db()?;
        Ok(())
    }

    fn move_to_dead_letters(&mut self, seq: u64) -> StoreResult<()> {
        let bytes = self.queue.remove(seq).db()?.map(|v| v.value().to_vec());
        if let Some(bytes) = bytes {
            self.dead.insert(seq, bytes.as_slice()).db()?;
        }
        Ok(())
    }
}

#[async_trait]
impl SignalQueue for EmbeddedStore {
    async fn enqueue(&self, signals: &[Signal]) -> StoreResult<EnqueueOutcome> {
        let signals = signals.to_vec();
        self.write(move |txn| enqueue_with(&mut QueueTables::open(txn)?, &signals))
            .await
    }

    async fn receive(&self, max: usize) -> StoreResult<Vec<QueuedSignal>> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let max_receives = self.max_receives;
        self.write(move |txn| receive_with(&mut QueueTables::open(txn)?, max, max_receives))
            .await
    }

    async fn ack(&self, receipts: &[String]) -> StoreResult<()> {
        let seqs: Vec<u64> = receipts.iter().filter_map(|r| parse_receipt(r)).collect();
        if seqs.is_empty() {
            return Ok(());
        }
        self.write(move |txn| {
            let mut queue = txn.open_table(QUEUE).db()?;
            for seq in seqs {
                queue.remove(seq).db()?;
            }
            Ok(())
        })
        .await
    }

    async fn depth(&self) -> StoreResult<u64> {
        let txn = self.read()?;
        txn.open_table(QUEUE).db()?.len().db()
    }

    async fn drop_customer_signals(&self, customer_id: &str) -> StoreResult<usize> {
        let customer_id = customer_id.to_string();
        self.write(move |txn| {
            let mut dropped = 0;
            for table in [QUEUE, DEAD_LETTERS] {
                let mut table = txn.open_table(table).db()?;
                let before = table.len().db()?;
                // An undecodable message names no customer we could match; it is kept for
                // the dead letters like any other.
                table
                    .retain(|_, bytes| {
                        serde_json::from_slice::<QueueMessage>(bytes).map_or(true, |m| {
                            m.signal.customer_id.as_deref() != Some(customer_id.as_str())
                        })
                    })
                    .db()?;
                dropped += before - table.len().db()?;
            }
            usize::try_from(dropped)
                .map_err(|_| StoreError::Corrupt("queue length overflowed".to_string()))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SignalKind;

    fn signal(event_id: &str) -> Signal {
        Signal {
            event_id: event_id.to_string(),
            customer_id: Some("c1".to_string()),
            session_id: None,
            kind: SignalKind::Click,
            style_id: "s1".to_string(),
            sku: None,
            timestamp: chrono::DateTime::from_timestamp(1_740_000_000, 0).expect("valid time"),
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

    #[tokio::test]
    async fn when_store_reopened_should_still_deliver_enqueued_signal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("framewise.redb");
        {
            let store = EmbeddedStore::open(&path).expect("open");
            let outcome = store.enqueue(&[signal("e1")]).await.expect("enqueue");
            assert_eq!(outcome.accepted, 1);
        }
        let store = EmbeddedStore::open(&path).expect("reopen");
        let received = store.receive(10).await.expect("receive");
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].signal, signal("e1"));
        let outcome = store.enqueue(&[signal("e1")]).await.expect("enqueue");
        assert_eq!(outcome.duplicates, 1, "accepted ids must survive a restart");
    }

    #[tokio::test]
    async fn when_receipts_reused_after_restart_should_not_repeat_sequence() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("framewise.redb");
        let first = {
            let store = EmbeddedStore::open(&path).expect("open");
            store.enqueue(&[signal("e1")]).await.expect("enqueue");
            let received = store.receive(1).await.expect("receive");
            store
                .ack(&[received[0].receipt.clone()])
                .await
                .expect("ack");
            received[0].receipt.clone()
        };
        let store = EmbeddedStore::open(&path).expect("reopen");
        store.enqueue(&[signal("e2")]).await.expect("enqueue");
        let received = store.receive(1).await.expect("receive");
        assert_ne!(received[0].receipt, first);
    }

    #[tokio::test]
    async fn when_queue_message_is_corrupt_should_dead_letter_and_keep_flowing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = EmbeddedStore::open(&dir.path().join("framewise.redb")).expect("open");
        store
            .write(|txn| {
                txn.open_table(QUEUE)
                    .db()?
                    .insert(0, b"garbage".as_slice())
                    .db()?;
                Ok(())
            })
            .await
            .expect("inject");
        store.enqueue(&[signal("e1")]).await.expect("enqueue");
        let received = store.receive(10).await.expect("receive");
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].signal.event_id, "e1");
        assert_eq!(store.depth().await.expect("depth"), 1);
        assert!(matches!(store.dead_letters(), Err(StoreError::Corrupt(_))));
    }
}

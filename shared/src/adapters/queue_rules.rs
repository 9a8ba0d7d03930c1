//! The queue rules of the local stores (memory and redb), defined once: duplicate
//! detection by `event_id` at enqueue, receive counts, redelivery of unacknowledged messages
//! oldest first, and dead-lettering after too many receives. Each store provides only the
//! primitive [`QueueOps`] inside one atomic unit of work. (SQS has its own, native rules.)

use serde::{Deserialize, Serialize};

use crate::domain::Signal;
use crate::error::StoreResult;
use crate::ports::{EnqueueOutcome, QueuedSignal};

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

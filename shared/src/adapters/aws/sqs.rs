//! The signal queue on SQS (standard queue with a redrive policy to a dead-letter queue).
//!
//! Each message body is one [`Signal`] as JSON ([`signal_from_sqs_body`] decodes it).
//! Differences from the local queue, by design:
//! - `enqueue` never reports duplicates: SQS cannot tell, so the worker dedupes by
//!   `event_id` (the DynamoDB event markers) and `EnqueueOutcome::duplicates` is always 0.
//! - Dead letters are the redrive policy's job: after `maxReceiveCount` receives SQS moves
//!   the message to `<queue>-dlq`; `receive` never moves anything itself.
//! - Order is best effort (standard queue).

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, MessageSystemAttributeName, QueueAttributeName,
    SendMessageBatchRequestEntry,
};
use aws_sdk_sqs::Client;

use super::{drain_with_backoff, sdk_error, AwsSettings, Backoff, ResourceOptions};
use crate::domain::Signal;
use crate::error::{StoreError, StoreResult};
use crate::ports::{EnqueueOutcome, QueuedSignal, SignalQueue};

/// Largest message body (and largest batch payload) SQS accepts: 256 KiB.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// Entries per SendMessageBatch / DeleteMessageBatch / ReceiveMessage call.
const BATCH: usize = 10;

/// Long-poll wait of one ReceiveMessage call.
const WAIT_SECONDS: i32 = 1;

/// [`SignalQueue`] over one SQS queue.
#[derive(Debug, Clone)]
pub struct SqsSignalQueue {
    client: Client,
    queue_url: String,
    backoff: Backoff,
}

impl SqsSignalQueue {
    /// A queue handle; the client is shared and built once per cold start.
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
            backoff: Backoff::default(),
        }
    }

    /// Replaces the retry policy for partially failed batches.
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Sends one batch (at most 10 bodies, at most 256 KiB together), retrying only the
    /// entries SQS failed on its side; a sender-fault failure ends the call.
    async fn send_batch(&self, bodies: Vec<(String, String)>) -> StoreResult<()> {
        drain_with_backoff(
            &self.backoff,
            "SQS SendMessageBatch",
            bodies,
            |pending| async move {
                let entries = pending
                    .iter()
                    .map(|(id, body)| {
                        SendMessageBatchRequestEntry::builder()
                            .id(id)
                            .message_body(body)
                            .build()
                            .map_err(|e| sdk_error("SQS SendMessageBatch entry", e))
                    })
                    .collect::<StoreResult<Vec<_>>>()?;
                let output = self
                    .client
                    .send_message_batch()
                    .queue_url(&self.queue_url)
                    .set_entries(Some(entries))
                    .send()
                    .await
                    .map_err(|e| sdk_error("SQS SendMessageBatch", e))?;
                if let Some(bad) = output.failed().iter().find(|f| f.sender_fault()) {
                    return Err(StoreError::Backend(format!(
                        "SQS SendMessageBatch rejected an entry: {} {}",
                        bad.code(),
                        bad.message().unwrap_or_default()
                    )));
                }
                let failed: HashSet<&str> = output.failed().iter().map(|f| f.id()).collect();
                let left = pending
                    .iter()
                    .filter(|(id, _)| failed.contains(id.as_str()))
                    .cloned()
                    .collect();
                Ok((left, Vec::<()>::new()))
            },
        )
        .await?;
        Ok(())
    }
}

/// Decodes a message body written by [`SqsSignalQueue::enqueue`].
pub fn signal_from_sqs_body(body: &str) -> Result<Signal, StoreError> {
    serde_json::from_str(body)
        .map_err(|e| StoreError::Corrupt(format!("SQS message body is not a signal: {e}")))
}

/// Encodes every signal, rejecting the call before anything is sent if one is too large.
fn encode_bodies(signals: &[Signal]) -> StoreResult<Vec<String>> {
    signals
        .iter()
        .map(|signal| {
            let body = serde_json::to_string(signal).map_err(StoreError::backend)?;
            if body.len() > MAX_MESSAGE_BYTES {
                return Err(StoreError::Backend(format!(
                    "signal {} is {} bytes, over the SQS limit of {MAX_MESSAGE_BYTES}",
                    signal.event_id,
                    body.len()
                )));
            }
            Ok(body)
        })
        .collect()
}

/// Groups bodies into batches of at most 10 entries and 256 KiB in total.
fn batches(bodies: Vec<String>) -> Vec<Vec<(String, String)>> {
    let mut out: Vec<Vec<(String, String)>> = Vec::new();
    let mut size = 0;
    for body in bodies {
        let full = out
            .last()
            .is_none_or(|b| b.len() == BATCH || size + body.len() > MAX_MESSAGE_BYTES);
        if full {
            out.push(Vec::new());
            size = 0;
        }
        size += body.len();
        if let Some(batch) = out.last_mut() {
            batch.push((batch.len().to_string(), body));
        }
    }
    out
}

#[async_trait]
impl SignalQueue for SqsSignalQueue {
    /// Sends every signal or fails: Ok only once SQS accepted each message. On Err some
    /// messages may already be queued; the client retries with the same `event_id`s and the
    /// worker drops the repeats.
    async fn enqueue(&self, signals: &[Signal]) -> StoreResult<EnqueueOutcome> {
        let bodies = encode_bodies(signals)?;
        for batch in batches(bodies) {
            self.send_batch(batch).await?;
        }
        Ok(EnqueueOutcome {
            accepted: signals.len(),
            duplicates: 0,
        })
    }

    /// Long-polls (1 s) for up to `max` messages. A body that is not a signal is left
    /// unacknowledged, so the redrive policy moves it to the dead-letter queue.
    async fn receive(&self, max: usize) -> StoreResult<Vec<QueuedSignal>> {
        let mut delivered = Vec::new();
        let mut seen = HashSet::new();
        while delivered.len() < max {
            let want = (max - delivered.len()).min(BATCH);
            let output = self
                .client
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(i32::try_from(want).unwrap_or(10))
                .wait_time_seconds(WAIT_SECONDS)
                .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
                .send()
                .await
                .map_err(|e| sdk_error("SQS ReceiveMessage", e))?;
            let messages = output.messages();
            let mut fresh = 0;
            for message in messages {
                let id = message.message_id().unwrap_or_default().to_string();
                if !seen.insert(id.clone()) {
                    continue;
                }
                fresh += 1;
                let (Some(receipt), Some(body)) = (message.receipt_handle(), message.body()) else {
                    continue;
                };
                let signal = match signal_from_sqs_body(body) {
                    Ok(signal) => signal,
                    Err(e) => {
                        tracing::warn!(message_id = %id, error = %e, "undecodable SQS message left for the dead-letter queue");
                        continue;
                    }
                };
                let receive_count = message
                    .attributes()
                    .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(1);
                delivered.push(QueuedSignal {
                    receipt: receipt.to_string(),
                    signal,
                    receive_count,
                });
            }
            // A short answer means the queue is drained for now; a repeat means messages
            // became visible again (zero visibility timeout), so stop either way.
            if messages.len() < want || fresh == 0 {
                break;
            }
        }
        Ok(delivered)
    }

    /// Deletes the messages; receipts SQS does not know (already deleted, garbage) are
    /// ignored like the local queue does.
    async fn ack(&self, receipts: &[String]) -> StoreResult<()> {
        for chunk in receipts.chunks(BATCH) {
            let pending: Vec<(String, String)> = chunk
                .iter()
                .enumerate()
                .map(|(i, r)| (i.to_string(), r.clone()))
                .collect();
            drain_with_backoff(
                &self.backoff,
                "SQS DeleteMessageBatch",
                pending,
                |pending| async move {
                    let entries = pending
                        .iter()
                        .map(|(id, receipt)| {
                            DeleteMessageBatchRequestEntry::builder()
                                .id(id)
                                .receipt_handle(receipt)
                                .build()
                                .map_err(|e| sdk_error("SQS DeleteMessageBatch entry", e))
                        })
                        .collect::<StoreResult<Vec<_>>>()?;
                    let output = self
                        .client
                        .delete_message_batch()
                        .queue_url(&self.queue_url)
                        .set_entries(Some(entries))
                        .send()
                        .await
                        .map_err(|e| sdk_error("SQS DeleteMessageBatch", e))?;
                    let mut retry = HashSet::new();
                    for failure in output.failed() {
                        if failure.code() == "ReceiptHandleIsInvalid" {
                            continue;
                        }
                        if failure.sender_fault() {
                            return Err(StoreError::Backend(format!(
                                "SQS DeleteMessageBatch rejected an entry: {}",
                                failure.code()
                            )));
                        }
                        retry.insert(failure.id().to_string());
                    }
                    let left = pending
                        .into_iter()
                        .filter(|(id, _)| retry.contains(id))
                        .collect();
                    Ok((left, Vec::<()>::new()))
                },
            )
            .await?;
        }
        Ok(())
    }

    /// Messages waiting or in flight (received, not yet deleted); dead letters excluded.
    async fn depth(&self) -> StoreResult<u64> {
        let output = self
            .client
            .get_queue_attributes()
            .queue_url(&self.queue_url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .map_err(|e| sdk_error("SQS GetQueueAttributes", e))?;
        let attributes = output.attributes().cloned().unwrap_or_default();
        let count = |name: QueueAttributeName| -> StoreResult<u64> {
            attributes.get(&name).map_or(Ok(0), |n| {
                n.parse()
                    .map_err(|_| StoreError::Corrupt(format!("SQS {name} is not a number: {n}")))
            })
        };
        Ok(count(QueueAttributeName::ApproximateNumberOfMessages)?
            + count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)?)
    }

    /// Always 0: SQS cannot delete messages it has not handed out, and reading the whole
    /// queue to find some would hide everyone else's signals from the worker for a
    /// visibility timeout. The customer's queued signals still reach the worker, where the
    /// tombstone written by the erasure refuses them; dead letters expire with the
    /// dead-letter queue's retention (14 days, shorter than the tombstone's 30).
    async fn drop_customer_signals(&self, _customer_id: &str) -> StoreResult<usize> {
        Ok(0)
    }
}

/// Creates `<queue>-dlq` and the queue with a redrive policy to it, if missing.
pub(super) async fn create_queue(
    client: &Client,
    settings: &AwsSettings,
    options: &ResourceOptions,
) -> StoreResult<()> {
    let name = settings.queue_name();
    if name.is_empty() {
        return Err(StoreError::Backend(format!(
            "queue URL '{}' has no queue name",
            settings.queue_url
        )));
    }
    let dlq_url = client
        .create_queue()
        .queue_name(format!("{name}-dlq"))
        .attributes(QueueAttributeName::MessageRetentionPeriod, "1209600")
        .send()
        .await
        .map_err(|e| sdk_error("SQS CreateQueue (dead letters)", e))?
        .queue_url()
        .unwrap_or_default()
        .to_string();
    let dlq_arn = client
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| sdk_error("SQS GetQueueAttributes (dead letters)", e))?
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .ok_or_else(|| StoreError::Backend("dead-letter queue has no ARN".to_string()))?;
    let redrive = serde_json::json!({
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": options.max_receives.to_string(),
    });
    let attributes = HashMap::from([
        (
            QueueAttributeName::VisibilityTimeout,
            options.visibility_timeout_secs.to_string(),
        ),
        (QueueAttributeName::RedrivePolicy, redrive.to_string()),
    ]);
    client
        .create_queue()
        .queue_name(name)
        .set_attributes(Some(attributes))
        .send()
        .await
        .map_err(|e| sdk_error("SQS CreateQueue", e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_25_bodies_batched_should_make_3_batches_with_local_ids() {
        let bodies: Vec<String> = (0..25).map(|i| format!("b{i}")).collect();
        let out = batches(bodies);
        assert_eq!(out.iter().map(Vec::len).collect::<Vec<_>>(), [10, 10, 5]);
        assert_eq!(out[2][4], ("4".to_string(), "b24".to_string()));
    }

    #[test]
    fn when_bodies_large_should_keep_each_batch_under_256_kib() {
        let bodies: Vec<String> = (0..4).map(|_| "x".repeat(100 * 1024)).collect();
        let out = batches(bodies);
        assert_eq!(out.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2]);
    }

    #[test]
    fn when_body_is_garbage_should_report_corrupt() {
        assert!(matches!(
            signal_from_sqs_body("{\"nope\":1}"),
            Err(StoreError::Corrupt(_))
        ));
    }
}

//! SQS batches with partial failures (`ReportBatchItemFailures`): decoding each record on
//! its own, so one bad message fails alone, and the answer naming the failed ones once.

use std::collections::HashSet;
use std::fmt::Display;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};

/// The records of `event` decoded by `decode(record, body)` as (message id, value), and
/// the ids of records without a body or that did not decode (logged, naming `what`).
pub fn decode_batch<T, E: Display>(
    event: SqsEvent,
    what: &str,
    decode: impl Fn(&SqsMessage, &str) -> Result<T, E>,
) -> (Vec<(String, T)>, Vec<String>) {
    let mut decoded = Vec::new();
    let mut failed = Vec::new();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        match record.body.as_deref().map(|body| decode(&record, body)) {
            Some(Ok(value)) => decoded.push((id, value)),
            Some(Err(error)) => {
                tracing::warn!(message_id = %id, %error, "undecodable {what} message");
                failed.push(id);
            }
            None => {
                tracing::warn!(message_id = %id, "{what} message without a body");
                failed.push(id);
            }
        }
    }
    (decoded, failed)
}

/// The batch answer reporting each of `failed` once, so SQS redelivers only those.
pub fn batch_failures(failed: Vec<String>) -> SqsBatchResponse {
    let mut seen = HashSet::new();
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failed
        .into_iter()
        .filter(|id| seen.insert(id.clone()))
        .map(|item_identifier| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = item_identifier;
            failure
        })
        .collect();
    response
}

//! Lambda entry point of `catalog-sync`: the read-write service, the feed reader and the
//! safety margin once per cold start; each S3 notification goes to the feed handler with the
//! instant its work must stop, each batch of the catalogue events queue to the delta handler.

use aws_lambda_events::event::sqs::SqsBatchResponse;
use catalog_sync::{
    handle, handle_deltas, CatalogEvent, FeedOutcome, DEFAULT_SAFETY_SECS, SAFETY_SECS,
};
use chrono::Utc;
use framewise::adapters::aws::S3ArtifactStore;
use framewise_lambda::{cold_start, open_service, Access, ErrorKind, FunctionError, WorkDeadline};
use lambda_runtime::{run, service_fn, LambdaEvent};
use serde::Serialize;

/// The invocation's answer: the feeds' outcomes, or the queue messages that failed (SQS
/// reads `batchItemFailures` from it).
#[derive(Serialize)]
#[serde(untagged)]
enum Answer {
    Feed(Vec<FeedOutcome>),
    Deltas(SqsBatchResponse),
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let (opened, deadline) = cold_start(|env| async move {
        let deadline = WorkDeadline::from_env(&env, SAFETY_SECS, DEFAULT_SAFETY_SECS)?;
        Ok((open_service(&env, Access::ReadWrite).await?, deadline))
    })
    .await?;
    let feeds = S3ArtifactStore::new(opened.clients.s3.clone(), opened.settings.bucket.clone());
    let (service, feeds) = (&*opened.service, &feeds);
    run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            let payload = CatalogEvent::from_payload(event.payload)
                .map_err(|e| FunctionError::new(ErrorKind::Invalid, e))?;
            Ok::<_, FunctionError>(match payload {
                CatalogEvent::Feed(feed) => {
                    let until = deadline.for_invocation(&event.context);
                    let outcomes = handle(service, feeds, feed, until, Utc::now()).await;
                    Answer::Feed(outcomes.map_err(FunctionError::from)?)
                }
                CatalogEvent::Deltas(batch) => {
                    Answer::Deltas(handle_deltas(service, batch, Utc::now()).await)
                }
            })
        },
    ))
    .await
}

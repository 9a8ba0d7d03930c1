//! Lambda entry point of `catalog-sync`: the read-write service, the feed reader and the
//! safety margin once per cold start; each S3 notification goes to the handler with the
//! instant its work must stop.

use aws_lambda_events::event::s3::S3Event;
use catalog_sync::{handle, DEFAULT_SAFETY_SECS, SAFETY_SECS};
use chrono::Utc;
use framewise::adapters::aws::S3ArtifactStore;
use framewise_lambda::{cold_start, open_service, Access, FunctionError, WorkDeadline};
use lambda_runtime::{run, service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let (opened, deadline) = cold_start(|env| async move {
        let deadline = WorkDeadline::from_env(&env, SAFETY_SECS, DEFAULT_SAFETY_SECS)?;
        Ok((open_service(&env, Access::ReadWrite).await?, deadline))
    })
    .await?;
    let feeds = S3ArtifactStore::new(opened.clients.s3.clone(), opened.settings.bucket.clone());
    let (service, feeds) = (&*opened.service, &feeds);
    run(service_fn(move |event: LambdaEvent<S3Event>| async move {
        let until = deadline.for_invocation(&event.context);
        let outcomes = handle(service, feeds, event.payload, until, Utc::now()).await;
        outcomes.map_err(FunctionError::from)
    }))
    .await
}

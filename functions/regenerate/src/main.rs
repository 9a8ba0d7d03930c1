//! Lambda entry point of `regenerate`: the read-write service and the safety margin once per
//! cold start; each step the state machine (or the weekly digest schedule) sends goes to the
//! handler with the instant its work must stop, digests to S3.

use chrono::Utc;
use framewise::adapters::aws::S3ArtifactStore;
use framewise_lambda::{cold_start, open_service, Access, FunctionError, WorkDeadline};
use lambda_runtime::{run, service_fn, LambdaEvent};
use regenerate::{handle_with, S3Digests, DEFAULT_SAFETY_SECS, SAFETY_SECS};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let (opened, deadline) = cold_start(|env| async move {
        let deadline = WorkDeadline::from_env(&env, SAFETY_SECS, DEFAULT_SAFETY_SECS)?;
        let opened = open_service(&env, Access::ReadWrite).await?;
        Ok((opened, deadline))
    })
    .await?;
    let digests = S3Digests(S3ArtifactStore::new(
        opened.clients.s3.clone(),
        opened.settings.bucket.clone(),
    ));
    let (service, digests) = (&*opened.service, &digests);
    run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            let until = deadline.for_invocation(&event.context);
            let outcome =
                handle_with(service, Some(digests), event.payload, until, Utc::now()).await;
            outcome.map_err(FunctionError::from)
        },
    ))
    .await
}

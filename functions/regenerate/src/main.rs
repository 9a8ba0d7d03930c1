//! Lambda entry point of `regenerate`: the read-write service and the safety margin once per
//! cold start; each step the state machine sends goes to the handler with the instant its
//! work must stop.

use chrono::Utc;
use framewise_lambda::{cold_start, open_service, Access, FunctionError, WorkDeadline};
use lambda_runtime::{run, service_fn, LambdaEvent};
use regenerate::{handle, DEFAULT_SAFETY_SECS, SAFETY_SECS};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let (opened, deadline) = cold_start(|env| async move {
        let deadline = WorkDeadline::from_env(&env, SAFETY_SECS, DEFAULT_SAFETY_SECS)?;
        let opened = open_service(&env, Access::ReadWrite).await?;
        Ok((opened, deadline))
    })
    .await?;
    let service = &*opened.service;
    run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            let until = deadline.for_invocation(&event.context);
            let outcome = handle(service, event.payload, until, Utc::now()).await;
            outcome.map_err(FunctionError::from)
        },
    ))
    .await
}

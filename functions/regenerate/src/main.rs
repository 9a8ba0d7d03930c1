//! Lambda entry point of `regenerate`: the read-write service, the continuation queue and
//! the safety margin once per cold start; each schedule, on-demand or continuation event
//! goes to the handler with the instant its work must stop.

use chrono::Utc;
use framewise_lambda::{cold_start, open_service, Access, FunctionError, WorkDeadline};
use lambda_runtime::{run, service_fn, LambdaEvent};
use regenerate::{
    handle, SqsContinuations, CONTINUATION_QUEUE_URL, DEFAULT_SAFETY_SECS, SAFETY_SECS,
};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let (opened, sink, deadline) = cold_start(|env| async move {
        let queue_url = env.required(CONTINUATION_QUEUE_URL)?;
        let deadline = WorkDeadline::from_env(&env, SAFETY_SECS, DEFAULT_SAFETY_SECS)?;
        let opened = open_service(&env, Access::ReadWrite).await?;
        let client = opened.clients.sqs.clone();
        Ok((opened, SqsContinuations { client, queue_url }, deadline))
    })
    .await?;
    let (service, sink) = (&*opened.service, &sink);
    run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            let until = deadline.for_invocation(&event.context);
            let outcome = handle(service, sink, event.payload, until, Utc::now()).await;
            outcome.map_err(FunctionError::from)
        },
    ))
    .await
}

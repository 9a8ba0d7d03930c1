//! Lambda entry point of `signals-worker`: the read-write service and the model refresh once
//! per cold start; each SQS batch goes to the handler.

use aws_lambda_events::event::sqs::SqsEvent;
use chrono::Utc;
use framewise_lambda::{cold_start, model_refresh, open_service, Access, FunctionError};
use lambda_runtime::{run, service_fn, LambdaEvent};
use signals_worker::handle;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let (opened, refresh) = cold_start(|env| async move {
        let refresh = model_refresh(&env)?;
        Ok((open_service(&env, Access::ReadWrite).await?, refresh))
    })
    .await?;
    let (service, refresh) = (&*opened.service, &refresh);
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, FunctionError>(handle(service, refresh, event.payload, Utc::now()).await)
    }))
    .await
}

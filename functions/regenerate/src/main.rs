//! Lambda entry point of `regenerate`: config, clients and service once per cold start;
//! each schedule, on-demand or continuation event goes to the handler.

use chrono::Utc;
use framewise::adapters::aws::{aws_stores, AwsClients};
use framewise::service::{Framewise, ServiceConfig};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use regenerate::{handle, work_deadline, Config, SqsContinuations};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = Config::from_env()?;
    let clients = AwsClients::new(&config.aws).await;
    let service =
        Framewise::open(aws_stores(&clients, &config.aws), ServiceConfig::default()).await?;
    let sink = SqsContinuations {
        client: clients.sqs.clone(),
        queue_url: config.continuation_queue_url.clone(),
    };
    let (service, sink, safety) = (&service, &sink, config.safety);
    run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            let deadline = work_deadline(event.context.deadline, safety);
            Ok::<_, Error>(handle(service, sink, event.payload, deadline, Utc::now()).await?)
        },
    ))
    .await
}

//! Lambda entry point of `signals-worker`: config, clients, service and model once per cold
//! start; each SQS batch goes to the handler.

use aws_lambda_events::event::sqs::SqsEvent;
use chrono::Utc;
use framewise::adapters::aws::{aws_stores, AwsClients};
use framewise::service::{Framewise, ModelRefresh, ServiceConfig};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use signals_worker::{handle, Config};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = Config::from_env()?;
    let clients = AwsClients::new(&config.aws).await;
    let service =
        Framewise::open(aws_stores(&clients, &config.aws), ServiceConfig::default()).await?;
    let refresh = ModelRefresh::new(config.model_refresh);
    let (service, refresh) = (&service, &refresh);
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(handle(service, refresh, event.payload, Utc::now()).await)
    }))
    .await
}

//! Lambda entry point of `signals-api`: config and the SQS client once per cold start.

use std::sync::Arc;

use framewise::adapters::aws::{AwsClients, SqsSignalQueue};
use signals_api::{app, Config};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = Config::from_env()?;
    let clients = AwsClients::new(&config.aws_settings()).await;
    let queue = Arc::new(SqsSignalQueue::new(clients.sqs, config.queue_url));
    lambda_http::run(app(queue)).await
}

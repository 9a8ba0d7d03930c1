//! Lambda entry point of `signals-api`: the SQS client and the deployment configuration (for
//! its `[auth]` section) once per cold start (no table, bucket or service), then the two
//! signal routes serve every API Gateway request.

use std::sync::Arc;

use framewise::adapters::aws::SqsSignalQueue;
use framewise_lambda::{cold_start, sqs_client_and_config, QUEUE_URL};
use signals_api::app;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let (queue, config) = cold_start(|env| async move {
        let queue_url = env.required(QUEUE_URL)?;
        let (sqs, config) = sqs_client_and_config(&env).await?;
        Ok((SqsSignalQueue::new(sqs, queue_url), config))
    })
    .await?;
    lambda_http::run(app(Arc::new(queue), config.auth)).await
}

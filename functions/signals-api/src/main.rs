//! Lambda entry point of `signals-api`: the SQS client alone once per cold start (no table,
//! bucket or service), then the one route serves every API Gateway request.

use std::sync::Arc;

use framewise::adapters::aws::SqsSignalQueue;
use framewise_lambda::{aws_endpoint, cold_start, sqs_client, QUEUE_URL};
use signals_api::app;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let queue = cold_start(|env| async move {
        let queue_url = env.required(QUEUE_URL)?;
        let sqs = sqs_client(&aws_endpoint(&env)).await;
        Ok(SqsSignalQueue::new(sqs, queue_url))
    })
    .await?;
    lambda_http::run(app(Arc::new(queue))).await
}

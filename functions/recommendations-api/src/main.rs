//! Lambda entry point of `recommendations-api`: config, clients and the service once per
//! cold start, then the axum router serves every API Gateway request.

use std::sync::Arc;

use framewise::adapters::aws::{aws_stores, AwsClients};
use framewise::service::ModelRefresh;
use recommendations_api::{app, open_service, Config};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = Config::from_env()?;
    let clients = AwsClients::new(&config.aws).await;
    let service = open_service(aws_stores(&clients, &config.aws)).await?;
    let refresh = Arc::new(ModelRefresh::new(config.model_refresh));
    lambda_http::run(app(service, refresh)).await
}

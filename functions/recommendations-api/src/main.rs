//! Lambda entry point of `recommendations-api`: the read-only service and the model refresh
//! once per cold start, then the axum router serves every API Gateway request.

use std::sync::Arc;

use framewise_lambda::{cold_start, model_refresh, open_service, Access};
use recommendations_api::app;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let (opened, refresh) = cold_start(|env| async move {
        let refresh = model_refresh(&env)?;
        Ok((open_service(&env, Access::ReadOnly).await?, refresh))
    })
    .await?;
    lambda_http::run(app(opened.service, Arc::new(refresh))).await
}

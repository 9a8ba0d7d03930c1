//! Lambda entry point of `profiles-api`: the read-write service once per cold start, then
//! the shared profile routes serve every API Gateway request.

use framewise_lambda::{cold_start, open_service, Access};
use profiles_api::app;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let opened =
        cold_start(|env| async move { open_service(&env, Access::ReadWrite).await }).await?;
    lambda_http::run(app(opened.service)).await
}

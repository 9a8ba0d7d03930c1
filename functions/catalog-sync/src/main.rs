//! Lambda entry point of `catalog-sync`: config, clients and service once per cold start;
//! each S3 notification goes to the handler.

use std::time::{Duration, Instant};

use aws_lambda_events::event::s3::S3Event;
use catalog_sync::{handle, Config};
use chrono::Utc;
use framewise::adapters::aws::{aws_stores, AwsClients, S3ArtifactStore};
use framewise::service::{Framewise, ServiceConfig};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = Config::from_env()?;
    let clients = AwsClients::new(&config.aws).await;
    let service =
        Framewise::open(aws_stores(&clients, &config.aws), ServiceConfig::default()).await?;
    let feeds = S3ArtifactStore::new(clients.s3.clone(), config.aws.bucket.clone());
    let (service, feeds) = (&service, &feeds);
    run(service_fn(move |event: LambdaEvent<S3Event>| async move {
        let now_ms = u64::try_from(Utc::now().timestamp_millis()).unwrap_or_default();
        let left = event.context.deadline.saturating_sub(now_ms);
        let deadline =
            Instant::now() + Duration::from_millis(left).saturating_sub(Duration::from_secs(30));
        Ok::<_, Error>(handle(service, feeds, event.payload, deadline, Utc::now()).await?)
    }))
    .await
}

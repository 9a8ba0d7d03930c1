//! `framewise-lambda`: the one wiring of the Lambda functions, so each `main.rs` only names
//! what it needs. Environment parsing over a lookup ([`Env`]), AWS settings and clients
//! ([`aws_settings`], [`sqs_client`]), the deployment configuration (`FRAMEWISE_CONFIG`,
//! [`load_service_config`]), the service opened read-only or read-write ([`open_service`]),
//! the work deadline ([`WorkDeadline`]), the caller named by the gateway's JWT authorizer
//! ([`gateway_identity`]), tracing and the cold start ([`cold_start`]), and the
//! errors Lambda records ([`FunctionError`], a `Diagnostic` with a stable `error_type`).
//!
//! Domain logic stays in `framewise-shared`; nothing here decides what a function does.

mod aws;
mod cold_start;
mod deadline;
mod deployment_config;
mod env;
mod error;
mod identity;
mod service;
mod sqs;

pub use aws::{
    aws_endpoint, aws_settings, sqs_client, sqs_client_and_config, BUCKET, ENDPOINT_URL,
    KMS_KEY_ID, QUEUE_URL, REGION, TABLE,
};
pub use cold_start::{cold_start, init_tracing, report_init_error, RUNTIME_API};
pub use deadline::WorkDeadline;
pub use deployment_config::{load_service_config, ConfigSource, CONFIG};
pub use env::Env;
pub use error::{ConfigError, ErrorKind, FunctionError};
pub use identity::{caller_from_context, gateway_identity};
pub use service::{
    bucket_merchandising, emf_events, model_refresh, open, open_service, open_with_events,
    open_with_feeds, read_only, Access, AwsService, ReadOnlyLists, DEFAULT_MODEL_REFRESH_SECS,
    METRICS_NAMESPACE, MODEL_REFRESH_SECS,
};
pub use sqs::{batch_failures, decode_batch};

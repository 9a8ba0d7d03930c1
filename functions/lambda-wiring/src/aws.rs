//! Where the AWS resources are, from the environment, and the SDK clients over them.

use framewise::adapters::aws::{AwsClients, AwsEndpoint, AwsSettings, DEFAULT_REGION};

use framewise::service::ServiceConfig;

use crate::deployment_config::load_service_config;
use crate::env::Env;
use crate::error::{ConfigError, FunctionError};

/// The single DynamoDB table.
pub const TABLE: &str = "FRAMEWISE_TABLE";
/// URL of the signals queue.
pub const QUEUE_URL: &str = "FRAMEWISE_QUEUE_URL";
/// Bucket of model artifacts, catalogue feeds and (optionally) the configuration file.
pub const BUCKET: &str = "FRAMEWISE_BUCKET";
/// Region of every client, default [`DEFAULT_REGION`].
pub const REGION: &str = "AWS_REGION";
/// One endpoint for every service (moto, local development).
pub const ENDPOINT_URL: &str = "AWS_ENDPOINT_URL";
/// KMS key sealing prescriptions; without it customers with a prescription cannot be stored.
pub const KMS_KEY_ID: &str = "FRAMEWISE_KMS_KEY_ID";

/// Region and endpoint override, for functions that use no table or bucket.
pub fn aws_endpoint(env: &Env) -> AwsEndpoint {
    AwsEndpoint {
        region: env
            .optional(REGION)
            .unwrap_or_else(|| DEFAULT_REGION.to_string()),
        endpoint_url: env.optional(ENDPOINT_URL),
    }
}

/// Every resource of a function that opens the service; names the first missing variable.
pub fn aws_settings(env: &Env) -> Result<AwsSettings, ConfigError> {
    let endpoint = aws_endpoint(env);
    Ok(AwsSettings {
        table: env.required(TABLE)?,
        queue_url: env.required(QUEUE_URL)?,
        bucket: env.required(BUCKET)?,
        region: endpoint.region,
        endpoint_url: endpoint.endpoint_url,
        kms_key_id: env.optional(KMS_KEY_ID),
    })
}

/// The SQS client alone, for a function that only sends to a queue.
pub async fn sqs_client(endpoint: &AwsEndpoint) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&AwsClients::sdk_config(endpoint).await)
}

/// The SQS client and the deployment configuration (read from S3 only when
/// `FRAMEWISE_CONFIG` is an `s3://` address), for a function that queues and authorizes.
pub async fn sqs_client_and_config(
    env: &Env,
) -> Result<(aws_sdk_sqs::Client, ServiceConfig), FunctionError> {
    let sdk = AwsClients::sdk_config(&aws_endpoint(env)).await;
    let config = load_service_config(env, &aws_sdk_s3::Client::new(&sdk)).await?;
    Ok((aws_sdk_sqs::Client::new(&sdk), config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_env_lacks_table_should_name_the_variable() {
        let env = Env::from_pairs(&[
            ("FRAMEWISE_QUEUE_URL", "http://q/1/signals"),
            ("FRAMEWISE_BUCKET", "b"),
        ]);
        let message = aws_settings(&env).expect_err("missing table").to_string();
        assert!(message.contains("FRAMEWISE_TABLE"), "{message}");
    }

    #[test]
    fn when_env_complete_should_default_region_and_read_endpoint() {
        let env = Env::from_pairs(&[
            ("FRAMEWISE_TABLE", "t"),
            (
                "FRAMEWISE_QUEUE_URL",
                "http://127.0.0.1:5000/123456789012/signals",
            ),
            ("FRAMEWISE_BUCKET", "b"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
            ("FRAMEWISE_KMS_KEY_ID", "alias/framewise"),
        ]);
        let settings = aws_settings(&env).expect("settings");
        assert_eq!(settings.region, DEFAULT_REGION);
        assert_eq!(
            settings.endpoint_url.as_deref(),
            Some("http://127.0.0.1:5000")
        );
        assert_eq!(settings.queue_name(), "signals");
        assert_eq!(settings.kms_key_id.as_deref(), Some("alias/framewise"));
    }

    #[test]
    fn when_env_lacks_kms_key_should_leave_it_unset() {
        let env = Env::from_pairs(&[
            ("FRAMEWISE_TABLE", "t"),
            ("FRAMEWISE_BUCKET", "t"),
            ("FRAMEWISE_QUEUE_URL", "http://q/1/signals"),
            ("FRAMEWISE_KMS_KEY_ID", "  "),
        ]);
        let settings = aws_settings(&env).expect("settings");
        assert_eq!(settings.kms_key_id, None);
    }

    #[test]
    fn when_only_region_and_endpoint_set_should_need_no_table_or_bucket() {
        let env = Env::from_pairs(&[
            ("AWS_REGION", "eu-west-1"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
        ]);
        assert_eq!(
            aws_endpoint(&env),
            AwsEndpoint {
                region: "eu-west-1".to_string(),
                endpoint_url: Some("http://127.0.0.1:5000".to_string()),
            }
        );
    }
}

//! The deployment configuration (`FRAMEWISE_CONFIG`): the tunables of the service, engine
//! and optics rules as TOML, so a retailer changes them without a new build. The variable
//! holds the TOML itself or `s3://BUCKET/KEY` of a TOML file; unset means the documented
//! defaults (`framewise config --print-defaults`).

use framewise::adapters::aws::S3ArtifactStore;
use framewise::service::ServiceConfig;

use crate::env::Env;
use crate::error::ConfigError;

/// The variable holding the configuration or its address.
pub const CONFIG: &str = "FRAMEWISE_CONFIG";

const S3_SCHEME: &str = "s3://";

/// Where the configuration comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// `FRAMEWISE_CONFIG` unset or blank.
    Defaults,
    /// The TOML text itself.
    Inline(String),
    /// A TOML object in S3.
    S3Object { bucket: String, key: String },
}

impl ConfigSource {
    /// Reads `FRAMEWISE_CONFIG`; a value starting with `s3://` must name a bucket and a key.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let Some(value) = env.optional(CONFIG) else {
            return Ok(Self::Defaults);
        };
        let Some(address) = value.trim().strip_prefix(S3_SCHEME) else {
            return Ok(Self::Inline(value));
        };
        match address.split_once('/') {
            Some((bucket, key)) if !bucket.is_empty() && !key.is_empty() => Ok(Self::S3Object {
                bucket: bucket.to_string(),
                key: key.to_string(),
            }),
            _ => Err(ConfigError::BadAddress {
                name: CONFIG.to_string(),
                message: format!("'{}' lacks a bucket or a key", value.trim()),
            }),
        }
    }

    /// Loads and validates the configuration; only the S3 form uses `s3`.
    pub async fn load(&self, s3: &aws_sdk_s3::Client) -> Result<ServiceConfig, ConfigError> {
        match self {
            Self::Defaults => Ok(ServiceConfig::default()),
            Self::Inline(text) => parse(text, "inline"),
            Self::S3Object { bucket, key } => {
                let address = format!("{S3_SCHEME}{bucket}/{key}");
                let bytes = S3ArtifactStore::new(s3.clone(), bucket.clone())
                    .get_object(key)
                    .await
                    .map_err(|source| ConfigError::ObjectUnreadable {
                        name: CONFIG.to_string(),
                        address: address.clone(),
                        source,
                    })?
                    .ok_or_else(|| ConfigError::ObjectMissing {
                        name: CONFIG.to_string(),
                        address: address.clone(),
                    })?;
                let text = String::from_utf8(bytes).map_err(|_| ConfigError::ObjectNotText {
                    name: CONFIG.to_string(),
                    address: address.clone(),
                })?;
                parse(&text, &address)
            }
        }
    }
}

/// The service configuration of this deployment (`FRAMEWISE_CONFIG`, or the defaults).
pub async fn load_service_config(
    env: &Env,
    s3: &aws_sdk_s3::Client,
) -> Result<ServiceConfig, ConfigError> {
    ConfigSource::from_env(env)?.load(s3).await
}

fn parse(text: &str, origin: &str) -> Result<ServiceConfig, ConfigError> {
    ServiceConfig::from_toml_str(text).map_err(|source| ConfigError::Service {
        name: CONFIG.to_string(),
        origin: origin.to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use framewise::service::CollaborativeMode;

    use super::*;

    /// A client that is never called: building it touches neither network nor credentials.
    fn unused_s3() -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    async fn load(value: &str) -> Result<ServiceConfig, ConfigError> {
        load_service_config(&Env::from_pairs(&[(CONFIG, value)]), &unused_s3()).await
    }

    #[tokio::test]
    async fn when_config_unset_or_blank_should_use_defaults() {
        let unset = load_service_config(&Env::from_pairs(&[]), &unused_s3()).await;
        assert_eq!(unset.expect("defaults"), ServiceConfig::default());
        assert_eq!(
            load(" \n").await.expect("defaults"),
            ServiceConfig::default()
        );
    }

    #[tokio::test]
    async fn when_config_is_inline_toml_should_override_only_its_keys() {
        let config = load("default_limit = 20\ncollaborative = \"cooccurrence\"\n[engine]\nhemisphere = \"south\"\n")
            .await
            .expect("valid");
        assert_eq!(config.default_limit, 20);
        assert_eq!(config.collaborative, CollaborativeMode::Cooccurrence);
        assert_eq!(
            config.engine.hemisphere,
            framewise::engine::Hemisphere::South
        );
        assert_eq!(config.max_limit, ServiceConfig::default().max_limit);
    }

    #[tokio::test]
    async fn when_inline_toml_has_a_bad_key_should_name_the_variable_and_the_key() {
        let message = load("[engine.kind_weights]\npurchse = 3.0\n")
            .await
            .expect_err("unknown key")
            .to_string();
        assert!(message.contains("FRAMEWISE_CONFIG"), "{message}");
        assert!(
            message.contains("`engine.kind_weights.purchse`"),
            "{message}"
        );

        let message = load("max_limit = 500")
            .await
            .expect_err("range")
            .to_string();
        assert!(
            message.contains("FRAMEWISE_CONFIG") && message.contains("`max_limit`"),
            "{message}"
        );

        let message = load("default_limit = ")
            .await
            .expect_err("syntax")
            .to_string();
        assert!(
            message.contains("FRAMEWISE_CONFIG") && message.contains("not valid TOML"),
            "{message}"
        );
    }

    #[test]
    fn when_config_is_an_s3_address_should_split_bucket_and_key() {
        let env = Env::from_pairs(&[(CONFIG, " s3://framewise-dev/config/framewise.toml ")]);
        assert_eq!(
            ConfigSource::from_env(&env).expect("address"),
            ConfigSource::S3Object {
                bucket: "framewise-dev".to_string(),
                key: "config/framewise.toml".to_string(),
            }
        );
        for bad in [
            "s3://framewise-dev",
            "s3://framewise-dev/",
            "s3:///key.toml",
        ] {
            let env = Env::from_pairs(&[(CONFIG, bad)]);
            let message = ConfigSource::from_env(&env)
                .expect_err("incomplete address")
                .to_string();
            assert!(
                message.contains("FRAMEWISE_CONFIG") && message.contains(bad),
                "{message}"
            );
        }
    }
}

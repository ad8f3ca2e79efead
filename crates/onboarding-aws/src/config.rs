//! Configuration from the environment. docs/configuration.md lists every name.

use aws_config::{BehaviorVersion, SdkConfig};

use crate::contract::vars;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

pub fn env_var(name: &'static str) -> Result<String, ConfigError> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => Ok(value),
        _ => Err(ConfigError::Missing(name)),
    }
}

pub fn optional_env_var(name: &'static str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Where PostgreSQL is and which secret holds its credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatabaseSettings {
    pub secret_id: String,
    pub host: String,
    pub port: u16,
    pub name: String,
    pub ssl_mode: String,
}

impl DatabaseSettings {
    pub fn from_env() -> Result<DatabaseSettings, ConfigError> {
        let port = match optional_env_var(vars::DATABASE_PORT) {
            None => 5432,
            Some(port) => port.parse().map_err(|_| ConfigError::Invalid {
                name: vars::DATABASE_PORT,
                reason: format!("'{port}' is not a port number"),
            })?,
        };
        let ssl_mode =
            optional_env_var(vars::DATABASE_SSL_MODE).unwrap_or_else(|| "require".into());
        if ![
            "disable",
            "allow",
            "prefer",
            "require",
            "verify-ca",
            "verify-full",
        ]
        .contains(&ssl_mode.as_str())
        {
            return Err(ConfigError::Invalid {
                name: vars::DATABASE_SSL_MODE,
                reason: format!("'{ssl_mode}' is not a PostgreSQL sslmode"),
            });
        }
        Ok(DatabaseSettings {
            secret_id: env_var(vars::DATABASE_SECRET_ID)?,
            host: env_var(vars::DATABASE_HOST)?,
            port,
            name: env_var(vars::DATABASE_NAME)?,
            ssl_mode,
        })
    }
}

/// The SDK clients a function uses, built once per cold start.
#[derive(Clone, Debug)]
pub struct AwsClients {
    pub sdk: SdkConfig,
    pub s3: aws_sdk_s3::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub sns: aws_sdk_sns::Client,
}

impl AwsClients {
    /// Reads the region, credentials and endpoints the usual way: the SDK
    /// itself takes `AWS_ENDPOINT_URL` (every client at an emulator) and the
    /// per-service variables such as `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`,
    /// which win over it (docker-compose sends Cognito to a moto sidecar).
    /// Setting the endpoint in code would silence the per-service ones.
    /// Against an emulator, S3 needs path-style addressing, since
    /// `bucket.localhost` does not resolve.
    pub async fn from_env() -> AwsClients {
        let endpoint = optional_env_var(crate::contract::vars::AWS_ENDPOINT_URL);
        let sdk = aws_config::defaults(BehaviorVersion::latest()).load().await;
        let s3_config = aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(endpoint.is_some())
            .build();
        AwsClients {
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            dynamodb: aws_sdk_dynamodb::Client::new(&sdk),
            sqs: aws_sdk_sqs::Client::new(&sdk),
            sns: aws_sdk_sns::Client::new(&sdk),
            sdk,
        }
    }
}

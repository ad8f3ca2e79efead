//! AWS adapters for the product onboarding pipeline: configuration, database
//! credentials from Secrets Manager, S3, the DynamoDB staging table, the
//! error queue, vendor notifications, metrics and logs.
//!
//! Every client is built once per cold start by a function's `main` and
//! passed to its handler.

pub mod config;
pub mod contract;
pub mod database;
pub mod dead_letters;
pub mod metrics;
pub mod notify;
pub mod queue;
pub mod s3;
pub mod s3_event;
pub mod stage;
pub mod staging;
pub mod telemetry;

pub use telemetry::BatchResponse;

pub use config::{AwsClients, ConfigError, DatabaseSettings, env_var};

/// An AWS call failed. The message names the operation and the resource.
#[derive(Debug, thiserror::Error)]
#[error("{operation} on {resource}: {message}")]
pub struct AwsError {
    pub operation: &'static str,
    pub resource: String,
    pub message: String,
}

impl AwsError {
    pub fn new(
        operation: &'static str,
        resource: impl Into<String>,
        error: impl std::fmt::Display,
    ) -> AwsError {
        AwsError {
            operation,
            resource: resource.into(),
            message: error.to_string(),
        }
    }
}

/// Formats an SDK error with its service code and message, which the SDK's
/// own Display leaves out.
pub fn describe<E, R>(error: &aws_sdk_s3::error::SdkError<E, R>) -> String
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    use aws_sdk_s3::error::ProvideErrorMetadata;
    match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_string(),
        _ => aws_sdk_s3::error::DisplayErrorContext(error).to_string(),
    }
}

/// What every function does once per cold start: JSON logs, the SDK
/// clients, and a pool of two connections whose credentials come from
/// Secrets Manager. Cold starts are counted from Lambda's own REPORT lines
/// (`@initDuration`), not by a custom metric, which would cost a series per
/// function (docs/COST.md).
pub async fn cold_start(
    function: &'static str,
) -> Result<(AwsClients, database::Database), lambda_runtime::Error> {
    let clients = cold_start_without_database(function).await;
    let database =
        database::Database::connect(&clients.sdk, DatabaseSettings::from_env()?, 2).await?;
    // Connecting proved the secret, the network and the password; the
    // connection itself is not kept: an environment may wait a long time
    // for its first event, and an open connection keeps Aurora awake.
    database.release_connections().await;
    Ok((clients, database))
}

/// [`cold_start`] for a function that has no database: the portal API's
/// auth part, outside the VPC.
pub async fn cold_start_without_database(function: &'static str) -> AwsClients {
    telemetry::init(function);
    AwsClients::from_env().await
}

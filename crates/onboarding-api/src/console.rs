//! The operator console's dependencies (docs/console.md): where log lines
//! and metrics come from, the dead-letter queues, and the safe-query
//! login. Locally (`FUNCTION_LOGS_DIR` set) logs and metrics come from the
//! devstack runner's files; in AWS from CloudWatch.

use std::path::PathBuf;
use std::time::Duration;

use onboarding_aws::AwsClients;
use onboarding_aws::config::optional_env_var;
use onboarding_aws::contract::vars;
use onboarding_aws::database::Database;
use onboarding_aws::{ConfigError, DatabaseSettings};
use serde::Serialize;
use tokio::sync::OnceCell;

use crate::observe::{
    CloudWatchLogs, CloudWatchMetrics, LocalLogs, LocalMetrics, LogSource, MetricsSource,
};
use crate::problem::ApiError;

/// The safe-query console's limits.
pub const QUERY_ROW_LIMIT: usize = 1_000;
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(5);

/// One dead-letter queue as the console shows it, and where its messages are
/// redriven.
#[derive(Clone, Debug, Serialize)]
pub struct RedrivableQueue {
    /// `errors`, `parser` or `stream`.
    pub name: &'static str,
    #[serde(skip)]
    pub url: String,
    /// The queue its messages go back to; `None`: cannot be redriven (stream
    /// failures describe records; in AWS the csv-parser's dead letters are
    /// async invocation events with no queue in front: re-run the upload).
    #[serde(skip)]
    pub redrive_to: Option<String>,
    pub redrivable: bool,
}

pub struct Console {
    pub logs: Box<dyn LogSource>,
    pub metrics: Box<dyn MetricsSource>,
    pub queues: Vec<RedrivableQueue>,
    pub sqs: aws_sdk_sqs::Client,
    /// `<project>-<environment>`: the functions are `<prefix>-csv-parser`…
    pub function_prefix: String,
    query_login: Option<(aws_config::SdkConfig, DatabaseSettings)>,
    query_database: OnceCell<Database>,
}

impl Console {
    /// From the environment (docs/configuration.md, "vendor-api").
    pub fn from_env(clients: &AwsClients) -> Result<Console, ConfigError> {
        let function_prefix =
            optional_env_var(vars::FUNCTION_NAME_PREFIX).unwrap_or_else(|| "onboarding".into());
        let (logs, metrics): (Box<dyn LogSource>, Box<dyn MetricsSource>) =
            match optional_env_var(vars::FUNCTION_LOGS_DIR) {
                Some(dir) => (
                    Box::new(LocalLogs {
                        dir: PathBuf::from(&dir),
                    }),
                    Box::new(LocalMetrics {
                        dir: PathBuf::from(&dir),
                    }),
                ),
                None => {
                    let cloudwatch_logs = || CloudWatchLogs {
                        client: aws_sdk_cloudwatchlogs::Client::new(&clients.sdk),
                        prefix: function_prefix.clone(),
                    };
                    (
                        Box::new(cloudwatch_logs()),
                        Box::new(CloudWatchMetrics {
                            client: aws_sdk_cloudwatch::Client::new(&clients.sdk),
                            logs: cloudwatch_logs(),
                        }),
                    )
                }
            };
        let queues = [
            (
                "errors",
                optional_env_var(vars::ERROR_DLQ_URL),
                optional_env_var(vars::ERROR_QUEUE_URL),
            ),
            (
                "parser",
                optional_env_var(vars::PARSER_DLQ_URL),
                optional_env_var(vars::PARSER_REDRIVE_QUEUE_URL),
            ),
            (
                "stream",
                optional_env_var(vars::STREAM_FAILURES_QUEUE_URL),
                None,
            ),
        ]
        .into_iter()
        .filter_map(|(name, url, redrive_to)| {
            Some(RedrivableQueue {
                name,
                url: url?,
                redrivable: redrive_to.is_some(),
                redrive_to,
            })
        })
        .collect();
        let query_login = match optional_env_var(vars::CONSOLE_DATABASE_SECRET_ID) {
            Some(secret_id) => Some((
                clients.sdk.clone(),
                DatabaseSettings {
                    secret_id,
                    ..DatabaseSettings::from_env()?
                },
            )),
            None => None,
        };
        Ok(Console {
            logs,
            metrics,
            queues,
            sqs: clients.sqs.clone(),
            function_prefix,
            query_login,
            query_database: OnceCell::new(),
        })
    }

    pub fn queue(&self, name: &str) -> Result<&RedrivableQueue, ApiError> {
        self.queues.iter().find(|q| q.name == name).ok_or_else(|| {
            ApiError::NotFound(format!(
                "There is no dead-letter queue '{name}' here (errors, parser, stream)."
            ))
        })
    }

    /// The safe-query login's pool (`onboarding_console`), opened on first use.
    pub async fn query_pool(&self) -> Result<&sqlx::PgPool, ApiError> {
        let Some((sdk, settings)) = &self.query_login else {
            return Err(ApiError::Unavailable(
                "CONSOLE_DATABASE_SECRET_ID is not configured.".into(),
            ));
        };
        let database = self
            .query_database
            .get_or_try_init(|| Database::connect(sdk, settings.clone(), 2))
            .await?;
        Ok(database.pool().await?)
    }
}

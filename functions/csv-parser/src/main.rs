//! csv-parser: S3 `ObjectCreated` under `uploads/` → upload record + one
//! DynamoDB staging item per row; on the migrator, operators' commands
//! (`commands`).

mod commands;
mod handler;

use onboarding_aws::contract::StagingSettings;
use onboarding_aws::stage::{connect_retry_budget, serve};

const FUNCTION: &str = "csv-parser";

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let (clients, database) = onboarding_aws::cold_start(FUNCTION).await?;
    let database = database.retrying(connect_retry_budget(FUNCTION));
    serve(&handler::Parser::new(
        clients,
        database,
        StagingSettings::from_env()?,
    ))
    .await
}

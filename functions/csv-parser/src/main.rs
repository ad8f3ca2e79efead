//! csv-parser: S3 `ObjectCreated` under `uploads/` → upload record + one
//! DynamoDB staging item per row; on the migrator, operators' commands
//! (`commands`).

mod commands;
mod handler;

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use onboarding_aws::contract::StagingSettings;
use onboarding_aws::queue::ErrorQueues;

const FUNCTION: &str = "csv-parser";

#[tokio::main]
async fn main() -> Result<(), Error> {
    let (clients, database) = onboarding_aws::cold_start(FUNCTION).await?;
    let settings = StagingSettings::from_env()?;
    let parser = handler::Parser::new(
        clients.clone(),
        database,
        settings.staging_table,
        ErrorQueues::new(
            clients.sqs.clone(),
            settings.error_queue_url,
            settings.candidate_error_queue_url,
        ),
    );
    let parser = &parser;
    run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            let outcome = parser.handle_event(event.payload).await;
            parser.release_connections().await;
            outcome
        },
    ))
    .await
}

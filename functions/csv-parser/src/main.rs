//! csv-parser: S3 `ObjectCreated` under `uploads/` → upload record + one
//! DynamoDB staging item per row.

mod handler;

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use onboarding_aws::{AwsClients, DatabaseSettings, database::Database, env_var, telemetry};

const FUNCTION: &str = "csv-parser";

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init(FUNCTION);
    onboarding_aws::metrics::MetricRecord::new(FUNCTION)
        .metric("ColdStart", onboarding_aws::metrics::Unit::Count, 1.0)
        .property("upload_id", "-")
        .emit();
    let clients = AwsClients::from_env().await;
    let database = Database::connect(&clients.sdk, DatabaseSettings::from_env()?, 2).await?;
    let parser = handler::Parser::new(
        clients.clone(),
        database,
        env_var("STAGING_TABLE")?,
        env_var("ERROR_QUEUE_URL")?,
    );
    let parser = &parser;
    run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            parser.handle_event(event.payload).await
        },
    ))
    .await
}

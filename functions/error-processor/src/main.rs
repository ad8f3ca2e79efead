//! error-processor: error-queue messages → one error report and fix file in
//! S3 and one email per upload.

mod handler;

use onboarding_aws::contract::ErrorProcessorSettings;
use onboarding_aws::stage::{connect_retry_budget, serve};

const FUNCTION: &str = "error-processor";

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let (clients, database) = onboarding_aws::cold_start(FUNCTION).await?;
    let database = database.retrying(connect_retry_budget(FUNCTION));
    serve(&handler::Processor::new(
        clients,
        database,
        ErrorProcessorSettings::from_env()?,
    ))
    .await
}

//! product-validator: DynamoDB stream INSERTs of staged rows → products,
//! validation errors, exact counts, and the completion notice.

mod handler;

use onboarding_aws::contract::ErrorQueueSettings;
use onboarding_aws::stage::{connect_retry_budget, serve};

const FUNCTION: &str = "product-validator";

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let (clients, database) = onboarding_aws::cold_start(FUNCTION).await?;
    let database = database.retrying(connect_retry_budget(FUNCTION));
    serve(&handler::Validator::new(
        &clients,
        database,
        &ErrorQueueSettings::from_env()?,
    ))
    .await
}

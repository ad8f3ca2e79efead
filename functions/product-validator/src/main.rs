//! product-validator: DynamoDB stream INSERTs of staged rows → products,
//! validation errors, exact counts, and the completion notice.

mod handler;

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use onboarding_aws::{AwsClients, DatabaseSettings, database::Database, env_var, telemetry};

const FUNCTION: &str = "product-validator";

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init(FUNCTION);
    onboarding_aws::metrics::MetricRecord::new(FUNCTION)
        .metric("ColdStart", onboarding_aws::metrics::Unit::Count, 1.0)
        .property("upload_id", "-")
        .emit();
    let clients = AwsClients::from_env().await;
    let database = Database::connect(&clients.sdk, DatabaseSettings::from_env()?, 2).await?;
    let validator = handler::Validator::new(
        &clients,
        database,
        env_var("STAGING_TABLE")?,
        env_var("ERROR_QUEUE_URL")?,
    );
    let validator = &validator;
    run(service_fn(
        move |event: LambdaEvent<aws_lambda_events::event::dynamodb::Event>| async move {
            Ok::<_, Error>(validator.handle(event.payload).await)
        },
    ))
    .await
}

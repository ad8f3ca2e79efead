//! product-validator: DynamoDB stream INSERTs of staged rows → products,
//! validation errors, exact counts, and the completion notice.

mod handler;

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use onboarding_aws::contract::StagingSettings;
use onboarding_aws::queue::ErrorQueues;

const FUNCTION: &str = "product-validator";

#[tokio::main]
async fn main() -> Result<(), Error> {
    let (clients, database) = onboarding_aws::cold_start(FUNCTION).await?;
    let settings = StagingSettings::from_env()?;
    // The staging table is read through the stream only: the validator no
    // longer writes the staged items (docs/performance.md).
    let validator = handler::Validator::new(
        database,
        ErrorQueues::new(
            clients.sqs.clone(),
            settings.error_queue_url,
            settings.candidate_error_queue_url,
        ),
    );
    let validator = &validator;
    run(service_fn(
        move |event: LambdaEvent<aws_lambda_events::event::dynamodb::Event>| async move {
            let response = validator.handle(event.payload).await;
            validator.release_connections().await;
            Ok::<_, Error>(response)
        },
    ))
    .await
}

//! product-validator: DynamoDB stream INSERTs of staged rows → products,
//! validation errors, exact counts, and the completion notice.

mod handler;

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use onboarding_aws::env_var;
use onboarding_aws::queue::ErrorQueues;

const FUNCTION: &str = "product-validator";

#[tokio::main]
async fn main() -> Result<(), Error> {
    let (clients, database) = onboarding_aws::cold_start(FUNCTION).await?;
    let validator = handler::Validator::new(
        &clients,
        database,
        env_var("STAGING_TABLE")?,
        ErrorQueues::new(
            clients.sqs.clone(),
            env_var("ERROR_QUEUE_URL")?,
            env_var("CANDIDATE_ERROR_QUEUE_URL")?,
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

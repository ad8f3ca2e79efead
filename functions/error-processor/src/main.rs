//! error-processor: error-queue messages → one error report and fix file in
//! S3 and one email per upload.

mod handler;

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use onboarding_aws::contract::ErrorProcessorSettings;

const FUNCTION: &str = "error-processor";

#[tokio::main]
async fn main() -> Result<(), Error> {
    let (clients, database) = onboarding_aws::cold_start(FUNCTION).await?;
    let processor = handler::Processor::new(clients, database, ErrorProcessorSettings::from_env()?);
    let processor = &processor;
    run(service_fn(
        move |event: LambdaEvent<aws_lambda_events::event::sqs::SqsEvent>| async move {
            let response = processor.handle(event.payload).await;
            processor.release_connections().await;
            Ok::<_, Error>(response)
        },
    ))
    .await
}

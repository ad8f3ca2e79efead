//! vendor-api: the portal's REST API. In Lambda (API Gateway HTTP API) it
//! is served by lambda_http; locally (`VENDOR_API_LISTEN=host:port`) by
//! plain axum, which also serves the web app from `WEB_ROOT`.

use std::sync::Arc;

use onboarding_api::{ApiPart, ApiSettings, AppState};
use onboarding_aws::config::optional_env_var;
use onboarding_aws::contract::{VENDOR_API, VENDOR_AUTH, vars};

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    // The auth part (outside the VPC in AWS) has no database to open.
    // In AWS the auth part runs as its own function (its log lines say so).
    let part = ApiSettings::part_from_env()?;
    let function = if part == ApiPart::Auth {
        VENDOR_AUTH
    } else {
        VENDOR_API
    };
    let (clients, database) = if part.serves_data() {
        let (clients, database) = onboarding_aws::cold_start(function).await?;
        (clients, Some(database))
    } else {
        (
            onboarding_aws::cold_start_without_database(function).await,
            None,
        )
    };
    let region = clients
        .sdk
        .region()
        .map(|r| r.as_ref().to_string())
        .ok_or("no AWS region: set AWS_REGION (Lambda always does)")?;
    let settings = ApiSettings::from_env(&region)?;
    let endpoint = optional_env_var(vars::AWS_ENDPOINT_URL);
    let state = Arc::new(AppState::new(&clients, database, endpoint, settings)?);
    let router = onboarding_api::router(state);

    match optional_env_var(vars::VENDOR_API_LISTEN) {
        None => lambda_http::run(router).await,
        Some(address) => {
            let app = match optional_env_var(vars::WEB_ROOT) {
                Some(root) => router.fallback_service(
                    tower_http::services::ServeDir::new(&root)
                        .append_index_html_on_directories(true),
                ),
                None => router,
            };
            let listener = tokio::net::TcpListener::bind(&address).await?;
            tracing::info!(upload_id = "-", address = %listener.local_addr()?, "vendor API listening");
            axum::serve(listener, app).await?;
            Ok(())
        }
    }
}

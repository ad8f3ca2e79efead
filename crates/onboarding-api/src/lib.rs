//! The vendor portal's REST API (docs/vendor-portal.md): one axum router,
//! served by `lambda_http` behind API Gateway and by plain axum locally.
//! Every route lives under `/api`, so the site and the API share an origin.

pub mod auth;
pub mod config;
pub mod console;
pub mod identity;
pub mod input;
pub mod observe;
pub mod problem;
pub mod routes;
pub mod storage;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use onboarding_aws::AwsClients;
use onboarding_aws::database::Database;
use tower_http::cors::CorsLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tracing::Instrument;

pub use config::{ApiPart, ApiSettings};

/// The largest JSON body any endpoint takes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// The largest body of a fix of failed rows (`POST /api/uploads/{id}/fixes`).
pub const MAX_FIX_BODY_BYTES: usize = 1024 * 1024;

/// Everything a request needs, built once per cold start.
pub struct AppState {
    pub part: ApiPart,
    pub verifier: auth::TokenVerifier,
    /// Cognito: only the auth part calls it.
    pub identity: identity::Identity,
    pub site_origin: Option<String>,
    /// What the data part has; the auth part has none of it.
    data: Option<DataState>,
}

/// The database and what the data routes reach besides it.
pub struct DataState {
    pub database: Database,
    pub store: storage::ObjectStore,
    /// Vendors' email subscriptions (`NOTIFICATION_TOPIC_ARN`), for the
    /// admin API; on an emulator they deliver to mailbox queues.
    pub notifier: Option<onboarding_aws::notify::Notifier>,
    /// The operator console's logs, metrics, dead letters and query login.
    pub console: console::Console,
}

impl AppState {
    /// The state over a function's cold-start clients and, for a part that
    /// serves the data routes, its database (`onboarding_aws::cold_start`).
    /// `endpoint` is `AWS_ENDPOINT_URL`, for an emulator: the browser posts
    /// uploads there.
    pub fn new(
        clients: &AwsClients,
        database: Option<Database>,
        endpoint: Option<String>,
        settings: ApiSettings,
    ) -> Result<AppState, problem::ApiError> {
        let data = match (database, settings.upload_bucket.clone()) {
            (Some(database), Some(bucket)) if settings.part.serves_data() => {
                Some(DataState::new(clients, database, bucket, endpoint)?)
            }
            _ if settings.part.serves_data() => {
                return Err(problem::ApiError::internal(
                    "the data routes need a database and UPLOAD_BUCKET",
                ));
            }
            _ => None,
        };
        let cognito = aws_sdk_cognitoidentityprovider::Client::new(&clients.sdk);
        let identity = identity::Identity::new(
            cognito,
            settings.cognito.user_pool_id.clone(),
            settings.cognito.client_id.clone(),
        );
        Ok(AppState {
            part: settings.part,
            verifier: auth::TokenVerifier::new(settings.cognito),
            identity,
            site_origin: settings.site_origin,
            data,
        })
    }

    /// The data part's state. Only the data routes call it, and only the
    /// parts that have it serve them.
    pub fn data(&self) -> Result<&DataState, problem::ApiError> {
        self.data
            .as_ref()
            .ok_or_else(|| problem::ApiError::internal("a data route on the auth part"))
    }
}

impl DataState {
    fn new(
        clients: &AwsClients,
        database: Database,
        upload_bucket: String,
        endpoint: Option<String>,
    ) -> Result<DataState, problem::ApiError> {
        let notifier = onboarding_aws::config::optional_env_var(
            onboarding_aws::contract::vars::NOTIFICATION_TOPIC_ARN,
        )
        .map(|topic| {
            let notifier = onboarding_aws::notify::Notifier::new(clients.sns.clone(), topic);
            if endpoint.is_some() {
                notifier.with_mailboxes()
            } else {
                notifier
            }
        });
        let store =
            storage::ObjectStore::new(&clients.sdk, clients.s3.clone(), upload_bucket, endpoint)?;
        Ok(DataState {
            database,
            store,
            notifier,
            console: console::Console::from_env(clients)
                .map_err(|e| problem::ApiError::internal(e.to_string()))?,
        })
    }
}

/// The API. Answers under `/api`; anything else there is a problem+json 404.
pub fn router(state: Arc<AppState>) -> Router {
    let cors = state.site_origin.as_deref().map(|origin| {
        CorsLayer::new()
            .allow_origin(
                HeaderValue::from_str(origin).unwrap_or_else(|_| HeaderValue::from_static("null")),
            )
            .allow_credentials(true)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([header::CONTENT_TYPE])
            .max_age(std::time::Duration::from_secs(600))
    });
    let api = routes::routes(state.part)
        .fallback(routes::not_found)
        // Before any extractor, on every route and the fallback alike.
        .layer(axum::middleware::from_fn(input::refuse_control_in_url))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(axum::middleware::from_fn(request_span))
        .with_state(state);
    let api = match cors {
        Some(cors) => api.layer(cors),
        None => api,
    };
    Router::new().nest(onboarding_aws::contract::API_PATH_PREFIX, api)
}

/// One span per request carrying `upload_id` (the path's, or `-`) and,
/// once the token is verified, `vendor_id`; one log line per request.
async fn request_span(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let upload_id = path
        .strip_prefix("/uploads/")
        .or_else(|| path.strip_prefix("/api/uploads/"))
        .or_else(|| path.strip_prefix("/admin/uploads/"))
        .or_else(|| path.strip_prefix("/api/admin/uploads/"))
        .and_then(|rest| rest.split('/').next())
        .filter(|id| !id.is_empty())
        .unwrap_or("-")
        .to_string();
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        path = %path,
        upload_id = %upload_id,
        vendor_id = tracing::field::Empty,
    );
    let started = Instant::now();
    async move {
        let response = next.run(request).await;
        tracing::info!(
            status = response.status().as_u16(),
            duration_ms = started.elapsed().as_millis() as u64,
            "request"
        );
        response
    }
    .instrument(span)
    .await
}

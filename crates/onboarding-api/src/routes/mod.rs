//! The endpoints of docs/vendor-portal.md.

mod account;
mod admin;
mod catalog;
mod console;
mod submissions;
mod uploads;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;
use crate::config::ApiPart;
use crate::problem::ApiError;

/// The routes of the auth part, under `/api`: every `/auth/` route but
/// log-out, which records the end of a session in the database. They are
/// the deployment contract's, since API Gateway routes exactly these to the
/// auth function (terraform/modules/portal/api.tf); a test
/// (`crates/onboard/tests/portal.rs`) holds [`auth_routes`] to the list.
pub use onboarding_aws::contract::AUTH_ROUTES;

/// The routes `part` serves.
pub fn routes(part: ApiPart) -> Router<Arc<AppState>> {
    // Each part answers its own health check.
    let router = Router::new().route("/health", get(account::health));
    let router = if part.serves_auth() {
        router.merge(auth_routes())
    } else {
        router
    };
    if part.serves_data() {
        router.merge(data_routes())
    } else {
        router
    }
}

/// Cognito's side of a session ([`AUTH_ROUTES`]).
fn auth_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/auth/signup", post(account::sign_up))
        .route("/auth/confirm", post(account::confirm))
        .route("/auth/login", post(account::log_in))
        .route("/auth/refresh", post(account::refresh))
        .route("/auth/revoke", post(account::revoke))
        .route("/auth/jwks", get(account::signing_keys))
}

fn data_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/auth/logout", post(account::log_out))
        .route("/me", get(account::me))
        .route(
            "/uploads",
            post(uploads::create_upload).get(uploads::list_uploads),
        )
        .route("/uploads/{upload_id}", get(uploads::upload_detail))
        .route("/uploads/{upload_id}/errors", get(uploads::upload_errors))
        .route("/uploads/{upload_id}/report", get(uploads::report))
        .route("/uploads/{upload_id}/fix-file", get(uploads::fix_file))
        .route(
            "/uploads/{upload_id}/failed-rows",
            get(submissions::failed_rows),
        )
        .route(
            "/uploads/{upload_id}/fixes",
            // Up to 500 rows of 14 columns: more than the other bodies.
            post(submissions::submit_fixes).layer(crate::input::fix_body_limit()),
        )
        .route("/links/{token}", get(uploads::email_link))
        .route(
            "/products",
            get(catalog::products).post(submissions::submit_product),
        )
        .route("/products/validate", post(submissions::validate_product))
        .route("/products/{sku}/history", get(catalog::product_history))
        .route("/categories", get(catalog::categories))
        .route("/metrics", get(catalog::metrics))
        .route("/admin/vendors", get(admin::list_vendors))
        .route("/admin/vendors/{vendor_id}/approve", post(admin::approve))
        .route("/admin/vendors/{vendor_id}/suspend", post(admin::suspend))
        .route("/admin/vendors/{vendor_id}/activate", post(admin::activate))
        .route(
            "/admin/vendors/{vendor_id}/email",
            post(admin::change_email),
        )
        .route("/admin/subscriptions/reconcile", post(admin::reconcile))
        .route("/admin/uploads", get(console::all_uploads))
        .route("/admin/uploads/{upload_id}", get(console::upload_detail))
        .route("/admin/uploads/{upload_id}/logs", get(console::upload_logs))
        .route("/admin/uploads/{upload_id}/rerun", post(console::rerun))
        .route("/admin/monitor", get(console::monitor))
        .route("/admin/dead-letters", get(console::list_dead_letters))
        .route(
            "/admin/dead-letters/{queue}/redrive",
            post(console::redrive),
        )
        .route("/admin/query", post(console::query))
        .route("/admin/query/csv", post(console::query_csv))
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound("There is no such endpoint. See docs/openapi.yaml.".into())
}

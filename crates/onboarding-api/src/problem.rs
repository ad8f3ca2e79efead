//! Errors as RFC 9457 problem details. What a vendor sees says what to do;
//! what went wrong inside is logged, never sent.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Bad input; names the field.
    #[error("{field}: {detail}")]
    BadInput { field: String, detail: String },
    #[error("not authenticated: {0}")]
    Unauthenticated(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Also what another vendor's resource looks like.
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    /// Existed once and never will again: an expired email link.
    #[error("gone: {0}")]
    Gone(String),
    #[error("too many requests: {0}")]
    TooManyRequests(String),
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// PostgreSQL cannot be reached: most often a paused Aurora Serverless
    /// cluster resuming (~15 s). 503 with Retry-After; logged in full.
    #[error("database unreachable: {0}")]
    DatabaseWakingUp(String),
    /// Logged in full; the vendor gets a generic message.
    #[error("internal: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn bad_input(field: impl Into<String>, detail: impl Into<String>) -> ApiError {
        ApiError::BadInput {
            field: field.into(),
            detail: detail.into(),
        }
    }

    pub fn internal(error: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(error.to_string())
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadInput { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Gone(_) => StatusCode::GONE,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) | ApiError::DatabaseWakingUp(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// Seconds a client is told to wait (`Retry-After`) when the database is
/// unreachable: a paused Aurora cluster takes ~15 s to resume, and the
/// request that found it paused already waited up to
/// `onboarding_aws::database::ACQUIRE_TIMEOUT` (5 s).
pub const DATABASE_RETRY_AFTER_SECS: u64 = 5;

/// The problem type of [`ApiError::DatabaseWakingUp`].
pub const DATABASE_WAKING_UP_TYPE: &str = "urn:onboarding:problem:database-waking-up";

/// The one place database errors become HTTP: a lost or refused connection
/// is [`ApiError::DatabaseWakingUp`] (503), any other error of a statement
/// stays an internal error (500).
impl From<onboarding_db::DbError> for ApiError {
    fn from(error: onboarding_db::DbError) -> ApiError {
        match &error {
            onboarding_db::DbError::Sqlx(e) if onboarding_aws::database::is_connection_lost(e) => {
                ApiError::DatabaseWakingUp(error.to_string())
            }
            _ => ApiError::internal(error),
        }
    }
}

impl From<onboarding_aws::database::DatabaseError> for ApiError {
    fn from(error: onboarding_aws::database::DatabaseError) -> ApiError {
        match error {
            onboarding_aws::database::DatabaseError::Unreachable { .. } => {
                ApiError::DatabaseWakingUp(error.to_string())
            }
            _ => ApiError::Unavailable(error.to_string()),
        }
    }
}

/// The problem document.
#[derive(Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let (detail, field) = match &self {
            ApiError::BadInput { field, detail } => (detail.clone(), Some(field.clone())),
            ApiError::Unauthenticated(detail)
            | ApiError::Forbidden(detail)
            | ApiError::NotFound(detail)
            | ApiError::Conflict(detail)
            | ApiError::Gone(detail)
            | ApiError::TooManyRequests(detail) => (detail.clone(), None),
            ApiError::Unavailable(inner) => {
                tracing::error!(error = %inner, "dependency unavailable");
                (
                    "The service is briefly unavailable. Try again in a minute.".to_string(),
                    None,
                )
            }
            ApiError::DatabaseWakingUp(inner) => {
                tracing::warn!(error = %inner, "database unreachable; answering 503");
                (
                    format!(
                        "The database is waking up after a quiet period. Try again in {DATABASE_RETRY_AFTER_SECS} seconds."
                    ),
                    None,
                )
            }
            ApiError::Internal(inner) => {
                tracing::error!(error = %inner, "internal error");
                (
                    "Something went wrong on our side. Try again; if it keeps happening, contact support."
                        .to_string(),
                    None,
                )
            }
        };
        let waking = matches!(self, ApiError::DatabaseWakingUp(_));
        let problem = Problem {
            kind: if waking {
                DATABASE_WAKING_UP_TYPE.into()
            } else {
                "about:blank".into()
            },
            title: if waking {
                "The database is waking up".into()
            } else {
                status.canonical_reason().unwrap_or("Error").into()
            },
            status: status.as_u16(),
            detail,
            field,
        };
        let mut response = (status, axum::Json(problem)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if waking {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(DATABASE_RETRY_AFTER_SECS),
            );
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

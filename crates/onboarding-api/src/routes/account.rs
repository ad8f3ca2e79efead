//! Health, sign-up, log-in and the vendor's profile.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use cookie::{Cookie, SameSite};
use onboarding_core::{VendorId, VendorStatus};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::{
    Login, REFRESH_COOKIE, SESSION_COOKIE, VendorSession, cookie_value, request_token,
};
use crate::identity::Tokens;
use crate::input::{self, Body, Query};
use crate::problem::{ApiError, ApiResult};

/// The refresh cookie's lifetime, as the pool's refresh token (30 days).
const REFRESH_MAX_AGE_DAYS: i64 = 30;

#[derive(Serialize)]
pub struct Health {
    status: &'static str,
    database: &'static str,
}

/// `GET /api/health`: the database's reachability, on the part that has
/// one; the auth part, which has none, answers that it is up.
pub async fn health(State(state): State<Arc<AppState>>) -> Response {
    let Ok(data) = state.data() else {
        return Json(Health {
            status: "ok",
            database: "not_used",
        })
        .into_response();
    };
    let database_ok = match data.database.pool().await {
        Ok(pool) => sqlx::query_scalar!("SELECT 1 AS \"one!\"")
            .fetch_one(pool)
            .await
            .is_ok(),
        Err(_) => false,
    };
    if database_ok {
        Json(Health {
            status: "ok",
            database: "ok",
        })
        .into_response()
    } else {
        // A paused Aurora cluster is the usual cause: say when to look again,
        // as every other route does (crate::problem::DATABASE_RETRY_AFTER_SECS).
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(
                axum::http::header::RETRY_AFTER,
                crate::problem::DATABASE_RETRY_AFTER_SECS.to_string(),
            )],
            Json(Health {
                status: "degraded",
                database: "unavailable",
            }),
        )
            .into_response()
    }
}

#[derive(Serialize, Debug)]
pub struct Me {
    vendor_id: VendorId,
    vendor_name: String,
    email: String,
    status: VendorStatus,
    created_at: DateTime<Utc>,
}

/// What a log-in answers: who logged in, from the token Cognito issued
/// (the auth part has no database; `GET /api/me` has the vendor's profile).
#[derive(Serialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum LoggedIn {
    Vendor {
        vendor_id: VendorId,
        email: Option<String>,
    },
    Operator {
        email: String,
    },
}

/// The vendor's profile. A vendor who signed up in the portal has no row
/// until its first call here (the auth part, which signs it up, has no
/// database): the row is made then, pending approval, from the verified
/// token's vendor id, name and email.
async fn profile(state: &AppState, session: &VendorSession) -> ApiResult<Me> {
    let pool = state.data()?.database.pool().await?;
    let vendor_id = &session.vendor_id;
    let mut profile = onboarding_db::portal::vendor_profile(pool, vendor_id).await?;
    if profile.is_none()
        && let (Some(name), Some(email)) = (&session.name, &session.email)
    {
        let name = input::text("vendor_name", name, 200)?;
        let email = input::email(email)?;
        if onboarding_db::portal::register_pending_vendor(pool, vendor_id, &name, &email).await? {
            tracing::info!(upload_id = "-", vendor_id = %vendor_id, "signed-up vendor registered; awaiting approval");
        }
        profile = onboarding_db::portal::vendor_profile(pool, vendor_id).await?;
    }
    let profile = profile
        .ok_or_else(|| ApiError::NotFound("No vendor account is linked to this login.".into()))?;
    Ok(Me {
        vendor_id: profile.vendor.vendor_id,
        vendor_name: profile.vendor.vendor_name,
        email: profile.vendor.email,
        status: profile.vendor.status,
        created_at: profile.created_at,
    })
}

pub async fn me(State(state): State<Arc<AppState>>, session: VendorSession) -> ApiResult<Json<Me>> {
    Ok(Json(profile(&state, &session).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignUp {
    vendor_name: String,
    email: String,
    password: String,
}

#[derive(Serialize)]
pub struct SignedUp {
    vendor_id: VendorId,
    status: VendorStatus,
    confirmation_required: bool,
}

pub async fn sign_up(
    State(state): State<Arc<AppState>>,
    Body(request): Body<SignUp>,
) -> ApiResult<(StatusCode, Json<SignedUp>)> {
    let vendor_name = input::text("vendor_name", &request.vendor_name, 200)?;
    let email = input::email(&request.email)?;
    if request.password.chars().count() > 256 {
        return Err(ApiError::bad_input("password", "password is too long."));
    }
    let (vendor_id, confirmed) = state
        .identity
        .sign_up(&email, &request.password, &vendor_name)
        .await?;
    tracing::info!(upload_id = "-", vendor_id = %vendor_id, "vendor signed up; awaiting approval");
    Ok((
        StatusCode::CREATED,
        Json(SignedUp {
            vendor_id,
            status: VendorStatus::PendingApproval,
            confirmation_required: !confirmed,
        }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Confirm {
    email: String,
    code: String,
}

pub async fn confirm(
    State(state): State<Arc<AppState>>,
    Body(request): Body<Confirm>,
) -> ApiResult<StatusCode> {
    let email = input::email(&request.email)?;
    let code = input::text("code", &request.code, 16)?;
    state.identity.confirm(&email, &code).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogIn {
    email: String,
    password: String,
}

fn set_cookie(response: &mut Response, cookie: Cookie<'_>) {
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

fn session_cookie(tokens: &Tokens) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, tokens.id_token.clone()))
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Strict)
        .path("/api")
        .max_age(cookie::time::Duration::seconds(tokens.expires_in_s.max(60)))
        .build()
}

fn expired_cookie(name: &'static str, path: &'static str) -> Cookie<'static> {
    Cookie::build((name, ""))
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Strict)
        .path(path)
        .max_age(cookie::time::Duration::ZERO)
        .build()
}

pub async fn log_in(
    State(state): State<Arc<AppState>>,
    Body(request): Body<LogIn>,
) -> ApiResult<Response> {
    let email = input::email(&request.email)?;
    if request.password.is_empty() || request.password.chars().count() > 256 {
        return Err(ApiError::bad_input("password", "Enter your password."));
    }
    let tokens = state.identity.log_in(&email, &request.password).await?;
    let (login, _) = state.verifier.identify(&tokens.id_token).await?;
    let mut response = match login {
        Login::Vendor(session) => {
            tracing::info!(upload_id = "-", vendor_id = %session.vendor_id, "logged in");
            Json(LoggedIn::Vendor {
                vendor_id: session.vendor_id,
                email: session.email,
            })
            .into_response()
        }
        // The operator console: the same cookies, an operator's answer.
        Login::Operator(operator) => {
            tracing::info!(upload_id = "-", vendor_id = "-", operator = %operator.operator, "operator logged in");
            Json(LoggedIn::Operator {
                email: operator.operator,
            })
            .into_response()
        }
    };
    set_cookie(&mut response, session_cookie(&tokens));
    if let Some(refresh) = &tokens.refresh_token {
        set_cookie(
            &mut response,
            Cookie::build((REFRESH_COOKIE, refresh.clone()))
                .http_only(true)
                .secure(true)
                .same_site(SameSite::Strict)
                .path("/api/auth")
                .max_age(cookie::time::Duration::days(REFRESH_MAX_AGE_DAYS))
                .build(),
        );
    }
    Ok(response)
}

/// A new session token from the refresh cookie. A token of a logged-out
/// session is refused by every data route (the auth part has no database to
/// tell, and Cognito has revoked the refresh token unless the revocation
/// failed).
pub async fn refresh(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let refresh = cookie_value(&headers, REFRESH_COOKIE)
        .ok_or_else(|| ApiError::Unauthenticated("Log in to continue.".into()))?;
    let tokens = state.identity.refresh(&refresh).await?;
    state.verifier.identify(&tokens.id_token).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    set_cookie(&mut response, session_cookie(&tokens));
    Ok(response)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogOutQuery {
    /// End every session of the login, not only this browser's.
    #[serde(default)]
    everywhere: bool,
}

/// Ends the session (or, `?everywhere=true`, every session of the login):
/// from the answer on, the API refuses every token issued to it before,
/// refreshed ones included. Clears both cookies whatever happens; a 503
/// when the end could not be recorded. The web app first calls `POST
/// /api/auth/revoke`, Cognito's side, which needs the refresh cookie.
pub async fn log_out(
    State(state): State<Arc<AppState>>,
    Query(query): Query<LogOutQuery>,
    headers: HeaderMap,
) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let ended = match state.data() {
        Ok(data) => match request_token(&headers) {
            Some(token) => match state.verifier.verify_login(&data.database, &token).await {
                Ok((_, session)) => {
                    state
                        .verifier
                        .sign_out(&data.database, &session, query.everywhere)
                        .await
                }
                // Expired, forged or ended already: nothing left to end.
                Err(ApiError::Unauthenticated(_)) => Ok(()),
                Err(error) => Err(error),
            },
            None => Ok(()),
        },
        Err(error) => Err(error),
    };
    match ended {
        Ok(()) => tracing::info!(upload_id = "-", everywhere = query.everywhere, "logged out"),
        Err(error) => response = error.into_response(),
    }
    set_cookie(&mut response, expired_cookie(SESSION_COOKIE, "/api"));
    set_cookie(&mut response, expired_cookie(REFRESH_COOKIE, "/api/auth"));
    response
}

/// Cognito's side of logging out, best effort: revokes the refresh cookie's
/// token and, `?everywhere=true`, every refresh token of the login (whose
/// name comes from a token Cognito issues for the refresh cookie). Clears
/// the refresh cookie; always 204 but for a bad option.
pub async fn revoke(
    State(state): State<Arc<AppState>>,
    Query(query): Query<LogOutQuery>,
    headers: HeaderMap,
) -> Response {
    if let Some(refresh) = cookie_value(&headers, REFRESH_COOKIE) {
        if query.everywhere
            && let Ok(tokens) = state.identity.refresh(&refresh).await
            && let Ok((_, session)) = state.verifier.identify(&tokens.id_token).await
        {
            state.identity.sign_out_everywhere(&session.username).await;
        }
        state.identity.revoke(&refresh).await;
        tracing::info!(
            upload_id = "-",
            everywhere = query.everywhere,
            "refresh token revoked"
        );
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    set_cookie(&mut response, expired_cookie(REFRESH_COOKIE, "/api/auth"));
    response
}

/// `GET /api/auth/jwks`: the pool's public signing keys, from the auth part,
/// for the data part, which cannot reach Cognito (`COGNITO_JWKS_URL`).
pub async fn signing_keys(State(state): State<Arc<AppState>>) -> ApiResult<Response> {
    let keys = state.verifier.signing_keys().await?;
    Ok(Json(keys).into_response())
}

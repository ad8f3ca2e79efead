//! Health, sign-up, log-in and the vendor's profile.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use cookie::{Cookie, SameSite};
use onboarding_core::{VendorId, VendorStatus};
use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::{
    Login, REFRESH_COOKIE, SESSION_COOKIE, TokenSession, VendorSession, cookie_value, request_token,
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

pub async fn health(State(state): State<Arc<AppState>>) -> Response {
    let database_ok = match state.database.pool().await {
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

/// What an operator's log-in answers (the console's pages need no more).
#[derive(Serialize)]
pub struct OperatorMe {
    role: &'static str,
    email: String,
}

async fn profile(state: &AppState, vendor_id: &VendorId) -> ApiResult<Me> {
    let pool = state.database.pool().await?;
    let profile = onboarding_db::portal::vendor_profile(pool, vendor_id)
        .await?
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
    Ok(Json(profile(&state, &session.vendor_id).await?))
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

/// A fresh vendor id: `V` and eight hex digits.
fn new_vendor_id() -> VendorId {
    VendorId::parse(&format!("V{:08X}", rand::rng().random::<u32>()))
        .expect("V and eight hex digits is a vendor id")
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
    let pool = state.database.pool().await?;
    let mut vendor_id = None;
    for _ in 0..5 {
        let candidate = new_vendor_id();
        if onboarding_db::portal::register_pending_vendor(pool, &candidate, &vendor_name, &email)
            .await?
        {
            vendor_id = Some(candidate);
            break;
        }
    }
    let vendor_id =
        vendor_id.ok_or_else(|| ApiError::internal("no free vendor id after 5 tries"))?;
    match state
        .identity
        .sign_up(&email, &request.password, &vendor_id)
        .await
    {
        Ok(confirmed) => {
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
        Err(error) => {
            onboarding_db::portal::forget_pending_vendor(pool, &vendor_id).await?;
            Err(error)
        }
    }
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
    let (login, _) = state
        .verifier
        .verify_login(&state.database, &tokens.id_token)
        .await?;
    let mut response = match login {
        Login::Vendor(session) => {
            let me = profile(&state, &session.vendor_id).await?;
            tracing::info!(upload_id = "-", vendor_id = %session.vendor_id, "logged in");
            Json(me).into_response()
        }
        // The operator console: the same cookies, an operator's answer.
        Login::Operator(operator) => {
            tracing::info!(upload_id = "-", vendor_id = "-", operator = %operator.operator, "operator logged in");
            Json(OperatorMe {
                role: "operator",
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

pub async fn refresh(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let refresh = cookie_value(&headers, REFRESH_COOKIE)
        .ok_or_else(|| ApiError::Unauthenticated("Log in to continue.".into()))?;
    let tokens = state.identity.refresh(&refresh).await?;
    // A refresh token of a logged-out session still gets tokens from an
    // emulator that cannot revoke it: they are refused here.
    state
        .verifier
        .verify_login(&state.database, &tokens.id_token)
        .await?;
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

/// The live session of a log-out request: its session token's, or, when
/// that is gone (expired), the one its refresh token still gets. `None`
/// when neither is live: a session already logged out has nothing left to
/// end. An error when that cannot be told (the database or Cognito down).
async fn session_to_end(
    state: &AppState,
    headers: &HeaderMap,
    refresh: Option<&str>,
) -> ApiResult<Option<TokenSession>> {
    let live = |result: ApiResult<(Login, TokenSession)>| match result {
        Ok((_, session)) => Ok(Some(session)),
        Err(ApiError::Unauthenticated(_)) => Ok(None),
        Err(error) => Err(error),
    };
    if let Some(token) = request_token(headers)
        && let Some(session) = live(state.verifier.verify_login(&state.database, &token).await)?
    {
        return Ok(Some(session));
    }
    let Some(refresh) = refresh else {
        return Ok(None);
    };
    let tokens = match state.identity.refresh(refresh).await {
        Ok(tokens) => tokens,
        Err(ApiError::Unauthenticated(_)) => return Ok(None),
        Err(error) => return Err(error),
    };
    live(
        state
            .verifier
            .verify_login(&state.database, &tokens.id_token)
            .await,
    )
}

/// Ends the session (or, `?everywhere=true`, every session of the login):
/// from the answer on, the API refuses every token issued to it before,
/// refreshed ones included. Clears both cookies whatever happens; a 503
/// when the end could not be recorded.
pub async fn log_out(
    State(state): State<Arc<AppState>>,
    Query(query): Query<LogOutQuery>,
    headers: HeaderMap,
) -> Response {
    let refresh = cookie_value(&headers, REFRESH_COOKIE);
    let mut response = StatusCode::NO_CONTENT.into_response();
    let ended = match session_to_end(&state, &headers, refresh.as_deref()).await {
        Ok(Some(session)) => {
            state
                .verifier
                .sign_out(&state.database, &session, query.everywhere)
                .await
        }
        Ok(None) => Ok(()),
        Err(error) => Err(error),
    };
    match ended {
        Ok(()) => tracing::info!(upload_id = "-", everywhere = query.everywhere, "logged out"),
        Err(error) => response = error.into_response(),
    }
    if let Some(refresh) = &refresh {
        state.identity.log_out(refresh).await;
    }
    set_cookie(&mut response, expired_cookie(SESSION_COOKIE, "/api"));
    set_cookie(&mut response, expired_cookie(REFRESH_COOKIE, "/api/auth"));
    response
}

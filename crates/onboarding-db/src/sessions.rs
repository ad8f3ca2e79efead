//! Portal sessions ended before their tokens expire: what `POST
//! /api/auth/logout` records and what the vendor-api checks on every
//! verified token (`migrations/20261205000001_portal_sign_outs.sql`).

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::DbError;

/// Past this many days a sign-out refuses nothing: every token it could
/// refuse has expired (the pool's refresh tokens last 30 days, its ID
/// tokens an hour).
pub const KEEP_DAYS: i32 = 31;

/// What is recorded against one login and one of its sessions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignOuts {
    /// When every session of the login was ended ("log out everywhere"):
    /// tokens authenticated at or before it are refused. Whole seconds.
    pub everywhere_at: Option<DateTime<Utc>>,
    /// Whether the session asked about was logged out.
    pub session_ended: bool,
}

/// The sign-outs that concern `subject`'s session `session_id` (the ID
/// token's `origin_jti`; `None` when the token has none).
pub async fn sign_outs(
    pool: &PgPool,
    subject: &str,
    session_id: Option<&str>,
) -> Result<SignOuts, DbError> {
    let row = sqlx::query!(
        r#"SELECT max(signed_out_at) FILTER (WHERE session_id = '') AS everywhere_at,
                  coalesce(bool_or(session_id <> '' AND session_id = $2), false) AS "session_ended!"
             FROM portal_sign_outs
            WHERE subject = $1 AND (session_id = '' OR session_id = $2)"#,
        subject,
        session_id
    )
    .fetch_one(pool)
    .await?;
    Ok(SignOuts {
        everywhere_at: row.everywhere_at,
        session_ended: row.session_ended,
    })
}

/// Ends `subject`'s session `session_id`: every token of it is refused from
/// now on, whenever it was issued. `session_id` is not empty (the empty id
/// is [`end_every_session`]'s).
pub async fn end_session(pool: &PgPool, subject: &str, session_id: &str) -> Result<(), DbError> {
    debug_assert!(!session_id.is_empty());
    record(pool, subject, session_id, Utc::now()).await
}

/// Ends every session of `subject` authenticated at or before `at` (whole
/// seconds: a token's `auth_time` has no finer grain). A later sign-out
/// never moves the time back.
pub async fn end_every_session(
    pool: &PgPool,
    subject: &str,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    record(pool, subject, "", at).await
}

async fn record(
    pool: &PgPool,
    subject: &str,
    session_id: &str,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    sqlx::query!(
        r#"INSERT INTO portal_sign_outs (subject, session_id, signed_out_at)
           VALUES ($1, $2, $3)
           ON CONFLICT (subject, session_id) DO UPDATE
              SET signed_out_at = GREATEST(portal_sign_outs.signed_out_at, EXCLUDED.signed_out_at)"#,
        subject,
        session_id,
        at
    )
    .execute(pool)
    .await?;
    sqlx::query!(
        "DELETE FROM portal_sign_outs WHERE signed_out_at < now() - make_interval(days => $1)",
        KEEP_DAYS
    )
    .execute(pool)
    .await?;
    Ok(())
}

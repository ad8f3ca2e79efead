//! Uploads: the presigned POST, the list, the details, the errors, and the
//! stable report links.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use onboarding_core::{UploadId, UploadMode, UploadStatus, VendorStatus};
use onboarding_db::portal::{self, ErrorFilter, ListedRowError, UploadFilter, UploadPosition};
use onboarding_db::report_links;
use onboarding_db::uploads::Upload;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::VendorSession;
use crate::input::{self, Body, DayEnd, Path, Query, decode_cursor, encode_cursor};
use crate::problem::{ApiError, ApiResult};
use crate::storage::PresignedPost;

pub(crate) fn upload_not_found() -> ApiError {
    ApiError::NotFound("There is no upload with this id in your account.".into())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresignRequest {
    file_name: String,
    /// `create` (the default) or `upsert`.
    mode: Option<String>,
}

pub async fn create_upload(
    State(state): State<Arc<AppState>>,
    session: VendorSession,
    Body(request): Body<PresignRequest>,
) -> ApiResult<(StatusCode, Json<PresignedPost>)> {
    let file_name = input::file_name(&request.file_name)?;
    let mode = input::upload_mode(request.mode.as_deref())?;
    let pool = state.data()?.database.pool().await?;
    let vendor_id = active_vendor(pool, &session).await?;
    let post = state
        .data()?
        .store
        .presign_upload(&vendor_id, &file_name, mode)
        .await?;
    tracing::info!(upload_id = "-", key = %post.key, mode = mode.as_str(), "presigned an upload");
    Ok((StatusCode::CREATED, Json(post)))
}

/// The signed-in vendor, if it may upload (the portal's form and fixes are
/// uploads too): 403 while it awaits approval or is suspended.
pub(crate) async fn active_vendor(
    pool: &sqlx::PgPool,
    session: &VendorSession,
) -> ApiResult<onboarding_core::VendorId> {
    let vendor = onboarding_db::uploads::find_vendor(pool, &session.vendor_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("No vendor account is linked to this login.".into()))?;
    match vendor.status {
        VendorStatus::Active => Ok(vendor.vendor_id),
        VendorStatus::PendingApproval => Err(ApiError::Forbidden(
            "Your account is awaiting approval. You can upload once an operator has approved it."
                .into(),
        )),
        VendorStatus::Suspended => Err(ApiError::Forbidden(
            "Your account is suspended, so uploads are not accepted. Contact support.".into(),
        )),
    }
}

#[derive(Serialize)]
pub struct UploadView {
    upload_id: UploadId,
    file_name: String,
    status: UploadStatus,
    total_records: Option<i32>,
    valid_records: i32,
    error_records: i32,
    mode: UploadMode,
    /// The valid rows by what they did: new products, changed products, and
    /// (in an upsert) products that were already exactly so.
    created_records: i32,
    updated_records: i32,
    unchanged_records: i32,
    uploaded_at: DateTime<Utc>,
    completed_at: Option<DateTime<Utc>>,
}

impl From<&Upload> for UploadView {
    fn from(upload: &Upload) -> UploadView {
        UploadView {
            upload_id: upload.upload_id.clone(),
            file_name: upload.file_name.clone(),
            status: upload.status,
            total_records: upload.total_records,
            valid_records: upload.valid_records,
            error_records: upload.error_records,
            mode: upload.mode,
            created_records: upload.created_records,
            updated_records: upload.updated_records,
            unchanged_records: upload.unchanged_records,
            uploaded_at: upload.upload_timestamp,
            completed_at: upload.completed_at,
        }
    }
}

#[derive(Serialize)]
pub struct Page<T> {
    pub(crate) items: Vec<T>,
    pub(crate) next_cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) total: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    status: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct UploadCursor {
    pub(crate) t: DateTime<Utc>,
    pub(crate) id: UploadId,
}

/// The upload lists' `status`, `from` and `to`, checked.
pub(crate) type StatusAndPeriod = (
    Option<UploadStatus>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

pub(crate) fn status_and_period(
    status: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
) -> ApiResult<StatusAndPeriod> {
    let status = status
        .filter(|s| !s.is_empty())
        .map(|status| {
            UploadStatus::parse(status).map_err(|_| {
                let all: Vec<&str> = UploadStatus::ALL.map(UploadStatus::as_str).to_vec();
                ApiError::bad_input(
                    "status",
                    format!("status must be one of {}, got '{status}'.", all.join(", ")),
                )
            })
        })
        .transpose()?;
    let from = from
        .filter(|s| !s.is_empty())
        .map(|v| input::moment("from", v, DayEnd::Start))
        .transpose()?;
    let until = to
        .filter(|s| !s.is_empty())
        .map(|v| input::moment("to", v, DayEnd::End))
        .transpose()?;
    if let (Some(from), Some(until)) = (from, until)
        && from >= until
    {
        return Err(ApiError::bad_input("to", "to must be after from."));
    }
    Ok((status, from, until))
}

/// Cuts a page fetched with `limit + 1` rows to `limit`, and the cursor of
/// the next page if there is one.
pub(crate) fn next_upload_cursor(uploads: &mut Vec<Upload>, limit: i64) -> Option<String> {
    if uploads.len() as i64 <= limit {
        return None;
    }
    uploads.truncate(limit as usize);
    uploads.last().map(|u| {
        encode_cursor(&UploadCursor {
            t: u.upload_timestamp,
            id: u.upload_id.clone(),
        })
    })
}

pub async fn list_uploads(
    State(state): State<Arc<AppState>>,
    session: VendorSession,
    Query(query): Query<UploadQuery>,
) -> ApiResult<Json<Page<UploadView>>> {
    let (status, from, until) = status_and_period(
        query.status.as_deref(),
        query.from.as_deref(),
        query.to.as_deref(),
    )?;
    let limit = input::limit(query.limit, 20, 100)?;
    let after: Option<UploadCursor> = decode_cursor(query.cursor.as_deref())?;
    let pool = state.data()?.database.pool().await?;
    let mut uploads = portal::vendor_uploads(
        pool,
        &session.vendor_id,
        &UploadFilter {
            status,
            from,
            until,
            after: after.map(|c| UploadPosition {
                uploaded_at: c.t,
                upload_id: c.id,
            }),
            limit: limit + 1,
        },
    )
    .await?;
    let next_cursor = next_upload_cursor(&mut uploads, limit);
    Ok(Json(Page {
        items: uploads.iter().map(UploadView::from).collect(),
        next_cursor,
        total: None,
    }))
}

#[derive(Serialize)]
pub struct Progress {
    validated: i32,
    total: Option<i32>,
    percent: Option<u8>,
}

#[derive(Serialize)]
pub struct Stage {
    name: &'static str,
    started_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    duration_ms: Option<i64>,
}

#[derive(Serialize)]
pub struct UploadDetail {
    #[serde(flatten)]
    summary: UploadView,
    progress: Progress,
    failure_reason: Option<String>,
    warnings: Vec<String>,
    stages: Vec<Stage>,
    errors_by_type: BTreeMap<String, i64>,
    report_available: bool,
    fix_file_available: bool,
    /// `form` or `fix` for a portal submission, `null` for a file.
    submission: Option<onboarding_core::SubmissionKind>,
    /// The upload whose failed rows this one fixes.
    fixes_upload_id: Option<UploadId>,
    /// Whether the vendor wants the result by email: always, except for a
    /// portal submission made without asking.
    email_requested: bool,
    /// How the email step ended: `sent`, `not_requested`, or `null` before.
    notification: Option<onboarding_core::NotificationOutcome>,
}

/// The pipeline's stages from the audit trail's timestamps; a stage that
/// has started but not finished has no `finished_at`.
fn stages(upload: &Upload) -> Vec<Stage> {
    let marks = [
        (
            "received",
            Some(upload.upload_timestamp),
            Some(upload.started_at),
        ),
        ("parsed", Some(upload.started_at), upload.parsed_at),
        ("validated", upload.parsed_at, upload.validated_at),
        (
            "reported",
            upload.validated_at.or(upload
                .parsed_at
                .filter(|_| upload.status == UploadStatus::Failed)),
            upload.completed_at,
        ),
        ("notified", upload.completed_at, upload.notified_at),
    ];
    marks
        .into_iter()
        .filter_map(|(name, started, finished)| {
            let started = started?;
            Some(Stage {
                name,
                started_at: started,
                finished_at: finished,
                duration_ms: finished.map(|f| (f - started).num_milliseconds().max(0)),
            })
        })
        .collect()
}

pub async fn upload_detail(
    State(state): State<Arc<AppState>>,
    session: VendorSession,
    Path(upload_id): Path<UploadId>,
) -> ApiResult<Json<UploadDetail>> {
    let pool = state.data()?.database.pool().await?;
    let upload = portal::vendor_upload(pool, &session.vendor_id, &upload_id)
        .await?
        .ok_or_else(upload_not_found)?;
    Ok(Json(describe(pool, &upload).await?))
}

/// What the vendor sees of one upload (the operator console shows it too).
pub(crate) async fn describe(pool: &sqlx::PgPool, upload: &Upload) -> ApiResult<UploadDetail> {
    let errors_by_type = portal::errors_by_type(pool, &upload.upload_id)
        .await?
        .into_iter()
        .collect();
    let origin = onboarding_db::submissions::upload_origin(pool, &upload.upload_id).await?;
    let validated = upload.valid_records + upload.error_records;
    let percent = upload.total_records.map(|total| {
        if total == 0 {
            100
        } else {
            ((i64::from(validated) * 100) / i64::from(total)).clamp(0, 100) as u8
        }
    });
    Ok(UploadDetail {
        progress: Progress {
            validated,
            total: upload.total_records,
            percent,
        },
        failure_reason: upload.failure_reason.clone(),
        warnings: upload.warnings.clone(),
        stages: stages(upload),
        errors_by_type,
        report_available: upload.error_file_s3_key.is_some(),
        fix_file_available: upload.fix_file_s3_key.is_some(),
        submission: origin.submission,
        fixes_upload_id: origin.fixes_upload_id,
        email_requested: origin.email_requested,
        notification: origin.notification,
        summary: UploadView::from(upload),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorQuery {
    error_type: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

pub async fn upload_errors(
    State(state): State<Arc<AppState>>,
    session: VendorSession,
    Path(upload_id): Path<UploadId>,
    Query(query): Query<ErrorQuery>,
) -> ApiResult<Json<Page<ListedRowError>>> {
    let error_type = query.error_type.filter(|t| !t.is_empty());
    if let Some(kind) = &error_type
        && kind.parse::<onboarding_core::ErrorType>().is_err()
    {
        return Err(ApiError::bad_input(
            "error_type",
            format!("'{kind}' is not an error type (see the README's table)."),
        ));
    }
    let limit = input::limit(query.limit, 50, 500)?;
    let after: Option<(i32, i16)> = decode_cursor(query.cursor.as_deref())?;
    let pool = state.data()?.database.pool().await?;
    let upload = portal::vendor_upload(pool, &session.vendor_id, &upload_id)
        .await?
        .ok_or_else(upload_not_found)?;
    let total = portal::count_upload_errors(pool, &upload.upload_id, error_type.as_deref()).await?;
    let mut errors = portal::upload_errors(
        pool,
        &upload.upload_id,
        &ErrorFilter {
            error_type,
            after,
            limit: limit + 1,
        },
    )
    .await?;
    let next_cursor = if errors.len() as i64 > limit {
        errors.truncate(limit as usize);
        errors
            .last()
            .map(|e| encode_cursor(&(e.row_number, e.error_index)))
    } else {
        None
    };
    Ok(Json(Page {
        items: errors,
        next_cursor,
        total: Some(total),
    }))
}

#[derive(Clone, Copy)]
enum Document {
    Report,
    FixFile,
}

/// The stable link an email carries: a fresh presigned URL on every click.
/// A browser without a session is sent to log in and then back here.
async fn download(
    state: &AppState,
    session: Result<VendorSession, ApiError>,
    headers: &HeaderMap,
    upload_id: &UploadId,
    document: Document,
) -> ApiResult<Response> {
    let session = match session {
        Ok(session) => session,
        Err(ApiError::Unauthenticated(detail)) => {
            let wants_page = headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|accept| accept.contains("text/html"));
            if !wants_page {
                return Err(ApiError::Unauthenticated(detail));
            }
            let suffix = match document {
                Document::Report => "report",
                Document::FixFile => "fix-file",
            };
            let next = format!("/api/uploads/{upload_id}/{suffix}");
            let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
            let origin = state.site_origin.as_deref().unwrap_or("");
            return Ok(Redirect::to(&format!("{origin}/login.html?next={next}")).into_response());
        }
        Err(other) => return Err(other),
    };
    let pool = state.data()?.database.pool().await?;
    let upload = portal::vendor_upload(pool, &session.vendor_id, upload_id)
        .await?
        .ok_or_else(upload_not_found)?;
    let key = match document {
        Document::Report => upload.error_file_s3_key,
        Document::FixFile => upload.fix_file_s3_key,
    }
    .ok_or_else(|| {
        ApiError::NotFound(
            "This upload has no such file: it had no errors, or it is still being processed."
                .into(),
        )
    })?;
    let link = state.data()?.store.download_link(&key).await?;
    Ok(Redirect::to(&link).into_response())
}

pub async fn report(
    State(state): State<Arc<AppState>>,
    session: Result<VendorSession, ApiError>,
    headers: HeaderMap,
    Path(upload_id): Path<UploadId>,
) -> ApiResult<Response> {
    download(&state, session, &headers, &upload_id, Document::Report).await
}

/// The email's seven-day link (`onboarding_db::report_links`): no login,
/// the unguessable token is the permission, as a presigned URL's signature
/// is. Each click gets a fresh presigned GET until the link expires; after,
/// 410 and the way to the portal's own link, which needs the vendor's login.
pub async fn email_link(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
) -> ApiResult<Response> {
    let unknown = || {
        ApiError::NotFound(
            "This download link is not known. Open it exactly as the email gives it, \
             or sign in to the vendor portal to download the file."
                .into(),
        )
    };
    let token = report_links::LinkToken::parse(&token).ok_or_else(unknown)?;
    let pool = state.data()?.database.pool().await?;
    let link = report_links::resolve_link(pool, &token)
        .await?
        .ok_or_else(unknown)?;
    if link.expired {
        return Err(ApiError::Gone(format!(
            "This link expired on {}, seven days after the email. Sign in to the vendor \
             portal and open upload {} to download the file.",
            link.expires_at.format("%Y-%m-%d %H:%M UTC"),
            link.upload_id
        )));
    }
    let key = link.key.ok_or_else(unknown)?;
    let presigned = state.data()?.store.download_link(&key).await?;
    Ok(Redirect::to(&presigned).into_response())
}

pub async fn fix_file(
    State(state): State<Arc<AppState>>,
    session: Result<VendorSession, ApiError>,
    headers: HeaderMap,
    Path(upload_id): Path<UploadId>,
) -> ApiResult<Response> {
    download(&state, session, &headers, &upload_id, Document::FixFile).await
}

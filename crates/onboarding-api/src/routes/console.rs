//! The operator console's endpoints (docs/console.md), `/api/admin/...`
//! behind [`OperatorSession`] like the vendor lifecycle's: every vendor's
//! uploads with the failed and stuck on top, one upload's detail, timeline,
//! log lines and dead letters, the function monitor, dead letters and their
//! redrive, re-runs, and the safe-query console. Handlers parse and check
//! their input, call one module, and shape the answer; every action that
//! changes something is logged as an `admin action`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{self, HeaderName};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, TimeDelta, Utc};
use onboarding_aws::dead_letters::{self, DeadLetter};
use onboarding_core::{UploadId, UploadStatus, VendorId};
use onboarding_db::console::{self as db, AttentionLimits, ConsoleFilter, QueryError};
use onboarding_db::portal::UploadPosition;
use onboarding_db::uploads::{self as uploads_db, Upload};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::uploads::{
    Page, UploadDetail, UploadView, describe, next_upload_cursor, status_and_period,
};
use crate::AppState;
use crate::auth::OperatorSession;
use crate::console::{Console, QUERY_ROW_LIMIT, QUERY_TIMEOUT};
use crate::input::{self, Body, Path, Query, decode_cursor, encode_cursor};
use crate::observe::{FunctionMetrics, LogLine, Window};
use crate::problem::{ApiError, ApiResult};

/// The requirements' limits (docs/console.md, "Stuck"): an upload completes
/// within 5 minutes (FR1) and its email follows within 2 minutes (FR4).
pub const PROCESSING_LIMIT: TimeDelta = TimeDelta::minutes(5);
pub const NOTIFICATION_LIMIT: TimeDelta = TimeDelta::minutes(2);
/// Failures this recent are listed on top.
const RECENT_FAILURES: TimeDelta = TimeDelta::hours(24);

/// The path's upload id, parsed; one that cannot be an upload id is, like
/// on the vendor routes, an upload that does not exist.
fn upload_id(text: &str) -> ApiResult<UploadId> {
    UploadId::parse(text).map_err(|_| ApiError::NotFound(format!("There is no upload {text}.")))
}

async fn find_upload(state: &AppState, id: &UploadId) -> ApiResult<Upload> {
    let pool = state.data()?.database.pool().await?;
    uploads_db::find_upload(pool, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("There is no upload {}.", id.as_str())))
}

/// Why an upload needs an operator, if it does.
pub fn attention(upload: &Upload, now: DateTime<Utc>) -> Option<String> {
    if upload.status == UploadStatus::Processing && now - upload.started_at > PROCESSING_LIMIT {
        return Some(format!(
            "stuck: still processing {} min after it started (the limit is 5 min)",
            (now - upload.started_at).num_minutes()
        ));
    }
    if upload.status != UploadStatus::Processing
        && !upload.is_finished()
        && upload
            .completed_at
            .is_some_and(|done| now - done > NOTIFICATION_LIMIT)
    {
        return Some("stuck: finished, but the vendor was not emailed within 2 min".into());
    }
    (upload.status == UploadStatus::Failed).then(|| UploadStatus::Failed.as_str().to_string())
}

#[derive(Serialize)]
pub struct AdminUpload {
    #[serde(flatten)]
    summary: UploadView,
    vendor_id: Option<VendorId>,
    rerun_of: Option<UploadId>,
    /// `failed`, or why it is stuck; null when all is well.
    attention: Option<String>,
}

impl AdminUpload {
    fn of(upload: &Upload, now: DateTime<Utc>) -> AdminUpload {
        AdminUpload {
            summary: UploadView::from(upload),
            vendor_id: upload.vendor_id.clone(),
            rerun_of: upload.rerun_of.clone(),
            attention: attention(upload, now),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllUploadsQuery {
    vendor_id: Option<String>,
    status: Option<String>,
    from: Option<String>,
    to: Option<String>,
    file_name: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

#[derive(Serialize)]
pub struct AllUploads {
    #[serde(flatten)]
    page: Page<AdminUpload>,
    /// Uploads per status under the filter (status and page aside).
    counts: BTreeMap<String, i64>,
    /// Failed (last 24 h) and stuck uploads under the filter, newest first;
    /// on the first page only.
    attention: Vec<AdminUpload>,
}

fn vendor_filter(value: Option<String>) -> ApiResult<Option<VendorId>> {
    value
        .filter(|v| !v.is_empty())
        .map(|v| VendorId::parse(&v).map_err(|e| ApiError::bad_input("vendor_id", e.to_string())))
        .transpose()
}

/// `GET /api/admin/uploads`
pub async fn all_uploads(
    _operator: OperatorSession,
    State(state): State<Arc<AppState>>,
    Query(query): Query<AllUploadsQuery>,
) -> ApiResult<Json<AllUploads>> {
    let (status, from, until) = status_and_period(
        query.status.as_deref(),
        query.from.as_deref(),
        query.to.as_deref(),
    )?;
    let vendor_id = vendor_filter(query.vendor_id)?;
    let file_name = query
        .file_name
        .filter(|v| !v.is_empty())
        .map(|v| input::text("file_name", &v, 255))
        .transpose()?;
    let limit = input::limit(query.limit, 50, 200)?;
    let after: Option<super::uploads::UploadCursor> = decode_cursor(query.cursor.as_deref())?;
    let first_page = after.is_none();
    let filter = ConsoleFilter {
        vendor_id,
        status,
        from,
        until,
        file_name,
        after: after.map(|c| UploadPosition {
            uploaded_at: c.t,
            upload_id: c.id,
        }),
        limit: limit + 1,
    };
    let pool = state.data()?.database.pool().await?;
    let mut uploads = db::all_uploads(pool, &filter).await?;
    let counts = db::status_counts(pool, &filter)
        .await?
        .into_iter()
        .collect();
    let now = Utc::now();
    let attention = if first_page {
        db::attention(
            pool,
            filter.vendor_id.as_ref(),
            &AttentionLimits {
                processing_started_before: now - PROCESSING_LIMIT,
                completed_before: now - NOTIFICATION_LIMIT,
                failed_since: now - RECENT_FAILURES,
                limit: 50,
            },
        )
        .await?
        .iter()
        .map(|u| AdminUpload::of(u, now))
        .filter(|u| u.attention.is_some())
        .collect()
    } else {
        Vec::new()
    };
    let next_cursor = next_upload_cursor(&mut uploads, limit);
    Ok(Json(AllUploads {
        page: Page {
            items: uploads.iter().map(|u| AdminUpload::of(u, now)).collect(),
            next_cursor,
            total: None,
        },
        counts,
        attention,
    }))
}

/// A dead letter as the console lists it.
#[derive(Serialize)]
pub struct AdminDeadLetter {
    queue: &'static str,
    message_id: String,
    sent_at: Option<DateTime<Utc>>,
    receive_count: Option<u32>,
    upload_id: Option<String>,
    vendor_id: Option<String>,
    /// The S3 key of an S3 event (the csv-parser's dead letters).
    key: Option<String>,
    /// What the message is, in one line.
    summary: String,
    redrivable: bool,
    body: String,
}

/// The first string value of `name` anywhere in `value`.
fn find_string(value: &Value, name: &str) -> Option<String> {
    match value {
        Value::Object(map) => map
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| map.values().find_map(|v| find_string(v, name))),
        Value::Array(items) => items.iter().find_map(|v| find_string(v, name)),
        _ => None,
    }
}

fn summarise(queue: &crate::console::RedrivableQueue, letter: DeadLetter) -> AdminDeadLetter {
    let body: Value = serde_json::from_str(&letter.body).unwrap_or(Value::Null);
    let upload_id = find_string(&body, "upload_id");
    let vendor_id = find_string(&body, "vendor_id");
    let key = body
        .pointer("/Records/0/s3/object/key")
        .and_then(Value::as_str)
        .map(|k| {
            url::form_urlencoded::parse(format!("k={k}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_else(|| k.to_string())
        });
    let kind = body
        .get("type")
        .or_else(|| body.get("kind"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let summary = match (&kind, &upload_id, &key) {
        (_, _, Some(key)) => format!("S3 event for {key}"),
        (Some(kind), Some(id), _) => format!("{kind} of {id}"),
        (None, Some(id), _) => format!("message about {id}"),
        _ => letter.body.chars().take(120).collect(),
    };
    AdminDeadLetter {
        queue: queue.name,
        message_id: letter.message_id,
        sent_at: letter
            .sent_timestamp
            .and_then(|ms| DateTime::from_timestamp_millis(ms as i64)),
        receive_count: letter.receive_count,
        upload_id,
        vendor_id,
        key,
        summary,
        redrivable: queue.redrivable,
        body: letter.body,
    }
}

async fn all_dead_letters(console: &Console) -> ApiResult<Vec<AdminDeadLetter>> {
    let mut out = Vec::new();
    for queue in &console.queues {
        let letters = dead_letters::list(&console.sqs, &queue.url)
            .await
            .map_err(|e| ApiError::Unavailable(e.to_string()))?;
        out.extend(letters.into_iter().map(|l| summarise(queue, l)));
    }
    Ok(out)
}

#[derive(Serialize)]
pub struct AdminUploadDetail {
    #[serde(flatten)]
    detail: UploadDetail,
    vendor_id: Option<VendorId>,
    s3_key: String,
    s3_version_id: String,
    rerun_of: Option<UploadId>,
    /// Uploads that re-ran this one, oldest first.
    reruns: Vec<String>,
    attention: Option<String>,
    dead_letters: Vec<AdminDeadLetter>,
}

/// `GET /api/admin/uploads/{upload_id}`
pub async fn upload_detail(
    _operator: OperatorSession,
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<AdminUploadDetail>> {
    let id = upload_id(&id)?;
    let upload = find_upload(&state, &id).await?;
    let pool = state.data()?.database.pool().await?;
    let detail = describe(pool, &upload).await?;
    let reruns = db::reruns_of(pool, &upload.upload_id).await?;
    let dead_letters = all_dead_letters(&state.data()?.console)
        .await?
        .into_iter()
        .filter(|l| {
            l.upload_id.as_deref() == Some(upload.upload_id.as_str())
                || l.key.as_deref() == Some(upload.s3_key.as_str())
        })
        .collect();
    Ok(Json(AdminUploadDetail {
        detail,
        vendor_id: upload.vendor_id.clone(),
        s3_key: upload.s3_key.clone(),
        s3_version_id: upload.s3_version_id.clone(),
        rerun_of: upload.rerun_of.clone(),
        reruns,
        attention: attention(&upload, Utc::now()),
        dead_letters,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    /// Comma-separated levels (`ERROR,WARN`); all when absent.
    level: Option<String>,
    /// A substring of the line, case-insensitive.
    q: Option<String>,
    /// `csv-parser`, `product-validator` or `error-processor`.
    function: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

#[derive(Serialize)]
pub struct LogPage {
    items: Vec<LogLine>,
    /// The next page, while there is one.
    next_cursor: Option<String>,
    /// Where the lines returned end: pass it back to tail the log.
    end_cursor: String,
    /// Lines matching the filters so far.
    total: usize,
    /// Whether the upload is still being processed (more lines may come).
    running: bool,
}

const LEVELS: [&str; 6] = ["ERROR", "WARN", "INFO", "DEBUG", "TRACE", "METRIC"];

/// `GET /api/admin/uploads/{upload_id}/logs`
pub async fn upload_logs(
    _operator: OperatorSession,
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Query(query): Query<LogQuery>,
) -> ApiResult<Json<LogPage>> {
    let id = upload_id(&id)?;
    let levels: Vec<String> = query
        .level
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(|l| l.trim().to_uppercase())
        .filter(|l| !l.is_empty())
        .collect();
    if let Some(bad) = levels.iter().find(|l| !LEVELS.contains(&l.as_str())) {
        return Err(ApiError::bad_input(
            "level",
            format!("'{bad}' is not a level ({}).", LEVELS.join(", ")),
        ));
    }
    if let Some(function) = query.function.as_deref().filter(|f| !f.is_empty())
        && !crate::observe::PIPELINE_FUNCTIONS.contains(&function)
    {
        return Err(ApiError::bad_input(
            "function",
            format!(
                "'{function}' is not a pipeline function ({}).",
                crate::observe::PIPELINE_FUNCTIONS.join(", ")
            ),
        ));
    }
    let text = query
        .q
        .filter(|q| !q.is_empty())
        .map(|q| input::text("q", &q, 200).map(|q| q.to_lowercase()))
        .transpose()?;
    let limit = input::limit(query.limit, 200, 1000)? as usize;
    let start: usize = decode_cursor::<usize>(query.cursor.as_deref())?.unwrap_or(0);
    let upload = find_upload(&state, &id).await?;
    let from = upload.upload_timestamp - TimeDelta::minutes(1);
    let until = (upload
        .notified_at
        .or(upload.completed_at)
        .unwrap_or_else(Utc::now)
        + TimeDelta::minutes(5))
    .min(Utc::now());
    let lines: Vec<LogLine> = state
        .data()?
        .console
        .logs
        .upload_lines(&id, from, until)
        .await?
        .into_iter()
        .filter(|l| levels.is_empty() || levels.contains(&l.level))
        .filter(|l| {
            query
                .function
                .as_deref()
                .is_none_or(|f| f.is_empty() || l.function == f)
        })
        .filter(|l| {
            text.as_deref().is_none_or(|t| {
                l.message.to_lowercase().contains(t)
                    || l.fields.to_string().to_lowercase().contains(t)
            })
        })
        .collect();
    let total = lines.len();
    let items: Vec<LogLine> = lines.into_iter().skip(start).take(limit).collect();
    let end = (start + items.len()).min(total);
    Ok(Json(LogPage {
        next_cursor: (end < total).then(|| encode_cursor(&end)),
        end_cursor: encode_cursor(&end),
        total,
        running: !upload.is_finished(),
        items,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorQuery {
    /// `15m`, `1h` (default), `6h`, `24h` or `7d`.
    window: Option<String>,
}

#[derive(Serialize)]
pub struct QueueDepth {
    queue: &'static str,
    depth: u64,
}

#[derive(Serialize)]
pub struct Monitor {
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    step_s: i64,
    functions: Vec<FunctionMetrics>,
    dead_letters: Vec<QueueDepth>,
}

/// `GET /api/admin/monitor`
pub async fn monitor(
    _operator: OperatorSession,
    State(state): State<Arc<AppState>>,
    Query(query): Query<MonitorQuery>,
) -> ApiResult<Json<Monitor>> {
    let (span, step_s) = match query.window.as_deref().unwrap_or("1h") {
        "15m" => (TimeDelta::minutes(15), 60),
        "1h" => (TimeDelta::hours(1), 300),
        "6h" => (TimeDelta::hours(6), 1800),
        "24h" => (TimeDelta::hours(24), 3600),
        "7d" => (TimeDelta::days(7), 21_600),
        other => {
            return Err(ApiError::bad_input(
                "window",
                format!("window must be 15m, 1h, 6h, 24h or 7d, got '{other}'."),
            ));
        }
    };
    // Buckets aligned to the step, the last one holding now.
    let now = Utc::now().timestamp();
    let until = DateTime::from_timestamp(now - now % step_s + step_s, 0).unwrap_or_default();
    let window = Window {
        from: until - span,
        until,
        step_s,
    };
    let functions = state.data()?.console.metrics.functions(window).await?;
    let mut depths = Vec::new();
    for queue in &state.data()?.console.queues {
        let depth = dead_letters::depth(&state.data()?.console.sqs, &queue.url)
            .await
            .map_err(|e| ApiError::Unavailable(e.to_string()))?;
        depths.push(QueueDepth {
            queue: queue.name,
            depth,
        });
    }
    Ok(Json(Monitor {
        from: window.from,
        until: window.until,
        step_s,
        functions,
        dead_letters: depths,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadLetterQuery {
    queue: Option<String>,
}

#[derive(Serialize)]
pub struct DeadLetterList {
    items: Vec<AdminDeadLetter>,
    queues: Vec<crate::console::RedrivableQueue>,
}

/// `GET /api/admin/dead-letters`
pub async fn list_dead_letters(
    _operator: OperatorSession,
    State(state): State<Arc<AppState>>,
    Query(query): Query<DeadLetterQuery>,
) -> ApiResult<Json<DeadLetterList>> {
    let queue = query.queue.filter(|q| !q.is_empty());
    if let Some(name) = &queue {
        state.data()?.console.queue(name)?;
    }
    let items = all_dead_letters(&state.data()?.console)
        .await?
        .into_iter()
        .filter(|l| queue.as_deref().is_none_or(|q| l.queue == q))
        .collect();
    Ok(Json(DeadLetterList {
        items,
        queues: state.data()?.console.queues.clone(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedriveRequest {
    /// Only this message; every message of the queue when absent.
    message_id: Option<String>,
}

#[derive(Serialize)]
pub struct Redriven {
    queue: &'static str,
    moved: usize,
}

/// `POST /api/admin/dead-letters/{queue}/redrive`
pub async fn redrive(
    operator: OperatorSession,
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    Query(request): Query<RedriveRequest>,
) -> ApiResult<Json<Redriven>> {
    let message_id = request
        .message_id
        .filter(|m| !m.is_empty())
        .map(|m| input::text("message_id", &m, 100))
        .transpose()?;
    let queue = state.data()?.console.queue(&name)?;
    let Some(to) = &queue.redrive_to else {
        return Err(ApiError::Conflict(format!(
            "Dead letters of '{}' cannot be redriven: {}",
            queue.name,
            if queue.name == "stream" {
                "they describe staging records the product-validator gave up on; re-run the upload instead."
            } else {
                "they are the csv-parser's failed invocation events; re-run the upload instead."
            }
        )));
    };
    let moved = dead_letters::redrive(
        &state.data()?.console.sqs,
        &queue.url,
        to,
        message_id.as_deref(),
    )
    .await
    .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    if message_id.is_some() && moved == 0 {
        return Err(ApiError::NotFound(
            "There is no such message on this queue (already redriven?).".into(),
        ));
    }
    tracing::info!(
        upload_id = "-",
        operator = %operator.operator,
        operator_sub = %operator.subject,
        action = "redrive",
        queue = queue.name,
        message_id = message_id.as_deref().unwrap_or("all"),
        moved,
        "admin action"
    );
    Ok(Json(Redriven {
        queue: queue.name,
        moved,
    }))
}

#[derive(Serialize)]
pub struct Rerun {
    rerun_of: UploadId,
    key: String,
    /// The new object version: the new upload's, once the csv-parser has it.
    version_id: Option<String>,
}

/// `POST /api/admin/uploads/{upload_id}/rerun`
pub async fn rerun(
    operator: OperatorSession,
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<Rerun>)> {
    let id = upload_id(&id)?;
    let upload = find_upload(&state, &id).await?;
    if upload.status == UploadStatus::Processing && attention(&upload, Utc::now()).is_none() {
        return Err(ApiError::Conflict(
            "This upload is still being processed; re-run it once it has finished (or is stuck)."
                .into(),
        ));
    }
    if !upload.s3_key.starts_with("uploads/") {
        return Err(ApiError::Conflict(format!(
            "Only live uploads (uploads/...) are re-run; this one is {}.",
            upload.s3_key
        )));
    }
    let version_id = state
        .data()?
        .store
        .copy_for_rerun(
            &upload.s3_key,
            &upload.s3_version_id,
            upload.upload_id.as_str(),
        )
        .await?;
    tracing::info!(
        upload_id = %upload.upload_id,
        vendor_id = upload.vendor_id.as_ref().map_or("-", VendorId::as_str),
        operator = %operator.operator,
        operator_sub = %operator.subject,
        action = "rerun",
        key = %upload.s3_key,
        new_version = version_id.as_deref().unwrap_or("-"),
        "admin action"
    );
    Ok((
        StatusCode::ACCEPTED,
        Json(Rerun {
            rerun_of: upload.upload_id,
            key: upload.s3_key,
            version_id,
        }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryRequest {
    sql: String,
}

#[derive(Serialize)]
pub struct QueryColumn {
    name: String,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Serialize)]
pub struct QueryAnswer {
    columns: Vec<QueryColumn>,
    /// Every value as PostgreSQL's text form; null for NULL.
    rows: Vec<Vec<Option<String>>>,
    /// More rows matched than `row_limit`.
    truncated: bool,
    row_limit: usize,
    elapsed_ms: u64,
}

/// `POST /api/admin/query`
pub async fn query(
    operator: OperatorSession,
    State(state): State<Arc<AppState>>,
    Body(request): Body<QueryRequest>,
) -> ApiResult<Json<QueryAnswer>> {
    let (result, elapsed_ms) = run_query(&operator, &state, &request.sql, "query").await?;
    Ok(Json(QueryAnswer {
        columns: result
            .columns
            .into_iter()
            .map(|(name, kind)| QueryColumn { name, kind })
            .collect(),
        rows: result.rows,
        truncated: result.truncated,
        row_limit: QUERY_ROW_LIMIT,
        elapsed_ms,
    }))
}

/// `POST /api/admin/query/csv`: the same query, answered as a CSV download
/// written by the domain crate, every cell neutralised for a spreadsheet
/// (the values come from vendors' files). `X-Truncated: true` when more
/// rows matched than the limit.
pub async fn query_csv(
    operator: OperatorSession,
    State(state): State<Arc<AppState>>,
    Body(request): Body<QueryRequest>,
) -> ApiResult<Response> {
    let (result, _) = run_query(&operator, &state, &request.sql, "query_csv").await?;
    let header: Vec<String> = result.columns.into_iter().map(|(name, _)| name).collect();
    let csv = onboarding_core::write_table(&header, &result.rows);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"query.csv\"",
            ),
            (
                HeaderName::from_static("x-truncated"),
                if result.truncated { "true" } else { "false" },
            ),
        ],
        csv,
    )
        .into_response())
}

/// Runs one console query as the read-only login, logging it as an admin
/// action; a refusal is a 400 on `sql` that says why.
async fn run_query(
    operator: &OperatorSession,
    state: &AppState,
    sql: &str,
    action: &str,
) -> ApiResult<(db::QueryResult, u64)> {
    if sql.len() > 8_000 {
        return Err(ApiError::bad_input(
            "sql",
            "The query is longer than 8,000 characters.",
        ));
    }
    let started = Instant::now();
    let pool = state.data()?.console.query_pool().await?;
    let result = db::run_query(pool, sql, QUERY_ROW_LIMIT, QUERY_TIMEOUT).await;
    let elapsed_ms = started.elapsed().as_millis() as u64;
    let outcome = match &result {
        Ok(r) => format!("{} rows", r.rows.len()),
        Err(e) => format!("refused: {e}"),
    };
    tracing::info!(
        upload_id = "-",
        operator = %operator.operator,
        operator_sub = %operator.subject,
        action,
        sql = %sql,
        outcome = %outcome,
        elapsed_ms,
        "admin action"
    );
    let result = result.map_err(|e| match e {
        QueryError::Refused(refused) => ApiError::bad_input("sql", refused.to_string()),
        QueryError::Database(db) => ApiError::from(db),
    })?;
    Ok((result, elapsed_ms))
}

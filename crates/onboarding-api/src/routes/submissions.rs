//! Products typed in the browser (issue 15): the live validation behind the
//! single-product form and the failed-rows grid, the form's submission, an
//! upload's failed rows, and their resubmission once fixed.
//!
//! The rules are the pipeline's own (`onboarding_core::rules`, with the
//! catalog lookups of `PgCatalog`), so the browser keeps no copy of them.
//! A submission is written as a product file under the vendor's
//! `uploads/` folder and runs the whole pipeline like any upload, with its
//! `upload_history` row; `portal_submissions` records, by the object's key,
//! whether the vendor asked for the email and which rows a fix fixes.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use onboarding_core::{
    CheckedRow, Column, FileChecker, Header, RowError, SourceRow, SubmissionKind, UploadId,
    UploadMode, VendorId, check_against_catalog_in, write_product_file,
};
use onboarding_db::PgCatalog;
use onboarding_db::portal;
use onboarding_db::submissions::{self, NewSubmission};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::auth::VendorSession;
use crate::input::{self, Body, Path, Query};
use crate::problem::{ApiError, ApiResult};
use crate::{AppState, DataState};

/// The most rows one fix may resubmit (its body may be up to
/// [`crate::MAX_FIX_BODY_BYTES`]); the grid shows at most as many.
pub const MAX_FIX_ROWS: usize = 500;

/// A product as the browser sends it: the file's columns as keys, each a
/// string (or null, or left out: blank), alongside the body's `other`
/// fields. Values are trimmed, as the file readers trim every cell. A
/// column given another JSON type, or a key that is neither, is a 400
/// naming it (`at` prefixes the name, for a row of a list).
fn product_values(object: &Map<String, Value>, other: &[&str], at: &str) -> ApiResult<Vec<String>> {
    for (name, value) in object {
        if Column::ALL.iter().any(|c| c.name() == name) {
            if !matches!(value, Value::String(_) | Value::Null) {
                return Err(ApiError::bad_input(
                    format!("{at}{name}"),
                    format!("{name} must be text (a JSON string), as in a CSV cell."),
                ));
            }
        } else if !other.contains(&name.as_str()) {
            return Err(ApiError::bad_input(
                format!("{at}{name}"),
                format!("'{name}' is not a product column or a field of this request."),
            ));
        }
    }
    Ok(Column::ALL
        .iter()
        .map(|c| {
            object
                .get(c.name())
                .and_then(Value::as_str)
                .unwrap_or_default()
                .trim()
                .to_string()
        })
        .collect())
}

/// The body's `mode`: `create` when left out.
fn mode_of(object: &Map<String, Value>) -> ApiResult<UploadMode> {
    match object.get("mode") {
        None | Some(Value::Null) => Ok(UploadMode::Create),
        Some(Value::String(mode)) => input::upload_mode(Some(mode)),
        Some(_) => input::upload_mode(Some("?")),
    }
}

/// The body's `email_result`: `false` (no email) when left out.
fn email_of(object: &Map<String, Value>) -> ApiResult<bool> {
    match object.get("email_result") {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(wanted)) => Ok(*wanted),
        Some(_) => Err(ApiError::bad_input(
            "email_result",
            "email_result must be true or false.",
        )),
    }
}

/// Checks rows as one file of `mode`, in order: every rule the pipeline
/// applies, the in-file duplicates between them and the catalog's
/// duplicates included.
async fn check_rows(
    pool: &sqlx::PgPool,
    vendor_id: &VendorId,
    mode: UploadMode,
    rows: &[Vec<String>],
) -> ApiResult<Vec<CheckedRow>> {
    let catalog = PgCatalog::new(pool.clone());
    let categories = catalog.categories().await?;
    let header = Header::parse(&Column::ALL.map(Column::name))
        .map_err(|e| ApiError::internal(format!("{e:?}")))?;
    let mut checker = FileChecker::new(&header, &categories);
    let mut checked: Vec<CheckedRow> = rows
        .iter()
        .zip(1..)
        .map(|(fields, row_number)| {
            checker.check(&SourceRow {
                row_number,
                fields: fields.clone(),
                problems: Vec::new(),
            })
        })
        .collect();
    check_against_catalog_in(mode, &catalog, vendor_id, &mut checked).await?;
    Ok(checked)
}

/// One rule a value breaks, for the browser to show beside its field.
#[derive(Serialize)]
pub struct FieldError {
    /// The column; `null` for a problem with the whole row.
    field: Option<String>,
    error_type: String,
    message: String,
}

impl From<&RowError> for FieldError {
    fn from(error: &RowError) -> FieldError {
        FieldError {
            field: error.field.clone(),
            error_type: error.error_type.to_string(),
            message: error.message.clone(),
        }
    }
}

#[derive(Serialize)]
pub struct Verdict {
    valid: bool,
    errors: Vec<FieldError>,
}

/// `POST /api/products/validate`: the pipeline's verdict on one product, as
/// if it were a one-row upload of `mode` now.
pub async fn validate_product(
    State(state): State<Arc<AppState>>,
    session: VendorSession,
    Body(body): Body<Map<String, Value>>,
) -> ApiResult<Json<Verdict>> {
    let mode = mode_of(&body)?;
    let values = product_values(&body, &["mode"], "")?;
    let pool = state.data()?.database.pool().await?;
    let checked = check_rows(pool, &session.vendor_id, mode, &[values]).await?;
    let errors: Vec<FieldError> = checked
        .iter()
        .flat_map(CheckedRow::errors)
        .map(FieldError::from)
        .collect();
    Ok(Json(Verdict {
        valid: errors.is_empty(),
        errors,
    }))
}

/// A row that still breaks a rule is not submitted: a 400 naming its first
/// field at fault (`at(index)` prefixes it), with every message.
fn refuse_invalid(checked: &[CheckedRow], at: impl Fn(usize) -> String) -> ApiResult<()> {
    for (index, row) in checked.iter().enumerate() {
        if let Some(first) = row.errors().first() {
            let messages: Vec<&str> = row.errors().iter().map(|e| e.message.as_str()).collect();
            return Err(ApiError::bad_input(
                format!("{}{}", at(index), first.field.as_deref().unwrap_or("row")),
                format!("Not submitted, fix it first: {}", messages.join(" ")),
            ));
        }
    }
    Ok(())
}

/// What the browser gets for a submission: where its file went. The
/// pipeline names the upload when it picks the file up; its `file_name` is
/// this one.
#[derive(Serialize)]
pub struct Receipt {
    key: String,
    file_name: String,
    mode: UploadMode,
    email_requested: bool,
    rows: usize,
    submitted_at: DateTime<Utc>,
}

/// Records the submission, then writes its file (so the pipeline never
/// sees the file without the record).
async fn submit(
    data: &DataState,
    pool: &sqlx::PgPool,
    vendor_id: &VendorId,
    submission: (SubmissionKind, Option<(&UploadId, &[i32])>),
    mode: UploadMode,
    email_requested: bool,
    rows: &[Vec<String>],
) -> ApiResult<Receipt> {
    let (kind, fixes) = submission;
    let submitted_at = Utc::now();
    let stamp = submitted_at.format("%Y%m%d-%H%M%S");
    let nonce: u32 = rand::random();
    let file_name = match fixes {
        Some((original, _)) => format!("fixes-{original}-{stamp}-{nonce:08x}.csv"),
        None => format!("product-form-{stamp}-{nonce:08x}.csv"),
    };
    let key = onboarding_core::UploadKey::live_key(vendor_id, &file_name);
    submissions::record_submission(
        pool,
        &NewSubmission {
            bucket: data.store.bucket(),
            key: &key,
            vendor_id,
            kind,
            email_requested,
            fixes,
        },
    )
    .await?;
    let written = data
        .store
        .put_submission(vendor_id, &file_name, mode, write_product_file(rows))
        .await?;
    tracing::info!(upload_id = "-", key = %written, kind = kind.as_str(), rows = rows.len(), email_requested, "portal submission written");
    Ok(Receipt {
        key: written,
        file_name,
        mode,
        email_requested,
        rows: rows.len(),
        submitted_at,
    })
}

/// `POST /api/products`: one product from the form, as a one-row upload.
pub async fn submit_product(
    State(state): State<Arc<AppState>>,
    session: VendorSession,
    Body(body): Body<Map<String, Value>>,
) -> ApiResult<(StatusCode, Json<Receipt>)> {
    let mode = mode_of(&body)?;
    let email_requested = email_of(&body)?;
    let values = product_values(&body, &["mode", "email_result"], "")?;
    let data = state.data()?;
    let pool = data.database.pool().await?;
    let vendor = super::uploads::active_vendor(pool, &session).await?;
    let rows = [values];
    let checked = check_rows(pool, &vendor, mode, &rows).await?;
    refuse_invalid(&checked, |_| String::new())?;
    let receipt = submit(
        data,
        pool,
        &vendor,
        (SubmissionKind::Form, None),
        mode,
        email_requested,
        &rows,
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(receipt)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailedRowsQuery {
    limit: Option<i64>,
}

/// A later fix of a failed row.
#[derive(Serialize)]
pub struct FixOfRow {
    /// The fixing upload; `null` until the pipeline has picked it up.
    upload_id: Option<UploadId>,
    /// The fixed row's outcome there: `valid`, `invalid`, or `null` while
    /// it is being validated.
    outcome: Option<String>,
    submitted_at: DateTime<Utc>,
}

#[derive(Serialize)]
pub struct FailedRowItem {
    row_number: i32,
    /// Every product column, as the vendor wrote it (blank when the file
    /// did not have the column).
    values: BTreeMap<&'static str, String>,
    errors: Vec<FieldError>,
    fixed_by: Option<FixOfRow>,
}

#[derive(Serialize)]
pub struct FailedRows {
    upload_id: UploadId,
    mode: UploadMode,
    columns: Vec<&'static str>,
    items: Vec<FailedRowItem>,
    /// Every failed row of the upload, whether listed or not.
    total: i64,
}

/// `GET /api/uploads/{id}/failed-rows`: the failed rows with every value
/// and the errors, and which later fix resubmitted each.
pub async fn failed_rows(
    State(state): State<Arc<AppState>>,
    session: VendorSession,
    Path(upload_id): Path<UploadId>,
    Query(query): Query<FailedRowsQuery>,
) -> ApiResult<Json<FailedRows>> {
    let limit = input::limit(query.limit, 100, MAX_FIX_ROWS as i64)?;
    let pool = state.data()?.database.pool().await?;
    let upload = portal::vendor_upload(pool, &session.vendor_id, &upload_id)
        .await?
        .ok_or_else(super::uploads::upload_not_found)?;
    let (rows, total) = submissions::failed_rows(pool, &session.vendor_id, &upload_id, limit)
        .await?
        .ok_or_else(super::uploads::upload_not_found)?;
    let mut fixes: BTreeMap<i32, FixOfRow> = submissions::row_fixes(pool, &upload_id)
        .await?
        .into_iter()
        .map(|fix| {
            (
                fix.row_number,
                FixOfRow {
                    upload_id: fix.upload_id,
                    outcome: fix.outcome,
                    submitted_at: fix.submitted_at,
                },
            )
        })
        .collect();
    // Cells are stored in the file's column order; the file's header says
    // which column each is (its first mention wins, as the readers do).
    let positions: Vec<(usize, Column)> = {
        let mut seen = BTreeSet::new();
        upload
            .source_columns
            .iter()
            .enumerate()
            .filter_map(|(i, name)| Column::from_header(name).map(|c| (i, c)))
            .filter(|(_, c)| seen.insert(c.name()))
            .collect()
    };
    let items = rows
        .into_iter()
        .map(|row| {
            let mut values: BTreeMap<&'static str, String> = Column::ALL
                .iter()
                .map(|c| (c.name(), String::new()))
                .collect();
            for (i, column) in &positions {
                if let Some(cell) = row.source_fields.get(*i) {
                    values.insert(column.name(), cell.trim().to_string());
                }
            }
            FailedRowItem {
                row_number: row.row_number,
                values,
                errors: row.errors.iter().map(FieldError::from).collect(),
                fixed_by: fixes.remove(&row.row_number),
            }
        })
        .collect();
    Ok(Json(FailedRows {
        upload_id,
        mode: upload.mode,
        columns: Column::ALL.iter().map(|c| c.name()).collect(),
        items,
        total,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixRequest {
    /// Each a failed row's `row_number` and its product columns, fixed.
    rows: Vec<Map<String, Value>>,
    email_result: Option<bool>,
}

/// `POST /api/uploads/{id}/fixes`: a new upload of exactly these rows, in
/// the original's mode, linked to it row by row.
pub async fn submit_fixes(
    State(state): State<Arc<AppState>>,
    session: VendorSession,
    Path(upload_id): Path<UploadId>,
    Body(request): Body<FixRequest>,
) -> ApiResult<(StatusCode, Json<Receipt>)> {
    if request.rows.is_empty() || request.rows.len() > MAX_FIX_ROWS {
        return Err(ApiError::bad_input(
            "rows",
            format!("Send between 1 and {MAX_FIX_ROWS} fixed rows."),
        ));
    }
    let mut numbered = Vec::with_capacity(request.rows.len());
    for (index, row) in request.rows.iter().enumerate() {
        let at = format!("rows[{index}].");
        let row_number = row
            .get("row_number")
            .and_then(Value::as_i64)
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(|| {
                ApiError::bad_input(
                    format!("{at}row_number"),
                    "row_number must be the number of a failed row of this upload.",
                )
            })?;
        numbered.push((
            row_number,
            index,
            product_values(row, &["row_number"], &at)?,
        ));
    }
    let data = state.data()?;
    let pool = data.database.pool().await?;
    let upload = portal::vendor_upload(pool, &session.vendor_id, &upload_id)
        .await?
        .ok_or_else(super::uploads::upload_not_found)?;
    let vendor = super::uploads::active_vendor(pool, &session).await?;
    let (failed, _) = submissions::failed_rows(pool, &vendor, &upload_id, i64::MAX)
        .await?
        .ok_or_else(super::uploads::upload_not_found)?;
    let failed: BTreeSet<i32> = failed.iter().map(|row| row.row_number).collect();
    let mut seen = BTreeSet::new();
    for (row_number, index, _) in &numbered {
        if !failed.contains(row_number) || !seen.insert(*row_number) {
            return Err(ApiError::bad_input(
                format!("rows[{index}].row_number"),
                format!("Row {row_number} is not a failed row of this upload, or is sent twice."),
            ));
        }
    }
    // In the original's order, so the fix's row N is its N-th fixed row.
    numbered.sort_by_key(|(row_number, _, _)| *row_number);
    let sent_as: Vec<usize> = numbered.iter().map(|(_, index, _)| *index).collect();
    let (row_numbers, rows): (Vec<i32>, Vec<Vec<String>>) = numbered
        .into_iter()
        .map(|(row_number, _, values)| (row_number, values))
        .unzip();
    let checked = check_rows(pool, &vendor, upload.mode, &rows).await?;
    refuse_invalid(&checked, |index| format!("rows[{}].", sent_as[index]))?;
    let receipt = submit(
        data,
        pool,
        &vendor,
        (SubmissionKind::Fix, Some((&upload_id, &row_numbers))),
        upload.mode,
        request.email_result.unwrap_or(false),
        &rows,
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(receipt)))
}

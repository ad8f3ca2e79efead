//! Portal submissions (migration `*_portal_submissions.sql`): a product
//! typed into the portal's form, or failed rows fixed in the browser,
//! written by the API as a one-file upload. The table holds what the file
//! cannot say, by the object's key: whether the vendor asked for an email,
//! and which upload's rows a fix fixes. Every read here is filtered by the
//! vendor, as the rest of the portal's reads are.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use onboarding_core::{
    ErrorType, NotificationOutcome, RowError, RowOutcome, SubmissionKind, UploadId, VendorId,
};

use crate::{DbError, column};

/// A submission, recorded before its object is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSubmission<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
    pub vendor_id: &'a VendorId,
    pub kind: SubmissionKind,
    pub email_requested: bool,
    /// A fix: the upload, and its row numbers in the fix file's row order.
    pub fixes: Option<(&'a UploadId, &'a [i32])>,
}

pub async fn record_submission(pool: &PgPool, new: &NewSubmission<'_>) -> Result<(), DbError> {
    sqlx::query!(
        "INSERT INTO portal_submissions
                (s3_bucket, s3_key, vendor_id, kind, email_requested, fixes_upload_id, fixed_rows)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        new.bucket,
        new.key,
        new.vendor_id.as_str(),
        new.kind.as_str(),
        new.email_requested,
        new.fixes.map(|(upload, _)| upload.as_str()),
        new.fixes.map(|(_, rows)| rows) as Option<&[i32]>,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Whether the vendor wants this upload's email: `false` only for a portal
/// submission made without "Email me the result". Every other upload (files
/// dropped or posted, the CLI's) is emailed, as the requirements say.
pub async fn email_requested(pool: &PgPool, upload_id: &UploadId) -> Result<bool, DbError> {
    let requested = sqlx::query_scalar!(
        r#"SELECT s.email_requested
             FROM upload_history u
             JOIN portal_submissions s USING (s3_bucket, s3_key)
            WHERE u.upload_id = $1"#,
        upload_id.as_str()
    )
    .fetch_optional(pool)
    .await?;
    Ok(requested.unwrap_or(true))
}

/// What the portal shows about how an upload came and how its email ended.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UploadOrigin {
    /// How a portal submission came; `None` for a file.
    pub submission: Option<SubmissionKind>,
    pub email_requested: bool,
    /// The upload a fix fixes.
    pub fixes_upload_id: Option<UploadId>,
    /// Once the email step has run.
    pub notification: Option<NotificationOutcome>,
}

pub async fn upload_origin(pool: &PgPool, upload_id: &UploadId) -> Result<UploadOrigin, DbError> {
    let row = sqlx::query!(
        r#"SELECT s.kind AS "kind?", s.email_requested AS "email_requested?",
                  s.fixes_upload_id, u.notification
             FROM upload_history u
             LEFT JOIN portal_submissions s USING (s3_bucket, s3_key)
            WHERE u.upload_id = $1"#,
        upload_id.as_str()
    )
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else {
        return Ok(UploadOrigin::default());
    };
    Ok(UploadOrigin {
        submission: row.kind.map(|k| column("kind", &k)).transpose()?,
        email_requested: row.email_requested.unwrap_or(true),
        fixes_upload_id: row
            .fixes_upload_id
            .map(|id| column("fixes_upload_id", &id))
            .transpose()?,
        notification: row
            .notification
            .map(|n| column("notification", &n))
            .transpose()?,
    })
}

/// One failed row of an upload, as the vendor wrote it, with its errors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedRow {
    pub row_number: i32,
    /// The row's cells, in the order of the upload's `source_columns`.
    pub source_fields: Vec<String>,
    pub errors: Vec<RowError>,
}

/// The failed rows of `vendor_id`'s upload, in row order, at most `limit`;
/// `None` when the upload is not the vendor's. Rows whose cells were not
/// kept (none are, for a whole-file failure) are not listed: there is
/// nothing to fix in place.
pub async fn failed_rows(
    pool: &PgPool,
    vendor_id: &VendorId,
    upload_id: &UploadId,
    limit: i64,
) -> Result<Option<(Vec<FailedRow>, i64)>, DbError> {
    let owned = sqlx::query_scalar!(
        r#"SELECT count(r.row_number) AS "failed!"
             FROM upload_history u
             LEFT JOIN row_outcomes r
               ON r.upload_id = u.upload_id AND r.outcome = $3
              AND r.source_fields IS NOT NULL
            WHERE u.upload_id = $1 AND u.vendor_id = $2
            GROUP BY u.upload_id"#,
        upload_id.as_str(),
        vendor_id.as_str(),
        RowOutcome::INVALID
    )
    .fetch_optional(pool)
    .await?;
    let Some(total) = owned else {
        return Ok(None);
    };
    let rows = sqlx::query!(
        r#"SELECT r.row_number, r.source_fields AS "source_fields!",
                  array_agg(e.error_type ORDER BY e.error_index) AS "types!",
                  array_agg(COALESCE(e.field, '') ORDER BY e.error_index) AS "fields!",
                  array_agg(e.error_message ORDER BY e.error_index) AS "messages!"
             FROM row_outcomes r
             JOIN validation_errors e USING (upload_id, row_number)
            WHERE r.upload_id = $1 AND r.outcome = $3 AND r.source_fields IS NOT NULL
            GROUP BY r.row_number, r.source_fields
            ORDER BY r.row_number
            LIMIT $2"#,
        upload_id.as_str(),
        limit,
        RowOutcome::INVALID
    )
    .fetch_all(pool)
    .await?;
    let rows = rows
        .into_iter()
        .map(|row| {
            let errors = row
                .types
                .iter()
                .zip(&row.fields)
                .zip(row.messages)
                .map(|((kind, field), message)| {
                    Ok(RowError {
                        error_type: column::<ErrorType>("error_type", kind)?,
                        field: (!field.is_empty()).then(|| field.clone()),
                        message,
                    })
                })
                .collect::<Result<Vec<_>, DbError>>()?;
            Ok(FailedRow {
                row_number: row.row_number,
                source_fields: row.source_fields,
                errors,
            })
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    Ok(Some((rows, total)))
}

/// A failed row that a later fix resubmitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowFix {
    pub row_number: i32,
    /// The fixing upload; `None` until the pipeline has picked its file up.
    pub upload_id: Option<UploadId>,
    /// The fixed row's outcome in that upload (`valid` or `invalid`), once
    /// decided.
    pub outcome: Option<String>,
    pub submitted_at: DateTime<Utc>,
}

/// Every fix of `upload_id`'s rows, the latest per row. The fixing upload
/// is the one made from the fix's object (the latest, if an operator
/// re-ran it); its row N fixed the original's `fixed_rows[N]`.
pub async fn row_fixes(pool: &PgPool, upload_id: &UploadId) -> Result<Vec<RowFix>, DbError> {
    let rows = sqlx::query!(
        r#"SELECT DISTINCT ON (f.row_number)
                  f.row_number AS "row_number!", u.upload_id AS "upload_id?",
                  o.outcome AS "outcome?", s.submitted_at
             FROM portal_submissions s
            CROSS JOIN LATERAL unnest(s.fixed_rows) WITH ORDINALITY AS f (row_number, position)
             LEFT JOIN LATERAL (
                   SELECT h.upload_id FROM upload_history h
                    WHERE h.s3_bucket = s.s3_bucket AND h.s3_key = s.s3_key
                    ORDER BY h.upload_timestamp DESC LIMIT 1) u ON true
             LEFT JOIN row_outcomes o
               ON o.upload_id = u.upload_id AND o.row_number = f.position
            WHERE s.fixes_upload_id = $1
            ORDER BY f.row_number, s.submitted_at DESC"#,
        upload_id.as_str()
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(RowFix {
                row_number: row.row_number,
                upload_id: row
                    .upload_id
                    .map(|id| column("upload_id", &id))
                    .transpose()?,
                outcome: row.outcome,
                submitted_at: row.submitted_at,
            })
        })
        .collect()
}

//! The upload audit trail (`upload_history`) and the vendors it belongs to.
//!
//! Rows are read into `*Row` structs of plain text, as the database has
//! them, and converted once into the typed structs the rest of the code
//! uses; a value its type refuses is a [`DbError::BadColumn`] naming it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use onboarding_core::{
    CatalogChanges, FileFailure, NotificationOutcome, UploadId, UploadMode, UploadStatus, VendorId,
    VendorStatus,
};
use sqlx::PgPool;

use crate::{DbError, column};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vendor {
    pub vendor_id: VendorId,
    pub vendor_name: String,
    pub email: String,
    pub status: VendorStatus,
    pub subscription_arn: Option<String>,
}

impl Vendor {
    pub fn is_active(&self) -> bool {
        self.status.is_active()
    }
}

/// A `vendors` row as the database has it.
pub(crate) struct VendorRow {
    pub vendor_id: String,
    pub vendor_name: String,
    pub email: String,
    pub status: String,
    pub subscription_arn: Option<String>,
}

impl TryFrom<VendorRow> for Vendor {
    type Error = DbError;

    fn try_from(row: VendorRow) -> Result<Vendor, DbError> {
        Ok(Vendor {
            vendor_id: column("vendors.vendor_id", &row.vendor_id)?,
            vendor_name: row.vendor_name,
            email: row.email,
            status: column("vendors.status", &row.status)?,
            subscription_arn: row.subscription_arn,
        })
    }
}

pub async fn find_vendor(pool: &PgPool, vendor_id: &VendorId) -> Result<Option<Vendor>, DbError> {
    sqlx::query_as!(
        VendorRow,
        "SELECT vendor_id, vendor_name, email, status, subscription_arn FROM vendors WHERE vendor_id = $1",
        vendor_id.as_str()
    )
    .fetch_optional(pool)
    .await?
    .map(Vendor::try_from)
    .transpose()
}

pub async fn list_vendors(pool: &PgPool) -> Result<Vec<Vendor>, DbError> {
    sqlx::query_as!(
        VendorRow,
        "SELECT vendor_id, vendor_name, email, status, subscription_arn FROM vendors ORDER BY vendor_id"
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(Vendor::try_from)
    .collect()
}

pub async fn set_vendor_status(
    pool: &PgPool,
    vendor_id: &VendorId,
    status: VendorStatus,
) -> Result<bool, DbError> {
    let result = sqlx::query!(
        "UPDATE vendors SET status = $2, updated_at = now() WHERE vendor_id = $1",
        vendor_id.as_str(),
        status.as_str()
    )
    .execute(pool)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Changes where the vendor's email goes (`vendors.email`); its login is
/// Cognito's and stays. `false`: there is no such vendor.
pub async fn set_vendor_email(
    pool: &PgPool,
    vendor_id: &VendorId,
    email: &str,
) -> Result<bool, DbError> {
    let result = sqlx::query!(
        "UPDATE vendors SET email = $2, updated_at = now() WHERE vendor_id = $1",
        vendor_id.as_str(),
        email
    )
    .execute(pool)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn set_vendor_subscription(
    pool: &PgPool,
    vendor_id: &VendorId,
    subscription_arn: &str,
) -> Result<(), DbError> {
    sqlx::query!(
        "UPDATE vendors SET subscription_arn = $2, updated_at = now() WHERE vendor_id = $1",
        vendor_id.as_str(),
        subscription_arn
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// One S3 object version, about to be processed.
#[derive(Clone, Debug)]
pub struct NewUpload<'a> {
    pub upload_id: &'a UploadId,
    /// `None` for a key outside the layout, which names no vendor.
    pub vendor_id: Option<&'a VendorId>,
    pub file_name: &'a str,
    pub bucket: &'a str,
    pub key: &'a str,
    pub version_id: &'a str,
    pub received_at: DateTime<Utc>,
}

/// The `upload_history.vendor_id` of an upload whose key names no vendor
/// (the column is `NOT NULL` and has no foreign key, on purpose).
const NO_VENDOR: &str = "";

/// A row of `upload_history`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upload {
    pub upload_id: UploadId,
    /// `None` for a key outside the layout, which names no vendor.
    pub vendor_id: Option<VendorId>,
    pub file_name: String,
    pub s3_bucket: String,
    pub s3_key: String,
    pub s3_version_id: String,
    pub source_columns: Vec<String>,
    pub total_records: Option<i32>,
    pub valid_records: i32,
    pub error_records: i32,
    pub status: UploadStatus,
    pub failure_reason: Option<String>,
    pub failure: Option<serde_json::Value>,
    pub warnings: Vec<String>,
    pub error_file_s3_key: Option<String>,
    pub fix_file_s3_key: Option<String>,
    pub upload_timestamp: DateTime<Utc>,
    pub started_at: DateTime<Utc>,
    pub parsed_at: Option<DateTime<Utc>>,
    pub validated_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub notified_at: Option<DateTime<Utc>>,
    /// The upload an operator re-ran to make this one (the console's re-run).
    pub rerun_of: Option<UploadId>,
    pub mode: UploadMode,
    /// The valid rows by what they did to the catalog.
    pub created_records: i32,
    pub updated_records: i32,
    pub unchanged_records: i32,
}

impl Upload {
    /// Every row has been judged (or the upload failed as a whole).
    pub fn is_settled(&self) -> bool {
        self.status == UploadStatus::Failed
            || self
                .total_records
                .is_some_and(|total| self.valid_records + self.error_records == total)
    }

    /// Whether the pipeline is done with the upload: the vendor was told, or
    /// it failed in a way nobody can be told about (an unknown vendor).
    pub fn is_finished(&self) -> bool {
        if self.notified_at.is_some() {
            return true;
        }
        let untellable = matches!(
            self.file_failure(),
            Some(FileFailure::UnknownVendor { .. } | FileFailure::BadKey { .. })
        );
        self.status == UploadStatus::Failed && untellable
    }

    /// What an upsert did to the catalog, for the email; `None` for a create.
    pub fn catalog_changes(&self) -> Option<CatalogChanges> {
        let count = |n: i32| u32::try_from(n).unwrap_or(0);
        self.mode.is_upsert().then(|| CatalogChanges {
            created: count(self.created_records),
            updated: count(self.updated_records),
            unchanged: count(self.unchanged_records),
        })
    }

    pub fn file_failure(&self) -> Option<FileFailure> {
        self.failure
            .as_ref()
            .and_then(|f| serde_json::from_value(f.clone()).ok())
    }
}

/// An `upload_history` row as the database has it.
pub(crate) struct UploadRow {
    pub upload_id: String,
    pub vendor_id: String,
    pub file_name: String,
    pub s3_bucket: String,
    pub s3_key: String,
    pub s3_version_id: String,
    pub source_columns: Vec<String>,
    pub total_records: Option<i32>,
    pub valid_records: i32,
    pub error_records: i32,
    pub status: String,
    pub failure_reason: Option<String>,
    pub failure: Option<serde_json::Value>,
    pub warnings: Vec<String>,
    pub error_file_s3_key: Option<String>,
    pub fix_file_s3_key: Option<String>,
    pub upload_timestamp: DateTime<Utc>,
    pub started_at: DateTime<Utc>,
    pub parsed_at: Option<DateTime<Utc>>,
    pub validated_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub notified_at: Option<DateTime<Utc>>,
    /// The upload an operator re-ran to make this one (the console's re-run).
    pub rerun_of: Option<String>,
    pub mode: String,
    pub created_records: i32,
    pub updated_records: i32,
    pub unchanged_records: i32,
}

impl TryFrom<UploadRow> for Upload {
    type Error = DbError;

    fn try_from(row: UploadRow) -> Result<Upload, DbError> {
        let vendor_id = match row.vendor_id.as_str() {
            NO_VENDOR => None,
            text => Some(column("upload_history.vendor_id", text)?),
        };
        Ok(Upload {
            upload_id: column("upload_history.upload_id", &row.upload_id)?,
            vendor_id,
            file_name: row.file_name,
            s3_bucket: row.s3_bucket,
            s3_key: row.s3_key,
            s3_version_id: row.s3_version_id,
            source_columns: row.source_columns,
            total_records: row.total_records,
            valid_records: row.valid_records,
            error_records: row.error_records,
            status: column("upload_history.status", &row.status)?,
            failure_reason: row.failure_reason,
            failure: row.failure,
            warnings: row.warnings,
            error_file_s3_key: row.error_file_s3_key,
            fix_file_s3_key: row.fix_file_s3_key,
            upload_timestamp: row.upload_timestamp,
            started_at: row.started_at,
            parsed_at: row.parsed_at,
            validated_at: row.validated_at,
            completed_at: row.completed_at,
            notified_at: row.notified_at,
            rerun_of: row
                .rerun_of
                .as_deref()
                .map(|id| column("upload_history.rerun_of", id))
                .transpose()?,
            mode: column("upload_history.mode", &row.mode)?,
            created_records: row.created_records,
            updated_records: row.updated_records,
            unchanged_records: row.unchanged_records,
        })
    }
}

pub(crate) fn uploads_of(rows: Vec<UploadRow>) -> Result<Vec<Upload>, DbError> {
    rows.into_iter().map(Upload::try_from).collect()
}

pub(crate) fn upload_of(row: Option<UploadRow>) -> Result<Option<Upload>, DbError> {
    row.map(Upload::try_from).transpose()
}

/// The one SELECT of an upload row, followed by `$where` (and its ORDER BY);
/// the rows go through [`uploads_of`] or [`upload_of`].
macro_rules! select_upload {
    ($where:tt, $($arg:expr),*) => {
        sqlx::query_as!(
            $crate::uploads::UploadRow,
            r#"SELECT upload_id, vendor_id, file_name, s3_bucket, s3_key, s3_version_id,
                      source_columns, total_records, valid_records, error_records, status,
                      failure_reason, failure, warnings, error_file_s3_key, fix_file_s3_key,
                      upload_timestamp, started_at, parsed_at, validated_at, completed_at,
                      notified_at, rerun_of, mode, created_records, updated_records,
                      unchanged_records
                 FROM upload_history "# + $where,
            $($arg),*
        )
    };
}
pub(crate) use select_upload;

pub async fn find_upload(pool: &PgPool, upload_id: &UploadId) -> Result<Option<Upload>, DbError> {
    upload_of(
        select_upload!("WHERE upload_id = $1", upload_id.as_str())
            .fetch_optional(pool)
            .await?,
    )
}

/// The filter of `onboard history` and of the vendor API's upload list.
#[derive(Clone, Debug, Default)]
pub struct HistoryFilter {
    pub vendor_id: Option<VendorId>,
    pub status: Option<UploadStatus>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub limit: i64,
}

/// Uploads, newest first.
pub async fn history(pool: &PgPool, filter: &HistoryFilter) -> Result<Vec<Upload>, DbError> {
    uploads_of(
        select_upload!(
            "WHERE ($1::text IS NULL OR vendor_id = $1)
           AND ($2::text IS NULL OR status = $2)
           AND ($3::timestamptz IS NULL OR upload_timestamp >= $3)
           AND ($4::timestamptz IS NULL OR upload_timestamp < $4)
         ORDER BY upload_timestamp DESC, upload_id DESC
         LIMIT $5",
            filter.vendor_id.as_ref().map(VendorId::as_str),
            filter.status.map(UploadStatus::as_str),
            filter.since,
            filter.until,
            filter.limit
        )
        .fetch_all(pool)
        .await?,
    )
}

pub enum Opened {
    /// This event is the first for the object version.
    Created,
    /// A duplicate event, or a retry after a crash.
    Existing(Box<Upload>),
}

/// Records the upload, once per object version.
pub async fn open_upload(pool: &PgPool, upload: &NewUpload<'_>) -> Result<Opened, DbError> {
    let inserted = sqlx::query_scalar!(
        r#"INSERT INTO upload_history
               (upload_id, vendor_id, file_name, s3_bucket, s3_key, s3_version_id, upload_timestamp)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT DO NOTHING
           RETURNING upload_id"#,
        upload.upload_id.as_str(),
        upload.vendor_id.map_or(NO_VENDOR, VendorId::as_str),
        upload.file_name,
        upload.bucket,
        upload.key,
        upload.version_id,
        upload.received_at,
    )
    .fetch_optional(pool)
    .await?;
    if inserted.is_some() {
        return Ok(Opened::Created);
    }
    let existing = select_upload!(
        "WHERE upload_id = $1 OR (s3_bucket = $2 AND s3_key = $3 AND s3_version_id = $4)",
        upload.upload_id.as_str(),
        upload.bucket,
        upload.key,
        upload.version_id
    )
    .fetch_one(pool)
    .await?;
    Ok(Opened::Existing(Box::new(existing.try_into()?)))
}

/// Marks the upload failed as a whole. Only a `processing` upload can fail,
/// so a late duplicate cannot overwrite a finished one.
pub async fn fail_upload(
    pool: &PgPool,
    upload_id: &UploadId,
    failure: &FileFailure,
    warnings: &[String],
) -> Result<bool, DbError> {
    let json = serde_json::to_value(failure).unwrap_or(serde_json::Value::Null);
    let result = sqlx::query!(
        r#"UPDATE upload_history
              SET status = $5, failure_reason = $2, failure = $3, warnings = $4,
                  total_records = COALESCE(total_records, 0),
                  parsed_at = COALESCE(parsed_at, now()), completed_at = now()
            WHERE upload_id = $1 AND status = $6"#,
        upload_id.as_str(),
        failure.to_string(),
        json,
        warnings,
        UploadStatus::Failed.as_str(),
        UploadStatus::Processing.as_str(),
    )
    .execute(pool)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Records what the parser counted and the mode it read from the object,
/// before the first row is staged: the validator can only tell that an upload
/// is complete once the total is known, and judges rows by the mode.
pub async fn record_total(
    pool: &PgPool,
    upload_id: &UploadId,
    total_records: u32,
    source_columns: &[String],
    warnings: &[String],
    mode: UploadMode,
) -> Result<(), DbError> {
    sqlx::query!(
        r#"UPDATE upload_history
              SET total_records = $2, source_columns = $3, warnings = $4, mode = $6
            WHERE upload_id = $1 AND status = $5"#,
        upload_id.as_str(),
        total_records as i32,
        source_columns,
        warnings,
        UploadStatus::Processing.as_str(),
        mode.as_str(),
    )
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn mark_staged(pool: &PgPool, upload_id: &UploadId) -> Result<(), DbError> {
    sqlx::query!(
        "UPDATE upload_history SET parsed_at = COALESCE(parsed_at, now()) WHERE upload_id = $1",
        upload_id.as_str()
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Sets the final status and the report keys of a settled upload.
pub async fn finish_upload(
    pool: &PgPool,
    upload_id: &UploadId,
    status: UploadStatus,
    error_file_key: Option<&str>,
    fix_file_key: Option<&str>,
) -> Result<(), DbError> {
    sqlx::query!(
        r#"UPDATE upload_history
              SET status = $2, error_file_s3_key = $3, fix_file_s3_key = $4,
                  completed_at = COALESCE(completed_at, now())
            WHERE upload_id = $1"#,
        upload_id.as_str(),
        status.as_str(),
        error_file_key,
        fix_file_key,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// What [`claim_notification`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmailClaim {
    /// This sender holds the claim for the lease: publish, then mark.
    Claimed,
    /// The email was sent (`notified_at` is set).
    Sent,
    /// Another sender's claim is live: it is publishing now, or it died and
    /// its claim lapses at the end of the lease. Only a later attempt can
    /// tell which, so the caller must not treat the email as sent.
    HeldElsewhere,
    /// The vendor did not ask for this upload's email (a portal submission
    /// without "Email me the result"): recorded as the email step's outcome
    /// (`notification = 'not_requested'`, `notified_at` set), so the upload
    /// is settled as if told, and nothing is sent.
    NotRequested,
}

/// Claims the right to send this upload's email for `lease`: free, or
/// held by a sender whose lease has lapsed (one killed between claim and
/// publish), which this claim takes over.
pub async fn claim_notification(
    pool: &PgPool,
    upload_id: &UploadId,
    lease: Duration,
) -> Result<EmailClaim, DbError> {
    if !crate::submissions::email_requested(pool, upload_id).await? {
        // Recorded, not skipped: the audit trail shows the step ran. An
        // email already sent (the row's notified_at) is left as it is.
        sqlx::query!(
            "UPDATE upload_history SET notified_at = now(), notification = $2
              WHERE upload_id = $1 AND notified_at IS NULL",
            upload_id.as_str(),
            NotificationOutcome::NotRequested.as_str()
        )
        .execute(pool)
        .await?;
        return Ok(EmailClaim::NotRequested);
    }
    // One statement: the SELECT reads the row as it was before the UPDATE,
    // whose `notified_at` the UPDATE never changes.
    let found = sqlx::query!(
        r#"WITH claimed AS (
               UPDATE upload_history SET notify_claimed_at = now()
                WHERE upload_id = $1 AND notified_at IS NULL
                  AND (notify_claimed_at IS NULL
                       OR notify_claimed_at < now() - make_interval(secs => $2))
               RETURNING upload_id)
           SELECT EXISTS (SELECT 1 FROM claimed) AS "claimed!",
                  notified_at IS NOT NULL AS "sent!"
             FROM upload_history WHERE upload_id = $1"#,
        upload_id.as_str(),
        lease.as_secs_f64(),
    )
    .fetch_one(pool)
    .await?;
    Ok(if found.claimed {
        EmailClaim::Claimed
    } else if found.sent {
        EmailClaim::Sent
    } else {
        EmailClaim::HeldElsewhere
    })
}

pub async fn release_notification(pool: &PgPool, upload_id: &UploadId) -> Result<(), DbError> {
    sqlx::query!(
        "UPDATE upload_history SET notify_claimed_at = NULL WHERE upload_id = $1 AND notified_at IS NULL",
        upload_id.as_str()
    )
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn mark_notified(
    pool: &PgPool,
    upload_id: &UploadId,
    message_id: &str,
) -> Result<(), DbError> {
    sqlx::query!(
        "UPDATE upload_history SET notified_at = now(), notification_message_id = $2,
                notification = $3 WHERE upload_id = $1",
        upload_id.as_str(),
        message_id,
        NotificationOutcome::Sent.as_str()
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The upload made from one S3 object version, once the parser has seen it.
pub async fn find_upload_by_object(
    pool: &PgPool,
    bucket: &str,
    key: &str,
    version_id: &str,
) -> Result<Option<Upload>, DbError> {
    upload_of(
        select_upload!(
            "WHERE s3_bucket = $1 AND s3_key = $2 AND s3_version_id = $3",
            bucket,
            key,
            version_id
        )
        .fetch_optional(pool)
        .await?,
    )
}

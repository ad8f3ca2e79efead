//! `onboard upload`, `status`, `history` and `report`: the pipeline as an
//! operator sees it, answered from the audit trail in PostgreSQL.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use aws_sdk_s3::primitives::ByteStream;
use chrono::{DateTime, NaiveDate, Utc};
use onboarding_aws::AwsClients;
use onboarding_core::mode::MODE_METADATA;
use onboarding_core::{UploadId, UploadKey, UploadMode, UploadStatus, VendorId};
use onboarding_db::uploads::{self, HistoryFilter, Upload};
use serde_json::json;

#[derive(clap::Args)]
pub struct UploadArgs {
    /// The vendor folder to upload into: uploads/<VENDOR>/.
    #[arg(long)]
    pub vendor: VendorId,
    pub file: PathBuf,
    /// The object name under the vendor folder (default: the file's name).
    #[arg(long)]
    pub name: Option<String>,
    /// create (new products only; an existing SKU is DUPLICATE_SKU) or upsert
    /// (update your existing products, create new ones). Sent as the object's
    /// `mode` metadata; without it, a name under update/ is an upsert and any
    /// other a create.
    #[arg(long)]
    pub mode: Option<UploadMode>,
    /// Wait for the pipeline to finish and print the summary as JSON.
    #[arg(long)]
    pub wait: bool,
    /// How long --wait waits, in seconds.
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
    #[arg(long, env = "UPLOAD_BUCKET")]
    pub bucket: String,
    /// Needed with --wait, which follows the upload in the audit trail;
    /// when known, the vendor is checked before the file goes up.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// JSON only, and no progress display: the output is JSON with or
    /// without it (scripts read it), so it makes the intent explicit.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args)]
pub struct StatusArgs {
    pub upload_id: UploadId,
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: String,
    /// The summary is JSON with or without it (scripts read it); accepted
    /// so that every command printing data takes --json.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args)]
pub struct HistoryArgs {
    #[arg(long)]
    pub vendor: Option<VendorId>,
    /// processing, completed, partial or failed.
    #[arg(long)]
    pub status: Option<UploadStatus>,
    /// Uploads on or after this date (YYYY-MM-DD) or time (RFC 3339).
    #[arg(long)]
    pub since: Option<String>,
    /// Uploads before this date or time.
    #[arg(long)]
    pub until: Option<String>,
    #[arg(long, default_value_t = 50)]
    pub limit: i64,
    #[arg(long)]
    pub json: bool,
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: String,
}

#[derive(clap::Args)]
pub struct ReportArgs {
    pub upload_id: UploadId,
    /// Print the fix file instead of the error report.
    #[arg(long)]
    pub fix_file: bool,
    #[arg(long, env = "UPLOAD_BUCKET")]
    pub bucket: String,
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: String,
}

/// The one-object summary that `upload --wait` and `status` print.
pub fn summary(upload: &Upload) -> serde_json::Value {
    json!({
        "upload_id": upload.upload_id,
        "vendor_id": upload.vendor_id,
        "file_name": upload.file_name,
        "status": upload.status,
        "total_records": upload.total_records,
        "valid_records": upload.valid_records,
        "error_records": upload.error_records,
        "mode": upload.mode,
        "created_records": upload.created_records,
        "updated_records": upload.updated_records,
        "unchanged_records": upload.unchanged_records,
        "error_report_key": upload.error_file_s3_key,
        "fix_file_key": upload.fix_file_s3_key,
        "failure_reason": upload.failure_reason,
        "warnings": upload.warnings,
        "notified": upload.notified_at.is_some(),
        "timings_ms": timings(upload),
    })
}

fn timings(upload: &Upload) -> serde_json::Value {
    let between = |from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>| match (from, to) {
        (Some(from), Some(to)) => json!((to - from).num_milliseconds()),
        _ => serde_json::Value::Null,
    };
    json!({
        "parse": between(Some(upload.started_at), upload.parsed_at),
        "validate": between(upload.parsed_at, upload.validated_at),
        "report": between(upload.validated_at.or(upload.parsed_at), upload.completed_at),
        "notify": between(upload.completed_at, upload.notified_at),
        "total": between(Some(upload.upload_timestamp), upload.notified_at.or(upload.completed_at)),
    })
}

pub async fn upload(args: UploadArgs) -> anyhow::Result<ExitCode> {
    let name = match &args.name {
        Some(name) => name.clone(),
        None => args
            .file
            .file_name()
            .and_then(|n| n.to_str())
            .context("the file has no name; pass --name")?
            .to_string(),
    };
    let key = UploadKey::live_key(&args.vendor, &name);
    let pool = match &args.database_url {
        Some(url) => Some(onboarding_db::connect(url, 1).await?),
        None => None,
    };
    if let Some(pool) = &pool
        && uploads::find_vendor(pool, &args.vendor).await?.is_none()
    {
        return Err(crate::exit::not_found(format!(
            "no vendor {vendor}: `onboard vendor list` shows the registered vendors, and `onboard vendor add --id {vendor} --name NAME --email EMAIL` registers one",
            vendor = args.vendor
        )));
    }
    let body = ByteStream::from_path(&args.file)
        .await
        .with_context(|| format!("reading {}", args.file.display()))?;
    let clients = AwsClients::from_env().await;
    let put = clients
        .s3
        .put_object()
        .bucket(&args.bucket)
        .key(&key)
        .content_type("text/csv")
        .set_metadata(args.mode.map(|mode| {
            [(MODE_METADATA.to_string(), mode.as_str().to_string())]
                .into_iter()
                .collect()
        }))
        .body(body)
        .send()
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "uploading to s3://{}/{key}: {}",
                args.bucket,
                onboarding_aws::describe(&e)
            )
        })?;
    let version = put.version_id.unwrap_or_default();
    if !args.wait {
        println!(
            "{}",
            json!({"bucket": args.bucket, "key": key, "version_id": version})
        );
        return Ok(ExitCode::SUCCESS);
    }
    let Some(pool) = &pool else {
        bail!("--wait follows the upload in the database: set DATABASE_URL or --database-url");
    };
    let started = Instant::now();
    let deadline = Duration::from_secs(args.timeout);
    let spinner =
        crate::progress::Spinner::start(format!("waiting for {name} to be processed"), args.json);
    loop {
        let upload = uploads::find_upload_by_object(pool, &args.bucket, &key, &version).await?;
        if let Some(upload) = &upload {
            if upload.is_finished() {
                spinner.finish();
                println!("{}", serde_json::to_string_pretty(&summary(upload))?);
                return Ok(ExitCode::SUCCESS);
            }
            spinner.set_message(|| {
                format!(
                    "{name}: {}, {} rows checked",
                    upload.status,
                    upload.valid_records + upload.error_records
                )
            });
        }
        if started.elapsed() > deadline {
            spinner.finish();
            bail!(
                "s3://{}/{key} (version {version}) was not processed within {}s; see `onboard status` and the function logs",
                args.bucket,
                args.timeout
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub async fn status(args: StatusArgs) -> anyhow::Result<ExitCode> {
    let pool = onboarding_db::connect(&args.database_url, 1).await?;
    match uploads::find_upload(&pool, &args.upload_id).await? {
        Some(upload) => {
            println!("{}", serde_json::to_string_pretty(&summary(&upload))?);
            Ok(ExitCode::SUCCESS)
        }
        None => Err(no_upload(&args.upload_id)),
    }
}

fn no_upload(upload_id: &UploadId) -> anyhow::Error {
    crate::exit::not_found(format!(
        "no upload {upload_id}: `onboard history` lists the uploads"
    ))
}

fn parse_time(text: &str, what: &str) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .with_context(|| format!("{what} '{text}' is neither YYYY-MM-DD nor an RFC 3339 time"))?;
    Ok(date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

pub async fn history(args: HistoryArgs) -> anyhow::Result<ExitCode> {
    let pool = onboarding_db::connect(&args.database_url, 1).await?;
    let filter = HistoryFilter {
        vendor_id: args.vendor.clone(),
        status: args.status,
        since: args
            .since
            .as_deref()
            .map(|t| parse_time(t, "--since"))
            .transpose()?,
        until: args
            .until
            .as_deref()
            .map(|t| parse_time(t, "--until"))
            .transpose()?,
        limit: args.limit,
    };
    let rows = uploads::history(&pool, &filter).await?;
    if args.json {
        let all: Vec<_> = rows.iter().map(summary).collect();
        println!("{}", serde_json::to_string_pretty(&all)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<36} {:<10} {:<10} {:>6} {:>6} {:>6}  {:<20} FILE",
        "UPLOAD ID", "VENDOR", "STATUS", "TOTAL", "VALID", "ERRORS", "UPLOADED (UTC)"
    );
    for upload in &rows {
        println!(
            "{:<36} {:<10} {:<10} {:>6} {:>6} {:>6}  {:<20} {}",
            upload.upload_id,
            upload.vendor_id.as_ref().map_or("-", VendorId::as_str),
            upload.status,
            upload
                .total_records
                .map(|t| t.to_string())
                .unwrap_or_else(|| "-".into()),
            upload.valid_records,
            upload.error_records,
            upload.upload_timestamp.format("%Y-%m-%d %H:%M:%S"),
            upload.file_name
        );
    }
    if rows.is_empty() {
        eprintln!("no uploads match");
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn report(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let pool = onboarding_db::connect(&args.database_url, 1).await?;
    let upload = uploads::find_upload(&pool, &args.upload_id)
        .await?
        .ok_or_else(|| no_upload(&args.upload_id))?;
    let key = if args.fix_file {
        &upload.fix_file_s3_key
    } else {
        &upload.error_file_s3_key
    };
    let Some(key) = key else {
        eprintln!(
            "upload {} has no error report (status {}, {} errors)",
            upload.upload_id, upload.status, upload.error_records
        );
        return Ok(ExitCode::from(1));
    };
    let clients = AwsClients::from_env().await;
    let object = clients
        .s3
        .get_object()
        .bucket(&args.bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "reading s3://{}/{key}: {}",
                args.bucket,
                onboarding_aws::describe(&e)
            )
        })?;
    let bytes = object
        .body
        .collect()
        .await
        .context("reading the report body")?
        .into_bytes();
    use std::io::Write;
    std::io::stdout().lock().write_all(&bytes)?;
    Ok(ExitCode::SUCCESS)
}

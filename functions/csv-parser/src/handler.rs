use std::collections::HashMap;
use std::time::Instant;

use aws_lambda_events::event::s3::{S3Event, S3EventRecord};
use onboarding_aws::contract::StagingSettings;
use onboarding_aws::database::Database;
use onboarding_aws::metrics::{MetricRecord, Unit};
use onboarding_aws::queue::ErrorQueues;
use onboarding_aws::s3::open_object;
use onboarding_aws::s3_event::CreatedObject;
use onboarding_aws::stage::{PipelineFunction, StageError, StageReason};
use onboarding_aws::staging::StagingTable;
use onboarding_aws::{AwsClients, AwsError};
use onboarding_core::reader::ReadLimits;
use onboarding_core::upload_key::UPLOADS_PREFIX;
use onboarding_core::{
    EarlierRows, FileDuplicates, FileFailure, FileFormat, Lane, PipelineMessage, ProductReader,
    StagedRow, UploadId, UploadKey, UploadMode, UploadStatus, VendorId,
};
use onboarding_db::uploads::{self, NewUpload, Opened};
use tracing::Instrument;

use crate::FUNCTION;
use crate::commands::{self, Invocation};

/// Rows buffered before a staging write: a multiple of the 25-item batch.
const STAGING_CHUNK: usize = 500;

/// Why the parser fails an invocation, which Lambda then retries.
#[derive(Debug, thiserror::Error)]
pub enum ParserFault {
    #[error("not an S3 event or a command: {0}")]
    Event(String),
    #[error("{count} of {total} S3 records failed; the event will be retried")]
    Records { count: usize, total: usize },
}

impl StageReason for ParserFault {
    fn error_type(&self) -> &'static str {
        match self {
            ParserFault::Event(_) => "BadEvent",
            ParserFault::Records { .. } => "RecordsFailed",
        }
    }
}

pub type ParseError = StageError<ParserFault>;

/// An invocation that is neither an S3 event nor a well-formed command.
pub fn bad_event(reason: String) -> ParseError {
    StageError::Stage(ParserFault::Event(reason))
}

pub struct Parser {
    clients: AwsClients,
    database: Database,
    staging: StagingTable,
    queues: ErrorQueues,
    limits: ReadLimits,
}

impl PipelineFunction for Parser {
    type Event = serde_json::Value;
    type Response = serde_json::Value;
    type Error = ParseError;

    fn database(&self) -> &Database {
        &self.database
    }

    /// An S3 notification, or an operator's command ([`Invocation`]).
    async fn handle(&self, event: serde_json::Value) -> Result<serde_json::Value, ParseError> {
        match Invocation::parse(event)? {
            Invocation::Command(command) => {
                commands::run(command, &self.database, &self.clients).await
            }
            Invocation::S3Event(event) => {
                self.handle_s3_event(event).await?;
                Ok(serde_json::Value::Null)
            }
        }
    }
}

impl Parser {
    pub fn new(clients: AwsClients, database: Database, settings: StagingSettings) -> Parser {
        Parser {
            queues: ErrorQueues::new(&clients.sqs, &settings.error_queues),
            staging: StagingTable::new(clients.dynamodb.clone(), settings.staging_table),
            clients,
            database,
            limits: ReadLimits::default(),
        }
    }

    /// Handles every record; a failed record fails the event so that Lambda
    /// retries it, and the records that succeeded are no-ops the second time.
    pub async fn handle_s3_event(&self, event: S3Event) -> Result<(), ParseError> {
        let total = event.records.len();
        let mut failed = 0;
        for record in &event.records {
            if let Err(error) = self.handle_record(record).await {
                tracing::error!(upload_id = "-", vendor_id = "-", %error, "S3 record failed");
                failed += 1;
            }
        }
        if failed > 0 {
            return Err(StageError::Stage(ParserFault::Records {
                count: failed,
                total,
            }));
        }
        Ok(())
    }

    async fn handle_record(&self, record: &S3EventRecord) -> Result<(), ParseError> {
        let object = match CreatedObject::from_record(record) {
            Ok(object) => object,
            Err(error) => {
                // Retrying cannot fix a record without a bucket or key.
                tracing::error!(upload_id = "-", vendor_id = "-", %error, "unusable S3 record skipped");
                return Ok(());
            }
        };
        if !Lane::strip(&object.key).starts_with(UPLOADS_PREFIX) {
            tracing::warn!(upload_id = "-", vendor_id = "-", key = %object.key, "object outside uploads/ and candidate/uploads/ ignored");
            return Ok(());
        }
        let upload_id = UploadId::for_object(
            object.event_time,
            &object.bucket,
            &object.key,
            &object.version,
        );
        // The edge: the key is taken apart here, once, and its lane and
        // vendor are passed down with it.
        let key = UploadKey::parse(&object.key);
        let (vendor, lane) = match &key {
            Ok(key) => (key.vendor_id.as_str(), key.lane.as_str()),
            Err(_) => ("-", "-"),
        };
        let span = tracing::info_span!("upload", upload_id = %upload_id, vendor_id = vendor, lane);
        self.process(object, upload_id, key).instrument(span).await
    }

    async fn process(
        &self,
        object: CreatedObject,
        upload_id: UploadId,
        key: Result<UploadKey, FileFailure>,
    ) -> Result<(), ParseError> {
        let started = Instant::now();
        let pool = self.database.pool().await?;
        let opened = uploads::open_upload(
            pool,
            &NewUpload {
                upload_id: &upload_id,
                vendor_id: key.as_ref().ok().map(|key| &key.vendor_id),
                file_name: key.as_ref().map_or(&object.key, |key| &key.file_name),
                bucket: &object.bucket,
                key: &object.key,
                version_id: &object.version,
                received_at: object.event_time,
            },
        )
        .await?;
        if let Opened::Existing(existing) = opened {
            return self.on_duplicate(&existing).await;
        }
        tracing::info!(key = %object.key, size = object.size, "upload received");

        let key = match key {
            // Nobody to tell: the failure is in the audit trail.
            Err(failure) => return self.record_failure(&upload_id, None, &failure, &[]).await,
            Ok(key) => key,
        };
        let this = UploadRef {
            upload_id: &upload_id,
            key: &key,
        };
        match uploads::find_vendor(pool, &key.vendor_id).await? {
            None => {
                let failure = FileFailure::UnknownVendor {
                    vendor_id: key.vendor_id.clone(),
                };
                // Nobody to tell: the failure is in the audit trail.
                return self.fail(this, &failure, &[], false).await;
            }
            Some(vendor) if !vendor.is_active() => {
                let failure = FileFailure::VendorInactive {
                    vendor_id: vendor.vendor_id,
                    status: vendor.status,
                };
                return self.fail(this, &failure, &[], true).await;
            }
            Some(_) => {}
        }
        if object
            .size
            .is_some_and(|size| size as u64 > self.limits.max_bytes)
        {
            let failure = FileFailure::TooLarge {
                limit_bytes: self.limits.max_bytes,
            };
            return self.fail(this, &failure, &[], true).await;
        }

        // Pass 1: file-level checks, the row count and in-file duplicates,
        // keeping only the keys the duplicate rule needs.
        let survey = match self.survey(&object, &key).await? {
            Ok(survey) => survey,
            Err((failure, warnings)) => {
                // Tells the key's vendor, as every whole-file failure does:
                // for a refused uploader that is the folder's owner, who
                // learns that another vendor wrote into its folder.
                return self.fail(this, &failure, &warnings, true).await;
            }
        };
        uploads::record_total(
            pool,
            &upload_id,
            survey.total,
            &survey.source_columns,
            &survey.warnings,
            survey.mode,
        )
        .await?;
        self.link_rerun(pool, &upload_id, &survey).await?;

        // Pass 2: stage every row.
        let staged = self.stage(&object, this, &survey).await?;
        uploads::mark_staged(pool, &upload_id).await?;
        let elapsed = started.elapsed();
        tracing::info!(
            rows = staged,
            elapsed_ms = elapsed.as_millis() as f64,
            "upload staged"
        );
        MetricRecord::for_upload(FUNCTION, &upload_id, &key.vendor_id)
            .metric("RowsParsed", Unit::Count, f64::from(staged))
            .metric("PeakRss", Unit::Bytes, peak_rss_bytes() as f64)
            .emit();
        MetricRecord::for_upload(FUNCTION, &upload_id, &key.vendor_id)
            .stage_duration("parse", elapsed)
            .emit();
        Ok(())
    }

    /// A second event for an object version already seen.
    async fn on_duplicate(&self, existing: &uploads::Upload) -> Result<(), ParseError> {
        let unfinished =
            existing.status == UploadStatus::Processing && existing.parsed_at.is_none();
        // The key recorded is the key the event had: taken apart again here,
        // as at the first event.
        let key = match UploadKey::parse(&existing.s3_key) {
            Ok(key) => key,
            Err(failure) if unfinished => {
                // A run died between recording the upload and its failure.
                return self
                    .record_failure(&existing.upload_id, None, &failure, &[])
                    .await;
            }
            Err(_) => {
                tracing::info!("duplicate S3 event for a key outside the layout ignored");
                return Ok(());
            }
        };
        let this = UploadRef {
            upload_id: &existing.upload_id,
            key: &key,
        };
        if existing.status == UploadStatus::Failed && existing.notified_at.is_none() {
            // The failure may have been recorded by a run that died before
            // queueing the notice; queueing it again is harmless.
            if uploads::find_vendor(self.database.pool().await?, &key.vendor_id)
                .await?
                .is_some()
            {
                tracing::info!("duplicate event for a failed upload; notice queued again");
                self.queue_completion(this).await?;
            }
            return Ok(());
        }
        if unfinished {
            tracing::warn!("upload was not fully staged; staging again");
            return self.restage(existing, this).await;
        }
        tracing::info!("duplicate S3 event ignored");
        Ok(())
    }

    /// Stages an upload again after a run that died part-way. Staging is
    /// keyed by row, and the validator decides each row once, so repeating
    /// rows that were already staged changes nothing.
    async fn restage(
        &self,
        existing: &uploads::Upload,
        upload: UploadRef<'_>,
    ) -> Result<(), ParseError> {
        let object = CreatedObject {
            bucket: existing.s3_bucket.clone(),
            key: existing.s3_key.clone(),
            version: existing.s3_version_id.clone(),
            size: None,
            event_time: existing.upload_timestamp,
        };
        let survey = match self.survey(&object, upload.key).await? {
            Ok(survey) => survey,
            Err((failure, warnings)) => {
                return self.fail(upload, &failure, &warnings, true).await;
            }
        };
        let pool = self.database.pool().await?;
        uploads::record_total(
            pool,
            upload.upload_id,
            survey.total,
            &survey.source_columns,
            &survey.warnings,
            survey.mode,
        )
        .await?;
        self.link_rerun(pool, upload.upload_id, &survey).await?;
        self.stage(&object, upload, &survey).await?;
        uploads::mark_staged(pool, upload.upload_id).await?;
        Ok(())
    }

    /// Records a whole-file failure, and queues the vendor's notice when
    /// `notify`.
    async fn fail(
        &self,
        upload: UploadRef<'_>,
        failure: &FileFailure,
        warnings: &[String],
        notify: bool,
    ) -> Result<(), ParseError> {
        self.record_failure(
            upload.upload_id,
            Some(&upload.key.vendor_id),
            failure,
            warnings,
        )
        .await?;
        if notify {
            self.queue_completion(upload).await?;
        }
        Ok(())
    }

    /// Marks the upload failed; `vendor_id` is `None` for a key outside the
    /// layout, which names no vendor to tell.
    async fn record_failure(
        &self,
        upload_id: &UploadId,
        vendor_id: Option<&VendorId>,
        failure: &FileFailure,
        warnings: &[String],
    ) -> Result<(), ParseError> {
        tracing::warn!(reason = %failure, "upload failed");
        uploads::fail_upload(self.database.pool().await?, upload_id, failure, warnings).await?;
        let mut metric = MetricRecord::new(FUNCTION)
            .metric("UploadsFailed", Unit::Count, 1.0)
            .property("upload_id", upload_id.as_str());
        if let Some(vendor_id) = vendor_id {
            metric = metric.property("vendor_id", vendor_id.as_str());
        }
        metric.emit();
        Ok(())
    }

    /// Records which upload this one re-runs (an operator's re-run from the
    /// console); a link to another vendor's upload is not made.
    async fn link_rerun(
        &self,
        pool: &sqlx::PgPool,
        upload_id: &UploadId,
        survey: &Survey,
    ) -> Result<(), ParseError> {
        if let Some(original) = &survey.rerun_of {
            let linked = onboarding_db::console::link_rerun(pool, upload_id, original).await?;
            tracing::info!(rerun_of = %original, linked, "re-run of an earlier upload");
        }
        Ok(())
    }

    async fn queue_completion(&self, upload: UploadRef<'_>) -> Result<(), ParseError> {
        self.queues
            .lane(upload.key.lane)
            .send(&[PipelineMessage::UploadComplete {
                upload_id: upload.upload_id.clone(),
                vendor_id: upload.key.vendor_id.clone(),
            }])
            .await?;
        Ok(())
    }

    /// Opens the object for reading in the format its extension names
    /// (an unknown one is the upload's failure), refusing it first when the vendor its
    /// portal upload was bound to is not `vendor_id`, the key's vendor (see
    /// [`check_uploader`]); the binding comes from the same GetObject.
    async fn open_reader(
        &self,
        object: &CreatedObject,
        vendor_id: &VendorId,
    ) -> Result<
        Result<
            (
                ProductReader<impl tokio::io::AsyncRead + Unpin + Send + use<>>,
                ObjectTags,
            ),
            FileFailure,
        >,
        ParseError,
    > {
        // The extension says how to read the file; checked before the
        // GetObject, since no other reading of the bytes would be right.
        let file_name = object.key.rsplit('/').next().unwrap_or(&object.key);
        let format = match FileFormat::require(file_name) {
            Ok(format) => format,
            Err(failure) => return Ok(Err(failure)),
        };
        let version = (!object.version.is_empty()).then_some(object.version.as_str());
        let opened = match open_object(&self.clients.s3, &object.bucket, &object.key, version).await
        {
            Ok(opened) => opened,
            // Not a real version id (an unversioned bucket): read the latest.
            Err(_) if version.is_some() => {
                open_object(&self.clients.s3, &object.bucket, &object.key, None).await?
            }
            Err(error) => return Err(error.into()),
        };
        if let Err(failure) = check_uploader(vendor_id, opened.uploader()) {
            return Ok(Err(failure));
        }
        let tags = ObjectTags {
            rerun_of: opened.rerun_of().map(str::to_string),
            mode: opened.mode().map(str::to_string),
        };
        Ok(ProductReader::open(format, opened.body, self.limits)
            .await
            .map(|reader| (reader, tags)))
    }

    async fn survey(
        &self,
        object: &CreatedObject,
        key: &UploadKey,
    ) -> Result<Result<Survey, (FileFailure, Vec<String>)>, ParseError> {
        let (mut reader, tags) = match self.open_reader(object, &key.vendor_id).await? {
            Ok(opened) => opened,
            Err(failure) => return Ok(Err((failure, Vec::new()))),
        };
        // The edge for the mode: read once here, typed from here on.
        let mode = match UploadMode::of_object(tags.mode.as_deref(), key) {
            Ok(mode) => mode,
            Err(failure) => return Ok(Err((failure, Vec::new()))),
        };
        let mut duplicates = FileDuplicates::default();
        let mut earlier = HashMap::new();
        loop {
            match reader.next_row().await {
                Ok(Some(row)) => {
                    let found = duplicates.observe(reader.header(), &row);
                    if found != EarlierRows::default() {
                        earlier.insert(row.row_number, found);
                    }
                }
                Ok(None) => break,
                Err(failure) => return Ok(Err((failure, reader.warnings()))),
            }
        }
        Ok(Ok(Survey {
            total: reader.rows_read(),
            source_columns: reader.header().source_columns().to_vec(),
            warnings: reader.warnings(),
            earlier,
            rerun_of: tags.rerun_of,
            mode,
        }))
    }

    async fn stage(
        &self,
        object: &CreatedObject,
        upload: UploadRef<'_>,
        survey: &Survey,
    ) -> Result<u32, ParseError> {
        let mut reader = match self.open_reader(object, &upload.key.vendor_id).await? {
            Ok((reader, _)) => reader,
            Err(failure) => {
                return Err(StageError::Aws(AwsError::new(
                    "GetObject",
                    &object.key,
                    format!("object changed between reads: {failure}"),
                )));
            }
        };
        let now = chrono::Utc::now().timestamp();
        let mut chunk = Vec::with_capacity(STAGING_CHUNK);
        let mut staged = 0;
        while let Some(row) = reader.next_row().await.map_err(|failure| {
            StageError::Aws(AwsError::new(
                "GetObject",
                &object.key,
                format!("object changed between reads: {failure}"),
            ))
        })? {
            let earlier = survey
                .earlier
                .get(&row.row_number)
                .copied()
                .unwrap_or_default();
            chunk.push(StagedRow::new(
                upload.key.lane,
                upload.upload_id,
                &upload.key.vendor_id,
                row,
                earlier,
                now,
            ));
            if chunk.len() == STAGING_CHUNK {
                self.staging.write(&chunk).await?;
                staged += chunk.len() as u32;
                chunk.clear();
            }
        }
        self.staging.write(&chunk).await?;
        staged += chunk.len() as u32;
        Ok(staged)
    }
}

/// A portal upload is bound to the vendor that signed in for it: its signed
/// POST policy makes S3 store that vendor's id as the object's `vendor-id`
/// metadata (`bound`). The key's vendor (`vendor_id`, whose folder it is)
/// must be that vendor, exactly: ids are compared as they are, case and
/// spaces included. An object without the metadata was put directly by a
/// tool that IAM allowed to write under the prefix, and is accepted.
fn check_uploader(vendor_id: &VendorId, bound: Option<&str>) -> Result<(), FileFailure> {
    match bound {
        Some(uploader) if uploader != vendor_id.as_str() => Err(FileFailure::UploaderMismatch {
            vendor_id: vendor_id.clone(),
            uploader_id: uploader.to_string(),
        }),
        _ => Ok(()),
    }
}

struct Survey {
    total: u32,
    source_columns: Vec<String>,
    warnings: Vec<String>,
    earlier: HashMap<u32, EarlierRows>,
    /// The upload an operator re-ran (the object's `rerun-of` metadata).
    rerun_of: Option<String>,
    mode: UploadMode,
}

/// What the object's metadata says about the upload, as S3 stores it.
struct ObjectTags {
    /// The upload an operator re-ran (`rerun-of`).
    rerun_of: Option<String>,
    /// The upload's mode (`mode`), read by [`UploadMode::of_object`].
    mode: Option<String>,
}

/// The upload a failure or a completion notice is about, with its key: the
/// key's vendor is told, through the errors queue of the key's lane.
#[derive(Clone, Copy)]
struct UploadRef<'a> {
    upload_id: &'a UploadId,
    key: &'a UploadKey,
}

/// The process's peak resident set size (Linux `VmHWM`), or 0 where unknown.
fn peak_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|value| {
                    value
                        .trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<u64>()
                        .ok()
                })
        })
        .map_or(0, |kb| kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_object_bound_to_another_vendor_is_refused() {
        let vend001 = VendorId::parse("VEND001").unwrap();
        assert_eq!(check_uploader(&vend001, None), Ok(()));
        assert_eq!(check_uploader(&vend001, Some("VEND001")), Ok(()));
        for other in ["VEND002", "vend001", " VEND001", "VEND001 ", ""] {
            assert_eq!(
                check_uploader(&vend001, Some(other)),
                Err(FileFailure::UploaderMismatch {
                    vendor_id: vend001.clone(),
                    uploader_id: other.into(),
                }),
                "{other:?}"
            );
        }
    }
}

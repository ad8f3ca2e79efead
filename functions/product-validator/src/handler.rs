use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use onboarding_aws::contract::ErrorQueueSettings;
use onboarding_aws::database::Database;
use onboarding_aws::metrics::{MetricRecord, Unit};
use onboarding_aws::queue::ErrorQueues;
use onboarding_aws::stage::{
    PipelineFunction, StageError, UploadGroup, group_by_upload, settle_each,
};
use onboarding_aws::staging::staged_row_from_image;
use onboarding_aws::{AwsClients, BatchResponse};
use onboarding_core::pipeline::{MAX_MESSAGE_BYTES, pack_row_errors};
use onboarding_core::{
    CategoryWhitelist, CheckedRow, Header, PipelineMessage, StagedRow, UploadId, UploadStatus,
    VendorId, check_against_catalog_in, check_row,
};
use onboarding_db::PgCatalog;
use onboarding_db::uploads;
use onboarding_db::validation::{JudgedRow, commit_batch};
use tokio::sync::RwLock;

use crate::FUNCTION;

/// How long the category whitelist is trusted before it is read again.
const CATEGORY_REFRESH: Duration = Duration::from_secs(300);

/// Why the validator gives up on an upload's share of a batch.
#[derive(Debug, thiserror::Error)]
enum UnusableBatch {
    #[error("upload {upload_id} has an unusable header: {reason}")]
    BadHeader { upload_id: UploadId, reason: String },
    #[error("upload {upload_id}'s staged rows name vendor {staged}, the upload {recorded:?}")]
    VendorMismatch {
        upload_id: UploadId,
        staged: VendorId,
        recorded: Option<VendorId>,
    },
}

type BatchError = StageError<UnusableBatch>;

pub struct Validator {
    database: Database,
    queues: ErrorQueues,
    categories: RwLock<Option<(Instant, Arc<CategoryWhitelist>)>>,
}

impl PipelineFunction for Validator {
    type Event = Event;
    type Response = BatchResponse;
    type Error = lambda_runtime::Error;

    fn database(&self) -> &Database {
        &self.database
    }

    async fn handle(&self, event: Event) -> Result<BatchResponse, lambda_runtime::Error> {
        Ok(self.judge_batch(event).await)
    }
}

impl Validator {
    /// The staging table is read through the stream only: the validator
    /// does not write the staged items (docs/performance.md).
    pub fn new(clients: &AwsClients, database: Database, queues: &ErrorQueueSettings) -> Validator {
        Validator {
            database,
            queues: ErrorQueues::new(&clients.sqs, queues),
            categories: RwLock::new(None),
        }
    }

    /// Judges the batch upload by upload. A record that cannot be read, or an
    /// upload whose work fails, is reported back so that only it is retried.
    async fn judge_batch(&self, event: Event) -> BatchResponse {
        let mut response = BatchResponse::default();
        let mut rows = Vec::new();
        for record in event.records {
            if record.event_name != "INSERT" {
                // Not work: a MODIFY is a row staged again (the emulator
                // emits one even for an identical rewrite); the mapping's
                // filter drops them, this is the defence behind it.
                continue;
            }
            let sequence_number = record.change.sequence_number.clone().unwrap_or_default();
            match read_row(record) {
                Ok(row) => rows.push((sequence_number, row)),
                Err(reason) => {
                    tracing::error!(upload_id = "-", vendor_id = "-", sequence_number, %reason, "unreadable stream record");
                    response.fail(sequence_number);
                }
            }
        }
        let mut groups = group_by_upload(rows);
        for group in &mut groups {
            // The same row twice in one batch is judged once.
            let mut seen = std::collections::HashSet::new();
            group.items.retain(|row| seen.insert(row.row_number));
        }
        settle_each(groups, &mut response, |group| self.judge(group)).await;
        response
    }

    async fn judge(&self, batch: UploadGroup<StagedRow>) -> Result<(), BatchError> {
        let started = Instant::now();
        // Every row of an upload is staged in the same lane.
        let lane = batch.items[0].lane;
        tracing::Span::current().record("lane", lane.as_str());
        let pool = self.database.pool().await?;
        let upload = uploads::find_upload(pool, &batch.upload_id)
            .await?
            .ok_or_else(|| StageError::UnknownUpload(batch.upload_id.clone()))?;
        // The rows carry the vendor as the parser staged it: acted on only
        // once it is the upload's own.
        if upload.vendor_id.as_ref() != Some(&batch.vendor_id) {
            return Err(StageError::Stage(UnusableBatch::VendorMismatch {
                upload_id: batch.upload_id.clone(),
                staged: batch.vendor_id.clone(),
                recorded: upload.vendor_id,
            }));
        }
        if upload.status == UploadStatus::Failed {
            tracing::warn!("rows of a failed upload ignored");
            return Ok(());
        }
        let header = Header::parse(&upload.source_columns).map_err(|e| {
            StageError::Stage(UnusableBatch::BadHeader {
                upload_id: batch.upload_id.clone(),
                reason: format!("{e:?}"),
            })
        })?;
        let categories = self.categories(pool).await?;
        let mut checked: Vec<CheckedRow> = batch
            .items
            .iter()
            .map(|row| check_row(&header, &row.source_row(), &categories, row.earlier()))
            .collect();
        // One catalog query for the whole batch.
        let catalog = PgCatalog::new(pool.clone()).excluding_upload(&batch.upload_id);
        check_against_catalog_in(upload.mode, &catalog, &batch.vendor_id, &mut checked).await?;
        let judged: Vec<JudgedRow> = checked
            .into_iter()
            .zip(&batch.items)
            .map(|(checked, row)| JudgedRow {
                original_data: original_data(header.source_columns(), &row.fields),
                source_fields: row.fields.clone(),
                checked,
            })
            .collect();

        let commit = commit_batch(
            pool,
            &batch.upload_id,
            &batch.vendor_id,
            upload.mode,
            &judged,
        )
        .await?;

        // After the commit: everything below may be repeated by a retry.
        let error_rows: Vec<(u32, &[onboarding_core::RowError])> = commit
            .newly_invalid
            .iter()
            .map(|row| (row.row_number, row.errors()))
            .collect();
        let mut messages = pack_row_errors(
            &batch.upload_id,
            &batch.vendor_id,
            &error_rows,
            MAX_MESSAGE_BYTES,
        );
        let complete = commit.counts.is_complete() && !commit.counts.notified;
        if complete {
            messages.push(PipelineMessage::UploadComplete {
                upload_id: batch.upload_id.clone(),
                vendor_id: batch.vendor_id.clone(),
            });
        }
        self.queues.lane(lane).send(&messages).await?;

        let elapsed = started.elapsed();
        tracing::info!(
            rows = batch.items.len(),
            valid = commit.newly_valid,
            invalid = commit.newly_invalid.len(),
            lost_races = commit.lost_races,
            mode = upload.mode.as_str(),
            created = commit.changes.created,
            updated = commit.changes.updated,
            unchanged = commit.changes.unchanged,
            complete,
            elapsed_ms = elapsed.as_millis() as f64,
            "batch judged"
        );
        MetricRecord::for_upload(FUNCTION, &batch.upload_id, &batch.vendor_id)
            .metric(
                "ProductsValidated",
                Unit::Count,
                f64::from(commit.newly_valid),
            )
            .metric(
                "RowsRejected",
                Unit::Count,
                commit.newly_invalid.len() as f64,
            )
            .emit();
        MetricRecord::for_upload(FUNCTION, &batch.upload_id, &batch.vendor_id)
            .stage_duration("validate", elapsed)
            .emit();
        let mut by_type = std::collections::BTreeMap::new();
        for row in &commit.newly_invalid {
            for error in row.errors() {
                *by_type.entry(error.error_type.as_str()).or_insert(0u32) += 1;
            }
        }
        for (error_type, count) in by_type {
            MetricRecord::for_upload(FUNCTION, &batch.upload_id, &batch.vendor_id)
                // A property, not a dimension: one series instead of twelve
                // (docs/COST.md); the dashboard groups by it in Logs Insights.
                .property("ErrorType", error_type)
                .metric("ValidationErrors", Unit::Count, f64::from(count))
                .emit();
        }
        Ok(())
    }

    async fn categories(&self, pool: &sqlx::PgPool) -> Result<Arc<CategoryWhitelist>, BatchError> {
        if let Some((loaded, whitelist)) = self.categories.read().await.as_ref()
            && loaded.elapsed() < CATEGORY_REFRESH
        {
            return Ok(whitelist.clone());
        }
        let whitelist = Arc::new(PgCatalog::new(pool.clone()).categories().await?);
        *self.categories.write().await = Some((Instant::now(), whitelist.clone()));
        Ok(whitelist)
    }
}

fn read_row(record: EventRecord) -> Result<StagedRow, String> {
    staged_row_from_image(record.change.new_image).map_err(|e| e.to_string())
}

/// The vendor's row as column → cell, stored with each error.
fn original_data(columns: &[String], fields: &[String]) -> serde_json::Value {
    let mut object = serde_json::Map::new();
    for (i, cell) in fields.iter().enumerate() {
        let name = columns
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("column_{}", i + 1));
        object.insert(name, serde_json::Value::String(cell.clone()));
    }
    serde_json::Value::Object(object)
}

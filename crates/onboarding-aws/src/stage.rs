//! What the three pipeline functions share around their handlers: serving
//! invocations and releasing the database after each, how long to wait for
//! a resuming database, the failures every stage can meet, and splitting a
//! batch by upload. A function's `main` builds its clients and handler and
//! calls [`serve`]; its handler holds only the stage's own logic.

use std::collections::HashMap;
use std::fmt::{Debug, Display};
use std::future::Future;
use std::time::Duration;

use lambda_runtime::{Diagnostic, LambdaEvent};
use onboarding_core::{PipelineMessage, StagedRow, UploadId, VendorId};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::contract::Contract;
use crate::database::{Database, DatabaseError};
use crate::{AwsError, BatchResponse};

/// A pipeline function's handler, as [`serve`] runs it.
pub trait PipelineFunction: Sync {
    type Event: DeserializeOwned + Send;
    type Response: Serialize;
    type Error: Into<Diagnostic> + Debug;

    /// The database whose connections are released after every invocation.
    fn database(&self) -> &Database;

    fn handle(
        &self,
        event: Self::Event,
    ) -> impl Future<Output = Result<Self::Response, Self::Error>> + Send;
}

/// Serves invocations until the runtime stops, releasing the stage's
/// database connections after each one (see
/// [`Database::release_connections`]).
pub async fn serve<F: PipelineFunction>(function: &F) -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: LambdaEvent<F::Event>| async move {
            let outcome = function.handle(event.payload).await;
            function.database().release_connections().await;
            outcome
        },
    ))
    .await
}

/// How long a pipeline function keeps trying to reach PostgreSQL
/// ([`Database::retrying`]) before failing the invocation, which Lambda then
/// retries: half its timeout in the contract. A paused Aurora cluster takes
/// ~15 s to resume, so the batch is delayed, not failed, and still has the
/// other half of its time to run.
pub fn connect_retry_budget(function: &str) -> Duration {
    Duration::from_secs(u64::from(Contract::get().function(function).timeout_s) / 2)
}

/// A stage's failure: a query, reaching the database, an AWS call, an
/// upload that is not on record, or the stage's own `Reason`.
#[derive(Debug, thiserror::Error)]
pub enum StageError<Reason: std::error::Error + 'static> {
    #[error(transparent)]
    Db(#[from] onboarding_db::DbError),
    #[error(transparent)]
    Database(#[from] DatabaseError),
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error("upload {0} is not in upload_history")]
    UnknownUpload(UploadId),
    #[error(transparent)]
    Stage(Reason),
}

/// A stage's own reason for failing, with the `errorType` Lambda records
/// for it when it fails an invocation.
pub trait StageReason: std::error::Error + 'static {
    fn error_type(&self) -> &'static str;
}

impl<Reason: StageReason> From<StageError<Reason>> for Diagnostic {
    fn from(error: StageError<Reason>) -> Diagnostic {
        let error_type = match &error {
            StageError::Aws(_) => "AwsError",
            StageError::Db(_) | StageError::Database(_) => "DatabaseError",
            StageError::UnknownUpload(_) => "UnknownUpload",
            StageError::Stage(reason) => reason.error_type(),
        };
        Diagnostic {
            error_type: error_type.into(),
            error_message: error.to_string(),
        }
    }
}

/// An item of a batch that belongs to one upload.
pub trait UploadItem {
    fn upload_id(&self) -> &UploadId;
    /// As the item says: acted on only once it matches the upload's record.
    fn vendor_id(&self) -> &VendorId;
}

impl UploadItem for StagedRow {
    fn upload_id(&self) -> &UploadId {
        &self.upload_id
    }
    fn vendor_id(&self) -> &VendorId {
        &self.vendor_id
    }
}

impl UploadItem for PipelineMessage {
    fn upload_id(&self) -> &UploadId {
        PipelineMessage::upload_id(self)
    }
    fn vendor_id(&self) -> &VendorId {
        PipelineMessage::vendor_id(self)
    }
}

/// One upload's share of a batch.
pub struct UploadGroup<T> {
    pub upload_id: UploadId,
    /// As the first item says; see [`UploadItem::vendor_id`].
    pub vendor_id: VendorId,
    /// In batch order.
    pub items: Vec<T>,
    /// The batch's identifiers of those items (stream sequence numbers, SQS
    /// message ids), reported back if the group's work fails.
    item_ids: Vec<String>,
}

/// Splits a batch of `(identifier, item)` by upload, in order of each
/// upload's first item.
pub fn group_by_upload<T: UploadItem>(
    items: impl IntoIterator<Item = (String, T)>,
) -> Vec<UploadGroup<T>> {
    let mut groups: Vec<UploadGroup<T>> = Vec::new();
    let mut index: HashMap<UploadId, usize> = HashMap::new();
    for (id, item) in items {
        let at = *index.entry(item.upload_id().clone()).or_insert_with(|| {
            groups.push(UploadGroup {
                upload_id: item.upload_id().clone(),
                vendor_id: item.vendor_id().clone(),
                items: Vec::new(),
                item_ids: Vec::new(),
            });
            groups.len() - 1
        });
        groups[at].item_ids.push(id);
        groups[at].items.push(item);
    }
    groups
}

/// Runs `work` on each group in turn, inside a span that carries its upload;
/// a group whose work fails has its items reported back in `response`, so
/// that only they are retried.
pub async fn settle_each<T, E, F, Fut>(
    groups: Vec<UploadGroup<T>>,
    response: &mut BatchResponse,
    work: F,
) where
    E: Display,
    F: Fn(UploadGroup<T>) -> Fut,
    Fut: Future<Output = Result<(), E>>,
{
    for mut group in groups {
        let span = tracing::info_span!(
            "upload",
            upload_id = %group.upload_id,
            vendor_id = %group.vendor_id,
            lane = tracing::field::Empty
        );
        let item_ids = std::mem::take(&mut group.item_ids);
        if let Err(error) = work(group).instrument(span.clone()).await {
            span.in_scope(|| {
                tracing::error!(%error, items = item_ids.len(), "the upload's share of the batch failed; its items will be retried")
            });
            for id in item_ids {
                response.fail(id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UPLOAD_A: &str = "UPLOAD_20261206_081200_0123456789AB";
    const UPLOAD_B: &str = "UPLOAD_20261206_081200_FEDCBA987654";

    fn notice(upload: &str) -> PipelineMessage {
        PipelineMessage::UploadComplete {
            upload_id: UploadId::parse(upload).unwrap(),
            vendor_id: VendorId::parse("VEND001").unwrap(),
        }
    }

    #[test]
    fn groups_keep_first_seen_order_and_every_identifier() {
        let (a, b) = (UPLOAD_A, UPLOAD_B);
        let groups = group_by_upload([
            ("1".to_string(), notice(a)),
            ("2".to_string(), notice(b)),
            ("3".to_string(), notice(a)),
        ]);
        let seen: Vec<(&str, usize, &[String])> = groups
            .iter()
            .map(|g| (g.upload_id.as_str(), g.items.len(), g.item_ids.as_slice()))
            .collect();
        assert_eq!(
            seen,
            vec![
                (a, 2, &["1".to_string(), "3".to_string()][..]),
                (b, 1, &["2".to_string()][..]),
            ]
        );
    }

    #[tokio::test]
    async fn a_failed_group_reports_only_its_own_items() {
        let (a, b) = (UPLOAD_A, UPLOAD_B);
        let groups = group_by_upload([
            ("1".to_string(), notice(a)),
            ("2".to_string(), notice(b)),
            ("3".to_string(), notice(a)),
        ]);
        let mut response = BatchResponse::default();
        settle_each(groups, &mut response, |group| {
            let fails = group.upload_id.as_str() == a;
            async move { if fails { Err("boom") } else { Ok(()) } }
        })
        .await;
        let failed: Vec<&str> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(failed, ["1", "3"]);
    }

    #[test]
    fn every_pipeline_function_outwaits_an_aurora_resume_and_keeps_time_to_work() {
        for function in ["csv-parser", "product-validator", "error-processor"] {
            let timeout =
                Duration::from_secs(u64::from(Contract::get().function(function).timeout_s));
            let budget = connect_retry_budget(function);
            assert!(budget >= Duration::from_secs(15), "{function}: {budget:?}");
            assert!(
                timeout - budget >= Duration::from_secs(15),
                "{function}: {budget:?} of {timeout:?}"
            );
        }
    }
}

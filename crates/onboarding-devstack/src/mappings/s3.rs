//! S3 notifications → csv-parser.
//!
//! Long-polls the `-s3-events` queue. `s3:TestEvent` messages are deleted.
//! Each record is normalized into the AWS shape ([`crate::s3_event`]) and
//! invoked as `{"Records": [record]}`. A message whose records all
//! succeeded is deleted; otherwise it becomes visible again after
//! [`S3Mapping::retry_delay`], and the queue's redrive policy moves it to
//! `-csv-parser-dlq` after `maxReceiveCount` receives (Lambda's asynchronous
//! retries and DLQ). Up to [`S3Mapping::concurrency`] messages are in flight.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use serde_json::{Value, json};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use super::{StatsCell, or_shutdown};
use crate::aws::StackClients;
use crate::faults::{Deliverer, DuplicateMode};
use crate::runtime::FunctionPool;
use crate::s3_event::{RecordContext, decode_key, normalize_record};

pub struct S3Mapping {
    pub clients: StackClients,
    pub queue_url: String,
    pub pool: FunctionPool,
    pub deliverer: Arc<Deliverer>,
    /// Messages in flight at once (the csv-parser's concurrency).
    pub concurrency: usize,
    /// How long a failed message stays invisible before its retry.
    pub retry_delay: Duration,
    pub stats: Arc<StatsCell>,
    /// Which object version each record stands for (moto's records carry none).
    pub versions: tokio::sync::Mutex<VersionClaims>,
}

/// Object versions already matched to notification records.
#[derive(Default)]
pub struct VersionClaims {
    by_record: HashMap<String, String>,
    taken: HashSet<(String, String, String)>,
}

impl S3Mapping {
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let permits = Arc::new(Semaphore::new(self.concurrency.max(1)));
        let mut tasks = JoinSet::new();
        loop {
            let Some(first) =
                or_shutdown(&mut shutdown, Arc::clone(&permits).acquire_owned()).await
            else {
                break;
            };
            let Ok(first) = first else { break };
            let max = (1 + permits.available_permits()).min(10) as i32;
            let receive = self
                .clients
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(max)
                .wait_time_seconds(1)
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .send();
            let Some(received) = or_shutdown(&mut shutdown, receive).await else {
                break;
            };
            let messages = match received {
                Ok(out) => out.messages.unwrap_or_default(),
                Err(e) => {
                    tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(&e), "receiving S3 events");
                    drop(first);
                    if or_shutdown(&mut shutdown, tokio::time::sleep(Duration::from_secs(1)))
                        .await
                        .is_none()
                    {
                        break;
                    }
                    continue;
                }
            };
            let mut first = Some(first);
            for message in messages {
                let permit = match first.take() {
                    Some(permit) => permit,
                    None => match Arc::clone(&permits).acquire_owned().await {
                        Ok(permit) => permit,
                        Err(_) => break,
                    },
                };
                let this = Arc::clone(&self);
                tasks.spawn(async move {
                    this.handle(message).await;
                    drop(permit);
                });
            }
            while tasks.try_join_next().is_some() {}
        }
        while tasks.join_next().await.is_some() {}
    }

    async fn handle(&self, message: Message) {
        self.stats.update(|s| s.s3_messages += 1);
        let message_id = message.message_id().unwrap_or_default().to_string();
        let Some(receipt) = message.receipt_handle().map(str::to_string) else {
            return;
        };
        let body: Value = match serde_json::from_str(message.body().unwrap_or_default()) {
            Ok(body) => body,
            Err(e) => {
                tracing::warn!(%message_id, error = %e, "S3 events message is not JSON");
                self.retry_later(&receipt).await;
                return;
            }
        };
        if body.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
            self.stats.update(|s| s.s3_test_events += 1);
            self.delete(&receipt).await;
            return;
        }
        let Some(records) = body.get("Records").and_then(Value::as_array) else {
            tracing::warn!(%message_id, "S3 events message has no Records");
            self.retry_later(&receipt).await;
            return;
        };
        let mut all_succeeded = true;
        for (index, raw) in records.iter().enumerate() {
            let version = self
                .version_for(raw, &format!("{message_id}/{index}"))
                .await;
            let context = RecordContext {
                region: &self.clients.region,
                version_id: version.as_deref(),
                request_id: &message_id,
            };
            let record = match normalize_record(raw, &context) {
                Ok(record) => record,
                Err(e) => {
                    tracing::warn!(%message_id, error = %e, "cannot normalize an S3 record");
                    all_succeeded = false;
                    continue;
                }
            };
            let event = json!({ "Records": [record] });
            match self
                .deliverer
                .deliver(&self.pool, &event, DuplicateMode::Mixed)
                .await
            {
                Ok(_) => self.stats.update(|s| s.s3_records_succeeded += 1),
                Err(e) => {
                    let key = raw
                        .pointer("/s3/object/key")
                        .and_then(Value::as_str)
                        .map(decode_key)
                        .unwrap_or_default();
                    tracing::warn!(%message_id, error = %e, %key, "csv-parser invocation failed; the event will be retried");
                    self.stats.update(|s| s.s3_records_failed += 1);
                    all_succeeded = false;
                }
            }
        }
        if all_succeeded {
            self.delete(&receipt).await;
        } else {
            self.retry_later(&receipt).await;
        }
    }

    async fn delete(&self, receipt: &str) {
        if let Err(e) = self
            .clients
            .sqs
            .delete_message()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt)
            .send()
            .await
        {
            tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(&e), "deleting an S3 events message");
        }
    }

    async fn retry_later(&self, receipt: &str) {
        if let Err(e) = self
            .clients
            .sqs
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt)
            .visibility_timeout(self.retry_delay.as_secs() as i32)
            .send()
            .await
        {
            tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(&e), "rescheduling an S3 events message");
        }
    }

    /// The object version a record stands for. The record's own `versionId`
    /// if it has one; otherwise the oldest version of the key with the
    /// record's ETag that no other record claimed yet (the latest if all are
    /// claimed). A retried message keeps its first answer.
    async fn version_for(&self, raw: &Value, claim: &str) -> Option<String> {
        if let Some(version) = raw.pointer("/s3/object/versionId").and_then(Value::as_str) {
            return Some(version.to_string());
        }
        let bucket = raw.pointer("/s3/bucket/name").and_then(Value::as_str)?;
        let key = decode_key(raw.pointer("/s3/object/key").and_then(Value::as_str)?);
        let etag = raw
            .pointer("/s3/object/eTag")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim_matches('"')
            .to_string();
        let mut claims = self.versions.lock().await;
        if let Some(version) = claims.by_record.get(claim) {
            return Some(version.clone());
        }
        let listed = self
            .clients
            .s3
            .list_object_versions()
            .bucket(bucket)
            .prefix(&key)
            .send()
            .await;
        let mut candidates: Vec<(aws_sdk_s3::primitives::DateTime, String)> = match listed {
            Ok(out) => out
                .versions
                .unwrap_or_default()
                .into_iter()
                .filter(|v| v.key() == Some(key.as_str()))
                .filter(|v| v.e_tag().map(|t| t.trim_matches('"')) == Some(etag.as_str()))
                .filter_map(|v| Some((v.last_modified?, v.version_id?)))
                .filter(|(_, id)| id != "null")
                .collect(),
            Err(e) => {
                tracing::warn!(error = %aws_sdk_s3::error::DisplayErrorContext(&e), bucket, key, "listing object versions");
                return None;
            }
        };
        candidates.sort_by_key(|c| c.0);
        let chosen = candidates
            .iter()
            .find(|(_, id)| {
                !claims
                    .taken
                    .contains(&(bucket.to_string(), key.clone(), id.clone()))
            })
            .or(candidates.last())
            .map(|(_, id)| id.clone())?;
        claims
            .taken
            .insert((bucket.to_string(), key, chosen.clone()));
        claims.by_record.insert(claim.to_string(), chosen.clone());
        Some(chosen)
    }
}

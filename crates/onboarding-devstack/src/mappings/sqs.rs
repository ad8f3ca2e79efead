//! The errors queue → error-processor.
//!
//! Like a Lambda SQS event source mapping with `ReportBatchItemFailures`:
//! each poller receives up to `batch_size` messages (waiting up to the
//! batching window after the first one), invokes with the SQS event, and
//! deletes every message the response does not list in
//! `batchItemFailures`. An invocation error deletes none. Messages left
//! behind come back after the queue's visibility timeout, and the queue's
//! redrive policy moves them to the DLQ after `maxReceiveCount` receives.
//! The stack runs one poller per allowed instance (maximum concurrency).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use base64::Engine;
use serde_json::{Value, json};
use tokio::sync::watch;

use super::{StatsCell, or_shutdown};
use crate::aws::StackClients;
use crate::faults::{Deliverer, DuplicateMode};
use crate::runtime::FunctionPool;

pub struct SqsMapping {
    pub clients: StackClients,
    pub queue_url: String,
    pub queue_arn: String,
    pub pool: FunctionPool,
    pub deliverer: Arc<Deliverer>,
    pub batch_size: usize,
    pub batching_window: Duration,
    pub stats: Arc<StatsCell>,
}

/// The Lambda event JSON of one SQS message (`aws_lambda_events`'
/// `sqs::SqsMessage` shape).
pub fn lambda_sqs_message(message: &Message, queue_arn: &str, region: &str) -> Value {
    let base64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let attributes: serde_json::Map<String, Value> = message
        .attributes()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.as_str().to_string(), json!(v)))
        .collect();
    let message_attributes: serde_json::Map<String, Value> = message
        .message_attributes()
        .into_iter()
        .flatten()
        .map(|(name, value)| {
            let mut attribute = json!({
                "stringListValues": value.string_list_values(),
                "binaryListValues": value.binary_list_values().iter().map(|b| base64(b.as_ref())).collect::<Vec<_>>(),
                "dataType": value.data_type(),
            });
            if let Some(text) = value.string_value() {
                attribute["stringValue"] = json!(text);
            }
            if let Some(binary) = value.binary_value() {
                attribute["binaryValue"] = json!(base64(binary.as_ref()));
            }
            (name.clone(), attribute)
        })
        .collect();
    let mut record = json!({
        "messageId": message.message_id(),
        "receiptHandle": message.receipt_handle(),
        "body": message.body().unwrap_or_default(),
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message.md5_of_body(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    });
    if let Some(md5) = message.md5_of_message_attributes() {
        record["md5OfMessageAttributes"] = json!(md5);
    }
    record
}

/// The message ids a `ReportBatchItemFailures` response names, or `None`
/// when the response fails the whole batch (an id that is not in the batch).
fn failed_ids(response: &Value, batch_ids: &HashSet<&str>) -> Option<HashSet<String>> {
    let Some(failures) = response.get("batchItemFailures") else {
        return Some(HashSet::new());
    };
    let failures = match failures {
        Value::Null => return Some(HashSet::new()),
        Value::Array(failures) => failures,
        _ => return None,
    };
    let mut ids = HashSet::new();
    for failure in failures {
        let id = failure.get("itemIdentifier").and_then(Value::as_str)?;
        if !batch_ids.contains(id) {
            return None;
        }
        ids.insert(id.to_string());
    }
    Some(ids)
}

impl SqsMapping {
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        loop {
            let Some(batch) = self.gather(&mut shutdown).await else {
                break;
            };
            if batch.is_empty() {
                continue;
            }
            self.process(batch).await;
        }
    }

    /// Up to `batch_size` messages; `None` on shutdown.
    async fn gather(&self, shutdown: &mut watch::Receiver<bool>) -> Option<Vec<Message>> {
        let mut batch: Vec<Message> = Vec::new();
        let mut first_at: Option<Instant> = None;
        while batch.len() < self.batch_size.clamp(1, 10) {
            if first_at.is_some_and(|t| t.elapsed() >= self.batching_window) {
                break;
            }
            let want = (self.batch_size.clamp(1, 10) - batch.len()) as i32;
            let receive = self
                .clients
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(want)
                .wait_time_seconds(if batch.is_empty() { 1 } else { 0 })
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .message_attribute_names("All")
                .send();
            let received = or_shutdown(shutdown, receive).await;
            let received = match received {
                None if batch.is_empty() => return None,
                // Deliver what was received; the next gather sees the shutdown.
                None => break,
                Some(Ok(out)) => out.messages.unwrap_or_default(),
                Some(Err(e)) => {
                    tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(&e), "receiving from the errors queue");
                    if batch.is_empty() {
                        or_shutdown(shutdown, tokio::time::sleep(Duration::from_secs(1))).await?;
                        continue;
                    }
                    break;
                }
            };
            if received.is_empty() {
                if batch.is_empty() {
                    continue;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            first_at.get_or_insert_with(Instant::now);
            batch.extend(received);
        }
        Some(batch)
    }

    async fn process(&self, batch: Vec<Message>) {
        let event = json!({
            "Records": batch
                .iter()
                .map(|m| lambda_sqs_message(m, &self.queue_arn, &self.clients.region))
                .collect::<Vec<_>>(),
        });
        self.stats.update(|s| s.sqs_batches += 1);
        let ids: HashSet<&str> = batch.iter().filter_map(Message::message_id).collect();
        let failed = match self
            .deliverer
            .deliver(&self.pool, &event, DuplicateMode::Mixed)
            .await
        {
            Ok(response) => failed_ids(&response, &ids),
            Err(e) => {
                tracing::warn!(error = %e, messages = batch.len(), "error-processor invocation failed; the batch will be retried");
                None
            }
        };
        let Some(failed) = failed else {
            let count = batch.len() as u64;
            self.stats.update(|s| s.sqs_messages_failed += count);
            return;
        };
        let done: Vec<&Message> = batch
            .iter()
            .filter(|m| !failed.contains(m.message_id().unwrap_or_default()))
            .collect();
        let (done_count, failed_count) = (done.len() as u64, failed.len() as u64);
        self.stats.update(|s| {
            s.sqs_messages_deleted += done_count;
            s.sqs_messages_failed += failed_count;
        });
        for chunk in done.chunks(10) {
            let entries =
                crate::aws::delete_entries(chunk.iter().enumerate().map(|(i, m)| (i, *m)));
            if let Err(e) = self
                .clients
                .sqs
                .delete_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
            {
                tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(&e), "deleting processed errors-queue messages");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::sqs::SqsEvent;
    use aws_sdk_sqs::types::MessageAttributeValue;

    #[test]
    fn sqs_messages_become_lambda_sqs_events() {
        let message = Message::builder()
            .message_id("m-1")
            .receipt_handle("r-1")
            .body(r#"{"kind":"upload_complete","upload_id":"U","vendor_id":"V"}"#)
            .md5_of_body("abc")
            .attributes(MessageSystemAttributeName::ApproximateReceiveCount, "2")
            .attributes(MessageSystemAttributeName::SentTimestamp, "1795312080078")
            .message_attributes(
                "upload_id",
                MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value("U")
                    .build()
                    .unwrap(),
            )
            .build();
        let arn = "arn:aws:sqs:us-east-1:123456789012:q";
        let json = lambda_sqs_message(&message, arn, "us-east-1");
        assert_eq!(json["attributes"]["ApproximateReceiveCount"], "2");
        let event: SqsEvent = serde_json::from_value(json!({"Records": [json]})).unwrap();
        let parsed = &event.records[0];
        assert_eq!(parsed.message_id.as_deref(), Some("m-1"));
        assert_eq!(parsed.event_source_arn.as_deref(), Some(arn));
        assert_eq!(parsed.event_source.as_deref(), Some("aws:sqs"));
        assert_eq!(
            parsed.message_attributes["upload_id"]
                .string_value
                .as_deref(),
            Some("U")
        );
        assert_eq!(
            parsed.message_attributes["upload_id"].data_type.as_deref(),
            Some("String")
        );
    }

    #[test]
    fn batch_item_failures_select_messages_to_keep() {
        let ids: HashSet<&str> = ["a", "b"].into_iter().collect();
        assert_eq!(failed_ids(&Value::Null, &ids), Some(HashSet::new()));
        assert_eq!(
            failed_ids(
                &json!({"batchItemFailures": [{"itemIdentifier": "b"}]}),
                &ids
            ),
            Some(HashSet::from(["b".to_string()]))
        );
        assert_eq!(
            failed_ids(
                &json!({"batchItemFailures": [{"itemIdentifier": "zz"}]}),
                &ids
            ),
            None
        );
        assert_eq!(failed_ids(&json!({"batchItemFailures": "x"}), &ids), None);
    }
}

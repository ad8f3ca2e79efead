//! The error queue: row errors and completion notices for the error-processor.

use std::time::Duration;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{MessageAttributeValue, SendMessageBatchRequestEntry};
use onboarding_core::{Lane, PipelineMessage};

use crate::contract::ErrorQueueSettings;
use crate::{AwsError, describe};

const ENTRIES_PER_BATCH: usize = 10;
/// SendMessageBatch's limit is 256 KiB for the whole batch.
const BYTES_PER_BATCH: usize = 250 * 1024;
const MAX_ATTEMPTS: u32 = 5;

/// The error queue of each lane. The candidate lane's queue is read by the
/// error-processor's `candidate` alias, so a deployment's smoke upload runs
/// on the new versions end to end before `live` moves (docs/releases.md#the-candidate-lane-testing-new-versions-before-the-switch).
#[derive(Clone, Debug)]
pub struct ErrorQueues {
    live: ErrorQueue,
    candidate: ErrorQueue,
}

impl ErrorQueues {
    pub fn new(client: &Client, settings: &ErrorQueueSettings) -> ErrorQueues {
        ErrorQueues {
            live: ErrorQueue::new(client.clone(), settings.error_queue_url.clone()),
            candidate: ErrorQueue::new(client.clone(), settings.candidate_error_queue_url.clone()),
        }
    }

    pub fn lane(&self, lane: Lane) -> &ErrorQueue {
        match lane {
            Lane::Live => &self.live,
            Lane::Candidate => &self.candidate,
        }
    }
}

#[derive(Clone, Debug)]
pub struct ErrorQueue {
    client: Client,
    url: String,
}

impl ErrorQueue {
    pub fn new(client: Client, url: impl Into<String>) -> ErrorQueue {
        ErrorQueue {
            client,
            url: url.into(),
        }
    }

    /// Sends every message, batching up to ten per call, and retries the
    /// entries SQS reports as failed.
    pub async fn send(&self, messages: &[PipelineMessage]) -> Result<(), AwsError> {
        let bodies: Vec<(String, String)> = messages
            .iter()
            .map(|m| (m.upload_id().to_string(), m.to_json()))
            .collect();
        for batch in batches(&bodies) {
            self.send_batch(batch).await?;
        }
        Ok(())
    }

    async fn send_batch(&self, batch: &[(String, String)]) -> Result<(), AwsError> {
        let mut pending: Vec<usize> = (0..batch.len()).collect();
        let mut attempt = 0;
        while !pending.is_empty() {
            attempt += 1;
            let entries = pending
                .iter()
                .map(|&i| {
                    let (upload_id, body) = &batch[i];
                    let attribute = MessageAttributeValue::builder()
                        .data_type("String")
                        .string_value(upload_id)
                        .build()
                        .map_err(|e| AwsError::new("SendMessageBatch", &self.url, e))?;
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(body)
                        .message_attributes("upload_id", attribute)
                        .build()
                        .map_err(|e| AwsError::new("SendMessageBatch", &self.url, e))
                })
                .collect::<Result<Vec<_>, _>>()?;
            match self
                .client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
            {
                Ok(output) => {
                    pending = output
                        .failed
                        .iter()
                        .filter_map(|f| f.id.parse().ok())
                        .collect();
                    if !pending.is_empty() && attempt >= MAX_ATTEMPTS {
                        let reasons: Vec<String> = output
                            .failed
                            .iter()
                            .map(|f| {
                                format!("{}: {}", f.code, f.message.clone().unwrap_or_default())
                            })
                            .collect();
                        return Err(AwsError::new(
                            "SendMessageBatch",
                            &self.url,
                            reasons.join("; "),
                        ));
                    }
                }
                Err(error) if attempt < MAX_ATTEMPTS => {
                    tracing::warn!(queue = %self.url, attempt, error = %describe(&error), "SendMessageBatch failed; retrying");
                }
                Err(error) => {
                    return Err(AwsError::new(
                        "SendMessageBatch",
                        &self.url,
                        describe(&error),
                    ));
                }
            }
            if !pending.is_empty() {
                tokio::time::sleep(Duration::from_millis(100 << attempt.min(5))).await;
            }
        }
        Ok(())
    }
}

/// Groups bodies into SendMessageBatch calls: at most ten entries and
/// 250 KiB per call.
fn batches(bodies: &[(String, String)]) -> Vec<&[(String, String)]> {
    let mut result = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, (_, body)) in bodies.iter().enumerate() {
        let full = i - start == ENTRIES_PER_BATCH;
        if i > start && (full || bytes + body.len() > BYTES_PER_BATCH) {
            result.push(&bodies[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += body.len();
    }
    if start < bodies.len() {
        result.push(&bodies[start..]);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bodies(sizes: &[usize]) -> Vec<(String, String)> {
        sizes
            .iter()
            .map(|&n| ("U".to_string(), "x".repeat(n)))
            .collect()
    }

    #[test]
    fn batches_hold_at_most_ten_entries() {
        let all = bodies(&[10; 23]);
        let sizes: Vec<usize> = batches(&all).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, vec![10, 10, 3]);
    }

    #[test]
    fn batches_stay_under_the_byte_limit() {
        let all = bodies(&[200 * 1024, 100 * 1024, 100 * 1024, 10, 200 * 1024]);
        let sizes: Vec<usize> = batches(&all).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, vec![1, 3, 1]);
        assert!(batches(&[]).is_empty());
    }
}

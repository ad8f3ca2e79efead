//! Dead-letter queues: look at their messages without consuming them, send
//! them back where they came from (all, or one by message id), and count
//! them. Used by `onboard dlq` on the local stack and by the operator
//! console (`/api/admin/dead-letters`) in both places.

use std::collections::{BTreeMap, HashSet};

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry, Message,
    MessageSystemAttributeName, QueueAttributeName, SendMessageBatchRequestEntry,
};
use serde::Serialize;

use crate::AwsError;

/// How long listed messages stay hidden while the listing runs.
const PEEK_VISIBILITY_S: i32 = 30;

/// One dead letter.
#[derive(Clone, Debug, Serialize)]
pub struct DeadLetter {
    pub message_id: String,
    pub body: String,
    /// Receives so far, including the ones on the source queue.
    pub receive_count: Option<u32>,
    /// When it was first sent (to the source queue), epoch milliseconds.
    pub sent_timestamp: Option<u64>,
    /// String message attributes.
    pub attributes: BTreeMap<String, String>,
}

fn describe<E>(error: &aws_sdk_sqs::error::SdkError<E>) -> String
where
    E: std::error::Error + 'static,
{
    aws_sdk_sqs::error::DisplayErrorContext(error).to_string()
}

async fn receive_batch(sqs: &Client, url: &str, visibility: i32) -> Result<Vec<Message>, AwsError> {
    Ok(sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .visibility_timeout(visibility)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .message_attribute_names("All")
        .send()
        .await
        .map_err(|e| AwsError::new("ReceiveMessage", url, describe(&e)))?
        .messages
        .unwrap_or_default())
}

/// Makes received messages visible again at once.
async fn release(sqs: &Client, url: &str, handles: &[String]) -> Result<(), AwsError> {
    for chunk in handles.chunks(10) {
        let entries: Vec<_> = chunk
            .iter()
            .enumerate()
            .filter_map(|(i, handle)| {
                ChangeMessageVisibilityBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(handle)
                    .visibility_timeout(0)
                    .build()
                    .ok()
            })
            .collect();
        sqs.change_message_visibility_batch()
            .queue_url(url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| AwsError::new("ChangeMessageVisibilityBatch", url, describe(&e)))?;
    }
    Ok(())
}

/// Every message on the queue, without consuming any: they are received,
/// hidden while the listing runs, then made visible again.
pub async fn list(sqs: &Client, url: &str) -> Result<Vec<DeadLetter>, AwsError> {
    let mut letters = Vec::new();
    let mut handles = Vec::new();
    loop {
        let batch = receive_batch(sqs, url, PEEK_VISIBILITY_S).await?;
        if batch.is_empty() {
            break;
        }
        for message in batch {
            if let Some(handle) = message.receipt_handle() {
                handles.push(handle.to_string());
            }
            letters.push(dead_letter(&message));
        }
    }
    release(sqs, url, &handles).await?;
    Ok(letters)
}

fn dead_letter(message: &Message) -> DeadLetter {
    let system = |name: MessageSystemAttributeName| {
        message
            .attributes()
            .and_then(|a| a.get(&name))
            .and_then(|v| v.parse().ok())
    };
    DeadLetter {
        message_id: message.message_id().unwrap_or_default().to_string(),
        body: message.body().unwrap_or_default().to_string(),
        receive_count: system(MessageSystemAttributeName::ApproximateReceiveCount)
            .map(|n: u64| n as u32),
        sent_timestamp: system(MessageSystemAttributeName::SentTimestamp),
        attributes: message
            .message_attributes()
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.clone(), v.string_value()?.to_string())))
            .collect(),
    }
}

/// Delete entries for received messages, numbered by their position.
pub fn delete_entries<'a>(
    messages: impl IntoIterator<Item = (usize, &'a Message)>,
) -> Vec<DeleteMessageBatchRequestEntry> {
    messages
        .into_iter()
        .filter_map(|(i, m)| {
            DeleteMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .receipt_handle(m.receipt_handle()?)
                .build()
                .ok()
        })
        .collect()
}

/// Attempts at finding one message: a concurrent [`list`] (another console
/// view) hides every message for the moment it takes.
const FIND_ATTEMPTS: u32 = 10;

/// Moves messages from `from` to `to` (body and message attributes),
/// deleting each from `from` once it was sent; returns how many moved.
/// With `only`, just the message with that id moves (looked for again a
/// few times while a concurrent listing hides it); the others are made
/// visible again.
pub async fn redrive(
    sqs: &Client,
    from: &str,
    to: &str,
    only: Option<&str>,
) -> Result<usize, AwsError> {
    let attempts = if only.is_some() { FIND_ATTEMPTS } else { 1 };
    for attempt in 1..=attempts {
        let moved = redrive_once(sqs, from, to, only).await?;
        if moved > 0 || attempt == attempts {
            return Ok(moved);
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    Ok(0)
}

async fn redrive_once(
    sqs: &Client,
    from: &str,
    to: &str,
    only: Option<&str>,
) -> Result<usize, AwsError> {
    let mut moved = 0;
    let mut passed_over = Vec::new();
    loop {
        let batch = receive_batch(sqs, from, PEEK_VISIBILITY_S).await?;
        if batch.is_empty() {
            break;
        }
        let (chosen, others): (Vec<&Message>, Vec<&Message>) = batch
            .iter()
            .partition(|m| only.is_none_or(|id| m.message_id() == Some(id)));
        passed_over.extend(
            others
                .iter()
                .filter_map(|m| m.receipt_handle().map(str::to_string)),
        );
        if chosen.is_empty() {
            continue;
        }
        let entries: Vec<SendMessageBatchRequestEntry> = chosen
            .iter()
            .enumerate()
            .filter_map(|(i, m)| {
                SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(m.body().unwrap_or_default())
                    .set_message_attributes(m.message_attributes().cloned())
                    .build()
                    .ok()
            })
            .collect();
        let sent = sqs
            .send_message_batch()
            .queue_url(to)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| AwsError::new("SendMessageBatch", to, describe(&e)))?;
        let failed: HashSet<String> = sent.failed.iter().map(|f| f.id.clone()).collect();
        let deletes = delete_entries(
            chosen
                .iter()
                .copied()
                .enumerate()
                .filter(|(i, _)| !failed.contains(&i.to_string())),
        );
        moved += deletes.len();
        if !deletes.is_empty() {
            sqs.delete_message_batch()
                .queue_url(from)
                .set_entries(Some(deletes))
                .send()
                .await
                .map_err(|e| AwsError::new("DeleteMessageBatch", from, describe(&e)))?;
        }
        if !failed.is_empty() {
            release(sqs, from, &passed_over).await?;
            return Err(AwsError::new(
                "SendMessageBatch",
                to,
                format!(
                    "{} messages could not be sent back; they stay on {from}",
                    failed.len()
                ),
            ));
        }
        if only.is_some() {
            break;
        }
    }
    release(sqs, from, &passed_over).await?;
    Ok(moved)
}

/// Messages on the queue now (SQS's approximate count, visible and in flight).
pub async fn depth(sqs: &Client, url: &str) -> Result<u64, AwsError> {
    let answer = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .map_err(|e| AwsError::new("GetQueueAttributes", url, describe(&e)))?;
    let attributes = answer.attributes.unwrap_or_default();
    let count = |name: QueueAttributeName| {
        attributes
            .get(&name)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Ok(count(QueueAttributeName::ApproximateNumberOfMessages)
        + count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible))
}

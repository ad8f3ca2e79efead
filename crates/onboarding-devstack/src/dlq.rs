//! Dead letters: look at them, and send them back.
//!
//! - `errors`: `-errors-dlq`, redriven to `-errors`;
//! - `parser`: `-csv-parser-dlq` (S3 events the csv-parser failed on), redriven
//!   to `-s3-events`, which invokes the csv-parser again;
//! - `stream`: `-stream-failures`, descriptions of stream records the
//!   product-validator gave up on. They describe records rather than carry
//!   events, so they are listed, not redriven.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, Message, MessageSystemAttributeName,
    SendMessageBatchRequestEntry,
};
use serde::Serialize;

use crate::DevstackError;
use crate::aws::AwsClients;
use crate::env::{StackEnv, keys};

/// How long listed messages stay hidden while the listing runs.
const PEEK_VISIBILITY_S: i32 = 30;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeadLetterQueue {
    Errors,
    Parser,
    Stream,
}

impl DeadLetterQueue {
    pub const ALL: [DeadLetterQueue; 3] = [
        DeadLetterQueue::Errors,
        DeadLetterQueue::Parser,
        DeadLetterQueue::Stream,
    ];

    /// The dead-letter queue's URL in a stack environment.
    pub fn url(self, env: &StackEnv) -> Result<String, DevstackError> {
        let key = match self {
            DeadLetterQueue::Errors => keys::ERROR_DLQ_URL,
            DeadLetterQueue::Parser => keys::PARSER_DLQ_URL,
            DeadLetterQueue::Stream => keys::STREAM_FAILURES_QUEUE_URL,
        };
        Ok(env.require(key)?.to_string())
    }

    /// Where redriven messages go (`None` for stream failures).
    pub fn source_url(self, env: &StackEnv) -> Result<Option<String>, DevstackError> {
        let key = match self {
            DeadLetterQueue::Errors => keys::ERROR_QUEUE_URL,
            DeadLetterQueue::Parser => keys::S3_EVENTS_QUEUE_URL,
            DeadLetterQueue::Stream => return Ok(None),
        };
        Ok(Some(env.require(key)?.to_string()))
    }
}

impl fmt::Display for DeadLetterQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeadLetterQueue::Errors => "errors",
            DeadLetterQueue::Parser => "parser",
            DeadLetterQueue::Stream => "stream",
        })
    }
}

impl FromStr for DeadLetterQueue {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "errors" => Ok(DeadLetterQueue::Errors),
            "parser" => Ok(DeadLetterQueue::Parser),
            "stream" => Ok(DeadLetterQueue::Stream),
            other => Err(format!("unknown queue {other:?}: errors, parser or stream")),
        }
    }
}

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

async fn receive_batch(
    clients: &AwsClients,
    url: &str,
    visibility: i32,
) -> Result<Vec<Message>, DevstackError> {
    Ok(clients
        .sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .visibility_timeout(visibility)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .message_attribute_names("All")
        .send()
        .await
        .map_err(|e| DevstackError::aws("sqs ReceiveMessage", e))?
        .messages
        .unwrap_or_default())
}

/// Every message on the queue, without consuming any: they are received,
/// hidden while the listing runs, then made visible again.
pub async fn list(clients: &AwsClients, url: &str) -> Result<Vec<DeadLetter>, DevstackError> {
    let mut letters = Vec::new();
    let mut handles = Vec::new();
    loop {
        let batch = receive_batch(clients, url, PEEK_VISIBILITY_S).await?;
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
        clients
            .sqs
            .change_message_visibility_batch()
            .queue_url(url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| DevstackError::aws("sqs ChangeMessageVisibilityBatch", e))?;
    }
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

/// Moves every message from `from` to `to` (body and message attributes),
/// deleting each from `from` once it was sent; returns how many moved.
pub async fn redrive(clients: &AwsClients, from: &str, to: &str) -> Result<usize, DevstackError> {
    let mut moved = 0;
    loop {
        let batch = receive_batch(clients, from, PEEK_VISIBILITY_S).await?;
        if batch.is_empty() {
            return Ok(moved);
        }
        let entries: Vec<SendMessageBatchRequestEntry> = batch
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
        let sent = clients
            .sqs
            .send_message_batch()
            .queue_url(to)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| DevstackError::aws("sqs SendMessageBatch (redrive)", e))?;
        let failed: std::collections::HashSet<String> =
            sent.failed.iter().map(|f| f.id.clone()).collect();
        let deletes = crate::aws::delete_entries(
            batch
                .iter()
                .enumerate()
                .filter(|(i, _)| !failed.contains(&i.to_string())),
        );
        moved += deletes.len();
        if !deletes.is_empty() {
            clients
                .sqs
                .delete_message_batch()
                .queue_url(from)
                .set_entries(Some(deletes))
                .send()
                .await
                .map_err(|e| DevstackError::aws("sqs DeleteMessageBatch (redrive)", e))?;
        }
        if !failed.is_empty() {
            return Err(DevstackError::Other(format!(
                "{} messages could not be sent back to {to}; they stay on {from}",
                failed.len()
            )));
        }
    }
}

//! Dead letters: look at them, and send them back.
//!
//! - `errors`: `-errors-dlq`, redriven to `-errors`;
//! - `parser`: `-csv-parser-dlq` (S3 events the csv-parser failed on), redriven
//!   to `-s3-events`, which invokes the csv-parser again;
//! - `stream`: `-stream-failures`, descriptions of stream records the
//!   product-validator gave up on. They describe records rather than carry
//!   events, so they are listed, not redriven.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::DevstackError;
use crate::aws::StackClients;
use crate::env::{StackEnv, keys};

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

pub use onboarding_aws::dead_letters::DeadLetter;

fn aws(error: onboarding_aws::AwsError) -> DevstackError {
    DevstackError::Other(error.to_string())
}

/// Every message on the queue, without consuming any.
pub async fn list(clients: &StackClients, url: &str) -> Result<Vec<DeadLetter>, DevstackError> {
    onboarding_aws::dead_letters::list(&clients.sqs, url)
        .await
        .map_err(aws)
}

/// Moves every message from `from` to `to`; returns how many moved.
pub async fn redrive(clients: &StackClients, from: &str, to: &str) -> Result<usize, DevstackError> {
    onboarding_aws::dead_letters::redrive(&clients.sqs, from, to, None)
        .await
        .map_err(aws)
}

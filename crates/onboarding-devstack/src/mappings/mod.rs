//! Event source mappings: the pollers that feed the functions the way
//! Lambda's own event source mappings do.
//!
//! - [`s3`]: S3 notifications (through the `-s3-events` queue, since the
//!   emulator cannot invoke functions) → csv-parser, one record per
//!   invocation, like S3's asynchronous invocations; a failed event is
//!   retried and, after the queue's `maxReceiveCount`, lands in `-csv-parser-dlq`.
//! - [`stream`]: the staging table's stream → product-validator, `INSERT`
//!   records only, in batches, with `ReportBatchItemFailures`, retries and an
//!   on-failure destination.
//! - [`sqs`]: the errors queue → error-processor, batches of up to 10 with
//!   `ReportBatchItemFailures`.

pub mod s3;
pub mod sqs;
pub mod stream;

use std::future::Future;
use std::sync::Mutex;

use serde::Serialize;
use tokio::sync::watch;

/// Counters of the event source mappings, cumulative.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EventSourceStats {
    /// Notification messages received from the S3 events queue.
    pub s3_messages: u64,
    /// `s3:TestEvent` messages deleted.
    pub s3_test_events: u64,
    /// S3 records whose invocation succeeded.
    pub s3_records_succeeded: u64,
    /// S3 record invocations that failed (the message is retried).
    pub s3_records_failed: u64,
    /// Stream records read.
    pub stream_records_read: u64,
    /// Stream records dropped by the `INSERT` filter.
    pub stream_records_filtered_out: u64,
    /// Stream batches delivered (first deliveries and retries).
    pub stream_batches: u64,
    /// Stream batch deliveries that failed in part or whole.
    pub stream_batch_failures: u64,
    /// Stream records given up on and described on the stream-failures queue.
    pub stream_records_abandoned: u64,
    /// Errors queue batches delivered.
    pub sqs_batches: u64,
    /// Errors queue messages deleted after success.
    pub sqs_messages_deleted: u64,
    /// Errors queue messages left for redelivery.
    pub sqs_messages_failed: u64,
}

/// Shared counters.
#[derive(Default)]
pub struct StatsCell(Mutex<EventSourceStats>);

impl StatsCell {
    pub fn update(&self, change: impl FnOnce(&mut EventSourceStats)) {
        change(&mut self.0.lock().unwrap_or_else(|e| e.into_inner()));
    }

    pub fn snapshot(&self) -> EventSourceStats {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Runs `work` unless shutdown is (or becomes) signalled first.
pub(crate) async fn or_shutdown<F: Future>(
    shutdown: &mut watch::Receiver<bool>,
    work: F,
) -> Option<F::Output> {
    if *shutdown.borrow() {
        return None;
    }
    tokio::select! {
        out = work => Some(out),
        _ = shutdown.wait_for(|stop| *stop) => None,
    }
}

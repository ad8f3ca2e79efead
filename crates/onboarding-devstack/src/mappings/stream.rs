//! The staging table's stream → product-validator.
//!
//! Like a Lambda DynamoDB event source mapping with the Terraform settings:
//! - every shard is read from `TRIM_HORIZON` (or after the checkpoint saved
//!   in the state directory), children after their parents finished;
//! - only `INSERT` records are delivered (the `{eventName: ["INSERT"]}`
//!   filter); filtered-out records still move the checkpoint;
//! - a batch is up to `batch_size` records, or what arrived within the
//!   batching window after the first record; one batch per shard is in
//!   flight, in order;
//! - the response is read as `ReportBatchItemFailures`: the shard goes back
//!   to the lowest failed sequence number and retries from there; an
//!   invocation error (or an unknown item identifier) retries the whole batch;
//! - after `max_retries` retries of a batch starting at the same record, its
//!   records are described on the stream-failures queue and the shard moves
//!   past them.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodbstreams::error::ProvideErrorMetadata;
use aws_sdk_dynamodbstreams::types::{OperationType, Record, ShardIteratorType};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::{StatsCell, or_shutdown};
use crate::DevstackError;
use crate::aws::StackClients;
use crate::faults::{Deliverer, DuplicateMode};
use crate::runtime::FunctionPool;

/// How often an idle shard is polled (Lambda: four times a second).
const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// How often the stream is described to find new shards.
const DESCRIBE_INTERVAL: Duration = Duration::from_secs(2);

pub struct StreamMapping {
    pub clients: StackClients,
    pub stream_arn: String,
    pub failures_queue_url: String,
    pub pool: FunctionPool,
    pub deliverer: Arc<Deliverer>,
    pub batch_size: usize,
    /// Batches of one shard in flight at once (Lambda's
    /// `ParallelizationFactor`), each on its own partition keys.
    pub parallelization_factor: usize,
    pub batching_window: Duration,
    pub max_retries: u32,
    pub stats: Arc<StatsCell>,
    /// `<state_dir>/stream-checkpoints.json`.
    pub checkpoint_path: PathBuf,
    pub checkpoint_lock: std::sync::Mutex<()>,
}

/// The Lambda event JSON of one stream record (`aws_lambda_events`'
/// `dynamodb::EventRecord` shape).
pub fn lambda_stream_record(record: &Record, stream_arn: &str, region: &str) -> Value {
    let change = record.dynamodb();
    let item = |map: Option<&HashMap<String, aws_sdk_dynamodbstreams::types::AttributeValue>>| {
        map.map(|map| {
            let converted: HashMap<String, serde_dynamo::AttributeValue> = map
                .iter()
                .map(|(k, v)| (k.clone(), serde_dynamo::AttributeValue::from(v.clone())))
                .collect();
            serde_json::to_value(converted).unwrap_or(Value::Null)
        })
    };
    let mut dynamodb = serde_json::Map::new();
    if let Some(time) = change.and_then(|c| c.approximate_creation_date_time()) {
        dynamodb.insert(
            "ApproximateCreationDateTime".into(),
            json!(time.as_secs_f64()),
        );
    }
    if let Some(keys) = item(change.and_then(|c| c.keys())) {
        dynamodb.insert("Keys".into(), keys);
    }
    if let Some(image) = item(change.and_then(|c| c.new_image())) {
        dynamodb.insert("NewImage".into(), image);
    }
    if let Some(image) = item(change.and_then(|c| c.old_image())) {
        dynamodb.insert("OldImage".into(), image);
    }
    dynamodb.insert(
        "SequenceNumber".into(),
        json!(change.and_then(|c| c.sequence_number())),
    );
    dynamodb.insert(
        "SizeBytes".into(),
        json!(change.and_then(|c| c.size_bytes()).unwrap_or(0)),
    );
    dynamodb.insert(
        "StreamViewType".into(),
        json!(
            change
                .and_then(|c| c.stream_view_type())
                .map(|t| t.as_str())
                .unwrap_or("NEW_IMAGE")
        ),
    );
    json!({
        "eventID": record.event_id(),
        "eventName": record.event_name().map(|n| n.as_str()),
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": record.aws_region().unwrap_or(region),
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    })
}

fn sequence(record: &Record) -> &str {
    record
        .dynamodb()
        .and_then(|c| c.sequence_number())
        .unwrap_or_default()
}

/// Orders decimal sequence numbers.
#[cfg(test)]
fn sequence_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn is_insert(record: &Record) -> bool {
    record.event_name() == Some(&OperationType::Insert)
}

/// What the function said about a batch.
#[derive(Debug, PartialEq, Eq)]
enum BatchOutcome {
    Succeeded,
    /// Retry from this index; the set holds the reported identifiers.
    FailedFrom(usize, HashSet<String>, String),
}

/// Reads a `ReportBatchItemFailures` response.
fn batch_outcome(response: &Value, sequences: &[&str]) -> BatchOutcome {
    let failures = match response.get("batchItemFailures") {
        None | Some(Value::Null) => return BatchOutcome::Succeeded,
        Some(Value::Array(failures)) if failures.is_empty() => return BatchOutcome::Succeeded,
        Some(Value::Array(failures)) => failures,
        Some(_) => {
            return BatchOutcome::FailedFrom(
                0,
                HashSet::new(),
                "batchItemFailures is not a list".into(),
            );
        }
    };
    let mut lowest = usize::MAX;
    let mut reported = HashSet::new();
    for failure in failures {
        let id = failure
            .get("itemIdentifier")
            .and_then(Value::as_str)
            .unwrap_or_default();
        match sequences.iter().position(|s| *s == id) {
            Some(index) if !id.is_empty() => {
                lowest = lowest.min(index);
                reported.insert(id.to_string());
            }
            _ => {
                return BatchOutcome::FailedFrom(
                    0,
                    HashSet::new(),
                    format!(
                        "batchItemFailures names an unknown item {id:?}: the whole batch fails"
                    ),
                );
            }
        }
    }
    BatchOutcome::FailedFrom(lowest, reported, "batchItemFailures".into())
}

/// How many batches per lane the reader may hold before it waits.
const READ_AHEAD_BATCHES: usize = 4;

/// A shard's state shared by its reader and its lanes.
struct ShardState {
    shard_id: String,
    progress: std::sync::Mutex<Progress>,
    /// The shard is closed and everything in it was read.
    closed: std::sync::atomic::AtomicBool,
}

/// Which records read from a shard are finished, for the checkpoint: it
/// never passes a record that is still buffered or in flight.
#[derive(Default)]
struct Progress {
    /// Sequence numbers in the order read, up to the first unfinished one.
    dispatched: VecDeque<String>,
    done: HashSet<String>,
}

impl Progress {
    /// Drops the finished prefix; returns its last sequence number.
    fn advance(&mut self) -> Option<String> {
        let mut last = None;
        while let Some(front) = self.dispatched.front() {
            if !self.done.remove(front) {
                break;
            }
            last = self.dispatched.pop_front();
        }
        last
    }
}

/// One of a shard's `ParallelizationFactor` lanes: its buffered records,
/// in shard order, and since when the oldest has waited.
#[derive(Default)]
struct Lane {
    buffer: std::sync::Mutex<(VecDeque<Record>, Option<Instant>)>,
    wake: tokio::sync::Notify,
}

impl Lane {
    fn lock(&self) -> std::sync::MutexGuard<'_, (VecDeque<Record>, Option<Instant>)> {
        self.buffer.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn len(&self) -> usize {
        self.lock().0.len()
    }

    /// The records buffered and how long the batching window has run.
    fn state(&self) -> (usize, Option<Duration>) {
        let buffer = self.lock();
        (buffer.0.len(), buffer.1.map(|t| t.elapsed()))
    }

    fn push(&self, record: Record) {
        let mut buffer = self.lock();
        buffer.0.push_back(record);
        buffer.1.get_or_insert_with(Instant::now);
        drop(buffer);
        self.wake.notify_one();
    }

    fn take(&self, n: usize) -> Vec<Record> {
        let mut buffer = self.lock();
        let n = n.min(buffer.0.len());
        let batch: Vec<Record> = buffer.0.drain(..n).collect();
        // The window restarts for what is left (Lambda: the next batch).
        buffer.1 = (!buffer.0.is_empty()).then(Instant::now);
        batch
    }

    /// A failed batch's records go back in front, to be retried first.
    fn put_back(&self, records: Vec<Record>) {
        let mut buffer = self.lock();
        for record in records.into_iter().rev() {
            buffer.0.push_front(record);
        }
        buffer.1.get_or_insert_with(Instant::now);
    }
}

/// The lane of a record: a stable hash of its partition key (`upload_id`).
fn lane_of(record: &Record, lanes: usize) -> usize {
    let key = record
        .dynamodb()
        .and_then(|c| c.keys())
        .and_then(|k| k.get("upload_id"))
        .and_then(|v| v.as_s().ok())
        .map_or("", String::as_str);
    // FNV-1a: the same key always lands in the same lane.
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    (hash % lanes as u64) as usize
}

struct ShardReader {
    shard_id: String,
    iterator: Option<String>,
    last_read: Option<String>,
}

impl StreamMapping {
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let mut started = HashSet::new();
        let mut finished = HashSet::new();
        let mut shards = JoinSet::new();
        loop {
            match self.list_shards().await {
                Ok(list) => {
                    let ids: HashSet<String> = list.iter().map(|(id, _)| id.clone()).collect();
                    for (id, parent) in list {
                        let parent_done = match &parent {
                            None => true,
                            Some(parent) => finished.contains(parent) || !ids.contains(parent),
                        };
                        if parent_done && started.insert(id.clone()) {
                            let this = Arc::clone(&self);
                            let stop = shutdown.clone();
                            shards.spawn(async move { this.run_shard(id, stop).await });
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "describing the staging stream"),
            }
            while let Some(done) = shards.try_join_next() {
                if let Ok(id) = done {
                    finished.insert(id);
                }
            }
            if or_shutdown(&mut shutdown, tokio::time::sleep(DESCRIBE_INTERVAL))
                .await
                .is_none()
            {
                break;
            }
        }
        while shards.join_next().await.is_some() {}
    }

    /// `(shard id, parent shard id)` of every shard.
    async fn list_shards(&self) -> Result<Vec<(String, Option<String>)>, DevstackError> {
        let mut shards = Vec::new();
        let mut start: Option<String> = None;
        loop {
            let out = self
                .clients
                .streams
                .describe_stream()
                .stream_arn(&self.stream_arn)
                .set_exclusive_start_shard_id(start.take())
                .send()
                .await
                .map_err(|e| DevstackError::aws("dynamodbstreams DescribeStream", e))?;
            let Some(description) = out.stream_description else {
                break;
            };
            for shard in description.shards.unwrap_or_default() {
                if let Some(id) = shard.shard_id {
                    shards.push((id, shard.parent_shard_id));
                }
            }
            match description.last_evaluated_shard_id {
                Some(last) => start = Some(last),
                None => break,
            }
        }
        Ok(shards)
    }

    /// Processes one shard until it is closed and drained (returns its id) or
    /// shutdown: one reader, and `parallelization_factor` lanes that each
    /// deliver one batch at a time. A record's lane is chosen by its
    /// partition key (`upload_id`), so one upload's records are delivered in
    /// order and never two of its batches at once, as Lambda's
    /// `ParallelizationFactor` does.
    async fn run_shard(
        self: Arc<Self>,
        shard_id: String,
        mut shutdown: watch::Receiver<bool>,
    ) -> String {
        let lanes: Vec<Arc<Lane>> = (0..self.parallelization_factor.max(1))
            .map(|_| Arc::new(Lane::default()))
            .collect();
        let shard = Arc::new(ShardState {
            shard_id: shard_id.clone(),
            progress: std::sync::Mutex::new(Progress::default()),
            closed: std::sync::atomic::AtomicBool::new(false),
        });
        let mut workers = JoinSet::new();
        for lane in &lanes {
            let this = Arc::clone(&self);
            let (lane, shard, stop) = (Arc::clone(lane), Arc::clone(&shard), shutdown.clone());
            workers.spawn(async move { this.run_lane(lane, shard, stop).await });
        }
        let mut reader = ShardReader {
            shard_id: shard_id.clone(),
            iterator: None,
            last_read: self.load_checkpoint(&shard_id),
        };
        loop {
            // Lambda reads ahead of the batches in flight, within bounds.
            let buffered: usize = lanes.iter().map(|lane| lane.len()).sum();
            if buffered >= READ_AHEAD_BATCHES * self.batch_size * lanes.len() {
                if or_shutdown(&mut shutdown, tokio::time::sleep(POLL_INTERVAL / 5))
                    .await
                    .is_none()
                {
                    break;
                }
                continue;
            }
            let Some(read) = or_shutdown(&mut shutdown, self.read(&mut reader)).await else {
                break;
            };
            match read {
                Ok((records, closed)) => {
                    let count = records.len() as u64;
                    self.stats.update(|s| s.stream_records_read += count);
                    let idle = records.is_empty();
                    self.lock_progress(&shard)
                        .dispatched
                        .extend(records.iter().map(|r| sequence(r).to_string()));
                    // Filtered-out records are finished once read.
                    let mut filtered = Vec::new();
                    for record in records {
                        if is_insert(&record) {
                            lanes[lane_of(&record, lanes.len())].push(record);
                        } else {
                            filtered.push(sequence(&record).to_string());
                        }
                    }
                    let count = filtered.len() as u64;
                    self.stats
                        .update(|s| s.stream_records_filtered_out += count);
                    self.complete(&shard, filtered);
                    if closed {
                        shard
                            .closed
                            .store(true, std::sync::atomic::Ordering::SeqCst);
                        for lane in &lanes {
                            lane.wake.notify_one();
                        }
                        break;
                    }
                    if idle
                        && or_shutdown(&mut shutdown, tokio::time::sleep(POLL_INTERVAL))
                            .await
                            .is_none()
                    {
                        break;
                    }
                }
                Err(e) => {
                    tracing::warn!(shard = %shard_id, error = %e, "reading the staging stream");
                    if or_shutdown(&mut shutdown, tokio::time::sleep(Duration::from_secs(1)))
                        .await
                        .is_none()
                    {
                        break;
                    }
                }
            }
        }
        while workers.join_next().await.is_some() {}
        shard_id
    }

    fn lock_progress<'a>(&self, shard: &'a ShardState) -> std::sync::MutexGuard<'a, Progress> {
        shard.progress.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Marks records finished (delivered, or given up on) and moves the
    /// checkpoint over every record before the first unfinished one.
    fn complete(&self, shard: &ShardState, sequences: impl IntoIterator<Item = String>) {
        let advanced = {
            let mut progress = self.lock_progress(shard);
            progress.done.extend(sequences);
            progress.advance()
        };
        if let Some(last) = advanced {
            self.save_checkpoint(&shard.shard_id, &last);
        }
    }

    /// One lane: batches of its records, one in flight at a time, with the
    /// mapping's batching window, retries and on-failure destination.
    async fn run_lane(
        self: Arc<Self>,
        lane: Arc<Lane>,
        shard: Arc<ShardState>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let shard_id = shard.shard_id.as_str();
        // (first sequence number of the failing batch, retries so far)
        let mut retry: Option<(String, u32)> = None;
        loop {
            // Wait until a batch is due.
            loop {
                let closed = shard.closed.load(std::sync::atomic::Ordering::SeqCst);
                let (len, waited) = lane.state();
                if len == 0 && closed {
                    return;
                }
                let window_left = waited.map(|t| self.batching_window.saturating_sub(t));
                if len >= self.batch_size
                    || (len > 0 && (closed || retry.is_some()))
                    || window_left.is_some_and(|left| left.is_zero())
                {
                    break;
                }
                let wait = window_left.unwrap_or(POLL_INTERVAL).min(POLL_INTERVAL);
                let woken = async {
                    tokio::select! {
                        () = lane.wake.notified() => {}
                        () = tokio::time::sleep(wait) => {}
                    }
                };
                if or_shutdown(&mut shutdown, woken).await.is_none() {
                    return;
                }
            }
            let mut batch = lane.take(self.batch_size);
            let event = json!({
                "Records": batch
                    .iter()
                    .map(|r| lambda_stream_record(r, &self.stream_arn, &self.clients.region))
                    .collect::<Vec<_>>(),
            });
            self.stats.update(|s| s.stream_batches += 1);
            let sequences: Vec<&str> = batch.iter().map(sequence).collect();
            let outcome = match self
                .deliverer
                .deliver(&self.pool, &event, DuplicateMode::Sequential)
                .await
            {
                Ok(response) => batch_outcome(&response, &sequences),
                Err(e) => BatchOutcome::FailedFrom(0, HashSet::new(), e.to_string()),
            };
            let BatchOutcome::FailedFrom(index, reported, reason) = outcome else {
                self.complete(&shard, batch.iter().map(|r| sequence(r).to_string()));
                retry = None;
                continue;
            };
            self.stats.update(|s| s.stream_batch_failures += 1);
            let failed = batch.split_off(index);
            self.complete(&shard, batch.iter().map(|r| sequence(r).to_string()));
            let first_failed = sequence(&failed[0]).to_string();
            let retries = match &retry {
                Some((start, n)) if *start == first_failed => n + 1,
                _ => 1,
            };
            if retries > self.max_retries {
                tracing::warn!(shard = %shard_id, records = failed.len(), %reason, "stream batch failed after {} retries; sending it to the stream-failures queue", self.max_retries);
                self.report_failure(shard_id, &failed, &reported, &reason, retries)
                    .await;
                self.stats
                    .update(|s| s.stream_records_abandoned += failed.len() as u64);
                self.complete(&shard, failed.iter().map(|r| sequence(r).to_string()));
                retry = None;
                continue;
            }
            tracing::info!(shard = %shard_id, from = %first_failed, retry = retries, %reason, "retrying a stream batch");
            retry = Some((first_failed, retries));
            lane.put_back(failed);
            let backoff = Duration::from_millis(100 * u64::from(retries));
            if or_shutdown(&mut shutdown, tokio::time::sleep(backoff))
                .await
                .is_none()
            {
                return;
            }
        }
    }

    /// One `GetRecords` call; returns the records and whether the shard is closed.
    async fn read(&self, reader: &mut ShardReader) -> Result<(Vec<Record>, bool), DevstackError> {
        let iterator = match reader.iterator.take() {
            Some(iterator) => iterator,
            None => {
                let request = self
                    .clients
                    .streams
                    .get_shard_iterator()
                    .stream_arn(&self.stream_arn)
                    .shard_id(&reader.shard_id);
                let request = match &reader.last_read {
                    Some(sequence) => request
                        .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                        .sequence_number(sequence),
                    None => request.shard_iterator_type(ShardIteratorType::TrimHorizon),
                };
                let out = request
                    .send()
                    .await
                    .map_err(|e| DevstackError::aws("dynamodbstreams GetShardIterator", e))?;
                match out.shard_iterator {
                    Some(iterator) => iterator,
                    None => return Ok((Vec::new(), true)),
                }
            }
        };
        match self
            .clients
            .streams
            .get_records()
            .shard_iterator(&iterator)
            .limit(1000)
            .send()
            .await
        {
            Ok(out) => {
                let records = out.records.unwrap_or_default();
                if let Some(last) = records.last() {
                    reader.last_read = Some(sequence(last).to_string());
                }
                let closed = out.next_shard_iterator.is_none();
                reader.iterator = out.next_shard_iterator;
                Ok((records, closed))
            }
            Err(e)
                if matches!(
                    e.code(),
                    Some("ExpiredIteratorException" | "TrimmedDataAccessException")
                ) =>
            {
                // Start again after the last record read.
                Ok((Vec::new(), false))
            }
            Err(e) => {
                reader.iterator = Some(iterator);
                Err(DevstackError::aws("dynamodbstreams GetRecords", e))
            }
        }
    }

    async fn report_failure(
        &self,
        shard_id: &str,
        records: &[Record],
        reported: &HashSet<String>,
        reason: &str,
        attempts: u32,
    ) {
        let arrival = |r: &Record| {
            r.dynamodb()
                .and_then(|c| c.approximate_creation_date_time())
                .map(|t| t.to_string())
        };
        let described: Vec<Value> = records
            .iter()
            .map(|r| {
                let key = |name: &str| {
                    r.dynamodb()
                        .and_then(|c| c.keys())
                        .and_then(|k| k.get(name))
                        .and_then(|v| v.as_s().ok())
                        .cloned()
                };
                json!({
                    "sequence_number": sequence(r),
                    "event_id": r.event_id(),
                    "event_name": r.event_name().map(|n| n.as_str()),
                    "upload_id": key("upload_id"),
                    "record_id": key("record_id"),
                    "reported_failed": reported.is_empty() || reported.contains(sequence(r)),
                })
            })
            .collect();
        let body = json!({
            "kind": "stream_batch_failed",
            "function": self.pool.spec().name,
            "reason": reason,
            "attempts": attempts,
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": records.first().map(sequence),
                "endSequenceNumber": records.last().map(sequence),
                "approximateArrivalOfFirstRecord": records.first().and_then(arrival),
                "approximateArrivalOfLastRecord": records.last().and_then(arrival),
                "batchSize": records.len(),
                "streamArn": self.stream_arn,
            },
            "records": described,
        });
        if let Err(e) = self
            .clients
            .sqs
            .send_message()
            .queue_url(&self.failures_queue_url)
            .message_body(body.to_string())
            .send()
            .await
        {
            tracing::error!(error = %aws_sdk_sqs::error::DisplayErrorContext(&e), body = %body, "could not send a stream failure; it is only in this log");
        }
    }

    fn load_checkpoint(&self, shard_id: &str) -> Option<String> {
        let text = std::fs::read_to_string(&self.checkpoint_path).ok()?;
        let all: BTreeMap<String, BTreeMap<String, String>> = serde_json::from_str(&text).ok()?;
        all.get(&self.stream_arn)?.get(shard_id).cloned()
    }

    fn save_checkpoint(&self, shard_id: &str, sequence: &str) {
        let _guard = self
            .checkpoint_lock
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let mut all: BTreeMap<String, BTreeMap<String, String>> =
            std::fs::read_to_string(&self.checkpoint_path)
                .ok()
                .and_then(|text| serde_json::from_str(&text).ok())
                .unwrap_or_default();
        all.entry(self.stream_arn.clone())
            .or_default()
            .insert(shard_id.to_string(), sequence.to_string());
        let tmp = self.checkpoint_path.with_extension("json.tmp");
        let written = serde_json::to_vec_pretty(&all)
            .map_err(std::io::Error::other)
            .and_then(|bytes| std::fs::write(&tmp, bytes))
            .and_then(|()| std::fs::rename(&tmp, &self.checkpoint_path));
        if let Err(e) = written {
            tracing::warn!(path = %self.checkpoint_path.display(), error = %e, "saving a stream checkpoint");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::dynamodb::Event;
    use aws_sdk_dynamodbstreams::types::{AttributeValue, StreamRecord, StreamViewType};

    fn record(sequence: &str, name: OperationType) -> Record {
        let keys = HashMap::from([
            (
                "upload_id".to_string(),
                AttributeValue::S("UPLOAD_1".into()),
            ),
            ("record_id".to_string(), AttributeValue::S("000001".into())),
        ]);
        let mut image = keys.clone();
        image.insert("row_number".into(), AttributeValue::N("1".into()));
        image.insert(
            "fields".into(),
            AttributeValue::L(vec![
                AttributeValue::S("PROD0001".into()),
                AttributeValue::S(" x ".into()),
            ]),
        );
        image.insert("ok".into(), AttributeValue::Bool(true));
        image.insert("nothing".into(), AttributeValue::Null(true));
        Record::builder()
            .event_id("e1")
            .event_name(name)
            .event_version("1.0")
            .event_source("aws:dynamodb")
            .aws_region("us-east-1")
            .dynamodb(
                StreamRecord::builder()
                    .approximate_creation_date_time(
                        aws_sdk_dynamodbstreams::primitives::DateTime::from_secs(1_795_312_080),
                    )
                    .set_keys(Some(keys))
                    .set_new_image(Some(image))
                    .sequence_number(sequence)
                    .size_bytes(295)
                    .stream_view_type(StreamViewType::NewImage)
                    .build(),
            )
            .build()
    }

    #[test]
    fn stream_records_become_lambda_dynamodb_events() {
        let arn = "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x";
        let json = lambda_stream_record(
            &record("1100000000017454423009", OperationType::Insert),
            arn,
            "us-east-1",
        );
        assert_eq!(
            json["dynamodb"]["NewImage"]["row_number"],
            json!({"N": "1"})
        );
        assert_eq!(
            json["dynamodb"]["NewImage"]["fields"],
            json!({"L": [{"S": "PROD0001"}, {"S": " x "}]})
        );
        assert_eq!(
            json["dynamodb"]["Keys"]["upload_id"],
            json!({"S": "UPLOAD_1"})
        );
        assert_eq!(json["eventVersion"], "1.1");
        let event: Event = serde_json::from_value(json!({"Records": [json]})).unwrap();
        let parsed = &event.records[0];
        assert_eq!(parsed.event_name, "INSERT");
        assert_eq!(parsed.event_source_arn.as_deref(), Some(arn));
        assert_eq!(
            parsed.change.sequence_number.as_deref(),
            Some("1100000000017454423009")
        );
        assert_eq!(
            parsed.change.approximate_creation_date_time.timestamp(),
            1_795_312_080
        );
        assert_eq!(parsed.change.size_bytes, 295);
        assert_eq!(
            parsed.change.new_image.inner().get("upload_id"),
            Some(&serde_dynamo::AttributeValue::S("UPLOAD_1".into()))
        );
    }

    #[test]
    fn batch_item_failures_point_at_the_lowest_failed_record() {
        let sequences = ["101", "102", "1000"];
        assert_eq!(
            batch_outcome(&Value::Null, &sequences),
            BatchOutcome::Succeeded
        );
        assert_eq!(
            batch_outcome(&json!({"batchItemFailures": []}), &sequences),
            BatchOutcome::Succeeded
        );
        let outcome = batch_outcome(
            &json!({"batchItemFailures": [{"itemIdentifier": "1000"}, {"itemIdentifier": "102"}]}),
            &sequences,
        );
        assert!(matches!(outcome, BatchOutcome::FailedFrom(1, ref ids, _) if ids.len() == 2));
        assert!(matches!(
            batch_outcome(
                &json!({"batchItemFailures": [{"itemIdentifier": "999"}]}),
                &sequences
            ),
            BatchOutcome::FailedFrom(0, _, _)
        ));
        assert!(matches!(
            batch_outcome(
                &json!({"batchItemFailures": [{"itemIdentifier": ""}]}),
                &sequences
            ),
            BatchOutcome::FailedFrom(0, _, _)
        ));
        assert!(sequence_cmp("99", "100").is_lt());
        assert!(sequence_cmp("101", "100").is_gt());
    }
}

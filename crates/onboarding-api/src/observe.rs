//! What the operator console observes of the pipeline's three functions:
//! their log lines for one upload ([`LogSource`]) and their invocation
//! metrics over a window ([`MetricsSource`]). Each has an AWS
//! implementation (CloudWatch Logs Insights; CloudWatch metrics) and a local
//! one over the devstack runner's files (`<logs>/<function>.log`, every
//! line a JSON object carrying `upload_id`, and
//! `<logs>/<function>.invocations.jsonl`, one record per invocation), with
//! the same answers.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use futures::future::BoxFuture;
use onboarding_aws::metrics::PIPELINE_COUNTS;
use onboarding_core::UploadId;
use serde::Serialize;
use serde_json::Value;

use crate::problem::ApiError;

/// The pipeline's functions, in pipeline order (the devstack's binary names
/// and the suffixes of the deployed function names).
pub const PIPELINE_FUNCTIONS: [&str; 3] = ["csv-parser", "product-validator", "error-processor"];

/// Most lines read for one upload.
pub const MAX_LINES: usize = 10_000;

/// One log line of one function.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LogLine {
    /// `csv-parser`, `product-validator` or `error-processor`.
    pub function: String,
    /// When it was written (CloudWatch's ingestion time; locally only
    /// metric lines carry one).
    pub timestamp: Option<DateTime<Utc>>,
    /// `INFO`, `WARN`, `ERROR`…; `METRIC` for embedded-metric lines.
    pub level: String,
    pub message: String,
    /// The whole line as logged.
    pub fields: Value,
}

/// Where one upload's log lines come from.
pub trait LogSource: Send + Sync {
    /// Every line of the three functions that names `upload_id`, oldest
    /// first, looked for between `from` and `until`.
    fn upload_lines<'a>(
        &'a self,
        upload_id: &'a UploadId,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Vec<LogLine>, ApiError>>;
}

/// A line's level and message from its JSON (the functions' tracing
/// format, or an embedded-metric record).
pub fn parse_line(function: &str, text: &str, timestamp: Option<DateTime<Utc>>) -> LogLine {
    let fields: Value =
        serde_json::from_str(text.trim()).unwrap_or_else(|_| Value::String(text.to_string()));
    let metric_time = fields
        .pointer("/_aws/Timestamp")
        .and_then(Value::as_i64)
        .and_then(|ms| Utc.timestamp_millis_opt(ms).single());
    let (level, message) = match (&fields, metric_time) {
        (Value::Object(map), None) => (
            map.get("level")
                .and_then(Value::as_str)
                .unwrap_or("INFO")
                .to_string(),
            map.get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        ),
        (Value::Object(map), Some(_)) => {
            let names: Vec<String> = fields
                .pointer("/_aws/CloudWatchMetrics/0/Metrics")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|m| m.get("Name").and_then(Value::as_str))
                .map(|name| match map.get(name) {
                    Some(value) => format!("{name}={value}"),
                    None => name.to_string(),
                })
                .collect();
            ("METRIC".to_string(), format!("metrics {}", names.join(" ")))
        }
        _ => ("INFO".to_string(), text.trim().to_string()),
    };
    LogLine {
        function: function.to_string(),
        timestamp: timestamp.or(metric_time),
        level,
        message,
        fields,
    }
}

/// Whether the line is about `upload_id` (at the top level or in its span).
fn names_upload(line: &LogLine, upload_id: &UploadId) -> bool {
    [
        line.fields.get("upload_id"),
        line.fields.pointer("/span/upload_id"),
    ]
    .into_iter()
    .flatten()
    .any(|v| v.as_str() == Some(upload_id.as_str()))
}

/// The local runner's function logs (`FUNCTION_LOGS_DIR`).
pub struct LocalLogs {
    pub dir: PathBuf,
}

impl LogSource for LocalLogs {
    fn upload_lines<'a>(
        &'a self,
        upload_id: &'a UploadId,
        _from: DateTime<Utc>,
        _until: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Vec<LogLine>, ApiError>> {
        Box::pin(async move {
            let mut lines = Vec::new();
            for function in PIPELINE_FUNCTIONS {
                let path = self.dir.join(format!("{function}.log"));
                let text = match tokio::fs::read_to_string(&path).await {
                    Ok(text) => text,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => {
                        return Err(ApiError::internal(format!("{}: {e}", path.display())));
                    }
                };
                lines.extend(
                    text.lines()
                        .filter(|l| l.contains(upload_id.as_str()))
                        .map(|l| parse_line(function, l, None))
                        .filter(|l| names_upload(l, upload_id))
                        .take(MAX_LINES),
                );
            }
            lines.truncate(MAX_LINES);
            Ok(lines)
        })
    }
}

/// CloudWatch Logs Insights over the three functions' log groups
/// (`/aws/lambda/<prefix>-<function>`).
pub struct CloudWatchLogs {
    pub client: aws_sdk_cloudwatchlogs::Client,
    pub prefix: String,
}

impl CloudWatchLogs {
    fn group(&self, function: &str) -> String {
        format!("/aws/lambda/{}-{function}", self.prefix)
    }

    /// Runs one Insights query and waits (up to 20 s) for its rows.
    async fn run(
        &self,
        groups: Vec<String>,
        query: String,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<Vec<(String, String)>>, ApiError> {
        let started = self
            .client
            .start_query()
            .set_log_group_names(Some(groups))
            .start_time(from.timestamp())
            .end_time(until.timestamp() + 1)
            .query_string(query)
            .limit(MAX_LINES as i32)
            .send()
            .await
            .map_err(|e| {
                ApiError::Unavailable(format!(
                    "logs StartQuery: {}",
                    aws_sdk_cloudwatchlogs::error::DisplayErrorContext(&e)
                ))
            })?;
        let query_id = started.query_id.unwrap_or_default();
        use aws_sdk_cloudwatchlogs::types::QueryStatus;
        for _ in 0..40 {
            let answer = self
                .client
                .get_query_results()
                .query_id(&query_id)
                .send()
                .await
                .map_err(|e| {
                    ApiError::Unavailable(format!(
                        "logs GetQueryResults: {}",
                        aws_sdk_cloudwatchlogs::error::DisplayErrorContext(&e)
                    ))
                })?;
            match answer.status {
                Some(QueryStatus::Complete) => {
                    return Ok(answer
                        .results
                        .unwrap_or_default()
                        .into_iter()
                        .map(|row| {
                            row.into_iter()
                                .filter_map(|f| Some((f.field?, f.value?)))
                                .collect()
                        })
                        .collect());
                }
                Some(QueryStatus::Failed | QueryStatus::Cancelled | QueryStatus::Timeout) => {
                    return Err(ApiError::Unavailable(format!(
                        "the Logs Insights query {query_id} ended as {:?}",
                        answer.status
                    )));
                }
                _ => tokio::time::sleep(Duration::from_millis(500)).await,
            }
        }
        Err(ApiError::Unavailable(format!(
            "the Logs Insights query {query_id} did not finish within 20 s"
        )))
    }
}

/// CloudWatch's `@timestamp` (`2026-12-05 18:54:35.381`, UTC).
fn insights_time(text: &str) -> Option<DateTime<Utc>> {
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

impl LogSource for CloudWatchLogs {
    fn upload_lines<'a>(
        &'a self,
        upload_id: &'a UploadId,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Vec<LogLine>, ApiError>> {
        Box::pin(async move {
            // An UploadId is letters, digits and '_', so it can sit in the
            // query's string literal as is.
            let query = format!(
                "fields @timestamp, @message, @log | filter @message like \"{upload_id}\" \
                 | sort @timestamp asc | limit {MAX_LINES}"
            );
            let groups: Vec<String> = PIPELINE_FUNCTIONS.iter().map(|f| self.group(f)).collect();
            let rows = self.run(groups, query, from, until).await?;
            Ok(rows
                .into_iter()
                .filter_map(|row| {
                    let get = |name: &str| {
                        row.iter()
                            .find(|(field, _)| field == name)
                            .map(|(_, v)| v.as_str())
                    };
                    let group = get("@log")?;
                    let function = PIPELINE_FUNCTIONS
                        .into_iter()
                        .find(|f| group.ends_with(&format!("-{f}")))?;
                    let line = parse_line(
                        function,
                        get("@message")?,
                        get("@timestamp").and_then(insights_time),
                    );
                    names_upload(&line, upload_id).then_some(line)
                })
                .collect())
        })
    }
}

/// Duration percentiles of one function, in milliseconds.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Durations {
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub max: Option<f64>,
}

/// One bucket of a function's time series.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Point {
    pub t: DateTime<Utc>,
    pub invocations: u64,
    pub errors: u64,
}

/// One function over the window.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FunctionMetrics {
    pub function: String,
    pub invocations: u64,
    pub errors: u64,
    /// errors ÷ invocations (0–1), null without invocations.
    pub error_rate: Option<f64>,
    pub duration_ms: Durations,
    pub cold_starts: u64,
    pub throttles: u64,
    pub series: Vec<Point>,
    /// The function's own embedded-metric counts over the window, summed
    /// by name (`RowsParsed`, `ProductsValidated`, …; docs/functions.md).
    pub counts: BTreeMap<String, u64>,
}

/// The window a monitor answer covers, cut into `buckets` equal steps.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub step_s: i64,
}

impl Window {
    fn buckets(&self) -> Vec<DateTime<Utc>> {
        let mut t = self.from;
        let mut out = Vec::new();
        while t < self.until {
            out.push(t);
            t += chrono::TimeDelta::seconds(self.step_s);
        }
        out
    }
}

/// Where the invocation metrics come from.
pub trait MetricsSource: Send + Sync {
    fn functions<'a>(
        &'a self,
        window: Window,
    ) -> BoxFuture<'a, Result<Vec<FunctionMetrics>, ApiError>>;
}

/// `q` (0–1) of sorted values, nearest rank.
fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

fn rate(errors: u64, invocations: u64) -> Option<f64> {
    (invocations > 0).then(|| errors as f64 / invocations as f64)
}

/// The local runner's invocation records (`FUNCTION_LOGS_DIR`).
pub struct LocalMetrics {
    pub dir: PathBuf,
}

#[derive(serde::Deserialize)]
struct InvocationRecord {
    started_ms: i64,
    duration_ms: u64,
    outcome: String,
    #[serde(default)]
    cold_start: bool,
}

impl MetricsSource for LocalMetrics {
    fn functions<'a>(
        &'a self,
        window: Window,
    ) -> BoxFuture<'a, Result<Vec<FunctionMetrics>, ApiError>> {
        Box::pin(async move {
            let buckets = window.buckets();
            let mut out = Vec::new();
            for function in PIPELINE_FUNCTIONS {
                let path = self.dir.join(format!("{function}.invocations.jsonl"));
                let text = match tokio::fs::read_to_string(&path).await {
                    Ok(text) => text,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
                    Err(e) => {
                        return Err(ApiError::internal(format!("{}: {e}", path.display())));
                    }
                };
                let records: Vec<InvocationRecord> = text
                    .lines()
                    .filter_map(|l| serde_json::from_str(l).ok())
                    .filter(|r: &InvocationRecord| {
                        r.started_ms >= window.from.timestamp_millis()
                            && r.started_ms < window.until.timestamp_millis()
                    })
                    .collect();
                let mut durations: Vec<f64> =
                    records.iter().map(|r| r.duration_ms as f64).collect();
                durations.sort_by(f64::total_cmp);
                let errors = records.iter().filter(|r| r.outcome != "ok").count() as u64;
                let series = buckets
                    .iter()
                    .map(|&t| {
                        let end = t + chrono::TimeDelta::seconds(window.step_s);
                        let inside: Vec<&InvocationRecord> = records
                            .iter()
                            .filter(|r| {
                                r.started_ms >= t.timestamp_millis()
                                    && r.started_ms < end.timestamp_millis()
                            })
                            .collect();
                        Point {
                            t,
                            invocations: inside.len() as u64,
                            errors: inside.iter().filter(|r| r.outcome != "ok").count() as u64,
                        }
                    })
                    .collect();
                let counts =
                    emitted_counts(&self.dir.join(format!("{function}.log")), window).await?;
                out.push(FunctionMetrics {
                    function: function.to_string(),
                    invocations: records.len() as u64,
                    errors,
                    error_rate: rate(errors, records.len() as u64),
                    duration_ms: Durations {
                        p50: percentile(&durations, 0.5),
                        p95: percentile(&durations, 0.95),
                        max: durations.last().copied(),
                    },
                    cold_starts: records.iter().filter(|r| r.cold_start).count() as u64,
                    // The runner queues an invocation rather than throttle it.
                    throttles: 0,
                    series,
                    counts,
                });
            }
            Ok(out)
        })
    }
}

/// Sums the `Count` metrics of the embedded-metric records in a function's
/// log whose only dimension is `Function`, inside the window: what
/// CloudWatch makes of the same lines in AWS.
async fn emitted_counts(
    path: &std::path::Path,
    window: Window,
) -> Result<BTreeMap<String, u64>, ApiError> {
    let text = match tokio::fs::read_to_string(path).await {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(ApiError::internal(format!("{}: {e}", path.display()))),
    };
    let mut counts = BTreeMap::new();
    for line in text.lines().filter(|l| l.contains("\"_aws\"")) {
        let Ok(record) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let Some(at) = record.pointer("/_aws/Timestamp").and_then(Value::as_i64) else {
            continue;
        };
        if at < window.from.timestamp_millis() || at >= window.until.timestamp_millis() {
            continue;
        }
        let Some(directive) = record.pointer("/_aws/CloudWatchMetrics/0") else {
            continue;
        };
        if directive.get("Dimensions") != Some(&serde_json::json!([["Function"]])) {
            continue;
        }
        let definitions = directive.get("Metrics").and_then(Value::as_array);
        for definition in definitions.into_iter().flatten() {
            let (Some(name), Some("Count")) = (
                definition.get("Name").and_then(Value::as_str),
                definition.get("Unit").and_then(Value::as_str),
            ) else {
                continue;
            };
            if let Some(value) = record.get(name).and_then(Value::as_f64) {
                *counts.entry(name.to_string()).or_insert(0) += value as u64;
            }
        }
    }
    // As CloudWatch answers: a name with nothing counted is left out.
    counts.retain(|_, total| *total > 0);
    Ok(counts)
}

/// CloudWatch's `AWS/Lambda` metrics (GetMetricData) and, for cold starts,
/// the REPORT lines with `@initDuration` (one Logs Insights query).
pub struct CloudWatchMetrics {
    pub client: aws_sdk_cloudwatch::Client,
    pub logs: CloudWatchLogs,
}

impl CloudWatchMetrics {
    async fn cold_starts(&self, window: Window) -> Result<Vec<(String, u64)>, ApiError> {
        let groups: Vec<String> = PIPELINE_FUNCTIONS
            .iter()
            .map(|f| self.logs.group(f))
            .collect();
        let rows = self
            .logs
            .run(
                groups,
                "filter @type = \"REPORT\" and ispresent(@initDuration) | stats count() as cold by @log"
                    .into(),
                window.from,
                window.until,
            )
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let group = row.iter().find(|(f, _)| f == "@log")?.1.clone();
                let count = row.iter().find(|(f, _)| f == "cold")?.1.parse().ok()?;
                let function = PIPELINE_FUNCTIONS
                    .into_iter()
                    .find(|f| group.ends_with(&format!("-{f}")))?;
                Some((function.to_string(), count))
            })
            .collect())
    }
}

impl MetricsSource for CloudWatchMetrics {
    fn functions<'a>(
        &'a self,
        window: Window,
    ) -> BoxFuture<'a, Result<Vec<FunctionMetrics>, ApiError>> {
        use aws_sdk_cloudwatch::primitives::DateTime as AwsTime;
        use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
        Box::pin(async move {
            let mut queries = Vec::new();
            for (i, function) in PIPELINE_FUNCTIONS.iter().enumerate() {
                let name = format!("{}-{function}", self.logs.prefix);
                for (id, metric, stat) in [
                    ("inv", "Invocations", "Sum"),
                    ("err", "Errors", "Sum"),
                    ("thr", "Throttles", "Sum"),
                    ("p50", "Duration", "p50"),
                    ("p95", "Duration", "p95"),
                    ("max", "Duration", "Maximum"),
                ] {
                    let stat = MetricStat::builder()
                        .metric(
                            Metric::builder()
                                .namespace("AWS/Lambda")
                                .metric_name(metric)
                                .dimensions(
                                    Dimension::builder()
                                        .name("FunctionName")
                                        .value(&name)
                                        .build(),
                                )
                                .build(),
                        )
                        .period(window.step_s as i32)
                        .stat(stat)
                        .build();
                    queries.push(
                        MetricDataQuery::builder()
                            .id(format!("{id}{i}"))
                            .metric_stat(stat)
                            .build(),
                    );
                }
            }
            // The functions' own counts (EMF), under their Function dimension.
            for (j, (function, metric)) in PIPELINE_COUNTS.iter().enumerate() {
                let stat = MetricStat::builder()
                    .metric(
                        Metric::builder()
                            .namespace(onboarding_aws::metrics::NAMESPACE)
                            .metric_name(*metric)
                            .dimensions(
                                Dimension::builder()
                                    .name("Function")
                                    .value(format!("{}-{function}", self.logs.prefix))
                                    .build(),
                            )
                            .build(),
                    )
                    .period(window.step_s as i32)
                    .stat("Sum")
                    .build();
                queries.push(
                    MetricDataQuery::builder()
                        .id(format!("emf{j}"))
                        .metric_stat(stat)
                        .return_data(true)
                        .build(),
                );
            }
            let answer = self
                .client
                .get_metric_data()
                .set_metric_data_queries(Some(queries))
                .start_time(AwsTime::from_secs(window.from.timestamp()))
                .end_time(AwsTime::from_secs(window.until.timestamp()))
                .send()
                .await
                .map_err(|e| {
                    ApiError::Unavailable(format!(
                        "cloudwatch GetMetricData: {}",
                        aws_sdk_cloudwatch::error::DisplayErrorContext(&e)
                    ))
                })?;
            let results = answer.metric_data_results.unwrap_or_default();
            let series_of = |id: &str| -> Vec<(i64, f64)> {
                results
                    .iter()
                    .find(|r| r.id.as_deref() == Some(id))
                    .map(|r| {
                        r.timestamps()
                            .iter()
                            .map(|t| t.secs())
                            .zip(r.values().iter().copied())
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let cold = self.cold_starts(window).await.unwrap_or_default();
            let mut out = Vec::new();
            for (i, function) in PIPELINE_FUNCTIONS.iter().enumerate() {
                let invocations = series_of(&format!("inv{i}"));
                let errors = series_of(&format!("err{i}"));
                let sum = |s: &[(i64, f64)]| s.iter().map(|(_, v)| *v).sum::<f64>() as u64;
                let top = |id: &str| {
                    series_of(id)
                        .into_iter()
                        .map(|(_, v)| v)
                        .max_by(f64::total_cmp)
                };
                let at = |s: &[(i64, f64)], t: i64| {
                    s.iter()
                        .find(|(at, _)| *at == t)
                        .map(|(_, v)| *v as u64)
                        .unwrap_or(0)
                };
                let (inv_total, err_total) = (sum(&invocations), sum(&errors));
                out.push(FunctionMetrics {
                    function: function.to_string(),
                    invocations: inv_total,
                    errors: err_total,
                    error_rate: rate(err_total, inv_total),
                    // Over the window: the largest bucket's percentile, an
                    // upper bound of the window's (CloudWatch cannot merge them).
                    duration_ms: Durations {
                        p50: top(&format!("p50{i}")),
                        p95: top(&format!("p95{i}")),
                        max: top(&format!("max{i}")),
                    },
                    cold_starts: cold
                        .iter()
                        .find(|(f, _)| f == function)
                        .map(|(_, n)| *n)
                        .unwrap_or(0),
                    throttles: sum(&series_of(&format!("thr{i}"))),
                    series: window
                        .buckets()
                        .into_iter()
                        .map(|t| Point {
                            t,
                            invocations: at(&invocations, t.timestamp()),
                            errors: at(&errors, t.timestamp()),
                        })
                        .collect(),
                    counts: PIPELINE_COUNTS
                        .iter()
                        .enumerate()
                        .filter(|(_, (emitter, _))| emitter == function)
                        .map(|(j, (_, metric))| {
                            (metric.to_string(), sum(&series_of(&format!("emf{j}"))))
                        })
                        .filter(|(_, total)| *total > 0)
                        .collect(),
                });
            }
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_read_with_their_level_and_metric_lines_summarised() {
        let line = parse_line(
            "csv-parser",
            r#"{"level":"WARN","message":"upload failed","span":{"upload_id":"UPLOAD_20261206_081200_0123456789AB"}}"#,
            None,
        );
        assert_eq!(
            (line.level.as_str(), line.message.as_str()),
            ("WARN", "upload failed")
        );
        let (u1, u2) = (
            UploadId::parse("UPLOAD_20261206_081200_0123456789AB").unwrap(),
            UploadId::parse("UPLOAD_20261206_081200_FEDCBA987654").unwrap(),
        );
        assert!(names_upload(&line, &u1) && !names_upload(&line, &u2));
        let metric = parse_line(
            "csv-parser",
            r#"{"RowsParsed":200.0,"_aws":{"CloudWatchMetrics":[{"Metrics":[{"Name":"RowsParsed"}]}],"Timestamp":1796496882633},"upload_id":"U1"}"#,
            None,
        );
        assert_eq!(metric.level, "METRIC");
        assert_eq!(metric.message, "metrics RowsParsed=200.0");
        assert!(metric.timestamp.is_some());
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 0.5), Some(50.0));
        assert_eq!(percentile(&values, 0.95), Some(95.0));
        assert_eq!(percentile(&[], 0.5), None);
    }
}

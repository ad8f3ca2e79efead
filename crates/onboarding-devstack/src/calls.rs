//! Counting the AWS calls of a run, from the emulator's own request recorder
//! (moto's `/moto-api/recorder/`): every request it served, whoever sent it.
//!
//! Each caller is told apart by the SDK's user agent: the stack gives every
//! function process `AWS_SDK_UA_APP_ID=<function>`, and its own clients (the
//! event source mappings, the outbox, a test's puts) `app/onboarding-devstack`.
//! Item operations are what a call carries: the items of a `BatchWriteItem`,
//! the entries of a `SendMessageBatch`; records a `GetRecords` returned are
//! not in the request, so the stack's own counter supplies them
//! ([`crate::EventSourceStats::stream_records_read`]).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::DevstackError;

/// The user agent's app id of the stack's own clients.
pub const STACK_APP_ID: &str = "onboarding-devstack";

/// `(caller, API)` → (calls, items).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallTally {
    pub counts: BTreeMap<(String, String), (u64, u64)>,
}

impl CallTally {
    /// Reads a recording: one JSON object per line.
    pub fn from_recording(text: &str) -> CallTally {
        let mut tally = CallTally::default();
        for entry in text
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        {
            let (caller, api, items) = describe(&entry);
            let count = tally.counts.entry((caller, api)).or_default();
            count.0 += 1;
            count.1 += items;
        }
        tally
    }

    pub fn merge(&mut self, other: CallTally) {
        for (key, (calls, items)) in other.counts {
            let count = self.counts.entry(key).or_default();
            count.0 += calls;
            count.1 += items;
        }
    }
}

fn header<'a>(entry: &'a Value, name: &str) -> Option<&'a str> {
    entry["headers"].as_object().and_then(|headers| {
        headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .and_then(|(_, value)| value.as_str())
    })
}

fn body(entry: &Value) -> String {
    let text = entry["body"].as_str().unwrap_or_default();
    if entry["body_encoded"].as_bool() == Some(true) {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    } else {
        text.to_string()
    }
}

/// `(caller, API, items)` of one recorded request.
fn describe(entry: &Value) -> (String, String, u64) {
    let agent = [
        header(entry, "x-amz-user-agent"),
        header(entry, "user-agent"),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let caller = agent
        .split_whitespace()
        .find_map(|part| part.strip_prefix("app/"))
        .unwrap_or("other")
        .to_string();
    let body = body(entry);
    let json: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let (api, items) = match header(entry, "x-amz-target") {
        // JSON protocols: DynamoDB, DynamoDB Streams, SQS, Secrets Manager.
        Some(target) => {
            let api = target.rsplit('.').next().unwrap_or(target).to_string();
            let items = match api.as_str() {
                "BatchWriteItem" => json["RequestItems"]
                    .as_object()
                    .map(|tables| {
                        tables
                            .values()
                            .filter_map(Value::as_array)
                            .map(|requests| requests.len() as u64)
                            .sum()
                    })
                    .unwrap_or(0),
                "SendMessageBatch" | "DeleteMessageBatch" => {
                    json["Entries"].as_array().map_or(0, |e| e.len() as u64)
                }
                "PutItem" | "UpdateItem" | "DeleteItem" | "SendMessage" => 1,
                _ => 0,
            };
            (api, items)
        }
        // Query protocol (SNS): the action is a form field.
        None if body.contains("Action=") => {
            let action = body
                .split('&')
                .find_map(|pair| pair.strip_prefix("Action="))
                .unwrap_or("?");
            (action.to_string(), u64::from(action == "Publish"))
        }
        // REST (S3): method and whether a key is named.
        None => {
            let method = entry["method"].as_str().unwrap_or("?");
            let url = entry["url"].as_str().unwrap_or_default();
            let path = url
                .split("://")
                .nth(1)
                .and_then(|rest| rest.split_once('/'))
                .map_or("", |(_, path)| path);
            let path = path.split('?').next().unwrap_or_default();
            let api = match (method, path.contains('/')) {
                ("GET", true) => "S3 GetObject",
                ("HEAD", true) => "S3 HeadObject",
                ("PUT", true) => "S3 PutObject",
                ("DELETE", true) => "S3 DeleteObject",
                (method, _) => return (caller, format!("S3 {method} bucket"), 0),
            };
            (api.to_string(), u64::from(method == "PUT"))
        }
    };
    (caller, api, items)
}

async fn recorder(endpoint: &str, action: &str) -> Result<String, DevstackError> {
    let url = format!("{endpoint}/moto-api/recorder/{action}");
    let client = reqwest::Client::new();
    let request = if action == "download-recording" {
        client.get(&url)
    } else {
        client.post(&url)
    };
    let response = request
        .send()
        .await
        .map_err(|e| DevstackError::Emulator(format!("{url}: {e}")))?;
    response
        .text()
        .await
        .map_err(|e| DevstackError::Emulator(format!("{url}: {e}")))
}

/// Clears the emulators' recordings and starts recording.
pub async fn start_recording(endpoints: &[String]) -> Result<(), DevstackError> {
    for endpoint in endpoints {
        recorder(endpoint, "reset-recording").await?;
        recorder(endpoint, "start-recording").await?;
    }
    Ok(())
}

/// Stops recording and counts what was recorded.
pub async fn stop_recording(endpoints: &[String]) -> Result<CallTally, DevstackError> {
    let mut tally = CallTally::default();
    for endpoint in endpoints {
        recorder(endpoint, "stop-recording").await?;
        let text = recorder(endpoint, "download-recording").await?;
        tally.merge(CallTally::from_recording(&text));
        recorder(endpoint, "reset-recording").await?;
    }
    Ok(tally)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_requests_are_counted_by_caller_and_api() {
        let lines = [
            serde_json::json!({
                "headers": {"X-Amz-Target": "DynamoDB_20120810.BatchWriteItem",
                            "X-Amz-User-Agent": "aws-sdk-rust/1.3 app/csv-parser"},
                "method": "POST", "url": "http://127.0.0.1:1/",
                "body": r#"{"RequestItems":{"t":[{"PutRequest":{}},{"PutRequest":{}}]}}"#,
                "body_encoded": false,
            }),
            serde_json::json!({
                "headers": {"User-Agent": "aws-sdk-rust/1.3 app/onboarding-devstack"},
                "method": "GET", "url": "http://127.0.0.1:1/bucket/uploads/V/f.csv?versionId=1",
                "body": "", "body_encoded": false,
            }),
            serde_json::json!({
                "headers": {"User-Agent": "x app/error-processor"},
                "method": "POST", "url": "http://127.0.0.1:1/",
                "body": "Action=Publish&TopicArn=x", "body_encoded": false,
            }),
        ];
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let tally = CallTally::from_recording(&text);
        let get = |caller: &str, api: &str| tally.counts[&(caller.to_string(), api.to_string())];
        assert_eq!(get("csv-parser", "BatchWriteItem"), (1, 2));
        assert_eq!(get("onboarding-devstack", "S3 GetObject"), (1, 0));
        assert_eq!(get("error-processor", "Publish"), (1, 1));
    }
}

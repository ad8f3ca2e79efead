//! A tiny Lambda function for the devstack's tests, run through the real
//! Lambda Runtime API by the local runner.
//!
//! What it does is decided by the event:
//! - a direct event `{"directive": D, ...}`;
//! - a `Records` event (S3, DynamoDB stream or SQS): each record's directive
//!   is read from the S3 object key (the directive word appears in the key),
//!   the DynamoDB `NewImage.directive.S`, or the SQS body's `directive` field.
//!
//! Directives: `echo` (default), `fail` (handler error), `crash` (the process
//! exits), `sleep-<ms>`, and for records `fail-item` (reported in
//! `batchItemFailures` by sequence number or message id).
//!
//! The response is `{"pid", "function", "echo": <event>, "batchItemFailures": [..]}`.
//! Every invocation also prints one JSON line on standard output.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Error> {
    if std::env::var("ECHO_FAIL_INIT").is_ok_and(|v| v == "1") {
        eprintln!("{{\"level\":\"ERROR\",\"message\":\"init failure requested\"}}");
        std::process::exit(2);
    }
    lambda_runtime::run(service_fn(handle)).await
}

async fn handle(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let (payload, context) = event.into_parts();
    println!(
        "{}",
        json!({"level": "INFO", "message": "invocation", "request_id": context.request_id,
               "function_arn": context.invoked_function_arn, "deadline_ms": context.deadline,
               "pid": std::process::id()})
    );
    let mut directives = Vec::new();
    let mut item_failures = Vec::new();
    match payload.get("Records").and_then(Value::as_array) {
        Some(records) => {
            for record in records {
                let (directive, id) = record_directive(record);
                if directive == "fail-item" {
                    item_failures.push(json!({"itemIdentifier": id}));
                }
                directives.push(directive);
            }
        }
        None => directives.push(
            payload
                .get("directive")
                .and_then(Value::as_str)
                .unwrap_or("echo")
                .to_string(),
        ),
    }
    for directive in &directives {
        if let Some(ms) = directive.strip_prefix("sleep-") {
            let ms: u64 = ms.parse().unwrap_or(1000);
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        }
    }
    if directives.iter().any(|d| d == "crash") {
        eprintln!("{{\"level\":\"ERROR\",\"message\":\"crash requested\"}}");
        std::process::exit(13);
    }
    if directives.iter().any(|d| d == "fail") {
        return Err("failure requested by the event".into());
    }
    Ok(json!({
        "pid": std::process::id(),
        "function": std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_default(),
        "echo": payload,
        "batchItemFailures": item_failures,
    }))
}

/// The directive of one record and the identifier a batch failure would use.
fn record_directive(record: &Value) -> (String, String) {
    if let Some(key) = record.pointer("/s3/object/key").and_then(Value::as_str) {
        let directive = ["crash", "fail-item", "fail", "sleep-"]
            .into_iter()
            .find(|d| key.contains(d))
            .map(|d| {
                if d == "sleep-" {
                    let digits: String = key
                        .split("sleep-")
                        .nth(1)
                        .unwrap_or("")
                        .chars()
                        .take_while(char::is_ascii_digit)
                        .collect();
                    format!("sleep-{digits}")
                } else {
                    d.to_string()
                }
            })
            .unwrap_or_else(|| "echo".into());
        return (directive, key.to_string());
    }
    if let Some(change) = record.get("dynamodb") {
        let directive = change
            .pointer("/NewImage/directive/S")
            .and_then(Value::as_str)
            .unwrap_or("echo")
            .to_string();
        let id = change
            .get("SequenceNumber")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        return (directive, id);
    }
    let id = record
        .get("messageId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let directive = record
        .get("body")
        .and_then(Value::as_str)
        .and_then(|body| serde_json::from_str::<Value>(body).ok())
        .and_then(|body| {
            body.get("directive")
                .and_then(Value::as_str)
                .map(String::from)
        })
        .unwrap_or_else(|| "echo".into());
    (directive, id)
}

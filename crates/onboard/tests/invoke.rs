//! `onboard invoke`: one event to one function of a running local stack,
//! through the stack's own runner.

mod support;

use std::process::{Command, Output};

use serde_json::{Value, json};

fn invoke(stack_env: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_onboard"))
        .arg("invoke")
        .args(args)
        .env("ONBOARD_STACK_ENV", stack_env)
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("DATABASE_URL")
        .output()
        .expect("run onboard")
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_file_reaches_the_error_processor_and_its_log_lines_come_back() {
    let harness = support::Harness::start(support::Options::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let event_path = dir.path().join("event.json");
    // One message the error-processor cannot read: it logs why and hands the
    // message back for a retry (a batch item failure).
    let event = json!({"Records": [{
        "messageId": "invoke-test-1",
        "receiptHandle": "r-1",
        "body": "not a pipeline message",
        "attributes": {},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
    }]});
    std::fs::write(&event_path, event.to_string()).unwrap();
    let env_path = harness.stack.env_path();

    let out = invoke(
        &env_path,
        &[
            "error-processor",
            "--event",
            event_path.to_str().unwrap(),
            "--json",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(answer["function"], "error-processor");
    assert_eq!(answer["error"], Value::Null);
    assert_eq!(
        answer["response"],
        json!({"batchItemFailures": [{"itemIdentifier": "invoke-test-1"}]})
    );
    let lines: Vec<Value> = answer["log_lines"]
        .as_array()
        .expect("log_lines")
        .iter()
        .map(|line| serde_json::from_str(line.as_str().unwrap()).expect("a JSON log line"))
        .collect();
    let unreadable = lines
        .iter()
        .find(|line| line["message"] == "unreadable message")
        .unwrap_or_else(|| panic!("no 'unreadable message' line in {lines:?}"));
    assert_eq!(unreadable["message_id"], "invoke-test-1");
    assert_eq!(unreadable["level"], "ERROR");

    // The same event from standard input, as text: the response on standard
    // output, the log lines on standard error; the second call of the warm
    // instance carries only its own lines (no second cold start).
    let mut child = Command::new(env!("CARGO_BIN_EXE_onboard"))
        .args(["invoke", "error-processor", "--event", "-"])
        .env("ONBOARD_STACK_ENV", &env_path)
        .env_remove("AWS_ENDPOINT_URL")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(event.to_string().as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let response: Value = serde_json::from_slice(&out.stdout).expect("the response alone");
    assert_eq!(
        response["batchItemFailures"][0]["itemIdentifier"],
        "invoke-test-1"
    );
    assert!(stderr.contains("unreadable message"), "{stderr}");
    assert!(!stderr.contains("cold start"), "{stderr}");

    // The pipeline's own log stays apart from the developer's test events.
    let pipeline_log =
        std::fs::read_to_string(harness.stack.state_dir().join("logs/error-processor.log"))
            .unwrap_or_default();
    assert!(!pipeline_log.contains("invoke-test-1"), "{pipeline_log}");
    harness.stack.stop().await;
}

/// `onboard invoke product-validator` with `event` and no stack running.
fn invoke_with_no_stack(event: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let event_path = dir.path().join("event.json");
    std::fs::write(&event_path, event).unwrap();
    invoke(
        &dir.path().join("no-stack.env"),
        &["product-validator", "--event", event_path.to_str().unwrap()],
    )
}

#[test]
fn an_event_that_is_not_json_exits_2_before_any_stack_is_needed() {
    let out = invoke_with_no_stack("{not json");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is not JSON"), "{stderr}");
}

#[test]
fn without_a_stack_it_says_to_start_one_and_exits_4() {
    let out = invoke_with_no_stack(r#"{"Records": []}"#);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("run `onboard dev up`"), "{stderr}");
}

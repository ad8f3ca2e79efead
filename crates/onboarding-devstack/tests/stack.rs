//! The whole local stack on a real moto server, with the echo function
//! playing all three functions. Every test has its own moto (own port) and
//! state directory, so they run in parallel.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_lambda_events::event::dynamodb::Event as DynamoDbEvent;
use aws_lambda_events::event::s3::S3Event;
use aws_lambda_events::event::sqs::SqsEvent;
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use aws_sdk_sqs::types::{MessageAttributeValue, SendMessageBatchRequestEntry};
use onboarding_devstack::dlq;
use onboarding_devstack::env::keys;
use onboarding_devstack::{FunctionBinaries, FunctionKind, Stack, StackOptions, TestSpeed};
use serde_json::{Value, json};

fn options(dir: &std::path::Path) -> StackOptions {
    let mut options = StackOptions::local(
        dir,
        FunctionBinaries::same(env!("CARGO_BIN_EXE_devstack-echo-function")),
        // Never connected to: the echo function ignores the database.
        "postgres://devstack:s3cret@127.0.0.1:1/devstack_test",
    );
    options.mailbox_vendors = Some(
        ["VEND001", "VEND002"]
            .map(|v| onboarding_core::VendorId::parse(v).unwrap())
            .to_vec(),
    );
    options.keep_invocation_log = true;
    options.s3_retry_delay = Duration::from_secs(1);
    options.test_speed = Some(TestSpeed {
        errors_visibility_timeout_s: Some(2),
        ..TestSpeed::default()
    });
    options.stream_batching_window = Duration::from_millis(1500);
    options
}

async fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn successful_events(stack: &Stack, kind: FunctionKind) -> Vec<Value> {
    stack
        .invocation_log(kind)
        .into_iter()
        .filter(|r| r.outcome.is_ok())
        .map(|r| r.event)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_writes_the_documented_environment_and_stop_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    let stack = Stack::start(options(dir.path())).await.unwrap();
    let env = onboarding_devstack::StackEnv::read(&dir.path().join("stack.env")).unwrap();
    for key in [
        "AWS_ENDPOINT_URL",
        "AWS_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "DATABASE_URL",
        "DATABASE_HOST",
        "DATABASE_PORT",
        "DATABASE_NAME",
        "DATABASE_SSL_MODE",
        "DATABASE_SECRET_ID",
        "UPLOAD_BUCKET",
        "STAGING_TABLE",
        "STAGING_STREAM_ARN",
        "ERROR_QUEUE_URL",
        "CANDIDATE_ERROR_QUEUE_URL",
        "ERROR_DLQ_URL",
        "STREAM_FAILURES_QUEUE_URL",
        "S3_EVENTS_QUEUE_URL",
        "NOTIFICATION_TOPIC_ARN",
        "OUTBOX_QUEUE_URL",
        "STACK_PID",
    ] {
        assert!(env.get(key).is_some_and(|v| !v.is_empty()), "{key} missing");
    }
    assert_eq!(env.get("UPLOAD_BUCKET"), Some("onboarding-local-uploads"));
    assert_eq!(
        env.get("DATABASE_SECRET_ID"),
        Some("onboarding-local/database")
    );
    assert_eq!(
        (env.get("DATABASE_PORT"), env.get("DATABASE_NAME")),
        (Some("1"), Some("devstack_test"))
    );
    assert_eq!(
        env.get("STACK_PID"),
        Some(std::process::id().to_string().as_str())
    );

    let clients = stack.clients();
    let secret = clients
        .secrets
        .get_secret_value()
        .secret_id("onboarding-local/database")
        .send()
        .await
        .unwrap();
    let secret: Value = serde_json::from_str(secret.secret_string().unwrap()).unwrap();
    assert_eq!(
        secret,
        json!({"username": "devstack", "password": "s3cret"})
    );
    // (moto 5.2.1 answers GetBucketVersioning with a root element the Rust
    // SDK rejects, so versioning shows in the versions instead.)
    for _ in 0..2 {
        clients
            .s3
            .put_object()
            .bucket("onboarding-local-uploads")
            .key("x/v.csv")
            .body(b"v".to_vec().into())
            .send()
            .await
            .unwrap();
    }
    let versions = clients
        .s3
        .list_object_versions()
        .bucket("onboarding-local-uploads")
        .prefix("x/v.csv")
        .send()
        .await
        .unwrap();
    assert_eq!(versions.versions().len(), 2);
    assert!(
        versions
            .versions()
            .iter()
            .all(|v| v.version_id().is_some_and(|id| id != "null"))
    );
    let table = clients
        .dynamodb
        .describe_table()
        .table_name("onboarding-local-staging")
        .send()
        .await
        .unwrap();
    let table = table.table().unwrap();
    assert_eq!(
        table.global_secondary_indexes()[0].index_name(),
        Some("vendor-index")
    );
    assert_eq!(
        table
            .stream_specification()
            .and_then(|s| s.stream_view_type())
            .map(|t| t.as_str()),
        Some("NEW_IMAGE")
    );

    // The runner answers direct invocations.
    let response = stack
        .invoke(FunctionKind::ErrorProcessor, &json!({"ping": 1}))
        .await
        .unwrap();
    assert_eq!(response["function"], "onboarding-local-error-processor");
    stack.stop().await;
    assert!(!dir.path().join("stack.env").exists());
    let log = std::fs::read_to_string(dir.path().join("logs/error-processor.log")).unwrap();
    assert!(log.contains("\"invocation\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_reach_the_parser_as_aws_s3_events_and_failures_end_in_the_parser_dlq() {
    let dir = tempfile::tempdir().unwrap();
    let stack = Stack::start(options(dir.path())).await.unwrap();
    let s3 = &stack.clients().s3;
    let bucket = stack.env().get("UPLOAD_BUCKET").unwrap().to_string();
    let key = "uploads/VEND001/my file é (1).csv";
    let put = s3
        .put_object()
        .bucket(&bucket)
        .key(key)
        .body(b"a,b\n1,2\n".to_vec().into())
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket(&bucket)
        .key("elsewhere/ignored.csv")
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket(&bucket)
        .key("uploads/VEND001/fail.csv")
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap();

    wait_until("the upload's invocation", Duration::from_secs(30), || {
        !successful_events(&stack, FunctionKind::CsvParser).is_empty()
    })
    .await;
    let events = successful_events(&stack, FunctionKind::CsvParser);
    assert_eq!(events.len(), 1, "{events:#?}");
    let event: S3Event = serde_json::from_value(events[0].clone()).unwrap();
    assert_eq!(event.records.len(), 1);
    let object = &event.records[0].s3.object;
    assert_eq!(
        object.key.as_deref(),
        Some("uploads/VEND001/my+file+%C3%A9+%281%29.csv")
    );
    assert_eq!(object.version_id.as_deref(), put.version_id());
    assert_eq!(object.size, Some(8));
    assert_eq!(
        event.records[0].event_name.as_deref(),
        Some("ObjectCreated:Put")
    );

    // The failing upload is tried 3 times (maxReceiveCount), then dead-lettered.
    let parser_dlq = stack.env().get(keys::PARSER_DLQ_URL).unwrap().to_string();
    let started = Instant::now();
    let letters = loop {
        let letters = dlq::list(stack.clients(), &parser_dlq).await.unwrap();
        if !letters.is_empty() || started.elapsed() > Duration::from_secs(45) {
            break letters;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert!(letters[0].body.contains("fail.csv"));
    let failed_attempts = stack
        .invocation_log(FunctionKind::CsvParser)
        .iter()
        .filter(|r| r.outcome.is_err())
        .count();
    assert_eq!(failed_attempts, 3);
    // Listing does not consume.
    assert_eq!(
        dlq::list(stack.clients(), &parser_dlq).await.unwrap().len(),
        1
    );
    let stats = stack.event_source_stats();
    assert_eq!(stats.s3_test_events, 1);
    assert_eq!(
        (stats.s3_records_succeeded, stats.s3_records_failed),
        (1, 3)
    );

    // Redrive sends it through the parser again.
    let moved = dlq::redrive(
        stack.clients(),
        &parser_dlq,
        stack.env().get(keys::S3_EVENTS_QUEUE_URL).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(moved, 1);
    wait_until("the redriven event", Duration::from_secs(20), || {
        stack.invocation_log(FunctionKind::CsvParser).len() >= 5
    })
    .await;
    stack.stop().await;
}

fn staging_item(upload: &str, row: u32, directive: &str) -> WriteRequest {
    let item = HashMap::from([
        ("upload_id".to_string(), AttributeValue::S(upload.into())),
        (
            "record_id".to_string(),
            AttributeValue::S(format!("{row:06}")),
        ),
        ("row_number".to_string(), AttributeValue::N(row.to_string())),
        ("vendor_id".to_string(), AttributeValue::S("VEND001".into())),
        (
            "status".to_string(),
            AttributeValue::S("pending_validation".into()),
        ),
        ("directive".to_string(), AttributeValue::S(directive.into())),
    ]);
    WriteRequest::builder()
        .put_request(PutRequest::builder().set_item(Some(item)).build().unwrap())
        .build()
}

fn record_ids(event: &Value) -> Vec<String> {
    event["Records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["dynamodb"]["Keys"]["record_id"]["S"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_batches_carry_inserts_only_and_retry_from_the_first_failed_record() {
    let dir = tempfile::tempdir().unwrap();
    let stack = Stack::start(options(dir.path())).await.unwrap();
    let clients = stack.clients();
    let table = stack.env().get("STAGING_TABLE").unwrap().to_string();
    let requests: Vec<WriteRequest> = (1..=5)
        .map(|row| staging_item("UPLOAD_A", row, if row == 3 { "fail-item" } else { "echo" }))
        .collect();
    clients
        .dynamodb
        .batch_write_item()
        .request_items(&table, requests)
        .send()
        .await
        .unwrap();

    // 1 delivery + 3 retries, then the records go to the stream-failures queue.
    wait_until(
        "the abandoned stream batch",
        Duration::from_secs(30),
        || stack.event_source_stats().stream_records_abandoned > 0,
    )
    .await;
    // A rewrite (MODIFY) is not delivered; a new INSERT is.
    clients
        .dynamodb
        .update_item()
        .table_name(&table)
        .key("upload_id", AttributeValue::S("UPLOAD_A".into()))
        .key("record_id", AttributeValue::S("000001".into()))
        .update_expression("SET #s = :v")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":v", AttributeValue::S("validated".into()))
        .send()
        .await
        .unwrap();
    clients
        .dynamodb
        .batch_write_item()
        .request_items(&table, vec![staging_item("UPLOAD_B", 1, "echo")])
        .send()
        .await
        .unwrap();
    wait_until("the later insert", Duration::from_secs(20), || {
        stack.invocation_log(FunctionKind::ProductValidator).len() >= 5
    })
    .await;

    let log = stack.invocation_log(FunctionKind::ProductValidator);
    let batches: Vec<Vec<String>> = log.iter().map(|r| record_ids(&r.event)).collect();
    let all = ["000001", "000002", "000003", "000004", "000005"]
        .map(String::from)
        .to_vec();
    let from_third = all[2..].to_vec();
    assert_eq!(batches[0], all, "{batches:?}");
    for retry in &batches[1..4] {
        assert_eq!(retry, &from_third, "{batches:?}");
    }
    assert_eq!(batches[4], vec!["000001".to_string()], "{batches:?}");
    assert_eq!(batches.len(), 5, "{batches:?}");
    assert_eq!(
        log[4].event["Records"][0]["dynamodb"]["Keys"]["upload_id"]["S"],
        "UPLOAD_B"
    );
    for record in &log {
        let event: DynamoDbEvent = serde_json::from_value(record.event.clone()).unwrap();
        assert!(event.records.iter().all(|r| r.event_name == "INSERT"));
    }
    let stats = stack.event_source_stats();
    assert_eq!(stats.stream_records_filtered_out, 1, "{stats:?}");

    let failures = stack.env().get(keys::STREAM_FAILURES_QUEUE_URL).unwrap();
    let letters = dlq::list(clients, failures).await.unwrap();
    assert_eq!(letters.len(), 1);
    let failure: Value = serde_json::from_str(&letters[0].body).unwrap();
    assert_eq!(failure["attempts"], 4);
    let described: Vec<(&str, bool)> = failure["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["record_id"].as_str().unwrap(),
                r["reported_failed"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        described,
        vec![("000003", true), ("000004", false), ("000005", false)]
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_queue_partial_failure_keeps_only_the_failed_message_until_the_dlq() {
    let dir = tempfile::tempdir().unwrap();
    let stack = Stack::start(options(dir.path())).await.unwrap();
    let clients = stack.clients();
    let queue = stack.env().get(keys::ERROR_QUEUE_URL).unwrap().to_string();
    let entries: Vec<SendMessageBatchRequestEntry> = ["echo", "fail-item", "echo"]
        .iter()
        .enumerate()
        .map(|(i, directive)| {
            SendMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .message_body(json!({"kind": "upload_complete", "upload_id": format!("U{i}"), "directive": directive}).to_string())
                .message_attributes(
                    "upload_id",
                    MessageAttributeValue::builder().data_type("String").string_value(format!("U{i}")).build().unwrap(),
                )
                .build()
                .unwrap()
        })
        .collect();
    clients
        .sqs
        .send_message_batch()
        .queue_url(&queue)
        .set_entries(Some(entries))
        .send()
        .await
        .unwrap();

    let dlq_url = stack.env().get(keys::ERROR_DLQ_URL).unwrap().to_string();
    let started = Instant::now();
    let letters = loop {
        let letters = dlq::list(clients, &dlq_url).await.unwrap();
        if !letters.is_empty() || started.elapsed() > Duration::from_secs(40) {
            break letters;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert!(letters[0].body.contains("fail-item"));
    assert_eq!(
        letters[0].attributes.get("upload_id").map(String::as_str),
        Some("U1")
    );

    let log = stack.invocation_log(FunctionKind::ErrorProcessor);
    let deliveries_of = |upload: &str| {
        log.iter()
            .flat_map(|r| r.event["Records"].as_array().unwrap().clone())
            .filter(|m| {
                m["body"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("\"{upload}\""))
            })
            .count()
    };
    assert_eq!(
        (
            deliveries_of("U0"),
            deliveries_of("U1"),
            deliveries_of("U2")
        ),
        (1, 3, 1)
    );
    for record in &log {
        let event: SqsEvent = serde_json::from_value(record.event.clone()).unwrap();
        assert!(
            event
                .records
                .iter()
                .all(|m| m.message_attributes.contains_key("upload_id"))
        );
    }
    let left = clients
        .sqs
        .receive_message()
        .queue_url(&queue)
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap();
    assert!(left.messages().is_empty());
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_email_is_captured_in_the_outbox_and_the_vendor_mailbox_and_reads_twice() {
    let dir = tempfile::tempdir().unwrap();
    let stack = Stack::start(options(dir.path())).await.unwrap();
    let sns = &stack.clients().sns;
    let topic = stack
        .env()
        .get(keys::NOTIFICATION_TOPIC_ARN)
        .unwrap()
        .to_string();
    let attribute = |value: &str| {
        aws_sdk_sns::types::MessageAttributeValue::builder()
            .data_type("String")
            .string_value(value)
            .build()
            .unwrap()
    };
    for (vendor, upload) in [("VEND001", "UPLOAD_1"), ("VEND002", "UPLOAD_2")] {
        sns.publish()
            .topic_arn(&topic)
            .subject(format!(
                "Product Upload Complete - {upload}.csv (100% Success)"
            ))
            .message(format!("Upload ID: {upload}\nStatus: COMPLETED"))
            .message_attributes("vendor_id", attribute(vendor))
            .message_attributes("upload_id", attribute(upload))
            .message_attributes("status", attribute("COMPLETED"))
            .send()
            .await
            .unwrap();
    }
    let outbox = stack.outbox();
    let first = outbox
        .wait_for(Duration::from_secs(10), |emails| emails.len() >= 2)
        .await
        .unwrap();
    assert_eq!(first.len(), 2);
    assert_eq!(first[0].vendor_id.as_deref(), Some("VEND001"));
    assert_eq!(first[0].upload_id.as_deref(), Some("UPLOAD_1"));
    assert_eq!(first[0].status.as_deref(), Some("COMPLETED"));
    assert!(
        first[0]
            .subject
            .as_deref()
            .unwrap()
            .starts_with("Product Upload Complete")
    );
    assert!(first[0].message.contains("Status: COMPLETED"));
    let second = outbox.read_outbox().await.unwrap();
    assert_eq!(second, first);

    let mailbox = outbox
        .read_mailbox(&onboarding_core::VendorId::parse("VEND001").unwrap())
        .await
        .unwrap();
    assert_eq!(mailbox.len(), 1);
    assert_eq!(mailbox[0].upload_id.as_deref(), Some("UPLOAD_1"));
    assert_eq!(mailbox[0].sns_message_id, first[0].sns_message_id);

    // Another process (the CLI) reads the same journal through stack.env.
    let env = onboarding_devstack::StackEnv::read(&stack.env_path()).unwrap();
    let reader = onboarding_devstack::Outbox::from_env(&env, dir.path())
        .await
        .unwrap();
    assert_eq!(reader.read_outbox().await.unwrap(), first);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_delivery_invokes_every_event_twice_and_fail_after_retries_completed_work() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(dir.path());
    opts.faults.duplicate_every_event = true;
    opts.faults.fail_after = 0.5;
    opts.faults.seed = 11;
    let stack = Stack::start(opts).await.unwrap();
    let s3 = &stack.clients().s3;
    let bucket = stack.env().get("UPLOAD_BUCKET").unwrap().to_string();
    for n in 0..3 {
        s3.put_object()
            .bucket(&bucket)
            .key(format!("uploads/VEND001/file{n}.csv"))
            .body(b"x".to_vec().into())
            .send()
            .await
            .unwrap();
    }
    let queue = stack
        .env()
        .get(keys::S3_EVENTS_QUEUE_URL)
        .unwrap()
        .to_string();
    // Every message ends up deleted (or dead-lettered after three injected failures).
    let parser_dlq = stack.env().get(keys::PARSER_DLQ_URL).unwrap().to_string();
    let started = Instant::now();
    loop {
        let attributes = stack
            .clients()
            .sqs
            .get_queue_attributes()
            .queue_url(&queue)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
            .send()
            .await
            .unwrap();
        let count = |name: aws_sdk_sqs::types::QueueAttributeName| -> u64 {
            attributes
                .attributes()
                .and_then(|a| a.get(&name))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        let pending = count(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            + count(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible);
        if pending == 0 && stack.event_source_stats().s3_messages >= 4 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(45),
            "S3 events still pending"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let stats = stack.invocation_stats()[&FunctionKind::CsvParser].clone();
    let mapping = stack.event_source_stats();
    // Each delivery attempt is two invocations.
    let attempts = mapping.s3_records_succeeded + mapping.s3_records_failed;
    assert_eq!(stats.invocations, 2 * attempts, "{stats:?} {mapping:?}");
    assert!(stats.injected_after_run > 0, "{stats:?}");
    assert_eq!(
        stats.succeeded, stats.invocations,
        "the function itself never failed: {stats:?}"
    );
    let dead = dlq::list(stack.clients(), &parser_dlq).await.unwrap().len() as u64;
    assert_eq!(mapping.s3_records_succeeded + dead, 3, "{mapping:?}");
    stack.stop().await;
}

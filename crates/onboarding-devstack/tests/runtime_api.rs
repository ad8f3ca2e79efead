//! The Runtime API runner with a real function process (no emulator needed).

use std::collections::HashSet;
use std::time::Duration;

use onboarding_devstack::runtime::{FunctionPool, FunctionSpec, InvokeError};
use serde_json::json;

fn pool(dir: &std::path::Path, max_instances: usize, timeout: Duration) -> FunctionPool {
    FunctionPool::new(FunctionSpec {
        name: "devstack-echo".into(),
        binary: env!("CARGO_BIN_EXE_devstack-echo-function").into(),
        env: vec![("RUST_LOG".into(), "info".into())],
        memory_mb: 128,
        timeout,
        max_instances,
        log_path: dir.join("logs/echo.log"),
        region: "us-east-1".into(),
        keep_invocation_log: true,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_through_the_runtime_api() {
    let dir = tempfile::tempdir().unwrap();
    let pool = pool(dir.path(), 2, Duration::from_secs(30));
    let response = pool.invoke(&json!({"hello": "world"})).await.unwrap();
    assert_eq!(response["echo"], json!({"hello": "world"}));
    assert_eq!(response["function"], "devstack-echo");
    // A warm instance takes the next invocation.
    let again = pool.invoke(&json!({"n": 2})).await.unwrap();
    assert_eq!(again["pid"], response["pid"]);
    let error = pool
        .invoke(&json!({"directive": "fail"}))
        .await
        .unwrap_err();
    assert!(matches!(error, InvokeError::Function { .. }), "{error:?}");
    let stats = pool.stats();
    assert_eq!(
        (
            stats.invocations,
            stats.succeeded,
            stats.function_errors,
            stats.instances_started
        ),
        (3, 2, 1, 1)
    );
    assert_eq!(pool.invocation_log().len(), 3);
    pool.stop().await;
    let log = std::fs::read_to_string(dir.path().join("logs/echo.log")).unwrap();
    assert!(
        log.lines().filter(|l| l.contains("\"invocation\"")).count() == 3,
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_invocations_start_more_instances_up_to_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let pool = pool(dir.path(), 3, Duration::from_secs(30));
    let event = json!({"directive": "sleep-300"});
    let calls = (0..8).map(|_| pool.invoke(&event));
    let responses = futures::future::join_all(calls).await;
    let pids: HashSet<u64> = responses
        .iter()
        .map(|r| r.as_ref().unwrap()["pid"].as_u64().unwrap())
        .collect();
    let stats = pool.stats();
    assert!(pids.len() > 1, "{pids:?}");
    assert!(pids.len() <= 3, "{pids:?}");
    assert_eq!(stats.instances_started, pids.len() as u64);
    assert!(
        stats.peak_concurrency > 1 && stats.peak_concurrency <= 3,
        "{stats:?}"
    );
    pool.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_or_a_timeout_fails_the_invocation_and_a_fresh_instance_follows() {
    let dir = tempfile::tempdir().unwrap();
    let pool = pool(dir.path(), 1, Duration::from_millis(1500));
    let first = pool.invoke(&json!({})).await.unwrap();
    let crash = pool
        .invoke(&json!({"directive": "crash"}))
        .await
        .unwrap_err();
    assert!(matches!(crash, InvokeError::Crashed { .. }), "{crash:?}");
    let after_crash = pool.invoke(&json!({})).await.unwrap();
    assert_ne!(after_crash["pid"], first["pid"]);
    let timeout = pool
        .invoke(&json!({"directive": "sleep-5000"}))
        .await
        .unwrap_err();
    assert!(matches!(timeout, InvokeError::Timeout(_)), "{timeout:?}");
    let after_timeout = pool.invoke(&json!({})).await.unwrap();
    assert_ne!(after_timeout["pid"], after_crash["pid"]);
    let stats = pool.stats();
    assert_eq!(
        (stats.crashes, stats.timeouts, stats.instances_started),
        (1, 1, 3),
        "{stats:?}"
    );
    pool.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_that_dies_during_init_fails_one_invocation_each_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = pool(dir.path(), 2, Duration::from_secs(30)).spec().clone();
    spec.env.push(("ECHO_FAIL_INIT".into(), "1".into()));
    let pool = FunctionPool::new(spec);
    for _ in 0..2 {
        let error = pool.invoke(&json!({})).await.unwrap_err();
        assert!(matches!(error, InvokeError::Init(_)), "{error:?}");
    }
    let stats = pool.stats();
    assert_eq!(
        (stats.init_failures, stats.instances_started),
        (2, 2),
        "{stats:?}"
    );
    assert_eq!(pool.instances(), 0);
    pool.stop().await;
}

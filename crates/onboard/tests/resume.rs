//! A database that cannot be reached for a while, as a paused Aurora
//! Serverless v2 cluster is while it resumes (~15 s): the portal's API
//! answers 503 with Retry-After and recovers by itself, and a pipeline
//! function retries its connection with backoff inside one invocation.
//!
//! The outage is real, on the test's own database of the shared server:
//! `ALTER DATABASE ... ALLOW_CONNECTIONS false` makes every new connection
//! fail, and `pg_terminate_backend` ends the sessions the functions hold.

mod support;

use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use onboarding_db::testing::server_url;
use onboarding_db::uploads;
use onboarding_devstack::env::keys;
use onboarding_devstack::options::FunctionKind;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use support::portal::Browser;
use support::{Harness, Options, generated_file};

const VEND001: &str = "orders@techgear.example.com";

/// A connection to the server's `postgres` database, which stays open while
/// the test's database refuses connections.
async fn admin() -> PgPool {
    let server = server_url();
    let (head, rest) = server.split_once("://").unwrap();
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let query = path
        .split_once('?')
        .map(|(_, q)| format!("?{q}"))
        .unwrap_or_default();
    let url = format!("{head}://{authority}/postgres{query}");
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap()
}

/// Allows or refuses new connections to `database`; when refusing, ends
/// the sessions whose application name matches `sessions` (a regex).
async fn set_reachable(admin: &PgPool, database: &str, reachable: bool, sessions: &str) {
    // The name is the harness's own (test_<pid>_<n>_<n>), never input.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        r#"ALTER DATABASE "{database}" ALLOW_CONNECTIONS {reachable}"#
    )))
    .execute(admin)
    .await
    .unwrap();
    if !reachable {
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND application_name ~ $2",
        )
        .bind(database)
        .bind(sessions)
        .execute(admin)
        .await
        .unwrap();
    }
}

/// Re-allows connections when a test fails half-way, so the database can
/// still be dropped.
struct Reopen(PgPool, String);

impl Drop for Reopen {
    fn drop(&mut self) {
        let (admin, name) = (self.0.clone(), self.1.clone());
        let _ = std::thread::spawn(move || {
            tokio::runtime::Runtime::new()
                .unwrap()
                .block_on(async move {
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                        r#"ALTER DATABASE "{name}" ALLOW_CONNECTIONS true"#
                    )))
                    .execute(&admin)
                    .await;
                });
        })
        .join();
    }
}

struct Reply {
    status: StatusCode,
    retry_after: Option<String>,
    content_type: Option<String>,
    body: Value,
}

async fn call(browser: &Browser, method: Method, path: &str, body: Option<Value>) -> Reply {
    let answer = browser.send(method, path, body, false).await;
    Reply {
        status: answer.status,
        body: answer.json(),
        retry_after: answer.retry_after,
        content_type: answer.content_type,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_answers_503_with_retry_after_while_the_database_is_unreachable_and_recovers() {
    let harness = Harness::start(Options {
        portal: true,
        ..Options::default()
    })
    .await;
    let upload = harness
        .upload(
            "VEND001",
            "resume.csv",
            generated_file("VEND001", 20, 0.2, 7),
        )
        .await;
    let id = &upload.upload_id;
    let browser = Browser::logged_in(&harness, VEND001).await;
    let anonymous = Browser::new(&harness);
    let password = support::portal::demo_password(&harness);

    let portal = harness.stack.env().require(keys::PORTAL_URL).unwrap();
    let email = harness.emails_about(id).await.remove(0);
    let email_link = email
        .body
        .lines()
        .find_map(|line| line.strip_prefix("Download Error Report: "))
        .and_then(|link| link.strip_prefix(portal))
        .unwrap_or_else(|| panic!("no portal link in the email:\n{}", email.body))
        .to_string();

    // Every route that touches the database.
    let routes: Vec<(&Browser, Method, String, Option<Value>)> = vec![
        (&anonymous, Method::GET, email_link, None),
        (&browser, Method::GET, "/api/me".into(), None),
        (&browser, Method::GET, "/api/uploads".into(), None),
        (
            &browser,
            Method::POST,
            "/api/uploads".into(),
            Some(json!({"file_name": "more.csv"})),
        ),
        (&browser, Method::GET, format!("/api/uploads/{id}"), None),
        (
            &browser,
            Method::GET,
            format!("/api/uploads/{id}/errors"),
            None,
        ),
        (
            &browser,
            Method::GET,
            format!("/api/uploads/{id}/report"),
            None,
        ),
        (
            &browser,
            Method::GET,
            format!("/api/uploads/{id}/fix-file"),
            None,
        ),
        (&browser, Method::GET, "/api/products".into(), None),
        (&browser, Method::GET, "/api/categories".into(), None),
        (&browser, Method::GET, "/api/metrics".into(), None),
    ];
    for (who, method, path, body) in &routes {
        let reply = call(who, method.clone(), path, body.clone()).await;
        assert!(
            reply.status.is_success() || reply.status.is_redirection(),
            "{method} {path} before the outage: {} {}",
            reply.status,
            reply.body
        );
    }

    let admin = admin().await;
    let name = harness.db.name.clone();
    let _reopen = Reopen(admin.clone(), name.clone());
    // The local vendor-api is no Lambda: its sessions are named "onboarding".
    set_reachable(&admin, &name, false, "^onboarding$").await;

    for (who, method, path, body) in &routes {
        let started = Instant::now();
        let reply = call(who, method.clone(), path, body.clone()).await;
        let what = format!("{method} {path} during the outage");
        assert_eq!(
            reply.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{what}: {}",
            reply.body
        );
        let seconds: u64 = reply
            .retry_after
            .as_deref()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{what}: Retry-After {:?}", reply.retry_after));
        assert!((1..=60).contains(&seconds), "{what}: Retry-After {seconds}");
        assert_eq!(
            reply.content_type.as_deref(),
            Some("application/problem+json"),
            "{what}"
        );
        assert_eq!(
            reply.body["type"], "urn:onboarding:problem:database-waking-up",
            "{what}: {}",
            reply.body
        );
        assert_eq!(reply.body["status"], 503, "{what}");
        assert!(
            reply.body["title"]
                .as_str()
                .is_some_and(|t| t.contains("waking up")),
            "{what}: {}",
            reply.body
        );
        // Inside API Gateway's 30 s and the function's 10 s.
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "{what} took {:?}",
            started.elapsed()
        );
    }

    // Logging in needs no database (the API's auth part has none): it
    // still works, and the session's first data request gets the 503.
    let login = json!({"email": VEND001, "password": password});
    let reply = call(&anonymous, Method::POST, "/api/auth/login", Some(login)).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "log-in during the outage: {}",
        reply.body
    );

    // The health check says the same, in its own shape.
    let reply = call(&anonymous, Method::GET, "/api/health", None).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.body["database"], "unavailable");
    assert!(
        reply
            .retry_after
            .as_deref()
            .and_then(|s| s.parse::<u64>().ok())
            .is_some_and(|s| (1..=60).contains(&s)),
        "health: Retry-After {:?}",
        reply.retry_after
    );

    set_reachable(&admin, &name, true, "").await;
    // No restart, no reload: the next requests find the database again.
    let started = Instant::now();
    loop {
        let reply = call(&browser, Method::GET, "/api/me", None).await;
        if reply.status == StatusCode::OK {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the API did not recover: {} {}",
            reply.status,
            reply.body
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for (who, method, path, body) in &routes {
        let reply = call(who, method.clone(), path, body.clone()).await;
        assert!(
            reply.status.is_success() || reply.status.is_redirection(),
            "{method} {path} after the outage: {} {}",
            reply.status,
            reply.body
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipeline_function_retries_its_connection_and_completes_the_upload_exactly() {
    let harness = Harness::start(Options::default()).await;
    let admin = admin().await;
    let name = harness.db.name.clone();
    let _reopen = Reopen(admin.clone(), name.clone());
    set_reachable(
        &admin,
        &name,
        false,
        "(csv-parser|product-validator|error-processor)$",
    )
    .await;

    let bucket = harness
        .stack
        .env()
        .require(keys::UPLOAD_BUCKET)
        .unwrap()
        .to_string();
    let key = "uploads/VEND001/while-paused.csv";
    let rows = 60;
    let put = harness
        .stack
        .clients()
        .s3
        .put_object()
        .bucket(&bucket)
        .key(key)
        .body(ByteStream::from(generated_file("VEND001", rows, 0.25, 11)))
        .send()
        .await
        .unwrap();
    let version = put.version_id.unwrap();

    // The csv-parser meets the refusal and retries; connections come back
    // a few seconds into its retries.
    let log_path = harness.stack.log_path(FunctionKind::CsvParser);
    let retries = |log: &str| {
        log.lines()
            .filter(|line| line.contains("PostgreSQL unreachable") && line.contains("retrying"))
            .count()
    };
    let started = Instant::now();
    loop {
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        if retries(&log) >= 2 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the csv-parser logged no connection retries in {}",
            log_path.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    set_reachable(&admin, &name, true, "").await;

    let started = Instant::now();
    let upload = loop {
        if let Some(upload) =
            uploads::find_upload_by_object(&harness.db.pool, &bucket, key, &version)
                .await
                .unwrap()
            && upload.is_finished()
        {
            break upload;
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "{key} not finished; logs in {}",
            harness.stack.state_dir().display()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };

    // One invocation waited it out: retried, then reached the database.
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(retries(&log) >= 2, "{log}");
    assert!(log.contains("PostgreSQL reachable again"), "{log}");

    // Exact counts.
    assert_eq!(upload.total_records, Some(rows as i32));
    assert!(
        upload.valid_records > 0 && upload.error_records > 0,
        "{upload:?}"
    );
    assert_eq!(
        upload.valid_records + upload.error_records,
        rows as i32,
        "{upload:?}"
    );
    assert_eq!(
        harness.products_of(&upload.upload_id).await,
        i64::from(upload.valid_records)
    );
    assert_eq!(
        harness.outcomes_of(&upload.upload_id).await,
        i64::from(rows)
    );
    assert_eq!(harness.emails_about(&upload.upload_id).await.len(), 1);
}

//! The operator console's API (docs/console.md) on the local stack: the
//! vendor-api binary, moto, the runner's three functions, a fresh database.

mod support;

use std::time::{Duration, Instant};

use onboarding_aws::metrics::PIPELINE_COUNTS;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::portal::Browser;
use support::{Harness, Options, generated_file, router_routes};

const VEND001: &str = "orders@techgear.example.com";
const MISSING_UPLOAD: &str = "UPLOAD_20000101_000000_000000000000";

async fn portal() -> Harness {
    Harness::start(Options {
        portal: true,
        ..Options::default()
    })
    .await
}

/// A file whose every row is refused: an upload the pipeline finishes as
/// `failed` after all three functions have seen it.
fn all_invalid(rows: u32) -> Vec<u8> {
    let mut csv =
        String::from("vendor_product_id,product_name,category,sku,price,stock_quantity\n");
    for i in 0..rows {
        csv.push_str(&format!("BAD{i},Thing {i},Electronics,BAD-SKU-{i},-1,5\n"));
    }
    csv.into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_admin_route_refuses_vendors_and_anonymous_callers() {
    let harness = portal().await;
    let vendor = Browser::logged_in(&harness, VEND001).await;
    let anonymous = Browser::new(&harness);
    let admin_routes: Vec<(String, String)> = router_routes()
        .into_iter()
        .filter(|(_, path)| path.starts_with("/api/admin/"))
        .collect();
    // The vendor lifecycle's five and the console's eight, at least.
    assert!(admin_routes.len() >= 13, "{admin_routes:?}");
    for (method, path) in &admin_routes {
        let path = path
            .replace("{upload_id}", MISSING_UPLOAD)
            .replace("{vendor_id}", "VEND001")
            .replace("{queue}", "errors");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let body = (method == Method::POST).then(|| json!({"sql": "SELECT 1"}));
        let answer = vendor
            .send(method.clone(), &path, body.clone(), false)
            .await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{method} {path} as a vendor"
        );
        let answer = anonymous.send(method.clone(), &path, body, false).await;
        assert_eq!(
            answer.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} anonymous"
        );
    }
}

async fn wait_for_rerun(operator: &Browser, original: &str) -> Value {
    let started = Instant::now();
    loop {
        let (status, detail) = operator
            .get(&format!("/api/admin/uploads/{original}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{detail}");
        if let Some(id) = detail["reruns"].as_array().and_then(|r| r.first()) {
            let (_, rerun) = operator
                .get(&format!("/api/admin/uploads/{}", id.as_str().unwrap()))
                .await;
            let told = rerun["stages"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["name"] == "notified" && !s["finished_at"].is_null());
            if told {
                return rerun;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "the re-run of {original} never finished"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_see_every_upload_its_logs_the_monitor_and_rerun_one() {
    let harness = portal().await;
    let good = harness
        .upload("VEND001", "good.csv", generated_file("VEND001", 40, 0.1, 7))
        .await;
    let bad = harness
        .upload("VEND002", "all-bad.csv", all_invalid(5))
        .await;
    assert_eq!(bad.status.as_str(), "failed");
    let operator = Browser::operator(&harness).await;

    // Both vendors' uploads, counted, with the failure on top.
    let (status, page) = operator.get("/api/admin/uploads").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let vendors: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["vendor_id"].as_str().unwrap())
        .collect();
    assert!(
        vendors.contains(&"VEND001") && vendors.contains(&"VEND002"),
        "{page}"
    );
    assert_eq!(page["counts"]["failed"], 1, "{page}");
    assert_eq!(page["attention"][0]["upload_id"], bad.upload_id.as_str());
    assert_eq!(page["attention"][0]["attention"], "failed");

    // Filters and keyset pages.
    let (_, page) = operator.get("/api/admin/uploads?vendor_id=VEND002").await;
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["vendor_id"] == "VEND002")
    );
    let (_, page) = operator.get("/api/admin/uploads?file_name=GOOD").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(page["items"][0]["upload_id"], good.upload_id.as_str());
    let (_, page) = operator
        .get("/api/admin/uploads?status=completed&limit=1")
        .await;
    assert!(
        page["items"].as_array().unwrap().is_empty() || page["items"][0]["status"] == "completed"
    );
    let (_, first) = operator.get("/api/admin/uploads?limit=1").await;
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let (_, second) = operator
        .get(&format!("/api/admin/uploads?limit=1&cursor={cursor}"))
        .await;
    assert_ne!(
        first["items"][0]["upload_id"],
        second["items"][0]["upload_id"]
    );
    assert!(second["attention"].as_array().unwrap().is_empty());
    let (status, problem) = operator.get("/api/admin/uploads?status=stuck").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["field"], "status");

    // The failed upload: detail, timeline, and its log lines from all three functions.
    let (status, detail) = operator
        .get(&format!("/api/admin/uploads/{}", bad.upload_id))
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["vendor_id"], "VEND002");
    assert_eq!(detail["attention"], "failed");
    assert!(detail["stages"].as_array().unwrap().len() >= 4, "{detail}");
    assert!(detail["dead_letters"].as_array().unwrap().is_empty());
    let (status, logs) = operator
        .get(&format!("/api/admin/uploads/{}/logs", bad.upload_id))
        .await;
    assert_eq!(status, StatusCode::OK, "{logs}");
    let mut functions: Vec<&str> = logs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["function"].as_str().unwrap())
        .collect();
    functions.sort();
    functions.dedup();
    assert_eq!(
        functions,
        ["csv-parser", "error-processor", "product-validator"],
        "{logs}"
    );
    assert_eq!(logs["running"], false);
    // Level and text filters, and pages.
    let (_, metrics) = operator
        .get(&format!(
            "/api/admin/uploads/{}/logs?level=METRIC",
            bad.upload_id
        ))
        .await;
    assert!(
        metrics["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["level"] == "METRIC")
    );
    assert!(metrics["total"].as_u64().unwrap() > 0);
    let (_, notified) = operator
        .get(&format!(
            "/api/admin/uploads/{}/logs?q=VENDOR%20NOTIFIED",
            bad.upload_id
        ))
        .await;
    assert_eq!(notified["total"], 1, "{notified}");
    assert_eq!(notified["items"][0]["function"], "error-processor");
    let (_, page) = operator
        .get(&format!(
            "/api/admin/uploads/{}/logs?limit=1",
            bad.upload_id
        ))
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert!(page["next_cursor"].is_string());
    let (status, _) = operator
        .get(&format!(
            "/api/admin/uploads/{}/logs?level=LOUD",
            bad.upload_id
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = operator.get("/api/admin/uploads/not-an-id/logs").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = operator
        .get(&format!("/api/admin/uploads/{MISSING_UPLOAD}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The monitor: every function invoked, none failed, no dead letters.
    let (status, monitor) = operator.get("/api/admin/monitor?window=15m").await;
    assert_eq!(status, StatusCode::OK, "{monitor}");
    let functions = monitor["functions"].as_array().unwrap();
    assert_eq!(functions.len(), 3);
    for function in functions {
        assert!(function["invocations"].as_u64().unwrap() > 0, "{function}");
        assert_eq!(function["errors"], 0, "{function}");
        assert!(function["cold_starts"].as_u64().unwrap() >= 1, "{function}");
        assert!(function["duration_ms"]["max"].as_f64().unwrap() > 0.0);
        let series: u64 = function["series"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["invocations"].as_u64().unwrap())
            .sum();
        assert_eq!(series, function["invocations"].as_u64().unwrap());
        // The functions' own embedded metrics, each one the AWS monitor
        // reads from CloudWatch too (PIPELINE_COUNTS).
        for name in function["counts"].as_object().unwrap().keys() {
            assert!(
                PIPELINE_COUNTS.contains(&(function["function"].as_str().unwrap(), name.as_str())),
                "{name} is emitted but the AWS monitor would not read it: {function}"
            );
        }
    }
    // Every series the functions wrote is in the catalogue the deployment
    // contract exports, which the dashboard and alarms are checked against
    // (scripts/check_contract.py), and each stage's duration is among them.
    let mut series = std::collections::BTreeSet::new();
    for function in ["csv-parser", "product-validator", "error-processor"] {
        let log = harness
            .stack
            .state_dir()
            .join(format!("logs/{function}.log"));
        let text = std::fs::read_to_string(&log).unwrap();
        for line in text.lines().filter(|l| l.contains("\"_aws\"")) {
            let record: Value = serde_json::from_str(line).unwrap();
            assert!(
                onboarding_aws::metrics::is_emitted(&record),
                "{function} emits a series the contract does not list: {line}"
            );
            for metric in record["_aws"]["CloudWatchMetrics"][0]["Metrics"]
                .as_array()
                .unwrap()
            {
                series.insert((function, metric["Name"].as_str().unwrap().to_string()));
            }
        }
    }
    for function in ["csv-parser", "product-validator", "error-processor"] {
        assert!(
            series.contains(&(function, "StageDuration".to_string())),
            "{series:?}"
        );
    }
    let counts = |name: &str| &functions.iter().find(|f| f["function"] == name).unwrap()["counts"];
    let good_rows = good.total_records.unwrap() as u64;
    assert_eq!(
        counts("csv-parser")["RowsParsed"],
        good_rows + 5,
        "{monitor}"
    );
    assert_eq!(
        counts("product-validator")["ProductsValidated"],
        good.valid_records as u64,
        "{monitor}"
    );
    assert_eq!(
        counts("product-validator")["RowsRejected"],
        good.error_records as u64 + 5,
        "{monitor}"
    );
    assert!(
        monitor["dead_letters"]
            .as_array()
            .unwrap()
            .iter()
            .all(|q| q["depth"] == 0),
        "{monitor}"
    );

    // A re-run: a new upload of the same file, linked, one email.
    let answer = operator
        .send(
            Method::POST,
            &format!("/api/admin/uploads/{}/rerun", good.upload_id),
            None,
            false,
        )
        .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.json());
    let rerun = wait_for_rerun(&operator, good.upload_id.as_str()).await;
    let rerun_id = rerun["upload_id"].as_str().unwrap();
    assert_ne!(rerun_id, good.upload_id.as_str());
    assert_eq!(rerun["rerun_of"], good.upload_id.as_str());
    assert_eq!(rerun["file_name"], "good.csv");
    assert_eq!(rerun["vendor_id"], "VEND001");
    assert_eq!(rerun["total_records"], good.total_records.unwrap());
    assert_eq!(
        harness
            .emails_about(&onboarding_core::UploadId::parse(rerun_id).unwrap())
            .await
            .len(),
        1
    );
    assert_eq!(harness.emails_about(&good.upload_id).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_are_listed_and_redriving_finished_work_changes_nothing() {
    let harness = portal().await;
    let done = harness
        .upload("VEND001", "done.csv", generated_file("VEND001", 20, 0.2, 3))
        .await;
    let products = harness.products_of(&done.upload_id).await;
    let operator = Browser::operator(&harness).await;
    // The completion notice of an upload that was told already, dead-lettered
    // (as if the error-processor had failed after sending the email), and a
    // message that is no pipeline message at all.
    let env = harness.stack.env();
    let dlq = env
        .require(onboarding_devstack::env::keys::ERROR_DLQ_URL)
        .unwrap();
    let notice =
        json!({"kind": "upload_complete", "upload_id": done.upload_id, "vendor_id": "VEND001"});
    for body in [notice.to_string(), "garbage".to_string()] {
        harness
            .stack
            .clients()
            .sqs
            .send_message()
            .queue_url(dlq)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }
    let (status, list) = operator.get("/api/admin/dead-letters").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    let letter = items
        .iter()
        .find(|l| l["upload_id"] == done.upload_id.as_str())
        .expect("the notice is listed with its upload");
    assert_eq!(letter["queue"], "errors");
    assert_eq!(letter["redrivable"], true);
    assert!(
        letter["summary"]
            .as_str()
            .unwrap()
            .contains("upload_complete")
    );
    // Listing consumed nothing; the upload's detail shows its dead letter.
    let (_, detail) = operator
        .get(&format!("/api/admin/uploads/{}", done.upload_id))
        .await;
    assert_eq!(
        detail["dead_letters"].as_array().unwrap().len(),
        1,
        "{detail}"
    );
    let (_, monitor) = operator.get("/api/admin/monitor?window=15m").await;
    let depth = monitor["dead_letters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["queue"] == "errors")
        .unwrap()["depth"]
        .as_u64()
        .unwrap();
    assert_eq!(depth, 2);

    // Redrive the notice alone.
    let before = onboarding_db::uploads::find_upload(&harness.db.pool, &done.upload_id)
        .await
        .unwrap()
        .unwrap();
    let path = format!(
        "/api/admin/dead-letters/errors/redrive?message_id={}",
        letter["message_id"].as_str().unwrap()
    );
    let answer = operator.send(Method::POST, &path, None, false).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json());
    assert_eq!(answer.json()["moved"], 1);
    let answer = operator.send(Method::POST, &path, None, false).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    // The error-processor takes it again (its invocations grow) and changes nothing.
    let processed = |monitor: &Value| {
        monitor["functions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["function"] == "error-processor")
            .unwrap()["invocations"]
            .as_u64()
            .unwrap()
    };
    let invocations_before = processed(&monitor);
    let started = Instant::now();
    loop {
        let (_, monitor) = operator.get("/api/admin/monitor?window=15m").await;
        if processed(&monitor) > invocations_before {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "never redriven"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = onboarding_db::uploads::find_upload(&harness.db.pool, &done.upload_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(before, after, "the redrive changed the upload");
    assert_eq!(harness.emails_about(&done.upload_id).await.len(), 1);
    assert_eq!(harness.products_of(&done.upload_id).await, products);
    let (_, list) = operator.get("/api/admin/dead-letters?queue=errors").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list["items"][0]["body"], "garbage");

    // Stream failures are listed but not redriven; unknown queues are 404.
    let answer = operator
        .send(
            Method::POST,
            "/api/admin/dead-letters/stream/redrive",
            None,
            false,
        )
        .await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    let answer = operator
        .send(
            Method::POST,
            "/api/admin/dead-letters/nope/redrive",
            None,
            false,
        )
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

async fn query(operator: &Browser, sql: &str) -> (StatusCode, Value) {
    operator
        .post("/api/admin/query", json!({ "sql": sql }))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn safe_queries_read_the_views_and_everything_else_is_refused() {
    let harness = portal().await;
    harness
        .upload("VEND001", "q.csv", generated_file("VEND001", 10, 0.3, 5))
        .await;
    let operator = Browser::operator(&harness).await;

    let (status, answer) = query(
        &operator,
        "SELECT vendor_id, status, count(*) AS uploads FROM console_uploads GROUP BY 1, 2 ORDER BY 1;",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["columns"][2]["name"], "uploads");
    assert_eq!(answer["columns"][2]["type"], "INT8");
    assert_eq!(answer["rows"][0][0], "VEND001");
    assert_eq!(answer["rows"][0][2], "1");
    for view in ["console_errors", "console_products", "console_vendors"] {
        let (status, answer) = query(&operator, &format!("SELECT * FROM {view} LIMIT 3")).await;
        assert_eq!(status, StatusCode::OK, "{view}: {answer}");
    }
    // A query over several lines, with a tab (the one field that may).
    let (status, answer) = query(
        &operator,
        "SELECT vendor_id\n\tFROM console_vendors\r\n LIMIT 1",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, problem) = query(&operator, "SELECT 1\u{1b}").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("control characters")
    );
    // Repeated names, NULLs, and the row limit.
    let (_, answer) = query(&operator, "SELECT 1 AS a, NULL::text AS a").await;
    assert_eq!(answer["rows"][0], json!(["1", null]));
    let (_, answer) = query(&operator, "SELECT g FROM generate_series(1, 5000) g").await;
    assert_eq!(answer["rows"].as_array().unwrap().len(), 1000);
    assert_eq!(answer["truncated"], true);

    // The CSV download: written by the server, every cell (column names
    // too) neutralised for a spreadsheet; a vendor's name that is a formula
    // arrives as text, a negative number stays a number, NULL is empty.
    sqlx::query("UPDATE vendors SET vendor_name = '=HYPERLINK(\"http://x\",\"y\")' WHERE vendor_id = 'VEND001'")
        .execute(&harness.db.pool)
        .await
        .unwrap();
    let answer = operator
        .send(
            Method::POST,
            "/api/admin/query/csv",
            Some(json!({ "sql": "SELECT vendor_name AS \"@name\", '-5.50' AS price, NULL::text AS gone FROM console_vendors WHERE vendor_id = 'VEND001'" })),
            false,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.content_type.as_deref(),
        Some("text/csv; charset=utf-8")
    );
    assert_eq!(
        String::from_utf8(answer.body).unwrap(),
        "'@name,price,gone\r\n\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",-5.50,\r\n"
    );
    let answer = operator
        .send(
            Method::POST,
            "/api/admin/query/csv",
            Some(json!({ "sql": "DELETE FROM console_uploads" })),
            false,
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "refused as CSV too");
    assert_eq!(answer.json()["field"], "sql");
    // Control bytes in the SQL: the same clear 400 on `sql` as the table's.
    let answer = operator
        .send(
            Method::POST,
            "/api/admin/query/csv",
            Some(json!({ "sql": "SELECT 1\u{1b}[2J" })),
            false,
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json()["field"], "sql");
    assert!(
        answer.json()["detail"]
            .as_str()
            .unwrap()
            .contains("control characters")
    );

    // The refused list: each a 400 on `sql` that says why.
    let refused = [
        (
            "INSERT INTO console_vendors (vendor_id) VALUES ('X')",
            "Writes are refused",
        ),
        (
            "UPDATE console_vendors SET status = 'active'",
            "Writes are refused",
        ),
        ("DELETE FROM console_uploads", "Writes are refused"),
        ("TRUNCATE products", "Writes are refused"),
        ("COPY vendors TO STDOUT", "Writes are refused"),
        (
            "MERGE INTO vendors v USING vendors w ON true WHEN MATCHED THEN DO NOTHING",
            "Writes are refused",
        ),
        (
            "WITH d AS (DELETE FROM vendors RETURNING *) SELECT * FROM d",
            "Writes are refused",
        ),
        (
            "SELECT * FROM console_vendors FOR UPDATE",
            "Writes are refused",
        ),
        ("DROP VIEW console_uploads", "Schema changes are refused"),
        ("CREATE TABLE x (a int)", "Schema changes are refused"),
        (
            "ALTER ROLE onboarding_console SUPERUSER",
            "Schema changes are refused",
        ),
        (
            "GRANT SELECT ON vendors TO onboarding_console",
            "Schema changes are refused",
        ),
        ("SELECT 1; SELECT 2", "Only one statement"),
        ("SELECT 1; DROP TABLE vendors", "Only one statement"),
        ("SET ROLE onboarding_api", "Only queries are allowed"),
        ("BEGIN", "Only queries are allowed"),
        ("SELECT * FROM upload_history", "Permission denied"),
        ("SELECT email FROM vendors", "Permission denied"),
        ("SELECT * FROM portal_sign_outs", "Permission denied"),
        ("SELECT * FROM report_links", "Permission denied"),
        (
            "SELECT nextval('products_product_id_seq')",
            "Permission denied",
        ),
        // No way back to a more privileged role: the session is the console's own login.
        (
            "SELECT set_config('role', 'onboarding_api', true), query_to_xml('SELECT * FROM upload_history', true, false, '')",
            "",
        ),
        ("SELECT * FROM no_such_view", "not valid"),
        ("", "empty"),
    ];
    for (sql, message) in refused {
        let (status, problem) = query(&operator, sql).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{sql}: {problem}");
        assert_eq!(problem["field"], "sql", "{sql}");
        assert!(
            problem["detail"].as_str().unwrap().contains(message),
            "{sql}: {problem}"
        );
    }
    // The views are intact and nothing was written.
    let (status, answer) = query(&operator, "SELECT count(*) FROM console_vendors").await;
    assert_eq!(status, StatusCode::OK);
    let vendors: i64 = sqlx::query_scalar("SELECT count(*) FROM vendors")
        .fetch_one(&harness.db.pool)
        .await
        .unwrap();
    assert_eq!(answer["rows"][0][0], vendors.to_string());

    // A query past the timeout is cancelled, promptly, with the reason.
    let started = Instant::now();
    let (status, problem) = query(&operator, "SELECT pg_sleep(30)").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("cancelled after 5000 ms"),
        "{problem}"
    );
    assert!(started.elapsed() < Duration::from_secs(15));
    // And the console still answers afterwards.
    let (status, _) = query(&operator, "SELECT 1").await;
    assert_eq!(status, StatusCode::OK);
}

/// `onboard admin …` against the local stack, through the admin API.
fn onboard_admin(harness: &Harness, args: &[&str]) -> (bool, String) {
    onboard_cli(harness, &[&["admin"], args].concat())
}

/// `onboard …` against the local stack, as its operator.
fn onboard_cli(harness: &Harness, args: &[&str]) -> (bool, String) {
    support::run_onboard(
        std::process::Command::new(env!("CARGO_BIN_EXE_onboard"))
            .args(args)
            .env(
                "ONBOARD_STACK_ENV",
                harness.stack.state_dir().join("stack.env"),
            )
            .env_remove("ONBOARD_API_URL")
            .env_remove("ONBOARD_API_TOKEN")
            .env_remove("PORTAL_URL"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_does_what_the_console_does() {
    let harness = portal().await;
    let bad = harness
        .upload("VEND002", "cli-bad.csv", all_invalid(3))
        .await;
    let json = |text: &str| -> Value { serde_json::from_str(text).expect(text) };

    let (ok, out) = onboard_admin(&harness, &["uploads", "--vendor", "VEND002", "--json"]);
    assert!(ok, "{out}");
    let page = json(&out);
    assert_eq!(page["items"][0]["upload_id"], bad.upload_id.as_str());
    assert_eq!(page["counts"]["failed"], 1);
    let (ok, out) = onboard_admin(&harness, &["uploads", "--status", "failed"]);
    assert!(
        ok && out.contains(bad.upload_id.as_str()) && out.contains("[failed]"),
        "{out}"
    );

    let (ok, out) = onboard_admin(&harness, &["logs", bad.upload_id.as_str(), "--json"]);
    assert!(ok, "{out}");
    let lines = json(&out);
    let functions: std::collections::BTreeSet<&str> = lines["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["function"].as_str().unwrap())
        .collect();
    assert_eq!(functions.len(), 3, "{out}");
    let (ok, out) = onboard_admin(
        &harness,
        &["logs", bad.upload_id.as_str(), "--text", "vendor notified"],
    );
    assert!(
        ok && out.contains("error-processor") && out.contains("vendor notified"),
        "{out}"
    );

    let (ok, out) = onboard_admin(&harness, &["monitor", "--window", "15m"]);
    assert!(
        ok && out.contains("csv-parser") && out.contains("dead letters errors"),
        "{out}"
    );

    let (ok, out) = onboard_admin(&harness, &["dlq", "list", "--json"]);
    assert!(ok, "{out}");
    assert_eq!(json(&out)["items"], json!([]));

    let (ok, out) = onboard_admin(
        &harness,
        &[
            "query",
            "SELECT vendor_id, status FROM console_uploads ORDER BY 1",
            "--json",
        ],
    );
    assert!(ok, "{out}");
    assert_eq!(json(&out)["rows"][0], json!(["VEND002", "failed"]));
    let (ok, out) = onboard_admin(&harness, &["query", "DROP TABLE vendors"]);
    assert!(!ok && out.contains("Schema changes are refused"), "{out}");

    let (ok, out) = onboard_admin(&harness, &["rerun", bad.upload_id.as_str(), "--json"]);
    assert!(ok, "{out}");
    assert_eq!(json(&out)["rerun_of"], bad.upload_id.as_str());
    let started = Instant::now();
    loop {
        let (_, out) = onboard_admin(&harness, &["upload", bad.upload_id.as_str(), "--json"]);
        if json(&out)["reruns"]
            .as_array()
            .is_some_and(|r| !r.is_empty())
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no re-run: {out}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // `onboard rerun` is `onboard admin rerun` at the top level.
    let (ok, out) = onboard_cli(&harness, &["rerun", bad.upload_id.as_str(), "--json"]);
    assert!(ok, "{out}");
    assert_eq!(json(&out)["rerun_of"], bad.upload_id.as_str());
}

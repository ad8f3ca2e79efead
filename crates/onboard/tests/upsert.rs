//! Update mode end to end on the local stack (issue 15): a real PostgreSQL,
//! moto over HTTP and the three function binaries; nothing is mocked. The
//! mode comes in each of its ways: `onboard upload --mode` (the object's
//! metadata), the `update/` folder, and the default.

mod support;

use std::collections::BTreeMap;

use onboarding_core::{UploadId, UploadStatus};
use serde_json::Value;
use support::{Harness, Options, run_onboard};

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata");
const PRICE: usize = 7;
const SKU: usize = 5;

/// The sample file's header and rows, as cells.
fn sample_rows() -> (csv::StringRecord, Vec<csv::StringRecord>) {
    // Flexible: the sample plants a row with too few cells (MALFORMED_ROW).
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(format!("{SAMPLES}/samples/VEND001_products.csv"))
        .expect("the sample catalog");
    let header = reader.headers().unwrap().clone();
    let rows = reader.records().map(Result::unwrap).collect();
    (header, rows)
}

fn csv_of(header: &csv::StringRecord, rows: &[csv::StringRecord]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(header).unwrap();
    for row in rows {
        writer.write_record(row).unwrap();
    }
    writer.into_inner().unwrap()
}

/// The row with its price moved by `cents` (down keeps any compare-at price
/// valid).
fn repriced(row: &csv::StringRecord, cents: i64) -> csv::StringRecord {
    let mut cells: Vec<String> = row.iter().map(str::to_string).collect();
    let old: f64 = cells[PRICE].parse().unwrap();
    let new = (old * 100.0).round() as i64 + cents;
    cells[PRICE] = format!("{}.{:02}", new / 100, new % 100);
    csv::StringRecord::from(cells)
}

fn onboard_upload(harness: &Harness, path: &std::path::Path, args: &[&str]) -> Value {
    let (ok, out) = run_onboard(
        std::process::Command::new(env!("CARGO_BIN_EXE_onboard"))
            .arg("upload")
            .arg(path)
            .args(args)
            .args(["--wait", "--json"])
            // The stack's database, not the server the tests run on.
            .env_remove("DATABASE_URL")
            .env(
                "ONBOARD_STACK_ENV",
                harness.stack.state_dir().join("stack.env"),
            ),
    );
    assert!(ok, "{out}");
    serde_json::from_str(&out).expect(&out)
}

async fn prices(harness: &Harness, vendor: &str) -> BTreeMap<String, String> {
    sqlx::query_as::<_, (String, String)>(
        "SELECT sku, price::text FROM products WHERE vendor_id = $1",
    )
    .bind(vendor)
    .fetch_all(&harness.db.pool)
    .await
    .unwrap()
    .into_iter()
    .collect()
}

async fn error_types(harness: &Harness, upload_id: &UploadId) -> BTreeMap<String, i64> {
    sqlx::query_as::<_, (String, i64)>(
        "SELECT error_type, count(*) FROM validation_errors WHERE upload_id = $1 GROUP BY 1",
    )
    .bind(upload_id.as_str())
    .fetch_all(&harness.db.pool)
    .await
    .unwrap()
    .into_iter()
    .collect()
}

async fn history_lines(harness: &Harness, upload_id: &str) -> Vec<(String, String, String)> {
    sqlx::query_as::<_, (String, String, String)>(
        r#"SELECT p.sku, h.previous_price::text, h.price::text
             FROM product_history h JOIN products p USING (product_id)
            WHERE h.upload_id = $1 ORDER BY p.sku"#,
    )
    .bind(upload_id)
    .fetch_all(&harness.db.pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catalog_uploaded_again_updates_only_the_vendors_own_changed_products() {
    let harness = Harness::start(Options::default()).await;
    let files = tempfile::tempdir().unwrap();
    let (header, rows) = sample_rows();

    // 1. The sample catalog, as the requirements have it: a create.
    let first = harness
        .upload(
            "VEND001",
            "catalog.csv",
            std::fs::read(format!("{SAMPLES}/samples/VEND001_products.csv")).unwrap(),
        )
        .await;
    assert_eq!(first.status, UploadStatus::Partial);
    assert_eq!(first.mode, onboarding_core::UploadMode::Create);
    assert_eq!(first.created_records, first.valid_records);
    let valid_rows: Vec<i32> = sqlx::query_scalar(
        "SELECT row_number FROM row_outcomes WHERE upload_id = $1 AND outcome = 'valid' ORDER BY 1",
    )
    .bind(first.upload_id.as_str())
    .fetch_all(&harness.db.pool)
    .await
    .unwrap();
    let catalog: Vec<csv::StringRecord> = valid_rows
        .iter()
        .map(|n| rows[*n as usize - 1].clone())
        .collect();
    let in_catalog = catalog.len() as i64;
    assert_eq!(in_catalog, i64::from(first.valid_records));
    let before = prices(&harness, "VEND001").await;

    // 2. The catalog again with 10 prices lowered by a cent, as an upsert
    //    (`onboard upload --mode upsert`, the object's metadata).
    let mut changed = catalog.clone();
    for row in changed.iter_mut().take(10) {
        *row = repriced(row, -1);
    }
    let update = files.path().join("catalog-update.csv");
    std::fs::write(&update, csv_of(&header, &changed)).unwrap();
    let summary = onboard_upload(
        &harness,
        &update,
        &["--vendor", "VEND001", "--mode", "upsert"],
    );
    assert_eq!(summary["mode"], "upsert", "{summary}");
    assert_eq!(summary["status"], "completed", "{summary}");
    assert_eq!(summary["error_records"], 0, "{summary}");
    assert_eq!(summary["updated_records"], 10, "{summary}");
    assert_eq!(summary["unchanged_records"], in_catalog - 10, "{summary}");
    assert_eq!(summary["created_records"], 0, "{summary}");
    let upsert_id: UploadId = summary["upload_id"].as_str().unwrap().parse().unwrap();
    let after = prices(&harness, "VEND001").await;
    let moved: Vec<&String> = before
        .keys()
        .filter(|sku| before[*sku] != after[*sku])
        .collect();
    let expected: Vec<&str> = changed.iter().take(10).map(|r| &r[SKU]).collect();
    let mut expected_sorted = expected.clone();
    expected_sorted.sort();
    assert_eq!(moved, expected_sorted);
    // The price history keeps what each of the 10 was.
    let history = history_lines(&harness, upsert_id.as_str()).await;
    assert_eq!(history.len(), 10, "{history:?}");
    for (sku, previous, price) in &history {
        assert_eq!(previous, &before[sku]);
        assert_eq!(price, &after[sku]);
    }
    // The email: the requirements' lines, then what the upsert did.
    let emails = harness.emails_about(&upsert_id).await;
    assert_eq!(emails.len(), 1, "{emails:?}");
    let body = &emails[0].body;
    let status_line = body.find("Status: COMPLETED").expect(body);
    let updated_line = body.find("Updated: 10\n").expect(body);
    assert!(status_line < updated_line, "{body}");
    assert!(
        body.contains(&format!("Unchanged: {}\n", in_catalog - 10)),
        "{body}"
    );
    assert!(body.contains("Created: 0\n"), "{body}");

    // 3. The same file as a create (no mode, a plain folder): every row is a
    //    DUPLICATE_SKU, as in the requirements, and nothing changes.
    let create = harness
        .upload("VEND001", "catalog-again.csv", csv_of(&header, &changed))
        .await;
    assert_eq!(create.mode, onboarding_core::UploadMode::Create);
    assert_eq!(create.status, UploadStatus::Failed);
    assert_eq!(i64::from(create.error_records), in_catalog);
    assert_eq!(
        error_types(&harness, &create.upload_id).await["DUPLICATE_SKU"],
        in_catalog
    );
    assert_eq!(prices(&harness, "VEND001").await, after);

    // 4. Another vendor's upsert of those SKUs (the update/ folder), with
    //    every price changed: every row is an error, and VEND001's catalog,
    //    prices and history are untouched.
    let theirs: Vec<csv::StringRecord> = changed.iter().map(|r| repriced(r, -2)).collect();
    let other = harness
        .upload("VEND002", "update/catalog.csv", csv_of(&header, &theirs))
        .await;
    assert_eq!(other.mode, onboarding_core::UploadMode::Upsert);
    assert_eq!(other.status, UploadStatus::Failed);
    assert_eq!(i64::from(other.error_records), in_catalog);
    assert_eq!(
        (
            other.created_records,
            other.updated_records,
            other.unchanged_records
        ),
        (0, 0, 0)
    );
    assert_eq!(
        error_types(&harness, &other.upload_id).await,
        BTreeMap::from([("DUPLICATE_SKU".to_string(), in_catalog)])
    );
    assert_eq!(prices(&harness, "VEND001").await, after);
    assert!(prices(&harness, "VEND002").await.is_empty());
    assert!(
        history_lines(&harness, other.upload_id.as_str())
            .await
            .is_empty()
    );
}

/// An object whose `mode` metadata is not a mode fails as a whole, naming it,
/// rather than being read as a create.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_mode_fails_the_upload_and_says_so() {
    let harness = Harness::start(Options::default()).await;
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("clean.csv");
    std::fs::copy(format!("{SAMPLES}/samples/VEND001_clean.csv"), &path).unwrap();
    // The CLI refuses the word before anything goes up.
    let (ok, out) = run_onboard(
        std::process::Command::new(env!("CARGO_BIN_EXE_onboard"))
            .args(["upload", "--vendor", "VEND001", "--mode", "replace"])
            .arg(&path)
            .env(
                "ONBOARD_STACK_ENV",
                harness.stack.state_dir().join("stack.env"),
            ),
    );
    assert!(!ok);
    assert!(out.contains("'replace' is not an upload mode"), "{out}");
    // A direct drop with the metadata set.
    let upload = harness
        .upload_with_metadata(
            "uploads/VEND001/odd-mode.csv",
            std::fs::read(&path).unwrap(),
            &[("mode", "replace")],
        )
        .await;
    assert_eq!(upload.status, UploadStatus::Failed);
    assert!(
        upload
            .failure_reason
            .as_deref()
            .is_some_and(|r| r.contains("'replace'")),
        "{:?}",
        upload.failure_reason
    );
    assert_eq!(harness.products_of(&upload.upload_id).await, 0);
}

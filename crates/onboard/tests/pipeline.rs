//! The whole pipeline end to end on the local stack: a real PostgreSQL, the
//! moto AWS emulator over HTTP, and the three function binaries run through
//! our Lambda Runtime API runner. Nothing is mocked.

mod support;

use onboarding_core::generate::{GeneratorSpec, generate};
use onboarding_core::{
    CategoryWhitelist, ErrorType, FileChecker, ProductCsvReader, ReadLimits, ReportLine, UploadId,
    VendorId, parse_error_report, write_error_report,
};
use onboarding_devstack::options::FunctionKind;
use support::{Harness, Options, generated_file};

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata");

fn sample(path: &str) -> Vec<u8> {
    std::fs::read(format!("{SAMPLES}/{path}")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_file_lands_in_the_catalog_with_one_email_and_no_link() {
    let stack = Harness::start(Options::default()).await;
    let upload = stack
        .upload("VEND001", "clean.csv", sample("samples/VEND001_clean.csv"))
        .await;
    assert_eq!(upload.status, onboarding_core::UploadStatus::Completed);
    assert_eq!(upload.total_records, Some(20));
    assert_eq!(upload.valid_records, 20);
    assert_eq!(upload.error_records, 0);
    assert_eq!(upload.error_file_s3_key, None);
    assert_eq!(stack.products_of(&upload.upload_id).await, 20);

    let emails = stack.emails_about(&upload.upload_id).await;
    assert_eq!(emails.len(), 1, "exactly one email: {emails:?}");
    let email = &emails[0];
    assert_eq!(email.vendor_id, "VEND001");
    assert_eq!(email.status, onboarding_core::UploadStatus::Completed);
    assert!(email.subject.contains("100% Success"), "{}", email.subject);
    assert!(
        !email.body.contains("Download"),
        "no link for a clean file:\n{}",
        email.body
    );
    let about_upload = assert_every_log_line_names_upload_and_vendor(&stack);
    assert!(
        about_upload.iter().any(
            |(upload_id, vendor_id)| upload_id == upload.upload_id.as_str()
                && vendor_id == "VEND001"
        ),
        "the upload's own lines name it and its vendor: {about_upload:?}"
    );
    // Idle functions hold no connection, so Aurora Serverless can pause.
    let held = stack.pipeline_connections_after_idle().await;
    assert!(
        held.is_empty(),
        "connections held by idle functions: {held:?}"
    );
}

/// The field of a JSON log line, at the top level (event fields, EMF
/// properties) or in its `span` (the handler's `upload` span).
fn log_field<'a>(line: &'a serde_json::Value, field: &str) -> Option<&'a str> {
    line.get(field)
        .or_else(|| line.get("span").and_then(|span| span.get(field)))
        .and_then(serde_json::Value::as_str)
}

/// Reads every function's log and checks that each JSON line (tracing
/// events and EMF records alike) carries `upload_id` and `vendor_id`.
/// Returns the distinct (upload_id, vendor_id) pairs seen for real uploads.
fn assert_every_log_line_names_upload_and_vendor(stack: &Harness) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for kind in FunctionKind::ALL {
        let path = stack.stack.log_path(kind);
        let log =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut json_lines = 0;
        for line in log.lines() {
            // Anything else (a panic message, a line cut off by an
            // injected kill) is not a log record.
            let Ok(record @ serde_json::Value::Object(_)) = serde_json::from_str(line) else {
                continue;
            };
            json_lines += 1;
            let (Some(upload_id), Some(vendor_id)) = (
                log_field(&record, "upload_id"),
                log_field(&record, "vendor_id"),
            ) else {
                panic!("{kind} wrote a line without upload_id and vendor_id: {line}");
            };
            assert!(
                !upload_id.is_empty() && !vendor_id.is_empty(),
                "{kind}: blank ids in {line}"
            );
            if upload_id != "-" {
                assert_ne!(
                    vendor_id, "-",
                    "{kind}: an upload's line without its vendor: {line}"
                );
                let pair = (upload_id.to_string(), vendor_id.to_string());
                if !pairs.contains(&pair) {
                    pairs.push(pair);
                }
            }
        }
        assert!(
            json_lines > 0,
            "{kind} logged nothing in {}",
            path.display()
        );
    }
    pairs
}

/// The validator's `ValidationErrors` EMF records of an upload: error type
/// (a property, so one metric series whatever the type) -> count.
fn validation_errors_by_type(
    stack: &Harness,
    upload_id: &UploadId,
) -> std::collections::BTreeMap<String, f64> {
    let path = stack.stack.log_path(FunctionKind::ProductValidator);
    let log = std::fs::read_to_string(&path).unwrap();
    let mut by_type = std::collections::BTreeMap::new();
    for line in log.lines() {
        let Ok(record) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if record["upload_id"] != upload_id.as_str() || record.get("ValidationErrors").is_none() {
            continue;
        }
        let directive = &record["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(
            directive["Dimensions"],
            serde_json::json!([["Function"]]),
            "ErrorType must not be a dimension: {line}"
        );
        let error_type = record["ErrorType"].as_str().expect("ErrorType property");
        *by_type.entry(error_type.to_string()).or_insert(0.0) +=
            record["ValidationErrors"].as_f64().unwrap();
    }
    by_type
}

/// The error report a fault-free pipeline writes for a file whose rows
/// meet no catalog duplicates, computed in process; and its invalid rows.
/// A header-only file has neither (it fails as a whole, with no report).
async fn offline_report(bytes: &[u8]) -> (u32, Vec<u8>) {
    let categories = CategoryWhitelist::new(
        onboarding_db::seed::category_names(onboarding_db::seed::CATEGORIES_CSV).unwrap(),
    );
    let mut reader = ProductCsvReader::open(bytes, ReadLimits::default())
        .await
        .unwrap();
    let header = reader.header().clone();
    let mut checker = FileChecker::new(&header, &categories);
    let mut lines = Vec::new();
    let mut invalid = 0;
    loop {
        let row = match reader.next_row().await {
            Ok(Some(row)) => row,
            Ok(None) | Err(onboarding_core::FileFailure::HeaderOnly) => break,
            Err(failure) => panic!("not a file of rows: {failure:?}"),
        };
        let checked = checker.check(&row);
        invalid += u32::from(!checked.is_valid());
        lines.extend(ReportLine::for_row(&checked));
    }
    (invalid, write_error_report(&lines))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_with_errors_gives_the_golden_report_and_an_email_with_a_working_link() {
    let stack = Harness::start(Options::default()).await;
    for vendor in ["VEND001", "VEND002", "VEND003"] {
        let upload = stack
            .upload(
                vendor,
                "products.csv",
                sample(&format!("samples/{vendor}_products.csv")),
            )
            .await;
        assert_eq!(
            upload.status,
            onboarding_core::UploadStatus::Partial,
            "{vendor}"
        );
        assert_eq!(upload.total_records, Some(100));
        let key = upload.error_file_s3_key.clone().expect("report key");
        assert_eq!(
            key,
            format!("errors/{vendor}/{}_errors.csv", upload.upload_id)
        );
        let report = stack.s3_object(&key).await;
        let golden = sample(&format!("golden/{vendor}_products_errors.csv"));
        assert_eq!(
            String::from_utf8_lossy(&report),
            String::from_utf8_lossy(&golden),
            "{vendor}: the report differs from the golden file"
        );
        let lines = parse_error_report(&report).unwrap();
        let failed_rows: std::collections::BTreeSet<u32> =
            lines.iter().map(|l| l.row_number).collect();
        assert_eq!(failed_rows.len() as i32, upload.error_records);
        // The metrics count the report's lines by type (what the dashboard's
        // "errors by type" widget sums).
        let mut report_by_type = std::collections::BTreeMap::new();
        for line in &lines {
            *report_by_type
                .entry(line.error_type.as_str().to_string())
                .or_insert(0.0) += 1.0;
        }
        assert_eq!(
            validation_errors_by_type(&stack, &upload.upload_id),
            report_by_type,
            "{vendor}"
        );
        assert_eq!(
            stack.products_of(&upload.upload_id).await,
            i64::from(upload.valid_records)
        );

        let fix = stack
            .s3_object(upload.fix_file_s3_key.as_deref().unwrap())
            .await;
        let fix_rows = csv::Reader::from_reader(fix.as_slice()).records().count();
        assert_eq!(
            fix_rows as i32, upload.error_records,
            "{vendor}: one fix row per failed row"
        );

        let emails = stack.emails_about(&upload.upload_id).await;
        assert_eq!(emails.len(), 1);
        let email = &emails[0];
        let lines: Vec<&str> = email.body.lines().collect();
        let link = lines
            .get(8)
            .and_then(|l| l.strip_prefix("Download Error Report: "))
            .unwrap_or_else(|| panic!("{vendor}: no report link on line 9:\n{}", email.body));
        // The requirements' email format (section 3.3), line for line, with
        // its variable parts filled from this upload (100 rows, so the
        // percentages are the counts themselves). Only the link is read
        // from the email, and it is checked below.
        let valid_percent = upload.valid_records;
        let requirements_format = [
            format!("Upload ID: {}", upload.upload_id),
            "File Name: products.csv".to_string(),
            "Total Products: 100".to_string(),
            format!(
                "Valid Products: {} ({valid_percent}%)",
                upload.valid_records
            ),
            format!(
                "Invalid Products: {} ({}%)",
                upload.error_records,
                100 - valid_percent
            ),
            String::new(),
            "Status: PARTIAL".to_string(),
            String::new(),
            format!("Download Error Report: {link}"),
            "(Link expires in 7 days)".to_string(),
        ];
        assert_eq!(
            lines[..requirements_format.len()],
            requirements_format[..],
            "{vendor}: the email is not the requirements' format:\n{}",
            email.body
        );
        assert_eq!(
            email.subject,
            format!("Product Upload Complete - products.csv ({valid_percent}% Success)")
        );
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.starts_with("Download Error Report:"))
                .count(),
            1,
            "{}",
            email.body
        );
        // "(Link expires in 7 days)" is the link's own lifetime: presigned
        // for 604800 seconds (SigV4's maximum) by credentials that outlive it.
        assert!(link.contains("X-Amz-Expires=604800"), "{link}");
        let downloaded = reqwest::get(link).await.unwrap();
        assert!(downloaded.status().is_success(), "{link}");
        assert_eq!(
            downloaded.bytes().await.unwrap().as_ref(),
            report.as_slice()
        );

        // The fix file, uploaded again as it is, reads back as the vendor's
        // own cells: its new fix file repeats every cell of the old one
        // (formula cells neutralised once, not twice), the old errors column
        // included, and adds a new errors column.
        let again = stack.upload(vendor, "products_fix.csv", fix.clone()).await;
        assert_eq!(again.total_records, Some(upload.error_records), "{vendor}");
        let fix_again = stack
            .s3_object(again.fix_file_s3_key.as_deref().expect("a fix file"))
            .await;
        let records = |bytes: &[u8]| -> Vec<csv::StringRecord> {
            csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(bytes)
                .records()
                .map(Result::unwrap)
                .collect()
        };
        let (before, after) = (records(&fix), records(&fix_again));
        assert_eq!(before.len(), after.len(), "{vendor}");
        for (old, new) in before.iter().zip(&after) {
            assert_eq!(new.len(), old.len() + 1, "{vendor}");
            assert_eq!(
                new.iter().take(old.len()).collect::<Vec<_>>(),
                old.iter().collect::<Vec<_>>(),
                "{vendor}: a cell changed on the way through the fix file"
            );
        }
    }
}

/// Blue/green (docs/releases.md#the-candidate-lane-testing-new-versions-before-the-switch): an upload under `candidate/uploads/`
/// is the deploy script's smoke test of the versions about to go live. It is
/// judged and reported like any upload, its staged rows carry the lane the
/// candidate stream mapping filters on, and its messages travel on the
/// candidate errors queue only; a live upload next to it never touches that
/// queue.
/// The same catalog as CSV, a JSON array and JSON Lines (issue 15): the
/// same products in the catalog and the same error report, byte for byte.
/// Each upload's products are removed before the next, so that the next is
/// not judged against them as duplicates.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_json_and_json_lines_give_the_same_products_and_report() {
    let stack = Harness::start(Options::default()).await;
    let golden = sample("golden/VEND003_products_errors.csv");
    let mut catalogs = Vec::new();
    for name in [
        "VEND003_products.csv",
        "VEND003_products.json",
        "VEND003_products.jsonl",
    ] {
        let upload = stack
            .upload("VEND003", name, sample(&format!("samples/{name}")))
            .await;
        assert_eq!(
            upload.status,
            onboarding_core::UploadStatus::Partial,
            "{name}: {:?}",
            upload.failure_reason
        );
        assert_eq!(upload.total_records, Some(100), "{name}");
        let report = stack
            .s3_object(&upload.error_file_s3_key.clone().expect("report key"))
            .await;
        assert!(
            report == golden,
            "{name}: the report differs from the CSV's golden file:\n{}",
            String::from_utf8_lossy(&report)
        );
        let products: Vec<String> = sqlx::query_scalar(
            "SELECT concat_ws('|', source_row_number, vendor_product_id, product_name, category,
                    subcategory, description, sku, brand, price, compare_at_price,
                    stock_quantity, unit, weight_kg, dimensions_cm, image_url, status)
               FROM products WHERE upload_id = $1 ORDER BY source_row_number",
        )
        .bind(upload.upload_id.as_str())
        .fetch_all(&stack.db.pool)
        .await
        .unwrap();
        assert_eq!(products.len() as i32, upload.valid_records, "{name}");
        sqlx::query("DELETE FROM products WHERE upload_id = $1")
            .bind(upload.upload_id.as_str())
            .execute(&stack.db.pool)
            .await
            .unwrap();
        catalogs.push((name, products));
    }
    for (name, products) in &catalogs[1..] {
        assert_eq!(
            products, &catalogs[0].1,
            "{name}: products differ from the CSV's"
        );
    }
    // A wrong type travels through staging to the report, naming the field.
    let typed = concat!(
        r#"{"vendor_product_id": "J1", "product_name": "Lamp", "category": "Furniture", "sku": "J-SKU-1", "price": 10, "stock_quantity": "3"}"#,
        "\n\n",
        r#"{"vendor_product_id": "J2", "product_name": "Desk", "category": "Furniture", "sku": "J-SKU-2", "price": true, "stock_quantity": 1}"#,
        "\n",
    );
    let upload = stack
        .upload("VEND003", "typed.ndjson", typed.as_bytes().to_vec())
        .await;
    assert_eq!(upload.status, onboarding_core::UploadStatus::Partial);
    assert_eq!((upload.valid_records, upload.error_records), (1, 1));
    let report = stack
        .s3_object(&upload.error_file_s3_key.clone().expect("report key"))
        .await;
    let lines = parse_error_report(&report).unwrap();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0].row_number, 3, "line numbers, blank lines counted");
    assert_eq!(lines[0].error_type, ErrorType::MalformedRow);
    assert_eq!(
        lines[0].error_message,
        "Field 'price' must be a string or a number, not a boolean (true or false)."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_candidate_lane_upload_runs_through_the_candidate_queue_only() {
    let stack = Harness::start(Options {
        invocation_log: true,
        ..Options::default()
    })
    .await;
    let candidate_queue = stack.stack.resources().candidate_errors_queue_arn.clone();
    let live_queue = stack.stack.resources().errors_queue_arn.clone();

    let candidate = stack
        .upload_to(
            "candidate/uploads/VEND001/smoke.csv",
            sample("samples/VEND001_products.csv"),
        )
        .await;
    let live = stack
        .upload(
            "VEND001",
            "products.csv",
            sample("samples/VEND001_products.csv"),
        )
        .await;

    assert_eq!(candidate.status, onboarding_core::UploadStatus::Partial);
    assert_eq!(candidate.vendor_id, VendorId::parse("VEND001").ok());
    assert_eq!(candidate.file_name, "smoke.csv");
    assert_eq!(candidate.total_records, Some(100));
    let report = stack
        .s3_object(candidate.error_file_s3_key.as_deref().expect("report key"))
        .await;
    assert_eq!(
        String::from_utf8_lossy(&report),
        String::from_utf8_lossy(&sample("golden/VEND001_products_errors.csv")),
        "the candidate lane judges exactly like the live one"
    );
    assert_eq!(stack.emails_about(&candidate.upload_id).await.len(), 1);
    assert_eq!(stack.emails_about(&live.upload_id).await.len(), 1);

    let lanes = stack.staged_lanes(&candidate.upload_id).await;
    assert_eq!(lanes.len(), 100);
    assert!(
        lanes
            .iter()
            .all(|lane| lane.as_deref() == Some("candidate")),
        "{lanes:?}"
    );
    assert!(
        stack
            .staged_lanes(&live.upload_id)
            .await
            .iter()
            .all(Option::is_none),
        "live rows carry no lane attribute"
    );

    let candidate_sources = stack.error_processor_queues_for(&candidate.upload_id);
    assert!(!candidate_sources.is_empty());
    assert!(
        candidate_sources.iter().all(|arn| arn == &candidate_queue),
        "{candidate_sources:?}"
    );
    let live_sources = stack.error_processor_queues_for(&live.upload_id);
    assert!(!live_sources.is_empty());
    assert!(
        live_sources.iter().all(|arn| arn == &live_queue),
        "{live_sources:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_that_fail_as_a_whole_are_recorded_and_explained() {
    let stack = Harness::start(Options::default()).await;
    let big = {
        let mut bytes = sample("samples/VEND001_clean.csv");
        let filler = b"\nFILLER,x,Electronics,,,FILLER-SKU,,1.00,,1,,,,";
        while bytes.len() < 10 * 1024 * 1024 + 1 {
            bytes.extend_from_slice(filler);
        }
        bytes.truncate(10 * 1024 * 1024 + 1);
        bytes
    };
    let too_many_rows = generated_file("VEND001", 10_001, 0.0, 3);
    let cases: Vec<(&str, &str, Vec<u8>, &str, bool)> = vec![
        (
            "VEND001",
            "empty.csv",
            sample("nasty/empty.csv"),
            "empty",
            true,
        ),
        (
            "VEND001",
            "header only.csv",
            sample("nasty/header_only.csv"),
            "header row but no products",
            true,
        ),
        (
            "VEND001",
            "missing.csv",
            sample("nasty/missing_column.csv"),
            "missing required column(s)",
            true,
        ),
        (
            "VEND001",
            "binary.csv",
            sample("nasty/binary.csv"),
            "binary",
            true,
        ),
        ("VEND001", "big.csv", big, "larger than", true),
        (
            "VEND001",
            "many.csv",
            too_many_rows,
            "more than 10000 products",
            true,
        ),
        (
            "VEND004",
            "suspended.csv",
            sample("samples/VEND001_clean.csv"),
            "suspended",
            true,
        ),
        (
            "VEND001",
            "broken.json",
            b"[\n{\"sku\": \"A\"}\n{\"sku\": \"B\"}\n]".to_vec(),
            "not valid JSON at line 3, column 1: expected ',' or ']' after an array element",
            true,
        ),
        (
            "VEND001",
            "deep.jsonl",
            format!("{}\n", "[".repeat(200_000)).into_bytes(),
            "not valid JSON at line 1, column",
            true,
        ),
        (
            "VEND001",
            "products.xlsx",
            sample("samples/VEND001_clean.csv"),
            "is not a .csv, .json, .jsonl or .ndjson file",
            true,
        ),
        (
            "VEND999",
            "unknown.csv",
            sample("samples/VEND001_clean.csv"),
            "not registered",
            false,
        ),
    ];
    let uploads = futures::future::join_all(
        cases
            .iter()
            .map(|(vendor, name, bytes, _, _)| stack.upload(vendor, name, bytes.clone())),
    )
    .await;
    for ((vendor, name, _, reason, emailed), upload) in cases.iter().zip(&uploads) {
        assert_eq!(
            upload.status,
            onboarding_core::UploadStatus::Failed,
            "{name}"
        );
        let recorded = upload.failure_reason.clone().unwrap_or_default();
        assert!(
            recorded.contains(reason),
            "{name}: '{recorded}' lacks '{reason}'"
        );
        assert_eq!(stack.products_of(&upload.upload_id).await, 0, "{name}");
        assert_eq!(
            stack.staged_rows(&upload.upload_id).await,
            0,
            "{name}: nothing staged"
        );
        let emails = stack.emails_about(&upload.upload_id).await;
        if *emailed {
            assert_eq!(emails.len(), 1, "{name}");
            assert_eq!(emails[0].vendor_id, *vendor);
            assert!(
                emails[0].subject.starts_with("Product Upload Failed"),
                "{}",
                emails[0].subject
            );
            assert!(
                emails[0].body.contains(reason),
                "{name}: {}",
                emails[0].body
            );
        } else {
            assert!(
                emails.is_empty(),
                "{name}: an unknown vendor has nobody to tell"
            );
        }
    }
}

/// A row DynamoDB could not stage (an item holds at most 400 KB) is that
/// row's error, naming its field, and the rest of the file lands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_too_large_to_stage_is_its_own_error_and_the_rest_lands() {
    let stack = Harness::start(Options::default()).await;
    let mut bytes = sample("samples/VEND001_clean.csv");
    let huge = "x".repeat(500_000);
    bytes.extend_from_slice(
        format!("\nBIG0001,Big,Electronics,,{huge},BIG-SKU-1,,9.99,,1,,,,\n").as_bytes(),
    );
    let upload = stack.upload("VEND001", "one huge cell.csv", bytes).await;
    assert_eq!(
        (
            upload.status,
            upload.total_records,
            upload.valid_records,
            upload.error_records
        ),
        (onboarding_core::UploadStatus::Partial, Some(21), 20, 1)
    );
    let report = parse_error_report(
        &stack
            .s3_object(upload.error_file_s3_key.as_deref().unwrap())
            .await,
    )
    .unwrap();
    assert_eq!(report.len(), 1, "{report:?}");
    assert_eq!(report[0].error_type, ErrorType::FieldTooLong);
    assert_eq!(
        report[0].error_message,
        "Field 'description' is 500000 characters long; the limit is 2000."
    );
    assert_eq!(report[0].sku, "BIG-SKU-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_duplicates_and_new_versions_are_handled_like_a_vendor_expects() {
    let stack = Harness::start(Options::default()).await;
    // A key with spaces, a plus and unicode arrives URL-encoded the AWS way.
    let name = "spring sale + café €.csv";
    let first = stack
        .upload("VEND001", name, sample("samples/VEND001_clean.csv"))
        .await;
    assert_eq!(first.file_name, name);
    assert_eq!(first.status, onboarding_core::UploadStatus::Completed);

    // The same key again is a new object version: a new upload, whose rows
    // all collide with the products the first version created.
    let second = stack
        .upload("VEND001", name, sample("samples/VEND001_clean.csv"))
        .await;
    assert_ne!(second.upload_id, first.upload_id);
    assert_eq!(second.status, onboarding_core::UploadStatus::Failed);
    assert_eq!(second.error_records, 20);
    let report = parse_error_report(
        &stack
            .s3_object(second.error_file_s3_key.as_deref().unwrap())
            .await,
    )
    .unwrap();
    assert!(report.iter().all(|l| matches!(
        l.error_type,
        ErrorType::DuplicateSku | ErrorType::DuplicateVendorProductId
    )));
    assert_eq!(stack.products_of(&second.upload_id).await, 0);

    // Another vendor with the same SKUs: the catalog check catches them.
    let other = stack
        .upload("VEND002", "copy.csv", sample("samples/VEND001_clean.csv"))
        .await;
    assert_eq!(other.error_records, 20);
    let report = parse_error_report(
        &stack
            .s3_object(other.error_file_s3_key.as_deref().unwrap())
            .await,
    )
    .unwrap();
    assert!(
        report
            .iter()
            .any(|l| l.error_type == ErrorType::DuplicateSku)
    );
    assert!(
        !report
            .iter()
            .any(|l| l.error_type == ErrorType::DuplicateVendorProductId),
        "product ids are per vendor"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ten_thousand_row_file_is_judged_completely() {
    let stack = Harness::start(Options::default()).await;
    let spec = GeneratorSpec {
        rows: 10_000,
        error_rate: 0.1,
        seed: 21,
        vendor_id: VendorId::parse("VEND003").unwrap(),
    };
    let (bytes, planted) = generated(&spec);
    let upload = stack.upload("VEND003", "big.csv", bytes).await;
    assert_eq!(upload.total_records, Some(10_000));
    assert_eq!(upload.error_records as u32, planted.invalid_rows);
    assert_eq!(upload.valid_records as u32, 10_000 - planted.invalid_rows);
    assert_eq!(
        stack.products_of(&upload.upload_id).await,
        i64::from(upload.valid_records)
    );
    let report = parse_error_report(
        &stack
            .s3_object(upload.error_file_s3_key.as_deref().unwrap())
            .await,
    )
    .unwrap();
    for (error_type, count) in &planted.by_type {
        let found = report
            .iter()
            .filter(|l| l.error_type == *error_type)
            .count() as u32;
        assert!(
            found >= *count,
            "{error_type:?}: planted {count}, reported {found}"
        );
    }
    assert_eq!(stack.emails_about(&upload.upload_id).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_concurrent_uploads_and_two_vendors_racing_for_the_same_skus() {
    let stack = Harness::start(Options::default()).await;
    let mut files = Vec::new();
    for i in 0..8u64 {
        let vendor = ["VEND001", "VEND002", "VEND003"][i as usize % 3];
        let spec = GeneratorSpec {
            rows: 300,
            error_rate: 0.2,
            seed: 100 + i,
            vendor_id: VendorId::parse(vendor).unwrap(),
        };
        let (bytes, planted) = generated(&spec);
        files.push((vendor, format!("batch-{i}.csv"), bytes, Some(planted)));
    }
    // Two vendors, one file: every SKU is contested.
    let contested = generated_file("VEND001", 500, 0.0, 999);
    files.push(("VEND001", "race.csv".into(), contested.clone(), None));
    files.push(("VEND002", "race.csv".into(), contested, None));

    let uploads = futures::future::join_all(
        files
            .iter()
            .map(|(vendor, name, bytes, _)| stack.upload(vendor, name, bytes.clone())),
    )
    .await;
    for ((_, name, _, planted), upload) in files.iter().zip(&uploads) {
        assert_eq!(
            upload.valid_records + upload.error_records,
            upload.total_records.unwrap(),
            "{name}"
        );
        if let Some(planted) = planted {
            assert_eq!(upload.error_records as u32, planted.invalid_rows, "{name}");
        }
        assert_eq!(
            stack.emails_about(&upload.upload_id).await.len(),
            1,
            "{name}"
        );
        assert_eq!(
            stack.products_of(&upload.upload_id).await,
            i64::from(upload.valid_records)
        );
    }
    let (a, b) = (&uploads[8], &uploads[9]);
    assert_eq!(
        a.valid_records + b.valid_records,
        500,
        "each contested SKU has exactly one winner"
    );
    assert_eq!(
        a.error_records + b.error_records,
        500,
        "and one DUPLICATE_SKU loser"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicated_events_and_failed_invocations_change_nothing() {
    let stack = Harness::start(Options::with_faults(0.25, 7)).await;
    let mut files = vec![(
        "VEND001",
        "samples.csv".to_string(),
        sample("samples/VEND001_products.csv"),
    )];
    for i in 0..3u64 {
        files.push((
            "VEND002",
            format!("gen-{i}.csv"),
            generated_file("VEND002", 400, 0.25, 50 + i),
        ));
    }
    files.push((
        "VEND001",
        "header-only.csv".into(),
        sample("nasty/header_only.csv"),
    ));
    let uploads = futures::future::join_all(
        files
            .iter()
            .map(|(vendor, name, bytes)| stack.upload(vendor, name, bytes.clone())),
    )
    .await;
    let bucket = stack
        .stack
        .env()
        .require(onboarding_devstack::env::keys::UPLOAD_BUCKET)
        .unwrap()
        .to_string();
    for ((vendor, name, bytes), upload) in files.iter().zip(&uploads) {
        let total = upload.total_records.unwrap_or(0);
        assert_eq!(
            upload.valid_records + upload.error_records,
            total,
            "{name}: counts exact"
        );
        assert_eq!(
            stack.products_of(&upload.upload_id).await,
            i64::from(upload.valid_records),
            "{name}: no duplicate products"
        );
        assert_eq!(
            stack.outcomes_of(&upload.upload_id).await,
            i64::from(total),
            "{name}: each row decided once"
        );
        assert_eq!(
            stack.emails_about(&upload.upload_id).await.len(),
            1,
            "{name}: one email"
        );

        // The errors and the report, exactly as without faults: the golden
        // report for the sample file, the in-process verdict for the others.
        let (expected_invalid, expected) = offline_report(bytes).await;
        if name == "samples.csv" {
            assert_eq!(
                String::from_utf8_lossy(&expected),
                String::from_utf8_lossy(&sample("golden/VEND001_products_errors.csv")),
                "the golden report is the offline verdict"
            );
        }
        let expected_lines = parse_error_report(&expected).unwrap();
        assert_eq!(
            upload.error_records as u32, expected_invalid,
            "{name}: error rows exact"
        );
        let stored_errors: i64 =
            sqlx::query_scalar("SELECT count(*) FROM validation_errors WHERE upload_id = $1")
                .bind(upload.upload_id.as_str())
                .fetch_one(&stack.db.pool)
                .await
                .unwrap();
        assert_eq!(
            stored_errors,
            expected_lines.len() as i64,
            "{name}: each error recorded once"
        );
        let written = stack
            .stack
            .clients()
            .s3
            .list_objects_v2()
            .bucket(&bucket)
            .prefix(format!("errors/{vendor}/{}_", upload.upload_id))
            .send()
            .await
            .unwrap();
        let mut keys: Vec<String> = written
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_string))
            .collect();
        keys.sort();
        if expected_invalid == 0 {
            assert_eq!(upload.error_file_s3_key, None, "{name}: no report");
            assert!(keys.is_empty(), "{name}: nothing written: {keys:?}");
            continue;
        }
        let report_key =
            onboarding_core::error_report_key(&VendorId::parse(vendor).unwrap(), &upload.upload_id);
        assert_eq!(
            upload.error_file_s3_key.as_deref(),
            Some(report_key.as_str()),
            "{name}: the report is recorded"
        );
        assert_eq!(
            keys,
            vec![
                report_key.clone(),
                onboarding_core::fix_file_key(&VendorId::parse(vendor).unwrap(), &upload.upload_id)
            ],
            "{name}: one report and one fix file"
        );
        let report = stack.s3_object(&report_key).await;
        assert_eq!(
            String::from_utf8_lossy(&report),
            String::from_utf8_lossy(&expected),
            "{name}: the report is exact despite the faults"
        );
    }
    assert_every_log_line_names_upload_and_vendor(&stack);
    let stats = stack.fault_stats();
    assert!(
        stats.parser_invocations >= 2 * files.len() as u64,
        "every S3 event was delivered twice: {stats:?}"
    );
    assert!(
        stats.failed > 0,
        "invocations were failed on purpose: {stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_message_ends_in_the_dead_letter_queue() {
    let stack = Harness::start(Options::default()).await;
    stack
        .send_to_error_queue("this is not a pipeline message")
        .await;
    let dead = stack.wait_for_dead_letters(1).await;
    assert_eq!(dead, vec!["this is not a pipeline message".to_string()]);
    // The pipeline still works after it.
    let upload = stack
        .upload("VEND001", "after.csv", sample("samples/VEND001_clean.csv"))
        .await;
    assert_eq!(upload.status, onboarding_core::UploadStatus::Completed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poisoned_stream_record_does_not_block_the_shard() {
    use aws_sdk_dynamodb::types::AttributeValue;
    use onboarding_devstack::env::keys;
    let stack = Harness::start(Options::default()).await;
    let env = stack.stack.env();
    // A staged item the validator cannot read: no row number, no fields.
    stack
        .stack
        .clients()
        .dynamodb
        .put_item()
        .table_name(env.require(keys::STAGING_TABLE).unwrap())
        .item("upload_id", AttributeValue::S("UPLOAD_POISON".into()))
        .item("record_id", AttributeValue::S("000001".into()))
        .item("status", AttributeValue::S("pending_validation".into()))
        .send()
        .await
        .unwrap();
    // Uploads behind it on the same shard are judged completely.
    let upload = stack
        .upload(
            "VEND001",
            "behind.csv",
            sample("samples/VEND001_products.csv"),
        )
        .await;
    assert_eq!(
        (
            upload.status.as_str(),
            upload.valid_records,
            upload.error_records
        ),
        ("partial", 85, 15)
    );
    assert_eq!(stack.products_of(&upload.upload_id).await, 85);
    // The poisoned record alone ends at the stream's failure destination.
    let failures = env.require(keys::STREAM_FAILURES_QUEUE_URL).unwrap();
    let started = std::time::Instant::now();
    let letters = loop {
        let letters = onboarding_devstack::dlq::list(stack.stack.clients(), failures)
            .await
            .unwrap();
        if !letters.is_empty() || started.elapsed() > std::time::Duration::from_secs(120) {
            break letters;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    assert_eq!(letters.len(), 1, "{letters:?}");
    let failure: serde_json::Value = serde_json::from_str(&letters[0].body).unwrap();
    let failed: Vec<&serde_json::Value> = failure["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["reported_failed"] == true)
        .collect();
    assert_eq!(failed.len(), 1, "{failure}");
    assert_eq!(failed[0]["upload_id"], "UPLOAD_POISON", "{failure}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vendor_never_receives_another_vendors_email() {
    let stack = Harness::start(Options::default()).await;
    let a = stack
        .upload("VEND001", "a.csv", sample("samples/VEND001_products.csv"))
        .await;
    let b = stack
        .upload("VEND002", "b.csv", sample("samples/VEND002_products.csv"))
        .await;
    let mail_a = stack.mailbox("VEND001").await;
    let mail_b = stack.mailbox("VEND002").await;
    assert_eq!(mail_a.len(), 1);
    assert_eq!(mail_b.len(), 1);
    assert_eq!(mail_a[0].upload_id, a.upload_id);
    assert_eq!(mail_b[0].upload_id, b.upload_id);
    assert!(
        mail_b
            .iter()
            .all(|m| m.vendor_id == "VEND002" && !m.body.contains(a.upload_id.as_str()))
    );
    assert!(stack.mailbox("VEND003").await.is_empty());
}

fn generated(spec: &GeneratorSpec) -> (Vec<u8>, onboarding_core::generate::Planted) {
    let names = onboarding_db::seed::category_names(onboarding_db::seed::CATEGORIES_CSV).unwrap();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut bytes = Vec::new();
    let planted = generate(spec, &names, &mut bytes).unwrap();
    (bytes, planted)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_migrate_through_the_parser_and_bad_events_fail_clearly() {
    let stack = Harness::start(Options::default()).await;
    let response = stack
        .stack
        .invoke(
            FunctionKind::CsvParser,
            &serde_json::json!({"command": "migrate"}),
        )
        .await
        .unwrap();
    assert_eq!(response, serde_json::json!({"migrated": true}));
    let seeded = stack
        .stack
        .invoke(
            FunctionKind::CsvParser,
            &serde_json::json!({"command": "seed-categories"}),
        )
        .await
        .unwrap();
    assert_eq!(
        seeded["categories_added"], 0,
        "the harness seeded them already: {seeded}"
    );
    let unknown = stack
        .stack
        .invoke(
            FunctionKind::CsvParser,
            &serde_json::json!({"command": "drop-everything"}),
        )
        .await
        .unwrap_err();
    assert!(unknown.to_string().contains("unknown command"), "{unknown}");
    let vendor = stack
        .stack
        .invoke(
            FunctionKind::CsvParser,
            &serde_json::json!({"command": "upsert-vendor", "vendor_id": "SMOKE01",
                "vendor_name": "Smoke", "email": "smoke@example.com", "status": "active"}),
        )
        .await
        .unwrap();
    assert_eq!(vendor["status"], "active");
    let upload = stack
        .upload("SMOKE01", "smoke.csv", sample("samples/VEND001_clean.csv"))
        .await;
    assert_eq!(
        upload.status,
        onboarding_core::UploadStatus::Completed,
        "the new vendor can upload"
    );

    // What deployments use: insert-only, so a suspended vendor stays so.
    let register = |vendor_id: &str| {
        serde_json::json!({"command": "register-vendor", "vendor_id": vendor_id,
            "vendor_name": "Deployed", "email": "deploy@example.com", "status": "active"})
    };
    let answer = |id: &'static str| {
        let event = register(id);
        let stack = &stack;
        async move {
            stack
                .stack
                .invoke(FunctionKind::CsvParser, &event)
                .await
                .unwrap()
        }
    };
    assert_eq!(
        answer("SMOKE02").await,
        serde_json::json!({"vendor_id": "SMOKE02", "status": "active", "created": true})
    );
    assert_eq!(
        answer("VEND004").await,
        serde_json::json!({"vendor_id": "VEND004", "status": "suspended", "created": false}),
        "the sample data's suspended vendor stays suspended"
    );
    let error = stack
        .stack
        .invoke(
            FunctionKind::CsvParser,
            &serde_json::json!({"hello": "world"}),
        )
        .await
        .unwrap_err();
    assert!(error.to_string().contains("not an S3 event"), "{error}");
}

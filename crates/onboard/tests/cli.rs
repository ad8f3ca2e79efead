//! `onboard validate` and `onboard testdata generate`, run as a vendor would.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn testdata(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(path)
}

fn onboard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_onboard"))
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .expect("run onboard")
}

fn validate(file: &str, extra: &[&str]) -> (i32, String) {
    let path = testdata(file);
    let mut args = vec!["validate", path.to_str().unwrap(), "--vendor", "VEND001"];
    args.extend_from_slice(extra);
    let out = onboard(&args);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn sample_reports_match_the_golden_files_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    for vendor in ["VEND001", "VEND002", "VEND003"] {
        let report = dir.path().join(format!("{vendor}.csv"));
        let (code, stdout) = validate(
            &format!("samples/{vendor}_products.csv"),
            &["--report", report.to_str().unwrap()],
        );
        assert_eq!(code, 1, "{stdout}");
        let golden =
            std::fs::read(testdata(&format!("golden/{vendor}_products_errors.csv"))).unwrap();
        assert_eq!(
            std::fs::read(&report).unwrap(),
            golden,
            "{vendor} report differs from its golden file"
        );
    }
}

#[test]
fn json_and_json_lines_give_the_csvs_golden_report() {
    let dir = tempfile::tempdir().unwrap();
    let golden = std::fs::read(testdata("golden/VEND003_products_errors.csv")).unwrap();
    for file in ["VEND003_products.json", "VEND003_products.jsonl"] {
        let report = dir.path().join(format!("{file}.errors.csv"));
        let (code, stdout) = validate(
            &format!("samples/{file}"),
            &["--report", report.to_str().unwrap()],
        );
        assert_eq!(code, 1, "{stdout}");
        assert!(stdout.contains("Products: 100\n"), "{file}: {stdout}");
        assert!(
            std::fs::read(&report).unwrap() == golden,
            "{file}: the report differs from the CSV's golden file"
        );
    }
    // The same file named .ndjson is read as JSON Lines.
    let ndjson = dir.path().join("products.NDJSON");
    std::fs::copy(testdata("samples/VEND003_products.jsonl"), &ndjson).unwrap();
    let (code, stdout) = validate(ndjson.to_str().unwrap(), &[]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("Products: 100\n"), "{stdout}");
}

#[test]
fn malformed_json_and_unknown_extensions_exit_two_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "broken.json",
            "[\n {\"sku\": \"A\"},\n {\"sku\": \"B\" \"price\": 1}\n]\n",
            "Reason: The file is not valid JSON at line 3, column 14: expected `,` or `}`.",
        ),
        (
            "broken.jsonl",
            "{\"sku\": \"A\"}\n{\"sku\": \"B\",}\n",
            "Reason: The file is not valid JSON at line 2, column 13: trailing comma.",
        ),
        (
            "products.txt",
            "vendor_product_id,product_name,category,sku,price,stock_quantity\n",
            "Reason: The file 'products.txt' is not a .csv, .json, .jsonl or .ndjson file",
        ),
    ];
    for (name, content, reason) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        let (code, stdout) = validate(path.to_str().unwrap(), &[]);
        assert_eq!(code, 2, "{name}: {stdout}");
        assert!(stdout.contains(reason), "{name}: {stdout}");
    }
}

#[test]
fn the_summary_counts_the_sample_file() {
    let (code, stdout) = validate("samples/VEND001_products.csv", &[]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains("Products: 100\nValid: 85 (85%)\nInvalid: 15 (15%)\n"),
        "{stdout}"
    );
    assert!(stdout.contains("Row Number,Vendor Product ID,SKU,Product Name,Error Type,Error Message,Price,Stock Quantity\r\n"));
}

#[test]
fn the_json_summary_has_the_same_counts_and_one_entry_per_report_line() {
    let (code, stdout) = validate("samples/VEND001_products.csv", &["--json"]);
    assert_eq!(code, 1);
    let summary: serde_json::Value = serde_json::from_str(&stdout).expect(&stdout);
    assert_eq!(summary["status"], "invalid");
    assert_eq!(
        (&summary["products"], &summary["valid"], &summary["invalid"]),
        (&100.into(), &85.into(), &15.into())
    );
    let by_type: u64 = summary["errors_by_type"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(by_type, summary["errors"].as_array().unwrap().len() as u64);
    assert_eq!(summary["errors"][0]["error_type"], "INVALID_PRICE");

    let (code, stdout) = validate("nasty/empty.csv", &["--json"]);
    assert_eq!(code, 2);
    let summary: serde_json::Value = serde_json::from_str(&stdout).expect(&stdout);
    assert_eq!(summary["status"], "unreadable");
    assert_eq!(summary["reason"], "The file is empty.");
}

#[test]
fn clean_files_exit_zero() {
    for file in [
        "samples/VEND001_clean.csv",
        "nasty/bom.csv",
        "nasty/crlf.csv",
        "nasty/embedded_newlines.csv",
        "nasty/windows1252.csv",
        "nasty/reordered_extra_columns.csv",
    ] {
        let (code, stdout) = validate(file, &[]);
        assert_eq!(code, 0, "{file}: {stdout}");
        assert!(stdout.contains("Invalid: 0 (0%)"), "{file}: {stdout}");
    }
    assert!(
        validate("nasty/windows1252.csv", &[])
            .1
            .contains("read as Windows-1252")
    );
    assert!(
        validate("nasty/reordered_extra_columns.csv", &[])
            .1
            .contains("Ignored unknown column(s): 'Colour'.")
    );
}

#[test]
fn unreadable_files_exit_two_with_a_reason() {
    for (file, reason) in [
        ("nasty/empty.csv", "Reason: The file is empty."),
        (
            "nasty/header_only.csv",
            "Reason: The file has a header row but no products.",
        ),
        (
            "nasty/binary.csv",
            "Reason: The file is not a CSV text file",
        ),
        (
            "nasty/missing_column.csv",
            "Reason: The header row is missing required column(s): sku.",
        ),
    ] {
        let (code, stdout) = validate(file, &[]);
        assert_eq!(code, 2, "{file}: {stdout}");
        assert!(stdout.contains(reason), "{file}: {stdout}");
    }
    let (code, _) = validate("nasty/no_such_file.csv", &[]);
    assert_eq!(code, 2);
}

#[test]
fn formula_injection_is_neutralised_in_the_report() {
    let (code, stdout) = validate("nasty/formula_injection.csv", &[]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains("\r\n1,'=1+2,'-SKU-1,\"'=HYPERLINK("),
        "{stdout}"
    );
    assert!(
        !stdout.contains(",=2+3,") && stdout.contains(",'=2+3,"),
        "{stdout}"
    );
}

#[test]
fn limits_are_configurable() {
    let (code, stdout) = validate("samples/VEND001_clean.csv", &["--max-rows", "19"]);
    assert_eq!(code, 2);
    assert!(stdout.contains("more than 19 products"), "{stdout}");
    let (code, stdout) = validate("samples/VEND001_clean.csv", &["--max-bytes", "1000"]);
    assert_eq!(code, 2);
    assert!(
        stdout.contains("larger than the 1000-byte limit"),
        "{stdout}"
    );
}

#[test]
fn the_fix_file_holds_only_failed_rows_in_the_vendor_columns() {
    let dir = tempfile::tempdir().unwrap();
    let fix = dir.path().join("fix.csv");
    let (code, _) = validate(
        "samples/VEND001_products.csv",
        &["--fix-file", fix.to_str().unwrap()],
    );
    assert_eq!(code, 1);
    let text = std::fs::read_to_string(&fix).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header.last().map(String::as_str), Some("errors"));
    assert_eq!(header.len(), 15);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 15);
    assert_eq!(&rows[0][0], "PROD0005");
    assert!(rows[0][14].contains("Price must be at least 0.01"));
}

#[test]
fn the_generator_is_deterministic_and_reports_what_it_planted() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gen.csv");
    let run = || {
        let out = onboard(&[
            "testdata",
            "generate",
            "--rows",
            "1000",
            "--error-rate",
            "0.2",
            "--seed",
            "7",
            "--vendor",
            "VEND002",
            "--out",
            file.to_str().unwrap(),
        ]);
        assert!(out.status.success());
        (
            String::from_utf8(out.stdout).unwrap(),
            std::fs::read(&file).unwrap(),
        )
    };
    let (counts, bytes) = run();
    assert_eq!(run(), (counts.clone(), bytes));
    let counts: serde_json::Value = serde_json::from_str(&counts).unwrap();
    let planted = counts["invalid_rows"].as_u64().unwrap();
    let (code, stdout) = validate_path(&file);
    assert_eq!(code, 1);
    assert!(
        stdout.contains(&format!("Invalid: {planted} (")),
        "{stdout} vs {counts}"
    );
}

fn validate_path(path: &Path) -> (i32, String) {
    let out = onboard(&["validate", path.to_str().unwrap(), "--vendor", "VEND002"]);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// The operator commands parse their ids at the edge: a malformed upload id,
/// vendor id or status (control bytes included) is clap's usage error, exit
/// 2, naming the argument, before any request is made.
#[test]
fn admin_commands_refuse_malformed_ids_before_any_request() {
    let cases: [&[&str]; 4] = [
        &["admin", "upload", "NOT_AN_UPLOAD"],
        &["admin", "logs", "UPLOAD_2026\u{7}_X"],
        &["admin", "uploads", "--vendor", "VEND 001\n"],
        &["admin", "uploads", "--status", "done"],
    ];
    for args in cases {
        let out = onboard(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("invalid value"), "{args:?}: {stderr}");
        assert!(
            stderr.contains("is not an upload id")
                || stderr.contains("is not a vendor id")
                || stderr.contains("is not an upload status"),
            "{args:?}: {stderr}"
        );
    }
}

//! The same catalog as CSV, a JSON array and JSON Lines gives the same
//! products and the same error report: the readers differ, nothing after
//! them does.
//!
//! The JSON forms of the sample file are committed beside it
//! (testdata/samples/VEND003_products.json and .jsonl) and must be exactly
//! what `csv_to_json` makes of the CSV; `BLESS=1` rewrites them.

use std::path::PathBuf;

use onboarding_core::generate::csv_to_json;
use onboarding_core::{
    CategoryWhitelist, CheckedRow, FileFormat, JsonLayout, ProductReader, ReadLimits, ReportLine,
    write_error_report,
};

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name)
}

fn categories() -> CategoryWhitelist {
    let text = std::fs::read_to_string(testdata("categories.csv")).unwrap();
    CategoryWhitelist::new(
        text.lines()
            .skip(1)
            .filter_map(|line| line.split(',').next())
            .map(|name| name.trim().to_string()),
    )
}

async fn check(format: FileFormat, bytes: &[u8]) -> (Vec<CheckedRow>, Vec<u8>) {
    let categories = categories();
    let mut reader = ProductReader::open(format, bytes, ReadLimits::default())
        .await
        .unwrap();
    let rows = reader.check_all(&categories).await.unwrap();
    let lines: Vec<ReportLine> = rows.iter().flat_map(ReportLine::for_row).collect();
    (rows, write_error_report(&lines))
}

#[test]
fn the_committed_json_samples_are_the_csv_converted() {
    let csv = std::fs::read(testdata("samples/VEND003_products.csv")).unwrap();
    for (layout, name) in [
        (JsonLayout::Array, "samples/VEND003_products.json"),
        (JsonLayout::Lines, "samples/VEND003_products.jsonl"),
    ] {
        let mut converted = Vec::new();
        csv_to_json(&csv, layout, &mut converted).unwrap();
        if std::env::var_os("BLESS").is_some() {
            std::fs::write(testdata(name), &converted).unwrap();
        }
        let committed = std::fs::read(testdata(name)).unwrap();
        assert!(committed == converted, "{name} is stale: run with BLESS=1");
    }
}

#[tokio::test]
async fn csv_json_and_json_lines_give_identical_products_and_reports() {
    let csv = std::fs::read(testdata("samples/VEND003_products.csv")).unwrap();
    let json = std::fs::read(testdata("samples/VEND003_products.json")).unwrap();
    let lines = std::fs::read(testdata("samples/VEND003_products.jsonl")).unwrap();
    let golden = std::fs::read(testdata("golden/VEND003_products_errors.csv")).unwrap();

    let (csv_rows, csv_report) = check(FileFormat::Csv, &csv).await;
    assert_eq!(csv_report, golden, "the CSV's own report");
    assert!(csv_rows.iter().any(CheckedRow::is_valid));
    for (format, bytes) in [(FileFormat::Json, &json), (FileFormat::JsonLines, &lines)] {
        let (rows, report) = check(format, bytes).await;
        // The rows (valid products with every typed value, and the errors of
        // the others) and the report, byte for byte, row numbers included:
        // element and line numbers match the CSV's row numbers here.
        assert_eq!(rows, csv_rows, "{format:?} rows");
        assert!(
            report == csv_report,
            "{format:?} report:\n{}",
            String::from_utf8_lossy(&report)
        );
    }
}

#[tokio::test]
async fn json_values_as_numbers_or_strings_are_the_same_cells() {
    let objects = [
        r#"{"vendor_product_id":"P1","product_name":"Mouse","category":"Electronics","sku":"S1","price":19.99,"stock_quantity":5,"weight_kg":0.25}"#,
        r#"{"Vendor Product ID":"P1","PRODUCT_NAME":"Mouse","category":"Electronics","sku":"S1","price":"19.99","stock_quantity":"5","weight_kg":"0.25","colour":"red","brand":null}"#,
    ];
    let mut checked = Vec::new();
    for object in objects {
        let (rows, report) = check(FileFormat::JsonLines, object.as_bytes()).await;
        assert!(rows[0].is_valid(), "{}", String::from_utf8_lossy(&report));
        checked.push(rows);
    }
    assert_eq!(checked[0], checked[1]);
}

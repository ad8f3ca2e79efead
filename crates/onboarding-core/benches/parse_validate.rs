//! Parse + validate throughput on a 10 MB generated file, single-threaded.
//! Run with `cargo bench -p onboarding-core --bench parse_validate`; the figure
//! to read is the throughput line (the floor is 100 MB/s on one core).
//!
//! The `formats_10k` group reads the same 10,000 generated rows as CSV, a
//! JSON array and JSON Lines (`csv_to_json`), and prints MB/s and rows/s of
//! each from criterion's mean time.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::time::{Duration, Instant};

use onboarding_core::generate::{GeneratorSpec, csv_to_json, generate};
use onboarding_core::{
    CategoryWhitelist, FileChecker, FileFormat, JsonLayout, ProductReader, ReadLimits,
};

const TEN_MB: usize = 10 * 1024 * 1024;
const CATEGORIES: [&str; 4] = [
    "Electronics",
    "Clothing",
    "Home & Kitchen",
    "Computer Accessories",
];

fn ten_megabyte_file() -> Vec<u8> {
    // ~205 bytes a row; generate a little more and cut at a row boundary.
    let spec = GeneratorSpec {
        rows: 60_000,
        error_rate: 0.05,
        seed: 42,
        vendor_id: onboarding_core::VendorId::parse("VEND001").unwrap(),
    };
    let mut file = Vec::with_capacity(TEN_MB + 64 * 1024);
    generate(&spec, &CATEGORIES, &mut file).expect("generate");
    let cut = file[..TEN_MB]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(file.len(), |p| p + 1);
    file.truncate(cut);
    file
}

async fn parse_and_validate(file: &[u8], categories: &CategoryWhitelist) -> (u32, u32) {
    parse_and_validate_as(FileFormat::Csv, file, categories).await
}

async fn parse_and_validate_as(
    format: FileFormat,
    file: &[u8],
    categories: &CategoryWhitelist,
) -> (u32, u32) {
    let limits = ReadLimits {
        max_bytes: u64::MAX,
        max_rows: u32::MAX,
    };
    let mut reader = ProductReader::open(format, file, limits)
        .await
        .expect("open");
    let header = reader.header().clone();
    let mut checker = FileChecker::new(&header, categories);
    let (mut rows, mut invalid) = (0, 0);
    while let Some(row) = reader.next_row().await.expect("row") {
        rows += 1;
        if !checker.check(&row).is_valid() {
            invalid += 1;
        }
    }
    (rows, invalid)
}

fn bench(c: &mut Criterion) {
    let file = ten_megabyte_file();
    let categories = CategoryWhitelist::new(CATEGORIES);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let (rows, invalid) = runtime.block_on(parse_and_validate(&file, &categories));
    eprintln!("file: {} bytes, {rows} rows, {invalid} invalid", file.len());

    let mut group = c.benchmark_group("parse_validate");
    group.throughput(Throughput::Bytes(file.len() as u64));
    group.sample_size(10);
    group.bench_function("10MB", |b| {
        b.iter(|| runtime.block_on(parse_and_validate(&file, &categories)))
    });
    group.finish();
}

/// The same 10,000 rows in each format.
fn formats(c: &mut Criterion) {
    let spec = GeneratorSpec {
        rows: 10_000,
        error_rate: 0.05,
        seed: 42,
        vendor_id: onboarding_core::VendorId::parse("VEND001").unwrap(),
    };
    let mut csv = Vec::new();
    generate(&spec, &CATEGORIES, &mut csv).expect("generate");
    let mut json = Vec::new();
    csv_to_json(&csv, JsonLayout::Array, &mut json).expect("convert");
    let mut lines = Vec::new();
    csv_to_json(&csv, JsonLayout::Lines, &mut lines).expect("convert");
    let categories = CategoryWhitelist::new(CATEGORIES);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");

    let files = [
        ("csv", FileFormat::Csv, &csv),
        ("json", FileFormat::Json, &json),
        ("jsonl", FileFormat::JsonLines, &lines),
    ];
    let mut group = c.benchmark_group("formats_10k");
    group.throughput(Throughput::Elements(10_000));
    group.sample_size(20);
    for (name, format, file) in files {
        group.bench_function(name, |b| {
            b.iter(|| runtime.block_on(parse_and_validate_as(format, file, &categories)))
        });
    }
    group.finish();

    // Criterion's lines give one unit per group; these give both, from a
    // plain mean over repeated runs, for the report.
    for (name, format, file) in files {
        let (rows, invalid) = runtime.block_on(parse_and_validate_as(format, file, &categories));
        let runs = 30;
        let started = Instant::now();
        for _ in 0..runs {
            runtime.block_on(parse_and_validate_as(format, file, &categories));
        }
        let mean = started.elapsed() / runs;
        eprintln!(
            "formats_10k {name:>5}: {} bytes, {rows} rows ({invalid} invalid), {:.2} ms a file, {:.1} MB/s, {:.0} rows/s",
            file.len(),
            mean.as_secs_f64() * 1e3,
            file.len() as f64 / mean.as_secs_f64() / 1e6,
            f64::from(rows) / mean.max(Duration::from_nanos(1)).as_secs_f64(),
        );
    }
}

criterion_group!(benches, bench, formats);
criterion_main!(benches);

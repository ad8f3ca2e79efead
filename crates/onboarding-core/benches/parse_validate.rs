//! Parse + validate throughput on a 10 MB generated file, single-threaded.
//! Run with `cargo bench -p onboarding-core --bench parse_validate`; the figure
//! to read is the throughput line (the floor is 100 MB/s on one core).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use onboarding_core::generate::{GeneratorSpec, generate};
use onboarding_core::{CategoryWhitelist, FileChecker, ProductCsvReader, ReadLimits};

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
    let limits = ReadLimits {
        max_bytes: u64::MAX,
        max_rows: u32::MAX,
    };
    let mut reader = ProductCsvReader::open(file, limits).await.expect("open");
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

criterion_group!(benches, bench);
criterion_main!(benches);

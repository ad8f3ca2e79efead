#![no_main]
//! Feeds arbitrary bytes through the reader and every in-file rule.

use libfuzzer_sys::fuzz_target;
use onboarding_core::{CategoryWhitelist, FileChecker, ProductCsvReader, ReadLimits, ReportLine, write_error_report};

fuzz_target!(|data: &[u8]| {
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    runtime.block_on(async {
        let categories = CategoryWhitelist::new(["Electronics", "Home & Kitchen"]);
        let limits = ReadLimits { max_bytes: 1 << 20, max_rows: 10_000 };
        let Ok(mut reader) = ProductCsvReader::open(data, limits).await else { return };
        let header = reader.header().clone();
        let mut checker = FileChecker::new(&header, &categories);
        let mut lines = Vec::new();
        while let Ok(Some(row)) = reader.next_row().await {
            lines.extend(ReportLine::for_row(&checker.check(&row)));
        }
        let _ = write_error_report(&lines);
    });
});

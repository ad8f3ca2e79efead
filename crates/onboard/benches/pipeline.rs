//! End-to-end pipeline benchmark on the local stack (release build). It
//! prints figures; it asserts nothing about time. Run it with `bench/run.sh`.
//!
//! `BENCH_SCENARIOS` picks scenarios (comma-separated, default all):
//! `1k`, `10k`, `10x1k`, `100x1k`, `10mb`. `BENCH_COUNT=1` adds counted runs
//! of 1,000 and 10,000 rows (the emulator records every request; its
//! recording slows it, so they are not timed) and prints the AWS calls and
//! item operations per 1,000 rows, by caller and API. `BENCH_ONE_EMULATOR=1`
//! runs every service in one moto process, as before the split;
//! `BENCH_PARALLELIZATION=N` sets the stream mapping's parallelization
//! factor instead of the contract's.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Instant;

use chrono::{DateTime, Utc};
use onboarding_db::uploads::Upload;
use onboarding_devstack::options::FunctionKind;
use support::{Harness, Options, generated_file};

struct Run {
    label: String,
    uploads: Vec<Upload>,
    put_at: DateTime<Utc>,
    wall_ms: u128,
}

fn ms(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> i64 {
    match (from, to) {
        (Some(from), Some(to)) => (to - from).num_milliseconds(),
        _ => -1,
    }
}

fn median(mut values: Vec<i64>) -> i64 {
    values.sort_unstable();
    values.get(values.len() / 2).copied().unwrap_or(-1)
}

fn print_header() {
    println!(
        "{:<34} {:>7} {:>9} {:>9} | {:>8} {:>8} {:>9} {:>8} {:>8} (median ms per upload)",
        "scenario", "rows", "wall s", "rows/s", "to start", "parse", "validate", "report", "email"
    );
}

fn print_run(run: &Run) {
    let rows: i64 = run
        .uploads
        .iter()
        .map(|u| i64::from(u.total_records.unwrap_or(0)))
        .sum();
    let wall_s = run.wall_ms as f64 / 1000.0;
    let column = |f: &dyn Fn(&Upload) -> i64| median(run.uploads.iter().map(f).collect());
    println!(
        "{:<34} {:>7} {:>9.2} {:>9.0} | {:>8} {:>8} {:>9} {:>8} {:>8}",
        run.label,
        rows,
        wall_s,
        rows as f64 / wall_s,
        column(&|u| ms(Some(run.put_at), Some(u.started_at))),
        column(&|u| ms(Some(u.started_at), u.parsed_at)),
        column(&|u| ms(u.parsed_at, u.validated_at)),
        column(&|u| ms(u.validated_at, u.completed_at)),
        column(&|u| ms(u.completed_at, u.notified_at)),
    );
}

async fn scenario(stack: &Harness, label: &str, files: Vec<(String, Vec<u8>)>) -> Run {
    let put_at = Utc::now();
    let started = Instant::now();
    let uploads = futures::future::join_all(files.iter().enumerate().map(|(i, (name, bytes))| {
        let vendor = ["VEND001", "VEND002", "VEND003"][i % 3];
        stack.upload(vendor, name, bytes.clone())
    }))
    .await;
    let run = Run {
        label: label.to_string(),
        uploads,
        put_at,
        wall_ms: started.elapsed().as_millis(),
    };
    check_exact(stack, &run, &files).await;
    run
}

/// Every upload of a run is exact: all its rows counted once (valid plus
/// rejected), one product per valid row, one outcome per row, one email.
async fn check_exact(stack: &Harness, run: &Run, files: &[(String, Vec<u8>)]) {
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    stack.stack.outbox().drain().await.unwrap();
    let emails = stack.stack.outbox().read_outbox().await.unwrap();
    for (upload, (name, bytes)) in run.uploads.iter().zip(files) {
        let rows = csv::Reader::from_reader(bytes.as_slice()).records().count() as i32;
        let total = upload.total_records.unwrap_or(-1);
        let products = stack.products_of(&upload.upload_id).await;
        let outcomes = stack.outcomes_of(&upload.upload_id).await;
        let mails = emails
            .iter()
            .filter(|e| e.upload_id.as_deref() == Some(upload.upload_id.as_str()))
            .count();
        let exact = total == rows
            && upload.valid_records + upload.error_records == total
            && products == i64::from(upload.valid_records)
            && outcomes == i64::from(total)
            && mails == 1;
        assert!(
            exact,
            "{}: {name} is not exact: {rows} rows, total {total}, valid {}, rejected {}, {products} products, {outcomes} outcomes, {mails} emails",
            run.label, upload.valid_records, upload.error_records
        );
    }
}

/// The scenarios `BENCH_SCENARIOS` names (all when unset).
fn wanted(name: &str) -> bool {
    match std::env::var("BENCH_SCENARIOS") {
        Ok(list) if !list.trim().is_empty() => list.split(',').any(|s| s.trim() == name),
        _ => true,
    }
}

fn flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == "1")
}

/// A run of `rows` rows with the emulators recording every request; prints
/// the calls and item operations per 1,000 rows, by caller and API.
async fn counted(stack: &Harness, rows: u32, seed: u64) {
    let endpoints = stack.stack.emulator_endpoints();
    let before = stack.stack.event_source_stats();
    onboarding_devstack::calls::start_recording(&endpoints)
        .await
        .expect("recording");
    let file = generated_file("VEND001", rows, 0.1, seed);
    let run = scenario(
        stack,
        &format!("counted: 1 x {rows} rows"),
        vec![(format!("counted-{rows}.csv"), file)],
    )
    .await;
    let tally = onboarding_devstack::calls::stop_recording(&endpoints)
        .await
        .expect("recording");
    let after = stack.stack.event_source_stats();
    let per_k = |n: u64| n as f64 * 1_000.0 / f64::from(rows);
    println!(
        "AWS calls per 1,000 rows, from the emulator's request recording ({rows}-row upload, 10% invalid, {:.1} s while recording):",
        run.wall_ms as f64 / 1000.0
    );
    println!(
        "  {:<22} {:<28} {:>10} {:>14}",
        "caller", "API", "calls/1k", "item ops/1k"
    );
    let (mut calls, mut items) = (0, 0);
    for ((caller, api), (n, i)) in &tally.counts {
        println!(
            "  {caller:<22} {api:<28} {:>10.1} {:>14.1}",
            per_k(*n),
            per_k(*i)
        );
        calls += n;
        items += i;
    }
    let read = after.stream_records_read - before.stream_records_read;
    println!(
        "  {:<22} {:<28} {:>10} {:>14.1}",
        "onboarding-devstack",
        "(GetRecords: records read)",
        "",
        per_k(read)
    );
    println!(
        "  {:<22} {:<28} {:>10.1} {:>14.1}",
        "all",
        "",
        per_k(calls),
        per_k(items + read)
    );
}

/// The parser's size limit (`ReadLimits::DEFAULT_MAX_BYTES`, 10 MiB).
const MAX_BYTES: usize = onboarding_core::reader::ReadLimits::DEFAULT_MAX_BYTES as usize;

/// 10,000 valid rows whose descriptions are padded so that the file lands
/// just under the parser's 10,485,760-byte limit (and under the rules'
/// 2,000-character description limit).
fn ten_megabyte_file() -> Vec<u8> {
    const ROWS: usize = 10_000;
    let bytes = generated_file("VEND001", ROWS as u32, 0.0, 4242);
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let header = reader.headers().unwrap().clone();
    let description = header.iter().position(|h| h == "description").unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let write = |pads: &dyn Fn(usize) -> usize| {
        // No comma, quote or line break: the writer never quotes the filler,
        // so each row grows by exactly its padding.
        let filler = "Durable washable and easy to clean. ".repeat(60);
        let mut out = csv::Writer::from_writer(Vec::new());
        out.write_record(&header).unwrap();
        for (n, record) in records.iter().enumerate() {
            let pad = pads(n);
            let cells: Vec<&str> = record
                .iter()
                .enumerate()
                .map(|(i, c)| if i == description { &filler[..pad] } else { c })
                .collect();
            out.write_record(&cells).unwrap();
        }
        out.into_inner().unwrap()
    };
    let bare = write(&|_| 0).len();
    // Aim 100 bytes under the limit, spread evenly over the rows.
    let room = MAX_BYTES - 100 - bare;
    let (each, extra) = (room / ROWS, room % ROWS);
    let file = write(&|n| each + usize::from(n < extra));
    assert!(each < 2_000, "descriptions stay within the rules");
    assert!(
        file.len() < MAX_BYTES && file.len() > MAX_BYTES - 1_024,
        "the 10 MB file is {} bytes, not just under {MAX_BYTES}",
        file.len()
    );
    file
}

/// The `PeakRss` (VmHWM, bytes) csv-parser reported for an upload.
fn peak_rss_bytes(stack: &Harness, upload_id: &onboarding_core::UploadId) -> Option<f64> {
    let log = std::fs::read_to_string(stack.stack.log_path(FunctionKind::CsvParser)).ok()?;
    log.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|v| v["upload_id"] == upload_id.as_str() && v.get("PeakRss").is_some())
        .and_then(|v| v["PeakRss"].as_f64())
}

/// "to start" and put → email per upload of a many-upload run: min, median,
/// 90th percentile, max (fairness: a few late starters show as a long tail).
fn print_to_start_spread(run: &Run) {
    let spread = |mut values: Vec<i64>| {
        values.sort_unstable();
        let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
        format!(
            "min {} / median {} / p90 {} / max {} ms",
            at(0.0),
            at(0.5),
            at(0.9),
            at(1.0)
        )
    };
    let to_start = run
        .uploads
        .iter()
        .map(|u| ms(Some(run.put_at), Some(u.started_at)))
        .collect();
    let done = run
        .uploads
        .iter()
        .map(|u| ms(Some(run.put_at), u.notified_at))
        .collect();
    println!("  to start per upload: {}", spread(to_start));
    println!("  put -> email per upload: {}", spread(done));
}

fn mib(bytes: f64) -> f64 {
    bytes / (1024.0 * 1024.0)
}

fn parser_stats(stack: &Harness) -> onboarding_devstack::runtime::InvocationStats {
    stack
        .stack
        .invocation_stats()
        .into_iter()
        .find(|(kind, _)| *kind == FunctionKind::CsvParser)
        .map(|(_, stats)| stats)
        .unwrap_or_default()
}

fn print_invocation_stats(stack: &Harness) {
    for (kind, stats) in stack.stack.invocation_stats() {
        println!(
            "  {kind}: {} invocations, {} instances at most, {} ms total run time",
            stats.invocations, stats.peak_instances, stats.total_run_ms
        );
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let file = |rows, seed| generated_file("VEND001", rows, 0.1, seed);
    let rename = |vendor: &str, bytes: Vec<u8>| {
        // The generator writes the vendor into SKUs; any vendor may upload it.
        String::from_utf8(bytes)
            .unwrap()
            .replace("VEND001", vendor)
            .into_bytes()
    };
    // 100 concurrent uploads wait behind each other longer than a test's
    // 600 s allowance would like.
    let parallelization = std::env::var("BENCH_PARALLELIZATION")
        .ok()
        .and_then(|v| v.parse().ok());
    let options = || Options {
        one_emulator: flag("BENCH_ONE_EMULATOR"),
        parallelization_factor: parallelization,
        ..Options::default()
    };
    let stack = Harness::start(options())
        .await
        .upload_timeout(std::time::Duration::from_secs(3_600));
    println!(
        "pipeline benchmark: release build, local stack (PostgreSQL + moto{} + runner, stream parallelization factor {}), 10% invalid rows",
        if flag("BENCH_ONE_EMULATOR") {
            ", one process"
        } else {
            " for DynamoDB + moto for the rest"
        },
        stack
            .stack
            .options()
            .contract
            .stream_parallelization_factor()
    );
    print_header();

    let warm = scenario(
        &stack,
        "warm-up (20 rows)",
        vec![("warm.csv".into(), file(20, 1))],
    )
    .await;
    // The first upload of the first parser instance: its VmHWM is the
    // parser's baseline, to set against the 10 MB file's below.
    let baseline = (parser_stats(&stack).instances_started == 1)
        .then(|| peak_rss_bytes(&stack, &warm.uploads[0].upload_id))
        .flatten();
    drop(warm);
    if wanted("1k") {
        let one = scenario(
            &stack,
            "1 x 1,000 rows",
            vec![("one-1k.csv".into(), file(1_000, 2))],
        )
        .await;
        print_run(&one);
    }
    if wanted("10k") {
        let big = scenario(
            &stack,
            "1 x 10,000 rows",
            vec![("one-10k.csv".into(), file(10_000, 3))],
        )
        .await;
        print_run(&big);
    }
    if wanted("10x1k") {
        let ten: Vec<(String, Vec<u8>)> = (0..10u64)
            .map(|i| {
                let vendor = ["VEND001", "VEND002", "VEND003"][i as usize % 3];
                (format!("ten-{i}.csv"), rename(vendor, file(1_000, 100 + i)))
            })
            .collect();
        let ten = scenario(&stack, "10 concurrent x 1,000 rows", ten).await;
        print_run(&ten);
    }
    if wanted("100x1k") {
        let hundred: Vec<(String, Vec<u8>)> = (0..100u64)
            .map(|i| {
                let vendor = ["VEND001", "VEND002", "VEND003"][i as usize % 3];
                (
                    format!("hundred-{i}.csv"),
                    rename(vendor, file(1_000, 1_000 + i)),
                )
            })
            .collect();
        let hundred = scenario(&stack, "100 concurrent x 1,000 rows", hundred).await;
        print_run(&hundred);
        print_to_start_spread(&hundred);
    }
    println!("invocations on the timing stack:");
    print_invocation_stats(&stack);
    if flag("BENCH_COUNT") {
        counted(&stack, 1_000, 7).await;
        counted(&stack, 10_000, 8).await;
    }
    stack.stack.stop().await;
    if !wanted("10mb") {
        return;
    }

    // VmHWM is the peak over a process's whole life, and the runner reuses
    // parser instances; so the 10 MB file goes to a parser of its own: a
    // fresh stack whose first and only upload it is.
    let big_file = ten_megabyte_file();
    let size = big_file.len();
    let fresh = Harness::start(options()).await;
    let rss = scenario(
        &fresh,
        "1 x 10 MB (10,000 rows), fresh stack",
        vec![("ten-mb.csv".into(), big_file)],
    )
    .await;
    print_run(&rss);
    let ten_mb = &rss.uploads[0];
    assert_eq!(
        (ten_mb.status, ten_mb.total_records),
        (onboarding_core::UploadStatus::Completed, Some(10_000)),
        "the 10 MB file is accepted whole"
    );
    let parser = parser_stats(&fresh);
    assert_eq!(
        (parser.invocations, parser.instances_started),
        (1, 1),
        "one parser instance, one invocation: its VmHWM is this file's"
    );
    match peak_rss_bytes(&fresh, &ten_mb.upload_id) {
        Some(bytes) => println!(
            "csv-parser peak RSS (VmHWM of a fresh instance whose only upload was the {size}-byte, 10,000-row file): {:.1} MiB",
            mib(bytes)
        ),
        None => println!("csv-parser peak RSS for the {size}-byte file: not found in its log"),
    }
    if let Some(bytes) = baseline {
        println!(
            "  for comparison, a fresh instance whose only upload was the 20-row warm-up: {:.1} MiB",
            mib(bytes)
        );
    }
    fresh.stack.stop().await;
}

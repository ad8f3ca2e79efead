//! End-to-end pipeline benchmark on the local stack (release build). It
//! prints figures; it asserts nothing about time. Run it with `bench/run.sh`.

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
    Run {
        label: label.to_string(),
        uploads,
        put_at,
        wall_ms: started.elapsed().as_millis(),
    }
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
    let stack = Harness::start(Options::default())
        .await
        .upload_timeout(std::time::Duration::from_secs(3_600));
    println!(
        "pipeline benchmark: release build, local stack (PostgreSQL + moto + runner), 10% invalid rows"
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
    let one = scenario(
        &stack,
        "1 x 1,000 rows",
        vec![("one-1k.csv".into(), file(1_000, 2))],
    )
    .await;
    print_run(&one);
    let big = scenario(
        &stack,
        "1 x 10,000 rows",
        vec![("one-10k.csv".into(), file(10_000, 3))],
    )
    .await;
    print_run(&big);
    let ten: Vec<(String, Vec<u8>)> = (0..10u64)
        .map(|i| {
            let vendor = ["VEND001", "VEND002", "VEND003"][i as usize % 3];
            (format!("ten-{i}.csv"), rename(vendor, file(1_000, 100 + i)))
        })
        .collect();
    let ten = scenario(&stack, "10 concurrent x 1,000 rows", ten).await;
    print_run(&ten);
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
    println!("invocations on the timing stack:");
    print_invocation_stats(&stack);
    stack.stack.stop().await;

    // VmHWM is the peak over a process's whole life, and the runner reuses
    // parser instances; so the 10 MB file goes to a parser of its own: a
    // fresh stack whose first and only upload it is.
    let big_file = ten_megabyte_file();
    let size = big_file.len();
    let fresh = Harness::start(Options::default()).await;
    let rss = scenario(
        &fresh,
        "1 x 10 MB (10,000 rows), fresh stack",
        vec![("ten-mb.csv".into(), big_file)],
    )
    .await;
    print_run(&rss);
    let ten_mb = &rss.uploads[0];
    assert_eq!(
        (ten_mb.status.as_str(), ten_mb.total_records),
        ("completed", Some(10_000)),
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

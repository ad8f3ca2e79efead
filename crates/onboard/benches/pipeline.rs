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

/// 10,000 rows padded with long descriptions to just under 10 MB.
fn ten_megabyte_file() -> Vec<u8> {
    let bytes = generated_file("VEND001", 10_000, 0.0, 4242);
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let header = reader.headers().unwrap().clone();
    let description = header.iter().position(|h| h == "description").unwrap();
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(&header).unwrap();
    let filler = "Durable, washable and easy to clean. ".repeat(26);
    for record in reader.records() {
        let record = record.unwrap();
        let cells: Vec<&str> = record
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == description {
                    &filler[..filler.len().min(960)]
                } else {
                    c
                }
            })
            .collect();
        out.write_record(&cells).unwrap();
    }
    out.into_inner().unwrap()
}

fn peak_rss_mb(stack: &Harness, upload_id: &str) -> Option<f64> {
    let log = std::fs::read_to_string(stack.stack.log_path(FunctionKind::CsvParser)).ok()?;
    log.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|v| v["upload_id"] == upload_id && v.get("PeakRss").is_some())
        .and_then(|v| v["PeakRss"].as_f64())
        .map(|bytes| bytes / (1024.0 * 1024.0))
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
    let stack = Harness::start(Options::default()).await;
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

    let big_file = ten_megabyte_file();
    let size = big_file.len();
    let rss = scenario(
        &stack,
        "1 x 10 MB (10,000 rows)",
        vec![("ten-mb.csv".into(), big_file)],
    )
    .await;
    print_run(&rss);
    let upload_id = &rss.uploads[0].upload_id;
    match peak_rss_mb(&stack, upload_id) {
        Some(mb) => println!("csv-parser peak RSS on the {size}-byte file: {mb:.1} MiB"),
        None => println!("csv-parser peak RSS: not found in its log"),
    }
    for (kind, stats) in stack.stack.invocation_stats() {
        println!(
            "{kind}: {} invocations, {} instances at most, {} ms total run time",
            stats.invocations, stats.peak_instances, stats.total_run_ms
        );
    }
    stack.stack.stop().await;
}

//! The vendor portal's API latency on the local stack (release build): each
//! endpoint called sequentially, then by eight clients at once. It prints
//! figures and asserts nothing about time. Run it with `bench/portal.sh`.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::json;
use support::portal::{Browser, demo_password};
use support::{Harness, Options, generated_file};

/// Requests per endpoint, one after another.
const SEQUENTIAL: usize = 200;
/// Clients at once, and requests each, for the concurrent run.
const CLIENTS: usize = 8;
const PER_CLIENT: usize = 50;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

fn print_row(label: &str, mut times: Vec<Duration>, wall: Duration) {
    times.sort_unstable();
    println!(
        "{:<44} {:>6} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>9.0}",
        label,
        times.len(),
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        percentile(&times, 0.99),
        percentile(&times, 1.0),
        times.len() as f64 / wall.as_secs_f64(),
    );
}

async fn timed(
    browser: &Browser,
    method: &Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> Duration {
    let started = Instant::now();
    let answer = browser.send(method.clone(), path, body, false).await;
    let took = started.elapsed();
    assert!(
        answer.status.is_success() || answer.status.is_redirection(),
        "{path}: {}",
        answer.status
    );
    took
}

#[tokio::main]
async fn main() {
    let harness = Harness::start(Options {
        portal: true,
        ..Options::default()
    })
    .await;
    // Data to read: the sample file and a 5,000-row file with 10% errors.
    let sample = std::fs::read("testdata/samples/VEND001_products.csv")
        .or_else(|_| std::fs::read("../../testdata/samples/VEND001_products.csv"))
        .expect("the sample file");
    let first = harness
        .upload("VEND001", "VEND001_products.csv", sample)
        .await;
    harness
        .upload(
            "VEND001",
            "catalog.csv",
            generated_file("VEND001", 5_000, 0.1, 7),
        )
        .await;
    let browser = Browser::logged_in(&harness, "orders@techgear.example.com").await;
    let id = first.upload_id;

    let endpoints: Vec<(Method, String, Option<serde_json::Value>)> = vec![
        (Method::GET, "/api/health".into(), None),
        (Method::GET, "/api/me".into(), None),
        (Method::GET, "/api/uploads?limit=20".into(), None),
        (Method::GET, format!("/api/uploads/{id}"), None),
        (
            Method::GET,
            format!("/api/uploads/{id}/errors?limit=50"),
            None,
        ),
        (Method::GET, "/api/products?limit=20".into(), None),
        (Method::GET, "/api/products?q=mouse&limit=20".into(), None),
        (Method::GET, "/api/categories".into(), None),
        (Method::GET, "/api/metrics".into(), None),
        (Method::GET, format!("/api/uploads/{id}/report"), None),
        (
            Method::POST,
            "/api/uploads".into(),
            Some(json!({"file_name": "next.csv"})),
        ),
    ];

    println!(
        "vendor API latency: release build, local stack (PostgreSQL + moto), {SEQUENTIAL} sequential requests per endpoint, then {CLIENTS} clients x {PER_CLIENT}"
    );
    println!(
        "{:<44} {:>6} {:>8} {:>8} {:>8} {:>8} {:>9}",
        "endpoint", "n", "p50 ms", "p95 ms", "p99 ms", "max ms", "req/s"
    );
    for (method, path, body) in &endpoints {
        // Warm the connection and the caches (JWKS, pool) first.
        timed(&browser, method, path, body.clone()).await;
        let started = Instant::now();
        let mut times = Vec::with_capacity(SEQUENTIAL);
        for _ in 0..SEQUENTIAL {
            times.push(timed(&browser, method, path, body.clone()).await);
        }
        print_row(&format!("{method} {path}"), times, started.elapsed());
    }

    // Eight vendors' browsers at once on the busiest page's calls.
    let browsers: Vec<Browser> = {
        let mut all = Vec::new();
        for _ in 0..CLIENTS {
            all.push(Browser::logged_in(&harness, "orders@techgear.example.com").await);
        }
        all
    };
    for (method, path, body) in endpoints
        .iter()
        .filter(|(m, _, _)| *m == Method::GET)
        .take(9)
    {
        let started = Instant::now();
        let runs = browsers.iter().map(|b| async move {
            let mut times = Vec::with_capacity(PER_CLIENT);
            for _ in 0..PER_CLIENT {
                times.push(timed(b, method, path, body.clone()).await);
            }
            times
        });
        let times: Vec<Duration> = futures::future::join_all(runs)
            .await
            .into_iter()
            .flatten()
            .collect();
        print_row(
            &format!("{CLIENTS}x {method} {path}"),
            times,
            started.elapsed(),
        );
    }

    // Logging in is a round trip to Cognito (moto here), so fewer of them.
    let mut times = Vec::new();
    let started = Instant::now();
    for _ in 0..50 {
        let mut fresh = Browser::new(&harness);
        let password = demo_password(&harness);
        let t = Instant::now();
        let (status, _) = fresh.log_in("orders@techgear.example.com", &password).await;
        assert_eq!(status, StatusCode::OK);
        times.push(t.elapsed());
    }
    print_row("POST /api/auth/login", times, started.elapsed());
    harness.stack.stop().await;
}

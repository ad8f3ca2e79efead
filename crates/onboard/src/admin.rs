//! `onboard admin uploads|upload|logs|monitor|dlq|rerun|query`: the operator
//! console from a terminal (docs/console.md). Every command goes through
//! the portal's admin API, so it works the same against the local stack
//! (its `PORTAL_URL` and operator login, from `.dev/stack.env`) and against
//! a deployment (`--api https://portal.example.com` with `ONBOARD_API_TOKEN`,
//! an ID token of a login in the admins group). `--json` prints the API's
//! answer as it is, for scripts.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::bail;
use onboarding_core::{UploadId, UploadStatus, VendorId};
use serde_json::{Value, json};

use crate::vendor::{operator_token, reqwest_method};

#[derive(clap::Subcommand)]
pub enum AdminCommand {
    /// Every vendor's uploads, newest first; failed and stuck ones first.
    Uploads {
        #[arg(long)]
        vendor: Option<VendorId>,
        #[arg(long)]
        status: Option<UploadStatus>,
        /// RFC 3339 time or YYYY-MM-DD.
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
        /// A substring of the file name.
        #[arg(long)]
        file_name: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// One upload: what the vendor sees, the timeline, re-runs, dead letters.
    Upload { upload_id: UploadId },
    /// One upload's log lines from the three functions, oldest first.
    Logs {
        upload_id: UploadId,
        /// Comma-separated: ERROR, WARN, INFO, DEBUG, TRACE, METRIC.
        #[arg(long)]
        level: Option<String>,
        /// csv-parser, product-validator or error-processor.
        #[arg(long)]
        function: Option<String>,
        /// A substring of the line, case-insensitive.
        #[arg(long)]
        text: Option<String>,
        /// Keep printing new lines while the upload runs (every 2 s).
        #[arg(long)]
        follow: bool,
    },
    /// Per function: invocations, errors, durations, cold starts, throttles; DLQ depths.
    Monitor {
        /// 15m, 1h, 6h, 24h or 7d.
        #[arg(long, default_value = "1h")]
        window: String,
    },
    /// List dead letters, or redrive them.
    Dlq {
        #[command(subcommand)]
        command: AdminDlqCommand,
    },
    /// Run an upload again as a new upload linked to it (one new email).
    Rerun { upload_id: UploadId },
    /// A read-only SQL query over the console's views.
    Query { sql: String },
}

#[derive(clap::Subcommand)]
pub enum AdminDlqCommand {
    /// The dead letters of every queue (or one).
    List {
        #[arg(long)]
        queue: Option<String>,
    },
    /// Send a queue's dead letters back (all, or one by --message-id).
    Redrive {
        queue: String,
        #[arg(long)]
        message_id: Option<String>,
    },
}

#[derive(clap::Args)]
pub struct AdminArgs {
    #[command(subcommand)]
    pub command: AdminCommand,
    /// The portal's origin (default: the local stack's PORTAL_URL).
    #[arg(long = "api", env = "ONBOARD_API_URL", global = true)]
    pub api_url: Option<String>,
    /// Print the API's JSON answer.
    #[arg(long, global = true)]
    pub json: bool,
}

/// `path?name=value&...`, leaving out absent values.
fn with_query(path: &str, pairs: &[(&str, Option<&str>)]) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().filter_map(|(k, v)| v.map(|v| (*k, v))))
        .finish();
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    }
}

/// `onboard rerun UPLOAD_ID`: `onboard admin rerun` at the top level.
#[derive(clap::Args)]
pub struct RerunArgs {
    pub upload_id: UploadId,
    /// The portal's origin (default: the local stack's PORTAL_URL).
    #[arg(long = "api", env = "ONBOARD_API_URL")]
    pub api_url: Option<String>,
    /// Print the API's JSON answer.
    #[arg(long)]
    pub json: bool,
}

pub struct Api {
    url: String,
    token: String,
}

impl Api {
    /// The admin API at `api_url`, or the local stack's `PORTAL_URL`, as the operator.
    pub async fn connect(api_url: Option<String>) -> anyhow::Result<Api> {
        let url = api_url
            .or_else(|| std::env::var("PORTAL_URL").ok())
            .filter(|url| !url.is_empty())
            .ok_or_else(|| {
                crate::exit::unavailable(
                    "the console needs the admin API: set --api or ONBOARD_API_URL (or run `onboard dev up`, whose PORTAL_URL is used)",
                )
            })?;
        Ok(Api {
            url,
            token: operator_token().await?,
        })
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let (status, answer) = onboarding_devstack::portal::admin_call_with(
            &self.url,
            &self.token,
            reqwest_method(method),
            path,
            body.as_ref(),
        )
        .await?;
        if !(200..300).contains(&status) {
            let detail = answer["detail"].as_str().unwrap_or("no detail");
            let message = format!("{}{path} answered {status}: {detail}", self.url);
            if status == 404 {
                return Err(crate::exit::not_found(message));
            }
            bail!(message);
        }
        Ok(answer)
    }
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or("-")
}

fn print_uploads(title: &str, items: &[Value]) {
    if items.is_empty() {
        return;
    }
    println!("{title}");
    println!(
        "{:<36} {:<8} {:<10} {:>7} {:>7} {:<25} FILE / ATTENTION",
        "UPLOAD", "VENDOR", "STATUS", "ROWS", "ERRORS", "UPLOADED"
    );
    for u in items {
        println!(
            "{:<36} {:<8} {:<10} {:>7} {:>7} {:<25} {}{}",
            text(&u["upload_id"]),
            text(&u["vendor_id"]),
            text(&u["status"]),
            u["total_records"]
                .as_i64()
                .map_or("-".into(), |n| n.to_string()),
            u["error_records"],
            text(&u["uploaded_at"]),
            text(&u["file_name"]),
            u["attention"]
                .as_str()
                .map_or(String::new(), |a| format!("  [{a}]"))
        );
    }
}

fn print_log_lines(items: &[Value]) {
    for l in items {
        println!(
            "{:<24} {:<17} {:<6} {}",
            l["timestamp"].as_str().unwrap_or(""),
            text(&l["function"]),
            text(&l["level"]),
            text(&l["message"])
        );
    }
}

pub async fn run(args: AdminArgs) -> anyhow::Result<ExitCode> {
    let api = Api::connect(args.api_url.clone()).await?;
    let json = args.json;
    let print_json = |value: &Value| -> anyhow::Result<()> {
        println!("{}", serde_json::to_string_pretty(value)?);
        Ok(())
    };
    match args.command {
        AdminCommand::Uploads {
            vendor,
            status,
            from,
            to,
            file_name,
            limit,
        } => {
            let limit = limit.to_string();
            let path = with_query(
                "/api/admin/uploads",
                &[
                    ("vendor_id", vendor.as_ref().map(VendorId::as_str)),
                    ("status", status.map(UploadStatus::as_str)),
                    ("from", from.as_deref()),
                    ("to", to.as_deref()),
                    ("file_name", file_name.as_deref()),
                    ("limit", Some(&limit)),
                ],
            );
            let page = api.call("GET", &path, None).await?;
            if json {
                return print_json(&page).map(|()| ExitCode::SUCCESS);
            }
            let counts = page["counts"].as_object().cloned().unwrap_or_default();
            let counts: Vec<String> = counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
            println!("counts: {}", counts.join(", "));
            print_uploads(
                "== needs attention",
                page["attention"].as_array().map_or(&[], Vec::as_slice),
            );
            print_uploads(
                "== uploads",
                page["items"].as_array().map_or(&[], Vec::as_slice),
            );
        }
        AdminCommand::Upload { upload_id } => {
            let detail = api
                .call("GET", &format!("/api/admin/uploads/{upload_id}"), None)
                .await?;
            if json {
                return print_json(&detail).map(|()| ExitCode::SUCCESS);
            }
            print_uploads("== upload", std::slice::from_ref(&detail));
            for stage in detail["stages"].as_array().into_iter().flatten() {
                println!(
                    "  {:<10} {} -> {}",
                    text(&stage["name"]),
                    text(&stage["started_at"]),
                    stage["finished_at"].as_str().unwrap_or("running")
                );
            }
            println!("re-run of: {}", detail["rerun_of"].as_str().unwrap_or("-"));
            println!("re-runs:   {}", detail["reruns"]);
            println!(
                "dead letters: {}",
                detail["dead_letters"].as_array().map_or(0, Vec::len)
            );
        }
        AdminCommand::Logs {
            upload_id,
            level,
            function,
            text: filter,
            follow,
        } => {
            let mut cursor: Option<String> = None;
            let mut all = Vec::new();
            loop {
                let path = with_query(
                    &format!("/api/admin/uploads/{upload_id}/logs"),
                    &[
                        ("level", level.as_deref()),
                        ("function", function.as_deref()),
                        ("q", filter.as_deref()),
                        ("limit", Some("1000")),
                        ("cursor", cursor.as_deref()),
                    ],
                );
                let page = api.call("GET", &path, None).await?;
                let items = page["items"].as_array().cloned().unwrap_or_default();
                if json {
                    all.extend(items);
                } else {
                    print_log_lines(&items);
                }
                cursor = page["end_cursor"].as_str().map(str::to_string);
                if page["next_cursor"].is_string() {
                    continue;
                }
                if !(follow && page["running"] == true) {
                    break;
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            if json {
                print_json(&json!({ "items": all }))?;
            }
        }
        AdminCommand::Monitor { window } => {
            let path = with_query("/api/admin/monitor", &[("window", Some(&window))]);
            let monitor = api.call("GET", &path, None).await?;
            if json {
                return print_json(&monitor).map(|()| ExitCode::SUCCESS);
            }
            println!(
                "{} .. {} (steps of {} s)",
                text(&monitor["from"]),
                text(&monitor["until"]),
                monitor["step_s"]
            );
            println!(
                "{:<18} {:>11} {:>7} {:>7} {:>9} {:>9} {:>9} {:>6} {:>9}",
                "FUNCTION",
                "INVOCATIONS",
                "ERRORS",
                "RATE",
                "P50 MS",
                "P95 MS",
                "MAX MS",
                "COLD",
                "THROTTLES"
            );
            let num = |v: &Value| v.as_f64().map_or("-".into(), |n| format!("{n:.0}"));
            for f in monitor["functions"].as_array().into_iter().flatten() {
                println!(
                    "{:<18} {:>11} {:>7} {:>7} {:>9} {:>9} {:>9} {:>6} {:>9}",
                    text(&f["function"]),
                    f["invocations"],
                    f["errors"],
                    f["error_rate"]
                        .as_f64()
                        .map_or("-".into(), |r| format!("{:.1}%", r * 100.0)),
                    num(&f["duration_ms"]["p50"]),
                    num(&f["duration_ms"]["p95"]),
                    num(&f["duration_ms"]["max"]),
                    f["cold_starts"],
                    f["throttles"]
                );
            }
            for q in monitor["dead_letters"].as_array().into_iter().flatten() {
                println!("dead letters {:<8} {}", text(&q["queue"]), q["depth"]);
            }
        }
        AdminCommand::Dlq {
            command: AdminDlqCommand::List { queue },
        } => {
            let path = with_query("/api/admin/dead-letters", &[("queue", queue.as_deref())]);
            let list = api.call("GET", &path, None).await?;
            if json {
                return print_json(&list).map(|()| ExitCode::SUCCESS);
            }
            for l in list["items"].as_array().into_iter().flatten() {
                println!(
                    "{:<7} {:<38} {:<36} {}",
                    text(&l["queue"]),
                    text(&l["message_id"]),
                    l["upload_id"].as_str().unwrap_or("-"),
                    text(&l["summary"])
                );
            }
        }
        AdminCommand::Dlq {
            command: AdminDlqCommand::Redrive { queue, message_id },
        } => {
            let path = with_query(
                &format!("/api/admin/dead-letters/{queue}/redrive"),
                &[("message_id", message_id.as_deref())],
            );
            let moved = api.call("POST", &path, None).await?;
            if json {
                return print_json(&moved).map(|()| ExitCode::SUCCESS);
            }
            println!("{}: {} message(s) sent back", queue, moved["moved"]);
        }
        AdminCommand::Rerun { upload_id } => return rerun(&api, &upload_id, json).await,
        AdminCommand::Query { sql } => {
            let answer = api
                .call("POST", "/api/admin/query", Some(json!({ "sql": sql })))
                .await?;
            if json {
                return print_json(&answer).map(|()| ExitCode::SUCCESS);
            }
            let names: Vec<&str> = answer["columns"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| text(&c["name"]))
                .collect();
            println!("{}", names.join("\t"));
            for row in answer["rows"].as_array().into_iter().flatten() {
                let cells: Vec<&str> = row
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|v| v.as_str().unwrap_or("NULL"))
                    .collect();
                println!("{}", cells.join("\t"));
            }
            if answer["truncated"] == true {
                eprintln!("(only the first {} rows)", answer["row_limit"]);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs an upload again as a new upload linked to it: `onboard rerun` and
/// `onboard admin rerun`.
pub async fn rerun(api: &Api, upload_id: &UploadId, json: bool) -> anyhow::Result<ExitCode> {
    let rerun = api
        .call(
            "POST",
            &format!("/api/admin/uploads/{upload_id}/rerun"),
            None,
        )
        .await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&rerun)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "re-run of {} started: {} version {} (see `onboard admin upload {}` for the new upload)",
        upload_id,
        text(&rerun["key"]),
        rerun["version_id"].as_str().unwrap_or("-"),
        upload_id
    );
    Ok(ExitCode::SUCCESS)
}

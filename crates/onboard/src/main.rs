//! `onboard`: the developer's and operator's front door.

mod admin;
mod cost_command;
mod dev;
mod dlq;
mod outbox;
mod pipeline;
mod stack_env;
mod validate;
mod vendor;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use onboarding_core::generate::{GeneratorSpec, generate};

#[derive(Parser)]
#[command(
    name = "onboard",
    version,
    about = "Product onboarding: check, generate, seed and run the pipeline"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a product file before uploading it. Exit code 0: clean; 1: has errors; 2: cannot be read.
    Validate(validate::ValidateArgs),
    /// Test data tools.
    Testdata {
        #[command(subcommand)]
        command: TestdataCommand,
    },
    /// Apply the schema migrations.
    Migrate {
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
    },
    /// The local development stack.
    Dev {
        #[command(subcommand)]
        command: DevCommand,
    },
    /// Upload a product file to uploads/<VENDOR>/ and, with --wait, print the outcome as JSON.
    Upload(pipeline::UploadArgs),
    /// One upload's status, counts, timings and report keys.
    Status(pipeline::StatusArgs),
    /// Uploads, newest first, filtered by vendor, status and time.
    History(pipeline::HistoryArgs),
    /// Print an upload's error report (or, with --fix-file, its fix file).
    Report(pipeline::ReportArgs),
    /// Register, list, suspend and activate vendors.
    Vendor(vendor::VendorArgs),
    /// Print the vendor emails the local stack captured (it never sends email).
    Outbox(outbox::OutboxArgs),
    /// List or redrive the local stack's dead-letter queues.
    Dlq(dlq::DlqArgs),
    /// The operator console through the admin API: uploads, logs, monitor, dead letters, re-runs, queries.
    Admin(admin::AdminArgs),
    /// Migrate, then load the category whitelist and (unless --categories-only) the sample vendors.
    Seed {
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        #[arg(long)]
        categories_only: bool,
    },
    /// Estimate the monthly AWS cost per service for a load (list prices; see docs/COST.md).
    Cost(cost_command::CostArgs),
}

#[derive(Subcommand)]
enum DevCommand {
    /// Start the local stack: PostgreSQL, moto, the three functions behind the Lambda runner; writes .dev/stack.env.
    Up(dev::UpArgs),
    /// Stop the local stack and the PostgreSQL cluster.
    Down,
    /// Exit 0 when the stack is ready: its process runs, the emulator answers
    /// for its queues, and the portal (when it runs) answers /api/health
    /// (docker-compose's healthcheck of the runner).
    Health,
    /// The stack process that `dev up` starts in the background.
    #[command(hide = true)]
    Serve(dev::ServeArgs),
    /// Start (creating if needed) the throwaway PostgreSQL cluster under .dev/postgres (or ONBOARD_PG_DIR) and print its URL.
    PostgresStart,
    /// Stop the throwaway PostgreSQL cluster.
    PostgresStop,
}

/// The throwaway cluster: under `ONBOARD_PG_DIR` (default `.dev/postgres`),
/// on `ONBOARD_PG_PORT` when set, or on the port it was created with, or on
/// a free one when another checkout's cluster holds the default.
fn dev_cluster() -> onboarding_db::cluster::LocalCluster {
    let dir = std::env::var_os("ONBOARD_PG_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(".dev/postgres"));
    let port = std::env::var("ONBOARD_PG_PORT")
        .ok()
        .and_then(|p| p.parse().ok());
    onboarding_db::cluster::LocalCluster::open(dir, port)
}

#[derive(Subcommand)]
enum TestdataCommand {
    /// Write a deterministic product file with a known mix of errors, and print what was planted.
    Generate {
        #[arg(long)]
        rows: u32,
        /// Share of rows with one planted error, from 0 to 1.
        #[arg(long, default_value_t = 0.1)]
        error_rate: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value = "VEND001")]
        vendor: onboarding_core::VendorId,
        /// Where to write the file (default: standard output, with the counts on standard error).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    stack_env::load();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Validate(args) => validate::run(args).await,
        Command::Testdata {
            command:
                TestdataCommand::Generate {
                    rows,
                    error_rate,
                    seed,
                    vendor,
                    out,
                },
        } => {
            anyhow::ensure!(
                (0.0..=1.0).contains(&error_rate),
                "--error-rate must be between 0 and 1"
            );
            let spec = GeneratorSpec {
                rows,
                error_rate,
                seed,
                vendor_id: vendor,
            };
            let names = onboarding_db::seed::category_names(onboarding_db::seed::CATEGORIES_CSV)?;
            let categories: Vec<&str> = names.iter().map(String::as_str).collect();
            let planted = match &out {
                Some(path) => {
                    let file = std::fs::File::create(path)
                        .with_context(|| format!("creating {}", path.display()))?;
                    generate(&spec, &categories, std::io::BufWriter::new(file))?
                }
                None => generate(&spec, &categories, std::io::stdout().lock())?,
            };
            let counts = serde_json::json!({
                "rows": planted.rows,
                "invalid_rows": planted.invalid_rows,
                "planted": planted.by_type.iter().map(|(t, n)| (t.as_str(), n)).collect::<std::collections::BTreeMap<_, _>>(),
            });
            let text = serde_json::to_string_pretty(&counts)?;
            if out.is_some() {
                println!("{text}")
            } else {
                eprintln!("{text}")
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Dev {
            command: DevCommand::PostgresStart,
        } => {
            let cluster = dev_cluster();
            cluster.ensure_running()?;
            println!("{}", cluster.url("postgres"));
            Ok(ExitCode::SUCCESS)
        }
        Command::Dev {
            command: DevCommand::PostgresStop,
        } => {
            dev_cluster().stop()?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Upload(args) => pipeline::upload(args).await,
        Command::Status(args) => pipeline::status(args).await,
        Command::History(args) => pipeline::history(args).await,
        Command::Report(args) => pipeline::report(args).await,
        Command::Vendor(args) => vendor::run(args).await,
        Command::Outbox(args) => outbox::run(args).await,
        Command::Dlq(args) => dlq::run(args).await,
        Command::Admin(args) => admin::run(args).await,
        Command::Cost(args) => cost_command::run(args),
        Command::Dev {
            command: DevCommand::Up(args),
        } => dev::up(args).await,
        Command::Dev {
            command: DevCommand::Down,
        } => dev::down().await,
        Command::Dev {
            command: DevCommand::Health,
        } => dev::health().await,
        Command::Dev {
            command: DevCommand::Serve(args),
        } => dev::serve(args).await,
        Command::Migrate { database_url } => {
            let pool = onboarding_db::connect(&database_url, 1).await?;
            onboarding_db::migrate(&pool).await?;
            println!("migrations applied");
            Ok(ExitCode::SUCCESS)
        }
        Command::Seed {
            database_url,
            categories_only,
        } => {
            let pool = onboarding_db::connect(&database_url, 1).await?;
            onboarding_db::migrate(&pool).await?;
            let counts = onboarding_db::seed::seed(&pool, categories_only).await?;
            println!(
                "categories added: {}, vendors loaded: {}",
                counts.categories_added, counts.vendors
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

//! `onboard`: the developer's and operator's front door.

mod admin;
mod contract_command;
mod cost_command;
mod dev;
mod dlq;
mod exit;
mod invoke;
mod outbox;
mod pipeline;
mod progress;
mod stack_env;
mod validate;
mod vendor;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory, Parser, Subcommand};
use onboarding_core::generate::{GeneratorSpec, generate};

#[derive(Parser)]
#[command(
    name = "onboard",
    version,
    about = "Product onboarding: check, generate, seed and run the pipeline",
    after_help = "Exit codes: 0 ok, 1 failed, 2 invalid input, 3 not found, 4 unavailable (docs/cli.md)."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
pub enum Command {
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
    /// Send one event to one function of the local stack; print its response and log lines.
    Invoke(invoke::InvokeArgs),
    /// Run an upload again as a new upload linked to it (the same as `onboard admin rerun`).
    Rerun(admin::RerunArgs),
    /// Print a shell completion script (for example `onboard completions bash > ~/.local/share/bash-completion/completions/onboard`).
    Completions { shell: clap_complete::Shell },
    /// Write the man pages (onboard.1 and one per subcommand) to a folder, or print onboard.1.
    Man {
        /// The folder for onboard.1, onboard-upload.1, ... (default: print onboard.1 to standard output).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Migrate, then load the category whitelist and (unless --categories-only) the sample vendors.
    Seed {
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        #[arg(long)]
        categories_only: bool,
        /// Print {"categories_added": N, "vendors": N}.
        #[arg(long)]
        json: bool,
    },
    /// Estimate the monthly AWS cost per service for a load (list prices; see docs/COST.md).
    Cost(cost_command::CostArgs),
    /// Check the deployment contract's invariants; with --json print it (functions, variables, queues, table, settings).
    Contract(contract_command::ContractArgs),
}

#[derive(Subcommand)]
pub enum DevCommand {
    /// Start the local stack: PostgreSQL, moto, the three functions behind the Lambda runner; writes .dev/stack.env.
    Up(dev::UpArgs),
    /// Stop the local stack and the PostgreSQL cluster.
    Down,
    /// Exit 0 when the stack is ready: its process runs, the emulator answers
    /// for its queues, and the portal (when it runs) answers /api/health
    /// (docker-compose's healthcheck of the runner).
    Health {
        /// Print {"ready": bool, "reason": string|null}.
        #[arg(long)]
        json: bool,
    },
    /// The stack process that `dev up` starts in the background.
    #[command(hide = true)]
    Serve(dev::ServeArgs),
    /// Start (creating if needed) the throwaway PostgreSQL cluster under .dev/postgres (or ONBOARD_PG_DIR) and print its URL.
    PostgresStart {
        /// Print {"url": "postgres://..."}.
        #[arg(long)]
        json: bool,
    },
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
pub enum TestdataCommand {
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
            exit::of_error(&error).into()
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
            command: DevCommand::PostgresStart { json },
        } => {
            let cluster = dev_cluster();
            cluster.ensure_running()?;
            let url = cluster.url("postgres");
            if json {
                println!("{}", serde_json::json!({ "url": url }));
            } else {
                println!("{url}");
            }
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
        Command::Contract(args) => contract_command::run(args),
        Command::Invoke(args) => invoke::run(args).await,
        Command::Rerun(args) => {
            let api = admin::Api::connect(args.api_url).await?;
            admin::rerun(&api, &args.upload_id, args.json).await
        }
        Command::Completions { shell } => {
            // Into a buffer first: clap_complete panics on a failed write
            // (`onboard completions bash | head`); this way it is an error.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "onboard", &mut script);
            std::io::Write::write_all(&mut std::io::stdout().lock(), &script)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Man { out } => man_pages(out.as_deref()),
        Command::Dev {
            command: DevCommand::Up(args),
        } => dev::up(args).await,
        Command::Dev {
            command: DevCommand::Down,
        } => dev::down().await,
        Command::Dev {
            command: DevCommand::Health { json },
        } => dev::health(json).await,
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
            json,
        } => {
            let pool = onboarding_db::connect(&database_url, 1).await?;
            onboarding_db::migrate(&pool).await?;
            let counts = onboarding_db::seed::seed(&pool, categories_only).await?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({"categories_added": counts.categories_added, "vendors": counts.vendors})
                );
            } else {
                println!(
                    "categories added: {}, vendors loaded: {}",
                    counts.categories_added, counts.vendors
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `onboard man`: onboard.1 on standard output, or onboard.1 and one page
/// per subcommand (onboard-dev-up.1, ...) in `out`.
fn man_pages(out: Option<&std::path::Path>) -> anyhow::Result<ExitCode> {
    let command = Cli::command();
    match out {
        None => clap_mangen::Man::new(command).render(&mut std::io::stdout())?,
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            clap_mangen::generate_to(command, dir)
                .with_context(|| format!("writing man pages to {}", dir.display()))?;
            println!("man pages written to {}", dir.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Leaf commands that print no data, so take no `--json`. Each needs its
    /// reason; a new command that prints data gets `--json` instead of a
    /// line here (docs/cli.md lists the shapes).
    const PRINT_NO_DATA: &[(&str, &str)] = &[
        ("onboard migrate", "prints one confirmation line"),
        ("onboard dev down", "prints what it stopped"),
        ("onboard dev serve", "hidden: the stack process, which logs"),
        ("onboard dev postgres-stop", "prints nothing"),
        (
            "onboard report",
            "prints the stored CSV report as it is (the data is that file)",
        ),
        (
            "onboard testdata generate",
            "prints the CSV it generates; the counts it prints are always JSON",
        ),
        ("onboard completions", "prints a shell script"),
        ("onboard man", "prints or writes roff pages"),
    ];

    fn leaves(command: &clap::Command, path: &str, found: &mut Vec<(String, bool)>) {
        if command.get_subcommands().next().is_none() {
            let has_json = command
                .get_arguments()
                .any(|arg| arg.get_long() == Some("json"));
            found.push((path.to_string(), has_json));
            return;
        }
        // clap's own `help` subcommands print help, not data.
        for sub in command
            .get_subcommands()
            .filter(|sub| sub.get_name() != "help")
        {
            leaves(sub, &format!("{path} {}", sub.get_name()), found);
        }
    }

    #[test]
    fn every_command_that_prints_data_takes_json() {
        let mut command = Cli::command();
        // Global flags (`admin --json`, `vendor --json`) reach the leaves once built.
        command.build();
        let mut found = Vec::new();
        leaves(&command, "onboard", &mut found);
        let exempt: Vec<&str> = PRINT_NO_DATA.iter().map(|(path, _)| *path).collect();
        let missing: Vec<&str> = found
            .iter()
            .filter(|(path, has_json)| !has_json && !exempt.contains(&path.as_str()))
            .map(|(path, _)| path.as_str())
            .collect();
        assert!(
            missing.is_empty(),
            "commands without --json: {missing:?} (add --json, or list them in PRINT_NO_DATA with why)"
        );
        // An exemption for a command that no longer exists, or that has
        // --json after all, is stale.
        for path in exempt {
            assert!(
                found
                    .iter()
                    .any(|(leaf, has_json)| leaf == path && !has_json),
                "{path} is in PRINT_NO_DATA but is not a leaf without --json"
            );
        }
        assert!(found.len() > 30, "the walk found only {found:?}");
    }
}

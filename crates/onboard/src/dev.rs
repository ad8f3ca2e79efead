//! `onboard dev up` / `dev down` (and the hidden `dev serve`): the local
//! stack of `crates/onboarding-devstack` as a background process.
//!
//! `dev up` starts the throwaway PostgreSQL cluster (or uses `DATABASE_URL`),
//! creates, migrates and seeds the `onboarding` database, then starts
//! `onboard dev serve` in its own process group with its output in
//! `.dev/logs/stack.log`, and returns once the stack wrote `.dev/stack.env`.
//! `dev up --foreground` runs the stack in this process instead (containers).
//! `dev down` sends SIGTERM to the stack process (which stops its pollers, the
//! function processes and moto), removes `stack.env` and stops the cluster.

use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use onboarding_devstack::env::{ENV_FILE, keys};
use onboarding_devstack::portal::PortalOptions;
use onboarding_devstack::{Faults, FunctionBinaries, Stack, StackEnv, StackOptions};

/// The database `dev up` creates on the throwaway cluster.
const DATABASE: &str = "onboarding";
/// How long `dev up` waits for the stack (the first run installs moto).
const START_LIMIT: Duration = Duration::from_secs(240);
/// How long `dev down` waits for the stack process to exit before SIGKILL.
const STOP_LIMIT: Duration = Duration::from_secs(40);

#[derive(clap::Args, Debug)]
pub struct UpArgs {
    /// Run the release builds of the functions (target/release).
    #[arg(long)]
    pub release: bool,
    /// Inject faults into the event source mappings: `duplicate`,
    /// `fail-before=P`, `fail-after=P`, `seed=N` (repeat the flag).
    #[arg(long = "fault", value_name = "FAULT")]
    pub faults: Vec<String>,
    /// Where csv-parser, product-validator and error-processor are (default:
    /// next to this `onboard`, or its target/release sibling with --release).
    #[arg(long)]
    pub functions_dir: Option<PathBuf>,
    /// Run the stack in this process until SIGTERM or Ctrl-C (for containers).
    #[arg(long)]
    pub foreground: bool,
    /// Print the ready stack as one JSON object on standard output (the
    /// steps on the way go to standard error).
    #[arg(long)]
    pub json: bool,
}

/// The hidden `onboard dev serve`: the stack process itself.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    #[arg(long)]
    pub database_url: String,
    #[arg(long)]
    pub aws_endpoint: Option<String>,
    /// Cognito's emulator, when it is not the one at --aws-endpoint.
    #[arg(long)]
    pub cognito_endpoint: Option<String>,
    #[arg(long)]
    pub functions_dir: PathBuf,
    #[arg(long = "fault", value_name = "FAULT")]
    pub faults: Vec<String>,
}

/// `.dev` (or the folder of `ONBOARD_STACK_ENV`).
fn state_dir() -> PathBuf {
    crate::stack_env::path()
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn parse_faults(settings: &[String]) -> anyhow::Result<Faults> {
    let mut faults = Faults::none();
    for setting in settings {
        faults
            .apply_setting(setting)
            .map_err(|e| anyhow::anyhow!("--fault {setting}: {e}"))?;
    }
    Ok(faults)
}

/// The functions' folder: the flag, or where this `onboard` is.
fn functions_dir(args: &UpArgs) -> anyhow::Result<PathBuf> {
    if let Some(dir) = &args.functions_dir {
        return Ok(std::path::absolute(dir)?);
    }
    let exe = std::env::current_exe().context("locating the onboard executable")?;
    let dir = exe
        .parent()
        .context("the onboard executable has no folder")?
        .to_path_buf();
    if args.release
        && dir.file_name().is_some_and(|n| n == "debug")
        && let Some(target) = dir.parent()
    {
        return Ok(target.join("release"));
    }
    Ok(dir)
}

/// A variable from the environment, unless it is only there because
/// `stack_env::load` copied it from a stale `stack.env`.
fn own_env(key: &str, stale: Option<&StackEnv>) -> Option<String> {
    let value = std::env::var(key).ok().filter(|v| !v.is_empty())?;
    if stale.and_then(|env| env.get(key)) == Some(value.as_str()) {
        return None;
    }
    Some(value)
}

/// The running stack's environment for `onboard outbox` and `onboard dlq`:
/// `stack.env`, with variables set in the environment winning (as for every
/// command), and the state folder holding the outbox journal.
pub(crate) fn running_stack_env() -> anyhow::Result<(StackEnv, PathBuf)> {
    let path = crate::stack_env::path();
    let mut env = StackEnv::read(&path).unwrap_or_default();
    for key in [
        keys::AWS_ENDPOINT_URL,
        keys::AWS_REGION,
        keys::AWS_ACCESS_KEY_ID,
        keys::AWS_SECRET_ACCESS_KEY,
        keys::ERROR_QUEUE_URL,
        keys::ERROR_DLQ_URL,
        keys::STREAM_FAILURES_QUEUE_URL,
        keys::S3_EVENTS_QUEUE_URL,
        keys::PARSER_DLQ_URL,
        keys::OUTBOX_QUEUE_URL,
        keys::STACK_PREFIX,
    ] {
        if let Some(value) = std::env::var(key).ok().filter(|v| !v.is_empty()) {
            env.set(key, value);
        }
    }
    if env.get(keys::AWS_ENDPOINT_URL).is_none() {
        return Err(crate::exit::unavailable(format!(
            "the local stack is not up: {} does not exist and AWS_ENDPOINT_URL is not set (run `onboard dev up`)",
            path.display()
        )));
    }
    Ok((env, state_dir()))
}

/// The pid of a live stack process described by `env`, if any.
fn live_stack_pid(env: &StackEnv) -> Option<u32> {
    let pid: u32 = env.get(keys::STACK_PID)?.parse().ok()?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let cmdline = String::from_utf8_lossy(&cmdline);
    (cmdline.contains("serve") || cmdline.contains("--foreground")).then_some(pid)
}

/// A step of `dev up`: on standard output, or on standard error with
/// `--json` (whose standard output is the one JSON object).
fn step(json: bool, line: &str) {
    if json {
        eprintln!("{line}");
    } else {
        println!("{line}");
    }
}

/// Fails with what to do when `PORTAL_PORT` names a port someone holds:
/// the stack would only find out once it had started everything else.
fn check_portal_port() -> anyhow::Result<()> {
    let Some(port) = std::env::var("PORTAL_PORT").ok().filter(|v| !v.is_empty()) else {
        return Ok(());
    };
    let number: u16 = port.parse().map_err(|_| {
        crate::exit::invalid(format!("PORTAL_PORT={port} is not a port number (1-65535)"))
    })?;
    let bind = std::env::var("PORTAL_BIND")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "127.0.0.1".into());
    if let Err(error) = std::net::TcpListener::bind((bind.as_str(), number)) {
        return Err(crate::exit::unavailable(format!(
            "port {number} (PORTAL_PORT) on {bind} is taken ({error}): stop what listens there (`ss -ltnp 'sport = :{number}'` shows it), set PORTAL_PORT to a free port, or unset it to let `onboard dev up` pick one"
        )));
    }
    Ok(())
}

pub async fn up(args: UpArgs) -> anyhow::Result<ExitCode> {
    let json = args.json;
    let env_path = crate::stack_env::path();
    let existing = StackEnv::read(&env_path).ok();
    if let Some(pid) = existing.as_ref().and_then(live_stack_pid) {
        if json {
            let env = existing.as_ref().expect("a live stack has an environment");
            println!(
                "{}",
                serde_json::to_string_pretty(&ready_json(env, &env_path))?
            );
            return Ok(ExitCode::SUCCESS);
        }
        println!(
            "the local stack is already running (pid {pid}); its environment is {}",
            env_path.display()
        );
        println!("stop it with: onboard dev down");
        return Ok(ExitCode::SUCCESS);
    }
    check_portal_port()?;
    if existing.is_some() {
        // Left behind by a stack that did not stop cleanly.
        std::fs::remove_file(&env_path).ok();
    }
    let faults = parse_faults(&args.faults)?;
    let functions_dir = functions_dir(&args)?;
    FunctionBinaries::in_dir(&functions_dir)
        .check()
        .map_err(|e| anyhow::anyhow!("{e}"))?;

    let database_url = match own_env("DATABASE_URL", existing.as_ref()) {
        Some(url) => {
            step(json, &format!("database: DATABASE_URL ({})", redact(&url)));
            url
        }
        None => local_database(json).await?,
    };
    let pool = onboarding_db::connect(&database_url, 1).await?;
    onboarding_db::migrate(&pool).await?;
    let counts = onboarding_db::seed::seed(&pool, false).await?;
    pool.close().await;
    step(
        json,
        &format!("database migrated and seeded ({} vendors)", counts.vendors),
    );
    let aws_endpoint = own_env(keys::AWS_ENDPOINT_URL, existing.as_ref());
    let cognito_endpoint = own_env(
        keys::AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER,
        existing.as_ref(),
    );

    if args.foreground {
        return serve(ServeArgs {
            database_url,
            aws_endpoint,
            cognito_endpoint,
            functions_dir,
            faults: args.faults,
        })
        .await;
    }

    let state = state_dir();
    let logs = state.join("logs");
    std::fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
    let log_path = logs.join("stack.log");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .with_context(|| format!("opening {}", log_path.display()))?;
    if aws_endpoint.is_none()
        && !onboarding_devstack::moto::is_installed(&onboarding_devstack::moto::default_venv())
    {
        step(
            json,
            &format!(
                "first run: installing moto {} into {} (about 30 s)",
                onboarding_devstack::moto::MOTO_VERSION,
                onboarding_devstack::moto::MOTO_VENV
            ),
        );
    }
    let mut command = std::process::Command::new(std::env::current_exe()?);
    command
        .args(["dev", "serve", "--database-url", &database_url])
        .arg("--functions-dir")
        .arg(&functions_dir);
    if let Some(endpoint) = &aws_endpoint {
        command.args(["--aws-endpoint", endpoint]);
    }
    if let Some(endpoint) = &cognito_endpoint {
        command.args(["--cognito-endpoint", endpoint]);
    }
    for fault in &args.faults {
        command.args(["--fault", fault]);
    }
    {
        use std::os::unix::process::CommandExt;
        // Its own process group: Ctrl-C in this terminal does not reach it.
        command.process_group(0);
    }
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::from(log.try_clone()?))
        .stderr(Stdio::from(log))
        .spawn()
        .context("starting `onboard dev serve`")?;
    let pid = child.id();

    let started = Instant::now();
    let spinner = crate::progress::Spinner::start("starting the local stack", false);
    let env = loop {
        if let Ok(env) = StackEnv::read(&env_path)
            && env.get(keys::STACK_PID) == Some(pid.to_string().as_str())
        {
            break env;
        }
        spinner.set_message(|| match tail(&log_path, 1) {
            last if last.trim().is_empty() => "starting the local stack".to_string(),
            last => format!("starting the local stack: {last}"),
        });
        if let Some(status) = child.try_wait()? {
            spinner.finish();
            bail!(
                "the stack process exited ({status}) before it was ready; last lines of {}:\n{}",
                log_path.display(),
                tail(&log_path, 20)
            );
        }
        if started.elapsed() > START_LIMIT {
            spinner.finish();
            let _ = child.kill();
            bail!(
                "the stack was not ready after {START_LIMIT:?}; see {}",
                log_path.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    spinner.finish();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&ready_json(&env, &env_path))?
        );
    } else {
        print_ready(&env, &env_path, &faults, &functions_dir);
    }
    Ok(ExitCode::SUCCESS)
}

/// `dev up --json`: `{"pid", "env_file", "env": {KEY: VALUE, ...}}`, the
/// environment being stack.env's variables (docs/configuration.md).
fn ready_json(env: &StackEnv, env_path: &Path) -> serde_json::Value {
    let vars: serde_json::Map<String, serde_json::Value> = env
        .iter()
        .map(|(key, value)| (key.to_string(), value.into()))
        .collect();
    serde_json::json!({
        "pid": env.get(keys::STACK_PID).and_then(|pid| pid.parse::<u32>().ok()),
        "env_file": env_path.display().to_string(),
        "env": vars,
    })
}

fn print_ready(env: &StackEnv, env_path: &Path, faults: &Faults, functions_dir: &Path) {
    let get = |key: &str| env.get(key).unwrap_or("?").to_string();
    println!("local stack ready (pid {})", get(keys::STACK_PID));
    println!(
        "  environment:   {}  (onboard commands read it; `set -a; . {}` for other tools)",
        env_path.display(),
        env_path.display()
    );
    println!("  AWS endpoint:  {}", get(keys::AWS_ENDPOINT_URL));
    println!("  database:      {}", redact(&get(keys::DATABASE_URL)));
    println!(
        "  uploads:       s3://{}/uploads/<VENDOR_ID>/<file>.csv  (onboard upload --vendor V FILE)",
        get(keys::UPLOAD_BUCKET)
    );
    println!("  staging table: {}", get(keys::STAGING_TABLE));
    if let Some(portal) = env.get(keys::PORTAL_URL) {
        println!("  vendor portal: {portal}  (API at {portal}/api)");
        println!(
            "  portal logins: each vendor's email (onboard vendor list), password {}",
            get(keys::PORTAL_DEMO_PASSWORD)
        );
        println!(
            "  operator:      {} / {}  (admin API; onboard vendor approve|suspend|activate|reconcile)",
            get(onboarding_devstack::portal::OPERATOR_EMAIL_KEY),
            get(onboarding_devstack::portal::OPERATOR_PASSWORD_KEY)
        );
    }
    println!("  emails:        onboard outbox [--vendor V] [--upload U]");
    println!("  dead letters:  onboard dlq list");
    println!("  functions:     {}", functions_dir.display());
    println!(
        "  logs:          {}/logs/{{stack,moto,csv-parser,product-validator,error-processor}}.log",
        env_path.parent().unwrap_or(Path::new(".")).display()
    );
    if !faults.is_none() {
        println!("  faults:        {faults:?}");
    }
    println!("stop it with: onboard dev down");
}

/// The throwaway cluster's `onboarding` database, created if needed.
async fn local_database(json: bool) -> anyhow::Result<String> {
    use sqlx::Connection;
    let cluster = crate::dev_cluster();
    let starter = cluster.clone();
    tokio::task::spawn_blocking(move || starter.ensure_running())
        .await
        .context("cluster start task")??;
    let mut admin = sqlx::PgConnection::connect(&cluster.url("postgres"))
        .await
        .context("connecting to the local PostgreSQL cluster")?;
    let exists = sqlx::query_scalar!(
        r#"SELECT 1 AS "one!" FROM pg_database WHERE datname = $1"#,
        DATABASE
    )
    .fetch_optional(&mut admin)
    .await?;
    if exists.is_none() {
        sqlx::raw_sql("CREATE DATABASE onboarding")
            .execute(&mut admin)
            .await
            .context("creating the onboarding database")?;
    }
    admin.close().await.ok();
    let url = cluster.url(DATABASE);
    step(json, &format!("database: local throwaway cluster ({url})"));
    Ok(url)
}

/// The vendor portal: `vendor-api` beside the functions, the web app from
/// `WEB_ROOT` or the workspace's `web/`, on `PORTAL_PORT` (default 8080, or
/// a free port when 8080 is taken) of `PORTAL_BIND` (default 127.0.0.1; a
/// container sets 0.0.0.0).
fn portal_options(functions_dir: &Path) -> anyhow::Result<PortalOptions> {
    let web_root = std::env::var("WEB_ROOT")
        .ok()
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            let web = onboarding_db::testing::workspace_root().join("web");
            web.is_dir().then_some(web)
        });
    let port = match std::env::var("PORTAL_PORT").ok().filter(|v| !v.is_empty()) {
        Some(port) => port
            .parse()
            .with_context(|| format!("PORTAL_PORT={port} is not a port number"))?,
        None if std::net::TcpListener::bind("127.0.0.1:8080").is_ok() => 8080,
        None => 0,
    };
    let bind = std::env::var("PORTAL_BIND")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "127.0.0.1".into());
    Ok(PortalOptions {
        binary: functions_dir.join("vendor-api"),
        web_root,
        port,
        bind,
    })
}

/// The stack process: starts the stack, runs until SIGTERM or Ctrl-C, stops it.
pub async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    onboarding_devstack::init_logging();
    let state = state_dir();
    let mut options = StackOptions::local(
        &state,
        FunctionBinaries::in_dir(&args.functions_dir),
        &args.database_url,
    );
    options.aws_endpoint = args.aws_endpoint;
    options.cognito_endpoint = args.cognito_endpoint;
    options.faults = parse_faults(&args.faults)?;
    options.report_link_base_url = std::env::var("REPORT_LINK_BASE_URL")
        .ok()
        .filter(|v| !v.is_empty());
    options.portal = Some(portal_options(&args.functions_dir)?);
    let stack = Stack::start(options)
        .await
        .map_err(|e| anyhow::anyhow!("starting the local stack: {e}"))?;
    // `ONBOARD_STACK_ENV` may name the file differently.
    let wanted = crate::stack_env::path();
    if wanted.file_name().is_some_and(|n| n != ENV_FILE) {
        stack
            .env()
            .write(&wanted)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    eprintln!(
        "local stack ready: {} (pid {})",
        stack.endpoint(),
        std::process::id()
    );
    wait_for_stop_signal().await;
    eprintln!("stopping the local stack");
    let stats = serde_json::to_string(&stack.invocation_stats()).unwrap_or_default();
    stack.stop().await;
    if wanted.file_name().is_some_and(|n| n != ENV_FILE) {
        std::fs::remove_file(&wanted).ok();
    }
    eprintln!("local stack stopped; invocations: {stats}");
    Ok(ExitCode::SUCCESS)
}

async fn wait_for_stop_signal() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = terminate.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

/// `onboard dev health`: exit 0 when the stack in `ONBOARD_STACK_ENV` (or
/// `.dev/stack.env`) runs and is ready, 1 with the reason when it is not.
pub async fn health(json: bool) -> anyhow::Result<ExitCode> {
    let not_ready = readiness().await.err();
    if json {
        println!(
            "{}",
            serde_json::json!({"ready": not_ready.is_none(), "reason": not_ready})
        );
    } else {
        match &not_ready {
            None => println!("ready"),
            Some(reason) => println!("not ready: {reason}"),
        }
    }
    Ok(match not_ready {
        None => crate::exit::Exit::Ok.into(),
        Some(_) => crate::exit::Exit::Failed.into(),
    })
}

/// Why the stack is not ready, if it is not.
async fn readiness() -> Result<(), String> {
    let env_path = crate::stack_env::path();
    let Ok(env) = StackEnv::read(&env_path) else {
        return Err(format!(
            "{} does not exist yet (run `onboard dev up`)",
            env_path.display()
        ));
    };
    if live_stack_pid(&env).is_none() {
        return Err(format!(
            "the stack process named in {} is not running (run `onboard dev up`)",
            env_path.display()
        ));
    }
    onboarding_devstack::stack::check_ready(&env)
        .await
        .map_err(|e| e.to_string())
}

pub async fn down() -> anyhow::Result<ExitCode> {
    let env_path = crate::stack_env::path();
    let stack = StackEnv::read(&env_path).ok();
    let cluster = crate::dev_cluster();
    // A stack started on someone else's DATABASE_URL leaves that server alone.
    let uses_cluster = stack
        .as_ref()
        .and_then(|env| env.get(keys::DATABASE_URL))
        .is_none_or(|url| url.starts_with(&cluster.url("")));
    match stack {
        Some(env) => match live_stack_pid(&env) {
            Some(pid) => {
                signal(pid, "TERM")?;
                let started = Instant::now();
                while Path::new(&format!("/proc/{pid}")).exists() && !is_zombie(pid) {
                    if started.elapsed() > STOP_LIMIT {
                        eprintln!(
                            "the stack process {pid} did not stop in {STOP_LIMIT:?}; killing it"
                        );
                        signal(pid, "KILL")?;
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                println!("local stack stopped (pid {pid})");
            }
            None => println!("the local stack was not running"),
        },
        None => println!("the local stack was not running"),
    }
    std::fs::remove_file(&env_path).ok();
    if !uses_cluster {
        println!("the stack's DATABASE_URL was given to it: that server is left running");
        return Ok(ExitCode::SUCCESS);
    }
    tokio::task::spawn_blocking(move || cluster.stop())
        .await
        .context("cluster stop task")??;
    println!("local PostgreSQL cluster stopped");
    Ok(ExitCode::SUCCESS)
}

fn signal(pid: u32, name: &str) -> anyhow::Result<()> {
    let status = std::process::Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()
        .context("running kill")?;
    if !status.success() && Path::new(&format!("/proc/{pid}")).exists() {
        bail!("could not send SIG{name} to {pid}");
    }
    Ok(())
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            stat.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(true)
}

/// A database URL without its password.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(
            redact("postgres://postgres@127.0.0.1:55432/onboarding"),
            "postgres://postgres@127.0.0.1:55432/onboarding"
        );
    }

    #[test]
    fn faults_parse_from_flags() {
        let faults = parse_faults(&["duplicate".into(), "fail-after=0.2".into()]).unwrap();
        assert!(faults.duplicate_every_event);
        assert_eq!(faults.fail_after, 0.2);
        assert!(parse_faults(&["nope".into()]).is_err());
    }
}

//! `onboard invoke <function> --event FILE|-`: one event to one function of
//! the running local stack (see `onboarding_devstack::invoke`).

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use onboarding_devstack::FunctionKind;
use onboarding_devstack::env::keys;
use onboarding_devstack::invoke::{DirectInvocation, invoke};

use crate::exit::{self, Exit};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FunctionName {
    CsvParser,
    ProductValidator,
    ErrorProcessor,
}

impl From<FunctionName> for FunctionKind {
    fn from(name: FunctionName) -> Self {
        match name {
            FunctionName::CsvParser => FunctionKind::CsvParser,
            FunctionName::ProductValidator => FunctionKind::ProductValidator,
            FunctionName::ErrorProcessor => FunctionKind::ErrorProcessor,
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct InvokeArgs {
    #[arg(value_enum)]
    pub function: FunctionName,
    /// The event: a JSON file, or `-` for standard input.
    #[arg(long, value_name = "FILE|-")]
    pub event: PathBuf,
    /// Print one JSON object: function, response, error, log_lines, duration_ms.
    #[arg(long)]
    pub json: bool,
}

fn read_event(source: &PathBuf) -> anyhow::Result<serde_json::Value> {
    let (text, origin) = if source.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| exit::invalid(format!("reading the event from standard input: {e}")))?;
        (text, "standard input".to_string())
    } else {
        let text = std::fs::read_to_string(source)
            .map_err(|e| exit::invalid(format!("reading the event {}: {e}", source.display())))?;
        (text, source.display().to_string())
    };
    serde_json::from_str(&text).map_err(|e| {
        exit::invalid(format!(
            "the event in {origin} is not JSON ({e}); pass a file holding one JSON event"
        ))
    })
}

pub async fn run(args: InvokeArgs) -> anyhow::Result<ExitCode> {
    let event = read_event(&args.event)?;
    let (env, _) = crate::dev::running_stack_env()?;
    let Some(url) = env.get(keys::LOCAL_INVOKE_URL) else {
        return Err(exit::unavailable(format!(
            "the local stack takes no direct invocations: {} has no {}; restart it with `onboard dev down && onboard dev up`",
            crate::stack_env::path().display(),
            keys::LOCAL_INVOKE_URL
        )));
    };
    let invocation = invoke(url, args.function.into(), &event)
        .await
        .map_err(|e| {
            exit::unavailable(format!(
                "{e}; is the local stack up? (`onboard dev health`, `onboard dev up`)"
            ))
        })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&invocation)?);
    } else {
        print_text(&invocation)?;
    }
    Ok(if invocation.error.is_none() {
        Exit::Ok.into()
    } else {
        Exit::Failed.into()
    })
}

/// The log lines on standard error, then the response (or the failure) on
/// standard output, so `onboard invoke ... | jq` reads the response alone.
fn print_text(invocation: &DirectInvocation) -> anyhow::Result<()> {
    for line in &invocation.log_lines {
        eprintln!("{line}");
    }
    match &invocation.error {
        None => println!("{}", serde_json::to_string_pretty(&invocation.response)?),
        Some(failure) => println!(
            "{} failed ({}): {}",
            invocation.function, failure.kind, failure.message
        ),
    }
    eprintln!("({} ms)", invocation.duration_ms);
    Ok(())
}

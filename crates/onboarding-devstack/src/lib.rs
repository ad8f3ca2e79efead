//! The local stack: what `onboard dev up` runs and what end-to-end tests and
//! benchmarks start, without Docker.
//!
//! - a real PostgreSQL (given as a URL: the CLI uses the throwaway cluster of
//!   `onboarding_db::cluster`, tests use `onboarding_db::testing`);
//! - a real AWS API emulator: moto server [`moto::MOTO_VERSION`] from the
//!   project-local venv [`moto::MOTO_VENV`] (created on first use), or any
//!   endpoint given as [`StackOptions::aws_endpoint`] (LocalStack, for example);
//! - the resources of `docs/configuration.md` ("Local stack resources"),
//!   provisioned by [`provision`];
//! - the local runner that plays AWS Lambda: each function binary runs as
//!   child processes driven through the real Lambda Runtime API
//!   ([`runtime`]), fed by event source mappings ([`mappings`]) that poll S3
//!   notifications, the staging table's stream and the errors queue the way
//!   Lambda does, with optional fault injection ([`Faults`]);
//! - captured vendor email ([`outbox`]) and dead-letter tools ([`dlq`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), onboarding_devstack::DevstackError> {
//! use onboarding_devstack::{FunctionBinaries, Stack, StackOptions};
//! let options = StackOptions::local(
//!     ".dev",
//!     FunctionBinaries::in_dir("target/debug"),
//!     "postgres://postgres@127.0.0.1:55432/onboarding",
//! );
//! let stack = Stack::start(options).await?;
//! println!("{}", stack.env().get("UPLOAD_BUCKET").unwrap());
//! stack.stop().await;
//! # Ok(()) }
//! ```

pub mod aws;
pub mod calls;
pub mod dlq;
pub mod env;
pub mod faults;
pub mod invoke;
pub mod mappings;
pub mod moto;
pub mod options;
pub mod outbox;
pub mod portal;
pub mod provision;
pub mod requirements;
pub mod runtime;
pub mod s3_event;
pub mod stack;

use std::path::Path;

pub use aws::StackClients;
pub use env::StackEnv;
pub use faults::Faults;
pub use mappings::EventSourceStats;
pub use options::{
    DatabaseUrl, FunctionBinaries, FunctionKind, FunctionSettings, StackOptions, TestSpeed,
};
pub use outbox::{CapturedEmail, Outbox};
pub use provision::Resources;
pub use runtime::{InvocationStats, InvokeError};
pub use stack::Stack;

/// Logs of the stack process (`onboard dev serve`) on standard error, as
/// text lines; `RUST_LOG` filters (default: `info`, SDK internals at `warn`).
/// Does nothing if a subscriber is already installed.
pub fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new("info,aws_config=warn,aws_smithy_runtime=warn,aws_sdk_sqs=warn")
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Everything that can stop the stack from starting or a tool from working.
#[derive(Debug, thiserror::Error)]
pub enum DevstackError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "function binary {path} is missing: run `cargo build --workspace --bins` (add --release for a release stack)"
    )]
    MissingBinary { path: String },
    #[error("AWS emulator: {0}")]
    Emulator(String),
    #[error("{operation}: {message}")]
    Aws { operation: String, message: String },
    #[error("database: {0}")]
    Database(String),
    #[error("configuration: {0}")]
    Config(String),
    #[error("{0}")]
    Other(String),
}

impl DevstackError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        DevstackError::Io {
            path: path.display().to_string(),
            source,
        }
    }

    /// An AWS SDK error, with its full cause chain.
    pub(crate) fn aws<E>(operation: impl Into<String>, error: E) -> Self
    where
        E: std::error::Error,
    {
        DevstackError::Aws {
            operation: operation.into(),
            message: aws_sdk_sqs::error::DisplayErrorContext(error).to_string(),
        }
    }
}

//! What to start: [`StackOptions`] and its parts.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use onboarding_aws::contract::{self, Contract, Trigger};

use crate::DevstackError;
use crate::faults::Faults;

/// The three functions of the pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FunctionKind {
    CsvParser,
    ProductValidator,
    ErrorProcessor,
}

impl FunctionKind {
    pub const ALL: [FunctionKind; 3] = [
        FunctionKind::CsvParser,
        FunctionKind::ProductValidator,
        FunctionKind::ErrorProcessor,
    ];

    /// The binary (and function) name: `csv-parser`, `product-validator`, `error-processor`.
    pub fn binary_name(self) -> &'static str {
        match self {
            FunctionKind::CsvParser => "csv-parser",
            FunctionKind::ProductValidator => "product-validator",
            FunctionKind::ErrorProcessor => "error-processor",
        }
    }

    /// The deployed function name: `<prefix>-csv-parser` and so on.
    pub fn function_name(self, prefix: &str) -> String {
        format!("{prefix}-{}", self.binary_name())
    }
}

impl fmt::Display for FunctionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.binary_name())
    }
}

/// Which program runs each function.
#[derive(Clone, Debug)]
pub struct FunctionBinaries {
    pub csv_parser: PathBuf,
    pub product_validator: PathBuf,
    pub error_processor: PathBuf,
}

impl FunctionBinaries {
    /// `csv-parser`, `product-validator` and `error-processor` in `dir`
    /// (for example `target/debug`).
    pub fn in_dir(dir: impl AsRef<Path>) -> Self {
        let dir = dir.as_ref();
        FunctionBinaries {
            csv_parser: dir.join(FunctionKind::CsvParser.binary_name()),
            product_validator: dir.join(FunctionKind::ProductValidator.binary_name()),
            error_processor: dir.join(FunctionKind::ErrorProcessor.binary_name()),
        }
    }

    /// One program plays all three functions (tests).
    pub fn same(binary: impl Into<PathBuf>) -> Self {
        let binary = binary.into();
        FunctionBinaries {
            csv_parser: binary.clone(),
            product_validator: binary.clone(),
            error_processor: binary,
        }
    }

    pub fn get(&self, kind: FunctionKind) -> &Path {
        match kind {
            FunctionKind::CsvParser => &self.csv_parser,
            FunctionKind::ProductValidator => &self.product_validator,
            FunctionKind::ErrorProcessor => &self.error_processor,
        }
    }

    /// Fails with [`DevstackError::MissingBinary`] naming the first missing program.
    pub fn check(&self) -> Result<(), DevstackError> {
        for kind in FunctionKind::ALL {
            let path = self.get(kind);
            if !path.is_file() {
                return Err(DevstackError::MissingBinary {
                    path: path.display().to_string(),
                });
            }
        }
        Ok(())
    }
}

/// Per-function runner settings, mirroring the Terraform function settings.
#[derive(Clone, Debug)]
pub struct FunctionSettings {
    pub memory_mb: u32,
    pub timeout: Duration,
    /// Most instances at once (Lambda concurrency).
    pub max_instances: usize,
}

impl FunctionSettings {
    /// The contract's memory and timeout for `function`, with the local
    /// concurrency.
    pub fn of(contract: &Contract, function: &str, max_instances: usize) -> FunctionSettings {
        let function = contract.function(function);
        FunctionSettings {
            memory_mb: function.memory_mb,
            timeout: Duration::from_secs(function.timeout_s.into()),
            max_instances,
        }
    }
}

/// A test's explicit, named shortcuts through the contract's queue
/// settings: Terraform's 390 s visibility timeout would make a test of a
/// retried batch wait six minutes. Never set outside tests.
#[derive(Clone, Debug, Default)]
pub struct TestSpeed {
    /// The errors queues' visibility timeout, instead of the contract's.
    pub errors_visibility_timeout_s: Option<u32>,
    /// Receives before an errors or S3-events message is dead-lettered, and
    /// the stream mapping's retries, instead of the contract's.
    pub max_receive_count: Option<u32>,
    /// The email claim's lease, instead of the contract's 120 s: a test of
    /// a sender killed after its claim sees the claim taken over in seconds.
    pub email_claim_lease_s: Option<u32>,
}

impl TestSpeed {
    /// `contract` with these overrides, and a line naming each one.
    pub fn apply(&self, contract: &mut Contract) -> Vec<String> {
        let mut applied = Vec::new();
        if let Some(visibility_s) = self.errors_visibility_timeout_s {
            for name in [contract::ERRORS_QUEUE, contract::CANDIDATE_ERRORS_QUEUE] {
                let queue = contract.queue_mut(name);
                applied.push(format!(
                    "queue {name} visibility timeout {visibility_s} s (contract: {} s)",
                    queue.visibility_timeout_s.unwrap_or_default()
                ));
                queue.visibility_timeout_s = Some(visibility_s);
            }
        }
        if let Some(lease_s) = self.email_claim_lease_s {
            applied.push(format!(
                "email claim lease {lease_s} s (contract: {} s)",
                contract.email_claim_lease_s
            ));
            contract.email_claim_lease_s = lease_s;
        }
        if let Some(receives) = self.max_receive_count {
            for queue in &mut contract.queues {
                if let Some(dead_letter) = &mut queue.dead_letter {
                    applied.push(format!(
                        "queue {} max receive count {receives} (contract: {})",
                        queue.name, dead_letter.max_receive_count
                    ));
                    dead_letter.max_receive_count = receives;
                }
            }
            for trigger in &mut contract.triggers {
                match trigger {
                    Trigger::Stream { max_retries, .. } => {
                        applied.push(format!(
                            "stream retries {receives} (contract: {max_retries})"
                        ));
                        *max_retries = receives;
                    }
                    Trigger::S3Notification { max_retries, .. } => {
                        let retries = receives.saturating_sub(1);
                        applied.push(format!(
                            "S3 event retries {retries} (contract: {max_retries})"
                        ));
                        *max_retries = retries;
                    }
                    Trigger::Queue { .. } => {}
                }
            }
        }
        applied
    }
}

/// A PostgreSQL URL split into the parts the functions are configured with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatabaseUrl {
    pub url: String,
    pub host: String,
    pub port: u16,
    pub name: String,
    pub username: String,
    pub password: String,
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, DevstackError> {
        let parsed = url::Url::parse(url)
            .map_err(|e| DevstackError::Config(format!("database URL {url:?}: {e}")))?;
        if !matches!(parsed.scheme(), "postgres" | "postgresql") {
            return Err(DevstackError::Config(format!(
                "database URL must start with postgres://, got {url:?}"
            )));
        }
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let name = decode(parsed.path().trim_start_matches('/'));
        if name.is_empty() {
            return Err(DevstackError::Config(format!(
                "database URL {url:?} names no database"
            )));
        }
        Ok(DatabaseUrl {
            url: url.to_string(),
            host: parsed.host_str().unwrap_or("127.0.0.1").to_string(),
            port: parsed.port().unwrap_or(5432),
            name,
            username: decode(parsed.username()),
            password: decode(parsed.password().unwrap_or("")),
        })
    }
}

/// What [`crate::Stack::start`] starts.
#[derive(Clone, Debug)]
pub struct StackOptions {
    /// Logs (`logs/<function>.log`, `moto.log`), the outbox journal, stream
    /// checkpoints and `stack.env`: `.dev` for the CLI, a temp dir per test.
    pub state_dir: PathBuf,
    /// The function programs.
    pub functions: FunctionBinaries,
    /// An existing, migrated and seeded database.
    pub database_url: String,
    /// `None`: start moto on a free port. `Some(url)`: use that emulator.
    pub aws_endpoint: Option<String>,
    /// With moto started here: run DynamoDB and its stream in a moto process
    /// of their own (the default), beside the one for every other service.
    pub split_emulator: bool,
    /// Cognito's emulator when it is not the one above (LocalStack's free
    /// edition has no Cognito; docker-compose runs a moto sidecar for it).
    pub cognito_endpoint: Option<String>,
    /// The moto venv (default [`crate::moto::default_venv`]).
    pub moto_venv: PathBuf,
    /// Resource name prefix, `onboarding-local`.
    pub prefix: String,
    pub region: String,
    pub faults: Faults,
    /// Vendors to give a mailbox queue at start-up. `None`: every vendor in the
    /// database's `vendors` table.
    pub mailbox_vendors: Option<Vec<onboarding_core::VendorId>>,
    pub csv_parser: FunctionSettings,
    pub product_validator: FunctionSettings,
    pub error_processor: FunctionSettings,
    /// The deployment contract the stack mirrors: its queues (visibility
    /// timeouts, retention, receives before the DLQ), its triggers' batch
    /// sizes and retries, and the functions' timeouts.
    pub contract: Contract,
    /// Shorter settings than the contract's, so a test sees a retry or a
    /// dead letter in seconds; `None` everywhere but in tests. The stack logs
    /// each one at start-up, with the invariants it suspends.
    pub test_speed: Option<TestSpeed>,
    /// Stream batching window. Terraform's is 5 s; locally 0.5 s, so a
    /// developer sees a file validated at once (a batch still fills up to
    /// the contract's batch size).
    pub stream_batching_window: Duration,
    /// Errors queue batching window. Terraform's is 30 s; locally 0.5 s for
    /// the same reason (one upload's messages still arrive in one batch:
    /// the validator sends them together).
    pub errors_batching_window: Duration,
    /// Delay before a failed S3 event is retried (Lambda: 1 and 2 minutes).
    pub s3_retry_delay: Duration,
    /// Extra environment for every function process (wins over the stack's).
    pub extra_function_env: Vec<(String, String)>,
    /// Keep each invocation's event and outcome (tests).
    pub keep_invocation_log: bool,
    /// Optional `REPORT_LINK_BASE_URL` for the error-processor. With the
    /// portal running and none given, the portal's `<url>/api`.
    pub report_link_base_url: Option<String>,
    /// Run the vendor portal (API and web app) too.
    pub portal: Option<crate::portal::PortalOptions>,
}

impl StackOptions {
    /// The local defaults: moto, prefix `onboarding-local`, the environment's
    /// region ([`crate::aws::configured_region`]), the
    /// contract's queues, triggers, memory and timeouts, concurrency csv-parser 4 /
    /// product-validator the stream's parallelization factor (one shard, that
    /// many batches in flight) / error-processor 2, short batching windows
    /// and retry delays.
    pub fn local(
        state_dir: impl Into<PathBuf>,
        functions: FunctionBinaries,
        database_url: impl Into<String>,
    ) -> Self {
        let contract = Contract::get();
        StackOptions {
            state_dir: state_dir.into(),
            functions,
            database_url: database_url.into(),
            aws_endpoint: None,
            split_emulator: true,
            cognito_endpoint: None,
            moto_venv: crate::moto::default_venv(),
            prefix: "onboarding-local".into(),
            region: crate::aws::configured_region(),
            faults: Faults::default(),
            mailbox_vendors: None,
            csv_parser: FunctionSettings::of(&contract, "csv-parser", 4),
            product_validator: FunctionSettings::of(
                &contract,
                "product-validator",
                contract.stream_parallelization_factor() as usize,
            ),
            error_processor: FunctionSettings::of(&contract, "error-processor", 2),
            contract,
            test_speed: None,
            stream_batching_window: Duration::from_millis(500),
            errors_batching_window: Duration::from_millis(500),
            s3_retry_delay: Duration::from_secs(1),
            extra_function_env: Vec::new(),
            keep_invocation_log: false,
            report_link_base_url: None,
            portal: None,
        }
    }

    /// The contract the stack runs with: [`StackOptions::contract`] with the
    /// test-speed overrides, and a line naming each override.
    pub fn effective_contract(&self) -> (Contract, Vec<String>) {
        let mut contract = self.contract.clone();
        let overrides = match &self.test_speed {
            Some(test_speed) => test_speed.apply(&mut contract),
            None => Vec::new(),
        };
        (contract, overrides)
    }

    pub fn settings(&self, kind: FunctionKind) -> &FunctionSettings {
        match kind {
            FunctionKind::CsvParser => &self.csv_parser,
            FunctionKind::ProductValidator => &self.product_validator,
            FunctionKind::ErrorProcessor => &self.error_processor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> StackOptions {
        StackOptions::local(
            "/nonexistent",
            FunctionBinaries::same("/nonexistent"),
            "postgres://h/db",
        )
    }

    #[test]
    fn the_local_stack_runs_with_the_contracts_settings_unless_a_test_says_otherwise() {
        let (contract, overrides) = local().effective_contract();
        assert!(overrides.is_empty());
        assert_eq!(
            contract.queue(contract::ERRORS_QUEUE).visibility_timeout_s,
            Some(390)
        );
        assert!(contract.violations().is_empty());

        let mut options = local();
        options.test_speed = Some(TestSpeed {
            errors_visibility_timeout_s: Some(5),
            max_receive_count: Some(1),
            email_claim_lease_s: Some(2),
        });
        let (contract, overrides) = options.effective_contract();
        let said = overrides.join("\n");
        assert!(
            said.contains("queue errors visibility timeout 5 s (contract: 390 s)"),
            "{said}"
        );
        assert!(said.contains("stream retries 1 (contract: 3)"), "{said}");
        assert!(
            said.contains("email claim lease 2 s (contract: 120 s)"),
            "{said}"
        );
        // What the override suspends is named, so the stack can log it.
        let broken = contract.violations().join("\n");
        assert!(
            broken.contains(
                "email claim lease (2 s) is not longer than the error-processor's timeout"
            ),
            "{broken}"
        );
    }

    #[test]
    fn database_url_parts() {
        let db =
            DatabaseUrl::parse("postgres://app%40x:p%2Fw@db.local:6543/onboarding?sslmode=disable")
                .unwrap();
        assert_eq!(
            (
                db.host.as_str(),
                db.port,
                db.name.as_str(),
                db.username.as_str(),
                db.password.as_str()
            ),
            ("db.local", 6543, "onboarding", "app@x", "p/w")
        );
        let db = DatabaseUrl::parse("postgres://postgres@127.0.0.1:55432/test_1").unwrap();
        assert_eq!((db.port, db.password.as_str()), (55432, ""));
        assert!(DatabaseUrl::parse("postgres://h/").is_err());
        assert!(DatabaseUrl::parse("mysql://h/db").is_err());
    }
}

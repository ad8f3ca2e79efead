//! A local stack per test: a fresh database, moto on its own port, and the
//! three function binaries from this build behind the Lambda runner.

#![allow(dead_code)] // each test binary uses a different part of the harness

pub mod portal;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use onboarding_core::generate::{GeneratorSpec, generate};
use onboarding_core::{UploadId, UploadStatus, VendorId};
use onboarding_db::testing::{TestDatabase, fresh_database};
use onboarding_db::uploads::{self, Upload};
use onboarding_devstack::env::keys;
use onboarding_devstack::faults::Faults;
use onboarding_devstack::options::{FunctionBinaries, FunctionKind, StackOptions, TestSpeed};
use onboarding_devstack::outbox::CapturedEmail;
use onboarding_devstack::stack::Stack;

/// Runs `command` (an `onboard` invocation): whether it succeeded, and its
/// standard output followed by its standard error.
pub fn run_onboard(command: &mut std::process::Command) -> (bool, String) {
    let output = command.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// The HTTP methods a route may have.
pub const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// (method, path) of every `.route("/path", get(..).post(..))` in the
/// router's source, under the `/api` the router is nested at.
pub fn router_routes() -> BTreeSet<(String, String)> {
    let lib = std::fs::read_to_string("../onboarding-api/src/lib.rs").unwrap();
    assert!(
        lib.contains("Router::new().nest(onboarding_aws::contract::API_PATH_PREFIX, api)")
            && onboarding_aws::contract::API_PATH_PREFIX == "/api",
        "the API is no longer nested at /api; update this test"
    );
    let source = std::fs::read_to_string("../onboarding-api/src/routes/mod.rs").unwrap();
    let mut routes = BTreeSet::new();
    let mut rest = source.as_str();
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + ".route(".len()..];
        let start = rest.find('"').expect("a route's path") + 1;
        let end = start + rest[start..].find('"').unwrap();
        let path = format!("/api{}", &rest[start..end]);
        // The handlers: up to the parenthesis that closes `.route(`.
        let mut depth = 1;
        let mut close = end;
        for (i, c) in rest[end..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                close = end + i;
                break;
            }
        }
        let handlers = &rest[end + 1..close];
        let mut found = false;
        for method in METHODS {
            let needle = format!("{method}(");
            let mut from = 0;
            while let Some(i) = handlers[from..].find(&needle) {
                let i = from + i;
                let before = handlers[..i].chars().next_back();
                if !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                    routes.insert((method.to_string(), path.clone()));
                    found = true;
                }
                from = i + needle.len();
            }
        }
        assert!(found, "no method found for {path}: {handlers}");
        rest = &rest[close..];
    }
    assert!(!routes.is_empty(), "no routes parsed from routes/mod.rs");
    routes
}

/// How long one upload may take end to end before a test gives up
/// (the benchmark's 100 concurrent uploads raise it with `upload_timeout`).
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(600);
/// The errors queues' visibility timeout in tests (the contract's is 390 s):
/// a failed error-processor batch comes back after it.
pub const TEST_ERRORS_VISIBILITY_TIMEOUT_S: u32 = 5;

#[derive(Clone, Debug, Default)]
pub struct Options {
    pub faults: Faults,
    /// Retries before a stream batch or a queue message is given up (moved
    /// to its failure destination). Lambda's are 3; random injected failures
    /// need more, or a test would lose a batch by chance rather than by bug.
    pub retries: Option<u32>,
    /// Run the vendor portal (the vendor-api binary of this build) too.
    pub portal: bool,
    /// Keep every invocation's event ([`Stack::invocation_log`]).
    pub invocation_log: bool,
    /// The email claim's lease instead of the contract's 120 s (a named
    /// test-speed override).
    pub email_claim_lease_s: Option<u32>,
    /// Extra environment for every function process (wins over the stack's).
    pub function_env: Vec<(String, String)>,
    /// One moto process for every service, DynamoDB included (the stack's
    /// default runs DynamoDB apart).
    pub one_emulator: bool,
    /// The stream mapping's parallelization factor instead of the
    /// contract's (benchmark comparisons), with as many validator instances.
    pub parallelization_factor: Option<u32>,
}

impl Options {
    /// Every event delivered twice, and a share `p` of invocations failing
    /// (half before the function runs, half after it has done its work).
    pub fn with_faults(p: f64, seed: u64) -> Options {
        Options {
            faults: Faults {
                duplicate_every_event: true,
                fail_before: p / 2.0,
                fail_after: p / 2.0,
                seed,
            },
            retries: Some(12),
            ..Options::default()
        }
    }
}

/// An email as the tests look at it.
#[derive(Clone, Debug)]
pub struct Mail {
    pub subject: String,
    pub body: String,
    pub vendor_id: String,
    pub upload_id: UploadId,
    pub status: UploadStatus,
}

impl From<CapturedEmail> for Mail {
    fn from(email: CapturedEmail) -> Mail {
        Mail {
            subject: email.subject.unwrap_or_default(),
            body: email.message,
            vendor_id: email.vendor_id.unwrap_or_default(),
            upload_id: email
                .upload_id
                .as_deref()
                .map(UploadId::parse)
                .and_then(Result::ok)
                .unwrap_or_else(|| panic!("an email without an upload id: {:?}", email.upload_id)),
            // The message attribute's text, parsed where the test reads it.
            status: email
                .status
                .as_deref()
                .map(UploadStatus::parse)
                .and_then(Result::ok)
                .unwrap_or_else(|| panic!("an email without an upload status: {:?}", email.status)),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct FaultStats {
    /// csv-parser invocations: with duplicates on, at least two per upload.
    pub parser_invocations: u64,
    /// Invocations failed on purpose, before or after the function ran.
    pub failed: u64,
}

pub struct Harness {
    pub stack: Stack,
    pub db: TestDatabase,
    bucket: String,
    upload_timeout: Duration,
    _state: tempfile::TempDir,
}

/// Where this build put its binaries (`target/debug`).
pub fn functions_dir() -> PathBuf {
    let onboard = PathBuf::from(env!("CARGO_BIN_EXE_onboard"));
    onboard.parent().expect("target dir").to_path_buf()
}

impl Harness {
    pub async fn start(options: Options) -> Harness {
        let db = fresh_database().await;
        let state = tempfile::tempdir().unwrap();
        let binaries = FunctionBinaries::in_dir(functions_dir());
        binaries.check().expect(
            "the function binaries are missing: run `cargo build --workspace --bins` first",
        );
        let mut stack_options = StackOptions::local(state.path(), binaries, db.url.clone());
        stack_options.faults = options.faults;
        stack_options.keep_invocation_log = options.invocation_log;
        // The contract's 390 s visibility timeout would make every retried
        // batch wait six minutes: tests run with a named override.
        stack_options.test_speed = Some(TestSpeed {
            errors_visibility_timeout_s: Some(TEST_ERRORS_VISIBILITY_TIMEOUT_S),
            max_receive_count: options.retries,
            email_claim_lease_s: options.email_claim_lease_s,
        });
        stack_options.extra_function_env = options.function_env;
        stack_options.split_emulator = !options.one_emulator;
        if let Some(factor) = options.parallelization_factor {
            for trigger in &mut stack_options.contract.triggers {
                if let onboarding_aws::contract::Trigger::Stream {
                    parallelization_factor,
                    ..
                } = trigger
                {
                    *parallelization_factor = factor;
                }
            }
            stack_options.product_validator.max_instances = factor as usize;
        }
        if options.portal {
            stack_options.portal = Some(onboarding_devstack::portal::PortalOptions {
                binary: functions_dir().join("vendor-api"),
                web_root: None,
                port: 0,
                bind: "127.0.0.1".into(),
            });
        }
        let stack = Stack::start(stack_options).await.expect("local stack");
        let bucket = stack
            .env()
            .require(keys::UPLOAD_BUCKET)
            .unwrap()
            .to_string();
        Harness {
            stack,
            db,
            bucket,
            upload_timeout: UPLOAD_TIMEOUT,
            _state: state,
        }
    }

    /// Gives each upload longer than the tests' [`UPLOAD_TIMEOUT`].
    pub fn upload_timeout(mut self, timeout: Duration) -> Harness {
        self.upload_timeout = timeout;
        self
    }

    /// Puts `uploads/<vendor>/<name>` and waits until the pipeline is done
    /// with it: the vendor was told, or it cannot be told (unknown vendor).
    pub async fn upload(&self, vendor: &str, name: &str, bytes: Vec<u8>) -> Upload {
        self.upload_to(&format!("uploads/{vendor}/{name}"), bytes)
            .await
    }

    /// Puts the object `key` and waits like [`Harness::upload`].
    pub async fn upload_to(&self, key: &str, bytes: Vec<u8>) -> Upload {
        self.upload_with_metadata(key, bytes, &[]).await
    }

    /// Puts the object `key` with user metadata (`x-amz-meta-<name>`) and
    /// waits like [`Harness::upload`].
    pub async fn upload_with_metadata(
        &self,
        key: &str,
        bytes: Vec<u8>,
        metadata: &[(&str, &str)],
    ) -> Upload {
        let metadata = metadata
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        let put = self
            .stack
            .clients()
            .s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .set_metadata(Some(metadata))
            .body(ByteStream::from(bytes))
            .send()
            .await
            .unwrap();
        let version = put.version_id.expect("the bucket is versioned");
        let started = Instant::now();
        loop {
            if let Some(upload) =
                uploads::find_upload_by_object(&self.db.pool, &self.bucket, key, &version)
                    .await
                    .unwrap()
                && upload.is_finished()
            {
                return upload;
            }
            assert!(
                started.elapsed() < self.upload_timeout,
                "{key} not finished after {:?}; logs in {}",
                self.upload_timeout,
                self.stack.state_dir().display()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn products_of(&self, upload_id: &UploadId) -> i64 {
        self.count(
            "SELECT count(*) FROM products WHERE upload_id = $1",
            upload_id,
        )
        .await
    }

    pub async fn outcomes_of(&self, upload_id: &UploadId) -> i64 {
        self.count(
            "SELECT count(*) FROM row_outcomes WHERE upload_id = $1",
            upload_id,
        )
        .await
    }

    /// Waits (up to 10 s) until no pipeline function holds a PostgreSQL
    /// connection, and returns the ones they still hold then (application
    /// name, state, last query).
    pub async fn pipeline_connections_after_idle(&self) -> Vec<(String, String, String)> {
        let started = Instant::now();
        loop {
            let held: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT application_name, coalesce(state, ''), coalesce(query, '') \
                 FROM pg_stat_activity WHERE datname = current_database() \
                 AND application_name ~ '(csv-parser|product-validator|error-processor)$'",
            )
            .fetch_all(&self.db.pool)
            .await
            .unwrap();
            if held.is_empty() || started.elapsed() > Duration::from_secs(10) {
                return held;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn count(&self, sql: &'static str, upload_id: &UploadId) -> i64 {
        sqlx::query_scalar::<_, i64>(sql)
            .bind(upload_id.as_str())
            .fetch_one(&self.db.pool)
            .await
            .unwrap()
    }

    /// A query for the staged items of an upload.
    fn query_staged(
        &self,
        upload_id: &UploadId,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        let table = self.stack.env().require(keys::STAGING_TABLE).unwrap();
        self.stack
            .clients()
            .dynamodb
            .query()
            .table_name(table)
            .key_condition_expression("upload_id = :u")
            .expression_attribute_values(
                ":u",
                aws_sdk_dynamodb::types::AttributeValue::S(upload_id.to_string()),
            )
    }

    /// The `lane` attribute of every staged item of an upload (`None` when
    /// absent, as on live rows).
    pub async fn staged_lanes(&self, upload_id: &UploadId) -> Vec<Option<String>> {
        let output = self.query_staged(upload_id).send().await.unwrap();
        output
            .items()
            .iter()
            .map(|item| item.get("lane").and_then(|lane| lane.as_s().ok()).cloned())
            .collect()
    }

    /// The queues (event source ARNs) the error-processor was invoked from
    /// with messages about `upload_id` (needs [`Options::invocation_log`]).
    pub fn error_processor_queues_for(&self, upload_id: &UploadId) -> Vec<String> {
        self.stack
            .invocation_log(FunctionKind::ErrorProcessor)
            .iter()
            .flat_map(|invocation| {
                invocation.event["Records"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .filter(|record| {
                record["body"]
                    .as_str()
                    .is_some_and(|body| body.contains(upload_id.as_str()))
            })
            .filter_map(|record| record["eventSourceARN"].as_str().map(str::to_string))
            .collect()
    }

    /// Staged items of an upload in DynamoDB.
    pub async fn staged_rows(&self, upload_id: &UploadId) -> i32 {
        let output = self
            .query_staged(upload_id)
            .select(aws_sdk_dynamodb::types::Select::Count)
            .send()
            .await
            .unwrap();
        output.count
    }

    pub async fn s3_object(&self, key: &str) -> Vec<u8> {
        let object = self
            .stack
            .clients()
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("s3://{}/{key}: {e:?}", self.bucket));
        object.body.collect().await.unwrap().into_bytes().to_vec()
    }

    /// Every email published about an upload (the unfiltered outbox). Waits
    /// a moment for late duplicates, so that "exactly one" means something.
    pub async fn emails_about(&self, upload_id: &UploadId) -> Vec<Mail> {
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.stack.outbox().drain().await.unwrap();
        self.stack
            .outbox()
            .read_outbox()
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.upload_id.as_deref() == Some(upload_id.as_str()))
            .map(Mail::from)
            .collect()
    }

    /// What a vendor's email subscription (same filter policy) received.
    pub async fn mailbox(&self, vendor_id: &str) -> Vec<Mail> {
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.stack.outbox().drain().await.unwrap();
        self.stack
            .outbox()
            .read_mailbox(&onboarding_core::VendorId::parse(vendor_id).expect("a vendor id"))
            .await
            .unwrap()
            .into_iter()
            .map(Mail::from)
            .collect()
    }

    pub async fn send_to_error_queue(&self, body: &str) {
        let url = self.stack.env().require(keys::ERROR_QUEUE_URL).unwrap();
        self.stack
            .clients()
            .sqs
            .send_message()
            .queue_url(url)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }

    /// Waits until the error DLQ holds `n` messages and returns their bodies.
    pub async fn wait_for_dead_letters(&self, n: usize) -> Vec<String> {
        let url = self.stack.env().require(keys::ERROR_DLQ_URL).unwrap();
        let started = Instant::now();
        loop {
            let letters = onboarding_devstack::dlq::list(self.stack.clients(), url)
                .await
                .unwrap();
            if letters.len() >= n {
                return letters.into_iter().map(|l| l.body).collect();
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "no dead letter after 120 s"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    pub fn fault_stats(&self) -> FaultStats {
        let mut stats = FaultStats::default();
        for (kind, s) in self.stack.invocation_stats() {
            stats.failed += s.injected_before_run + s.injected_after_run;
            if kind == FunctionKind::CsvParser {
                stats.parser_invocations = s.invocations;
            }
        }
        stats
    }
}

/// A generated product file.
pub fn generated_file(vendor: &str, rows: u32, error_rate: f64, seed: u64) -> Vec<u8> {
    let names = onboarding_db::seed::category_names(onboarding_db::seed::CATEGORIES_CSV).unwrap();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let spec = GeneratorSpec {
        rows,
        error_rate,
        seed,
        vendor_id: VendorId::parse(vendor).unwrap(),
    };
    let mut bytes = Vec::new();
    generate(&spec, &names, &mut bytes).unwrap();
    bytes
}

//! [`Stack`]: the emulator, the resources, the runner and the mappings, as one
//! thing that starts and stops.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use onboarding_core::VendorId;

use crate::DevstackError;
use crate::aws::StackClients;
use crate::env::{ENV_FILE, StackEnv, keys};
use crate::faults::Deliverer;
use crate::invoke::InvokeServer;
use crate::mappings::s3::S3Mapping;
use crate::mappings::sqs::SqsMapping;
use crate::mappings::stream::StreamMapping;
use crate::mappings::{EventSourceStats, StatsCell, or_shutdown};
use crate::moto::MotoServer;
use crate::options::{DatabaseUrl, FunctionKind, StackOptions};
use crate::outbox::Outbox;
use crate::portal::{
    OPERATOR_EMAIL, OPERATOR_EMAIL_KEY, OPERATOR_PASSWORD_KEY, PortalServer, create_login,
    create_operator_login, demo_password, free_port, provision_identity,
};
use crate::provision::{
    Resources, S3EventsQueue, ensure_mailbox_queues, provision, subscribe_mailbox,
};
use crate::runtime::{FunctionPool, FunctionSpec, InvocationRecord, InvocationStats, InvokeError};
use onboarding_aws::contract::{Contract, Trigger, vars};

/// How long [`Stack::stop`] lets in-flight events finish.
const STOP_GRACE: Duration = Duration::from_secs(20);
/// How often the outbox is drained into its journal.
const OUTBOX_DRAIN_INTERVAL: Duration = Duration::from_secs(1);

/// A running local stack. Stop it with [`Stack::stop`]; dropping it kills
/// the emulator and the function processes, best effort.
pub struct Stack {
    options: StackOptions,
    env: StackEnv,
    resources: Resources,
    clients: StackClients,
    moto: Option<MotoServer>,
    /// DynamoDB and its stream's own moto process ([`StackOptions::split_emulator`]).
    moto_dynamodb: Option<MotoServer>,
    pools: BTreeMap<FunctionKind, FunctionPool>,
    /// The operator commands' function (see [`Stack::invoke`]).
    migrator: FunctionPool,
    stats: Arc<StatsCell>,
    outbox: Outbox,
    portal: Option<PortalServer>,
    /// `onboard invoke`'s listener ([`crate::invoke`]).
    invoke_server: Option<InvokeServer>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Stack {
    /// Starts the emulator (unless [`StackOptions::aws_endpoint`] is set),
    /// provisions the resources, starts the runner and the event source
    /// mappings, and writes `<state_dir>/stack.env` last, as the sign that
    /// the stack is ready.
    pub async fn start(options: StackOptions) -> Result<Stack, DevstackError> {
        let state_dir = std::path::absolute(&options.state_dir)
            .map_err(|e| DevstackError::io(&options.state_dir, e))?;
        let logs = state_dir.join("logs");
        std::fs::create_dir_all(&logs).map_err(|e| DevstackError::io(&logs, e))?;
        options.functions.check()?;
        let database = DatabaseUrl::parse(&options.database_url)?;

        let (moto, endpoint) = match &options.aws_endpoint {
            Some(endpoint) => (None, endpoint.clone()),
            None => {
                let moto = MotoServer::start(&options.moto_venv, &logs.join("moto.log")).await?;
                let endpoint = moto.endpoint();
                (Some(moto), endpoint)
            }
        };
        // moto is one Python process, CPU-bound on one core: DynamoDB and
        // its stream (the staging writes, the runner's reads) get a process
        // of their own, so they do not queue behind S3, SQS and SNS. They
        // share no state with the other services (no notification crosses).
        let moto_dynamodb = match (&options.aws_endpoint, options.split_emulator) {
            (None, true) => {
                Some(MotoServer::start(&options.moto_venv, &logs.join("moto-dynamodb.log")).await?)
            }
            _ => None,
        };
        let dynamodb_endpoint = moto_dynamodb
            .as_ref()
            .map_or_else(|| endpoint.clone(), MotoServer::endpoint);
        let cognito_endpoint = options.cognito_endpoint.as_deref().unwrap_or(&endpoint);
        let clients = StackClients::connect_with(
            &endpoint,
            cognito_endpoint,
            &dynamodb_endpoint,
            &options.region,
            crate::aws::LOCAL_ACCESS_KEY_ID,
            crate::aws::LOCAL_SECRET_ACCESS_KEY,
        )
        .await;
        let (contract, overrides) = options.effective_contract();
        let broken = contract.violations();
        if overrides.is_empty() && !broken.is_empty() {
            return Err(DevstackError::Config(format!(
                "the local stack's settings break the contract's invariants: {}",
                broken.join("; ")
            )));
        }
        for test_speed_override in &overrides {
            tracing::warn!(setting = %test_speed_override, "test-speed override of the contract");
        }
        for suspended in &broken {
            tracing::warn!(invariant = %suspended, "invariant suspended by a test-speed override");
        }
        let mapping_settings = MappingSettings::of(&contract);
        let s3_events = S3EventsQueue {
            visibility_timeout_s: options.csv_parser.timeout.as_secs() as u32 + 30,
            max_receive_count: mapping_settings.parser_retries + 1,
        };
        let resources =
            provision(&clients, &options.prefix, &database, &contract, &s3_events).await?;
        let vendors = match &options.mailbox_vendors {
            Some(vendors) => vendors.clone(),
            None => vendor_ids(&database.url).await?,
        };
        for vendor in &vendors {
            subscribe_mailbox(&clients, &options.prefix, &resources.topic_arn, vendor).await?;
        }

        let mut env = stack_env(&clients, &options, &database, &resources);
        let mut options = options;
        let portal = match options.portal.clone() {
            None => None,
            Some(portal_options) => {
                let identity = provision_identity(&clients, &options.prefix).await?;
                let password = demo_password();
                for (vendor_id, email) in vendor_logins(&database.url).await? {
                    create_login(&clients, &identity, &email, &vendor_id, &password).await?;
                }
                env.set(keys::COGNITO_USER_POOL_ID, &identity.user_pool_id);
                env.set(keys::COGNITO_CLIENT_ID, &identity.client_id);
                env.set(keys::COGNITO_JWKS_URL, &identity.jwks_url);
                env.set(keys::PORTAL_DEMO_PASSWORD, password);
                let operator_password = demo_password();
                create_operator_login(&clients, &identity, OPERATOR_EMAIL, &operator_password)
                    .await?;
                env.set(OPERATOR_EMAIL_KEY, OPERATOR_EMAIL);
                env.set(OPERATOR_PASSWORD_KEY, operator_password);
                let port = match portal_options.port {
                    0 => free_port()?,
                    port => port,
                };
                let server = PortalServer::start(
                    &portal_options,
                    port,
                    portal_env(&env, &options, &resources, &logs),
                    &logs.join("vendor-api.log"),
                )
                .await?;
                env.set(keys::PORTAL_URL, &server.url);
                if options.report_link_base_url.is_none() {
                    options.report_link_base_url = Some(format!("{}/api", server.url));
                }
                Some(server)
            }
        };
        let pools: BTreeMap<FunctionKind, FunctionPool> = FunctionKind::ALL
            .into_iter()
            .map(|kind| {
                let settings = options.settings(kind);
                let spec = FunctionSpec {
                    name: kind.function_name(&options.prefix),
                    binary: options.functions.get(kind).to_path_buf(),
                    env: function_env(kind, &env, &options, &resources),
                    memory_mb: settings.memory_mb,
                    timeout: settings.timeout,
                    max_instances: settings.max_instances,
                    log_path: logs.join(format!("{}.log", kind.binary_name())),
                    region: options.region.clone(),
                    keep_invocation_log: options.keep_invocation_log,
                };
                (kind, FunctionPool::new(spec))
            })
            .collect();
        // The migrator: the csv-parser's program with the master secret, the
        // one function that may change the schema (in AWS `<prefix>-migrator`,
        // the csv-parser's image; docs/operations.md#database-roles).
        let migrator = FunctionPool::new(FunctionSpec {
            name: format!("{}-migrator", options.prefix),
            binary: options.functions.get(FunctionKind::CsvParser).to_path_buf(),
            env: migrator_env(&env, &options),
            memory_mb: options.settings(FunctionKind::CsvParser).memory_mb,
            timeout: options.settings(FunctionKind::CsvParser).timeout,
            max_instances: 1,
            log_path: logs.join("migrator.log"),
            region: options.region.clone(),
            keep_invocation_log: options.keep_invocation_log,
        });

        let invoke_server = InvokeServer::start(
            pools
                .iter()
                .map(|(kind, pool)| (*kind, pool.spec().clone()))
                .collect(),
        )
        .await?;
        env.set(keys::LOCAL_INVOKE_URL, &invoke_server.url);

        let stats = Arc::new(StatsCell::default());
        let deliverer = Arc::new(Deliverer::new(options.faults.clone()));
        let outbox = Outbox::new(
            clients.clone(),
            &resources.outbox_queue_url,
            &options.prefix,
            &state_dir,
        );
        let (shutdown, stop) = watch::channel(false);
        let mut tasks = Vec::new();

        let s3 = Arc::new(S3Mapping {
            clients: clients.clone(),
            queue_url: resources.s3_events_queue_url.clone(),
            pool: pools[&FunctionKind::CsvParser].clone(),
            deliverer: Arc::clone(&deliverer),
            concurrency: options.csv_parser.max_instances,
            retry_delay: options.s3_retry_delay,
            stats: Arc::clone(&stats),
            versions: Default::default(),
        });
        tasks.push(tokio::spawn(s3.run(stop.clone())));

        let stream = Arc::new(StreamMapping {
            clients: clients.clone(),
            stream_arn: resources.staging_stream_arn.clone(),
            failures_queue_url: resources.stream_failures_queue_url.clone(),
            pool: pools[&FunctionKind::ProductValidator].clone(),
            deliverer: Arc::clone(&deliverer),
            batch_size: mapping_settings.stream_batch_size,
            parallelization_factor: mapping_settings.stream_parallelization_factor,
            batching_window: options.stream_batching_window,
            max_retries: mapping_settings.stream_retries,
            stats: Arc::clone(&stats),
            checkpoint_path: state_dir.join("stream-checkpoints.json"),
            checkpoint_lock: Default::default(),
        });
        tasks.push(tokio::spawn(stream.run(stop.clone())));

        let errors_mapping = |queue_url: &str, queue_arn: &str| {
            Arc::new(SqsMapping {
                clients: clients.clone(),
                queue_url: queue_url.to_string(),
                queue_arn: queue_arn.to_string(),
                pool: pools[&FunctionKind::ErrorProcessor].clone(),
                deliverer: Arc::clone(&deliverer),
                batch_size: mapping_settings.errors_batch_size,
                batching_window: options.errors_batching_window,
                stats: Arc::clone(&stats),
            })
        };
        let errors = errors_mapping(&resources.errors_queue_url, &resources.errors_queue_arn);
        for _ in 0..options.error_processor.max_instances.max(1) {
            tasks.push(tokio::spawn(Arc::clone(&errors).run(stop.clone())));
        }
        // The candidate lane's queue: in AWS its own mapping to the
        // error-processor's `candidate` alias; here the same binary.
        let candidate_errors = errors_mapping(
            &resources.candidate_errors_queue_url,
            &resources.candidate_errors_queue_arn,
        );
        tasks.push(tokio::spawn(candidate_errors.run(stop.clone())));

        let drainer = outbox.clone();
        let mut drain_stop = stop.clone();
        let mailboxes = (
            clients.clone(),
            options.prefix.clone(),
            resources.topic_arn.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut ticks: u64 = 0;
            let mut known_mailboxes = std::collections::HashSet::new();
            while or_shutdown(&mut drain_stop, tokio::time::sleep(OUTBOX_DRAIN_INTERVAL))
                .await
                .is_some()
            {
                ticks += 1;
                // Queues for the mailbox subscriptions the admin API made.
                let (clients, prefix, topic) = &mailboxes;
                if let Err(e) =
                    ensure_mailbox_queues(clients, prefix, topic, &mut known_mailboxes).await
                {
                    tracing::warn!(error = %e, "creating mailbox queues");
                }
                if let Err(e) = drainer.drain_queues(ticks.is_multiple_of(10)).await {
                    tracing::warn!(error = %e, "draining the outbox");
                }
            }
        }));

        options.state_dir = state_dir;
        let stack = Stack {
            options,
            env,
            resources,
            clients,
            moto,
            moto_dynamodb,
            pools,
            migrator,
            stats,
            outbox,
            portal,
            invoke_server: Some(invoke_server),
            shutdown,
            tasks,
        };
        stack.env.write(&stack.env_path())?;
        tracing::info!(endpoint = %endpoint, env = %stack.env_path().display(), "local stack ready");
        Ok(stack)
    }

    /// The `KEY=VALUE` environment of `docs/configuration.md`.
    pub fn env(&self) -> &StackEnv {
        &self.env
    }

    /// The portal's server, when the stack runs one.
    pub fn portal(&self) -> Option<&PortalServer> {
        self.portal.as_ref()
    }

    /// `<state_dir>/stack.env`.
    pub fn env_path(&self) -> PathBuf {
        self.options.state_dir.join(ENV_FILE)
    }

    pub fn state_dir(&self) -> &Path {
        &self.options.state_dir
    }

    pub fn options(&self) -> &StackOptions {
        &self.options
    }

    pub fn resources(&self) -> &Resources {
        &self.resources
    }

    /// SDK clients on the stack's endpoint.
    pub fn clients(&self) -> &StackClients {
        &self.clients
    }

    /// The emulators' endpoints: the general one and, when it runs apart,
    /// DynamoDB's.
    pub fn emulator_endpoints(&self) -> Vec<String> {
        let mut endpoints = vec![self.clients.endpoint.clone()];
        if self.clients.dynamodb_endpoint != self.clients.endpoint {
            endpoints.push(self.clients.dynamodb_endpoint.clone());
        }
        endpoints
    }

    /// The AWS endpoint (moto's, or the one given).
    pub fn endpoint(&self) -> &str {
        &self.clients.endpoint
    }

    pub fn pool(&self, kind: FunctionKind) -> &FunctionPool {
        &self.pools[&kind]
    }

    /// Invokes a function directly (no fault injection), like `aws lambda invoke`.
    /// An operator command for the csv-parser (`{"command": ...}`: migrate,
    /// seed-categories, upsert-vendor, register-vendor) goes to the migrator,
    /// as deployments send it in AWS: the csv-parser's own role may not
    /// change the schema or the master data.
    pub async fn invoke(&self, kind: FunctionKind, event: &Value) -> Result<Value, InvokeError> {
        if kind == FunctionKind::CsvParser && event.get("command").is_some() {
            return self.migrator.invoke(event).await;
        }
        self.pools[&kind].invoke(event).await
    }

    /// Counters per function.
    pub fn invocation_stats(&self) -> BTreeMap<FunctionKind, InvocationStats> {
        self.pools
            .iter()
            .map(|(kind, pool)| (*kind, pool.stats()))
            .collect()
    }

    /// Counters of the event source mappings.
    pub fn event_source_stats(&self) -> EventSourceStats {
        self.stats.snapshot()
    }

    /// Completed invocations of one function (with [`StackOptions::keep_invocation_log`]).
    pub fn invocation_log(&self, kind: FunctionKind) -> Vec<InvocationRecord> {
        self.pools[&kind].invocation_log()
    }

    /// `<state_dir>/logs/<function>.log`.
    pub fn log_path(&self, kind: FunctionKind) -> PathBuf {
        self.options
            .state_dir
            .join("logs")
            .join(format!("{}.log", kind.binary_name()))
    }

    /// Captured email.
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// Gives a vendor a mailbox queue (see [`crate::provision::subscribe_mailbox`]).
    pub async fn subscribe_mailbox(&self, vendor_id: &VendorId) -> Result<String, DevstackError> {
        subscribe_mailbox(
            &self.clients,
            &self.options.prefix,
            &self.resources.topic_arn,
            vendor_id,
        )
        .await
    }

    /// Stops polling, lets in-flight events finish (up to 20 s), drains the
    /// outbox one last time, stops the function processes and the emulator,
    /// and removes `stack.env`.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        let deadline = tokio::time::Instant::now() + STOP_GRACE;
        for task in &mut self.tasks {
            if tokio::time::timeout_at(deadline, &mut *task).await.is_err() {
                task.abort();
            }
        }
        if let Err(e) = self.outbox.drain().await {
            tracing::warn!(error = %e, "last outbox drain");
        }
        for pool in self.pools.values() {
            pool.stop().await;
        }
        self.migrator.stop().await;
        if let Some(invoke_server) = self.invoke_server.take() {
            invoke_server.stop().await;
        }
        if let Some(portal) = self.portal.take() {
            portal.stop().await;
        }
        if let Some(moto) = self.moto.take() {
            moto.stop().await;
        }
        if let Some(moto) = self.moto_dynamodb.take() {
            moto.stop().await;
        }
        let _ = std::fs::remove_file(self.env_path());
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        for task in &self.tasks {
            task.abort();
        }
        for pool in self.pools.values() {
            pool.kill_all();
        }
        self.migrator.kill_all();
        if let Some(invoke_server) = &self.invoke_server {
            invoke_server.kill_all();
        }
        // `moto` is killed on drop (kill_on_drop).
    }
}

/// The environment file's contents.
fn stack_env(
    clients: &StackClients,
    options: &StackOptions,
    database: &DatabaseUrl,
    resources: &Resources,
) -> StackEnv {
    let mut env = StackEnv::new();
    env.set(keys::AWS_ENDPOINT_URL, &clients.endpoint);
    if clients.dynamodb_endpoint != clients.endpoint {
        env.set(keys::AWS_ENDPOINT_URL_DYNAMODB, &clients.dynamodb_endpoint);
        env.set(
            keys::AWS_ENDPOINT_URL_DYNAMODB_STREAMS,
            &clients.dynamodb_endpoint,
        );
    }
    env.set(
        keys::AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER,
        &clients.cognito_endpoint,
    );
    env.set(keys::AWS_REGION, &options.region);
    env.set(keys::AWS_ACCESS_KEY_ID, crate::aws::LOCAL_ACCESS_KEY_ID);
    env.set(
        keys::AWS_SECRET_ACCESS_KEY,
        crate::aws::LOCAL_SECRET_ACCESS_KEY,
    );
    env.set(keys::DATABASE_URL, &database.url);
    env.set(keys::DATABASE_HOST, &database.host);
    env.set(keys::DATABASE_PORT, database.port.to_string());
    env.set(keys::DATABASE_NAME, &database.name);
    env.set(keys::DATABASE_SSL_MODE, "disable");
    env.set(keys::DATABASE_SECRET_ID, &resources.database_secret_id);
    env.set(keys::UPLOAD_BUCKET, &resources.bucket);
    env.set(keys::STAGING_TABLE, &resources.staging_table);
    env.set(keys::STAGING_STREAM_ARN, &resources.staging_stream_arn);
    env.set(keys::ERROR_QUEUE_URL, &resources.errors_queue_url);
    env.set(
        keys::CANDIDATE_ERROR_QUEUE_URL,
        &resources.candidate_errors_queue_url,
    );
    env.set(keys::ERROR_DLQ_URL, &resources.errors_dlq_url);
    env.set(
        keys::STREAM_FAILURES_QUEUE_URL,
        &resources.stream_failures_queue_url,
    );
    env.set(keys::S3_EVENTS_QUEUE_URL, &resources.s3_events_queue_url);
    env.set(keys::PARSER_DLQ_URL, &resources.parser_dlq_url);
    env.set(keys::NOTIFICATION_TOPIC_ARN, &resources.topic_arn);
    env.set(keys::OUTBOX_QUEUE_URL, &resources.outbox_queue_url);
    env.set(keys::STACK_PREFIX, &options.prefix);
    env.set(keys::STACK_PID, std::process::id().to_string());
    env
}

/// Each function's environment, per the table in `docs/configuration.md`.
/// `DATABASE_SECRET_ID` names the function's own secret, never the master's.
/// What the local mappings take from the contract's triggers.
struct MappingSettings {
    parser_retries: u32,
    stream_retries: u32,
    stream_batch_size: usize,
    stream_parallelization_factor: usize,
    errors_batch_size: usize,
}

impl MappingSettings {
    fn of(contract: &Contract) -> MappingSettings {
        let mut settings = MappingSettings {
            parser_retries: 0,
            stream_retries: 0,
            stream_batch_size: 1,
            stream_parallelization_factor: 1,
            errors_batch_size: 1,
        };
        for trigger in &contract.triggers {
            match trigger {
                Trigger::S3Notification { max_retries, .. } => {
                    settings.parser_retries = *max_retries;
                }
                Trigger::Stream {
                    max_retries,
                    batch_size,
                    parallelization_factor,
                    ..
                } => {
                    settings.stream_retries = *max_retries;
                    settings.stream_batch_size = *batch_size as usize;
                    settings.stream_parallelization_factor = *parallelization_factor as usize;
                }
                Trigger::Queue { batch_size, .. } => {
                    settings.errors_batch_size = *batch_size as usize;
                }
            }
        }
        settings
    }
}

fn function_env(
    kind: FunctionKind,
    env: &StackEnv,
    options: &StackOptions,
    resources: &Resources,
) -> Vec<(String, String)> {
    let mut vars = own_secret(resources, kind.binary_name());
    vars.extend(pipeline_env(kind, env, options));
    vars
}

/// `DATABASE_SECRET_ID` = the function's own secret.
fn own_secret(resources: &Resources, function: &str) -> Vec<(String, String)> {
    resources
        .function_secret_ids
        .get(function)
        .map(|id| (keys::DATABASE_SECRET_ID.to_string(), id.clone()))
        .into_iter()
        .collect()
}

/// The migrator's environment: the csv-parser's, with the master secret.
fn migrator_env(env: &StackEnv, options: &StackOptions) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = env
        .get(keys::DATABASE_SECRET_ID)
        .map(|id| (keys::DATABASE_SECRET_ID.to_string(), id.to_string()))
        .into_iter()
        .collect();
    vars.extend(pipeline_env(FunctionKind::CsvParser, env, options));
    vars
}

/// A function's environment without its `DATABASE_SECRET_ID`.
fn pipeline_env(
    kind: FunctionKind,
    env: &StackEnv,
    options: &StackOptions,
) -> Vec<(String, String)> {
    let names = contract_names(options, kind.binary_name());
    // The SDK puts it in the user agent: the emulator's recording tells the
    // functions' calls apart by it (`crate::calls`).
    let mut extra = vec![(
        "AWS_SDK_UA_APP_ID".to_string(),
        kind.binary_name().to_string(),
    )];
    if kind == FunctionKind::ErrorProcessor {
        if let Some(base) = &options.report_link_base_url {
            extra.push((vars::REPORT_LINK_BASE_URL.to_string(), base.clone()));
        }
        // Only a test-speed override changes it; the stack still passes
        // the lease it runs with, so the function holds claims for it.
        let (contract, _) = options.effective_contract();
        extra.push((
            vars::EMAIL_CLAIM_LEASE_SECONDS.to_string(),
            contract.email_claim_lease_s.to_string(),
        ));
    }
    process_env(&names, extra, env, options)
}

/// The names a local process is given from the stack's environment: every
/// variable its contract lists (the stack has values for the ones Terraform
/// sets, and the emulator's endpoint), and the emulator's credentials, which
/// the SDK reads and the contract does not list. Never `DATABASE_SECRET_ID`:
/// the stack's is the master secret, each function gets its own
/// (`own_secret`).
fn contract_names(options: &StackOptions, function: &str) -> Vec<&'static str> {
    let mut names = vec![keys::AWS_ACCESS_KEY_ID, keys::AWS_SECRET_ACCESS_KEY];
    names.extend(
        options
            .contract
            .function(function)
            .variable_names()
            .filter(|name| *name != vars::DATABASE_SECRET_ID),
    );
    names
}

/// `names` from the stack's environment, then `extra`, then what every
/// process of ours gets: `FUNCTION_RUST_LOG` as `RUST_LOG` (the programs'
/// own default filter applies unless the developer set one), no instance
/// metadata lookups, and the options' extra variables, which win.
fn process_env(
    names: &[&str],
    extra: Vec<(String, String)>,
    env: &StackEnv,
    options: &StackOptions,
) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = names
        .iter()
        .filter_map(|name| Some((name.to_string(), env.get(name)?.to_string())))
        .collect();
    vars.extend(extra);
    if let Ok(filter) = std::env::var("FUNCTION_RUST_LOG") {
        vars.push(("RUST_LOG".into(), filter));
    }
    vars.push(("AWS_EC2_METADATA_DISABLED".into(), "true".into()));
    vars.extend(options.extra_function_env.iter().cloned());
    vars
}

/// The vendor-api's environment, as Terraform sets it, plus the emulator's
/// addresses.
fn portal_env(
    env: &StackEnv,
    options: &StackOptions,
    resources: &Resources,
    logs: &std::path::Path,
) -> Vec<(String, String)> {
    let names = contract_names(options, "vendor-api");
    let mut extra = own_secret(resources, "vendor-api");
    extra.extend([
        // Locally the csv-parser's dead letters are S3 events that go back
        // to the queue in front of it (in AWS nothing is: re-run instead).
        (
            onboarding_aws::contract::vars::PARSER_REDRIVE_QUEUE_URL.to_string(),
            resources.s3_events_queue_url.clone(),
        ),
        // The console reads the runner's function logs and invocation
        // records instead of CloudWatch.
        (
            onboarding_aws::contract::vars::FUNCTION_LOGS_DIR.to_string(),
            logs.display().to_string(),
        ),
        (
            onboarding_aws::contract::vars::FUNCTION_NAME_PREFIX.to_string(),
            options.prefix.clone(),
        ),
    ]);
    if let Some(id) = resources.function_secret_ids.get("console") {
        extra.push((
            onboarding_aws::contract::vars::CONSOLE_DATABASE_SECRET_ID.to_string(),
            id.clone(),
        ));
    }
    process_env(&names, extra, env, options)
}

/// Every vendor's id and email, for their portal logins.
async fn vendor_logins(database_url: &str) -> Result<Vec<(VendorId, String)>, DevstackError> {
    use sqlx::Connection;
    let mut connection = sqlx::PgConnection::connect(database_url)
        .await
        .map_err(|e| DevstackError::Database(format!("connecting to read vendors: {e}")))?;
    let vendors: Vec<(VendorId, String)> =
        sqlx::query!("SELECT vendor_id, email FROM vendors ORDER BY vendor_id")
            .fetch_all(&mut connection)
            .await
            .map_err(|e| DevstackError::Database(format!("reading vendors: {e}")))?
            .into_iter()
            .filter_map(|row| Some((VendorId::parse(&row.vendor_id).ok()?, row.email)))
            .collect();
    let _ = connection.close().await;
    Ok(vendors)
}

/// Every vendor id in the catalog.
/// Every registered vendor's id (the table's CHECK keeps them valid: one
/// that does not parse is skipped, as it could have no mailbox).
async fn vendor_ids(database_url: &str) -> Result<Vec<VendorId>, DevstackError> {
    use sqlx::Connection;
    let mut connection = sqlx::PgConnection::connect(database_url)
        .await
        .map_err(|e| DevstackError::Database(format!("connecting to read vendors: {e}")))?;
    let vendors: Vec<String> =
        sqlx::query_scalar!("SELECT vendor_id FROM vendors ORDER BY vendor_id")
            .fetch_all(&mut connection)
            .await
            .map_err(|e| DevstackError::Database(format!("reading vendors: {e}")))?;
    let _ = connection.close().await;
    Ok(vendors
        .iter()
        .filter_map(|v| VendorId::parse(v).ok())
        .collect())
}

/// Whether the stack that wrote `env` is ready for work: the emulator
/// answers for the S3 events queue (the first hop of every upload) and the
/// portal, when it runs, answers `/api/health`. `stack.env` is written only
/// once the event source mappings run, so with both answering an upload
/// will be processed. docker-compose's healthcheck of the runner.
pub async fn check_ready(env: &StackEnv) -> Result<(), DevstackError> {
    let clients = StackClients::from_env(env).await?;
    let queue = env.require(keys::S3_EVENTS_QUEUE_URL)?;
    clients
        .sqs
        .get_queue_attributes()
        .queue_url(queue)
        .send()
        .await
        .map_err(|e| DevstackError::aws("sqs GetQueueAttributes (S3 events queue)", e))?;
    if let Some(portal) = env.get(keys::PORTAL_URL) {
        let health = format!("{}/api/health", portal.trim_end_matches('/'));
        let status = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(3))
            .build()
            .map(|http| http.get(&health))
            .map_err(|e| DevstackError::Other(format!("{health}: {e}")))?
            .send()
            .await
            .map_err(|e| DevstackError::Other(format!("{health}: {e}")))?
            .status();
        if !status.is_success() {
            return Err(DevstackError::Other(format!("{health} answered {status}")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::FunctionBinaries;

    #[test]
    fn no_local_process_is_given_the_stacks_master_secret() {
        let options = StackOptions::local(
            "/nonexistent",
            FunctionBinaries::same("/nonexistent"),
            "postgres://h/db",
        );
        for function in [
            "csv-parser",
            "product-validator",
            "error-processor",
            "vendor-api",
        ] {
            let names = contract_names(&options, function);
            assert!(!names.contains(&vars::DATABASE_SECRET_ID), "{function}");
            assert!(names.contains(&vars::DATABASE_HOST), "{function}");
        }
    }
}

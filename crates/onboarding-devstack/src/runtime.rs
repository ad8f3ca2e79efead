//! The local runner's Lambda: function processes driven through the real
//! [Lambda Runtime API](https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html).
//!
//! A [`FunctionPool`] holds the execution environments ("instances") of one
//! function. Each instance is a child process of the function binary, started
//! with `AWS_LAMBDA_RUNTIME_API` pointing at its own Runtime API listener
//! (axum on `127.0.0.1`, random port). Real Lambda also gives every execution
//! environment its own Runtime API endpoint; here it lets the runner know
//! which process holds which invocation, so a crash or a timeout fails
//! exactly that invocation.
//!
//! Like Lambda:
//! - instances start on demand: when an invocation waits and no instance is
//!   idle, another one starts, up to [`FunctionSpec::max_instances`]; idle
//!   instances stay warm;
//! - an invocation that runs longer than [`FunctionSpec::timeout`] fails with
//!   [`InvokeError::Timeout`] and its instance is killed;
//! - an instance that exits fails its in-flight invocation
//!   ([`InvokeError::Crashed`]); one that dies before asking for its first
//!   event fails the invocation that was waiting for it ([`InvokeError::Init`]);
//!   the next invocation gets a fresh instance.
//!
//! The time an invocation waits for a free instance does not count against
//! its timeout (Lambda would throttle instead; the event source mappings
//! here never exceed the concurrency anyway).

use std::collections::{HashMap, VecDeque};
use std::fs::OpenOptions;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::{AbortHandle, JoinHandle};

/// Account id used in every ARN the local stack makes up (moto's default).
pub const LOCAL_ACCOUNT_ID: &str = "123456789012";

/// Largest request or response payload, as for synchronous Lambda invocations.
const MAX_PAYLOAD_BYTES: usize = 6 * 1024 * 1024;

/// How to run one function.
#[derive(Clone, Debug)]
pub struct FunctionSpec {
    /// The function name (`AWS_LAMBDA_FUNCTION_NAME`), e.g. `onboarding-local-csv-parser`.
    pub name: String,
    /// The function binary (a `lambda_runtime` program).
    pub binary: PathBuf,
    /// The function's own environment (configuration, AWS endpoint, credentials).
    /// The runner adds the `AWS_LAMBDA_*` variables; these entries win on a clash.
    pub env: Vec<(String, String)>,
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` (informational: nothing is enforced).
    pub memory_mb: u32,
    /// Invocation timeout: the instance is killed when it is exceeded.
    pub timeout: Duration,
    /// Most instances running at once (the function's concurrency).
    pub max_instances: usize,
    /// Where the instances' standard output and error are appended.
    pub log_path: PathBuf,
    /// Region for the invoked function ARN.
    pub region: String,
    /// Keep every invocation's event and outcome for [`FunctionPool::invocation_log`].
    pub keep_invocation_log: bool,
}

impl FunctionSpec {
    /// The ARN passed as `Lambda-Runtime-Invoked-Function-Arn`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:lambda:{}:{LOCAL_ACCOUNT_ID}:function:{}",
            self.region, self.name
        )
    }
}

/// Why an invocation failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvokeError {
    /// The handler returned an error (`POST /runtime/invocation/{id}/error`).
    #[error("function error {error_type}: {message}")]
    Function { error_type: String, message: String },
    /// The invocation ran longer than the function's timeout; its instance was killed.
    #[error("task timed out after {0:?}")]
    Timeout(Duration),
    /// The instance exited while it held the invocation.
    #[error("the function process exited during the invocation ({status})")]
    Crashed { status: String },
    /// The instance died before asking for its first event.
    #[error("the function failed to initialize: {0}")]
    Init(String),
    /// The function process could not be started.
    #[error("could not start the function process: {0}")]
    Spawn(String),
    /// Fault injection: failed without running the function.
    #[error("injected fault: invocation failed before the function ran")]
    InjectedBeforeRun,
    /// Fault injection: the function ran and succeeded, the runner reported a failure.
    #[error("injected fault: the function ran, its success was discarded")]
    InjectedAfterRun,
    /// The pool is shutting down.
    #[error("the local runner is stopping")]
    Stopped,
}

/// Counters for one function, cumulative since the pool started.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct InvocationStats {
    /// Invocation attempts, including ones that failed by fault injection before running.
    pub invocations: u64,
    pub succeeded: u64,
    /// Handler errors.
    pub function_errors: u64,
    pub timeouts: u64,
    pub crashes: u64,
    pub init_failures: u64,
    pub spawn_failures: u64,
    pub injected_before_run: u64,
    pub injected_after_run: u64,
    pub instances_started: u64,
    /// Most instances alive at the same time.
    pub peak_instances: usize,
    /// Most invocations running at the same time.
    pub peak_concurrency: usize,
    /// Sum of the run times of completed invocations, in milliseconds.
    pub total_run_ms: u64,
}

impl InvocationStats {
    /// Every attempt that did not end in success (including injected ones).
    pub fn failures(&self) -> u64 {
        self.invocations - self.succeeded
    }
}

/// One completed invocation (only with [`FunctionSpec::keep_invocation_log`]).
#[derive(Clone, Debug)]
pub struct InvocationRecord {
    pub request_id: String,
    pub instance: u64,
    pub event: Value,
    pub outcome: Result<Value, InvokeError>,
}

/// The execution environments of one function. Cheap to clone.
#[derive(Clone)]
pub struct FunctionPool {
    inner: Arc<PoolInner>,
}

struct PoolInner {
    spec: FunctionSpec,
    state: Mutex<PoolState>,
    watchers: Mutex<Vec<JoinHandle<()>>>,
}

#[derive(Default)]
struct PoolState {
    queue: VecDeque<Pending>,
    instances: HashMap<u64, Instance>,
    next_instance: u64,
    busy: usize,
    stopped: bool,
    stats: InvocationStats,
    log: Vec<InvocationRecord>,
}

type Reply = oneshot::Sender<Result<Value, InvokeError>>;

struct Pending {
    request_id: String,
    event: Bytes,
    reply: Reply,
}

struct Assignment {
    request_id: String,
    event: Bytes,
    deadline_ms: u64,
}

struct Busy {
    request_id: String,
    event: Bytes,
    reply: Reply,
    started: Instant,
    timer: AbortHandle,
    /// The instance's first invocation (a cold start).
    cold: bool,
}

enum Status {
    /// Started, or between invocations: will ask for an event soon.
    Starting,
    /// Waiting in `GET /next`.
    Waiting(oneshot::Sender<Assignment>),
    /// Running an invocation.
    Busy(Busy),
    /// Being killed.
    Dying,
}

struct Instance {
    status: Status,
    kill: Option<oneshot::Sender<()>>,
    polled: bool,
    init_error: Option<String>,
    /// Invocations handed to this instance so far.
    served: u64,
}

impl FunctionPool {
    /// A pool with no instances yet; the first invocation starts one.
    pub fn new(spec: FunctionSpec) -> Self {
        FunctionPool {
            inner: Arc::new(PoolInner {
                spec,
                state: Mutex::new(PoolState::default()),
                watchers: Mutex::new(Vec::new()),
            }),
        }
    }

    pub fn spec(&self) -> &FunctionSpec {
        &self.inner.spec
    }

    /// Invokes the function synchronously (RequestResponse) and returns its response.
    pub async fn invoke(&self, event: &Value) -> Result<Value, InvokeError> {
        let event = Bytes::from(serde_json::to_vec(event).expect("a JSON value serializes"));
        let (reply, outcome) = oneshot::channel();
        {
            let mut state = self.inner.lock();
            if state.stopped {
                return Err(InvokeError::Stopped);
            }
            state.stats.invocations += 1;
            let pending = Pending {
                request_id: uuid::Uuid::new_v4().to_string(),
                event,
                reply,
            };
            self.inner.dispatch(&mut state, pending);
            self.inner.scale(&mut state);
        }
        outcome.await.unwrap_or(Err(InvokeError::Stopped))
    }

    /// The counters so far.
    pub fn stats(&self) -> InvocationStats {
        self.inner.lock().stats.clone()
    }

    /// Instances alive now.
    pub fn instances(&self) -> usize {
        self.inner.lock().instances.len()
    }

    /// Completed invocations, oldest first (empty unless
    /// [`FunctionSpec::keep_invocation_log`]).
    pub fn invocation_log(&self) -> Vec<InvocationRecord> {
        self.inner.lock().log.clone()
    }

    /// Counts an invocation that fault injection failed before it ran.
    pub(crate) fn record_injected_before_run(&self) {
        let mut state = self.inner.lock();
        state.stats.invocations += 1;
        state.stats.injected_before_run += 1;
    }

    /// Counts a successful invocation whose success fault injection discarded.
    pub(crate) fn record_injected_after_run(&self) {
        self.inner.lock().stats.injected_after_run += 1;
    }

    /// Fails queued and running invocations with [`InvokeError::Stopped`],
    /// kills every instance and waits for them to exit.
    pub async fn stop(&self) {
        self.kill_all();
        let watchers = std::mem::take(&mut *self.inner.watchers.lock().expect("watchers lock"));
        for watcher in watchers {
            let _ = watcher.await;
        }
    }

    /// Kills (SIGKILL) every instance that is running an invocation now,
    /// as a crash or a pulled plug would: each such invocation fails with
    /// [`InvokeError::Crashed`] and the next one gets a fresh instance.
    /// Returns how many were killed. Fault injection at a moment a test
    /// chooses, such as between two steps of a handler.
    pub fn kill_busy(&self) -> usize {
        let mut state = self.inner.lock();
        let mut killed = 0;
        for instance in state.instances.values_mut() {
            if matches!(instance.status, Status::Busy(_))
                && let Some(kill) = instance.kill.take()
            {
                let _ = kill.send(());
                killed += 1;
            }
        }
        killed
    }

    /// Like [`FunctionPool::stop`] without waiting for the processes to exit.
    pub fn kill_all(&self) {
        {
            let mut state = self.inner.lock();
            state.stopped = true;
            for pending in state.queue.drain(..) {
                let _ = pending.reply.send(Err(InvokeError::Stopped));
            }
            for instance in state.instances.values_mut() {
                if let Status::Busy(busy) = std::mem::replace(&mut instance.status, Status::Dying) {
                    busy.timer.abort();
                    let _ = busy.reply.send(Err(InvokeError::Stopped));
                }
                if let Some(kill) = instance.kill.take() {
                    let _ = kill.send(());
                }
            }
        }
    }
}

impl PoolInner {
    fn lock(&self) -> MutexGuard<'_, PoolState> {
        // A panic while holding the lock leaves consistent-enough state for a dev runner.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands the invocation to an instance waiting in `/next`, or queues it.
    fn dispatch(self: &Arc<Self>, state: &mut PoolState, mut pending: Pending) {
        loop {
            let waiting = state
                .instances
                .iter()
                .find(|(_, i)| matches!(i.status, Status::Waiting(_)))
                .map(|(id, _)| *id);
            let Some(id) = waiting else {
                state.queue.push_back(pending);
                return;
            };
            let instance = state.instances.get_mut(&id).expect("instance exists");
            let Status::Waiting(sender) = std::mem::replace(&mut instance.status, Status::Starting)
            else {
                unreachable!("checked above")
            };
            let (busy, assignment) = self.start(id, pending);
            match sender.send(assignment) {
                Ok(()) => {
                    self.mark_busy(state, id, busy);
                    return;
                }
                Err(assignment) => {
                    // That `/next` request is gone; the instance will poll again or die.
                    busy.timer.abort();
                    pending = Pending {
                        request_id: busy.request_id,
                        event: assignment.event,
                        reply: busy.reply,
                    };
                }
            }
        }
    }

    /// Prepares an invocation for instance `id` and arms its timeout.
    fn start(self: &Arc<Self>, id: u64, pending: Pending) -> (Busy, Assignment) {
        let timeout = self.spec.timeout;
        let deadline_ms = (SystemTime::now() + timeout)
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let pool = Arc::clone(self);
        let request_id = pending.request_id.clone();
        let timer = tokio::spawn(async move {
            tokio::time::sleep(timeout).await;
            pool.on_timeout(id, &request_id);
        })
        .abort_handle();
        let assignment = Assignment {
            request_id: pending.request_id.clone(),
            event: pending.event.clone(),
            deadline_ms,
        };
        let busy = Busy {
            request_id: pending.request_id,
            event: pending.event,
            reply: pending.reply,
            started: Instant::now(),
            timer,
            cold: false,
        };
        (busy, assignment)
    }

    fn mark_busy(&self, state: &mut PoolState, id: u64, mut busy: Busy) {
        if let Some(instance) = state.instances.get_mut(&id) {
            busy.cold = instance.served == 0;
            instance.served += 1;
            instance.status = Status::Busy(busy);
            state.busy += 1;
            state.stats.peak_concurrency = state.stats.peak_concurrency.max(state.busy);
        }
    }

    /// Starts instances for queued invocations that no instance will pick up soon.
    fn scale(self: &Arc<Self>, state: &mut PoolState) {
        if state.stopped {
            return;
        }
        let soon_free = state
            .instances
            .values()
            .filter(|i| matches!(i.status, Status::Starting))
            .count();
        let mut needed = state.queue.len().saturating_sub(soon_free);
        while needed > 0 && state.instances.len() < self.spec.max_instances.max(1) {
            if let Err(error) = self.spawn_instance(state) {
                state.stats.spawn_failures += 1;
                if let Some(pending) = state.queue.pop_front() {
                    let outcome = Err(InvokeError::Spawn(error));
                    let (request_id, event) = (&pending.request_id, &pending.event);
                    self.finish_log(state, request_id, 0, event, outcome.clone());
                    let _ = pending.reply.send(outcome);
                }
            }
            needed -= 1;
        }
    }

    fn spawn_instance(self: &Arc<Self>, state: &mut PoolState) -> Result<(), String> {
        let id = state.next_instance;
        state.next_instance += 1;
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .map_err(|e| format!("binding a Runtime API port: {e}"))?;
        let port = listener
            .local_addr()
            .map_err(|e| format!("Runtime API port: {e}"))?
            .port();
        listener
            .set_nonblocking(true)
            .map_err(|e| format!("Runtime API socket: {e}"))?;
        let listener = tokio::net::TcpListener::from_std(listener)
            .map_err(|e| format!("Runtime API socket: {e}"))?;
        if let Some(dir) = self.spec.log_path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.spec.log_path)
            .map_err(|e| format!("{}: {e}", self.spec.log_path.display()))?;
        let log_err = log
            .try_clone()
            .map_err(|e| format!("{}: {e}", self.spec.log_path.display()))?;

        let mut command = tokio::process::Command::new(&self.spec.binary);
        command
            .env_clear()
            .envs(self.lambda_env(id, port))
            .envs(self.spec.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .map_err(|e| format!("{}: {e}", self.spec.binary.display()))?;

        let (kill, killed) = oneshot::channel::<()>();
        state.instances.insert(
            id,
            Instance {
                status: Status::Starting,
                kill: Some(kill),
                polled: false,
                init_error: None,
                served: 0,
            },
        );
        state.stats.instances_started += 1;
        state.stats.peak_instances = state.stats.peak_instances.max(state.instances.len());
        tracing::debug!(function = %self.spec.name, instance = id, port, pid = ?child.id(), "instance started");

        let (server_stop, server_stopped) = oneshot::channel::<()>();
        let router = runtime_router(InstanceCtx {
            pool: Arc::clone(self),
            id,
        });
        tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = server_stopped.await;
                })
                .await;
        });
        let pool = Arc::clone(self);
        let watcher = tokio::spawn(async move {
            let status = tokio::select! {
                status = child.wait() => status,
                _ = killed => {
                    let _ = child.start_kill();
                    child.wait().await
                }
            };
            let status = match status {
                Ok(status) => status.to_string(),
                Err(e) => format!("wait failed: {e}"),
            };
            let _ = server_stop.send(());
            pool.on_exit(id, status);
        });
        let mut watchers = self.watchers.lock().expect("watchers lock");
        watchers.retain(|w| !w.is_finished());
        watchers.push(watcher);
        Ok(())
    }

    /// The variables Lambda sets for a custom runtime.
    fn lambda_env(&self, id: u64, port: u16) -> Vec<(String, String)> {
        let today = chrono::Utc::now().format("%Y/%m/%d");
        let mut env = vec![
            ("AWS_LAMBDA_RUNTIME_API".into(), format!("127.0.0.1:{port}")),
            ("AWS_LAMBDA_FUNCTION_NAME".into(), self.spec.name.clone()),
            (
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(),
                self.spec.memory_mb.to_string(),
            ),
            ("AWS_LAMBDA_FUNCTION_VERSION".into(), "$LATEST".into()),
            (
                "AWS_LAMBDA_LOG_GROUP_NAME".into(),
                format!("/aws/lambda/{}", self.spec.name),
            ),
            (
                "AWS_LAMBDA_LOG_STREAM_NAME".into(),
                format!("{today}/[$LATEST]{id:08x}{}", std::process::id()),
            ),
            ("AWS_LAMBDA_LOG_FORMAT".into(), "JSON".into()),
            ("AWS_LAMBDA_INITIALIZATION_TYPE".into(), "on-demand".into()),
            ("AWS_REGION".into(), self.spec.region.clone()),
            ("AWS_DEFAULT_REGION".into(), self.spec.region.clone()),
            ("TZ".into(), ":UTC".into()),
        ];
        if let Some(path) = std::env::var_os("PATH") {
            env.push(("PATH".into(), path.to_string_lossy().into_owned()));
        }
        env
    }

    fn on_timeout(self: &Arc<Self>, id: u64, request_id: &str) {
        let mut state = self.lock();
        let Some(instance) = state.instances.get_mut(&id) else {
            return;
        };
        if !matches!(&instance.status, Status::Busy(b) if b.request_id == request_id) {
            return;
        }
        let Status::Busy(busy) = std::mem::replace(&mut instance.status, Status::Dying) else {
            unreachable!("checked above")
        };
        if let Some(kill) = instance.kill.take() {
            let _ = kill.send(());
        }
        state.busy -= 1;
        state.stats.timeouts += 1;
        tracing::warn!(function = %self.spec.name, instance = id, request_id, "invocation timed out; killing the instance");
        self.complete(
            &mut state,
            id,
            busy,
            Err(InvokeError::Timeout(self.spec.timeout)),
        );
    }

    fn on_exit(self: &Arc<Self>, id: u64, status: String) {
        let mut state = self.lock();
        let Some(instance) = state.instances.remove(&id) else {
            return;
        };
        tracing::debug!(function = %self.spec.name, instance = id, %status, "instance exited");
        match instance.status {
            Status::Busy(busy) => {
                state.busy -= 1;
                state.stats.crashes += 1;
                let status = match &instance.init_error {
                    Some(error) => format!("{status}; {error}"),
                    None => status,
                };
                tracing::warn!(function = %self.spec.name, instance = id, %status, "instance crashed during an invocation");
                self.complete(&mut state, id, busy, Err(InvokeError::Crashed { status }));
            }
            Status::Starting if !instance.polled && !state.stopped => {
                // Died during init: the invocation that was waiting for it fails.
                if let Some(pending) = state.queue.pop_front() {
                    state.stats.init_failures += 1;
                    let reason = instance.init_error.unwrap_or(status);
                    tracing::warn!(function = %self.spec.name, instance = id, %reason, "instance failed to initialize");
                    let outcome = Err(InvokeError::Init(reason));
                    let (request_id, event) = (&pending.request_id, &pending.event);
                    self.finish_log(&mut state, request_id, id, event, outcome.clone());
                    let _ = pending.reply.send(outcome);
                }
            }
            _ => {}
        }
        self.scale(&mut state);
    }

    /// Records a finished invocation and answers its caller.
    fn complete(
        &self,
        state: &mut PoolState,
        id: u64,
        busy: Busy,
        outcome: Result<Value, InvokeError>,
    ) {
        busy.timer.abort();
        state.stats.total_run_ms += busy.started.elapsed().as_millis() as u64;
        self.record_invocation(&busy, &outcome);
        self.finish_log(state, &busy.request_id, id, &busy.event, outcome.clone());
        let _ = busy.reply.send(outcome);
    }

    /// Appends the invocation to `<function>.invocations.jsonl` beside the
    /// function's log: what CloudWatch's Lambda metrics count in AWS, for
    /// the operator console's function monitor (`onboarding-api`'s local
    /// metrics source reads it).
    fn record_invocation(&self, busy: &Busy, outcome: &Result<Value, InvokeError>) {
        let duration_ms = busy.started.elapsed().as_millis() as u64;
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let outcome = match outcome {
            Ok(_) => "ok",
            Err(InvokeError::Function { .. }) => "error",
            Err(InvokeError::Timeout(_)) => "timeout",
            Err(InvokeError::Crashed { .. }) => "crash",
            Err(_) => "failed",
        };
        let line = serde_json::json!({
            "request_id": busy.request_id,
            "started_ms": now_ms.saturating_sub(duration_ms),
            "duration_ms": duration_ms,
            "outcome": outcome,
            "cold_start": busy.cold,
        });
        let path = invocations_path(&self.spec.log_path);
        let written = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut file| {
                use std::io::Write as _;
                writeln!(file, "{line}")
            });
        if let Err(error) = written {
            tracing::warn!(path = %path.display(), %error, "invocation record not written");
        }
    }

    fn finish_log(
        &self,
        state: &mut PoolState,
        request_id: &str,
        id: u64,
        event: &Bytes,
        outcome: Result<Value, InvokeError>,
    ) {
        if self.spec.keep_invocation_log {
            state.log.push(InvocationRecord {
                request_id: request_id.to_string(),
                instance: id,
                event: serde_json::from_slice(event).unwrap_or(Value::Null),
                outcome,
            });
        }
    }
}

/// Where the runner records a function's invocations: `<log>.invocations.jsonl`
/// beside its log (`logs/csv-parser.log` -> `logs/csv-parser.invocations.jsonl`).
pub fn invocations_path(log_path: &std::path::Path) -> PathBuf {
    log_path.with_extension("invocations.jsonl")
}

#[derive(Clone)]
struct InstanceCtx {
    pool: Arc<PoolInner>,
    id: u64,
}

fn runtime_router(ctx: InstanceCtx) -> Router {
    Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next_invocation))
        .route(
            "/2018-06-01/runtime/invocation/{request_id}/response",
            post(invocation_response),
        )
        .route(
            "/2018-06-01/runtime/invocation/{request_id}/error",
            post(invocation_error),
        )
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .layer(DefaultBodyLimit::max(MAX_PAYLOAD_BYTES + 1024))
        .with_state(ctx)
}

fn runtime_error(status: StatusCode, error_type: &str, message: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({"errorType": error_type, "errorMessage": message})),
    )
        .into_response()
}

async fn next_invocation(State(ctx): State<InstanceCtx>) -> Response {
    let waiting = {
        let mut state = ctx.pool.lock();
        if state.stopped {
            return runtime_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "ServiceException",
                "stopping",
            );
        }
        let Some(instance) = state.instances.get_mut(&ctx.id) else {
            return runtime_error(StatusCode::GONE, "ServiceException", "instance is gone");
        };
        instance.polled = true;
        match instance.status {
            Status::Dying => {
                return runtime_error(StatusCode::GONE, "ServiceException", "instance is dying");
            }
            Status::Busy(_) => {
                return runtime_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidStateTransition",
                    "the previous invocation has no response yet",
                );
            }
            Status::Starting | Status::Waiting(_) => {}
        }
        if let Some(pending) = state.queue.pop_front() {
            let (busy, assignment) = ctx.pool.start(ctx.id, pending);
            ctx.pool.mark_busy(&mut state, ctx.id, busy);
            return event_response(&ctx.pool.spec, assignment);
        }
        let (sender, receiver) = oneshot::channel();
        if let Some(instance) = state.instances.get_mut(&ctx.id) {
            instance.status = Status::Waiting(sender);
        }
        receiver
    };
    match waiting.await {
        Ok(assignment) => event_response(&ctx.pool.spec, assignment),
        Err(_) => runtime_error(StatusCode::GONE, "ServiceException", "instance stopped"),
    }
}

fn event_response(spec: &FunctionSpec, assignment: Assignment) -> Response {
    let mut headers = HeaderMap::new();
    let header = |value: &str| {
        HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
    };
    headers.insert(
        "Lambda-Runtime-Aws-Request-Id",
        header(&assignment.request_id),
    );
    headers.insert(
        "Lambda-Runtime-Deadline-Ms",
        header(&assignment.deadline_ms.to_string()),
    );
    headers.insert("Lambda-Runtime-Invoked-Function-Arn", header(&spec.arn()));
    headers.insert("Lambda-Runtime-Trace-Id", header(&trace_id()));
    headers.insert("Content-Type", HeaderValue::from_static("application/json"));
    (StatusCode::OK, headers, assignment.event).into_response()
}

/// An X-Ray style trace header: `Root=1-<epoch hex>-<24 hex>;Parent=<16 hex>;Sampled=0`.
fn trace_id() -> String {
    let epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!(
        "Root=1-{epoch:08x}-{};Parent={};Sampled=0",
        &random[..24],
        &random[16..32]
    )
}

/// Takes the invocation `request_id` off instance `ctx.id`, if it holds it.
/// The invocation `request_id` this instance is running, now ended; a
/// request id it is not running is the Runtime API's `InvalidRequestID`.
fn take_busy(state: &mut PoolState, ctx: &InstanceCtx, request_id: &str) -> Result<Busy, Response> {
    let unknown = || {
        runtime_error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestID",
            "no such invocation in flight on this instance",
        )
    };
    let instance = state.instances.get_mut(&ctx.id).ok_or_else(unknown)?;
    if !matches!(&instance.status, Status::Busy(b) if b.request_id == request_id) {
        return Err(unknown());
    }
    let Status::Busy(busy) = std::mem::replace(&mut instance.status, Status::Starting) else {
        return Err(unknown());
    };
    state.busy -= 1;
    Ok(busy)
}

async fn invocation_response(
    State(ctx): State<InstanceCtx>,
    Path(request_id): Path<String>,
    body: Bytes,
) -> Response {
    let mut state = ctx.pool.lock();
    let busy = match take_busy(&mut state, &ctx, &request_id) {
        Ok(busy) => busy,
        Err(rejection) => return rejection,
    };
    let outcome = if body.len() > MAX_PAYLOAD_BYTES {
        state.stats.function_errors += 1;
        Err(InvokeError::Function {
            error_type: "Function.ResponseSizeTooLarge".into(),
            message: format!("response of {} bytes exceeds the limit", body.len()),
        })
    } else if body.iter().all(u8::is_ascii_whitespace) {
        state.stats.succeeded += 1;
        Ok(Value::Null)
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(value) => {
                state.stats.succeeded += 1;
                Ok(value)
            }
            Err(e) => {
                state.stats.function_errors += 1;
                Err(InvokeError::Function {
                    error_type: "Runtime.InvalidResponse".into(),
                    message: format!("response is not JSON: {e}"),
                })
            }
        }
    };
    ctx.pool.complete(&mut state, ctx.id, busy, outcome);
    (
        StatusCode::ACCEPTED,
        axum::Json(serde_json::json!({"status": "OK"})),
    )
        .into_response()
}

async fn invocation_error(
    State(ctx): State<InstanceCtx>,
    Path(request_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (error_type, message) = parse_error_body(&headers, &body);
    let mut state = ctx.pool.lock();
    let busy = match take_busy(&mut state, &ctx, &request_id) {
        Ok(busy) => busy,
        Err(rejection) => return rejection,
    };
    state.stats.function_errors += 1;
    ctx.pool.complete(
        &mut state,
        ctx.id,
        busy,
        Err(InvokeError::Function {
            error_type,
            message,
        }),
    );
    (
        StatusCode::ACCEPTED,
        axum::Json(serde_json::json!({"status": "OK"})),
    )
        .into_response()
}

async fn init_error(State(ctx): State<InstanceCtx>, headers: HeaderMap, body: Bytes) -> Response {
    let (error_type, message) = parse_error_body(&headers, &body);
    let mut state = ctx.pool.lock();
    if let Some(instance) = state.instances.get_mut(&ctx.id) {
        instance.init_error = Some(format!("{error_type}: {message}"));
    }
    (
        StatusCode::ACCEPTED,
        axum::Json(serde_json::json!({"status": "OK"})),
    )
        .into_response()
}

fn parse_error_body(headers: &HeaderMap, body: &[u8]) -> (String, String) {
    let parsed: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let error_type = parsed
        .get("errorType")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| {
            headers
                .get("Lambda-Runtime-Function-Error-Type")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "Unhandled".to_string());
    let message = parsed
        .get("errorMessage")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    (error_type, message)
}

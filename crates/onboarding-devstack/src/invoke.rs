//! Direct invocations (`onboard invoke`): one event to one function of a
//! running stack, answered with the function's response and the log lines it
//! wrote meanwhile.
//!
//! The stack process serves `POST /functions/{function}/invoke` on
//! `127.0.0.1` ([`InvokeServer`]) and writes its address to `stack.env`
//! ([`keys::LOCAL_INVOKE_URL`]); [`invoke`] is the client. The function runs
//! through the runner's own [`FunctionPool`], with the function's
//! configuration, but in an execution environment of its own, logging to
//! `logs/<function>.invoke.log`: the lines appended there during the call are
//! exactly that invocation's (calls to one function wait for each other), and
//! a developer's test events stay out of the pipeline's logs and metrics
//! that the operator console reads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::routing::post;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::{Mutex, oneshot};

use crate::DevstackError;
use crate::options::FunctionKind;
use crate::runtime::{FunctionPool, FunctionSpec, InvokeError};

/// What one direct invocation gave back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DirectInvocation {
    /// `csv-parser`, `product-validator` or `error-processor`.
    pub function: String,
    /// The function's response (`null` when it failed).
    pub response: Value,
    /// Why it failed (`null` when it succeeded).
    pub error: Option<InvocationFailure>,
    /// What the function wrote during the invocation, one entry a line
    /// (its JSON log lines, as the function wrote them).
    pub log_lines: Vec<String>,
    pub duration_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvocationFailure {
    /// `Function` (the handler returned an error), `Timeout`, `Crashed`,
    /// `Init`, `Spawn` or `Stopped`.
    pub kind: String,
    pub message: String,
}

impl From<&InvokeError> for InvocationFailure {
    fn from(error: &InvokeError) -> Self {
        let kind = match error {
            InvokeError::Function { .. } => "Function",
            InvokeError::Timeout(_) => "Timeout",
            InvokeError::Crashed { .. } => "Crashed",
            InvokeError::Init(_) => "Init",
            InvokeError::Spawn(_) => "Spawn",
            InvokeError::InjectedBeforeRun | InvokeError::InjectedAfterRun => "Injected",
            InvokeError::Stopped => "Stopped",
        };
        InvocationFailure {
            kind: kind.to_string(),
            message: error.to_string(),
        }
    }
}

/// One function's direct-invocation environment.
struct Target {
    pool: FunctionPool,
    /// Held for a whole call, so the log lines appended meanwhile are its own.
    one_at_a_time: Mutex<()>,
}

impl Target {
    async fn invoke(&self, function: FunctionKind, event: &Value) -> DirectInvocation {
        let _turn = self.one_at_a_time.lock().await;
        let log_path = &self.pool.spec().log_path;
        let start = file_len(log_path);
        let started = Instant::now();
        let outcome = self.pool.invoke(event).await;
        let duration_ms = started.elapsed().as_millis() as u64;
        let (response, error) = match &outcome {
            Ok(response) => (response.clone(), None),
            Err(error) => (Value::Null, Some(InvocationFailure::from(error))),
        };
        DirectInvocation {
            function: function.binary_name().to_string(),
            response,
            error,
            log_lines: lines_from(log_path, start),
            duration_ms,
        }
    }
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

fn lines_from(path: &Path, offset: u64) -> Vec<String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut text = String::new();
    if let Ok(mut file) = std::fs::File::open(path)
        && file.seek(SeekFrom::Start(offset)).is_ok()
    {
        let mut bytes = Vec::new();
        if file.read_to_end(&mut bytes).is_ok() {
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
    }
    text.lines().map(str::to_string).collect()
}

/// `logs/csv-parser.log` -> `logs/csv-parser.invoke.log`.
pub fn direct_log_path(log_path: &Path) -> PathBuf {
    log_path.with_extension("invoke.log")
}

/// The stack process's listener for direct invocations.
pub struct InvokeServer {
    pub url: String,
    targets: Arc<BTreeMap<FunctionKind, Target>>,
    stop: Option<oneshot::Sender<()>>,
}

impl InvokeServer {
    /// Serves direct invocations of the functions in `specs` (the runner's
    /// specs; each gets its own single-instance pool and log).
    pub async fn start(specs: BTreeMap<FunctionKind, FunctionSpec>) -> Result<Self, DevstackError> {
        let targets: BTreeMap<FunctionKind, Target> = specs
            .into_iter()
            .map(|(kind, spec)| {
                let spec = FunctionSpec {
                    log_path: direct_log_path(&spec.log_path),
                    max_instances: 1,
                    ..spec
                };
                let target = Target {
                    pool: FunctionPool::new(spec),
                    one_at_a_time: Mutex::new(()),
                };
                (kind, target)
            })
            .collect();
        let targets = Arc::new(targets);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| DevstackError::Other(format!("binding the invoke listener: {e}")))?;
        let address = listener
            .local_addr()
            .map_err(|e| DevstackError::Other(format!("invoke listener: {e}")))?;
        let router = Router::new()
            .route("/functions/{function}/invoke", post(invoke_handler))
            .with_state(Arc::clone(&targets));
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(InvokeServer {
            url: format!("http://{address}"),
            targets,
            stop: Some(stop),
        })
    }

    /// Stops listening and stops the direct-invocation instances.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        for target in self.targets.values() {
            target.pool.stop().await;
        }
    }

    /// Kills the instances without waiting (for `Drop`).
    pub fn kill_all(&self) {
        for target in self.targets.values() {
            target.pool.kill_all();
        }
    }
}

fn function_named(name: &str) -> Option<FunctionKind> {
    FunctionKind::ALL
        .into_iter()
        .find(|kind| kind.binary_name() == name)
}

/// The names [`invoke`] accepts, for messages.
pub fn function_names() -> String {
    FunctionKind::ALL.map(FunctionKind::binary_name).join(", ")
}

async fn invoke_handler(
    State(targets): State<Arc<BTreeMap<FunctionKind, Target>>>,
    UrlPath(function): UrlPath<String>,
    axum::Json(event): axum::Json<Value>,
) -> Result<axum::Json<DirectInvocation>, (StatusCode, String)> {
    let kind = function_named(&function).ok_or_else(|| {
        (
            StatusCode::NOT_FOUND,
            format!("no function {function}: one of {}", function_names()),
        )
    })?;
    let target = targets.get(&kind).ok_or_else(|| {
        (
            StatusCode::NOT_FOUND,
            format!("{function} takes no direct invocations here"),
        )
    })?;
    Ok(axum::Json(target.invoke(kind, &event).await))
}

/// Sends `event` to `function` through the stack's invoke listener at `url`.
pub async fn invoke(
    url: &str,
    function: FunctionKind,
    event: &Value,
) -> Result<DirectInvocation, DevstackError> {
    let endpoint = format!(
        "{}/functions/{}/invoke",
        url.trim_end_matches('/'),
        function.binary_name()
    );
    let answer = reqwest::Client::new()
        .post(&endpoint)
        .json(event)
        .send()
        .await
        .map_err(|e| DevstackError::Other(format!("{endpoint}: {e}")))?;
    let status = answer.status();
    let text = answer
        .text()
        .await
        .map_err(|e| DevstackError::Other(format!("{endpoint}: {e}")))?;
    if !status.is_success() {
        return Err(DevstackError::Other(format!(
            "{endpoint} answered {status}: {text}"
        )));
    }
    serde_json::from_str(&text)
        .map_err(|e| DevstackError::Other(format!("{endpoint}: unexpected answer ({e}): {text}")))
}

//! The AWS API emulator: moto server from a pinned, project-local venv.
//!
//! The venv is created on first use (`python3 -m venv` plus `pip install` of
//! `requirements/moto.txt` with `requirements/moto-constraints.txt`, both
//! built into this crate), under a file lock so that parallel tests and
//! commands share one install.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};

use crate::DevstackError;
use crate::requirements::{MOTO, MOTO_CONSTRAINTS, PINS_SCRIPT, pinned_version};

/// The pinned emulator: moto server at the version `requirements/moto.txt`
/// pins (docker-compose.yml's Cognito sidecar runs the same).
pub const MOTO_VERSION: &str = pinned_version(MOTO, "moto");

/// Where the emulator's venv lives, relative to the workspace root.
pub const MOTO_VENV: &str = ".venv/moto";

/// Written into the venv once the install finished: [`stamp`].
const MARKER: &str = ".onboarding-moto-version";
/// The requirements files, written into the venv for pip and `scripts/pins.py`.
const REQUIREMENTS_FILE: &str = ".onboarding-moto-requirements.txt";
const CONSTRAINTS_FILE: &str = ".onboarding-moto-constraints.txt";

/// Runs moto server, and exits it when the process that started it is gone
/// (so a killed test or stack process does not leave an emulator behind).
const WATCHED_SERVER: &str = r#"
import os, sys, threading, time
parent = os.getppid()
def watch():
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)
threading.Thread(target=watch, daemon=True).start()
# The request recorder (off unless asked for) appends one JSON line per
# request from many threads; a large body is written in several pieces, so
# lines interleave. One lock keeps each line whole (`crate::calls`).
from moto.moto_api._internal.recorder.models import Recorder
record_lock = threading.Lock()
unlocked_record = Recorder._record_request
def locked_record(self, *args, **kwargs):
    with record_lock:
        return unlocked_record(self, *args, **kwargs)
Recorder._record_request = locked_record
from moto.server import main
sys.exit(main(sys.argv[1:]))
"#;

/// The workspace root this crate was built in.
pub fn workspace_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::canonicalize(&root).unwrap_or(root)
}

/// `<workspace root>/.venv/moto`.
pub fn default_venv() -> PathBuf {
    workspace_root().join(MOTO_VENV)
}

/// What the marker holds: the moto version and a hash of both requirements
/// files, so that a changed pin (moto's or a dependency's) is checked again.
fn stamp() -> String {
    // FNV-1a: stable across builds and Rust versions, unlike `DefaultHasher`.
    let hash = [MOTO, MOTO_CONSTRAINTS]
        .iter()
        .flat_map(|text| text.bytes())
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
    format!("moto {MOTO_VERSION} requirements {hash:016x}")
}

/// True when `venv` holds the pinned moto server (installed by this crate).
pub fn is_installed(venv: &Path) -> bool {
    venv.join("bin/moto_server").exists()
        && std::fs::read_to_string(venv.join(MARKER)).is_ok_and(|m| m.trim() == stamp())
}

/// Writes the requirements files into `venv`, returning their paths.
fn write_requirements(venv: &Path) -> Result<(PathBuf, PathBuf), DevstackError> {
    let requirements = venv.join(REQUIREMENTS_FILE);
    let constraints = venv.join(CONSTRAINTS_FILE);
    std::fs::write(&requirements, MOTO).map_err(|e| DevstackError::io(&requirements, e))?;
    std::fs::write(&constraints, MOTO_CONSTRAINTS)
        .map_err(|e| DevstackError::io(&constraints, e))?;
    Ok((requirements, constraints))
}

/// Makes sure `venv` holds moto server [`MOTO_VERSION`], installing it if
/// needed, and returns the path of its `moto_server` script.
pub async fn ensure_installed(venv: &Path) -> Result<PathBuf, DevstackError> {
    let venv = std::path::absolute(venv).unwrap_or_else(|_| venv.to_path_buf());
    tokio::task::spawn_blocking(move || ensure_installed_blocking(&venv))
        .await
        .map_err(|e| DevstackError::Emulator(format!("installer task: {e}")))?
}

fn ensure_installed_blocking(venv: &Path) -> Result<PathBuf, DevstackError> {
    let server = venv.join("bin/moto_server");
    let marker = venv.join(MARKER);
    let installed =
        || server.exists() && std::fs::read_to_string(&marker).is_ok_and(|m| m.trim() == stamp());
    if installed() {
        return Ok(server);
    }
    let parent = venv.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| DevstackError::io(parent, e))?;
    let lock_path = parent.join(format!(
        "{}.lock",
        venv.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "moto".into())
    ));
    let lock = std::fs::File::create(&lock_path).map_err(|e| DevstackError::io(&lock_path, e))?;
    lock.lock().map_err(|e| DevstackError::io(&lock_path, e))?;
    if installed() {
        return Ok(server);
    }
    // A venv that holds the pins (made by hand, or by an earlier pin of the
    // files) is adopted: scripts/pins.py compares what it holds with them.
    let python = venv.join("bin/python");
    if server.exists() && python.exists() {
        let (requirements, constraints) = write_requirements(venv)?;
        let output = std::process::Command::new(&python)
            .args(["-c", PINS_SCRIPT, "installed"])
            .args([&requirements, &constraints])
            .output();
        if output.is_ok_and(|o| o.status.success()) {
            std::fs::write(&marker, stamp()).map_err(|e| DevstackError::io(&marker, e))?;
            return Ok(server);
        }
    }
    tracing::info!(venv = %venv.display(), "installing moto server {MOTO_VERSION} (one time)");
    if venv.exists() {
        std::fs::remove_dir_all(venv).map_err(|e| DevstackError::io(venv, e))?;
    }
    run_installer(
        std::process::Command::new("python3")
            .args(["-m", "venv"])
            .arg(venv),
        "python3 -m venv (install python3 and python3-venv)",
    )?;
    let (requirements, constraints) = write_requirements(venv)?;
    run_installer(
        std::process::Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(&requirements)
            .arg("-c")
            .arg(&constraints),
        "pip install -r requirements/moto.txt -c requirements/moto-constraints.txt",
    )?;
    std::fs::write(&marker, stamp()).map_err(|e| DevstackError::io(&marker, e))?;
    Ok(server)
}

fn run_installer(command: &mut std::process::Command, step: &str) -> Result<(), DevstackError> {
    let output = command
        .output()
        .map_err(|e| DevstackError::Emulator(format!("{step}: {e}")))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(DevstackError::Emulator(format!(
            "{step} failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )))
    }
}

/// A running moto server on `127.0.0.1`. Killed on [`MotoServer::stop`] and,
/// best effort, when dropped.
pub struct MotoServer {
    child: Child,
    port: u16,
    log_path: PathBuf,
}

impl MotoServer {
    /// Installs moto if needed and starts it on a free port, logging to
    /// `log_path`; returns once it answers HTTP.
    pub async fn start(venv: &Path, log_path: &Path) -> Result<Self, DevstackError> {
        let server = ensure_installed(venv).await?;
        let python = server.with_file_name("python");
        if let Some(dir) = log_path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| DevstackError::io(dir, e))?;
        }
        let mut last_error = String::new();
        // The free port is found by binding and releasing it, so another
        // process can take it in between: try a few.
        for _ in 0..3 {
            let port = free_port()?;
            let log = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log_path)
                .map_err(|e| DevstackError::io(log_path, e))?;
            let log_err = log
                .try_clone()
                .map_err(|e| DevstackError::io(log_path, e))?;
            let child = Command::new(&python)
                // moto's request recorder (off until asked for, see
                // `crate::calls`) writes beside the log, one file per server.
                .env("MOTO_RECORDER_FILEPATH", recording_path(log_path))
                .args([
                    "-c",
                    WATCHED_SERVER,
                    "-H",
                    "127.0.0.1",
                    "-p",
                    &port.to_string(),
                ])
                .stdin(Stdio::null())
                .stdout(Stdio::from(log))
                .stderr(Stdio::from(log_err))
                .kill_on_drop(true)
                .spawn()
                .map_err(|e| DevstackError::Emulator(format!("{}: {e}", python.display())))?;
            let mut moto = MotoServer {
                child,
                port,
                log_path: log_path.to_path_buf(),
            };
            match moto.wait_ready(Duration::from_secs(60)).await {
                Ok(()) => return Ok(moto),
                Err(e) => {
                    last_error = e;
                    moto.stop().await;
                }
            }
        }
        Err(DevstackError::Emulator(format!(
            "moto server did not start: {last_error} (log: {})",
            log_path.display()
        )))
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    async fn wait_ready(&mut self, limit: Duration) -> Result<(), String> {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("moto server exited: {status}"));
            }
            if http_ok(self.port).await {
                return Ok(());
            }
            if started.elapsed() > limit {
                return Err(format!("no answer after {limit:?}"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Kills the server and waits for it to exit.
    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

/// Where a server logging to `log_path` records requests: `<log>.recording.jsonl`.
pub fn recording_path(log_path: &Path) -> PathBuf {
    log_path.with_extension("recording.jsonl")
}

fn free_port() -> Result<u16, DevstackError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| DevstackError::Emulator(format!("finding a free port: {e}")))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| DevstackError::Emulator(format!("finding a free port: {e}")))
}

/// True when `GET /moto-api/` on the port answers with an HTTP status line.
async fn http_ok(port: u16) -> bool {
    let attempt = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .ok()?;
        stream
            .write_all(b"GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .ok()?;
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).await.ok()?;
        Some(head.starts_with(b"HTTP/1."))
    };
    tokio::time::timeout(Duration::from_secs(2), attempt)
        .await
        .ok()
        .flatten()
        .unwrap_or(false)
}

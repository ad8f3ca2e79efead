//! A throwaway PostgreSQL cluster for development and tests, made with the
//! server binaries (`initdb`, `pg_ctl`) that the `postgresql` package installs.
//! It listens on 127.0.0.1 only and trusts local connections: it is never a
//! production database.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "PostgreSQL server binaries not found (looked in $PG_BIN, /usr/lib/postgresql/*/bin and PATH). Install them with: apt-get install -y postgresql"
    )]
    NoBinaries,
    #[error("{step} failed: {detail}")]
    Command { step: String, detail: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

#[derive(Clone, Debug)]
pub struct LocalCluster {
    root: PathBuf,
    port: u16,
}

impl LocalCluster {
    pub const DEFAULT_PORT: u16 = 55432;

    /// A cluster whose files live under `root` (for example `.dev/postgres`).
    pub fn new(root: impl Into<PathBuf>, port: u16) -> Self {
        let root = root.into();
        LocalCluster {
            // The server runs from its data directory, so every path it is given must be absolute.
            root: std::path::absolute(&root).unwrap_or(root),
            port,
        }
    }

    /// The cluster under `root` on `requested`, or else on the port it was
    /// created with (recorded in `root/port`), or else, for a new cluster,
    /// [`Self::DEFAULT_PORT`] when it is free and any free port when another
    /// program (another checkout's cluster, say) holds it.
    pub fn open(root: impl Into<PathBuf>, requested: Option<u16>) -> Self {
        let root = root.into();
        let recorded = fs::read_to_string(root.join(PORT_FILE))
            .ok()
            .and_then(|text| text.trim().parse().ok());
        let port = requested.or(recorded).unwrap_or_else(|| {
            if port_is_free(Self::DEFAULT_PORT) {
                Self::DEFAULT_PORT
            } else {
                free_port().unwrap_or(Self::DEFAULT_PORT)
            }
        });
        Self::new(root, port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    /// Creates the cluster if needed and starts it if it is not running.
    /// Safe to call from several processes at once.
    pub fn ensure_running(&self) -> Result<(), ClusterError> {
        fs::create_dir_all(&self.root)?;
        let lock = File::create(self.root.join("cluster.lock"))?;
        lock.lock()?;
        let bin = server_bin_dir().ok_or(ClusterError::NoBinaries)?;
        let data = self.data_dir();
        if !data.join("PG_VERSION").exists() {
            fs::create_dir_all(&data)?;
            hand_to_server_user(&self.root)?;
            hand_to_server_user(&data)?;
            run_as_server_user(
                "initdb",
                Command::new(bin.join("initdb")).arg("-D").arg(&data).args([
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-sync",
                ]),
            )?;
        }
        let running = run_as_server_user(
            "pg_ctl status",
            Command::new(bin.join("pg_ctl"))
                .arg("-D")
                .arg(&data)
                .arg("status"),
        )
        .is_ok();
        if !running {
            // Later commands (`dev up`, `dev down`) find the cluster's port here.
            fs::write(self.root.join(PORT_FILE), format!("{}\n", self.port))?;
            let options = format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
                self.port,
                data.display()
            );
            run_as_server_user(
                "pg_ctl start",
                Command::new(bin.join("pg_ctl"))
                    .arg("-D")
                    .arg(&data)
                    .arg("-l")
                    .arg(data.join("server.log"))
                    .args(["-o", &options, "-w", "-t", "60", "start"]),
            )?;
        }
        Ok(())
    }

    pub fn stop(&self) -> Result<(), ClusterError> {
        let bin = server_bin_dir().ok_or(ClusterError::NoBinaries)?;
        if self.data_dir().join("postmaster.pid").exists() {
            run_as_server_user(
                "pg_ctl stop",
                Command::new(bin.join("pg_ctl"))
                    .arg("-D")
                    .arg(self.data_dir())
                    .args(["-m", "fast", "-w", "stop"]),
            )?;
        }
        Ok(())
    }
}

/// The file under the cluster's root that records its port.
const PORT_FILE: &str = "port";

fn port_is_free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

fn free_port() -> Option<u16> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).ok()?;
    listener.local_addr().ok().map(|addr| addr.port())
}

fn server_bin_dir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .find(|dir| dir.join("initdb").exists() && dir.join("pg_ctl").exists())
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

/// PostgreSQL refuses to run as root, so as root the cluster belongs to the
/// `postgres` user that the package creates.
fn hand_to_server_user(path: &Path) -> Result<(), ClusterError> {
    if is_root() {
        let status = Command::new("chown")
            .arg("postgres:postgres")
            .arg(path)
            .status()?;
        if !status.success() {
            return Err(ClusterError::Command {
                step: "chown".into(),
                detail: format!("could not give {} to the postgres user", path.display()),
            });
        }
    }
    Ok(())
}

fn run_as_server_user(step: &str, command: &mut Command) -> Result<(), ClusterError> {
    let mut command = if is_root() {
        let mut wrapped = Command::new("runuser");
        wrapped
            .args(["-u", "postgres", "--"])
            .arg(command.get_program())
            .args(command.get_args());
        wrapped
    } else {
        std::mem::replace(command, Command::new("true"))
    };
    let output = command.output()?;
    if output.status.success() {
        Ok(())
    } else {
        Err(ClusterError::Command {
            step: step.to_string(),
            detail: format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        })
    }
}

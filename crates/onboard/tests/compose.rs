//! docker-compose.yml, proven without Docker.
//!
//! The file is read as YAML and held to what the developer's path needs
//! (every image at an exact tag: LocalStack 4.14.0, the pin of
//! requirements/localstack.txt, PostgreSQL at Terraform's major version,
//! moto at the pin of requirements/moto.txt; a healthcheck on every service,
//! one region, Cognito through the per-service endpoint variable to a moto
//! sidecar). Then the runner service runs here
//! with exactly its environment: each service's host:port is mapped to a
//! local stand-in on a free port (PostgreSQL: a throwaway cluster of its own;
//! the Cognito sidecar: moto; LocalStack: LocalStack 4.14.0 itself, run
//! without Docker with the service's environment, when `bash
//! scripts/localstack.sh install` has installed it, else a second moto server;
//! either way a Cognito call sent to the general endpoint would land in the
//! wrong emulator and be caught), the container's paths to this checkout, and
//! nothing else is changed. The image's ENTRYPOINT and CMD start it, the
//! service's own healthcheck command says when it is ready, and then an
//! upload goes end to end, exactly one email comes out, and a new vendor signs
//! up and logs in through the portal.
//!
//! Which emulator played `localstack` is printed (`eprintln!`, shown with
//! `--nocapture` or on failure). LocalStack 4.14.0 needs Python 3.13; without
//! it the test falls back to moto and says so, unless
//! `ONBOARD_REQUIRE_LOCALSTACK=1` (set by scripts/test.sh once the install
//! succeeded), which makes a missing LocalStack fail the test instead.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use onboarding_db::cluster::LocalCluster;
use onboarding_devstack::moto::MotoServer;
use onboarding_devstack::requirements::{self, pinned_version};
use reqwest::StatusCode;
use serde_json::{Value, json};
use serde_yaml_ng::Value as Yaml;
use support::portal::Browser;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn compose() -> Yaml {
    let text = std::fs::read_to_string(root().join("docker-compose.yml")).unwrap();
    serde_yaml_ng::from_str(&text).expect("docker-compose.yml is YAML")
}

fn service<'a>(compose: &'a Yaml, name: &str) -> &'a Yaml {
    &compose["services"][name]
}

/// Compose's `${NAME:-default}` as `docker compose` resolves it in a shell
/// that sets none of these variables (what a new developer has).
fn interpolate(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("closed ${") + start;
        let inner = &rest[start + 2..end];
        if let Some((_, default)) = inner.split_once(":-") {
            out.push_str(default);
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// A service's `environment:` map, interpolated.
fn environment(compose: &Yaml, name: &str) -> BTreeMap<String, String> {
    let Some(map) = service(compose, name)["environment"].as_mapping() else {
        return BTreeMap::new();
    };
    map.iter()
        .map(|(k, v)| {
            let value = match v {
                Yaml::String(s) => s.clone(),
                Yaml::Number(n) => n.to_string(),
                Yaml::Bool(b) => b.to_string(),
                other => panic!("{name}: environment value {other:?}"),
            };
            (k.as_str().unwrap().to_string(), interpolate(&value))
        })
        .collect()
}

fn strings(value: &Yaml) -> Vec<String> {
    value
        .as_sequence()
        .unwrap_or_else(|| panic!("expected a list, got {value:?}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// A Terraform variable's default, from terraform/variables.tf.
fn terraform_default(variable: &str) -> String {
    let text = std::fs::read_to_string(root().join("terraform/variables.tf")).unwrap();
    let start = text
        .find(&format!("variable \"{variable}\" {{"))
        .unwrap_or_else(|| panic!("variable {variable} in terraform/variables.tf"));
    let block = &text[start..];
    let block = &block[..block.find("\n}").unwrap()];
    let line = block
        .lines()
        .find(|l| l.trim_start().starts_with("default"))
        .unwrap_or_else(|| panic!("{variable} has a default"));
    line.split('=')
        .nth(1)
        .unwrap()
        .trim()
        .trim_matches('"')
        .to_string()
}

/// An image pinned to a digest, or to a tag with an exact version in it
/// (`4.14.0`, `16.15-trixie`, `bookworm-20260803-slim`,
/// `al2023.2026.02.27.21`); not `latest`, `16` or `bookworm-slim`.
fn exact_tag(image: &str) -> bool {
    if image.contains("@sha256:") {
        return true;
    }
    let tag = image.rsplit_once(':').map_or("", |(_, tag)| tag);
    // x.y[.z] beside a name (not only a major), or a dated build.
    let dotted = tag
        .split('-')
        .any(|part| part.split('.').filter(|n| n.parse::<u32>().is_ok()).count() >= 2);
    let dated = tag
        .split(|c: char| !c.is_ascii_digit())
        .any(|n| n.len() == 8);
    dotted || dated
}

#[test]
fn the_dockerfile_pins_its_base_images() {
    let text = std::fs::read_to_string(root().join("docker/Dockerfile")).unwrap();
    let args: BTreeMap<&str, &str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("ARG ")?.split_once('='))
        .collect();
    let stages: Vec<&str> = text
        .lines()
        .filter_map(|l| Some(l.strip_prefix("FROM ")?.rsplit_once(" AS ")?.1))
        .collect();
    let mut bases = 0;
    for line in text.lines().filter(|l| l.starts_with("FROM ")) {
        let image = line
            .split_whitespace()
            .find(|w| !w.starts_with("FROM") && !w.starts_with("--"))
            .unwrap();
        if stages.contains(&image) {
            continue;
        }
        let mut image = image.to_string();
        for (name, value) in &args {
            image = image.replace(&format!("${{{name}}}"), value);
        }
        assert!(
            exact_tag(&image),
            "docker/Dockerfile: {image} pins an exact tag or a digest"
        );
        bases += 1;
    }
    assert_eq!(bases, 3, "the build, runner and Lambda base images");
    assert!(
        !exact_tag("debian:bookworm-slim") && !exact_tag("postgres:16") && !exact_tag("x:latest")
    );
}

/// The JSON-form `ENTRYPOINT` and `CMD` of a stage of docker/Dockerfile.
fn dockerfile_command(stage: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root().join("docker/Dockerfile")).unwrap();
    let start = text
        .lines()
        .position(|l| l.starts_with("FROM ") && l.ends_with(&format!(" AS {stage}")))
        .unwrap_or_else(|| panic!("stage {stage} in docker/Dockerfile"));
    let mut command = Vec::new();
    for line in text.lines().skip(start + 1) {
        if line.starts_with("FROM ") {
            break;
        }
        for instruction in ["ENTRYPOINT ", "CMD "] {
            if let Some(array) = line.strip_prefix(instruction) {
                let words: Vec<String> = serde_json::from_str(array).unwrap();
                if instruction == "ENTRYPOINT " {
                    command.splice(0..0, words);
                } else {
                    command.extend(words);
                }
            }
        }
    }
    command
}

#[test]
fn the_compose_file_pins_its_images_and_checks_every_service() {
    let compose = compose();
    let services = compose["services"].as_mapping().unwrap();
    let names: Vec<&str> = services.keys().map(|k| k.as_str().unwrap()).collect();
    assert_eq!(names, ["postgres", "localstack", "cognito", "runner"]);
    for name in &names {
        let test = strings(&service(&compose, name)["healthcheck"]["test"]);
        assert!(
            matches!(test[0].as_str(), "CMD" | "CMD-SHELL") && test.len() > 1,
            "{name} has a healthcheck: {test:?}"
        );
    }

    for name in &names {
        if let Some(image) = service(&compose, name)["image"].as_str() {
            assert!(
                exact_tag(image),
                "{name}: {image} pins an exact tag or a digest"
            );
        }
    }
    assert_eq!(
        service(&compose, "localstack")["image"].as_str(),
        Some("localstack/localstack:4.14.0"),
        "the last free LocalStack"
    );
    assert_eq!(
        service(&compose, "localstack")["image"].as_str(),
        Some(
            format!(
                "localstack/localstack:{}",
                pinned_version(requirements::LOCALSTACK, "localstack-core")
            )
            .as_str()
        ),
        "the LocalStack scripts/localstack.sh installs (requirements/localstack.txt)"
    );
    let major = terraform_default("db_engine_version");
    assert_eq!(major, terraform_default("aurora_engine_version"));
    let postgres = service(&compose, "postgres")["image"].as_str().unwrap();
    assert!(
        postgres
            .strip_prefix(&format!("postgres:{major}."))
            .and_then(|rest| rest.split_once('-'))
            .is_some_and(|(minor, _os)| minor.parse::<u32>().is_ok()),
        "PostgreSQL at the major version Terraform deploys, an exact minor and OS: {postgres}"
    );
    assert_eq!(
        service(&compose, "cognito")["image"].as_str(),
        Some(
            format!(
                "motoserver/moto:{}",
                onboarding_devstack::moto::MOTO_VERSION
            )
            .as_str()
        ),
        "the Cognito sidecar is the tests' pinned moto (requirements/moto.txt)"
    );

    // Every free service to LocalStack; Cognito (paid there) to the sidecar.
    let localstack = environment(&compose, "localstack");
    let offered: Vec<&str> = localstack["SERVICES"].split(',').collect();
    for needed in [
        "s3",
        "dynamodb",
        "dynamodbstreams",
        "sqs",
        "sns",
        "secretsmanager",
    ] {
        assert!(offered.contains(&needed), "LocalStack serves {needed}");
    }
    assert!(!offered.iter().any(|s| s.contains("cognito")));
    let runner = environment(&compose, "runner");
    assert_eq!(runner["AWS_ENDPOINT_URL"], "http://localstack:4566");
    assert_eq!(
        runner["AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"],
        "http://cognito:5000"
    );

    // One region, the one Terraform deploys to by default.
    let region = terraform_default("aws_region");
    for name in &names {
        for (key, value) in environment(&compose, name) {
            if key.ends_with("_REGION") {
                assert_eq!(value, region, "{name}: {key}");
            }
        }
    }
    assert_eq!(runner["AWS_REGION"], region);
    assert_eq!(localstack["AWS_DEFAULT_REGION"], region);

    assert_eq!(
        strings(&service(&compose, "runner")["healthcheck"]["test"]),
        ["CMD", "onboard", "dev", "health"]
    );
    assert_eq!(
        dockerfile_command("runner"),
        ["onboard", "dev", "up", "--foreground"]
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The runner's environment with the services' addresses and the
/// container's paths mapped to this machine; every other value as written.
fn mapped_environment(
    compose: &Yaml,
    hosts: &[(&str, String)],
    container_tmp: &Path,
    portal_port: u16,
) -> BTreeMap<String, String> {
    let workdir = root().canonicalize().unwrap();
    environment(compose, "runner")
        .into_iter()
        .map(|(key, mut value)| {
            for (from, to) in hosts {
                value = value.replace(&format!("@{from}"), &format!("@{to}"));
                value = value.replace(&format!("//{from}"), &format!("//{to}"));
            }
            // The image's WORKDIR /app holds web/ and testdata/ as this checkout does.
            if let Some(path) = value.strip_prefix("/app/") {
                value = workdir.join(path).display().to_string();
            }
            if let Some(path) = value.strip_prefix("/tmp/") {
                value = container_tmp.join(path).display().to_string();
            }
            if key == "PORTAL_PORT" {
                // Published as 127.0.0.1:8080:8080; here on a free port, so a
                // developer's own portal on 8080 is left alone.
                assert_eq!(value, "8080");
                value = portal_port.to_string();
            }
            (key, value)
        })
        .collect()
}

fn onboard(env: &BTreeMap<String, String>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_onboard"));
    command
        .current_dir(root())
        .env_clear()
        .envs(env)
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    command
}

/// `docker compose exec runner <args>`: the runner's environment.
fn exec(env: &BTreeMap<String, String>, args: &[&str]) -> (bool, String) {
    let output = onboard(env).args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        eprintln!(
            "onboard {args:?}: {}\n{stdout}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    (output.status.success(), stdout)
}

/// `bash scripts/localstack.sh status`: whether LocalStack is installed,
/// and what it says.
fn localstack_status() -> (bool, String) {
    let output = Command::new("bash")
        .arg(root().join("scripts/localstack.sh"))
        .arg("status")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stdout).trim().to_string()
        + String::from_utf8_lossy(&output.stderr).trim();
    (output.status.success(), said)
}

/// LocalStack 4.14.0 on `127.0.0.1`, run by `scripts/localstack.sh start` in a
/// process group of its own; when dropped, the group is ended and so is
/// DynamoDB Local, the Java process LocalStack starts.
struct LocalStack {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl LocalStack {
    /// Starts it with the `localstack` service's environment (`SERVICES`,
    /// `AWS_DEFAULT_REGION`, `LOCALSTACK_HOST` mapped like the runner's
    /// addresses), state in `dir`; returns once `/_localstack/health` has
    /// every service of `SERVICES` running.
    async fn start(compose: &Yaml, dir: &Path) -> LocalStack {
        let port = free_port();
        let log = dir.join("localstack.log");
        let file = std::fs::File::create(&log).unwrap();
        let mut command = Command::new("bash");
        command
            .arg(root().join("scripts/localstack.sh"))
            .args(["start", &port.to_string()])
            .arg(dir.join("localstack"))
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file);
        let env = environment(compose, "localstack");
        for (key, value) in &env {
            let value = value.replace("localstack:4566", &format!("127.0.0.1:{port}"));
            command.env(key, value);
        }
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut localstack = LocalStack {
            child: command.spawn().unwrap(),
            port,
            log,
        };
        let services: Vec<&str> = env["SERVICES"].split(',').collect();
        let health = format!("{}/_localstack/health", localstack.endpoint());
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(90);
        let mut last = String::new();
        loop {
            if let Ok(response) = http.get(&health).send().await
                && let Ok(body) = response.json::<Value>().await
            {
                if services
                    .iter()
                    .all(|s| body["services"][s] == "running" || body["services"][s] == "available")
                {
                    return localstack;
                }
                last = body.to_string();
            }
            let exited = localstack.child.try_wait().unwrap();
            if exited.is_some() || Instant::now() > deadline {
                panic!(
                    "LocalStack never had {services:?} running ({}; last health: {last}):\n{}",
                    exited.map_or("90 s".to_string(), |s| s.to_string()),
                    std::fs::read_to_string(&localstack.log).unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// The processes whose parent is `pid`.
fn children(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| {
            let child: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).ok()?;
            // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
            let ppid = stat.rsplit_once(')')?.1.split_whitespace().nth(1)?;
            (ppid.parse::<u32>().ok()? == pid).then_some(child)
        })
        .collect()
}

impl Drop for LocalStack {
    fn drop(&mut self) {
        let kill = |signal: &str, target: &str| {
            Command::new("kill")
                .args([signal, "--", target])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        let group = format!("-{}", self.child.id());
        // LocalStack starts DynamoDB Local (Java) in a session of its own,
        // out of reach of the group's signals: noted now, killed below.
        let java = children(self.child.id());
        let alive = |pid: &u32| kill("-0", &pid.to_string());
        let serving = || {
            std::net::TcpStream::connect_timeout(
                &([127, 0, 0, 1], self.port).into(),
                Duration::from_millis(200),
            )
            .is_ok()
        };
        kill("-TERM", &group);
        // LocalStack closes its port within a second, but may take seconds
        // more to exit, and may leave DynamoDB Local running: once the port
        // is closed nothing is served, and both are killed.
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let exited = matches!(self.child.try_wait(), Ok(Some(_)));
            if (exited && !kill("-0", &group)) || !serving() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        kill("-KILL", &group);
        for pid in java.iter().filter(|pid| alive(pid)) {
            kill("-KILL", &pid.to_string());
        }
        let _ = self.child.wait();
    }
}

/// What plays the `localstack` service.
enum Emulator {
    LocalStack(LocalStack),
    Moto(MotoServer),
}

impl Emulator {
    /// LocalStack when installed; else moto, saying so (or failing when
    /// `ONBOARD_REQUIRE_LOCALSTACK=1`).
    async fn start(compose: &Yaml, dir: &Path) -> Emulator {
        let (installed, status) = localstack_status();
        if installed {
            let localstack = LocalStack::start(compose, dir).await;
            eprintln!(
                "compose parity: the `localstack` service is LocalStack 4.14.0 itself, on {}",
                localstack.endpoint()
            );
            return Emulator::LocalStack(localstack);
        }
        assert!(
            std::env::var("ONBOARD_REQUIRE_LOCALSTACK").as_deref() != Ok("1"),
            "ONBOARD_REQUIRE_LOCALSTACK=1, but {status}"
        );
        let venv = onboarding_devstack::moto::default_venv();
        let moto = MotoServer::start(&venv, &dir.join("localstack.log"))
            .await
            .unwrap();
        eprintln!(
            "compose parity: the `localstack` service is MOTO {}, NOT LocalStack: {status}",
            onboarding_devstack::moto::MOTO_VERSION
        );
        Emulator::Moto(moto)
    }

    fn endpoint(&self) -> String {
        match self {
            Emulator::LocalStack(localstack) => localstack.endpoint(),
            Emulator::Moto(moto) => moto.endpoint(),
        }
    }

    fn port(&self) -> u16 {
        match self {
            Emulator::LocalStack(localstack) => localstack.port,
            Emulator::Moto(moto) => moto.port(),
        }
    }

    fn name(&self) -> String {
        match self {
            Emulator::LocalStack(_) => "LocalStack 4.14.0".to_string(),
            Emulator::Moto(_) => format!("moto {}", onboarding_devstack::moto::MOTO_VERSION),
        }
    }
}

struct Runner(Child);

impl Drop for Runner {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(40);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
    }
}

/// A PostgreSQL server of its own for the `postgres` service, with the
/// service's user, password and database.
fn postgres_service(compose: &Yaml, dir: &Path) -> LocalCluster {
    let cluster = LocalCluster::open(dir.join("postgres"), Some(free_port()));
    cluster.ensure_running().unwrap();
    let env = environment(compose, "postgres");
    let (user, password, database) = (
        &env["POSTGRES_USER"],
        &env["POSTGRES_PASSWORD"],
        &env["POSTGRES_DB"],
    );
    let psql = |sql: &str| {
        let status = Command::new("psql")
            .args([
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                &cluster.url("postgres"),
                "-c",
                sql,
            ])
            .status()
            .unwrap();
        assert!(status.success(), "{sql}");
    };
    psql(&format!(
        "CREATE ROLE {user} LOGIN SUPERUSER PASSWORD '{password}'"
    ));
    psql(&format!("CREATE DATABASE {database} OWNER {user}"));
    cluster
}

/// The user pools at `endpoint`, or the error of an emulator that serves no
/// Cognito (LocalStack's free edition) but did answer.
async fn user_pools(endpoint: &str, region: &str) -> Result<usize, String> {
    let clients = onboarding_devstack::StackClients::connect(endpoint, region).await;
    match clients
        .cognito
        .list_user_pools()
        .max_results(60)
        .send()
        .await
    {
        Ok(out) => Ok(out.user_pools().len()),
        Err(e) => {
            assert!(
                e.raw_response().is_some(),
                "{endpoint} did not answer: {e:?}"
            );
            Err(format!("{e:?}"))
        }
    }
}

/// The expected summary of the sample upload, from its golden error report.
fn golden_error_rows() -> (String, usize) {
    let golden =
        std::fs::read_to_string(root().join("testdata/golden/VEND001_products_errors.csv"))
            .unwrap();
    let rows: std::collections::BTreeSet<&str> = golden
        .lines()
        .skip(1)
        .filter_map(|line| line.split(',').next())
        .collect();
    (golden.clone(), rows.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runner_works_with_exactly_the_compose_environment() {
    let started = Instant::now();
    let compose = compose();
    let dir = tempfile::tempdir().unwrap();
    // The cluster runs as the postgres user when the tests run as root.
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    // First: ONBOARD_REQUIRE_LOCALSTACK=1 without LocalStack fails here,
    // before a cluster is left running.
    let localstack = Emulator::start(&compose, dir.path()).await;
    let cluster = postgres_service(&compose, dir.path());
    let venv = onboarding_devstack::moto::default_venv();
    let cognito = MotoServer::start(&venv, &dir.path().join("cognito.log"))
        .await
        .unwrap();
    let portal_port = free_port();
    let hosts = [
        ("postgres:5432", format!("127.0.0.1:{}", cluster.port())),
        (
            "localstack:4566",
            format!("127.0.0.1:{}", localstack.port()),
        ),
        ("cognito:5000", format!("127.0.0.1:{}", cognito.port())),
    ];
    let container_tmp = dir.path().join("container-tmp");
    std::fs::create_dir_all(&container_tmp).unwrap();
    let env = mapped_environment(&compose, &hosts, &container_tmp, portal_port);
    let region = env["AWS_REGION"].clone();

    let command = dockerfile_command("runner");
    let log = std::fs::File::create(dir.path().join("runner.log")).unwrap();
    let runner = Runner(
        onboard(&env)
            .args(&command[1..])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap(),
    );

    // The service's own healthcheck says when the stack is usable.
    let healthcheck = strings(&service(&compose, "runner")["healthcheck"]["test"]);
    let args: Vec<&str> = healthcheck[2..].iter().map(String::as_str).collect();
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        if exec(&env, &args).0 {
            break;
        }
        let log = std::fs::read_to_string(dir.path().join("runner.log")).unwrap_or_default();
        assert!(
            Instant::now() < deadline,
            "the runner never became healthy:\n{log}"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let ready = started.elapsed();

    // An upload end to end, as the file's comments tell the developer.
    let (ok, summary) = exec(
        &env,
        &[
            "upload",
            "--vendor",
            "VEND001",
            "testdata/samples/VEND001_products.csv",
            "--wait",
        ],
    );
    assert!(ok, "{summary}");
    let summary: Value = serde_json::from_str(&summary).unwrap();
    let (golden, error_rows) = golden_error_rows();
    assert_eq!(
        (
            &summary["status"],
            &summary["total_records"],
            &summary["error_records"],
            &summary["valid_records"],
            &summary["notified"]
        ),
        (
            &json!("partial"),
            &json!(100),
            &json!(error_rows),
            &json!(100 - error_rows),
            &json!(true)
        ),
        "{summary}"
    );
    let upload_id = summary["upload_id"].as_str().unwrap();
    let (ok, report) = exec(&env, &["report", upload_id]);
    assert!(ok);
    assert_eq!(
        report.trim_end(),
        golden.trim_end(),
        "the golden error report"
    );

    // Exactly one email, to that vendor.
    let (ok, emails) = exec(&env, &["outbox", "--json", "--upload", upload_id]);
    assert!(ok);
    let emails: Vec<Value> = serde_json::from_str(&emails).unwrap();
    assert_eq!(emails.len(), 1, "{emails:?}");
    assert_eq!(emails[0]["vendor_id"], "VEND001");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (_, again) = exec(&env, &["outbox", "--json", "--upload", upload_id]);
    assert_eq!(serde_json::from_str::<Vec<Value>>(&again).unwrap().len(), 1);

    // The portal: sign up, confirm and log in through the Cognito sidecar.
    let mut browser = Browser::at(&format!("http://127.0.0.1:{portal_port}"));
    let (status, health) = browser.get("/api/health").await;
    assert_eq!(status, StatusCode::OK, "{health}");
    let email = "compose@newvendor.example.com";
    let password = "Compose-Vendor-2026!";
    browser
        .sign_up_and_log_in("Compose Vendor", email, password)
        .await;

    // Cognito went to the sidecar only: the general endpoint has no pool
    // (moto) or no Cognito at all (LocalStack).
    assert_eq!(user_pools(&cognito.endpoint(), &region).await, Ok(1));
    let general = user_pools(&localstack.endpoint(), &region).await;
    match localstack {
        Emulator::Moto(_) => assert_eq!(general, Ok(0)),
        Emulator::LocalStack(_) => assert!(general.is_err(), "{general:?}"),
    }

    drop(runner);
    cluster.stop().unwrap();
    eprintln!(
        "compose parity ({} as `localstack`): ready in {:.1} s, whole test {:.1} s",
        localstack.name(),
        ready.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}

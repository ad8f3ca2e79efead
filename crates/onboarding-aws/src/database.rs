//! PostgreSQL credentials from Secrets Manager, cached for an hour.

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use aws_secretsmanager_caching::SecretsManagerCachingClient;
use serde::Deserialize;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};

use crate::config::DatabaseSettings;

/// How long [`Database::release_connections`] waits for connections on
/// their way back to the pool.
const RELEASE_WAIT: Duration = Duration::from_secs(2);

/// How long one attempt to get a connection may take. It bounds every
/// request of the vendor-api (its Lambda timeout is 10 s, API Gateway's
/// 30 s): a paused Aurora cluster makes the API answer 503 with Retry-After
/// after at most this, never time out. The pipeline functions retry on top
/// of it ([`Database::retrying`]).
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a pipeline function keeps its connection after an invocation
/// for the next one ([`Database::release_connections`]). Far below Aurora's
/// pause delay (300 s at least), so an idle function does not keep the
/// cluster up; PostgreSQL's `idle_session_timeout` (15 s, terraform
/// modules/data) bounds a connection whose environment Lambda froze first.
pub const WARM_FOR: Duration = Duration::from_secs(3);

/// First and largest pause between two attempts of [`Database::retrying`].
const BACKOFF_FIRST: Duration = Duration::from_millis(200);
const BACKOFF_MAX: Duration = Duration::from_secs(4);

/// How long a fetched secret is trusted before it is read again.
pub const SECRET_TTL: Duration = Duration::from_secs(3600);

#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("reading secret {secret_id}: {message}")]
    Secret { secret_id: String, message: String },
    #[error("secret {secret_id} is not JSON with username and password: {message}")]
    SecretShape { secret_id: String, message: String },
    #[error("connecting to PostgreSQL at {host}:{port}/{name}: {source}")]
    Connect {
        host: String,
        port: u16,
        name: String,
        source: sqlx::Error,
    },
    /// No connection could be had: the server refused or did not answer in
    /// time (a paused Aurora cluster resuming, a restart, a failover). The
    /// vendor-api answers 503 with Retry-After; a pipeline function fails
    /// the invocation once its retry budget is spent (Lambda retries it).
    #[error(
        "PostgreSQL at {host}:{port}/{name} is unreachable after {attempts} attempt(s): {source}"
    )]
    Unreachable {
        host: String,
        port: u16,
        name: String,
        attempts: u32,
        source: sqlx::Error,
    },
}

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

/// A connection pool whose credentials follow the secret: every invocation
/// calls [`Database::pool`], which re-reads the secret from the cache and,
/// when it has been rotated, switches new connections to the new password.
pub struct Database {
    settings: DatabaseSettings,
    secrets: SecretsManagerCachingClient,
    pool: PgPool,
    secret_version: std::sync::Mutex<Option<String>>,
    /// How long [`Database::pool`] keeps trying to connect; zero (the
    /// vendor-api) is one attempt.
    retry_budget: Duration,
    /// Bumped by every [`Database::pool`]: the warm connection kept by
    /// [`Database::release_connections`] is closed only if no invocation
    /// used the pool since.
    uses: Arc<AtomicU64>,
}

impl Database {
    /// Reads the secret and opens a pool of at most `max_connections` (one
    /// or two per Lambda execution environment).
    pub async fn connect(
        sdk: &SdkConfig,
        settings: DatabaseSettings,
        max_connections: u32,
    ) -> Result<Database, DatabaseError> {
        let secrets = SecretsManagerCachingClient::from_builder(
            aws_sdk_secretsmanager::config::Builder::from(sdk),
            NonZeroUsize::new(8).unwrap_or(NonZeroUsize::MIN),
            SECRET_TTL,
            false,
        )
        .await
        .map_err(|e| DatabaseError::Secret {
            secret_id: settings.secret_id.clone(),
            message: e.to_string(),
        })?;
        let (options, version) = read_options(&secrets, &settings, false).await?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .min_connections(0)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_lazy_with(options);
        // One connection proves the secret, the network and the password. A
        // server that cannot be reached now (a paused Aurora cluster) is not
        // a broken configuration: the environment starts anyway, so that
        // the vendor-api can answer 503 and the pipeline functions retry.
        match pool.acquire().await {
            Ok(_) => {}
            Err(source) if is_unreachable(&source) => {
                tracing::warn!(upload_id = "-", host = %settings.host, error = %source, "PostgreSQL unreachable at start; connecting on first use");
            }
            Err(source) => {
                return Err(DatabaseError::Connect {
                    host: settings.host.clone(),
                    port: settings.port,
                    name: settings.name.clone(),
                    source,
                });
            }
        }
        Ok(Database {
            settings,
            secrets,
            pool,
            secret_version: std::sync::Mutex::new(version),
            retry_budget: Duration::ZERO,
            uses: Arc::new(AtomicU64::new(0)),
        })
    }

    /// The same database, whose [`Database::pool`] keeps trying for up to
    /// `budget` while the server is unreachable: exponential backoff with
    /// jitter between attempts of at most [`ACQUIRE_TIMEOUT`] each, every
    /// retry logged. The pipeline functions use it with a budget well inside
    /// their timeout, so a resuming Aurora cluster (~15 s) delays a batch
    /// instead of failing it.
    pub fn retrying(mut self, budget: Duration) -> Database {
        self.retry_budget = budget;
        self
    }

    /// The pool, with credentials no older than the secret's TTL. If a new
    /// connection is refused for its password (the secret was rotated within
    /// the TTL), the secret is read again at once.
    ///
    /// A server that cannot be reached is [`DatabaseError::Unreachable`],
    /// after the retries of [`Database::retrying`] if any.
    pub async fn pool(&self) -> Result<&PgPool, DatabaseError> {
        self.apply(false).await?;
        self.uses.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            match self.pool.acquire().await {
                Ok(_) => {
                    if attempts > 1 {
                        tracing::info!(
                            attempts,
                            waited_ms = started.elapsed().as_millis() as u64,
                            "PostgreSQL reachable again"
                        );
                    }
                    return Ok(&self.pool);
                }
                Err(error) if is_bad_password(&error) => {
                    tracing::warn!(secret_id = %self.settings.secret_id, "password refused; reading the secret again");
                    self.apply(true).await?;
                    return Ok(&self.pool);
                }
                Err(source) if is_unreachable(&source) => {
                    let delay = backoff(attempts);
                    if started.elapsed() + delay + ACQUIRE_TIMEOUT > self.retry_budget {
                        return Err(DatabaseError::Unreachable {
                            host: self.settings.host.clone(),
                            port: self.settings.port,
                            name: self.settings.name.clone(),
                            attempts,
                            source,
                        });
                    }
                    tracing::warn!(
                        attempt = attempts,
                        retry_in_ms = delay.as_millis() as u64,
                        error = %source,
                        "PostgreSQL unreachable (a paused Aurora cluster resuming?); retrying"
                    );
                    tokio::time::sleep(delay).await;
                }
                // Other connection problems surface where the pool is used.
                Err(_) => return Ok(&self.pool),
            }
        }
    }

    /// Ends an invocation: keeps one idle connection warm for the next
    /// invocation and closes any other. The pipeline functions call it after
    /// each invocation, so back-to-back invocations (the batches of one
    /// upload) reuse a connection instead of paying a TLS set-up each.
    ///
    /// The warm connection is closed after [`WARM_FOR`] unless an invocation
    /// used the pool meanwhile. Lambda may freeze the environment before
    /// that (its sockets stay open, and one open connection keeps Aurora
    /// Serverless v2 from pausing): then PostgreSQL's `idle_session_timeout`
    /// (15 s) ends the session, and the pool, which tests a connection
    /// before use, opens a new one on the next invocation (docs/cost-model.md,
    /// docs/decisions.md).
    pub async fn release_connections(&self) {
        // sqlx returns a dropped connection to the pool from a spawned task,
        // so one the handler has just let go of may not be idle yet: wait for
        // it, briefly (a connection still really in use is left alone).
        let deadline = Instant::now() + RELEASE_WAIT;
        loop {
            self.close_idle_beyond(1).await;
            if self.pool.size() as usize <= self.pool.num_idle() || Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        self.close_idle_beyond(1).await;
        let pool = self.pool.clone();
        let uses = Arc::clone(&self.uses);
        let seen = uses.load(Ordering::Relaxed);
        tokio::spawn(async move {
            tokio::time::sleep(WARM_FOR).await;
            if uses.load(Ordering::Relaxed) != seen {
                return;
            }
            while let Some(connection) = pool.try_acquire() {
                let _ = connection.close().await;
            }
        });
    }

    /// Closes idle connections until at most `keep` are left.
    async fn close_idle_beyond(&self, keep: usize) {
        while self.pool.num_idle() > keep {
            match self.pool.try_acquire() {
                // A connection that fails to close cleanly is gone either way.
                Some(connection) => {
                    let _ = connection.close().await;
                }
                None => return,
            }
        }
    }

    async fn apply(&self, refresh_now: bool) -> Result<(), DatabaseError> {
        let (options, version) = read_options(&self.secrets, &self.settings, refresh_now).await?;
        let changed = {
            let mut current = self
                .secret_version
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let changed = *current != version;
            *current = version;
            changed
        };
        if changed {
            tracing::info!(secret_id = %self.settings.secret_id, "database secret rotated; new connections use it");
            self.pool.set_connect_options(options);
        }
        Ok(())
    }
}

/// Whether `error`, met while getting a connection, means the server cannot
/// be reached now rather than that something is misconfigured: refused or
/// timed-out connections, the server shutting down or starting, no free
/// connection slot, or a database not accepting connections.
pub fn is_unreachable(error: &sqlx::Error) -> bool {
    is_connection_lost(error)
        // object_not_in_prerequisite_state: "database ... is not currently
        // accepting connections" (only when connecting).
        || error
            .as_database_error()
            .and_then(|e| e.code())
            .is_some_and(|code| code == "55000")
}

/// Whether `error`, met running a statement, means the connection or the
/// server went away (as opposed to an error of the statement itself).
pub fn is_connection_lost(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(e) => e.code().is_some_and(|code| {
            // 08: connection_exception; 57P01-57P03: admin_shutdown,
            // crash_shutdown, cannot_connect_now; 53300: too_many_connections.
            code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03" | "53300")
        }),
        _ => false,
    }
}

/// The pause before attempt `attempts + 1`: exponential from
/// [`BACKOFF_FIRST`] up to [`BACKOFF_MAX`], half of it random (jitter, so
/// that many environments do not retry in step).
fn backoff(attempts: u32) -> Duration {
    let full = BACKOFF_FIRST
        .saturating_mul(1u32 << attempts.saturating_sub(1).min(10))
        .min(BACKOFF_MAX);
    let half = full / 2;
    half + half.mul_f64(rand::random::<f64>())
}

fn is_bad_password(error: &sqlx::Error) -> bool {
    // 28P01 invalid_password, 28000 invalid_authorization_specification
    error
        .as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "28P01" || code == "28000")
}

async fn read_options(
    secrets: &SecretsManagerCachingClient,
    settings: &DatabaseSettings,
    refresh_now: bool,
) -> Result<(PgConnectOptions, Option<String>), DatabaseError> {
    let secret = secrets
        .get_secret_value(&settings.secret_id, None, None, refresh_now)
        .await
        // The library's error is not Send; keep only its text.
        .map_err(|e| DatabaseError::Secret {
            secret_id: settings.secret_id.clone(),
            message: e.to_string(),
        })?;
    let text = secret.secret_string.unwrap_or_default();
    let credentials: Credentials =
        serde_json::from_str(&text).map_err(|e| DatabaseError::SecretShape {
            secret_id: settings.secret_id.clone(),
            message: e.to_string(),
        })?;
    Ok((
        connect_options(settings, &credentials.username, &credentials.password),
        secret.version_id,
    ))
}

pub fn connect_options(
    settings: &DatabaseSettings,
    user: &str,
    password: &str,
) -> PgConnectOptions {
    let ssl_mode = settings.ssl_mode.parse().unwrap_or(PgSslMode::Require);
    PgConnectOptions::new()
        .host(&settings.host)
        .port(settings.port)
        .database(&settings.name)
        .username(user)
        .password(password)
        .ssl_mode(ssl_mode)
        .application_name(
            &std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "onboarding".into()),
        )
}

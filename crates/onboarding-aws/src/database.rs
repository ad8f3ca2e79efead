//! PostgreSQL credentials from Secrets Manager, cached for an hour.

use std::num::NonZeroUsize;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_secretsmanager_caching::SecretsManagerCachingClient;
use serde::Deserialize;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};

use crate::config::DatabaseSettings;

/// How long [`Database::release_connections`] waits for connections on
/// their way back to the pool.
const RELEASE_WAIT: Duration = Duration::from_secs(2);

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
            // Long enough for a paused Aurora Serverless cluster to resume (~15 s).
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .map_err(|source| DatabaseError::Connect {
                host: settings.host.clone(),
                port: settings.port,
                name: settings.name.clone(),
                source,
            })?;
        Ok(Database {
            settings,
            secrets,
            pool,
            secret_version: std::sync::Mutex::new(version),
        })
    }

    /// The pool, with credentials no older than the secret's TTL. If a new
    /// connection is refused for its password (the secret was rotated within
    /// the TTL), the secret is read again at once.
    pub async fn pool(&self) -> Result<&PgPool, DatabaseError> {
        self.apply(false).await?;
        match self.pool.acquire().await {
            Err(error) if is_bad_password(&error) => {
                tracing::warn!(secret_id = %self.settings.secret_id, "password refused; reading the secret again");
                self.apply(true).await?;
            }
            // Other connection problems surface where the pool is used.
            _ => {}
        }
        Ok(&self.pool)
    }

    /// Closes every idle connection. The pipeline functions call it at the end
    /// of each invocation: Lambda freezes an idle execution environment with
    /// its sockets open, and one open connection keeps Aurora Serverless v2
    /// from pausing (docs/COST.md). The next invocation opens a fresh
    /// connection, one TLS set-up of a few tens of milliseconds.
    pub async fn release_connections(&self) {
        // sqlx returns a dropped connection to the pool from a spawned task,
        // so one the handler has just let go of may not be idle yet: wait for
        // it, briefly (a connection still really in use is left alone).
        let deadline = std::time::Instant::now() + RELEASE_WAIT;
        loop {
            while let Some(connection) = self.pool.try_acquire() {
                // A connection that fails to close cleanly is gone either way.
                let _ = connection.close().await;
            }
            if self.pool.size() == 0 || std::time::Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
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

//! PostgreSQL adapter for the product onboarding system.
//!
//! All SQL is compile-time checked (`sqlx::query!`); the `.sqlx/` folder at
//! the workspace root holds the offline data so builds need no database.

pub mod catalog;
#[cfg(feature = "dev")]
pub mod cluster;
pub mod console;
pub mod portal;
pub mod report_links;
pub mod reports;
pub mod roles;
pub mod seed;
pub mod sessions;
pub mod submissions;
#[cfg(feature = "dev")]
pub mod testing;
pub mod uploads;
pub mod validation;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

pub use catalog::PgCatalog;

/// The schema migrations, embedded in every binary that links this crate.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("seed data: {0}")]
    Seed(String),
    /// A value read back that its type refuses: a row the migrations'
    /// constraints should have kept out, or a column they do not constrain.
    #[error("database: column {column}: {reason}")]
    BadColumn {
        column: &'static str,
        reason: String,
    },
}

/// The database's text for one column as the domain's type: where ids and
/// statuses read from a row are parsed, once.
pub(crate) fn column<T>(column: &'static str, text: &str) -> Result<T, DbError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|error: T::Err| DbError::BadColumn {
        column,
        reason: error.to_string(),
    })
}

/// Connects with a small pool: one Lambda execution environment, or one CLI
/// run, needs one or two connections, and PostgreSQL's connection budget is
/// shared by every concurrent environment.
pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, DbError> {
    Ok(PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(std::time::Duration::from_secs(10))
        .connect(url)
        .await?)
}

pub async fn migrate(pool: &PgPool) -> Result<(), DbError> {
    MIGRATOR.run(pool).await?;
    Ok(())
}

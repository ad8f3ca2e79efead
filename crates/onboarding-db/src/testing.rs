//! A fresh, migrated and seeded database per test (the zero2prod pattern).
//!
//! It uses `DATABASE_URL` when set (any database on a server the tests may
//! create databases on); otherwise it starts the throwaway cluster under the
//! workspace's `.dev/postgres`, which `onboard dev down` stops.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::{Connection, PgConnection, PgPool};

use crate::cluster::LocalCluster;

pub struct TestDatabase {
    pub pool: PgPool,
    pub url: String,
    pub name: String,
}

/// The workspace root, for finding `.dev/`.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The URL of a server database to connect to for creating test databases.
pub fn server_url() -> String {
    if let Ok(url) = std::env::var("DATABASE_URL") {
        return url;
    }
    let cluster = LocalCluster::open(workspace_root().join(".dev/postgres"), None);
    cluster
        .ensure_running()
        .unwrap_or_else(|e| panic!("cannot start the test PostgreSQL cluster: {e}"));
    cluster.url("postgres")
}

fn with_database(url: &str, name: &str) -> String {
    match url.rsplit_once('/') {
        Some((base, rest)) => {
            let query = rest
                .split_once('?')
                .map(|(_, q)| format!("?{q}"))
                .unwrap_or_default();
            format!("{base}/{name}{query}")
        }
        None => format!("{url}/{name}"),
    }
}

/// Creates, migrates and seeds a database that no other test uses.
pub async fn fresh_database() -> TestDatabase {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let name = format!(
        "test_{}_{}_{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let server = server_url();
    let mut admin = PgConnection::connect(&server)
        .await
        .expect("connect to the test server");
    // The name is made here, never from input, so formatting it in is safe.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
        .execute(&mut admin)
        .await
        .expect("create test database");
    let url = with_database(&server, &name);
    let pool = crate::connect(&url, 5)
        .await
        .expect("connect to the test database");
    crate::migrate(&pool).await.expect("migrate");
    crate::seed::seed(&pool, false).await.expect("seed");
    TestDatabase { pool, url, name }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_name_is_swapped_keeping_options() {
        assert_eq!(
            with_database("postgres://u@h:1/postgres", "t"),
            "postgres://u@h:1/t"
        );
        assert_eq!(
            with_database("postgres://u@h:1/postgres?sslmode=disable", "t"),
            "postgres://u@h:1/t?sslmode=disable"
        );
    }
}

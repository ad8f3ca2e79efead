//! What the operator console reads: every vendor's uploads (filtered,
//! keyset-paginated, counted per status), the uploads that need attention
//! (failed, or not finished within the requirements' limits), re-run links,
//! and the safe-query console over the curated views.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{Column, Connection, Executor, PgPool, Row, TypeInfo};

use crate::DbError;
use crate::portal::{UploadPosition, like_pattern};
use crate::uploads::{Upload, select_upload, uploads_of};
use onboarding_core::{UploadId, UploadStatus, VendorId};

/// The all-uploads filter. `file_name` matches a substring, case-insensitive.
#[derive(Clone, Debug, Default)]
pub struct ConsoleFilter {
    pub vendor_id: Option<VendorId>,
    pub status: Option<UploadStatus>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub file_name: Option<String>,
    pub after: Option<UploadPosition>,
    pub limit: i64,
}

/// Every vendor's uploads, newest first.
pub async fn all_uploads(pool: &PgPool, filter: &ConsoleFilter) -> Result<Vec<Upload>, DbError> {
    let (after_time, after_id) = match &filter.after {
        Some(key) => (Some(key.uploaded_at), Some(key.upload_id.as_str())),
        None => (None, None),
    };
    let name = filter.file_name.as_deref().map(like_pattern);
    uploads_of(
        select_upload!(
            r#"WHERE ($1::text IS NULL OR vendor_id = $1)
           AND ($2::text IS NULL OR status = $2)
           AND ($3::timestamptz IS NULL OR upload_timestamp >= $3)
           AND ($4::timestamptz IS NULL OR upload_timestamp < $4)
           AND ($5::text IS NULL OR file_name ILIKE $5 ESCAPE '\')
           AND ($6::timestamptz IS NULL OR (upload_timestamp, upload_id) < ($6, $7::text))
         ORDER BY upload_timestamp DESC, upload_id DESC
         LIMIT $8"#,
            filter.vendor_id.as_ref().map(VendorId::as_str),
            filter.status.map(UploadStatus::as_str),
            filter.from,
            filter.until,
            name,
            after_time,
            after_id,
            filter.limit
        )
        .fetch_all(pool)
        .await?,
    )
}

/// How many uploads of each status match the filter (status and page ignored).
pub async fn status_counts(
    pool: &PgPool,
    filter: &ConsoleFilter,
) -> Result<Vec<(String, i64)>, DbError> {
    let name = filter.file_name.as_deref().map(like_pattern);
    let rows = sqlx::query!(
        r#"SELECT status, count(*) AS "count!"
             FROM upload_history
            WHERE ($1::text IS NULL OR vendor_id = $1)
              AND ($2::timestamptz IS NULL OR upload_timestamp >= $2)
              AND ($3::timestamptz IS NULL OR upload_timestamp < $3)
              AND ($4::text IS NULL OR file_name ILIKE $4 ESCAPE '\')
            GROUP BY status ORDER BY status"#,
        filter.vendor_id.as_ref().map(VendorId::as_str),
        filter.from,
        filter.until,
        name,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.status, r.count)).collect())
}

/// When an upload counts as stuck (docs/console.md, "Stuck"): still
/// processing after `processing`, or finished but unannounced after
/// `notification`. Failures newer than `failed_since` need attention too.
#[derive(Clone, Copy, Debug)]
pub struct AttentionLimits {
    pub processing_started_before: DateTime<Utc>,
    pub completed_before: DateTime<Utc>,
    pub failed_since: DateTime<Utc>,
    pub limit: i64,
}

/// Candidates for the top of the console's list: failed recently, or stuck.
/// The caller drops the finished ones nobody can be told about.
pub async fn attention(
    pool: &PgPool,
    vendor_id: Option<&VendorId>,
    limits: &AttentionLimits,
) -> Result<Vec<Upload>, DbError> {
    uploads_of(
        select_upload!(
            "WHERE ($1::text IS NULL OR vendor_id = $1)
           AND ((status = $6 AND started_at < $2)
             OR (status <> $6 AND notified_at IS NULL AND completed_at < $3)
             OR (status = $7 AND upload_timestamp >= $4))
         ORDER BY upload_timestamp DESC, upload_id DESC
         LIMIT $5",
            vendor_id.map(VendorId::as_str),
            limits.processing_started_before,
            limits.completed_before,
            limits.failed_since,
            limits.limit,
            UploadStatus::Processing.as_str(),
            UploadStatus::Failed.as_str()
        )
        .fetch_all(pool)
        .await?,
    )
}

/// The uploads that re-ran `upload_id`, oldest first.
pub async fn reruns_of(pool: &PgPool, upload_id: &UploadId) -> Result<Vec<String>, DbError> {
    Ok(sqlx::query_scalar!(
        "SELECT upload_id FROM upload_history WHERE rerun_of = $1 ORDER BY upload_timestamp",
        upload_id.as_str()
    )
    .fetch_all(pool)
    .await?)
}

/// Links a re-run to the upload it repeats (the csv-parser, from the
/// object's `rerun-of` metadata). Only the same vendor's upload can be the
/// original, and a link once set stays: `false` when nothing was linked.
pub async fn link_rerun(
    pool: &PgPool,
    upload_id: &UploadId,
    original: &str,
) -> Result<bool, DbError> {
    let result = sqlx::query!(
        "UPDATE upload_history AS u SET rerun_of = $2
          WHERE u.upload_id = $1 AND u.rerun_of IS NULL AND u.upload_id <> $2
            AND EXISTS (SELECT FROM upload_history o
                         WHERE o.upload_id = $2 AND o.vendor_id = u.vendor_id)",
        upload_id.as_str(),
        original
    )
    .execute(pool)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// The views the safe-query console may read.
pub const CONSOLE_VIEWS: [&str; 4] = [
    "console_uploads",
    "console_errors",
    "console_products",
    "console_vendors",
];

/// Why a console query was refused or failed: each says what to change.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QueryRefused {
    #[error("The query is empty.")]
    Empty,
    #[error(
        "Only one statement per request: remove everything after the first ';' and run it separately."
    )]
    MultipleStatements,
    #[error("Writes are refused: the console is read-only ({0} changes data). Use SELECT.")]
    Write(String),
    #[error("Schema changes are refused: the console is read-only ({0} is DDL). Use SELECT.")]
    Ddl(String),
    #[error(
        "Only queries are allowed: {0} is not a SELECT. Start with SELECT, WITH, VALUES or TABLE."
    )]
    NotAQuery(String),
    #[error(
        "Permission denied: the console reads only the views console_uploads, console_errors, console_products and console_vendors ({0})."
    )]
    OutsideViews(String),
    #[error(
        "The query was cancelled after {0} ms (statement timeout). Narrow it with WHERE or LIMIT."
    )]
    Timeout(u128),
    #[error("The query is not valid: {0}")]
    Invalid(String),
}

/// A query's answer: column names and types, rows as text (NULL as `None`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryResult {
    pub columns: Vec<(String, String)>,
    pub rows: Vec<Vec<Option<String>>>,
    /// More rows matched than the row limit: only the first are returned.
    pub truncated: bool,
}

const WRITES: [&str; 8] = [
    "insert", "update", "delete", "merge", "copy", "truncate", "call", "lock",
];
const DDL: [&str; 11] = [
    "create", "alter", "drop", "grant", "revoke", "comment", "reindex", "cluster", "vacuum",
    "analyze", "refresh",
];
const QUERIES: [&str; 4] = ["select", "with", "values", "table"];

/// `sql` without its comments and string contents, for classifying it:
/// `--` to the end of the line and `/* */` (nested) removed, quoted
/// strings and identifiers kept as empty quotes, dollar quotes dropped.
fn code_only(sql: &str) -> String {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = String::with_capacity(sql.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '-' && next == Some('-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == '\'' || c == '"' {
            i += 1;
            while i < chars.len() {
                if chars[i] == c && chars.get(i + 1) == Some(&c) {
                    i += 2;
                } else if chars[i] == c {
                    break;
                } else {
                    i += 1;
                }
            }
            i += 1;
            out.push(c);
            out.push(c);
        } else if c == '$' {
            // $tag$ ... $tag$ (a positional $1 has a digit and no closing $).
            let tag_end = chars[i + 1..]
                .iter()
                .position(|&t| !(t.is_alphanumeric() || t == '_'))
                .map(|p| i + 1 + p);
            match tag_end {
                Some(end) if chars[end] == '$' && !chars[i + 1].is_ascii_digit() => {
                    let tag: String = chars[i..=end].iter().collect();
                    let rest: String = chars[end + 1..].iter().collect();
                    match rest.find(&tag) {
                        Some(close) => {
                            i = end + 1 + rest[..close].chars().count() + tag.chars().count();
                            out.push_str("''");
                        }
                        None => i = chars.len(),
                    }
                }
                _ => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Refuses what is not one read-only query, before the database sees it.
/// The database refuses the rest (a read-only transaction, a role that can
/// read only the views); this gives the clear message.
pub fn check_query(sql: &str) -> Result<(), QueryRefused> {
    let code = code_only(sql);
    let trimmed = code
        .trim()
        .trim_end_matches(|c: char| c == ';' || c.is_whitespace());
    if trimmed.is_empty() {
        return Err(QueryRefused::Empty);
    }
    if trimmed.contains(';') {
        return Err(QueryRefused::MultipleStatements);
    }
    let first = trimmed
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .find(|w| !w.is_empty())
        .unwrap_or_default()
        .to_lowercase();
    if WRITES.contains(&first.as_str()) {
        return Err(QueryRefused::Write(first.to_uppercase()));
    }
    if DDL.contains(&first.as_str()) {
        return Err(QueryRefused::Ddl(first.to_uppercase()));
    }
    if !QUERIES.contains(&first.as_str()) {
        return Err(QueryRefused::NotAQuery(first.to_uppercase()));
    }
    // A data-modifying WITH (WITH d AS (DELETE ...) SELECT ...).
    let lower = trimmed.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty())
        .collect();
    for pair in words.windows(2) {
        if pair[0] == "as" && WRITES.contains(&pair[1]) {
            return Err(QueryRefused::Write(pair[1].to_uppercase()));
        }
    }
    if words
        .windows(2)
        .any(|p| p[0] == "for" && ["update", "share", "no", "key"].contains(&p[1]))
    {
        return Err(QueryRefused::Write("SELECT ... FOR UPDATE/SHARE".into()));
    }
    Ok(())
}

/// The refusal a database error stands for, by SQLSTATE; `None` for errors
/// that are not the query's fault (a lost connection).
fn refusal(error: &sqlx::Error, timeout: Duration) -> Option<QueryRefused> {
    let db = error.as_database_error()?;
    let message = db.message().to_string();
    Some(match db.code().as_deref() {
        Some("42501") => QueryRefused::OutsideViews(message),
        Some("57014") => QueryRefused::Timeout(timeout.as_millis()),
        Some("25006") => QueryRefused::Write(message),
        Some("42601") if message.contains("multiple commands") => QueryRefused::MultipleStatements,
        Some("0A000") if message.contains("data-modifying") => QueryRefused::Write(message),
        _ => QueryRefused::Invalid(message),
    })
}

/// A failed console query: refused (the query's fault), or the database's.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error(transparent)]
    Refused(#[from] QueryRefused),
    #[error(transparent)]
    Database(#[from] DbError),
}

/// Runs one read-only query on the console's pool (the `onboarding_console`
/// login): in a READ ONLY transaction with `statement_timeout`, at most
/// `row_limit` rows, every value as its text form, then rolled back.
pub async fn run_query(
    pool: &PgPool,
    sql: &str,
    row_limit: usize,
    timeout: Duration,
) -> Result<QueryResult, QueryError> {
    check_query(sql)?;
    let sql = sql
        .trim()
        .trim_end_matches(|c: char| c == ';' || c.is_whitespace());
    let mut connection = pool.acquire().await.map_err(DbError::from)?;
    let mut tx = connection.begin().await.map_err(DbError::from)?;
    let fail = |e: sqlx::Error| match refusal(&e, timeout) {
        Some(refused) => QueryError::Refused(refused),
        None => QueryError::Database(DbError::from(e)),
    };
    sqlx::query("SET TRANSACTION READ ONLY")
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
    // Audited: a number.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SET LOCAL statement_timeout = {}",
        timeout.as_millis()
    )))
    .execute(&mut *tx)
    .await
    .map_err(fail)?;
    // The operator's SQL, on purpose: check_query refused all but one
    // query, and the login it runs as can read only the views.
    use sqlx::SqlSafeStr as _;
    let described = (&mut *tx)
        .describe(sqlx::AssertSqlSafe(sql.to_string()).into_sql_str())
        .await
        .map_err(fail)?;
    let columns: Vec<(String, String)> = described
        .columns()
        .iter()
        .map(|c| (c.name().to_string(), c.type_info().name().to_string()))
        .collect();
    if columns.is_empty() {
        return Err(QueryRefused::NotAQuery("a statement without columns".into()).into());
    }
    // Positional aliases, so that every column (whatever its name, even
    // repeated) is read as text.
    let aliases: Vec<String> = (1..=columns.len()).map(|i| format!("c{i}")).collect();
    let wrapped = format!(
        "SELECT {} FROM ({sql}\n) AS q({}) LIMIT {}",
        aliases
            .iter()
            .map(|a| format!("{a}::text"))
            .collect::<Vec<_>>()
            .join(", "),
        aliases.join(", "),
        row_limit + 1
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(wrapped))
        .fetch_all(&mut *tx)
        .await
        .map_err(fail)?;
    let _ = tx.rollback().await;
    let truncated = rows.len() > row_limit;
    let rows = rows
        .iter()
        .take(row_limit)
        .map(|row| {
            (0..columns.len())
                .map(|i| row.try_get::<Option<String>, _>(i).ok().flatten())
                .collect()
        })
        .collect();
    Ok(QueryResult {
        columns,
        rows,
        truncated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_pass_and_the_rest_is_refused_by_kind() {
        assert_eq!(check_query("SELECT * FROM console_uploads"), Ok(()));
        assert_eq!(
            check_query("  with x as (select 1) select * from x;"),
            Ok(())
        );
        assert_eq!(check_query("select ';' as semi -- ; comment"), Ok(()));
        assert_eq!(check_query("select $$;$$"), Ok(()));
        assert_eq!(check_query(" ; "), Err(QueryRefused::Empty));
        assert_eq!(
            check_query("select 1; select 2"),
            Err(QueryRefused::MultipleStatements)
        );
        assert_eq!(
            check_query("/* x */ DELETE FROM vendors"),
            Err(QueryRefused::Write("DELETE".into()))
        );
        assert_eq!(
            check_query("drop table vendors"),
            Err(QueryRefused::Ddl("DROP".into()))
        );
        assert_eq!(
            check_query("set role onboarding_api"),
            Err(QueryRefused::NotAQuery("SET".into()))
        );
        assert_eq!(
            check_query("with d as (delete from vendors returning *) select * from d"),
            Err(QueryRefused::Write("DELETE".into()))
        );
        assert!(check_query("select * from console_vendors for update").is_err());
    }
}

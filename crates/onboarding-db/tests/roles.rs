//! Least privilege inside the database: each function's role may run the
//! statements its code runs, and is refused (permission denied) everything
//! else that matters. Migrations run as the owner (the test server's
//! superuser here, the master user in AWS).
//!
//! Each statement runs in its own transaction under `SET LOCAL ROLE`, then is
//! rolled back, so the checks are independent and work on any server the
//! tests may create databases on, whatever its authentication.
//!
//! `cargo test -p onboarding-db --test roles -- --nocapture` prints the
//! role/grant table (the one in docs/configuration.md, "Database roles").

use sqlx::{Connection, PgPool};

use onboarding_db::testing::fresh_database;

const ROLES: [(&str, &str); 5] = [
    ("csv-parser", "onboarding_parser"),
    ("product-validator", "onboarding_validator"),
    ("error-processor", "onboarding_error_processor"),
    ("vendor-api", "onboarding_api"),
    ("console", "onboarding_console"),
];

/// An upload with one product, one failed row and its error, as the owner.
const FIXTURE: &str = r#"
INSERT INTO upload_history (upload_id, vendor_id, file_name, s3_bucket, s3_key, s3_version_id,
                            total_records)
VALUES ('UPLOAD_ROLES', 'VEND001', 'f.csv', 'b', 'uploads/VEND001/f.csv', 'v1', 3);
INSERT INTO products (vendor_id, vendor_product_id, product_name, category, sku, price,
                      stock_quantity, upload_id, source_row_number)
VALUES ('VEND001', 'P-1', 'Mouse', 'Electronics', 'ROLES-SKU-1', 10, 5, 'UPLOAD_ROLES', 1);
INSERT INTO row_outcomes (upload_id, row_number, outcome, source_fields)
VALUES ('UPLOAD_ROLES', 1, 'valid', NULL), ('UPLOAD_ROLES', 2, 'invalid', '{a,b}');
INSERT INTO validation_errors (upload_id, row_number, error_index, error_type, field, error_message)
VALUES ('UPLOAD_ROLES', 2, 0, 'INVALID_PRICE', 'price', 'bad price');
INSERT INTO portal_sign_outs (subject, session_id, signed_out_at) VALUES ('sub-1', '', now());
"#;

/// Runs `sql` as `role` and rolls back: Ok, or the SQLSTATE of the error.
async fn run_as(pool: &PgPool, role: &str, sql: &str) -> Result<(), String> {
    let mut conn = pool.acquire().await.expect("connection");
    let mut tx = conn.begin().await.expect("begin");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("SET LOCAL ROLE {role}")))
        .execute(&mut *tx)
        .await
        .expect("set role");
    let outcome = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut *tx)
        .await
        .map(|_| ())
        .map_err(|e| {
            let code = e
                .as_database_error()
                .and_then(|d| d.code())
                .map(|c| c.to_string())
                .unwrap_or_default();
            format!("{code} {e}")
        });
    tx.rollback().await.expect("rollback");
    outcome
}

async fn check(pool: &PgPool, role: &str, allowed: &[&str], refused: &[&str]) {
    let mut failures = Vec::new();
    for sql in allowed {
        if let Err(e) = run_as(pool, role, sql).await {
            failures.push(format!("{role} should be allowed: {sql}\n    got {e}"));
        }
    }
    for sql in refused {
        match run_as(pool, role, sql).await {
            Err(e) if e.starts_with("42501") => {}
            Err(e) => failures.push(format!(
                "{role} should be refused with 42501: {sql}\n    got {e}"
            )),
            Ok(()) => failures.push(format!("{role} should be refused: {sql}\n    it succeeded")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

async fn database() -> PgPool {
    let db = fresh_database().await;
    sqlx::raw_sql(FIXTURE)
        .execute(&db.pool)
        .await
        .expect("fixture");
    db.pool
}

/// Statements no function may run.
const NOBODY: &[&str] = &[
    "DROP TABLE products",
    "ALTER TABLE products ADD COLUMN x integer",
    "TRUNCATE validation_errors",
    "CREATE TABLE intruder (x integer)",
    "INSERT INTO categories (category_name) VALUES ('Weapons')",
    "UPDATE vendors SET vendor_name = 'Evil' WHERE vendor_id = 'VEND004'",
    "DELETE FROM upload_history WHERE upload_id = 'UPLOAD_ROLES'",
    "SELECT * FROM _sqlx_migrations",
    "DELETE FROM report_links",
];

fn with_nobody<'a>(refused: &[&'a str]) -> Vec<&'a str> {
    refused.iter().chain(NOBODY).copied().collect()
}

#[tokio::test]
async fn csv_parser_opens_and_fails_uploads_only() {
    let pool = database().await;
    check(
        &pool,
        "onboarding_parser",
        &[
            "SELECT vendor_id, vendor_name, email, status, subscription_arn FROM vendors WHERE vendor_id = 'VEND001'",
            "INSERT INTO upload_history (upload_id, vendor_id, file_name, s3_bucket, s3_key, s3_version_id, upload_timestamp)
             VALUES ('UPLOAD_NEW', 'VEND001', 'g.csv', 'b', 'uploads/VEND001/g.csv', 'v1', now())
             ON CONFLICT DO NOTHING RETURNING upload_id",
            "SELECT * FROM upload_history WHERE upload_id = 'UPLOAD_ROLES' OR (s3_bucket = 'b' AND s3_key = 'k')",
            "UPDATE upload_history SET total_records = 3, source_columns = '{a}', warnings = '{}', mode = 'upsert'
              WHERE upload_id = 'UPLOAD_ROLES' AND status = 'processing'",
            "UPDATE upload_history SET parsed_at = COALESCE(parsed_at, now()) WHERE upload_id = 'UPLOAD_ROLES'",
            "UPDATE upload_history SET status = 'failed', failure_reason = 'x', failure = '{}', warnings = '{}',
                    total_records = COALESCE(total_records, 0), parsed_at = COALESCE(parsed_at, now()), completed_at = now()
              WHERE upload_id = 'UPLOAD_ROLES' AND status = 'processing'",
            // An operator's re-run, linked to the upload it repeats.
            "UPDATE upload_history AS u SET rerun_of = 'UPLOAD_ROLES'
              WHERE u.upload_id = 'UPLOAD_NEW' AND u.rerun_of IS NULL
                AND EXISTS (SELECT FROM upload_history o WHERE o.upload_id = 'UPLOAD_ROLES' AND o.vendor_id = u.vendor_id)",
        ],
        &with_nobody(&[
            "INSERT INTO products (vendor_id, vendor_product_id, product_name, category, sku, price, stock_quantity, upload_id, source_row_number)
             VALUES ('VEND001', 'P-9', 'X', 'Electronics', 'S-9', 1, 1, 'UPLOAD_ROLES', 9)",
            "SELECT * FROM products",
            "SELECT * FROM validation_errors",
            "UPDATE upload_history SET valid_records = 3 WHERE upload_id = 'UPLOAD_ROLES'",
            "UPDATE upload_history SET notified_at = now() WHERE upload_id = 'UPLOAD_ROLES'",
            "INSERT INTO vendors (vendor_id, vendor_name, email) VALUES ('EVIL', 'Evil', 'e@example.com')",
        ]),
    )
    .await;
}

#[tokio::test]
async fn product_validator_writes_the_catalog_but_cannot_change_the_schema() {
    let pool = database().await;
    check(
        &pool,
        "onboarding_validator",
        &[
            "SELECT category_name FROM categories WHERE is_active ORDER BY category_name",
            "SELECT sku, vendor_id, vendor_product_id FROM products WHERE sku = ANY('{ROLES-SKU-1}') AND upload_id IS DISTINCT FROM 'X'",
            "SELECT * FROM upload_history WHERE upload_id = 'UPLOAD_ROLES'",
            "INSERT INTO row_outcomes (upload_id, row_number, outcome) VALUES ('UPLOAD_ROLES', 3, 'valid')
             ON CONFLICT DO NOTHING RETURNING row_number",
            "INSERT INTO products (vendor_id, upload_id, source_row_number, vendor_product_id, product_name, category, sku, price, stock_quantity)
             VALUES ('VEND001', 'UPLOAD_ROLES', 3, 'P-3', 'Keyboard', 'Electronics', 'ROLES-SKU-3', 20, 1)
             ON CONFLICT DO NOTHING RETURNING source_row_number",
            "INSERT INTO validation_errors (upload_id, row_number, error_index, error_type, field, error_message, original_data)
             VALUES ('UPLOAD_ROLES', 3, 0, 'INVALID_SKU', 'sku', 'bad', '{}') ON CONFLICT DO NOTHING",
            "UPDATE row_outcomes AS r SET outcome = 'invalid', source_fields = '{x}'
               FROM UNNEST('{2}'::int4[]) AS u(n) WHERE r.upload_id = 'UPLOAD_ROLES' AND r.row_number = u.n",
            "UPDATE upload_history SET valid_records = valid_records + 1, error_records = error_records + 1,
                    validated_at = CASE WHEN valid_records + 1 + error_records + 1 = total_records THEN now() ELSE validated_at END
              WHERE upload_id = 'UPLOAD_ROLES'
             RETURNING total_records, valid_records, error_records, notified_at IS NOT NULL",
            // An upsert: the vendor's own product's content, and through the
            // trigger its history line.
            "INSERT INTO products AS p (vendor_id, upload_id, source_row_number, vendor_product_id, product_name, category, sku, price, stock_quantity)
             VALUES ('VEND001', 'UPLOAD_ROLES', 4, 'P-1', 'Mouse 2', 'Electronics', 'ROLES-SKU-1', 11, 6)
             ON CONFLICT (sku) DO UPDATE SET product_name = EXCLUDED.product_name, price = EXCLUDED.price,
                    stock_quantity = EXCLUDED.stock_quantity, upload_id = EXCLUDED.upload_id,
                    source_row_number = EXCLUDED.source_row_number, updated_at = now()
              WHERE p.vendor_id = EXCLUDED.vendor_id
             RETURNING source_row_number, xmax = 0",
            "SELECT sku, vendor_product_id FROM products WHERE sku = ANY('{ROLES-SKU-1}') AND vendor_id = 'VEND001'",
            "UPDATE row_outcomes AS r SET change = 'updated' WHERE r.upload_id = 'UPLOAD_ROLES' AND r.row_number = 1",
            "UPDATE upload_history SET created_records = created_records + 1, updated_records = updated_records + 1,
                    unchanged_records = unchanged_records + 1 WHERE upload_id = 'UPLOAD_ROLES'",
        ],
        &with_nobody(&[
            "DELETE FROM products WHERE sku = 'ROLES-SKU-1'",
            // An upsert never moves a product to another vendor or SKU.
            "UPDATE products SET vendor_id = 'VEND002'",
            "UPDATE products SET sku = 'TAKEN'",
            "UPDATE product_history SET price = 0.01",
            "DELETE FROM product_history",
            "DELETE FROM validation_errors",
            "UPDATE upload_history SET status = 'completed' WHERE upload_id = 'UPLOAD_ROLES'",
            "SELECT * FROM vendors",
            "SELECT * FROM portal_sign_outs",
        ]),
    )
    .await;
}

#[tokio::test]
async fn error_processor_reads_errors_and_settles_uploads() {
    let pool = database().await;
    check(
        &pool,
        "onboarding_error_processor",
        &[
            "SELECT * FROM upload_history WHERE upload_id = 'UPLOAD_ROLES'",
            "SELECT row_number, vendor_product_id, sku, product_name, error_type, error_message, field
               FROM validation_errors WHERE upload_id = 'UPLOAD_ROLES' ORDER BY row_number, error_index",
            "SELECT r.row_number, r.source_fields, e.field FROM row_outcomes r
               JOIN validation_errors e USING (upload_id, row_number)
              WHERE r.upload_id = 'UPLOAD_ROLES' AND r.outcome = 'invalid' AND r.source_fields IS NOT NULL",
            "UPDATE upload_history SET notify_claimed_at = now()
              WHERE upload_id = 'UPLOAD_ROLES' AND notified_at IS NULL
                AND (notify_claimed_at IS NULL OR notify_claimed_at < now() - make_interval(secs => 300))
             RETURNING upload_id",
            "UPDATE upload_history SET notify_claimed_at = NULL WHERE upload_id = 'UPLOAD_ROLES' AND notified_at IS NULL",
            "UPDATE upload_history SET status = 'partial', error_file_s3_key = 'e', fix_file_s3_key = 'f',
                    completed_at = COALESCE(completed_at, now()) WHERE upload_id = 'UPLOAD_ROLES'",
            "UPDATE upload_history SET notified_at = now(), notification_message_id = 'm',
                    notification = 'sent' WHERE upload_id = 'UPLOAD_ROLES'",
            // A portal submission's email choice, and its outcome.
            "SELECT s.email_requested FROM upload_history u
               JOIN portal_submissions s USING (s3_bucket, s3_key) WHERE u.upload_id = 'UPLOAD_ROLES'",
            "UPDATE upload_history SET notified_at = now(), notification = 'not_requested'
              WHERE upload_id = 'UPLOAD_ROLES' AND notified_at IS NULL",
            // The email's seven-day links: minted, never read back.
            "INSERT INTO report_links (token_sha256, upload_id, document, expires_at)
             VALUES (sha256('e'::bytea), 'UPLOAD_ROLES', 'error_report', now() + make_interval(secs => 604800))",
        ],
        &with_nobody(&[
            "INSERT INTO products (vendor_id, vendor_product_id, product_name, category, sku, price, stock_quantity, upload_id, source_row_number)
             VALUES ('VEND001', 'P-9', 'X', 'Electronics', 'S-9', 1, 1, 'UPLOAD_ROLES', 9)",
            "INSERT INTO validation_errors (upload_id, row_number, error_index, error_type, error_message)
             VALUES ('UPLOAD_ROLES', 5, 0, 'X', 'x')",
            "DELETE FROM validation_errors",
            "UPDATE row_outcomes SET outcome = 'valid'",
            "UPDATE upload_history SET valid_records = 0 WHERE upload_id = 'UPLOAD_ROLES'",
            "SELECT * FROM products",
            "SELECT * FROM vendors",
            "SELECT * FROM report_links",
            "UPDATE report_links SET expires_at = now() + make_interval(days => 365)",
            "UPDATE portal_submissions SET email_requested = true",
            "DELETE FROM portal_submissions",
        ]),
    )
    .await;
}

#[tokio::test]
async fn vendor_api_reads_and_signs_up_but_cannot_change_the_catalog() {
    let pool = database().await;
    check(
        &pool,
        "onboarding_api",
        &[
            "SELECT vendor_id, vendor_name, email, status, subscription_arn, created_at FROM vendors WHERE vendor_id = 'VEND001'",
            "SELECT category_name FROM categories WHERE is_active ORDER BY category_name",
            "SELECT product_id, sku, price FROM products WHERE vendor_id = 'VEND001'",
            "SELECT upload_id, previous_price, price FROM product_history ORDER BY history_id DESC LIMIT 5",
            "SELECT * FROM upload_history WHERE vendor_id = 'VEND001'",
            "SELECT error_type, count(*) FROM validation_errors WHERE upload_id = 'UPLOAD_ROLES' GROUP BY error_type",
            "INSERT INTO vendors (vendor_id, vendor_name, email, status) VALUES ('VEND_NEW', 'New', 'n@example.com', 'pending_approval')
             ON CONFLICT (vendor_id) DO NOTHING RETURNING vendor_id",
            "DELETE FROM vendors WHERE vendor_id = 'VEND_NEW' AND status = 'pending_approval'",
            "SELECT max(signed_out_at) FROM portal_sign_outs WHERE subject = 'sub-1' AND (session_id = '' OR session_id = 's')",
            "INSERT INTO portal_sign_outs (subject, session_id, signed_out_at) VALUES ('sub-1', '', now())
             ON CONFLICT (subject, session_id) DO UPDATE
                SET signed_out_at = GREATEST(portal_sign_outs.signed_out_at, EXCLUDED.signed_out_at)",
            "DELETE FROM portal_sign_outs WHERE signed_out_at < now() - make_interval(days => 30)",
            // The operators' admin API (approve, suspend, activate, change
            // where a vendor's email goes).
            "UPDATE vendors SET status = 'active', updated_at = now() WHERE vendor_id = 'VEND001'",
            "UPDATE vendors SET email = 'new@example.com', updated_at = now() WHERE vendor_id = 'VEND001'",
            // The email's seven-day links: resolved, never minted or extended.
            "SELECT l.upload_id, l.document, l.expires_at, u.error_file_s3_key
               FROM report_links l JOIN upload_history u USING (upload_id) WHERE l.token_sha256 = sha256('a'::bytea)",
            // The failed-rows grid reads the failed rows' cells; the form and
            // the grid record their submissions, by the object's key.
            "SELECT row_number, source_fields FROM row_outcomes
              WHERE upload_id = 'UPLOAD_ROLES' AND outcome = 'invalid'",
            "INSERT INTO portal_submissions (s3_bucket, s3_key, vendor_id, kind, email_requested)
             VALUES ('b', 'uploads/VEND001/product-form-x.csv', 'VEND001', 'form', false)",
            "SELECT kind, email_requested, fixes_upload_id, fixed_rows FROM portal_submissions",
        ],
        &with_nobody(&[
            "DELETE FROM products WHERE vendor_id = 'VEND001'",
            "UPDATE products SET price = 0.01 WHERE vendor_id = 'VEND001'",
            "INSERT INTO products (vendor_id, vendor_product_id, product_name, category, sku, price, stock_quantity, upload_id, source_row_number)
             VALUES ('VEND001', 'P-9', 'X', 'Electronics', 'S-9', 1, 1, 'UPLOAD_ROLES', 9)",
            "UPDATE vendors SET vendor_name = 'Evil' WHERE vendor_id = 'VEND001'",
            "UPDATE vendors SET subscription_arn = 'arn:x' WHERE vendor_id = 'VEND001'",
            "UPDATE upload_history SET status = 'completed' WHERE upload_id = 'UPLOAD_ROLES'",
            "INSERT INTO upload_history (upload_id, vendor_id, file_name, s3_bucket, s3_key, s3_version_id)
             VALUES ('UPLOAD_X', 'VEND001', 'x', 'b', 'k', 'v')",
            "UPDATE row_outcomes SET outcome = 'valid'",
            "UPDATE portal_submissions SET email_requested = true",
            "DELETE FROM portal_submissions",
            "DELETE FROM validation_errors",
            "INSERT INTO report_links (token_sha256, upload_id, document, expires_at)
             VALUES (sha256('f'::bytea), 'UPLOAD_ROLES', 'fix_file', now() + make_interval(days => 365))",
            "UPDATE report_links SET expires_at = now() + make_interval(days => 365)",
        ]),
    )
    .await;
}

/// The operator console's login reads the four curated views and nothing
/// else: no table, no sequence, no write even through a view.
#[tokio::test]
async fn console_reads_only_the_curated_views() {
    let pool = database().await;
    check(
        &pool,
        "onboarding_console",
        &[
            "SELECT * FROM console_uploads",
            "SELECT error_type, count(*) FROM console_errors GROUP BY 1",
            "SELECT sku, price FROM console_products",
            "SELECT vendor_id, status FROM console_vendors",
        ],
        &with_nobody(&[
            "SELECT * FROM upload_history",
            "SELECT * FROM vendors",
            "SELECT * FROM products",
            "SELECT * FROM validation_errors",
            "SELECT * FROM portal_sign_outs",
            "SELECT * FROM report_links",
            "SELECT * FROM row_outcomes",
            "SELECT nextval('products_product_id_seq')",
            "UPDATE console_vendors SET status = 'active'",
            "DELETE FROM console_uploads",
            "INSERT INTO console_vendors (vendor_id) VALUES ('X')",
        ]),
    )
    .await;
}

/// The roles exist once per cluster, can log in, are nobody's superuser, and
/// a second migration (another database, or the same one again) is harmless.
#[tokio::test]
async fn roles_are_plain_logins_and_migrations_repeat_safely() {
    let pool = database().await;
    onboarding_db::migrate(&pool).await.expect("migrate again");
    for (_, role) in ROLES {
        let row: (bool, bool, bool, bool) = sqlx::query_as(
            "SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = $1",
        )
        .bind(role)
        .fetch_one(&pool)
        .await
        .unwrap_or_else(|e| panic!("role {role}: {e}"));
        assert_eq!(row, (true, false, false, false), "{role}");
    }
}

/// Many databases migrated at once on one cluster: the roles are shared and
/// created once, the grants are each database's own.
#[tokio::test]
async fn concurrent_migrations_of_many_databases_succeed() {
    let handles: Vec<_> = (0..6)
        .map(|_| tokio::spawn(async { fresh_database().await }))
        .collect();
    for handle in handles {
        let db = handle.await.expect("migrated database");
        let granted: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM information_schema.role_table_grants
              WHERE grantee = 'onboarding_validator' AND table_catalog = current_database()",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap();
        assert!(granted > 0);
    }
}

/// Prints the grant table from the catalog, as in docs/configuration.md.
#[tokio::test]
async fn print_the_grant_table() {
    let pool = database().await;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
          WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations' ORDER BY table_name",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut out = String::from("| Table |");
    for (function, role) in ROLES {
        out.push_str(&format!(" {function} (`{role}`) |"));
    }
    out.push_str("\n|---|---|---|---|---|---|\n");
    for table in &tables {
        out.push_str(&format!("| `{table}` |"));
        for (_, role) in ROLES {
            let verbs: Vec<String> = sqlx::query_scalar(
                "SELECT privilege_type::text FROM information_schema.role_table_grants
                  WHERE grantee = $1 AND table_schema = 'public' AND table_name = $2
                  ORDER BY array_position(ARRAY['SELECT','INSERT','UPDATE','DELETE'], privilege_type::text)",
            )
            .bind(role)
            .bind(table)
            .fetch_all(&pool)
            .await
            .unwrap();
            let columns: Vec<String> = sqlx::query_scalar(
                "SELECT column_name::text FROM information_schema.column_privileges
                  WHERE grantee = $1 AND table_schema = 'public' AND table_name = $2
                    AND privilege_type = 'UPDATE'
                    AND NOT EXISTS (SELECT FROM information_schema.role_table_grants g
                                     WHERE g.grantee = $1 AND g.table_name = $2 AND g.privilege_type = 'UPDATE')
                  ORDER BY column_name",
            )
            .bind(role)
            .bind(table)
            .fetch_all(&pool)
            .await
            .unwrap();
            let mut cell = verbs.join(", ");
            if !columns.is_empty() {
                if !cell.is_empty() {
                    cell.push_str(", ");
                }
                cell.push_str(&format!("UPDATE ({})", columns.join(", ")));
            }
            out.push_str(&format!(" {} |", if cell.is_empty() { "—" } else { &cell }));
        }
        out.push('\n');
    }
    for (function, role) in ROLES {
        let sequences: Vec<String> = sqlx::query_scalar(
            "SELECT sequence_name::text FROM information_schema.sequences
              WHERE sequence_schema = 'public'
                AND has_sequence_privilege($1, format('%I.%I', sequence_schema, sequence_name), 'USAGE')
              ORDER BY 1",
        )
        .bind(role)
        .fetch_all(&pool)
        .await
        .unwrap();
        if !sequences.is_empty() {
            out.push_str(&format!(
                "\nSequences (USAGE) for {function}: {}",
                sequences.join(", ")
            ));
        }
    }
    println!("{out}");
    // The table is derived from the code's SQL; the tests above hold it to it.
    assert!(out.contains("onboarding_api"));
}

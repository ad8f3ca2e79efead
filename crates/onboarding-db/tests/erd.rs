//! The entity-relationship diagram in `docs/architecture.md` ("Data model") is
//! generated from the real schema, and this test keeps it that way.
//!
//! It applies the migrations to a fresh database, reads the tables, columns,
//! primary keys, unique constraints and foreign keys from `pg_catalog`, and
//! renders a Mermaid `erDiagram`, sorted so that the same schema always gives
//! the same text. It then compares that text with the block between
//! `<!-- erd:begin -->` and `<!-- erd:end -->` in the page and fails with a
//! diff when they disagree. To refresh the block after changing a migration:
//!
//! ```sh
//! UPDATE_ERD=1 SQLX_OFFLINE=true cargo test -p onboarding-db --test erd
//! ```
//!
//! The catalog queries are runtime queries (`sqlx::query_as`), not the
//! compile-time checked `query!` macros the rest of the crate uses: they read
//! PostgreSQL's own catalog, which needs no `.sqlx/` offline data and would
//! gain nothing from it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;

use onboarding_db::testing::{fresh_database, server_url};
use sqlx::{Connection, PgConnection, PgPool};

const BEGIN: &str = "<!-- erd:begin -->";
const END: &str = "<!-- erd:end -->";

/// Tables of the schema that are not part of the data model.
const IGNORED_TABLES: [&str; 1] = ["_sqlx_migrations"];

#[tokio::test]
async fn architecture_page_erd_matches_the_migrations() {
    let db = fresh_database().await;
    let schema = read_schema(&db.pool).await;
    let rendered = render(&schema);
    db.pool.close().await;
    drop_database(&db.name).await;

    let page_path = page_path();
    let page = std::fs::read_to_string(&page_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", page_path.display()));
    let (before, current, after) = split_page(&page).unwrap_or_else(|| {
        panic!(
            "{} has no `{BEGIN}` ... `{END}` block for the ERD",
            page_path.display()
        )
    });

    if current == rendered {
        return;
    }
    if std::env::var("UPDATE_ERD").is_ok_and(|v| v == "1") {
        std::fs::write(&page_path, format!("{before}{rendered}{after}"))
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", page_path.display()));
        eprintln!("updated the ERD in {}", page_path.display());
        return;
    }
    panic!(
        "the ERD in {} does not match the schema the migrations create \
         (- in the page, + from the schema):\n\n{}\n\
         Refresh it with: UPDATE_ERD=1 SQLX_OFFLINE=true cargo test -p onboarding-db --test erd",
        page_path.display(),
        line_diff(current, &rendered)
    );
}

fn page_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/architecture.md")
}

/// The page around the block, and the block itself: everything after the
/// line of the begin marker up to the line of the end marker.
fn split_page(page: &str) -> Option<(&str, &str, &str)> {
    let begin = page.find(BEGIN)?;
    let body_start = begin + page[begin..].find('\n')? + 1;
    let body_end = body_start + page[body_start..].find(END)?;
    Some((
        &page[..body_start],
        &page[body_start..body_end],
        &page[body_end..],
    ))
}

async fn drop_database(name: &str) {
    // Best effort: a leftover test database is harmless.
    if let Ok(mut admin) = PgConnection::connect(&server_url()).await {
        // The name comes from fresh_database(), never from input.
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            r#"DROP DATABASE IF EXISTS "{name}""#
        )))
        .execute(&mut admin)
        .await;
    }
}

// ---------------------------------------------------------------------------
// Reading the catalog
// ---------------------------------------------------------------------------

#[derive(Debug)]
struct TableColumn {
    name: String,
    sql_type: String,
    not_null: bool,
    serial: bool,
}

#[derive(Debug)]
struct Constraint {
    table: String,
    name: String,
    kind: ConstraintKind,
    columns: Vec<String>,
}

#[derive(Debug)]
enum ConstraintKind {
    Primary,
    Unique,
    Foreign {
        table: String,
        columns: Vec<String>,
        on_delete: char,
        on_update: char,
    },
}

#[derive(Debug, Default)]
struct Schema {
    /// Table name -> columns in definition order.
    tables: BTreeMap<String, Vec<TableColumn>>,
    constraints: Vec<Constraint>,
}

async fn read_schema(pool: &PgPool) -> Schema {
    let ignored: Vec<String> = IGNORED_TABLES.iter().map(|t| t.to_string()).collect();
    let columns: Vec<(String, String, String, bool, bool)> = sqlx::query_as(
        "SELECT c.relname::text,
                a.attname::text,
                format_type(a.atttypid, a.atttypmod),
                a.attnotnull,
                (a.attidentity <> ''
                 OR coalesce(pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%', false))
           FROM pg_attribute a
           JOIN pg_class c ON c.oid = a.attrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
           LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
          WHERE n.nspname = 'public'
            AND c.relkind IN ('r', 'p')
            AND a.attnum > 0
            AND NOT a.attisdropped
            AND c.relname <> ALL($1)
          ORDER BY c.relname, a.attnum",
    )
    .bind(&ignored)
    .fetch_all(pool)
    .await
    .expect("read columns");

    let mut schema = Schema::default();
    for (table, name, sql_type, not_null, serial) in columns {
        schema.tables.entry(table).or_default().push(TableColumn {
            name,
            sql_type,
            not_null,
            serial,
        });
    }

    // Key columns in key order (conkey / confkey), not in table order.
    type Row = (
        String,
        String,
        String,
        Vec<String>,
        Option<String>,
        Vec<String>,
        String,
        String,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT c.relname::text,
                con.conname::text,
                con.contype::text,
                ARRAY(SELECT a.attname::text
                        FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
                        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                       ORDER BY k.ord),
                f.relname::text,
                ARRAY(SELECT a.attname::text
                        FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
                        JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
                       ORDER BY k.ord),
                con.confdeltype::text,
                con.confupdtype::text
           FROM pg_constraint con
           JOIN pg_class c ON c.oid = con.conrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
           LEFT JOIN pg_class f ON f.oid = con.confrelid
          WHERE n.nspname = 'public'
            AND con.contype IN ('p', 'u', 'f')
            AND c.relname <> ALL($1)
          ORDER BY c.relname, con.conname",
    )
    .bind(&ignored)
    .fetch_all(pool)
    .await
    .expect("read constraints");

    for (table, name, kind, columns, ref_table, ref_columns, on_delete, on_update) in rows {
        let kind = match kind.as_str() {
            "p" => ConstraintKind::Primary,
            "u" => ConstraintKind::Unique,
            _ => ConstraintKind::Foreign {
                table: ref_table.expect("a foreign key references a table"),
                columns: ref_columns,
                on_delete: on_delete.chars().next().unwrap_or(' '),
                on_update: on_update.chars().next().unwrap_or(' '),
            },
        };
        schema.constraints.push(Constraint {
            table,
            name,
            kind,
            columns,
        });
    }
    schema
}

// ---------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------

/// The Mermaid type token and, when the SQL type does not fit Mermaid's
/// attribute-type syntax (letters, digits, `_`, `-`, `()`, `[]`), the detail
/// that goes into the attribute's comment instead.
fn type_token(sql_type: &str, serial: bool) -> (String, Option<String>) {
    let short = sql_type
        .replace("character varying", "varchar")
        .replace("timestamp with time zone", "timestamptz")
        .replace("timestamp without time zone", "timestamp")
        .replace("time with time zone", "timetz")
        .replace("time without time zone", "time")
        .replace("double precision", "float8")
        .replace("character", "char");
    let short = if serial {
        match short.as_str() {
            "smallint" => "smallserial".to_string(),
            "integer" => "serial".to_string(),
            "bigint" => "bigserial".to_string(),
            _ => short,
        }
    } else {
        short
    };
    let fits = |s: &str| {
        s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-()[]".contains(c))
    };
    if fits(&short) {
        return (short, None);
    }
    // numeric(10,2): the comma is not allowed, so the type is `numeric` and
    // the precision goes into the comment.
    match short.split_once('(') {
        Some((base, rest)) if fits(base) => (base.to_string(), Some(format!("({rest}"))),
        _ => (
            short.replace(|c: char| !c.is_ascii_alphanumeric(), "_"),
            Some(short),
        ),
    }
}

fn render(schema: &Schema) -> String {
    // Per table: primary key columns, single-column unique keys, composite
    // unique keys, foreign key columns.
    let mut pk: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut uniques: BTreeMap<&str, Vec<Vec<&str>>> = BTreeMap::new();
    let mut fk_columns: BTreeSet<(&str, &str)> = BTreeSet::new();
    for c in &schema.constraints {
        let columns: Vec<&str> = c.columns.iter().map(String::as_str).collect();
        match &c.kind {
            ConstraintKind::Primary => {
                pk.insert(&c.table, columns);
            }
            ConstraintKind::Unique => uniques.entry(&c.table).or_default().push(columns),
            ConstraintKind::Foreign { .. } => {
                for column in columns {
                    fk_columns.insert((&c.table, column));
                }
            }
        }
    }

    let mut out = String::new();
    out.push_str("```mermaid\n");
    out.push_str("erDiagram\n");
    out.push_str(
        "    %% Generated from migrations/ by crates/onboarding-db/tests/erd.rs; do not edit by hand.\n",
    );
    for (table, columns) in &schema.tables {
        let table_pk = pk.get(table.as_str()).cloned().unwrap_or_default();
        let table_uniques = uniques.get(table.as_str()).cloned().unwrap_or_default();
        writeln!(out, "    {table} {{").unwrap();
        for column in columns {
            let name = column.name.as_str();
            let mut keys = Vec::new();
            if table_pk.contains(&name) {
                keys.push("PK");
            }
            if fk_columns.contains(&(table.as_str(), name)) {
                keys.push("FK");
            }
            let mut notes = Vec::new();
            let (ty, detail) = type_token(&column.sql_type, column.serial);
            notes.extend(detail);
            let mut unique = false;
            for key in &table_uniques {
                if key.contains(&name) {
                    unique = true;
                    if key.len() > 1 {
                        notes.push(format!("unique ({})", key.join(", ")));
                    }
                }
            }
            if unique {
                keys.push("UK");
            }
            if !column.not_null {
                notes.push("nullable".to_string());
            }
            let mut line = format!("        {ty} {name}");
            if !keys.is_empty() {
                write!(line, " {}", keys.join(", ")).unwrap();
            }
            if !notes.is_empty() {
                write!(line, " \"{}\"", notes.join("; ")).unwrap();
            }
            writeln!(out, "{line}").unwrap();
        }
        out.push_str("    }\n");
    }

    // Relationships, parent first, sorted by parent, child and constraint.
    let mut relationships = Vec::new();
    for c in &schema.constraints {
        let ConstraintKind::Foreign {
            table: parent,
            columns: parent_columns,
            on_delete,
            on_update,
        } = &c.kind
        else {
            continue;
        };
        let child_columns = &schema.tables[&c.table];
        let all_not_null = c.columns.iter().all(|name| {
            child_columns
                .iter()
                .any(|col| &col.name == name && col.not_null)
        });
        let child_pk = pk.get(c.table.as_str()).cloned().unwrap_or_default();
        let as_set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        let fk_set: BTreeSet<String> = c.columns.iter().cloned().collect();
        let one_to_one = as_set(&child_pk) == fk_set
            || uniques
                .get(c.table.as_str())
                .is_some_and(|keys| keys.iter().any(|k| as_set(k) == fk_set));
        let identifying = c.columns.iter().all(|col| child_pk.contains(&col.as_str()));
        let left = if all_not_null { "||" } else { "|o" };
        let right = if one_to_one { "o|" } else { "o{" };
        let line = if identifying { "--" } else { ".." };

        let mut label = if &c.columns == parent_columns {
            c.columns.join(", ")
        } else {
            format!("{} → {}", c.columns.join(", "), parent_columns.join(", "))
        };
        let mut actions = Vec::new();
        if let Some(action) = referential_action(*on_delete) {
            actions.push(format!("on delete {action}"));
        }
        if let Some(action) = referential_action(*on_update) {
            actions.push(format!("on update {action}"));
        }
        if !actions.is_empty() {
            write!(label, " ({})", actions.join(", ")).unwrap();
        }
        relationships.push((
            parent.clone(),
            c.table.clone(),
            c.name.clone(),
            format!("    {parent} {left}{line}{right} {} : \"{label}\"", c.table),
        ));
    }
    relationships.sort();
    for (_, _, _, line) in relationships {
        writeln!(out, "{line}").unwrap();
    }
    out.push_str("```\n");
    out
}

/// `pg_constraint.confdeltype` / `confupdtype`; the default (no action) is
/// not worth a word in the diagram.
fn referential_action(code: char) -> Option<&'static str> {
    match code {
        'r' => Some("restrict"),
        'c' => Some("cascade"),
        'n' => Some("set null"),
        'd' => Some("set default"),
        _ => None,
    }
}

/// A line diff (longest common subsequence): `-` lines are in the page only,
/// `+` lines in the schema only, unchanged lines are left out.
fn line_diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = String::new();
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            writeln!(out, "- {}", a[i]).unwrap();
            i += 1;
        } else {
            writeln!(out, "+ {}", b[j]).unwrap();
            j += 1;
        }
    }
    out
}

#[test]
fn sql_types_become_mermaid_attribute_types() {
    assert_eq!(
        type_token("character varying(50)", false),
        ("varchar(50)".into(), None)
    );
    assert_eq!(
        type_token("numeric(10,2)", false),
        ("numeric".into(), Some("(10,2)".into()))
    );
    assert_eq!(
        type_token("timestamp with time zone", false),
        ("timestamptz".into(), None)
    );
    assert_eq!(type_token("text[]", false), ("text[]".into(), None));
    assert_eq!(type_token("bigint", true), ("bigserial".into(), None));
    assert_eq!(type_token("integer", true), ("serial".into(), None));
}

#[test]
fn the_diff_names_only_changed_lines() {
    assert_eq!(line_diff("a\nb\nc\n", "a\nx\nc\n"), "- b\n+ x\n");
    assert_eq!(line_diff("a\n", "a\n"), "");
}

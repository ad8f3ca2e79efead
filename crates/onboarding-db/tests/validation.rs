//! Committing judged batches against a real PostgreSQL: exactly once per
//! row, exact counts, and races for the same SKU settled without a crash.

use chrono::Utc;
use onboarding_core::generate::{GeneratorSpec, generate};
use onboarding_core::{
    CategoryWhitelist, ErrorType, FileChecker, ProductCsvReader, ReadLimits, UploadId, UploadMode,
    VendorId, check_against_catalog,
};
use onboarding_db::PgCatalog;
use onboarding_db::testing::fresh_database;
use onboarding_db::uploads::{self, NewUpload, Opened};
use onboarding_db::validation::{JudgedRow, commit_batch};
use sqlx::PgPool;

fn upload(text: &str) -> UploadId {
    UploadId::parse(text).unwrap()
}

fn vendor(text: &str) -> VendorId {
    VendorId::parse(text).unwrap()
}

async fn open(
    pool: &PgPool,
    upload_id: &UploadId,
    vendor: &VendorId,
    total: u32,
    columns: &[String],
) {
    let opened = uploads::open_upload(
        pool,
        &NewUpload {
            upload_id,
            vendor_id: Some(vendor),
            file_name: "products.csv",
            bucket: "bucket",
            key: &format!("uploads/{vendor}/{upload_id}.csv"),
            version_id: "v1",
            received_at: Utc::now(),
        },
    )
    .await
    .unwrap();
    assert!(matches!(opened, Opened::Created));
    uploads::record_total(pool, upload_id, total, columns, &[], UploadMode::Create)
        .await
        .unwrap();
}

/// Judges a generated file the way the validator does.
async fn judged_rows(pool: &PgPool, spec: &GeneratorSpec) -> (Vec<String>, Vec<JudgedRow>) {
    let catalog = PgCatalog::new(pool.clone());
    let categories: CategoryWhitelist = catalog.categories().await.unwrap();
    let names = onboarding_db::seed::category_names(onboarding_db::seed::CATEGORIES_CSV).unwrap();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut bytes = Vec::new();
    generate(spec, &names, &mut bytes).unwrap();
    let mut reader = ProductCsvReader::open(bytes.as_slice(), ReadLimits::default())
        .await
        .unwrap();
    let header = reader.header().clone();
    let mut checker = FileChecker::new(&header, &categories);
    let mut rows = Vec::new();
    let mut fields = Vec::new();
    while let Some(row) = reader.next_row().await.unwrap() {
        rows.push(checker.check(&row));
        fields.push(row.fields);
    }
    check_against_catalog(&catalog, &spec.vendor_id, &mut rows)
        .await
        .unwrap();
    let judged = rows
        .into_iter()
        .zip(fields)
        .map(|(checked, source_fields)| JudgedRow {
            checked,
            original_data: serde_json::json!({}),
            source_fields,
        })
        .collect();
    (header.source_columns().to_vec(), judged)
}

async fn count(pool: &PgPool, sql: &'static str, upload_id: &UploadId) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .bind(upload_id.as_str())
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_batch_delivered_again_changes_nothing() {
    let db = fresh_database().await;
    let spec = GeneratorSpec {
        rows: 200,
        error_rate: 0.3,
        seed: 11,
        vendor_id: vendor("VEND001"),
    };
    let (columns, rows) = judged_rows(&db.pool, &spec).await;
    let upload_id = &upload("UPLOAD_20261122_000000_AAAAAAAAAAAA");
    open(&db.pool, upload_id, &vendor("VEND001"), 200, &columns).await;

    // The same row twice in one delivery is still one row.
    let doubled: Vec<JudgedRow> = [&rows[..3], &rows[..3]].concat();
    let d = commit_batch(
        &db.pool,
        upload_id,
        &vendor("VEND001"),
        UploadMode::Create,
        &doubled,
    )
    .await
    .unwrap();
    assert_eq!(d.newly_valid + d.newly_invalid.len() as u32, 3);
    let (first, second) = rows.split_at(120);
    let a = commit_batch(
        &db.pool,
        upload_id,
        &vendor("VEND001"),
        UploadMode::Create,
        first,
    )
    .await
    .unwrap();
    assert!(!a.counts.is_complete());
    // The first half again, overlapping the second: only new rows count.
    let again = commit_batch(
        &db.pool,
        upload_id,
        &vendor("VEND001"),
        UploadMode::Create,
        first,
    )
    .await
    .unwrap();
    assert_eq!(again.newly_valid, 0);
    assert!(again.newly_invalid.is_empty());
    let b = commit_batch(
        &db.pool,
        upload_id,
        &vendor("VEND001"),
        UploadMode::Create,
        &rows[100..],
    )
    .await
    .unwrap();
    assert_eq!(
        b.newly_valid + b.newly_invalid.len() as u32,
        second.len() as u32
    );
    assert!(b.counts.is_complete());

    let valid = rows.iter().filter(|r| r.checked.is_valid()).count() as i64;
    let errors: i64 = rows.iter().map(|r| r.checked.errors().len() as i64).sum();
    assert_eq!(b.counts.valid_records as i64, valid);
    assert_eq!(b.counts.error_records as i64, 200 - valid);
    assert_eq!(
        count(
            &db.pool,
            "SELECT count(*) FROM products WHERE upload_id = $1",
            upload_id
        )
        .await,
        valid
    );
    assert_eq!(
        count(
            &db.pool,
            "SELECT count(*) FROM validation_errors WHERE upload_id = $1",
            upload_id
        )
        .await,
        errors
    );
    assert_eq!(
        count(
            &db.pool,
            "SELECT count(*) FROM row_outcomes WHERE upload_id = $1",
            upload_id
        )
        .await,
        200
    );

    let lines = onboarding_db::reports::report_lines(&db.pool, upload_id)
        .await
        .unwrap();
    assert_eq!(lines.len() as i64, errors);
    assert!(lines.windows(2).all(|w| w[0].row_number <= w[1].row_number));
    let fix = onboarding_db::reports::fix_rows(&db.pool, upload_id)
        .await
        .unwrap();
    assert_eq!(fix.len() as i64, 200 - valid);
    assert!(
        fix.iter()
            .all(|f| !f.messages.is_empty() && !f.fields.is_empty())
    );
}

#[tokio::test]
async fn two_uploads_racing_for_the_same_skus_settle_with_exactly_one_winner() {
    let db = fresh_database().await;
    // The same 300 rows, from two vendors at once: every SKU is contested.
    let spec = GeneratorSpec {
        rows: 300,
        error_rate: 0.0,
        seed: 5,
        vendor_id: vendor("VEND001"),
    };
    let (columns, rows_a) = judged_rows(&db.pool, &spec).await;
    assert!(rows_a.iter().all(|r| r.checked.is_valid()));
    let rows_b = rows_a.clone();
    let (a, b) = (
        &upload("UPLOAD_20261122_000000_AAAAAAAAAAA1"),
        &upload("UPLOAD_20261122_000000_BBBBBBBBBBB2"),
    );
    open(&db.pool, a, &vendor("VEND001"), 300, &columns).await;
    open(&db.pool, b, &vendor("VEND002"), 300, &columns).await;

    let mut tasks = Vec::new();
    for (upload_id, vendor, rows) in [
        (a.clone(), vendor("VEND001"), rows_a.clone()),
        (b.clone(), vendor("VEND002"), rows_b.clone()),
    ] {
        for chunk in rows.chunks(50).map(<[JudgedRow]>::to_vec) {
            let pool = db.pool.clone();
            let (upload_id, vendor) = (upload_id.clone(), vendor.clone());
            tasks.push(tokio::spawn(async move {
                commit_batch(&pool, &upload_id, &vendor, UploadMode::Create, &chunk)
                    .await
                    .unwrap()
            }));
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    let won_a = count(
        &db.pool,
        "SELECT count(*) FROM products WHERE upload_id = $1",
        a,
    )
    .await;
    let won_b = count(
        &db.pool,
        "SELECT count(*) FROM products WHERE upload_id = $1",
        b,
    )
    .await;
    assert_eq!(won_a + won_b, 300, "every SKU has exactly one winner");
    let lost: i64 = count(&db.pool, "SELECT count(*) FROM validation_errors WHERE upload_id = $1 AND error_type = 'DUPLICATE_SKU'", a).await
        + count(&db.pool, "SELECT count(*) FROM validation_errors WHERE upload_id = $1 AND error_type = 'DUPLICATE_SKU'", b).await;
    assert_eq!(lost, 300, "every loser is told DUPLICATE_SKU");
    for upload_id in [a, b] {
        let counts = onboarding_db::validation::upload_counts(&db.pool, upload_id)
            .await
            .unwrap();
        assert!(counts.is_complete());
    }
    assert_eq!(ErrorType::DuplicateSku.as_str(), "DUPLICATE_SKU");
}

/// An upload is validated in several batches. When a later batch holds a row
/// that repeats an earlier row of the same file, the earlier row's product is
/// already committed; the error must still name the row, not the catalog.
#[tokio::test]
async fn an_in_file_duplicate_stays_in_file_when_the_first_row_is_already_committed() {
    let db = fresh_database().await;
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/samples/VEND001_products.csv"
    ))
    .unwrap();
    let catalog = PgCatalog::new(db.pool.clone());
    let categories = catalog.categories().await.unwrap();
    let mut reader = ProductCsvReader::open(bytes.as_slice(), ReadLimits::default())
        .await
        .unwrap();
    let header = reader.header().clone();
    let mut checker = FileChecker::new(&header, &categories);
    let mut rows = Vec::new();
    while let Some(row) = reader.next_row().await.unwrap() {
        rows.push(JudgedRow {
            checked: checker.check(&row),
            original_data: serde_json::json!({}),
            source_fields: row.fields,
        });
    }
    let upload_id = &upload("UPLOAD_20261122_000000_CCCCCCCCCCCC");
    open(
        &db.pool,
        upload_id,
        &vendor("VEND001"),
        100,
        header.source_columns(),
    )
    .await;
    commit_batch(
        &db.pool,
        upload_id,
        &vendor("VEND001"),
        UploadMode::Create,
        &rows[..50],
    )
    .await
    .unwrap();

    let mut later: Vec<_> = rows[50..].iter().map(|r| r.checked.clone()).collect();
    let own = catalog.clone().excluding_upload(upload_id);
    check_against_catalog(&own, &vendor("VEND001"), &mut later)
        .await
        .unwrap();
    let row_52 = later.iter().find(|r| r.row_number == 52).unwrap();
    let messages: Vec<&str> = row_52.errors().iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        messages,
        ["Duplicate vendor product ID: PROD0010 already appears in row 10 of this file."]
    );

    // Another upload of the same file meets the committed products as catalog duplicates.
    let mut again: Vec<_> = rows[50..].iter().map(|r| r.checked.clone()).collect();
    let other = catalog.excluding_upload(&upload("UPLOAD_20261122_000001_DDDDDDDDDDDD"));
    check_against_catalog(&other, &vendor("VEND001"), &mut again)
        .await
        .unwrap();
    let row_52 = again.iter().find(|r| r.row_number == 52).unwrap();
    assert!(
        row_52.errors()[0]
            .message
            .contains("already exists in your catalog")
    );
}

/// Opens an upload in upsert mode.
async fn upsert_upload(
    pool: &PgPool,
    upload_id: &UploadId,
    vendor: &VendorId,
    total: u32,
    columns: &[String],
) {
    open(pool, upload_id, vendor, total, columns).await;
    uploads::record_total(pool, upload_id, total, columns, &[], UploadMode::Upsert)
        .await
        .unwrap();
}

async fn count_all(pool: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Valid generated rows with every price set to `price` (and no compare-at
/// price, which must not be below it).
fn priced(rows: &[JudgedRow], price: &str) -> Vec<JudgedRow> {
    rows.iter()
        .cloned()
        .map(|mut row| {
            if let onboarding_core::RowOutcome::Valid(product) = &mut row.checked.outcome {
                product.price = price.parse().unwrap();
                product.compare_at_price = None;
            }
            row
        })
        .collect()
}

async fn prices_of(pool: &PgPool, vendor: &str) -> Vec<(String, String)> {
    sqlx::query_as::<_, (String, String)>(
        "SELECT sku, price::text FROM products WHERE vendor_id = $1 ORDER BY sku",
    )
    .bind(vendor)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// Two upserts of the same SKUs at once, really concurrent (both
/// transactions start together, many SKUs contested): every product ends as
/// one row holding one of the two values, both updates are in its history,
/// and each upload counts every row as updated exactly once, even when its
/// batch is delivered again.
#[tokio::test]
async fn two_concurrent_upserts_of_the_same_skus_leave_one_consistent_row_each() {
    let db = fresh_database().await;
    let spec = GeneratorSpec {
        rows: 40,
        error_rate: 0.0,
        seed: 21,
        vendor_id: vendor("VEND001"),
    };
    let (columns, rows) = judged_rows(&db.pool, &spec).await;
    let original = upload("UPLOAD_20261208_000000_000000000001");
    upsert_upload(&db.pool, &original, &vendor("VEND001"), 40, &columns).await;
    let created = commit_batch(
        &db.pool,
        &original,
        &vendor("VEND001"),
        UploadMode::Upsert,
        &priced(&rows, "10.00"),
    )
    .await
    .unwrap();
    assert_eq!(created.changes.created, 40);

    let (a, b) = (
        upload("UPLOAD_20261208_000000_00000000000A"),
        upload("UPLOAD_20261208_000000_00000000000B"),
    );
    upsert_upload(&db.pool, &a, &vendor("VEND001"), 40, &columns).await;
    upsert_upload(&db.pool, &b, &vendor("VEND001"), 40, &columns).await;
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(2));
    let mut tasks = Vec::new();
    for (upload_id, price) in [(a.clone(), "11.00"), (b.clone(), "12.00")] {
        let (pool, barrier, rows) = (db.pool.clone(), barrier.clone(), priced(&rows, price));
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            commit_batch(
                &pool,
                &upload_id,
                &vendor("VEND001"),
                UploadMode::Upsert,
                &rows,
            )
            .await
            .unwrap()
        }));
    }
    for task in tasks {
        let commit = task.await.unwrap();
        assert_eq!(commit.changes.updated, 40, "{:?}", commit.changes);
        assert!(commit.counts.is_complete());
    }

    let prices = prices_of(&db.pool, "VEND001").await;
    assert_eq!(prices.len(), 40, "one row per SKU");
    assert!(
        prices.iter().all(|(_, p)| p == "11.00" || p == "12.00"),
        "{prices:?}"
    );
    // Both updates of every product, chained: 10 -> the first -> the last.
    let history = sqlx::query_as::<_, (String, String, String, String)>(
        r#"SELECT p.sku, h.upload_id, h.previous_price::text, h.price::text
             FROM product_history h JOIN products p USING (product_id)
            ORDER BY p.sku, h.history_id"#,
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(history.len(), 80, "two history lines per product");
    for (pair, (sku, final_price)) in history.chunks(2).zip(&prices) {
        assert_eq!((&pair[0].0, &pair[1].0), (sku, sku));
        assert_eq!(pair[0].2, "10.00");
        assert_eq!(pair[1].2, pair[0].3, "{sku}: the second saw the first");
        assert_eq!(&pair[1].3, final_price);
        assert_ne!(pair[0].1, pair[1].1, "one line per upload");
    }

    // At least once: a batch delivered again counts nothing and writes
    // nothing.
    let again = commit_batch(
        &db.pool,
        &a,
        &vendor("VEND001"),
        UploadMode::Upsert,
        &priced(&rows, "11.00"),
    )
    .await
    .unwrap();
    assert_eq!(again.changes, onboarding_core::CatalogChanges::default());
    let recorded = uploads::find_upload(&db.pool, &a).await.unwrap().unwrap();
    assert_eq!(
        (
            recorded.updated_records,
            recorded.created_records,
            recorded.unchanged_records
        ),
        (40, 0, 0)
    );
    assert_eq!(prices_of(&db.pool, "VEND001").await, prices);

    // The same values again in a new upsert: counted unchanged, not written.
    let same = upload("UPLOAD_20261208_000000_00000000000C");
    upsert_upload(&db.pool, &same, &vendor("VEND001"), 40, &columns).await;
    let unchanged = commit_batch(
        &db.pool,
        &same,
        &vendor("VEND001"),
        UploadMode::Upsert,
        &priced(&rows, &prices[0].1),
    )
    .await
    .unwrap();
    let expected_unchanged = prices.iter().filter(|(_, p)| *p == prices[0].1).count() as u32;
    assert_eq!(unchanged.changes.unchanged, expected_unchanged);
    assert_eq!(unchanged.changes.updated, 40 - expected_unchanged);
    let lines = count(
        &db.pool,
        "SELECT count(*) FROM product_history WHERE upload_id = $1",
        &same,
    )
    .await;
    assert_eq!(lines, i64::from(40 - expected_unchanged));
}

/// Another vendor's create racing an upsert for new SKUs: each SKU has one
/// owner, and every row of the loser is a DUPLICATE_SKU, never a second row
/// or an update of the winner's product.
#[tokio::test]
async fn an_upsert_and_another_vendors_create_of_the_same_sku_cannot_both_win() {
    let db = fresh_database().await;
    let spec = GeneratorSpec {
        rows: 60,
        error_rate: 0.0,
        seed: 22,
        vendor_id: vendor("VEND001"),
    };
    let (columns, rows) = judged_rows(&db.pool, &spec).await;
    let (mine, theirs) = (
        upload("UPLOAD_20261208_000000_0000000000A1"),
        upload("UPLOAD_20261208_000000_0000000000B2"),
    );
    upsert_upload(&db.pool, &mine, &vendor("VEND001"), 60, &columns).await;
    open(&db.pool, &theirs, &vendor("VEND002"), 60, &columns).await;
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(2));
    let mut tasks = Vec::new();
    for (upload_id, vendor, mode, price) in [
        (mine.clone(), vendor("VEND001"), UploadMode::Upsert, "21.00"),
        (
            theirs.clone(),
            vendor("VEND002"),
            UploadMode::Create,
            "22.00",
        ),
    ] {
        let (pool, barrier, rows) = (db.pool.clone(), barrier.clone(), priced(&rows, price));
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            commit_batch(&pool, &upload_id, &vendor, mode, &rows)
                .await
                .unwrap()
        }));
    }
    let mut won = 0;
    let mut lost = 0;
    for task in tasks {
        let commit = task.await.unwrap();
        assert_eq!(commit.changes.updated, 0, "nobody updates the other's row");
        won += commit.changes.created;
        lost += commit.newly_invalid.len();
    }
    assert_eq!((won, lost), (60, 60));
    assert_eq!(
        count_all(&db.pool, "SELECT count(*) FROM products").await,
        60,
        "one row per SKU"
    );
    assert_eq!(
        count_all(&db.pool, "SELECT count(*) FROM product_history").await,
        0,
        "no product was updated"
    );
}

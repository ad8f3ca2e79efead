//! The schema, seed data and catalog lookups against a real PostgreSQL.

use onboarding_core::generate::{GeneratorSpec, generate};
use onboarding_core::{
    Catalog, CheckedRow, FileFormat, ProductReader, ReadLimits, RowOutcome, VendorId, VendorStatus,
    check_against_catalog,
};
use onboarding_db::PgCatalog;
use onboarding_db::testing::fresh_database;

#[tokio::test]
async fn seed_loads_the_vendors_and_the_whitelist_and_is_repeatable() {
    let db = fresh_database().await;
    let vendors =
        sqlx::query!("SELECT vendor_id, vendor_name, status FROM vendors ORDER BY vendor_id")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    let names: Vec<(String, String, VendorStatus)> = vendors
        .into_iter()
        .map(|v| (v.vendor_id, v.vendor_name, v.status.parse().unwrap()))
        .collect();
    assert_eq!(
        names[..3],
        [
            ("VEND001".into(), "TechGear".into(), VendorStatus::Active),
            ("VEND002".into(), "StyleWear".into(), VendorStatus::Active),
            (
                "VEND003".into(),
                "HomeEssentials".into(),
                VendorStatus::Active
            ),
        ]
    );
    assert!(
        names
            .iter()
            .any(|(_, _, status)| *status == VendorStatus::Suspended)
    );
    let again = onboarding_db::seed::seed(&db.pool, false).await.unwrap();
    assert_eq!(again.categories_added, 0);
    let categories = PgCatalog::new(db.pool.clone()).categories().await.unwrap();
    assert_eq!(
        categories.canonical("computer accessories"),
        Some("Computer Accessories")
    );
    assert_eq!(categories.len(), 25);
}

async fn check_file(bytes: &[u8], catalog: &PgCatalog, vendor: &str) -> Vec<CheckedRow> {
    let categories = catalog.categories().await.unwrap();
    let mut reader = ProductReader::open(FileFormat::Csv, bytes, ReadLimits::default())
        .await
        .unwrap();
    let mut rows = reader.check_all(&categories).await.unwrap();
    check_against_catalog(catalog, &VendorId::parse(vendor).unwrap(), &mut rows)
        .await
        .unwrap();
    rows
}

async fn insert_valid(
    pool: &sqlx::PgPool,
    vendor: &str,
    upload_id: &str,
    rows: &[CheckedRow],
) -> u64 {
    sqlx::query!(
        "INSERT INTO upload_history (upload_id, vendor_id, file_name, s3_bucket, s3_key, s3_version_id)
         VALUES ($1, $2, 'test.csv', 'bucket', $1, 'v1')",
        upload_id,
        vendor
    )
    .execute(pool)
    .await
    .unwrap();
    let mut inserted = 0;
    for row in rows {
        if let RowOutcome::Valid(p) = &row.outcome {
            inserted += sqlx::query!(
                "INSERT INTO products (vendor_id, vendor_product_id, product_name, category, subcategory, description,
                    sku, brand, price, compare_at_price, stock_quantity, unit, weight_kg, dimensions_cm, image_url,
                    upload_id, source_row_number)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
                vendor,
                p.vendor_product_id,
                p.product_name,
                p.category,
                p.subcategory,
                p.description,
                p.sku,
                p.brand,
                p.price,
                p.compare_at_price,
                p.stock_quantity,
                p.unit,
                p.weight_kg,
                p.dimensions_cm,
                p.image_url,
                upload_id,
                p.row_number as i32,
            )
            .execute(pool)
            .await
            .unwrap_or_else(|e| panic!("row {} passed validation but the database refused it: {e}", p.row_number))
            .rows_affected();
        }
    }
    inserted
}

#[tokio::test]
async fn every_row_that_passes_validation_is_accepted_by_the_database() {
    let db = fresh_database().await;
    let catalog = PgCatalog::new(db.pool.clone());
    let spec = GeneratorSpec {
        rows: 2000,
        error_rate: 0.3,
        seed: 99,
        vendor_id: VendorId::parse("VEND001").unwrap(),
    };
    let names = onboarding_db::seed::category_names(onboarding_db::seed::CATEGORIES_CSV).unwrap();
    let mut file = Vec::new();
    generate(
        &spec,
        &names.iter().map(String::as_str).collect::<Vec<_>>(),
        &mut file,
    )
    .unwrap();
    let rows = check_file(&file, &catalog, "VEND001").await;
    let valid = rows.iter().filter(|r| r.is_valid()).count() as u64;
    assert!(valid > 1000);
    assert_eq!(
        insert_valid(
            &db.pool,
            "VEND001",
            "UPLOAD_20260101_000000_000000000001",
            &rows
        )
        .await,
        valid
    );

    for sample in ["VEND001", "VEND002", "VEND003"] {
        let path = format!(
            "{}/../../testdata/samples/{sample}_products.csv",
            env!("CARGO_MANIFEST_DIR")
        );
        let rows = check_file(&std::fs::read(path).unwrap(), &catalog, sample).await;
        let upload_id = format!("UPLOAD_20260101_00000{}_000000000001", &sample[6..]);
        insert_valid(&db.pool, sample, &upload_id, &rows).await;
    }
}

#[tokio::test]
async fn the_requirements_example_row_validates_clean_for_vend001_and_then_is_a_duplicate() {
    let db = fresh_database().await;
    let catalog = PgCatalog::new(db.pool.clone());
    let file = "vendor_product_id,product_name,category,subcategory,description,sku,brand,price,compare_at_price,stock_quantity,unit,weight_kg,dimensions_cm,image_url\n\
        PROD0001,Wireless Mouse - Model 651,Computer Accessories,Mice & Keyboards,Ergonomic wireless mouse...,CA-VEND001-0001,TechGear,19.99,,150,piece,0.25,12x8x4,https://images.example.com/mouse.jpg\n";
    let rows = check_file(file.as_bytes(), &catalog, "VEND001").await;
    assert!(rows[0].is_valid(), "{:?}", rows[0].errors());
    insert_valid(
        &db.pool,
        "VEND001",
        "UPLOAD_20260101_000000_0000000000AA",
        &rows,
    )
    .await;

    let again = check_file(file.as_bytes(), &catalog, "VEND001").await;
    let messages: Vec<&str> = again[0]
        .errors()
        .iter()
        .map(|e| e.message.as_str())
        .collect();
    assert_eq!(
        messages,
        [
            "Duplicate SKU: CA-VEND001-0001 already exists in the catalog.",
            "Duplicate vendor product ID: PROD0001 already exists in your catalog.",
        ]
    );
    // Another vendor may reuse the product id, but never the SKU.
    let other = catalog
        .find_existing(
            &VendorId::parse("VEND002").unwrap(),
            &["CA-VEND001-0001"],
            &["PROD0001"],
        )
        .await
        .unwrap();
    assert!(other.skus.contains("CA-VEND001-0001"));
    assert!(other.vendor_product_ids.is_empty());
}

/// Deployments register their smoke vendor and the vendors they e-mail;
/// registering must never change a vendor that exists, least of all
/// reactivate one an operator suspended.
#[tokio::test]
async fn registering_a_vendor_inserts_it_once_and_never_changes_an_existing_one() {
    use onboarding_db::seed::{Registration, VendorRecord, register_vendor};
    let db = fresh_database().await;
    let record = |id: &str, name: &str, status: VendorStatus| VendorRecord {
        vendor_id: VendorId::parse(id).unwrap(),
        vendor_name: name.into(),
        email: format!("{}@example.invalid", id.to_lowercase()),
        status,
    };
    let stored = |id: String| {
        let pool = db.pool.clone();
        async move {
            sqlx::query!(
                "SELECT vendor_name, email, status FROM vendors WHERE vendor_id = $1",
                id
            )
            .fetch_one(&pool)
            .await
            .map(|v| {
                (
                    v.vendor_name,
                    v.email,
                    v.status.parse::<VendorStatus>().unwrap(),
                )
            })
            .unwrap()
        }
    };

    let created = register_vendor(&db.pool, &record("SMOKE01", "Smoke", VendorStatus::Active))
        .await
        .unwrap();
    assert_eq!(
        created,
        Registration {
            status: VendorStatus::Active,
            created: true
        }
    );
    let again = register_vendor(
        &db.pool,
        &record("SMOKE01", "Renamed", VendorStatus::Suspended),
    )
    .await
    .unwrap();
    assert_eq!(
        again,
        Registration {
            status: VendorStatus::Active,
            created: false
        }
    );
    assert_eq!(
        stored("SMOKE01".into()).await,
        (
            "Smoke".into(),
            "smoke01@example.invalid".into(),
            VendorStatus::Active
        )
    );

    let suspended = sqlx::query_scalar!(
        "SELECT vendor_id FROM vendors WHERE status = $1 LIMIT 1",
        VendorStatus::Suspended.as_str()
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let before = stored(suspended.clone()).await;
    assert_eq!(before.2, VendorStatus::Suspended);
    let kept = register_vendor(
        &db.pool,
        &record(&suspended, "Reactivated?", VendorStatus::Active),
    )
    .await
    .unwrap();
    assert_eq!(
        kept,
        Registration {
            status: VendorStatus::Suspended,
            created: false
        }
    );
    assert_eq!(
        stored(suspended).await,
        before,
        "name, e-mail and status unchanged"
    );
}

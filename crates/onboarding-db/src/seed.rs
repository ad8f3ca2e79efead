//! Reference and sample data: the category whitelist and the sample vendors.
//! The files live in `testdata/` and are compiled in, so `onboard seed` works
//! from any directory and in the deployed image.

use onboarding_core::{VendorId, VendorStatus};
use serde::Deserialize;
use sqlx::PgPool;

use crate::{DbError, column};

pub const CATEGORIES_CSV: &str = include_str!("../../../testdata/categories.csv");
pub const VENDORS_CSV: &str = include_str!("../../../testdata/vendors.csv");

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct VendorRecord {
    pub vendor_id: VendorId,
    pub vendor_name: String,
    pub email: String,
    pub status: VendorStatus,
}

pub fn category_names(csv_text: &str) -> Result<Vec<String>, DbError> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    reader
        .records()
        .map(|r| {
            r.map(|record| record.get(0).unwrap_or_default().trim().to_string())
                .map_err(|e| DbError::Seed(e.to_string()))
        })
        .filter(|r| !matches!(r, Ok(name) if name.is_empty()))
        .collect()
}

pub fn vendor_records(csv_text: &str) -> Result<Vec<VendorRecord>, DbError> {
    csv::Reader::from_reader(csv_text.as_bytes())
        .deserialize()
        .map(|r| r.map_err(|e: csv::Error| DbError::Seed(e.to_string())))
        .collect()
}

/// Adds the categories that are missing; existing ones are left as they are.
pub async fn seed_categories(pool: &PgPool, names: &[String]) -> Result<u64, DbError> {
    let result = sqlx::query!(
        "INSERT INTO categories (category_name) SELECT * FROM UNNEST($1::text[]) ON CONFLICT (category_name) DO NOTHING",
        names
    )
    .execute(pool)
    .await?;
    Ok(result.rows_affected())
}

/// Inserts or updates one vendor.
pub async fn upsert_vendor(pool: &PgPool, vendor: &VendorRecord) -> Result<(), DbError> {
    sqlx::query!(
        r#"
        INSERT INTO vendors (vendor_id, vendor_name, email, status) VALUES ($1, $2, $3, $4)
        ON CONFLICT (vendor_id) DO UPDATE
           SET vendor_name = EXCLUDED.vendor_name, email = EXCLUDED.email,
               status = EXCLUDED.status, updated_at = now()
        "#,
        vendor.vendor_id.as_str(),
        vendor.vendor_name,
        vendor.email,
        vendor.status.as_str(),
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// What [`register_vendor`] found or did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    /// The vendor's status now: the given one if it was created, else its own.
    pub status: VendorStatus,
    pub created: bool,
}

/// Inserts the vendor if it is not registered yet; an existing vendor is left
/// exactly as it is (name, e-mail and status), so that a deployment cannot
/// reactivate a vendor an operator suspended.
pub async fn register_vendor(
    pool: &PgPool,
    vendor: &VendorRecord,
) -> Result<Registration, DbError> {
    // The outer SELECT sees the table as it was before the INSERT, so it
    // finds the row only when the INSERT did nothing.
    let row = sqlx::query!(
        r#"
        WITH inserted AS (
            INSERT INTO vendors (vendor_id, vendor_name, email, status) VALUES ($1, $2, $3, $4)
            ON CONFLICT (vendor_id) DO NOTHING
            RETURNING status
        )
        SELECT status AS "status!", true AS "created!" FROM inserted
        UNION ALL
        SELECT status, false FROM vendors WHERE vendor_id = $1
        "#,
        vendor.vendor_id.as_str(),
        vendor.vendor_name,
        vendor.email,
        vendor.status.as_str(),
    )
    .fetch_one(pool)
    .await?;
    Ok(Registration {
        status: column("vendors.status", &row.status)?,
        created: row.created,
    })
}

/// Loads the compiled-in categories and, unless `categories_only`, the sample vendors.
pub async fn seed(pool: &PgPool, categories_only: bool) -> Result<SeedCounts, DbError> {
    let categories_added = seed_categories(pool, &category_names(CATEGORIES_CSV)?).await?;
    let mut vendors = 0;
    if !categories_only {
        for vendor in vendor_records(VENDORS_CSV)? {
            upsert_vendor(pool, &vendor).await?;
            vendors += 1;
        }
    }
    Ok(SeedCounts {
        categories_added,
        vendors,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedCounts {
    pub categories_added: u64,
    pub vendors: u64,
}

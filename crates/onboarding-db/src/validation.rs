//! Committing a judged batch: products, errors, outcomes and counts in one
//! transaction, exactly once per row however often the batch is delivered.

use std::collections::{HashMap, HashSet};

use onboarding_core::{
    CatalogMatches, CheckedRow, ErrorType, RowError, RowOutcome, UploadId, VendorId,
    apply_catalog_matches,
};
use rust_decimal::Decimal;
use sqlx::{PgPool, Postgres, Transaction};

use crate::DbError;

/// A row the rules have judged, with the vendor's cells for the fix file.
#[derive(Clone, Debug)]
pub struct JudgedRow {
    pub checked: CheckedRow,
    pub source_fields: Vec<String>,
    /// Column name → cell, kept with each error for support and audits.
    pub original_data: serde_json::Value,
}

/// The upload's counts after a commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadCounts {
    pub total_records: Option<i32>,
    pub valid_records: i32,
    pub error_records: i32,
    pub notified: bool,
}

impl UploadCounts {
    pub fn is_complete(&self) -> bool {
        self.total_records
            .is_some_and(|total| self.valid_records + self.error_records == total)
    }
}

/// What one commit decided.
#[derive(Clone, Debug)]
pub struct BatchCommit {
    /// Rows decided now; rows decided by an earlier delivery are not here.
    pub newly_valid: u32,
    /// Invalid rows decided now, with their final errors.
    pub newly_invalid: Vec<CheckedRow>,
    /// Valid rows that another upload beat to the same SKU or product id
    /// between the catalog check and the insert.
    pub lost_races: u32,
    pub counts: UploadCounts,
}

/// Retries on deadlock and serialization failure: two uploads inserting the
/// same SKUs may deadlock, and one of them must simply go again.
const ATTEMPTS: u32 = 5;

pub async fn commit_batch(
    pool: &PgPool,
    upload_id: &UploadId,
    vendor_id: &VendorId,
    rows: &[JudgedRow],
) -> Result<BatchCommit, DbError> {
    // A stream may deliver the same row twice in one batch; it is one row.
    let mut seen = HashSet::new();
    let rows: Vec<JudgedRow> = rows
        .iter()
        .filter(|r| seen.insert(r.checked.row_number))
        .cloned()
        .collect();
    let rows = rows.as_slice();
    let mut attempt = 1;
    loop {
        let mut tx = pool.begin().await?;
        match commit_in(&mut tx, upload_id, vendor_id, rows).await {
            Ok(commit) => {
                tx.commit().await?;
                return Ok(commit);
            }
            Err(DbError::Sqlx(error)) if attempt < ATTEMPTS && is_retryable(&error) => {
                drop(tx);
                tracing::warn!(%upload_id, attempt, %error, "batch transaction retried");
                tokio::time::sleep(std::time::Duration::from_millis(20 * u64::from(attempt))).await;
                attempt += 1;
            }
            Err(error) => return Err(error),
        }
    }
}

fn is_retryable(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "40P01" || code == "40001")
}

async fn commit_in(
    tx: &mut Transaction<'_, Postgres>,
    upload_id: &UploadId,
    vendor_id: &VendorId,
    rows: &[JudgedRow],
) -> Result<BatchCommit, DbError> {
    // 1. Claim the rows. A row claimed by an earlier delivery is skipped; a
    //    concurrent duplicate delivery waits here for this one to finish.
    let numbers: Vec<i32> = rows.iter().map(|r| r.checked.row_number as i32).collect();
    let outcomes: Vec<&str> = rows
        .iter()
        .map(|r| {
            if r.checked.is_valid() {
                "valid"
            } else {
                "invalid"
            }
        })
        .collect();
    let claimed: HashSet<i32> = sqlx::query_scalar!(
        r#"INSERT INTO row_outcomes (upload_id, row_number, outcome)
           SELECT $1, n, o FROM UNNEST($2::int4[], $3::text[]) AS t(n, o)
           ON CONFLICT DO NOTHING
           RETURNING row_number"#,
        upload_id.as_str(),
        &numbers,
        &outcomes as &[&str],
    )
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .collect();

    let mine: Vec<&JudgedRow> = rows
        .iter()
        .filter(|r| claimed.contains(&(r.checked.row_number as i32)))
        .collect();
    if mine.is_empty() {
        let counts = counts_of(tx, upload_id).await?;
        return Ok(BatchCommit {
            newly_valid: 0,
            newly_invalid: Vec::new(),
            lost_races: 0,
            counts,
        });
    }

    // 2. Insert the valid products in one statement, in SKU order so that two
    //    uploads racing for the same SKUs lock them in the same order.
    let mut valid: Vec<&JudgedRow> = mine
        .iter()
        .copied()
        .filter(|r| r.checked.is_valid())
        .collect();
    valid.sort_by(|a, b| a.checked.identity.sku.cmp(&b.checked.identity.sku));
    let inserted = insert_products(tx, upload_id, vendor_id, &valid).await?;

    // 3. A valid row that did not insert lost a race with another upload
    //    after the catalog check: it becomes a catalog duplicate.
    let mut lost: Vec<CheckedRow> = valid
        .iter()
        .filter(|r| !inserted.contains(&(r.checked.row_number as i32)))
        .map(|r| r.checked.clone())
        .collect();
    if !lost.is_empty() {
        mark_lost_races(tx, vendor_id, &mut lost).await?;
    }
    let lost_races = lost.len() as u32;
    let lost_by_row: HashMap<u32, CheckedRow> =
        lost.into_iter().map(|r| (r.row_number, r)).collect();

    let mut newly_invalid: Vec<(&JudgedRow, CheckedRow)> = Vec::new();
    for row in &mine {
        if let Some(lost) = lost_by_row.get(&row.checked.row_number) {
            newly_invalid.push((row, lost.clone()));
        } else if !row.checked.is_valid() {
            newly_invalid.push((row, row.checked.clone()));
        }
    }

    // 4. Errors and outcomes of the invalid rows.
    record_errors(tx, upload_id, &newly_invalid).await?;

    // 5. The counts, from which completion is decided.
    let newly_valid = (valid.len() - lost_by_row.len()) as i32;
    let counts = sqlx::query!(
        r#"UPDATE upload_history
              SET valid_records = valid_records + $2,
                  error_records = error_records + $3,
                  validated_at = CASE WHEN valid_records + $2 + error_records + $3 = total_records
                                      THEN now() ELSE validated_at END
            WHERE upload_id = $1
           RETURNING total_records, valid_records, error_records, notified_at IS NOT NULL AS "notified!""#,
        upload_id.as_str(),
        newly_valid,
        newly_invalid.len() as i32,
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(BatchCommit {
        newly_valid: newly_valid as u32,
        newly_invalid: newly_invalid.into_iter().map(|(_, c)| c).collect(),
        lost_races,
        counts: UploadCounts {
            total_records: counts.total_records,
            valid_records: counts.valid_records,
            error_records: counts.error_records,
            notified: counts.notified,
        },
    })
}

pub async fn upload_counts(pool: &PgPool, upload_id: &UploadId) -> Result<UploadCounts, DbError> {
    let mut conn = pool.acquire().await?;
    counts_of(&mut conn, upload_id).await
}

async fn counts_of(
    conn: &mut sqlx::PgConnection,
    upload_id: &UploadId,
) -> Result<UploadCounts, DbError> {
    let row = sqlx::query!(
        r#"SELECT total_records, valid_records, error_records, notified_at IS NOT NULL AS "notified!"
             FROM upload_history WHERE upload_id = $1"#,
        upload_id.as_str()
    )
    .fetch_one(conn)
    .await?;
    Ok(UploadCounts {
        total_records: row.total_records,
        valid_records: row.valid_records,
        error_records: row.error_records,
        notified: row.notified,
    })
}

async fn insert_products(
    tx: &mut Transaction<'_, Postgres>,
    upload_id: &UploadId,
    vendor_id: &VendorId,
    rows: &[&JudgedRow],
) -> Result<HashSet<i32>, DbError> {
    if rows.is_empty() {
        return Ok(HashSet::new());
    }
    let products: Vec<&onboarding_core::Product> = rows
        .iter()
        .filter_map(|r| match &r.checked.outcome {
            RowOutcome::Valid(product) => Some(product.as_ref()),
            RowOutcome::Invalid(_) => None,
        })
        .collect();
    let text = |f: fn(&onboarding_core::Product) -> &String| -> Vec<String> {
        products.iter().map(|p| f(p).clone()).collect()
    };
    let optional = |f: fn(&onboarding_core::Product) -> &Option<String>| -> Vec<Option<String>> {
        products.iter().map(|p| f(p).clone()).collect()
    };
    let row_numbers: Vec<i32> = products.iter().map(|p| p.row_number as i32).collect();
    let prices: Vec<Decimal> = products.iter().map(|p| p.price).collect();
    let compare_at: Vec<Option<Decimal>> = products.iter().map(|p| p.compare_at_price).collect();
    let stock: Vec<i32> = products.iter().map(|p| p.stock_quantity).collect();
    let weights: Vec<Option<Decimal>> = products.iter().map(|p| p.weight_kg).collect();
    let inserted = sqlx::query_scalar!(
        r#"INSERT INTO products
               (vendor_id, upload_id, source_row_number, vendor_product_id, product_name, category,
                subcategory, description, sku, brand, price, compare_at_price, stock_quantity,
                unit, weight_kg, dimensions_cm, image_url)
           SELECT $1, $2, t.* FROM UNNEST(
               $3::int4[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
               $10::text[], $11::numeric[], $12::numeric[], $13::int4[], $14::text[],
               $15::numeric[], $16::text[], $17::text[]) AS t
           ON CONFLICT DO NOTHING
           RETURNING source_row_number"#,
        vendor_id.as_str(),
        upload_id.as_str(),
        &row_numbers,
        &text(|p| &p.vendor_product_id),
        &text(|p| &p.product_name),
        &text(|p| &p.category),
        &optional(|p| &p.subcategory) as &[Option<String>],
        &optional(|p| &p.description) as &[Option<String>],
        &text(|p| &p.sku),
        &optional(|p| &p.brand) as &[Option<String>],
        &prices,
        &compare_at as &[Option<Decimal>],
        &stock,
        &optional(|p| &p.unit) as &[Option<String>],
        &weights as &[Option<Decimal>],
        &optional(|p| &p.dimensions_cm) as &[Option<String>],
        &optional(|p| &p.image_url) as &[Option<String>],
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(inserted.into_iter().collect())
}

async fn mark_lost_races(
    tx: &mut Transaction<'_, Postgres>,
    vendor_id: &VendorId,
    lost: &mut [CheckedRow],
) -> Result<(), DbError> {
    let skus: Vec<String> = lost.iter().map(|r| r.identity.sku.clone()).collect();
    let ids: Vec<String> = lost
        .iter()
        .map(|r| r.identity.vendor_product_id.clone())
        .collect();
    let existing = sqlx::query!(
        r#"SELECT sku, vendor_id, vendor_product_id FROM products
            WHERE sku = ANY($1) OR (vendor_id = $2 AND vendor_product_id = ANY($3))"#,
        &skus,
        vendor_id.as_str(),
        &ids,
    )
    .fetch_all(&mut **tx)
    .await?;
    let mut matches = CatalogMatches::default();
    for product in existing {
        matches.skus.insert(product.sku);
        if product.vendor_id == vendor_id.as_str() {
            matches.vendor_product_ids.insert(product.vendor_product_id);
        }
    }
    apply_catalog_matches(lost, &matches);
    for row in lost.iter_mut() {
        // The insert was refused, so something holds this row's keys even if
        // it has changed again since: never count the row as valid.
        if row.is_valid() {
            row.outcome = RowOutcome::Invalid(vec![RowError::new(
                ErrorType::DuplicateSku,
                Some("sku"),
                format!(
                    "Duplicate SKU: {} already exists in the catalog.",
                    row.identity.sku
                ),
            )]);
        }
    }
    Ok(())
}

async fn record_errors(
    tx: &mut Transaction<'_, Postgres>,
    upload_id: &UploadId,
    rows: &[(&JudgedRow, CheckedRow)],
) -> Result<(), DbError> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut row_numbers = Vec::new();
    let mut indexes: Vec<i16> = Vec::new();
    let mut types = Vec::new();
    let mut fields: Vec<Option<String>> = Vec::new();
    let mut messages = Vec::new();
    let mut product_ids = Vec::new();
    let mut skus = Vec::new();
    let mut names = Vec::new();
    let mut prices = Vec::new();
    let mut stock = Vec::new();
    let mut originals = Vec::new();
    for (judged, checked) in rows {
        let original = judged.original_data.to_string();
        for (index, error) in checked.errors().iter().enumerate() {
            row_numbers.push(checked.row_number as i32);
            indexes.push(index as i16);
            types.push(error.error_type.as_str().to_string());
            fields.push(error.field.clone());
            messages.push(error.message.clone());
            product_ids.push(checked.identity.vendor_product_id.clone());
            skus.push(checked.identity.sku.clone());
            names.push(checked.identity.product_name.clone());
            prices.push(checked.identity.price.clone());
            stock.push(checked.identity.stock_quantity.clone());
            originals.push(original.clone());
        }
    }
    sqlx::query!(
        r#"INSERT INTO validation_errors
               (upload_id, row_number, error_index, error_type, field, error_message,
                vendor_product_id, sku, product_name, price, stock_quantity, original_data)
           SELECT $1, n, i, t, f, m, v, s, p, pr, q, o::jsonb FROM UNNEST(
               $2::int4[], $3::int2[], $4::text[], $5::text[], $6::text[], $7::text[],
               $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
               AS u(n, i, t, f, m, v, s, p, pr, q, o)
           ON CONFLICT DO NOTHING"#,
        upload_id.as_str(),
        &row_numbers,
        &indexes,
        &types,
        &fields as &[Option<String>],
        &messages,
        &product_ids,
        &skus,
        &names,
        &prices,
        &stock,
        &originals,
    )
    .execute(&mut **tx)
    .await?;

    let invalid_rows: Vec<i32> = rows.iter().map(|(_, c)| c.row_number as i32).collect();
    let cells: Vec<String> = rows
        .iter()
        .map(|(judged, _)| serde_json::to_string(&judged.source_fields).unwrap_or_default())
        .collect();
    sqlx::query!(
        r#"UPDATE row_outcomes AS r
              SET outcome = 'invalid',
                  source_fields = ARRAY(SELECT jsonb_array_elements_text(u.cells::jsonb))
             FROM UNNEST($2::int4[], $3::text[]) AS u(n, cells)
            WHERE r.upload_id = $1 AND r.row_number = u.n"#,
        upload_id.as_str(),
        &invalid_rows,
        &cells,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

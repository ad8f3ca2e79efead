//! Committing a judged batch: products, errors, outcomes and counts in one
//! transaction, exactly once per row however often the batch is delivered.

use std::collections::{HashMap, HashSet};

use onboarding_core::{
    CatalogChanges, CatalogMatches, CheckedRow, ErrorType, RowChange, RowError, RowOutcome,
    UploadId, UploadMode, VendorId, apply_catalog_matches_in,
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
    /// What the rows decided now did to the catalog.
    pub changes: CatalogChanges,
    pub counts: UploadCounts,
}

/// Retries on deadlock and serialization failure: two uploads inserting the
/// same SKUs may deadlock, and one of them must simply go again.
const ATTEMPTS: u32 = 5;

pub async fn commit_batch(
    pool: &PgPool,
    upload_id: &UploadId,
    vendor_id: &VendorId,
    mode: UploadMode,
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
        match commit_in(&mut tx, upload_id, vendor_id, mode, rows).await {
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
    mode: UploadMode,
    rows: &[JudgedRow],
) -> Result<BatchCommit, DbError> {
    // 1. Claim the rows. A row claimed by an earlier delivery is skipped; a
    //    concurrent duplicate delivery waits here for this one to finish.
    let numbers: Vec<i32> = rows.iter().map(|r| r.checked.row_number as i32).collect();
    let outcomes: Vec<&str> = rows.iter().map(|r| r.checked.outcome.as_str()).collect();
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
            changes: CatalogChanges::default(),
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
    let changed: HashMap<i32, RowChange> = match mode {
        UploadMode::Create => insert_products(tx, upload_id, vendor_id, &valid)
            .await?
            .into_iter()
            .map(|row| (row, RowChange::Created))
            .collect(),
        UploadMode::Upsert => upsert_products(tx, upload_id, vendor_id, &valid).await?,
    };
    record_changes(tx, upload_id, &changed).await?;
    let mut changes = CatalogChanges::default();
    for change in changed.values() {
        match change {
            RowChange::Created => changes.created += 1,
            RowChange::Updated => changes.updated += 1,
            RowChange::Unchanged => changes.unchanged += 1,
        }
    }

    // 3. A valid row that did not insert (or, in an upsert, update or find
    //    its own identical product) lost a race with another upload after the
    //    catalog check: it becomes a catalog duplicate.
    let mut lost: Vec<CheckedRow> = valid
        .iter()
        .filter(|r| !changed.contains_key(&(r.checked.row_number as i32)))
        .map(|r| r.checked.clone())
        .collect();
    if !lost.is_empty() {
        mark_lost_races(tx, vendor_id, mode, &mut lost).await?;
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
                  created_records = created_records + $4,
                  updated_records = updated_records + $5,
                  unchanged_records = unchanged_records + $6,
                  validated_at = CASE WHEN valid_records + $2 + error_records + $3 = total_records
                                      THEN now() ELSE validated_at END
            WHERE upload_id = $1
           RETURNING total_records, valid_records, error_records, notified_at IS NOT NULL AS "notified!""#,
        upload_id.as_str(),
        newly_valid,
        newly_invalid.len() as i32,
        changes.created as i32,
        changes.updated as i32,
        changes.unchanged as i32,
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(BatchCommit {
        newly_valid: newly_valid as u32,
        newly_invalid: newly_invalid.into_iter().map(|(_, c)| c).collect(),
        lost_races,
        changes,
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

/// The valid rows' products as one array per column, for UNNEST.
struct ProductColumns {
    row_numbers: Vec<i32>,
    vendor_product_ids: Vec<String>,
    names: Vec<String>,
    categories: Vec<String>,
    subcategories: Vec<Option<String>>,
    descriptions: Vec<Option<String>>,
    skus: Vec<String>,
    brands: Vec<Option<String>>,
    prices: Vec<Decimal>,
    compare_at: Vec<Option<Decimal>>,
    stock: Vec<i32>,
    units: Vec<Option<String>>,
    weights: Vec<Option<Decimal>>,
    dimensions: Vec<Option<String>>,
    image_urls: Vec<Option<String>>,
}

impl ProductColumns {
    fn of(rows: &[&JudgedRow]) -> ProductColumns {
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
        let optional =
            |f: fn(&onboarding_core::Product) -> &Option<String>| -> Vec<Option<String>> {
                products.iter().map(|p| f(p).clone()).collect()
            };
        ProductColumns {
            row_numbers: products.iter().map(|p| p.row_number as i32).collect(),
            vendor_product_ids: text(|p| &p.vendor_product_id),
            names: text(|p| &p.product_name),
            categories: text(|p| &p.category),
            subcategories: optional(|p| &p.subcategory),
            descriptions: optional(|p| &p.description),
            skus: text(|p| &p.sku),
            brands: optional(|p| &p.brand),
            prices: products.iter().map(|p| p.price).collect(),
            compare_at: products.iter().map(|p| p.compare_at_price).collect(),
            stock: products.iter().map(|p| p.stock_quantity).collect(),
            units: optional(|p| &p.unit),
            weights: products.iter().map(|p| p.weight_kg).collect(),
            dimensions: optional(|p| &p.dimensions_cm),
            image_urls: optional(|p| &p.image_url),
        }
    }
}

/// The one INSERT of a batch's products from [`ProductColumns`], followed by
/// `$on_conflict` (with its RETURNING): create and upsert differ only there.
macro_rules! insert_products_query {
    ($on_conflict:tt, $vendor_id:expr, $upload_id:expr, $c:expr) => {
        sqlx::query!(
            r#"INSERT INTO products AS p
                   (vendor_id, upload_id, source_row_number, vendor_product_id, product_name,
                    category, subcategory, description, sku, brand, price, compare_at_price,
                    stock_quantity, unit, weight_kg, dimensions_cm, image_url)
               SELECT $1, $2, t.* FROM UNNEST(
                   $3::int4[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                   $9::text[], $10::text[], $11::numeric[], $12::numeric[], $13::int4[],
                   $14::text[], $15::numeric[], $16::text[], $17::text[]) AS t "#
                + $on_conflict,
            $vendor_id.as_str(),
            $upload_id.as_str(),
            &$c.row_numbers,
            &$c.vendor_product_ids,
            &$c.names,
            &$c.categories,
            &$c.subcategories as &[Option<String>],
            &$c.descriptions as &[Option<String>],
            &$c.skus,
            &$c.brands as &[Option<String>],
            &$c.prices,
            &$c.compare_at as &[Option<Decimal>],
            &$c.stock,
            &$c.units as &[Option<String>],
            &$c.weights as &[Option<Decimal>],
            &$c.dimensions as &[Option<String>],
            &$c.image_urls as &[Option<String>],
        )
    };
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
    let c = ProductColumns::of(rows);
    let inserted = insert_products_query!(
        "ON CONFLICT DO NOTHING RETURNING source_row_number",
        vendor_id,
        upload_id,
        c
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(inserted
        .into_iter()
        .map(|row| row.source_row_number)
        .collect())
}

/// An upsert's products in one statement: a new SKU is inserted; the
/// vendor's own product with the same SKU and vendor product id is updated
/// when anything differs. The database decides who wins a race: the
/// conflicting row is locked, and the update's WHERE refuses another
/// vendor's product however recently it was created, so an update and
/// another vendor's create of one SKU cannot both succeed. Rows that neither
/// insert nor update are looked at again under that lock: the vendor's own
/// identical product is `Unchanged`; anything else is not in the map (a lost
/// race).
async fn upsert_products(
    tx: &mut Transaction<'_, Postgres>,
    upload_id: &UploadId,
    vendor_id: &VendorId,
    rows: &[&JudgedRow],
) -> Result<HashMap<i32, RowChange>, DbError> {
    let mut changes = HashMap::new();
    if rows.is_empty() {
        return Ok(changes);
    }
    let c = ProductColumns::of(rows);
    let written = insert_products_query!(
        r#"ON CONFLICT (sku) DO UPDATE
              SET product_name = EXCLUDED.product_name, category = EXCLUDED.category,
                  subcategory = EXCLUDED.subcategory, description = EXCLUDED.description,
                  brand = EXCLUDED.brand, price = EXCLUDED.price,
                  compare_at_price = EXCLUDED.compare_at_price,
                  stock_quantity = EXCLUDED.stock_quantity, unit = EXCLUDED.unit,
                  weight_kg = EXCLUDED.weight_kg, dimensions_cm = EXCLUDED.dimensions_cm,
                  image_url = EXCLUDED.image_url, upload_id = EXCLUDED.upload_id,
                  source_row_number = EXCLUDED.source_row_number, updated_at = now()
            WHERE p.vendor_id = EXCLUDED.vendor_id
              AND p.vendor_product_id = EXCLUDED.vendor_product_id
              AND (p.product_name, p.category, p.subcategory, p.description, p.brand, p.price,
                   p.compare_at_price, p.stock_quantity, p.unit, p.weight_kg, p.dimensions_cm,
                   p.image_url)
                  IS DISTINCT FROM
                  (EXCLUDED.product_name, EXCLUDED.category, EXCLUDED.subcategory,
                   EXCLUDED.description, EXCLUDED.brand, EXCLUDED.price,
                   EXCLUDED.compare_at_price, EXCLUDED.stock_quantity, EXCLUDED.unit,
                   EXCLUDED.weight_kg, EXCLUDED.dimensions_cm, EXCLUDED.image_url)
           RETURNING source_row_number, xmax = 0 AS "created!""#,
        vendor_id,
        upload_id,
        c
    )
    .fetch_all(&mut **tx)
    .await?;
    for row in written {
        // xmax is 0 only on a freshly inserted row version.
        let change = if row.created {
            RowChange::Created
        } else {
            RowChange::Updated
        };
        changes.insert(row.source_row_number, change);
    }

    // The rest conflicted on a SKU whose row this statement has locked: the
    // vendor's own product with the same id can only have been identical.
    let rest: Vec<usize> = (0..c.row_numbers.len())
        .filter(|&i| !changes.contains_key(&c.row_numbers[i]))
        .collect();
    if rest.is_empty() {
        return Ok(changes);
    }
    let skus: Vec<String> = rest.iter().map(|&i| c.skus[i].clone()).collect();
    let own: HashMap<String, String> = sqlx::query!(
        "SELECT sku, vendor_product_id FROM products WHERE sku = ANY($1) AND vendor_id = $2",
        &skus,
        vendor_id.as_str(),
    )
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .map(|row| (row.sku, row.vendor_product_id))
    .collect();
    for i in rest {
        if own.get(&c.skus[i]) == Some(&c.vendor_product_ids[i]) {
            changes.insert(c.row_numbers[i], RowChange::Unchanged);
        }
    }
    Ok(changes)
}

/// What each valid row did, beside its claim in `row_outcomes`.
async fn record_changes(
    tx: &mut Transaction<'_, Postgres>,
    upload_id: &UploadId,
    changes: &HashMap<i32, RowChange>,
) -> Result<(), DbError> {
    if changes.is_empty() {
        return Ok(());
    }
    let (rows, words): (Vec<i32>, Vec<&str>) = changes
        .iter()
        .map(|(row, change)| (*row, change.as_str()))
        .unzip();
    sqlx::query!(
        r#"UPDATE row_outcomes AS r SET change = u.change
             FROM UNNEST($2::int4[], $3::text[]) AS u(n, change)
            WHERE r.upload_id = $1 AND r.row_number = u.n"#,
        upload_id.as_str(),
        &rows,
        &words as &[&str],
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn mark_lost_races(
    tx: &mut Transaction<'_, Postgres>,
    vendor_id: &VendorId,
    mode: UploadMode,
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
        if product.vendor_id == vendor_id.as_str() {
            matches
                .own_skus
                .insert(product.sku.clone(), product.vendor_product_id.clone());
            matches.vendor_product_ids.insert(product.vendor_product_id);
        }
        matches.skus.insert(product.sku);
    }
    apply_catalog_matches_in(mode, lost, &matches);
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
              SET outcome = $4,
                  source_fields = ARRAY(SELECT jsonb_array_elements_text(u.cells::jsonb))
             FROM UNNEST($2::int4[], $3::text[]) AS u(n, cells)
            WHERE r.upload_id = $1 AND r.row_number = u.n"#,
        upload_id.as_str(),
        &invalid_rows,
        &cells,
        RowOutcome::INVALID,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

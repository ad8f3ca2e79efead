//! What the vendor portal reads: one vendor's uploads, errors, products and
//! metrics. Every query takes the vendor id and filters by it, so a vendor
//! can never read another vendor's rows, whatever id it asks for.
//!
//! Lists are keyset-paginated: the caller passes the last row's key back,
//! which stays correct while new rows arrive.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;

use onboarding_core::{UploadId, UploadStatus, VendorId, VendorStatus};

use crate::uploads::{Upload, Vendor, VendorRow, select_upload, upload_of, uploads_of};
use crate::{DbError, column};

/// Registers a self-signed-up vendor, `pending_approval` until an operator
/// approves it. `false`: the id is taken.
pub async fn register_pending_vendor(
    pool: &PgPool,
    vendor_id: &VendorId,
    vendor_name: &str,
    email: &str,
) -> Result<bool, DbError> {
    let inserted = sqlx::query_scalar!(
        r#"INSERT INTO vendors (vendor_id, vendor_name, email, status)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (vendor_id) DO NOTHING
           RETURNING vendor_id"#,
        vendor_id.as_str(),
        vendor_name,
        email,
        VendorStatus::PendingApproval.as_str()
    )
    .fetch_optional(pool)
    .await?;
    Ok(inserted.is_some())
}

/// A vendor's profile with its creation time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VendorProfile {
    pub vendor: Vendor,
    pub created_at: DateTime<Utc>,
}

pub async fn vendor_profile(
    pool: &PgPool,
    vendor_id: &VendorId,
) -> Result<Option<VendorProfile>, DbError> {
    let row = sqlx::query!(
        "SELECT vendor_id, vendor_name, email, status, subscription_arn, created_at
           FROM vendors WHERE vendor_id = $1",
        vendor_id.as_str()
    )
    .fetch_optional(pool)
    .await?;
    row.map(|row| {
        Ok(VendorProfile {
            vendor: Vendor::try_from(VendorRow {
                vendor_id: row.vendor_id,
                vendor_name: row.vendor_name,
                email: row.email,
                status: row.status,
                subscription_arn: row.subscription_arn,
            })?,
            created_at: row.created_at,
        })
    })
    .transpose()
}

/// The position after which a page of uploads starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadPosition {
    pub uploaded_at: DateTime<Utc>,
    pub upload_id: UploadId,
}

#[derive(Clone, Debug, Default)]
pub struct UploadFilter {
    pub status: Option<UploadStatus>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub after: Option<UploadPosition>,
    pub limit: i64,
}

/// One vendor's uploads, newest first.
pub async fn vendor_uploads(
    pool: &PgPool,
    vendor_id: &VendorId,
    filter: &UploadFilter,
) -> Result<Vec<Upload>, DbError> {
    let (after_time, after_id) = match &filter.after {
        Some(key) => (Some(key.uploaded_at), Some(key.upload_id.as_str())),
        None => (None, None),
    };
    uploads_of(
        select_upload!(
            "WHERE vendor_id = $1
           AND ($2::text IS NULL OR status = $2)
           AND ($3::timestamptz IS NULL OR upload_timestamp >= $3)
           AND ($4::timestamptz IS NULL OR upload_timestamp < $4)
           AND ($5::timestamptz IS NULL OR (upload_timestamp, upload_id) < ($5, $6::text))
         ORDER BY upload_timestamp DESC, upload_id DESC
         LIMIT $7",
            vendor_id.as_str(),
            filter.status.map(UploadStatus::as_str),
            filter.from,
            filter.until,
            after_time,
            after_id,
            filter.limit
        )
        .fetch_all(pool)
        .await?,
    )
}

/// One upload, only if it is the vendor's.
pub async fn vendor_upload(
    pool: &PgPool,
    vendor_id: &VendorId,
    upload_id: &UploadId,
) -> Result<Option<Upload>, DbError> {
    upload_of(
        select_upload!(
            "WHERE vendor_id = $1 AND upload_id = $2",
            vendor_id.as_str(),
            upload_id.as_str()
        )
        .fetch_optional(pool)
        .await?,
    )
}

/// How many errors of each type an upload has, most frequent first.
pub async fn errors_by_type(
    pool: &PgPool,
    upload_id: &UploadId,
) -> Result<Vec<(String, i64)>, DbError> {
    let rows = sqlx::query!(
        r#"SELECT error_type, count(*) AS "count!"
             FROM validation_errors WHERE upload_id = $1
            GROUP BY error_type ORDER BY count(*) DESC, error_type"#,
        upload_id.as_str()
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.error_type, r.count)).collect())
}

/// One recorded error, as the portal lists it (and the API serves it).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ListedRowError {
    pub row_number: i32,
    /// The pagination cursor's position: not shown.
    #[serde(skip)]
    pub error_index: i16,
    pub error_type: String,
    pub field: Option<String>,
    pub message: String,
    pub vendor_product_id: Option<String>,
    pub sku: Option<String>,
    pub product_name: Option<String>,
    pub price: Option<String>,
    pub stock_quantity: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct ErrorFilter {
    pub error_type: Option<String>,
    /// `(row_number, error_index)` of the last error of the previous page.
    pub after: Option<(i32, i16)>,
    pub limit: i64,
}

/// One page of an upload's errors, in report order (row, then rule).
pub async fn upload_errors(
    pool: &PgPool,
    upload_id: &UploadId,
    filter: &ErrorFilter,
) -> Result<Vec<ListedRowError>, DbError> {
    let (after_row, after_index) = match filter.after {
        Some((row, index)) => (Some(row), Some(index)),
        None => (None, None),
    };
    Ok(sqlx::query_as!(
        ListedRowError,
        r#"SELECT row_number, error_index, error_type, field, error_message AS message,
                  vendor_product_id, sku, product_name, price, stock_quantity
             FROM validation_errors
            WHERE upload_id = $1
              AND ($2::text IS NULL OR error_type = $2)
              AND ($3::int IS NULL OR (row_number, error_index) > ($3, $4::smallint))
            ORDER BY row_number, error_index
            LIMIT $5"#,
        upload_id.as_str(),
        filter.error_type,
        after_row,
        after_index,
        filter.limit
    )
    .fetch_all(pool)
    .await?)
}

/// How many errors match the filter (ignoring the page).
pub async fn count_upload_errors(
    pool: &PgPool,
    upload_id: &UploadId,
    error_type: Option<&str>,
) -> Result<i64, DbError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM validation_errors
            WHERE upload_id = $1 AND ($2::text IS NULL OR error_type = $2)"#,
        upload_id.as_str(),
        error_type
    )
    .fetch_one(pool)
    .await?)
}

/// A catalog row, as the portal lists it (and the API serves it).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ProductSummary {
    /// The pagination cursor's position: not shown.
    #[serde(skip)]
    pub product_id: i64,
    pub vendor_product_id: String,
    pub sku: String,
    pub product_name: String,
    pub category: String,
    pub subcategory: Option<String>,
    pub brand: Option<String>,
    pub price: Decimal,
    pub stock_quantity: i32,
    pub status: String,
    pub upload_id: UploadId,
    pub created_at: DateTime<Utc>,
}

/// A `products` row as the database has it.
struct ProductRow {
    product_id: i64,
    vendor_product_id: String,
    sku: String,
    product_name: String,
    category: String,
    subcategory: Option<String>,
    brand: Option<String>,
    price: Decimal,
    stock_quantity: i32,
    status: String,
    upload_id: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<ProductRow> for ProductSummary {
    type Error = DbError;

    fn try_from(row: ProductRow) -> Result<ProductSummary, DbError> {
        Ok(ProductSummary {
            upload_id: column("products.upload_id", &row.upload_id)?,
            product_id: row.product_id,
            vendor_product_id: row.vendor_product_id,
            sku: row.sku,
            product_name: row.product_name,
            category: row.category,
            subcategory: row.subcategory,
            brand: row.brand,
            price: row.price,
            stock_quantity: row.stock_quantity,
            status: row.status,
            created_at: row.created_at,
        })
    }
}

#[derive(Clone, Debug, Default)]
pub struct ProductFilter {
    /// Matched case-insensitively anywhere in the name or the SKU.
    pub search: Option<String>,
    /// Matched case-insensitively.
    pub category: Option<String>,
    /// The `product_id` of the last product of the previous page.
    pub after: Option<i64>,
    pub limit: i64,
}

/// One vendor's products, newest first.
pub async fn vendor_products(
    pool: &PgPool,
    vendor_id: &VendorId,
    filter: &ProductFilter,
) -> Result<Vec<ProductSummary>, DbError> {
    let pattern = filter.search.as_deref().map(like_pattern);
    sqlx::query_as!(
        ProductRow,
        r#"SELECT product_id, vendor_product_id, sku, product_name, category, subcategory, brand,
                  price, stock_quantity, status, upload_id, created_at
             FROM products
            WHERE vendor_id = $1
              AND ($2::text IS NULL OR product_name ILIKE $2 OR sku ILIKE $2)
              AND ($3::text IS NULL OR lower(category) = lower($3))
              AND ($4::bigint IS NULL OR product_id < $4)
            ORDER BY product_id DESC
            LIMIT $5"#,
        vendor_id.as_str(),
        pattern,
        filter.category,
        filter.after,
        filter.limit
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(ProductSummary::try_from)
    .collect()
}

/// `%text%`, with LIKE's wildcards in `text` taken literally.
pub(crate) fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The dashboard's figures for one vendor since a moment.
#[derive(Clone, Debug, PartialEq)]
pub struct VendorMetrics {
    pub uploads_by_status: Vec<(UploadStatus, i64)>,
    pub rows_processed: i64,
    pub valid_rows: i64,
    pub error_rows: i64,
    /// From S3 receipt to the email (or to completion, for an upload nobody
    /// could be told about), over finished uploads.
    pub processing_ms_median: Option<f64>,
    pub processing_ms_p95: Option<f64>,
    pub errors_by_type: Vec<(String, i64)>,
    pub daily: Vec<DailyFigures>,
    pub recent_failures: Vec<Upload>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DailyFigures {
    pub date: NaiveDate,
    pub uploads: i64,
    pub rows: i64,
    pub valid_rows: i64,
}

pub async fn vendor_metrics(
    pool: &PgPool,
    vendor_id: &VendorId,
    since: DateTime<Utc>,
) -> Result<VendorMetrics, DbError> {
    let by_status = sqlx::query!(
        r#"SELECT status, count(*) AS "count!" FROM upload_history
            WHERE vendor_id = $1 AND upload_timestamp >= $2
            GROUP BY status ORDER BY status"#,
        vendor_id.as_str(),
        since
    )
    .fetch_all(pool)
    .await?;
    let totals = sqlx::query!(
        r#"SELECT coalesce(sum(valid_records + error_records), 0)::bigint AS "rows!",
                  coalesce(sum(valid_records), 0)::bigint AS "valid!",
                  coalesce(sum(error_records), 0)::bigint AS "errors!",
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY
                      extract(epoch FROM coalesce(notified_at, completed_at) - upload_timestamp) * 1000)
                      FILTER (WHERE coalesce(notified_at, completed_at) IS NOT NULL) AS median_ms,
                  percentile_cont(0.95) WITHIN GROUP (ORDER BY
                      extract(epoch FROM coalesce(notified_at, completed_at) - upload_timestamp) * 1000)
                      FILTER (WHERE coalesce(notified_at, completed_at) IS NOT NULL) AS p95_ms
             FROM upload_history
            WHERE vendor_id = $1 AND upload_timestamp >= $2"#,
        vendor_id.as_str(),
        since
    )
    .fetch_one(pool)
    .await?;
    let errors = sqlx::query!(
        r#"SELECT e.error_type, count(*) AS "count!"
             FROM validation_errors e JOIN upload_history u USING (upload_id)
            WHERE u.vendor_id = $1 AND u.upload_timestamp >= $2
            GROUP BY e.error_type ORDER BY count(*) DESC, e.error_type"#,
        vendor_id.as_str(),
        since
    )
    .fetch_all(pool)
    .await?;
    let daily = sqlx::query_as!(
        DailyFigures,
        r#"SELECT (upload_timestamp AT TIME ZONE 'UTC')::date AS "date!",
                  count(*) AS "uploads!",
                  coalesce(sum(valid_records + error_records), 0)::bigint AS "rows!",
                  coalesce(sum(valid_records), 0)::bigint AS "valid_rows!"
             FROM upload_history
            WHERE vendor_id = $1 AND upload_timestamp >= $2
            GROUP BY 1 ORDER BY 1"#,
        vendor_id.as_str(),
        since
    )
    .fetch_all(pool)
    .await?;
    let recent_failures = uploads_of(
        select_upload!(
            "WHERE vendor_id = $1 AND upload_timestamp >= $2 AND status = $3
             ORDER BY upload_timestamp DESC, upload_id DESC LIMIT 5",
            vendor_id.as_str(),
            since,
            UploadStatus::Failed.as_str()
        )
        .fetch_all(pool)
        .await?,
    )?;
    let uploads_by_status = by_status
        .into_iter()
        .map(|row| Ok((column("upload_history.status", &row.status)?, row.count)))
        .collect::<Result<_, DbError>>()?;
    Ok(VendorMetrics {
        uploads_by_status,
        rows_processed: totals.rows,
        valid_rows: totals.valid,
        error_rows: totals.errors,
        processing_ms_median: totals.median_ms,
        processing_ms_p95: totals.p95_ms,
        errors_by_type: errors
            .into_iter()
            .map(|r| (r.error_type, r.count))
            .collect(),
        daily,
        recent_failures,
    })
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn like_wildcards_in_a_search_are_literal() {
        assert_eq!(like_pattern("mouse"), "%mouse%");
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}

/// One update of a product by an upsert: what its price and stock were, and
/// what they became (`product_history`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductChange {
    pub upload_id: UploadId,
    pub previous_price: Decimal,
    pub price: Decimal,
    pub previous_stock_quantity: i32,
    pub stock_quantity: i32,
    pub changed_at: DateTime<Utc>,
}

/// The updates of the vendor's product with this SKU, newest first, at most
/// `limit`; `None` when the vendor has no such product (another vendor's SKU
/// included, so a vendor cannot learn about another's products).
pub async fn product_history(
    pool: &PgPool,
    vendor_id: &VendorId,
    sku: &str,
    limit: i64,
) -> Result<Option<Vec<ProductChange>>, DbError> {
    let product_id = sqlx::query_scalar!(
        "SELECT product_id FROM products WHERE vendor_id = $1 AND sku = $2",
        vendor_id.as_str(),
        sku
    )
    .fetch_optional(pool)
    .await?;
    let Some(product_id) = product_id else {
        return Ok(None);
    };
    let rows = sqlx::query!(
        r#"SELECT upload_id, previous_price, price, previous_stock_quantity, stock_quantity,
                  changed_at
             FROM product_history
            WHERE product_id = $1
            ORDER BY history_id DESC
            LIMIT $2"#,
        product_id,
        limit
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(ProductChange {
                upload_id: column("product_history.upload_id", &row.upload_id)?,
                previous_price: row.previous_price,
                price: row.price,
                previous_stock_quantity: row.previous_stock_quantity,
                stock_quantity: row.stock_quantity,
                changed_at: row.changed_at,
            })
        })
        .collect::<Result<Vec<_>, DbError>>()
        .map(Some)
}

//! The error report and the fix file, read back from the database, which is
//! the source of truth whatever order the error messages arrived in.

use onboarding_core::{ErrorType, FixRow, ReportLine, RowOutcome, UploadId};
use sqlx::PgPool;

use crate::DbError;

/// Every error of the upload, in report order.
pub async fn report_lines(pool: &PgPool, upload_id: &UploadId) -> Result<Vec<ReportLine>, DbError> {
    let rows = sqlx::query!(
        r#"SELECT row_number, vendor_product_id, sku, product_name, error_type, error_message,
                  price, stock_quantity
             FROM validation_errors WHERE upload_id = $1
            ORDER BY row_number, error_index"#,
        upload_id.as_str()
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|row| {
            let error_type: ErrorType = row
                .error_type
                .parse()
                .map_err(|_| DbError::Seed(format!("unknown error type {}", row.error_type)))?;
            Ok(ReportLine {
                row_number: row.row_number as u32,
                vendor_product_id: row.vendor_product_id.unwrap_or_default(),
                sku: row.sku.unwrap_or_default(),
                product_name: row.product_name.unwrap_or_default(),
                error_type,
                error_message: row.error_message,
                price: row.price.unwrap_or_default(),
                stock_quantity: row.stock_quantity.unwrap_or_default(),
            })
        })
        .collect()
}

/// The failed rows as the vendor wrote them, with their error messages.
pub async fn fix_rows(pool: &PgPool, upload_id: &UploadId) -> Result<Vec<FixRow>, DbError> {
    let rows = sqlx::query!(
        r#"SELECT r.row_number, r.source_fields AS "source_fields!",
                  array_agg(e.error_message ORDER BY e.error_index) AS "messages!"
             FROM row_outcomes r
             JOIN validation_errors e USING (upload_id, row_number)
            WHERE r.upload_id = $1 AND r.outcome = $2 AND r.source_fields IS NOT NULL
            GROUP BY r.row_number, r.source_fields
            ORDER BY r.row_number"#,
        upload_id.as_str(),
        RowOutcome::INVALID
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| FixRow {
            row_number: row.row_number as u32,
            fields: row.source_fields,
            messages: row.messages,
        })
        .collect())
}

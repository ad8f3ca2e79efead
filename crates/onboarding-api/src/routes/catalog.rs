//! The vendor's catalog and the dashboard's metrics.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use onboarding_core::{UploadId, UploadStatus};
use onboarding_db::portal::{self, ProductFilter, ProductSummary};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::VendorSession;
use crate::input::{self, DayEnd, Path, Query, decode_cursor, encode_cursor};
use crate::problem::{ApiError, ApiResult};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductQuery {
    q: Option<String>,
    category: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

#[derive(Serialize)]
pub struct ProductPage {
    items: Vec<ProductSummary>,
    next_cursor: Option<String>,
}

pub async fn products(
    State(state): State<Arc<AppState>>,
    session: VendorSession,
    Query(query): Query<ProductQuery>,
) -> ApiResult<Json<ProductPage>> {
    let search = query
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(|q| input::text("q", q, 200))
        .transpose()?;
    let category = query
        .category
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| input::text("category", c, 100))
        .transpose()?;
    let limit = input::limit(query.limit, 20, 100)?;
    let after: Option<i64> = decode_cursor(query.cursor.as_deref())?;
    let pool = state.data()?.database.pool().await?;
    let mut products = portal::vendor_products(
        pool,
        &session.vendor_id,
        &ProductFilter {
            search,
            category,
            after,
            limit: limit + 1,
        },
    )
    .await?;
    let next_cursor = if products.len() as i64 > limit {
        products.truncate(limit as usize);
        products.last().map(|p| encode_cursor(&p.product_id))
    } else {
        None
    };
    Ok(Json(ProductPage {
        items: products,
        next_cursor,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    limit: Option<i64>,
}

#[derive(Serialize)]
pub struct PriceChange {
    upload_id: UploadId,
    previous_price: String,
    price: String,
    previous_stock_quantity: i32,
    stock_quantity: i32,
    changed_at: DateTime<Utc>,
}

#[derive(Serialize)]
pub struct ProductHistory {
    sku: String,
    items: Vec<PriceChange>,
}

/// What upserts changed on one of the vendor's products, newest first.
pub async fn product_history(
    State(state): State<Arc<AppState>>,
    session: VendorSession,
    Path(sku): Path<String>,
    Query(query): Query<HistoryQuery>,
) -> ApiResult<Json<ProductHistory>> {
    let sku = input::text("sku", &sku, 100)?;
    let limit = input::limit(query.limit, 50, 200)?;
    let pool = state.data()?.database.pool().await?;
    let changes = portal::product_history(pool, &session.vendor_id, &sku, limit)
        .await?
        .ok_or_else(|| {
            ApiError::NotFound("There is no product with this SKU in your catalog.".into())
        })?;
    Ok(Json(ProductHistory {
        sku,
        items: changes
            .into_iter()
            .map(|change| PriceChange {
                upload_id: change.upload_id,
                previous_price: change.previous_price.to_string(),
                price: change.price.to_string(),
                previous_stock_quantity: change.previous_stock_quantity,
                stock_quantity: change.stock_quantity,
                changed_at: change.changed_at,
            })
            .collect(),
    }))
}

#[derive(Serialize)]
pub struct Categories {
    items: Vec<String>,
}

/// The approved categories a product may name (case and spacing aside).
pub async fn categories(
    State(state): State<Arc<AppState>>,
    _session: VendorSession,
) -> ApiResult<Json<Categories>> {
    let pool = state.data()?.database.pool().await?;
    Ok(Json(Categories {
        items: onboarding_db::catalog::active_category_names(pool).await?,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsQuery {
    since: Option<String>,
}

#[derive(Serialize, Default)]
pub struct UploadsByStatus {
    processing: i64,
    completed: i64,
    partial: i64,
    failed: i64,
}

#[derive(Serialize)]
pub struct ProcessingTime {
    median: Option<i64>,
    p95: Option<i64>,
}

#[derive(Serialize)]
pub struct ErrorCount {
    error_type: String,
    count: i64,
}

#[derive(Serialize)]
pub struct Day {
    date: NaiveDate,
    uploads: i64,
    rows: i64,
    valid_rows: i64,
    success_rate: Option<f64>,
}

#[derive(Serialize)]
pub struct Failure {
    upload_id: UploadId,
    file_name: String,
    status: UploadStatus,
    failure_reason: Option<String>,
    uploaded_at: DateTime<Utc>,
}

#[derive(Serialize)]
pub struct Dashboard {
    since: DateTime<Utc>,
    uploads_by_status: UploadsByStatus,
    uploads_total: i64,
    rows_processed: i64,
    valid_rows: i64,
    error_rows: i64,
    success_rate: Option<f64>,
    processing_ms: ProcessingTime,
    errors_by_type: Vec<ErrorCount>,
    daily: Vec<Day>,
    recent_failures: Vec<Failure>,
}

/// valid ÷ processed, rounded to four places; none without rows.
fn rate(valid: i64, rows: i64) -> Option<f64> {
    (rows > 0).then(|| ((valid as f64 / rows as f64) * 10_000.0).round() / 10_000.0)
}

pub async fn metrics(
    State(state): State<Arc<AppState>>,
    session: VendorSession,
    Query(query): Query<MetricsQuery>,
) -> ApiResult<Json<Dashboard>> {
    let since = match query.since.as_deref().filter(|s| !s.is_empty()) {
        Some(since) => input::moment("since", since, DayEnd::Start)?,
        None => Utc::now() - chrono::Duration::days(30),
    };
    let pool = state.data()?.database.pool().await?;
    let figures = portal::vendor_metrics(pool, &session.vendor_id, since).await?;
    let mut by_status = UploadsByStatus::default();
    for (status, count) in &figures.uploads_by_status {
        match status {
            UploadStatus::Processing => by_status.processing = *count,
            UploadStatus::Completed => by_status.completed = *count,
            UploadStatus::Partial => by_status.partial = *count,
            UploadStatus::Failed => by_status.failed = *count,
        }
    }
    Ok(Json(Dashboard {
        since,
        uploads_total: figures.uploads_by_status.iter().map(|(_, c)| c).sum(),
        uploads_by_status: by_status,
        rows_processed: figures.rows_processed,
        valid_rows: figures.valid_rows,
        error_rows: figures.error_rows,
        success_rate: rate(figures.valid_rows, figures.rows_processed),
        processing_ms: ProcessingTime {
            median: figures.processing_ms_median.map(|ms| ms.round() as i64),
            p95: figures.processing_ms_p95.map(|ms| ms.round() as i64),
        },
        errors_by_type: figures
            .errors_by_type
            .into_iter()
            .map(|(error_type, count)| ErrorCount { error_type, count })
            .collect(),
        daily: figures
            .daily
            .into_iter()
            .map(|d| Day {
                success_rate: rate(d.valid_rows, d.rows),
                date: d.date,
                uploads: d.uploads,
                rows: d.rows,
                valid_rows: d.valid_rows,
            })
            .collect(),
        recent_failures: figures
            .recent_failures
            .into_iter()
            .map(|u| Failure {
                upload_id: u.upload_id,
                file_name: u.file_name,
                status: u.status,
                failure_reason: u.failure_reason,
                uploaded_at: u.upload_timestamp,
            })
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::rate;

    #[test]
    fn success_rate_is_a_share_of_rows() {
        assert_eq!(rate(0, 0), None);
        assert_eq!(rate(85, 100), Some(0.85));
        assert_eq!(rate(2, 3), Some(0.6667));
    }
}

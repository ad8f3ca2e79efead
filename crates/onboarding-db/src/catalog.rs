//! The catalog as the validation rules see it: the category whitelist and
//! the existing SKUs and vendor product ids.

use onboarding_core::{Catalog, CatalogMatches, CategoryWhitelist, UploadId, VendorId};
use sqlx::PgPool;

use crate::DbError;

#[derive(Clone, Debug)]
pub struct PgCatalog {
    pool: PgPool,
    excluded_upload: Option<UploadId>,
}

impl PgCatalog {
    pub fn new(pool: PgPool) -> Self {
        PgCatalog {
            pool,
            excluded_upload: None,
        }
    }

    /// Leaves one upload's own products out of the duplicate lookup. Its rows
    /// are validated in several batches, and a row that repeats an earlier
    /// row of the same file is an in-file duplicate (named by row), not a
    /// catalog duplicate, even once the earlier row's product is committed.
    pub fn excluding_upload(mut self, upload_id: &UploadId) -> Self {
        self.excluded_upload = Some(upload_id.clone());
        self
    }

    /// The active categories.
    pub async fn categories(&self) -> Result<CategoryWhitelist, DbError> {
        Ok(CategoryWhitelist::new(
            active_category_names(&self.pool).await?,
        ))
    }
}

impl Catalog for PgCatalog {
    type Error = DbError;

    async fn find_existing(
        &self,
        vendor_id: &VendorId,
        skus: &[&str],
        vendor_product_ids: &[&str],
    ) -> Result<CatalogMatches, DbError> {
        let skus: Vec<String> = skus.iter().map(|s| s.to_string()).collect();
        let ids: Vec<String> = vendor_product_ids.iter().map(|s| s.to_string()).collect();
        // One round trip for the whole batch.
        let rows = sqlx::query!(
            r#"
            SELECT 'sku' AS "kind!", sku AS "value!",
                   CASE WHEN vendor_id = $2 THEN vendor_product_id END AS own_product_id
              FROM products
             WHERE sku = ANY($1) AND upload_id IS DISTINCT FROM $4
            UNION ALL
            SELECT 'vendor_product_id', vendor_product_id, NULL FROM products
             WHERE vendor_id = $2 AND vendor_product_id = ANY($3) AND upload_id IS DISTINCT FROM $4
            "#,
            &skus,
            vendor_id.as_str(),
            &ids,
            self.excluded_upload.as_ref().map(UploadId::as_str),
        )
        .fetch_all(&self.pool)
        .await?;
        let mut matches = CatalogMatches::default();
        for row in rows {
            match row.kind.as_str() {
                "sku" => {
                    if let Some(own) = row.own_product_id {
                        matches.own_skus.insert(row.value.clone(), own);
                    }
                    matches.skus.insert(row.value)
                }
                _ => matches.vendor_product_ids.insert(row.value),
            };
        }
        Ok(matches)
    }
}

/// The approved category names, alphabetically.
pub async fn active_category_names(pool: &PgPool) -> Result<Vec<String>, DbError> {
    Ok(sqlx::query_scalar!(
        "SELECT category_name FROM categories WHERE is_active ORDER BY category_name"
    )
    .fetch_all(pool)
    .await?)
}

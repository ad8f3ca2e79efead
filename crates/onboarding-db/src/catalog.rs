//! The catalog as the validation rules see it: the category whitelist and
//! the existing SKUs and vendor product ids.

use std::collections::HashSet;

use onboarding_core::{Catalog, CatalogMatches, CategoryWhitelist};
use sqlx::PgPool;

use crate::DbError;

#[derive(Clone, Debug)]
pub struct PgCatalog {
    pool: PgPool,
}

impl PgCatalog {
    pub fn new(pool: PgPool) -> Self {
        PgCatalog { pool }
    }

    /// The active categories.
    pub async fn categories(&self) -> Result<CategoryWhitelist, DbError> {
        let names = sqlx::query_scalar!(
            "SELECT category_name FROM categories WHERE is_active ORDER BY category_name"
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(CategoryWhitelist::new(names))
    }
}

impl Catalog for PgCatalog {
    type Error = DbError;

    async fn find_existing(
        &self,
        vendor_id: &str,
        skus: &[&str],
        vendor_product_ids: &[&str],
    ) -> Result<CatalogMatches, DbError> {
        let skus: Vec<String> = skus.iter().map(|s| s.to_string()).collect();
        let ids: Vec<String> = vendor_product_ids.iter().map(|s| s.to_string()).collect();
        // One round trip for the whole batch.
        let rows = sqlx::query!(
            r#"
            SELECT 'sku' AS "kind!", sku AS "value!" FROM products WHERE sku = ANY($1)
            UNION ALL
            SELECT 'vendor_product_id', vendor_product_id FROM products
             WHERE vendor_id = $2 AND vendor_product_id = ANY($3)
            "#,
            &skus,
            vendor_id,
            &ids,
        )
        .fetch_all(&self.pool)
        .await?;
        let mut matches = CatalogMatches {
            skus: HashSet::new(),
            vendor_product_ids: HashSet::new(),
        };
        for row in rows {
            match row.kind.as_str() {
                "sku" => matches.skus.insert(row.value),
                _ => matches.vendor_product_ids.insert(row.value),
            };
        }
        Ok(matches)
    }
}

//! Storage: the DynamoDB staging table, the catalog database, the bucket.

use super::{Line, Month, line};
use crate::allowances::AllowanceId;
use crate::assumptions::{Assumptions, DAYS_PER_MONTH, GIB, GsiProjection, HOURS_PER_MONTH, KIB};
use crate::format::qty;
use crate::prices::PriceId;
use crate::scenario::Db;

fn staged_item_units(assumptions: &Assumptions) -> f64 {
    ((assumptions.row_bytes + assumptions.staged_item_overhead_bytes) / KIB).ceil()
}

/// The DynamoDB staging table: write units, storage and PITR.
pub(super) fn dynamodb(month: &Month) -> Line {
    let (traffic, assumptions) = (&month.traffic, month.assumptions);
    let item_bytes = assumptions.row_bytes + assumptions.staged_item_overhead_bytes;
    let table_wru_per_row = assumptions.writes_per_row * staged_item_units(assumptions);
    let (index_wru_per_row, index_item_bytes, writes) = match assumptions.gsi {
        GsiProjection::All => (
            table_wru_per_row,
            item_bytes,
            "staged once, also to GSI vendor-index",
        ),
        GsiProjection::KeysOnly => (
            (assumptions.gsi_keys_only_item_bytes / KIB).ceil(),
            assumptions.gsi_keys_only_item_bytes,
            "staged once, also to the KEYS_ONLY GSI vendor-index",
        ),
        GsiProjection::Dropped => (0.0, 0.0, "staged once; no GSI"),
    };
    let wru_per_row = table_wru_per_row + index_wru_per_row;
    let rows_per_month = traffic.uploads * traffic.rows;
    let wru = rows_per_month * wru_per_row;
    let held_rows = rows_per_month * assumptions.staging_days / DAYS_PER_MONTH;
    let table_gb = held_rows * item_bytes / GIB;
    let stored_gb = held_rows * (item_bytes + index_item_bytes) / GIB;
    let storage_usd = month.variable_charge(
        stored_gb,
        AllowanceId::DynamoStorageGb,
        PriceId::DynamoStorageGbMonth,
    );
    // PITR is billed on the table's size, with no allowance.
    let variable = wru * PriceId::DynamoWriteRequestUnit.usd()
        + storage_usd
        + table_gb * PriceId::DynamoPitrGbMonth.usd();
    line(
        "DynamoDB staging (on-demand)",
        0.0,
        variable,
        format!(
            "{} write units ({} per row: {writes}); {} GB held ~{} days, with PITR; stream reads by Lambda free{}",
            qty(wru),
            qty(wru_per_row),
            qty(stored_gb),
            qty(assumptions.staging_days),
            month.free.note("25 GB of storage")
        ),
    )
}

/// The catalog database: RDS (fixed) or Aurora Serverless v2 (by running time).
pub(super) fn database(month: &Month, db: Db) -> Line {
    let (traffic, assumptions) = (&month.traffic, month.assumptions);
    let growth_gb = traffic.uploads * traffic.rows * assumptions.db_bytes_per_row / GIB;
    let weekly_change_gb = growth_gb * assumptions.backup_retention_days / DAYS_PER_MONTH;
    match (db, &month.aurora) {
        (Db::AuroraServerless, Some(aurora)) => {
            let fixed = assumptions.db_base_gb * PriceId::AuroraStorageGbMonth.usd();
            let io = traffic.uploads * traffic.rows * assumptions.aurora_io_per_row;
            let variable = aurora.acu_hours * PriceId::AuroraAcuHour.usd()
                + io * PriceId::AuroraIoRequest.usd()
                + growth_gb * PriceId::AuroraStorageGbMonth.usd()
                + weekly_change_gb * PriceId::AuroraBackupGbMonth.usd();
            line(
                "Aurora Serverless v2",
                fixed,
                variable,
                format!(
                    "running {}% of the month: {} ACU-hours, {} resumes; {} I/Os; storage {} GB + {} GB of new rows",
                    qty(aurora.running_fraction * 100.0),
                    qty(aurora.acu_hours),
                    qty(aurora.resumes),
                    qty(io),
                    qty(assumptions.db_base_gb),
                    qty(growth_gb)
                ),
            )
        }
        _ => {
            let instance = HOURS_PER_MONTH * PriceId::RdsT4gMicroHour.usd();
            let fixed = instance + assumptions.rds_storage_gb * PriceId::RdsGp3GbMonth.usd();
            // Storage autoscaling keeps 10% free; backups are free up to the
            // allocated storage.
            let data_gb = assumptions.db_base_gb + growth_gb;
            let allocated_gb = assumptions.rds_storage_gb.max(data_gb / 0.9);
            let backup_extra_gb = (data_gb + weekly_change_gb - allocated_gb).max(0.0);
            let variable = (allocated_gb - assumptions.rds_storage_gb)
                * PriceId::RdsGp3GbMonth.usd()
                + backup_extra_gb * PriceId::RdsBackupGbMonth.usd();
            line(
                "RDS PostgreSQL",
                fixed,
                variable,
                format!(
                    "db.t4g.micro Single-AZ {} h; {} GB gp3 allocated for {} GB of data; backups within the free allowance unless shown",
                    qty(HOURS_PER_MONTH),
                    qty(allocated_gb),
                    qty(data_gb)
                ),
            )
        }
    }
}

/// S3: requests, storage of each upload's objects and the reports' downloads.
pub(super) fn s3(month: &Month) -> Line {
    let (traffic, assumptions) = (&month.traffic, month.assumptions);
    let bytes = traffic.rows * assumptions.row_bytes
        + traffic.invalid_rows
            * (assumptions.report_bytes_per_invalid_row + assumptions.fix_bytes_per_invalid_row)
        + assumptions.access_log_bytes_per_upload;
    let stored_gb = traffic.uploads * bytes * assumptions.s3_retention_days / DAYS_PER_MONTH / GIB;
    // The vendor downloads the report and the fix file over the internet.
    let downloaded_gb = traffic.uploads
        * traffic.invalid_rows
        * (assumptions.report_bytes_per_invalid_row + assumptions.fix_bytes_per_invalid_row)
        / GIB;
    let transfer_usd = month.variable_charge(
        downloaded_gb,
        AllowanceId::DataTransferOutGb,
        PriceId::DataTransferOutGb,
    );
    let requests = assumptions.s3_puts_per_upload * PriceId::S3Put.usd()
        + assumptions.s3_gets_per_upload * PriceId::S3Get.usd();
    line(
        "S3",
        0.0,
        traffic.uploads * requests + stored_gb * PriceId::S3StandardGbMonth.usd() + transfer_usd,
        format!(
            "{} PUT + {} GET per upload; {} GB stored in steady state ({} days per object); {} GB of reports downloaded{}",
            qty(assumptions.s3_puts_per_upload),
            qty(assumptions.s3_gets_per_upload),
            qty(stored_gb),
            qty(assumptions.s3_retention_days),
            qty(downloaded_gb),
            month
                .free
                .note("100 GB out to the internet a month (S3 itself: 12-month trial only)")
        ),
    )
}

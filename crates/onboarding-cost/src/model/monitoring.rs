//! Monitoring: CloudWatch alarms, dashboard, custom metrics and logs, and X-Ray.

use super::{Line, Month, line};
use crate::allowances::AllowanceId;
use crate::assumptions::{Assumptions, DAYS_PER_MONTH, GIB, HOURS_PER_MONTH, KIB};
use crate::format::qty;
use crate::prices::PriceId;
use crate::scenario::{Db, Design, Egress};

fn alarm_count(assumptions: &Assumptions, design: Design) -> f64 {
    match design {
        Design::Serverless { egress, db } => {
            let db_alarms = match db {
                Db::Rds => 3.0,
                Db::AuroraServerless => 2.0,
            };
            let nat_alarms = if egress == Egress::NatInstance {
                1.0
            } else {
                0.0
            };
            assumptions.base_alarms + db_alarms + nat_alarms
        }
        // The same watch on the worker instead of the functions.
        Design::AlwaysOn { .. } => assumptions.base_alarms + 3.0,
    }
}

/// CloudWatch alarms and the dashboard: fixed.
pub(super) fn alarms_and_dashboard(month: &Month) -> Line {
    let assumptions = month.assumptions;
    let alarms = alarm_count(assumptions, month.design);
    let (alarms_usd, _) = month.charged(alarms, 0.0, AllowanceId::Alarms, PriceId::AlarmMonth);
    let (dashboards_usd, _) = month.charged(
        assumptions.dashboards,
        0.0,
        AllowanceId::Dashboards,
        PriceId::DashboardMonth,
    );
    line(
        "CloudWatch alarms + dashboard",
        alarms_usd + dashboards_usd,
        0.0,
        format!(
            "{} alarms, {} dashboard{}",
            qty(alarms),
            qty(assumptions.dashboards),
            month.free.note("10 alarms and 3 dashboards")
        ),
    )
}

/// CloudWatch custom metrics: each EMF series billed for the hours it is sent in.
pub(super) fn custom_metrics(month: &Month) -> Line {
    let (traffic, assumptions) = (&month.traffic, month.assumptions);
    let hours = traffic.active_hours();
    let metric_months = assumptions.emf_series * hours / HOURS_PER_MONTH;
    let variable = month.variable_charge(
        metric_months,
        AllowanceId::CustomMetrics,
        PriceId::CustomMetricMonth,
    );
    line(
        "CloudWatch custom metrics (EMF)",
        0.0,
        variable,
        format!(
            "{} series, billed for the {} hours with uploads: {} metric-months{}",
            qty(assumptions.emf_series),
            qty(hours),
            qty(metric_months),
            month.free.note("10 metric-months")
        ),
    )
}

/// CloudWatch Logs: ingested and kept `log_retention_days`.
pub(super) fn logs(month: &Month, db: Db) -> Line {
    let (traffic, assumptions) = (&month.traffic, month.assumptions);
    let per_upload = assumptions.log_bytes_per_upload
        + traffic.batches * assumptions.log_bytes_per_batch
        + assumptions.flow_log_bytes_per_upload;
    let upload_gb = traffic.uploads * per_upload / GIB;
    let (fixed_gb, variable_monitoring_gb) = match (db, &month.aurora) {
        (Db::AuroraServerless, Some(aurora)) => (
            assumptions.idle_log_gb_month,
            assumptions.enhanced_monitoring_gb_month * aurora.running_fraction,
        ),
        _ => (
            assumptions.idle_log_gb_month + assumptions.enhanced_monitoring_gb_month,
            0.0,
        ),
    };
    let variable_gb = upload_gb + variable_monitoring_gb;
    // Kept 14 days: each GB ingested is held that share of a month.
    let held = assumptions.log_retention_days / DAYS_PER_MONTH;
    let (fixed_ingest, variable_ingest) = month.charged(
        fixed_gb,
        variable_gb,
        AllowanceId::LogsIngestGb,
        PriceId::LogsIngestGb,
    );
    let (fixed_storage, variable_storage) = month.charged(
        fixed_gb * held,
        variable_gb * held,
        AllowanceId::LogsStorageGbMonth,
        PriceId::LogsStorageGbMonth,
    );
    line(
        "CloudWatch Logs",
        fixed_ingest + fixed_storage,
        variable_ingest + variable_storage,
        format!(
            "{} KB per upload (functions, platform lines, flow logs); {} GB/month without uploads (flow logs, database logs{}){}",
            qty(per_upload / KIB),
            qty(fixed_gb),
            if db == Db::Rds {
                ", Enhanced Monitoring"
            } else {
                ""
            },
            month.free.note("5 GB ingested and 5 GB-months archived")
        ),
    )
}

/// X-Ray: one trace per invocation (an upper bound: sampling records fewer).
pub(super) fn xray(month: &Month) -> Line {
    let traffic = &month.traffic;
    let traces = traffic.invocations_per_upload();
    let variable = month.variable_charge(
        traffic.uploads * traces,
        AllowanceId::XrayTracesRecorded,
        PriceId::XrayTrace,
    );
    line(
        "X-Ray (active tracing)",
        0.0,
        variable,
        format!(
            "{} traces per upload{}",
            qty(traces),
            month.free.note("100,000 traces recorded a month")
        ),
    )
}

//! Secrets and keys: the database secret and the environment's KMS key.

use super::{Line, Month, line};
use crate::allowances::AllowanceId;
use crate::assumptions::HOURS_PER_MONTH;
use crate::format::qty;
use crate::prices::PriceId;
use crate::scenario::Design;

/// Secrets Manager: the database secret, and its reads (cached an hour).
pub(super) fn secrets(month: &Month) -> Line {
    let traffic = &month.traffic;
    let (fixed_calls, per_upload, calls) = match month.design {
        // One GetSecretValue per cold start; the cache lasts an hour.
        Design::Serverless { .. } => (
            0.0,
            traffic.cold_starts,
            format!(
                "{} calls per upload, one per cold start",
                qty(traffic.cold_starts)
            ),
        ),
        // The worker refreshes its cache hourly.
        Design::AlwaysOn { .. } => (
            HOURS_PER_MONTH,
            0.0,
            format!("{} calls a month, hourly", qty(HOURS_PER_MONTH)),
        ),
    };
    line(
        "Secrets Manager",
        PriceId::SecretMonth.usd() + fixed_calls * PriceId::SecretApiCall.usd(),
        traffic.uploads * per_upload * PriceId::SecretApiCall.usd(),
        format!("1 secret (RDS-managed); {calls} (cached 1 h)"),
    )
}

/// KMS: the environment's key, and requests beyond what caching saves.
pub(super) fn kms(month: &Month) -> Line {
    let (traffic, assumptions) = (&month.traffic, month.assumptions);
    let per_upload = traffic.cold_starts + assumptions.kms_requests_per_upload;
    let requests_usd = month.variable_charge(
        traffic.uploads * per_upload,
        AllowanceId::KmsRequests,
        PriceId::KmsRequest,
    );
    let keys = assumptions.customer_managed_keys;
    line(
        "KMS",
        keys * PriceId::KmsKeyMonth.usd(),
        requests_usd,
        format!(
            "{}; {} requests per upload (counted as before, an upper bound: SSE-S3, SSE-SQS and DynamoDB's owned key make none){}",
            if keys > 0.0 {
                format!("{} customer managed key (first year)", qty(keys))
            } else {
                "AWS managed keys only (no key charge)".to_string()
            },
            qty(per_upload),
            month
                .free
                .note("20,000 requests a month (keys are charged)")
        ),
    )
}

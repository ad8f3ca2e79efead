//! AWS's always-free allowances, and whether a scenario counts them.

use serde::Serialize;

use crate::prices::{PRICE_REGION, PRICES_AS_OF};

/// What the portal line says about CloudFront and Cognito: the model does not
/// price their use, and the portal stays within both allowances at every load
/// the tables show (10 M requests are roughly 300,000 uploads followed in the
/// portal, page loads included). They are counted in both modes, as before
/// `--no-free-allowances` existed.
pub const PORTAL_FREE_ALLOWANCES: &str = "CloudFront within its always-free 1 TB and 10 M requests a month; Cognito Lite within its 10,000 free MAU";

/// One always-free allowance: `quantity` units a month at no charge, per
/// account (or per AWS Organization: its accounts share one set). These are
/// the perpetual offers, not the 12-month free tier or the credits of newer
/// accounts (Secrets Manager, S3, ECR, API Gateway, RDS, Aurora, EC2 and
/// Fargate have only those, so the model charges them in full).
/// Its JSON form is what `onboard cost --prices --json` lists.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Allowance {
    pub id: AllowanceId,
    #[serde(rename = "quantity_per_month")]
    pub quantity: f64,
    pub unit: &'static str,
    /// The AWS pricing page (path on aws.amazon.com) the allowance is listed on.
    pub page: &'static str,
    /// The month the allowance was recorded.
    pub as_of: &'static str,
    /// Whether the figure was confirmed against a published source, and which.
    pub source: &'static str,
    /// Counted with `--no-free-allowances` too, not only by default (see
    /// [`PORTAL_FREE_ALLOWANCES`]).
    #[serde(rename = "counted_with_no_free_allowances")]
    pub counted_at_list_price: bool,
}

/// Every allowance in [`ALWAYS_FREE`]; the discriminant is the index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum AllowanceId {
    LambdaRequests,
    LambdaGbSeconds,
    SqsRequests,
    SnsPublishes,
    SnsEmails,
    CustomMetrics,
    Alarms,
    Dashboards,
    LogsIngestGb,
    LogsStorageGbMonth,
    DynamoStorageGb,
    KmsRequests,
    XrayTracesRecorded,
    DataTransferOutGb,
    CloudFrontDataOutGb,
    CloudFrontRequests,
    CognitoLiteMau,
}

const fn allowance(
    id: AllowanceId,
    quantity: f64,
    unit: &'static str,
    page: &'static str,
    source: &'static str,
) -> Allowance {
    Allowance {
        id,
        quantity,
        unit,
        page,
        as_of: PRICES_AS_OF,
        source,
        counted_at_list_price: false,
    }
}

const NOT_CONFIRMED: &str = "not confirmed here: only third-party guides were found";

/// AWS's always-free allowances, recorded like [`PRICES`](crate::PRICES) (us-east-1 pages,
/// [`PRICES_AS_OF`]). They apply per account or AWS Organization, across
/// regions and workloads: if other workloads in the account use them, the
/// list-price figure (`--no-free-allowances`) is the one that applies.
#[rustfmt::skip]
pub const ALWAYS_FREE: &[Allowance] = &[
    allowance(AllowanceId::LambdaRequests, 1e6, "Lambda requests (all functions of the account)", "/lambda/pricing/", "confirmed: AWS whitepaper How AWS Pricing Works (docs.aws.amazon.com), 1 M requests a month"),
    allowance(AllowanceId::LambdaGbSeconds, 400_000.0, "Lambda GB-seconds (x86 and arm64 together)", "/lambda/pricing/", "confirmed: the same whitepaper, 400,000 GB-s a month"),
    allowance(AllowanceId::SqsRequests, 1e6, "SQS requests", "/sqs/pricing/", NOT_CONFIRMED),
    allowance(AllowanceId::SnsPublishes, 1e6, "SNS publishes", "/sns/pricing/", NOT_CONFIRMED),
    allowance(AllowanceId::SnsEmails, 1000.0, "SNS e-mail deliveries", "/sns/pricing/", "not confirmed here: no source found"),
    allowance(AllowanceId::CustomMetrics, 10.0, "CloudWatch custom metric-months", "/cloudwatch/pricing/", NOT_CONFIRMED),
    allowance(AllowanceId::Alarms, 10.0, "CloudWatch standard-resolution alarm metric-months", "/cloudwatch/pricing/", NOT_CONFIRMED),
    allowance(AllowanceId::Dashboards, 3.0, "CloudWatch dashboard-months", "/cloudwatch/pricing/", NOT_CONFIRMED),
    allowance(AllowanceId::LogsIngestGb, 5.0, "GB of CloudWatch logs ingested", "/cloudwatch/pricing/", "partly: an AWS bill shows \"First 5GB per month of log data ingested is free\"; not read on the pricing page"),
    allowance(AllowanceId::LogsStorageGbMonth, 5.0, "GB-months of CloudWatch logs archived", "/cloudwatch/pricing/", "partly: the same bill shows \"First 5GB-mo per month of logs storage is free\""),
    allowance(AllowanceId::DynamoStorageGb, 25.0, "GB-months of DynamoDB storage (Standard class, indexes included)", "/dynamodb/pricing/", "confirmed: /dynamodb/pricing/, first 25 GB a month free, does not expire"),
    allowance(AllowanceId::KmsRequests, 20_000.0, "KMS requests (across all regions)", "/kms/pricing/", "confirmed: /kms/pricing/, 20,000 requests a month across all regions"),
    allowance(AllowanceId::XrayTracesRecorded, 100_000.0, "X-Ray traces recorded", "/xray/pricing/", "confirmed: /xray/pricing/ (de, cn, vi pages), 100,000 traces recorded a month, perpetual"),
    allowance(AllowanceId::DataTransferOutGb, 100.0, "GB out to the internet (all services and regions together, CloudFront apart)", "/ec2/pricing/on-demand/", "partly: an AWS answer on repost.aws (100 GB a month); not read on a pricing page"),
    Allowance { counted_at_list_price: true, ..allowance(AllowanceId::CloudFrontDataOutGb, 1024.0, "GB out from CloudFront", "/cloudfront/pricing/", "recorded before; counted in both modes") },
    Allowance { counted_at_list_price: true, ..allowance(AllowanceId::CloudFrontRequests, 1e7, "CloudFront HTTP(S) requests", "/cloudfront/pricing/", "recorded before; counted in both modes") },
    Allowance { counted_at_list_price: true, ..allowance(AllowanceId::CognitoLiteMau, 10_000.0, "Cognito Lite monthly active users", "/cognito/pricing/", "recorded before; counted in both modes") },
];

/// Whether a scenario counts the optional [`ALWAYS_FREE`] allowances.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Free(pub bool);

impl Free {
    /// How much of an allowance the scenario may use: its quantity, or 0 at
    /// list price.
    pub(crate) fn of(self, id: AllowanceId) -> f64 {
        let allowance = &ALWAYS_FREE[id as usize];
        if self.0 || allowance.counted_at_list_price {
            allowance.quantity
        } else {
            0.0
        }
    }

    /// `"; always free: {what}"` when the allowances are counted.
    pub(crate) fn note(self, what: &str) -> String {
        if self.0 {
            format!("; always free: {what}")
        } else {
            String::new()
        }
    }

    /// The prices the figures are at, for the tables' titles.
    pub fn label(self) -> String {
        if self.0 {
            format!(
                "{PRICE_REGION} list prices of {PRICES_AS_OF}, always-free allowances counted, 12-month trial ignored"
            )
        } else {
            format!("{PRICE_REGION} list prices of {PRICES_AS_OF}, no free allowances")
        }
    }
}

/// Billable usage after an allowance, as (fixed, variable): the allowance
/// covers the fixed (idle) usage first, so the fixed part does not depend on
/// the load and the variable part is what the load adds beyond it.
pub(crate) fn billable(fixed: f64, variable: f64, allowance: f64) -> (f64, f64) {
    let fixed_billable = (fixed - allowance).max(0.0);
    let left = (allowance - fixed).max(0.0);
    (fixed_billable, (variable - left).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allowance_table_is_indexed_by_its_ids_and_dated() {
        for (index, allowance) in ALWAYS_FREE.iter().enumerate() {
            assert_eq!(
                allowance.id as usize, index,
                "{:?} is out of place",
                allowance.id
            );
            crate::prices::assert_recorded(&allowance.id, allowance.page, allowance.as_of);
            assert!(
                allowance.quantity > 0.0 && allowance.quantity.is_finite(),
                "{:?}",
                allowance.id
            );
            assert!(!allowance.source.is_empty(), "{:?}", allowance.id);
        }
        assert_eq!(ALWAYS_FREE.len(), AllowanceId::CognitoLiteMau as usize + 1);
        // Only CloudFront's and Cognito's are counted at list price too.
        let both: Vec<AllowanceId> = ALWAYS_FREE
            .iter()
            .filter(|allowance| allowance.counted_at_list_price)
            .map(|allowance| allowance.id)
            .collect();
        assert_eq!(
            both,
            [
                AllowanceId::CloudFrontDataOutGb,
                AllowanceId::CloudFrontRequests,
                AllowanceId::CognitoLiteMau
            ]
        );
        assert_eq!(Free(false).of(AllowanceId::LambdaGbSeconds), 0.0);
        assert_eq!(Free(true).of(AllowanceId::LambdaGbSeconds), 400_000.0);
        assert_eq!(Free(false).of(AllowanceId::CognitoLiteMau), 10_000.0);
    }

    #[test]
    fn an_allowance_covers_the_fixed_usage_first() {
        assert_eq!(billable(0.0, 5.0, 10.0), (0.0, 0.0));
        assert_eq!(billable(0.0, 15.0, 10.0), (0.0, 5.0));
        assert_eq!(billable(14.0, 0.0, 10.0), (4.0, 0.0));
        assert_eq!(billable(4.0, 10.0, 10.0), (0.0, 4.0));
        assert_eq!(billable(12.0, 3.0, 10.0), (2.0, 3.0));
        assert_eq!(billable(12.0, 3.0, 0.0), (12.0, 3.0));
    }
}

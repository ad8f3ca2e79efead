//! The price table: AWS list prices, each with its unit, the pricing page it
//! is listed on and the month it was recorded.

use serde::Serialize;

/// When [`PRICES`] were recorded.
pub const PRICES_AS_OF: &str = "2026-11";

/// The region whose list prices [`PRICES`] holds.
pub const PRICE_REGION: &str = "us-east-1";

/// One list price: `listed` USD per `per` `unit`s, as the page lists it. Its
/// JSON form is what `onboard cost --prices --json` lists.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Price {
    pub id: PriceId,
    #[serde(rename = "listed_usd")]
    pub listed: f64,
    pub per: f64,
    pub unit: &'static str,
    /// The AWS pricing page (path on aws.amazon.com) the price is listed on.
    pub page: &'static str,
    /// The month the price was recorded.
    pub as_of: &'static str,
}

/// Every price the model uses. The discriminant is the index into [`PRICES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum PriceId {
    LambdaRequest,
    LambdaArmGbSecond,
    DynamoWriteRequestUnit,
    DynamoStorageGbMonth,
    DynamoPitrGbMonth,
    SqsRequest,
    SnsPublish,
    SnsEmail,
    S3StandardGbMonth,
    S3Put,
    S3Get,
    SecretMonth,
    SecretApiCall,
    KmsKeyMonth,
    KmsRequest,
    LogsIngestGb,
    LogsStorageGbMonth,
    CustomMetricMonth,
    AlarmMonth,
    DashboardMonth,
    XrayTrace,
    EcrGbMonth,
    RdsT4gMicroHour,
    RdsGp3GbMonth,
    RdsBackupGbMonth,
    AuroraAcuHour,
    AuroraStorageGbMonth,
    AuroraIoRequest,
    AuroraBackupGbMonth,
    Ec2T4gNanoHour,
    Ec2T4gSmallHour,
    EbsGp3GbMonth,
    PublicIpv4Hour,
    NatGatewayHour,
    NatGatewayGb,
    InterfaceEndpointHour,
    InterfaceEndpointGb,
    FargateArmVcpuHour,
    FargateArmGbHour,
    DataTransferOutGb,
    ApiGatewayHttpRequest,
}

impl Price {
    /// USD for one unit.
    pub fn usd(&self) -> f64 {
        self.listed / self.per
    }
}

const fn price(
    id: PriceId,
    listed: f64,
    per: f64,
    unit: &'static str,
    page: &'static str,
) -> Price {
    Price {
        id,
        listed,
        per,
        unit,
        page,
        as_of: PRICES_AS_OF,
    }
}

/// The price table: us-east-1 on-demand list prices, before any free
/// allowance ([`ALWAYS_FREE`](crate::ALWAYS_FREE) holds those). They are
/// list prices as recorded in [`PRICES_AS_OF`]; AWS changes them from time
/// to time, so check the page before relying on a figure.
#[rustfmt::skip]
pub const PRICES: &[Price] = &[
    price(PriceId::LambdaRequest, 0.20, 1e6, "requests", "/lambda/pricing/"),
    price(PriceId::LambdaArmGbSecond, 0.000_013_333_4, 1.0, "GB-second (arm64, first tier; init of image functions is billed too)", "/lambda/pricing/"),
    price(PriceId::DynamoWriteRequestUnit, 0.625, 1e6, "write request units (on-demand)", "/dynamodb/pricing/on-demand/"),
    price(PriceId::DynamoStorageGbMonth, 0.25, 1.0, "GB-month (Standard table class)", "/dynamodb/pricing/on-demand/"),
    price(PriceId::DynamoPitrGbMonth, 0.20, 1.0, "GB-month of table size (point-in-time recovery)", "/dynamodb/pricing/on-demand/"),
    price(PriceId::SqsRequest, 0.40, 1e6, "requests (standard queue; each 64 KB of payload is one request)", "/sqs/pricing/"),
    price(PriceId::SnsPublish, 0.50, 1e6, "publishes (64 KB chunks)", "/sns/pricing/"),
    price(PriceId::SnsEmail, 2.00, 1e5, "e-mail deliveries", "/sns/pricing/"),
    price(PriceId::S3StandardGbMonth, 0.023, 1.0, "GB-month (S3 Standard, first 50 TB)", "/s3/pricing/"),
    price(PriceId::S3Put, 0.005, 1e3, "PUT, COPY, POST or LIST requests", "/s3/pricing/"),
    price(PriceId::S3Get, 0.0004, 1e3, "GET or SELECT requests", "/s3/pricing/"),
    price(PriceId::SecretMonth, 0.40, 1.0, "secret-month (RDS-managed secrets included)", "/secrets-manager/pricing/"),
    price(PriceId::SecretApiCall, 0.05, 1e4, "API calls", "/secrets-manager/pricing/"),
    price(PriceId::KmsKeyMonth, 1.00, 1.0, "customer managed key-month (each of the first two rotations adds USD 1)", "/kms/pricing/"),
    price(PriceId::KmsRequest, 0.03, 1e4, "requests", "/kms/pricing/"),
    price(PriceId::LogsIngestGb, 0.50, 1.0, "GB ingested (Standard class; Lambda and flow logs, first tier)", "/cloudwatch/pricing/"),
    price(PriceId::LogsStorageGbMonth, 0.03, 1.0, "GB-month archived", "/cloudwatch/pricing/"),
    price(PriceId::CustomMetricMonth, 0.30, 1.0, "custom metric-month (first 10,000; prorated by the hours it is sent in)", "/cloudwatch/pricing/"),
    price(PriceId::AlarmMonth, 0.10, 1.0, "standard-resolution alarm metric-month", "/cloudwatch/pricing/"),
    price(PriceId::DashboardMonth, 3.00, 1.0, "dashboard-month", "/cloudwatch/pricing/"),
    price(PriceId::XrayTrace, 5.00, 1e6, "traces recorded", "/xray/pricing/"),
    price(PriceId::EcrGbMonth, 0.10, 1.0, "GB-month of image storage", "/ecr/pricing/"),
    price(PriceId::RdsT4gMicroHour, 0.016, 1.0, "hour (db.t4g.micro, PostgreSQL, Single-AZ)", "/rds/postgresql/pricing/"),
    price(PriceId::RdsGp3GbMonth, 0.115, 1.0, "GB-month (gp3, Single-AZ)", "/rds/postgresql/pricing/"),
    price(PriceId::RdsBackupGbMonth, 0.095, 1.0, "GB-month of backup beyond the allocated storage", "/rds/postgresql/pricing/"),
    price(PriceId::AuroraAcuHour, 0.12, 1.0, "ACU-hour (Serverless v2, Aurora Standard)", "/rds/aurora/pricing/"),
    price(PriceId::AuroraStorageGbMonth, 0.10, 1.0, "GB-month (Aurora Standard)", "/rds/aurora/pricing/"),
    price(PriceId::AuroraIoRequest, 0.20, 1e6, "I/O requests (Aurora Standard)", "/rds/aurora/pricing/"),
    price(PriceId::AuroraBackupGbMonth, 0.021, 1.0, "GB-month of backup beyond the cluster volume", "/rds/aurora/pricing/"),
    price(PriceId::Ec2T4gNanoHour, 0.0042, 1.0, "hour (t4g.nano, Linux)", "/ec2/pricing/on-demand/"),
    price(PriceId::Ec2T4gSmallHour, 0.0168, 1.0, "hour (t4g.small, Linux)", "/ec2/pricing/on-demand/"),
    price(PriceId::EbsGp3GbMonth, 0.08, 1.0, "GB-month (gp3)", "/ebs/pricing/"),
    price(PriceId::PublicIpv4Hour, 0.005, 1.0, "hour per public IPv4 address (in use or idle)", "/vpc/pricing/"),
    price(PriceId::NatGatewayHour, 0.045, 1.0, "NAT gateway-hour", "/vpc/pricing/"),
    price(PriceId::NatGatewayGb, 0.045, 1.0, "GB processed by a NAT gateway", "/vpc/pricing/"),
    price(PriceId::InterfaceEndpointHour, 0.01, 1.0, "interface endpoint-hour per AZ", "/privatelink/pricing/"),
    price(PriceId::InterfaceEndpointGb, 0.01, 1.0, "GB processed by interface endpoints (first PB)", "/privatelink/pricing/"),
    price(PriceId::FargateArmVcpuHour, 0.032_38, 1.0, "vCPU-hour (Fargate, Linux/ARM)", "/fargate/pricing/"),
    price(PriceId::FargateArmGbHour, 0.003_56, 1.0, "GB-hour (Fargate, Linux/ARM)", "/fargate/pricing/"),
    price(PriceId::DataTransferOutGb, 0.09, 1.0, "GB out to the internet (first 10 TB)", "/s3/pricing/"),
    price(PriceId::ApiGatewayHttpRequest, 1.00, 1e6, "HTTP API requests (first 300 million)", "/api-gateway/pricing/"),
];

impl PriceId {
    /// USD for one unit of this price.
    pub fn usd(self) -> f64 {
        PRICES[self as usize].usd()
    }
}

/// Asserts that a figure was recorded in 2026-11 from a pricing page.
#[cfg(test)]
pub(crate) fn assert_recorded(what: &dyn std::fmt::Debug, page: &str, as_of: &str) {
    assert_eq!(as_of, "2026-11", "{what:?}");
    assert!(
        page.starts_with('/') && page.contains("/pricing/"),
        "{what:?}: {page}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_price_table_is_indexed_by_its_ids_and_dated() {
        for (index, price) in PRICES.iter().enumerate() {
            assert_eq!(price.id as usize, index, "{:?} is out of place", price.id);
            assert_recorded(&price.id, price.page, price.as_of);
            assert!(
                price.usd() > 0.0 && price.usd().is_finite() && price.per >= 1.0,
                "{:?}",
                price.id
            );
        }
        assert_eq!(PRICES.len(), PriceId::ApiGatewayHttpRequest as usize + 1);
    }
}

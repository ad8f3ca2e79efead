//! The network's edges: the egress path of the functions, and the vendor
//! portal's API Gateway, CloudFront and Cognito.

use super::{Line, Month, line};
use crate::allowances::PORTAL_FREE_ALLOWANCES;
use crate::assumptions::{GIB, HOURS_PER_MONTH};
use crate::format::qty;
use crate::prices::PriceId;
use crate::scenario::Egress;

/// How the functions reach SQS, SNS and Secrets Manager.
pub(super) fn egress(month: &Month, egress: Egress) -> Line {
    let (traffic, assumptions) = (&month.traffic, month.assumptions);
    let gb = traffic.uploads
        * (assumptions.egress_bytes_per_upload + 2.0 * traffic.error_message_bytes(assumptions))
        / GIB;
    match egress {
        Egress::Ipv6 => {
            // Everything leaves through the egress-only gateway, which has
            // no charge of its own; interface endpoints only for a service
            // without a dual-stack endpoint (none by default: Cognito is
            // called from outside the VPC).
            let endpoints = assumptions.ipv6_interface_endpoints;
            let fixed = endpoints * HOURS_PER_MONTH * PriceId::InterfaceEndpointHour.usd();
            let cognito = if endpoints > 0.0 {
                format!(
                    "; {} interface endpoint(s) in 1 AZ for services without a dual-stack endpoint",
                    qty(endpoints)
                )
            } else {
                String::new()
            };
            line(
                "Egress: IPv6 (egress-only gateway)",
                fixed,
                0.0,
                format!(
                    "egress-only internet gateway: no charge; {} GB over IPv6 to AWS endpoints in the region, not charged{cognito}",
                    qty(gb)
                ),
            )
        }
        Egress::NatInstance => {
            let fixed = HOURS_PER_MONTH
                * (PriceId::Ec2T4gNanoHour.usd() + PriceId::PublicIpv4Hour.usd())
                + 8.0 * PriceId::EbsGp3GbMonth.usd();
            line(
                "Egress: NAT instance",
                fixed,
                0.0,
                format!(
                    "t4g.nano + public IPv4 + 8 GB gp3; {} GB to AWS endpoints in the region, not charged",
                    qty(gb)
                ),
            )
        }
        Egress::NatGateway => {
            let fixed =
                HOURS_PER_MONTH * (PriceId::NatGatewayHour.usd() + PriceId::PublicIpv4Hour.usd());
            line(
                "Egress: NAT gateway",
                fixed,
                gb * PriceId::NatGatewayGb.usd(),
                format!("1 gateway + its Elastic IP; {} GB processed", qty(gb)),
            )
        }
        Egress::Endpoints => {
            // With the portal (always priced) three more: the vendor-api
            // reads the signing keys from Cognito, as the VPC has no path to
            // the site, and the console queries CloudWatch Logs and metrics.
            let endpoints = Egress::INTERFACE_ENDPOINTS;
            let fixed =
                endpoints.len() as f64 * HOURS_PER_MONTH * PriceId::InterfaceEndpointHour.usd();
            let (pipeline, portal) = endpoints.split_at(3);
            line(
                "Egress: interface endpoints",
                fixed,
                gb * PriceId::InterfaceEndpointGb.usd(),
                format!(
                    "{} and the portal's {} in 1 AZ; {} GB processed",
                    pipeline.join(", "),
                    portal.join(", "),
                    qty(gb)
                ),
            )
        }
    }
}

/// The vendor portal (terraform `enable_portal`, on by default): the HTTP API
/// in front of the vendor-api, CloudFront for the site, the Cognito pool.
pub(super) fn portal(month: &Month) -> Line {
    let (traffic, assumptions) = (&month.traffic, month.assumptions);
    let requests = traffic.uploads * assumptions.portal_requests_per_upload;
    let both_modes = if month.free.0 {
        ""
    } else {
        " (counted at list price too: the model does not price their use)"
    };
    line(
        "Vendor portal (API Gateway, CloudFront, Cognito)",
        0.0,
        requests * PriceId::ApiGatewayHttpRequest.usd(),
        format!(
            "{} HTTP API requests per upload (a vendor following it in the portal); {PORTAL_FREE_ALLOWANCES}{both_modes}",
            qty(assumptions.portal_requests_per_upload)
        ),
    )
}

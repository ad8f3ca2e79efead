//! Messaging: the SQS queues and the SNS topic.

use super::{Line, Month, line};
use crate::allowances::AllowanceId;
use crate::assumptions::{Assumptions, KIB, SECONDS_PER_MONTH};
use crate::format::qty;
use crate::prices::PriceId;
use crate::scenario::Design;

/// Empty long polls a month by Lambda's SQS event source mappings.
fn lambda_idle_polls(assumptions: &Assumptions) -> f64 {
    assumptions.sqs_event_source_mappings * assumptions.sqs_idle_pollers * SECONDS_PER_MONTH / 20.0
}

/// SQS: the pollers' empty long polls (fixed) and each upload's messages.
pub(super) fn sqs(month: &Month) -> Line {
    let (traffic, assumptions) = (&month.traffic, month.assumptions);
    let (fixed_requests, per_upload, basis) = match month.design {
        Design::Serverless { .. } => {
            let idle = lambda_idle_polls(assumptions);
            let sends =
                traffic.queue_messages + traffic.error_message_bytes(assumptions) / (64.0 * KIB);
            let per_upload = sends + 2.0 * traffic.reporter_invocations;
            (
                idle,
                per_upload,
                format!(
                    "{} empty long polls by Lambda's pollers ({} event source mappings: errors → live, errors-candidate → candidate); {} requests per upload (error messages packed up to 200 KB, billed per 64 KB)",
                    qty(idle),
                    qty(assumptions.sqs_event_source_mappings),
                    qty(per_upload)
                ),
            )
        }
        Design::AlwaysOn { .. } => {
            let idle = SECONDS_PER_MONTH / 20.0;
            (
                idle,
                3.0,
                format!(
                    "{} empty long polls by the worker; 3 requests per upload (S3 event, receive, delete)",
                    qty(idle)
                ),
            )
        }
    };
    let (fixed, variable) = month.charged(
        fixed_requests,
        traffic.uploads * per_upload,
        AllowanceId::SqsRequests,
        PriceId::SqsRequest,
    );
    line(
        "SQS",
        fixed,
        variable,
        basis + &month.free.note("1 M requests a month"),
    )
}

/// SNS: one publish and one e-mail per upload.
pub(super) fn sns(month: &Month) -> Line {
    let traffic = &month.traffic;
    let publishes = month.variable_charge(
        traffic.uploads,
        AllowanceId::SnsPublishes,
        PriceId::SnsPublish,
    );
    let emails = month.variable_charge(traffic.uploads, AllowanceId::SnsEmails, PriceId::SnsEmail);
    line(
        "SNS",
        0.0,
        publishes + emails,
        format!(
            "1 publish and 1 e-mail per upload (filtered on message attributes: no filtering charge){}",
            month.free.note("1 M publishes and 1,000 e-mails a month")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_event_source_mapping_long_polls_all_month() {
        // 5 pollers × one 20 s long poll each, all month: 657,000 per mapping.
        assert_eq!(Assumptions::DEFAULT.sqs_event_source_mappings, 2.0);
        assert_eq!(lambda_idle_polls(&Assumptions::DEFAULT), 2.0 * 657_000.0);
    }
}

//! The monthly estimate of a scenario: one [`Line`] per service, each split
//! into what is paid with no uploads at all and what the load adds.

mod compute;
mod messaging;
mod monitoring;
mod network;
mod security;
mod storage;
mod traffic;

use crate::allowances::{AllowanceId, Free, billable};
use crate::assumptions::Assumptions;
use crate::prices::PriceId;
use crate::scenario::{Db, Design, Scenario};
use traffic::{AuroraActivity, Traffic};

/// One service's monthly cost: `fixed` is paid with no uploads at all;
/// `variable` is what the load adds.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub service: &'static str,
    pub fixed: f64,
    pub variable: f64,
    /// The quantities behind the figures.
    pub basis: String,
}

impl Line {
    pub fn total(&self) -> f64 {
        self.fixed + self.variable
    }
}

/// A scenario's monthly cost, service by service.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    pub scenario: Scenario,
    pub lines: Vec<Line>,
}

impl Estimate {
    pub fn fixed(&self) -> f64 {
        self.lines.iter().map(|line| line.fixed).sum()
    }
    pub fn variable(&self) -> f64 {
        self.lines.iter().map(|line| line.variable).sum()
    }
    pub fn total(&self) -> f64 {
        self.lines.iter().map(Line::total).sum()
    }
    pub fn per_upload(&self) -> Option<f64> {
        let uploads = self.scenario.uploads as f64;
        (uploads > 0.0).then(|| self.total() / uploads)
    }
}

/// What every line is priced from: the month's traffic, the assumptions,
/// the allowances counted, the design and, with Aurora, how long it runs.
struct Month<'a> {
    traffic: Traffic,
    assumptions: &'a Assumptions,
    free: Free,
    design: Design,
    aurora: Option<AuroraActivity>,
}

impl Month<'_> {
    /// USD of usage priced at one unit price, after an allowance, as (fixed,
    /// variable): fixed and variable usage are in the price's units, and so
    /// is the allowance.
    fn charged(
        &self,
        fixed: f64,
        variable: f64,
        allowance: AllowanceId,
        price: PriceId,
    ) -> (f64, f64) {
        let (fixed, variable) = billable(fixed, variable, self.free.of(allowance));
        (fixed * price.usd(), variable * price.usd())
    }

    /// USD of usage that only the load adds, after the allowance.
    fn variable_charge(&self, usage: f64, allowance: AllowanceId, price: PriceId) -> f64 {
        let (_, variable) = self.charged(0.0, usage, allowance, price);
        variable
    }
}

/// The monthly estimate of one scenario.
pub fn estimate(scenario: &Scenario) -> Estimate {
    let assumptions = &scenario.conditions.assumptions;
    let traffic = Traffic::new(scenario);
    let aurora = match scenario.design {
        Design::Serverless {
            db: Db::AuroraServerless,
            ..
        } => Some(AuroraActivity::new(&traffic, assumptions)),
        _ => None,
    };
    let month = Month {
        traffic,
        assumptions,
        free: scenario.conditions.free,
        design: scenario.design,
        aurora,
    };
    // The compute and the database differ by design; the always-on worker
    // keeps RDS.
    let (db, mut lines) = match scenario.design {
        Design::Serverless { egress, db } => (
            db,
            vec![
                compute::lambda(&month),
                storage::dynamodb(&month),
                storage::database(&month, db),
                network::egress(&month, egress),
            ],
        ),
        Design::AlwaysOn { worker } => (
            Db::Rds,
            vec![
                compute::worker(&month, worker),
                storage::database(&month, Db::Rds),
            ],
        ),
    };
    // Both designs keep the queue, topic, bucket, secret, key and monitoring.
    lines.extend([
        messaging::sqs(&month),
        messaging::sns(&month),
        storage::s3(&month),
        security::secrets(&month),
        security::kms(&month),
        monitoring::alarms_and_dashboard(&month),
        monitoring::custom_metrics(&month),
        monitoring::logs(&month, db),
    ]);
    match scenario.design {
        Design::Serverless { .. } => lines.extend([
            monitoring::xray(&month),
            compute::ecr(&month, 3.0),
            network::portal(&month),
        ]),
        // One image instead of three, no tracing, no portal.
        Design::AlwaysOn { .. } => lines.push(compute::ecr(&month, 1.0)),
    }
    Estimate {
        scenario: *scenario,
        lines,
    }
}

fn line(service: &'static str, fixed: f64, variable: f64, basis: String) -> Line {
    Line {
        service,
        fixed,
        variable,
        basis,
    }
}

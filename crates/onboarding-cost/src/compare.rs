//! Comparisons: every option at several loads, the loads at which one design
//! becomes cheaper than another, what the connection hold time does to
//! Aurora, and what the remaining changes to the pipeline would save.

use crate::assumptions::{Assumptions, GsiProjection};
use crate::model::{Estimate, estimate};
use crate::scenario::{
    ALWAYS_ON_OPTIONS, Arrivals, Conditions, Db, Design, Egress, SERVERLESS_OPTIONS, Scenario,
};

/// The loads the comparison shows: idle, the given one, 10× and 100×.
pub fn comparison_loads(uploads: u64) -> [u64; 4] {
    [0, uploads, uploads * 10, uploads * 100]
}

/// One design's estimates at each of [`comparison_loads`].
#[derive(Clone, Debug, PartialEq)]
pub struct OptionCosts {
    pub design: Design,
    pub by_load: Vec<Estimate>,
}

/// Every serverless option, then every always-on design, at each of the
/// [`comparison_loads`] of `uploads`.
pub fn every_option(uploads: u64, conditions: &Conditions) -> Vec<OptionCosts> {
    SERVERLESS_OPTIONS
        .iter()
        .chain(ALWAYS_ON_OPTIONS.iter())
        .map(|design| OptionCosts {
            design: *design,
            by_load: comparison_loads(uploads)
                .iter()
                .map(|load| estimate(&conditions.scenario(*load, *design)))
                .collect(),
        })
        .collect()
}

/// The cheapest serverless option at a load.
pub fn cheapest_serverless(uploads: u64, conditions: &Conditions) -> Estimate {
    SERVERLESS_OPTIONS
        .iter()
        .map(|design| estimate(&conditions.scenario(uploads, *design)))
        .min_by(|one, other| one.total().total_cmp(&other.total()))
        .expect("serverless options")
}

/// The smallest monthly upload count for which `holds` is true, if there is
/// one below ten million; `holds` must stay true once it is (more load only
/// widens the gap it tests).
fn first_load_where(holds: impl Fn(u64) -> bool) -> Option<u64> {
    // Scan in steps of ~10%, then narrow down.
    let mut lo = 0u64;
    let mut hi = None;
    let mut uploads = 1u64;
    while uploads <= 10_000_000 {
        if holds(uploads) {
            hi = Some(uploads);
            break;
        }
        lo = uploads;
        uploads = (uploads + uploads / 10).max(uploads + 1);
    }
    let mut hi = hi?;
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if holds(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

/// The smallest monthly upload count at which the always-on Fargate design
/// costs less than every serverless option, if there is one below ten
/// million.
pub fn always_on_break_even(conditions: &Conditions) -> Option<u64> {
    first_load_where(|uploads| {
        let fargate = estimate(&conditions.scenario(uploads, ALWAYS_ON_OPTIONS[0])).total();
        fargate < cheapest_serverless(uploads, conditions).total()
    })
}

/// The smallest monthly upload count at which the pipeline with RDS costs
/// less than with Aurora Serverless v2, same egress.
pub fn rds_break_even(conditions: &Conditions, egress: Egress) -> Option<u64> {
    let at = |uploads, db| {
        estimate(&conditions.scenario(uploads, Design::Serverless { egress, db })).total()
    };
    first_load_where(|uploads| at(uploads, Db::Rds) < at(uploads, Db::AuroraServerless))
}

/// Connection hold times (minutes) the sensitivity table shows.
pub const HOLDS_MINUTES: [f64; 5] = [0.0, 0.25, 1.0, 10.0, 120.0];

/// For one arrival pattern: Aurora's total at each of [`HOLDS_MINUTES`], and
/// RDS's at the conditions' own hold time.
#[derive(Clone, Debug, PartialEq)]
pub struct HoldSensitivity {
    pub arrivals: Arrivals,
    pub aurora_by_hold: Vec<f64>,
    pub rds: f64,
}

/// How long PostgreSQL connections stay open decides how long Aurora runs:
/// the totals with `egress`, by hold time, for both arrival patterns (the
/// conditions' own arrivals are not used).
pub fn sensitivity(uploads: u64, egress: Egress, conditions: &Conditions) -> Vec<HoldSensitivity> {
    let at = |arrivals, db, assumptions: Assumptions| {
        let conditions = Conditions {
            arrivals,
            assumptions,
            ..*conditions
        };
        estimate(&conditions.scenario(uploads, Design::Serverless { egress, db })).total()
    };
    [Arrivals::AroundTheClock, Arrivals::BusinessHours]
        .into_iter()
        .map(|arrivals| HoldSensitivity {
            arrivals,
            aurora_by_hold: HOLDS_MINUTES
                .iter()
                .map(|hold| {
                    let assumptions = conditions.assumptions.with_db_hold_minutes(*hold);
                    at(arrivals, Db::AuroraServerless, assumptions)
                })
                .collect(),
            rds: at(arrivals, Db::Rds, conditions.assumptions),
        })
        .collect()
}

/// A change to the provisioned pipeline, for the levers table.
pub struct Lever {
    pub name: &'static str,
    pub apply: fn(&mut Assumptions),
}

/// The changes the levers table adds, one after the other.
pub const LEVERS: [Lever; 1] = [Lever {
    name: "drop the GSI instead (not an option we take: the requirements ask for a GSI by vendor)",
    apply: |assumptions| assumptions.gsi = GsiProjection::Dropped,
}];

/// One row of the levers table: the change and the total with it and every
/// change above it.
#[derive(Clone, Debug, PartialEq)]
pub struct LeverStep {
    pub change: &'static str,
    pub total: f64,
}

/// The total as provisioned, then with each of [`LEVERS`] added.
pub fn levers(scenario: &Scenario) -> Vec<LeverStep> {
    let mut assumptions = scenario.conditions.assumptions;
    let total = |assumptions| estimate(&scenario.with_assumptions(assumptions)).total();
    let mut steps = vec![LeverStep {
        change: "as provisioned and coded today",
        total: total(assumptions),
    }];
    for lever in &LEVERS {
        (lever.apply)(&mut assumptions);
        steps.push(LeverStep {
            change: lever.name,
            total: total(assumptions),
        });
    }
    steps
}

//! The same figures as JSON (`onboard cost --json`).

use serde_json::{Value, json};

use super::{REGION_NOTE, Report};
use crate::allowances::ALWAYS_FREE;
use crate::compare::{
    HOLDS_MINUTES, always_on_break_even, every_option, levers, rds_break_even, sensitivity,
};
use crate::model::{Estimate, estimate};
use crate::prices::{PRICE_REGION, PRICES, PRICES_AS_OF};
use crate::scenario::Egress;

fn estimate_json(estimate: &Estimate) -> Value {
    let scenario = &estimate.scenario;
    json!({
        "design": scenario.design,
        "label": scenario.design.label(),
        "uploads": scenario.uploads as f64,
        "rows": scenario.conditions.rows as f64,
        "arrivals": scenario.conditions.arrivals,
        "lines": estimate.lines.iter().map(|line| json!({
            "service": line.service,
            "fixed_usd": line.fixed,
            "variable_usd": line.variable,
            "total_usd": line.total(),
            "basis": line.basis,
        })).collect::<Vec<_>>(),
        "fixed_usd": estimate.fixed(),
        "variable_usd": estimate.variable(),
        "total_usd": estimate.total(),
        "per_upload_usd": estimate.per_upload(),
    })
}

/// The report as one JSON object: the prices it is at and the estimate,
/// plus one member per section asked for.
pub(super) fn report(report: &Report) -> Value {
    let scenario = &report.scenario;
    let conditions = &scenario.conditions;
    let sections = &report.sections;
    let free = conditions.free;
    let free_tier = if free.0 {
        "always-free allowances counted, 12-month trial ignored"
    } else {
        "none counted: list prices (CloudFront's and Cognito Lite's allowances still counted)"
    };
    let mut out = json!({
        "prices": {
            "region": PRICE_REGION,
            "as_of": PRICES_AS_OF,
            "kind": "list prices, on-demand",
            "free_tier": free_tier,
            "always_free_allowances_counted": free.0,
        },
        "estimate": estimate_json(&estimate(scenario)),
    });
    if sections.compare {
        let options: Vec<Value> = every_option(scenario.uploads, conditions)
            .into_iter()
            .map(|option| {
                let totals: Vec<Value> = option
                    .by_load
                    .iter()
                    .map(|at_load| {
                        json!({
                            "uploads": at_load.scenario.uploads,
                            "total_usd": at_load.total(),
                            "fixed_usd": at_load.fixed(),
                        })
                    })
                    .collect();
                json!({"design": option.design, "label": option.design.label(), "totals": totals})
            })
            .collect();
        out["compare"] = json!({
            "options": options,
            "always_on_break_even_uploads": always_on_break_even(conditions),
            "rds_cheaper_than_aurora_from_uploads": rds_break_even(conditions, Egress::TERRAFORM_DEFAULT),
        });
    }
    if sections.sensitivity {
        out["sensitivity"] = sensitivity(scenario.uploads, report.sensitivity_egress, conditions)
            .into_iter()
            .map(|row| {
                json!({
                    "arrivals": row.arrivals,
                    "aurora_total_usd_by_hold_minutes": HOLDS_MINUTES
                        .iter()
                        .zip(row.aurora_by_hold)
                        .map(|(hold, total)| json!({"hold_minutes": hold, "total_usd": total}))
                        .collect::<Vec<_>>(),
                    "rds_total_usd": row.rds,
                })
            })
            .collect();
    }
    if sections.levers {
        out["levers"] = levers(scenario)
            .into_iter()
            .map(|step| json!({"change": step.change, "total_usd": step.total}))
            .collect();
    }
    if sections.prices {
        out["prices"]["table"] = json!(PRICES);
        out["prices"]["always_free"] = json!(ALWAYS_FREE);
    }
    if sections.region_note {
        out["region_note"] = json!(REGION_NOTE);
    }
    out
}

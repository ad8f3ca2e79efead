//! The tables `onboard cost` prints, as aligned text or as Markdown.

use std::fmt::Write as _;

use super::table::TextTable;
use super::{REGION_NOTE, Report};
use crate::allowances::ALWAYS_FREE;
use crate::compare::{
    HOLDS_MINUTES, always_on_break_even, cheapest_serverless, comparison_loads, every_option,
    levers, rds_break_even, sensitivity,
};
use crate::format::{money, thousands};
use crate::model::{Estimate, estimate};
use crate::prices::{PRICE_REGION, PRICES, PRICES_AS_OF};
use crate::scenario::{Choice, Conditions, Egress, Scenario};

/// Every section the report asks for, a blank line apart; the breakdown of
/// its scenario when it asks for none of the tables.
pub(super) fn report(report: &Report, markdown: bool) -> String {
    let sections = &report.sections;
    let scenario = &report.scenario;
    let mut parts = Vec::new();
    if sections.prices {
        parts.push(prices(markdown));
    }
    if sections.compare {
        parts.push(comparison(scenario.uploads, &scenario.conditions, markdown));
    }
    if sections.sensitivity {
        parts.push(hold_sensitivity(
            scenario,
            report.sensitivity_egress,
            markdown,
        ));
    }
    if sections.levers {
        parts.push(levers_table(scenario, markdown));
    }
    if parts.is_empty() {
        parts.push(breakdown(&estimate(scenario), markdown));
    }
    if sections.region_note {
        parts.push(format!("{REGION_NOTE}\n"));
    }
    parts.join("\n")
}

fn load_label(uploads: u64, rows: u64) -> String {
    format!("{} uploads × {} rows", thousands(uploads), thousands(rows))
}

/// One scenario, service by service.
fn breakdown(estimate: &Estimate, markdown: bool) -> String {
    let scenario = &estimate.scenario;
    let conditions = &scenario.conditions;
    let mut rows: Vec<Vec<String>> = estimate
        .lines
        .iter()
        .map(|line| {
            vec![
                line.service.to_string(),
                money(line.fixed),
                money(line.variable),
                money(line.total()),
                line.basis.clone(),
            ]
        })
        .collect();
    rows.push(vec![
        "**Total**".into(),
        format!("**{}**", money(estimate.fixed())),
        format!("**{}**", money(estimate.variable())),
        format!("**{}**", money(estimate.total())),
        String::new(),
    ]);
    let table = TextTable::new(
        &["Service", "Fixed (idle)", "Variable", "Total", "Basis"],
        &[false, true, true, true, false],
        rows,
    );
    let mut out = format!(
        "Monthly cost in USD, {}, {}, uploads arriving {} ({}):\n\n",
        scenario.design.label(),
        load_label(scenario.uploads, conditions.rows),
        conditions.arrivals.name(),
        conditions.free.label()
    );
    out.push_str(&table.render(markdown));
    out.push('\n');
    match estimate.per_upload() {
        Some(per) => {
            let _ = writeln!(
                out,
                "Per upload: USD {per:.4} (of which variable USD {:.4}).",
                estimate.variable() / scenario.uploads as f64
            );
        }
        None => out.push_str("Per upload: no uploads; the total is the fixed (idle) cost.\n"),
    }
    out
}

/// Every option at idle, `uploads`, 10× and 100×, and what the comparison finds.
fn comparison(uploads: u64, conditions: &Conditions, markdown: bool) -> String {
    let loads = comparison_loads(uploads);
    let rows_per_upload = conditions.rows;
    let mut headers = vec!["Option".to_string(), "Idle".to_string()];
    headers.extend(
        loads[1..]
            .iter()
            .map(|load| format!("{} uploads", thousands(*load))),
    );
    let rows = every_option(uploads, conditions)
        .into_iter()
        .map(|option| {
            std::iter::once(option.design.label())
                .chain(option.by_load.iter().map(|at_load| money(at_load.total())))
                .collect()
        })
        .collect();
    let table = TextTable {
        headers,
        right: vec![false, true, true, true, true],
        rows,
    };
    let mut out = format!(
        "Monthly total in USD by option and load ({} rows per upload, uploads arriving {}, {}):\n\n",
        thousands(rows_per_upload),
        conditions.arrivals.name(),
        conditions.free.label()
    );
    out.push_str(&table.render(markdown));
    out.push('\n');
    for load in &loads[1..] {
        let best = cheapest_serverless(*load, conditions);
        // NFR4: under USD 20 a month for 1,000 uploads.
        let target = match (*load == 1000, best.total() < 20.0) {
            (false, _) => "",
            (true, true) => "; NFR4 (under USD 20 for 1,000 uploads) is met",
            (true, false) => "; NFR4 (under USD 20 for 1,000 uploads) is not met",
        };
        let _ = writeln!(
            out,
            "- Cheapest serverless option at {}: {}, USD {}{target}.",
            load_label(*load, rows_per_upload),
            best.scenario.design.label(),
            money(best.total()),
        );
    }
    let idle = cheapest_serverless(0, conditions);
    let _ = writeln!(
        out,
        "- Lowest idle cost: {}, USD {} a month with no uploads (requirement 001 asks for under USD 1).",
        idle.scenario.design.label(),
        money(idle.total())
    );
    match rds_break_even(conditions, Egress::TERRAFORM_DEFAULT) {
        Some(even) => {
            let _ = writeln!(
                out,
                "- With egress {}, RDS costs less than Aurora Serverless v2 from {} uploads a month of {} rows.",
                Egress::TERRAFORM_DEFAULT,
                thousands(even),
                thousands(rows_per_upload)
            );
            let _ = writeln!(
                out,
                "- Profiles (Terraform variables): idle or light load, below {} uploads a month: the defaults (egress_mode = \"{}\", database_engine = \"aurora-serverless\", create_dashboard = false); busy, from {}: database_engine = \"rds\", the rest unchanged.",
                thousands(even),
                Egress::TERRAFORM_DEFAULT.terraform_name(),
                thousands(even)
            );
        }
        None => {
            let _ = writeln!(
                out,
                "- With egress {}, Aurora Serverless v2 costs less than RDS at every load below 10 M uploads a month.",
                Egress::TERRAFORM_DEFAULT
            );
        }
    }
    match always_on_break_even(conditions) {
        Some(even) => {
            let _ = writeln!(
                out,
                "- The always-on Fargate design costs less than every serverless option from {} uploads a month of {} rows.",
                thousands(even),
                thousands(rows_per_upload)
            );
        }
        None => {
            let _ = writeln!(
                out,
                "- The always-on Fargate design never costs less than the cheapest serverless option below 10 M uploads a month."
            );
        }
    }
    out
}

/// Aurora's total by connection hold time and arrival pattern, next to RDS.
fn hold_sensitivity(scenario: &Scenario, egress: Egress, markdown: bool) -> String {
    let conditions = &scenario.conditions;
    let mut headers = vec!["Uploads arrive".to_string()];
    headers.extend(
        HOLDS_MINUTES
            .iter()
            .map(|hold| format!("Aurora, hold {hold} min")),
    );
    headers.push("RDS".into());
    let rows = sensitivity(scenario.uploads, egress, conditions)
        .into_iter()
        .map(|row| {
            std::iter::once(row.arrivals.name().to_string())
                .chain(row.aurora_by_hold.into_iter().map(money))
                .chain(std::iter::once(money(row.rds)))
                .collect()
        })
        .collect();
    let table = TextTable {
        right: std::iter::once(false)
            .chain(std::iter::repeat_n(true, headers.len() - 1))
            .collect(),
        headers,
        rows,
    };
    let mut out = format!(
        "Monthly total in USD at {}, egress {}, by how long PostgreSQL connections stay open after the last request (0: the pipeline functions close theirs within seconds; 0.25: idle_session_timeout closes the vendor portal's pool after 15 s, the default; longer: a what-if) and when uploads arrive ({}):\n\n",
        load_label(scenario.uploads, conditions.rows),
        egress.name(),
        conditions.free.label()
    );
    out.push_str(&table.render(markdown));
    out
}

/// What each change to the pipeline saves, cumulatively.
fn levers_table(scenario: &Scenario, markdown: bool) -> String {
    let conditions = &scenario.conditions;
    let steps = levers(scenario);
    let rows = steps
        .iter()
        .enumerate()
        .map(|(index, step)| {
            if index == 0 {
                vec![step.change.to_string(), money(step.total), String::new()]
            } else {
                vec![
                    format!("+ {}", step.change),
                    money(step.total),
                    money(steps[index - 1].total - step.total),
                ]
            }
        })
        .collect();
    let table = TextTable::new(
        &["Change (cumulative)", "Total", "Saves"],
        &[false, true, true],
        rows,
    );
    let mut out = format!(
        "Monthly total in USD at {}, {}, uploads arriving {} ({}), with each change added to the ones above:\n\n",
        load_label(scenario.uploads, conditions.rows),
        scenario.design.label(),
        conditions.arrivals.name(),
        conditions.free.label()
    );
    out.push_str(&table.render(markdown));
    out
}

/// The price table and the always-free allowances, each with its page.
fn prices(markdown: bool) -> String {
    let table = TextTable::new(
        &["Price", "USD", "Per", "Page (aws.amazon.com)", "As of"],
        &[false, true, false, false, false],
        PRICES
            .iter()
            .map(|price| {
                vec![
                    format!("{:?}", price.id),
                    format!("{}", price.listed),
                    if price.per == 1.0 {
                        price.unit.to_string()
                    } else {
                        format!("{} {}", thousands(price.per as u64), price.unit)
                    },
                    price.page.to_string(),
                    price.as_of.to_string(),
                ]
            })
            .collect(),
    );
    let mut out = format!(
        "{PRICE_REGION} on-demand list prices as recorded in {PRICES_AS_OF}, before any free allowance; they drift, so check the pages:\n\n"
    );
    out.push_str(&table.render(markdown));
    let allowances = TextTable::new(
        &[
            "Always free a month",
            "Quantity",
            "Page (aws.amazon.com)",
            "As of",
            "Source",
        ],
        &[false, true, false, false, false],
        ALWAYS_FREE
            .iter()
            .map(|allowance| {
                vec![
                    allowance.unit.to_string(),
                    thousands(allowance.quantity as u64),
                    allowance.page.to_string(),
                    allowance.as_of.to_string(),
                    allowance.source.to_string(),
                ]
            })
            .collect(),
    );
    out.push_str(
        "\nAWS's always-free allowances (perpetual, not the 12-month trial or the credits of newer accounts), per account or AWS Organization and shared with every other workload in it. The model counts them unless run with --no-free-allowances; CloudFront's and Cognito's are counted either way. Secrets Manager, S3, ECR, API Gateway, RDS, Aurora, EC2 and Fargate have no always-free allowance and are charged in full. \"Source\" says which figures were confirmed by a search of published pages when this was written:\n\n",
    );
    out.push_str(&allowances.render(markdown));
    out
}

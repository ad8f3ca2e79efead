//! What `onboard cost` prints: a [`Report`] rendered as text, Markdown or
//! JSON.

mod json;
mod table;
mod text;

use crate::scenario::{Egress, Scenario};

/// The region note (`--region-note`).
pub const REGION_NOTE: &str = "Region: the prices are us-east-1 list prices. The Terraform default region is eu-west-1, where most of these services list somewhat higher (EC2, RDS, Aurora, DynamoDB and NAT gateways typically by 5-15%); Lambda's arm64 price is the same. The model does not adjust for region: compare with the pricing pages or the AWS Pricing Calculator for the region you deploy to.";

/// The tables a report shows besides the breakdown of its scenario, which
/// it shows when it shows none of the first four.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sections {
    /// The price table and the always-free allowances.
    pub prices: bool,
    /// Every option at idle, this load, 10× and 100×, with the break-even loads.
    pub compare: bool,
    /// Aurora's total by connection hold time and arrival pattern, next to RDS.
    pub sensitivity: bool,
    /// What the remaining changes to the pipeline would save, cumulatively.
    pub levers: bool,
    /// How the region changes the figures.
    pub region_note: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// Aligned plain-text tables.
    #[default]
    Text,
    /// Markdown tables, as docs/ shows them.
    Markdown,
    /// One JSON object.
    Json,
}

/// What to price and what to show.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Report {
    /// The scenario the breakdown and the levers price; the comparison and
    /// the sensitivity table keep its uploads and conditions.
    pub scenario: Scenario,
    /// The egress the sensitivity table prices the pipeline with: the
    /// scenario's own, or, beside an always-on design, the one asked for.
    pub sensitivity_egress: Egress,
    pub sections: Sections,
    pub format: Format,
}

/// The report as `onboard cost` prints it.
pub fn render(report: &Report) -> String {
    match report.format {
        Format::Text => text::report(report, false),
        Format::Markdown => text::report(report, true),
        Format::Json => format!("{:#}\n", json::report(report)),
    }
}

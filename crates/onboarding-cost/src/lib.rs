//! What the pipeline costs per month on AWS, service by service, for a given
//! load; and what an always-on design would cost for the same load. The
//! command `onboard cost` is a thin front over this crate: it maps its flags
//! to a [`Report`] and prints [`render()`]'s output.
//!
//! Everything is arithmetic over three tables:
//!
//! - [`PRICES`]: AWS list prices in us-east-1, each with its unit, the pricing
//!   page it comes from and the month it was recorded. List prices drift and
//!   differ by region.
//! - [`ALWAYS_FREE`]: AWS's perpetual free allowances (not the 12-month trial),
//!   counted by default and left out with `--no-free-allowances`.
//! - [`Assumptions`]: what one upload does. Where a figure comes from the
//!   Terraform code, the function code, or a local measurement, its doc
//!   comment says which.
//!
//! The modules, in the order the figures flow: [`prices`] and
//! [`allowances`] (what AWS charges), [`assumptions`] (what an upload does),
//! [`scenario`] (the designs and loads), [`model`] (one estimate, a line per
//! service), [`compare`] (across designs, loads and hold times), and
//! [`render`](mod@render) and [`format`] (the tables). Nothing here reads a
//! file, the clock or the network.
//!
//! docs/COST.md and the pages it links are partly this crate's output:
//! `tests/docs.rs` fails when a generated block drifts from [`render()`], and
//! `tests/fixtures.rs` holds the output of every documented command.

pub mod allowances;
pub mod assumptions;
pub mod compare;
pub mod format;
pub mod model;
pub mod prices;
pub mod render;
pub mod scenario;

pub use allowances::{ALWAYS_FREE, Allowance, AllowanceId, Free, PORTAL_FREE_ALLOWANCES};
pub use assumptions::{Assumptions, GsiProjection};
pub use compare::{
    HOLDS_MINUTES, HoldSensitivity, LEVERS, Lever, LeverStep, OptionCosts, always_on_break_even,
    cheapest_serverless, comparison_loads, every_option, levers, rds_break_even, sensitivity,
};
pub use model::{Estimate, Line, estimate};
pub use prices::{PRICE_REGION, PRICES, PRICES_AS_OF, Price, PriceId};
pub use render::{Format, REGION_NOTE, Report, Sections, render};
pub use scenario::{
    ALWAYS_ON_OPTIONS, Arrivals, Choice, Conditions, Db, Design, Egress, SERVERLESS_OPTIONS,
    Scenario, Worker,
};

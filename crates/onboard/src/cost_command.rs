//! `onboard cost`: the command line of the cost model in `onboarding-cost`.
//! It maps the flags to a [`Report`] and prints what the crate renders.

use std::process::ExitCode;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use onboarding_cost::{
    Arrivals, Assumptions, Choice, Conditions, Db, Design, Egress, Format, Free, Report, Scenario,
    Sections, Worker, render,
};

#[derive(clap::Args, Debug, Clone)]
pub struct CostArgs {
    /// Uploads per month.
    #[arg(long, default_value_t = 1000)]
    pub uploads: u64,
    /// Product rows per upload.
    #[arg(long, default_value_t = 1000)]
    pub rows: u64,
    /// How the functions reach SQS, SNS and Secrets Manager (terraform egress_mode).
    #[arg(long, value_parser = choice::<Egress>(), default_value_t = Egress::TERRAFORM_DEFAULT)]
    pub egress: Egress,
    /// The catalog database (terraform database_engine).
    #[arg(long, value_parser = choice::<Db>(), default_value_t = Db::AuroraServerless)]
    pub db: Db,
    /// When uploads arrive; around the clock is the expensive case for Aurora and metrics.
    #[arg(long, value_parser = choice::<Arrivals>(), default_value_t = Arrivals::AroundTheClock)]
    pub arrivals: Arrivals,
    /// Minutes PostgreSQL connections stay open after the last request (Aurora cannot pause meanwhile): 0.25, the idle_session_timeout (15 s) that closes the vendor portal's pooled connections (the pipeline functions close theirs 3 s after their last invocation); longer is a what-if.
    #[arg(long, default_value_t = 0.25)]
    pub db_hold_minutes: f64,
    /// Pure list prices: do not count AWS's always-free allowances (use when other workloads in the account or AWS Organization already use them).
    #[arg(long)]
    pub no_free_allowances: bool,
    /// Show the always-on alternative with this compute instead of the pipeline.
    #[arg(long, value_parser = choice::<Worker>())]
    pub always_on: Option<Worker>,
    /// Compare every option and the always-on designs at idle, this load, 10× and 100×.
    #[arg(long)]
    pub compare: bool,
    /// Aurora's total by connection hold time and arrival pattern, next to RDS.
    #[arg(long)]
    pub sensitivity: bool,
    /// What changes to the pipeline would save, cumulatively.
    #[arg(long)]
    pub levers: bool,
    /// Print the price table.
    #[arg(long)]
    pub prices: bool,
    /// Say how the region changes the figures.
    #[arg(long)]
    pub region_note: bool,
    /// Print Markdown tables.
    #[arg(long, conflicts_with = "json")]
    pub markdown: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// A flag's values from one of the model's [`Choice`]s: its names, and its
/// descriptions as the help of each.
fn choice<T: Choice>() -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(
        T::ALL
            .iter()
            .map(|option| PossibleValue::new(option.name()).help(option.description())),
    )
    .map(|name| {
        *T::ALL
            .iter()
            .find(|option| option.name() == name)
            .expect("clap accepts only the possible values")
    })
}

impl CostArgs {
    fn report(&self) -> Report {
        let design = match self.always_on {
            Some(worker) => Design::AlwaysOn { worker },
            None => Design::Serverless {
                egress: self.egress,
                db: self.db,
            },
        };
        let conditions = Conditions {
            rows: self.rows,
            arrivals: self.arrivals,
            assumptions: Assumptions::DEFAULT.with_db_hold_minutes(self.db_hold_minutes),
            free: Free(!self.no_free_allowances),
        };
        Report {
            scenario: Scenario {
                uploads: self.uploads,
                design,
                conditions,
            },
            sensitivity_egress: self.egress,
            sections: Sections {
                prices: self.prices,
                compare: self.compare,
                sensitivity: self.sensitivity,
                levers: self.levers,
                region_note: self.region_note,
            },
            format: if self.json {
                Format::Json
            } else if self.markdown {
                Format::Markdown
            } else {
                Format::Text
            },
        }
    }
}

pub fn run(args: CostArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.db_hold_minutes >= 0.0 && args.db_hold_minutes.is_finite(),
        "--db-hold-minutes must be a non-negative number"
    );
    let text = render(&args.report());
    // A closed pipe (`| head`) is not an error.
    let mut stdout = std::io::stdout().lock();
    match std::io::Write::write_all(&mut stdout, text.as_bytes())
        .and_then(|()| std::io::Write::flush(&mut stdout))
    {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other?,
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct TestCli {
        #[command(flatten)]
        args: CostArgs,
    }

    fn report(command: &str) -> Report {
        let words = command.split_whitespace();
        TestCli::try_parse_from(std::iter::once("cost").chain(words))
            .unwrap_or_else(|error| panic!("{command}: {error}"))
            .args
            .report()
    }

    #[test]
    fn the_cost_flags_select_the_pricing() {
        let default = report("");
        assert_eq!(default.scenario.conditions.free, Free(true));
        assert_eq!(default.scenario.conditions.assumptions.db_hold_s, 15.0);
        let list = report("--no-free-allowances --db-hold-minutes 10");
        assert_eq!(list.scenario.conditions.free, Free(false));
        assert_eq!(list.scenario.conditions.assumptions.db_hold_s, 600.0);
        let prices = |report: Report| {
            let json = render(&Report {
                format: Format::Json,
                ..report
            });
            serde_json::from_str::<serde_json::Value>(&json).expect("JSON")["prices"].clone()
        };
        assert_eq!(
            prices(default)["free_tier"],
            "always-free allowances counted, 12-month trial ignored"
        );
        assert_eq!(prices(default)["always_free_allowances_counted"], true);
        assert_eq!(prices(list)["always_free_allowances_counted"], false);
        assert!(
            prices(list)["free_tier"]
                .as_str()
                .is_some_and(|tier| tier.starts_with("none counted"))
        );
        assert!(
            render(&default).contains("always-free allowances counted, 12-month trial ignored")
        );
        assert!(render(&list).contains("no free allowances"));
    }

    #[test]
    fn the_cost_flags_choose_the_design_and_the_tables() {
        let always_on = report("--always-on vm --egress endpoints --db rds --sensitivity --json");
        assert_eq!(
            always_on.scenario.design,
            Design::AlwaysOn { worker: Worker::Vm }
        );
        assert_eq!(always_on.sensitivity_egress, Egress::Endpoints);
        assert!(always_on.sections.sensitivity && !always_on.sections.compare);
        assert_eq!(always_on.format, Format::Json);
        let pipeline = report("--egress nat-gateway --db rds --arrivals business-hours --markdown");
        assert_eq!(
            pipeline.scenario.design,
            Design::Serverless {
                egress: Egress::NatGateway,
                db: Db::Rds
            }
        );
        assert_eq!(
            pipeline.scenario.conditions.arrivals,
            Arrivals::BusinessHours
        );
        assert_eq!(pipeline.format, Format::Markdown);
        assert!(
            TestCli::try_parse_from(["cost", "--markdown", "--json"]).is_err(),
            "--markdown and --json conflict"
        );
    }
}

//! What the tests share: the fixtures' manifest, and the [`Report`] an
//! `onboard cost …` command line asks for (the flags of `onboard cost`, read
//! here without clap; the fixtures, made by the real command, keep the two
//! readings the same).

use std::path::{Path, PathBuf};

use onboarding_cost::{
    Arrivals, Assumptions, Choice, Conditions, Db, Design, Egress, Format, Free, Report, Scenario,
    Sections, Worker,
};

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// `COST_BLESS=1 cargo test -p onboarding-cost --no-fail-fast`: a change to the model
/// rewrites the fixtures and the docs' generated blocks with what the model
/// now prints, instead of failing; `git diff` then shows what changed.
#[allow(dead_code)] // each test binary uses what it needs of this module
pub fn blessing() -> bool {
    std::env::var_os("COST_BLESS").is_some_and(|v| v == "1")
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The manifest's entries the model renders, as (fixture file, command):
/// all but the help, which is clap's (the onboard crate checks those).
pub fn rendered_fixtures() -> Vec<(String, String)> {
    read(&fixtures_dir().join("manifest.txt"))
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (file, command) = line.split_once(' ').expect("<file> <command>");
            (file.to_string(), command.trim().to_string())
        })
        .filter(|(_, command)| {
            !command
                .split_whitespace()
                .any(|word| word == "--help" || word == "-h")
        })
        .collect()
}

fn named<T: Choice>(name: &str) -> T {
    *T::ALL
        .iter()
        .find(|option| option.name() == name)
        .unwrap_or_else(|| panic!("no option named {name}"))
}

/// The report `onboard cost <flags>` prints, with the command's defaults.
pub fn report(command: &str) -> Report {
    let mut words = command
        .strip_prefix("onboard cost")
        .unwrap_or_else(|| panic!("not an `onboard cost` command: {command}"))
        .split_whitespace();
    let mut uploads = 1000;
    let mut conditions = Conditions::new(1000);
    let mut hold_minutes = 0.25;
    let (mut egress, mut db, mut worker) = (Egress::TERRAFORM_DEFAULT, Db::AuroraServerless, None);
    let mut sections = Sections::default();
    let mut format = Format::Text;
    while let Some(flag) = words.next() {
        let mut value = || {
            words
                .next()
                .unwrap_or_else(|| panic!("{command}: {flag} takes a value"))
        };
        match flag {
            "--uploads" => uploads = value().parse().expect("a count"),
            "--rows" => conditions.rows = value().parse().expect("a count"),
            "--egress" => egress = named(value()),
            "--db" => db = named(value()),
            "--arrivals" => conditions.arrivals = named::<Arrivals>(value()),
            "--db-hold-minutes" => hold_minutes = value().parse().expect("minutes"),
            "--no-free-allowances" => conditions.free = Free(false),
            "--always-on" => worker = Some(named::<Worker>(value())),
            "--compare" => sections.compare = true,
            "--sensitivity" => sections.sensitivity = true,
            "--levers" => sections.levers = true,
            "--prices" => sections.prices = true,
            "--region-note" => sections.region_note = true,
            "--markdown" => format = Format::Markdown,
            "--json" => format = Format::Json,
            other => panic!("{command}: unknown flag {other}"),
        }
    }
    conditions.assumptions = Assumptions::DEFAULT.with_db_hold_minutes(hold_minutes);
    let design = worker.map_or(Design::Serverless { egress, db }, |worker| {
        Design::AlwaysOn { worker }
    });
    Report {
        scenario: Scenario {
            uploads,
            design,
            conditions,
        },
        sensitivity_egress: egress,
        sections,
        format,
    }
}

//! The Terraform defaults are the design the figures describe: the defaults
//! of terraform/variables.tf against the model's (`Egress::TERRAFORM_DEFAULT`,
//! the database `onboard cost` prices by default, the Aurora assumptions),
//! and the break-even the variables' prose quotes against the model's.

use std::path::{Path, PathBuf};

use onboarding_cost::{Assumptions, Conditions, Egress, GsiProjection, rds_break_even};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(relative: &str) -> String {
    let path = repo().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The block of `variable "<name>" { … }` in variables.tf (up to the next
/// top-level closing brace).
fn variable_block<'a>(variables: &'a str, name: &str) -> &'a str {
    let start = variables
        .find(&format!("variable \"{name}\" {{"))
        .unwrap_or_else(|| panic!("terraform/variables.tf has no variable {name}"));
    let rest = &variables[start..];
    let end = rest.find("\n}\n").expect("a closing brace");
    &rest[..end]
}

/// The default of a variable, as written (quotes stripped).
fn default_of(variables: &str, name: &str) -> String {
    variable_block(variables, name)
        .lines()
        .find_map(|line| {
            let line = line.trim();
            let value = line
                .strip_prefix("default")?
                .trim_start()
                .strip_prefix('=')?;
            Some(value.trim().trim_matches('"').to_string())
        })
        .unwrap_or_else(|| panic!("variable {name} has no default"))
}

/// The rest of the first line that starts (indentation aside) with `prefix`.
fn after<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|line| line.trim().strip_prefix(prefix))
}

/// A break-even as the prose rounds it: to the nearest 50, with a thousands
/// separator.
fn about(uploads: u64) -> String {
    let rounded = (uploads + 25) / 50 * 50;
    let (thousands, rest) = (rounded / 1000, rounded % 1000);
    if thousands > 0 {
        format!("{thousands},{rest:03}")
    } else {
        rest.to_string()
    }
}

#[test]
fn the_terraform_defaults_are_the_design_the_model_prices() {
    let variables = read("terraform/variables.tf");
    assert_eq!(
        default_of(&variables, "egress_mode"),
        Egress::TERRAFORM_DEFAULT.terraform_name()
    );
    // `onboard cost` prices Aurora Serverless v2 unless told otherwise.
    assert_eq!(
        default_of(&variables, "database_engine"),
        "aurora-serverless"
    );
    let assumptions = Assumptions::DEFAULT;
    assert_eq!(default_of(&variables, "aurora_min_capacity"), "0");
    let numbers = [
        ("aurora_max_capacity", assumptions.aurora_busy_acu),
        (
            "aurora_seconds_until_auto_pause",
            assumptions.aurora_pause_after_s,
        ),
        (
            "db_backup_retention_days",
            assumptions.backup_retention_days,
        ),
        ("log_retention_days", assumptions.log_retention_days),
    ];
    for (name, modelled) in numbers {
        let default: f64 = default_of(&variables, name)
            .parse()
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(default, modelled, "{name}");
    }
}

#[test]
fn the_terraform_resources_are_the_ones_the_model_prices() {
    let assumptions = Assumptions::DEFAULT;
    // No dashboard unless asked for.
    let variables = read("terraform/variables.tf");
    assert_eq!(
        default_of(&variables, "create_dashboard") == "true",
        assumptions.dashboards == 1.0
    );
    // The GSI's projection.
    let projection = match assumptions.gsi {
        GsiProjection::All => "projection_type = \"ALL\"",
        GsiProjection::KeysOnly => "projection_type = \"KEYS_ONLY\"",
        GsiProjection::Dropped => panic!("the requirements ask for a GSI by vendor"),
    };
    assert!(read("terraform/modules/data/dynamodb.tf").contains(projection));
    // How long PostgreSQL keeps an idle session: the portal pool's hold.
    let timeout_ms = format!(
        "{{ name = \"idle_session_timeout\", value = \"{}\" }}",
        assumptions.db_hold_s * 1000.0
    );
    assert!(
        read("terraform/modules/data/rds.tf").contains(&timeout_ms),
        "modules/data/rds.tf should set {timeout_ms}"
    );
    // Interface endpoints in the default egress mode (ipv6): Cognito's is
    // only for interface_endpoints, where the VPC has no path to the site;
    // the portal's Cognito calls are made by vendor-auth, outside the VPC.
    let main = read("terraform/main.tf");
    let cognito_endpoint = after(&main, "extra_interface_endpoint_services")
        .expect("main.tf passes extra_interface_endpoint_services to the network");
    let only_without_internet =
        cognito_endpoint.contains("var.egress_mode == \"interface_endpoints\"");
    assert_eq!(
        assumptions.ipv6_interface_endpoints == 0.0,
        only_without_internet,
        "{cognito_endpoint}"
    );
    assert!(main.contains("\"vendor-auth\" = { memory_mb = 256, timeout_s = 10, image = \"vendor-api\", in_vpc = false }"));
    // The interface endpoints of egress_mode = interface_endpoints with the
    // portal: the network module's list for that mode, and main.tf's extra
    // ones (its list for the portal in that mode).
    let quoted = |text: &str| -> Vec<String> {
        text.split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    };
    let network = read("terraform/modules/network/main.tf");
    let mode = after(&network, "var.egress_mode == \"interface_endpoints\" ? ")
        .expect("modules/network lists the interface_endpoints mode's endpoints");
    let extra = cognito_endpoint.split_once('?').expect("a condition").1;
    let extra = extra.split(':').next().expect("the true branch");
    let mut listed = quoted(mode.split(" : ").next().expect("the true branch"));
    listed.extend(quoted(extra));
    assert!(
        mode.contains("var.extra_interface_endpoint_services"),
        "{mode}"
    );
    assert_eq!(listed, Egress::INTERFACE_ENDPOINTS, "{mode} + {extra}");
    // One customer managed key (kms.tf), or none.
    let keys = read("terraform/kms.tf")
        .matches("resource \"aws_kms_key\"")
        .count();
    assert_eq!(keys as f64, assumptions.customer_managed_keys);
}

#[test]
fn the_prose_quotes_the_models_break_even() {
    let even = rds_break_even(&Conditions::new(1000), Egress::TERRAFORM_DEFAULT)
        .expect("RDS becomes cheaper at some load");
    let quoted = format!("~{} uploads a month", about(even));
    let variables = read("terraform/variables.tf");
    assert!(
        variable_block(&variables, "database_engine").contains(&quoted),
        "terraform/variables.tf database_engine should say {quoted:?}"
    );
    assert!(
        read("docs/deployment.md").contains(&quoted),
        "docs/deployment.md should say {quoted:?}"
    );
    // The profiles: the README's deploy section and COST.md's.
    let about_even = format!("about {} uploads a month", about(even));
    for page in ["README.md", "docs/COST.md"] {
        assert!(
            read(page).contains(&about_even),
            "{page} should say {about_even:?}"
        );
    }
}

//! `onboard contract`: the deployment contract (`onboarding_aws::contract`)
//! checked against its invariants and, with `--json`, printed as data for
//! scripts/check_contract.py.

use std::process::ExitCode;

use onboarding_aws::contract::Contract;

#[derive(clap::Args)]
pub struct ContractArgs {
    /// Print the contract as JSON: functions (variables, timeouts, permissions), queues, triggers, table.
    #[arg(long)]
    json: bool,
}

/// Exit 1, naming each one on standard error, when an invariant between the
/// settings is broken.
pub fn run(args: ContractArgs) -> anyhow::Result<ExitCode> {
    let contract = Contract::get();
    let broken = contract.violations();
    for violation in &broken {
        eprintln!("contract invariant broken: {violation}");
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&contract)?);
    } else if broken.is_empty() {
        println!(
            "the contract's invariants hold ({} functions, {} queues, {} triggers)",
            contract.functions.len(),
            contract.queues.len(),
            contract.triggers.len()
        );
    }
    Ok(if broken.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

//! `onboard outbox`: the vendor emails the local stack captured.
//!
//! Locally SNS email goes nowhere, so the stack subscribes queues to the
//! topic and journals what arrives in `.dev/outbox.jsonl`; reading never
//! consumes it.

use std::process::ExitCode;
use std::time::Duration;

use onboarding_devstack::{CapturedEmail, Outbox};

#[derive(clap::Args, Debug)]
pub struct OutboxArgs {
    /// Print JSON (an array of captured emails) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Only what this vendor's email subscription received (its filter policy).
    #[arg(long)]
    pub vendor: Option<onboarding_core::VendorId>,
    /// Only emails about this upload.
    #[arg(long)]
    pub upload: Option<onboarding_core::UploadId>,
    /// Wait up to this many seconds for at least one matching email.
    #[arg(long, value_name = "SECONDS")]
    pub wait: Option<u64>,
}

pub async fn run(args: OutboxArgs) -> anyhow::Result<ExitCode> {
    let (env, state_dir) = crate::dev::running_stack_env()?;
    let outbox = Outbox::from_env(&env, &state_dir)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let deadline = std::time::Instant::now() + Duration::from_secs(args.wait.unwrap_or(0));
    let emails = loop {
        let emails = select(&outbox, &args).await?;
        if !emails.is_empty() || std::time::Instant::now() >= deadline {
            break emails;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&emails)?);
        return Ok(ExitCode::SUCCESS);
    }
    if emails.is_empty() {
        eprintln!("no email captured{}", describe_filter(&args));
    }
    for email in &emails {
        print_email(email);
    }
    Ok(ExitCode::SUCCESS)
}

async fn select(outbox: &Outbox, args: &OutboxArgs) -> anyhow::Result<Vec<CapturedEmail>> {
    let emails = match &args.vendor {
        Some(vendor) => outbox.read_mailbox(vendor).await,
        None => outbox.read_outbox().await,
    }
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(emails
        .into_iter()
        .filter(|e| {
            args.upload
                .as_ref()
                .is_none_or(|upload| e.upload_id.as_deref() == Some(upload.as_str()))
        })
        .collect())
}

fn describe_filter(args: &OutboxArgs) -> String {
    let mut parts = Vec::new();
    if let Some(vendor) = &args.vendor {
        parts.push(format!("in {vendor}'s mailbox"));
    }
    if let Some(upload) = &args.upload {
        parts.push(format!("about {upload}"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" {}", parts.join(" "))
    }
}

fn print_email(email: &CapturedEmail) {
    let attributes: Vec<String> = email
        .attributes
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    println!(
        "--- {}  {}",
        email.published_at.as_deref().unwrap_or(&email.captured_at),
        attributes.join(" ")
    );
    if let Some(subject) = &email.subject {
        println!("Subject: {subject}");
    }
    println!();
    println!("{}", email.message.trim_end());
    println!();
}

//! `onboard vendor`: register vendors and subscribe their email to the
//! notification topic with a filter on their vendor id.

use std::process::ExitCode;

use anyhow::bail;
use onboarding_aws::AwsClients;
use onboarding_aws::notify::Notifier;
use onboarding_db::seed::{VendorRecord, upsert_vendor};
use onboarding_db::uploads;

#[derive(clap::Subcommand)]
pub enum VendorCommand {
    /// Register (or update) an active vendor and subscribe its email.
    Add {
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
    },
    /// List vendors.
    List,
    /// Stop a vendor's uploads: new files fail with a clear reason.
    Suspend { id: String },
    /// Let a suspended vendor upload again.
    Activate { id: String },
    /// Approve a vendor who signed up in the portal (pending approval).
    Approve { id: String },
}

#[derive(clap::Args)]
pub struct VendorArgs {
    #[command(subcommand)]
    pub command: VendorCommand,
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    #[arg(long, env = "NOTIFICATION_TOPIC_ARN", global = true)]
    pub topic_arn: Option<String>,
}

pub async fn run(args: VendorArgs) -> anyhow::Result<ExitCode> {
    let Some(url) = &args.database_url else {
        bail!("set DATABASE_URL or --database-url (or run `onboard dev up`)");
    };
    let pool = onboarding_db::connect(url, 1).await?;
    match args.command {
        VendorCommand::Add { id, name, email } => {
            if onboarding_core::UploadKey::parse(&format!("uploads/{id}/x.csv")).is_err() {
                bail!("vendor id '{id}' may only hold letters, digits, '_' and '-' (50 at most)");
            }
            if !email.contains('@') {
                bail!("'{email}' is not an email address");
            }
            upsert_vendor(
                &pool,
                &VendorRecord {
                    vendor_id: id.clone(),
                    vendor_name: name,
                    email: email.clone(),
                    status: "active".into(),
                },
            )
            .await?;
            let Some(topic) = &args.topic_arn else {
                println!(
                    "vendor {id} registered; no NOTIFICATION_TOPIC_ARN, so no email subscription"
                );
                return Ok(ExitCode::SUCCESS);
            };
            let clients = AwsClients::from_env().await;
            let notifier = Notifier::new(clients.sns.clone(), topic.clone());
            let arn = notifier.subscribe_vendor(&id, &email).await?;
            uploads::set_vendor_subscription(&pool, &id, &arn).await?;
            println!(
                "vendor {id} registered; {email} subscribed with filter vendor_id={id} ({arn})"
            );
            println!("SNS sends a confirmation email; notifications start once it is confirmed.");
            Ok(ExitCode::SUCCESS)
        }
        VendorCommand::List => {
            println!(
                "{:<12} {:<18} {:<30} {:<8} NAME",
                "VENDOR", "STATUS", "EMAIL", "EMAIL SUB"
            );
            for vendor in uploads::list_vendors(&pool).await? {
                println!(
                    "{:<12} {:<18} {:<30} {:<8} {}",
                    vendor.vendor_id,
                    vendor.status,
                    vendor.email,
                    if vendor.subscription_arn.is_some() {
                        "yes"
                    } else {
                        "no"
                    },
                    vendor.vendor_name
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        VendorCommand::Suspend { id } => set_status(&pool, &id, "suspended").await,
        VendorCommand::Activate { id } => set_status(&pool, &id, "active").await,
        VendorCommand::Approve { id } => match uploads::find_vendor(&pool, &id).await? {
            None => bail!("no vendor {id}"),
            Some(vendor) if vendor.status != "pending_approval" => {
                bail!("vendor {id} is {}, not pending approval", vendor.status)
            }
            Some(_) => set_status(&pool, &id, "active").await,
        },
    }
}

async fn set_status(pool: &sqlx::PgPool, id: &str, status: &str) -> anyhow::Result<ExitCode> {
    if !uploads::set_vendor_status(pool, id, status).await? {
        bail!("no vendor {id}");
    }
    println!("vendor {id} is now {status}");
    Ok(ExitCode::SUCCESS)
}

//! `onboard vendor`: register vendors, and approve, suspend, activate,
//! list and reconcile them.
//!
//! approve, suspend, activate, list and reconcile go through the portal's
//! admin API (`/api/admin/...`) whenever an API is known: `--api`,
//! `ONBOARD_API_URL`, or the local stack's `PORTAL_URL` (from
//! `.dev/stack.env`). That is one path for AWS and the local stack; the API
//! keeps each vendor's email subscription in line with its status. The
//! operator's ID token is `ONBOARD_API_TOKEN`, or is obtained from Cognito
//! with `PORTAL_OPERATOR_EMAIL` / `PORTAL_OPERATOR_PASSWORD` and
//! `COGNITO_CLIENT_ID` (the local stack writes all three to stack.env).
//! Without an API (a stack without the portal) they write the database
//! directly, as before, and manage no subscriptions.

use std::process::ExitCode;

use anyhow::{anyhow, bail};
use onboarding_aws::AwsClients;
use onboarding_aws::notify::Notifier;
use onboarding_core::{VendorId, VendorStatus};
use onboarding_db::seed::{VendorRecord, upsert_vendor};
use onboarding_db::uploads;

#[derive(clap::Subcommand)]
pub enum VendorCommand {
    /// Register (or update) an active vendor and subscribe its email.
    Add {
        #[arg(long)]
        id: VendorId,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
    },
    /// List vendors.
    List,
    /// Stop a vendor's uploads (new files fail with a clear reason) and its email.
    Suspend { id: VendorId },
    /// Let a suspended vendor upload again, and email it again.
    Activate { id: VendorId },
    /// Approve a vendor who signed up in the portal (pending approval) and subscribe its email.
    Approve { id: VendorId },
    /// Bring the topic's email subscriptions in line with the vendors table.
    Reconcile,
    /// Check that ID is a vendor id: silent and exit 0 if it is, else the
    /// reason on standard error and exit 2. The scripts ask this rather than
    /// keep a copy of the rule (`onboard vendor check-id -- "$id"`).
    CheckId { id: String },
}

#[derive(clap::Args)]
pub struct VendorArgs {
    #[command(subcommand)]
    pub command: VendorCommand,
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    #[arg(long, env = "NOTIFICATION_TOPIC_ARN", global = true)]
    pub topic_arn: Option<String>,
    /// The portal's origin, for the admin API (default: the local stack's PORTAL_URL).
    #[arg(long = "api", env = "ONBOARD_API_URL", global = true)]
    pub api_url: Option<String>,
    /// Print JSON (docs/cli.md): the vendor list as an array, a change as
    /// {"vendor_id", "status", ...}.
    #[arg(long, global = true)]
    pub json: bool,
}

fn print_json(value: &serde_json::Value) -> anyhow::Result<ExitCode> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(ExitCode::SUCCESS)
}

fn no_vendor(id: &VendorId) -> anyhow::Error {
    crate::exit::not_found(format!(
        "no vendor {id}: `onboard vendor list` shows the registered vendors, and `onboard vendor add --id {id} --name NAME --email EMAIL` registers one"
    ))
}

pub async fn run(args: VendorArgs) -> anyhow::Result<ExitCode> {
    if let VendorCommand::CheckId { id } = &args.command {
        return Ok(check_id(id));
    }
    let api = args
        .api_url
        .clone()
        .or_else(|| std::env::var("PORTAL_URL").ok())
        .filter(|url| !url.is_empty());
    if let Some(api) = api
        && !matches!(args.command, VendorCommand::Add { .. })
    {
        return through_api(&api, args.command, args.json).await;
    }
    if matches!(args.command, VendorCommand::Reconcile) {
        bail!("reconcile needs the admin API: set --api or ONBOARD_API_URL");
    }
    let Some(url) = &args.database_url else {
        bail!("set DATABASE_URL or --database-url (or run `onboard dev up`)");
    };
    let pool = onboarding_db::connect(url, 1).await?;
    match args.command {
        VendorCommand::Add { id, name, email } => {
            if !email.contains('@') {
                bail!("'{email}' is not an email address");
            }
            upsert_vendor(
                &pool,
                &VendorRecord {
                    vendor_id: id.clone(),
                    vendor_name: name,
                    email: email.clone(),
                    status: VendorStatus::Active,
                },
            )
            .await?;
            let Some(topic) = &args.topic_arn else {
                if args.json {
                    return print_json(&serde_json::json!({
                        "vendor_id": id, "email": email, "subscription": null,
                    }));
                }
                println!(
                    "vendor {id} registered; no NOTIFICATION_TOPIC_ARN, so no email subscription"
                );
                return Ok(ExitCode::SUCCESS);
            };
            let clients = AwsClients::from_env().await;
            let mut notifier = Notifier::new(clients.sns.clone(), topic.clone());
            if std::env::var("AWS_ENDPOINT_URL").is_ok_and(|v| !v.is_empty()) {
                // The emulator: the vendor's mailbox queue stands in for its email.
                notifier = notifier.with_mailboxes();
            }
            // Idempotent; a changed email moves the subscription.
            let changes = notifier
                .ensure_vendor(&onboarding_aws::notify::WantedSubscription {
                    vendor_id: id.clone(),
                    email: email.clone(),
                })
                .await?;
            if args.json {
                return print_json(&serde_json::json!({
                    "vendor_id": id,
                    "email": email,
                    "subscription": {"subscribed": changes.subscribed, "unsubscribed": changes.unsubscribed},
                }));
            }
            println!(
                "vendor {id} registered; {email} subscribed with filter vendor_id={id} (subscribed: {:?}, unsubscribed: {:?})",
                changes.subscribed, changes.unsubscribed
            );
            println!("SNS sends a confirmation email; notifications start once it is confirmed.");
            Ok(ExitCode::SUCCESS)
        }
        VendorCommand::List => {
            let vendors = uploads::list_vendors(&pool).await?;
            if args.json {
                let items: Vec<ListedVendor> = vendors
                    .iter()
                    .map(|v| ListedVendor {
                        vendor_id: v.vendor_id.clone(),
                        vendor_name: v.vendor_name.clone(),
                        email: v.email.clone(),
                        status: v.status,
                        subscribed: v.subscription_arn.is_some(),
                    })
                    .collect();
                return print_json(&serde_json::to_value(items)?);
            }
            println!(
                "{:<12} {:<18} {:<30} {:<8} NAME",
                "VENDOR", "STATUS", "EMAIL", "EMAIL SUB"
            );
            for vendor in vendors {
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
        VendorCommand::Suspend { id } => {
            set_status(&pool, &id, VendorStatus::Suspended, args.json).await
        }
        VendorCommand::Activate { id } => {
            set_status(&pool, &id, VendorStatus::Active, args.json).await
        }
        VendorCommand::Approve { id } => match uploads::find_vendor(&pool, &id).await? {
            None => Err(no_vendor(&id)),
            Some(vendor) if vendor.status != VendorStatus::PendingApproval => {
                bail!(
                    "vendor {id} is {}, not {}",
                    vendor.status,
                    VendorStatus::PendingApproval.in_words()
                )
            }
            Some(_) => set_status(&pool, &id, VendorStatus::Active, args.json).await,
        },
        VendorCommand::Reconcile | VendorCommand::CheckId { .. } => {
            unreachable!("handled above")
        }
    }
}

/// The operator's ID token: `ONBOARD_API_TOKEN`, or a Cognito log-in.
pub(crate) async fn operator_token() -> anyhow::Result<String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if let Some(token) = var("ONBOARD_API_TOKEN") {
        return Ok(token);
    }
    let (Some(email), Some(password), Some(client_id)) = (
        var("PORTAL_OPERATOR_EMAIL"),
        var("PORTAL_OPERATOR_PASSWORD"),
        var("COGNITO_CLIENT_ID"),
    ) else {
        bail!(
            "the admin API needs an operator: set ONBOARD_API_TOKEN (an ID token of a login in the admins group), \
             or PORTAL_OPERATOR_EMAIL, PORTAL_OPERATOR_PASSWORD and COGNITO_CLIENT_ID"
        );
    };
    let endpoint = var("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER")
        .or_else(|| var("AWS_ENDPOINT_URL"))
        .unwrap_or_else(|| {
            let region = var("AWS_REGION").unwrap_or_else(|| "eu-west-1".into());
            format!("https://cognito-idp.{region}.amazonaws.com")
        });
    Ok(
        onboarding_devstack::portal::operator_token(&endpoint, &client_id, &email, &password)
            .await?,
    )
}

/// approve, suspend, activate, list and reconcile through `/api/admin`.
async fn through_api(api: &str, command: VendorCommand, json: bool) -> anyhow::Result<ExitCode> {
    use onboarding_devstack::portal::admin_call;
    let token = operator_token().await?;
    let (method, path) = match &command {
        VendorCommand::List => (reqwest_method("GET"), "/api/admin/vendors".to_string()),
        VendorCommand::Approve { id } => (
            reqwest_method("POST"),
            format!("/api/admin/vendors/{id}/approve"),
        ),
        VendorCommand::Suspend { id } => (
            reqwest_method("POST"),
            format!("/api/admin/vendors/{id}/suspend"),
        ),
        VendorCommand::Activate { id } => (
            reqwest_method("POST"),
            format!("/api/admin/vendors/{id}/activate"),
        ),
        VendorCommand::Reconcile => (
            reqwest_method("POST"),
            "/api/admin/subscriptions/reconcile".to_string(),
        ),
        VendorCommand::Add { .. } | VendorCommand::CheckId { .. } => {
            unreachable!("add writes the database; check-id needs nothing")
        }
    };
    let (status, body) = admin_call(api, &token, method, &path).await?;
    if !(200..300).contains(&status) {
        if status == 404
            && let VendorCommand::Suspend { id }
            | VendorCommand::Activate { id }
            | VendorCommand::Approve { id } = &command
        {
            return Err(no_vendor(id));
        }
        let detail = body["detail"].as_str().unwrap_or("no detail");
        bail!("{api}{path} answered {status}: {detail}");
    }
    if json {
        return print_json(&match command {
            // Read typed, as the database's list is, so both print the same fields.
            VendorCommand::List => {
                let items: Vec<ListedVendor> = serde_json::from_value(body["items"].clone())
                    .map_err(|e| {
                        anyhow!("{api}{path} answered a vendor list this CLI cannot read: {e}")
                    })?;
                serde_json::to_value(items)?
            }
            _ => body,
        });
    }
    let list = |value: &serde_json::Value| -> String {
        let items: Vec<&str> = value
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
            .collect();
        if items.is_empty() {
            "-".into()
        } else {
            items.join(", ")
        }
    };
    match command {
        VendorCommand::List => {
            println!(
                "{:<12} {:<18} {:<30} {:<8} NAME",
                "VENDOR", "STATUS", "EMAIL", "EMAIL SUB"
            );
            for v in body["items"].as_array().into_iter().flatten() {
                println!(
                    "{:<12} {:<18} {:<30} {:<8} {}",
                    v["vendor_id"].as_str().unwrap_or(""),
                    v["status"].as_str().unwrap_or(""),
                    v["email"].as_str().unwrap_or(""),
                    if v["subscribed"] == true { "yes" } else { "no" },
                    v["vendor_name"].as_str().unwrap_or("")
                );
            }
        }
        VendorCommand::Reconcile => {
            println!("subscribed:    {}", list(&body["subscribed"]));
            println!("unsubscribed:  {}", list(&body["unsubscribed"]));
            println!("filters fixed: {}", list(&body["filters_fixed"]));
            if body["changed"] == false {
                println!("nothing to change");
            }
        }
        _ => {
            let sub = &body["subscription"];
            println!(
                "vendor {} is now {} (was {}); subscribed: {}; unsubscribed: {}",
                body["vendor_id"].as_str().unwrap_or(""),
                body["status"].as_str().unwrap_or(""),
                body["was"].as_str().unwrap_or(""),
                list(&sub["subscribed"]),
                list(&sub["unsubscribed"])
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn reqwest_method(name: &str) -> onboarding_devstack::portal::Method {
    onboarding_devstack::portal::Method::from_bytes(name.as_bytes()).expect("a method")
}

/// `vendor check-id`: the edge where a script's text meets the rule.
fn check_id(id: &str) -> ExitCode {
    match VendorId::parse(id) {
        Ok(_) => ExitCode::SUCCESS,
        Err(invalid) => {
            eprintln!("error: {invalid}");
            ExitCode::from(2)
        }
    }
}

async fn set_status(
    pool: &sqlx::PgPool,
    id: &VendorId,
    status: VendorStatus,
    json: bool,
) -> anyhow::Result<ExitCode> {
    if !uploads::set_vendor_status(pool, id, status).await? {
        return Err(no_vendor(id));
    }
    if json {
        return print_json(&serde_json::json!({"vendor_id": id, "status": status.as_str()}));
    }
    println!("vendor {id} is now {status}");
    Ok(ExitCode::SUCCESS)
}

/// One vendor in `vendor list --json`, the same from the API and the database.
#[derive(serde::Serialize, serde::Deserialize)]
struct ListedVendor {
    vendor_id: VendorId,
    vendor_name: String,
    email: String,
    status: VendorStatus,
    subscribed: bool,
}

//! The operator commands the csv-parser's program answers: migrate, seed the
//! categories, upsert or register a vendor. The program is what reaches the
//! database inside the VPC, so deployments send these to it; in AWS they go
//! to `<prefix>-migrator`, the same image with the master secret, because
//! the csv-parser's own role may not change the schema or the master data.
//! One program rather than a fifth function: the migrator needs exactly the
//! parser's image, network and database settings, and a separate function
//! would be a second image to build, scan and release in step.

use aws_lambda_events::event::s3::S3Event;
use onboarding_aws::AwsClients;
use onboarding_aws::database::Database;
use onboarding_db::seed::VendorRecord;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::handler::{ParseError, bad_event};

/// What one invocation carries. Untagged: a command names itself in its
/// `command` field, S3's notification has `Records`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Invocation {
    Command(OperatorCommand),
    S3Event(S3Event),
}

/// An operator's command, `{"command": "<name>", ...fields}`.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(tag = "command", rename_all = "kebab-case")]
pub enum OperatorCommand {
    /// Applies the schema migrations, then sets the function roles'
    /// passwords (on the migrator, from `DATABASE_ROLE_SECRET_IDS`).
    Migrate,
    /// Migrates and loads the category whitelist.
    SeedCategories,
    /// Inserts or updates a vendor (local and smoke scripts).
    UpsertVendor(VendorRecord),
    /// Inserts the vendor only if it does not exist, and answers with its
    /// status either way: a suspended vendor stays so.
    RegisterVendor(VendorRecord),
}

impl OperatorCommand {
    const NAMES: [&str; 4] = [
        "migrate",
        "seed-categories",
        "upsert-vendor",
        "register-vendor",
    ];
}

impl Invocation {
    /// Reads an event. Untagged serde only says that no variant matched, so
    /// a refused event is read again as what it claims to be (a command when
    /// it names one) for an error that says what is wrong.
    pub fn parse(event: Value) -> Result<Invocation, ParseError> {
        if let Ok(invocation) = Invocation::deserialize(&event) {
            return Ok(invocation);
        }
        let refusal = match event.get("command") {
            Some(Value::String(name)) if OperatorCommand::NAMES.contains(&name.as_str()) => {
                let error = OperatorCommand::deserialize(&event)
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                format!("{name} needs vendor_id, vendor_name, email, status: {error}")
            }
            Some(other) => format!(
                "unknown command {other} ({})",
                OperatorCommand::NAMES.join(", ")
            ),
            None => S3Event::deserialize(&event)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default(),
        };
        Err(bad_event(refusal))
    }
}

/// Runs `command` against the database; the clients read the role secrets.
pub async fn run(
    command: OperatorCommand,
    database: &Database,
    clients: &AwsClients,
) -> Result<Value, ParseError> {
    let pool = database.pool().await?;
    match command {
        OperatorCommand::Migrate => {
            onboarding_db::migrate(pool).await?;
            tracing::info!(upload_id = "-", vendor_id = "-", "migrations applied");
            Ok(match set_role_passwords(pool, clients).await? {
                Some(roles) => json!({"migrated": true, "role_passwords_set": roles}),
                None => json!({"migrated": true}),
            })
        }
        OperatorCommand::SeedCategories => {
            let counts = onboarding_db::seed::seed(pool, true).await?;
            tracing::info!(
                upload_id = "-",
                vendor_id = "-",
                added = counts.categories_added,
                "categories seeded"
            );
            Ok(json!({"migrated": true, "categories_added": counts.categories_added}))
        }
        OperatorCommand::UpsertVendor(vendor) => {
            onboarding_db::seed::upsert_vendor(pool, &vendor).await?;
            tracing::info!(upload_id = "-", vendor_id = %vendor.vendor_id, status = %vendor.status, "vendor upserted");
            Ok(json!({"vendor_id": vendor.vendor_id, "status": vendor.status}))
        }
        OperatorCommand::RegisterVendor(vendor) => {
            // Insert-only: an existing vendor keeps its name, e-mail and
            // status, and the answer says which status that is.
            let registered = onboarding_db::seed::register_vendor(pool, &vendor).await?;
            tracing::info!(upload_id = "-", vendor_id = %vendor.vendor_id, status = %registered.status, created = registered.created, "vendor registered");
            Ok(json!({
                "vendor_id": vendor.vendor_id,
                "status": registered.status,
                "created": registered.created,
            }))
        }
    }
}

/// After the migrations, on the migrator: sets each function role's
/// password from its secret (`DATABASE_ROLE_SECRET_IDS`, a JSON object
/// function -> secret id, each secret `{"username", "password"}`). The
/// password goes to PostgreSQL as a SCRAM verifier, never in clear.
/// Answers the roles set, in function order; `None` without the variable
/// (the local stack sets the passwords itself).
async fn set_role_passwords(
    pool: &sqlx::PgPool,
    clients: &AwsClients,
) -> Result<Option<Vec<String>>, ParseError> {
    let Ok(text) = std::env::var(ROLE_SECRETS_VAR) else {
        return Ok(None);
    };
    let secret_ids = role_secret_ids(&text)?;
    let client = aws_sdk_secretsmanager::Client::new(&clients.sdk);
    let mut set = Vec::new();
    for (function, secret_id) in &secret_ids {
        let answer = client
            .get_secret_value()
            .secret_id(secret_id)
            .send()
            .await
            .map_err(|e| {
                bad_event(format!(
                    "reading the role secret of {function} ({secret_id}): {}",
                    aws_sdk_secretsmanager::error::DisplayErrorContext(&e)
                ))
            })?;
        let credentials: RoleCredentials =
            serde_json::from_str(answer.secret_string().unwrap_or_default()).map_err(|e| {
                bad_event(format!(
                    "the role secret of {function} ({secret_id}) is not JSON with username and password: {e}"
                ))
            })?;
        let expected = onboarding_db::roles::FUNCTION_ROLES
            .iter()
            .find(|(f, _)| f == function)
            .map(|(_, role)| *role);
        if expected != Some(credentials.username.as_str()) {
            return Err(bad_event(format!(
                "the role secret of {function} ({secret_id}) names role {:?}, expected {}",
                credentials.username,
                expected.unwrap_or("none")
            )));
        }
        onboarding_db::roles::set_role_password(pool, &credentials.username, &credentials.password)
            .await?;
        tracing::info!(upload_id = "-", vendor_id = "-", function = %function, role = %credentials.username, "role password set");
        set.push(credentials.username);
    }
    Ok(Some(set))
}

/// The migrator's map of function -> secret id of its database role.
const ROLE_SECRETS_VAR: &str = onboarding_aws::contract::vars::DATABASE_ROLE_SECRET_IDS;

#[derive(serde::Deserialize)]
struct RoleCredentials {
    username: String,
    password: String,
}

/// Parses `DATABASE_ROLE_SECRET_IDS`: only the known functions, each once
/// (a JSON object), in the order of `FUNCTION_ROLES`.
fn role_secret_ids(text: &str) -> Result<Vec<(String, String)>, ParseError> {
    let map: std::collections::BTreeMap<String, String> =
        serde_json::from_str(text).map_err(|e| {
            bad_event(format!(
                "{ROLE_SECRETS_VAR} is not a JSON object of function -> secret id: {e}"
            ))
        })?;
    if let Some(unknown) = map.keys().find(|function| {
        !onboarding_db::roles::FUNCTION_ROLES
            .iter()
            .any(|(f, _)| f == function)
    }) {
        return Err(bad_event(format!(
            "{ROLE_SECRETS_VAR} names {unknown:?}, which has no database role"
        )));
    }
    Ok(onboarding_db::roles::FUNCTION_ROLES
        .iter()
        .filter_map(|(function, _)| {
            map.get(*function)
                .map(|secret_id| (function.to_string(), secret_id.clone()))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use onboarding_core::VendorStatus;

    #[test]
    fn role_secret_ids_name_known_functions_only() {
        let ids = role_secret_ids(r#"{"vendor-api": "arn:api", "csv-parser": "arn:parser"}"#)
            .expect("valid");
        assert_eq!(
            ids,
            vec![
                ("csv-parser".to_string(), "arn:parser".to_string()),
                ("vendor-api".to_string(), "arn:api".to_string()),
            ]
        );
        assert!(role_secret_ids(r#"{"migrator": "arn:x"}"#).is_err());
        assert!(role_secret_ids("[]").is_err());
    }

    fn parsed(event: Value) -> Result<Invocation, String> {
        Invocation::parse(event).map_err(|e| e.to_string())
    }

    #[test]
    fn commands_and_s3_events_are_told_apart() {
        assert!(matches!(
            parsed(json!({"command": "migrate"})),
            Ok(Invocation::Command(OperatorCommand::Migrate))
        ));
        assert!(matches!(
            parsed(json!({"command": "seed-categories"})),
            Ok(Invocation::Command(OperatorCommand::SeedCategories))
        ));
        assert!(matches!(
            parsed(json!({"Records": []})),
            Ok(Invocation::S3Event(event)) if event.records.is_empty()
        ));
        let unknown = parsed(json!({"command": "drop-everything"})).unwrap_err();
        assert!(
            unknown.contains("unknown command \"drop-everything\" (migrate, seed-categories"),
            "{unknown}"
        );
        let neither = parsed(json!({"hello": "world"})).unwrap_err();
        assert!(neither.contains("not an S3 event"), "{neither}");
        assert!(neither.contains("Records"), "{neither}");
    }

    #[test]
    fn vendor_commands_check_the_id_and_the_status() {
        let command = |name: &str, id: &str, status: &str| {
            json!({"command": name, "vendor_id": id,
                "vendor_name": "Smoke", "email": "smoke@example.com", "status": status})
        };
        let active = VendorStatus::Active.as_str();
        let Ok(Invocation::Command(OperatorCommand::RegisterVendor(vendor))) =
            parsed(command("register-vendor", "SMOKE01", active))
        else {
            panic!("a register-vendor command");
        };
        assert_eq!(vendor.vendor_id.as_str(), "SMOKE01");
        assert_eq!(vendor.status, VendorStatus::Active);
        assert!(matches!(
            parsed(command("upsert-vendor", "SMOKE01", active)),
            Ok(Invocation::Command(OperatorCommand::UpsertVendor(_)))
        ));
        for (id, status, named) in [
            ("SMOKE 01", active, "'SMOKE 01' is not a vendor id"),
            ("SMOKE01", "enabled", "'enabled' is not a vendor status"),
        ] {
            let error = parsed(command("register-vendor", id, status)).unwrap_err();
            assert!(
                error.contains("register-vendor needs vendor_id, vendor_name, email, status"),
                "{error}"
            );
            assert!(error.contains(named), "{error}");
        }
    }
}

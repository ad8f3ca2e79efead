//! The vendor portal locally: a Cognito user pool and app client on the
//! emulator, a login per vendor, and the vendor-api binary served by plain
//! axum (`VENDOR_API_LISTEN`), which also serves the web app.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
use aws_sdk_cognitoidentityprovider::types::{
    AttributeDataType, AttributeType, ExplicitAuthFlowsType, PasswordPolicyType,
    SchemaAttributeType, UserPoolPolicyType, UsernameAttributeType, VerifiedAttributeType,
};
use rand::RngExt;

use crate::DevstackError;
use crate::aws::StackClients;

/// How long the API may take to answer its health check after starting.
const START_LIMIT: Duration = Duration::from_secs(30);

/// What to run for the portal.
#[derive(Clone, Debug)]
pub struct PortalOptions {
    /// The `vendor-api` program.
    pub binary: PathBuf,
    /// The web app's folder (`web/`), served at `/`; `None`: the API only.
    pub web_root: Option<PathBuf>,
    /// `0`: a free port.
    pub port: u16,
    /// The address to listen on: `127.0.0.1`, or `0.0.0.0` in a container.
    pub bind: String,
}

/// The pool and client the portal authenticates against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserPool {
    pub user_pool_id: String,
    pub client_id: String,
    /// Where the emulator serves the pool's keys.
    pub jwks_url: String,
}

/// Creates `<prefix>-vendors` (email as user name, `custom:vendor_id`, the
/// Terraform password policy) and its `web` client, which may read but not
/// write `custom:vendor_id`. Reuses them when they exist.
pub async fn provision_identity(
    clients: &StackClients,
    prefix: &str,
) -> Result<UserPool, DevstackError> {
    let cognito = &clients.cognito;
    let pool_name = format!("{prefix}-vendors");
    let pools = cognito
        .list_user_pools()
        .max_results(60)
        .send()
        .await
        .map_err(|e| DevstackError::aws("cognito ListUserPools", e))?;
    let existing = pools
        .user_pools()
        .iter()
        .find(|p| p.name() == Some(pool_name.as_str()))
        .and_then(|p| p.id().map(str::to_string));
    let user_pool_id = match existing {
        Some(id) => id,
        None => {
            let vendor_attribute = SchemaAttributeType::builder()
                .name("vendor_id")
                .attribute_data_type(AttributeDataType::String)
                .mutable(true)
                .build();
            let policy = PasswordPolicyType::builder()
                .minimum_length(12)
                .require_lowercase(true)
                .require_uppercase(true)
                .require_numbers(true)
                .require_symbols(true)
                .build();
            cognito
                .create_user_pool()
                .pool_name(&pool_name)
                .username_attributes(UsernameAttributeType::Email)
                .auto_verified_attributes(VerifiedAttributeType::Email)
                .schema(vendor_attribute)
                .policies(
                    UserPoolPolicyType::builder()
                        .password_policy(policy)
                        .build(),
                )
                .send()
                .await
                .map_err(|e| DevstackError::aws("cognito CreateUserPool", e))?
                .user_pool()
                .and_then(|p| p.id().map(str::to_string))
                .ok_or_else(|| DevstackError::Other("CreateUserPool returned no id".into()))?
        }
    };
    let client_name = "web";
    let listed = cognito
        .list_user_pool_clients()
        .user_pool_id(&user_pool_id)
        .max_results(60)
        .send()
        .await
        .map_err(|e| DevstackError::aws("cognito ListUserPoolClients", e))?;
    let existing = listed
        .user_pool_clients()
        .iter()
        .find(|c| c.client_name() == Some(client_name))
        .and_then(|c| c.client_id().map(str::to_string));
    let client_id = match existing {
        Some(id) => id,
        None => cognito
            .create_user_pool_client()
            .user_pool_id(&user_pool_id)
            .client_name(client_name)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
            .read_attributes("email")
            .read_attributes("custom:vendor_id")
            // The vendor name given at sign-up, which the first request
            // registers the vendor under.
            .read_attributes("name")
            .write_attributes("email")
            .send()
            .await
            .map_err(|e| DevstackError::aws("cognito CreateUserPoolClient", e))?
            .user_pool_client()
            .and_then(|c| c.client_id().map(str::to_string))
            .ok_or_else(|| DevstackError::Other("CreateUserPoolClient returned no id".into()))?,
    };
    match cognito
        .create_group()
        .user_pool_id(&user_pool_id)
        .group_name(ADMINS_GROUP)
        .description("Operators: the admin API (approve, suspend, reconcile)")
        .send()
        .await
    {
        Ok(_) => {}
        Err(e) if e.code() == Some("GroupExistsException") => {}
        Err(e) => return Err(DevstackError::aws("cognito CreateGroup admins", e)),
    }
    let jwks_url = format!(
        "{}/{user_pool_id}/.well-known/jwks.json",
        clients.cognito_endpoint.trim_end_matches('/')
    );
    Ok(UserPool {
        user_pool_id,
        client_id,
        jwks_url,
    })
}

/// A password that meets the pool's policy, fresh for each stack.
pub fn demo_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let body: String = (0..12)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("Demo-{body}-9a")
}

/// A confirmed login for `email` tied to `vendor_id`, with `password` as its
/// permanent password. An existing login gets the password again.
pub async fn create_login(
    clients: &StackClients,
    identity: &UserPool,
    email: &str,
    vendor_id: &onboarding_core::VendorId,
    password: &str,
) -> Result<(), DevstackError> {
    ensure_login(clients, identity, email, Some(vendor_id.as_str()), password).await
}

/// A confirmed login for `email` (tied to `vendor_id` when given) with
/// `password` as its permanent password. Idempotent.
async fn ensure_login(
    clients: &StackClients,
    identity: &UserPool,
    email: &str,
    vendor_id: Option<&str>,
    password: &str,
) -> Result<(), DevstackError> {
    let attribute = |name: &str, value: &str| {
        AttributeType::builder()
            .name(name)
            .value(value)
            .build()
            .map_err(|e| DevstackError::Other(format!("cognito attribute {name}: {e}")))
    };
    let mut attributes = vec![
        attribute("email", email)?,
        attribute("email_verified", "true")?,
    ];
    if let Some(vendor_id) = vendor_id {
        attributes.push(attribute("custom:vendor_id", vendor_id)?);
    }
    let created = clients
        .cognito
        .admin_create_user()
        .user_pool_id(&identity.user_pool_id)
        .username(email)
        .set_user_attributes(Some(attributes))
        .message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress)
        .send()
        .await;
    match created {
        Ok(_) => {}
        Err(e) if e.code() == Some("UsernameExistsException") => {}
        Err(e) => return Err(DevstackError::aws("cognito AdminCreateUser", e)),
    }
    clients
        .cognito
        .admin_set_user_password()
        .user_pool_id(&identity.user_pool_id)
        .username(email)
        .password(password)
        .permanent(true)
        .send()
        .await
        .map_err(|e| DevstackError::aws("cognito AdminSetUserPassword", e))?;
    Ok(())
}

/// HTTP methods, for [`admin_call`].
pub use reqwest::Method;

/// The pool group of operators, who may use the admin API.
pub use onboarding_aws::contract::ADMINS_GROUP;
/// The local operator login's email (`stack.env`: `PORTAL_OPERATOR_EMAIL`).
pub const OPERATOR_EMAIL: &str = "operator@onboarding.example.com";
/// `stack.env` names of the local operator login.
pub const OPERATOR_EMAIL_KEY: &str = "PORTAL_OPERATOR_EMAIL";
pub const OPERATOR_PASSWORD_KEY: &str = "PORTAL_OPERATOR_PASSWORD";

/// A confirmed login for `email` with no vendor, in the `admins` group,
/// with `password` as its permanent password. Idempotent.
pub async fn create_operator_login(
    clients: &StackClients,
    identity: &UserPool,
    email: &str,
    password: &str,
) -> Result<(), DevstackError> {
    ensure_login(clients, identity, email, None, password).await?;
    clients
        .cognito
        .admin_add_user_to_group()
        .user_pool_id(&identity.user_pool_id)
        .username(email)
        .group_name(ADMINS_GROUP)
        .send()
        .await
        .map_err(|e| DevstackError::aws("cognito AdminAddUserToGroup", e))?;
    Ok(())
}

/// An operator's ID token: `InitiateAuth` (`USER_PASSWORD_AUTH`) with the
/// app client, a public call, over plain HTTP so the CLI needs no SDK
/// credentials. `endpoint`: Cognito's (the emulator's, or
/// `https://cognito-idp.<region>.amazonaws.com`).
pub async fn operator_token(
    endpoint: &str,
    client_id: &str,
    email: &str,
    password: &str,
) -> Result<String, DevstackError> {
    let answer = reqwest::Client::new()
        .post(endpoint)
        .header("Content-Type", "application/x-amz-json-1.1")
        .header(
            "X-Amz-Target",
            "AWSCognitoIdentityProviderService.InitiateAuth",
        )
        .body(
            serde_json::json!({
                "AuthFlow": "USER_PASSWORD_AUTH",
                "ClientId": client_id,
                "AuthParameters": {"USERNAME": email, "PASSWORD": password},
            })
            .to_string(),
        )
        .send()
        .await
        .map_err(|e| DevstackError::Other(format!("cognito InitiateAuth at {endpoint}: {e}")))?;
    let status = answer.status();
    let body: serde_json::Value = answer
        .json()
        .await
        .map_err(|e| DevstackError::Other(format!("cognito InitiateAuth: {e}")))?;
    body["AuthenticationResult"]["IdToken"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| {
            DevstackError::Other(format!(
                "cognito InitiateAuth for {email} answered {status}: {body}"
            ))
        })
}

/// One call of the portal's admin API with an operator's token: the status
/// and the JSON answer (`null` if none).
pub async fn admin_call(
    api_url: &str,
    token: &str,
    method: reqwest::Method,
    path: &str,
) -> Result<(u16, serde_json::Value), DevstackError> {
    admin_call_with(api_url, token, method, path, None).await
}

/// [`admin_call`] with a JSON body.
pub async fn admin_call_with(
    api_url: &str,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<&serde_json::Value>,
) -> Result<(u16, serde_json::Value), DevstackError> {
    let url = format!("{}{path}", api_url.trim_end_matches('/'));
    let mut request = reqwest::Client::new()
        .request(method, &url)
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(body);
    }
    let answer = request
        .send()
        .await
        .map_err(|e| DevstackError::Other(format!("{url}: {e}")))?;
    let status = answer.status().as_u16();
    let text = answer
        .text()
        .await
        .map_err(|e| DevstackError::Other(format!("{url}: {e}")))?;
    Ok((
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    ))
}

/// A port nobody listens on right now.
pub fn free_port() -> Result<u16, DevstackError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| DevstackError::Other(format!("finding a free port: {e}")))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| DevstackError::Other(format!("finding a free port: {e}")))
}

/// The running API process.
pub struct PortalServer {
    child: tokio::process::Child,
    pub url: String,
    /// What it was started with: a test starts the API's parts from them
    /// (`API_PART`, as AWS runs it).
    pub options: PortalOptions,
    pub env: Vec<(String, String)>,
}

impl PortalServer {
    /// Starts `binary` with `env` on `port` and waits for `/api/health`.
    pub async fn start(
        options: &PortalOptions,
        port: u16,
        env: Vec<(String, String)>,
        log_path: &Path,
    ) -> Result<PortalServer, DevstackError> {
        if !options.binary.is_file() {
            return Err(DevstackError::MissingBinary {
                path: options.binary.display().to_string(),
            });
        }
        let log = std::fs::File::create(log_path).map_err(|e| DevstackError::io(log_path, e))?;
        let log_err = log
            .try_clone()
            .map_err(|e| DevstackError::io(log_path, e))?;
        let mut command = tokio::process::Command::new(&options.binary);
        command
            .env_clear()
            .envs(env.iter().cloned())
            .env(
                onboarding_aws::contract::vars::VENDOR_API_LISTEN,
                format!("{}:{port}", options.bind),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            .kill_on_drop(true);
        if let Some(root) = &options.web_root {
            command.env(onboarding_aws::contract::vars::WEB_ROOT, root);
        }
        let mut child = command
            .spawn()
            .map_err(|e| DevstackError::Other(format!("{}: {e}", options.binary.display())))?;
        // `localhost`, not 127.0.0.1: browsers keep Secure cookies for it over http.
        let url = format!("http://localhost:{port}");
        let health = format!("http://127.0.0.1:{port}/api/health");
        let http = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(DevstackError::Other(format!(
                    "vendor-api exited at start ({status}); see {}",
                    log_path.display()
                )));
            }
            if let Ok(response) = http.get(&health).send().await
                && response.status().is_success()
            {
                return Ok(PortalServer {
                    child,
                    url,
                    options: options.clone(),
                    env,
                });
            }
            if started.elapsed() > START_LIMIT {
                let _ = child.kill().await;
                return Err(DevstackError::Other(format!(
                    "vendor-api did not answer {health} within {}s; see {}",
                    START_LIMIT.as_secs(),
                    log_path.display()
                )));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

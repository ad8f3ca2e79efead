//! The API's settings, from the environment (docs/configuration.md).

use onboarding_aws::config::optional_env_var;
use onboarding_aws::contract::vars;
use onboarding_aws::{ConfigError, env_var};

/// Where the vendor pool is and how its tokens must look.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CognitoSettings {
    pub user_pool_id: String,
    pub client_id: String,
    /// What a token's `iss` must be.
    pub issuer: String,
    /// Where the signing keys are fetched; apart from the issuer because an
    /// emulator serves them at its own address while naming AWS as issuer.
    pub jwks_url: String,
}

impl CognitoSettings {
    pub fn from_env(region: &str) -> Result<CognitoSettings, ConfigError> {
        let user_pool_id = env_var(vars::COGNITO_USER_POOL_ID)?;
        let issuer = optional_env_var(vars::COGNITO_ISSUER).unwrap_or_else(|| {
            format!("https://cognito-idp.{region}.amazonaws.com/{user_pool_id}")
        });
        let jwks_url = optional_env_var(vars::COGNITO_JWKS_URL)
            .unwrap_or_else(|| format!("{issuer}/.well-known/jwks.json"));
        Ok(CognitoSettings {
            client_id: env_var(vars::COGNITO_CLIENT_ID)?,
            user_pool_id,
            issuer,
            jwks_url,
        })
    }
}

/// Which routes a deployment of the API serves (`API_PART`).
///
/// In AWS the API is two functions of one image, because Cognito has no
/// IPv6 endpoint and the functions in the VPC reach AWS over IPv6 only
/// (docs/decisions.md, "The portal in two parts"): `auth` runs outside the
/// VPC and is the only part that calls Cognito; `data` runs in the VPC and
/// is the only part that opens PostgreSQL. Locally one process serves both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiPart {
    /// Every route (the local stack, docker compose).
    All,
    /// Sign-up, confirmation, log-in, refresh, revocation and the pool's
    /// signing keys: Cognito, and no database.
    Auth,
    /// Everything else: the database, and no Cognito call.
    Data,
}

impl ApiPart {
    pub fn parse(text: &str) -> Result<ApiPart, ConfigError> {
        match text {
            "all" => Ok(ApiPart::All),
            "auth" => Ok(ApiPart::Auth),
            "data" => Ok(ApiPart::Data),
            other => Err(ConfigError::Invalid {
                name: vars::API_PART,
                reason: format!("'{other}' is not one of all, auth, data"),
            }),
        }
    }

    pub fn serves_auth(self) -> bool {
        self != ApiPart::Data
    }

    pub fn serves_data(self) -> bool {
        self != ApiPart::Auth
    }
}

/// What the API needs beyond what every function has (the database comes
/// from `onboarding_aws::cold_start`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiSettings {
    pub part: ApiPart,
    pub cognito: CognitoSettings,
    /// The data part's upload bucket; the auth part has none.
    pub upload_bucket: Option<String>,
    /// The site's origin (`https://portal.example.com`): the only origin CORS
    /// admits, and where the browser is sent to log in.
    pub site_origin: Option<String>,
}

impl ApiSettings {
    /// `API_PART`: `all` when unset.
    pub fn part_from_env() -> Result<ApiPart, ConfigError> {
        match optional_env_var(vars::API_PART) {
            Some(part) => ApiPart::parse(&part),
            None => Ok(ApiPart::All),
        }
    }

    pub fn from_env(region: &str) -> Result<ApiSettings, ConfigError> {
        let part = ApiSettings::part_from_env()?;
        Ok(ApiSettings {
            part,
            cognito: CognitoSettings::from_env(region)?,
            upload_bucket: if part.serves_data() {
                Some(env_var(vars::UPLOAD_BUCKET)?)
            } else {
                None
            },
            site_origin: optional_env_var(vars::SITE_ORIGIN)
                .map(|origin| origin.trim_end_matches('/').to_string()),
        })
    }
}

//! The API's settings, from the environment (docs/configuration.md).

use onboarding_aws::config::optional_env_var;
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
        let user_pool_id = env_var("COGNITO_USER_POOL_ID")?;
        let issuer = optional_env_var("COGNITO_ISSUER").unwrap_or_else(|| {
            format!("https://cognito-idp.{region}.amazonaws.com/{user_pool_id}")
        });
        let jwks_url = optional_env_var("COGNITO_JWKS_URL")
            .unwrap_or_else(|| format!("{issuer}/.well-known/jwks.json"));
        Ok(CognitoSettings {
            client_id: env_var("COGNITO_CLIENT_ID")?,
            user_pool_id,
            issuer,
            jwks_url,
        })
    }
}

/// What the API needs beyond what every function has (the database comes
/// from `onboarding_aws::cold_start`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiSettings {
    pub cognito: CognitoSettings,
    pub upload_bucket: String,
    /// The site's origin (`https://portal.example.com`): the only origin CORS
    /// admits, and where the browser is sent to log in.
    pub site_origin: Option<String>,
}

impl ApiSettings {
    pub fn from_env(region: &str) -> Result<ApiSettings, ConfigError> {
        Ok(ApiSettings {
            cognito: CognitoSettings::from_env(region)?,
            upload_bucket: env_var("UPLOAD_BUCKET")?,
            site_origin: optional_env_var("SITE_ORIGIN")
                .map(|origin| origin.trim_end_matches('/').to_string()),
        })
    }
}

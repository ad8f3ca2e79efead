//! The vendor pool (Cognito): sign-up, confirmation, log-in, refresh and
//! revocation. Cognito's refusals become messages a vendor can act on.
//! Only the auth part of the API calls it (`config::ApiPart`).

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::types::{AttributeType, AuthFlowType};
use onboarding_core::VendorId;

use crate::problem::ApiError;

/// The custom attribute that ties a login to a vendor. The app client cannot
/// write it: only this API sets it, with admin rights, at sign-up.
pub const VENDOR_ATTRIBUTE: &str = "custom:vendor_id";

/// Tokens from a log-in or a refresh.
#[derive(Clone, Debug)]
pub struct Tokens {
    pub id_token: String,
    /// Only on log-in; a refresh keeps the one it used.
    pub refresh_token: Option<String>,
    pub expires_in_s: i64,
}

pub struct Identity {
    client: Client,
    user_pool_id: String,
    client_id: String,
}

fn attribute(name: &str, value: &str) -> Result<AttributeType, ApiError> {
    AttributeType::builder()
        .name(name)
        .value(value)
        .build()
        .map_err(ApiError::internal)
}

/// A signed-up vendor's id: `V` and the login's `sub` as 32 hex digits.
pub fn vendor_id_of_login(sub: &str) -> Result<VendorId, ApiError> {
    let hex: String = sub
        .chars()
        .filter(|c| *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ApiError::internal(format!(
            "Cognito sub '{sub}' is not a UUID"
        )));
    }
    VendorId::parse(&format!("V{hex}")).map_err(ApiError::internal)
}

/// Maps Cognito's error codes to what the vendor is told.
fn refusal<E, R>(operation: &str, error: SdkError<E, R>) -> ApiError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let message = error.message().unwrap_or_default().to_string();
    match error.code() {
        Some("NotAuthorizedException" | "UserNotFoundException") => {
            ApiError::Unauthenticated("The email or password is incorrect.".into())
        }
        Some("UserNotConfirmedException") => ApiError::Forbidden(
            "Confirm your email address first: enter the code we sent you.".into(),
        ),
        Some("PasswordResetRequiredException") => {
            ApiError::Forbidden("A password reset is required for this account.".into())
        }
        Some("UsernameExistsException") => {
            ApiError::Conflict("An account with this email address already exists.".into())
        }
        Some("InvalidPasswordException") => ApiError::bad_input("password", message),
        Some("CodeMismatchException") => {
            ApiError::bad_input("code", "The confirmation code is not correct.")
        }
        Some("ExpiredCodeException") => ApiError::bad_input(
            "code",
            "The confirmation code has expired. Sign up again to get a new one.",
        ),
        Some("TooManyRequestsException" | "LimitExceededException") => {
            ApiError::TooManyRequests("Too many attempts. Wait a minute and try again.".into())
        }
        Some("InvalidParameterException") => ApiError::bad_input("email", message),
        _ => ApiError::Unavailable(format!(
            "cognito {operation}: {}",
            aws_sdk_cognitoidentityprovider::error::DisplayErrorContext(&error)
        )),
    }
}

impl Identity {
    pub fn new(client: Client, user_pool_id: String, client_id: String) -> Identity {
        Identity {
            client,
            user_pool_id,
            client_id,
        }
    }

    pub async fn log_in(&self, email: &str, password: &str) -> Result<Tokens, ApiError> {
        let output = self
            .client
            .initiate_auth()
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", email)
            .auth_parameters("PASSWORD", password)
            .send()
            .await
            .map_err(|e| refusal("InitiateAuth", e))?;
        let result = output.authentication_result().ok_or_else(|| {
            // A challenge (a new password, MFA) the portal does not handle.
            ApiError::Forbidden(format!(
                "This account needs a step the portal does not support ({}). Contact support.",
                output
                    .challenge_name()
                    .map(|c| c.as_str().to_string())
                    .unwrap_or_default()
            ))
        })?;
        Ok(Tokens {
            id_token: result
                .id_token()
                .ok_or_else(|| ApiError::internal("InitiateAuth returned no ID token"))?
                .to_string(),
            refresh_token: result.refresh_token().map(str::to_string),
            expires_in_s: i64::from(result.expires_in()),
        })
    }

    pub async fn refresh(&self, refresh_token: &str) -> Result<Tokens, ApiError> {
        let output = self
            .client
            .initiate_auth()
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::RefreshTokenAuth)
            .auth_parameters("REFRESH_TOKEN", refresh_token)
            .send()
            .await
            .map_err(|e| match refusal("InitiateAuth", e) {
                ApiError::Unauthenticated(_) => {
                    ApiError::Unauthenticated("The session has ended. Log in again.".into())
                }
                other => other,
            })?;
        let result = output.authentication_result().ok_or_else(|| {
            ApiError::Unauthenticated("The session has ended. Log in again.".into())
        })?;
        Ok(Tokens {
            id_token: result
                .id_token()
                .ok_or_else(|| ApiError::internal("refresh returned no ID token"))?
                .to_string(),
            refresh_token: None,
            expires_in_s: i64::from(result.expires_in()),
        })
    }

    /// Creates the login and ties it to a new vendor id made from the
    /// login's `sub` (unique in the pool, so no two sign-ups share a vendor
    /// id, with no database to ask). Returns the vendor id and whether the
    /// email is already confirmed (it is not, unless the pool
    /// auto-confirms). The vendor's row is made by its first request to the
    /// data part, from the token (`routes::account::me`).
    pub async fn sign_up(
        &self,
        email: &str,
        password: &str,
        vendor_name: &str,
    ) -> Result<(VendorId, bool), ApiError> {
        let output = self
            .client
            .sign_up()
            .client_id(&self.client_id)
            .username(email)
            .password(password)
            .user_attributes(attribute("email", email)?)
            .send()
            .await
            .map_err(|e| refusal("SignUp", e))?;
        let vendor_id = vendor_id_of_login(output.user_sub())?;
        self.client
            .admin_update_user_attributes()
            .user_pool_id(&self.user_pool_id)
            .username(email)
            .user_attributes(attribute(VENDOR_ATTRIBUTE, vendor_id.as_str())?)
            .user_attributes(attribute("name", vendor_name)?)
            .send()
            .await
            .map_err(|e| refusal("AdminUpdateUserAttributes", e))?;
        Ok((vendor_id, output.user_confirmed()))
    }

    /// `AdminUserGlobalSignOut`, best effort: the login's refresh tokens
    /// stop working at Cognito. The data part refuses the sessions whatever
    /// Cognito answers (`auth::TokenVerifier::sign_out`).
    pub async fn sign_out_everywhere(&self, username: &str) {
        if let Err(e) = self
            .client
            .admin_user_global_sign_out()
            .user_pool_id(&self.user_pool_id)
            .username(username)
            .send()
            .await
        {
            tracing::warn!(upload_id = "-", error = %aws_sdk_cognitoidentityprovider::error::DisplayErrorContext(&e), "signing a login out everywhere at Cognito");
        }
    }

    pub async fn confirm(&self, email: &str, code: &str) -> Result<(), ApiError> {
        self.client
            .confirm_sign_up()
            .client_id(&self.client_id)
            .username(email)
            .confirmation_code(code)
            .send()
            .await
            .map_err(|e| refusal("ConfirmSignUp", e))?;
        Ok(())
    }

    /// Revokes the refresh token, best effort: the cookie is cleared
    /// whatever Cognito says, and the data part refuses the session's ID
    /// tokens from log-out on (`auth::TokenVerifier::sign_out`).
    pub async fn revoke(&self, refresh_token: &str) {
        if let Err(e) = self
            .client
            .revoke_token()
            .client_id(&self.client_id)
            .token(refresh_token)
            .send()
            .await
        {
            tracing::warn!(upload_id = "-", error = %aws_sdk_cognitoidentityprovider::error::DisplayErrorContext(&e), "revoking a refresh token");
        }
    }
}

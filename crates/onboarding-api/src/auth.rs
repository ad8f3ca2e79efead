//! Who is calling: the Cognito ID token, verified here on every request
//! (signature against the pool's JWKS, issuer, audience, expiry, token use,
//! and that its session was not logged out). The vendor id comes only from
//! the verified token.
//!
//! Logging out is recorded in PostgreSQL (`onboarding_db::sessions`) and
//! checked here on every request, with no cache: once `POST
//! /api/auth/logout` has answered, every instance refuses the session's
//! tokens. Plain log-out ends the caller's session (the ID token's
//! `origin_jti`, which Cognito keeps across refreshes); log-out everywhere
//! ends every session of the login authenticated until then (`auth_time`,
//! which Cognito also keeps across refreshes, or `iat` without it).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use onboarding_aws::database::Database;
use onboarding_core::VendorId;
use serde::Deserialize;
use tokio::sync::RwLock;

use crate::AppState;
use crate::config::CognitoSettings;
use crate::problem::ApiError;

/// The session cookie: the ID token.
pub const SESSION_COOKIE: &str = "onboard_session";
/// The refresh token's cookie, sent only to `/api/auth`.
pub const REFRESH_COOKIE: &str = "onboard_refresh";
/// Unknown key ids refetch the JWKS at most this often, so garbage tokens
/// cannot make the API hammer Cognito.
const JWKS_REFETCH_INTERVAL: Duration = Duration::from_secs(60);
/// How far past the next whole second log-out everywhere answers, so that a
/// log-in right after it gets a later `auth_time` even if Cognito's clock is
/// this much behind ours.
const CLOCK_MARGIN: Duration = Duration::from_millis(150);
/// What a refused session is told.
const SESSION_ENDED: &str = "This session has ended. Log in again.";

#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    token_use: String,
    #[serde(rename = "custom:vendor_id")]
    vendor_id: Option<String>,
    #[serde(default)]
    email: Option<String>,
    /// The vendor's name as given at sign-up (the pool's `name`).
    #[serde(default)]
    name: Option<String>,
    #[serde(rename = "cognito:username", default)]
    username: Option<String>,
    /// When the user entered the password; kept across refreshes.
    #[serde(default)]
    auth_time: Option<i64>,
    #[serde(default)]
    iat: Option<i64>,
    /// The session: one per log-in, kept across refreshes.
    #[serde(default)]
    origin_jti: Option<String>,
    /// The pool groups of the login.
    #[serde(rename = "cognito:groups", default)]
    groups: Vec<String>,
}

/// The pool group whose members may use the admin API.
pub use onboarding_aws::contract::ADMINS_GROUP;

/// A caller whose token was verified and who is in the `admins` group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperatorSession {
    pub subject: String,
    /// The email, else the user name: who the audit log names.
    pub operator: String,
}

/// Who logged in: a vendor, or an operator (the operator console).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Login {
    Vendor(VendorSession),
    Operator(OperatorSession),
}

/// The session a verified token belongs to, for logging it out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenSession {
    /// Cognito's `sub`.
    pub subject: String,
    /// `origin_jti`; `None` if the token has none (log-out then ends every
    /// session of the login).
    pub session_id: Option<String>,
    /// `auth_time`, or `iat` without it (seconds since the epoch).
    pub authenticated_at: Option<i64>,
    /// The name `AdminUserGlobalSignOut` is given: the email, the pool's
    /// username attribute (unique in the pool) and the name the login was
    /// made with, which moto matches refresh tokens by; else
    /// `cognito:username`.
    pub username: String,
}

/// A caller whose token was verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VendorSession {
    pub vendor_id: VendorId,
    pub subject: String,
    pub email: Option<String>,
    /// The name given at sign-up: what a vendor's first request registers
    /// it under (`routes::account::me`).
    pub name: Option<String>,
}

struct KeyCache {
    keys: HashMap<String, DecodingKey>,
    /// The set as fetched, which the auth part serves to the data part
    /// (`GET /api/auth/jwks`).
    set: Option<JwkSet>,
    fetched_at: Option<Instant>,
}

pub struct TokenVerifier {
    settings: CognitoSettings,
    http: reqwest::Client,
    cache: RwLock<KeyCache>,
}

impl TokenVerifier {
    pub fn new(settings: CognitoSettings) -> TokenVerifier {
        TokenVerifier {
            settings,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap_or_default(),
            cache: RwLock::new(KeyCache {
                keys: HashMap::new(),
                set: None,
                fetched_at: None,
            }),
        }
    }

    /// The session of a valid ID token whose session was not logged out;
    /// any other token is `Unauthenticated`.
    pub async fn verify(
        &self,
        database: &Database,
        token: &str,
    ) -> Result<VendorSession, ApiError> {
        Ok(self.verify_session(database, token).await?.0)
    }

    /// Who a valid ID token whose session was not logged out belongs to: a
    /// vendor (`custom:vendor_id`), else an operator (the `admins` group),
    /// with its session. Log-in, refresh and log-out take either; every
    /// other endpoint asks for the one it serves.
    pub async fn verify_login(
        &self,
        database: &Database,
        token: &str,
    ) -> Result<(Login, TokenSession), ApiError> {
        let (login, session) = self.identify(token).await?;
        refuse_if_signed_out(database, &session).await?;
        Ok((login, session))
    }

    /// [`TokenVerifier::verify_login`] but whether the session was logged
    /// out: what the auth part, which has no database, can tell of a token
    /// Cognito has just issued. Every data route checks the rest.
    pub async fn identify(&self, token: &str) -> Result<(Login, TokenSession), ApiError> {
        let (claims, session) = self.decode_claims(token).await?;
        let login = match claims
            .vendor_id
            .as_deref()
            .and_then(|v| VendorId::parse(v).ok())
        {
            Some(vendor_id) => Login::Vendor(VendorSession {
                vendor_id,
                subject: claims.sub,
                email: claims.email,
                name: claims.name,
            }),
            None if claims.groups.iter().any(|g| g == ADMINS_GROUP) => {
                Login::Operator(OperatorSession {
                    subject: session.subject.clone(),
                    operator: session.username.clone(),
                })
            }
            None => {
                return Err(ApiError::Unauthenticated(
                    "This login is not linked to a vendor account.".into(),
                ));
            }
        };
        Ok((login, session))
    }

    /// [`TokenVerifier::verify`], with the session the token belongs to.
    pub async fn verify_session(
        &self,
        database: &Database,
        token: &str,
    ) -> Result<(VendorSession, TokenSession), ApiError> {
        let (vendor, session) = self.decode(token).await?;
        refuse_if_signed_out(database, &session).await?;
        Ok((vendor, session))
    }

    /// Ends `session`: only it, or with `everywhere` (or when the token
    /// names no session) every session of its login authenticated until
    /// now. Recorded before this returns, so every instance refuses the
    /// tokens from then on. Log-out everywhere returns only once the clock
    /// has passed the recorded second, so that a log-in right after it is
    /// not refused. Cognito's side (revoking the refresh tokens) is the auth
    /// part's `POST /api/auth/revoke`.
    pub async fn sign_out(
        &self,
        database: &Database,
        session: &TokenSession,
        everywhere: bool,
    ) -> Result<(), ApiError> {
        let pool = database.pool().await?;
        match (&session.session_id, everywhere) {
            (Some(session_id), false) => {
                onboarding_db::sessions::end_session(pool, &session.subject, session_id).await?;
            }
            _ => {
                // auth_time has whole seconds: a token authenticated in this
                // second, before or after now, is refused.
                let at = Utc::now()
                    .duration_trunc(TimeDelta::seconds(1))
                    .map_err(ApiError::internal)?;
                onboarding_db::sessions::end_every_session(pool, &session.subject, at).await?;
                wait_past(at).await;
            }
        }
        Ok(())
    }

    /// The operator of a valid ID token whose session was not logged out
    /// (else `Unauthenticated`), in the `admins` group (else `Forbidden`).
    pub async fn verify_operator(
        &self,
        database: &Database,
        token: &str,
    ) -> Result<OperatorSession, ApiError> {
        let (claims, session) = self.decode_claims(token).await?;
        refuse_if_signed_out(database, &session).await?;
        if !claims.groups.iter().any(|g| g == ADMINS_GROUP) {
            return Err(ApiError::Forbidden(
                "Only operators (the admins group) may do this.".into(),
            ));
        }
        Ok(OperatorSession {
            subject: session.subject,
            operator: session.username,
        })
    }

    /// Signature, issuer, audience, expiry, token use and vendor: all but
    /// whether the session was logged out.
    async fn decode(&self, token: &str) -> Result<(VendorSession, TokenSession), ApiError> {
        let (claims, session) = self.decode_claims(token).await?;
        // The token's claim is where a session's vendor becomes a vendor
        // id; a claim that is none links the login to no vendor.
        let vendor_id = claims
            .vendor_id
            .as_deref()
            .and_then(|v| VendorId::parse(v).ok())
            .ok_or_else(|| {
                ApiError::Unauthenticated("This login is not linked to a vendor account.".into())
            })?;
        Ok((
            VendorSession {
                vendor_id,
                subject: claims.sub,
                email: claims.email,
                name: claims.name,
            },
            session,
        ))
    }

    /// Signature, issuer, audience, expiry and token use.
    async fn decode_claims(&self, token: &str) -> Result<(Claims, TokenSession), ApiError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| ApiError::Unauthenticated("The session token is malformed.".into()))?;
        let kid = header
            .kid
            .ok_or_else(|| ApiError::Unauthenticated("The session token names no key.".into()))?;
        let key = self.key(&kid).await?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&self.settings.issuer]);
        validation.set_audience(&[&self.settings.client_id]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 30;
        let data = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            let detail = match e.kind() {
                ErrorKind::ExpiredSignature => "The session has expired. Log in again.",
                ErrorKind::InvalidAudience | ErrorKind::InvalidIssuer => {
                    "The session token was not issued for this portal."
                }
                _ => "The session token is not valid.",
            };
            ApiError::Unauthenticated(detail.into())
        })?;
        let claims = data.claims;
        if claims.token_use != "id" {
            return Err(ApiError::Unauthenticated(
                "An ID token is required, not an access token.".into(),
            ));
        }
        let session = TokenSession {
            subject: claims.sub.clone(),
            session_id: claims.origin_jti.clone().filter(|j| !j.is_empty()),
            authenticated_at: claims.auth_time.or(claims.iat),
            username: claims
                .email
                .clone()
                .or(claims.username.clone())
                .unwrap_or_else(|| claims.sub.clone()),
        };
        Ok((claims, session))
    }

    /// The pool's signing keys, as last fetched (fetched now if they never
    /// were, or not for [`JWKS_REFETCH_INTERVAL`]).
    pub async fn signing_keys(&self) -> Result<JwkSet, ApiError> {
        {
            let cache = self.cache.read().await;
            if let Some(set) = &cache.set
                && cache
                    .fetched_at
                    .is_some_and(|at| at.elapsed() < JWKS_REFETCH_INTERVAL)
            {
                return Ok(set.clone());
            }
        }
        let mut cache = self.cache.write().await;
        self.fetch_keys(&mut cache).await?;
        cache
            .set
            .clone()
            .ok_or_else(|| ApiError::internal("no signing keys after fetching them"))
    }

    async fn key(&self, kid: &str) -> Result<DecodingKey, ApiError> {
        {
            let cache = self.cache.read().await;
            if let Some(key) = cache.keys.get(kid) {
                return Ok(key.clone());
            }
            if cache
                .fetched_at
                .is_some_and(|at| at.elapsed() < JWKS_REFETCH_INTERVAL)
            {
                return Err(ApiError::Unauthenticated(
                    "The session token was signed with an unknown key.".into(),
                ));
            }
        }
        let mut cache = self.cache.write().await;
        // Another request may have refreshed the keys meanwhile.
        if let Some(key) = cache.keys.get(kid) {
            return Ok(key.clone());
        }
        self.fetch_keys(&mut cache).await?;
        cache.keys.get(kid).cloned().ok_or_else(|| {
            ApiError::Unauthenticated("The session token was signed with an unknown key.".into())
        })
    }

    async fn fetch_keys(&self, cache: &mut KeyCache) -> Result<(), ApiError> {
        let set: JwkSet = self
            .http
            .get(&self.settings.jwks_url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| {
                ApiError::Unavailable(format!("fetching {}: {e}", self.settings.jwks_url))
            })?
            .json()
            .await
            .map_err(|e| {
                ApiError::Unavailable(format!("reading {}: {e}", self.settings.jwks_url))
            })?;
        cache.keys = set
            .keys
            .iter()
            .filter_map(|jwk| {
                let kid = jwk.common.key_id.clone()?;
                DecodingKey::from_jwk(jwk).ok().map(|key| (kid, key))
            })
            .collect();
        cache.set = Some(set);
        cache.fetched_at = Some(Instant::now());
        tracing::info!(
            upload_id = "-",
            keys = cache.keys.len(),
            "fetched the pool's signing keys"
        );
        Ok(())
    }
}

/// Whether what was recorded refuses a token of the session asked about,
/// authenticated at `authenticated_at`: its session was logged out, or every
/// session was at or after that second (a token that says nothing of when it
/// was authenticated is refused then too).
fn signed_out(recorded: &onboarding_db::sessions::SignOuts, authenticated_at: Option<i64>) -> bool {
    recorded.session_ended
        || recorded
            .everywhere_at
            .is_some_and(|at| authenticated_at.is_none_or(|t| t <= at.timestamp()))
}

/// Sleeps until the clock is past the second after `at`, by a margin.
async fn wait_past(at: DateTime<Utc>) {
    let until = at + TimeDelta::seconds(1) + TimeDelta::from_std(CLOCK_MARGIN).unwrap_or_default();
    if let Ok(left) = (until - Utc::now()).to_std() {
        tokio::time::sleep(left).await;
    }
}

/// A cookie of the request, by name.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name && !c.value().is_empty())
        .map(|c| c.value().to_string())
}

/// The token of a request: the session cookie, or `Authorization: Bearer`
/// for scripts.
pub fn request_token(headers: &HeaderMap) -> Option<String> {
    if let Some(token) = cookie_value(headers, SESSION_COOKIE) {
        return Some(token);
    }
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?.trim();
    (!token.is_empty()).then(|| token.to_string())
}

impl FromRequestParts<Arc<AppState>> for VendorSession {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<VendorSession, ApiError> {
        let token = request_token(&parts.headers)
            .ok_or_else(|| ApiError::Unauthenticated("Log in to continue.".into()))?;
        let session = state
            .verifier
            .verify(&state.data()?.database, &token)
            .await?;
        tracing::Span::current().record("vendor_id", session.vendor_id.as_str());
        Ok(session)
    }
}

impl FromRequestParts<Arc<AppState>> for OperatorSession {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<OperatorSession, ApiError> {
        let token = request_token(&parts.headers)
            .ok_or_else(|| ApiError::Unauthenticated("Log in to continue.".into()))?;
        state
            .verifier
            .verify_operator(&state.data()?.database, &token)
            .await
    }
}

/// The one revocation check of every token (vendor's or operator's): 401 when
/// the session, or every session of its user, was signed out after it began.
async fn refuse_if_signed_out(database: &Database, session: &TokenSession) -> Result<(), ApiError> {
    let pool = database.pool().await?;
    let recorded =
        onboarding_db::sessions::sign_outs(pool, &session.subject, session.session_id.as_deref())
            .await?;
    if signed_out(&recorded, session.authenticated_at) {
        return Err(ApiError::Unauthenticated(SESSION_ENDED.into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use onboarding_db::sessions::SignOuts;

    use super::*;

    #[test]
    fn a_sign_out_refuses_its_own_second_and_earlier_not_later() {
        let at = Utc.timestamp_opt(1_800_000_000, 0).unwrap();
        let everywhere = SignOuts {
            everywhere_at: Some(at),
            session_ended: false,
        };
        let t = at.timestamp();
        assert!(signed_out(&everywhere, Some(t - 3600)));
        assert!(signed_out(&everywhere, Some(t)));
        assert!(!signed_out(&everywhere, Some(t + 1)));
        assert!(signed_out(&everywhere, None), "no auth_time nor iat");
        assert!(!signed_out(&SignOuts::default(), None));
        let session = SignOuts {
            everywhere_at: None,
            session_ended: true,
        };
        assert!(signed_out(&session, Some(t + 3600)));
    }
}

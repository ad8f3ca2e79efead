//! Who is calling: the Cognito ID token, verified here on every request
//! (signature against the pool's JWKS, issuer, audience, expiry, token use).
//! The vendor id comes only from the verified token.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
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

#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    token_use: String,
    #[serde(rename = "custom:vendor_id")]
    vendor_id: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

/// A caller whose token was verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VendorSession {
    pub vendor_id: String,
    pub subject: String,
    pub email: Option<String>,
}

struct KeyCache {
    keys: HashMap<String, DecodingKey>,
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
                fetched_at: None,
            }),
        }
    }

    /// The session of a valid ID token; any other token is `Unauthenticated`.
    pub async fn verify(&self, token: &str) -> Result<VendorSession, ApiError> {
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
        let vendor_id = claims.vendor_id.filter(|v| !v.is_empty()).ok_or_else(|| {
            ApiError::Unauthenticated("This login is not linked to a vendor account.".into())
        })?;
        Ok(VendorSession {
            vendor_id,
            subject: claims.sub,
            email: claims.email,
        })
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
        cache.fetched_at = Some(Instant::now());
        tracing::info!(
            upload_id = "-",
            keys = cache.keys.len(),
            "fetched the pool's signing keys"
        );
        cache.keys.get(kid).cloned().ok_or_else(|| {
            ApiError::Unauthenticated("The session token was signed with an unknown key.".into())
        })
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
fn request_token(headers: &HeaderMap) -> Option<String> {
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
        let session = state.verifier.verify(&token).await?;
        tracing::Span::current().record("vendor_id", session.vendor_id.as_str());
        Ok(session)
    }
}

//! The email's seven-day download links (migration `report_links`): a random
//! token per file, of which only the SHA-256 is stored, so a database reader
//! cannot rebuild a working link.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use onboarding_core::{ReportDocument, UploadId};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::{DbError, column};

/// Random bytes in a token: 256 bits, unguessable.
const TOKEN_BYTES: usize = 32;

/// A link's secret, as it appears in the URL (43 base64url characters).
#[derive(Clone, PartialEq, Eq)]
pub struct LinkToken(String);

impl LinkToken {
    pub fn mint() -> LinkToken {
        let bytes: [u8; TOKEN_BYTES] = rand::random();
        LinkToken(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A path segment that is a well-formed token, or `None` (the caller
    /// answers "not found", as for a token that was never minted).
    pub fn parse(text: &str) -> Option<LinkToken> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        (bytes.len() == TOKEN_BYTES).then(|| LinkToken(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn digest(&self) -> Vec<u8> {
        Sha256::digest(self.0.as_bytes()).to_vec()
    }
}

/// Not `Debug` of the secret: logs name the link by its upload instead.
impl std::fmt::Debug for LinkToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkToken(..)")
    }
}

/// Records a new link to one of an upload's files, valid for `lifetime`
/// from now (the database's clock, which the portal checks it against).
pub async fn create_link(
    pool: &PgPool,
    upload_id: &UploadId,
    document: ReportDocument,
    lifetime: std::time::Duration,
) -> Result<LinkToken, DbError> {
    let token = LinkToken::mint();
    sqlx::query!(
        "INSERT INTO report_links (token_sha256, upload_id, document, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(secs => $4))",
        token.digest(),
        upload_id.as_str(),
        document.as_str(),
        lifetime.as_secs_f64()
    )
    .execute(pool)
    .await?;
    Ok(token)
}

/// A link as the portal finds it.
#[derive(Debug)]
pub struct ResolvedLink {
    pub upload_id: UploadId,
    pub expires_at: DateTime<Utc>,
    pub expired: bool,
    /// The file's S3 key, when the upload has it.
    pub key: Option<String>,
}

/// The link a token names, expired or not (`expired` by the database's
/// clock); `None` for a token never minted.
pub async fn resolve_link(
    pool: &PgPool,
    token: &LinkToken,
) -> Result<Option<ResolvedLink>, DbError> {
    let row = sqlx::query!(
        r#"SELECT l.upload_id, l.document, l.expires_at,
                  l.expires_at <= now() AS "expired!",
                  u.error_file_s3_key, u.fix_file_s3_key
             FROM report_links l JOIN upload_history u USING (upload_id)
            WHERE l.token_sha256 = $1"#,
        token.digest()
    )
    .fetch_optional(pool)
    .await?;
    row.map(|row| {
        let document: ReportDocument = column("report_links.document", &row.document)?;
        Ok(ResolvedLink {
            upload_id: column("report_links.upload_id", &row.upload_id)?,
            expires_at: row.expires_at,
            expired: row.expired,
            key: match document {
                ReportDocument::ErrorReport => row.error_file_s3_key,
                ReportDocument::FixFile => row.fix_file_s3_key,
            },
        })
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unguessable_and_parse_back() {
        let token = LinkToken::mint();
        assert_eq!(token.as_str().len(), 43);
        assert_eq!(LinkToken::parse(token.as_str()), Some(token.clone()));
        assert_ne!(LinkToken::mint(), token);
        assert_eq!(format!("{token:?}"), "LinkToken(..)");
        for bad in ["", "abc", "%00", &"A".repeat(44), &"=".repeat(43)] {
            assert_eq!(LinkToken::parse(bad), None, "{bad:?}");
        }
    }
}

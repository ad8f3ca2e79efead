//! S3 for the portal: presigned POSTs that let the browser upload straight
//! to `uploads/<vendor>/`, and short-lived presigned GETs behind the stable
//! report links.
//!
//! The SDK presigns requests but not POST policies, so the policy is built
//! and signed here with the SDK's own SigV4 primitives and credentials.
//!
//! A presigned POST binds its uploader: the form carries
//! `x-amz-meta-vendor-id` = the authenticated vendor, with an exact-match
//! condition in the signed policy, so S3 refuses a form that changes or
//! drops it and stores it as the object's `vendor-id` metadata. The
//! csv-parser refuses an object whose bound vendor is not its key's.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use std::time::{Duration, SystemTime};

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use base64::Engine;
use chrono::{DateTime, Utc};
use onboarding_aws::s3::UPLOADER_FORM_FIELD;
use onboarding_core::mode::MODE_FORM_FIELD;
use onboarding_core::{UploadKey, UploadMode, VendorId};
use serde::Serialize;
use serde_json::json;

use crate::problem::ApiError;

/// The largest file the pipeline accepts (the csv-parser's limit).
pub const MAX_UPLOAD_BYTES: u64 = 10 * 1024 * 1024;
/// How long a presigned POST may be used.
pub const UPLOAD_WINDOW: Duration = Duration::from_secs(15 * 60);
/// How long a report download link minted by the API lives.
pub const DOWNLOAD_WINDOW: Duration = Duration::from_secs(5 * 60);
/// The content type an upload is stored with, by its file name's format
/// (`text/csv` for a name the pipeline would refuse anyway).
pub fn upload_content_type(file_name: &str) -> &'static str {
    onboarding_core::FileFormat::of_file_name(file_name)
        .unwrap_or(onboarding_core::FileFormat::Csv)
        .content_type()
}

/// What the browser needs to POST a file: the form's action and its fields
/// (the file goes last, as `file`).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PresignedPost {
    pub url: String,
    pub fields: BTreeMap<String, String>,
    pub key: String,
    pub expires_at: DateTime<Utc>,
    pub max_bytes: u64,
}

pub struct ObjectStore {
    s3: aws_sdk_s3::Client,
    credentials: SharedCredentialsProvider,
    region: String,
    bucket: String,
    /// `AWS_ENDPOINT_URL`, for an emulator (path-style addressing).
    endpoint: Option<String>,
}

impl ObjectStore {
    pub fn new(
        sdk: &aws_config::SdkConfig,
        s3: aws_sdk_s3::Client,
        bucket: String,
        endpoint: Option<String>,
    ) -> Result<ObjectStore, ApiError> {
        Ok(ObjectStore {
            s3,
            credentials: sdk
                .credentials_provider()
                .ok_or_else(|| ApiError::internal("no AWS credentials provider"))?,
            region: sdk
                .region()
                .map(|r| r.as_ref().to_string())
                .ok_or_else(|| ApiError::internal("no AWS region configured"))?,
            bucket,
            endpoint,
        })
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Where the form is posted.
    fn post_url(&self) -> String {
        match &self.endpoint {
            Some(endpoint) => format!("{}/{}", endpoint.trim_end_matches('/'), self.bucket),
            None => format!("https://{}.s3.{}.amazonaws.com", self.bucket, self.region),
        }
    }

    /// A POST policy for exactly `uploads/<vendor>/<file_name>`, at most
    /// [`MAX_UPLOAD_BYTES`], stored as its format's content type, usable for
    /// [`UPLOAD_WINDOW`], bound to `vendor_id`, whose folder it is.
    ///
    /// The caller passes the authenticated vendor (the verified session's
    /// vendor id, never one from the request), so the vendor bound into the
    /// policy is the vendor that signed in.
    pub async fn presign_upload(
        &self,
        vendor_id: &VendorId,
        file_name: &str,
        mode: UploadMode,
    ) -> Result<PresignedPost, ApiError> {
        let key = UploadKey::live_key(vendor_id, file_name);
        let credentials = self
            .credentials
            .provide_credentials()
            .await
            .map_err(|e| ApiError::Unavailable(format!("AWS credentials: {e}")))?;
        let signer = SigningCredentials {
            access_key_id: credentials.access_key_id(),
            secret_access_key: credentials.secret_access_key(),
            session_token: credentials.session_token(),
        };
        let policy = PostPolicy::upload(&self.bucket, &key, vendor_id.as_str(), mode);
        let signed = sign_post_policy(&signer, &self.region, SystemTime::now(), &policy)?;
        let max_bytes = *policy.content_length.end();
        Ok(PresignedPost {
            url: self.post_url(),
            fields: signed.fields,
            key,
            expires_at: signed.expires_at,
            max_bytes,
        })
    }

    /// Writes a portal submission (a product from the form, or fixed rows)
    /// to `uploads/<vendor>/<file_name>` with the metadata a presigned POST
    /// would give it: the uploader (`vendor-id`) and the mode. S3 announces
    /// it like any upload, so it runs the whole pipeline. Returns the key.
    pub async fn put_submission(
        &self,
        vendor_id: &VendorId,
        file_name: &str,
        mode: UploadMode,
        body: Vec<u8>,
    ) -> Result<String, ApiError> {
        let key = UploadKey::live_key(vendor_id, file_name);
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .content_type(upload_content_type(file_name))
            .metadata(
                onboarding_aws::s3::UPLOADER_METADATA,
                vendor_id.as_str().to_string(),
            )
            .metadata(onboarding_core::mode::MODE_METADATA, mode.as_str())
            .body(aws_sdk_s3::primitives::ByteStream::from(body))
            .send()
            .await
            .map_err(|e| {
                ApiError::Unavailable(format!(
                    "s3 PutObject {key}: {}",
                    aws_sdk_s3::error::DisplayErrorContext(&e)
                ))
            })?;
        Ok(key)
    }

    /// Copies one stored version of an upload to a new version of the same
    /// key, with its metadata plus `rerun-of: <original>`: S3 announces it
    /// like any upload, so it runs the whole pipeline as a new upload, and
    /// the csv-parser links it to the original. Returns the new version id.
    pub async fn copy_for_rerun(
        &self,
        key: &str,
        version_id: &str,
        original: &str,
    ) -> Result<Option<String>, ApiError> {
        let s3_error = |operation: &str, e: &dyn std::fmt::Display| {
            ApiError::Unavailable(format!("s3 {operation} {key}: {e}"))
        };
        let version = (!version_id.is_empty()).then_some(version_id);
        let head = self
            .s3
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .set_version_id(version.map(str::to_string))
            .send()
            .await
            .map_err(|e| {
                if e.as_service_error().is_some_and(|s| s.is_not_found()) {
                    ApiError::Conflict(format!(
                        "The stored file of this upload ({key}) is gone, so it cannot be re-run."
                    ))
                } else {
                    s3_error("HeadObject", &aws_sdk_s3::error::DisplayErrorContext(&e))
                }
            })?;
        let mut metadata = head.metadata.unwrap_or_default();
        metadata.insert(
            onboarding_aws::s3::RERUN_METADATA.to_string(),
            original.to_string(),
        );
        let encoded: String = key
            .split('/')
            .map(|part| url::form_urlencoded::byte_serialize(part.as_bytes()).collect::<String>())
            .collect::<Vec<_>>()
            .join("/");
        let mut source = format!("{}/{encoded}", self.bucket);
        if let Some(version) = version {
            source.push_str(&format!("?versionId={version}"));
        }
        let copied = self
            .s3
            .copy_object()
            .bucket(&self.bucket)
            .key(key)
            .copy_source(source)
            .metadata_directive(aws_sdk_s3::types::MetadataDirective::Replace)
            .set_metadata(Some(metadata))
            .set_content_type(head.content_type)
            .send()
            .await
            .map_err(|e| s3_error("CopyObject", &aws_sdk_s3::error::DisplayErrorContext(&e)))?;
        Ok(copied.version_id)
    }

    /// A fresh presigned GET of a report, for [`DOWNLOAD_WINDOW`].
    pub async fn download_link(&self, key: &str) -> Result<String, ApiError> {
        onboarding_aws::s3::presign_get(&self.s3, &self.bucket, key, DOWNLOAD_WINDOW)
            .await
            .map_err(|e| ApiError::Unavailable(e.to_string()))
    }
}

/// The parts of AWS credentials a POST policy is signed with (no `Debug`:
/// it holds the secret).
#[derive(Clone, Copy)]
pub struct SigningCredentials<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    pub session_token: Option<&'a str>,
}

/// What a presigned POST allows: one exact key in one bucket, one content
/// type, one uploader, a size range, for a while.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostPolicy<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
    pub content_type: &'a str,
    /// The authenticated vendor the upload is bound to: the form field
    /// [`UPLOADER_FORM_FIELD`] (`x-amz-meta-vendor-id`), exact-match in the
    /// policy, stored by S3 as the object's `vendor-id` metadata.
    pub uploader: &'a str,
    /// The upload's mode, when the vendor chose one: the form field
    /// [`MODE_FORM_FIELD`] (`x-amz-meta-mode`), exact-match in the policy, so
    /// the browser cannot change it after signing.
    pub mode: Option<&'a str>,
    /// Inclusive, in bytes (S3's `content-length-range`).
    pub content_length: RangeInclusive<u64>,
    pub valid_for: Duration,
}

impl<'a> PostPolicy<'a> {
    /// The policy every vendor upload gets: the content type of its format
    /// ([`upload_content_type`]), 1 byte
    /// to [`MAX_UPLOAD_BYTES`], for [`UPLOAD_WINDOW`], bound to `uploader`
    /// (the authenticated vendor).
    pub fn upload(
        bucket: &'a str,
        key: &'a str,
        uploader: &'a str,
        mode: UploadMode,
    ) -> PostPolicy<'a> {
        PostPolicy {
            bucket,
            key,
            content_type: upload_content_type(key),
            uploader,
            mode: Some(mode.as_str()),
            content_length: 1..=MAX_UPLOAD_BYTES,
            valid_for: UPLOAD_WINDOW,
        }
    }
}

/// A signed POST policy: the form fields (`policy` and `x-amz-signature`
/// included) and when the policy expires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedPost {
    pub fields: BTreeMap<String, String>,
    pub expires_at: DateTime<Utc>,
}

/// Builds `policy` as an S3 POST policy document signed with SigV4 at `now`
/// in `region`. Pure: the same inputs give the same bytes. Every form field
/// but `policy` and `x-amz-signature` has an exact-match condition, as S3
/// requires.
pub fn sign_post_policy(
    credentials: &SigningCredentials<'_>,
    region: &str,
    now: SystemTime,
    policy: &PostPolicy<'_>,
) -> Result<SignedPost, ApiError> {
    let now_utc: DateTime<Utc> = now.into();
    let expires_at =
        now_utc + chrono::Duration::from_std(policy.valid_for).map_err(ApiError::internal)?;
    let date = now_utc.format("%Y%m%d").to_string();
    let amz_date = now_utc.format("%Y%m%dT%H%M%SZ").to_string();
    let credential = format!(
        "{}/{date}/{region}/s3/aws4_request",
        credentials.access_key_id
    );

    let mut fields = BTreeMap::new();
    fields.insert("key".to_string(), policy.key.to_string());
    fields.insert("Content-Type".into(), policy.content_type.into());
    fields.insert(UPLOADER_FORM_FIELD.into(), policy.uploader.into());
    if let Some(mode) = policy.mode {
        fields.insert(MODE_FORM_FIELD.into(), mode.into());
    }
    fields.insert("x-amz-algorithm".into(), "AWS4-HMAC-SHA256".into());
    fields.insert("x-amz-credential".into(), credential);
    fields.insert("x-amz-date".into(), amz_date);
    if let Some(token) = credentials.session_token {
        fields.insert("x-amz-security-token".into(), token.to_string());
    }
    let mut conditions = vec![
        json!({"bucket": policy.bucket}),
        json!([
            "content-length-range",
            policy.content_length.start(),
            policy.content_length.end()
        ]),
    ];
    conditions.extend(
        fields
            .iter()
            .map(|(name, value)| json!(["eq", format!("${name}"), value])),
    );
    let document = json!({
        "expiration": expires_at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        "conditions": conditions,
    });
    let document = base64::engine::general_purpose::STANDARD.encode(document.to_string());
    let signature = sign_policy_document(credentials.secret_access_key, region, now, &document);
    fields.insert("policy".into(), document);
    fields.insert("x-amz-signature".into(), signature);
    Ok(SignedPost { fields, expires_at })
}

/// The SigV4 signature of a POST policy: the base64 policy document is the
/// string to sign, with the S3 signing key for `time`'s UTC date and
/// `region` (hex HMAC-SHA256, as `x-amz-signature` carries it).
pub fn sign_policy_document(
    secret_access_key: &str,
    region: &str,
    time: SystemTime,
    policy_base64: &str,
) -> String {
    let signing_key =
        aws_sigv4::sign::v4::generate_signing_key(secret_access_key, time, region, "s3");
    aws_sigv4::sign::v4::calculate_signature(signing_key, policy_base64.as_bytes())
}

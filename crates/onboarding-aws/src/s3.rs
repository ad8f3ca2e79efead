//! Reading uploads from and writing reports to S3.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use tokio::io::AsyncRead;

use crate::{AwsError, describe};

/// The user metadata a portal upload carries its uploader in: the vendor id
/// of the authenticated vendor the presigned POST was signed for. S3 stores
/// the form field [`UPLOADER_FORM_FIELD`] as this metadata.
pub const UPLOADER_METADATA: &str = "vendor-id";
/// The presigned POST's form field (with an exact-match condition in the
/// signed policy) that S3 stores as [`UPLOADER_METADATA`].
pub const UPLOADER_FORM_FIELD: &str = "x-amz-meta-vendor-id";

/// An object opened for reading: the body, streamed, and what the same
/// GetObject response said about the object.
pub struct OpenedObject<R> {
    pub body: R,
    /// User metadata (`x-amz-meta-*`), by name without the prefix.
    pub metadata: HashMap<String, String>,
}

impl<R> OpenedObject<R> {
    /// The vendor a portal upload was bound to by its signed POST policy
    /// ([`UPLOADER_METADATA`]), exactly as stored; `None` for an object put
    /// without it (a direct drop by an IAM-authorised tool). Metadata names
    /// are HTTP header names, so the name is matched case-insensitively;
    /// the value is not touched.
    pub fn uploader(&self) -> Option<&str> {
        self.metadata
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(UPLOADER_METADATA))
            .map(|(_, value)| value.as_str())
    }
}

/// The user metadata an operator's re-run carries: the upload it repeats
/// (the console's `POST /api/admin/uploads/{id}/rerun`).
pub const RERUN_METADATA: &str = "rerun-of";

impl<R> OpenedObject<R> {
    /// The upload this object re-runs ([`RERUN_METADATA`]), if any.
    pub fn rerun_of(&self) -> Option<&str> {
        self.metadata
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(RERUN_METADATA))
            .map(|(_, value)| value.as_str())
    }
}

impl<R> OpenedObject<R> {
    /// The object's upload mode as its metadata names it
    /// ([`onboarding_core::mode::MODE_METADATA`]), not yet read: the parser
    /// reads it with the key's folder into an [`onboarding_core::UploadMode`].
    pub fn mode(&self) -> Option<&str> {
        self.metadata
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(onboarding_core::mode::MODE_METADATA))
            .map(|(_, value)| value.as_str())
    }
}

/// Streams one version of an object; nothing is buffered beyond what the
/// reader asks for. The object's user metadata comes from the same response.
pub async fn open_object(
    client: &Client,
    bucket: &str,
    key: &str,
    version: Option<&str>,
) -> Result<OpenedObject<impl AsyncRead + Unpin + Send + use<>>, AwsError> {
    let output = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .set_version_id(version.map(str::to_string))
        .send()
        .await
        .map_err(|e| AwsError::new("GetObject", format!("s3://{bucket}/{key}"), describe(&e)))?;
    Ok(OpenedObject {
        metadata: output.metadata.unwrap_or_default(),
        body: output.body.into_async_read(),
    })
}

/// Writes a CSV report. Writing the same key again replaces it with the same
/// bytes, which is what a retried report should do.
pub async fn put_csv(
    client: &Client,
    bucket: &str,
    key: &str,
    body: Vec<u8>,
) -> Result<(), AwsError> {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type("text/csv; charset=utf-8")
        .content_disposition(format!(
            "attachment; filename=\"{}\"",
            key.rsplit('/').next().unwrap_or(key)
        ))
        .body(ByteStream::from(body))
        .send()
        .await
        .map_err(|e| AwsError::new("PutObject", format!("s3://{bucket}/{key}"), describe(&e)))?;
    Ok(())
}

/// A presigned GET. Note: it stops working when the signing credentials
/// expire, which for a Lambda role is hours, not the `expires_in` asked for.
pub async fn presign_get(
    client: &Client,
    bucket: &str,
    key: &str,
    expires_in: Duration,
) -> Result<String, AwsError> {
    let config = PresigningConfig::expires_in(expires_in)
        .map_err(|e| AwsError::new("Presign", key.to_string(), e))?;
    let request = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .presigned(config)
        .await
        .map_err(|e| AwsError::new("Presign", format!("s3://{bucket}/{key}"), describe(&e)))?;
    Ok(request.uri().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opened(metadata: &[(&str, &str)]) -> OpenedObject<()> {
        OpenedObject {
            body: (),
            metadata: metadata
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn the_uploader_is_the_vendor_id_metadata_as_stored() {
        assert_eq!(opened(&[]).uploader(), None);
        assert_eq!(opened(&[("other", "VEND002")]).uploader(), None);
        assert_eq!(
            opened(&[("vendor-id", "VEND002")]).uploader(),
            Some("VEND002")
        );
        assert_eq!(
            opened(&[("Vendor-Id", " vend002 ")]).uploader(),
            Some(" vend002 ")
        );
        assert_eq!(
            UPLOADER_FORM_FIELD,
            format!("x-amz-meta-{UPLOADER_METADATA}")
        );
    }
}

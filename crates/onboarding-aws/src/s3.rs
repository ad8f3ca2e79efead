//! Reading uploads from and writing reports to S3.

use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use tokio::io::AsyncRead;

use crate::{AwsError, describe};

/// Streams one version of an object; nothing is buffered beyond what the
/// reader asks for.
pub async fn open_object(
    client: &Client,
    bucket: &str,
    key: &str,
    version: Option<&str>,
) -> Result<impl AsyncRead + Unpin + Send + use<>, AwsError> {
    let output = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .set_version_id(version.map(str::to_string))
        .send()
        .await
        .map_err(|e| AwsError::new("GetObject", format!("s3://{bucket}/{key}"), describe(&e)))?;
    Ok(output.body.into_async_read())
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

//! Reading S3 `ObjectCreated` notifications in the exact AWS format.

use aws_lambda_events::event::s3::S3EventRecord;
use chrono::{DateTime, Utc};

/// One created object, with its key decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatedObject {
    pub bucket: String,
    pub key: String,
    /// The version id, or for an unversioned bucket the sequencer (or ETag),
    /// which still tells two writes of the same key apart.
    pub version: String,
    pub size: Option<i64>,
    pub event_time: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EventError {
    #[error("S3 record has no {0}")]
    Missing(&'static str),
    #[error("S3 object key '{0}' is not valid URL-encoded UTF-8")]
    BadKeyEncoding(String),
}

/// Decodes a key as S3 writes it in notifications: form URL encoding, where
/// `+` is a space and a literal plus arrives as `%2B`.
pub fn decode_key(raw: &str) -> Result<String, EventError> {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|key| key.into_owned())
        .map_err(|_| EventError::BadKeyEncoding(raw.to_string()))
}

impl CreatedObject {
    pub fn from_record(record: &S3EventRecord) -> Result<CreatedObject, EventError> {
        let bucket = record
            .s3
            .bucket
            .name
            .clone()
            .ok_or(EventError::Missing("bucket name"))?;
        let raw_key = record
            .s3
            .object
            .key
            .as_deref()
            .ok_or(EventError::Missing("object key"))?;
        let object = &record.s3.object;
        let version = object
            .version_id
            .clone()
            .filter(|v| !v.is_empty() && v != "null")
            .or_else(|| object.sequencer.clone())
            .or_else(|| object.e_tag.clone())
            .ok_or(EventError::Missing("version id, sequencer or ETag"))?;
        Ok(CreatedObject {
            bucket,
            key: decode_key(raw_key)?,
            version,
            size: object.size,
            event_time: record.event_time,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::s3::S3Event;

    /// A notification exactly as AWS sends it (from the S3 documentation's
    /// event message structure), for a key with spaces, a plus and unicode.
    const AWS_EVENT: &str = r#"{
      "Records": [{
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2026-11-22T10:15:30.123Z",
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "AWS:AIDAEXAMPLE"},
        "requestParameters": {"sourceIPAddress": "203.0.113.10"},
        "responseElements": {
          "x-amz-request-id": "C3D13FE58DE4C810",
          "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"
        },
        "s3": {
          "s3SchemaVersion": "1.0",
          "configurationId": "csv-uploads",
          "bucket": {
            "name": "onboarding-prod-uploads-123456789012",
            "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
            "arn": "arn:aws:s3:::onboarding-prod-uploads-123456789012"
          },
          "object": {
            "key": "uploads/VEND001/spring+sale+%2B+caf%C3%A9+products.csv",
            "size": 1024,
            "eTag": "d41d8cd98f00b204e9800998ecf8427e",
            "versionId": "096fKKXTRTtl3on89fVO.nfljtsv6qko",
            "sequencer": "0055AED6DCD90281E5"
          }
        }
      }]
    }"#;

    #[test]
    fn a_real_aws_event_decodes_with_plus_as_space() {
        let event: S3Event = serde_json::from_str(AWS_EVENT).unwrap();
        let object = CreatedObject::from_record(&event.records[0]).unwrap();
        assert_eq!(
            object.key,
            "uploads/VEND001/spring sale + café products.csv"
        );
        assert_eq!(object.bucket, "onboarding-prod-uploads-123456789012");
        assert_eq!(object.version, "096fKKXTRTtl3on89fVO.nfljtsv6qko");
        assert_eq!(object.size, Some(1024));
        assert_eq!(
            object.event_time.to_rfc3339(),
            "2026-11-22T10:15:30.123+00:00"
        );
    }

    #[test]
    fn an_unversioned_bucket_falls_back_to_the_sequencer() {
        let json = AWS_EVENT.replace(r#""versionId": "096fKKXTRTtl3on89fVO.nfljtsv6qko","#, "");
        let event: S3Event = serde_json::from_str(&json).unwrap();
        let object = CreatedObject::from_record(&event.records[0]).unwrap();
        assert_eq!(object.version, "0055AED6DCD90281E5");
    }

    #[test]
    fn keys_decode_like_s3_encodes_them() {
        assert_eq!(decode_key("a+b%2Bc").unwrap(), "a b+c");
        assert_eq!(
            decode_key("uploads/V/%E2%82%AC.csv").unwrap(),
            "uploads/V/€.csv"
        );
        assert!(decode_key("uploads/V/%FF.csv").is_err());
    }
}

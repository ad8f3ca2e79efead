//! Turns the emulator's S3 notification records into the exact shape AWS
//! sends (what `aws_lambda_events::event::s3::S3Event` reads).
//!
//! moto 5.2.1's records differ from AWS's: `eventTime` has no timezone;
//! `userIdentity`, `requestParameters`, `responseElements`, `versionId` and
//! `sequencer` are missing; and the key is encoded with Python's `quote_plus`
//! (`/` as `%2F`). AWS encodes the key as HTML form data
//! (`application/x-www-form-urlencoded`): a space is `+`, `/` stays, other
//! reserved and non-ASCII bytes are percent-encoded. Records that already
//! have the AWS shape (LocalStack, AWS) come out unchanged, apart from
//! missing fields being filled in.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

/// Made-up identities in the AWS formats.
pub const LOCAL_PRINCIPAL_ID: &str = "AWS:AIDALOCALDEVSTACKUSER";
pub const LOCAL_OWNER_ID: &str = "A3LOCALDEVSTACKOWNER";
pub const LOCAL_SOURCE_IP: &str = "127.0.0.1";

/// What the record itself does not tell.
#[derive(Clone, Debug)]
pub struct RecordContext<'a> {
    /// Region, when the record has none.
    pub region: &'a str,
    /// The object version (moto omits it; the runner looks it up).
    pub version_id: Option<&'a str>,
    /// A stable id for `x-amz-request-id` / `x-amz-id-2` (the SQS message id).
    pub request_id: &'a str,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum NormalizeError {
    #[error("S3 record has no {0}")]
    Missing(&'static str),
    #[error("S3 record eventTime {0:?} is not a timestamp")]
    BadTime(String),
}

/// The AWS-shaped copy of one notification record.
pub fn normalize_record(raw: &Value, ctx: &RecordContext<'_>) -> Result<Value, NormalizeError> {
    let text = |pointer: &str| raw.pointer(pointer).and_then(Value::as_str);
    let bucket = text("/s3/bucket/name").ok_or(NormalizeError::Missing("s3.bucket.name"))?;
    let encoded_key = text("/s3/object/key").ok_or(NormalizeError::Missing("s3.object.key"))?;
    let time_text = text("/eventTime").ok_or(NormalizeError::Missing("eventTime"))?;
    let event_time = parse_event_time(time_text)?;
    let key = decode_key(encoded_key);
    let region = text("/awsRegion").unwrap_or(ctx.region);
    let version_id = text("/s3/object/versionId").or(ctx.version_id);
    let sequencer = text("/s3/object/sequencer")
        .map(str::to_string)
        .unwrap_or_else(|| sequencer_for(event_time));
    let request_id: String = ctx
        .request_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .chain(std::iter::repeat('0'))
        .take(16)
        .collect();

    let mut object = json!({
        "key": aws_encode_key(&key),
        "size": raw.pointer("/s3/object/size").and_then(Value::as_i64).unwrap_or(0),
        "eTag": text("/s3/object/eTag").unwrap_or_default().trim_matches('"'),
        "sequencer": sequencer,
    });
    if let Some(version) = version_id {
        object["versionId"] = json!(version);
    }
    Ok(json!({
        "eventVersion": text("/eventVersion").unwrap_or("2.1"),
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": event_time.to_rfc3339_opts(SecondsFormat::Millis, true),
        "eventName": text("/eventName").unwrap_or("ObjectCreated:Put"),
        "userIdentity": {
            "principalId": text("/userIdentity/principalId").unwrap_or(LOCAL_PRINCIPAL_ID),
        },
        "requestParameters": {
            "sourceIPAddress": text("/requestParameters/sourceIPAddress").unwrap_or(LOCAL_SOURCE_IP),
        },
        "responseElements": {
            "x-amz-request-id": text("/responseElements/x-amz-request-id").map(str::to_string).unwrap_or_else(|| request_id.clone()),
            "x-amz-id-2": text("/responseElements/x-amz-id-2").map(str::to_string).unwrap_or_else(|| format!("{request_id}/devstack/{request_id}")),
        },
        "s3": {
            "s3SchemaVersion": text("/s3/s3SchemaVersion").unwrap_or("1.0"),
            "configurationId": text("/s3/configurationId").unwrap_or(crate::provision::NOTIFICATION_ID),
            "bucket": {
                "name": bucket,
                "ownerIdentity": {
                    "principalId": text("/s3/bucket/ownerIdentity/principalId").unwrap_or(LOCAL_OWNER_ID),
                },
                "arn": text("/s3/bucket/arn").map(str::to_string).unwrap_or_else(|| format!("arn:aws:s3:::{bucket}")),
            },
            "object": object,
        },
    }))
}

/// Decodes a notification key: `+` is a space, `%XX` a byte (both moto's
/// `quote_plus` and AWS's form encoding decode this way).
pub fn decode_key(encoded: &str) -> String {
    let plus_as_space = encoded.replace('+', " ");
    percent_encoding::percent_decode_str(&plus_as_space)
        .decode_utf8_lossy()
        .into_owned()
}

/// Encodes a key the way S3 event notifications do: letters, digits,
/// `-_.*` and `/` stay, a space becomes `+`, every other byte of the UTF-8
/// form becomes `%XX`.
pub fn aws_encode_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len() * 3 / 2);
    for byte in key.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' | b'/' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// RFC 3339 (AWS), or a naive timestamp taken as UTC (moto).
pub fn parse_event_time(text: &str) -> Result<DateTime<Utc>, NormalizeError> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .map(|naive| naive.and_utc())
        .map_err(|_| NormalizeError::BadTime(text.to_string()))
}

/// An increasing hex sequencer, like the ones S3 puts on events for one key.
fn sequencer_for(time: DateTime<Utc>) -> String {
    let nanos = time.timestamp_nanos_opt().unwrap_or_default().max(0) as u64;
    format!("{nanos:018X}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::s3::S3Event;

    /// A record exactly as moto 5.2.1 sends it (captured).
    fn moto_record(key: &str) -> Value {
        json!({"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
               "eventTime": "2026-11-22T01:48:00.082854", "eventName": "ObjectCreated:Put",
               "s3": {"s3SchemaVersion": "1.0", "configurationId": "uploads",
                      "bucket": {"name": "bucket1", "arn": "arn:aws:s3:::bucket1"},
                      "object": {"key": key, "size": 3, "eTag": "900150983cd24fb0d6963f7d28e17f72"}}})
    }

    fn context() -> RecordContext<'static> {
        RecordContext {
            region: "us-east-1",
            version_id: Some("v-1"),
            request_id: "b82fc77d-4b82-4592-9b60-bfd8fec8a40a",
        }
    }

    #[test]
    fn moto_record_becomes_an_aws_record_that_s3event_reads() {
        // moto's quote_plus of "uploads/VEND001/my file é+x.csv"
        let raw = moto_record("uploads%2FVEND001%2Fmy+file+%C3%A9%2Bx.csv");
        let record = normalize_record(&raw, &context()).unwrap();
        assert_eq!(record["eventTime"], "2026-11-22T01:48:00.082Z");
        assert_eq!(
            record["s3"]["object"]["key"],
            "uploads/VEND001/my+file+%C3%A9%2Bx.csv"
        );
        assert_eq!(record["s3"]["object"]["versionId"], "v-1");
        assert_eq!(
            record["responseElements"]["x-amz-request-id"],
            "B82FC77D4B824592"
        );

        let event: S3Event = serde_json::from_value(json!({"Records": [record]})).unwrap();
        let parsed = &event.records[0];
        assert_eq!(
            parsed.event_time.to_rfc3339(),
            "2026-11-22T01:48:00.082+00:00"
        );
        assert_eq!(
            parsed.principal_id.principal_id.as_deref(),
            Some(LOCAL_PRINCIPAL_ID)
        );
        assert_eq!(
            parsed.request_parameters.source_ip_address.as_deref(),
            Some("127.0.0.1")
        );
        assert!(parsed.response_elements.contains_key("x-amz-id-2"));
        assert_eq!(parsed.s3.bucket.name.as_deref(), Some("bucket1"));
        assert!(parsed.s3.bucket.owner_identity.is_some());
        assert_eq!(parsed.s3.object.size, Some(3));
        assert_eq!(parsed.s3.object.version_id.as_deref(), Some("v-1"));
        assert!(
            parsed
                .s3
                .object
                .sequencer
                .as_deref()
                .is_some_and(|s| s.len() == 18)
        );
        assert_eq!(
            decode_key(parsed.s3.object.key.as_deref().unwrap()),
            "uploads/VEND001/my file é+x.csv"
        );
    }

    #[test]
    fn raw_moto_record_is_not_readable_as_s3event() {
        let raw = moto_record("uploads%2Fa.csv");
        assert!(serde_json::from_value::<S3Event>(json!({"Records": [raw]})).is_err());
    }

    #[test]
    fn keys_are_form_encoded_with_slashes_kept() {
        for (key, encoded) in [
            (
                "uploads/VEND001/products.csv",
                "uploads/VEND001/products.csv",
            ),
            ("uploads/V/my file.csv", "uploads/V/my+file.csv"),
            ("uploads/V/a+b.csv", "uploads/V/a%2Bb.csv"),
            (
                "uploads/V/prix été (1).csv",
                "uploads/V/prix+%C3%A9t%C3%A9+%281%29.csv",
            ),
            ("uploads/V/日本.csv", "uploads/V/%E6%97%A5%E6%9C%AC.csv"),
            (
                "uploads/V/a%b&c=d~e'f.csv",
                "uploads/V/a%25b%26c%3Dd%7Ee%27f.csv",
            ),
            ("uploads/V/x_y-z*.csv", "uploads/V/x_y-z*.csv"),
        ] {
            assert_eq!(aws_encode_key(key), encoded, "{key}");
            assert_eq!(decode_key(encoded), key);
        }
    }

    #[test]
    fn aws_shaped_record_keeps_its_values() {
        let mut raw = normalize_record(&moto_record("uploads%2Fa+b.csv"), &context()).unwrap();
        raw["s3"]["object"]["sequencer"] = json!("0055AED6DCD90281E5");
        raw["eventTime"] = json!("2024-01-02T03:04:05.678Z");
        let again = normalize_record(
            &raw,
            &RecordContext {
                version_id: None,
                ..context()
            },
        )
        .unwrap();
        assert_eq!(again["s3"]["object"]["key"], "uploads/a+b.csv");
        assert_eq!(again["s3"]["object"]["sequencer"], "0055AED6DCD90281E5");
        assert_eq!(again["s3"]["object"]["versionId"], "v-1");
        assert_eq!(again["eventTime"], "2024-01-02T03:04:05.678Z");
    }

    #[test]
    fn unversioned_objects_have_no_version_id_and_bad_times_are_errors() {
        let record = normalize_record(
            &moto_record("uploads%2Fa.csv"),
            &RecordContext {
                version_id: None,
                ..context()
            },
        )
        .unwrap();
        assert!(record["s3"]["object"].get("versionId").is_none());
        let mut raw = moto_record("k");
        raw["eventTime"] = json!("yesterday");
        assert!(matches!(
            normalize_record(&raw, &context()),
            Err(NormalizeError::BadTime(_))
        ));
    }
}

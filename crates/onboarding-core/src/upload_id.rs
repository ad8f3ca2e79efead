//! Upload ids: `UPLOAD_YYYYMMDD_HHMMSS_<suffix>`.
//!
//! The time is when S3 received the object; the suffix is a hash of the
//! object's bucket, key and version. Two uploads in the same second differ in
//! key or version and so in suffix, while a duplicate S3 event for the same
//! object version maps to the same id.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const PREFIX: &str = "UPLOAD_";
const SUFFIX_LEN: usize = 12;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UploadId(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("'{0}' is not an upload id (expected UPLOAD_YYYYMMDD_HHMMSS_XXXXXXXXXXXX)")]
pub struct InvalidUploadId(pub String);

impl UploadId {
    /// The id of one version of one S3 object. `version` is the S3 version id,
    /// or, for an unversioned bucket, something else that identifies the write
    /// (the event's sequencer or the ETag).
    pub fn for_object(
        received_at: DateTime<Utc>,
        bucket: &str,
        key: &str,
        version: &str,
    ) -> UploadId {
        let mut hash = Sha256::new();
        for part in [bucket, key, version] {
            hash.update(part.as_bytes());
            hash.update([0]);
        }
        let digest = hash.finalize();
        let suffix: String = digest
            .iter()
            .flat_map(|b| [b >> 4, b & 0xf])
            .take(SUFFIX_LEN)
            .map(|nibble| {
                char::from_digit(u32::from(nibble), 16)
                    .unwrap_or('0')
                    .to_ascii_uppercase()
            })
            .collect();
        UploadId(format!(
            "{PREFIX}{}_{suffix}",
            received_at.format("%Y%m%d_%H%M%S")
        ))
    }

    pub fn parse(text: &str) -> Result<UploadId, InvalidUploadId> {
        let invalid = || InvalidUploadId(text.to_string());
        let rest = text.strip_prefix(PREFIX).ok_or_else(invalid)?;
        let (time, suffix) = rest.rsplit_once('_').ok_or_else(invalid)?;
        NaiveDateTime::parse_from_str(time, "%Y%m%d_%H%M%S").map_err(|_| invalid())?;
        let suffix_ok = suffix.len() == SUFFIX_LEN
            && suffix
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b));
        if !suffix_ok || time.len() != 15 {
            return Err(invalid());
        }
        Ok(UploadId(text.to_string()))
    }
}

crate::text_forms::text_forms!(newtype UploadId, InvalidUploadId);

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(second: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 12, 21, 10, 30, second).unwrap()
    }

    #[test]
    fn shape_and_determinism() {
        let id = UploadId::for_object(at(45), "bucket", "uploads/VEND001/a.csv", "v1");
        assert!(id.as_str().starts_with("UPLOAD_20241221_103045_"), "{id}");
        assert_eq!(id.as_str().len(), "UPLOAD_20241221_103045_".len() + 12);
        assert_eq!(
            id,
            UploadId::for_object(at(45), "bucket", "uploads/VEND001/a.csv", "v1")
        );
        assert_eq!(UploadId::parse(id.as_str()), Ok(id));
    }

    #[test]
    fn same_second_different_objects_differ() {
        let a = UploadId::for_object(at(1), "b", "uploads/V/a.csv", "v1");
        let b = UploadId::for_object(at(1), "b", "uploads/V/b.csv", "v1");
        let c = UploadId::for_object(at(1), "b", "uploads/V/a.csv", "v2");
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_ne!(b, c);
    }

    #[test]
    fn parts_cannot_run_together() {
        let a = UploadId::for_object(at(1), "b", "ab", "c");
        let b = UploadId::for_object(at(1), "b", "a", "bc");
        assert_ne!(a, b);
    }

    #[test]
    fn parse_refuses_other_text() {
        for text in [
            "",
            "UPLOAD_",
            "UPLOAD_20241221_103045",
            "UPLOAD_20241321_103045_0123456789AB",
            "UPLOAD_20241221_103045_0123456789ab",
            "X_20241221_103045_0123456789AB",
            "UPLOAD_20241221_103045_0123456789ABC",
        ] {
            assert!(UploadId::parse(text).is_err(), "{text}");
        }
    }
}

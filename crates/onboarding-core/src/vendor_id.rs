//! Vendor ids: the folder a vendor uploads into (`uploads/<VENDOR_ID>/`) and
//! the key of the vendors table.
//!
//! The rule is the one the S3 layout needs and the vendors table's CHECK
//! keeps: 1–50 ASCII letters, digits, `_` or `-`, so an id is always one
//! path segment, one filter-policy value and one line of text.

use serde::{Deserialize, Serialize};

/// The most characters an id has (the column is `VARCHAR(50)`).
pub const MAX_LEN: usize = 50;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct VendorId(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("'{0}' is not a vendor id (1 to 50 characters, each an ASCII letter or digit, '_' or '-')")]
pub struct InvalidVendorId(pub String);

impl VendorId {
    pub fn parse(text: &str) -> Result<VendorId, InvalidVendorId> {
        let valid = !text.is_empty()
            && text.len() <= MAX_LEN
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if valid {
            Ok(VendorId(text.to_string()))
        } else {
            Err(InvalidVendorId(text.to_string()))
        }
    }
}

crate::text_forms::text_forms!(newtype VendorId, InvalidVendorId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_of_the_layout_parse() {
        for text in ["VEND001", "v", "a-b_C9", &"X".repeat(MAX_LEN)] {
            let id = VendorId::parse(text).expect(text);
            assert_eq!(id.as_str(), text);
            assert_eq!(id.to_string(), text);
            assert_eq!(text.parse::<VendorId>(), Ok(id));
        }
    }

    #[test]
    fn other_text_is_refused_and_named() {
        for text in [
            "",
            "VEND 001",
            "VEND/001",
            "vend.001",
            "VÉND",
            " VEND001",
            "VEND001\n",
            &"X".repeat(MAX_LEN + 1),
        ] {
            assert_eq!(
                VendorId::parse(text),
                Err(InvalidVendorId(text.to_string())),
                "{text:?}"
            );
        }
        let message = VendorId::parse("a b").unwrap_err().to_string();
        assert!(message.starts_with("'a b' is not a vendor id"), "{message}");
    }

    #[test]
    fn serde_is_the_plain_string_and_checks_it() {
        let id = VendorId::parse("VEND001").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"VEND001\"");
        assert_eq!(serde_json::from_str::<VendorId>("\"VEND001\"").unwrap(), id);
        assert!(serde_json::from_str::<VendorId>("\"VEND 001\"").is_err());
    }
}

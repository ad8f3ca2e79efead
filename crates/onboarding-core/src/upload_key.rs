//! Where vendors put files: `uploads/<VENDOR_ID>/<file name>`, and where the
//! reports go: `errors/<VENDOR_ID>/<UPLOAD_ID>_errors.csv`.

use crate::errors::FileFailure;

pub const UPLOADS_PREFIX: &str = "uploads/";

/// An object key under `uploads/`, taken apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadKey {
    pub vendor_id: String,
    /// The part after the vendor folder; may contain further folders.
    pub file_name: String,
}

impl UploadKey {
    /// Parses a decoded object key.
    pub fn parse(key: &str) -> Result<UploadKey, FileFailure> {
        let bad = || FileFailure::BadKey {
            key: key.to_string(),
        };
        let rest = key.strip_prefix(UPLOADS_PREFIX).ok_or_else(bad)?;
        let (vendor_id, file_name) = rest.split_once('/').ok_or_else(bad)?;
        let vendor_ok = !vendor_id.is_empty()
            && vendor_id.len() <= 50
            && vendor_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !vendor_ok || file_name.is_empty() || file_name.ends_with('/') {
            return Err(bad());
        }
        Ok(UploadKey {
            vendor_id: vendor_id.to_string(),
            file_name: file_name.to_string(),
        })
    }
}

pub fn error_report_key(vendor_id: &str, upload_id: &str) -> String {
    format!("errors/{vendor_id}/{upload_id}_errors.csv")
}

pub fn fix_file_key(vendor_id: &str, upload_id: &str) -> String {
    format!("errors/{vendor_id}/{upload_id}_fix.csv")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_and_file_come_from_the_key() {
        let key = UploadKey::parse("uploads/VEND001/spring sale ü.csv").unwrap();
        assert_eq!(key.vendor_id, "VEND001");
        assert_eq!(key.file_name, "spring sale ü.csv");
        let nested = UploadKey::parse("uploads/VEND_2/2026/11/products.csv").unwrap();
        assert_eq!(nested.file_name, "2026/11/products.csv");
    }

    #[test]
    fn keys_outside_the_layout_are_bad_keys() {
        for key in [
            "uploads/products.csv",
            "uploads//products.csv",
            "uploads/VEND001/",
            "uploads/VEND 001/products.csv",
            "errors/VEND001/x.csv",
            "uploads/VEND001/folder/",
        ] {
            assert!(
                matches!(UploadKey::parse(key), Err(FileFailure::BadKey { .. })),
                "{key}"
            );
        }
    }

    #[test]
    fn report_keys_follow_the_layout() {
        assert_eq!(
            error_report_key("VEND001", "UPLOAD_1"),
            "errors/VEND001/UPLOAD_1_errors.csv"
        );
        assert_eq!(
            fix_file_key("VEND001", "UPLOAD_1"),
            "errors/VEND001/UPLOAD_1_fix.csv"
        );
    }
}

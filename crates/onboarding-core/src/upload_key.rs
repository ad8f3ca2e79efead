//! Where vendors put files: `uploads/<VENDOR_ID>/<file name>`, and where the
//! reports go: `errors/<VENDOR_ID>/<UPLOAD_ID>_errors.csv`.
//!
//! The same layout under `candidate/` is the candidate lane of a blue/green
//! deployment (docs/releases.md#the-candidate-lane-testing-new-versions-before-the-switch): the deploy script's smoke upload goes
//! there, and every stage of it runs on the versions about to go live.

use serde::{Deserialize, Serialize};

use crate::errors::FileFailure;
use crate::upload_id::UploadId;
use crate::vendor_id::VendorId;

pub const UPLOADS_PREFIX: &str = "uploads/";
pub const CANDIDATE_PREFIX: &str = "candidate/";

/// Which deployment an upload runs through: the versions serving vendors
/// (`live`), or the versions a deployment is testing before it promotes them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lane {
    #[default]
    Live,
    Candidate,
}

impl Lane {
    /// The lane of an object key: `candidate/uploads/...` is the candidate
    /// lane, anything else the live one.
    pub fn of_key(key: &str) -> Lane {
        if key.starts_with(CANDIDATE_PREFIX) {
            Lane::Candidate
        } else {
            Lane::Live
        }
    }

    pub fn is_live(&self) -> bool {
        *self == Lane::Live
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Lane::Live => "live",
            Lane::Candidate => "candidate",
        }
    }

    /// The key with the lane's prefix taken off: `uploads/...` for an upload
    /// of either lane.
    pub fn strip(key: &str) -> &str {
        key.strip_prefix(CANDIDATE_PREFIX).unwrap_or(key)
    }
}

/// An object key under `uploads/` (or `candidate/uploads/`), taken apart:
/// made once where a key comes in, and passed down as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadKey {
    pub lane: Lane,
    pub vendor_id: VendorId,
    /// The part after the vendor folder; may contain further folders.
    pub file_name: String,
}

impl UploadKey {
    /// Parses a decoded object key.
    pub fn parse(key: &str) -> Result<UploadKey, FileFailure> {
        let bad = || FileFailure::BadKey {
            key: key.to_string(),
        };
        let rest = Lane::strip(key)
            .strip_prefix(UPLOADS_PREFIX)
            .ok_or_else(bad)?;
        let (vendor_id, file_name) = rest.split_once('/').ok_or_else(bad)?;
        let vendor_id = VendorId::parse(vendor_id).map_err(|_| bad())?;
        if file_name.is_empty() || file_name.ends_with('/') {
            return Err(bad());
        }
        Ok(UploadKey {
            lane: Lane::of_key(key),
            vendor_id,
            file_name: file_name.to_string(),
        })
    }

    /// The folder a vendor uploads `file_name` into, in the live lane: the
    /// key [`UploadKey::parse`] takes apart.
    pub fn live_key(vendor_id: &VendorId, file_name: &str) -> String {
        format!("{UPLOADS_PREFIX}{vendor_id}/{file_name}")
    }
}

pub fn error_report_key(vendor_id: &VendorId, upload_id: &UploadId) -> String {
    format!("errors/{vendor_id}/{upload_id}_errors.csv")
}

pub fn fix_file_key(vendor_id: &VendorId, upload_id: &UploadId) -> String {
    format!("errors/{vendor_id}/{upload_id}_fix.csv")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_and_file_come_from_the_key() {
        let key = UploadKey::parse("uploads/VEND001/spring sale ü.csv").unwrap();
        assert_eq!(key.vendor_id.as_str(), "VEND001");
        assert_eq!(key.file_name, "spring sale ü.csv");
        assert_eq!(key.lane, Lane::Live);
        let nested = UploadKey::parse("uploads/VEND_2/2026/11/products.csv").unwrap();
        assert_eq!(nested.file_name, "2026/11/products.csv");
    }

    #[test]
    fn the_candidate_lane_is_the_same_layout_under_candidate() {
        let key = UploadKey::parse("candidate/uploads/VEND001/smoke-1.csv").unwrap();
        assert_eq!(key.lane, Lane::Candidate);
        assert_eq!(key.vendor_id.as_str(), "VEND001");
        assert_eq!(key.file_name, "smoke-1.csv");
        assert_eq!(Lane::of_key("uploads/VEND001/candidate/x.csv"), Lane::Live);
        assert_eq!(Lane::strip("candidate/uploads/V/x.csv"), "uploads/V/x.csv");
        assert_eq!(Lane::strip("uploads/V/x.csv"), "uploads/V/x.csv");
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
            // The candidate lane is the same layout under candidate/, once.
            "candidate/VEND001/x.csv",
            "candidate/candidate/uploads/VEND001/x.csv",
            "live/uploads/VEND001/x.csv",
        ] {
            assert!(
                matches!(UploadKey::parse(key), Err(FileFailure::BadKey { .. })),
                "{key}"
            );
        }
    }

    #[test]
    fn report_keys_follow_the_layout() {
        let vendor = VendorId::parse("VEND001").unwrap();
        let upload = UploadId::parse("UPLOAD_20241221_103045_0A1B2C3D4E5F").unwrap();
        assert_eq!(
            error_report_key(&vendor, &upload),
            "errors/VEND001/UPLOAD_20241221_103045_0A1B2C3D4E5F_errors.csv"
        );
        assert_eq!(
            fix_file_key(&vendor, &upload),
            "errors/VEND001/UPLOAD_20241221_103045_0A1B2C3D4E5F_fix.csv"
        );
        let key = UploadKey::live_key(&vendor, "a b.csv");
        assert_eq!(UploadKey::parse(&key).unwrap().file_name, "a b.csv");
    }
}

//! The statuses the database keeps: an upload's (`upload_history.status`)
//! and a vendor's (`vendors.status`). Each word is written here once; the
//! tables' CHECK constraints list the same words.

use serde::{Deserialize, Serialize};

/// Where an upload stands. `Processing` until every row has an outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "String")]
pub enum UploadStatus {
    Processing,
    Completed,
    Partial,
    Failed,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("'{0}' is not an upload status (processing, completed, partial or failed)")]
pub struct UnknownUploadStatus(pub String);

impl UploadStatus {
    pub const ALL: [UploadStatus; 4] = [
        UploadStatus::Processing,
        UploadStatus::Completed,
        UploadStatus::Partial,
        UploadStatus::Failed,
    ];

    /// The final status of an upload whose rows are all decided:
    /// all valid is `completed`, none valid is `failed`, otherwise `partial`.
    pub fn of_counts(valid: u32, invalid: u32) -> UploadStatus {
        match (valid, invalid) {
            (0, _) => UploadStatus::Failed,
            (_, 0) => UploadStatus::Completed,
            _ => UploadStatus::Partial,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UploadStatus::Processing => "processing",
            UploadStatus::Completed => "completed",
            UploadStatus::Partial => "partial",
            UploadStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Result<UploadStatus, UnknownUploadStatus> {
        UploadStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
            .ok_or_else(|| UnknownUploadStatus(text.to_string()))
    }
}

/// Whether a vendor may upload: only an `Active` one. A vendor who signs up
/// in the portal waits in `PendingApproval` until an operator approves it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "String")]
pub enum VendorStatus {
    PendingApproval,
    Active,
    Suspended,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("'{0}' is not a vendor status (pending_approval, active or suspended)")]
pub struct UnknownVendorStatus(pub String);

impl VendorStatus {
    pub const ALL: [VendorStatus; 3] = [
        VendorStatus::PendingApproval,
        VendorStatus::Active,
        VendorStatus::Suspended,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VendorStatus::PendingApproval => "pending_approval",
            VendorStatus::Active => "active",
            VendorStatus::Suspended => "suspended",
        }
    }

    /// The status as a sentence says it ("pending approval").
    pub fn in_words(self) -> String {
        self.as_str().replace('_', " ")
    }

    pub fn is_active(self) -> bool {
        self == VendorStatus::Active
    }

    pub fn parse(text: &str) -> Result<VendorStatus, UnknownVendorStatus> {
        VendorStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
            .ok_or_else(|| UnknownVendorStatus(text.to_string()))
    }
}

crate::text_forms::text_forms!(UploadStatus, UnknownUploadStatus);
crate::text_forms::text_forms!(VendorStatus, UnknownVendorStatus);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_status_follows_the_counts() {
        assert_eq!(UploadStatus::of_counts(0, 5), UploadStatus::Failed);
        assert_eq!(UploadStatus::of_counts(5, 0), UploadStatus::Completed);
        assert_eq!(UploadStatus::of_counts(5, 5), UploadStatus::Partial);
    }

    #[test]
    fn statuses_round_trip_through_their_words() {
        for status in UploadStatus::ALL {
            assert_eq!(status.as_str().parse::<UploadStatus>(), Ok(status));
            assert_eq!(
                serde_json::to_string(&status).unwrap(),
                format!("\"{status}\"")
            );
        }
        for status in VendorStatus::ALL {
            assert_eq!(status.as_str().parse::<VendorStatus>(), Ok(status));
            assert_eq!(
                serde_json::to_string(&status).unwrap(),
                format!("\"{status}\"")
            );
        }
        assert_eq!(VendorStatus::PendingApproval.in_words(), "pending approval");
    }

    #[test]
    fn other_words_are_refused_and_named() {
        assert_eq!(
            "done".parse::<UploadStatus>(),
            Err(UnknownUploadStatus("done".into()))
        );
        let message = "Active".parse::<VendorStatus>().unwrap_err().to_string();
        assert!(
            message.starts_with("'Active' is not a vendor status"),
            "{message}"
        );
    }
}

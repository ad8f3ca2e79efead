//! The words the database keeps: an upload's status (`upload_history.status`)
//! and how its email step ended (`upload_history.notification`), a vendor's
//! status (`vendors.status`) and a portal submission's kind
//! (`portal_submissions.kind`). Each word is written here once; the tables'
//! CHECK constraints list the same words, and queries bind them as
//! parameters.

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
}

/// How an upload's email step ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "String")]
pub enum NotificationOutcome {
    Sent,
    /// A portal submission whose vendor did not ask for the email.
    NotRequested,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("'{0}' is not a notification outcome (sent or not_requested)")]
pub struct UnknownNotificationOutcome(pub String);

impl NotificationOutcome {
    pub const ALL: [NotificationOutcome; 2] =
        [NotificationOutcome::Sent, NotificationOutcome::NotRequested];

    pub fn as_str(self) -> &'static str {
        match self {
            NotificationOutcome::Sent => "sent",
            NotificationOutcome::NotRequested => "not_requested",
        }
    }
}

/// What a portal submission is: an upload the API wrote for the vendor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "String")]
pub enum SubmissionKind {
    /// One product from the form.
    Form,
    /// Failed rows of an earlier upload, fixed in the browser.
    Fix,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("'{0}' is not a submission kind (form or fix)")]
pub struct UnknownSubmissionKind(pub String);

impl SubmissionKind {
    pub const ALL: [SubmissionKind; 2] = [SubmissionKind::Form, SubmissionKind::Fix];

    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionKind::Form => "form",
            SubmissionKind::Fix => "fix",
        }
    }
}

crate::text_forms::text_forms!(words UploadStatus, UnknownUploadStatus);
crate::text_forms::text_forms!(words VendorStatus, UnknownVendorStatus);
crate::text_forms::text_forms!(words NotificationOutcome, UnknownNotificationOutcome);
crate::text_forms::text_forms!(words SubmissionKind, UnknownSubmissionKind);

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

    /// The JSON word is the database's word, so the API shows what the table holds.
    fn round_trips<T>(values: &[T])
    where
        T: Copy + std::fmt::Debug + PartialEq + std::fmt::Display + std::str::FromStr + Serialize,
        T::Err: std::fmt::Debug,
    {
        for value in values {
            assert_eq!(value.to_string().parse::<T>().unwrap(), *value);
            assert_eq!(
                serde_json::to_string(value).unwrap(),
                format!("\"{value}\"")
            );
        }
    }

    #[test]
    fn outcomes_and_kinds_round_trip_through_their_words() {
        round_trips(&[NotificationOutcome::Sent, NotificationOutcome::NotRequested]);
        round_trips(&[SubmissionKind::Form, SubmissionKind::Fix]);
        assert_eq!(NotificationOutcome::NotRequested.as_str(), "not_requested");
        assert_eq!(
            serde_json::from_str::<NotificationOutcome>("\"skipped\"")
                .unwrap_err()
                .to_string(),
            "'skipped' is not a notification outcome (sent or not_requested)"
        );
        assert_eq!(
            "Fix".parse::<SubmissionKind>(),
            Err(UnknownSubmissionKind("Fix".into()))
        );
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

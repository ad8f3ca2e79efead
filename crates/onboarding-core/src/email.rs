//! The text of the one email a vendor gets per upload.

use std::fmt::{self, Write};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::errors::FileFailure;

/// Where an upload stands. `Processing` until every row has an outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadStatus {
    Processing,
    Completed,
    Partial,
    Failed,
}

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

impl fmt::Display for UploadStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown upload status '{0}'")]
pub struct UnknownStatus(pub String);

impl FromStr for UploadStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        UploadStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_string()))
    }
}

/// Whole-number percentages of valid and invalid products.
///
/// The rule: the valid share is rounded half up to a whole percent, but a
/// mixed upload never shows 0% or 100% (9,999 of 10,000 valid is 99%, not
/// 100%); the invalid share is 100 minus the valid share, so the two always
/// add up to 100. An upload with no products is 0% and 0%.
pub fn percentages(valid: u32, total: u32) -> (u32, u32) {
    if total == 0 {
        return (0, 0);
    }
    let valid = u64::from(valid.min(total));
    let total = u64::from(total);
    let rounded = ((valid * 200 + total) / (total * 2)) as u32;
    let valid_percent = match valid {
        0 => 0,
        v if v == total => 100,
        _ => rounded.clamp(1, 99),
    };
    (valid_percent, 100 - valid_percent)
}

/// The facts of a finished upload that the email reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadSummary {
    pub upload_id: String,
    pub file_name: String,
    pub total_records: u32,
    pub valid_records: u32,
    pub error_records: u32,
    pub status: UploadStatus,
    pub warnings: Vec<String>,
}

/// Links to the error report and fix file, and how long they work.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportLinks {
    pub error_report: String,
    pub fix_file: Option<String>,
    /// For example "Link expires in 7 days"; `None` for links that do not expire.
    pub expiry: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    pub subject: String,
    pub body: String,
}

/// The email for an upload whose rows were all judged.
pub fn completion_email(summary: &UploadSummary, links: Option<&ReportLinks>) -> Email {
    let (valid_percent, invalid_percent) =
        percentages(summary.valid_records, summary.total_records);
    let subject = format!(
        "Product Upload Complete - {} ({valid_percent}% Success)",
        one_line(&summary.file_name)
    );
    let mut body = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(body, "Upload ID: {}", summary.upload_id);
    let _ = writeln!(body, "File Name: {}", one_line(&summary.file_name));
    let _ = writeln!(body, "Total Products: {}", summary.total_records);
    let _ = writeln!(
        body,
        "Valid Products: {} ({valid_percent}%)",
        summary.valid_records
    );
    let _ = writeln!(
        body,
        "Invalid Products: {} ({invalid_percent}%)",
        summary.error_records
    );
    let _ = writeln!(body);
    let _ = writeln!(body, "Status: {}", summary.status.as_str().to_uppercase());
    if summary.error_records > 0 {
        let _ = writeln!(body);
        match links {
            Some(links) => {
                let _ = writeln!(body, "Download Error Report: {}", links.error_report);
                if let Some(fix_file) = &links.fix_file {
                    let _ = writeln!(body, "Download Fix File: {fix_file}");
                }
                if let Some(expiry) = &links.expiry {
                    let _ = writeln!(body, "({expiry})");
                }
                let _ = writeln!(body);
                let _ = writeln!(
                    body,
                    "The fix file holds only the rows that failed, with an 'errors' column saying why. Correct them, delete the 'errors' column if you like, and upload the file again."
                );
            }
            None => {
                let _ = writeln!(
                    body,
                    "The error report is being prepared; it will be listed with this upload."
                );
            }
        }
    }
    append_warnings(&mut body, &summary.warnings);
    Email { subject, body }
}

/// The email for an upload that failed as a whole, before rows were judged.
pub fn failure_email(upload_id: &str, file_name: &str, failure: &FileFailure) -> Email {
    let subject = format!("Product Upload Failed - {}", one_line(file_name));
    let mut body = String::new();
    let _ = writeln!(body, "Upload ID: {upload_id}");
    let _ = writeln!(body, "File Name: {}", one_line(file_name));
    let _ = writeln!(body);
    let _ = writeln!(body, "Status: FAILED");
    let _ = writeln!(body);
    let _ = writeln!(body, "Reason: {failure}");
    let _ = writeln!(body);
    let _ = writeln!(
        body,
        "No products from this file were added to the catalog. Fix the file and upload it again."
    );
    Email { subject, body }
}

fn append_warnings(body: &mut String, warnings: &[String]) {
    if warnings.is_empty() {
        return;
    }
    let _ = writeln!(body);
    let _ = writeln!(body, "Notes:");
    for warning in warnings {
        let _ = writeln!(body, "- {warning}");
    }
}

/// Keeps a header line on one line, whatever the file name holds.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(valid: u32, invalid: u32) -> UploadSummary {
        UploadSummary {
            upload_id: "UPLOAD_20241221_103045_0A1B2C3D4E5F".into(),
            file_name: "VEND001_products.csv".into(),
            total_records: valid + invalid,
            valid_records: valid,
            error_records: invalid,
            status: UploadStatus::of_counts(valid, invalid),
            warnings: vec![],
        }
    }

    #[test]
    fn the_requirements_example() {
        let links = ReportLinks {
            error_report: "https://example.com/report".into(),
            fix_file: None,
            expiry: Some("Link expires in 7 days".into()),
        };
        let email = completion_email(&summary(950, 50), Some(&links));
        assert_eq!(
            email.subject,
            "Product Upload Complete - VEND001_products.csv (95% Success)"
        );
        assert!(
            email.body.starts_with(
                "Upload ID: UPLOAD_20241221_103045_0A1B2C3D4E5F\n\
             File Name: VEND001_products.csv\n\
             Total Products: 1000\n\
             Valid Products: 950 (95%)\n\
             Invalid Products: 50 (5%)\n\
             \n\
             Status: PARTIAL\n\
             \n\
             Download Error Report: https://example.com/report\n\
             (Link expires in 7 days)\n"
            ),
            "{}",
            email.body
        );
    }

    #[test]
    fn a_clean_upload_has_no_link() {
        let email = completion_email(&summary(100, 0), None);
        assert_eq!(
            email.subject,
            "Product Upload Complete - VEND001_products.csv (100% Success)"
        );
        assert!(email.body.contains("Status: COMPLETED"));
        assert!(!email.body.contains("Download"));
    }

    #[test]
    fn percentages_never_divide_by_zero_and_add_up() {
        assert_eq!(percentages(0, 0), (0, 0));
        assert_eq!(percentages(0, 10), (0, 100));
        assert_eq!(percentages(10, 10), (100, 0));
        assert_eq!(percentages(9_999, 10_000), (99, 1));
        assert_eq!(percentages(1, 10_000), (1, 99));
        assert_eq!(percentages(1, 2), (50, 50));
        assert_eq!(percentages(1, 8), (13, 87)); // 12.5 rounds half up
        assert_eq!(percentages(2, 3), (67, 33));
        for total in 1..200 {
            for valid in 0..=total {
                let (v, i) = percentages(valid, total);
                assert_eq!(v + i, 100);
            }
        }
    }

    #[test]
    fn statuses() {
        assert_eq!(UploadStatus::of_counts(0, 5), UploadStatus::Failed);
        assert_eq!(UploadStatus::of_counts(5, 0), UploadStatus::Completed);
        assert_eq!(UploadStatus::of_counts(5, 5), UploadStatus::Partial);
        for s in UploadStatus::ALL {
            assert_eq!(s.as_str().parse::<UploadStatus>(), Ok(s));
        }
    }

    #[test]
    fn file_failures_get_their_own_email() {
        let email = failure_email("UPLOAD_X", "empty.csv", &FileFailure::Empty);
        assert_eq!(email.subject, "Product Upload Failed - empty.csv");
        assert!(
            email
                .body
                .contains("Status: FAILED\n\nReason: The file is empty.\n")
        );
    }

    #[test]
    fn warnings_are_listed() {
        let mut s = summary(1, 0);
        s.warnings = vec!["Ignored unknown column(s): 'x'.".into()];
        let email = completion_email(&s, None);
        assert!(
            email
                .body
                .ends_with("Notes:\n- Ignored unknown column(s): 'x'.\n")
        );
    }

    #[test]
    fn file_names_cannot_break_the_subject() {
        let mut s = summary(1, 0);
        s.file_name = "a\r\nBcc: x.csv".into();
        assert!(!completion_email(&s, None).subject.contains('\n'));
    }
}

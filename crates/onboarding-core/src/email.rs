//! The text of the one email a vendor gets per upload.

use std::fmt::Write;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::errors::FileFailure;
use crate::status::UploadStatus;
use crate::upload_id::UploadId;

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
    pub upload_id: UploadId,
    pub file_name: String,
    pub total_records: u32,
    pub valid_records: u32,
    pub error_records: u32,
    pub status: UploadStatus,
    pub warnings: Vec<String>,
    /// What an upsert did to the catalog; `None` for a create, whose valid
    /// rows are all new products.
    #[serde(default)]
    pub changes: Option<CatalogChanges>,
}

/// An upsert's valid rows by what they did: `created + updated + unchanged`
/// is the upload's valid count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogChanges {
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
}

/// What the requirements promise for the report link, "(Link expires in 7
/// days)", and the longest a SigV4 presigned URL can live (604800 seconds).
pub const LINK_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);

/// The most characters of one piece of vendor text (a file name, a warning, a
/// failure reason) an email line carries; longer text is cut, ending in `...`.
pub const MAX_VENDOR_TEXT_CHARS: usize = 500;

/// SNS subjects must be "less than 100 characters long", one line, without
/// control characters; email subjects must be ASCII.
pub const MAX_SUBJECT_CHARS: usize = 99;

/// The links an email carries to the error report and the fix file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportLinks {
    /// The requirements' `[presigned_url]` of the error report: a presigned
    /// GET, or with the portal deployed a seven-day link through it that
    /// hands out a fresh presigned GET on each click ([`ReportDocument`]).
    pub error_report: String,
    /// The fix file's link, made like the report's.
    pub fix_file: Option<String>,
    /// How long the links work from now: [`LINK_LIFETIME`], or less when the
    /// credentials that presigned them expire sooner. The email states this,
    /// so the statement is true of the links it is about.
    pub lifetime: Duration,
    /// The vendor portal's stable links, when the portal is deployed.
    pub portal: Option<PortalLinks>,
}

/// The vendor portal's addresses of an upload's files. They need the vendor's
/// portal login and work for as long as the report is kept (S3 lifecycle of
/// `errors/`, at least 90 days), handing out a fresh presigned GET per click.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalLinks {
    pub error_report: String,
    pub fix_file: String,
}

/// The two files an email links to, as the portal's seven-day links name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportDocument {
    ErrorReport,
    FixFile,
}

impl ReportDocument {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportDocument::ErrorReport => "error_report",
            ReportDocument::FixFile => "fix_file",
        }
    }
}

impl std::str::FromStr for ReportDocument {
    type Err = String;

    fn from_str(text: &str) -> Result<ReportDocument, String> {
        match text {
            "error_report" => Ok(ReportDocument::ErrorReport),
            "fix_file" => Ok(ReportDocument::FixFile),
            other => Err(format!("unknown report document {other:?}")),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    pub subject: String,
    pub body: String,
}

/// The line under a presigned link: `(Link expires in 7 days)` for
/// [`LINK_LIFETIME`]. A shorter lifetime is rounded down to whole days,
/// hours or minutes, so the email never promises more than the link gives.
pub fn link_expiry_line(lifetime: Duration) -> String {
    let seconds = lifetime.as_secs();
    let (count, unit) = match seconds {
        86_400.. => (seconds / 86_400, "day"),
        3_600.. => (seconds / 3_600, "hour"),
        60.. => (seconds / 60, "minute"),
        _ => return "(Link expires in less than a minute)".to_string(),
    };
    let plural = if count == 1 { "" } else { "s" };
    format!("(Link expires in {count} {unit}{plural})")
}

/// The email for an upload whose rows were all judged. Its first lines are
/// the requirements' format (section 3.3) line for line; what the product
/// adds (the fix file, the portal, notes) comes after them.
pub fn completion_email(summary: &UploadSummary, links: Option<&ReportLinks>) -> Email {
    let (valid_percent, invalid_percent) =
        percentages(summary.valid_records, summary.total_records);
    let subject = subject(
        "Product Upload Complete - ",
        &summary.file_name,
        &format!(" ({valid_percent}% Success)"),
    );
    let mut body = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(body, "Upload ID: {}", summary.upload_id);
    let _ = writeln!(body, "File Name: {}", vendor_text(&summary.file_name));
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
                let expiry = link_expiry_line(links.lifetime);
                let _ = writeln!(body, "Download Error Report: {}", link(&links.error_report));
                let _ = writeln!(body, "{expiry}");
                if let Some(fix_file) = &links.fix_file {
                    let _ = writeln!(body);
                    let _ = writeln!(body, "Download Fix File: {}", link(fix_file));
                    let _ = writeln!(body, "{expiry}");
                    let _ = writeln!(
                        body,
                        "The fix file holds only the rows that failed, with an 'errors' column saying why. Correct them, delete the 'errors' column if you like, and upload the file again."
                    );
                }
                if let Some(portal) = &links.portal {
                    let _ = writeln!(body);
                    let _ = writeln!(
                        body,
                        "Both files also stay in the vendor portal for as long as the report is kept (at least 90 days); these links need your portal login:"
                    );
                    let _ = writeln!(body, "Error report: {}", link(&portal.error_report));
                    let _ = writeln!(body, "Fix file: {}", link(&portal.fix_file));
                }
            }
            None => {
                let _ = writeln!(
                    body,
                    "The error report is being prepared; it will be listed with this upload."
                );
            }
        }
    }
    // After the requirements' lines, never among them (the
    // report link and its expiry line are the requirements' too).
    if let Some(changes) = &summary.changes {
        let _ = writeln!(body);
        let _ = writeln!(body, "Created: {}", changes.created);
        let _ = writeln!(body, "Updated: {}", changes.updated);
        let _ = writeln!(body, "Unchanged: {}", changes.unchanged);
    }
    append_warnings(&mut body, &summary.warnings);
    Email { subject, body }
}

/// The email for an upload that failed as a whole, before rows were judged.
pub fn failure_email(upload_id: &UploadId, file_name: &str, failure: &FileFailure) -> Email {
    let subject = subject("Product Upload Failed - ", file_name, "");
    let mut body = String::new();
    let _ = writeln!(body, "Upload ID: {upload_id}");
    let _ = writeln!(body, "File Name: {}", vendor_text(file_name));
    let _ = writeln!(body);
    let _ = writeln!(body, "Status: FAILED");
    let _ = writeln!(body);
    let _ = writeln!(body, "Reason: {}", vendor_text(&failure.to_string()));
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
        let _ = writeln!(body, "- {}", vendor_text(warning));
    }
}

/// Whether a character could break a line, or reorder what is shown around
/// it, in a mail client: every control character (C0 including tab, CR and
/// LF, DEL, and C1 including NEL U+0085), the Unicode line and paragraph
/// separators, and the bidirectional formatting characters.
fn breaks_a_line(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// The one root through which vendor text (file names, header cells in
/// warnings, failure reasons, anything the vendor controls) enters an email:
/// every character that could break the line or reorder it becomes a space,
/// so vendor text can never start a line of its own (a fake "Download Error
/// Report:" line) nor add a header; and it is cut to `max_chars` characters.
pub fn email_line(text: &str, max_chars: usize) -> String {
    let one_line = text.chars().map(|c| if breaks_a_line(c) { ' ' } else { c });
    if text.chars().count() <= max_chars {
        return one_line.collect();
    }
    let mut cut: String = one_line.take(max_chars.saturating_sub(3)).collect();
    cut.push_str("...");
    cut
}

fn vendor_text(text: &str) -> String {
    email_line(text, MAX_VENDOR_TEXT_CHARS)
}

/// Links are ours (presigned URLs, the portal's base URL from configuration)
/// and are never cut, but go through the same root all the same.
fn link(url: &str) -> String {
    email_line(url, usize::MAX)
}

/// A subject SNS accepts: printable ASCII only (other characters become `?`),
/// at most [`MAX_SUBJECT_CHARS`]. The file name is shortened in the middle,
/// keeping its start and its extension, so the prefix and suffix (the success
/// rate) always survive.
fn subject(prefix: &str, file_name: &str, suffix: &str) -> String {
    let ascii: Vec<char> = email_line(file_name, usize::MAX)
        .chars()
        .map(|c| {
            if c == ' ' || c.is_ascii_graphic() {
                c
            } else {
                '?'
            }
        })
        .collect();
    let budget = MAX_SUBJECT_CHARS - prefix.len() - suffix.len();
    let name: String = if ascii.len() <= budget {
        ascii.into_iter().collect()
    } else {
        const TAIL: usize = 12;
        let head = budget - TAIL - 3;
        let mut name: String = ascii[..head].iter().collect();
        name.push_str("...");
        name.extend(&ascii[ascii.len() - TAIL..]);
        name
    };
    format!("{prefix}{name}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload_id() -> UploadId {
        UploadId::parse("UPLOAD_20241221_103045_0A1B2C3D4E5F").unwrap()
    }

    fn summary(valid: u32, invalid: u32) -> UploadSummary {
        UploadSummary {
            upload_id: upload_id(),
            file_name: "VEND001_products.csv".into(),
            total_records: valid + invalid,
            valid_records: valid,
            error_records: invalid,
            status: UploadStatus::of_counts(valid, invalid),
            warnings: vec![],
            changes: None,
        }
    }

    /// The requirements' example (section 3.3), line for line; only the
    /// link is ours.
    #[test]
    fn the_requirements_example() {
        let links = ReportLinks {
            error_report: "https://example.com/report".into(),
            fix_file: None,
            lifetime: LINK_LIFETIME,
            portal: None,
        };
        let email = completion_email(&summary(950, 50), Some(&links));
        assert_eq!(
            email.subject,
            "Product Upload Complete - VEND001_products.csv (95% Success)"
        );
        assert_eq!(
            email.body,
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
        );
    }

    /// An upsert's counts follow the requirements' lines, which stay as they are.
    #[test]
    fn an_upsert_adds_its_counts_after_the_requirements_lines() {
        let links = ReportLinks {
            error_report: "https://example.com/report".into(),
            fix_file: None,
            lifetime: LINK_LIFETIME,
            portal: None,
        };
        let mut upsert = summary(100, 3);
        upsert.changes = Some(CatalogChanges {
            created: 2,
            updated: 10,
            unchanged: 88,
        });
        let plain = completion_email(&summary(100, 3), Some(&links)).body;
        let email = completion_email(&upsert, Some(&links));
        assert!(email.body.starts_with(&plain), "{}", email.body);
        assert_eq!(
            &email.body[plain.len()..],
            "\nCreated: 2\nUpdated: 10\nUnchanged: 88\n"
        );
    }

    #[test]
    fn the_fix_file_and_the_portal_come_after_the_requirements_lines() {
        let links = ReportLinks {
            error_report: "https://s3/report?X-Amz-Expires=604800".into(),
            fix_file: Some("https://s3/fix?X-Amz-Expires=604800".into()),
            lifetime: LINK_LIFETIME,
            portal: Some(PortalLinks {
                error_report: "https://portal/api/uploads/U/report".into(),
                fix_file: "https://portal/api/uploads/U/fix-file".into(),
            }),
        };
        let mut s = summary(950, 50);
        s.warnings = vec!["Ignored unknown column(s): 'x'.".into()];
        let email = completion_email(&s, Some(&links));
        let lines: Vec<&str> = email.body.lines().collect();
        assert_eq!(
            lines[7..],
            [
                "",
                "Download Error Report: https://s3/report?X-Amz-Expires=604800",
                "(Link expires in 7 days)",
                "",
                "Download Fix File: https://s3/fix?X-Amz-Expires=604800",
                "(Link expires in 7 days)",
                "The fix file holds only the rows that failed, with an 'errors' column saying why. Correct them, delete the 'errors' column if you like, and upload the file again.",
                "",
                "Both files also stay in the vendor portal for as long as the report is kept (at least 90 days); these links need your portal login:",
                "Error report: https://portal/api/uploads/U/report",
                "Fix file: https://portal/api/uploads/U/fix-file",
                "",
                "Notes:",
                "- Ignored unknown column(s): 'x'.",
            ]
        );
    }

    #[test]
    fn the_expiry_line_never_promises_more_than_the_link_gives() {
        let line = |secs| link_expiry_line(Duration::from_secs(secs));
        assert_eq!(line(604_800), "(Link expires in 7 days)");
        assert_eq!(line(604_799), "(Link expires in 6 days)");
        assert_eq!(line(86_400), "(Link expires in 1 day)");
        assert_eq!(line(86_399), "(Link expires in 23 hours)");
        assert_eq!(line(3_600), "(Link expires in 1 hour)");
        assert_eq!(line(3_599), "(Link expires in 59 minutes)");
        assert_eq!(line(60), "(Link expires in 1 minute)");
        assert_eq!(line(59), "(Link expires in less than a minute)");
        let links = ReportLinks {
            error_report: "https://s3/r".into(),
            fix_file: None,
            lifetime: Duration::from_secs(11 * 3600 + 59 * 60),
            portal: None,
        };
        let email = completion_email(&summary(1, 1), Some(&links));
        assert!(
            email
                .body
                .ends_with("Download Error Report: https://s3/r\n(Link expires in 11 hours)\n"),
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
    fn file_failures_get_their_own_email() {
        let email = failure_email(&upload_id(), "empty.csv", &FileFailure::Empty);
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
        let subject = completion_email(&s, None).subject;
        assert_eq!(
            subject,
            "Product Upload Complete - a  Bcc: x.csv (100% Success)"
        );
    }

    #[test]
    fn subjects_are_printable_ascii_under_100_characters_and_keep_the_rate() {
        let mut s = summary(1, 1);
        s.file_name = "Produits_été_\u{2028}日本.csv".into();
        assert_eq!(
            completion_email(&s, None).subject,
            "Product Upload Complete - Produits_?t?_ ??.csv (50% Success)"
        );
        s.file_name = format!("VEND001_{}_final.csv", "x".repeat(200));
        let subject = completion_email(&s, None).subject;
        assert_eq!(subject.chars().count(), MAX_SUBJECT_CHARS);
        assert!(
            subject.ends_with("...xx_final.csv (50% Success)"),
            "{subject}"
        );
        assert!(subject.starts_with("Product Upload Complete - VEND001_xx"));
        let failed = failure_email(&upload_id(), &"y".repeat(300), &FileFailure::Empty).subject;
        assert_eq!(failed.chars().count(), MAX_SUBJECT_CHARS);
    }

    #[test]
    fn vendor_text_cannot_add_lines_to_the_body() {
        let fake = "x\nDownload Error Report: https://evil.example\r\n\u{85}\u{2028}\u{2029}\u{b}\u{c}\t\u{7f}\u{202e}y";
        let mut s = summary(1, 1);
        s.file_name = fake.into();
        s.warnings = vec![format!("Ignored unknown column(s): '{fake}'.")];
        let links = ReportLinks {
            error_report: "https://s3/r".into(),
            fix_file: None,
            lifetime: LINK_LIFETIME,
            portal: None,
        };
        let email = completion_email(&s, Some(&links));
        let lines: Vec<&str> = email.body.lines().collect();
        assert_eq!(lines.len(), 13, "{}", email.body);
        assert_eq!(
            lines[1],
            format!(
                "File Name: x Download Error Report: https://evil.example{}y",
                " ".repeat(10)
            )
        );
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.starts_with("Download Error Report:"))
                .count(),
            1
        );
        let failure = FileFailure::BadKey { key: fake.into() };
        let email = failure_email(&upload_id(), fake, &failure);
        assert_eq!(email.body.lines().count(), 8, "{}", email.body);
        assert!(
            !email
                .body
                .contains(['\r', '\u{85}', '\u{2028}', '\u{2029}', '\u{202e}'])
        );
    }

    #[test]
    fn vendor_text_is_cut_to_its_limit() {
        assert_eq!(email_line("abcdef", 6), "abcdef");
        assert_eq!(email_line("abcdefg", 6), "abc...");
        let mut s = summary(1, 0);
        s.warnings = vec!["w".repeat(10_000)];
        let email = completion_email(&s, None);
        let last = email.body.lines().last().unwrap();
        assert_eq!(last.chars().count(), 2 + MAX_VENDOR_TEXT_CHARS);
    }
}

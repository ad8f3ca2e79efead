//! The product onboarding domain: reading vendor CSV and JSON files, the validation
//! rules, the error report and fix file, and the email text.
//!
//! This crate has no AWS and no database dependencies. The catalog rules
//! (duplicate SKUs and vendor product ids against existing products) are the
//! [`Catalog`] trait, which the pipeline implements with PostgreSQL.

pub mod columns;
pub mod email;
pub mod errors;
pub mod format;
pub mod generate;
pub mod json_reader;
pub mod mode;
pub mod pipeline;
pub mod reader;
pub mod report;
pub mod rules;
pub mod status;
mod text_forms;
pub mod upload_id;
pub mod upload_key;
pub mod vendor_id;

pub use columns::{Column, Header};
pub use email::{
    CatalogChanges, Email, LINK_LIFETIME, PortalLinks, ReportDocument, ReportLinks, UploadSummary,
    completion_email, email_line, failure_email, link_expiry_line, percentages,
};
pub use errors::{ErrorType, FileFailure, RowError};
pub use format::{FileFormat, ProductReader};
pub use json_reader::{JsonLayout, ProductJsonReader};
pub use mode::{RowChange, UnknownUploadMode, UploadMode};
pub use pipeline::{PipelineMessage, QueuedRowError, StagedRow, StagingStatus};
pub use reader::{ProductCsvReader, ReadLimits, SourceRow};
pub use report::{
    FixRow, ReportLine, neutralise_cell, parse_error_report, restore_cell, write_error_report,
    write_fix_file, write_product_file, write_table,
};
pub use rules::{
    Catalog, CatalogMatches, CategoryWhitelist, CheckedRow, EarlierRows, FileChecker,
    FileDuplicates, Product, RowIdentity, RowOutcome, apply_catalog_matches,
    apply_catalog_matches_in, check_against_catalog, check_against_catalog_in, check_row,
};
pub use status::{
    NotificationOutcome, SubmissionKind, UnknownNotificationOutcome, UnknownSubmissionKind,
    UnknownUploadStatus, UnknownVendorStatus, UploadStatus, VendorStatus,
};
pub use upload_id::{InvalidUploadId, UploadId};
pub use upload_key::{Lane, UploadKey, error_report_key, fix_file_key};
pub use vendor_id::{InvalidVendorId, VendorId};

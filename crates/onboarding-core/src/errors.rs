//! What can be wrong with a row, and with a whole file.

use serde::{Deserialize, Serialize};

use crate::status::VendorStatus;
use crate::vendor_id::VendorId;

/// A stable identifier for a kind of row error. The declaration order is the
/// order in which a row's errors are reported ("by row, then rule").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorType {
    MalformedRow,
    MissingRequiredField,
    InvalidPrice,
    InvalidStockQuantity,
    InvalidCategory,
    DuplicateSku,
    DuplicateVendorProductId,
    FieldTooLong,
    InvalidCompareAtPrice,
    InvalidWeight,
    InvalidDimensions,
    InvalidImageUrl,
}

impl ErrorType {
    pub const ALL: [ErrorType; 12] = [
        ErrorType::MalformedRow,
        ErrorType::MissingRequiredField,
        ErrorType::InvalidPrice,
        ErrorType::InvalidStockQuantity,
        ErrorType::InvalidCategory,
        ErrorType::DuplicateSku,
        ErrorType::DuplicateVendorProductId,
        ErrorType::FieldTooLong,
        ErrorType::InvalidCompareAtPrice,
        ErrorType::InvalidWeight,
        ErrorType::InvalidDimensions,
        ErrorType::InvalidImageUrl,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::MalformedRow => "MALFORMED_ROW",
            ErrorType::MissingRequiredField => "MISSING_REQUIRED_FIELD",
            ErrorType::InvalidPrice => "INVALID_PRICE",
            ErrorType::InvalidStockQuantity => "INVALID_STOCK_QUANTITY",
            ErrorType::InvalidCategory => "INVALID_CATEGORY",
            ErrorType::DuplicateSku => "DUPLICATE_SKU",
            ErrorType::DuplicateVendorProductId => "DUPLICATE_VENDOR_PRODUCT_ID",
            ErrorType::FieldTooLong => "FIELD_TOO_LONG",
            ErrorType::InvalidCompareAtPrice => "INVALID_COMPARE_AT_PRICE",
            ErrorType::InvalidWeight => "INVALID_WEIGHT",
            ErrorType::InvalidDimensions => "INVALID_DIMENSIONS",
            ErrorType::InvalidImageUrl => "INVALID_IMAGE_URL",
        }
    }

    /// Where the type sits in a row's report order.
    pub fn rank(self) -> i16 {
        self as i16
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown error type '{0}'")]
pub struct UnknownErrorType(pub String);

crate::text_forms::text_forms!(words ErrorType, UnknownErrorType);

/// One problem with one row. A row may have several.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    pub error_type: ErrorType,
    /// The column the error is about, when there is one.
    pub field: Option<String>,
    pub message: String,
}

impl RowError {
    pub fn new(error_type: ErrorType, field: Option<&str>, message: impl Into<String>) -> Self {
        RowError {
            error_type,
            field: field.map(str::to_string),
            message: message.into(),
        }
    }

    /// `MALFORMED_ROW` for a row whose cells do not match the header, as the
    /// rules and the CSV reader say it.
    pub fn wrong_cell_count(cells: usize, width: usize) -> Self {
        RowError::new(
            ErrorType::MalformedRow,
            None,
            format!(
                "Row has {cells} cells but the header has {width}. Check for an unquoted comma or a missing quote."
            ),
        )
    }

    /// `FIELD_TOO_LONG`, as the rules and the readers say it.
    pub fn too_long(column: crate::Column, chars: usize) -> Self {
        let limit = column.max_chars();
        RowError::new(
            ErrorType::FieldTooLong,
            Some(column.name()),
            format!("Field '{column}' is {chars} characters long; the limit is {limit}."),
        )
    }
}

/// Why a whole upload failed before any row could be judged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FileFailure {
    #[error("The file is empty.")]
    Empty,
    #[error("The file has a header row but no products.")]
    HeaderOnly,
    #[error(
        "The file is not a CSV text file: it contains binary data (a NUL byte at byte {offset}). Export the sheet as 'CSV UTF-8 (Comma delimited)'."
    )]
    Binary { offset: u64 },
    #[error(
        "The file is larger than the {limit_bytes}-byte limit ({}). Split it into smaller files.",
        describe_size(*.limit_bytes)
    )]
    TooLarge { limit_bytes: u64 },
    #[error(
        "The file has more than {limit_rows} products; the limit is {limit_rows} per file. Split it into smaller files."
    )]
    TooManyRows { limit_rows: u32 },
    #[error("The header row is missing required column(s): {}. Required columns are: {}.", .columns.join(", "), required_columns())]
    MissingColumns { columns: Vec<String> },
    #[error(
        "The header row has {columns} columns; a product file may have at most {limit}. Check that this is a product sheet saved as CSV with commas between cells."
    )]
    TooManyColumns { columns: usize, limit: usize },
    #[error("The header row names column '{column}' twice (columns {first} and {second}).")]
    DuplicateColumn {
        column: String,
        first: usize,
        second: usize,
    },
    /// A `.json`, `.jsonl` or `.ndjson` file that serde_json cannot read;
    /// line and column are 1-based, the column counted in bytes.
    #[error("The file is not valid JSON at line {line}, column {column}: {detail}.")]
    MalformedJson {
        line: u64,
        column: u64,
        detail: String,
    },
    #[error(
        "The file '{file_name}' is not a .csv, .json, .jsonl or .ndjson file, so it was not read. Upload products as CSV, a JSON array, or JSON Lines."
    )]
    UnsupportedFormat { file_name: String },
    #[error("The file could not be read: {detail}")]
    Unreadable { detail: String },
    #[error(
        "Vendor '{vendor_id}' is not registered. Files must be uploaded under uploads/<your vendor id>/."
    )]
    UnknownVendor { vendor_id: VendorId },
    #[error(
        "Vendor '{vendor_id}' is {} and cannot upload products. Contact marketplace support.",
        .status.in_words()
    )]
    VendorInactive {
        vendor_id: VendorId,
        #[serde(with = "status_in_words")]
        status: VendorStatus,
    },
    #[error("The upload key '{key}' is not of the form uploads/<vendor id>/<file>.csv.")]
    BadKey { key: String },
    /// A portal upload binds its uploader into the object (the signed POST
    /// policy's `x-amz-meta-vendor-id`); the object's folder names another
    /// vendor. `vendor_id` is the folder's (the key's) vendor.
    #[error(
        "The file is in the folder of vendor '{vendor_id}' (uploads/{vendor_id}/) but was uploaded through the vendor portal by vendor '{uploader_id}'. A vendor can only upload into its own folder, so the file was not processed. Contact marketplace support if you did not expect this file."
    )]
    UploaderMismatch {
        vendor_id: VendorId,
        /// The object's metadata as S3 keeps it: text, not an id.
        uploader_id: String,
    },
    /// The object's `mode` metadata is neither `create` nor `upsert`.
    #[error(
        "The upload mode '{mode}' is not known, so the file was not processed. Upload again with mode create (new products only) or upsert (update your existing products and add new ones)."
    )]
    UnknownMode { mode: String },
}

/// A failure is kept as JSON in `upload_history.failure`, and the rows
/// written before the status had a type say it in words ("pending
/// approval"): this writes the words still and reads either form.
mod status_in_words {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::status::VendorStatus;

    pub fn serialize<S: Serializer>(
        status: &VendorStatus,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&status.in_words())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<VendorStatus, D::Error> {
        let text = String::deserialize(deserializer)?;
        VendorStatus::parse(&text.replace(' ', "_")).map_err(serde::de::Error::custom)
    }
}

fn required_columns() -> String {
    crate::Column::REQUIRED
        .iter()
        .map(|c| c.name())
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe_size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 && bytes.is_multiple_of(1024 * 1024) {
        format!("{} MB", bytes / (1024 * 1024))
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_types_round_trip_through_their_names() {
        for t in ErrorType::ALL {
            assert_eq!(t.as_str().parse::<ErrorType>(), Ok(t));
            assert_eq!(
                serde_json::to_string(&t).unwrap(),
                format!("\"{}\"", t.as_str())
            );
        }
        assert!("NOPE".parse::<ErrorType>().is_err());
    }

    #[test]
    fn ranks_follow_the_rule_table() {
        assert!(ErrorType::MissingRequiredField.rank() < ErrorType::InvalidPrice.rank());
        assert!(ErrorType::DuplicateSku.rank() < ErrorType::DuplicateVendorProductId.rank());
        assert!(ErrorType::FieldTooLong.rank() < ErrorType::InvalidCompareAtPrice.rank());
    }

    #[test]
    fn file_failures_explain_themselves() {
        assert_eq!(
            FileFailure::TooLarge {
                limit_bytes: 10 * 1024 * 1024
            }
            .to_string(),
            "The file is larger than the 10485760-byte limit (10 MB). Split it into smaller files."
        );
        let missing = FileFailure::MissingColumns {
            columns: vec!["sku".into(), "price".into()],
        }
        .to_string();
        assert!(missing.starts_with("The header row is missing required column(s): sku, price."));
        let mismatch = FileFailure::UploaderMismatch {
            vendor_id: VendorId::parse("VEND001").unwrap(),
            uploader_id: "VEND002".into(),
        };
        let text = mismatch.to_string();
        assert!(
            text.contains("vendor 'VEND001' (uploads/VEND001/)"),
            "{text}"
        );
        assert!(text.contains("by vendor 'VEND002'"), "{text}");
        let json = serde_json::to_value(&mismatch).unwrap();
        assert_eq!(json["kind"], "uploader_mismatch");
        assert_eq!(
            serde_json::from_value::<FileFailure>(json).unwrap(),
            mismatch
        );
    }

    #[test]
    fn an_inactive_vendors_status_is_kept_in_words() {
        let inactive = FileFailure::VendorInactive {
            vendor_id: VendorId::parse("VEND004").unwrap(),
            status: VendorStatus::PendingApproval,
        };
        assert_eq!(
            inactive.to_string(),
            "Vendor 'VEND004' is pending approval and cannot upload products. Contact marketplace support."
        );
        let json = serde_json::to_value(&inactive).unwrap();
        assert_eq!(json["status"], "pending approval");
        assert_eq!(
            serde_json::from_value::<FileFailure>(json).unwrap(),
            inactive
        );
        let typed = serde_json::json!({"kind": "vendor_inactive", "vendor_id": "VEND004", "status": "pending_approval"});
        assert_eq!(
            serde_json::from_value::<FileFailure>(typed).unwrap(),
            inactive
        );
    }
}

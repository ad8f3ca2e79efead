//! The shapes that travel between the three functions: the staging item the
//! parser writes for each row, and the messages on the error queue.
//! docs/configuration.md describes them for people; this is their one
//! definition in code.

use serde::{Deserialize, Serialize};

use crate::errors::{ErrorType, RowError};
use crate::reader::SourceRow;
use crate::rules::EarlierRows;
use crate::upload_id::UploadId;
use crate::upload_key::Lane;
use crate::vendor_id::VendorId;

/// How long a staged row lives before DynamoDB's TTL removes it.
pub const STAGING_TTL_SECONDS: i64 = 7 * 24 * 3600;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StagingStatus {
    PendingValidation,
    Validated,
    Error,
}

/// How long an error-processor's claim on an upload's email lasts before
/// another attempt may take over. It must be shorter than the errors
/// queue's visibility timeout (`onboarding_aws::contract` checks it), so a
/// retried batch finds the claim of the failed one lapsed.
pub const EMAIL_CLAIM_LEASE_SECONDS: u32 = 120;

/// One product row, staged by the parser for the validator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StagedRow {
    pub upload_id: UploadId,
    pub record_id: String,
    pub status: StagingStatus,
    pub row_number: u32,
    pub vendor_id: VendorId,
    /// The vendor's cells in file order, untrimmed. Stored as one string
    /// attribute, the cells' JSON array ([`cells`]): one attribute instead
    /// of one per cell, which the emulator's per-attribute work halves the
    /// staging time of; a list of strings (items staged before) is read too.
    #[serde(with = "cells")]
    pub fields: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earlier_sku_row: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earlier_vendor_product_id_row: Option<u32>,
    /// Why the row could not be read (see [`SourceRow::problems`]); absent
    /// when there is nothing to say, which is every CSV row.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<RowError>,
    /// Epoch seconds; DynamoDB's TTL attribute.
    pub expires_at: i64,
    /// Absent on live rows; the stream mappings' filters route on it.
    #[serde(default, skip_serializing_if = "Lane::is_live")]
    pub lane: Lane,
}

impl StagedRow {
    pub fn new(
        lane: Lane,
        upload_id: &UploadId,
        vendor_id: &VendorId,
        row: SourceRow,
        earlier: EarlierRows,
        staged_at_epoch: i64,
    ) -> StagedRow {
        StagedRow {
            upload_id: upload_id.clone(),
            record_id: Self::record_id(row.row_number),
            status: StagingStatus::PendingValidation,
            row_number: row.row_number,
            vendor_id: vendor_id.clone(),
            fields: row.fields,
            problems: row.problems,
            earlier_sku_row: earlier.sku,
            earlier_vendor_product_id_row: earlier.vendor_product_id,
            expires_at: staged_at_epoch + STAGING_TTL_SECONDS,
            lane,
        }
    }

    /// Zero padded so that a table scan lists rows in file order.
    pub fn record_id(row_number: u32) -> String {
        format!("{row_number:06}")
    }

    pub fn earlier(&self) -> EarlierRows {
        EarlierRows {
            sku: self.earlier_sku_row,
            vendor_product_id: self.earlier_vendor_product_id_row,
        }
    }

    pub fn source_row(&self) -> SourceRow {
        SourceRow {
            row_number: self.row_number,
            fields: self.fields.clone(),
            problems: self.problems.clone(),
        }
    }
}

/// The staged item's `fields` attribute: the cells as a JSON array in one
/// string; reading also takes a list of strings.
mod cells {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(fields: &[String], serializer: S) -> Result<S::Ok, S::Error> {
        let text = serde_json::to_string(fields).map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(&text)
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Text(String),
        List(Vec<String>),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<String>, D::Error> {
        match Stored::deserialize(deserializer)? {
            Stored::Text(text) => serde_json::from_str(&text).map_err(serde::de::Error::custom),
            Stored::List(list) => Ok(list),
        }
    }
}

/// One row error as it travels on the error queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedRowError {
    pub row_number: u32,
    pub error_type: ErrorType,
    pub field: Option<String>,
    pub message: String,
}

/// A message on the error queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PipelineMessage {
    /// Errors found in a batch. Informational: reports are built from the
    /// database, so losing or repeating one of these loses nothing.
    RowErrors {
        upload_id: UploadId,
        vendor_id: VendorId,
        errors: Vec<QueuedRowError>,
    },
    /// Every row of the upload has been judged, or the upload failed as a
    /// whole: time for the report and the email.
    UploadComplete {
        upload_id: UploadId,
        vendor_id: VendorId,
    },
}

impl PipelineMessage {
    pub fn upload_id(&self) -> &UploadId {
        match self {
            PipelineMessage::RowErrors { upload_id, .. }
            | PipelineMessage::UploadComplete { upload_id, .. } => upload_id,
        }
    }

    pub fn vendor_id(&self) -> &VendorId {
        match self {
            PipelineMessage::RowErrors { vendor_id, .. }
            | PipelineMessage::UploadComplete { vendor_id, .. } => vendor_id,
        }
    }

    pub fn to_json(&self) -> String {
        // Plain data with string keys: serialisation cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// SQS takes 256 KiB per message; this leaves room for attributes.
pub const MAX_MESSAGE_BYTES: usize = 200 * 1024;

/// Packs a batch's row errors into as few messages as fit `max_bytes` each,
/// so that a file with thousands of bad rows needs a handful of sends.
pub fn pack_row_errors(
    upload_id: &UploadId,
    vendor_id: &VendorId,
    rows: &[(u32, &[RowError])],
    max_bytes: usize,
) -> Vec<PipelineMessage> {
    let empty = PipelineMessage::RowErrors {
        upload_id: upload_id.clone(),
        vendor_id: vendor_id.clone(),
        errors: Vec::new(),
    }
    .to_json()
    .len();
    let mut messages = Vec::new();
    let mut current: Vec<QueuedRowError> = Vec::new();
    let mut size = empty;
    for (row_number, errors) in rows {
        for error in *errors {
            let queued = QueuedRowError {
                row_number: *row_number,
                error_type: error.error_type,
                field: error.field.clone(),
                message: error.message.clone(),
            };
            let entry = serde_json::to_string(&queued).unwrap_or_default().len() + 1;
            if !current.is_empty() && size + entry > max_bytes {
                messages.push(PipelineMessage::RowErrors {
                    upload_id: upload_id.clone(),
                    vendor_id: vendor_id.clone(),
                    errors: std::mem::take(&mut current),
                });
                size = empty;
            }
            size += entry;
            current.push(queued);
        }
    }
    if !current.is_empty() {
        messages.push(PipelineMessage::RowErrors {
            upload_id: upload_id.clone(),
            vendor_id: vendor_id.clone(),
            errors: current,
        });
    }
    messages
}

#[cfg(test)]
mod tests {
    use super::*;

    const UPLOAD: &str = "UPLOAD_20261122_101500_ABCDEF012345";

    fn ids() -> (UploadId, VendorId) {
        (
            UploadId::parse(UPLOAD).unwrap(),
            VendorId::parse("VEND001").unwrap(),
        )
    }

    fn error(n: usize) -> RowError {
        RowError::new(ErrorType::InvalidPrice, Some("price"), "x".repeat(n))
    }

    #[test]
    fn staged_rows_round_trip_and_keep_their_earlier_rows() {
        let (upload_id, vendor_id) = ids();
        let row = StagedRow::new(
            Lane::Live,
            &upload_id,
            &vendor_id,
            SourceRow {
                row_number: 42,
                fields: vec![" a ".into(), String::new()],
                problems: Vec::new(),
            },
            EarlierRows {
                sku: Some(7),
                vendor_product_id: None,
            },
            1_000,
        );
        assert_eq!(row.record_id, "000042");
        assert_eq!(row.expires_at, 1_000 + STAGING_TTL_SECONDS);
        assert_eq!(row.earlier().sku, Some(7));
        let json = serde_json::to_value(&row).unwrap();
        assert_eq!(json["status"], "pending_validation");
        assert_eq!(json["upload_id"], UPLOAD);
        assert_eq!(json["vendor_id"], "VEND001");
        assert_eq!(json["fields"], r#"[" a ",""]"#, "the cells in one string");
        assert!(json.get("earlier_vendor_product_id_row").is_none());
        assert!(json.get("lane").is_none(), "live rows carry no lane");
        let back: StagedRow = serde_json::from_value(json).unwrap();
        assert_eq!(back, row);
        let candidate = StagedRow {
            lane: Lane::Candidate,
            ..row.clone()
        };
        let json = serde_json::to_value(&candidate).unwrap();
        assert_eq!(json["lane"], "candidate");
        assert_eq!(
            serde_json::from_value::<StagedRow>(json).unwrap(),
            candidate
        );
        assert_eq!(back.source_row().fields, vec![" a ", ""]);
        // An item staged with the cells as a list still reads.
        let mut listed = serde_json::to_value(&row).unwrap();
        listed["fields"] = serde_json::json!([" a ", ""]);
        assert_eq!(serde_json::from_value::<StagedRow>(listed).unwrap(), row);
    }

    #[test]
    fn messages_are_tagged_by_kind() {
        let (upload_id, vendor_id) = ids();
        let done = PipelineMessage::UploadComplete {
            upload_id: upload_id.clone(),
            vendor_id,
        };
        assert_eq!(
            done.to_json(),
            format!(r#"{{"kind":"upload_complete","upload_id":"{UPLOAD}","vendor_id":"VEND001"}}"#)
        );
        let back: PipelineMessage = serde_json::from_str(&done.to_json()).unwrap();
        assert_eq!(back.upload_id(), &upload_id);
        // The ids are checked where a message is read: a malformed one is
        // an unreadable message, not a string carried on.
        let forged = r#"{"kind":"upload_complete","upload_id":"U","vendor_id":"VEND001"}"#;
        assert!(serde_json::from_str::<PipelineMessage>(forged).is_err());
    }

    #[test]
    fn row_errors_are_packed_under_the_size_limit_and_none_is_lost() {
        let errors: Vec<Vec<RowError>> = (0..500).map(|_| vec![error(300), error(10)]).collect();
        let rows: Vec<(u32, &[RowError])> = errors
            .iter()
            .enumerate()
            .map(|(i, e)| (i as u32 + 1, e.as_slice()))
            .collect();
        let (upload_id, vendor_id) = ids();
        let messages = pack_row_errors(&upload_id, &vendor_id, &rows, 20_000);
        assert!(messages.len() > 1);
        let mut seen = 0;
        for message in &messages {
            assert!(message.to_json().len() <= 20_000, "message over the limit");
            if let PipelineMessage::RowErrors { errors, .. } = message {
                seen += errors.len();
            }
        }
        assert_eq!(seen, 1_000);
    }

    #[test]
    fn no_errors_means_no_messages() {
        let (upload_id, vendor_id) = ids();
        assert!(pack_row_errors(&upload_id, &vendor_id, &[], MAX_MESSAGE_BYTES).is_empty());
        assert!(pack_row_errors(&upload_id, &vendor_id, &[(1, &[])], MAX_MESSAGE_BYTES).is_empty());
    }
}

//! What an upload does with a SKU the catalog already holds: `create` (the
//! requirements' behaviour and the default) refuses it as a duplicate;
//! `upsert` updates the vendor's own product and still refuses another
//! vendor's. The mode is read once, where the file comes in (the object's
//! metadata or its folder), and travels typed from there.

use serde::{Deserialize, Serialize};

use crate::errors::FileFailure;
use crate::upload_key::UploadKey;

/// The object metadata (`x-amz-meta-mode`) that names an upload's mode; the
/// portal's presigned POST and `onboard upload --mode` set it.
pub const MODE_METADATA: &str = "mode";
/// The presigned POST form field S3 stores as [`MODE_METADATA`].
pub const MODE_FORM_FIELD: &str = "x-amz-meta-mode";
/// The folder under a vendor's uploads whose files are upserts when the
/// object carries no mode metadata: `uploads/<VENDOR>/update/<file>`.
pub const UPDATE_FOLDER: &str = "update/";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "String")]
pub enum UploadMode {
    #[default]
    Create,
    Upsert,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("'{0}' is not an upload mode (create or upsert)")]
pub struct UnknownUploadMode(pub String);

impl UploadMode {
    pub const ALL: [UploadMode; 2] = [UploadMode::Create, UploadMode::Upsert];

    pub fn as_str(self) -> &'static str {
        match self {
            UploadMode::Create => "create",
            UploadMode::Upsert => "upsert",
        }
    }

    pub fn is_upsert(self) -> bool {
        self == UploadMode::Upsert
    }

    /// The mode of an S3 object: its `mode` metadata when it has one (any
    /// case, surrounding spaces ignored; an unknown word fails the upload
    /// rather than silently creating), otherwise `upsert` for a file in the
    /// vendor's `update/` folder and `create` for any other.
    pub fn of_object(metadata: Option<&str>, key: &UploadKey) -> Result<UploadMode, FileFailure> {
        match metadata {
            Some(text) => UploadMode::parse(&text.trim().to_ascii_lowercase()).map_err(|_| {
                FileFailure::UnknownMode {
                    mode: text.chars().take(50).collect(),
                }
            }),
            None if key.file_name.starts_with(UPDATE_FOLDER) => Ok(UploadMode::Upsert),
            None => Ok(UploadMode::Create),
        }
    }
}

crate::text_forms::text_forms!(words UploadMode, UnknownUploadMode);

/// What a valid row did to the catalog (`row_outcomes.change`): counted per
/// upload as `created_records`, `updated_records` and `unchanged_records`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowChange {
    Created,
    Updated,
    /// An upsert row identical to the product it names: counted, not written.
    Unchanged,
}

impl RowChange {
    pub fn as_str(self) -> &'static str {
        match self {
            RowChange::Created => "created",
            RowChange::Updated => "updated",
            RowChange::Unchanged => "unchanged",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> UploadKey {
        UploadKey::parse(text).unwrap()
    }

    #[test]
    fn metadata_wins_then_the_update_folder_then_create() {
        let plain = key("uploads/VEND001/products.csv");
        let update = key("uploads/VEND001/update/products.csv");
        assert_eq!(UploadMode::of_object(None, &plain), Ok(UploadMode::Create));
        assert_eq!(UploadMode::of_object(None, &update), Ok(UploadMode::Upsert));
        assert_eq!(
            UploadMode::of_object(Some(" Upsert "), &plain),
            Ok(UploadMode::Upsert)
        );
        assert_eq!(
            UploadMode::of_object(Some("create"), &update),
            Ok(UploadMode::Create)
        );
        // Only the folder directly under the vendor's: not a file named so.
        assert_eq!(
            UploadMode::of_object(None, &key("uploads/VEND001/2026/update/x.csv")),
            Ok(UploadMode::Create)
        );
    }

    #[test]
    fn an_unknown_mode_fails_the_upload_naming_it() {
        let failure = UploadMode::of_object(Some("replace"), &key("uploads/V/x.csv")).unwrap_err();
        assert_eq!(
            failure,
            FileFailure::UnknownMode {
                mode: "replace".into()
            }
        );
        assert!(failure.to_string().contains("'replace'"));
    }

    #[test]
    fn modes_read_back_from_their_words() {
        for mode in UploadMode::ALL {
            assert_eq!(mode.as_str().parse::<UploadMode>(), Ok(mode));
        }
        assert!("Upsert".parse::<UploadMode>().is_err());
    }
}

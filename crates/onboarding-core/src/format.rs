//! The file formats a vendor may upload, told apart by the file name's
//! extension, and one reader over all of them.

use tokio::io::AsyncRead;

use crate::columns::Header;
use crate::errors::FileFailure;
use crate::json_reader::{JsonLayout, ProductJsonReader};
use crate::reader::{ProductCsvReader, ReadLimits, SourceRow};
use crate::rules::{CategoryWhitelist, CheckedRow, FileChecker};

/// A product file's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    /// An array of objects.
    Json,
    /// One object per line (`.jsonl` or `.ndjson`).
    JsonLines,
}

impl FileFormat {
    /// Every extension accepted, lower case, without the dot.
    pub const EXTENSIONS: [&'static str; 4] = ["csv", "json", "jsonl", "ndjson"];

    /// The format a file name's extension names, in any case; `None` for any
    /// other extension or none.
    pub fn of_file_name(name: &str) -> Option<FileFormat> {
        let (_, extension) = name.rsplit_once('.')?;
        match extension.to_ascii_lowercase().as_str() {
            "csv" => Some(FileFormat::Csv),
            "json" => Some(FileFormat::Json),
            "jsonl" | "ndjson" => Some(FileFormat::JsonLines),
            _ => None,
        }
    }

    /// The content type a file of this format is stored with.
    pub fn content_type(self) -> &'static str {
        match self {
            FileFormat::Csv => "text/csv",
            FileFormat::Json => "application/json",
            FileFormat::JsonLines => "application/x-ndjson",
        }
    }

    /// Like [`FileFormat::of_file_name`], with the failure an upload records.
    pub fn require(name: &str) -> Result<FileFormat, FileFailure> {
        Self::of_file_name(name).ok_or_else(|| FileFailure::UnsupportedFormat {
            file_name: name.to_string(),
        })
    }
}

/// Reads a product file of any format into the same header and rows, so
/// everything after the reader is the same for every format.
pub enum ProductReader<R> {
    Csv(ProductCsvReader<R>),
    Json(ProductJsonReader),
}

impl<R: AsyncRead + Unpin + Send> ProductReader<R> {
    pub async fn open(
        format: FileFormat,
        source: R,
        limits: ReadLimits,
    ) -> Result<Self, FileFailure> {
        Ok(match format {
            FileFormat::Csv => ProductReader::Csv(ProductCsvReader::open(source, limits).await?),
            FileFormat::Json => ProductReader::Json(
                ProductJsonReader::open(source, JsonLayout::Array, limits).await?,
            ),
            FileFormat::JsonLines => ProductReader::Json(
                ProductJsonReader::open(source, JsonLayout::Lines, limits).await?,
            ),
        })
    }

    pub fn header(&self) -> &Header {
        match self {
            ProductReader::Csv(reader) => reader.header(),
            ProductReader::Json(reader) => reader.header(),
        }
    }

    pub async fn next_row(&mut self) -> Result<Option<SourceRow>, FileFailure> {
        match self {
            ProductReader::Csv(reader) => reader.next_row().await,
            ProductReader::Json(reader) => reader.next_row().await,
        }
    }

    pub fn rows_read(&self) -> u32 {
        match self {
            ProductReader::Csv(reader) => reader.rows_read(),
            ProductReader::Json(reader) => reader.rows_read(),
        }
    }

    pub fn warnings(&self) -> Vec<String> {
        match self {
            ProductReader::Csv(reader) => reader.warnings(),
            ProductReader::Json(reader) => reader.warnings(),
        }
    }
    /// Reads the rest of the file and checks every row with the file rules
    /// (not the catalog's): what a whole-file check needs, kept in memory.
    pub async fn check_all(
        &mut self,
        categories: &CategoryWhitelist,
    ) -> Result<Vec<CheckedRow>, FileFailure> {
        let header = self.header().clone();
        let mut checker = FileChecker::new(&header, categories);
        let mut rows = Vec::new();
        while let Some(row) = self.next_row().await? {
            rows.push(checker.check(&row));
        }
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_name_formats_in_any_case() {
        assert_eq!(FileFormat::of_file_name("a.csv"), Some(FileFormat::Csv));
        assert_eq!(FileFormat::of_file_name("a.b.JSON"), Some(FileFormat::Json));
        assert_eq!(
            FileFormat::of_file_name("x.jsonl"),
            Some(FileFormat::JsonLines)
        );
        assert_eq!(
            FileFormat::of_file_name("x.NDJSON"),
            Some(FileFormat::JsonLines)
        );
        for other in ["products", "x.xlsx", "x.csv.gz", "json"] {
            assert_eq!(FileFormat::of_file_name(other), None, "{other}");
        }
        assert_eq!(
            FileFormat::require("x.txt").unwrap_err(),
            FileFailure::UnsupportedFormat {
                file_name: "x.txt".into()
            }
        );
    }
}

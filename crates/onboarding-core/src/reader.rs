//! Streaming reader for vendor product files.
//!
//! The reader trusts nothing about the file: it enforces the size and row
//! limits while it streams, rejects binary content, accepts a UTF-8 BOM, CRLF
//! or LF, and falls back to Windows-1252 for bytes that are not UTF-8. Memory
//! stays bounded by one record, whatever the file's size.
//!
//! A leading `'` in front of a formula character (`'=`, `'+`, `'-`, `'@`) is
//! the spreadsheet text marker that the fix file puts on such cells (see
//! [`crate::report::neutralise_cell`]); the reader drops it, so a fix file
//! uploaded again gives back the vendor's own values.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use csv_async::{AsyncReader, AsyncReaderBuilder, ByteRecord};
use tokio::io::{AsyncRead, ReadBuf};

use crate::columns::{Header, HeaderProblem};
use crate::errors::{FileFailure, RowError};
use crate::report::restore_cell;

/// The limits a file must stay within. The defaults are the requirements':
/// 10 MB and 10,000 products.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadLimits {
    pub max_bytes: u64,
    pub max_rows: u32,
}

impl ReadLimits {
    pub const DEFAULT_MAX_BYTES: u64 = 10 * 1024 * 1024;
    pub const DEFAULT_MAX_ROWS: u32 = 10_000;
}

/// The most columns a header may have. A product sheet has fourteen; a
/// header far wider is not a product sheet, and its rows could not be
/// staged (each cell costs bytes in the staged item, even empty).
pub const MAX_COLUMNS: usize = 1_000;

/// A cell longer than this (in bytes) is far over every column's limit
/// (2,048 characters at most, 4 bytes each). A row holding one is cut down
/// before it is staged (see [`bound_for_staging`]).
pub(crate) const MAX_CELL_BYTES: usize = 16 * 1024;

/// A row whose cells take more than this as staged (their JSON array) is
/// cut down before it is staged. A valid row is far under it: fourteen
/// cells at their limits, 4 bytes a character, are about 25 KB.
pub(crate) const MAX_ROW_BYTES: usize = 64 * 1024;

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_bytes: Self::DEFAULT_MAX_BYTES,
            max_rows: Self::DEFAULT_MAX_ROWS,
        }
    }
}

/// One product record as the vendor wrote it, decoded but not trimmed, in the
/// file's column order. Row 1 is the first product after the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceRow {
    pub row_number: u32,
    pub fields: Vec<String>,
    /// What made the row unreadable before any rule could look at it (a
    /// JSON row's boolean where text belongs, say); reported instead of the
    /// rules' errors. A CSV row never has any.
    pub problems: Vec<RowError>,
}

/// Reads a product file record by record.
pub struct ProductCsvReader<R> {
    csv: AsyncReader<LimitedReader<R>>,
    header: Header,
    record: ByteRecord,
    rows: u32,
    blank_rows: u32,
    windows_1252_rows: u32,
    first_windows_1252_row: Option<u32>,
    header_was_windows_1252: bool,
    max_rows: u32,
}

impl<R: AsyncRead + Unpin + Send> ProductCsvReader<R> {
    /// Reads up to and including the header row.
    pub async fn open(source: R, limits: ReadLimits) -> Result<Self, FileFailure> {
        let mut csv = AsyncReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .create_reader(LimitedReader::new(source, limits.max_bytes));
        let mut record = ByteRecord::new();
        let (header_cells, header_was_windows_1252) = loop {
            if !read_record(&mut csv, &mut record).await? {
                return Err(FileFailure::Empty);
            }
            let (cells, windows_1252) = decode(&record);
            if !is_blank(&cells) {
                break (cells, windows_1252);
            }
        };
        let header = Header::parse(&header_cells).map_err(|problem| match problem {
            HeaderProblem::MissingColumns(columns) => FileFailure::MissingColumns {
                columns: columns.iter().map(|c| c.name().to_string()).collect(),
            },
            HeaderProblem::DuplicateColumn {
                column,
                first,
                second,
            } => FileFailure::DuplicateColumn {
                column: column.name().to_string(),
                first,
                second,
            },
        })?;
        if header.width() > MAX_COLUMNS {
            return Err(FileFailure::TooManyColumns {
                columns: header.width(),
                limit: MAX_COLUMNS,
            });
        }
        Ok(ProductCsvReader {
            csv,
            header,
            record,
            rows: 0,
            blank_rows: 0,
            windows_1252_rows: 0,
            first_windows_1252_row: None,
            header_was_windows_1252,
            max_rows: limits.max_rows,
        })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The next product row, or `None` at the end of the file. Rows whose
    /// cells are all blank are skipped and not numbered.
    pub async fn next_row(&mut self) -> Result<Option<SourceRow>, FileFailure> {
        loop {
            if !read_record(&mut self.csv, &mut self.record).await? {
                if self.rows == 0 {
                    return Err(FileFailure::HeaderOnly);
                }
                return Ok(None);
            }
            let (fields, windows_1252) = decode(&self.record);
            if is_blank(&fields) {
                self.blank_rows += 1;
                continue;
            }
            self.rows += 1;
            if self.rows > self.max_rows {
                return Err(FileFailure::TooManyRows {
                    limit_rows: self.max_rows,
                });
            }
            if windows_1252 {
                self.windows_1252_rows += 1;
                self.first_windows_1252_row.get_or_insert(self.rows);
            }
            let mut row = SourceRow {
                row_number: self.rows,
                fields,
                problems: Vec::new(),
            };
            if staged_bytes(&row.fields) > MAX_ROW_BYTES {
                bound_for_staging(&self.header, &mut row);
            }
            return Ok(Some(row));
        }
    }

    /// Rows read so far.
    pub fn rows_read(&self) -> u32 {
        self.rows
    }

    /// What the vendor should know about how the file was read, even though
    /// nothing was lost.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        let unknown = self.header.unknown_columns();
        if !unknown.is_empty() {
            warnings.push(format!(
                "Ignored unknown column(s): {}.",
                unknown
                    .iter()
                    .map(|c| format!("'{c}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if self.header_was_windows_1252 || self.windows_1252_rows > 0 {
            let detail = match self.first_windows_1252_row {
                Some(first) => format!(
                    " ({} row(s) affected, the first is row {first})",
                    self.windows_1252_rows
                ),
                None => " (in the header row)".to_string(),
            };
            warnings.push(format!(
                "The file is not valid UTF-8, so it was read as Windows-1252{detail}. Save it as 'CSV UTF-8' to be sure special characters come through as intended."
            ));
        }
        if self.blank_rows > 0 {
            warnings.push(format!(
                "Skipped {} blank row(s); they are not numbered.",
                self.blank_rows
            ));
        }
        warnings
    }
}

async fn read_record<R: AsyncRead + Unpin + Send>(
    csv: &mut AsyncReader<LimitedReader<R>>,
    record: &mut ByteRecord,
) -> Result<bool, FileFailure> {
    csv.read_byte_record(record).await.map_err(|error| {
        match error.into_kind() {
            csv_async::ErrorKind::Io(io) => file_failure_of(io),
            other => FileFailure::Unreadable {
                // Only I/O errors are possible with flexible byte records, but
                // say something useful if that ever changes.
                detail: format!("{other:?}"),
            },
        }
    })
}

pub(crate) fn file_failure_of(error: io::Error) -> FileFailure {
    match error
        .get_ref()
        .and_then(|e| e.downcast_ref::<FileFailure>())
    {
        Some(failure) => failure.clone(),
        None => FileFailure::Unreadable {
            detail: error.to_string(),
        },
    }
}

/// Decodes each cell as UTF-8, falling back to Windows-1252 (what Excel on
/// Windows saves) for cells that are not, and drops the formula guard
/// ([`restore_cell`]). Returns whether the fallback was used.
fn decode(record: &ByteRecord) -> (Vec<String>, bool) {
    // One UTF-8 check over the whole record costs far less than one per cell.
    // A cell boundary inside a character (a record valid only as a whole)
    // fails `str::get`, and such a record takes the cell-by-cell way below.
    if let Ok(text) = std::str::from_utf8(record.as_slice()) {
        let mut cells = Vec::with_capacity(record.len());
        for i in 0..record.len() {
            match record.range(i).and_then(|range| text.get(range)) {
                Some(cell) => cells.push(restore_cell(cell)),
                None => break,
            }
        }
        if cells.len() == record.len() {
            return (cells, false);
        }
    }
    let mut windows_1252 = false;
    let fields = record
        .iter()
        .map(|bytes| match std::str::from_utf8(bytes) {
            Ok(text) => restore_cell(text),
            Err(_) => {
                windows_1252 = true;
                restore_cell(
                    &encoding_rs::WINDOWS_1252
                        .decode_without_bom_handling(bytes)
                        .0,
                )
            }
        })
        .collect();
    (fields, windows_1252)
}

/// Whether every cell is whitespace or BOMs only. Stops at the first other
/// character, which in a product row is nearly always the first one.
/// The bytes a row's cells take as staged: their JSON array, about three
/// bytes a cell besides its text.
fn staged_bytes(fields: &[String]) -> usize {
    fields.iter().map(|f| f.len() + 3).sum()
}

/// Cuts a row too large to stage (DynamoDB holds 400 KB an item) down to
/// what the rules need, recording why as the row's problems, which then are
/// its verdict. The reader calls it only for a row over [`MAX_ROW_BYTES`], so
/// every ordinary row, valid or not, is judged by the rules alone. Over it:
/// - cells past the header's width are dropped (`MALFORMED_ROW` when any
///   holds text, as the rules would say);
/// - a product column's cell over [`MAX_CELL_BYTES`] is that field's
///   `FIELD_TOO_LONG`, and is cut to the column's limit;
/// - if that is not enough, the cells of columns the rules do not read are
///   emptied: they are not product data, only echoed into the fix file.
///
/// What is left is at most fourteen cells of 16 KB and [`MAX_COLUMNS`]
/// empty ones, well under DynamoDB's limit.
#[cold]
#[inline(never)]
pub(crate) fn bound_for_staging(header: &Header, row: &mut SourceRow) {
    let width = header.width();
    let cells = row.fields.len();
    if cells > width {
        if crate::rules::is_malformed(header, row) {
            row.problems.push(RowError::wrong_cell_count(cells, width));
        }
        row.fields.truncate(width);
    }
    for (position, cell) in row.fields.iter_mut().enumerate() {
        if cell.len() <= MAX_CELL_BYTES {
            continue;
        }
        if let Some(column) = header.column_at(position) {
            row.problems
                .push(RowError::too_long(column, cell.trim().chars().count()));
            *cell = cell.chars().take(column.max_chars()).collect();
        }
    }
    if staged_bytes(&row.fields) > MAX_ROW_BYTES {
        for (position, cell) in row.fields.iter_mut().enumerate() {
            if header.column_at(position).is_none() {
                cell.clear();
            }
        }
    }
}

fn is_blank(fields: &[String]) -> bool {
    fields
        .iter()
        .all(|f| f.chars().all(|c| c.is_whitespace() || c == '\u{feff}'))
}

/// Counts bytes and refuses NUL bytes as they stream past, so a huge or binary
/// file fails early instead of being read to the end.
pub(crate) struct LimitedReader<R> {
    inner: R,
    bytes: u64,
    limit: u64,
}

impl<R> LimitedReader<R> {
    pub(crate) fn new(inner: R, limit: u64) -> Self {
        LimitedReader {
            inner,
            bytes: 0,
            limit,
        }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for LimitedReader<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let fresh = &buf.filled()[before..];
                if let Some(position) = memchr::memchr(0, fresh) {
                    // A read that fails hands back nothing (tokio's
                    // read_to_end asserts as much).
                    buf.set_filled(before);
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        FileFailure::Binary {
                            offset: this.bytes + position as u64,
                        },
                    )));
                }
                this.bytes += fresh.len() as u64;
                if this.bytes > this.limit {
                    buf.set_filled(before);
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        FileFailure::TooLarge {
                            limit_bytes: this.limit,
                        },
                    )));
                }
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Column;
    use crate::errors::ErrorType;

    const HEADER: &str = "vendor_product_id,product_name,category,sku,price,stock_quantity";

    async fn read_all(
        bytes: &[u8],
        limits: ReadLimits,
    ) -> Result<(Vec<SourceRow>, Vec<String>), FileFailure> {
        let mut reader = ProductCsvReader::open(bytes, limits).await?;
        let mut rows = Vec::new();
        while let Some(row) = reader.next_row().await? {
            rows.push(row);
        }
        Ok((rows, reader.warnings()))
    }

    async fn read(bytes: &[u8]) -> Result<(Vec<SourceRow>, Vec<String>), FileFailure> {
        read_all(bytes, ReadLimits::default()).await
    }

    fn file(header: &str, rows: &[String]) -> Vec<u8> {
        let mut text = header.to_string();
        for row in rows {
            text.push('\n');
            text.push_str(row);
        }
        text.into_bytes()
    }

    /// A row DynamoDB could not hold (400 KB an item) is cut down with its
    /// reason recorded, naming the field; ordinary rows are untouched.
    #[tokio::test]
    async fn a_row_too_large_to_stage_is_cut_down_and_says_why() {
        let header = format!("{HEADER},description");
        let huge = "é".repeat(250_000); // 500,000 bytes
        let (rows, _) = read(&file(
            &header,
            &[
                format!("P1,Mouse,Electronics,S1,9.99,5,{huge}"),
                format!("P2,Mouse,Electronics,S2,9.99,5,{}", "d".repeat(20_000)),
            ],
        ))
        .await
        .unwrap();
        let description = 6;
        assert_eq!(
            rows[0].problems,
            vec![RowError::too_long(Column::Description, 250_000)]
        );
        assert_eq!(rows[0].fields[description].chars().count(), 2_000);
        assert_eq!(
            rows[0].fields[..6],
            ["P1", "Mouse", "Electronics", "S1", "9.99", "5"]
        );
        // Too long, but small enough to stage: the rules judge it.
        assert!(rows[1].problems.is_empty());
        assert_eq!(rows[1].fields[description].len(), 20_000);
    }

    /// Hostile text in a cell too large to stage: control bytes and a
    /// formula. The row's error is recorded, names the field and carries
    /// none of the text; the cut value reaches the report neutralised.
    #[tokio::test]
    async fn a_hostile_oversized_cell_is_recorded_and_neutralised_in_the_report() {
        let hostile = format!("=HYPERLINK(\"x\")\u{1}\u{7f}{}", "\u{1b}A".repeat(40_000));
        let (rows, _) = read(&file(
            HEADER,
            &[format!("P1,Mouse,Electronics,\"{hostile}\",9.99,5")],
        ))
        .await
        .unwrap();
        let chars = hostile.chars().count();
        assert_eq!(
            rows[0].problems,
            vec![RowError::too_long(Column::Sku, chars)]
        );
        assert_eq!(rows[0].fields[3].chars().count(), Column::Sku.max_chars());
        let header = Header::parse(&HEADER.split(',').collect::<Vec<_>>()).unwrap();
        let checked = crate::check_row(
            &header,
            &rows[0],
            &crate::CategoryWhitelist::default(),
            crate::EarlierRows::default(),
        );
        assert_eq!(checked.errors(), rows[0].problems.as_slice());
        let report = String::from_utf8(crate::write_error_report(&crate::ReportLine::for_row(
            &checked,
        )))
        .unwrap();
        assert!(report.contains("\"'=HYPERLINK"), "{report}");
        assert!(
            !report.contains(",=HYPERLINK") && !report.contains(",\"=HYPERLINK"),
            "{report}"
        );
        // Our message names the field and counts; it carries none of the text.
        let message = &rows[0].problems[0].message;
        assert!(
            !message.contains(['\u{1}', '\u{7f}', '\u{1b}', '=']),
            "{message:?}"
        );
    }

    #[tokio::test]
    async fn a_row_of_many_cells_is_malformed_and_staged_without_them() {
        let extra = ",x".repeat(30_000);
        let blank_extra = ",".repeat(30_000);
        let (rows, _) = read(&file(
            HEADER,
            &[
                format!("P1,Mouse,Electronics,S1,9.99,5{extra}"),
                format!("P2,Mouse,Electronics,S2,9.99,5{blank_extra}"),
            ],
        ))
        .await
        .unwrap();
        assert_eq!(rows[0].fields.len(), 6);
        assert_eq!(
            rows[0].problems,
            vec![RowError::new(
                ErrorType::MalformedRow,
                None,
                "Row has 30006 cells but the header has 6. Check for an unquoted comma or a missing quote."
            )]
        );
        // Empty cells past the last column are a spreadsheet's habit, not an error.
        assert_eq!(rows[1].fields.len(), 6);
        assert!(rows[1].problems.is_empty());
    }

    #[tokio::test]
    async fn columns_the_rules_do_not_read_are_emptied_when_they_would_not_fit() {
        let notes: String = (0..10).map(|i| format!(",note{i}")).collect();
        let cells = format!(",{}", "n".repeat(10_000)).repeat(10);
        let (rows, _) = read(&file(
            &format!("{HEADER}{notes}"),
            &[format!("P1,Mouse,Electronics,S1,9.99,5{cells}")],
        ))
        .await
        .unwrap();
        assert!(rows[0].problems.is_empty(), "{:?}", rows[0].problems);
        assert_eq!(
            rows[0].fields[..6],
            ["P1", "Mouse", "Electronics", "S1", "9.99", "5"]
        );
        assert!(rows[0].fields[6..].iter().all(String::is_empty));
    }

    #[tokio::test]
    async fn a_header_of_more_than_a_thousand_columns_fails_the_file() {
        let wide = format!("{HEADER}{}", ",x".repeat(MAX_COLUMNS));
        assert_eq!(
            read(&file(
                &wide,
                &["P1,Mouse,Electronics,S1,9.99,5".to_string()]
            ))
            .await
            .unwrap_err(),
            FileFailure::TooManyColumns {
                columns: MAX_COLUMNS + 6,
                limit: MAX_COLUMNS
            }
        );
    }

    /// What the portal writes for its form and fix submissions reads back
    /// cell for cell: quotes, commas, line breaks and formula-like text
    /// untouched (the reports' neutralising is not applied to it).
    #[tokio::test]
    async fn a_written_product_file_reads_back_as_typed() {
        let typed: Vec<String> = Column::ALL
            .iter()
            .map(|c| match c {
                Column::ProductName => "Lamp, \"Desk\"".to_string(),
                Column::Description => "two\nlines".to_string(),
                Column::Brand => "=SUM(A1)".to_string(),
                Column::Unit => String::new(),
                other => format!("{}-1", other.name()),
            })
            .collect();
        let file = crate::write_product_file(&[typed.clone(), typed.clone()]);
        let (rows, warnings) = read(&file).await.unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].row_number, 2);
        assert_eq!(rows[0].fields, typed);
    }

    #[tokio::test]
    async fn reads_bom_and_crlf() {
        let file = format!("\u{feff}{HEADER}\r\nP1,Mouse,Electronics,S1,1.00,2\r\n");
        let (rows, warnings) = read(file.as_bytes()).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].row_number, 1);
        assert_eq!(rows[0].fields[5], "2");
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[tokio::test]
    async fn quoted_fields_keep_commas_quotes_and_newlines() {
        let file = format!(
            "{HEADER}\n\"P,1\",\"The \"\"best\"\"\nmouse\",Electronics,S1,1.00,2\nP2,B,C,S2,1,1\n"
        );
        let (rows, _) = read(file.as_bytes()).await.unwrap();
        assert_eq!(rows[0].fields[0], "P,1");
        assert_eq!(rows[0].fields[1], "The \"best\"\nmouse");
        assert_eq!(rows[1].row_number, 2);
    }

    #[tokio::test]
    async fn windows_1252_is_decoded_with_a_warning() {
        let mut file = format!("{HEADER}\nP1,").into_bytes();
        file.extend_from_slice(b"Caf\xe9 cr\xe8me,Electronics,S1,1,1\n");
        let (rows, warnings) = read(&file).await.unwrap();
        assert_eq!(rows[0].fields[1], "Café crème");
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("Windows-1252"), "{warnings:?}");
        assert!(warnings[0].contains("the first is row 1"));
    }

    /// The record's bytes are UTF-8 as a whole ("é" split over two cells),
    /// the cells are not: each cell is read as Windows-1252, as ever.
    #[tokio::test]
    async fn a_character_split_between_cells_is_read_cell_by_cell() {
        let mut file = format!("{HEADER}\n").into_bytes();
        file.extend_from_slice(b"\xc3,\xa9,Electronics,S1,1,1\n");
        let (rows, warnings) = read(&file).await.unwrap();
        assert_eq!(rows[0].fields[..2], ["Ã", "©"]);
        assert!(warnings[0].contains("the first is row 1"), "{warnings:?}");
    }

    #[tokio::test]
    async fn utf8_multibyte_is_kept() {
        let file = format!("{HEADER}\nP1,Crème brûlée – 日本,Electronics,S1,1,1\n");
        let (rows, warnings) = read(file.as_bytes()).await.unwrap();
        assert_eq!(rows[0].fields[1], "Crème brûlée – 日本");
        assert!(warnings.is_empty());
    }

    #[tokio::test]
    async fn unknown_columns_are_warned_about() {
        let file = format!("{HEADER},Colour,notes\nP1,M,C,S,1,1,red,x\n");
        let (_, warnings) = read(file.as_bytes()).await.unwrap();
        assert_eq!(
            warnings,
            vec!["Ignored unknown column(s): 'Colour', 'notes'."]
        );
    }

    #[tokio::test]
    async fn blank_rows_are_skipped_and_not_numbered() {
        let file = format!("{HEADER}\nP1,M,C,S,1,1\n,,,,,\n\n  , ,,,,\nP2,M,C,S2,1,1\n");
        let (rows, warnings) = read(file.as_bytes()).await.unwrap();
        assert_eq!(
            rows.iter().map(|r| r.row_number).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert_eq!(rows[1].fields[0], "P2");
        assert_eq!(
            warnings,
            vec!["Skipped 2 blank row(s); they are not numbered."]
        );
    }

    #[tokio::test]
    async fn rows_with_the_wrong_width_are_still_rows() {
        let file = format!("{HEADER}\nP1,M,C\nP2,M,C,S2,1,1,extra\n");
        let (rows, _) = read(file.as_bytes()).await.unwrap();
        assert_eq!(rows[0].fields.len(), 3);
        assert_eq!(rows[1].fields.len(), 7);
    }

    #[tokio::test]
    async fn empty_and_whitespace_files_are_empty() {
        assert_eq!(read(b"").await.unwrap_err(), FileFailure::Empty);
        assert_eq!(read(b"\r\n\n  \n").await.unwrap_err(), FileFailure::Empty);
        assert_eq!(
            read("\u{feff}".as_bytes()).await.unwrap_err(),
            FileFailure::Empty
        );
    }

    #[tokio::test]
    async fn header_only_is_its_own_failure() {
        let file = format!("{HEADER}\r\n");
        assert_eq!(
            read(file.as_bytes()).await.unwrap_err(),
            FileFailure::HeaderOnly
        );
        let file = format!("{HEADER}\n,,,,,\n");
        assert_eq!(
            read(file.as_bytes()).await.unwrap_err(),
            FileFailure::HeaderOnly
        );
    }

    #[tokio::test]
    async fn nul_bytes_mean_binary() {
        let mut file = format!("{HEADER}\nP1,M,C,S,1,1\n").into_bytes();
        let offset = file.len() as u64;
        file.extend_from_slice(b"\x00\x01\x02");
        assert_eq!(
            read(&file).await.unwrap_err(),
            FileFailure::Binary { offset }
        );
    }

    #[tokio::test]
    async fn missing_columns_fail_the_file_and_are_named() {
        let file = "vendor_product_id,product_name,category,price\nP1,M,C,1\n";
        assert_eq!(
            read(file.as_bytes()).await.unwrap_err(),
            FileFailure::MissingColumns {
                columns: vec!["sku".into(), "stock_quantity".into()]
            }
        );
    }

    #[tokio::test]
    async fn size_limit_is_exact() {
        let file = format!("{HEADER}\nP1,M,C,S,1,1\n");
        let exact = ReadLimits {
            max_bytes: file.len() as u64,
            max_rows: 10,
        };
        assert!(read_all(file.as_bytes(), exact).await.is_ok());
        let one_less = ReadLimits {
            max_bytes: file.len() as u64 - 1,
            max_rows: 10,
        };
        assert_eq!(
            read_all(file.as_bytes(), one_less).await.unwrap_err(),
            FileFailure::TooLarge {
                limit_bytes: file.len() as u64 - 1
            }
        );
    }

    #[tokio::test]
    async fn row_limit_is_exact() {
        let mut file = format!("{HEADER}\n");
        for i in 0..3 {
            file.push_str(&format!("P{i},M,C,S{i},1,1\n"));
        }
        let limits = |max_rows| ReadLimits {
            max_bytes: 1 << 20,
            max_rows,
        };
        assert_eq!(
            read_all(file.as_bytes(), limits(3)).await.unwrap().0.len(),
            3
        );
        assert_eq!(
            read_all(file.as_bytes(), limits(2)).await.unwrap_err(),
            FileFailure::TooManyRows { limit_rows: 2 }
        );
    }

    #[tokio::test]
    async fn the_fix_files_formula_guard_is_dropped() {
        let file = format!("{HEADER},'=note\n'-P1,'@Mouse,Electronics,''-S1,-10.00,'7,x\n");
        let (rows, warnings) = read(file.as_bytes()).await.unwrap();
        assert_eq!(
            rows[0].fields,
            vec!["-P1", "@Mouse", "Electronics", "'-S1", "-10.00", "'7", "x"]
        );
        assert_eq!(warnings, vec!["Ignored unknown column(s): '=note'."]);
    }

    #[tokio::test]
    async fn header_positions_are_exposed() {
        let file = format!("{HEADER}\nP1,M,C,S,1,1\n");
        let reader = ProductCsvReader::open(file.as_bytes(), ReadLimits::default())
            .await
            .unwrap();
        assert_eq!(reader.header().position(Column::Sku), Some(3));
    }
}

//! Reader for product files written as JSON: an array of objects (`.json`)
//! or one object per line (`.jsonl`, `.ndjson`), keyed by the CSV's column
//! names.
//!
//! serde_json does the parsing; this module only walks the array's
//! punctuation between elements, so that each element is parsed and handed
//! on alone (one row's values at a time, never a tree of the whole file).
//! The file itself is held in memory: it is at most the size limit (10 MB),
//! which the reader enforces while it reads, as the CSV reader does.
//!
//! Each value keeps the text the vendor wrote: a number is its JSON literal
//! (`19.990` stays `19.990`, `1e400` stays `1e400`), so the rules judge the
//! same text a CSV cell would give them. Nothing is converted through `f64`.

use std::collections::BTreeSet;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::columns::{Column, Header};
use crate::errors::{ErrorType, FileFailure, RowError};
use crate::reader::{LimitedReader, MAX_CELL_BYTES, ReadLimits, SourceRow, file_failure_of};

/// How many distinct unknown keys the warning names: a hostile file could
/// give every object new keys, and the warning must stay one short line.
const UNKNOWN_KEYS_NAMED: usize = 20;

/// The two JSON layouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonLayout {
    /// One array of objects; row N is element N.
    Array,
    /// One object per line; row N is the object on line N.
    Lines,
}

/// Reads a JSON product file row by row. Its header is always the format's
/// fourteen columns in documented order, so a staged row has the same shape
/// whichever keys an object happens to have.
pub struct ProductJsonReader {
    bytes: Vec<u8>,
    cursor: Cursor,
    finished: bool,
    header: Header,
    rows: u32,
    max_rows: u32,
    unknown_keys: UnknownKeys,
}

/// Where the reader is in the file; apart from the bytes so that an element
/// can borrow them while the cursor moves on.
struct Cursor {
    layout: JsonLayout,
    /// The next byte to look at.
    pos: usize,
    /// The element or line number of the last row read.
    number: u32,
    blank_lines: u32,
}

/// The unknown keys seen, up to [`UNKNOWN_KEYS_NAMED`] of them.
#[derive(Default)]
struct UnknownKeys {
    named: BTreeSet<String>,
    more: bool,
}

impl ProductJsonReader {
    /// Reads the whole file, within the limits, and checks where its rows start.
    pub async fn open<R: AsyncRead + Unpin>(
        source: R,
        layout: JsonLayout,
        limits: ReadLimits,
    ) -> Result<Self, FileFailure> {
        let mut bytes = Vec::new();
        LimitedReader::new(source, limits.max_bytes)
            .read_to_end(&mut bytes)
            .await
            .map_err(file_failure_of)?;
        // The same BOM the CSV reader accepts; positions are counted after it,
        // as an editor shows them.
        if bytes.starts_with(b"\xef\xbb\xbf") {
            bytes.drain(..3);
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(FileFailure::Empty);
        }
        let header = Header::parse(&Column::ALL.map(Column::name))
            .expect("the format's own columns make a header");
        let mut cursor = Cursor {
            layout,
            pos: 0,
            number: 0,
            blank_lines: 0,
        };
        if layout == JsonLayout::Array {
            cursor.open_array(&bytes)?;
        }
        Ok(ProductJsonReader {
            bytes,
            cursor,
            finished: false,
            header,
            rows: 0,
            max_rows: limits.max_rows,
            unknown_keys: UnknownKeys::default(),
        })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Rows read so far.
    pub fn rows_read(&self) -> u32 {
        self.rows
    }

    /// The next product row, or `None` at the end of the file.
    pub async fn next_row(&mut self) -> Result<Option<SourceRow>, FileFailure> {
        if self.finished {
            return Ok(None);
        }
        let row = match self.cursor.layout {
            JsonLayout::Array => self.cursor.next_element(&self.bytes)?,
            JsonLayout::Lines => self.cursor.next_line(&self.bytes)?,
        };
        let Some((number, element)) = row else {
            self.finished = true;
            if self.rows == 0 {
                return Err(FileFailure::Empty);
            }
            return Ok(None);
        };
        self.rows += 1;
        if self.rows > self.max_rows {
            return Err(FileFailure::TooManyRows {
                limit_rows: self.max_rows,
            });
        }
        Ok(Some(row_of(
            &self.header,
            self.cursor.layout,
            &mut self.unknown_keys,
            number,
            element,
        )))
    }

    /// What the vendor should know about how the file was read.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if !self.unknown_keys.named.is_empty() {
            let named = self
                .unknown_keys
                .named
                .iter()
                .map(|k| format!("'{k}'"))
                .collect::<Vec<_>>()
                .join(", ");
            let more = if self.unknown_keys.more {
                " and more"
            } else {
                ""
            };
            warnings.push(format!("Ignored unknown key(s): {named}{more}."));
        }
        if self.cursor.blank_lines > 0 {
            warnings.push(format!(
                "Skipped {} blank line(s); rows are numbered by line.",
                self.cursor.blank_lines
            ));
        }
        warnings
    }
}

impl Cursor {
    fn open_array(&mut self, bytes: &[u8]) -> Result<(), FileFailure> {
        self.skip_whitespace(bytes);
        if self.peek(bytes) != Some(b'[') {
            return Err(malformed_at(
                bytes,
                self.pos,
                "a .json file must be one array of product objects, [{...}, {...}]; use .jsonl for one object per line",
            ));
        }
        self.pos += 1;
        self.skip_whitespace(bytes);
        if self.peek(bytes) == Some(b']') {
            self.pos += 1;
            self.expect_end(bytes)?;
            return Err(FileFailure::Empty);
        }
        Ok(())
    }

    fn next_element<'a>(
        &mut self,
        bytes: &'a [u8],
    ) -> Result<Option<(u32, Element<'a>)>, FileFailure> {
        if self.number > 0 {
            // After an element: a comma and the next one, or the array's end.
            self.skip_whitespace(bytes);
            match self.peek(bytes) {
                Some(b',') => {
                    self.pos += 1;
                    self.skip_whitespace(bytes);
                    if self.peek(bytes) == Some(b']') {
                        return Err(malformed_at(
                            bytes,
                            self.pos,
                            "a comma after the last element",
                        ));
                    }
                }
                Some(b']') => {
                    self.pos += 1;
                    self.expect_end(bytes)?;
                    return Ok(None);
                }
                Some(_) => {
                    return Err(malformed_at(
                        bytes,
                        self.pos,
                        "expected ',' or ']' after an array element",
                    ));
                }
                None => {
                    return Err(malformed_at(
                        bytes,
                        self.pos,
                        "the array is not closed with ']'",
                    ));
                }
            }
        }
        let start = self.pos;
        let mut stream =
            serde_json::Deserializer::from_slice(&bytes[start..]).into_iter::<Element>();
        match stream.next() {
            Some(Ok(element)) => {
                self.pos = start + stream.byte_offset();
                self.number += 1;
                Ok(Some((self.number, element)))
            }
            Some(Err(error)) => Err(malformed_within(bytes, start, &error)),
            None => Err(malformed_at(
                bytes,
                self.pos,
                "the array is not closed with ']'",
            )),
        }
    }

    fn next_line<'a>(
        &mut self,
        bytes: &'a [u8],
    ) -> Result<Option<(u32, Element<'a>)>, FileFailure> {
        loop {
            if self.pos >= bytes.len() {
                return Ok(None);
            }
            let rest = &bytes[self.pos..];
            let end = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
            let line = rest[..end].strip_suffix(b"\r").unwrap_or(&rest[..end]);
            self.pos += end + 1;
            self.number += 1;
            if line.iter().all(u8::is_ascii_whitespace) {
                self.blank_lines += 1;
                continue;
            }
            return match serde_json::from_slice::<Element>(line) {
                Ok(element) => Ok(Some((self.number, element))),
                Err(error) => Err(FileFailure::MalformedJson {
                    line: u64::from(self.number),
                    column: error.column() as u64,
                    detail: detail_of(&error),
                }),
            };
        }
    }

    fn peek(&self, bytes: &[u8]) -> Option<u8> {
        bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self, bytes: &[u8]) {
        while self.peek(bytes).is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    fn expect_end(&mut self, bytes: &[u8]) -> Result<(), FileFailure> {
        self.skip_whitespace(bytes);
        if self.pos < bytes.len() {
            return Err(malformed_at(
                bytes,
                self.pos,
                "more content after the array's closing ']'",
            ));
        }
        Ok(())
    }
}

/// Line and column (1-based, in bytes, as serde_json counts them) of a byte offset.
fn position_of(bytes: &[u8], offset: usize) -> (u64, u64) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() as u64 + 1;
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    (line, (offset - line_start) as u64 + 1)
}

fn malformed_at(bytes: &[u8], offset: usize, detail: &str) -> FileFailure {
    let (line, column) = position_of(bytes, offset);
    FileFailure::MalformedJson {
        line,
        column,
        detail: detail.to_string(),
    }
}

/// serde_json counts from the start of the slice it was given; this
/// moves its position to the file's.
fn malformed_within(bytes: &[u8], start: usize, error: &serde_json::Error) -> FileFailure {
    let (base_line, base_column) = position_of(bytes, start);
    let (line, column) = if error.line() <= 1 {
        (
            base_line,
            base_column + (error.column() as u64).saturating_sub(1),
        )
    } else {
        (base_line + error.line() as u64 - 1, error.column() as u64)
    };
    FileFailure::MalformedJson {
        line,
        column,
        detail: detail_of(error),
    }
}

fn row_of(
    header: &Header,
    layout: JsonLayout,
    unknown_keys: &mut UnknownKeys,
    number: u32,
    element: Element,
) -> SourceRow {
    let mut fields = vec![String::new(); header.width()];
    let mut given: Vec<Option<String>> = vec![None; header.width()];
    let mut problems = Vec::new();
    let entries = match element {
        Element::Object(entries) => entries,
        Element::Other(kind) => {
            let what = match layout {
                JsonLayout::Array => "Element",
                JsonLayout::Lines => "Line",
            };
            problems.push(RowError::new(
                ErrorType::MalformedRow,
                None,
                format!(
                    "{what} {number} is {kind}, not an object of the product's fields like {{\"sku\": \"...\", \"price\": 19.99}}."
                ),
            ));
            Vec::new()
        }
    };
    for (key, value) in entries {
        let Some(column) = Column::from_header(&key) else {
            unknown_keys.note(&key);
            continue;
        };
        let position = header
            .position(column)
            .expect("the header has every column");
        if let Some(first) = &given[position] {
            problems.push(RowError::new(
                ErrorType::MalformedRow,
                Some(column.name()),
                format!(
                    "Field '{column}' is given twice (as '{}' and '{}').",
                    shorten(first),
                    shorten(&key)
                ),
            ));
            continue;
        }
        given[position] = Some(key);
        match cell_of(value) {
            Ok(text) if text.len() > MAX_CELL_BYTES => {
                // The rules would say the same, but the row must not carry
                // the whole value on: a staged item holds at most 400 KB.
                problems.push(RowError::too_long(column, text.chars().count()));
                fields[position] = text.chars().take(column.max_chars()).collect();
            }
            Ok(text) => fields[position] = text,
            Err(kind) => problems.push(RowError::new(
                ErrorType::MalformedRow,
                Some(column.name()),
                format!("Field '{column}' must be a string or a number, not {kind}."),
            )),
        }
    }
    SourceRow {
        row_number: number,
        fields,
        problems,
    }
}

impl UnknownKeys {
    fn note(&mut self, key: &str) {
        let key = shorten(key);
        if self.named.contains(&key) {
            return;
        }
        if self.named.len() < UNKNOWN_KEYS_NAMED {
            self.named.insert(key);
        } else {
            self.more = true;
        }
    }
}

/// serde_json's message without its own " at line L column C" (the failure
/// says where, counted in the whole file).
fn detail_of(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// Keys and values in messages are the vendor's text: keep them short.
fn shorten(text: &str) -> String {
    const MAX: usize = 60;
    if text.chars().count() <= MAX {
        return text.to_string();
    }
    let mut short: String = text.chars().take(MAX).collect();
    short.push('…');
    short
}

/// A field's value as cell text: strings as they are, numbers as written,
/// null as an empty cell. Anything else is named for the row's error.
fn cell_of(value: &RawValue) -> Result<String, &'static str> {
    let text = value.get().trim_start();
    match text.as_bytes().first() {
        Some(b'"') => match serde_json::from_str::<String>(text) {
            // PostgreSQL text cannot hold NUL, and no CSV cell can either.
            Ok(s) if s.contains('\0') => Err("text containing a NUL character (\\u0000)"),
            Ok(s) => Ok(s),
            Err(_) => Err("text with an invalid escape (a lone UTF-16 surrogate)"),
        },
        Some(b'n') => Ok(String::new()),
        Some(b't' | b'f') => Err("a boolean (true or false)"),
        Some(b'{') => Err("an object"),
        Some(b'[') => Err("an array"),
        _ => Ok(text.trim_end().to_string()),
    }
}

/// One element or line: an object's entries in the vendor's order (values
/// still as raw JSON text), or what else it was.
enum Element<'a> {
    Object(Vec<(String, &'a RawValue)>),
    Other(&'static str),
}

impl<'de> Deserialize<'de> for Element<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ElementVisitor)
    }
}

struct ElementVisitor;

impl<'de> Visitor<'de> for ElementVisitor {
    type Value = Element<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a product object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        // A Vec, not a map: a key given twice is the vendor's mistake to be
        // told about, not silently resolved.
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let value: &'de RawValue = map.next_value()?;
            entries.push((key, value));
        }
        Ok(Element::Object(entries))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Element::Other("an array"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Element::Other("a boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Element::Other("a number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Element::Other("a number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Element::Other("a number"))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Element::Other("a string"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Element::Other("null"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read_as(
        layout: JsonLayout,
        bytes: &[u8],
        limits: ReadLimits,
    ) -> Result<(Vec<SourceRow>, Vec<String>), FileFailure> {
        let mut reader = ProductJsonReader::open(bytes, layout, limits).await?;
        let mut rows = Vec::new();
        while let Some(row) = reader.next_row().await? {
            rows.push(row);
        }
        Ok((rows, reader.warnings()))
    }

    async fn array(text: &str) -> Result<(Vec<SourceRow>, Vec<String>), FileFailure> {
        read_as(JsonLayout::Array, text.as_bytes(), ReadLimits::default()).await
    }

    async fn lines(text: &str) -> Result<(Vec<SourceRow>, Vec<String>), FileFailure> {
        read_as(JsonLayout::Lines, text.as_bytes(), ReadLimits::default()).await
    }

    fn cell(row: &SourceRow, column: Column) -> &str {
        &row.fields[column as usize]
    }

    fn malformed(line: u64, column: u64) -> impl Fn(FileFailure) -> String {
        move |failure| match failure {
            FileFailure::MalformedJson {
                line: l,
                column: c,
                detail,
            } => {
                assert_eq!((l, c), (line, column), "{detail}");
                detail
            }
            other => panic!("not malformed JSON: {other:?}"),
        }
    }

    #[tokio::test]
    async fn an_array_of_objects_is_rows_in_the_formats_columns() {
        let (rows, warnings) = array(
            "\u{feff}[\n {\"SKU\": \"007\", \"price\": 19.990, \"Stock Quantity\": \"5\", \"brand\": null},\n {\"sku\": \"S2\", \"colour\": \"red\"}\n]\n",
        )
        .await
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].row_number, 1);
        assert_eq!(rows[1].row_number, 2);
        assert_eq!(cell(&rows[0], Column::Sku), "007");
        // Numbers keep the text written, so the rules see what a CSV cell gives.
        assert_eq!(cell(&rows[0], Column::Price), "19.990");
        assert_eq!(cell(&rows[0], Column::StockQuantity), "5");
        assert_eq!(cell(&rows[0], Column::Brand), "");
        assert!(rows[0].problems.is_empty());
        assert_eq!(warnings, vec!["Ignored unknown key(s): 'colour'."]);
    }

    #[tokio::test]
    async fn lines_are_numbered_by_line_and_blank_lines_are_skipped() {
        let (rows, warnings) = lines("{\"sku\":\"A\"}\r\n\n  \n{\"sku\":\"B\", \"price\": 1e400}")
            .await
            .unwrap();
        assert_eq!(
            rows.iter().map(|r| r.row_number).collect::<Vec<_>>(),
            vec![1, 4]
        );
        assert_eq!(cell(&rows[1], Column::Price), "1e400");
        assert_eq!(
            warnings,
            vec!["Skipped 2 blank line(s); rows are numbered by line."]
        );
    }

    #[tokio::test]
    async fn wrong_types_are_row_problems_naming_the_field() {
        let (rows, _) = lines(
            "{\"sku\":\"A\",\"price\":true,\"brand\":{\"x\":1},\"unit\":[1],\"description\":\"a\\u0000b\",\"image_url\":\"\\ud800\"}\n\"just text\"\n{\"sku\":\"A\",\"SKU\":\"B\"}\n",
        )
        .await
        .unwrap();
        let messages = |row: &SourceRow| {
            row.problems
                .iter()
                .map(|p| (p.field.clone(), p.message.clone()))
                .collect::<Vec<_>>()
        };
        let first = messages(&rows[0]);
        assert_eq!(first.len(), 5, "{first:?}");
        assert_eq!(first[0].0.as_deref(), Some("price"));
        assert!(first[0].1.contains("not a boolean"), "{first:?}");
        assert!(first[1].1.contains("Field 'brand'") && first[1].1.contains("an object"));
        assert!(first[2].1.contains("an array"));
        assert!(first[3].1.contains("NUL"));
        assert!(first[4].1.contains("surrogate"));
        assert!(
            rows[0]
                .problems
                .iter()
                .all(|p| p.error_type == ErrorType::MalformedRow)
        );
        assert_eq!(messages(&rows[1])[0].0, None);
        assert!(messages(&rows[1])[0].1.starts_with("Line 2 is a string"));
        assert!(messages(&rows[2])[0].1.contains("given twice"));
    }

    #[tokio::test]
    async fn malformed_json_names_line_and_column() {
        let detail = array("[\n {\"sku\": \"A\"},\n {\"sku\": \"B\" \"price\": 1}\n]")
            .await
            .map(|_| ())
            .map_err(malformed(3, 14))
            .unwrap_err();
        assert!(detail.contains("expected `,` or `}`"), "{detail}");
        array("[{\"sku\": \"A\"} {\"sku\": \"B\"}]")
            .await
            .map_err(malformed(1, 15))
            .unwrap_err();
        array("[{\"sku\": \"A\"},]")
            .await
            .map_err(malformed(1, 15))
            .unwrap_err();
        array("[{\"sku\": \"A\"}")
            .await
            .map_err(malformed(1, 14))
            .unwrap_err();
        array("[{\"sku\": \"A\"}] x")
            .await
            .map_err(malformed(1, 16))
            .unwrap_err();
        array("  {\"sku\": \"A\"}")
            .await
            .map_err(malformed(1, 3))
            .unwrap_err();
        lines("{\"sku\":\"A\"}\n{\"sku\":\n\"B\"}\n")
            .await
            .map_err(malformed(2, 7))
            .unwrap_err();
    }

    #[tokio::test]
    async fn hostile_files_fail_cleanly() {
        // Deep nesting in a field is skipped without recursion (serde_json
        // walks a raw value with a stack of its own) and is the row's error.
        let deep = format!(
            "[{{\"sku\": {}{}}}]",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let (rows, _) = array(&deep).await.unwrap();
        assert!(rows[0].problems[0].message.contains("an array"));
        // So is an element nested as deep; an object so nested is one value.
        let deep = format!("[{}{}]", "[".repeat(100_000), "]".repeat(100_000));
        let (rows, _) = array(&deep).await.unwrap();
        assert!(
            rows[0].problems[0]
                .message
                .starts_with("Element 1 is an array")
        );
        let deep = format!("[{}1{}]", "{\"a\":".repeat(100_000), "}".repeat(100_000));
        let outcome = array(&deep).await.map(|(rows, _)| rows.len());
        assert_eq!(outcome, Ok(1));
        // Invalid UTF-8 inside a string.
        let failure = read_as(
            JsonLayout::Lines,
            b"{\"sku\":\"caf\xe9\"}\n",
            ReadLimits::default(),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(failure, FileFailure::MalformedJson { line: 1, .. }),
            "{failure:?}"
        );
        // NUL bytes are binary data, as in a CSV file.
        let failure = read_as(
            JsonLayout::Array,
            b"[{\"sku\":\"\x00\"}]",
            ReadLimits::default(),
        )
        .await
        .unwrap_err();
        assert_eq!(failure, FileFailure::Binary { offset: 9 });
        // A single line of the whole limit is one long cell: the row's error,
        // and only the column's limit of it goes on.
        let long = format!("{{\"sku\":\"{}\"}}", "x".repeat(10 * 1024 * 1024 - 10));
        assert_eq!(long.len(), 10 * 1024 * 1024);
        let (rows, _) = lines(&long).await.unwrap();
        assert_eq!(cell(&rows[0], Column::Sku).len(), Column::Sku.max_chars());
        assert_eq!(rows[0].problems[0].error_type, ErrorType::FieldTooLong);
        assert_eq!(
            rows[0].problems[0].message,
            "Field 'sku' is 10485750 characters long; the limit is 100."
        );
        let over = format!("{long} ");
        assert_eq!(
            lines(&over).await.unwrap_err(),
            FileFailure::TooLarge {
                limit_bytes: 10 * 1024 * 1024
            }
        );
        // Top-level scalars, and numbers out of every range.
        assert!(array("1e400").await.is_err());
        let (rows, _) = array("[1e400]")
            .await
            .map_err(|e| e.to_string())
            .unwrap_or_default();
        assert!(rows.is_empty() || !rows[0].problems.is_empty());
    }

    #[tokio::test]
    async fn empty_files_and_limits() {
        for empty in ["", "  \n", "\u{feff}", "[]", " [ ] \n"] {
            assert_eq!(
                array(empty).await.unwrap_err(),
                FileFailure::Empty,
                "{empty:?}"
            );
        }
        assert_eq!(lines("\n\n").await.unwrap_err(), FileFailure::Empty);
        let limits = ReadLimits {
            max_bytes: 1 << 20,
            max_rows: 2,
        };
        assert_eq!(
            read_as(JsonLayout::Array, b"[{},{},{}]", limits)
                .await
                .unwrap_err(),
            FileFailure::TooManyRows { limit_rows: 2 }
        );
        assert_eq!(
            read_as(JsonLayout::Lines, b"{}\n{}\n", limits)
                .await
                .unwrap()
                .0
                .len(),
            2
        );
    }

    #[tokio::test]
    async fn unknown_keys_are_named_up_to_a_limit() {
        let objects: Vec<String> = (0..50).map(|i| format!("{{\"k{i:02}\": 1}}")).collect();
        let (_, warnings) = lines(&objects.join("\n")).await.unwrap();
        assert!(warnings[0].starts_with("Ignored unknown key(s): 'k00', 'k01'"));
        assert!(warnings[0].ends_with("'k19' and more."), "{warnings:?}");
    }
}

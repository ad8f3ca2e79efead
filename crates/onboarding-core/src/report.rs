//! The error report CSV and the fix file.
//!
//! The report is RFC 4180 CSV (CRLF line ends, quotes only where needed) with
//! one line per error, ordered by row and then rule.
//!
//! Both files are opened in spreadsheets, and both carry vendor text, so every
//! cell of both goes through one function, [`neutralise_cell`]: a cell that a
//! spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, tab
//! or carriage return, the OWASP CSV injection list) gets a leading `'`; a
//! plain number such as `-10.00` is data, not a formula, and is left as it is.
//! The reader drops that `'` again ([`restore_cell`]), so a fix file uploaded
//! again reads exactly as the vendor's original cells did.

use serde::{Deserialize, Serialize};

use crate::errors::ErrorType;
use crate::rules::CheckedRow;

pub const REPORT_HEADER: [&str; 8] = [
    "Row Number",
    "Vendor Product ID",
    "SKU",
    "Product Name",
    "Error Type",
    "Error Message",
    "Price",
    "Stock Quantity",
];

/// The name of the column the fix file adds after the vendor's own columns.
pub const FIX_FILE_ERRORS_COLUMN: &str = "errors";

/// One line of the error report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportLine {
    pub row_number: u32,
    pub vendor_product_id: String,
    pub sku: String,
    pub product_name: String,
    pub error_type: ErrorType,
    pub error_message: String,
    pub price: String,
    pub stock_quantity: String,
}

impl ReportLine {
    /// The report lines of one checked row, one per error.
    pub fn for_row(row: &CheckedRow) -> Vec<ReportLine> {
        row.errors()
            .iter()
            .map(|error| ReportLine {
                row_number: row.row_number,
                vendor_product_id: row.identity.vendor_product_id.clone(),
                sku: row.identity.sku.clone(),
                product_name: row.identity.product_name.clone(),
                error_type: error.error_type,
                error_message: error.message.clone(),
                price: row.identity.price.clone(),
                stock_quantity: row.identity.stock_quantity.clone(),
            })
            .collect()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("the report header is {found:?}, expected {expected:?}")]
    Header {
        found: Vec<String>,
        expected: Vec<String>,
    },
    #[error("line {line}: {detail}")]
    Line { line: u64, detail: String },
}

fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .flexible(true)
        .from_writer(Vec::new())
}

fn into_bytes(writer: csv::Writer<Vec<u8>>) -> Vec<u8> {
    // A Vec<u8> sink cannot fail to flush.
    writer
        .into_inner()
        .unwrap_or_else(|e| e.into_inner().into_inner().unwrap_or_default())
}

/// Writes the error report. Lines are put in report order (row, then rule)
/// whatever order they arrive in; lines of equal rank keep their order.
pub fn write_error_report(lines: &[ReportLine]) -> Vec<u8> {
    let mut sorted: Vec<&ReportLine> = lines.iter().collect();
    sorted.sort_by_key(|line| (line.row_number, line.error_type.rank()));
    let mut out = writer();
    write_record(&mut out, REPORT_HEADER.iter().map(|s| s.to_string()));
    for line in sorted {
        write_record(
            &mut out,
            [
                line.row_number.to_string(),
                neutralise_cell(&line.vendor_product_id),
                neutralise_cell(&line.sku),
                neutralise_cell(&line.product_name),
                line.error_type.as_str().to_string(),
                neutralise_cell(&line.error_message),
                neutralise_cell(&line.price),
                neutralise_cell(&line.stock_quantity),
            ],
        );
    }
    into_bytes(out)
}

/// Any table (a header and rows of text, `None` for SQL NULL) as CSV, every
/// cell, header included, neutralised for a spreadsheet like the error
/// report's: the operator console's query download, whose values come from
/// vendors' files and whose column names come from the operator's SQL.
pub fn write_table(header: &[String], rows: &[Vec<Option<String>>]) -> Vec<u8> {
    let mut out = writer();
    write_record(&mut out, header.iter().map(|cell| neutralise_cell(cell)));
    for row in rows {
        write_record(
            &mut out,
            row.iter()
                .map(|cell| cell.as_deref().map(neutralise_cell).unwrap_or_default()),
        );
    }
    into_bytes(out)
}

fn write_record(out: &mut csv::Writer<Vec<u8>>, cells: impl IntoIterator<Item = String>) {
    // Writing to memory only fails on a bug in the csv crate.
    out.write_record(cells.into_iter().collect::<Vec<_>>())
        .expect("writing CSV to memory");
}

/// A product file of `rows`, each the values of [`Column::ALL`] in that
/// order: what the portal writes for a product typed into its form or for
/// failed rows fixed in the browser, read by the pipeline like any upload.
/// Cells are written as they are, not neutralised as the reports' are: the
/// pipeline must read back exactly what the vendor typed.
pub fn write_product_file(rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = writer();
    write_record(
        &mut out,
        crate::Column::ALL.iter().map(|c| c.name().to_string()),
    );
    for row in rows {
        write_record(&mut out, row.iter().cloned());
    }
    into_bytes(out)
}

/// Reads a report written by [`write_error_report`] back into lines.
pub fn parse_error_report(bytes: &[u8]) -> Result<Vec<ReportLine>, ReportError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes);
    let header: Vec<String> = reader.headers()?.iter().map(str::to_string).collect();
    if header != REPORT_HEADER {
        return Err(ReportError::Header {
            found: header,
            expected: REPORT_HEADER.iter().map(|s| s.to_string()).collect(),
        });
    }
    let mut lines = Vec::new();
    for record in reader.records() {
        let record = record?;
        let line = record.position().map_or(0, |p| p.line());
        let bad = |detail: String| ReportError::Line { line, detail };
        let cell = |i: usize| restore_cell(record.get(i).unwrap_or_default());
        lines.push(ReportLine {
            row_number: record
                .get(0)
                .unwrap_or_default()
                .parse()
                .map_err(|e| bad(format!("row number: {e}")))?,
            vendor_product_id: cell(1),
            sku: cell(2),
            product_name: cell(3),
            error_type: record
                .get(4)
                .unwrap_or_default()
                .parse()
                .map_err(|e| bad(format!("{e}")))?,
            error_message: cell(5),
            price: cell(6),
            stock_quantity: cell(7),
        });
    }
    Ok(lines)
}

/// One failed row for the fix file: the vendor's cells, as they wrote them,
/// and what is wrong with them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixRow {
    pub row_number: u32,
    pub fields: Vec<String>,
    pub messages: Vec<String>,
}

/// Writes the fix file: the vendor's own header plus an `errors` column, and
/// only the failed rows, in row order. Every cell, the header's included,
/// goes through [`neutralise_cell`] exactly like the report's: the vendor's
/// cells come back as they wrote them, except that a cell a spreadsheet would
/// run as a formula (`=1+2`, `-SKU-1`, `@SUM(A1)`) starts with `'`. Plain
/// numbers (`-10.00`, `-1`) are not formulas and stay as they are, so a price
/// the vendor must fix reads the same when the file is uploaded again. The
/// reader drops the `'` ([`restore_cell`]), so re-uploading the corrected
/// file gives back the vendor's own values (`-SKU-1`, not `'-SKU-1`).
pub fn write_fix_file(source_columns: &[String], rows: &[FixRow]) -> Vec<u8> {
    let mut sorted: Vec<&FixRow> = rows.iter().collect();
    sorted.sort_by_key(|row| row.row_number);
    let mut out = writer();
    write_record(
        &mut out,
        source_columns
            .iter()
            .map(|column| neutralise_cell(column))
            .chain([FIX_FILE_ERRORS_COLUMN.to_string()]),
    );
    for row in sorted {
        let mut cells: Vec<String> = row
            .fields
            .iter()
            .map(|cell| neutralise_cell(cell))
            .collect();
        // Short (malformed) rows are padded so the errors cell lines up.
        if cells.len() < source_columns.len() {
            cells.resize(source_columns.len(), String::new());
        }
        cells.push(neutralise_cell(&row.messages.join(" | ")));
        write_record(&mut out, cells);
    }
    into_bytes(out)
}

/// What a spreadsheet treats as the start of a formula (OWASP, CSV injection).
pub const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether `cell` needs the `'` guard: it starts with a formula trigger, or
/// with `'` followed by something that needs the guard (so that guarding is
/// reversible even for cells that already start with `'`).
fn needs_guard(cell: &str) -> bool {
    match cell.chars().next() {
        Some(c) if FORMULA_TRIGGERS.contains(&c) => true,
        Some('\'') => needs_guard(&cell[1..]),
        _ => false,
    }
}

/// The one neutralisation of a CSV cell, for the error report and the fix
/// file alike: prefixes `'` to a cell a spreadsheet would run as a formula.
/// A plain number (`-10.00`, `-5`, `7`) is left as it is: a spreadsheet reads
/// it as a number, not a formula, and the fix file must give it back as data.
/// [`restore_cell`] undoes it exactly.
pub fn neutralise_cell(cell: &str) -> String {
    if !is_plain_number(cell) && needs_guard(cell) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

/// `-?[0-9]+(\.[0-9]+)?`: what a spreadsheet reads as a number.
fn is_plain_number(cell: &str) -> bool {
    let unsigned = cell.strip_prefix('-').unwrap_or(cell);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && digits(fraction)
}

/// Undoes [`neutralise_cell`]: drops a leading `'` in front of what would
/// need it. Used when reading a report back and by the product file reader,
/// so a fix file uploaded again (or a cell Excel users typed as `'-SKU-1`)
/// reads as the value itself.
pub fn restore_cell(cell: &str) -> String {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_guard(rest) => rest.to_string(),
        _ => cell.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_neutralised_cell_by_cell_header_included() {
        let header = vec!["sku".to_string(), "=cmd".to_string()];
        let rows = vec![
            vec![Some("=HYPERLINK(\"x\")".to_string()), None],
            vec![Some("'@SUM(A1)".to_string()), Some("-10.50".to_string())],
            vec![Some("a,\"b\"\nc".to_string()), Some("+1".to_string())],
        ];
        let text = String::from_utf8(write_table(&header, &rows)).unwrap();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let read: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        assert_eq!(
            read,
            vec![
                vec!["sku", "'=cmd"],
                vec!["'=HYPERLINK(\"x\")", ""],
                // Already guarded once: guarded again, so restore_cell gives
                // back exactly the stored text.
                vec!["''@SUM(A1)", "-10.50"],
                vec!["a,\"b\"\nc", "'+1"],
            ]
        );
        assert!(text.ends_with("\r\n"), "CRLF like the error report");
    }

    fn line(row: u32, error_type: ErrorType, message: &str) -> ReportLine {
        ReportLine {
            row_number: row,
            vendor_product_id: format!("PROD{row:04}"),
            sku: format!("SKU-{row:03}"),
            product_name: "Invalid Product".into(),
            error_type,
            error_message: message.into(),
            price: "-10.00".into(),
            stock_quantity: "100".into(),
        }
    }

    #[test]
    fn report_matches_the_documented_format() {
        let report = write_error_report(&[line(
            5,
            ErrorType::InvalidPrice,
            "Price must be at least 0.01",
        )]);
        assert_eq!(
            String::from_utf8(report).unwrap(),
            "Row Number,Vendor Product ID,SKU,Product Name,Error Type,Error Message,Price,Stock Quantity\r\n\
             5,PROD0005,SKU-005,Invalid Product,INVALID_PRICE,Price must be at least 0.01,-10.00,100\r\n"
        );
    }

    #[test]
    fn lines_are_ordered_by_row_then_rule() {
        let report = write_error_report(&[
            line(9, ErrorType::MissingRequiredField, "a"),
            line(2, ErrorType::FieldTooLong, "b"),
            line(2, ErrorType::InvalidPrice, "c"),
            line(2, ErrorType::InvalidPrice, "d"),
        ]);
        let parsed = parse_error_report(&report).unwrap();
        let order: Vec<&str> = parsed.iter().map(|l| l.error_message.as_str()).collect();
        assert_eq!(order, vec!["c", "d", "b", "a"]);
    }

    #[test]
    fn formulas_are_neutralised_but_numbers_are_not() {
        let mut l = line(1, ErrorType::InvalidPrice, "m");
        l.product_name = "=HYPERLINK(\"http://evil\")".into();
        l.sku = "+SKU".into();
        l.vendor_product_id = "@id".into();
        l.price = "-1+1".into();
        l.stock_quantity = "-5".into();
        let text = String::from_utf8(write_error_report(&[l.clone()])).unwrap();
        let data = text.lines().nth(1).unwrap();
        assert_eq!(
            data,
            "1,'@id,'+SKU,\"'=HYPERLINK(\"\"http://evil\"\")\",INVALID_PRICE,m,'-1+1,-5"
        );
        assert_eq!(parse_error_report(text.as_bytes()).unwrap(), vec![l]);
    }

    #[test]
    fn quoting_follows_rfc_4180() {
        let mut l = line(1, ErrorType::InvalidPrice, "has, comma");
        l.product_name = "Line\nbreak \"quoted\"".into();
        let text = String::from_utf8(write_error_report(&[l.clone()])).unwrap();
        assert!(text.contains("\"Line\nbreak \"\"quoted\"\"\""));
        assert!(text.contains("\"has, comma\""));
        assert_eq!(parse_error_report(text.as_bytes()).unwrap(), vec![l]);
    }

    #[test]
    fn guard_is_reversible_even_for_cells_starting_with_the_guard() {
        for cell in [
            "'=x", "''=x", "'plain", "=", "'", "", "-", "a=b", "-10.00", "'-10.00", "-1e5", "\t1",
        ] {
            assert_eq!(restore_cell(&neutralise_cell(cell)), cell, "{cell:?}");
        }
    }

    #[test]
    fn only_formulas_are_neutralised() {
        for (cell, neutralised) in [
            ("-10.00", "-10.00"),
            ("-5", "-5"),
            ("19.99", "19.99"),
            ("-", "'-"),
            ("-SKU7", "'-SKU7"),
            ("+5", "'+5"),
            ("-1+1", "'-1+1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("a-b", "a-b"),
            (" =1", " =1"),
        ] {
            assert_eq!(neutralise_cell(cell), neutralised, "{cell:?}");
        }
    }

    #[test]
    fn a_wrong_header_is_refused() {
        let err = parse_error_report(b"a,b\r\n1,2\r\n").unwrap_err();
        assert!(matches!(err, ReportError::Header { .. }));
    }

    #[test]
    fn fix_file_keeps_vendor_columns_and_cells_with_formulas_neutralised() {
        let columns: Vec<String> = ["sku", "price", "Notes", "=cmd"].map(String::from).into();
        let rows = [
            FixRow {
                row_number: 7,
                fields: ["-SKU7", "-10.00", "@n", "x"].map(String::from).into(),
                messages: vec!["Price '-10.00' is bad.".into(), "Other.".into()],
            },
            FixRow {
                row_number: 3,
                fields: vec!["SKU3".into()],
                messages: vec!["Row has 1 cells".into()],
            },
        ];
        let text = String::from_utf8(write_fix_file(&columns, &rows)).unwrap();
        assert_eq!(
            text,
            "sku,price,Notes,'=cmd,errors\r\nSKU3,,,,Row has 1 cells\r\n'-SKU7,-10.00,'@n,x,Price '-10.00' is bad. | Other.\r\n"
        );
    }
}

//! A table, as aligned plain text or as Markdown.

use std::fmt::Write as _;

pub(super) struct TextTable {
    pub headers: Vec<String>,
    /// Right-aligned columns (the numbers).
    pub right: Vec<bool>,
    pub rows: Vec<Vec<String>>,
}

impl TextTable {
    /// A table with fixed headers; `right` marks the right-aligned columns.
    pub fn new(headers: &[&str], right: &[bool], rows: Vec<Vec<String>>) -> TextTable {
        TextTable {
            headers: headers.iter().map(|header| header.to_string()).collect(),
            right: right.to_vec(),
            rows,
        }
    }

    pub fn render(&self, markdown: bool) -> String {
        if markdown {
            self.markdown()
        } else {
            self.text()
        }
    }

    fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "| {} |", self.headers.join(" | "));
        let rule: Vec<&str> = self
            .right
            .iter()
            .map(|right| if *right { "---:" } else { "---" })
            .collect();
        let _ = writeln!(out, "|{}|", rule.join("|"));
        for row in &self.rows {
            let _ = writeln!(out, "| {} |", row.join(" | "));
        }
        out
    }

    /// Columns padded to their widest cell and two spaces apart, numbers
    /// right-aligned, Markdown's bold marks dropped.
    fn text(&self) -> String {
        let mut out = String::new();
        let columns = self.headers.len();
        let widths: Vec<usize> = (0..columns)
            .map(|column| {
                std::iter::once(&self.headers[column])
                    .chain(self.rows.iter().map(|row| &row[column]))
                    .map(|cell| cell.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut write_row = |cells: &[String]| {
            let mut text = String::new();
            for (column, cell) in cells.iter().enumerate() {
                let cell = cell.replace("**", "");
                let pad = widths[column].saturating_sub(cell.chars().count());
                let last = column + 1 == columns;
                if self.right[column] {
                    text.push_str(&" ".repeat(pad));
                    text.push_str(&cell);
                } else if last {
                    text.push_str(&cell);
                } else {
                    text.push_str(&cell);
                    text.push_str(&" ".repeat(pad));
                }
                if !last {
                    text.push_str("  ");
                }
            }
            let _ = writeln!(out, "{}", text.trim_end());
        };
        write_row(&self.headers);
        for row in &self.rows {
            write_row(row);
        }
        out
    }
}

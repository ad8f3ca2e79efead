//! The product CSV's columns, and how a header row maps onto them.

use std::fmt;

/// A column of the product CSV format, in the order the format documents them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    VendorProductId,
    ProductName,
    Category,
    Subcategory,
    Description,
    Sku,
    Brand,
    Price,
    CompareAtPrice,
    StockQuantity,
    Unit,
    WeightKg,
    DimensionsCm,
    ImageUrl,
}

impl Column {
    pub const ALL: [Column; 14] = [
        Column::VendorProductId,
        Column::ProductName,
        Column::Category,
        Column::Subcategory,
        Column::Description,
        Column::Sku,
        Column::Brand,
        Column::Price,
        Column::CompareAtPrice,
        Column::StockQuantity,
        Column::Unit,
        Column::WeightKg,
        Column::DimensionsCm,
        Column::ImageUrl,
    ];

    pub const REQUIRED: [Column; 6] = [
        Column::VendorProductId,
        Column::ProductName,
        Column::Category,
        Column::Sku,
        Column::Price,
        Column::StockQuantity,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Column::VendorProductId => "vendor_product_id",
            Column::ProductName => "product_name",
            Column::Category => "category",
            Column::Subcategory => "subcategory",
            Column::Description => "description",
            Column::Sku => "sku",
            Column::Brand => "brand",
            Column::Price => "price",
            Column::CompareAtPrice => "compare_at_price",
            Column::StockQuantity => "stock_quantity",
            Column::Unit => "unit",
            Column::WeightKg => "weight_kg",
            Column::DimensionsCm => "dimensions_cm",
            Column::ImageUrl => "image_url",
        }
    }

    pub fn is_required(self) -> bool {
        Self::REQUIRED.contains(&self)
    }

    /// The most characters the catalog stores for this column (the schema's VARCHAR bound).
    pub fn max_chars(self) -> usize {
        match self {
            Column::VendorProductId => 100,
            Column::ProductName => 200,
            Column::Category => 100,
            Column::Subcategory => 100,
            Column::Description => 2000,
            Column::Sku => 100,
            Column::Brand => 100,
            Column::Price => 20,
            Column::CompareAtPrice => 20,
            Column::StockQuantity => 20,
            Column::Unit => 50,
            Column::WeightKg => 20,
            Column::DimensionsCm => 50,
            Column::ImageUrl => 2048,
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// Parses a header cell. Case, surrounding whitespace, and the choice of
    /// space, hyphen or underscore between words do not matter, so `Product Name`
    /// and ` PRODUCT_NAME ` both name [`Column::ProductName`].
    pub fn from_header(cell: &str) -> Option<Column> {
        let normalized = normalize_header(cell);
        Column::ALL
            .into_iter()
            .find(|column| column.name() == normalized)
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn normalize_header(cell: &str) -> String {
    let cell = cell.trim_start_matches('\u{feff}');
    let mut out = String::with_capacity(cell.len());
    for word in cell
        .split(|c: char| c.is_whitespace() || c == '_' || c == '-')
        .filter(|word| !word.is_empty())
    {
        if !out.is_empty() {
            out.push('_');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

/// Why a header row cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeaderProblem {
    MissingColumns(Vec<Column>),
    DuplicateColumn {
        column: Column,
        first: usize,
        second: usize,
    },
}

/// A file's header row: its columns in the vendor's order, and where each known column is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    source_columns: Vec<String>,
    positions: [Option<usize>; 14],
}

impl Header {
    /// Maps a header row. Unknown columns are kept (they go back into the fix file)
    /// but otherwise ignored; see [`Header::unknown_columns`].
    pub fn parse<S: AsRef<str>>(cells: &[S]) -> Result<Header, HeaderProblem> {
        let mut positions = [None; 14];
        for (position, cell) in cells.iter().enumerate() {
            if let Some(column) = Column::from_header(cell.as_ref()) {
                if let Some(first) = positions[column.index()] {
                    return Err(HeaderProblem::DuplicateColumn {
                        column,
                        first: first + 1,
                        second: position + 1,
                    });
                }
                positions[column.index()] = Some(position);
            }
        }
        let missing: Vec<Column> = Column::REQUIRED
            .into_iter()
            .filter(|column| positions[column.index()].is_none())
            .collect();
        if !missing.is_empty() {
            return Err(HeaderProblem::MissingColumns(missing));
        }
        let source_columns = cells
            .iter()
            .map(|cell| {
                cell.as_ref()
                    .trim_start_matches('\u{feff}')
                    .trim()
                    .to_string()
            })
            .collect();
        Ok(Header {
            source_columns,
            positions,
        })
    }

    /// The header cells as the vendor wrote them (trimmed), in file order.
    pub fn source_columns(&self) -> &[String] {
        &self.source_columns
    }

    pub fn width(&self) -> usize {
        self.source_columns.len()
    }

    pub fn position(&self, column: Column) -> Option<usize> {
        self.positions[column.index()]
    }

    /// The product column at `position`, if the rules read it.
    pub fn column_at(&self, position: usize) -> Option<Column> {
        Column::ALL
            .into_iter()
            .find(|column| self.position(*column) == Some(position))
    }

    pub fn unknown_columns(&self) -> Vec<&str> {
        self.source_columns
            .iter()
            .enumerate()
            .filter(|(position, _)| !self.positions.contains(&Some(*position)))
            .map(|(_, name)| name.as_str())
            .collect()
    }

    /// The trimmed value of `column` in `fields`, or `None` when the column is
    /// absent from the file or the cell is blank.
    pub fn value<'a>(&self, fields: &'a [String], column: Column) -> Option<&'a str> {
        let value = trim(fields.get(self.position(column)?)?);
        (!value.is_empty()).then_some(value)
    }
}

/// [`str::trim`], with a shortcut for the usual cell that starts and ends
/// with a visible ASCII character and so has nothing to trim.
fn trim(cell: &str) -> &str {
    match cell.as_bytes() {
        [first, .., last] if first.is_ascii_graphic() && last.is_ascii_graphic() => cell,
        [only] if only.is_ascii_graphic() => cell,
        _ => cell.trim(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_cells_match_case_and_separator_insensitively() {
        assert_eq!(
            Column::from_header(" Vendor Product ID "),
            Some(Column::VendorProductId)
        );
        assert_eq!(Column::from_header("SKU"), Some(Column::Sku));
        assert_eq!(
            Column::from_header("\u{feff}vendor_product_id"),
            Some(Column::VendorProductId)
        );
        assert_eq!(
            Column::from_header("compare-at-price"),
            Some(Column::CompareAtPrice)
        );
        assert_eq!(Column::from_header("colour"), None);
    }

    #[test]
    fn header_in_any_order_with_extra_columns() {
        let header = Header::parse(&[
            "price",
            "SKU",
            "notes",
            "Stock_Quantity",
            "category",
            "product name",
            "vendor_product_id",
        ])
        .unwrap();
        assert_eq!(header.position(Column::Price), Some(0));
        assert_eq!(header.position(Column::VendorProductId), Some(6));
        assert_eq!(header.position(Column::Brand), None);
        assert_eq!(header.unknown_columns(), vec!["notes"]);
    }

    #[test]
    fn missing_required_columns_are_all_named() {
        let problem =
            Header::parse(&["vendor_product_id", "product_name", "category"]).unwrap_err();
        assert_eq!(
            problem,
            HeaderProblem::MissingColumns(vec![Column::Sku, Column::Price, Column::StockQuantity])
        );
    }

    #[test]
    fn a_column_given_twice_is_a_problem() {
        let problem = Header::parse(&[
            "vendor_product_id",
            "product_name",
            "category",
            "sku",
            "price",
            "stock_quantity",
            "SKU",
        ])
        .unwrap_err();
        assert_eq!(
            problem,
            HeaderProblem::DuplicateColumn {
                column: Column::Sku,
                first: 4,
                second: 7
            }
        );
    }

    proptest::proptest! {
        #[test]
        fn the_trim_shortcut_is_str_trim(cell in "\\PC{0,6}|[ \t\u{a0}\u{3000}a-z]{0,4}") {
            proptest::prop_assert_eq!(trim(&cell), cell.trim());
        }
    }

    #[test]
    fn values_are_trimmed_and_blank_is_absent() {
        let header = Header::parse(&Column::REQUIRED.map(Column::name)).unwrap();
        let fields: Vec<String> = ["  P1 ", "Mouse", "   ", "007", "1", "2"]
            .map(String::from)
            .into();
        assert_eq!(header.value(&fields, Column::VendorProductId), Some("P1"));
        assert_eq!(header.value(&fields, Column::Category), None);
        assert_eq!(header.value(&fields, Column::Sku), Some("007"));
        assert_eq!(header.value(&fields, Column::Brand), None);
    }
}

//! The validation rules. Everything here is pure except the catalog lookup,
//! which is a trait the pipeline implements with PostgreSQL.
//!
//! See `docs/validation-rules.md` for the semantics in prose.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::future::Future;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::columns::{Column, Header};
use crate::errors::{ErrorType, RowError};
use crate::mode::UploadMode;
use crate::reader::SourceRow;
use crate::vendor_id::VendorId;

pub const MIN_PRICE: Decimal = Decimal::from_parts(1, 0, 0, false, 2);
pub const MAX_PRICE: Decimal = Decimal::from_parts(99_999_999, 0, 0, false, 2);
pub const MAX_STOCK: u32 = 1_000_000;
pub const MAX_WEIGHT_KG: Decimal = Decimal::from_parts(99_999_999, 0, 0, false, 3);

const PRICE_GUIDE: &str = "Write prices as plain numbers from 0.01 to 999999.99 with at most 2 decimal places, like 19.99.";
const STOCK_GUIDE: &str = "Write the stock quantity as a whole number from 0 to 1000000, like 150.";
const WEIGHT_GUIDE: &str = "Write the weight in kilograms as a plain number greater than 0 with at most 3 decimal places, like 0.25.";
const DIMENSIONS_GUIDE: &str =
    "Write dimensions in centimetres as length x width x height, like 12x8x4 or 12.5 x 8 x 4.";

/// The approved categories. Matching ignores case and runs of whitespace; a
/// matched product is stored with the whitelist's spelling.
///
/// Every row looks its category up here, so the maps use foldhash rather
/// than SipHash. The keys are the marketplace's own names, not the vendor's,
/// and the tie-break in [`CategoryWhitelist::closest`] makes its answer
/// independent of the maps' order.
#[derive(Clone, Debug, Default)]
pub struct CategoryWhitelist {
    canonical_by_key: HashMap<String, String, foldhash::fast::RandomState>,
    exact_names: HashSet<String, foldhash::fast::RandomState>,
}

impl CategoryWhitelist {
    pub fn new<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let canonical_by_key: HashMap<String, String, _> = names
            .into_iter()
            .map(Into::into)
            .map(|name| (category_key(&name), name.trim().to_string()))
            .collect();
        let exact_names = canonical_by_key.values().cloned().collect();
        CategoryWhitelist {
            canonical_by_key,
            exact_names,
        }
    }

    pub fn len(&self) -> usize {
        self.canonical_by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.canonical_by_key.is_empty()
    }

    pub fn canonical(&self, category: &str) -> Option<&str> {
        // Most rows spell the category exactly; avoid building a key for them.
        if let Some(name) = self.exact_names.get(category) {
            return Some(name);
        }
        self.canonical_by_key
            .get(&category_key(category))
            .map(String::as_str)
    }

    /// The allowed category most like `category`, for the error message:
    /// a common name for it ("Apparel" is Clothing), else the closest
    /// spelling. `None` when nothing is close enough to be a fair guess,
    /// because a wrong suggestion misleads more than none.
    pub fn closest(&self, category: &str) -> Option<&str> {
        let key = category_key(category);
        let words: Vec<&str> = key
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.len() >= 3)
            .collect();
        for (term, target) in CATEGORY_SYNONYMS {
            if words
                .iter()
                .any(|w| w == term || w.strip_suffix('s') == Some(term))
                && let Some(canonical) = self.canonical(target)
            {
                return Some(canonical);
            }
        }
        // Edit distance, plus a bonus for sharing a word, so that "Kitchen"
        // suggests "Home & Kitchen" rather than a short unrelated name.
        let score = |candidate: &str| {
            let shares_word = candidate
                .split(' ')
                .filter(|c| c.len() >= 3)
                .any(|c| words.iter().any(|w| c.starts_with(w) || w.starts_with(c)));
            let bonus = if shares_word { 0.5 } else { 0.0 };
            strsim::normalized_damerau_levenshtein(&key, candidate) + bonus
        };
        self.canonical_by_key
            .iter()
            .map(|(candidate, canonical)| (score(candidate), canonical))
            .filter(|(score, _)| *score >= MIN_SUGGESTION_SCORE)
            .max_by(|(a, a_name), (b, b_name)| a.total_cmp(b).then_with(|| b_name.cmp(a_name)))
            .map(|(_, canonical)| canonical.as_str())
    }
}

/// Below this, the closest spelling is a coincidence, not a suggestion.
const MIN_SUGGESTION_SCORE: f64 = 0.5;

/// Words vendors use for the approved categories. A target missing from the
/// live whitelist is skipped, so the table never suggests a retired category.
const CATEGORY_SYNONYMS: &[(&str, &str)] = &[
    ("apparel", "Clothing"),
    ("clothes", "Clothing"),
    ("fashion", "Clothing"),
    ("shirt", "Clothing"),
    ("shoe", "Footwear"),
    ("sneaker", "Footwear"),
    ("boot", "Footwear"),
    ("gadget", "Electronics"),
    ("phone", "Mobile Accessories"),
    ("mobile", "Mobile Accessories"),
    ("laptop", "Computer Accessories"),
    ("computer", "Computer Accessories"),
    ("headphone", "Audio"),
    ("speaker", "Audio"),
    ("camera", "Cameras & Photo"),
    ("photography", "Cameras & Photo"),
    ("jewellery", "Jewelry & Watches"),
    ("jewelry", "Jewelry & Watches"),
    ("watch", "Jewelry & Watches"),
    ("luggage", "Bags & Luggage"),
    ("bag", "Bags & Luggage"),
    ("cosmetic", "Beauty & Personal Care"),
    ("makeup", "Beauty & Personal Care"),
    ("skincare", "Beauty & Personal Care"),
    ("beauty", "Beauty & Personal Care"),
    ("fitness", "Health & Wellness"),
    ("vitamin", "Health & Wellness"),
    ("supplement", "Health & Wellness"),
    ("stationery", "Office Supplies"),
    ("office", "Office Supplies"),
    ("pet", "Pet Supplies"),
    ("dog", "Pet Supplies"),
    ("cat", "Pet Supplies"),
    ("car", "Automotive"),
    ("auto", "Automotive"),
    ("food", "Grocery"),
    ("groceries", "Grocery"),
    ("infant", "Baby"),
    ("toy", "Toys & Games"),
    ("game", "Toys & Games"),
    ("towel", "Bedding & Bath"),
    ("bedding", "Bedding & Bath"),
    ("decor", "Home Decor"),
    ("decoration", "Home Decor"),
    ("sport", "Sports & Outdoors"),
    ("garden", "Garden & Outdoor"),
    ("book", "Books"),
];

fn category_key(category: &str) -> String {
    category
        .split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A row that passed every rule, ready for the catalog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub row_number: u32,
    pub vendor_product_id: String,
    pub product_name: String,
    pub category: String,
    pub subcategory: Option<String>,
    pub description: Option<String>,
    pub sku: String,
    pub brand: Option<String>,
    pub price: Decimal,
    pub compare_at_price: Option<Decimal>,
    pub stock_quantity: i32,
    pub unit: Option<String>,
    pub weight_kg: Option<Decimal>,
    pub dimensions_cm: Option<String>,
    pub image_url: Option<String>,
}

/// The cells of a row that the error report repeats on each of its lines,
/// as the vendor wrote them (trimmed).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowIdentity {
    pub vendor_product_id: String,
    pub sku: String,
    pub product_name: String,
    pub price: String,
    pub stock_quantity: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowOutcome {
    Valid(Box<Product>),
    Invalid(Vec<RowError>),
}

impl RowOutcome {
    /// The words `row_outcomes.outcome` keeps (its CHECK constraint lists
    /// the same); queries bind them.
    pub const VALID: &'static str = "valid";
    pub const INVALID: &'static str = "invalid";

    pub fn as_str(&self) -> &'static str {
        match self {
            RowOutcome::Valid(_) => RowOutcome::VALID,
            RowOutcome::Invalid(_) => RowOutcome::INVALID,
        }
    }
}

/// The verdict on one row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedRow {
    pub row_number: u32,
    pub identity: RowIdentity,
    pub outcome: RowOutcome,
}

impl CheckedRow {
    pub fn is_valid(&self) -> bool {
        matches!(self.outcome, RowOutcome::Valid(_))
    }

    pub fn errors(&self) -> &[RowError] {
        match &self.outcome {
            RowOutcome::Valid(_) => &[],
            RowOutcome::Invalid(errors) => errors,
        }
    }

    fn add_error(&mut self, error: RowError) {
        match &mut self.outcome {
            RowOutcome::Valid(_) => self.outcome = RowOutcome::Invalid(vec![error]),
            RowOutcome::Invalid(errors) => {
                errors.push(error);
                sort_errors(errors);
            }
        }
    }
}

/// Earlier rows of the same file that already used this row's SKU or vendor
/// product id. The first occurrence (lowest row number) wins.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarlierRows {
    pub sku: Option<u32>,
    pub vendor_product_id: Option<u32>,
}

/// Finds in-file duplicates. Feed it rows in file order; it remembers the first
/// row of each SKU and vendor product id.
#[derive(Debug, Default)]
pub struct FileDuplicates {
    skus: SeenValues,
    vendor_product_ids: SeenValues,
}

/// The first row of each value. The keys are the vendor's, so the hasher
/// must stay seeded at random (hostile keys must not collide on purpose);
/// foldhash's `RandomState` is, with a fresh seed for every map, and hashes
/// short keys several times faster than the standard SipHash. Nothing
/// iterates the map, so its seed never shows in any output.
type SeenValues = HashMap<String, u32, foldhash::fast::RandomState>;

impl FileDuplicates {
    pub fn observe(&mut self, header: &Header, row: &SourceRow) -> EarlierRows {
        if is_malformed(header, row) {
            return EarlierRows::default();
        }
        let first_row = |seen: &mut SeenValues, column| {
            let value = header.value(&row.fields, column)?;
            // Most values are new and need an owned key anyway: one lookup
            // through `entry` rather than a `get` and then an `insert`.
            match seen.entry(value.to_string()) {
                Entry::Occupied(first) => (*first.get() != row.row_number).then_some(*first.get()),
                Entry::Vacant(slot) => {
                    slot.insert(row.row_number);
                    None
                }
            }
        };
        EarlierRows {
            sku: first_row(&mut self.skus, Column::Sku),
            vendor_product_id: first_row(&mut self.vendor_product_ids, Column::VendorProductId),
        }
    }
}

pub(crate) fn is_malformed(header: &Header, row: &SourceRow) -> bool {
    let width = header.width();
    match row.fields.len().cmp(&width) {
        std::cmp::Ordering::Equal => false,
        std::cmp::Ordering::Less => true,
        // Spreadsheets sometimes leave empty cells past the last column.
        std::cmp::Ordering::Greater => row.fields[width..].iter().any(|f| !f.trim().is_empty()),
    }
}

/// Applies every rule that needs no catalog to one row.
pub fn check_row(
    header: &Header,
    row: &SourceRow,
    categories: &CategoryWhitelist,
    earlier: EarlierRows,
) -> CheckedRow {
    // Every rule reads cells through `value`; trim each cell once per row
    // rather than at every look.
    let values = Column::ALL.map(|column| header.value(&row.fields, column));
    let value = |column: Column| values[column as usize];
    let identity = RowIdentity {
        vendor_product_id: value(Column::VendorProductId)
            .unwrap_or_default()
            .to_string(),
        sku: value(Column::Sku).unwrap_or_default().to_string(),
        product_name: value(Column::ProductName).unwrap_or_default().to_string(),
        price: value(Column::Price).unwrap_or_default().to_string(),
        stock_quantity: value(Column::StockQuantity).unwrap_or_default().to_string(),
    };
    let outcome = if !row.problems.is_empty() {
        RowOutcome::Invalid(row.problems.clone())
    } else if is_malformed(header, row) {
        RowOutcome::Invalid(vec![RowError::wrong_cell_count(
            row.fields.len(),
            header.width(),
        )])
    } else {
        RowRules {
            row_number: row.row_number,
            value: &value,
            categories,
            earlier,
            errors: Vec::new(),
        }
        .check()
    };
    CheckedRow {
        row_number: row.row_number,
        identity,
        outcome,
    }
}

struct RowRules<'a, F> {
    row_number: u32,
    value: &'a F,
    categories: &'a CategoryWhitelist,
    earlier: EarlierRows,
    errors: Vec<RowError>,
}

impl<'a, F> RowRules<'a, F>
where
    F: Fn(Column) -> Option<&'a str>,
{
    fn fail(&mut self, error_type: ErrorType, column: Column, message: String) {
        self.errors
            .push(RowError::new(error_type, Some(column.name()), message));
    }

    fn check(mut self) -> RowOutcome {
        for column in Column::REQUIRED {
            if (self.value)(column).is_none() {
                self.fail(
                    ErrorType::MissingRequiredField,
                    column,
                    format!("Required field '{column}' is missing or blank."),
                );
            }
        }
        let price = (self.value)(Column::Price).and_then(|raw| self.price(raw));
        let stock_quantity = (self.value)(Column::StockQuantity).and_then(|raw| self.stock(raw));
        let category = (self.value)(Column::Category).and_then(|raw| self.category(raw));
        self.duplicates();
        self.lengths();
        let compare_at_price =
            (self.value)(Column::CompareAtPrice).and_then(|raw| self.compare_at_price(raw, price));
        let weight_kg = (self.value)(Column::WeightKg).and_then(|raw| self.weight(raw));
        if let Some(raw) = (self.value)(Column::DimensionsCm) {
            self.dimensions(raw);
        }
        if let Some(raw) = (self.value)(Column::ImageUrl) {
            self.image_url(raw);
        }

        if !self.errors.is_empty() {
            sort_errors(&mut self.errors);
            return RowOutcome::Invalid(self.errors);
        }
        let text = |column| (self.value)(column).map(str::to_string);
        let required = |column| text(column).unwrap_or_default();
        RowOutcome::Valid(Box::new(Product {
            row_number: self.row_number,
            vendor_product_id: required(Column::VendorProductId),
            product_name: required(Column::ProductName),
            category: category.unwrap_or_default(),
            subcategory: text(Column::Subcategory),
            description: text(Column::Description),
            sku: required(Column::Sku),
            brand: text(Column::Brand),
            price: price.unwrap_or_default(),
            compare_at_price: compare_at_price.flatten(),
            stock_quantity: stock_quantity.unwrap_or_default(),
            unit: text(Column::Unit),
            weight_kg,
            dimensions_cm: text(Column::DimensionsCm),
            image_url: text(Column::ImageUrl),
        }))
    }

    fn price(&mut self, raw: &str) -> Option<Decimal> {
        match parse_amount(raw, 2) {
            Ok(price) if price < MIN_PRICE => self.fail(
                ErrorType::InvalidPrice,
                Column::Price,
                format!("Price must be at least 0.01, got '{raw}'. {PRICE_GUIDE}"),
            ),
            Ok(price) if price > MAX_PRICE => self.fail(
                ErrorType::InvalidPrice,
                Column::Price,
                format!("Price must be at most 999999.99, got '{raw}'. {PRICE_GUIDE}"),
            ),
            Ok(price) => return Some(price),
            Err(problem) => self.fail(
                ErrorType::InvalidPrice,
                Column::Price,
                format!("Price '{raw}' {}. {PRICE_GUIDE}", problem.describe(2)),
            ),
        }
        None
    }

    fn stock(&mut self, raw: &str) -> Option<i32> {
        let digits = raw;
        let message = if let Some(negative) = raw.strip_prefix('-') {
            if !negative.is_empty() && negative.bytes().all(|b| b.is_ascii_digit()) {
                format!("Stock quantity must be at least 0, got '{raw}'.")
            } else {
                format!("Stock quantity '{raw}' is not a whole number.")
            }
        } else if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            format!("Stock quantity '{raw}' is not a whole number.")
        } else {
            let significant = digits.trim_start_matches('0');
            match significant.parse::<u32>() {
                _ if significant.is_empty() => return Some(0),
                Ok(stock) if stock <= MAX_STOCK => return i32::try_from(stock).ok(),
                _ => format!("Stock quantity must be at most 1000000, got '{raw}'."),
            }
        };
        self.fail(
            ErrorType::InvalidStockQuantity,
            Column::StockQuantity,
            format!("{message} {STOCK_GUIDE}"),
        );
        None
    }

    fn category(&mut self, raw: &str) -> Option<String> {
        if let Some(canonical) = self.categories.canonical(raw) {
            return Some(canonical.to_string());
        }
        let hint = match self.categories.closest(raw) {
            Some(closest) if raw.chars().count() <= Column::Category.max_chars() => {
                format!(" The closest allowed category is '{closest}'.")
            }
            _ => String::new(),
        };
        self.fail(
            ErrorType::InvalidCategory,
            Column::Category,
            format!(
                "Category '{}' is not an allowed category.{hint}",
                shorten(raw)
            ),
        );
        None
    }

    fn duplicates(&mut self) {
        if let (Some(first), Some(sku)) = (self.earlier.sku, (self.value)(Column::Sku)) {
            self.fail(
                ErrorType::DuplicateSku,
                Column::Sku,
                format!(
                    "Duplicate SKU: {} already appears in row {first} of this file.",
                    shorten(sku)
                ),
            );
        }
        if let (Some(first), Some(id)) = (
            self.earlier.vendor_product_id,
            (self.value)(Column::VendorProductId),
        ) {
            self.fail(
                ErrorType::DuplicateVendorProductId,
                Column::VendorProductId,
                format!(
                    "Duplicate vendor product ID: {} already appears in row {first} of this file.",
                    shorten(id)
                ),
            );
        }
    }

    fn lengths(&mut self) {
        for column in Column::ALL {
            if is_numeric(column) {
                continue;
            }
            if let Some(value) = (self.value)(column) {
                let limit = column.max_chars();
                // A character is at least one byte: a cell no longer in bytes
                // than the limit needs no counting.
                if value.len() <= limit {
                    continue;
                }
                let chars = value.chars().count();
                if chars > limit {
                    self.errors.push(RowError::too_long(column, chars));
                }
            }
        }
    }

    /// `Some(None)` means "present but unusable"; the outer `None` that the
    /// error was recorded.
    fn compare_at_price(&mut self, raw: &str, price: Option<Decimal>) -> Option<Option<Decimal>> {
        let message = match parse_amount(raw, 2) {
            Ok(amount) if amount < MIN_PRICE || amount > MAX_PRICE => {
                format!("Compare-at price must be from 0.01 to 999999.99, got '{raw}'.")
            }
            Ok(amount) => match price {
                Some(price) if amount < price => format!(
                    "Compare-at price {raw} is less than the price {price}; it must be at least the price, or left blank."
                ),
                _ => return Some(Some(amount)),
            },
            Err(problem) => format!(
                "Compare-at price '{raw}' {}. {PRICE_GUIDE}",
                problem.describe(2)
            ),
        };
        self.fail(
            ErrorType::InvalidCompareAtPrice,
            Column::CompareAtPrice,
            message,
        );
        None
    }

    fn weight(&mut self, raw: &str) -> Option<Decimal> {
        let message = match parse_amount(raw, 3) {
            Ok(weight) if weight <= Decimal::ZERO => {
                format!("Weight must be greater than 0 kg, got '{raw}'.")
            }
            Ok(weight) if weight > MAX_WEIGHT_KG => {
                format!("Weight must be at most 99999.999 kg, got '{raw}'.")
            }
            Ok(weight) => return Some(weight),
            Err(problem) => format!("Weight '{raw}' {}.", problem.describe(3)),
        };
        self.fail(
            ErrorType::InvalidWeight,
            Column::WeightKg,
            format!("{message} {WEIGHT_GUIDE}"),
        );
        None
    }

    fn dimensions(&mut self, raw: &str) {
        if !is_dimensions(raw) {
            self.fail(
                ErrorType::InvalidDimensions,
                Column::DimensionsCm,
                format!(
                    "Dimensions '{}' are not valid. {DIMENSIONS_GUIDE}",
                    shorten(raw)
                ),
            );
        }
    }

    fn image_url(&mut self, raw: &str) {
        let problem = match url::Url::parse(raw) {
            Ok(url) if !matches!(url.scheme(), "http" | "https") => {
                "must start with http:// or https://"
            }
            Ok(url) if url.host_str().is_none_or(str::is_empty) => "has no host name",
            Ok(_) if raw.chars().any(char::is_whitespace) => "contains spaces; encode them as %20",
            Ok(_) => return,
            Err(_) => "is not a valid web address",
        };
        self.fail(
            ErrorType::InvalidImageUrl,
            Column::ImageUrl,
            format!(
                "Image URL '{}' {problem}. Use a full address like https://images.example.com/product.jpg.",
                shorten(raw)
            ),
        );
    }
}

fn is_numeric(column: Column) -> bool {
    matches!(
        column,
        Column::Price | Column::CompareAtPrice | Column::StockQuantity | Column::WeightKg
    )
}

/// Keeps messages readable when a cell is huge.
fn shorten(value: &str) -> String {
    const LIMIT: usize = 120;
    if value.chars().count() <= LIMIT {
        value.to_string()
    } else {
        let head: String = value.chars().take(LIMIT).collect();
        format!("{head}…")
    }
}

fn sort_errors(errors: &mut [RowError]) {
    let column_order = |error: &RowError| {
        error
            .field
            .as_deref()
            .and_then(Column::from_header)
            .map_or(-1, |c| c as i32)
    };
    errors.sort_by_key(|e| (e.error_type.rank(), column_order(e)));
}

#[derive(Debug, PartialEq, Eq)]
enum AmountProblem {
    NotPlainNumber,
    TooManyDecimals,
}

impl AmountProblem {
    fn describe(&self, decimals: u32) -> String {
        match self {
            AmountProblem::NotPlainNumber => {
                "is not a plain number (no currency symbols, thousands separators, spaces or exponents)".to_string()
            }
            AmountProblem::TooManyDecimals => format!("has more than {decimals} decimal places"),
        }
    }
}

/// Parses `[-]digits[.digits]` with at most `decimals` decimal places; the
/// caller checks the range, so that `-10.00` is "below the minimum" rather than
/// "not a number". Anything else (`+`, exponents, separators, symbols, NaN) is
/// refused.
fn parse_amount(raw: &str, decimals: u32) -> Result<Decimal, AmountProblem> {
    if let Some(rest) = raw.strip_prefix('-') {
        return parse_amount(rest, decimals).map(|amount| -amount);
    }
    // A plain byte loop: these cells are a few bytes long, too short for
    // `split_once`'s searcher to pay for itself.
    let (whole, fraction) = match raw.bytes().position(|b| b == b'.') {
        Some(dot) => (&raw[..dot], Some(&raw[dot + 1..])),
        None => (raw, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || fraction.is_some_and(|f| !all_digits(f)) {
        return Err(AmountProblem::NotPlainNumber);
    }
    if fraction.is_some_and(|f| f.len() > decimals as usize) {
        return Err(AmountProblem::TooManyDecimals);
    }
    let significant = whole.trim_start_matches('0');
    if significant.len() > 12 {
        // Far beyond any limit; avoid overflowing the decimal.
        return Ok(Decimal::MAX);
    }
    // Without trailing zeros the scale is already the normalised one.
    let fraction = fraction.unwrap_or_default().trim_end_matches('0');
    if whole.len() + fraction.len() <= 18 {
        // At most 18 digits fit an i64 whatever they are: build the decimal
        // from them directly rather than through the general text parser,
        // which gives the same value, normalised.
        let mantissa = whole
            .bytes()
            .chain(fraction.bytes())
            .fold(0_i64, |mantissa, digit| {
                mantissa * 10 + i64::from(digit - b'0')
            });
        return Ok(Decimal::new(mantissa, fraction.len() as u32));
    }
    raw.parse::<Decimal>()
        .map(|d| d.normalize())
        .map_err(|_| AmountProblem::NotPlainNumber)
}

const MAX_DIMENSION_CM: Decimal = Decimal::from_parts(100_000, 0, 0, false, 0);

fn is_dimensions(raw: &str) -> bool {
    // Exactly three parts, each a size; counted as they come, without
    // collecting them.
    let mut parts = 0;
    raw.split(['x', 'X', '×']).map(str::trim).all(|part| {
        parts += 1;
        parts <= 3
            && parse_amount(part, 2).is_ok_and(|d| d > Decimal::ZERO && d <= MAX_DIMENSION_CM)
    }) && parts == 3
}

// ---- Catalog rules (5 and 6 against existing products) ----

/// The SKUs and vendor product ids of a batch that the catalog already holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CatalogMatches {
    pub skus: HashSet<String>,
    pub vendor_product_ids: HashSet<String>,
    /// The matched SKUs that are the vendor's own products, each with its
    /// vendor product id: what an upsert may update.
    pub own_skus: HashMap<String, String>,
}

/// The catalog, as the duplicate rules see it.
pub trait Catalog {
    type Error;

    /// Which of `skus` exist for any vendor, and which of `vendor_product_ids`
    /// exist for `vendor_id`. One round trip for a whole batch.
    fn find_existing(
        &self,
        vendor_id: &VendorId,
        skus: &[&str],
        vendor_product_ids: &[&str],
    ) -> impl Future<Output = Result<CatalogMatches, Self::Error>> + Send;
}

/// Adds the catalog duplicate errors to a batch of checked rows. A catalog
/// duplicate replaces an in-file duplicate message for the same rule: the
/// catalog conflict stands even if the earlier row is fixed.
pub fn apply_catalog_matches(rows: &mut [CheckedRow], matches: &CatalogMatches) {
    apply_catalog_matches_in(UploadMode::Create, rows, matches)
}

/// [`apply_catalog_matches`] for an upload of either mode. In `upsert`, a row
/// naming one of the vendor's own products by both its SKU and its vendor
/// product id is an update, not a duplicate; another vendor's SKU, or the
/// vendor's SKU under a different product id, still is.
pub fn apply_catalog_matches_in(
    mode: UploadMode,
    rows: &mut [CheckedRow],
    matches: &CatalogMatches,
) {
    for row in rows {
        if row
            .errors()
            .iter()
            .any(|e| e.error_type == ErrorType::MalformedRow)
        {
            continue;
        }
        if mode.is_upsert()
            && matches
                .own_skus
                .get(&row.identity.sku)
                .is_some_and(|id| *id == row.identity.vendor_product_id)
        {
            continue;
        }
        if !row.identity.sku.is_empty() && matches.skus.contains(&row.identity.sku) {
            remove_errors(row, ErrorType::DuplicateSku);
            let message = if mode.is_upsert() && !matches.own_skus.contains_key(&row.identity.sku) {
                format!(
                    "Duplicate SKU: {} belongs to another vendor's product; an upsert updates only your own products.",
                    shorten(&row.identity.sku)
                )
            } else {
                format!(
                    "Duplicate SKU: {} already exists in the catalog.",
                    shorten(&row.identity.sku)
                )
            };
            row.add_error(RowError::new(ErrorType::DuplicateSku, Some("sku"), message));
        }
        let id = row.identity.vendor_product_id.clone();
        if !id.is_empty() && matches.vendor_product_ids.contains(&id) {
            remove_errors(row, ErrorType::DuplicateVendorProductId);
            let message = format!(
                "Duplicate vendor product ID: {} already exists in your catalog.",
                shorten(&id)
            );
            row.add_error(RowError::new(
                ErrorType::DuplicateVendorProductId,
                Some("vendor_product_id"),
                message,
            ));
        }
    }
}

fn remove_errors(row: &mut CheckedRow, error_type: ErrorType) {
    if let RowOutcome::Invalid(errors) = &mut row.outcome {
        errors.retain(|e| e.error_type != error_type);
    }
}

/// Looks the batch up in the catalog once and applies the duplicate rules.
pub async fn check_against_catalog<C: Catalog>(
    catalog: &C,
    vendor_id: &VendorId,
    rows: &mut [CheckedRow],
) -> Result<(), C::Error> {
    check_against_catalog_in(UploadMode::Create, catalog, vendor_id, rows).await
}

/// [`check_against_catalog`] for an upload of either mode.
pub async fn check_against_catalog_in<C: Catalog>(
    mode: UploadMode,
    catalog: &C,
    vendor_id: &VendorId,
    rows: &mut [CheckedRow],
) -> Result<(), C::Error> {
    let skus: Vec<&str> = rows
        .iter()
        .map(|r| r.identity.sku.as_str())
        .filter(|s| !s.is_empty())
        .collect();
    let ids: Vec<&str> = rows
        .iter()
        .map(|r| r.identity.vendor_product_id.as_str())
        .filter(|s| !s.is_empty())
        .collect();
    if skus.is_empty() && ids.is_empty() {
        return Ok(());
    }
    let matches = catalog.find_existing(vendor_id, &skus, &ids).await?;
    apply_catalog_matches_in(mode, rows, &matches);
    Ok(())
}

/// Checks rows in file order, tracking in-file duplicates as it goes. This is
/// the whole rule set for one file, apart from the catalog.
pub struct FileChecker<'a> {
    header: &'a Header,
    categories: &'a CategoryWhitelist,
    duplicates: FileDuplicates,
}

impl<'a> FileChecker<'a> {
    pub fn new(header: &'a Header, categories: &'a CategoryWhitelist) -> Self {
        FileChecker {
            header,
            categories,
            duplicates: FileDuplicates::default(),
        }
    }

    pub fn check(&mut self, row: &SourceRow) -> CheckedRow {
        let earlier = self.duplicates.observe(self.header, row);
        check_row(self.header, row, self.categories, earlier)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What `parse_amount` gave before it built small amounts itself.
    fn through_the_parser(raw: &str) -> Decimal {
        raw.parse::<Decimal>().unwrap().normalize()
    }

    #[test]
    fn amounts_built_from_digits_are_the_parsers_to_the_scale() {
        for raw in [
            "0",
            "0.00",
            "000.000",
            "1",
            "1.0",
            "1.50",
            "19.99",
            "0.001",
            "007.100",
            "999999.99",
            "100000",
            "123456789012.345",
            "000000000000000001.5",
        ] {
            let built = parse_amount(raw, 3).unwrap();
            assert_eq!(built, through_the_parser(raw), "{raw}");
            assert_eq!(
                built.to_string(),
                through_the_parser(raw).to_string(),
                "{raw}"
            );
            assert_eq!(built.scale(), through_the_parser(raw).scale(), "{raw}");
        }
        // The sign is put on afterwards, as before: "-0.00" is minus zero.
        assert_eq!(
            parse_amount("-0.00", 2).unwrap().to_string(),
            (-through_the_parser("0.00")).to_string()
        );
    }

    proptest! {
        #[test]
        fn any_plain_amount_is_the_parsers(whole in "[0-9]{1,24}", fraction in proptest::option::of("[0-9]{1,3}")) {
            let raw = match &fraction {
                Some(fraction) => format!("{whole}.{fraction}"),
                None => whole.clone(),
            };
            let built = parse_amount(&raw, 3).unwrap();
            if whole.trim_start_matches('0').len() > 12 {
                prop_assert_eq!(built, Decimal::MAX);
            } else {
                let parsed = through_the_parser(&raw);
                prop_assert_eq!(built, parsed);
                prop_assert_eq!(built.scale(), parsed.scale());
                prop_assert_eq!(built.is_sign_negative(), parsed.is_sign_negative());
            }
        }
    }
}

//! A deterministic generator of product files with a known mix of errors,
//! for tests and benchmarks. The same spec always writes the same bytes.
//!
//! Each erroneous row carries exactly one planted error, so the counts it
//! returns are exactly what validation must find (without the catalog rules).

use std::collections::BTreeMap;
use std::io;

use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::columns::Column;
use crate::errors::ErrorType;
use crate::json_reader::JsonLayout;
use crate::vendor_id::VendorId;

#[derive(Clone, Debug, PartialEq)]
pub struct GeneratorSpec {
    pub rows: u32,
    /// The share of rows, from 0 to 1, that carry one planted error.
    pub error_rate: f64,
    pub seed: u64,
    pub vendor_id: VendorId,
}

/// What the generator planted: how many rows carry each error type.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Planted {
    pub rows: u32,
    pub invalid_rows: u32,
    pub by_type: BTreeMap<ErrorType, u32>,
}

const PLANTABLE: [ErrorType; 12] = ErrorType::ALL;

const ADJECTIVES: [&str; 12] = [
    "Wireless",
    "Ergonomic",
    "Compact",
    "Premium",
    "Classic",
    "Portable",
    "Deluxe",
    "Smart",
    "Organic",
    "Heavy-Duty",
    "Slim",
    "Vintage",
];
const NOUNS: [&str; 12] = [
    "Mouse",
    "Keyboard",
    "Headphones",
    "Jacket",
    "Sneakers",
    "Blender",
    "Lamp",
    "Backpack",
    "Water Bottle",
    "Desk Organizer",
    "Yoga Mat",
    "Coffee Mug",
];
const BRANDS: [&str; 6] = [
    "TechGear",
    "StyleWear",
    "HomeEssentials",
    "Acme",
    "Northwind",
    "Contoso",
];
const UNITS: [&str; 4] = ["piece", "pair", "set", "pack"];

/// Writes a product file to `out` and says what it planted. `categories`
/// must be non-empty; rows draw their category from it.
pub fn generate<W: io::Write>(
    spec: &GeneratorSpec,
    categories: &[&str],
    out: W,
) -> io::Result<Planted> {
    if categories.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "no categories to draw from",
        ));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let mut writer = csv::WriterBuilder::new().flexible(true).from_writer(out);
    writer.write_record(Column::ALL.map(Column::name))?;
    let mut planted = Planted {
        rows: spec.rows,
        ..Planted::default()
    };
    let mut clean_rows: Vec<(String, String)> = Vec::new();
    let tag = format!("{:06X}", spec.seed & 0xFF_FFFF);
    for n in 1..=spec.rows {
        let mut row = clean_row(&mut rng, spec, &tag, n, categories);
        let mut planted_type = None;
        if rng.random_bool(spec.error_rate.clamp(0.0, 1.0)) {
            let mut error_type = *PLANTABLE
                .choose(&mut rng)
                .unwrap_or(&ErrorType::InvalidPrice);
            let needs_earlier = matches!(
                error_type,
                ErrorType::DuplicateSku | ErrorType::DuplicateVendorProductId
            );
            if needs_earlier && clean_rows.is_empty() {
                error_type = ErrorType::InvalidPrice;
            }
            plant(&mut rng, &mut row, error_type, &clean_rows);
            planted_type = Some(error_type);
        }
        match planted_type {
            Some(error_type) => {
                planted.invalid_rows += 1;
                *planted.by_type.entry(error_type).or_default() += 1;
            }
            None => clean_rows.push((
                row[Column::Sku as usize].clone(),
                row[Column::VendorProductId as usize].clone(),
            )),
        }
        writer.write_record(&row)?;
    }
    writer.flush()?;
    Ok(planted)
}

fn clean_row(
    rng: &mut ChaCha8Rng,
    spec: &GeneratorSpec,
    tag: &str,
    n: u32,
    categories: &[&str],
) -> Vec<String> {
    let category = *categories.choose(rng).unwrap_or(&categories[0]);
    let prefix: String = category
        .split_whitespace()
        .filter_map(|w| w.chars().find(|c| c.is_ascii_alphabetic()))
        .take(2)
        .collect::<String>()
        .to_uppercase();
    let cents: u32 = rng.random_range(100..100_000);
    let price = format_cents(cents);
    let compare_at_price = if rng.random_bool(0.3) {
        format_cents(cents + cents / 5)
    } else {
        String::new()
    };
    let name = format!(
        "{} {} - Model {}",
        ADJECTIVES.choose(rng).unwrap_or(&"Classic"),
        NOUNS.choose(rng).unwrap_or(&"Mug"),
        rng.random_range(100..1000)
    );
    let grams: u32 = rng.random_range(50..20_000);
    let mut row = vec![String::new(); Column::ALL.len()];
    let mut set = |column: Column, value: String| row[column as usize] = value;
    set(Column::VendorProductId, format!("P{tag}-{n:06}"));
    set(Column::ProductName, name.clone());
    set(Column::Category, category.to_string());
    set(
        Column::Subcategory,
        if rng.random_bool(0.5) {
            "General".into()
        } else {
            String::new()
        },
    );
    set(
        Column::Description,
        format!("{name}, built to last. Ships in recyclable packaging."),
    );
    set(
        Column::Sku,
        format!("{prefix}-{}-{tag}-{n:06}", spec.vendor_id),
    );
    set(
        Column::Brand,
        BRANDS.choose(rng).unwrap_or(&"Acme").to_string(),
    );
    set(Column::Price, price);
    set(Column::CompareAtPrice, compare_at_price);
    set(
        Column::StockQuantity,
        rng.random_range(0..=1000).to_string(),
    );
    set(
        Column::Unit,
        UNITS.choose(rng).unwrap_or(&"piece").to_string(),
    );
    set(
        Column::WeightKg,
        format!("{}.{:03}", grams / 1000, grams % 1000),
    );
    set(
        Column::DimensionsCm,
        format!(
            "{}x{}x{}",
            rng.random_range(1..60),
            rng.random_range(1..60),
            rng.random_range(1..60)
        ),
    );
    set(
        Column::ImageUrl,
        format!(
            "https://images.example.com/{}/{n}.jpg",
            spec.vendor_id.as_str().to_lowercase()
        ),
    );
    row
}

fn format_cents(cents: u32) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn plant(
    rng: &mut ChaCha8Rng,
    row: &mut Vec<String>,
    error_type: ErrorType,
    clean_rows: &[(String, String)],
) {
    let mut set = |column: Column, value: &str| row[column as usize] = value.to_string();
    match error_type {
        ErrorType::MalformedRow => {
            row.truncate(Column::ALL.len() - 2);
        }
        ErrorType::MissingRequiredField => {
            let column = *Column::REQUIRED.choose(rng).unwrap_or(&Column::Sku);
            set(column, "");
        }
        ErrorType::InvalidPrice => {
            let value = *["$19.99", "1,299.00", "1e3", "19.999", "-5.00", "0", "free"]
                .choose(rng)
                .unwrap_or(&"free");
            set(Column::Price, value);
        }
        ErrorType::InvalidStockQuantity => {
            let value = *["10.5", "-1", "1e3", "1000001", "many"]
                .choose(rng)
                .unwrap_or(&"-1");
            set(Column::StockQuantity, value);
        }
        ErrorType::InvalidCategory => {
            let value = *["Gadgets", "Electronix", "Misc", "Food & Drink"]
                .choose(rng)
                .unwrap_or(&"Misc");
            set(Column::Category, value);
        }
        ErrorType::DuplicateSku => {
            if let Some((sku, _)) = clean_rows.choose(rng) {
                set(Column::Sku, sku);
            }
        }
        ErrorType::DuplicateVendorProductId => {
            if let Some((_, id)) = clean_rows.choose(rng) {
                set(Column::VendorProductId, id);
            }
        }
        ErrorType::FieldTooLong => {
            let length = rng.random_range(201..260);
            set(
                Column::ProductName,
                &"Extra Long Name ".repeat(20)[..length],
            );
        }
        ErrorType::InvalidCompareAtPrice => {
            set(Column::Price, "50.00");
            set(Column::CompareAtPrice, "49.99");
        }
        ErrorType::InvalidWeight => {
            let value = *["0", "-0.5", "heavy"].choose(rng).unwrap_or(&"0");
            set(Column::WeightKg, value);
        }
        ErrorType::InvalidDimensions => {
            let value = *["12x8", "large", "0x1x2"].choose(rng).unwrap_or(&"large");
            set(Column::DimensionsCm, value);
        }
        ErrorType::InvalidImageUrl => {
            let value = *["ftp://images.example.com/a.jpg", "images/a.jpg"]
                .choose(rng)
                .unwrap_or(&"images/a.jpg");
            set(Column::ImageUrl, value);
        }
    }
}

/// Rewrites a product CSV as JSON (an array of objects) or JSON Lines: the
/// same catalog in another format, for tests, benchmarks and vendors who want
/// an example. Each row becomes an object keyed by the header's cells; a cell
/// that is a JSON number as written (`19.99`, not `007` or ` 5`) becomes a
/// number, an empty cell is left out, and everything else is a string. Blank
/// rows are dropped, as the CSV reader skips them. A row of the wrong width
/// has no JSON form: it is written with the cells it has.
pub fn csv_to_json<W: io::Write>(csv: &[u8], layout: JsonLayout, mut out: W) -> io::Result<()> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv.strip_prefix(b"\xef\xbb\xbf").unwrap_or(csv));
    let mut records = reader.records();
    let header = match records.next() {
        Some(record) => record.map_err(io::Error::other)?,
        None => return Ok(()),
    };
    let mut first = true;
    if layout == JsonLayout::Array {
        out.write_all(b"[")?;
    }
    for record in records {
        let record = record.map_err(io::Error::other)?;
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let mut object = serde_json::Map::new();
        for (key, cell) in header.iter().zip(record.iter()) {
            if cell.is_empty() {
                continue;
            }
            let value = match serde_json::from_str::<serde_json::Number>(cell) {
                Ok(number) if number.to_string() == cell => serde_json::Value::Number(number),
                _ => serde_json::Value::String(cell.to_string()),
            };
            object.insert(key.to_string(), value);
        }
        let separator: &[u8] = match (layout, first) {
            (JsonLayout::Array, true) => b"\n",
            (JsonLayout::Array, false) => b",\n",
            (JsonLayout::Lines, _) => b"",
        };
        out.write_all(separator)?;
        serde_json::to_writer(&mut out, &object)?;
        if layout == JsonLayout::Lines {
            out.write_all(b"\n")?;
        }
        first = false;
    }
    if layout == JsonLayout::Array {
        out.write_all(b"\n]\n")?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(rows: u32, error_rate: f64, seed: u64) -> GeneratorSpec {
        GeneratorSpec {
            rows,
            error_rate,
            seed,
            vendor_id: VendorId::parse("VEND001").unwrap(),
        }
    }

    #[test]
    fn same_spec_same_bytes() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        generate(&spec(200, 0.2, 7), &["Electronics"], &mut a).unwrap();
        generate(&spec(200, 0.2, 7), &["Electronics"], &mut b).unwrap();
        assert_eq!(a, b);
        let mut c = Vec::new();
        generate(&spec(200, 0.2, 8), &["Electronics"], &mut c).unwrap();
        assert_ne!(a, c);
    }

    #[test]
    fn counts_add_up() {
        let planted = generate(&spec(1000, 0.3, 1), &["Electronics"], io::sink()).unwrap();
        assert_eq!(planted.rows, 1000);
        assert_eq!(planted.by_type.values().sum::<u32>(), planted.invalid_rows);
        assert!((200..400).contains(&planted.invalid_rows), "{planted:?}");
        assert_eq!(planted.by_type.len(), 12, "{planted:?}");
    }

    #[test]
    fn no_categories_is_an_error() {
        assert!(generate(&spec(1, 0.0, 1), &[], io::sink()).is_err());
    }
}

//! Every rule, with its edge cases, through the public API.

use std::collections::HashSet;
use std::convert::Infallible;

use onboarding_core::{
    Catalog, CatalogMatches, CategoryWhitelist, CheckedRow, EarlierRows, ErrorType, FileChecker,
    Header, RowOutcome, SourceRow, UploadMode, apply_catalog_matches, check_against_catalog,
    check_against_catalog_in, check_row,
};
use rust_decimal::Decimal;

const COLUMNS: [&str; 14] = [
    "vendor_product_id",
    "product_name",
    "category",
    "subcategory",
    "description",
    "sku",
    "brand",
    "price",
    "compare_at_price",
    "stock_quantity",
    "unit",
    "weight_kg",
    "dimensions_cm",
    "image_url",
];

/// The requirements' example row.
const EXAMPLE: [&str; 14] = [
    "PROD0001",
    "Wireless Mouse - Model 651",
    "Computer Accessories",
    "Mice & Keyboards",
    "Ergonomic wireless mouse...",
    "CA-VEND001-0001",
    "TechGear",
    "19.99",
    "",
    "150",
    "piece",
    "0.25",
    "12x8x4",
    "https://images.example.com/mouse.jpg",
];

fn header() -> Header {
    Header::parse(&COLUMNS).unwrap()
}

fn categories() -> CategoryWhitelist {
    CategoryWhitelist::new([
        "Computer Accessories",
        "Electronics",
        "Home & Kitchen",
        "Clothing",
    ])
}

fn row_with(changes: &[(&str, &str)]) -> SourceRow {
    let mut fields: Vec<String> = EXAMPLE.iter().map(|s| s.to_string()).collect();
    for (column, value) in changes {
        let position = COLUMNS.iter().position(|c| c == column).unwrap();
        fields[position] = value.to_string();
    }
    SourceRow {
        row_number: 5,
        fields,
        problems: Vec::new(),
    }
}

fn check(changes: &[(&str, &str)]) -> CheckedRow {
    check_row(
        &header(),
        &row_with(changes),
        &categories(),
        EarlierRows::default(),
    )
}

fn errors(changes: &[(&str, &str)]) -> Vec<(ErrorType, Option<String>, String)> {
    check(changes)
        .errors()
        .iter()
        .map(|e| (e.error_type, e.field.clone(), e.message.clone()))
        .collect()
}

fn types(changes: &[(&str, &str)]) -> Vec<ErrorType> {
    errors(changes).into_iter().map(|(t, _, _)| t).collect()
}

fn single(changes: &[(&str, &str)]) -> (ErrorType, String) {
    let errors = errors(changes);
    assert_eq!(errors.len(), 1, "{errors:?}");
    (errors[0].0, errors[0].2.clone())
}

#[test]
fn the_requirements_example_row_is_valid() {
    let checked = check(&[]);
    let RowOutcome::Valid(product) = checked.outcome else {
        panic!("{:?}", checked.outcome)
    };
    assert_eq!(product.row_number, 5);
    assert_eq!(product.sku, "CA-VEND001-0001");
    assert_eq!(product.price, Decimal::new(1999, 2));
    assert_eq!(product.stock_quantity, 150);
    assert_eq!(product.weight_kg, Some(Decimal::new(25, 2)));
    assert_eq!(product.compare_at_price, None);
    assert_eq!(product.subcategory.as_deref(), Some("Mice & Keyboards"));
}

// Rule 1
#[test]
fn required_fields_must_be_present_and_not_blank() {
    for column in [
        "vendor_product_id",
        "product_name",
        "category",
        "sku",
        "price",
        "stock_quantity",
    ] {
        for blank in ["", "   ", "\t"] {
            let errors = errors(&[(column, blank)]);
            assert_eq!(errors.len(), 1, "{column}: {errors:?}");
            assert_eq!(errors[0].0, ErrorType::MissingRequiredField);
            assert_eq!(errors[0].1.as_deref(), Some(column));
            assert!(errors[0].2.contains(column), "{}", errors[0].2);
        }
    }
}

#[test]
fn optional_fields_may_be_blank() {
    for column in COLUMNS.iter().filter(|c| {
        ![
            "vendor_product_id",
            "product_name",
            "category",
            "sku",
            "price",
            "stock_quantity",
        ]
        .contains(c)
    }) {
        assert!(check(&[(column, "")]).is_valid(), "{column}");
    }
}

#[test]
fn values_are_trimmed() {
    let checked = check(&[
        ("sku", "  SKU-1  "),
        ("price", " 5.00 "),
        ("stock_quantity", " 7 "),
    ]);
    let RowOutcome::Valid(product) = checked.outcome else {
        panic!()
    };
    assert_eq!(product.sku, "SKU-1");
    assert_eq!(product.stock_quantity, 7);
}

#[test]
fn ids_keep_leading_zeros() {
    let checked = check(&[("sku", "000123"), ("vendor_product_id", "0007")]);
    let RowOutcome::Valid(product) = checked.outcome else {
        panic!()
    };
    assert_eq!(product.sku, "000123");
    assert_eq!(product.vendor_product_id, "0007");
}

// Rule 2
#[test]
fn valid_prices() {
    for price in [
        "0.01",
        "1",
        "19.9",
        "19.99",
        "999999.99",
        "0019.99",
        "100.00",
    ] {
        assert!(check(&[("price", price)]).is_valid(), "{price}");
    }
}

#[test]
fn invalid_prices_say_what_a_price_looks_like() {
    for price in [
        "$19.99",
        "1,299.00",
        "1e3",
        "19.999",
        "NaN",
        "-0",
        "-10.00",
        "0",
        "0.00",
        "0.001",
        "1000000",
        "999999.999",
        "19.",
        ".99",
        "+5",
        "19 .99",
        "inf",
        "１９",
    ] {
        let (error_type, message) = single(&[("price", price)]);
        assert_eq!(error_type, ErrorType::InvalidPrice, "{price}");
        assert!(message.contains("like 19.99"), "{price}: {message}");
        assert!(message.contains(price), "{price}: {message}");
    }
    assert!(
        single(&[("price", "-10.00")])
            .1
            .starts_with("Price must be at least 0.01")
    );
    assert!(
        single(&[("price", "1000000")])
            .1
            .starts_with("Price must be at most 999999.99")
    );
    assert!(
        single(&[("price", "19.999")])
            .1
            .contains("more than 2 decimal places")
    );
}

#[test]
fn an_absurdly_long_price_is_an_error_not_a_panic() {
    let long = "9".repeat(500);
    assert_eq!(single(&[("price", &long)]).0, ErrorType::InvalidPrice);
}

// Rule 3
#[test]
fn stock_quantities() {
    for stock in ["0", "1", "1000000", "007"] {
        assert!(check(&[("stock_quantity", stock)]).is_valid(), "{stock}");
    }
    for stock in [
        "10.5",
        "1e3",
        "-1",
        "1000001",
        "ten",
        "1,000",
        "99999999999999999999",
        "+5",
        "-",
    ] {
        let (error_type, message) = single(&[("stock_quantity", stock)]);
        assert_eq!(error_type, ErrorType::InvalidStockQuantity, "{stock}");
        assert!(
            message.contains("whole number from 0 to 1000000"),
            "{message}"
        );
    }
    assert!(
        single(&[("stock_quantity", "-1")])
            .1
            .starts_with("Stock quantity must be at least 0")
    );
}

// Rule 4
#[test]
fn categories_match_case_and_whitespace_insensitively_and_store_the_whitelist_spelling() {
    for spelling in [
        "computer accessories",
        "  COMPUTER   Accessories ",
        "Computer\tAccessories",
    ] {
        let RowOutcome::Valid(product) = check(&[("category", spelling)]).outcome else {
            panic!("{spelling}")
        };
        assert_eq!(product.category, "Computer Accessories");
    }
}

#[test]
fn unknown_categories_name_the_closest_allowed_one() {
    let (error_type, message) = single(&[("category", "Electronix")]);
    assert_eq!(error_type, ErrorType::InvalidCategory);
    assert_eq!(
        message,
        "Category 'Electronix' is not an allowed category. The closest allowed category is 'Electronics'."
    );
    let (_, message) = single(&[("category", "home and kitchen")]);
    assert!(message.ends_with("'Home & Kitchen'."), "{message}");
}

#[test]
fn common_names_suggest_their_category_and_nonsense_suggests_nothing() {
    for (written, expected) in [
        ("Apparel", "Clothing"),
        ("Gadgets", "Electronics"),
        ("Laptop stands", "Computer Accessories"),
        ("Kitchen", "Home & Kitchen"),
    ] {
        let (_, message) = single(&[("category", written)]);
        assert!(
            message.ends_with(&format!("The closest allowed category is '{expected}'.")),
            "{written}: {message}"
        );
    }
    let (_, message) = single(&[("category", "Zzxq")]);
    assert_eq!(message, "Category 'Zzxq' is not an allowed category.");
    // A synonym whose category is not on this marketplace's list is skipped.
    let (_, message) = single(&[("category", "Dog treats")]);
    assert!(!message.contains("Pet Supplies"), "{message}");
}

// Rules 5 and 6, in the file
#[test]
fn in_file_duplicates_name_the_first_row() {
    let header = header();
    let categories = categories();
    let mut checker = FileChecker::new(&header, &categories);
    let mut row = |n: u32, sku: &str, id: &str| {
        let mut r = row_with(&[("sku", sku), ("vendor_product_id", id)]);
        r.row_number = n;
        checker.check(&r)
    };
    assert!(row(1, "A", "P1").is_valid());
    assert!(row(2, "B", "P2").is_valid());
    let third = row(3, "A", "P2");
    let messages: Vec<_> = third
        .errors()
        .iter()
        .map(|e| (e.error_type, e.message.as_str()))
        .collect();
    assert_eq!(
        messages,
        vec![
            (
                ErrorType::DuplicateSku,
                "Duplicate SKU: A already appears in row 1 of this file."
            ),
            (
                ErrorType::DuplicateVendorProductId,
                "Duplicate vendor product ID: P2 already appears in row 2 of this file."
            ),
        ]
    );
    let fifth = row(5, "A", "P5");
    assert!(fifth.errors()[0].message.contains("row 1"));
}

#[test]
fn the_first_occurrence_wins_even_when_it_is_invalid() {
    let header = header();
    let categories = categories();
    let mut checker = FileChecker::new(&header, &categories);
    let mut first = row_with(&[("sku", "D"), ("vendor_product_id", "P4"), ("price", "free")]);
    first.row_number = 4;
    let mut second = row_with(&[("sku", "D"), ("vendor_product_id", "P6")]);
    second.row_number = 6;
    assert_eq!(
        checker.check(&first).errors()[0].error_type,
        ErrorType::InvalidPrice
    );
    let later = checker.check(&second);
    assert_eq!(later.errors().len(), 1);
    assert_eq!(
        later.errors()[0].message,
        "Duplicate SKU: D already appears in row 4 of this file."
    );
}

#[test]
fn sku_duplicates_are_exact_after_trimming() {
    let header = header();
    let categories = categories();
    let mut checker = FileChecker::new(&header, &categories);
    let mut r1 = row_with(&[("sku", "abc")]);
    r1.row_number = 1;
    let mut r2 = row_with(&[("sku", " abc "), ("vendor_product_id", "X")]);
    r2.row_number = 2;
    let mut r3 = row_with(&[("sku", "ABC"), ("vendor_product_id", "Y")]);
    r3.row_number = 3;
    assert!(checker.check(&r1).is_valid());
    assert_eq!(
        checker.check(&r2).errors()[0].error_type,
        ErrorType::DuplicateSku
    );
    assert!(checker.check(&r3).is_valid());
}

// Rule 7
#[test]
fn length_limits_count_characters_not_bytes() {
    let name_200 = "é".repeat(200);
    assert!(check(&[("product_name", &name_200)]).is_valid());
    let name_201 = "é".repeat(201);
    let (error_type, message) = single(&[("product_name", &name_201)]);
    assert_eq!(error_type, ErrorType::FieldTooLong);
    assert_eq!(
        message,
        "Field 'product_name' is 201 characters long; the limit is 200."
    );
    for (column, limit) in [
        ("vendor_product_id", 100),
        ("sku", 100),
        ("description", 2000),
        ("subcategory", 100),
        ("brand", 100),
        ("unit", 50),
    ] {
        assert!(
            check(&[(column, &"x".repeat(limit))]).is_valid(),
            "{column}"
        );
        assert_eq!(
            types(&[(column, &"x".repeat(limit + 1))]),
            vec![ErrorType::FieldTooLong],
            "{column}"
        );
    }
}

// Rules for the other database constraints
#[test]
fn compare_at_price_must_not_be_below_price() {
    assert!(check(&[("compare_at_price", "19.99")]).is_valid());
    assert!(check(&[("compare_at_price", "29.99")]).is_valid());
    let (error_type, message) = single(&[("compare_at_price", "9.99")]);
    assert_eq!(error_type, ErrorType::InvalidCompareAtPrice);
    assert!(message.contains("less than the price 19.99"), "{message}");
    assert_eq!(
        single(&[("compare_at_price", "$29")]).0,
        ErrorType::InvalidCompareAtPrice
    );
    assert_eq!(
        single(&[("compare_at_price", "0")]).0,
        ErrorType::InvalidCompareAtPrice
    );
    assert_eq!(
        single(&[("compare_at_price", "1000000.00")]).0,
        ErrorType::InvalidCompareAtPrice
    );
    // Not compared when the price itself is invalid: one error per actual problem.
    assert_eq!(
        types(&[("price", "abc"), ("compare_at_price", "5.00")]),
        vec![ErrorType::InvalidPrice]
    );
}

#[test]
fn weight_must_be_positive() {
    assert!(check(&[("weight_kg", "0.001")]).is_valid());
    for weight in ["0", "0.000", "-1", "abc", "0.0001", "100000", "1e2"] {
        assert_eq!(
            types(&[("weight_kg", weight)]),
            vec![ErrorType::InvalidWeight],
            "{weight}"
        );
    }
}

#[test]
fn dimensions_are_three_positive_numbers() {
    for dims in ["12x8x4", "12.5 x 8 x 4", "1X2X3"] {
        assert!(check(&[("dimensions_cm", dims)]).is_valid(), "{dims}");
    }
    for dims in ["12x8", "axbxc", "12x0x4", "12x8x4x2", "-1x2x3"] {
        assert_eq!(
            types(&[("dimensions_cm", dims)]),
            vec![ErrorType::InvalidDimensions],
            "{dims}"
        );
    }
}

#[test]
fn image_urls_are_http_or_https() {
    for url in [
        "https://images.example.com/a.jpg",
        "http://x.example/a.png?size=2",
        "HTTPS://EXAMPLE.COM/A.JPG",
    ] {
        assert!(check(&[("image_url", url)]).is_valid(), "{url}");
    }
    for url in [
        "ftp://example.com/a.jpg",
        "javascript:alert(1)",
        "images/a.jpg",
        "https://",
        "https://exa mple.com/a b.jpg",
    ] {
        assert_eq!(
            types(&[("image_url", url)]),
            vec![ErrorType::InvalidImageUrl],
            "{url}"
        );
    }
}

#[test]
fn every_error_on_a_row_is_reported_in_rule_order() {
    let found = types(&[
        ("image_url", "ftp://x"),
        ("sku", ""),
        ("price", "abc"),
        ("stock_quantity", "-1"),
        ("category", "Nope"),
        ("product_name", &"n".repeat(201)),
        ("weight_kg", "0"),
        ("dimensions_cm", "1x2"),
        ("vendor_product_id", ""),
    ]);
    assert_eq!(
        found,
        vec![
            ErrorType::MissingRequiredField,
            ErrorType::MissingRequiredField,
            ErrorType::InvalidPrice,
            ErrorType::InvalidStockQuantity,
            ErrorType::InvalidCategory,
            ErrorType::FieldTooLong,
            ErrorType::InvalidWeight,
            ErrorType::InvalidDimensions,
            ErrorType::InvalidImageUrl,
        ]
    );
    let fields: Vec<_> = errors(&[("sku", ""), ("vendor_product_id", "")])
        .into_iter()
        .map(|e| e.1.unwrap())
        .collect();
    assert_eq!(fields, vec!["vendor_product_id", "sku"]);
}

#[test]
fn malformed_rows_are_a_single_error() {
    let header = header();
    let short = SourceRow {
        row_number: 2,
        fields: vec!["P1".into(), "Mouse".into()],
        problems: Vec::new(),
    };
    let checked = check_row(&header, &short, &categories(), EarlierRows::default());
    assert_eq!(checked.errors().len(), 1);
    assert_eq!(checked.errors()[0].error_type, ErrorType::MalformedRow);
    assert_eq!(
        checked.errors()[0].message,
        "Row has 2 cells but the header has 14. Check for an unquoted comma or a missing quote."
    );
    assert_eq!(checked.identity.vendor_product_id, "P1");

    let mut long = row_with(&[]);
    long.fields.push("surplus".into());
    assert_eq!(
        check_row(&header, &long, &categories(), EarlierRows::default()).errors()[0].error_type,
        ErrorType::MalformedRow
    );

    // Trailing empty cells are what spreadsheets do, not a problem.
    let mut trailing = row_with(&[]);
    trailing.fields.extend(["".to_string(), " ".to_string()]);
    assert!(check_row(&header, &trailing, &categories(), EarlierRows::default()).is_valid());
}

// Rules 5 and 6, against the catalog
struct FakeCatalog(CatalogMatches);

impl Catalog for FakeCatalog {
    type Error = Infallible;
    async fn find_existing(
        &self,
        _vendor: &onboarding_core::VendorId,
        skus: &[&str],
        ids: &[&str],
    ) -> Result<CatalogMatches, Infallible> {
        Ok(CatalogMatches {
            skus: skus
                .iter()
                .filter(|s| self.0.skus.contains(**s))
                .map(|s| s.to_string())
                .collect(),
            vendor_product_ids: ids
                .iter()
                .filter(|s| self.0.vendor_product_ids.contains(**s))
                .map(|s| s.to_string())
                .collect(),
            own_skus: self.0.own_skus.clone(),
        })
    }
}

#[tokio::test]
async fn catalog_duplicates_say_the_sku_already_exists() {
    let catalog = FakeCatalog(CatalogMatches {
        skus: HashSet::from(["CA-VEND001-0001".to_string()]),
        vendor_product_ids: HashSet::from(["PROD0001".to_string()]),
        ..Default::default()
    });
    let mut rows = vec![
        check(&[]),
        check(&[("sku", "NEW"), ("vendor_product_id", "NEW")]),
    ];
    check_against_catalog(&catalog, &"VEND001".parse().unwrap(), &mut rows)
        .await
        .unwrap();
    let messages: Vec<_> = rows[0]
        .errors()
        .iter()
        .map(|e| e.message.as_str())
        .collect();
    assert_eq!(
        messages,
        vec![
            "Duplicate SKU: CA-VEND001-0001 already exists in the catalog.",
            "Duplicate vendor product ID: PROD0001 already exists in your catalog.",
        ]
    );
    assert!(rows[1].is_valid());
}

/// An upsert updates the vendor's own product (its SKU under its own vendor
/// product id) and still refuses another vendor's SKU and a product id moved
/// to another SKU.
#[tokio::test]
async fn an_upsert_refuses_only_what_is_not_the_vendors_own_product() {
    let catalog = FakeCatalog(CatalogMatches {
        skus: HashSet::from(["CA-VEND001-0001".to_string(), "THEIRS".to_string()]),
        vendor_product_ids: HashSet::from(["PROD0001".to_string()]),
        own_skus: [("CA-VEND001-0001".to_string(), "PROD0001".to_string())].into(),
    });
    let mut rows = vec![
        check(&[]),
        check(&[("sku", "THEIRS"), ("vendor_product_id", "NEW")]),
        check(&[("sku", "MOVED")]),
    ];
    let vendor = "VEND001".parse().unwrap();
    check_against_catalog_in(UploadMode::Upsert, &catalog, &vendor, &mut rows)
        .await
        .unwrap();
    assert!(rows[0].is_valid(), "{:?}", rows[0].errors());
    let types = |row: &CheckedRow| -> Vec<ErrorType> {
        row.errors().iter().map(|e| e.error_type).collect()
    };
    assert_eq!(types(&rows[1]), vec![ErrorType::DuplicateSku]);
    assert!(rows[1].errors()[0].message.contains("another vendor"));
    assert_eq!(types(&rows[2]), vec![ErrorType::DuplicateVendorProductId]);

    // The same rows in create mode: the vendor's own SKU is a duplicate too.
    let mut rows = vec![check(&[])];
    check_against_catalog_in(UploadMode::Create, &catalog, &vendor, &mut rows)
        .await
        .unwrap();
    assert_eq!(
        types(&rows[0]),
        vec![ErrorType::DuplicateSku, ErrorType::DuplicateVendorProductId]
    );
}

#[test]
fn a_catalog_duplicate_replaces_the_in_file_message_for_the_same_rule() {
    let mut row = check_row(
        &header(),
        &row_with(&[("price", "x")]),
        &categories(),
        EarlierRows {
            sku: Some(1),
            vendor_product_id: None,
        },
    );
    apply_catalog_matches(
        std::slice::from_mut(&mut row),
        &CatalogMatches {
            skus: HashSet::from(["CA-VEND001-0001".to_string()]),
            ..Default::default()
        },
    );
    let found: Vec<_> = row
        .errors()
        .iter()
        .map(|e| (e.error_type, e.message.contains("catalog")))
        .collect();
    assert_eq!(
        found,
        vec![
            (ErrorType::InvalidPrice, false),
            (ErrorType::DuplicateSku, true)
        ]
    );
}

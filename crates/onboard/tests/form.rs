//! The portal's single-product form and the fixing of failed rows in the
//! browser (issue 15, items 3 and 4), through the vendor-api binary on the
//! local stack: the validate endpoint gives the pipeline's verdict, a
//! submission is a one-file upload that runs the whole pipeline with its
//! `upload_history` row, no email is sent unless the vendor asks (and the
//! audit trail says so), and a fix is a new upload of only the fixed rows,
//! linked to the original row by row. Another vendor sees none of it.

mod support;

use onboarding_core::UploadId;
use reqwest::StatusCode;
use serde_json::{Map, Value, json};
use support::portal::Browser;
use support::{Harness, Options};

const VEND001: &str = "orders@techgear.example.com";
const VEND002: &str = "catalog@stylewear.example.com";

fn product(id: &str, sku: &str, price: &str) -> Map<String, Value> {
    json!({
        "vendor_product_id": id,
        "product_name": "Form Lamp",
        "category": "electronics",
        "sku": sku,
        "price": price,
        "stock_quantity": "12",
        "description": "Typed into the portal's form",
    })
    .as_object()
    .unwrap()
    .clone()
}

fn with(mut body: Map<String, Value>, extra: &[(&str, Value)]) -> Value {
    for (name, value) in extra {
        body.insert(name.to_string(), value.clone());
    }
    Value::Object(body)
}

fn fields_in_error(verdict: &Value) -> Vec<String> {
    let mut fields: Vec<String> = verdict["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap_or("-").to_string())
        .collect();
    fields.sort();
    fields
}

async fn upload_id(detail: &Value) -> UploadId {
    UploadId::parse(detail["upload_id"].as_str().unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_from_the_form_is_a_one_row_upload_emailed_only_on_request() {
    let harness = Harness::start(Options {
        portal: true,
        ..Options::default()
    })
    .await;
    let vendor = Browser::logged_in(&harness, VEND001).await;

    // Validation as you type: the pipeline's rules, field by field.
    let (status, verdict) = vendor
        .post(
            "/api/products/validate",
            json!({"vendor_product_id": "FORM1", "sku": "FORM-SKU-1", "price": "$19.99",
                   "category": "Gadgets", "stock_quantity": "1.5"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{verdict}");
    assert_eq!(verdict["valid"], false);
    assert_eq!(
        fields_in_error(&verdict),
        ["category", "price", "product_name", "stock_quantity"],
        "{verdict}"
    );
    let price_error = verdict["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == "price")
        .unwrap();
    assert_eq!(price_error["error_type"], "INVALID_PRICE");
    let (status, verdict) = vendor
        .post(
            "/api/products/validate",
            Value::Object(product("FORM1", "FORM-SKU-1", "19.99")),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verdict, json!({"valid": true, "errors": []}));
    // Bad requests are 400s naming the field, never a verdict.
    for (body, field) in [
        (json!({"price": 19.99}), "price"),
        (json!({"colour": "red"}), "colour"),
        (json!({"mode": "replace"}), "mode"),
    ] {
        let (status, problem) = vendor.post("/api/products/validate", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
        assert_eq!(problem["field"], field);
    }

    // An invalid product is not submitted.
    let (status, problem) = vendor
        .post(
            "/api/products",
            Value::Object(product("FORM1", "FORM-SKU-1", "-1")),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(problem["field"], "price");

    // The default: no email, and the audit trail says the vendor asked for none.
    let (status, receipt) = vendor
        .post(
            "/api/products",
            Value::Object(product("FORM1", "FORM-SKU-1", "19.99")),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{receipt}");
    assert_eq!(receipt["email_requested"], false);
    assert_eq!(receipt["rows"], 1);
    let file_name = receipt["file_name"].as_str().unwrap();
    let key = receipt["key"].as_str().unwrap();
    assert_eq!(key, format!("uploads/VEND001/{file_name}"));
    let quiet = vendor.wait_for(file_name).await;
    assert_eq!(quiet["status"], "completed", "{quiet}");
    assert_eq!(quiet["total_records"], 1);
    assert_eq!(quiet["valid_records"], 1);
    assert_eq!(quiet["created_records"], 1);
    assert_eq!(quiet["submission"], "form");
    assert_eq!(quiet["email_requested"], false);
    assert_eq!(quiet["notification"], "not_requested");
    let quiet_id = upload_id(&quiet).await;
    assert!(harness.emails_about(&quiet_id).await.is_empty());
    let (notified_at, message_id): (Option<chrono::DateTime<chrono::Utc>>, Option<String>) =
        sqlx::query_as(
            "SELECT notified_at, notification_message_id FROM upload_history WHERE upload_id = $1",
        )
        .bind(quiet_id.as_str())
        .fetch_one(&harness.db.pool)
        .await
        .unwrap();
    assert!(notified_at.is_some(), "the email step is settled");
    assert_eq!(message_id, None, "and nothing was published");
    let (_, products) = vendor.get("/api/products?q=FORM-SKU-1").await;
    assert_eq!(products["items"][0]["sku"], "FORM-SKU-1", "{products}");
    assert_eq!(products["items"][0]["category"], "Electronics");
    assert_eq!(products["items"][0]["upload_id"], quiet_id.as_str());
    // The object carries the uploader and the mode, as a portal upload does.
    let stored = String::from_utf8(harness.s3_object(key).await).unwrap();
    assert!(stored.starts_with("vendor_product_id,product_name,category,"));
    assert!(
        stored.contains("FORM1,Form Lamp,electronics,,Typed into the portal's form,FORM-SKU-1")
    );

    // Now the product exists: create refuses it, upsert may change it.
    let (_, verdict) = vendor
        .post(
            "/api/products/validate",
            Value::Object(product("FORM1", "FORM-SKU-1", "24.50")),
        )
        .await;
    assert_eq!(verdict["valid"], false);
    assert_eq!(verdict["errors"][0]["error_type"], "DUPLICATE_SKU");
    let upsert = with(
        product("FORM1", "FORM-SKU-1", "24.50"),
        &[("mode", json!("upsert")), ("email_result", json!(true))],
    );
    let (_, verdict) = vendor
        .post(
            "/api/products/validate",
            with(
                product("FORM1", "FORM-SKU-1", "24.50"),
                &[("mode", json!("upsert"))],
            ),
        )
        .await;
    assert_eq!(verdict["valid"], true, "{verdict}");
    // Asked for: exactly one email, recorded as sent.
    let (status, receipt) = vendor.post("/api/products", upsert).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{receipt}");
    assert_eq!(receipt["email_requested"], true);
    assert_eq!(receipt["mode"], "upsert");
    let told = vendor
        .wait_for(receipt["file_name"].as_str().unwrap())
        .await;
    assert_eq!(told["status"], "completed", "{told}");
    assert_eq!(told["mode"], "upsert");
    assert_eq!(told["updated_records"], 1);
    assert_eq!(told["email_requested"], true);
    assert_eq!(told["notification"], "sent");
    let emails = harness.emails_about(&upload_id(&told).await).await;
    assert_eq!(emails.len(), 1, "{emails:?}");
    let (_, history) = vendor.get("/api/products/FORM-SKU-1/history").await;
    assert_eq!(history["items"][0]["price"], "24.50", "{history}");

    // A vendor awaiting approval may check a product but not submit one.
    let mut newcomer = Browser::new(&harness);
    newcomer
        .sign_up_and_log_in(
            "Form Newcomer Ltd",
            "form-newcomer@example.com",
            "Newcomer-Pass-2026!",
        )
        .await;
    let (status, me) = newcomer.get("/api/me").await;
    assert_eq!(me["status"], "pending_approval", "{status} {me}");
    let (status, verdict) = newcomer
        .post(
            "/api/products/validate",
            Value::Object(product("NEW-1", "NEW-SKU-1", "5.00")),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verdict["valid"], true, "{verdict}");
    let (status, problem) = newcomer
        .post(
            "/api/products",
            Value::Object(product("NEW-1", "NEW-SKU-1", "5.00")),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");

    // Another vendor cannot take the SKU, in either mode.
    let other = Browser::logged_in(&harness, VEND002).await;
    let (_, verdict) = other
        .post(
            "/api/products/validate",
            with(
                product("HE-1", "FORM-SKU-1", "5.00"),
                &[("mode", json!("upsert"))],
            ),
        )
        .await;
    assert_eq!(verdict["valid"], false);
    assert_eq!(verdict["errors"][0]["error_type"], "DUPLICATE_SKU");
}

/// A failed row made valid: each field in error gets a value that passes
/// (unique ids for the duplicate rules).
fn fixed(row: &Value) -> Map<String, Value> {
    let number = row["row_number"].as_i64().unwrap();
    let mut values = row["values"].as_object().unwrap().clone();
    for error in row["errors"].as_array().unwrap() {
        let field = error["field"].as_str().unwrap_or_default();
        let value = match field {
            "vendor_product_id" => format!("FIXED{number}"),
            "sku" => format!("FIXED-SKU-{number}"),
            "product_name" => format!("Fixed product {number}"),
            "category" => "Electronics".into(),
            "price" => "10.00".into(),
            "stock_quantity" => "5".into(),
            _ => String::new(),
        };
        values.insert(field.to_string(), json!(value));
    }
    // A price fixed below a compare-at price would break that rule instead.
    if values["compare_at_price"]
        .as_str()
        .is_some_and(|c| !c.is_empty())
    {
        values.insert("compare_at_price".into(), json!(""));
    }
    values.insert("row_number".into(), json!(number));
    values
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_rows_fixed_in_the_browser_become_a_new_upload_linked_to_the_original() {
    let harness = Harness::start(Options {
        portal: true,
        ..Options::default()
    })
    .await;
    let vendor = Browser::logged_in(&harness, VEND001).await;
    let csv = std::fs::read("../../testdata/samples/VEND001_products.csv").unwrap();
    vendor.upload("VEND001_products.csv", csv).await;
    let original = vendor.wait_for("VEND001_products.csv").await;
    assert_eq!(original["status"], "partial");
    let original_id = upload_id(&original).await;

    // The failed rows, with every value and each error.
    let path = format!("/api/uploads/{original_id}/failed-rows?limit=500");
    let (status, failed) = vendor.get(&path).await;
    assert_eq!(status, StatusCode::OK, "{failed}");
    assert_eq!(failed["mode"], "create");
    assert_eq!(failed["columns"].as_array().unwrap().len(), 14);
    let items = failed["items"].as_array().unwrap();
    assert_eq!(failed["total"], original["error_records"]);
    assert!(items.len() >= 2);
    assert!(items.iter().all(|row| row["fixed_by"].is_null()));
    assert!(
        items
            .iter()
            .all(|row| !row["errors"].as_array().unwrap().is_empty())
    );

    // Two rows that the fix makes valid, checked as the grid does.
    let mut chosen = Vec::new();
    for row in items {
        if row["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"].is_null())
        {
            continue; // a malformed row: nothing to put beside a cell
        }
        let mut values = fixed(row);
        values.remove("row_number");
        let (_, verdict) = vendor
            .post("/api/products/validate", Value::Object(values))
            .await;
        if verdict["valid"] == true {
            chosen.push(fixed(row));
        }
        if chosen.len() == 2 {
            break;
        }
    }
    assert_eq!(chosen.len(), 2, "two fixable rows in the sample");
    let numbers: Vec<i64> = chosen
        .iter()
        .map(|r| r["row_number"].as_i64().unwrap())
        .collect();

    // Another vendor: the upload does not exist for it.
    let other = Browser::logged_in(&harness, VEND002).await;
    let (status, _) = other.get(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let fixes = format!("/api/uploads/{original_id}/fixes");
    let (status, _) = other
        .post(&fixes, json!({"rows": [chosen[0].clone()]}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Refused: a row that did not fail, and a row still in error.
    let mut not_failed = chosen[0].clone();
    not_failed.insert("row_number".into(), json!(1));
    let (status, problem) = vendor.post(&fixes, json!({"rows": [not_failed]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(problem["field"], "rows[0].row_number");
    // A fix may be larger than the other bodies' 16 KiB, up to 1 MiB.
    let long = json!({"row_number": 1, "description": "d".repeat(1900)});
    let (status, problem) = vendor
        .post(&fixes, json!({"rows": vec![long.clone(); 20]}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(
        problem["field"], "rows[0].row_number",
        "read, not refused for size"
    );
    let (status, problem) = vendor.post(&fixes, json!({"rows": vec![long; 600]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(problem["field"], "body");
    let mut still_bad = chosen[1].clone();
    still_bad.insert("price".into(), json!("abc"));
    let (status, problem) = vendor
        .post(&fixes, json!({"rows": [chosen[0].clone(), still_bad]}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(problem["field"], "rows[1].price");

    // The fix: a new upload of exactly the two rows, in the original's mode.
    let (status, receipt) = vendor
        .post(
            &fixes,
            json!({"rows": [chosen[1].clone(), chosen[0].clone()]}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{receipt}");
    assert_eq!(receipt["rows"], 2);
    assert_eq!(receipt["mode"], "create");
    let fix = vendor
        .wait_for(receipt["file_name"].as_str().unwrap())
        .await;
    assert_eq!(fix["status"], "completed", "{fix}");
    assert_eq!(fix["total_records"], 2);
    assert_eq!(fix["valid_records"], 2);
    assert_eq!(fix["submission"], "fix");
    assert_eq!(fix["fixes_upload_id"], original_id.as_str());
    assert_eq!(fix["notification"], "not_requested");
    let fix_id = upload_id(&fix).await;
    assert!(harness.emails_about(&fix_id).await.is_empty());

    // The original now says which rows were fixed, and by which upload.
    let (_, failed) = vendor.get(&path).await;
    for row in failed["items"].as_array().unwrap() {
        let number = row["row_number"].as_i64().unwrap();
        if numbers.contains(&number) {
            assert_eq!(row["fixed_by"]["upload_id"], fix_id.as_str(), "{row}");
            assert_eq!(row["fixed_by"]["outcome"], "valid", "{row}");
        } else {
            assert!(row["fixed_by"].is_null(), "{row}");
        }
    }
    // And the catalog has them, from the fix.
    for row in &chosen {
        let sku = row["sku"].as_str().unwrap();
        let (_, products) = vendor.get(&format!("/api/products?q={sku}")).await;
        assert_eq!(
            products["items"][0]["upload_id"],
            fix_id.as_str(),
            "{products}"
        );
    }
    // Nor does another vendor see the fix.
    let (status, _) = other.get(&format!("/api/uploads/{fix_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

//! The vendor portal's API on the local stack: real tokens from moto's
//! cognito-idp, real PostgreSQL, real presigned POSTs to moto's S3, and the
//! vendor-api binary of this build served over HTTP.

mod support;

use std::collections::BTreeSet;

use onboarding_devstack::env::keys;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::portal::Browser;
use support::{Harness, Options};

const VEND001: &str = "orders@techgear.example.com";
const VEND002: &str = "catalog@stylewear.example.com";

async fn portal_stack() -> Harness {
    Harness::start(Options {
        portal: true,
        ..Options::default()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vendor_uploads_through_the_portal_and_follows_it_to_the_report() {
    let harness = portal_stack().await;
    let browser = Browser::logged_in(&harness, VEND001).await;
    let (status, me) = browser.get("/api/me").await;
    assert_eq!(
        (status, me["vendor_id"].as_str()),
        (StatusCode::OK, Some("VEND001"))
    );

    let csv = std::fs::read("../../testdata/samples/VEND001_products.csv").unwrap();
    let key = browser.upload("VEND001_products.csv", csv).await;
    assert_eq!(key, "uploads/VEND001/VEND001_products.csv");
    let detail = browser.wait_for("VEND001_products.csv").await;
    assert_eq!(detail["status"], "partial");
    assert_eq!(
        (
            &detail["total_records"],
            &detail["valid_records"],
            &detail["error_records"]
        ),
        (&json!(100), &json!(85), &json!(15))
    );
    assert_eq!(
        detail["progress"],
        json!({"validated": 100, "total": 100, "percent": 100})
    );
    let stages: Vec<&str> = detail["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        stages,
        ["received", "parsed", "validated", "reported", "notified"]
    );
    assert_eq!(detail["report_available"], true);
    let id = detail["upload_id"].as_str().unwrap().to_string();

    // Every error, page by page, in report order and matching the golden report.
    let golden =
        std::fs::read_to_string("../../testdata/golden/VEND001_products_errors.csv").unwrap();
    let expected: Vec<(i64, String)> = golden
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let mut cells = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(line.as_bytes());
            let record = cells.records().next().unwrap().unwrap();
            (record[0].parse().unwrap(), record[4].to_string())
        })
        .collect();
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = browser
            .get(&format!("/api/uploads/{id}/errors?limit=4{cursor}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["total"], json!(expected.len()));
        for error in page["items"].as_array().unwrap() {
            seen.push((
                error["row_number"].as_i64().unwrap(),
                error["error_type"].as_str().unwrap().to_string(),
            ));
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(seen, expected);
    let (_, prices) = browser
        .get(&format!(
            "/api/uploads/{id}/errors?error_type=INVALID_PRICE"
        ))
        .await;
    let prices = prices["items"].as_array().unwrap();
    assert_eq!(
        prices.len() as i64,
        detail["errors_by_type"]["INVALID_PRICE"].as_i64().unwrap()
    );
    assert!(
        prices
            .iter()
            .all(|e| e["error_type"] == "INVALID_PRICE" && e["field"] == "price")
    );

    // The stable report link mints a fresh presigned URL; the report is the golden one.
    let answer = browser
        .send(
            Method::GET,
            &format!("/api/uploads/{id}/report"),
            None,
            false,
        )
        .await;
    assert!(answer.status.is_redirection());
    let link = answer.location.unwrap();
    let report = reqwest::get(&link).await.unwrap().text().await.unwrap();
    assert_eq!(report, golden);
    let answer = browser
        .send(
            Method::GET,
            &format!("/api/uploads/{id}/fix-file"),
            None,
            false,
        )
        .await;
    assert!(answer.status.is_redirection());
    // The email carries the stable links.
    let mail = harness.emails_about(&id.parse().unwrap()).await;
    assert_eq!(mail.len(), 1);
    assert!(
        mail[0].body.contains(&format!("/api/uploads/{id}/report")),
        "{}",
        mail[0].body
    );

    // The requirements' lines carry the seven-day link through the portal:
    // no login, a fresh presigned GET per click, "(Link expires in 7 days)"
    // true because the portal refuses it after seven days.
    let lines: Vec<&str> = mail[0].body.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("Download Error Report: "))
        .unwrap();
    assert_eq!(lines[at + 1], "(Link expires in 7 days)");
    let portal = harness.stack.env().require(keys::PORTAL_URL).unwrap();
    let email_link = lines[at]
        .strip_prefix(&format!("Download Error Report: {portal}"))
        .unwrap_or_else(|| panic!("not a portal link: {}", lines[at]))
        .to_string();
    assert!(email_link.starts_with("/api/links/"), "{email_link}");
    let stranger = Browser::new(&harness);
    let answer = stranger.send(Method::GET, &email_link, None, false).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let presigned = answer.location.unwrap();
    assert_eq!(
        reqwest::get(&presigned)
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        golden
    );
    let (expires_at, links) = sqlx::query_as::<_, (chrono::DateTime<chrono::Utc>, i64)>(
        "SELECT min(expires_at), count(*) FROM report_links WHERE upload_id = $1",
    )
    .bind(&id)
    .fetch_one(&harness.db.pool)
    .await
    .unwrap();
    assert_eq!(links, 2, "one link per file");
    let days = (expires_at - chrono::Utc::now()).num_minutes() as f64 / (24.0 * 60.0);
    assert!((6.99..=7.0).contains(&days), "expires in {days} days");
    // Tokens never minted, malformed or not, are unknown; an expired one is
    // gone, and the answer says where the file still is.
    for unknown in [
        format!("/api/links/{}", "A".repeat(43)),
        "/api/links/not-a-token".to_string(),
        format!("{email_link}x"),
    ] {
        let answer = stranger.send(Method::GET, &unknown, None, false).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{unknown}");
    }
    sqlx::query("UPDATE report_links SET expires_at = now() WHERE upload_id = $1")
        .bind(&id)
        .execute(&harness.db.pool)
        .await
        .unwrap();
    let answer = stranger.send(Method::GET, &email_link, None, false).await;
    assert_eq!(answer.status, StatusCode::GONE);
    let detail = answer.json()["detail"].as_str().unwrap().to_string();
    assert!(detail.contains(&id), "{detail}");

    // A browser without a session is sent to log in, then back.
    let answer = Browser::new(&harness)
        .send(
            Method::GET,
            &format!("/api/uploads/{id}/report"),
            None,
            true,
        )
        .await;
    let location = answer.location.unwrap();
    assert!(
        location.ends_with(&format!(
            "/login.html?next=%2Fapi%2Fuploads%2F{id}%2Freport"
        )),
        "{location}"
    );

    // The catalog and the dashboard.
    let (_, products) = browser
        .get("/api/products?q=wireless%20mouse&limit=100")
        .await;
    let products = products["items"].as_array().unwrap();
    assert!(!products.is_empty());
    assert!(products.iter().all(|p| {
        p["product_name"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("wireless mouse")
    }));
    let mut all = BTreeSet::new();
    let mut cursor = String::new();
    loop {
        let (_, page) = browser
            .get(&format!("/api/products?limit=30{cursor}"))
            .await;
        for product in page["items"].as_array().unwrap() {
            assert!(
                all.insert(product["sku"].as_str().unwrap().to_string()),
                "a product twice"
            );
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(all.len(), 85);
    let (_, categories) = browser.get("/api/categories").await;
    let categories: Vec<&str> = categories["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(categories.contains(&"Computer Accessories") && categories.contains(&"Electronics"));
    let (status, _) = Browser::new(&harness).get("/api/categories").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, metrics) = browser.get("/api/metrics").await;
    assert_eq!(metrics["uploads_total"], 1);
    assert_eq!(metrics["uploads_by_status"]["partial"], 1);
    assert_eq!(
        (&metrics["rows_processed"], &metrics["valid_rows"]),
        (&json!(100), &json!(85))
    );
    assert_eq!(metrics["success_rate"], json!(0.85));
    assert!(metrics["processing_ms"]["median"].as_i64().unwrap() > 0);
    let error_total: i64 = metrics["errors_by_type"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["count"].as_i64().unwrap())
        .sum();
    assert_eq!(error_total, expected.len() as i64);

    // Refresh, then log out: the cookies are cleared and the session is gone.
    let answer = browser
        .send(Method::POST, "/api/auth/refresh", None, false)
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    assert!(
        answer
            .cookie("onboard_session")
            .is_some_and(|t| !t.is_empty())
    );
    let answer = browser
        .send(Method::POST, "/api/auth/logout", None, false)
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    assert_eq!(answer.cookie("onboard_session").as_deref(), Some(""));
    let (status, _) = Browser::new(&harness).get("/api/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_endpoint_shows_one_vendor_anything_of_another() {
    let harness = portal_stack().await;
    let csv = std::fs::read("../../testdata/samples/VEND001_products.csv").unwrap();
    let theirs = harness.upload("VEND001", "VEND001_products.csv", csv).await;
    let id = theirs.upload_id.as_str();
    let owner = Browser::logged_in(&harness, VEND001).await;
    let other = Browser::logged_in(&harness, VEND002).await;

    let (status, _) = owner.get(&format!("/api/uploads/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    for path in [
        format!("/api/uploads/{id}"),
        format!("/api/uploads/{id}/errors"),
        format!("/api/uploads/{id}/report"),
        format!("/api/uploads/{id}/fix-file"),
    ] {
        let (status, problem) = other.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {problem}");
        // The same answer as for an id that does not exist.
        let (_, missing) = other
            .get(&path.replace(id, "UPLOAD_20000101_000000_000000000000"))
            .await;
        assert_eq!(problem, missing, "{path}");
    }
    let (_, uploads) = other.get("/api/uploads").await;
    assert_eq!(uploads["items"], json!([]));
    let (_, products) = other.get("/api/products?q=VEND001").await;
    assert_eq!(products["items"], json!([]));
    let (_, products) = other.get("/api/products").await;
    assert_eq!(products["items"], json!([]));
    let (_, metrics) = other.get("/api/metrics").await;
    assert_eq!(
        (&metrics["uploads_total"], &metrics["rows_processed"]),
        (&json!(0), &json!(0))
    );
    let (_, me) = other.get("/api/me").await;
    assert_eq!(me["vendor_id"], "VEND002");
    // A presigned POST only ever targets the caller's own folder.
    let (status, post) = other
        .post("/api/uploads", json!({"file_name": "VEND001_products.csv"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(post["key"], "uploads/VEND002/VEND001_products.csv");
    let (status, _) = other
        .post("/api/uploads", json!({"file_name": "../VEND001/x.csv"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// moto signs every pool's tokens with one RSA key, shipped in its package;
/// with it a test can make tokens that are valid but for one claim.
fn moto_signing_key() -> jsonwebtoken::EncodingKey {
    let venv = onboarding_devstack::moto::default_venv();
    let script = r#"
import gzip, json, glob, base64, sys
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives import serialization
path = glob.glob(sys.prefix + "/lib/python3*/site-packages/moto/cognitoidp/resources/jwks-private.json.gz")[0]
key = json.loads(gzip.open(path).read())
n = lambda k: int.from_bytes(base64.urlsafe_b64decode(key[k] + "=" * (-len(key[k]) % 4)), "big")
e, modulus, d = n("e"), n("n"), n("d")
p, q = rsa.rsa_recover_prime_factors(modulus, e, d)
numbers = rsa.RSAPrivateNumbers(p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q), rsa.RSAPublicNumbers(e, modulus))
private = numbers.private_key()
print(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode())
"#;
    let output = std::process::Command::new(venv.join("bin/python"))
        .arg("-c")
        .arg(script)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    jsonwebtoken::EncodingKey::from_rsa_pem(&output.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_expired_forged_and_foreign_tokens_get_401() {
    let harness = portal_stack().await;
    let env = harness.stack.env();
    let pool_id = env.require(keys::COGNITO_USER_POOL_ID).unwrap();
    let client_id = env.require(keys::COGNITO_CLIENT_ID).unwrap();
    let now = chrono::Utc::now().timestamp();
    let claims = |overrides: Value| {
        let mut claims = json!({
            "iss": format!("https://cognito-idp.us-east-1.amazonaws.com/{pool_id}"),
            "sub": "5f0c1c9e-0000-4000-8000-000000000001",
            "aud": client_id,
            "token_use": "id",
            "iat": now - 60,
            "exp": now + 3600,
            "email": VEND001,
            "custom:vendor_id": "VEND001",
        });
        for (k, v) in overrides.as_object().unwrap() {
            claims[k] = v.clone();
        }
        claims
    };
    let key = moto_signing_key();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some("dummy".into());
    let sign = |claims: &Value| jsonwebtoken::encode(&header, claims, &key).unwrap();

    // The forging works: the same key and claims make a token the API takes.
    let genuine = sign(&claims(json!({})));
    let (status, me) = Browser::with_token(&harness, &genuine).get("/api/me").await;
    assert_eq!(
        (status, me["vendor_id"].as_str()),
        (StatusCode::OK, Some("VEND001"))
    );

    let mut tampered = genuine.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let hs256 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims(json!({})),
        &jsonwebtoken::EncodingKey::from_secret(b"public key as secret").unwrap(),
    )
    .unwrap();
    let cases = [
        (
            "expired",
            sign(&claims(json!({"exp": now - 3600, "iat": now - 7200}))),
        ),
        (
            "wrong audience",
            sign(&claims(json!({"aud": "some-other-client"}))),
        ),
        (
            "wrong issuer",
            sign(&claims(
                json!({"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"}),
            )),
        ),
        (
            "access token",
            sign(&claims(json!({"token_use": "access"}))),
        ),
        (
            "no vendor",
            sign(&claims(json!({"custom:vendor_id": null}))),
        ),
        ("wrong signature", tampered),
        ("HS256", hs256),
        ("garbage", "not-a-token".to_string()),
    ];
    for (what, token) in cases {
        for path in ["/api/me", "/api/uploads", "/api/products", "/api/metrics"] {
            let (status, problem) = Browser::with_token(&harness, &token).get(path).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{what} on {path}: {problem}"
            );
            assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()));
        }
    }
    for path in [
        "/api/me",
        "/api/uploads",
        "/api/uploads/X",
        "/api/products",
        "/api/metrics",
    ] {
        let (status, _) = Browser::new(&harness).get(path).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "no token on {path}");
    }
    let (status, _) = Browser::new(&harness)
        .post("/api/uploads", json!({"file_name": "a.csv"}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let mut browser = Browser::new(&harness);
    let (status, problem) = browser.log_in(VEND001, "Wrong-password-1!").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(problem["detail"], "The email or password is incorrect.");
    assert!(browser.session.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_400_naming_the_field_and_pages_hold_together() {
    let harness = portal_stack().await;
    for n in 0..3 {
        let file = support::generated_file("VEND001", 20, 0.5, n);
        harness
            .upload("VEND001", &format!("batch-{n}.csv"), file)
            .await;
    }
    let browser = Browser::logged_in(&harness, VEND001).await;
    let cases = [
        ("/api/uploads?limit=0", "limit"),
        ("/api/uploads?limit=101", "limit"),
        ("/api/uploads?limit=ten", "limit"),
        ("/api/uploads?status=done", "status"),
        ("/api/uploads?from=yesterday", "from"),
        ("/api/uploads?from=2026-12-02&to=2026-12-01", "to"),
        ("/api/uploads?colour=red", "colour"),
        ("/api/uploads?cursor=bm90LWEtY3Vyc29y", "cursor"),
        ("/api/products?limit=1000", "limit"),
        ("/api/metrics?since=last-week", "since"),
    ];
    for (path, field) in cases {
        let (status, problem) = browser.get(path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {problem}");
        assert_eq!(problem["field"], field, "{path}: {problem}");
        assert_eq!(problem["status"], 400);
    }
    let bodies = [
        (
            json!({"file_name": "a.csv", "vendor_id": "VEND002"}),
            "vendor_id",
        ),
        (json!({}), "file_name"),
        (json!({"file_name": "products.xlsx"}), "file_name"),
        (json!({"file_name": "x".repeat(300) + ".csv"}), "file_name"),
        (
            json!({"file_name": "a.csv", "padding": "x".repeat(20_000)}),
            "body",
        ),
    ];
    for (body, field) in bodies {
        let (status, problem) = browser.post("/api/uploads", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
        assert_eq!(problem["field"], field, "{problem}");
    }

    // Pages: newest first, each upload once, filters narrow.
    let (_, page1) = browser.get("/api/uploads?limit=2").await;
    let cursor = page1["next_cursor"].as_str().unwrap();
    let (_, page2) = browser
        .get(&format!("/api/uploads?limit=2&cursor={cursor}"))
        .await;
    assert!(page2["next_cursor"].is_null());
    let names: Vec<&str> = page1["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(page2["items"].as_array().unwrap())
        .map(|u| u["file_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["batch-2.csv", "batch-1.csv", "batch-0.csv"]);
    let (_, partial) = browser.get("/api/uploads?status=partial").await;
    assert_eq!(partial["items"].as_array().unwrap().len(), 3);
    let (_, failed) = browser.get("/api/uploads?status=failed").await;
    assert_eq!(failed["items"], json!([]));
    let (_, past) = browser.get("/api/uploads?to=2020-01-01").await;
    assert_eq!(past["items"], json!([]));
    let today = chrono::Utc::now().format("%Y-%m-%d");
    let (_, today) = browser
        .get(&format!("/api/uploads?from={today}&to={today}"))
        .await;
    assert_eq!(today["items"].as_array().unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_vendor_signs_up_and_uploads_once_approved() {
    let harness = portal_stack().await;
    let mut browser = Browser::new(&harness);
    let email = "hello@newvendor.example.com";
    let password = "Brand-New-Vendor-2026!";
    let (status, signed_up) = browser
        .post(
            "/api/auth/signup",
            json!({"vendor_name": "New Vendor Ltd", "email": email, "password": password}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{signed_up}");
    assert_eq!(signed_up["status"], "pending_approval");
    assert_eq!(signed_up["confirmation_required"], true);
    let vendor_id = signed_up["vendor_id"].as_str().unwrap().to_string();

    let (status, _) = browser
        .post(
            "/api/auth/signup",
            json!({"vendor_name": "Again", "email": email, "password": password}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, problem) = browser
        .post(
            "/api/auth/signup",
            json!({"vendor_name": "Weak", "email": "weak@x.example.com", "password": "short"}),
        )
        .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("password"))
    );
    // The auth part that signs up has no database: no vendor row until the
    // login's first request to the data part.
    let pending = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM vendors WHERE status = 'pending_approval'",
        )
        .fetch_one(&harness.db.pool)
        .await
        .unwrap()
    };
    assert_eq!(pending().await, 0);

    let (status, _) = browser.log_in(email, password).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not confirmed yet");
    let (status, _) = browser
        .post(
            "/api/auth/confirm",
            json!({"email": email, "code": "123456"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, logged_in) = browser.log_in(email, password).await;
    assert_eq!(status, StatusCode::OK, "{logged_in}");
    assert_eq!(
        logged_in,
        json!({"role": "vendor", "vendor_id": vendor_id, "email": email})
    );
    // The first request registers the vendor, pending approval, under the
    // name it signed up with; only the first sign-up left a vendor behind.
    let (status, me) = browser.get("/api/me").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(
        (
            me["vendor_id"].as_str(),
            me["vendor_name"].as_str(),
            me["status"].as_str()
        ),
        (
            Some(vendor_id.as_str()),
            Some("New Vendor Ltd"),
            Some("pending_approval")
        )
    );
    assert_eq!(pending().await, 1);
    let (status, _) = browser.get("/api/me").await;
    assert_eq!((status, pending().await), (StatusCode::OK, 1));

    let (status, problem) = browser
        .post("/api/uploads", json!({"file_name": "first.csv"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("awaiting approval")
    );

    // What `onboard vendor approve` does.
    onboarding_db::uploads::set_vendor_status(
        &harness.db.pool,
        &vendor_id.parse().unwrap(),
        onboarding_core::VendorStatus::Active,
    )
    .await
    .unwrap();
    let (status, _) = browser
        .post("/api/uploads", json!({"file_name": "first.csv"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_health_check_and_unknown_paths_answer_as_documented() {
    let harness = portal_stack().await;
    let browser = Browser::new(&harness);
    let (status, health) = browser.get("/api/health").await;
    assert_eq!(
        (status, health),
        (StatusCode::OK, json!({"status": "ok", "database": "ok"}))
    );
    let answer = browser
        .send(Method::GET, "/api/no-such-thing", None, false)
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(
        answer.content_type.as_deref(),
        Some("application/problem+json")
    );
}

/// In AWS, PostgreSQL closes sessions idle for a minute
/// (`idle_session_timeout`, terraform modules/data) so that the vendor-api's
/// pool cannot keep Aurora Serverless from pausing. Its next request must
/// then reconnect, not fail: here the server ends every vendor-api session
/// between two requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_reconnects_after_the_server_closes_its_idle_sessions() {
    let harness = portal_stack().await;
    let browser = Browser::logged_in(&harness, VEND001).await;
    let (status, _) = browser.get("/api/uploads").await;
    assert_eq!(status, StatusCode::OK);

    // The local vendor-api is no Lambda: its sessions are named "onboarding".
    let closed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND application_name = 'onboarding'",
    )
    .fetch_all(&harness.db.pool)
    .await
    .unwrap();
    assert!(
        !closed.is_empty() && closed.iter().all(|c| *c),
        "the vendor-api held no session to close: {closed:?}"
    );

    for path in ["/api/uploads", "/api/me", "/api/products"] {
        let (status, body) = browser.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
}

/// The claims of a token, unverified (the test's own tokens from moto).
fn claims_of(token: &str) -> Value {
    jsonwebtoken::dangerous::insecure_decode::<Value>(token)
        .unwrap()
        .claims
}

/// A browser holding a copy of `browser`'s cookies: a captured session.
fn copy_of(harness: &Harness, browser: &Browser) -> Browser {
    let mut copy = Browser::new(harness);
    copy.session.clone_from(&browser.session);
    copy.refresh.clone_from(&browser.refresh);
    copy
}

/// A refresh with `browser`'s refresh cookie either fails or yields a
/// session the API refuses.
async fn assert_refresh_refused(harness: &Harness, browser: &Browser, what: &str) {
    let mut refreshing = Browser::new(harness);
    refreshing.refresh.clone_from(&browser.refresh);
    assert!(refreshing.refresh.is_some(), "{what}: no refresh cookie");
    let answer = refreshing
        .send(Method::POST, "/api/auth/refresh", None, false)
        .await;
    if answer.status == StatusCode::NO_CONTENT {
        let token = answer.cookie("onboard_session").unwrap();
        let (status, _) = Browser::with_token(harness, &token).get("/api/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: refreshed token");
    } else {
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{what}: refresh");
    }
}

/// The `everywhere` sign-out recorded for `subject`, in seconds.
async fn everywhere_sign_out(harness: &Harness, subject: &str) -> Option<i64> {
    sqlx::query_scalar::<_, chrono::DateTime<chrono::Utc>>(
        "SELECT signed_out_at FROM portal_sign_outs WHERE subject = $1 AND session_id = ''",
    )
    .bind(subject)
    .fetch_optional(&harness.db.pool)
    .await
    .unwrap()
    .map(|at| at.timestamp())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logged_out_session_is_refused_and_logging_in_again_works_at_once() {
    let harness = portal_stack().await;
    let password = support::portal::demo_password(&harness);

    // What moto 5.2.1 puts in an ID token: auth_time and iat (whole
    // seconds) and origin_jti, the session kept across refreshes.
    let mut laptop = Browser::logged_in(&harness, VEND001).await;
    let claims = claims_of(laptop.session.as_deref().unwrap());
    assert!(claims["auth_time"].is_i64(), "{claims}");
    assert!(claims["iat"].is_i64(), "{claims}");
    assert!(claims["origin_jti"].is_string(), "{claims}");
    let subject = claims["sub"].as_str().unwrap().to_string();
    let answer = laptop
        .send(Method::POST, "/api/auth/refresh", None, false)
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    let refreshed = claims_of(&answer.cookie("onboard_session").unwrap());
    assert_eq!(refreshed["origin_jti"], claims["origin_jti"]);

    let phone = Browser::logged_in(&harness, VEND001).await;
    let other_vendor = Browser::logged_in(&harness, VEND002).await;
    let (status, me) = laptop.get("/api/me").await;
    assert_eq!(
        (status, me["vendor_id"].as_str()),
        (StatusCode::OK, Some("VEND001"))
    );
    let captured = copy_of(&harness, &laptop);

    // Log out as the web app does, Cognito's side first: the captured
    // session is refused, as cookie and as bearer token.
    let answer = laptop
        .send(Method::POST, "/api/auth/revoke", None, false)
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    let answer = laptop
        .send(Method::POST, "/api/auth/logout", None, false)
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    assert_eq!(answer.cookie("onboard_session").as_deref(), Some(""));
    let (status, problem) = captured.get("/api/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{problem}");
    assert_eq!(problem["detail"], "This session has ended. Log in again.");
    for path in ["/api/uploads", "/api/products", "/api/metrics"] {
        let (status, _) = captured.get(path).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
    }
    let bearer = reqwest::Client::new()
        .get(format!("{}/api/me", captured.origin))
        .bearer_auth(captured.session.as_deref().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), StatusCode::UNAUTHORIZED);
    assert_refresh_refused(&harness, &captured, "after log-out").await;
    // Only that session: the same login's other browser goes on.
    let (status, _) = phone.get("/api/me").await;
    assert_eq!(status, StatusCode::OK);

    // Logging in again right away works.
    laptop.session = None;
    laptop.refresh = None;
    let (status, me) = laptop.log_in(VEND001, &password).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    let (status, _) = laptop.get("/api/me").await;
    assert_eq!(status, StatusCode::OK);

    // Log out everywhere, from the laptop: the phone's session ends too.
    // Cognito's side first (moto's AdminUserGlobalSignOut ends the refresh
    // tokens; its refreshed tokens get a new auth_time, which Cognito's keep).
    let captured = copy_of(&harness, &laptop);
    let answer = laptop
        .send(
            Method::POST,
            "/api/auth/revoke?everywhere=true",
            None,
            false,
        )
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    let answer = laptop
        .send(
            Method::POST,
            "/api/auth/logout?everywhere=true",
            None,
            false,
        )
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    assert_eq!(answer.cookie("onboard_refresh").as_deref(), Some(""));
    for (what, browser) in [("phone", &phone), ("laptop", &captured)] {
        let (status, _) = browser.get("/api/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}");
        assert_refresh_refused(&harness, browser, what).await;
    }
    // Another login is not touched.
    let (status, _) = other_vendor.get("/api/me").await;
    assert_eq!(status, StatusCode::OK);
    // Logging in right after it works, on both browsers.
    for _ in 0..2 {
        let mut browser = Browser::new(&harness);
        let (status, me) = browser.log_in(VEND001, &password).await;
        assert_eq!(status, StatusCode::OK, "{me}");
        let (status, _) = browser.get("/api/me").await;
        assert_eq!(status, StatusCode::OK);
    }

    // The boundary, with tokens forged with moto's key: the sign-out's own
    // second is refused, the next one is not; without auth_time, iat counts.
    let at = everywhere_sign_out(&harness, &subject).await.unwrap();
    let key = moto_signing_key();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some("dummy".into());
    let now = chrono::Utc::now().timestamp();
    let forged = |auth_time: Option<i64>, iat: Option<i64>| {
        let mut forged = claims.clone();
        let object = forged.as_object_mut().unwrap();
        object.remove("origin_jti");
        object.insert("exp".into(), json!(now + 600));
        for (name, value) in [("auth_time", auth_time), ("iat", iat)] {
            match value {
                Some(value) => object.insert(name.into(), json!(value)),
                None => object.remove(name),
            };
        }
        jsonwebtoken::encode(&header, &forged, &key).unwrap()
    };
    for (auth_time, iat, expected) in [
        (Some(at), Some(at + 5), StatusCode::UNAUTHORIZED),
        (Some(at - 60), Some(at + 5), StatusCode::UNAUTHORIZED),
        (Some(at + 1), Some(at + 1), StatusCode::OK),
        (None, Some(at), StatusCode::UNAUTHORIZED),
        (None, Some(at + 1), StatusCode::OK),
        (None, None, StatusCode::UNAUTHORIZED),
    ] {
        let (status, problem) = Browser::with_token(&harness, &forged(auth_time, iat))
            .get("/api/me")
            .await;
        assert_eq!(
            status, expected,
            "auth_time {auth_time:?}, iat {iat:?}, sign-out {at}: {problem}"
        );
    }

    // A bad option is a 400 naming it, and ends nothing.
    let browser = Browser::logged_in(&harness, VEND001).await;
    let answer = browser
        .send(Method::POST, "/api/auth/logout?everywhere=yes", None, false)
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json()["field"], "everywhere");
    let (status, _) = browser.get("/api/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(everywhere_sign_out(&harness, &subject).await, Some(at));
}

/// The API as AWS runs it: the auth part (`API_PART=auth`, outside the
/// VPC) with no database settings at all, and the data part (`API_PART=data`,
/// in the VPC) whose Cognito address is a closed port and whose signing keys
/// come from the auth part (`GET /api/auth/jwks`), as over the site in AWS.
/// Each refuses the other's routes; together they serve the whole journey.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_in_two_parts_serves_the_journey_with_no_cognito_call_from_the_data_part() {
    use onboarding_devstack::portal::{PortalServer, free_port};

    let harness = portal_stack().await;
    let whole = harness.stack.portal().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let start = |part: &'static str, env: Vec<(String, String)>| {
        let mut options = whole.options.clone();
        options.web_root = None;
        let log = logs.path().join(format!("{part}.log"));
        async move {
            let port = free_port().unwrap();
            let mut env = env;
            env.push(("API_PART".into(), part.into()));
            PortalServer::start(&options, port, env, &log)
                .await
                .unwrap()
        }
    };
    let without = |names: &[&str]| -> Vec<(String, String)> {
        whole
            .env
            .iter()
            .filter(|(name, _)| !names.iter().any(|n| name.starts_with(n)))
            .cloned()
            .collect()
    };
    let auth = start(
        "auth",
        without(&["DATABASE_", "CONSOLE_DATABASE_", "UPLOAD_BUCKET"]),
    )
    .await;
    let closed = format!("http://127.0.0.1:{}", free_port().unwrap());
    let mut data_env = without(&[
        keys::AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER,
        keys::COGNITO_JWKS_URL,
    ]);
    data_env.extend([
        (
            keys::AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER.to_string(),
            closed,
        ),
        (
            keys::COGNITO_JWKS_URL.to_string(),
            format!("{}/api/auth/jwks", auth.url),
        ),
    ]);
    let data = start("data", data_env).await;

    // Each part answers its health, and refuses the other's routes.
    let (status, health) = Browser::at(&auth.url).get("/api/health").await;
    assert_eq!(
        (status, health),
        (
            StatusCode::OK,
            json!({"status": "ok", "database": "not_used"})
        )
    );
    let (status, health) = Browser::at(&data.url).get("/api/health").await;
    assert_eq!(
        (status, health["database"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    // API Gateway routes exactly the contract's auth routes to the auth
    // part (terraform/modules/portal/api.tf): the auth part serves each of
    // them, and the data part none.
    for (method, path) in onboarding_aws::contract::AUTH_ROUTES {
        let path = format!("/api{path}");
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let served = Browser::at(&auth.url)
            .send(method.clone(), &path, None, false)
            .await;
        assert!(
            ![StatusCode::NOT_FOUND, StatusCode::METHOD_NOT_ALLOWED].contains(&served.status),
            "{method} {path} on the auth part: {}",
            served.status
        );
        let refused = Browser::at(&data.url)
            .send(method, &path, None, false)
            .await;
        assert_eq!(
            refused.status,
            StatusCode::NOT_FOUND,
            "{path} on the data part"
        );
    }
    for (part, method, path) in [
        (&auth, Method::GET, "/api/me"),
        (&auth, Method::POST, "/api/auth/logout"),
        (&auth, Method::GET, "/api/admin/uploads"),
    ] {
        let answer = Browser::at(&part.url).send(method, path, None, false).await;
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "{path} on {}",
            part.url
        );
    }
    let (status, keys) = Browser::at(&auth.url).get("/api/auth/jwks").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!keys["keys"].as_array().unwrap().is_empty(), "{keys}");

    // A seeded vendor logs in on the auth part and works on the data part.
    let mut laptop = Browser::at(&auth.url);
    let (status, logged_in) = laptop
        .log_in(VEND001, &support::portal::demo_password(&harness))
        .await;
    assert_eq!(status, StatusCode::OK, "{logged_in}");
    assert_eq!(logged_in["vendor_id"], "VEND001");
    let mut at_data = Browser::at(&data.url);
    at_data.session.clone_from(&laptop.session);
    let (status, me) = at_data.get("/api/me").await;
    assert_eq!(
        (status, me["vendor_id"].as_str()),
        (StatusCode::OK, Some("VEND001"))
    );
    let (status, _) = at_data.get("/api/uploads").await;
    assert_eq!(status, StatusCode::OK);
    let answer = laptop
        .send(Method::POST, "/api/auth/refresh", None, false)
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    at_data.session = answer.cookie("onboard_session");
    let (status, _) = at_data.get("/api/me").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a refreshed session on the data part"
    );

    // Signing up on the auth part; the first request to the data part
    // registers the vendor, pending approval.
    let email = "split@newvendor.example.com";
    let password = "Split-Parts-Vendor-2026!";
    let mut newcomer = Browser::at(&auth.url);
    let signed_up = newcomer
        .sign_up_and_log_in("Split Parts Ltd", email, password)
        .await;
    let mut newcomer_at_data = Browser::at(&data.url);
    newcomer_at_data.session.clone_from(&newcomer.session);
    let (status, me) = newcomer_at_data.get("/api/me").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(
        (me["vendor_id"].clone(), me["status"].as_str()),
        (signed_up["vendor_id"].clone(), Some("pending_approval"))
    );

    // Logging out: Cognito's side on the auth part, the API's on the data
    // part; the captured session is refused from then on.
    let answer = laptop
        .send(Method::POST, "/api/auth/revoke", None, false)
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    assert_eq!(answer.cookie("onboard_refresh").as_deref(), Some(""));
    let captured_session = at_data.session.clone();
    let answer = at_data
        .send(Method::POST, "/api/auth/logout", None, false)
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    let mut captured = Browser::at(&data.url);
    captured.session = captured_session;
    let (status, _) = captured.get("/api/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The data part never tried Cognito: its log has no Cognito call.
    let data_log = std::fs::read_to_string(logs.path().join("data.log")).unwrap();
    assert!(!data_log.to_lowercase().contains("cognito"), "{data_log}");
    auth.stop().await;
    data.stop().await;
}

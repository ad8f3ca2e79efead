//! docs/openapi.yaml stays true: its operations are exactly the router's
//! routes, and live answers of the vendor-api binary on the local stack
//! have only statuses the document lists and bodies its schemas accept
//! (no undocumented property, no documented required one missing).

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use onboarding_devstack::env::keys;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::portal::{Answer, Browser, demo_password};
use support::{Harness, METHODS, Options, router_routes};

const VEND001: &str = "orders@techgear.example.com";
const MISSING_UPLOAD: &str = "UPLOAD_20000101_000000_000000000000";

fn document() -> Value {
    let text = std::fs::read_to_string("../../docs/openapi.yaml").unwrap();
    serde_yaml_ng::from_str(&text).expect("docs/openapi.yaml is YAML")
}

fn documented_operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for key in item.as_object().unwrap().keys() {
            assert!(
                METHODS.contains(&key.as_str()),
                "{path}: unexpected key {key}"
            );
            operations.insert((key.clone(), path.clone()));
        }
    }
    operations
}

/// The object a `$ref` (`#/components/...`) points at, followed until a
/// value without one.
fn resolve<'a>(doc: &'a Value, mut value: &'a Value) -> &'a Value {
    while let Some(reference) = value.get("$ref").and_then(Value::as_str) {
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("only local $refs: {reference}"));
        value = doc
            .pointer(pointer)
            .unwrap_or_else(|| panic!("dangling $ref {reference}"));
    }
    value
}

/// A validator for one of the document's schemas. OpenAPI 3.1 schemas are
/// JSON Schema 2020-12; the document's `components` ride along at the root
/// so a `$ref: '#/components/schemas/X'` resolves exactly as in the
/// document. References resolve when the validator is built: a dangling one
/// panics here. Formats are asserted (2020-12 only annotates them by
/// default), and a format the crate does not know is an error, not a pass.
fn schema_validator(doc: &Value, schema: &Value) -> jsonschema::Validator {
    let root = json!({ "allOf": [schema], "components": doc["components"] });
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .should_ignore_unknown_formats(false)
        .build(&root)
        .unwrap_or_else(|error| panic!("{schema} does not compile: {error}"))
}

/// What `schema` refuses in `value`, one line per error, each starting with
/// where in `value` it is (a JSON pointer; empty for the value itself).
fn schema_errors(doc: &Value, schema: &Value, value: &Value) -> Vec<String> {
    schema_validator(doc, schema)
        .iter_errors(value)
        .map(|error| format!("{}: {error}", error.instance_path()))
        .collect()
}

/// The keywords the document's schemas may use. The validator ignores a
/// keyword it does not know, so a misspelt one (`requird`) would silently
/// accept anything; this list makes it a failure instead.
const SCHEMA_KEYWORDS: [&str; 17] = [
    "$ref",
    "oneOf",
    "type",
    "enum",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "maxItems",
    "format",
    "description",
    "default",
    "title",
];

/// Calls `visit` on `schema` and every schema inside it (not through
/// `$ref`s: each component is visited on its own).
fn visit_schemas(schema: &Value, at: &str, visit: &mut impl FnMut(&str, &Value)) {
    visit(at, schema);
    for (name, property) in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        visit_schemas(property, &format!("{at}.{name}"), visit);
    }
    for (i, option) in schema
        .get("oneOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        visit_schemas(option, &format!("{at}.oneOf[{i}]"), visit);
    }
    if let Some(items) = schema.get("items") {
        visit_schemas(items, &format!("{at}[]"), visit);
    }
    if let Some(extra) = schema.get("additionalProperties").filter(|e| e.is_object()) {
        visit_schemas(extra, &format!("{at}.*"), visit);
    }
}

/// Every schema in the document: the components' and the inline ones of
/// requests, responses, parameters and headers, each with where it is.
fn every_schema(doc: &Value) -> Vec<(String, Value)> {
    fn find(value: &Value, at: &str, found: &mut Vec<(String, Value)>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    let here = format!("{at}/{key}");
                    if key == "schema" {
                        found.push((here, child.clone()));
                    } else {
                        find(child, &here, found);
                    }
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    find(child, &format!("{at}/{i}"), found);
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        found.push((format!("#/components/schemas/{name}"), schema.clone()));
    }
    find(&doc["paths"], "#/paths", &mut found);
    for part in ["responses", "parameters", "headers"] {
        find(
            &doc["components"][part],
            &format!("#/components/{part}"),
            &mut found,
        );
    }
    found
}

/// The document's path template a concrete path matches.
fn template_of(doc: &Value, path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split('/').collect();
    doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .find(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(p, s)| p == s || (p.starts_with('{') && p.ends_with('}')))
        })
        .cloned()
}

struct Checker {
    doc: Value,
    failures: Vec<String>,
    /// (method, template, status) of every answer checked.
    seen: BTreeSet<(String, String, u16)>,
}

impl Checker {
    /// Checks one answer against the operation it came from: a listed
    /// status, a listed media type, a body the schema accepts, and the
    /// documented required headers. `query_documented` also checks that
    /// every query parameter sent is a documented one.
    fn check(&mut self, method: &Method, url_path: &str, answer: &Answer, query_documented: bool) {
        let (path, query) = url_path.split_once('?').unwrap_or((url_path, ""));
        let method_key = method.as_str().to_lowercase();
        let what = format!("{method} {url_path} → {}", answer.status.as_u16());
        let Some(template) = template_of(&self.doc, path) else {
            // Not an operation: the fallback, which must still be a Problem.
            self.check_body(
                &what,
                "#/components/schemas/Problem",
                "application/problem+json",
                answer,
            );
            return;
        };
        self.seen
            .insert((method_key.clone(), template.clone(), answer.status.as_u16()));
        let doc = self.doc.clone();
        let Some(operation) = doc["paths"][&template].get(&method_key) else {
            self.failures
                .push(format!("{what}: {method_key} {template} is not documented"));
            return;
        };
        if query_documented {
            let parameters: BTreeSet<String> = operation
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|p| resolve(&doc, p))
                .filter(|p| p["in"] == "query")
                .map(|p| p["name"].as_str().unwrap().to_string())
                .collect();
            for pair in query.split('&').filter(|p| !p.is_empty()) {
                let name = pair.split('=').next().unwrap();
                if !parameters.contains(name) {
                    self.failures.push(format!(
                        "{what}: query parameter `{name}` is not documented"
                    ));
                }
            }
        }
        let Some(response) = operation["responses"].get(answer.status.as_str()) else {
            self.failures.push(format!(
                "{what}: status not listed for {method_key} {template}; body {}",
                String::from_utf8_lossy(&answer.body)
            ));
            return;
        };
        let response = resolve(&doc, response);
        for (name, header) in response
            .get("headers")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if header["required"] == true && name == "Location" && answer.location.is_none() {
                self.failures.push(format!("{what}: no Location header"));
            }
        }
        match response.get("content").and_then(Value::as_object) {
            None => {
                if !answer.body.is_empty() {
                    self.failures.push(format!(
                        "{what}: documented without a body, got {}",
                        String::from_utf8_lossy(&answer.body)
                    ));
                }
            }
            Some(content) => {
                let media = answer.content_type.clone().unwrap_or_default();
                let media = media.split(';').next().unwrap().trim().to_string();
                match content.get(&media) {
                    None => self.failures.push(format!(
                        "{what}: content type '{media}' is not among {:?}",
                        content.keys().collect::<Vec<_>>()
                    )),
                    Some(entry) => {
                        let errors = match serde_json::from_slice::<Value>(&answer.body) {
                            Ok(body) => schema_errors(&doc, &entry["schema"], &body),
                            Err(e) => vec![format!("the body is not JSON: {e}")],
                        };
                        for error in errors {
                            self.failures.push(format!("{what}: {error}"));
                        }
                    }
                }
            }
        }
    }

    fn check_body(&mut self, what: &str, schema: &str, media: &str, answer: &Answer) {
        let got = answer.content_type.as_deref().unwrap_or_default();
        if !got.starts_with(media) {
            self.failures
                .push(format!("{what}: content type '{got}', not {media}"));
        }
        let errors = schema_errors(&self.doc, &json!({ "$ref": schema }), &answer.json());
        self.failures
            .extend(errors.into_iter().map(|e| format!("{what}: {e}")));
    }
}

/// Sends a request and checks its answer against the document.
async fn call(
    checker: &mut Checker,
    browser: &Browser,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Answer {
    let answer = browser.send(method.clone(), path, body, false).await;
    checker.check(&method, path, &answer, true);
    answer
}

#[test]
fn the_document_lists_exactly_the_routers_routes() {
    let doc = document();
    assert_eq!(doc["openapi"].as_str().unwrap_or_default(), "3.1.0");
    let documented = documented_operations(&doc);
    let routed = router_routes();
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        undocumented.is_empty() && unrouted.is_empty(),
        "routes missing from docs/openapi.yaml: {undocumented:?}; documented but not routed: {unrouted:?}"
    );
}

#[test]
fn the_document_says_which_endpoints_need_no_session() {
    let doc = document();
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    assert_eq!(schemes["sessionCookie"]["in"], "cookie");
    assert_eq!(schemes["sessionCookie"]["name"], "onboard_session");
    assert_eq!(schemes["refreshCookie"]["name"], "onboard_refresh");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(
        doc["security"],
        json!([{"sessionCookie": []}, {"bearer": []}])
    );
    let mut open = BTreeSet::new();
    for (method, path) in documented_operations(&doc) {
        let operation = &doc["paths"][&path][&method];
        match operation.get("security") {
            Some(security) if security == &json!([]) => {
                open.insert(format!("{method} {path}"));
            }
            Some(security) => assert_eq!(
                (method.as_str(), path.as_str(), security),
                ("post", "/api/auth/refresh", &json!([{"refreshCookie": []}]))
            ),
            None => {
                let responses = &operation["responses"];
                assert!(
                    responses.get("401").is_some(),
                    "{method} {path} needs a session but lists no 401"
                );
            }
        }
    }
    let expected: BTreeSet<String> = [
        "get /api/health",
        "get /api/links/{token}",
        "post /api/auth/signup",
        "post /api/auth/confirm",
        "post /api/auth/login",
        "post /api/auth/revoke",
        "post /api/auth/logout",
        "get /api/auth/jwks",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(open, expected);
}

#[test]
fn every_ref_resolves_and_every_schema_uses_only_known_keywords() {
    let doc = document();
    // $refs outside schemas too (responses, parameters), which no
    // validator follows.
    fn walk(doc: &Value, value: &Value) {
        match value {
            Value::Object(map) => {
                if map.contains_key("$ref") {
                    resolve(doc, value);
                }
                for child in map.values() {
                    walk(doc, child);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(doc, v)),
            _ => {}
        }
    }
    walk(&doc, &doc);
    let schemas = every_schema(&doc);
    assert!(schemas.len() > 100, "{}", schemas.len());
    for (at, schema) in &schemas {
        // Building resolves every $ref inside it.
        schema_validator(&doc, schema);
        visit_schemas(schema, at, &mut |at, schema| {
            let keywords = schema.as_object().expect("a schema is an object");
            for key in keywords.keys() {
                assert!(
                    SCHEMA_KEYWORDS.contains(&key.as_str()),
                    "{at}: `{key}` is not a keyword the document uses; a typo?"
                );
            }
            // JSON Schema allows any other property when
            // `additionalProperties` is absent: the document always says.
            if keywords.contains_key("properties") {
                assert!(
                    keywords.contains_key("additionalProperties"),
                    "{at}: lists properties but not whether others are allowed (additionalProperties)"
                );
            }
            let properties = schema.get("properties").and_then(Value::as_object);
            for name in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let name = name.as_str().unwrap();
                assert!(
                    properties.is_some_and(|p| p.contains_key(name)),
                    "{at}: `{name}` is required but not among the properties"
                );
            }
        });
    }
}

/// The check is not vacuous: the crate, given the document, refuses each
/// way an answer can differ from it, and says where.
#[test]
fn the_validator_refuses_answers_the_document_does_not_describe() {
    let doc = document();
    let product = json!({
        "vendor_product_id": "P1", "sku": "SKU-1", "product_name": "Mouse",
        "category": "Electronics", "subcategory": null, "brand": "Acme",
        "price": "19.99", "stock_quantity": 3, "status": "active",
        "upload_id": "UPLOAD_X", "created_at": "2026-11-30T12:00:00Z"
    });
    let schema = json!({"$ref": "#/components/schemas/Product"});
    let errors_of = |value: &Value| schema_errors(&doc, &schema, value);
    assert_eq!(errors_of(&product), Vec::<String>::new());
    let mut extra = product.clone();
    extra["colour"] = json!("red");
    assert_eq!(
        errors_of(&extra),
        [": Additional properties are not allowed ('colour' was unexpected)"]
    );
    let mut missing = product.clone();
    missing.as_object_mut().unwrap().remove("brand");
    assert_eq!(errors_of(&missing), [r#": "brand" is a required property"#]);
    let mut wrong = product.clone();
    wrong["sku"] = Value::Null;
    wrong["stock_quantity"] = json!(1.5);
    wrong["created_at"] = json!("yesterday");
    wrong["status"] = json!("gone");
    let errors = errors_of(&wrong);
    let mut wrong_at: Vec<&str> = errors
        .iter()
        .map(|e| e.split_once(':').unwrap().0)
        .collect();
    wrong_at.sort();
    assert_eq!(
        wrong_at,
        ["/created_at", "/sku", "/status", "/stock_quantity"],
        "{errors:?}"
    );
    let page = json!({"items": [product, extra], "next_cursor": null});
    assert_eq!(
        schema_errors(
            &doc,
            &json!({"$ref": "#/components/schemas/ProductPage"}),
            &page
        ),
        ["/items/1: Additional properties are not allowed ('colour' was unexpected)"]
    );
    // A whole answer as the live check sees it: the operation's documented
    // 200 schema, a body that is not one.
    let mut checker = Checker {
        doc: doc.clone(),
        failures: Vec::new(),
        seen: BTreeSet::new(),
    };
    let answer = Answer {
        status: StatusCode::OK,
        content_type: Some("application/json".into()),
        location: None,
        retry_after: None,
        set_cookies: Vec::new(),
        body: serde_json::to_vec(&json!({"status": "ok", "extra": true})).unwrap(),
    };
    checker.check(&Method::GET, "/api/health", &answer, true);
    assert!(
        checker
            .failures
            .iter()
            .any(|f| f.starts_with("GET /api/health → 200: ")
                && f.contains("'extra' was unexpected")),
        "{:?}",
        checker.failures
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_answers_match_the_document() {
    let harness = Harness::start(Options {
        portal: true,
        ..Options::default()
    })
    .await;
    let doc = document();
    let mut checker = Checker {
        doc: doc.clone(),
        failures: Vec::new(),
        seen: BTreeSet::new(),
    };
    let c = &mut checker;
    let anonymous = Browser::new(&harness);

    // No session: health answers; everything that needs a session is a 401,
    // and a browser opening a report link is sent to log in.
    let health = call(c, &anonymous, Method::GET, "/api/health", None).await;
    assert_eq!(health.status, StatusCode::OK);
    let secured_gets: Vec<String> = documented_operations(&doc)
        .into_iter()
        .filter(|(method, path)| {
            method == "get" && doc["paths"][path][method].get("security").is_none()
        })
        .map(|(_, path)| path.replace("{upload_id}", MISSING_UPLOAD))
        .collect();
    assert!(secured_gets.len() >= 8, "{secured_gets:?}");
    for path in &secured_gets {
        let answer = call(c, &anonymous, Method::GET, path, None).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    for document in ["report", "fix-file"] {
        let path = format!("/api/uploads/{MISSING_UPLOAD}/{document}");
        let answer = anonymous.send(Method::GET, &path, None, true).await;
        c.check(&Method::GET, &path, &answer, true);
        assert!(answer.status.is_redirection(), "{path}: {}", answer.status);
        assert!(
            answer
                .location
                .as_deref()
                .is_some_and(|l| l.contains("/login.html?next=")),
            "{:?}",
            answer.location
        );
    }
    let answer = call(
        c,
        &anonymous,
        Method::POST,
        "/api/uploads",
        Some(json!({"file_name": "a.csv"})),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let answer = call(c, &anonymous, Method::POST, "/api/auth/refresh", None).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);

    // Logging in, and failing to.
    let password = demo_password(&harness);
    let login = |password: &str| json!({"email": VEND001, "password": password});
    let answer = call(
        c,
        &anonymous,
        Method::POST,
        "/api/auth/login",
        Some(login("Wrong-password-1!")),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let mut with_extra = login(&password);
    with_extra["remember"] = json!(true);
    let answer = call(
        c,
        &anonymous,
        Method::POST,
        "/api/auth/login",
        Some(with_extra),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let answer = call(
        c,
        &anonymous,
        Method::POST,
        "/api/auth/login",
        Some(login(&password)),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    let mut browser = Browser::new(&harness);
    browser.session = answer.cookie("onboard_session");
    browser.refresh = answer.cookie("onboard_refresh");
    assert!(browser.session.is_some() && browser.refresh.is_some());
    let b = &browser;

    // Sign-up and confirmation errors.
    let answer = call(
        c,
        &anonymous,
        Method::POST,
        "/api/auth/signup",
        Some(
            json!({"vendor_name": "Again", "email": VEND001, "password": "Another-Password-2026!"}),
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    let answer = call(
        c,
        &anonymous,
        Method::POST,
        "/api/auth/signup",
        Some(json!({"vendor_name": "X", "email": "x@y.example.com", "password": "P-2026-long!", "vendor_id": "VEND002"})),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json()["field"], "vendor_id");
    let answer = call(
        c,
        &anonymous,
        Method::POST,
        "/api/auth/confirm",
        Some(json!({"email": "x@y.example.com"})),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);

    // The upload, through a presigned POST.
    let answer = call(
        c,
        b,
        Method::POST,
        "/api/uploads",
        Some(json!({"file_name": "VEND001_products.csv"})),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let post = answer.json();
    let csv = std::fs::read("../../testdata/samples/VEND001_products.csv").unwrap();
    let status = b.post_form(&post, "VEND001_products.csv", csv).await;
    assert!(status.is_success(), "{status}");
    let answer = call(
        c,
        b,
        Method::POST,
        "/api/uploads",
        Some(json!({"file_name": "products.xlsx"})),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    // The mode: upsert is signed into the form; another word is a 400.
    let answer = call(
        c,
        b,
        Method::POST,
        "/api/uploads",
        Some(json!({"file_name": "prices.csv", "mode": "upsert"})),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    assert_eq!(answer.json()["fields"]["x-amz-meta-mode"], "upsert");
    let answer = call(
        c,
        b,
        Method::POST,
        "/api/uploads",
        Some(json!({"file_name": "prices.csv", "mode": "replace"})),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);

    // Waiting for it, checking every answer on the way (processing included).
    let started = Instant::now();
    let id = loop {
        let page = call(c, b, Method::GET, "/api/uploads?limit=5", None)
            .await
            .json();
        if let Some(id) = page["items"][0]["upload_id"].as_str() {
            let detail = call(c, b, Method::GET, &format!("/api/uploads/{id}"), None)
                .await
                .json();
            let told = detail["stages"].as_array().is_some_and(|stages| {
                stages
                    .iter()
                    .any(|s| s["name"] == "notified" && !s["finished_at"].is_null())
            });
            if told {
                break id.to_string();
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "the upload never finished"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };

    // Every GET, with its query parameters.
    let gets = [
        "/api/me".to_string(),
        "/api/uploads".into(),
        "/api/uploads?status=partial&from=2020-01-01&to=2099-12-31T00:00:00Z&limit=1".into(),
        format!("/api/uploads/{id}"),
        format!("/api/uploads/{id}/errors"),
        format!("/api/uploads/{id}/errors?error_type=INVALID_PRICE&limit=2"),
        format!("/api/uploads/{id}/failed-rows"),
        format!("/api/uploads/{id}/failed-rows?limit=2"),
        "/api/products".into(),
        "/api/products?q=mouse&limit=100".into(),
        "/api/products?category=Electronics&limit=5".into(),
        "/api/categories".into(),
        "/api/metrics".into(),
        "/api/metrics?since=2020-01-01".into(),
    ];
    for path in &gets {
        let answer = call(c, b, Method::GET, path, None).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
    }
    let errors = call(
        c,
        b,
        Method::GET,
        &format!("/api/uploads/{id}/errors?limit=4"),
        None,
    )
    .await
    .json();
    let cursor = errors["next_cursor"].as_str().expect("a second page");
    let answer = call(
        c,
        b,
        Method::GET,
        &format!("/api/uploads/{id}/errors?limit=4&cursor={cursor}"),
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    // The form's and the grid's validation, and submissions refused before
    // anything is written (the accepted ones are tests/form.rs's).
    for body in [
        json!({"sku": "OPENAPI-1", "price": "1.00"}),
        json!({"vendor_product_id": "P1", "product_name": "Lamp", "category": "Electronics",
               "sku": "OPENAPI-1", "price": "1.00", "stock_quantity": "1", "mode": "upsert"}),
    ] {
        let answer = call(c, b, Method::POST, "/api/products/validate", Some(body)).await;
        assert_eq!(answer.status, StatusCode::OK);
    }
    let answer = call(
        c,
        b,
        Method::POST,
        "/api/products",
        Some(json!({"sku": "OPENAPI-1", "email_result": true})),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let answer = call(
        c,
        b,
        Method::POST,
        &format!("/api/uploads/{id}/fixes"),
        Some(json!({"rows": [{"row_number": 1, "sku": "OPENAPI-1"}]})),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let answer = call(
        c,
        b,
        Method::POST,
        &format!("/api/uploads/{MISSING_UPLOAD}/fixes"),
        Some(json!({"rows": [{"row_number": 1}]})),
    )
    .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    let products = call(c, b, Method::GET, "/api/products?limit=10", None)
        .await
        .json();
    let cursor = products["next_cursor"].as_str().expect("a second page");
    let answer = call(
        c,
        b,
        Method::GET,
        &format!("/api/products?limit=10&cursor={cursor}"),
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    let sku = products["items"][0]["sku"].as_str().expect("a product");
    let answer = call(
        c,
        b,
        Method::GET,
        &format!("/api/products/{sku}/history?limit=5"),
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    let answer = call(c, b, Method::GET, "/api/products/NO-SUCH-SKU/history", None).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    for document in ["report", "fix-file"] {
        let path = format!("/api/uploads/{id}/{document}");
        let answer = call(c, b, Method::GET, &path, None).await;
        assert!(answer.status.is_redirection(), "{path}: {}", answer.status);
    }
    // The email's seven-day links need no session; expired, they are gone.
    let portal = harness.stack.env().require(keys::PORTAL_URL).unwrap();
    let email = harness.emails_about(&id.parse().unwrap()).await.remove(0);
    let email_links: Vec<String> = email
        .body
        .lines()
        .filter_map(|line| line.split_once(": ").map(|(_, link)| link))
        .filter_map(|link| link.strip_prefix(portal))
        .filter(|path| path.starts_with("/api/links/"))
        .map(String::from)
        .collect();
    assert_eq!(email_links.len(), 2, "{}", email.body);
    for path in &email_links {
        let answer = call(c, &anonymous, Method::GET, path, None).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{path}");
    }
    sqlx::query("UPDATE report_links SET expires_at = now() WHERE upload_id = $1")
        .bind(&id)
        .execute(&harness.db.pool)
        .await
        .unwrap();
    let answer = call(c, &anonymous, Method::GET, &email_links[0], None).await;
    assert_eq!(answer.status, StatusCode::GONE);

    // Error cases.
    let bad = [
        ("/api/uploads?limit=0", StatusCode::BAD_REQUEST),
        ("/api/uploads?limit=101", StatusCode::BAD_REQUEST),
        ("/api/uploads?status=done", StatusCode::BAD_REQUEST),
        (
            "/api/uploads?cursor=bm90LWEtY3Vyc29y",
            StatusCode::BAD_REQUEST,
        ),
        ("/api/products?limit=ten", StatusCode::BAD_REQUEST),
        ("/api/metrics?since=last-week", StatusCode::BAD_REQUEST),
    ];
    let upload_errors = format!("/api/uploads/{id}/errors?limit=501");
    let error_type = format!("/api/uploads/{id}/errors?error_type=TYPO");
    let missing: Vec<String> = ["", "/errors", "/report", "/fix-file"]
        .iter()
        .map(|suffix| format!("/api/uploads/{MISSING_UPLOAD}{suffix}"))
        .chain([format!("/api/links/{}", "A".repeat(43))])
        .collect();
    let cases = bad
        .iter()
        .map(|(p, s)| (p.to_string(), *s))
        .chain([
            (upload_errors, StatusCode::BAD_REQUEST),
            (error_type, StatusCode::BAD_REQUEST),
        ])
        .chain(missing.into_iter().map(|p| (p, StatusCode::NOT_FOUND)));
    for (path, status) in cases {
        let answer = call(c, b, Method::GET, &path, None).await;
        assert_eq!(answer.status, status, "{path}");
    }
    // An unknown query parameter: a 400 (and, rightly, not in the document).
    let path = "/api/uploads?colour=red";
    let answer = b.send(Method::GET, path, None, false).await;
    c.check(&Method::GET, path, &answer, false);
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json()["field"], "colour");
    // A path that is no endpoint: a problem+json 404.
    let answer = b.send(Method::GET, "/api/no-such-thing", None, false).await;
    c.check(&Method::GET, "/api/no-such-thing", &answer, false);
    assert_eq!(answer.status, StatusCode::NOT_FOUND);

    // The admin API: a vendor's token is a 403 on it; the operator's
    // (the stack's login in the admins group) gets answers.
    let answer = call(c, b, Method::GET, "/api/admin/vendors", None).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let operator = Browser::operator(&harness).await;
    // An operator logs in through the same endpoint (the console's pages).
    let env = harness.stack.env();
    let operator_login = json!({
        "email": env.require(onboarding_devstack::portal::OPERATOR_EMAIL_KEY).unwrap(),
        "password": env.require(onboarding_devstack::portal::OPERATOR_PASSWORD_KEY).unwrap(),
    });
    let answer = call(
        c,
        &anonymous,
        Method::POST,
        "/api/auth/login",
        Some(operator_login),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json()["role"], "operator");
    assert!(answer.cookie("onboard_session").is_some());
    let answer = call(c, &operator, Method::GET, "/api/admin/vendors", None).await;
    assert_eq!(answer.status, StatusCode::OK);
    let answer = call(
        c,
        &operator,
        Method::POST,
        "/api/admin/subscriptions/reconcile",
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    let answer = call(
        c,
        &operator,
        Method::POST,
        "/api/admin/vendors/NOPE999/suspend",
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    // The console's reads (docs/console.md).
    let answer = call(
        c,
        &operator,
        Method::GET,
        "/api/admin/uploads?limit=2",
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    let some_upload = answer.json()["items"][0]["upload_id"]
        .as_str()
        .expect("an upload by now")
        .to_string();
    for path in [
        format!("/api/admin/uploads/{some_upload}"),
        format!("/api/admin/uploads/{some_upload}/logs?level=INFO&limit=5"),
        format!("/api/admin/uploads/{MISSING_UPLOAD}/logs"),
        "/api/admin/monitor?window=15m".to_string(),
        "/api/admin/dead-letters?queue=errors".to_string(),
        "/api/admin/uploads?status=bogus".to_string(),
    ] {
        let answer = call(c, &operator, Method::GET, &path, None).await;
        assert!(answer.status.as_u16() < 500, "{path}: {}", answer.status);
    }
    let answer = call(
        c,
        &operator,
        Method::POST,
        "/api/admin/query",
        Some(json!({"sql": "SELECT vendor_id, status FROM console_vendors"})),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    let answer = call(
        c,
        &operator,
        Method::POST,
        "/api/admin/query",
        Some(json!({"sql": "DELETE FROM vendors"})),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let answer = call(
        c,
        &operator,
        Method::POST,
        "/api/admin/dead-letters/stream/redrive",
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::CONFLICT);

    // The pool's keys, for the data part.
    let answer = call(c, &anonymous, Method::GET, "/api/auth/jwks", None).await;
    assert_eq!(answer.status, StatusCode::OK);

    // Refresh, then log out as the web app does: revoke, then log out.
    let answer = call(c, b, Method::POST, "/api/auth/refresh", None).await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    assert!(answer.cookie("onboard_session").is_some());
    let answer = call(c, b, Method::POST, "/api/auth/revoke", None).await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    assert_eq!(answer.cookie("onboard_refresh").as_deref(), Some(""));
    let answer = call(c, b, Method::POST, "/api/auth/logout", None).await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    assert_eq!(answer.cookie("onboard_session").as_deref(), Some(""));

    // Every GET operation answered at least once with a success or redirect.
    let mut answered: BTreeMap<String, Vec<u16>> = BTreeMap::new();
    for (method, template, status) in &checker.seen {
        answered
            .entry(format!("{method} {template}"))
            .or_default()
            .push(*status);
    }
    for (method, path) in documented_operations(&doc) {
        if method == "get" {
            let statuses = answered
                .get(&format!("{method} {path}"))
                .cloned()
                .unwrap_or_default();
            assert!(
                statuses.iter().any(|s| (200..400).contains(s)),
                "{method} {path} was never answered successfully: {statuses:?}"
            );
        }
    }
    eprintln!("checked against docs/openapi.yaml: {answered:#?}");
    assert!(
        checker.failures.is_empty(),
        "answers that docs/openapi.yaml does not describe:\n{}",
        checker.failures.join("\n")
    );
}

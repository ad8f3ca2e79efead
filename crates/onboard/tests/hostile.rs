//! Hostile input, closed as classes (issue 13): control characters in
//! every path parameter, query parameter, cursor and JSON string field of
//! every operation of docs/openapi.yaml, sent to the vendor-api binary on
//! the local stack as a logged-in vendor. Each is a 400 problem+json naming
//! the field; nothing is ever a 5xx. The operations and their inputs are
//! read from the document (which openapi.rs keeps equal to the router), so
//! a new route or parameter is walked without anyone adding it here.

mod support;

use std::collections::BTreeMap;

use reqwest::header::{AUTHORIZATION, COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::portal::{Answer, Browser};
use support::{Harness, Options};

const VEND001: &str = "orders@techgear.example.com";
/// A well-formed upload id no vendor has: a 404, not a 400.
const MISSING_UPLOAD: &str = "UPLOAD_20000101_000000_000000000000";
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Control characters as they travel in a URL (percent-encoded, both
/// cases), and the raw characters a URL library percent-encodes itself.
/// (Raw tab, CR and LF are stripped by URL parsers, so they can only
/// arrive encoded.) Each with the field it hides in.
const URL_FORMS: [&str; 15] = [
    "%00", "%01", "%1F", "%1f", "%7F", "%0D%0A", "%0A", "%0a", "%0D", "%09", "%1B", "%C2%85", "\0",
    "\x01", "\x7f",
];
/// The same characters inside a JSON string.
const JSON_FORMS: [&str; 10] = [
    "\0", "\x01", "\x1f", "\x7f", "\r\n", "\n", "\r", "\t", "\x1b", "\u{85}",
];

fn document() -> Value {
    let text = std::fs::read_to_string("../../docs/openapi.yaml").unwrap();
    serde_yaml_ng::from_str(&text).expect("docs/openapi.yaml is YAML")
}

fn resolve<'a>(doc: &'a Value, mut value: &'a Value) -> &'a Value {
    while let Some(reference) = value.get("$ref").and_then(Value::as_str) {
        let pointer = reference.strip_prefix('#').expect("a local $ref");
        value = doc.pointer(pointer).expect("a $ref that resolves");
    }
    value
}

/// One documented operation and every input it documents.
#[derive(Clone, Debug)]
struct Operation {
    method: Method,
    template: String,
    path_params: Vec<String>,
    query_params: Vec<String>,
    /// The properties of its JSON body; `string` ones get the hostile text.
    body: Option<BTreeMap<String, bool>>,
}

fn operations(doc: &Value) -> Vec<Operation> {
    let mut operations = Vec::new();
    for (template, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            assert!(METHODS.contains(&method.as_str()), "{template}: {method}");
            let mut path_params = Vec::new();
            let mut query_params = Vec::new();
            for parameter in operation
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let parameter = resolve(doc, parameter);
                let name = parameter["name"].as_str().unwrap().to_string();
                match parameter["in"].as_str().unwrap() {
                    "path" => path_params.push(name),
                    "query" => query_params.push(name),
                    other => panic!(
                        "{method} {template}: parameters in {other} are not walked; teach this test"
                    ),
                }
            }
            for name in &path_params {
                assert!(
                    template.contains(&format!("{{{name}}}")),
                    "{template}: {name}"
                );
            }
            let body = operation.get("requestBody").map(|body| {
                let schema = resolve(doc, &body["content"]["application/json"]["schema"]);
                assert_eq!(
                    schema["type"], "object",
                    "{method} {template}: a non-object body"
                );
                schema["properties"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(name, property)| {
                        let property = resolve(doc, property);
                        (name.clone(), property["type"] == "string")
                    })
                    .collect()
            });
            operations.push(Operation {
                method: method.to_uppercase().parse().unwrap(),
                template: template.clone(),
                path_params,
                query_params,
                body,
            });
        }
    }
    operations
}

/// A valid value for a body field, so the hostile one is the only fault.
fn body_sample(field: &str) -> &'static str {
    match field {
        "email" => "hostile-input@example.com",
        "vendor_name" => "Hostile Input Ltd",
        "password" => "Hostile-Input-9!",
        "code" => "123456",
        "file_name" => "hostile.csv",
        "mode" => "upsert",
        _ => "sample",
    }
}

/// A valid value for a query parameter, to hide the hostile text in.
fn query_sample(name: &str) -> &'static str {
    match name {
        "status" => "partial",
        "from" | "to" | "since" => "2026-01-01",
        "limit" => "5",
        "error_type" => "INVALID_PRICE",
        "q" => "mouse",
        "category" => "Electronics",
        "cursor" => "eyJ0IjoxfQ",
        _ => "x",
    }
}

fn valid_body(operation: &Operation) -> Option<Value> {
    operation.body.as_ref().map(|fields| {
        Value::Object(
            fields
                .keys()
                .map(|name| (name.clone(), json!(body_sample(name))))
                .collect(),
        )
    })
}

/// The operation's path with `overrides` for some parameters, the unknown
/// upload id for the rest.
fn path_of(operation: &Operation, overrides: &[(&str, &str)]) -> String {
    let mut path = operation.template.clone();
    for name in &operation.path_params {
        let value = overrides
            .iter()
            .find(|(n, _)| n == name)
            .map_or(MISSING_UPLOAD, |(_, v)| *v);
        path = path.replace(&format!("{{{name}}}"), value);
    }
    path
}

/// Three ways to hide `form` in a field whose valid value is `sample`.
fn hidden(sample: &str, form: &str) -> [String; 3] {
    [
        form.to_string(),
        format!("{sample}{form}"),
        format!("{form}{sample}"),
    ]
}

/// URL-safe base64 without padding, as the API's cursors are.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// One request of the walk and what it must get.
struct Case {
    method: Method,
    path: String,
    body: Option<Value>,
    expect: Expect,
}

enum Expect {
    /// A 400 problem+json whose `field` is this.
    Refused(String),
    /// Exactly this status (a well-formed but unknown id stays a 404).
    Status(StatusCode),
    /// Text that only looks hostile (`%2500`, a literal `%00` in JSON):
    /// anything but a 5xx.
    NotServerError,
}

fn cases(operations: &[Operation]) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut case = |operation: &Operation, path: String, body: Option<Value>, expect: Expect| {
        // URL parsers strip a raw C0 control character at the end of a URL
        // (WHATWG), so such a request would not carry it: left out.
        if path.ends_with(|c: char| c < ' ') {
            return;
        }
        cases.push(Case {
            method: operation.method.clone(),
            path,
            body,
            expect,
        });
    };
    for operation in operations {
        let body = valid_body(operation);
        // Every path parameter.
        for name in &operation.path_params {
            for form in URL_FORMS {
                for value in hidden(MISSING_UPLOAD, form) {
                    let path = path_of(operation, &[(name, &value)]);
                    case(operation, path, body.clone(), Expect::Refused(name.clone()));
                }
            }
            let path = path_of(operation, &[(name, &format!("{MISSING_UPLOAD}%2500"))]);
            // An unknown but harmless id: 404 (the operators' routes are
            // walked with the operator's token).
            case(
                operation,
                path,
                body.clone(),
                Expect::Status(StatusCode::NOT_FOUND),
            );
        }
        if !operation.path_params.is_empty() && operation.method == Method::GET {
            let path = path_of(operation, &[]);
            case(operation, path, None, Expect::Status(StatusCode::NOT_FOUND));
        }
        // Every documented query parameter, and one no route reads.
        let base = path_of(operation, &[]);
        let mut names: Vec<&str> = operation.query_params.iter().map(String::as_str).collect();
        names.push("undocumented");
        for name in names {
            for form in URL_FORMS {
                for value in hidden(query_sample(name), form) {
                    let path = format!("{base}?{name}={value}");
                    case(
                        operation,
                        path,
                        body.clone(),
                        Expect::Refused(name.to_string()),
                    );
                }
            }
            let path = format!("{base}?{name}={}%2500", query_sample(name));
            case(operation, path, body.clone(), Expect::NotServerError);
        }
        // A control character in a parameter's name.
        for name in ["%00", "limit%0A", "%7Fcursor"] {
            let path = format!("{base}?{name}=1");
            case(
                operation,
                path,
                body.clone(),
                Expect::Refused("query".into()),
            );
        }
        // A control character in a segment that is no parameter: no route.
        let segments: Vec<&str> = operation.template.split('/').collect();
        let fixed = segments
            .iter()
            .rposition(|s| !s.is_empty() && !s.starts_with('{'))
            .unwrap();
        for form in ["%00", "%0A", "\0"] {
            let mut broken: Vec<String> = segments.iter().map(|s| s.to_string()).collect();
            broken[fixed] = format!("{form}{}", broken[fixed]);
            let path = path_of(
                &Operation {
                    template: broken.join("/"),
                    ..operation.clone()
                },
                &[],
            );
            case(
                operation,
                path,
                body.clone(),
                Expect::Refused("path".into()),
            );
        }
        // The cursor, after base64: well-formed cursors holding a control character.
        if operation.query_params.iter().any(|n| n == "cursor") {
            for inside in [
                json!({"t": "2026-01-01T00:00:00Z", "id": "UPLOAD\u{0}"}),
                json!({"t": "2026-01-01T00:00:00Z", "id": "\n"}),
                json!([1, "\u{0}"]),
                json!("\u{1f}"),
                json!({"\u{0}": 1}),
            ] {
                let cursor = base64url(&serde_json::to_vec(&inside).unwrap());
                let path = format!("{base}?cursor={cursor}");
                case(
                    operation,
                    path,
                    body.clone(),
                    Expect::Refused("cursor".into()),
                );
            }
        }
        // Every string field of the body.
        for (field, is_string) in operation.body.iter().flatten() {
            if !is_string {
                continue;
            }
            let with = |value: String| {
                let mut body = valid_body(operation).unwrap();
                body[field.as_str()] = json!(value);
                Some(body)
            };
            for form in JSON_FORMS {
                for value in hidden(body_sample(field), form) {
                    case(
                        operation,
                        base.clone(),
                        with(value),
                        Expect::Refused(field.clone()),
                    );
                }
            }
            for literal in ["%00", "%0A", "\\u0000"] {
                let value = format!("{}{literal}", body_sample(field));
                case(operation, base.clone(), with(value), Expect::NotServerError);
            }
        }
    }
    cases
}

fn is_refusal(answer: &Answer, field: &str) -> Result<(), String> {
    if answer.status != StatusCode::BAD_REQUEST {
        return Err(format!("{} (not 400)", answer.status));
    }
    let media = answer.content_type.as_deref().unwrap_or_default();
    if media != "application/problem+json" {
        return Err(format!("content type '{media}'"));
    }
    let problem = answer.json();
    let shaped = problem["type"] == "about:blank"
        && problem["title"] == "Bad Request"
        && problem["status"] == 400
        && problem["detail"].is_string();
    if !shaped || problem["field"] != field {
        return Err(format!("{problem} (wanted field `{field}`)"));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_input_of_every_route_refuses_control_characters_by_name() {
    let harness = Harness::start(Options {
        portal: true,
        ..Options::default()
    })
    .await;
    let browser = Browser::logged_in(&harness, VEND001).await;
    let doc = document();
    let operations = operations(&doc);
    assert!(
        operations.len() >= 16,
        "{} operations in docs/openapi.yaml",
        operations.len()
    );
    let cases = cases(&operations);
    let mut failures = Vec::new();
    let mut walked: BTreeMap<String, usize> = BTreeMap::new();
    // The operators' routes are walked as the operator: a vendor's token
    // would be refused (403) before any input is read.
    let operator = Browser::operator(&harness).await;
    for case in &cases {
        let caller = if case.path.starts_with("/api/admin/") {
            &operator
        } else {
            &browser
        };
        let answer = caller
            .send(case.method.clone(), &case.path, case.body.clone(), false)
            .await;
        let what = format!(
            "{} {:?} {}",
            case.method,
            case.path,
            case.body.as_ref().map(Value::to_string).unwrap_or_default()
        );
        let bare = case.path.split('?').next().unwrap();
        let routed = operations.iter().find(|o| {
            o.method == case.method
                && o.template.split('/').count() == bare.split('/').count()
                && o.template
                    .split('/')
                    .zip(bare.split('/'))
                    .all(|(t, p)| t.starts_with('{') || p == t)
        });
        // The answer's status is one the document lists for the operation.
        if let Some(operation) = routed {
            let responses = &doc["paths"][&operation.template]
                [operation.method.as_str().to_lowercase()]["responses"];
            if responses.get(answer.status.as_str()).is_none() {
                failures.push(format!(
                    "{what}: {} is not documented for {} {}",
                    answer.status, operation.method, operation.template
                ));
            }
        }
        let template = routed.map_or("(no route)".to_string(), |o| {
            format!("{} {}", o.method, o.template)
        });
        *walked.entry(template).or_default() += 1;
        if answer.status.is_server_error() {
            failures.push(format!(
                "{what}: {} {}",
                answer.status,
                String::from_utf8_lossy(&answer.body)
            ));
            continue;
        }
        let verdict = match &case.expect {
            Expect::Refused(field) => is_refusal(&answer, field),
            Expect::Status(status) if answer.status != *status => {
                Err(format!("{} (wanted {status})", answer.status))
            }
            Expect::Status(_) | Expect::NotServerError => Ok(()),
        };
        if let Err(why) = verdict {
            failures.push(format!("{what}: {why}"));
        }
    }

    // Headers: the only control character a header can hold is a tab
    // (HTTP refuses the others); in a cookie or token it is a 401, never 5xx.
    for (name, value, path) in [
        (COOKIE, "onboard_session=a\tb", "/api/me"),
        (AUTHORIZATION, "Bearer a\tb", "/api/me"),
        (COOKIE, "onboard_refresh=a\tb", "/api/auth/refresh"),
    ] {
        let method = if path == "/api/me" {
            Method::GET
        } else {
            Method::POST
        };
        let response = browser
            .http
            .request(method, format!("{}{path}", browser.origin))
            .header(name.clone(), value)
            .send()
            .await
            .unwrap();
        if !response.status().is_client_error() {
            failures.push(format!(
                "{name}: {value:?} on {path}: {}",
                response.status()
            ));
        }
    }

    // The session survived the walk: every refusal was only a refusal.
    let (status, me) = browser.get("/api/me").await;
    assert_eq!(
        (status, me["vendor_id"].as_str()),
        (StatusCode::OK, Some("VEND001"))
    );

    for operation in &operations {
        let key = format!("{} {}", operation.method, operation.template);
        assert!(
            walked.get(&key).is_some_and(|n| *n > 0),
            "{key} was not walked"
        );
    }
    eprintln!(
        "hostile walk: {} requests over {} operations: {walked:#?}",
        cases.len(),
        operations.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} hostile requests were not refused as they should be:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn the_walk_covers_every_documented_input() {
    let doc = document();
    let operations = operations(&doc);
    let cases = cases(&operations);
    for operation in &operations {
        for name in operation.path_params.iter().chain(&operation.query_params) {
            let refused = cases.iter().any(|c| {
                c.method == operation.method && matches!(&c.expect, Expect::Refused(f) if f == name)
            });
            assert!(
                refused,
                "{} {}: {name} is not walked",
                operation.method, operation.template
            );
        }
        for (field, is_string) in operation.body.iter().flatten() {
            let refused = cases.iter().any(|c| {
                c.method == operation.method
                    && c.body.is_some()
                    && matches!(&c.expect, Expect::Refused(f) if f == field)
            });
            assert!(
                !is_string || refused,
                "{} {}: {field} is not walked",
                operation.method,
                operation.template
            );
        }
    }
    assert_eq!(
        base64url(b"{\"t\":1}"),
        "eyJ0IjoxfQ",
        "the test's base64 is the API's"
    );
}

//! Hostile input, as classes: control characters through every way text
//! comes in (path, query, JSON body, cursor) and arbitrary strings through
//! every parsing function, which never panic and either parse or refuse
//! with a 400 naming the field.

use std::sync::OnceLock;

use axum::Router;
use axum::http::{Method, StatusCode, header};
use axum::routing::{get, post};
use http_body_util::BodyExt;
use proptest::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::*;

// A miniature of the API: the same extractors and the same middleware,
// nested under /api as `crate::router` does.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NameQuery {
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NameBody {
    name: String,
    #[serde(default)]
    #[allow(dead_code)] // there to be checked, not read
    tags: Vec<String>,
}

async fn by_path(Path(id): Path<String>) -> axum::Json<String> {
    axum::Json(id)
}

async fn by_two_paths(Path((item, part)): Path<(String, String)>) -> axum::Json<String> {
    axum::Json(format!("{item}/{part}"))
}

async fn by_upload(Path(id): Path<onboarding_core::UploadId>) -> axum::Json<String> {
    axum::Json(id.to_string())
}

async fn by_query(Query(query): Query<NameQuery>) -> axum::Json<Option<String>> {
    axum::Json(query.name)
}

async fn by_body(Body(body): Body<NameBody>) -> axum::Json<String> {
    axum::Json(body.name)
}

async fn ignores_input() -> axum::Json<&'static str> {
    axum::Json("plain")
}

fn app() -> Router {
    let api = Router::new()
        .route("/items/{item_id}", get(by_path))
        .route("/items/{item_id}/parts/{part_id}", get(by_two_paths))
        .route("/uploads/{upload_id}", get(by_upload))
        .route("/search", get(by_query))
        .route("/things", post(by_body))
        .route("/plain", get(ignores_input).post(ignores_input))
        .fallback(|| async { ApiError::NotFound("none".into()) })
        .layer(axum::middleware::from_fn(refuse_control_in_url));
    Router::new().nest("/api", api)
}

/// Status, whether the body is problem+json, and the body as JSON.
async fn call(method: Method, uri: &str, body: Option<String>) -> (StatusCode, bool, Value) {
    let mut request = axum::http::Request::builder().method(method).uri(uri);
    if body.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let request = request
        .body(axum::body::Body::from(body.unwrap_or_default()))
        .expect("a valid request");
    let response = app().oneshot(request).await.expect("infallible");
    let status = response.status();
    let problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v == "application/problem+json");
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        problem,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// Every byte but ASCII letters and digits as `%XX`: what the string is on
/// the wire, whatever it holds.
fn encoded(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn has_control(text: &str) -> bool {
    text.chars().any(char::is_control)
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
    })
}

fn field_of_refusal(error: &ApiError) -> &str {
    match error {
        ApiError::BadInput { field, .. } => field,
        other => panic!("not a 400 naming a field: {other:?}"),
    }
}

/// The control characters the issue names, and a C1 one.
const CONTROLS: [&str; 9] = [
    "\0", "\x01", "\x1f", "\x7f", "\r\n", "\n", "\r", "\t", "\u{85}",
];

#[test]
fn every_control_character_and_only_those_is_refused() {
    for control in CONTROLS {
        for value in [
            control.to_string(),
            format!("abc{control}"),
            format!("{control}abc"),
        ] {
            let error = refuse_control("vendor_name", &value).unwrap_err();
            assert_eq!(field_of_refusal(&error), "vendor_name", "{value:?}");
        }
    }
    for value in [
        "",
        "Tech Gear GmbH",
        "Ünïcödé ✓ 名前",
        "a%00b",
        "\u{a0}\u{2028}",
    ] {
        assert!(refuse_control("vendor_name", value).is_ok(), "{value:?}");
    }
}

#[test]
fn the_url_rule_names_the_parameter_the_segment_or_the_query() {
    let named = |path: &str, params: &[(&str, &str)], query: Option<&str>| {
        refuse_control_in_parts(path, params, query)
            .err()
            .map(|e| field_of_refusal(&e).to_string())
    };
    assert_eq!(
        named("/uploads/%00", &[("upload_id", "\0")], None).as_deref(),
        Some("upload_id")
    );
    assert_eq!(named("/me%0a", &[], None).as_deref(), Some("path"));
    assert_eq!(named("/me%C2%85", &[], None).as_deref(), Some("path"));
    assert_eq!(named("/me", &[], Some("q=%00")).as_deref(), Some("q"));
    assert_eq!(
        named("/me", &[], Some("q=a&cursor=x%0D%0A")).as_deref(),
        Some("cursor")
    );
    assert_eq!(named("/me", &[], Some("q%00=a")).as_deref(), Some("query"));
    assert_eq!(named("/me", &[], Some("%0A=a")).as_deref(), Some("query"));
    assert_eq!(named("/me", &[], Some("q+x=%01")).as_deref(), Some("query"));
    assert_eq!(
        named(
            "/uploads/a%25%30%30",
            &[("upload_id", "a%00")],
            Some("q=%2500+x")
        ),
        None
    );
    assert_eq!(named("/", &[], Some("&&=&%")), None);
}

#[test]
fn the_json_rule_names_the_field_wherever_it_is() {
    let named = |value: Value| {
        refuse_control_in_json(&value)
            .err()
            .map(|e| field_of_refusal(&e).to_string())
    };
    assert_eq!(
        named(json!({"email": "a\u{0}@b.c"})).as_deref(),
        Some("email")
    );
    assert_eq!(
        named(json!({"a": 1, "tags": ["ok", "x\ny"]})).as_deref(),
        Some("tags[1]")
    );
    assert_eq!(
        named(json!({"o": {"p": [{"q": "\u{7f}"}]}})).as_deref(),
        Some("o.p[0].q")
    );
    assert_eq!(named(json!({"bad\u{0}key": "x"})).as_deref(), Some("body"));
    assert_eq!(named(json!({"o": {"bad\tkey": "x"}})).as_deref(), Some("o"));
    assert_eq!(named(json!("\u{0}")).as_deref(), Some("body"));
    assert_eq!(
        named(json!({"n": null, "b": true, "x": 1.5, "s": "fine %00"})),
        None
    );
}

#[test]
fn a_cursor_with_a_control_character_inside_is_refused_on_cursor() {
    for inside in [
        json!({"t": "2026-11-30T00:00:00Z", "id": "UPLOAD\u{0}"}),
        json!([17, "\n"]),
        json!("\u{1}"),
        json!({"k\u{0}": 1}),
    ] {
        let cursor = encode_cursor(&inside);
        let error = decode_cursor::<Value>(Some(&cursor)).unwrap_err();
        assert_eq!(field_of_refusal(&error), "cursor", "{inside}");
    }
    let error = decode_cursor::<Value>(Some("abc\0")).unwrap_err();
    assert_eq!(field_of_refusal(&error), "cursor");
}

#[tokio::test]
async fn the_middleware_and_extractors_refuse_control_characters_by_name() {
    let cases: Vec<(Method, String, Option<String>, &str)> = vec![
        (Method::GET, "/api/items/%00".into(), None, "item_id"),
        (Method::GET, "/api/items/abc%0A".into(), None, "item_id"),
        (
            Method::GET,
            "/api/items/ok/parts/%7F".into(),
            None,
            "part_id",
        ),
        (
            Method::GET,
            "/api/items/%01/parts/ok".into(),
            None,
            "item_id",
        ),
        (Method::GET, "/api/search?name=%00".into(), None, "name"),
        (Method::GET, "/api/search?name=a%0d%0a".into(), None, "name"),
        (Method::GET, "/api/search?%00=a".into(), None, "query"),
        // A route that reads no query, and one that does not exist.
        (
            Method::GET,
            "/api/plain?ignored=%1F".into(),
            None,
            "ignored",
        ),
        (
            Method::POST,
            "/api/plain?ignored=%1F".into(),
            None,
            "ignored",
        ),
        (Method::GET, "/api/plain%00".into(), None, "path"),
        (Method::GET, "/api/nothing/%0A/here".into(), None, "path"),
        // Bodies: a field, a nested one, a key.
        (
            Method::POST,
            "/api/things".into(),
            Some(r#"{"name":"\u0000"}"#.into()),
            "name",
        ),
        (
            Method::POST,
            "/api/things".into(),
            Some(r#"{"name":"ok","tags":["a","\u007f"]}"#.into()),
            "tags[1]",
        ),
        (
            Method::POST,
            "/api/things".into(),
            Some(r#"{"na\u0000me":"x"}"#.into()),
            "body",
        ),
        // Not control characters, but still answered by name as problem+json.
        (Method::GET, "/api/items/%FF".into(), None, "item_id"),
        (
            Method::POST,
            "/api/things".into(),
            Some(r#"{"name":1}"#.into()),
            "name",
        ),
        (
            Method::POST,
            "/api/things".into(),
            Some(r#"{"colour":"x"}"#.into()),
            "colour",
        ),
    ];
    for (method, uri, body, field) in cases {
        let (status, problem, answer) = call(method.clone(), &uri, body.clone()).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{method} {uri} {body:?}: {answer}"
        );
        assert!(problem, "{method} {uri}: not problem+json");
        assert_eq!(answer["field"], field, "{method} {uri} {body:?}: {answer}");
        assert_eq!(answer["status"], 400);
    }
    let (status, _, answer) = call(Method::GET, "/api/items/UPLOAD%2500", None).await;
    assert_eq!((status, answer), (StatusCode::OK, json!("UPLOAD%00")));
    let (status, _, answer) = call(Method::GET, "/api/search?name=a+b%26c", None).await;
    assert_eq!((status, answer), (StatusCode::OK, json!("a b&c")));
}

/// A path parameter typed as an id is parsed by the extractor: a
/// well-formed id reaches the handler as its type, and text that cannot be
/// one names nothing, a 404 problem naming the parameter and the value.
#[tokio::test]
async fn an_id_in_the_path_is_parsed_at_the_edge() {
    let id = "UPLOAD_20241221_103045_0A1B2C3D4E5F";
    let (status, _, answer) = call(Method::GET, &format!("/api/uploads/{id}"), None).await;
    assert_eq!((status, answer), (StatusCode::OK, json!(id)));
    for malformed in ["X", "UPLOAD_20241221_103045_0A1B2C3D4E5F%2500", "upload_1"] {
        let (status, problem, answer) =
            call(Method::GET, &format!("/api/uploads/{malformed}"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{malformed}: {answer}");
        assert!(problem, "{malformed}: not problem+json");
        let detail = answer["detail"].as_str().unwrap_or_default();
        assert!(
            detail.starts_with("upload_id: '") && detail.contains("is not an upload id"),
            "{malformed}: {detail}"
        );
    }
    // Control characters are still refused first, as a 400 naming it.
    let (status, _, answer) = call(Method::GET, "/api/uploads/%00", None).await;
    assert_eq!(
        (status, &answer["field"]),
        (StatusCode::BAD_REQUEST, &json!("upload_id"))
    );
}

/// The routes read requests only through this module's extractors (and
/// the session, `State` and headers), so the rules here hold for every
/// route; a new one reading axum's `Json`, `Query`, `Path`, `Form`, a raw
/// query or body would bypass them. (The live walk in
/// `crates/onboard/tests/hostile.rs` is the end-to-end check.)
#[test]
fn the_routes_read_input_only_through_these_extractors() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/routes");
    let forbidden = [
        "extract::Path",
        "extract::Query",
        "extract::Json",
        "extract::Form",
        "extract::Multipart",
        "RawQuery",
        "RawPathParams",
        "RawForm",
        "axum::Form",
        "): Json<",
        "): axum::Json<",
        ": Bytes",
        "body::Bytes",
    ];
    let mut read = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let source = std::fs::read_to_string(&path).unwrap();
        read += 1;
        for needle in forbidden {
            assert!(
                !source.contains(needle),
                "{}: uses `{needle}`; read input through crate::input (Body, Query, Path)",
                path.display()
            );
        }
        for line in source
            .lines()
            .filter(|l| l.trim_start().starts_with("use axum::extract::"))
        {
            let imported = line.trim().trim_start_matches("use axum::extract::");
            let names = imported.trim_matches(|c| "{};".contains(c));
            for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                assert!(
                    name == "State",
                    "{}: imports axum::extract::{name}; read input through crate::input",
                    path.display()
                );
            }
        }
    }
    assert!(read >= 3, "no route modules found in {dir}");
}

/// Strings that are mostly trouble: control characters, separators and
/// escapes among arbitrary characters.
fn hostile_text() -> impl Strategy<Value = String> {
    let tricky = prop::sample::select(vec![
        '\0', '\x01', '\t', '\n', '\r', '\x1b', '\x1f', '\x7f', '\u{85}', '\u{9f}', ' ', '%', '+',
        '&', '=', '/', '\\', '@', '.', '`', ':', '"', '{', '[', '0', 'A', 'é', '\u{feff}',
    ]);
    prop::collection::vec(
        prop_oneof![
            3 => any::<char>(),
            3 => tricky,
            2 => prop::char::range('a', 'z'),
        ],
        0..24,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

/// JSON objects of hostile keys and strings, nested a little.
fn hostile_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        hostile_text().prop_map(Value::String),
        any::<i64>().prop_map(Value::from),
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(hostile_text(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every string and key in `value`.
fn texts(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::String(text) => into.push(text.clone()),
        Value::Array(items) => items.iter().for_each(|item| texts(item, into)),
        Value::Object(fields) => fields.iter().for_each(|(name, item)| {
            into.push(name.clone());
            texts(item, into);
        }),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn text_parsers_parse_clean_text_or_name_their_field(value in hostile_text()) {
        match text("vendor_name", &value, 12) {
            Ok(parsed) => {
                prop_assert!(!has_control(&parsed) && !has_control(&value));
                prop_assert!(!parsed.is_empty() && parsed.chars().count() <= 12);
                prop_assert_eq!(parsed.as_str(), value.trim());
            }
            Err(error) => prop_assert_eq!(field_of_refusal(&error), "vendor_name"),
        }
        match email(&value) {
            Ok(parsed) => prop_assert!(!has_control(&parsed) && !has_control(&value)),
            Err(error) => prop_assert_eq!(field_of_refusal(&error), "email"),
        }
        match file_name(&value) {
            Ok(parsed) => prop_assert!(!has_control(&parsed) && !has_control(&value)),
            Err(error) => prop_assert_eq!(field_of_refusal(&error), "file_name"),
        }
        for end in [DayEnd::Start, DayEnd::End] {
            if let Err(error) = moment("since", &value, end) {
                prop_assert_eq!(field_of_refusal(&error), "since");
            }
        }
        if has_control(&value) {
            prop_assert!(refuse_control("q", &value).is_err());
        }
        // As a field's name in a body: the refusal names that field if it
        // can be a name, else the body.
        let body = Value::Object([(value.clone(), json!(1))].into_iter().collect());
        if let Err(error) = serde_path_to_error::deserialize::<_, NameBody>(body) {
            let refusal = serde_refusal(error, "body");
            let field = field_of_refusal(&refusal);
            prop_assert!(field == "body" || (is_name(field) && (field == value || field == "name")), "{}", field);
        }
    }

    #[test]
    fn cursors_decode_to_clean_positions_or_are_refused_on_cursor(
        raw in hostile_text(),
        id in hostile_text(),
        inside in hostile_json(),
    ) {
        let upload = encode_cursor(&json!({"t": "2026-11-30T00:00:00Z", "id": id}));
        for cursor in [raw.clone(), upload, encode_cursor(&inside), encode_cursor(&(7, &id))] {
            match decode_cursor::<Value>(Some(&cursor)) {
                Ok(decoded) => {
                    let mut found = Vec::new();
                    texts(&decoded.unwrap_or(Value::Null), &mut found);
                    prop_assert!(found.iter().all(|t| !has_control(t)), "{:?}", found);
                }
                Err(error) => prop_assert_eq!(field_of_refusal(&error), "cursor"),
            }
            if let Err(error) = decode_cursor::<(i32, String)>(Some(&cursor)) {
                prop_assert_eq!(field_of_refusal(&error), "cursor");
            }
        }
        // What this API encodes, it decodes, unless it holds a control character.
        let own = decode_cursor::<(i32, String)>(Some(&encode_cursor(&(7, &id))));
        prop_assert_eq!(own.is_ok(), !has_control(&id));
    }

    #[test]
    fn url_parts_are_clean_or_refused_naming_a_field(
        segment in hostile_text(),
        name in hostile_text(),
        value in hostile_text(),
        query in hostile_text(),
    ) {
        let path = format!("/a/{segment}/{}", encoded(&value));
        let query = format!("{query}&{}={}", encoded(&name), encoded(&value));
        match refuse_control_in_parts(&path, &[("upload_id", &value)], Some(&query)) {
            Ok(()) => {
                prop_assert!(!has_control(&value) && !has_control(&name));
                prop_assert!(!has_control(&percent_decoded(&segment)));
                for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
                    prop_assert!(!has_control(&k) && !has_control(&v));
                }
            }
            Err(error) => {
                let field = field_of_refusal(&error);
                prop_assert!(is_name(field), "{:?}", field);
                if has_control(&value) {
                    prop_assert_eq!(field, "upload_id");
                }
            }
        }
    }

    #[test]
    fn json_bodies_are_clean_or_refused_naming_a_field(value in hostile_json()) {
        let mut found = Vec::new();
        texts(&value, &mut found);
        let dirty = found.iter().any(|t| has_control(t));
        match refuse_control_in_json(&value) {
            Ok(()) => prop_assert!(!dirty),
            Err(error) => {
                prop_assert!(dirty);
                prop_assert!(!field_of_refusal(&error).is_empty());
            }
        }
    }

    #[test]
    fn the_extractors_echo_clean_text_and_refuse_the_rest_by_name(value in hostile_text()) {
        let control = has_control(&value);
        runtime().block_on(async {
            let checks = [
                (Method::GET, format!("/api/items/x{}", encoded(&value)), None, "item_id", json!(format!("x{value}"))),
                (Method::GET, format!("/api/search?name={}", encoded(&value)), None, "name", json!(value)),
                (Method::POST, "/api/things".to_string(), Some(json!({"name": value}).to_string()), "name", json!(value)),
            ];
            for (method, uri, body, field, echo) in checks {
                let (status, problem, answer) = call(method, &uri, body).await;
                if control {
                    prop_assert_eq!(status, StatusCode::BAD_REQUEST, "{}: {}", uri, answer);
                    prop_assert!(problem);
                    prop_assert_eq!(&answer["field"], field);
                } else {
                    prop_assert_eq!(status, StatusCode::OK, "{}: {}", uri, answer);
                    prop_assert_eq!(answer, echo);
                }
            }
            // As a parameter's name, and in a path that is no route.
            let (status, problem, answer) =
                call(Method::GET, &format!("/api/search?{}=1", encoded(&value)), None).await;
            prop_assert!(status == StatusCode::OK || status == StatusCode::BAD_REQUEST, "{}", status);
            if status == StatusCode::BAD_REQUEST {
                prop_assert!(problem && answer["field"].is_string(), "{}", answer);
            }
            if control {
                prop_assert_eq!(&answer["field"], "query");
            }
            let (status, problem, answer) =
                call(Method::GET, &format!("/api/nowhere{}", encoded(&value)), None).await;
            prop_assert!(problem);
            if control {
                prop_assert_eq!((status, &answer["field"]), (StatusCode::BAD_REQUEST, &json!("path")));
            } else {
                prop_assert_eq!(status, StatusCode::NOT_FOUND);
            }
            Ok::<(), TestCaseError>(())
        })?;
    }
}

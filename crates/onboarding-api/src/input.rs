//! Reading requests: JSON bodies and query strings that refuse unknown or
//! malformed fields with a 400 naming the field, opaque cursors, and dates.
//!
//! Control characters are refused at the one parsing layer, for every
//! route at once ([`refuse_control`] is the rule): in the URL by
//! [`refuse_control_in_url`], layered over the whole router, so it runs
//! before any extractor and no route can forget it; in JSON bodies by
//! [`Body`], the only body extractor the routes use; in cursors after
//! decoding by [`decode_cursor`]. [`text`] keeps the rule too, for any
//! caller that reaches it some other way.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use onboarding_core::{UploadId, VendorId};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::problem::ApiError;

/// The one rule for text from outside, whichever way it comes in (a path
/// parameter, a query parameter's name or value, a JSON string or key, a
/// decoded cursor): no control character, that is no Unicode `Cc`:
/// U+0000–U+001F, U+007F and the C1 range U+0080–U+009F.
///
/// Tab, CR and LF are control characters too, and refused as well: no
/// input of this API is multi-line text (vendor names, emails, codes,
/// passwords, file names, search terms, categories, ids, dates, cursors),
/// so in any of them they are a paste accident or an attempt at header,
/// log or CSV injection, and trimming them silently would hide that. NUL
/// is what PostgreSQL refuses in text (it was a 500 before this rule). A
/// multi-line field, should one ever be added, must opt in here
/// explicitly, not by skipping the check.
pub fn refuse_control(field: &str, value: &str) -> Result<(), ApiError> {
    match value.chars().enumerate().find(|(_, c)| c.is_control()) {
        None => Ok(()),
        Some((at, c)) => Err(ApiError::bad_input(
            field,
            format!(
                "{field} must not contain control characters (U+{:04X} at character {}).",
                u32::from(c),
                at + 1
            ),
        )),
    }
}

/// The multi-line fields that opt in to line breaks and tabs (see
/// [`refuse_control`]): the operator console's SQL (`POST /api/admin/query`).
pub const MULTI_LINE_FIELDS: [&str; 1] = ["sql"];

/// Whether `name` can be a `field` as it is: a plain parameter name.
fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The 400 for input serde refused, naming the field by the path
/// `serde_path_to_error` followed to it, as every refusal here names one
/// (`limit`, `email`, `address.city`, `items[2].price`), or `whole` (`body`,
/// `query`) when the input as a whole is wrong. A key that cannot be a name
/// (an unknown field called `a b`) ends the path at its container.
///
/// serde reports a missing or repeated field at the struct that lacks or
/// repeats it, the field's name only in the wording its `de::Error`
/// defaults give (``missing field `email` ``): that name completes the path.
fn serde_refusal<E: std::fmt::Display>(
    error: serde_path_to_error::Error<E>,
    whole: &str,
) -> ApiError {
    use serde_path_to_error::Segment;
    let detail = error.inner().to_string();
    let mut field = String::new();
    let push_name = |field: &mut String, name: &str| {
        if !field.is_empty() {
            field.push('.');
        }
        field.push_str(name);
    };
    for segment in error.path().iter() {
        match segment {
            Segment::Seq { index } => field.push_str(&format!("[{index}]")),
            Segment::Map { key } if is_name(key) => push_name(&mut field, key),
            Segment::Enum { variant } if is_name(variant) => push_name(&mut field, variant),
            _ => break,
        }
    }
    let named_in_detail = ["missing field `", "duplicate field `"]
        .iter()
        .find_map(|wording| detail.strip_prefix(wording))
        .and_then(|rest| rest.split('`').next())
        .filter(|name| is_name(name));
    if let Some(name) = named_in_detail {
        push_name(&mut field, name);
    }
    if field.is_empty() {
        ApiError::bad_input(whole, detail)
    } else {
        let detail = format!("{field}: {detail}");
        ApiError::bad_input(field, detail)
    }
}

/// `segment` with its `%XX` escapes decoded (bytes that are not UTF-8
/// become U+FFFD): what a path parameter's value is once axum decodes it.
fn percent_decoded(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(high), Some(low)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            decoded.push((high * 16 + low) as u8);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// The URL part of the rule: every path parameter (a 400 naming it), every
/// other path segment (`path`), every query parameter's value (naming the
/// parameter) and name (`query`), each as the extractors will decode it.
pub fn refuse_control_in_parts(
    path: &str,
    params: &[(&str, &str)],
    query: Option<&str>,
) -> Result<(), ApiError> {
    for (name, value) in params {
        refuse_control(if is_name(name) { name } else { "path" }, value)?;
    }
    for segment in path.split('/') {
        refuse_control("path", &percent_decoded(segment))?;
    }
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        refuse_control("query", &name)?;
        refuse_control(if is_name(&name) { &name } else { "query" }, &value)?;
    }
    Ok(())
}

/// Middleware over the whole router (routes and fallback): a URL with a
/// control character anywhere is a 400 naming where, before any extractor
/// or handler runs. See [`refuse_control_in_parts`].
pub async fn refuse_control_in_url(request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let params = RawPathParams::from_request_parts(&mut parts, &())
        .await
        .ok();
    let params: Vec<(&str, &str)> = params.iter().flat_map(RawPathParams::iter).collect();
    if let Err(refusal) = refuse_control_in_parts(parts.uri.path(), &params, parts.uri.query()) {
        return refusal.into_response();
    }
    drop(params);
    next.run(Request::from_parts(parts, body)).await
}

/// The refusal of the first control character in `value` (at path `at`:
/// `vendor_name`, `items[2].name`; empty for the top level, which is
/// named `body`), in a string or in a field name. `None` when clean.
fn control_in_json(value: &Value, at: &str) -> Option<ApiError> {
    let field = if at.is_empty() { "body" } else { at };
    match value {
        Value::String(text) if MULTI_LINE_FIELDS.contains(&field) => {
            // Line breaks and tabs are the text; every other control
            // character is refused as everywhere.
            let other: String = text
                .chars()
                .filter(|c| !matches!(c, '\n' | '\r' | '\t'))
                .collect();
            refuse_control(field, &other).err()
        }
        Value::String(text) => refuse_control(field, text).err(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| control_in_json(item, &format!("{at}[{i}]"))),
        Value::Object(fields) => fields.iter().find_map(|(name, item)| {
            if name.chars().any(char::is_control) {
                return Some(ApiError::bad_input(
                    field,
                    format!("A field name in {field} contains a control character."),
                ));
            }
            let here = if at.is_empty() {
                name.clone()
            } else {
                format!("{at}.{name}")
            };
            control_in_json(item, &here)
        }),
        Value::Null | Value::Bool(_) | Value::Number(_) => None,
    }
}

/// The JSON part of the rule: a 400 naming the string field (or `body`)
/// with a control character in it or in a field name.
pub fn refuse_control_in_json(value: &Value) -> Result<(), ApiError> {
    control_in_json(value, "").map_or(Ok(()), Err)
}

/// The body limit of a fix of failed rows (up to 500 rows of 14 columns),
/// instead of [`crate::MAX_BODY_BYTES`]: a layer on that one route, read by
/// [`Body`] like the router's default.
pub fn fix_body_limit() -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max(crate::MAX_FIX_BODY_BYTES)
}

/// A JSON body; `T` should be `#[serde(deny_unknown_fields)]`. Read as a
/// JSON value first, refused if any string or field name in it has a
/// control character ([`refuse_control_in_json`]), and only then read as
/// `T` (so a refusal names the field whatever `T` is).
pub struct Body<T>(pub T);

fn body_refusal(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::bad_input(
            "body",
            "Send the body as JSON with Content-Type: application/json.",
        ),
        JsonRejection::BytesRejection(_) => ApiError::bad_input(
            "body",
            format!(
                "The body is too large: at most {} bytes ({} for a fix of failed rows).",
                crate::MAX_BODY_BYTES,
                crate::MAX_FIX_BODY_BYTES
            ),
        ),
        e => ApiError::bad_input("body", e.body_text()),
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let axum::Json(value) = axum::Json::<Value>::from_request(request, state)
            .await
            .map_err(body_refusal)?;
        refuse_control_in_json(&value)?;
        serde_path_to_error::deserialize(value)
            .map(Body)
            .map_err(|error| serde_refusal(error, "body"))
    }
}

/// A query string; `T` should be `#[serde(deny_unknown_fields)]`. Control
/// characters never get here: [`refuse_control_in_url`] has refused them.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        // What axum's Query does, keeping serde_path_to_error's path
        // rather than its text.
        let query = parts.uri.query().unwrap_or_default();
        let deserializer =
            serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer)
            .map(Query)
            .map_err(|error| serde_refusal(error, "query"))
    }
}

/// Path parameters, refused as problem+json naming the parameter (axum's
/// own answer is plain text). Control characters never get here:
/// [`refuse_control_in_url`] has refused them. This is the edge where a
/// path segment becomes its type ([`PathParam`]).
pub struct Path<T>(pub T);

/// What a path parameter is read into, and how text its type refuses is
/// answered: by default a 400 naming the parameter.
pub trait PathParam: DeserializeOwned + Send {
    fn refused(field: String, detail: String) -> ApiError {
        ApiError::bad_input(field, detail)
    }
}

impl PathParam for String {}

impl<A: DeserializeOwned + Send, B: DeserializeOwned + Send> PathParam for (A, B) {}

/// Text that cannot be an id names no upload or vendor: a 404, as a
/// well-formed id that is unknown (or not the caller's) is, so that no
/// answer tells a malformed id from one that exists elsewhere.
macro_rules! id_path_param {
    ($($id:ty),*) => {$(
        impl PathParam for $id {
            fn refused(field: String, detail: String) -> ApiError {
                ApiError::NotFound(format!("{field}: {detail}"))
            }
        }
    )*};
}
id_path_param!(UploadId, VendorId);

impl<S: Send + Sync, T: PathParam> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        use axum::extract::path::ErrorKind;
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(PathRejection::FailedToDeserializePathParams(e))
                if e.status().is_client_error() =>
            {
                let field = match e.kind() {
                    ErrorKind::ParseErrorAtKey { key, .. }
                    | ErrorKind::InvalidUtf8InPathParam { key }
                    | ErrorKind::DeserializeError { key, .. }
                        if is_name(key) =>
                    {
                        key.clone()
                    }
                    // A type's own refusal (`try_from`) comes without the
                    // key; a route with one parameter names it still.
                    ErrorKind::Message(_) => only_param(parts, state).await,
                    _ => "path".to_string(),
                };
                let detail = match e.kind() {
                    ErrorKind::Message(message) => message.clone(),
                    _ => e.body_text(),
                };
                Err(T::refused(field, detail))
            }
            // A route whose parameters do not fit its handler: a bug here.
            Err(e) => Err(ApiError::internal(e.body_text())),
        }
    }
}

/// The name of the route's only path parameter, else `path`.
async fn only_param<S: Send + Sync>(parts: &mut Parts, state: &S) -> String {
    let Ok(params) = RawPathParams::from_request_parts(parts, state).await else {
        return "path".to_string();
    };
    match params.iter().collect::<Vec<_>>().as_slice() {
        [(name, _)] if is_name(name) => name.to_string(),
        _ => "path".to_string(),
    }
}

/// An opaque cursor for the position `key`.
pub fn encode_cursor<K: Serialize>(key: &K) -> String {
    let json = serde_json::to_vec(key).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

/// The position a cursor of [`encode_cursor`] stands for. Anything else (not
/// base64, not JSON, not a `K`, or a string in it with a control character,
/// which this API never puts there) is a 400 on `cursor`.
pub fn decode_cursor<K: DeserializeOwned>(cursor: Option<&str>) -> Result<Option<K>, ApiError> {
    let Some(cursor) = cursor.filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let invalid = || {
        ApiError::bad_input(
            "cursor",
            "The cursor is not one this API returned. Start again without it.",
        )
    };
    refuse_control("cursor", cursor)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| invalid())?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if control_in_json(&value, "").is_some() {
        return Err(invalid());
    }
    serde_json::from_value(value)
        .map(Some)
        .map_err(|_| invalid())
}

/// A page size within `1..=max`, `default` when absent.
pub fn limit(value: Option<i64>, default: i64, max: i64) -> Result<i64, ApiError> {
    match value {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::bad_input(
            "limit",
            format!("limit must be between 1 and {max}, got {n}."),
        )),
    }
}

/// Which end of a day a bare date means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayEnd {
    /// `from=2026-11-01`: from the start of that day.
    Start,
    /// `to=2026-11-30`: up to the end of that day.
    End,
}

/// An RFC 3339 time, or a `YYYY-MM-DD` date (UTC).
pub fn moment(field: &str, value: &str, end: DayEnd) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(time) = DateTime::parse_from_rfc3339(value) {
        return Ok(time.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
        ApiError::bad_input(
            field,
            format!("{field} must be a date like 2026-11-30 or a time like 2026-11-30T12:00:00Z, got '{value}'."),
        )
    })?;
    let day = match end {
        DayEnd::Start => date,
        DayEnd::End => date.succ_opt().unwrap_or(date),
    };
    Ok(day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

/// A required text field, without control characters ([`refuse_control`],
/// checked before trimming, so a trailing newline is refused rather than
/// hidden), trimmed, within `max` characters.
pub fn text(field: &str, value: &str, max: usize) -> Result<String, ApiError> {
    refuse_control(field, value)?;
    let value = value.trim();
    if value.is_empty() {
        return Err(ApiError::bad_input(field, format!("{field} is required.")));
    }
    if value.chars().count() > max {
        return Err(ApiError::bad_input(
            field,
            format!("{field} is longer than {max} characters."),
        ));
    }
    Ok(value.to_string())
}

/// An email address: one `@` with text on both sides and a dot after it.
pub fn email(value: &str) -> Result<String, ApiError> {
    let value = text("email", value, 320)?.to_lowercase();
    let valid = value.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
    }) && !value.chars().any(|c| c.is_whitespace() || c.is_control());
    if !valid {
        return Err(ApiError::bad_input(
            "email",
            format!("'{value}' is not an email address."),
        ));
    }
    Ok(value)
}

/// A file name the pipeline will take: a plain name (no folders), ending
/// in `.csv`, `.json`, `.jsonl` or `.ndjson`, at most 255 characters.
/// An upload's `mode`: absent or empty is `create`, the requirements'
/// behaviour.
pub fn upload_mode(value: Option<&str>) -> Result<onboarding_core::UploadMode, ApiError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(onboarding_core::UploadMode::Create),
        Some(mode) => onboarding_core::UploadMode::parse(mode).map_err(|_| {
            ApiError::bad_input(
                "mode",
                "mode must be create (new products only) or upsert (update your existing products and add new ones).",
            )
        }),
    }
}

pub fn file_name(value: &str) -> Result<String, ApiError> {
    let value = text("file_name", value, 255)?;
    if value.contains(['/', '\\']) || value.chars().any(char::is_control) || value.starts_with('.')
    {
        return Err(ApiError::bad_input(
            "file_name",
            "file_name must be a plain file name, without folders.",
        ));
    }
    if onboarding_core::FileFormat::of_file_name(&value).is_none() {
        return Err(ApiError::bad_input(
            "file_name",
            "Only .csv, .json, .jsonl and .ndjson files can be uploaded.",
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod hostile;

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)] // there to be read, not used
    struct OrderLine {
        sku: String,
        price: i64,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Address {
        city: String,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Order {
        email: String,
        address: Option<Address>,
        #[serde(default)]
        items: Vec<OrderLine>,
    }

    /// The field and detail of the 400 a JSON body gets through [`Body`].
    async fn body_refusal_of(json: Value) -> (String, String) {
        let request = axum::http::Request::builder()
            .method("POST")
            .header(axum::http::header::CONTENT_TYPE, "application/json")
            .body(axum::body::Body::from(json.to_string()))
            .unwrap();
        match Body::<Order>::from_request(request, &()).await {
            Err(ApiError::BadInput { field, detail }) => (field, detail),
            Err(other) => panic!("{json}: not a 400 but {other:?}"),
            Ok(order) => panic!("{json}: accepted as {:?}", order.0),
        }
    }

    #[tokio::test]
    async fn a_refused_body_names_the_exact_field_nested_or_in_an_array() {
        let line = json!({"sku": "A-1", "price": 3});
        let cases = [
            // Top level, as before: the field's plain name.
            (json!({"items": []}), "email"),
            (json!({"email": 1}), "email"),
            (json!({"email": "a@b.de", "colour": "red"}), "colour"),
            // Inside an object.
            (
                json!({"email": "a@b.de", "address": {"city": 7}}),
                "address.city",
            ),
            (json!({"email": "a@b.de", "address": {}}), "address.city"),
            (
                json!({"email": "a@b.de", "address": {"city": "X", "zip": "1"}}),
                "address.zip",
            ),
            // Inside an array element.
            (
                json!({"email": "a@b.de", "items": [line, line, {"sku": "C", "price": "9.99"}]}),
                "items[2].price",
            ),
            (
                json!({"email": "a@b.de", "items": [line, {"price": 1}]}),
                "items[1].sku",
            ),
            (
                json!({"email": "a@b.de", "items": [{"sku": "A", "price": 1, "note": "x"}]}),
                "items[0].note",
            ),
            // The body as a whole; a key that is no name ends the path.
            (json!("an order"), "body"),
            (
                json!({"email": "a@b.de", "items": [{"sku": "A", "price": 1, "a b": 1}]}),
                "items[0]",
            ),
        ];
        for (json, expected) in cases {
            let (field, detail) = body_refusal_of(json.clone()).await;
            assert_eq!(field, expected, "{json}: {detail}");
            assert!(
                detail.starts_with(&format!("{expected}: ")) || expected == "body",
                "{detail}"
            );
        }
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct LimitQuery {
        limit: Option<i64>,
    }

    #[tokio::test]
    async fn a_refused_query_names_its_parameter() {
        for (query, expected) in [
            ("limit=ten", "limit"),
            ("colour=red", "colour"),
            ("limit=1&limit=2", "limit"),
        ] {
            let (mut parts, ()) = axum::http::Request::builder()
                .uri(format!("/api/uploads?{query}"))
                .body(())
                .unwrap()
                .into_parts();
            match Query::<LimitQuery>::from_request_parts(&mut parts, &()).await {
                Err(ApiError::BadInput { field, .. }) => assert_eq!(field, expected, "{query}"),
                other => panic!("{query}: {:?}", other.map(|q| q.0)),
            }
        }
    }

    #[test]
    fn cursors_round_trip_and_tampering_is_refused() {
        let cursor = encode_cursor(&(17, "UPLOAD_X"));
        assert_eq!(
            decode_cursor::<(i32, String)>(Some(&cursor)).unwrap(),
            Some((17, "UPLOAD_X".to_string()))
        );
        assert_eq!(decode_cursor::<(i32, String)>(None).unwrap(), None);
        for bad in ["%%%", "bm90IGpzb24", &cursor[1..]] {
            let error = decode_cursor::<(i32, String)>(Some(bad)).unwrap_err();
            assert!(
                matches!(error, ApiError::BadInput { ref field, .. } if field == "cursor"),
                "{bad}"
            );
        }
    }

    #[test]
    fn limits_are_bounded() {
        assert_eq!(limit(None, 20, 100).unwrap(), 20);
        assert_eq!(limit(Some(100), 20, 100).unwrap(), 100);
        assert!(limit(Some(0), 20, 100).is_err());
        assert!(limit(Some(101), 20, 100).is_err());
    }

    #[test]
    fn a_bare_date_covers_its_whole_day() {
        let from = moment("from", "2026-11-30", DayEnd::Start).unwrap();
        let to = moment("to", "2026-11-30", DayEnd::End).unwrap();
        assert_eq!(from.to_rfc3339(), "2026-11-30T00:00:00+00:00");
        assert_eq!(to.to_rfc3339(), "2026-12-01T00:00:00+00:00");
        assert_eq!(
            moment("from", "2026-11-30T10:00:00+01:00", DayEnd::Start)
                .unwrap()
                .to_rfc3339(),
            "2026-11-30T09:00:00+00:00"
        );
        assert!(moment("from", "yesterday", DayEnd::Start).is_err());
    }

    #[test]
    fn emails_and_file_names_are_checked() {
        assert_eq!(
            email(" Orders@TechGear.example.com ").unwrap(),
            "orders@techgear.example.com"
        );
        for bad in ["", "no-at", "a@b", "a b@c.de", "@c.de"] {
            assert!(email(bad).is_err(), "{bad}");
        }
        assert_eq!(
            file_name("My Products (1).CSV").unwrap(),
            "My Products (1).CSV"
        );
        for good in ["a.json", "b.JSONL", "c.ndjson"] {
            assert_eq!(file_name(good).unwrap(), good);
        }
        for bad in [
            "",
            "../x.csv",
            "a/b.csv",
            "x.xlsx",
            ".csv",
            ".json",
            "x.json.gz",
        ] {
            assert!(file_name(bad).is_err(), "{bad}");
        }
    }
}

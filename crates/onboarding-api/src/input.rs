//! Reading requests: JSON bodies and query strings that refuse unknown or
//! malformed fields with a 400 naming the field, opaque cursors, and dates.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::problem::ApiError;

/// The field a serde message is about: the first name in backticks
/// (``unknown field `x` ``, ``missing field `y` ``), or the name before a
/// colon (`limit: invalid digit`), else `fallback`.
fn field_of(message: &str, fallback: &str) -> String {
    let is_name = |name: &&str| {
        !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    message
        .split('`')
        .nth(1)
        .filter(is_name)
        .or_else(|| {
            message
                .split_once(": ")
                .map(|(name, _)| name)
                .filter(is_name)
        })
        .unwrap_or(fallback)
        .to_string()
}

/// axum's rejection text (`Failed to deserialize …: <serde message>`) as a
/// 400 naming the field serde complained about.
fn serde_refusal(message: &str, fallback: &str) -> ApiError {
    let detail = message.split_once(": ").map(|(_, d)| d).unwrap_or(message);
    ApiError::bad_input(field_of(detail, fallback), detail)
}

/// A JSON body; `T` should be `#[serde(deny_unknown_fields)]`.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Body(value)),
            Err(JsonRejection::JsonDataError(e)) => Err(serde_refusal(&e.body_text(), "body")),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::bad_input(
                "body",
                "Send the body as JSON with Content-Type: application/json.",
            )),
            Err(JsonRejection::BytesRejection(_)) => Err(ApiError::bad_input(
                "body",
                format!(
                    "The body is too large: at most {} bytes.",
                    crate::MAX_BODY_BYTES
                ),
            )),
            Err(e) => Err(ApiError::bad_input("body", e.body_text())),
        }
    }
}

/// A query string; `T` should be `#[serde(deny_unknown_fields)]`.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => {
                Err(serde_refusal(&e.body_text(), "query"))
            }
            Err(e) => Err(ApiError::bad_input("query", e.body_text())),
        }
    }
}

/// An opaque cursor for the position `key`.
pub fn encode_cursor<K: Serialize>(key: &K) -> String {
    let json = serde_json::to_vec(key).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

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
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| invalid())?;
    serde_json::from_slice(&bytes)
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

/// A required text field, trimmed, within `max` characters.
pub fn text(field: &str, value: &str, max: usize) -> Result<String, ApiError> {
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

/// A CSV file name the pipeline will take: a plain name (no folders),
/// ending in `.csv`, at most 255 characters.
pub fn file_name(value: &str) -> Result<String, ApiError> {
    let value = text("file_name", value, 255)?;
    if value.contains(['/', '\\']) || value.chars().any(char::is_control) || value.starts_with('.')
    {
        return Err(ApiError::bad_input(
            "file_name",
            "file_name must be a plain file name, without folders.",
        ));
    }
    if !value.to_ascii_lowercase().ends_with(".csv") {
        return Err(ApiError::bad_input(
            "file_name",
            "Only .csv files can be uploaded.",
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_name_their_field() {
        assert_eq!(
            field_of("unknown field `colour`, expected one of `a`", "body"),
            "colour"
        );
        assert_eq!(field_of("missing field `email` at line 1", "body"), "email");
        assert_eq!(
            field_of("limit: invalid digit found in string", "query"),
            "limit"
        );
        assert_eq!(field_of("expected a string", "body"), "body");
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
        for bad in ["", "../x.csv", "a/b.csv", "x.xlsx", ".csv"] {
            assert!(file_name(bad).is_err(), "{bad}");
        }
    }
}

//! Logs: JSON lines through tracing. Handlers open a span with `upload_id`
//! and `vendor_id`, and every line inside it carries both; lines outside an
//! upload (cold start, unreadable records) carry `upload_id: "-"` and
//! `vendor_id: "-"`. Lines from libraries outside any upload span (the Lambda
//! runtime's own errors, for example) are given the same `"-"` on their way
//! out, by [`StampedStdout`], so every line the functions write carries both.

use std::io::Write;

use serde::Serialize;

/// Sets up JSON logging, filtered by `RUST_LOG` (default `info`).
pub fn init(function: &'static str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        // The secrets cache logs every cache hit at info, outside any
        // upload's span; its warnings are enough.
        .unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new(
                "info,aws_secretsmanager_caching=warn,aws_config=warn",
            )
        });
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .flatten_event(true)
        .with_target(false)
        .without_time()
        .with_writer(|| StampedStdout)
        .try_init();
    tracing::info!(function, upload_id = "-", vendor_id = "-", "cold start");
}

/// The fields every log line carries, at the top level or in its span.
pub const CORRELATION_FIELDS: [&str; 2] = ["upload_id", "vendor_id"];

/// Standard output for the JSON formatter. The formatter writes each event
/// as one complete line in one `write`; a line that carries neither at the
/// top level nor in its `span` one of [`CORRELATION_FIELDS`] gets it as
/// `"-"`, inserted at the front so the rest of the line is unchanged.
pub struct StampedStdout;

impl Write for StampedStdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let stamped = stamp_line(buf);
        std::io::stdout().lock().write_all(&stamped)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stdout().lock().flush()
    }
}

/// `line` with `"<field>":"-"` added for each missing correlation field;
/// anything that is not one JSON object per line is passed through.
pub fn stamp_line(line: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    use std::borrow::Cow;
    let Ok(serde_json::Value::Object(object)) = serde_json::from_slice::<serde_json::Value>(line)
    else {
        return Cow::Borrowed(line);
    };
    let missing: Vec<&str> = CORRELATION_FIELDS
        .into_iter()
        .filter(|field| {
            !object.contains_key(*field)
                && object
                    .get("span")
                    .and_then(|span| span.get(*field))
                    .is_none()
        })
        .collect();
    if missing.is_empty() {
        return Cow::Borrowed(line);
    }
    let start = line.iter().position(|b| *b == b'{').unwrap_or(0) + 1;
    let mut stamped = Vec::with_capacity(line.len() + 20 * missing.len());
    stamped.extend_from_slice(&line[..start]);
    for field in missing {
        stamped.extend_from_slice(format!("\"{field}\":\"-\",").as_bytes());
    }
    let rest = &line[start..];
    if rest.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'}') {
        // An empty object: no comma after the last added field.
        stamped.pop();
    }
    stamped.extend_from_slice(rest);
    Cow::Owned(stamped)
}

/// The response for event sources with `ReportBatchItemFailures`: the ids of
/// the records to deliver again (SQS message ids, or stream sequence numbers).
/// aws_lambda_events' own types are non-exhaustive and cannot be built
/// outside that crate, hence this twin of the documented wire format.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchResponse {
    pub batch_item_failures: Vec<BatchItemFailure>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchItemFailure {
    pub item_identifier: String,
}

impl BatchResponse {
    pub fn fail(&mut self, id: impl Into<String>) {
        self.batch_item_failures.push(BatchItemFailure {
            item_identifier: id.into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(line: &[u8]) -> serde_json::Value {
        serde_json::from_slice(&stamp_line(line)).unwrap()
    }

    #[test]
    fn lines_without_correlation_fields_get_a_dash() {
        let line = parsed(b"{\"level\":\"ERROR\",\"message\":\"x\",\"span\":{\"requestId\":\"r\",\"name\":\"Lambda runtime invoke\"}}\n");
        assert_eq!(line["upload_id"], "-");
        assert_eq!(line["vendor_id"], "-");
        assert_eq!(line["message"], "x");
        assert_eq!(parsed(b"{}\n")["vendor_id"], "-");
    }

    #[test]
    fn lines_that_carry_them_are_unchanged() {
        let in_span = b"{\"message\":\"x\",\"span\":{\"upload_id\":\"U\",\"vendor_id\":\"V\"}}\n";
        assert_eq!(stamp_line(in_span).as_ref(), in_span.as_slice());
        let mixed =
            parsed(b"{\"upload_id\":\"-\",\"message\":\"x\",\"span\":{\"vendor_id\":\"V\"}}\n");
        assert_eq!(mixed["upload_id"], "-");
        assert_eq!(mixed["span"]["vendor_id"], "V");
        assert!(mixed.get("vendor_id").is_none());
        assert_eq!(stamp_line(b"not json\n").as_ref(), b"not json\n".as_slice());
    }

    #[test]
    fn batch_responses_use_the_lambda_wire_format() {
        let mut response = BatchResponse::default();
        response.fail("49668");
        assert_eq!(
            serde_json::to_string(&response).unwrap(),
            r#"{"batchItemFailures":[{"itemIdentifier":"49668"}]}"#
        );
    }
}

//! Logs: JSON lines through tracing. Handlers open a span with `upload_id`
//! and `vendor_id`, and every line inside it carries both; lines outside an
//! upload (cold start) carry `upload_id: "-"`.

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
        .try_init();
    tracing::info!(function, upload_id = "-", "cold start");
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

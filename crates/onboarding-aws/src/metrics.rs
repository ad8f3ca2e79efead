//! CloudWatch metrics as Embedded Metric Format log lines: CloudWatch Logs
//! turns them into metrics, so no API call and no VPC endpoint is needed.

use std::io::Write;

use serde_json::{Map, Value, json};

pub const NAMESPACE: &str = "ProductOnboarding";

/// The pipeline's own counts, emitted under the `Function` dimension alone
/// with the unit `Count`, and the function that emits each: what the
/// operator console's monitor reads from CloudWatch beside `AWS/Lambda`'s
/// metrics (locally it reads every such record from the runner's logs, and
/// a test keeps the two the same).
pub const PIPELINE_COUNTS: [(&str, &str); 5] = [
    ("csv-parser", "RowsParsed"),
    ("csv-parser", "UploadsFailed"),
    ("product-validator", "ProductsValidated"),
    ("product-validator", "RowsRejected"),
    ("product-validator", "ValidationErrors"),
];

/// One series the functions emit: under the `Function` dimension (the
/// function's name) and the `dimensions` given here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct EmittedMetric {
    pub function: &'static str,
    pub name: &'static str,
    /// Dimensions besides `Function`, with their one value.
    pub dimensions: &'static [(&'static str, &'static str)],
}

const fn emitted(
    function: &'static str,
    name: &'static str,
    dimensions: &'static [(&'static str, &'static str)],
) -> EmittedMetric {
    EmittedMetric {
        function,
        name,
        dimensions,
    }
}

/// Every series the functions emit. The deployment contract exports it
/// (`onboard contract --json`), `scripts/check_contract.py` holds the
/// dashboard and alarms to it (a metric they name must be emitted), and a
/// pipeline test holds the functions' actual EMF lines to it.
pub const EMITTED: [EmittedMetric; 9] = [
    emitted("csv-parser", "RowsParsed", &[]),
    emitted("csv-parser", "PeakRss", &[]),
    emitted("csv-parser", "UploadsFailed", &[]),
    emitted("csv-parser", "StageDuration", &[("Stage", "parse")]),
    emitted("product-validator", "ProductsValidated", &[]),
    emitted("product-validator", "RowsRejected", &[]),
    emitted("product-validator", "ValidationErrors", &[]),
    emitted(
        "product-validator",
        "StageDuration",
        &[("Stage", "validate")],
    ),
    emitted("error-processor", "StageDuration", &[("Stage", "report")]),
];

/// Whether an EMF line's record (function, metric, its dimension values)
/// is one of [`EMITTED`].
pub fn is_emitted(record: &Value) -> bool {
    let Some(directive) = record.pointer("/_aws/CloudWatchMetrics/0") else {
        return false;
    };
    let function = record["Function"].as_str().unwrap_or_default();
    let dimensions: Vec<&str> = directive["Dimensions"][0]
        .as_array()
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let names = directive["Metrics"].as_array().cloned().unwrap_or_default();
    !names.is_empty()
        && names.iter().all(|metric| {
            EMITTED.iter().any(|known| {
                // The Function dimension holds the deployed name,
                // `<prefix>-<function>`.
                (function == known.function
                    || function
                        .strip_suffix(known.function)
                        .is_some_and(|prefix| prefix.ends_with('-')))
                    && Some(known.name) == metric["Name"].as_str()
                    && dimensions.len() == known.dimensions.len() + 1
                    && dimensions.first() == Some(&"Function")
                    && known
                        .dimensions
                        .iter()
                        .all(|(name, value)| dimensions.contains(name) && record[*name] == *value)
            })
        })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Count,
    Milliseconds,
    Bytes,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
            Unit::Bytes => "Bytes",
        }
    }
}

/// One EMF record: metrics under the `Function` dimension, plus properties
/// (such as `upload_id`) that are searchable in the logs but not dimensions.
#[derive(Clone, Debug)]
pub struct MetricRecord {
    function: String,
    extra_dimension: Option<(String, String)>,
    metrics: Vec<(String, Unit, f64)>,
    properties: Map<String, Value>,
}

impl MetricRecord {
    /// `function` is the short name; inside Lambda the deployed name
    /// (`<project>-<environment>-<function>`) is used instead, so that
    /// environments sharing an account keep separate series.
    pub fn new(function: &str) -> MetricRecord {
        MetricRecord {
            function: std::env::var("AWS_LAMBDA_FUNCTION_NAME")
                .unwrap_or_else(|_| function.to_string()),
            extra_dimension: None,
            metrics: Vec::new(),
            properties: Map::new(),
        }
    }

    /// A record about one upload: its id and vendor as properties, so every
    /// metric line can be found by `upload_id` in the logs.
    pub fn for_upload(
        function: &str,
        upload_id: &onboarding_core::UploadId,
        vendor_id: &onboarding_core::VendorId,
    ) -> MetricRecord {
        MetricRecord::new(function)
            .property("upload_id", upload_id.as_str())
            .property("vendor_id", vendor_id.as_str())
    }

    /// How long a pipeline stage (`parse`, `validate`, `report`) took, under
    /// the `Stage` dimension: each function emits one per upload or batch.
    pub fn stage_duration(self, stage: &str, elapsed: std::time::Duration) -> MetricRecord {
        self.dimension("Stage", stage).metric(
            "StageDuration",
            Unit::Milliseconds,
            elapsed.as_millis() as f64,
        )
    }

    /// A second dimension, for example `ErrorType`.
    pub fn dimension(mut self, name: &str, value: &str) -> MetricRecord {
        self.extra_dimension = Some((name.to_string(), value.to_string()));
        self
    }

    pub fn metric(mut self, name: &str, unit: Unit, value: f64) -> MetricRecord {
        self.metrics.push((name.to_string(), unit, value));
        self
    }

    pub fn property(mut self, name: &str, value: impl Into<Value>) -> MetricRecord {
        self.properties.insert(name.to_string(), value.into());
        self
    }

    pub fn to_json(&self, timestamp_ms: i64) -> Value {
        let mut dimensions = vec!["Function".to_string()];
        let mut root = self.properties.clone();
        // Like every log line, every record names its upload and vendor.
        for field in crate::telemetry::CORRELATION_FIELDS {
            root.entry(field)
                .or_insert_with(|| Value::String("-".into()));
        }
        root.insert("Function".into(), Value::String(self.function.clone()));
        if let Some((name, value)) = &self.extra_dimension {
            dimensions.push(name.clone());
            root.insert(name.clone(), Value::String(value.clone()));
        }
        let definitions: Vec<Value> = self
            .metrics
            .iter()
            .map(|(name, unit, _)| json!({"Name": name, "Unit": unit.as_str()}))
            .collect();
        for (name, _, value) in &self.metrics {
            root.insert(name.clone(), json!(value));
        }
        root.insert(
            "_aws".into(),
            json!({
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": [dimensions],
                    "Metrics": definitions,
                }]
            }),
        );
        Value::Object(root)
    }

    /// Writes the record as one line on standard output.
    pub fn emit(&self) {
        let line = self
            .to_json(chrono::Utc::now().timestamp_millis())
            .to_string();
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_follow_the_embedded_metric_format() {
        let record = MetricRecord::new("product-validator")
            .dimension("Stage", "validate")
            .metric("StageDuration", Unit::Milliseconds, 3.0)
            .property("upload_id", "UPLOAD_1")
            .property("ErrorType", "INVALID_PRICE")
            .to_json(1_700_000_000_000);
        assert_eq!(record["Function"], "product-validator");
        assert_eq!(record["Stage"], "validate");
        assert_eq!(record["StageDuration"], 3.0);
        assert_eq!(record["upload_id"], "UPLOAD_1");
        assert_eq!(
            record["ErrorType"], "INVALID_PRICE",
            "a property, not a dimension"
        );
        let directive = &record["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], NAMESPACE);
        assert_eq!(directive["Dimensions"], json!([["Function", "Stage"]]));
        assert_eq!(
            directive["Metrics"],
            json!([{"Name": "StageDuration", "Unit": "Milliseconds"}])
        );
        assert_eq!(record["_aws"]["Timestamp"], 1_700_000_000_000i64);
        assert_eq!(record["vendor_id"], "-", "named even when not given");
        assert!(is_emitted(&record));
    }

    #[test]
    fn a_series_outside_the_catalogue_is_not_emitted() {
        let record = |function, stage, name| {
            MetricRecord::new(function)
                .dimension("Stage", stage)
                .metric(name, Unit::Milliseconds, 1.0)
                .to_json(0)
        };
        assert!(is_emitted(&record(
            "error-processor",
            "report",
            "StageDuration"
        )));
        assert!(!is_emitted(&record(
            "error-processor",
            "parse",
            "StageDuration"
        )));
        assert!(!is_emitted(&record("csv-parser", "parse", "ParseDuration")));
        let undimensioned = MetricRecord::new("csv-parser")
            .metric("StageDuration", Unit::Milliseconds, 1.0)
            .to_json(0);
        assert!(!is_emitted(&undimensioned));
        // The counts the console reads are catalogued.
        for (function, name) in PIPELINE_COUNTS {
            assert!(
                EMITTED
                    .iter()
                    .any(|m| m.function == function && m.name == name && m.dimensions.is_empty())
            );
        }
    }
}

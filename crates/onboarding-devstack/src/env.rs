//! The stack's `KEY=VALUE` environment (`docs/configuration.md`), written to
//! `<state_dir>/stack.env` once the stack is ready.

use std::collections::BTreeMap;
use std::path::Path;

use crate::DevstackError;

/// The file name of the environment file in the state directory.
pub const ENV_FILE: &str = "stack.env";

/// Keys the stack writes (in addition to the documented ones it may add).
pub mod keys {
    pub const AWS_ENDPOINT_URL: &str = "AWS_ENDPOINT_URL";
    /// The SDKs' per-service endpoint for Cognito, which wins over
    /// `AWS_ENDPOINT_URL` (docker-compose: the moto sidecar).
    pub const AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: &str =
        "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER";
    /// The SDKs' per-service endpoints for DynamoDB and its stream: the
    /// local stack's second emulator process (`crate::stack`).
    pub const AWS_ENDPOINT_URL_DYNAMODB: &str = "AWS_ENDPOINT_URL_DYNAMODB";
    pub const AWS_ENDPOINT_URL_DYNAMODB_STREAMS: &str = "AWS_ENDPOINT_URL_DYNAMODB_STREAMS";
    pub const AWS_REGION: &str = "AWS_REGION";
    pub const AWS_ACCESS_KEY_ID: &str = "AWS_ACCESS_KEY_ID";
    pub const AWS_SECRET_ACCESS_KEY: &str = "AWS_SECRET_ACCESS_KEY";
    pub const DATABASE_URL: &str = "DATABASE_URL";
    pub const DATABASE_HOST: &str = "DATABASE_HOST";
    pub const DATABASE_PORT: &str = "DATABASE_PORT";
    pub const DATABASE_NAME: &str = "DATABASE_NAME";
    pub const DATABASE_SSL_MODE: &str = "DATABASE_SSL_MODE";
    pub const DATABASE_SECRET_ID: &str = "DATABASE_SECRET_ID";
    pub const UPLOAD_BUCKET: &str = "UPLOAD_BUCKET";
    pub const STAGING_TABLE: &str = "STAGING_TABLE";
    pub const STAGING_STREAM_ARN: &str = "STAGING_STREAM_ARN";
    pub const ERROR_QUEUE_URL: &str = "ERROR_QUEUE_URL";
    pub const CANDIDATE_ERROR_QUEUE_URL: &str = "CANDIDATE_ERROR_QUEUE_URL";
    pub const ERROR_DLQ_URL: &str = "ERROR_DLQ_URL";
    pub const STREAM_FAILURES_QUEUE_URL: &str = "STREAM_FAILURES_QUEUE_URL";
    pub const S3_EVENTS_QUEUE_URL: &str = "S3_EVENTS_QUEUE_URL";
    /// Not in the documented list yet: the csv-parser's dead-letter queue.
    pub const PARSER_DLQ_URL: &str = "PARSER_DLQ_URL";
    pub const NOTIFICATION_TOPIC_ARN: &str = "NOTIFICATION_TOPIC_ARN";
    pub const OUTBOX_QUEUE_URL: &str = "OUTBOX_QUEUE_URL";
    /// Not in the documented list yet: the resource name prefix.
    pub const STACK_PREFIX: &str = "STACK_PREFIX";
    pub const STACK_PID: &str = "STACK_PID";
    /// The portal (web app at `/`, API at `/api`), when it runs.
    pub const PORTAL_URL: &str = "PORTAL_URL";
    pub const COGNITO_USER_POOL_ID: &str = "COGNITO_USER_POOL_ID";
    pub const COGNITO_CLIENT_ID: &str = "COGNITO_CLIENT_ID";
    pub const COGNITO_JWKS_URL: &str = "COGNITO_JWKS_URL";
    /// The password of every seeded vendor's portal login (fresh per stack).
    pub const PORTAL_DEMO_PASSWORD: &str = "PORTAL_DEMO_PASSWORD";
    /// Where `onboard invoke` sends one event to one function (the stack
    /// process's listener, see `crate::invoke`).
    pub const LOCAL_INVOKE_URL: &str = "LOCAL_INVOKE_URL";
}

/// An ordered `KEY=VALUE` map.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StackEnv {
    vars: BTreeMap<String, String>,
}

impl StackEnv {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.vars.insert(key.into(), value.into());
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars.get(key).map(String::as_str)
    }

    /// The value, or a [`DevstackError::Config`] naming the missing key.
    pub fn require(&self, key: &str) -> Result<&str, DevstackError> {
        self.get(key).ok_or_else(|| {
            DevstackError::Config(format!("{key} is not set in the stack environment"))
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// `KEY=VALUE` lines, sorted by key.
    pub fn to_file_text(&self) -> String {
        self.iter().map(|(k, v)| format!("{k}={v}\n")).collect()
    }

    /// Parses `KEY=VALUE` lines; blank lines and `#` comments are skipped.
    pub fn parse(text: &str) -> Self {
        let vars = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .filter_map(|line| line.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.to_string()))
            .collect();
        StackEnv { vars }
    }

    /// Reads an environment file (`.dev/stack.env`).
    pub fn read(path: &Path) -> Result<Self, DevstackError> {
        std::fs::read_to_string(path)
            .map(|text| Self::parse(&text))
            .map_err(|e| DevstackError::io(path, e))
    }

    /// Writes the file atomically (a temp file renamed into place), so a
    /// reader never sees half of it.
    pub fn write(&self, path: &Path) -> Result<(), DevstackError> {
        let tmp = path.with_extension("env.tmp");
        std::fs::write(&tmp, self.to_file_text()).map_err(|e| DevstackError::io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| DevstackError::io(path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_text() {
        let mut env = StackEnv::new();
        env.set("B", "2=two");
        env.set("A", "http://127.0.0.1:1");
        let text = env.to_file_text();
        assert_eq!(text, "A=http://127.0.0.1:1\nB=2=two\n");
        assert_eq!(StackEnv::parse(&format!("# c\n\n{text}")), env);
    }
}

//! The deployment contract as data: each function's environment, timeout
//! and permissions, the queues, the staging table and the event source
//! mappings with their settings. The functions read their variables through
//! the settings structs named here, the local stack (`onboarding-devstack`)
//! builds its queues, mappings and environments from it, and
//! `onboard contract --json` exports it for `scripts/check_contract.py`,
//! which compares it with the Terraform. [`Contract::violations`] holds the
//! invariants between the settings, written once and checked on the
//! contract (so on the Terraform that must equal it) and on the local
//! stack's effective settings.

use std::time::Duration;

use serde::Serialize;

use crate::config::{ConfigError, env_var, optional_env_var};

/// Environment variable names. One constant per name, so a typo is a
/// compile error and the contract lists what the code reads.
pub mod vars {
    pub const DATABASE_SECRET_ID: &str = "DATABASE_SECRET_ID";
    pub const DATABASE_HOST: &str = "DATABASE_HOST";
    pub const DATABASE_PORT: &str = "DATABASE_PORT";
    pub const DATABASE_NAME: &str = "DATABASE_NAME";
    pub const DATABASE_SSL_MODE: &str = "DATABASE_SSL_MODE";
    pub const STAGING_TABLE: &str = "STAGING_TABLE";
    pub const ERROR_QUEUE_URL: &str = "ERROR_QUEUE_URL";
    pub const CANDIDATE_ERROR_QUEUE_URL: &str = "CANDIDATE_ERROR_QUEUE_URL";
    pub const UPLOAD_BUCKET: &str = "UPLOAD_BUCKET";
    pub const NOTIFICATION_TOPIC_ARN: &str = "NOTIFICATION_TOPIC_ARN";
    pub const REPORT_LINK_BASE_URL: &str = "REPORT_LINK_BASE_URL";
    pub const DATABASE_ROLE_SECRET_IDS: &str = "DATABASE_ROLE_SECRET_IDS";
    pub const RUST_LOG: &str = "RUST_LOG";
    /// Local only: the emulator's endpoint (the SDK reads it too).
    pub const AWS_ENDPOINT_URL: &str = "AWS_ENDPOINT_URL";
    /// Local only: DynamoDB's own emulator process (the SDK reads it too).
    pub const AWS_ENDPOINT_URL_DYNAMODB: &str = "AWS_ENDPOINT_URL_DYNAMODB";
    /// The portal API's (`onboarding-api`, both parts).
    pub const API_PART: &str = "API_PART";
    pub const COGNITO_USER_POOL_ID: &str = "COGNITO_USER_POOL_ID";
    pub const COGNITO_CLIENT_ID: &str = "COGNITO_CLIENT_ID";
    pub const COGNITO_ISSUER: &str = "COGNITO_ISSUER";
    pub const COGNITO_JWKS_URL: &str = "COGNITO_JWKS_URL";
    pub const SITE_ORIGIN: &str = "SITE_ORIGIN";
    pub const FUNCTION_NAME_PREFIX: &str = "FUNCTION_NAME_PREFIX";
    pub const FUNCTION_LOGS_DIR: &str = "FUNCTION_LOGS_DIR";
    pub const ERROR_DLQ_URL: &str = "ERROR_DLQ_URL";
    pub const PARSER_DLQ_URL: &str = "PARSER_DLQ_URL";
    pub const PARSER_REDRIVE_QUEUE_URL: &str = "PARSER_REDRIVE_QUEUE_URL";
    pub const STREAM_FAILURES_QUEUE_URL: &str = "STREAM_FAILURES_QUEUE_URL";
    pub const CONSOLE_DATABASE_SECRET_ID: &str = "CONSOLE_DATABASE_SECRET_ID";
    pub const VENDOR_API_LISTEN: &str = "VENDOR_API_LISTEN";
    pub const WEB_ROOT: &str = "WEB_ROOT";
    pub const AWS_ENDPOINT_URL_CLOUDWATCH: &str = "AWS_ENDPOINT_URL_CLOUDWATCH";
    pub const AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: &str = "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS";
    pub const AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: &str =
        "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER";
    pub const EMAIL_CLAIM_LEASE_SECONDS: &str = "EMAIL_CLAIM_LEASE_SECONDS";
}

/// The database settings every function reads ([`crate::DatabaseSettings`]).
pub const DATABASE_VARIABLES: [Variable; 5] = [
    Variable::required(vars::DATABASE_SECRET_ID),
    Variable::required(vars::DATABASE_HOST),
    Variable::optional(vars::DATABASE_PORT),
    Variable::required(vars::DATABASE_NAME),
    Variable::optional(vars::DATABASE_SSL_MODE),
];

/// One environment variable a function reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Variable {
    pub name: &'static str,
    pub required: bool,
    /// Why Terraform does not set it (`None`: Terraform sets it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_set_by_terraform: Option<&'static str>,
}

impl Variable {
    pub const fn required(name: &'static str) -> Variable {
        Variable {
            name,
            required: true,
            not_set_by_terraform: None,
        }
    }

    pub const fn optional(name: &'static str) -> Variable {
        Variable {
            name,
            required: false,
            not_set_by_terraform: None,
        }
    }

    /// Read by the code, never set by Terraform, for the reason given.
    pub const fn outside_terraform(name: &'static str, reason: &'static str) -> Variable {
        Variable {
            name,
            required: false,
            not_set_by_terraform: Some(reason),
        }
    }
}

/// Where the errors of staged rows go, in both lanes: what the
/// product-validator reads besides the database (it reads the staging table
/// through its stream only).
#[derive(Clone, Debug)]
pub struct ErrorQueueSettings {
    pub error_queue_url: String,
    pub candidate_error_queue_url: String,
}

impl ErrorQueueSettings {
    pub const VARIABLES: [Variable; 2] = [
        Variable::required(vars::ERROR_QUEUE_URL),
        Variable::required(vars::CANDIDATE_ERROR_QUEUE_URL),
    ];

    pub fn from_env() -> Result<ErrorQueueSettings, ConfigError> {
        Ok(ErrorQueueSettings {
            error_queue_url: env_var(vars::ERROR_QUEUE_URL)?,
            candidate_error_queue_url: env_var(vars::CANDIDATE_ERROR_QUEUE_URL)?,
        })
    }
}

/// What the csv-parser reads besides the database: where rows are staged,
/// and where the errors it finds go.
#[derive(Clone, Debug)]
pub struct StagingSettings {
    pub staging_table: String,
    pub error_queues: ErrorQueueSettings,
}

impl StagingSettings {
    pub const VARIABLES: [Variable; 3] = [
        Variable::required(vars::STAGING_TABLE),
        ErrorQueueSettings::VARIABLES[0],
        ErrorQueueSettings::VARIABLES[1],
    ];

    pub fn from_env() -> Result<StagingSettings, ConfigError> {
        Ok(StagingSettings {
            staging_table: env_var(vars::STAGING_TABLE)?,
            error_queues: ErrorQueueSettings::from_env()?,
        })
    }
}

/// What the error-processor reads besides the database.
#[derive(Clone, Debug)]
pub struct ErrorProcessorSettings {
    pub upload_bucket: String,
    pub notification_topic_arn: String,
    pub report_link_base_url: Option<String>,
    /// How long a claim on an upload's email holds off other senders
    /// ([`Contract::email_claim_lease_s`] unless the local stack's test
    /// speed shortens it).
    pub email_claim_lease: Duration,
}

impl ErrorProcessorSettings {
    pub const VARIABLES: [Variable; 4] = [
        Variable::required(vars::UPLOAD_BUCKET),
        Variable::required(vars::NOTIFICATION_TOPIC_ARN),
        Variable::optional(vars::REPORT_LINK_BASE_URL),
        Variable::outside_terraform(
            vars::EMAIL_CLAIM_LEASE_SECONDS,
            "unset in AWS, where the contract's lease applies; the local stack sets its effective lease, which a test may shorten",
        ),
    ];

    pub fn from_env() -> Result<ErrorProcessorSettings, ConfigError> {
        let lease_s = match optional_env_var(vars::EMAIL_CLAIM_LEASE_SECONDS) {
            None => onboarding_core::pipeline::EMAIL_CLAIM_LEASE_SECONDS,
            Some(value) => value
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|s| *s > 0)
                .ok_or_else(|| ConfigError::Invalid {
                    name: vars::EMAIL_CLAIM_LEASE_SECONDS,
                    reason: format!("{value:?} is not a whole number of seconds above 0"),
                })?,
        };
        Ok(ErrorProcessorSettings {
            upload_bucket: env_var(vars::UPLOAD_BUCKET)?,
            notification_topic_arn: env_var(vars::NOTIFICATION_TOPIC_ARN)?,
            report_link_base_url: optional_env_var(vars::REPORT_LINK_BASE_URL),
            email_claim_lease: Duration::from_secs(lease_s.into()),
        })
    }
}

/// Variables every function reads that are not the deployment's to set.
const PLATFORM_VARIABLES: [Variable; 5] = [
    Variable::outside_terraform(
        vars::AWS_ENDPOINT_URL,
        "local only: the emulator's endpoint",
    ),
    Variable::outside_terraform(
        vars::AWS_ENDPOINT_URL_DYNAMODB,
        "local only: DynamoDB's emulator when it is not AWS_ENDPOINT_URL's",
    ),
    Variable::outside_terraform("AWS_REGION", "set by Lambda itself"),
    Variable::outside_terraform("AWS_LAMBDA_FUNCTION_NAME", "set by Lambda itself"),
    Variable::optional(vars::RUST_LOG),
];

/// What both parts of the portal API read when run locally (one process,
/// `onboard dev up` or compose), never set by Terraform.
const API_LOCAL_VARIABLES: [Variable; 3] = [
    Variable::outside_terraform(
        vars::AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER,
        "local only: Cognito's emulator when it is not AWS_ENDPOINT_URL's",
    ),
    Variable::outside_terraform(
        vars::VENDOR_API_LISTEN,
        "local only: serve with plain axum on host:port instead of lambda_http",
    ),
    Variable::outside_terraform(
        vars::WEB_ROOT,
        "local only: the web app, served by the same process (CloudFront and S3 in AWS)",
    ),
];

/// The vendor-api's variables. Its code lives in `onboarding-api`, which
/// reads these names; they are listed here so the contract is whole.
const VENDOR_API_VARIABLES: [Variable; 19] = [
    Variable::required(vars::UPLOAD_BUCKET),
    Variable::optional(vars::NOTIFICATION_TOPIC_ARN),
    Variable::required(vars::COGNITO_USER_POOL_ID),
    Variable::required(vars::COGNITO_CLIENT_ID),
    Variable::optional(vars::COGNITO_ISSUER),
    Variable::optional(vars::COGNITO_JWKS_URL),
    Variable::optional(vars::SITE_ORIGIN),
    Variable::optional(vars::FUNCTION_NAME_PREFIX),
    Variable::optional(vars::ERROR_DLQ_URL),
    Variable::optional(vars::ERROR_QUEUE_URL),
    Variable::optional(vars::PARSER_DLQ_URL),
    Variable::optional(vars::STREAM_FAILURES_QUEUE_URL),
    Variable::optional(vars::CONSOLE_DATABASE_SECRET_ID),
    Variable::optional(vars::AWS_ENDPOINT_URL_CLOUDWATCH),
    Variable::optional(vars::AWS_ENDPOINT_URL_CLOUDWATCH_LOGS),
    Variable::outside_terraform(
        vars::FUNCTION_LOGS_DIR,
        "local only: the console reads the runner's function logs instead of CloudWatch",
    ),
    Variable::outside_terraform(
        vars::PARSER_REDRIVE_QUEUE_URL,
        "local only: the csv-parser's dead letters go back to the S3-events queue; nothing is in front of the function in AWS",
    ),
    Variable::outside_terraform(
        "DATABASE_ROLE_SECRET_IDS",
        "never: only the migrator's program reads it",
    ),
    Variable::optional(vars::API_PART),
];

/// Which part of the API a deployment serves (`API_PART`): unset (the local
/// stack, compose) serves every route; Terraform runs the portal as two
/// functions of one image, `vendor-auth` with `auth` and `vendor-api` with
/// `data` (docs/decisions-platform.md 21).
pub use vars::API_PART;

/// The vendor-auth's variables: the pool, the site's origin (CORS) and its
/// part. No database, no bucket, nothing of the console's.
const VENDOR_AUTH_VARIABLES: [Variable; 6] = [
    Variable::required(vars::API_PART),
    Variable::required(vars::COGNITO_USER_POOL_ID),
    Variable::required(vars::COGNITO_CLIENT_ID),
    Variable::optional(vars::COGNITO_ISSUER),
    Variable::optional(vars::COGNITO_JWKS_URL),
    Variable::optional(vars::SITE_ORIGIN),
];

/// The routes the `auth` part serves, under [`API_PATH_PREFIX`]: Cognito's
/// side of a session. API Gateway sends exactly these to `vendor-auth` and
/// everything else under the prefix to `vendor-api`.
pub const AUTH_ROUTES: [(&str, &str); 6] = [
    ("POST", "/auth/signup"),
    ("POST", "/auth/confirm"),
    ("POST", "/auth/login"),
    ("POST", "/auth/refresh"),
    ("POST", "/auth/revoke"),
    ("GET", "/auth/jwks"),
];

/// IAM actions a function's role holds on one resource. Resources are named
/// without Terraform's addresses: `table:staging`, `stream:staging`,
/// `queue:<name>`, `topic:<name>`, `bucket:<name>/<key pattern>`,
/// `secret:own`, `secret:console`, `log-group:<function>` (`:*` for its
/// streams), `log-group:self`, `user-pool`, `*`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Permission {
    pub actions: &'static [&'static str],
    pub resources: &'static [&'static str],
    /// Who makes the calls: for a function in the VPC, only the code's need
    /// a route out of it.
    pub by: Caller,
    /// Which code path (or Lambda itself) needs it.
    pub why: &'static str,
}

/// Who calls the API a permission allows, with the function's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Caller {
    /// The function's code, over the network from where it runs: in the
    /// VPC through the egress path (egress_mode), so every service it calls
    /// needs a route there (in interface_endpoints mode an endpoint).
    Code,
    /// Lambda on the function's behalf, from outside the VPC: its own log
    /// writes, traces, network interfaces, event source mappings and
    /// asynchronous dead-letter queue. No route in the VPC needed.
    Lambda,
}

/// A permission the function's code uses.
const fn allow(
    actions: &'static [&'static str],
    resources: &'static [&'static str],
    why: &'static str,
) -> Permission {
    Permission {
        actions,
        resources,
        by: Caller::Code,
        why,
    }
}

impl Permission {
    /// The same permission, used by Lambda with the function's role.
    const fn by_lambda(self) -> Permission {
        Permission {
            by: Caller::Lambda,
            ..self
        }
    }
}

/// A call the code makes that no IAM permission covers (a public
/// document) but the network path must carry, and when.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PublicCall {
    /// The service's endpoint name (`cognito-idp`).
    pub service: &'static str,
    pub why: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct Function {
    pub name: &'static str,
    /// The image it runs (its ECR repository): its own name, except for a
    /// function that runs another's program in another mode.
    pub image: &'static str,
    /// Whether it runs in the VPC (next to PostgreSQL). Only a function that
    /// never opens the database and calls a service without an IPv6
    /// endpoint runs outside.
    pub in_vpc: bool,
    pub memory_mb: u32,
    pub timeout_s: u32,
    pub variables: Vec<Variable>,
    pub permissions: Vec<Permission>,
    /// Calls of the code that [`Permission`]s do not show.
    pub public_calls: &'static [PublicCall],
}

impl Function {
    pub fn variable_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.variables.iter().map(|v| v.name)
    }

    /// The AWS services its code calls over the network, by IAM prefix
    /// (`cloudwatch` is the `monitoring` endpoint): what a function in the
    /// VPC needs a route to. scripts/check_contract.py derives the same from
    /// the JSON and holds interface_endpoints mode's endpoints to it.
    pub fn services_called(&self) -> std::collections::BTreeSet<&'static str> {
        let code = self.permissions.iter().filter(|p| p.by == Caller::Code);
        code.flat_map(|p| p.actions.iter().filter_map(|a| a.split(':').next()))
            .chain(self.public_calls.iter().map(|c| c.service))
            .collect()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Queue {
    /// The name after `<prefix>-`.
    pub name: &'static str,
    pub visibility_timeout_s: Option<u32>,
    pub retention_s: u32,
    /// `(dead-letter queue, receives before a message moves there)`.
    pub dead_letter: Option<Redrive>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Redrive {
    pub queue: &'static str,
    pub max_receive_count: u32,
}

/// How a function is fed.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum Trigger {
    /// S3 invokes the function asynchronously; Lambda retries, then the DLQ.
    S3Notification {
        function: &'static str,
        max_retries: u32,
        max_event_age_s: u32,
        dead_letter_queue: &'static str,
    },
    /// The staging table's stream through an event source mapping.
    Stream {
        function: &'static str,
        batch_size: u32,
        batching_window_s: u32,
        parallelization_factor: u32,
        max_retries: u32,
        max_record_age_s: u32,
        bisect_on_error: bool,
        on_failure_queue: &'static str,
    },
    /// A queue through an event source mapping (one per lane).
    Queue {
        function: &'static str,
        queues: &'static [&'static str],
        batch_size: u32,
        batching_window_s: u32,
        max_concurrency: u32,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Table {
    pub name: &'static str,
    pub hash_key: &'static str,
    pub range_key: &'static str,
    pub index: &'static str,
    pub index_hash_key: &'static str,
    pub index_range_key: &'static str,
    pub stream_view_type: &'static str,
    pub ttl_attribute: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct Contract {
    pub functions: Vec<Function>,
    pub queues: Vec<Queue>,
    pub triggers: Vec<Trigger>,
    pub table: Table,
    pub topic: &'static str,
    pub bucket: &'static str,
    /// The key prefixes the bucket notification invokes each lane for.
    pub upload_prefixes: UploadPrefixes,
    /// How long an error-processor's claim on an upload's email lasts.
    pub email_claim_lease_s: u32,
    pub portal: Portal,
    /// The functions' own metrics (EMF): what the dashboard and alarms may
    /// name in this namespace.
    pub metrics: CustomMetrics,
}

#[derive(Clone, Debug, Serialize)]
pub struct CustomMetrics {
    pub namespace: &'static str,
    pub emitted: &'static [crate::metrics::EmittedMetric],
}

#[derive(Clone, Debug, Serialize)]
pub struct Portal {
    pub admins_group: &'static str,
    pub api_path_prefix: &'static str,
    /// API Gateway route keys (`POST /api/auth/login`) that go to the auth
    /// part; every other request under the prefix goes to the data part.
    pub auth_route_keys: Vec<String>,
    /// Function => the `API_PART` Terraform sets on it.
    pub parts: Vec<PortalPart>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PortalPart {
    pub function: &'static str,
    pub api_part: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct UploadPrefixes {
    pub live: String,
    pub candidate: String,
}

/// The Cognito group whose members may use the admin API.
pub const ADMINS_GROUP: &str = "admins";
/// Where the vendor-api's router serves (API Gateway forwards all of it).
pub const API_PATH_PREFIX: &str = "/api";

/// The portal's two functions (one image).
pub const VENDOR_API: &str = "vendor-api";
pub const VENDOR_AUTH: &str = "vendor-auth";

pub const ERRORS_QUEUE: &str = "errors";
pub const CANDIDATE_ERRORS_QUEUE: &str = "errors-candidate";
pub const ERRORS_DLQ: &str = "errors-dlq";
pub const STREAM_FAILURES_QUEUE: &str = "stream-failures";
pub const CSV_PARSER_DLQ: &str = "csv-parser-dlq";

/// The function that sends the emails and holds their claims.
pub const ERROR_PROCESSOR: &str = "error-processor";

/// The error-processor's timeout and batching window, from which AWS's
/// guidance derives its queues' visibility timeout.
const ERROR_PROCESSOR_TIMEOUT_S: u32 = 60;
const ERRORS_BATCHING_WINDOW_S: u32 = 30;
/// At least 6 x the function timeout plus the batching window (AWS's guidance
/// for SQS-triggered functions), never below the 5 minutes the requirements
/// ask for.
const ERRORS_VISIBILITY_TIMEOUT_S: u32 = {
    let guidance = 6 * ERROR_PROCESSOR_TIMEOUT_S + ERRORS_BATCHING_WINDOW_S;
    if guidance > 300 { guidance } else { 300 }
};
const DLQ_RETENTION_S: u32 = 1_209_600; // 14 days, the SQS maximum

fn function(
    name: &'static str,
    memory_mb: u32,
    timeout_s: u32,
    own: &[Variable],
    permissions: Vec<Permission>,
) -> Function {
    let mut variables = DATABASE_VARIABLES.to_vec();
    variables.extend_from_slice(own);
    variables.extend_from_slice(&PLATFORM_VARIABLES);
    Function {
        name,
        image: name,
        in_vpc: true,
        memory_mb,
        timeout_s,
        variables,
        permissions,
        public_calls: &[],
    }
}

impl Contract {
    pub fn get() -> Contract {
        let dead_letter = |queue| {
            Some(Redrive {
                queue,
                max_receive_count: 3,
            })
        };
        let errors_queue = |name| Queue {
            name,
            visibility_timeout_s: Some(ERRORS_VISIBILITY_TIMEOUT_S),
            retention_s: 345_600, // 4 days
            dead_letter: dead_letter(ERRORS_DLQ),
        };
        let dlq = |name| Queue {
            name,
            visibility_timeout_s: None,
            retention_s: DLQ_RETENTION_S,
            dead_letter: None,
        };
        let mut csv_parser_variables = StagingSettings::VARIABLES.to_vec();
        csv_parser_variables.push(Variable::outside_terraform(
            vars::DATABASE_ROLE_SECRET_IDS,
            "set only on <prefix>-migrator: its migrate command sets each function role's password from these secrets",
        ));
        let mut vendor_api_variables = DATABASE_VARIABLES.to_vec();
        vendor_api_variables.extend_from_slice(&VENDOR_API_VARIABLES);
        vendor_api_variables.extend_from_slice(&API_LOCAL_VARIABLES);
        vendor_api_variables.extend_from_slice(&PLATFORM_VARIABLES);
        let mut vendor_auth_variables = VENDOR_AUTH_VARIABLES.to_vec();
        vendor_auth_variables.extend_from_slice(&API_LOCAL_VARIABLES);
        vendor_auth_variables.extend_from_slice(&PLATFORM_VARIABLES);
        Contract {
            functions: vec![
                function(
                    "csv-parser",
                    1024,
                    120,
                    &csv_parser_variables,
                    permissions::csv_parser(),
                ),
                function(
                    "product-validator",
                    512,
                    60,
                    &ErrorQueueSettings::VARIABLES,
                    permissions::product_validator(),
                ),
                function(
                    ERROR_PROCESSOR,
                    512,
                    ERROR_PROCESSOR_TIMEOUT_S,
                    &ErrorProcessorSettings::VARIABLES,
                    permissions::error_processor(),
                ),
                Function {
                    name: VENDOR_API,
                    image: VENDOR_API,
                    in_vpc: true,
                    memory_mb: 512,
                    timeout_s: 10,
                    variables: vendor_api_variables,
                    permissions: permissions::vendor_api(),
                    public_calls: &[PublicCall {
                        service: "cognito-idp",
                        why: "the pool's signing keys (COGNITO_JWKS_URL at Cognito) in egress_mode = interface_endpoints, where the site is out of reach",
                    }],
                },
                // The vendor-api's program as the auth part: outside the VPC,
                // because Cognito has no IPv6 endpoint (docs/decisions-platform.md 21).
                Function {
                    name: VENDOR_AUTH,
                    image: VENDOR_API,
                    in_vpc: false,
                    memory_mb: 256,
                    timeout_s: 10,
                    variables: vendor_auth_variables,
                    permissions: permissions::vendor_auth(),
                    public_calls: &[],
                },
            ],
            queues: vec![
                errors_queue(ERRORS_QUEUE),
                errors_queue(CANDIDATE_ERRORS_QUEUE),
                dlq(ERRORS_DLQ),
                dlq(STREAM_FAILURES_QUEUE),
                dlq(CSV_PARSER_DLQ),
            ],
            triggers: vec![
                Trigger::S3Notification {
                    function: "csv-parser",
                    max_retries: 2,
                    max_event_age_s: 3600,
                    dead_letter_queue: CSV_PARSER_DLQ,
                },
                Trigger::Stream {
                    function: "product-validator",
                    batch_size: 500,
                    batching_window_s: 5,
                    parallelization_factor: 2,
                    max_retries: 3,
                    max_record_age_s: 3600,
                    bisect_on_error: true,
                    on_failure_queue: STREAM_FAILURES_QUEUE,
                },
                Trigger::Queue {
                    function: "error-processor",
                    queues: &[ERRORS_QUEUE, CANDIDATE_ERRORS_QUEUE],
                    batch_size: 10,
                    batching_window_s: ERRORS_BATCHING_WINDOW_S,
                    max_concurrency: 2,
                },
            ],
            table: Table {
                name: "staging",
                hash_key: "upload_id",
                range_key: "record_id",
                index: "vendor-index",
                index_hash_key: "vendor_id",
                index_range_key: "upload_id",
                stream_view_type: "NEW_IMAGE",
                ttl_attribute: "expires_at",
            },
            topic: "notifications",
            bucket: "uploads",
            upload_prefixes: UploadPrefixes {
                live: onboarding_core::upload_key::UPLOADS_PREFIX.to_string(),
                candidate: format!(
                    "{}{}",
                    onboarding_core::upload_key::CANDIDATE_PREFIX,
                    onboarding_core::upload_key::UPLOADS_PREFIX
                ),
            },
            email_claim_lease_s: onboarding_core::pipeline::EMAIL_CLAIM_LEASE_SECONDS,
            metrics: CustomMetrics {
                namespace: crate::metrics::NAMESPACE,
                emitted: &crate::metrics::EMITTED,
            },
            portal: Portal {
                admins_group: ADMINS_GROUP,
                api_path_prefix: API_PATH_PREFIX,
                auth_route_keys: AUTH_ROUTES
                    .iter()
                    .map(|(method, path)| format!("{method} {API_PATH_PREFIX}{path}"))
                    .collect(),
                parts: vec![
                    PortalPart {
                        function: VENDOR_AUTH,
                        api_part: "auth",
                    },
                    PortalPart {
                        function: VENDOR_API,
                        api_part: "data",
                    },
                ],
            },
        }
    }

    pub fn function(&self, name: &str) -> &Function {
        self.functions
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("the contract has no function {name}"))
    }

    /// The staging stream mapping's `ParallelizationFactor`: batches of one
    /// shard in flight at once (1 without a stream trigger).
    pub fn stream_parallelization_factor(&self) -> u32 {
        self.triggers
            .iter()
            .find_map(|trigger| match trigger {
                Trigger::Stream {
                    parallelization_factor,
                    ..
                } => Some(*parallelization_factor),
                _ => None,
            })
            .unwrap_or(1)
    }

    pub fn queue(&self, name: &str) -> &Queue {
        self.queues
            .iter()
            .find(|q| q.name == name)
            .unwrap_or_else(|| panic!("the contract has no queue {name}"))
    }

    pub fn queue_mut(&mut self, name: &str) -> &mut Queue {
        self.queues
            .iter_mut()
            .find(|q| q.name == name)
            .unwrap_or_else(|| panic!("the contract has no queue {name}"))
    }

    /// The invariants between the settings, each broken one in words. Empty
    /// for the contract itself (a test holds it to that); the local stack
    /// checks its effective settings with it at start-up.
    pub fn violations(&self) -> Vec<String> {
        let mut broken = Vec::new();
        let queue_names: Vec<&str> = self.queues.iter().map(|q| q.name).collect();
        for queue in &self.queues {
            if let Some(dead_letter) = &queue.dead_letter {
                if !queue_names.contains(&dead_letter.queue) {
                    broken.push(format!(
                        "queue {} dead-letters into {}, which the contract has no queue of",
                        queue.name, dead_letter.queue
                    ));
                }
                if dead_letter.max_receive_count < 2 {
                    broken.push(format!(
                        "queue {} moves a message to its DLQ after {} receive(s): a failure is never retried",
                        queue.name, dead_letter.max_receive_count
                    ));
                }
            }
        }
        for trigger in &self.triggers {
            let Trigger::Queue {
                function,
                queues,
                batching_window_s,
                ..
            } = trigger
            else {
                continue;
            };
            let timeout_s = self.function(function).timeout_s;
            for queue in queues.iter().map(|name| self.queue(name)) {
                let Some(visibility_s) = queue.visibility_timeout_s else {
                    broken.push(format!(
                        "queue {} feeds {function} but has no visibility timeout",
                        queue.name
                    ));
                    continue;
                };
                if timeout_s + batching_window_s >= visibility_s {
                    broken.push(format!(
                        "{function}'s timeout ({timeout_s} s) plus its batching window ({batching_window_s} s) is not shorter than the {} queue's visibility timeout ({visibility_s} s): a message would come back while its batch still runs",
                        queue.name
                    ));
                }
                // The email claim must lapse before the batch is retried, or
                // the retry finds the upload claimed and sends no email.
                if self.email_claim_lease_s >= visibility_s {
                    broken.push(format!(
                        "the email claim lease ({} s) is not shorter than the {} queue's visibility timeout ({visibility_s} s): a retried batch would find its email still claimed",
                        self.email_claim_lease_s, queue.name
                    ));
                }
            }
        }
        // A live sender is killed by Lambda at its timeout; a claim that
        // outlasts the timeout is only ever taken over from a dead sender,
        // never from one still publishing (which would send a second email).
        let sender_timeout_s = self.function(ERROR_PROCESSOR).timeout_s;
        if self.email_claim_lease_s <= sender_timeout_s {
            broken.push(format!(
                "the email claim lease ({} s) is not longer than the error-processor's timeout ({sender_timeout_s} s): a sender still publishing could have its claim taken over",
                self.email_claim_lease_s
            ));
        }
        broken
    }
}

/// Each function's role, as the code needs it (and Lambda, acting with the
/// role). The contract check compares these with the Terraform's policies
/// both ways: nothing missing, nothing more.
mod permissions {
    use super::{Permission, allow};

    /// What Lambda does with every function's role: logs and active
    /// tracing.
    fn lambda_service() -> Vec<Permission> {
        vec![
            allow(
                &["logs:CreateLogStream", "logs:PutLogEvents"],
                &["log-group:self:*"],
                "Lambda writes the function's output to its own log group",
            )
            .by_lambda(),
            allow(
                &["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                &["*"],
                "active tracing",
            )
            .by_lambda(),
        ]
    }

    /// What Lambda does with the role of a function in the VPC, besides
    /// [`lambda_service`]: its network interfaces (no resource-level
    /// permissions).
    fn lambda_service_in_vpc() -> Vec<Permission> {
        let mut permissions = lambda_service();
        let network_interfaces = allow(
            &[
                "ec2:CreateNetworkInterface",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSubnets",
                "ec2:DeleteNetworkInterface",
                "ec2:AssignPrivateIpAddresses",
                "ec2:UnassignPrivateIpAddresses",
            ],
            &["*"],
            "VPC function: Lambda manages its network interfaces",
        );
        permissions.push(network_interfaces.by_lambda());
        permissions
    }

    /// The database credentials: aws_secretsmanager_caching reads the
    /// function's own secret and, once its TTL lapses, asks whether the
    /// cached version is still current.
    fn own_secret() -> Permission {
        allow(
            &[
                "secretsmanager:GetSecretValue",
                "secretsmanager:DescribeSecret",
            ],
            &["secret:own"],
            "the function's own database secret (the secrets cache)",
        )
    }

    fn send_errors() -> Permission {
        allow(
            &["sqs:SendMessage"],
            &["queue:errors", "queue:errors-candidate"],
            "row errors and upload_complete notices (ErrorQueues, both lanes)",
        )
    }

    pub fn csv_parser() -> Vec<Permission> {
        let mut permissions = lambda_service_in_vpc();
        permissions.extend([
            own_secret(),
            allow(
                &["s3:GetObject", "s3:GetObjectVersion"],
                &[
                    "bucket:uploads/uploads/*",
                    "bucket:uploads/candidate/uploads/*",
                ],
                "reads the uploaded version the event names",
            ),
            allow(
                &["dynamodb:BatchWriteItem"],
                &["table:staging"],
                "stages the rows",
            ),
            send_errors(),
            allow(
                &["sqs:SendMessage"],
                &["queue:csv-parser-dlq"],
                "Lambda's async invocation dead-letter queue",
            )
            .by_lambda(),
        ]);
        permissions
    }

    pub fn product_validator() -> Vec<Permission> {
        let mut permissions = lambda_service_in_vpc();
        permissions.extend([
            own_secret(),
            send_errors(),
            allow(
                &[
                    "dynamodb:DescribeStream",
                    "dynamodb:GetRecords",
                    "dynamodb:GetShardIterator",
                ],
                &["stream:staging"],
                "the stream event source mapping",
            )
            .by_lambda(),
            allow(
                &["dynamodb:ListStreams"],
                &["*"],
                "the stream event source mapping",
            )
            .by_lambda(),
            allow(
                &["sqs:SendMessage"],
                &["queue:stream-failures"],
                "the stream mapping's on-failure destination",
            )
            .by_lambda(),
        ]);
        permissions
    }

    pub fn error_processor() -> Vec<Permission> {
        let mut permissions = lambda_service_in_vpc();
        permissions.extend([
            own_secret(),
            allow(
                &["s3:PutObject", "s3:GetObject"],
                &["bucket:uploads/errors/*"],
                "writes the error report and fix file, and presigns their downloads",
            ),
            allow(
                &["sns:Publish"],
                &["topic:notifications"],
                "the vendor's email",
            ),
            allow(
                &[
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:GetQueueAttributes",
                    "sqs:ChangeMessageVisibility",
                ],
                &["queue:errors", "queue:errors-candidate"],
                "the SQS event source mappings (both lanes)",
            )
            .by_lambda(),
        ]);
        permissions
    }

    /// The auth part: Cognito's admin calls (SignUp, ConfirmSignUp,
    /// InitiateAuth and RevokeToken are public app-client calls, no IAM).
    pub fn vendor_auth() -> Vec<Permission> {
        let mut permissions = lambda_service();
        permissions.extend([
            allow(
                &["cognito-idp:AdminUpdateUserAttributes"],
                &["user-pool"],
                "binds a vendor id to the login at sign-up",
            ),
            allow(
                &["cognito-idp:AdminUserGlobalSignOut"],
                &["user-pool"],
                "log out everywhere (POST /api/auth/revoke?everywhere=true)",
            ),
        ]);
        permissions
    }

    pub fn vendor_api() -> Vec<Permission> {
        let mut permissions = lambda_service_in_vpc();
        let dead_letter_queues: &[&str] = &[
            "queue:errors-dlq",
            "queue:csv-parser-dlq",
            "queue:stream-failures",
        ];
        permissions.extend([
            own_secret(),
            allow(
                &["s3:PutObject"],
                &["bucket:uploads/uploads/*"],
                "the browser's presigned POST upload, a re-run's copy to a new version, and the one-file upload of a form submission or of fixed rows",
            ),
            allow(
                &["s3:GetObject"],
                &["bucket:uploads/errors/*"],
                "presigned report and fix-file downloads",
            ),
            allow(
                &[
                    "sns:Subscribe",
                    "sns:Unsubscribe",
                    "sns:ListSubscriptionsByTopic",
                    "sns:GetSubscriptionAttributes",
                    "sns:SetSubscriptionAttributes",
                ],
                &["topic:notifications"],
                "vendors' email subscriptions, kept in line by the admin API",
            ),
            allow(
                &["logs:StartQuery", "logs:GetQueryResults"],
                &[
                    "log-group:csv-parser",
                    "log-group:csv-parser:*",
                    "log-group:product-validator",
                    "log-group:product-validator:*",
                    "log-group:error-processor",
                    "log-group:error-processor:*",
                ],
                "the console's Logs Insights queries over the pipeline's log groups (both ARN forms)",
            ),
            allow(
                &["cloudwatch:GetMetricData"],
                &["*"],
                "the console's function metrics (no resource-level permissions)",
            ),
            allow(
                &[
                    "sqs:ReceiveMessage",
                    "sqs:ChangeMessageVisibility",
                    "sqs:GetQueueAttributes",
                ],
                dead_letter_queues,
                "the console lists and counts dead letters without consuming them",
            ),
            allow(
                &["sqs:DeleteMessage"],
                &["queue:errors-dlq"],
                "the console redrives the errors DLQ",
            ),
            allow(
                &["sqs:SendMessage"],
                &["queue:errors"],
                "the console redrives to the errors queue",
            ),
            allow(
                &["s3:GetObject", "s3:GetObjectVersion"],
                &["bucket:uploads/uploads/*"],
                "a re-run reads the stored upload's version and metadata",
            ),
            allow(
                &[
                    "secretsmanager:GetSecretValue",
                    "secretsmanager:DescribeSecret",
                ],
                &["secret:console"],
                "the safe-query console's login (onboarding_console)",
            ),
        ]);
        permissions
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_keeps_its_own_invariants() {
        assert_eq!(Contract::get().violations(), Vec::<String>::new());
    }

    #[test]
    fn only_functions_in_the_vpc_read_a_database_secret_or_manage_interfaces() {
        for function in Contract::get().functions {
            let reads_database = function
                .variable_names()
                .any(|n| n == vars::DATABASE_SECRET_ID);
            let manages_interfaces = function
                .permissions
                .iter()
                .any(|p| p.actions.contains(&"ec2:CreateNetworkInterface"));
            assert_eq!(reads_database, function.in_vpc, "{}", function.name);
            assert_eq!(manages_interfaces, function.in_vpc, "{}", function.name);
        }
    }

    #[test]
    fn what_lambda_does_with_the_role_is_never_the_codes() {
        for function in Contract::get().functions {
            for permission in &function.permissions {
                let lambdas = permission.actions.iter().all(|a| {
                    a.starts_with("ec2:")
                        || a.starts_with("xray:")
                        || (permission.resources == ["log-group:self:*"] && a.starts_with("logs:"))
                });
                if lambdas {
                    assert_eq!(
                        permission.by,
                        Caller::Lambda,
                        "{}: {permission:?}",
                        function.name
                    );
                }
            }
        }
    }

    #[test]
    fn the_console_calls_cloudwatch_from_the_vpc() {
        let api = Contract::get().function(VENDOR_API).services_called();
        let want = [
            "cloudwatch",
            "cognito-idp",
            "logs",
            "s3",
            "secretsmanager",
            "sns",
            "sqs",
        ];
        assert_eq!(api.into_iter().collect::<Vec<_>>(), want);
        let validator = Contract::get()
            .function("product-validator")
            .services_called();
        // The stream mapping's dynamodb: and its on-failure sqs: are Lambda's.
        assert_eq!(
            validator.into_iter().collect::<Vec<_>>(),
            ["secretsmanager", "sqs"]
        );
    }

    #[test]
    fn a_visibility_timeout_shorter_than_the_lease_is_refused() {
        let mut contract = Contract::get();
        contract.queue_mut(ERRORS_QUEUE).visibility_timeout_s = Some(80);
        let broken = contract.violations().join("\n");
        assert!(broken.contains("email claim lease (120 s)"), "{broken}");
        assert!(
            broken.contains("error-processor's timeout (60 s)"),
            "{broken}"
        );
    }

    #[test]
    fn a_lease_a_live_sender_could_outlast_is_refused() {
        let mut contract = Contract::get();
        contract.email_claim_lease_s = 60;
        let broken = contract.violations().join("\n");
        assert!(
            broken.contains("lease (60 s) is not longer than the error-processor's timeout (60 s)"),
            "{broken}"
        );
    }
}

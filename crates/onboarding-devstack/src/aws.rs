//! SDK clients pointed at the emulator.

use aws_config::{BehaviorVersion, Region};

use crate::DevstackError;
use crate::env::{StackEnv, keys};

/// The region when the environment names none (moto's own default).
pub const FALLBACK_REGION: &str = "us-east-1";

/// The region of the environment, as the AWS SDKs read it: `AWS_REGION`,
/// then `AWS_DEFAULT_REGION`, then [`FALLBACK_REGION`]. docker-compose sets
/// one region for every service; the stack and every process it starts
/// follow it.
pub fn configured_region() -> String {
    ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .into_iter()
        .find_map(|key| std::env::var(key).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| FALLBACK_REGION.to_string())
}
/// Static test credentials (the emulator does not check them).
pub const LOCAL_ACCESS_KEY_ID: &str = "test";
pub const LOCAL_SECRET_ACCESS_KEY: &str = "test";

/// One client per service the stack uses, all on the same endpoint.
#[derive(Clone, Debug)]
pub struct StackClients {
    pub endpoint: String,
    /// DynamoDB's and its stream's endpoint: the same emulator, or one of
    /// their own (the local stack runs DynamoDB in a second moto process).
    pub dynamodb_endpoint: String,
    /// Cognito's endpoint: the same emulator, or a sidecar where the general
    /// one has no Cognito (LocalStack's free edition).
    pub cognito_endpoint: String,
    pub region: String,
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub sns: aws_sdk_sns::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub streams: aws_sdk_dynamodbstreams::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub cognito: aws_sdk_cognitoidentityprovider::Client,
}

impl StackClients {
    /// Clients for `endpoint` with the static test credentials. S3 uses
    /// path-style addressing, which an emulator on `localhost` needs.
    pub async fn connect(endpoint: &str, region: &str) -> Self {
        Self::connect_with(
            endpoint,
            endpoint,
            endpoint,
            region,
            LOCAL_ACCESS_KEY_ID,
            LOCAL_SECRET_ACCESS_KEY,
        )
        .await
    }

    /// Clients on `endpoint`, but Cognito's on `cognito_endpoint` and
    /// DynamoDB's (and its stream's) on `dynamodb_endpoint`.
    pub async fn connect_with(
        endpoint: &str,
        cognito_endpoint: &str,
        dynamodb_endpoint: &str,
        region: &str,
        access_key_id: &str,
        secret_access_key: &str,
    ) -> Self {
        let credentials = aws_sdk_sqs::config::Credentials::new(
            access_key_id,
            secret_access_key,
            None,
            None,
            "onboarding-devstack",
        );
        let config = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .endpoint_url(endpoint)
            .credentials_provider(credentials)
            // Tells the stack's own requests apart in the emulator's
            // recording (`crate::calls`).
            .app_name(aws_config::AppName::new(crate::calls::STACK_APP_ID).expect("a valid app id"))
            .load()
            .await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        );
        let cognito = aws_sdk_cognitoidentityprovider::Client::from_conf(
            aws_sdk_cognitoidentityprovider::config::Builder::from(&config)
                .endpoint_url(cognito_endpoint)
                .build(),
        );
        StackClients {
            endpoint: endpoint.to_string(),
            cognito_endpoint: cognito_endpoint.to_string(),
            dynamodb_endpoint: dynamodb_endpoint.to_string(),
            region: region.to_string(),
            s3,
            sqs: aws_sdk_sqs::Client::new(&config),
            sns: aws_sdk_sns::Client::new(&config),
            dynamodb: aws_sdk_dynamodb::Client::from_conf(
                aws_sdk_dynamodb::config::Builder::from(&config)
                    .endpoint_url(dynamodb_endpoint)
                    .build(),
            ),
            streams: aws_sdk_dynamodbstreams::Client::from_conf(
                aws_sdk_dynamodbstreams::config::Builder::from(&config)
                    .endpoint_url(dynamodb_endpoint)
                    .build(),
            ),
            secrets: aws_sdk_secretsmanager::Client::new(&config),
            cognito,
        }
    }

    /// Clients for a running stack, from its environment file.
    pub async fn from_env(env: &StackEnv) -> Result<Self, DevstackError> {
        let endpoint = env.require(keys::AWS_ENDPOINT_URL)?;
        Ok(Self::connect_with(
            endpoint,
            env.get(keys::AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER)
                .unwrap_or(endpoint),
            env.get(keys::AWS_ENDPOINT_URL_DYNAMODB).unwrap_or(endpoint),
            env.get(keys::AWS_REGION).unwrap_or(FALLBACK_REGION),
            env.get(keys::AWS_ACCESS_KEY_ID)
                .unwrap_or(LOCAL_ACCESS_KEY_ID),
            env.get(keys::AWS_SECRET_ACCESS_KEY)
                .unwrap_or(LOCAL_SECRET_ACCESS_KEY),
        )
        .await)
    }
}

pub use onboarding_aws::dead_letters::delete_entries;

//! Creates the local stack's resources (`docs/configuration.md`, "Local
//! stack resources") on the emulator. Every step tolerates an existing
//! resource, so it can run again against a persistent emulator.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};
use aws_sdk_s3::types::{
    BucketVersioningStatus, Event, FilterRule, FilterRuleName, NotificationConfiguration,
    NotificationConfigurationFilter, QueueConfiguration, S3KeyFilter, VersioningConfiguration,
};
use aws_sdk_sqs::error::ProvideErrorMetadata;
use aws_sdk_sqs::types::QueueAttributeName;
use onboarding_aws::contract::{self, Contract, Queue};
use onboarding_core::VendorId;
use serde_json::json;
use std::collections::BTreeMap;

use crate::DevstackError;
use crate::aws::StackClients;
use crate::options::DatabaseUrl;

/// The prefix under which S3 notifications are sent (and the csv-parser runs).
pub const UPLOADS_PREFIX: &str = "uploads/";
/// The S3 notification configuration id.
pub const NOTIFICATION_ID: &str = "uploads-to-csv-parser";
/// The candidate lane's uploads (`onboarding_core::upload_key`), notified
/// like the live ones: locally one csv-parser serves both lanes.
pub const CANDIDATE_UPLOADS_PREFIX: &str = "candidate/uploads/";
pub const CANDIDATE_NOTIFICATION_ID: &str = "candidate-uploads-to-csv-parser";

/// Names, URLs and ARNs of everything [`provision`] creates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resources {
    pub prefix: String,
    pub region: String,
    pub bucket: String,
    pub staging_table: String,
    pub staging_stream_arn: String,
    pub errors_queue_url: String,
    pub errors_queue_arn: String,
    pub errors_dlq_url: String,
    pub candidate_errors_queue_url: String,
    pub candidate_errors_queue_arn: String,
    pub stream_failures_queue_url: String,
    pub s3_events_queue_url: String,
    pub s3_events_queue_arn: String,
    pub parser_dlq_url: String,
    pub topic_arn: String,
    pub outbox_queue_url: String,
    /// The master secret: migrations and the operator commands (the
    /// migrator) only; no function's environment names it.
    pub database_secret_id: String,
    /// Each function's own secret (`{"username": <its role>, "password": ...}`),
    /// by function name (`csv-parser`, ..., `vendor-api`).
    pub function_secret_ids: std::collections::BTreeMap<String, String>,
}

/// The local-only queue between S3 and the csv-parser, standing in for
/// Lambda's asynchronous invocation: a receive is an attempt.
#[derive(Clone, Debug)]
pub struct S3EventsQueue {
    /// Longer than the csv-parser's timeout, so a running attempt keeps it.
    pub visibility_timeout_s: u32,
    /// The first attempt plus Lambda's retries.
    pub max_receive_count: u32,
}

/// What every mailbox queue's name starts with.
pub fn mailbox_queue_prefix(prefix: &str) -> String {
    format!("{prefix}-mailbox-")
}

/// The mailbox queue name of one vendor.
pub fn mailbox_queue_name(prefix: &str, vendor_id: &VendorId) -> String {
    format!("{}{vendor_id}", mailbox_queue_prefix(prefix))
}

/// The database secret name.
pub fn database_secret_name(prefix: &str) -> String {
    format!("{prefix}/database")
}

/// Each function and the database role it connects as: the database
/// crate's list (docs/configuration.md, "Database roles").
pub use onboarding_db::roles::FUNCTION_ROLES;

/// The secret of one function's database role, as Terraform names it
/// (`<prefix>/database/<function>`).
pub fn function_secret_name(prefix: &str, function: &str) -> String {
    format!("{prefix}/database/{function}")
}

/// Creates every resource and returns their addresses.
pub async fn provision(
    clients: &StackClients,
    prefix: &str,
    database: &DatabaseUrl,
    contract: &Contract,
    s3_events: &S3EventsQueue,
) -> Result<Resources, DevstackError> {
    let region = clients.region.clone();
    let bucket = format!("{prefix}-{}", contract.bucket);

    // The contract's queues, with its visibility timeouts, retention and
    // redrive policies; dead-letter queues first, since the others' redrive
    // policies name them.
    let mut queues: BTreeMap<&str, (String, String)> = BTreeMap::new();
    let mut in_order: Vec<&Queue> = contract.queues.iter().collect();
    in_order.sort_by_key(|queue| queue.dead_letter.is_some());
    for queue in in_order {
        let mut attributes = vec![(
            QueueAttributeName::MessageRetentionPeriod,
            queue.retention_s.to_string(),
        )];
        if let Some(visibility_s) = queue.visibility_timeout_s {
            attributes.push((
                QueueAttributeName::VisibilityTimeout,
                visibility_s.to_string(),
            ));
        }
        if let Some(dead_letter) = &queue.dead_letter {
            let (_, dead_letter_arn) = &queues[dead_letter.queue];
            attributes.push((
                QueueAttributeName::RedrivePolicy,
                redrive_policy(dead_letter_arn, dead_letter.max_receive_count),
            ));
        }
        let created =
            create_queue(clients, &format!("{prefix}-{}", queue.name), &attributes).await?;
        queues.insert(queue.name, created);
    }
    let queue = |name: &str| queues[name].clone();
    let (errors_queue_url, errors_queue_arn) = queue(contract::ERRORS_QUEUE);
    let (candidate_errors_queue_url, candidate_errors_queue_arn) =
        queue(contract::CANDIDATE_ERRORS_QUEUE);
    let (errors_dlq_url, _) = queue(contract::ERRORS_DLQ);
    let (stream_failures_queue_url, _) = queue(contract::STREAM_FAILURES_QUEUE);
    let (parser_dlq_url, parser_dlq_arn) = queue(contract::CSV_PARSER_DLQ);

    // S3 notifications -> queue (local only: moto cannot invoke a
    // function), with Lambda's asynchronous retries as receives and the
    // csv-parser's DLQ.
    let (s3_events_queue_url, s3_events_queue_arn) = create_queue(
        clients,
        &format!("{prefix}-s3-events"),
        &[
            (
                QueueAttributeName::VisibilityTimeout,
                s3_events.visibility_timeout_s.to_string(),
            ),
            (
                QueueAttributeName::RedrivePolicy,
                redrive_policy(&parser_dlq_arn, s3_events.max_receive_count),
            ),
        ],
    )
    .await?;
    set_queue_policy(
        clients,
        &s3_events_queue_url,
        &s3_events_queue_arn,
        "s3.amazonaws.com",
        &format!("arn:aws:s3:::{bucket}"),
    )
    .await?;
    create_bucket(clients, &bucket, &s3_events_queue_arn).await?;

    let (staging_table, staging_stream_arn) = create_staging_table(clients, prefix).await?;

    let topic_arn = clients
        .sns
        .create_topic()
        .name(format!("{prefix}-{}", contract.topic))
        .send()
        .await
        .map_err(|e| DevstackError::aws("sns CreateTopic", e))?
        .topic_arn
        .ok_or_else(|| DevstackError::Other("CreateTopic returned no ARN".into()))?;
    let (outbox_queue_url, outbox_queue_arn) =
        create_queue(clients, &format!("{prefix}-outbox"), &[]).await?;
    subscribe_queue(
        clients,
        &topic_arn,
        &outbox_queue_url,
        &outbox_queue_arn,
        None,
    )
    .await?;

    let database_secret_id = database_secret_name(prefix);
    put_secret(
        clients,
        &database_secret_id,
        &json!({"username": database.username, "password": database.password}).to_string(),
    )
    .await?;

    // One secret per function, holding its role's password, which is set
    // here with the master connection (in AWS: the migrator, from the
    // secrets Terraform generates).
    let mut function_secret_ids = std::collections::BTreeMap::new();
    let mut master = master_connection(&database.url).await;
    for (function, role) in FUNCTION_ROLES {
        let password = role_password();
        if let Some(connection) = master.as_mut() {
            set_role_password(connection, role, &password).await?;
        }
        let secret_id = function_secret_name(prefix, function);
        put_secret(
            clients,
            &secret_id,
            &json!({"username": role, "password": password}).to_string(),
        )
        .await?;
        function_secret_ids.insert(function.to_string(), secret_id);
    }

    Ok(Resources {
        prefix: prefix.to_string(),
        region,
        bucket,
        staging_table,
        staging_stream_arn,
        errors_queue_url,
        errors_queue_arn,
        errors_dlq_url,
        candidate_errors_queue_url,
        candidate_errors_queue_arn,
        stream_failures_queue_url,
        s3_events_queue_url,
        s3_events_queue_arn,
        parser_dlq_url,
        topic_arn,
        outbox_queue_url,
        database_secret_id,
        function_secret_ids,
    })
}

/// A fresh random password: letters and digits only, so it can be written
/// into `ALTER ROLE ... PASSWORD '...'` (which takes no parameters) as is.
fn role_password() -> String {
    use rand::RngExt;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::rng();
    (0..32)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The master connection that sets the roles' passwords. A database that
/// cannot be reached is not an error here (a stack whose functions never use
/// it, like the devstack's own tests, still starts); the functions then fail
/// to connect, loudly, as they would anyway.
async fn master_connection(database_url: &str) -> Option<sqlx::PgConnection> {
    use sqlx::Connection;
    match sqlx::PgConnection::connect(database_url).await {
        Ok(connection) => Some(connection),
        Err(error) => {
            tracing::warn!(%error, "database unreachable: the function roles' passwords are not set");
            None
        }
    }
}

/// Sets `role`'s password as the migrator does in AWS: a SCRAM verifier,
/// never the clear password, through the database crate.
async fn set_role_password(
    connection: &mut sqlx::PgConnection,
    role: &str,
    password: &str,
) -> Result<(), DevstackError> {
    onboarding_db::roles::set_role_password_on(connection, role, password)
        .await
        .map_err(|e| DevstackError::Database(format!("setting the password of role {role}: {e}")))
}

/// Creates the `<prefix>-mailbox-<VENDOR_ID>` queue, subscribed to the topic
/// with the vendor's email filter policy `{"vendor_id": ["<VENDOR_ID>"]}`,
/// and returns its URL. Idempotent.
pub async fn subscribe_mailbox(
    clients: &StackClients,
    prefix: &str,
    topic_arn: &str,
    vendor_id: &VendorId,
) -> Result<String, DevstackError> {
    let (url, arn) = create_queue(clients, &mailbox_queue_name(prefix, vendor_id), &[]).await?;
    subscribe_queue(clients, topic_arn, &url, &arn, Some(vendor_id.as_str())).await?;
    Ok(url)
}

/// Creates the queue behind every mailbox subscription of the topic that
/// has none yet, and returns the names it created. The vendor-api, on the
/// emulator, subscribes an approved vendor's mailbox queue
/// (`<prefix>-mailbox-<VENDOR_ID>`, with the vendor's filter policy) where
/// AWS subscribes its email, but it may not create queues; the running
/// stack calls this every second so that the subscription delivers.
/// `known`: queues made already, skipped.
pub async fn ensure_mailbox_queues(
    clients: &StackClients,
    prefix: &str,
    topic_arn: &str,
    known: &mut std::collections::HashSet<String>,
) -> Result<Vec<String>, DevstackError> {
    let name_prefix = mailbox_queue_prefix(prefix);
    let mut created = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let page = clients
            .sns
            .list_subscriptions_by_topic()
            .topic_arn(topic_arn)
            .set_next_token(next.take())
            .send()
            .await
            .map_err(|e| DevstackError::aws("sns ListSubscriptionsByTopic", e))?;
        for subscription in page.subscriptions() {
            if subscription.protocol() != Some("sqs") {
                continue;
            }
            let Some(name) = subscription
                .endpoint()
                .and_then(|arn| arn.rsplit(':').next())
                .filter(|name| name.starts_with(&name_prefix))
            else {
                continue;
            };
            if known.contains(name) {
                continue;
            }
            let (url, arn) = create_queue(clients, name, &[]).await?;
            set_queue_policy(clients, &url, &arn, "sns.amazonaws.com", topic_arn).await?;
            known.insert(name.to_string());
            created.push(name.to_string());
        }
        match page.next_token {
            Some(token) if !token.is_empty() => next = Some(token),
            _ => break,
        }
    }
    Ok(created)
}

/// [`subscribe_mailbox`] for a running stack described by its environment
/// (`stack.env`): what `onboard vendor add` calls locally.
pub async fn subscribe_mailbox_from_env(
    env: &crate::env::StackEnv,
    vendor_id: &VendorId,
) -> Result<String, DevstackError> {
    use crate::env::keys;
    let clients = StackClients::from_env(env).await?;
    let prefix = env.get(keys::STACK_PREFIX).unwrap_or("onboarding-local");
    let topic_arn = env.require(keys::NOTIFICATION_TOPIC_ARN)?;
    subscribe_mailbox(&clients, prefix, topic_arn, vendor_id).await
}

fn redrive_policy(dlq_arn: &str, max_receives: u32) -> String {
    json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receives.to_string()}).to_string()
}

/// Creates a queue (or finds it and updates its attributes); returns URL and ARN.
pub(crate) async fn create_queue(
    clients: &StackClients,
    name: &str,
    attributes: &[(QueueAttributeName, String)],
) -> Result<(String, String), DevstackError> {
    let mut request = clients.sqs.create_queue().queue_name(name);
    for (key, value) in attributes {
        request = request.attributes(key.clone(), value);
    }
    let url = match request.send().await {
        Ok(out) => out
            .queue_url
            .ok_or_else(|| DevstackError::Other(format!("CreateQueue {name}: no URL")))?,
        Err(e) if e.code() == Some("QueueAlreadyExists") => {
            let url = queue_url(clients, name).await?;
            let mut update = clients.sqs.set_queue_attributes().queue_url(&url);
            for (key, value) in attributes {
                update = update.attributes(key.clone(), value);
            }
            update
                .send()
                .await
                .map_err(|e| DevstackError::aws(format!("sqs SetQueueAttributes {name}"), e))?;
            url
        }
        Err(e) => return Err(DevstackError::aws(format!("sqs CreateQueue {name}"), e)),
    };
    let arn = queue_arn(clients, &url).await?;
    Ok((url, arn))
}

/// The URL of an existing queue.
pub(crate) async fn queue_url(clients: &StackClients, name: &str) -> Result<String, DevstackError> {
    clients
        .sqs
        .get_queue_url()
        .queue_name(name)
        .send()
        .await
        .map_err(|e| DevstackError::aws(format!("sqs GetQueueUrl {name}"), e))?
        .queue_url
        .ok_or_else(|| DevstackError::Other(format!("GetQueueUrl {name}: no URL")))
}

/// The ARN of a queue.
pub async fn queue_arn(clients: &StackClients, url: &str) -> Result<String, DevstackError> {
    let out = clients
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| DevstackError::aws(format!("sqs GetQueueAttributes {url}"), e))?;
    out.attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| DevstackError::Other(format!("queue {url} has no ARN")))
}

/// Lets `service` send to the queue when the source is `source_arn`.
async fn set_queue_policy(
    clients: &StackClients,
    url: &str,
    arn: &str,
    service: &str,
    source_arn: &str,
) -> Result<(), DevstackError> {
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "allow-source",
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sqs:SendMessage",
            "Resource": arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": source_arn}},
        }],
    });
    clients
        .sqs
        .set_queue_attributes()
        .queue_url(url)
        .attributes(QueueAttributeName::Policy, policy.to_string())
        .send()
        .await
        .map_err(|e| DevstackError::aws("sqs SetQueueAttributes Policy", e))?;
    Ok(())
}

/// Subscribes a queue to the topic (standard envelope, not raw), with an
/// optional vendor filter policy on message attributes.
async fn subscribe_queue(
    clients: &StackClients,
    topic_arn: &str,
    queue_url: &str,
    queue_arn: &str,
    vendor_filter: Option<&str>,
) -> Result<(), DevstackError> {
    set_queue_policy(
        clients,
        queue_url,
        queue_arn,
        "sns.amazonaws.com",
        topic_arn,
    )
    .await?;
    let mut request = clients
        .sns
        .subscribe()
        .topic_arn(topic_arn)
        .protocol("sqs")
        .endpoint(queue_arn)
        .return_subscription_arn(true);
    if let Some(vendor_id) = vendor_filter {
        request = request
            .attributes(
                "FilterPolicy",
                json!({"vendor_id": [vendor_id]}).to_string(),
            )
            .attributes("FilterPolicyScope", "MessageAttributes");
    }
    request
        .send()
        .await
        .map_err(|e| DevstackError::aws(format!("sns Subscribe {queue_arn}"), e))?;
    Ok(())
}

async fn create_bucket(
    clients: &StackClients,
    bucket: &str,
    events_queue_arn: &str,
) -> Result<(), DevstackError> {
    // Outside us-east-1, S3 (and LocalStack, and moto) want the region named.
    let location = (clients.region != "us-east-1").then(|| {
        aws_sdk_s3::types::CreateBucketConfiguration::builder()
            .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(
                clients.region.as_str(),
            ))
            .build()
    });
    match clients
        .s3
        .create_bucket()
        .bucket(bucket)
        .set_create_bucket_configuration(location)
        .send()
        .await
    {
        Ok(_) => {}
        Err(e)
            if matches!(
                e.code(),
                Some("BucketAlreadyOwnedByYou" | "BucketAlreadyExists")
            ) => {}
        Err(e) => return Err(DevstackError::aws(format!("s3 CreateBucket {bucket}"), e)),
    }
    clients
        .s3
        .put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .map_err(|e| DevstackError::aws("s3 PutBucketVersioning", e))?;
    let notify = |id: &str, prefix: &str| {
        QueueConfiguration::builder()
            .id(id)
            .queue_arn(events_queue_arn)
            .events(Event::from("s3:ObjectCreated:*"))
            .filter(
                NotificationConfigurationFilter::builder()
                    .key(
                        S3KeyFilter::builder()
                            .filter_rules(
                                FilterRule::builder()
                                    .name(FilterRuleName::Prefix)
                                    .value(prefix)
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .build()
            .map_err(|e| DevstackError::Other(format!("notification configuration: {e}")))
    };
    let live = notify(NOTIFICATION_ID, UPLOADS_PREFIX)?;
    let candidate = notify(CANDIDATE_NOTIFICATION_ID, CANDIDATE_UPLOADS_PREFIX)?;
    clients
        .s3
        .put_bucket_notification_configuration()
        .bucket(bucket)
        .notification_configuration(
            NotificationConfiguration::builder()
                .queue_configurations(live)
                .queue_configurations(candidate)
                .build(),
        )
        .send()
        .await
        .map_err(|e| DevstackError::aws("s3 PutBucketNotificationConfiguration", e))?;
    Ok(())
}

/// Creates the staging table; returns its name and stream ARN.
async fn create_staging_table(
    clients: &StackClients,
    prefix: &str,
) -> Result<(String, String), DevstackError> {
    let table = format!("{prefix}-staging");
    let build = |e: aws_sdk_dynamodb::error::BuildError| {
        DevstackError::Other(format!("staging table definition: {e}"))
    };
    let key = |name: &str, key_type: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(key_type)
            .build()
            .map_err(build)
    };
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(build)
    };
    let created = clients
        .dynamodb
        .create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("upload_id", KeyType::Hash)?)
        .key_schema(key("record_id", KeyType::Range)?)
        .attribute_definitions(attribute("upload_id")?)
        .attribute_definitions(attribute("record_id")?)
        .attribute_definitions(attribute("vendor_id")?)
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("vendor-index")
                .key_schema(key("vendor_id", KeyType::Hash)?)
                .key_schema(key("upload_id", KeyType::Range)?)
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::KeysOnly)
                        .build(),
                )
                .build()
                .map_err(build)?,
        )
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewImage)
                .build()
                .map_err(build)?,
        )
        .send()
        .await;
    let stream_arn = match created {
        Ok(out) => out
            .table_description
            .and_then(|t| t.latest_stream_arn)
            .ok_or_else(|| DevstackError::Other("CreateTable returned no stream ARN".into()))?,
        Err(e) if e.code() == Some("ResourceInUseException") => clients
            .dynamodb
            .describe_table()
            .table_name(&table)
            .send()
            .await
            .map_err(|e| DevstackError::aws("dynamodb DescribeTable", e))?
            .table
            .and_then(|t| t.latest_stream_arn)
            .ok_or_else(|| DevstackError::Other(format!("{table} has no stream")))?,
        Err(e) => {
            return Err(DevstackError::aws(
                format!("dynamodb CreateTable {table}"),
                e,
            ));
        }
    };
    let ttl = clients
        .dynamodb
        .update_time_to_live()
        .table_name(&table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("expires_at")
                .build()
                .map_err(build)?,
        )
        .send()
        .await;
    match ttl {
        Ok(_) => {}
        // Enabling TTL twice is refused; it is on already.
        Err(e) if e.code() == Some("ValidationException") => {}
        Err(e) => return Err(DevstackError::aws("dynamodb UpdateTimeToLive", e)),
    }
    Ok((table, stream_arn))
}

async fn put_secret(clients: &StackClients, name: &str, value: &str) -> Result<(), DevstackError> {
    match clients
        .secrets
        .create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.code() == Some("ResourceExistsException") => {
            clients
                .secrets
                .put_secret_value()
                .secret_id(name)
                .secret_string(value)
                .send()
                .await
                .map_err(|e| DevstackError::aws("secretsmanager PutSecretValue", e))?;
            Ok(())
        }
        Err(e) => Err(DevstackError::aws(
            format!("secretsmanager CreateSecret {name}"),
            e,
        )),
    }
}

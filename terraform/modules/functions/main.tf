# Three image-based functions (five with the vendor portal: vendor-api and
# vendor-auth, two functions of one image), each published as a new version
# on every change and served through a `live` alias. Event sources (S3, the DynamoDB stream, the
# errors queue) all target the alias, so moving the alias is the deployment.
# A second alias, `candidate`, always points at the version the last apply
# published, and has its own lane of event sources (candidate/uploads/, the
# stream records that carry lane=candidate, the candidate errors queue): the
# deploy script smoke-tests the new versions there before `live` moves.
#
# PostgreSQL connections. Each execution environment handles one event at a
# time and keeps a small pool (1-2 connections), so reserved concurrency is the
# connection budget: with the defaults (10 + 10 + 4) x 2 = 48 connections, under
# the ~80 of a db.t4g.micro with headroom for migrations and psql. Raise the
# reservations together with the instance size, or enable RDS Proxy.

locals {
  function_names = { for k in keys(var.functions) : k => "${var.name_prefix}-${k}" }
  # The image (ECR repository) each function runs: its own, or the one it
  # shares (vendor-auth runs the vendor-api's program as the auth part).
  function_images = { for k, f in var.functions : k => coalesce(f.image, k) }
  # The functions with an image of their own: one repository each.
  images = toset([for k, f in var.functions : k if f.image == null])

  # Every function connects to PostgreSQL, each as its own role with its own
  # secret (DATABASE_SECRET_ID, set per function below; never the master
  # secret, which only the migrator holds: migrator.tf).
  database_env = merge(
    {
      DATABASE_HOST     = var.database_host
      DATABASE_PORT     = tostring(var.database_port)
      DATABASE_NAME     = var.database_name
      DATABASE_SSL_MODE = "require"
    },
    local.log_env,
  )
  # Optional: unset, the functions use their own default filter.
  log_env = var.rust_log == "" ? {} : { RUST_LOG = var.rust_log }

  # Both ends of the staging table send to the errors queue of the upload's
  # lane (docs/releases.md#the-candidate-lane-testing-new-versions-before-the-switch);
  # only the parser writes the table (the validator reads its stream).
  error_queues_env = {
    ERROR_QUEUE_URL           = var.errors_queue_url
    CANDIDATE_ERROR_QUEUE_URL = var.candidate_errors_queue_url
  }

  # The environment contract of each function: exactly the names of
  # docs/configuration.md ("Function environment").
  environment = {
    "csv-parser"        = merge(local.database_env, { DATABASE_SECRET_ID = var.function_secret_arns["csv-parser"], STAGING_TABLE = var.staging_table_name }, local.error_queues_env)
    "product-validator" = merge(local.database_env, { DATABASE_SECRET_ID = var.function_secret_arns["product-validator"] }, local.error_queues_env)
    "error-processor" = merge(
      local.database_env,
      {
        DATABASE_SECRET_ID     = var.function_secret_arns["error-processor"]
        UPLOAD_BUCKET          = var.upload_bucket_name
        NOTIFICATION_TOPIC_ARN = var.notification_topic_arn
      },
      # Optional: unset, the e-mails carry presigned S3 links instead of
      # <base>/uploads/<id>/report and <base>/uploads/<id>/fix-file.
      var.report_link_base_url == "" ? {} : { REPORT_LINK_BASE_URL = var.report_link_base_url },
    )
    # Only used when var.functions has them (the portal).
    "vendor-api"  = merge(local.database_env, { DATABASE_SECRET_ID = var.function_secret_arns["vendor-api"] }, local.vendor_api_env, local.dual_stack_env)
    "vendor-auth" = merge(local.log_env, local.vendor_auth_env)
  }

  # The auth part: the pool, and the site's origin for CORS.
  vendor_auth_env = {
    API_PART             = "auth"
    COGNITO_USER_POOL_ID = var.cognito_user_pool_id
    COGNITO_CLIENT_ID    = var.cognito_client_id
    COGNITO_ISSUER       = local.cognito_issuer
    SITE_ORIGIN          = var.site_origin
  }

  vendor_api_env = {
    API_PART             = "data"
    UPLOAD_BUCKET        = var.upload_bucket_name
    COGNITO_USER_POOL_ID = var.cognito_user_pool_id
    COGNITO_CLIENT_ID    = var.cognito_client_id
    # What the ID tokens' `iss` must be, and where its signing keys are:
    # vendor-auth serves them, since the data part makes no Cognito call.
    COGNITO_ISSUER   = local.cognito_issuer
    COGNITO_JWKS_URL = var.api_keys_from_auth_function ? "${var.site_origin}/api/auth/jwks" : local.cognito_jwks_url
    SITE_ORIGIN      = var.site_origin # CORS and the login redirect
    # The admin API subscribes active vendors' emails to it.
    NOTIFICATION_TOPIC_ARN = var.notification_topic_arn
    # The operator console (docs/console.md): the pipeline functions are
    # <prefix>-csv-parser... (their log groups and metrics); the dead-letter
    # queues it lists, and the errors queue it redrives to; the read-only
    # login of the safe-query console.
    FUNCTION_NAME_PREFIX       = var.name_prefix
    ERROR_DLQ_URL              = var.errors_dlq_url
    ERROR_QUEUE_URL            = var.errors_queue_url
    PARSER_DLQ_URL             = var.csv_parser_dlq_url
    STREAM_FAILURES_QUEUE_URL  = var.stream_failures_queue_url
    CONSOLE_DATABASE_SECRET_ID = var.function_secret_arns["console"]
  }

  # The console's CloudWatch Logs and metrics calls (vendor-api) over IPv6:
  # their default endpoints are IPv4 only, the api.aws ones dual-stack. The
  # SDK reads these itself. SQS, SNS and Secrets Manager need nothing: their
  # default endpoints are dual-stack. S3 and DynamoDB keep their IPv4 default
  # endpoints, reached through the gateway endpoints.
  dual_stack_env = var.ipv6_egress ? {
    AWS_ENDPOINT_URL_CLOUDWATCH      = "https://monitoring.${var.aws_region}.api.aws"
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS = "https://logs.${var.aws_region}.api.aws"
  } : {}

  cognito_issuer   = "https://cognito-idp.${var.aws_region}.amazonaws.com/${var.cognito_user_pool_id}"
  cognito_jwks_url = "${local.cognito_issuer}/.well-known/jwks.json"
}

# Created before the functions so Lambda never creates them with infinite
# retention; the roles may only write to their own group.
resource "aws_cloudwatch_log_group" "this" {
  for_each = var.functions

  name              = "/aws/lambda/${local.function_names[each.key]}"
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_function" "this" {
  for_each = var.functions

  function_name = local.function_names[each.key]
  description   = "Product onboarding: ${each.key}"
  role          = aws_iam_role.this[each.key].arn
  package_type  = "Image"
  image_uri     = "${aws_ecr_repository.this[local.function_images[each.key]].repository_url}:${var.image_tag}"
  architectures = [var.architecture]
  memory_size   = each.value.memory_mb
  timeout       = each.value.timeout_s
  publish       = true

  reserved_concurrent_executions = lookup(var.reserved_concurrency, each.key, -1)

  environment {
    variables = local.environment[each.key]
  }

  # Every function but vendor-auth, which never opens the database and calls
  # Cognito (no IPv6 endpoint) from Lambda's own network.
  dynamic "vpc_config" {
    for_each = each.value.in_vpc ? [1] : []
    content {
      subnet_ids                  = var.subnet_ids
      security_group_ids          = [var.security_group_id]
      ipv6_allowed_for_dual_stack = var.ipv6_egress
    }
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "Text" # the functions write their own JSON/EMF lines
    log_group  = aws_cloudwatch_log_group.this[each.key].name
  }

  # Only the csv-parser is invoked asynchronously (by S3). Events it still
  # fails after Lambda's retries land here instead of being dropped. The other
  # two are invoked by event source mappings, which have their own failure
  # handling (on-failure destination, SQS redrive).
  dynamic "dead_letter_config" {
    for_each = each.key == "csv-parser" ? [var.csv_parser_dlq_arn] : []
    content {
      target_arn = dead_letter_config.value
    }
  }

  # The role must be able to create ENIs, read the stream, etc. at creation time.
  depends_on = [aws_iam_role_policy.this]
}

# --- migrations ------------------------------------------------------------
# The csv-parser image runs the embedded SQL migrations when invoked with
# {"command":"migrate"}: it returns {"migrated":true}, or a function error if
# they fail, which fails the apply. It runs as the migrator (migrator.tf: the
# same image with the master secret), since the csv-parser's own database role
# may not change the schema. Terraform invokes the migrator's newly published
# version once per version of the image, before the aliases move, so new code
# never serves traffic on an old schema. Migrations must be backwards
# compatible (expand first, contract in a later release) because the old
# version keeps serving until the alias moves.
#
# To re-run by hand:
#   aws lambda invoke --function-name <prefix>-migrator --qualifier <version> \
#     --cli-binary-format raw-in-base64-out --payload '{"command":"migrate"}' out.json

resource "terraform_data" "egress_ready" {
  # Secrets Manager is reached through the egress path; wait for it.
  input = var.egress_dependency_ids
}

resource "aws_lambda_invocation" "migrate" {
  count = var.run_migrations ? 1 : 0

  function_name = aws_lambda_function.migrator.function_name
  qualifier     = aws_lambda_function.migrator.version
  input         = jsonencode({ command = "migrate" })

  triggers = {
    version = aws_lambda_function.migrator.version
  }

  depends_on = [terraform_data.egress_ready]
}

# --- live alias ------------------------------------------------------------
# Default: `live` follows the version published by this apply (all-at-once).
# Blue/green: pin `live_versions`, then shift with `canary` (docs/releases.md#bluegreen-through-the-live-alias).

resource "aws_lambda_alias" "live" {
  for_each = var.functions

  name             = "live"
  description      = "Version that receives events"
  function_name    = aws_lambda_function.this[each.key].function_name
  function_version = lookup(var.live_versions, each.key, aws_lambda_function.this[each.key].version)

  dynamic "routing_config" {
    for_each = contains(keys(var.canary), each.key) ? [var.canary[each.key]] : []
    content {
      additional_version_weights = {
        (routing_config.value.version) = routing_config.value.weight
      }
    }
  }

  depends_on = [aws_lambda_invocation.migrate]
}

# --- candidate alias -------------------------------------------------------
# Follows every apply: the versions being deployed, reached only through the
# candidate lane (triggers.tf), so a deployment can be tested end to end
# while `live` still serves vendors.

resource "aws_lambda_alias" "candidate" {
  for_each = var.functions

  name             = "candidate"
  description      = "Version under test by the deploy script (candidate lane)"
  function_name    = aws_lambda_function.this[each.key].function_name
  function_version = aws_lambda_function.this[each.key].version

  depends_on = [aws_lambda_invocation.migrate]
}

# One execution role per function. Each role's policy = the statements common
# to all of them (own log group, X-Ray), those of the functions in the VPC
# (network interfaces, the function's own database secret) + the function's
# own statements, all on exact ARNs or prefixes.
#
# "*" appears only where IAM offers nothing narrower:
#   - ec2 network-interface actions Lambda performs for VPC functions (bounded
#     to this region by condition);
#   - xray:PutTraceSegments / PutTelemetryRecords (no resource-level support);
#   - dynamodb:ListStreams (no resource-level support).
#
# KMS: no grant. The bucket (SSE-S3), the table (AWS owned key) and the queues
# (SSE-SQS) need none; the topic (aws/sns), the secrets (aws/secretsmanager)
# and the environment variables (aws/lambda) are under AWS managed keys, whose
# key policies let this account's principals use them through that service
# (terraform/kms.tf).
#
# SQS: SendMessageBatch, which the functions use, is authorised by
# sqs:SendMessage; there is no separate batch action.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

data "aws_iam_policy_document" "assume_lambda" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  for_each = var.functions

  name               = "${var.name_prefix}-${each.key}"
  description        = "Execution role of ${var.name_prefix}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.assume_lambda.json
}

# --- what Lambda does with a role (also the migrator's, migrator.tf) -----

data "aws_iam_policy_document" "xray" {
  statement {
    sid       = "XRayTraces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "vpc_network_interfaces" {
  statement {
    sid = "VpcNetworkInterfaces"
    actions = [
      "ec2:CreateNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSubnets",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [var.aws_region]
    }
  }
}

# --- common to all of them ------------------------------------------------

data "aws_iam_policy_document" "common" {
  for_each = var.functions

  source_policy_documents = [data.aws_iam_policy_document.xray.json]

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this[each.key].arn}:*"]
  }
}

# --- common to the functions in the VPC (all but vendor-auth) -------------

data "aws_iam_policy_document" "in_vpc" {
  for_each = { for k, f in var.functions : k => f if f.in_vpc }

  source_policy_documents = [data.aws_iam_policy_document.vpc_network_interfaces.json]

  # The secrets cache reads the secret once per cold start, then asks
  # DescribeSecret whether it is still current each time its hour runs out.
  # Each function reads only its own role's secret, never the master secret.
  statement {
    sid       = "ReadOwnDatabaseSecret"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [var.function_secret_arns[each.key]]
  }

}

# Each function's own statements are written out, one document per function,
# rather than generated from a map: checkov reads static statements, but not
# ones a dynamic block would build.

# --- csv-parser: S3 uploads/ -> DynamoDB staging; failed files -> errors queue

data "aws_iam_policy_document" "csv_parser" {
  source_policy_documents = [
    data.aws_iam_policy_document.common["csv-parser"].json,
    data.aws_iam_policy_document.in_vpc["csv-parser"].json,
  ]

  statement {
    sid     = "ReadUploadVersions" # both passes read the exact version named in the S3 event
    actions = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = [
      "${var.upload_bucket_arn}/uploads/*",
      "${var.upload_bucket_arn}/candidate/uploads/*", # the deploy script's candidate-lane smoke uploads
    ]
  }

  statement {
    sid       = "StageRows"
    actions   = ["dynamodb:BatchWriteItem"]
    resources = [var.staging_table_arn]
  }

  statement {
    sid       = "QueueFailedUploadNotices" # upload_complete for files that fail as a whole, per lane
    actions   = ["sqs:SendMessage"]
    resources = [var.errors_queue_arn, var.candidate_errors_queue_arn]
  }

  statement {
    sid       = "AsyncDeadLetter" # Lambda sends failed S3 events here with this role
    actions   = ["sqs:SendMessage"]
    resources = [var.csv_parser_dlq_arn]
  }
}

# --- product-validator: stream -> PostgreSQL; staged rows marked; errors queue

data "aws_iam_policy_document" "product_validator" {
  source_policy_documents = [
    data.aws_iam_policy_document.common["product-validator"].json,
    data.aws_iam_policy_document.in_vpc["product-validator"].json,
  ]

  statement {
    sid = "ReadStagingStream" # the event source mapping reads with this role
    actions = [
      "dynamodb:DescribeStream",
      "dynamodb:GetRecords",
      "dynamodb:GetShardIterator",
    ]
    resources = [var.staging_table_stream_arn]
  }

  statement {
    sid       = "ListStreams" # IAM supports only "*" for this list action
    actions   = ["dynamodb:ListStreams"]
    resources = ["*"]
  }

  # row_errors and upload_complete to the errors queue; the stream mapping
  # writes its on-failure destination with this role too.
  statement {
    sid     = "QueueRowErrorsAndStreamFailures"
    actions = ["sqs:SendMessage"]
    resources = [
      var.errors_queue_arn,
      var.candidate_errors_queue_arn,
      var.stream_failures_queue_arn,
    ]
  }
}

# --- error-processor: errors queue -> report and fix file in S3 errors/ -> SNS

data "aws_iam_policy_document" "error_processor" {
  source_policy_documents = [
    data.aws_iam_policy_document.common["error-processor"].json,
    data.aws_iam_policy_document.in_vpc["error-processor"].json,
  ]

  statement {
    sid = "ConsumeErrorsQueues" # both lanes' event source mappings receive with this role
    actions = [
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:ChangeMessageVisibility",
    ]
    resources = [var.errors_queue_arn, var.candidate_errors_queue_arn]
  }

  statement {
    sid       = "WriteAndPresignReports" # GetObject backs the presigned download links
    actions   = ["s3:PutObject", "s3:GetObject"]
    resources = ["${var.upload_bucket_arn}/errors/*"]
  }

  statement {
    sid       = "NotifyVendor"
    actions   = ["sns:Publish"]
    resources = [var.notification_topic_arn]
  }
}

# --- vendor-auth (the portal's auth part): Cognito's admin calls ----------
# SignUp, ConfirmSignUp, InitiateAuth and RevokeToken are public app-client
# calls (no IAM). Only created with the portal, like the function.

data "aws_iam_policy_document" "vendor_auth" {
  count = contains(keys(var.functions), "vendor-auth") ? 1 : 0

  source_policy_documents = [data.aws_iam_policy_document.common["vendor-auth"].json]

  # custom:vendor_id is set at sign-up (the app client cannot write it).
  statement {
    sid       = "BindVendorToUser"
    actions   = ["cognito-idp:AdminUpdateUserAttributes"]
    resources = [var.cognito_user_pool_arn]
  }

  # "Log out everywhere" (POST /api/auth/revoke?everywhere=true) ends the
  # user's refresh tokens in Cognito; the data part refuses older ID tokens.
  statement {
    sid       = "SignOutEverywhere"
    actions   = ["cognito-idp:AdminUserGlobalSignOut"]
    resources = [var.cognito_user_pool_arn]
  }
}

# --- vendor-api (the portal's data part): presigned uploads and report
# links; vendors' email subscriptions (the admin API); the console. No
# Cognito call. Only created with the portal, like the function.

data "aws_iam_policy_document" "vendor_api" {
  count = contains(keys(var.functions), "vendor-api") ? 1 : 0

  source_policy_documents = [
    data.aws_iam_policy_document.common["vendor-api"].json,
    data.aws_iam_policy_document.in_vpc["vendor-api"].json,
  ]

  # The presigned POST is signed with this role's credentials, so the upload
  # the browser makes is authorised as this role (uploads/<vendor>/ is fixed
  # in the POST policy's conditions by the code).
  statement {
    sid       = "PresignUploads"
    actions   = ["s3:PutObject"]
    resources = ["${var.upload_bucket_arn}/uploads/*"]
  }

  statement {
    sid       = "PresignReportDownloads" # GET /api/uploads/{id}/report and /fix-file answer 302 to a presigned GET
    actions   = ["s3:GetObject"]
    resources = ["${var.upload_bucket_arn}/errors/*"]
  }

  # The admin API (/api/admin, the Cognito admins group) keeps each vendor's
  # email subscription in line with its status: subscribe on approval or
  # activation, unsubscribe on suspension, reconcile. Managing subscriptions
  # needs no KMS permission (only publishing to the encrypted topic does).
  statement {
    sid = "ManageVendorSubscriptions"
    actions = [
      "sns:Subscribe",
      "sns:Unsubscribe",
      "sns:ListSubscriptionsByTopic",
      "sns:GetSubscriptionAttributes",
      "sns:SetSubscriptionAttributes",
    ]
    resources = [var.notification_topic_arn]
  }

  # The operator console (docs/console.md). Log lines of one upload: Logs
  # Insights over the three pipeline functions' log groups; cold starts from
  # their REPORT lines. Both ARN forms of a log group (with and without the
  # trailing ":*"), as the service authorises queries on either.
  statement {
    sid     = "ConsoleQueryPipelineLogs"
    actions = ["logs:StartQuery", "logs:GetQueryResults"]
    resources = [
      aws_cloudwatch_log_group.this["csv-parser"].arn,
      "${aws_cloudwatch_log_group.this["csv-parser"].arn}:*",
      aws_cloudwatch_log_group.this["product-validator"].arn,
      "${aws_cloudwatch_log_group.this["product-validator"].arn}:*",
      aws_cloudwatch_log_group.this["error-processor"].arn,
      "${aws_cloudwatch_log_group.this["error-processor"].arn}:*",
    ]
  }

  statement {
    sid       = "ConsoleReadFunctionMetrics" # GetMetricData has no resource-level permissions
    actions   = ["cloudwatch:GetMetricData"]
    resources = ["*"]
  }

  # Dead letters: listed (received, then made visible again) and counted on
  # the three dead-letter queues only; redriven from the errors DLQ (the
  # only one with a queue in front of it in AWS) back to the errors queue.
  statement {
    sid = "ConsoleReadDeadLetters"
    actions = [
      "sqs:ReceiveMessage",
      "sqs:ChangeMessageVisibility",
      "sqs:GetQueueAttributes",
    ]
    resources = [var.errors_dlq_arn, var.csv_parser_dlq_arn, var.stream_failures_queue_arn]
  }

  statement {
    sid       = "ConsoleRedriveDeadLetters"
    actions   = ["sqs:DeleteMessage"]
    resources = [var.errors_dlq_arn]
  }

  statement {
    sid       = "ConsoleRedriveToErrorsQueue"
    actions   = ["sqs:SendMessage"]
    resources = [var.errors_queue_arn]
  }

  # Re-runs: the stored object (a given version) is copied to a new version
  # of its key under uploads/ (s3:PutObject is PresignUploads' already).
  statement {
    sid       = "ConsoleRerunUploads"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${var.upload_bucket_arn}/uploads/*"]
  }

  # The safe-query console's own login (onboarding_console), read through
  # the secrets cache like the function's own.
  statement {
    sid       = "ConsoleQueryLogin"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [var.function_secret_arns["console"]]
  }
}

locals {
  role_policies = merge(
    {
      "csv-parser"        = data.aws_iam_policy_document.csv_parser.json
      "product-validator" = data.aws_iam_policy_document.product_validator.json
      "error-processor"   = data.aws_iam_policy_document.error_processor.json
    },
    { for d in data.aws_iam_policy_document.vendor_api : "vendor-api" => d.json },
    { for d in data.aws_iam_policy_document.vendor_auth : "vendor-auth" => d.json },
  )
}

resource "aws_iam_role_policy" "this" {
  for_each = var.functions

  name   = "least-privilege"
  role   = aws_iam_role.this[each.key].id
  policy = local.role_policies[each.key]
}

# One customer managed key per environment encrypts everything that supports
# KMS: S3 objects, the DynamoDB table and its stream, SQS, SNS, CloudWatch Logs,
# the RDS storage, its managed master-user secret and Performance Insights, and
# the functions' environment variables. One key keeps every role's KMS grant to
# a single ARN (a reviewer can see who may decrypt what) for USD 1/month.
#
# IAM principals in this account get access through their IAM policies
# (statement "AccountRootEnablesIamPolicies"); AWS services that act without a caller's
# credentials are listed explicitly.

resource "aws_kms_key" "main" {
  description             = "${local.name_prefix}: data at rest for product onboarding"
  enable_key_rotation     = true
  deletion_window_in_days = 30

  # A key policy, written with jsonencode rather than aws_iam_policy_document:
  # here Resource "*" means "this key", and checkov's identity-policy checks
  # (CKV_AWS_109/111/356) would misread it as "every resource".
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # Lets IAM policies in this account grant use of the key (the
        # functions' roles, the RDS Proxy role, deployers). Without it only the
        # key policy would count.
        Sid       = "AccountRootEnablesIamPolicies"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        # CloudWatch Logs encrypts log groups itself; scoped to this account's
        # log groups in this region.
        Sid       = "CloudWatchLogs"
        Effect    = "Allow"
        Principal = { Service = "logs.${var.aws_region}.amazonaws.com" }
        Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = {
          ArnLike = {
            "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${var.aws_region}:${local.account_id}:log-group:*"
          }
        }
      },
      {
        # CloudWatch alarms publish to the KMS-encrypted alarm topic without
        # caller credentials, so the key must trust the service directly.
        # Without this statement alarm notifications are silently dropped.
        Sid       = "CloudWatchAlarmsToEncryptedSns"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
      },
      {
        # The same for AWS Budgets: the budget's alerts go to the alarm topic
        # (modules/observability/budget.tf).
        Sid       = "BudgetsToEncryptedSns"
        Effect    = "Allow"
        Principal = { Service = "budgets.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
      },
    ]
  })
}

resource "aws_kms_alias" "main" {
  name          = "alias/${local.name_prefix}"
  target_key_id = aws_kms_key.main.key_id
}

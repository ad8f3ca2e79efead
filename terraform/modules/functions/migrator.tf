# The migrator: the csv-parser's image, deployed a second time as
# <prefix>-migrator with the RDS-managed master secret. It is the one function
# that may change the schema or the master data (docs/operations.md#database-roles): the migrations and the operator commands (seed-categories,
# upsert-vendor, register-vendor) run on it. It has no triggers: only
# Terraform (the migrate invocation below) and operators invoke it.
#
# Every pipeline function connects as its own role with its own secret
# (main.tf, DATABASE_SECRET_ID); DATABASE_ROLE_SECRET_IDS tells the migrator
# where those secrets are, so that after migrating it sets each role's
# password from its secret (ALTER ROLE ... PASSWORD, sent as a SCRAM verifier).

locals {
  migrator_name = "${var.name_prefix}-migrator"

  migrator_env = merge(
    local.database_env,
    local.staging_env, # the csv-parser program requires them at start; the migrator's role may not use them
    {
      DATABASE_SECRET_ID       = var.database_secret_arn
      DATABASE_ROLE_SECRET_IDS = jsonencode(var.function_secret_arns)
    },
  )
}

resource "aws_cloudwatch_log_group" "migrator" {
  name              = "/aws/lambda/${local.migrator_name}"
  retention_in_days = var.log_retention_days
}

resource "aws_iam_role" "migrator" {
  name               = local.migrator_name
  description        = "Execution role of ${local.migrator_name} (schema migrations, role passwords)"
  assume_role_policy = data.aws_iam_policy_document.assume_lambda.json
}

data "aws_iam_policy_document" "migrator" {
  source_policy_documents = [
    data.aws_iam_policy_document.xray.json,
    data.aws_iam_policy_document.vpc_network_interfaces.json,
  ]

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.migrator.arn}:*"]
  }

  statement {
    sid       = "ReadMasterSecret"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [var.database_secret_arn]
  }

  statement {
    sid       = "ReadFunctionRoleSecrets" # to set each role's password
    actions   = ["secretsmanager:GetSecretValue"]
    resources = values(var.function_secret_arns)
  }

  statement {
    sid       = "AsyncDeadLetter" # an asynchronous invocation that fails lands with the parser's
    actions   = ["sqs:SendMessage"]
    resources = [var.csv_parser_dlq_arn]
  }

}

resource "aws_iam_role_policy" "migrator" {
  name   = "least-privilege"
  role   = aws_iam_role.migrator.id
  policy = data.aws_iam_policy_document.migrator.json
}

resource "aws_lambda_function" "migrator" {
  function_name = local.migrator_name
  description   = "Product onboarding: schema migrations and operator commands (master credentials)"
  role          = aws_iam_role.migrator.arn
  package_type  = "Image"
  image_uri     = "${aws_ecr_repository.this["csv-parser"].repository_url}:${var.image_tag}"
  architectures = [var.architecture]
  memory_size   = var.functions["csv-parser"].memory_mb
  timeout       = var.functions["csv-parser"].timeout_s
  publish       = true

  # One at a time: migrations and password changes never race each other.
  reserved_concurrent_executions = 1

  environment {
    variables = local.migrator_env
  }

  vpc_config {
    subnet_ids                  = var.subnet_ids
    security_group_ids          = [var.security_group_id]
    ipv6_allowed_for_dual_stack = var.ipv6_egress
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.migrator.name
  }

  # Terraform and the deploy script invoke it synchronously (a failure is
  # their answer); an asynchronous invocation that still fails is kept with
  # the csv-parser's.
  dead_letter_config {
    target_arn = var.csv_parser_dlq_arn
  }

  depends_on = [aws_iam_role_policy.migrator]
}

# Optional RDS Proxy (enable_rds_proxy). It multiplexes many short-lived
# Lambda connections onto a small pool, which matters once
# sum(reserved concurrency) x pool size approaches max_connections. It reads
# the RDS-managed master secret (for the migrator) and each function's own
# secret (its database role, function_secrets.tf): a proxy admits only the
# users whose secrets it holds. Nothing changes in the functions except
# DATABASE_HOST. TLS is required between functions and proxy as well.
#
# Note: a proxy keeps connections to Aurora open, so with
# database_engine = aurora-serverless it prevents the cluster from pausing.

locals {
  master_secret_arn = local.use_rds ? aws_db_instance.postgres[0].master_user_secret[0].secret_arn : aws_rds_cluster.aurora[0].master_user_secret[0].secret_arn
}

data "aws_iam_policy_document" "proxy_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "proxy" {
  count = var.enable_rds_proxy ? 1 : 0

  name               = "${var.name_prefix}-rds-proxy"
  assume_role_policy = data.aws_iam_policy_document.proxy_assume.json
}

data "aws_iam_policy_document" "proxy" {
  statement {
    sid       = "ReadMasterAndFunctionSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = concat([local.master_secret_arn], [for s in aws_secretsmanager_secret.function : s.arn])
  }
  # No kms:Decrypt: the secrets are under aws/secretsmanager, whose key policy
  # lets this account's principals decrypt through Secrets Manager.
}

resource "aws_iam_role_policy" "proxy" {
  count = var.enable_rds_proxy ? 1 : 0

  name   = "read-master-secret"
  role   = aws_iam_role.proxy[0].id
  policy = data.aws_iam_policy_document.proxy.json
}

resource "aws_db_proxy" "this" {
  count = var.enable_rds_proxy ? 1 : 0

  name                   = "${var.name_prefix}-proxy"
  engine_family          = "POSTGRESQL"
  role_arn               = aws_iam_role.proxy[0].arn
  vpc_subnet_ids         = var.subnet_ids
  vpc_security_group_ids = [var.proxy_security_group_id]
  require_tls            = true
  idle_client_timeout    = 900

  auth {
    auth_scheme = "SECRETS"
    secret_arn  = local.master_secret_arn
    iam_auth    = "DISABLED"
  }

  dynamic "auth" {
    for_each = aws_secretsmanager_secret.function
    content {
      auth_scheme = "SECRETS"
      secret_arn  = auth.value.arn
      iam_auth    = "DISABLED"
    }
  }

  depends_on = [aws_iam_role_policy.proxy]
}

resource "aws_db_proxy_default_target_group" "this" {
  count = var.enable_rds_proxy ? 1 : 0

  db_proxy_name = aws_db_proxy.this[0].name

  connection_pool_config {
    max_connections_percent      = 80
    max_idle_connections_percent = 20
    connection_borrow_timeout    = 30
  }
}

resource "aws_db_proxy_target" "this" {
  count = var.enable_rds_proxy ? 1 : 0

  db_proxy_name          = aws_db_proxy.this[0].name
  target_group_name      = aws_db_proxy_default_target_group.this[0].name
  db_instance_identifier = local.use_rds ? aws_db_instance.postgres[0].identifier : null
  db_cluster_identifier  = local.use_aurora ? aws_rds_cluster.aurora[0].cluster_identifier : null
}

# database_engine = "aurora-serverless": Aurora PostgreSQL Serverless v2 with
# min_capacity 0, so the cluster pauses after aurora_seconds_until_auto_pause
# idle seconds and costs only storage until the next connection, which waits
# roughly 15 s for the resume. The functions wait up to 30 s for a database
# connection (crates/onboarding-aws/src/database.rs), so the first event after
# a pause waits for the resume instead of failing
# (docs/functions.md#connections). Same TLS, secret and KMS
# arrangement as the RDS instance.

# Resolve "16" to the newest available 16.x at creation; auto minor upgrades
# move it on from there (hence ignore_changes on engine_version below).
data "aws_rds_engine_version" "aurora" {
  count = local.use_aurora ? 1 : 0

  engine  = "aurora-postgresql"
  version = var.aurora_engine_version
  latest  = true
}

resource "aws_rds_cluster_parameter_group" "aurora" {
  count = local.use_aurora ? 1 : 0

  name        = "${var.name_prefix}-aurora-postgresql${local.engine_major}"
  family      = "aurora-postgresql${local.engine_major}"
  description = "${var.name_prefix}: TLS only, DDL and slow-statement logging"

  dynamic "parameter" {
    for_each = local.postgres_parameters
    content {
      name  = parameter.value.name
      value = parameter.value.value
    }
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_rds_cluster" "aurora" {
  count = local.use_aurora ? 1 : 0

  cluster_identifier = "${var.name_prefix}-aurora"
  engine             = "aurora-postgresql"
  engine_mode        = "provisioned" # Serverless v2 is "provisioned" + db.serverless instances
  engine_version     = data.aws_rds_engine_version.aurora[0].version_actual

  database_name               = var.db_name
  master_username             = var.master_username
  manage_master_user_password = true

  storage_encrypted = true

  db_subnet_group_name            = aws_db_subnet_group.this.name
  vpc_security_group_ids          = [var.database_security_group_id]
  db_cluster_parameter_group_name = aws_rds_cluster_parameter_group.aurora[0].name

  iam_database_authentication_enabled = true

  backup_retention_period      = var.backup_retention_days
  preferred_backup_window      = "02:00-03:00"
  preferred_maintenance_window = "sun:03:30-sun:04:30"
  copy_tags_to_snapshot        = true
  deletion_protection          = var.deletion_protection
  skip_final_snapshot          = var.skip_final_snapshot
  final_snapshot_identifier    = "${var.name_prefix}-aurora-final"
  apply_immediately            = var.apply_immediately

  enabled_cloudwatch_logs_exports = local.database_logs

  serverlessv2_scaling_configuration {
    min_capacity             = var.aurora_min_capacity
    max_capacity             = var.aurora_max_capacity
    seconds_until_auto_pause = var.aurora_min_capacity == 0 ? var.aurora_seconds_until_auto_pause : null
  }

  depends_on = [aws_cloudwatch_log_group.database]

  # kms_key_id: a cluster created before issue 18 keeps the customer managed
  # key it was encrypted with (a storage key cannot change in place; without
  # this, Terraform would replace the cluster). New clusters use aws/rds.
  # docs/deployment.md#upgrading-from-the-customer-managed-key.
  lifecycle {
    ignore_changes = [engine_version, kms_key_id]
  }
}

resource "aws_rds_cluster_instance" "aurora" {
  count = local.use_aurora ? 1 : 0

  identifier         = "${var.name_prefix}-aurora-1"
  cluster_identifier = aws_rds_cluster.aurora[0].id
  engine             = aws_rds_cluster.aurora[0].engine
  engine_version     = aws_rds_cluster.aurora[0].engine_version
  instance_class     = "db.serverless"

  db_subnet_group_name       = aws_db_subnet_group.this.name
  publicly_accessible        = false
  auto_minor_version_upgrade = true
  copy_tags_to_snapshot      = true
  apply_immediately          = var.apply_immediately

  performance_insights_enabled          = var.performance_insights
  performance_insights_retention_period = var.performance_insights ? 7 : null
  monitoring_interval                   = var.monitoring_interval
  monitoring_role_arn                   = var.monitoring_interval > 0 ? aws_iam_role.monitoring[0].arn : null

  # Likewise Performance Insights' key of an instance created before issue 18.
  lifecycle {
    ignore_changes = [engine_version, performance_insights_kms_key_id]
  }
}

# database_engine = "rds": one RDS for PostgreSQL instance in the private
# subnets. TLS is enforced server-side (rds.force_ssl = 1); the functions
# connect with DATABASE_SSL_MODE=require.
#
# The master password is generated, stored and rotated by RDS in Secrets
# Manager (manage_master_user_password), encrypted with the environment's KMS
# key. The secret's JSON holds only "username" and "password"; host, port and
# database name reach the functions as environment variables.

locals {
  use_rds      = var.database_engine == "rds"
  use_aurora   = var.database_engine == "aurora-serverless"
  engine_major = split(".", local.use_rds ? var.engine_version : var.aurora_engine_version)[0]

  # Default max_connections = DBInstanceClassMemory / 9531392 (after the OS
  # reserve). Used only to place the connections alarm.
  max_connections_by_class = {
    "db.t4g.micro"  = 80
    "db.t3.micro"   = 80
    "db.t4g.small"  = 180
    "db.t3.small"   = 180
    "db.t4g.medium" = 400
    "db.t3.medium"  = 400
    "db.t4g.large"  = 820
    "db.m7g.large"  = 820
  }

  # The same PostgreSQL settings for the RDS instance and the Aurora cluster:
  #   rds.force_ssl               TLS only.
  #   log_statement = ddl         audit trail for schema changes; data changes
  #                               are audited in upload_history and
  #                               validation_errors (logging every INSERT of a
  #                               10,000-row upload would cost more in
  #                               CloudWatch Logs than the database itself).
  #   log_min_duration_statement  slow statements, in ms.
  #   idle_session_timeout        a session idle this long (ms, outside a
  #                               transaction) is closed by the server. A
  #                               frozen Lambda environment keeps its sockets
  #                               open, and one open connection keeps Aurora
  #                               Serverless from pausing: the pipeline
  #                               functions keep one warm for 3 s after an
  #                               invocation; this bounds one frozen with it,
  #                               the vendor-api's pool (and a forgotten psql)
  #                               to 15 s, so Aurora's 5-minute pause delay
  #                               starts 15 s after the portal's last request
  #                               (docs/cost-model.md). The pool tests a
  #                               connection before use and reconnects; an
  #                               interactive psql session that must idle
  #                               longer runs SET idle_session_timeout = 0.
  postgres_parameters = [
    { name = "rds.force_ssl", value = "1" },
    { name = "log_statement", value = "ddl" },
    { name = "log_min_duration_statement", value = "1000" },
    { name = "idle_session_timeout", value = "15000" },
  ]

  # The logs each engine exports to CloudWatch, and where their groups are.
  database_logs       = local.use_rds ? ["postgresql", "upgrade"] : ["postgresql"]
  database_log_prefix = local.use_rds ? "/aws/rds/instance/${var.name_prefix}-postgres" : "/aws/rds/cluster/${var.name_prefix}-aurora"
}

resource "aws_db_subnet_group" "this" {
  name        = "${var.name_prefix}-db"
  description = "Private subnets for ${var.name_prefix} PostgreSQL"
  subnet_ids  = var.subnet_ids
}

resource "aws_db_parameter_group" "postgres" {
  count = local.use_rds ? 1 : 0

  name        = "${var.name_prefix}-postgres${local.engine_major}"
  family      = "postgres${local.engine_major}"
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

# Created here (with retention and KMS) before RDS would create them with
# infinite retention.
resource "aws_cloudwatch_log_group" "database" {
  for_each = toset(local.database_logs)

  name              = "${local.database_log_prefix}/${each.key}"
  retention_in_days = var.log_retention_days
}

resource "aws_db_instance" "postgres" {
  count = local.use_rds ? 1 : 0

  identifier     = "${var.name_prefix}-postgres"
  engine         = "postgres"
  engine_version = var.engine_version
  instance_class = var.instance_class

  db_name                     = var.db_name
  username                    = var.master_username
  manage_master_user_password = true

  allocated_storage     = var.allocated_storage_gb
  max_allocated_storage = var.max_allocated_storage_gb
  storage_type          = "gp3"
  storage_encrypted     = true

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [var.database_security_group_id]
  publicly_accessible    = false
  multi_az               = var.multi_az
  parameter_group_name   = aws_db_parameter_group.postgres[0].name

  iam_database_authentication_enabled = true
  auto_minor_version_upgrade          = true
  allow_major_version_upgrade         = false

  backup_retention_period   = var.backup_retention_days
  backup_window             = "02:00-03:00"
  maintenance_window        = "sun:03:30-sun:04:30"
  copy_tags_to_snapshot     = true
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = var.skip_final_snapshot
  final_snapshot_identifier = "${var.name_prefix}-postgres-final"
  apply_immediately         = var.apply_immediately

  enabled_cloudwatch_logs_exports       = local.database_logs
  performance_insights_enabled          = var.performance_insights
  performance_insights_retention_period = var.performance_insights ? 7 : null
  monitoring_interval                   = var.monitoring_interval
  monitoring_role_arn                   = var.monitoring_interval > 0 ? aws_iam_role.monitoring[0].arn : null

  depends_on = [aws_cloudwatch_log_group.database]

  # An instance created before issue 18 keeps the customer managed key its
  # storage and Performance Insights were encrypted with (a storage key cannot
  # change in place: Terraform would replace the instance). New ones use
  # aws/rds. docs/deployment.md#upgrading-from-the-customer-managed-key.
  lifecycle {
    ignore_changes = [kms_key_id, performance_insights_kms_key_id]
  }
}

# Enhanced Monitoring (OS metrics) publishes through this role.
data "aws_iam_policy_document" "monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "monitoring" {
  count = var.monitoring_interval > 0 ? 1 : 0

  name               = "${var.name_prefix}-rds-monitoring"
  assume_role_policy = data.aws_iam_policy_document.monitoring_assume.json
}

data "aws_partition" "current" {}

resource "aws_iam_role_policy_attachment" "monitoring" {
  count = var.monitoring_interval > 0 ? 1 : 0

  role       = aws_iam_role.monitoring[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

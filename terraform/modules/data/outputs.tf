output "staging_table_name" {
  description = "DynamoDB staging table name."
  value       = aws_dynamodb_table.staging.name
}

output "staging_table_arn" {
  description = "DynamoDB staging table ARN."
  value       = aws_dynamodb_table.staging.arn
}

output "staging_table_stream_arn" {
  description = "ARN of the table's NEW_IMAGE stream."
  value       = aws_dynamodb_table.staging.stream_arn
}

output "database_host" {
  description = "Host the functions connect to: the proxy endpoint if enabled, else the instance/cluster endpoint."
  value = (
    var.enable_rds_proxy ? aws_db_proxy.this[0].endpoint :
    local.use_rds ? aws_db_instance.postgres[0].address : aws_rds_cluster.aurora[0].endpoint
  )

  # Consumers (the migration invocation above all) must not connect before the
  # Aurora writer instance exists or the proxy has its target registered.
  depends_on = [aws_rds_cluster_instance.aurora, aws_db_proxy_target.this]
}

output "database_port" {
  description = "PostgreSQL port."
  value       = 5432
}

output "database_name" {
  description = "Application database name."
  value       = var.db_name
}

output "database_secret_arn" {
  description = "ARN of the RDS-managed master secret (JSON: username, password)."
  value       = local.master_secret_arn
}

output "database_instance_id" {
  description = "RDS instance identifier (null for Aurora)."
  value       = local.use_rds ? aws_db_instance.postgres[0].identifier : null
}

output "database_cluster_id" {
  description = "Aurora cluster identifier (null for RDS)."
  value       = local.use_aurora ? aws_rds_cluster.aurora[0].cluster_identifier : null
}

output "database_max_connections_estimate" {
  description = "Rough max_connections of the chosen size (RDS default formula ~ memory / 9.5 MB), for the connections alarm."
  value       = local.use_rds ? lookup(local.max_connections_by_class, var.instance_class, 100) : floor(var.aurora_max_capacity * 2 * 1024 / 9.5)
}

output "function_secret_arns" {
  description = "Function key => ARN of the secret of its own PostgreSQL role (JSON: username, password)."
  value       = { for k, s in aws_secretsmanager_secret.function : k => s.arn }

  # A function must not start before its secret has a value.
  depends_on = [aws_secretsmanager_secret_version.function]
}

output "function_database_roles" {
  description = "Function key => the PostgreSQL role it connects as."
  value       = local.function_roles
}

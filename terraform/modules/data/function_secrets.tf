# Least privilege inside the database (docs/operations.md#database-roles).
# Each function connects as its own PostgreSQL role (created, with its grants,
# by the migration migrations/*_function_roles.sql) with a password kept in
# its own secret: {"username": <role>, "password": <generated>}, encrypted with
# the environment key. The migrator (modules/functions/migrator.tf, the only
# function holding the master secret) sets each role's password from its
# secret on every deploy, right after the migrations.
#
# The secret's value is written once; a new password is a new
# random_password (terraform apply -replace=...), which the next deploy's
# migrator sets in the database. The functions' secret cache re-reads a
# secret whose password is refused (crates/onboarding-aws/src/database.rs).

locals {
  function_roles = {
    "csv-parser"        = "onboarding_parser"
    "product-validator" = "onboarding_validator"
    "error-processor"   = "onboarding_error_processor"
    "vendor-api"        = "onboarding_api"
    # Not a function: the operator console's read-only login, which the
    # vendor-api opens for the safe-query console only (docs/console.md).
    "console" = "onboarding_console"
  }
}

resource "random_password" "function" {
  for_each = local.function_roles

  length  = 40
  special = false # written into ALTER ROLE ... PASSWORD; 40 alphanumerics are ~238 bits
}

resource "aws_secretsmanager_secret" "function" {
  for_each = local.function_roles

  name        = "${var.name_prefix}/database/${each.key}"
  description = "PostgreSQL role ${each.value} of ${var.name_prefix}-${each.key}"

  recovery_window_in_days = var.deletion_protection ? 30 : 0
}

resource "aws_secretsmanager_secret_version" "function" {
  for_each = local.function_roles

  secret_id = aws_secretsmanager_secret.function[each.key].id
  secret_string = jsonencode({
    username = each.value
    password = random_password.function[each.key].result
  })
}

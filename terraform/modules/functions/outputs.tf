output "function_names" {
  description = "Function key => function name."
  value       = { for k, f in aws_lambda_function.this : k => f.function_name }
}

output "alias_arns" {
  description = "Function key => ARN of the `live` alias."
  value       = { for k, a in aws_lambda_alias.live : k => a.arn }
}

output "alias_names" {
  description = "Function key => alias name (`live`)."
  value       = { for k, a in aws_lambda_alias.live : k => a.name }
}

output "published_versions" {
  description = "Function key => version published by the last apply."
  value       = { for k, f in aws_lambda_function.this : k => f.version }
}

output "live_versions" {
  description = "Function key => version the `live` alias points at."
  value       = { for k, a in aws_lambda_alias.live : k => a.function_version }
}

output "ecr_repository_urls" {
  description = "Function key => ECR repository URL (push images here)."
  value       = { for k, r in aws_ecr_repository.this : k => r.repository_url }
}

output "role_arns" {
  description = "Function key => execution role ARN."
  value       = { for k, r in aws_iam_role.this : k => r.arn }
}

output "migration_result" {
  description = "Response of the last migration invocation (null when disabled)."
  value       = var.run_migrations ? aws_lambda_invocation.migrate[0].result : null
}

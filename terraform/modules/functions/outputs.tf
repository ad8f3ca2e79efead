output "functions" {
  description = "Function key => { name, role_arn, ecr_repository_url (push images here), alias_name and alias_arn of `live`, published_version (by the last apply), live_version (behind `live`), candidate_alias and candidate_version (the lane the deploy script smoke-tests) }."
  value = {
    for key, function in aws_lambda_function.this : key => {
      name                = function.function_name
      role_arn            = aws_iam_role.this[key].arn
      ecr_repository_url  = aws_ecr_repository.this[local.function_images[key]].repository_url
      alias_name          = aws_lambda_alias.live[key].name
      alias_arn           = aws_lambda_alias.live[key].arn
      published_version   = function.version
      live_version        = aws_lambda_alias.live[key].function_version
      candidate_alias     = aws_lambda_alias.candidate[key].name
      candidate_alias_arn = aws_lambda_alias.candidate[key].arn
      candidate_version   = aws_lambda_alias.candidate[key].function_version
    }
  }
}

output "migration_result" {
  description = "Response of the last migration invocation (null when disabled)."
  value       = var.run_migrations ? aws_lambda_invocation.migrate[0].result : null
}

output "migrator" {
  description = "The migrator (migrator.tf): name and published_version, where the deploy script sends migrate, seed-categories and register-vendor."
  value = {
    name              = aws_lambda_function.migrator.function_name
    published_version = aws_lambda_function.migrator.version
  }
}

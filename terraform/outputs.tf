output "name_prefix" {
  description = "Prefix of every resource name."
  value       = local.name_prefix
}

output "upload_bucket" {
  description = "Bucket vendors upload to (key: uploads/<vendor_id>/<file>.csv)."
  value       = module.storage.bucket_name
}

output "access_logs_bucket" {
  description = "Server access logs of the upload bucket."
  value       = module.storage.access_logs_bucket_name
}

output "staging_table" {
  description = "DynamoDB staging table."
  value       = module.data.staging_table_name
}

output "errors_queue_url" {
  description = "SQS errors queue."
  value       = module.messaging.errors_queue_url
}

output "notification_topic_arn" {
  description = "SNS topic for vendor e-mails."
  value       = module.messaging.notification_topic_arn
}

output "database_host" {
  description = "PostgreSQL endpoint the functions use (proxy endpoint if enabled)."
  value       = module.data.database_host
}

output "database_secret_arn" {
  description = "Secrets Manager secret with the master username/password (managed and rotated by RDS)."
  value       = module.data.database_secret_arn
}

output "functions" {
  description = "Per function: name, role, ECR repository URL (push images here: <url>:<image_tag>), the `live` alias, and the versions published and live."
  value       = module.functions.functions
}

output "migrator" {
  description = "The migrator function (name, published_version): scripts/deploy.sh sends migrate, seed-categories and register-vendor to it."
  value       = module.functions.migrator
}

# The next two have the shape of var.live_versions, for blue/green (docs/releases.md#bluegreen-through-the-live-alias).
output "published_versions" {
  description = "Versions published by this apply (blue/green: the green candidates)."
  value       = { for key, function in module.functions.functions : key => function.published_version }
}

output "live_versions" {
  description = "Versions behind each `live` alias."
  value       = { for key, function in module.functions.functions : key => function.live_version }
}

output "alarm_topic_arn" {
  description = "SNS topic receiving all alarms."
  value       = module.observability.alarm_topic_arn
}

output "dashboard_url" {
  description = "CloudWatch dashboard (null unless create_dashboard)."
  value       = module.observability.dashboard_url
}

output "vpc_id" {
  description = "VPC of the environment."
  value       = module.network.vpc_id
}

# --- the vendor portal (null when enable_portal = false) ---------------------

output "site_url" {
  description = "The vendor portal: web app at /, API at /api."
  value       = var.enable_portal ? module.portal[0].site_origin : null
}

output "api_url" {
  description = "The vendor API as the browser uses it (through CloudFront)."
  value       = var.enable_portal ? "${module.portal[0].site_origin}/api" : null
}

output "api_gateway_url" {
  description = "The HTTP API's own URL (direct use; CORS limited to the site origin)."
  value       = var.enable_portal ? module.portal[0].api_endpoint : null
}

output "site_bucket" {
  description = "Bucket of the web app (scripts/deploy.sh syncs web/ into it)."
  value       = var.enable_portal ? module.portal[0].site_bucket_name : null
}

output "site_distribution_id" {
  description = "CloudFront distribution of the portal (invalidated after each sync)."
  value       = var.enable_portal ? module.portal[0].distribution_id : null
}

output "user_pool_id" {
  description = "Cognito user pool of the vendors."
  value       = var.enable_portal ? module.portal[0].user_pool_id : null
}

output "user_pool_client_id" {
  description = "The portal's Cognito app client (public, no secret)."
  value       = var.enable_portal ? module.portal[0].user_pool_client_id : null
}

output "vendor_notification_emails" {
  description = "vendor_id => e-mail of the vendor notification subscriptions; scripts/deploy.sh registers these vendors as active."
  value       = var.vendor_notification_emails
}

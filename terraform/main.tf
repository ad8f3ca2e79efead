# Product onboarding: S3 upload -> csv-parser -> DynamoDB staging table (stream)
# -> product-validator -> PostgreSQL / SQS errors queue -> error-processor
# -> error report in S3 + SNS e-mail to the vendor.
#
# Every name starts with local.name_prefix ("<project>-<environment>"), so
# several environments can live in one account and region.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  name_prefix = "${var.project}-${var.environment}"
  account_id  = data.aws_caller_identity.current.account_id
  partition   = data.aws_partition.current.partition

  # Function sizing, from the requirements (004 sections 3-6) and the Rust code's
  # profile (streaming, async; memory is for CPU share and network, not heap).
  #
  # csv-parser: a 10 MB / 10,000-row CSV is parsed as a stream and written to
  #   DynamoDB in BatchWriteItem calls of 25 (400 calls). Lambda gives CPU and
  #   network in proportion to memory; 1024 MB keeps TLS + batching off the
  #   critical path. 120 s is ~4x the expected worst case, well inside the
  #   "processed within 5 minutes" requirement even with an async retry.
  #   The same image runs migrations ({"command":"migrate"}) within that limit.
  # product-validator: batches of up to 500 stream records (triggers.tf), a handful of SQL round
  #   trips per batch. 512 MB; 60 s bounds a batch that is stuck on the DB.
  # error-processor: up to 10 SQS messages per batch; one CSV report per upload
  #   (at most 10,000 lines, a few MB) to S3, one SNS publish. 512 MB, 60 s.
  #   The errors queue's visibility timeout is derived from this (>= 6x).
  base_functions = {
    "csv-parser"        = { memory_mb = 1024, timeout_s = 120 }
    "product-validator" = { memory_mb = 512, timeout_s = 60 }
    "error-processor"   = { memory_mb = 512, timeout_s = 60 }
  }
  # vendor-api (var.enable_portal): one HTTP request per invocation, a few SQL
  # round trips, a presign (local signing, no AWS call) or one Cognito call.
  # 512 MB gives enough CPU share for TLS and JSON at low latency; 10 s is far
  # above a normal request (tens of ms warm) but bounds a request stuck on the
  # database or on Cognito, and stays under API Gateway's 30 s integration
  # limit. An Aurora cluster resuming from pause (~15 s) makes the first
  # request after a pause fail with a 5xx; the browser retries.
  #
  # The portal's API is two functions of the vendor-api image
  # (docs/decisions-platform.md 21): vendor-api serves the data routes in the VPC and
  # never calls Cognito; vendor-auth serves sign-up, log-in, refresh,
  # revocation and the pool's keys outside the VPC, because Cognito has no
  # IPv6 endpoint, and never opens the database. So the VPC needs no Cognito
  # interface endpoint (~USD 7.3/month). vendor-auth does one Cognito call
  # per request: 256 MB.
  portal_functions = {
    "vendor-api"  = { memory_mb = 512, timeout_s = 10 }
    "vendor-auth" = { memory_mb = 256, timeout_s = 10, image = "vendor-api", in_vpc = false }
  }
  functions = merge(local.base_functions, var.enable_portal ? local.portal_functions : {})

  # The vendor portal's one origin: CloudFront's, or the custom domain.
  site_bucket_name = "${local.name_prefix}-site-${local.account_id}"
  site_origin      = var.enable_portal ? module.portal[0].site_origin : ""
  # E-mails link to the portal's API when it exists, unless set explicitly.
  report_link_base_url = var.report_link_base_url != "" ? var.report_link_base_url : (var.enable_portal ? "${local.site_origin}/api" : "")

  # The errors queue batches for up to this long before invoking the
  # error-processor ("wait for batch or 30-second timeout" in the requirements).
  errors_batching_window_s = 30
}

module "network" {
  source = "./modules/network"

  name_prefix           = local.name_prefix
  aws_region            = var.aws_region
  vpc_cidr              = var.vpc_cidr
  availability_zones    = var.availability_zones
  egress_mode           = var.egress_mode
  single_az_egress      = var.single_az_egress
  nat_instance_type     = var.nat_instance_type
  enable_rds_proxy      = var.enable_rds_proxy
  flow_log_traffic_type = var.flow_log_traffic_type
  log_retention_days    = var.log_retention_days

  # What the vendor-api's code calls besides the pipeline's services, in
  # egress_mode = interface_endpoints, where the VPC has no internet path:
  # cognito-idp, because it cannot fetch the signing keys from vendor-auth
  # through the site and reads them from Cognito (only vendor-auth, outside
  # the VPC, calls Cognito otherwise); logs and monitoring for the operator
  # console's Logs Insights queries and metrics (ipv6 mode reaches both at
  # their dual-stack endpoints). scripts/check_contract.py holds this list to
  # the services the contract's in-VPC code calls.
  extra_interface_endpoint_services = var.enable_portal && var.egress_mode == "interface_endpoints" ? ["cognito-idp", "logs", "monitoring"] : []
}

module "data" {
  source = "./modules/data"

  name_prefix = local.name_prefix

  subnet_ids                 = module.network.private_subnet_ids
  database_security_group_id = module.network.database_security_group_id
  proxy_security_group_id    = module.network.proxy_security_group_id

  database_engine                 = var.database_engine
  db_name                         = var.db_name
  master_username                 = var.db_master_username
  engine_version                  = var.db_engine_version
  instance_class                  = var.db_instance_class
  allocated_storage_gb            = var.db_allocated_storage_gb
  max_allocated_storage_gb        = var.db_max_allocated_storage_gb
  multi_az                        = var.db_multi_az
  aurora_engine_version           = var.aurora_engine_version
  aurora_min_capacity             = var.aurora_min_capacity
  aurora_max_capacity             = var.aurora_max_capacity
  aurora_seconds_until_auto_pause = var.aurora_seconds_until_auto_pause
  enable_rds_proxy                = var.enable_rds_proxy
  backup_retention_days           = var.db_backup_retention_days
  performance_insights            = var.db_performance_insights
  monitoring_interval             = var.db_monitoring_interval
  deletion_protection             = var.deletion_protection
  skip_final_snapshot             = var.skip_final_snapshot
  apply_immediately               = var.apply_immediately
  log_retention_days              = var.log_retention_days
}

module "messaging" {
  source = "./modules/messaging"

  name_prefix = local.name_prefix

  error_processor_timeout_s  = local.functions["error-processor"].timeout_s
  errors_batching_window_s   = local.errors_batching_window_s
  vendor_notification_emails = var.vendor_notification_emails
}

module "storage" {
  source = "./modules/storage"

  name_prefix = local.name_prefix
  account_id  = local.account_id

  csv_parser_function_name = module.functions.functions["csv-parser"].name
  csv_parser_alias_name    = module.functions.functions["csv-parser"].alias_name
  csv_parser_alias_arn     = module.functions.functions["csv-parser"].alias_arn
  # The candidate lane: candidate/uploads/ -> csv-parser:candidate.
  csv_parser_candidate_alias_name = module.functions.functions["csv-parser"].candidate_alias
  csv_parser_candidate_alias_arn  = module.functions.functions["csv-parser"].candidate_alias_arn

  upload_retention_days             = var.upload_retention_days
  error_report_retention_days       = var.error_report_retention_days
  noncurrent_version_retention_days = var.noncurrent_version_retention_days

  # The portal: browsers POST uploads straight to the bucket (CORS), and the
  # site bucket logs into the access-log bucket.
  cors_allowed_origins      = var.enable_portal ? [local.site_origin] : []
  extra_logged_bucket_names = var.enable_portal ? [local.site_bucket_name] : []
}

module "functions" {
  source = "./modules/functions"

  name_prefix = local.name_prefix
  aws_region  = var.aws_region

  functions                = local.functions
  errors_batching_window_s = local.errors_batching_window_s
  image_tag                = var.image_tag
  architecture             = var.lambda_architecture
  reserved_concurrency     = var.lambda_reserved_concurrency
  ecr_images_to_keep       = var.ecr_images_to_keep
  log_retention_days       = var.log_retention_days
  rust_log                 = var.rust_log
  report_link_base_url     = local.report_link_base_url
  run_migrations           = var.run_migrations
  live_versions            = var.live_versions
  canary                   = var.canary

  subnet_ids            = module.network.private_subnet_ids
  security_group_id     = module.network.lambda_security_group_id
  egress_dependency_ids = module.network.egress_dependency_ids
  ipv6_egress           = module.network.ipv6_egress

  upload_bucket_name = module.storage.bucket_name
  upload_bucket_arn  = module.storage.bucket_arn

  staging_table_name       = module.data.staging_table_name
  staging_table_arn        = module.data.staging_table_arn
  staging_table_stream_arn = module.data.staging_table_stream_arn

  errors_queue_url           = module.messaging.errors_queue_url
  errors_queue_arn           = module.messaging.errors_queue_arn
  candidate_errors_queue_url = module.messaging.candidate_errors_queue_url
  candidate_errors_queue_arn = module.messaging.candidate_errors_queue_arn
  stream_failures_queue_arn  = module.messaging.stream_failures_queue_arn
  csv_parser_dlq_arn         = module.messaging.csv_parser_dlq_arn
  csv_parser_dlq_url         = module.messaging.csv_parser_dlq_url
  errors_dlq_url             = module.messaging.errors_dlq_url
  errors_dlq_arn             = module.messaging.errors_dlq_arn
  stream_failures_queue_url  = module.messaging.stream_failures_queue_url
  notification_topic_arn     = module.messaging.notification_topic_arn

  database_host       = module.data.database_host
  database_port       = module.data.database_port
  database_name       = module.data.database_name
  database_secret_arn = module.data.database_secret_arn
  # Each function's own database role (docs/operations.md#database-roles).
  function_secret_arns = module.data.function_secret_arns

  # vendor-api only (empty without the portal).
  cognito_user_pool_id  = var.enable_portal ? module.portal[0].user_pool_id : ""
  cognito_user_pool_arn = var.enable_portal ? module.portal[0].user_pool_arn : ""
  cognito_client_id     = var.enable_portal ? module.portal[0].user_pool_client_id : ""
  site_origin           = local.site_origin
  # The vendor-api verifies tokens with the keys vendor-auth serves at
  # <site>/api/auth/jwks (CloudFront answers over IPv6), except where the VPC
  # has no internet path (see module.network above).
  api_keys_from_auth_function = var.egress_mode != "interface_endpoints"
}

# The vendor portal (docs/vendor-portal.md): Cognito, the HTTP API in front of
# the vendor-api function, the static site, one CloudFront distribution for
# both. var.enable_portal = false leaves all of it (and the function) out.
module "portal" {
  source = "./modules/portal"
  count  = var.enable_portal ? 1 : 0

  name_prefix = local.name_prefix
  aws_region  = var.aws_region
  account_id  = local.account_id

  site_bucket_name        = local.site_bucket_name
  access_logs_bucket_name = module.storage.access_logs_bucket_name
  upload_bucket_name      = module.storage.bucket_name
  site_domain_name        = var.portal_domain_name
  site_certificate_arn    = var.portal_certificate_arn
  cloudfront_price_class  = var.portal_cloudfront_price_class
  deletion_protection     = var.deletion_protection
  user_pool_tier          = var.cognito_user_pool_tier
  api_throttling_burst    = var.api_throttling_burst_limit
  api_throttling_rate     = var.api_throttling_rate_limit
  log_retention_days      = var.log_retention_days
  api_function_name       = try(module.functions.functions["vendor-api"].name, "")
  api_function_alias_name = try(module.functions.functions["vendor-api"].alias_name, "")
  api_function_alias_arn  = try(module.functions.functions["vendor-api"].alias_arn, "")
  api_function_timeout_s  = local.portal_functions["vendor-api"].timeout_s
  # The routes of the auth part (the deployment contract's AUTH_ROUTES).
  auth_function_name       = try(module.functions.functions["vendor-auth"].name, "")
  auth_function_alias_name = try(module.functions.functions["vendor-auth"].alias_name, "")
  auth_function_alias_arn  = try(module.functions.functions["vendor-auth"].alias_arn, "")
  auth_function_timeout_s  = local.portal_functions["vendor-auth"].timeout_s
}

module "observability" {
  source = "./modules/observability"

  name_prefix = local.name_prefix
  aws_region  = var.aws_region
  account_id  = local.account_id
  partition   = local.partition

  function_names           = { for key, function in module.functions.functions : key => function.name }
  stream_consumer_function = module.functions.functions["product-validator"].name
  errors_queue_name        = module.messaging.errors_queue_name
  dead_letter_queue_names  = module.messaging.dead_letter_queue_names
  database_engine          = var.database_engine
  database_instance_id     = module.data.database_instance_id
  database_cluster_id      = module.data.database_cluster_id
  database_max_connections = module.data.database_max_connections_estimate
  nat_instance_ids         = module.network.nat_instance_ids
  alarm_emails             = var.alarm_emails
  monthly_budget_usd       = var.monthly_budget_usd
  budget_alert_emails      = var.budget_alert_emails
  budget_environment_tag   = var.budget_filter_by_environment_tag ? var.environment : null
  staging_table_name       = module.data.staging_table_name
  upload_bucket_name       = module.storage.bucket_name
  api_id                   = var.enable_portal ? module.portal[0].api_id : null
  create_dashboard         = var.create_dashboard
  per_function_alarms      = var.per_function_alarms
}

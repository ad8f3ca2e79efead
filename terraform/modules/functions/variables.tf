variable "name_prefix" {
  description = "Prefix for every name."
  type        = string
}

variable "aws_region" {
  description = "Region (IAM conditions, ARNs)."
  type        = string
}

variable "functions" {
  description = "Function key => { memory_mb, timeout_s, image (another function's image, whose repository it shares; default its own), in_vpc (default true) }. Keys: csv-parser, product-validator, error-processor, and vendor-api and vendor-auth with the portal."
  type = map(object({
    memory_mb = number
    timeout_s = number
    image     = optional(string)
    in_vpc    = optional(bool, true)
  }))

  validation {
    condition     = contains([toset(["csv-parser", "product-validator", "error-processor"]), toset(["csv-parser", "product-validator", "error-processor", "vendor-api", "vendor-auth"])], toset(keys(var.functions)))
    error_message = "functions must define exactly csv-parser, product-validator and error-processor, plus vendor-api and vendor-auth with the portal."
  }

  validation {
    condition     = alltrue([for f in values(var.functions) : f.image == null || contains(keys(var.functions), coalesce(f.image, "-"))])
    error_message = "a function's image must be another function's key."
  }
}

variable "errors_batching_window_s" {
  description = "Batching window of the errors queue mapping."
  type        = number
}

variable "image_tag" {
  description = "Image tag deployed for all functions."
  type        = string
}

variable "architecture" {
  description = "arm64 or x86_64."
  type        = string
}

variable "reserved_concurrency" {
  description = "Function key => reserved concurrency (-1 = unreserved)."
  type        = map(number)
}

variable "ecr_images_to_keep" {
  description = "Images kept per repository."
  type        = number
}

variable "log_retention_days" {
  description = "Log retention."
  type        = number
}

variable "rust_log" {
  description = "RUST_LOG value; empty = not set."
  type        = string
}

variable "report_link_base_url" {
  description = "REPORT_LINK_BASE_URL for the error-processor; empty = not set (presigned S3 links)."
  type        = string
}

variable "run_migrations" {
  description = "Run {\"command\":\"migrate\"} on the new csv-parser version during apply."
  type        = bool
}

variable "live_versions" {
  description = "Function key => version the `live` alias is pinned to."
  type        = map(string)
}

variable "canary" {
  description = "Function key => { version, weight } of additional alias routing."
  type = map(object({
    version = string
    weight  = number
  }))
}

variable "subnet_ids" {
  description = "Private subnets for the functions."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group of the functions."
  type        = string
}

variable "ipv6_egress" {
  description = "egress_mode = ipv6: the functions send to AWS over IPv6 (ipv6_allowed_for_dual_stack), and the vendor-api calls CloudWatch at its dual-stack endpoints."
  type        = bool
  default     = false
}

variable "egress_dependency_ids" {
  description = "IDs of the egress path (NAT routes or interface endpoints); migrations wait for them."
  type        = list(string)
  default     = []
}

variable "upload_bucket_name" {
  description = "Uploads bucket name."
  type        = string
}

variable "upload_bucket_arn" {
  description = "Uploads bucket ARN."
  type        = string
}

variable "staging_table_name" {
  description = "Staging table name."
  type        = string
}

variable "staging_table_arn" {
  description = "Staging table ARN."
  type        = string
}

variable "staging_table_stream_arn" {
  description = "Staging table stream ARN."
  type        = string
}

variable "errors_queue_url" {
  description = "Errors queue URL."
  type        = string
}

variable "errors_queue_arn" {
  description = "Errors queue ARN."
  type        = string
}

variable "candidate_errors_queue_url" {
  description = "URL of the candidate lane's errors queue (CANDIDATE_ERROR_QUEUE_URL)."
  type        = string
}

variable "candidate_errors_queue_arn" {
  description = "ARN of the candidate lane's errors queue, read by the error-processor's `candidate` alias."
  type        = string
}

variable "errors_dlq_url" {
  description = "URL of the errors queue's dead-letter queue (ERROR_DLQ_URL, the operator console)."
  type        = string
}

variable "errors_dlq_arn" {
  description = "ARN of the errors queue's dead-letter queue (the console lists and redrives it)."
  type        = string
}

variable "csv_parser_dlq_url" {
  description = "URL of the csv-parser async DLQ (PARSER_DLQ_URL, the operator console)."
  type        = string
}

variable "stream_failures_queue_url" {
  description = "URL of the stream on-failure queue (STREAM_FAILURES_QUEUE_URL, the operator console)."
  type        = string
}

variable "stream_failures_queue_arn" {
  description = "On-failure destination of the stream mapping."
  type        = string
}

variable "csv_parser_dlq_arn" {
  description = "Dead-letter queue for failed asynchronous csv-parser invocations."
  type        = string
}

variable "notification_topic_arn" {
  description = "Vendor notification topic ARN."
  type        = string
}

variable "database_host" {
  description = "PostgreSQL host (instance, cluster or proxy endpoint)."
  type        = string
}

variable "database_port" {
  description = "PostgreSQL port."
  type        = number
}

variable "database_name" {
  description = "Database name."
  type        = string
}

variable "database_secret_arn" {
  description = "ARN of the RDS-managed master secret: the migrator's only (migrator.tf); no function's environment or role names it."
  type        = string
}

variable "function_secret_arns" {
  description = "Function key => ARN of the secret of its own PostgreSQL role (DATABASE_SECRET_ID; modules/data/function_secrets.tf)."
  type        = map(string)
}

# --- vendor-api (the portal); empty when the portal is off -------------------

variable "cognito_user_pool_id" {
  description = "Vendor user pool ID (COGNITO_USER_POOL_ID; the issuer and JWKS URL are derived from it)."
  type        = string
  default     = ""
}

variable "cognito_user_pool_arn" {
  description = "Vendor user pool ARN (the vendor-api's admin calls)."
  type        = string
  default     = ""
}

variable "cognito_client_id" {
  description = "The portal's app client ID (COGNITO_CLIENT_ID, the tokens' audience)."
  type        = string
  default     = ""
}

variable "site_origin" {
  description = "The portal's origin, https://<domain> (SITE_ORIGIN: CORS and the login redirect)."
  type        = string
  default     = ""
}

variable "api_keys_from_auth_function" {
  description = "The vendor-api reads the pool's signing keys from vendor-auth at <site_origin>/api/auth/jwks (true), or from Cognito (false: egress_mode = interface_endpoints, through its cognito-idp endpoint)."
  type        = bool
}

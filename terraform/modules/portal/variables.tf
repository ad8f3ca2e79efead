variable "name_prefix" {
  description = "Prefix for every name."
  type        = string
}

variable "aws_region" {
  description = "Region of the API, the user pool and the upload bucket."
  type        = string
}

variable "account_id" {
  description = "Account ID (policy conditions)."
  type        = string
}

variable "site_bucket_name" {
  description = "Name of the static site bucket (\"<prefix>-site-<account>\")."
  type        = string
}

variable "access_logs_bucket_name" {
  description = "The access-log bucket (modules/storage) the site bucket logs into."
  type        = string
}

variable "upload_bucket_name" {
  description = "The uploads bucket: the target of the browser's presigned POST (CSP)."
  type        = string
}

variable "site_domain_name" {
  description = "Custom domain of the site; empty = the distribution's own domain."
  type        = string
}

variable "site_certificate_arn" {
  description = "ACM certificate (us-east-1) for site_domain_name; empty = CloudFront's default certificate."
  type        = string
}

variable "cloudfront_price_class" {
  description = "CloudFront price class."
  type        = string
}

variable "deletion_protection" {
  description = "Deletion protection of the user pool."
  type        = bool
}

variable "user_pool_tier" {
  description = "Cognito feature plan (LITE, ESSENTIALS, PLUS)."
  type        = string
}

variable "api_throttling_burst" {
  description = "HTTP API burst limit."
  type        = number
}

variable "api_throttling_rate" {
  description = "HTTP API rate limit (requests per second)."
  type        = number
}

variable "log_retention_days" {
  description = "Retention of the API's access logs."
  type        = number
}

variable "api_function_name" {
  description = "The vendor-api function."
  type        = string
}

variable "api_function_alias_name" {
  description = "Its `live` alias name."
  type        = string
}

variable "api_function_alias_arn" {
  description = "Its `live` alias ARN (the integration target)."
  type        = string
}

variable "api_function_timeout_s" {
  description = "The function's timeout; the integration waits one second longer."
  type        = number
}

variable "auth_function_name" {
  description = "The vendor-auth function (the API's auth part)."
  type        = string
}

variable "auth_function_alias_name" {
  description = "Its `live` alias name."
  type        = string
}

variable "auth_function_alias_arn" {
  description = "Its `live` alias ARN (the auth routes' integration target)."
  type        = string
}

variable "auth_function_timeout_s" {
  description = "Its timeout; the integration waits one second longer."
  type        = number
}

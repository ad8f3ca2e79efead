variable "name_prefix" {
  description = "Prefix for every name."
  type        = string
}

variable "account_id" {
  description = "Account ID; bucket names are global, so it is part of them."
  type        = string
}

variable "csv_parser_function_name" {
  description = "Name of the csv-parser function."
  type        = string
}

variable "csv_parser_alias_name" {
  description = "Name of the csv-parser alias S3 invokes (`live`)."
  type        = string
}

variable "csv_parser_alias_arn" {
  description = "ARN of the csv-parser `live` alias (target of the S3 notification)."
  type        = string
}

variable "csv_parser_candidate_alias_name" {
  description = "Name of the csv-parser alias S3 invokes for candidate/uploads/ (`candidate`)."
  type        = string
}

variable "csv_parser_candidate_alias_arn" {
  description = "ARN of the csv-parser `candidate` alias (target of the candidate lane's notification)."
  type        = string
}

variable "upload_retention_days" {
  description = "Expiry of uploads/ objects."
  type        = number
}

variable "error_report_retention_days" {
  description = "Expiry of errors/ objects."
  type        = number
}

variable "noncurrent_version_retention_days" {
  description = "Expiry of noncurrent versions."
  type        = number
}

variable "cors_allowed_origins" {
  description = "Origins allowed to POST uploads from a browser (the portal's site origin); empty = no CORS rule."
  type        = list(string)
  default     = []
}

variable "extra_logged_bucket_names" {
  description = "Other buckets that deliver server access logs into the access-log bucket (under \"<name>/\")."
  type        = list(string)
  default     = []
}

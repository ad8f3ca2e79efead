variable "name_prefix" {
  description = "Prefix for every name."
  type        = string
}

variable "aws_region" {
  description = "Region of the dashboard widgets."
  type        = string
}

variable "account_id" {
  description = "The account (the alarm topic's policy admits CloudWatch alarms and Budgets of this account only)."
  type        = string
}

variable "partition" {
  description = "The AWS partition (aws, aws-cn, ...), for ARNs."
  type        = string
}

variable "function_names" {
  description = "Function key => function name."
  type        = map(string)
}

variable "stream_consumer_function" {
  description = "Name of the function consuming the DynamoDB stream (iterator age alarm)."
  type        = string
}

variable "errors_queue_name" {
  description = "Name of the errors queue."
  type        = string
}

variable "dead_letter_queue_names" {
  description = "Queues that must stay empty."
  type        = list(string)
}

variable "database_engine" {
  description = "rds | aurora-serverless."
  type        = string
}

variable "database_instance_id" {
  description = "RDS instance identifier (rds)."
  type        = string
  default     = null
}

variable "database_cluster_id" {
  description = "Aurora cluster identifier (aurora-serverless)."
  type        = string
  default     = null
}

variable "database_max_connections" {
  description = "Approximate max_connections; the alarm fires at 80%."
  type        = number
}

variable "nat_instance_ids" {
  description = "NAT instance IDs (may be empty)."
  type        = list(string)
  default     = []
}

variable "staging_table_name" {
  description = "Staging table (dashboard)."
  type        = string
}

variable "upload_bucket_name" {
  description = "Uploads bucket (dashboard)."
  type        = string
}

variable "alarm_emails" {
  description = "E-mail subscribers of the alarm topic."
  type        = list(string)
}

variable "monthly_budget_usd" {
  description = "Monthly budget in USD."
  type        = number
}

variable "budget_alert_emails" {
  description = "Budget notification recipients, in addition to the alarm topic (which always gets them)."
  type        = list(string)
}

variable "budget_environment_tag" {
  description = "If set, scope the budget to Environment=<value> (cost allocation tag must be active)."
  type        = string
  default     = null
}

variable "api_id" {
  description = "The portal's HTTP API ID (5xx alarm); null without the portal."
  type        = string
  default     = null
}

variable "per_function_alarms" {
  description = "Alarm on each function's Errors and Throttles instead of the account-wide ones (see the root variable)."
  type        = bool
  default     = false
}

variable "create_dashboard" {
  description = "Create the CloudWatch dashboard (see the root variable)."
  type        = bool
  default     = false
}

variable "name_prefix" {
  description = "Prefix for every name."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets (two AZs) for the database and RDS Proxy."
  type        = list(string)
}

variable "database_security_group_id" {
  description = "Security group of the database."
  type        = string
}

variable "proxy_security_group_id" {
  description = "Security group of RDS Proxy (null when disabled)."
  type        = string
  default     = null
}

variable "database_engine" {
  description = "rds | aurora-serverless."
  type        = string
}

variable "db_name" {
  description = "Application database name."
  type        = string
}

variable "master_username" {
  description = "Master user name (password managed by RDS in Secrets Manager)."
  type        = string
}

variable "engine_version" {
  description = "RDS for PostgreSQL engine version."
  type        = string
}

variable "instance_class" {
  description = "RDS instance class."
  type        = string
}

variable "allocated_storage_gb" {
  description = "Initial storage."
  type        = number
}

variable "max_allocated_storage_gb" {
  description = "Storage autoscaling ceiling."
  type        = number
}

variable "multi_az" {
  description = "Multi-AZ standby."
  type        = bool
}

variable "aurora_engine_version" {
  description = "Aurora PostgreSQL major or exact version."
  type        = string
}

variable "aurora_min_capacity" {
  description = "Serverless v2 minimum ACUs (0 = auto-pause)."
  type        = number
}

variable "aurora_max_capacity" {
  description = "Serverless v2 maximum ACUs."
  type        = number
}

variable "aurora_seconds_until_auto_pause" {
  description = "Idle time before pausing."
  type        = number
}

variable "enable_rds_proxy" {
  description = "Create RDS Proxy."
  type        = bool
}

variable "backup_retention_days" {
  description = "Automated backup retention."
  type        = number
}

variable "performance_insights" {
  description = "Enable Performance Insights."
  type        = bool
}

variable "monitoring_interval" {
  description = "Enhanced Monitoring interval (0 = off)."
  type        = number
}

variable "deletion_protection" {
  description = "Deletion protection for database and table."
  type        = bool
}

variable "skip_final_snapshot" {
  description = "Skip the final snapshot on destroy."
  type        = bool
}

variable "apply_immediately" {
  description = "Apply modifications immediately."
  type        = bool
}

variable "log_retention_days" {
  description = "Retention of the PostgreSQL log groups."
  type        = number
}

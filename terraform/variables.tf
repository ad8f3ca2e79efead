# Defaults are the cheapest sound choice (a staging environment). Production
# overrides are shown in terraform.tfvars.example.

# ---------------------------------------------------------------------------
# Identity
# ---------------------------------------------------------------------------

variable "aws_region" {
  description = "Region to deploy into."
  type        = string
  default     = "eu-west-1"
}

variable "project" {
  description = "Project name; first half of every resource name."
  type        = string
  default     = "onboarding"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.project))
    error_message = "project must be 2-21 lowercase letters, digits or hyphens."
  }
}

variable "environment" {
  description = "Environment name (staging, prod, ...). Several environments can share one account because every name is prefixed with \"<project>-<environment>\"."
  type        = string
  default     = "staging"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,14}$", var.environment))
    error_message = "environment must be 2-15 lowercase letters, digits or hyphens."
  }
}

variable "tags" {
  description = "Extra tags applied to every resource."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------------------
# Network
# ---------------------------------------------------------------------------

variable "vpc_cidr" {
  description = "CIDR block of the VPC. Use a different one per environment if VPCs will ever be peered."
  type        = string
  default     = "10.40.0.0/16"
}

variable "availability_zones" {
  description = "The two AZs for the private subnets, pinned so they never move. null = \"<region>a\" and \"<region>b\". AZ letters are per account; set this where those two do not exist (e.g. us-west-1) or lack the NAT instance type."
  type        = list(string)
  default     = null

  validation {
    condition     = var.availability_zones == null || length(coalesce(var.availability_zones, [])) == 2
    error_message = "availability_zones must list exactly two AZ names."
  }
}

variable "egress_mode" {
  description = <<-EOT
    How the functions in the VPC reach SQS, SNS, Secrets Manager and (with the portal) CloudWatch and the site (S3 and DynamoDB always use free gateway endpoints; the portal's Cognito calls come from vendor-auth, outside the VPC):
      ipv6                - dual-stack subnets + an egress-only internet gateway (no charge); SQS, SNS, Secrets Manager and CloudWatch over their dual-stack endpoints. No interface endpoint. Default: cheapest, nothing to patch, inbound impossible.
      nat_instance        - one t4g.nano NAT instance per egress AZ (~USD 7.4/month incl. public IPv4).
      nat_gateway         - managed NAT gateway (~USD 33/month each + USD 0.045/GB).
      interface_endpoints - PrivateLink endpoints for sqs, sns, secretsmanager and, with the portal, cognito-idp (the vendor-api then reads the signing keys from Cognito), logs and monitoring (the operator console's log and metric views); ~USD 7.3/month per endpoint per AZ, no internet path at all.
  EOT
  type        = string
  default     = "ipv6"

  validation {
    condition     = contains(["interface_endpoints", "ipv6", "nat_gateway", "nat_instance"], var.egress_mode)
    error_message = "egress_mode must be interface_endpoints, ipv6, nat_gateway or nat_instance."
  }
}

variable "single_az_egress" {
  description = "Put the NAT (gateway or instance) or the interface endpoints (with ipv6: only secretsmanager's, with RDS Proxy) in one AZ only. Cheaper; an outage of that AZ cuts egress for both subnets. Set false in production."
  type        = bool
  default     = true
}

variable "nat_instance_type" {
  description = "Instance type for egress_mode = nat_instance. Graviton (\"g\") types get the arm64 Amazon Linux 2023 AMI."
  type        = string
  default     = "t4g.nano"
}

variable "flow_log_traffic_type" {
  description = "VPC flow log traffic type: ALL, ACCEPT or REJECT."
  type        = string
  default     = "ALL"
}

# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------

variable "database_engine" {
  description = "aurora-serverless (default) = Aurora PostgreSQL Serverless v2 that pauses at 0 ACU when idle (pay per use; the first query after a pause waits ~15 s for the resume): the cheaper engine up to ~2,500 uploads a month (docs/COST.md). rds = one RDS for PostgreSQL instance (predictable, ~USD 14/month as db.t4g.micro), the cheaper one beyond that."
  type        = string
  default     = "aurora-serverless"

  validation {
    condition     = contains(["rds", "aurora-serverless"], var.database_engine)
    error_message = "database_engine must be rds or aurora-serverless."
  }
}

variable "db_name" {
  description = "Name of the application database."
  type        = string
  default     = "onboarding"
}

variable "db_master_username" {
  description = "Master user name. The password is generated and rotated by RDS and kept in Secrets Manager (manage_master_user_password)."
  type        = string
  default     = "onboarding_admin"
}

variable "db_engine_version" {
  description = "RDS for PostgreSQL version (major, or major.minor). Minor upgrades are automatic."
  type        = string
  default     = "16"
}

variable "db_instance_class" {
  description = "RDS instance class (database_engine = rds)."
  type        = string
  default     = "db.t4g.micro"
}

variable "db_allocated_storage_gb" {
  description = "Initial gp3 storage (database_engine = rds)."
  type        = number
  default     = 20
}

variable "db_max_allocated_storage_gb" {
  description = "Storage autoscaling ceiling (database_engine = rds)."
  type        = number
  default     = 100
}

variable "db_multi_az" {
  description = "Standby in a second AZ (database_engine = rds). Doubles the instance cost."
  type        = bool
  default     = false
}

variable "aurora_engine_version" {
  description = "Aurora PostgreSQL major version (newest minor is picked at creation) or an exact version (database_engine = aurora-serverless). Scaling to 0 ACU needs 16.3+, 15.7+, 14.12+ or 13.15+."
  type        = string
  default     = "16"
}

variable "aurora_min_capacity" {
  description = "Aurora Serverless v2 minimum ACUs. 0 lets the cluster pause when idle."
  type        = number
  default     = 0
}

variable "aurora_max_capacity" {
  description = "Aurora Serverless v2 maximum ACUs."
  type        = number
  default     = 2
}

variable "aurora_seconds_until_auto_pause" {
  description = "Idle seconds before an Aurora cluster with min_capacity 0 pauses (300-86400)."
  type        = number
  default     = 300
}

variable "enable_rds_proxy" {
  description = "Put RDS Proxy in front of the database. Useful once function concurrency outgrows max_connections; billed per vCPU/ACU of the target: ~USD 22/month on RDS, more on Aurora Serverless v2 (8 ACU minimum), where it also keeps the cluster from pausing (docs/operations.md#connections-across-invocations-and-rds-proxy)."
  type        = bool
  default     = false
}

variable "db_backup_retention_days" {
  description = "Automated backup retention (1-35 days)."
  type        = number
  default     = 7
}

variable "db_performance_insights" {
  description = "Enable Performance Insights (free tier: 7 days retention)."
  type        = bool
  default     = true
}

variable "db_monitoring_interval" {
  description = "Enhanced Monitoring interval in seconds (0 disables; 1, 5, 10, 15, 30, 60)."
  type        = number
  default     = 60
}

variable "deletion_protection" {
  description = "Deletion protection on the database and the staging table. Set false before `terraform destroy`."
  type        = bool
  default     = true
}

variable "skip_final_snapshot" {
  description = "Skip the final DB snapshot on destroy (only sensible for throwaway environments)."
  type        = bool
  default     = false
}

variable "apply_immediately" {
  description = "Apply database modifications immediately instead of in the maintenance window."
  type        = bool
  default     = false
}

# ---------------------------------------------------------------------------
# Messaging / storage
# ---------------------------------------------------------------------------

variable "vendor_notification_emails" {
  description = "vendor_id => e-mail address. Each becomes an SNS e-mail subscription filtered on the vendor_id message attribute. Recipients must confirm the subscription e-mail."
  type        = map(string)
  default     = {}
}

variable "upload_retention_days" {
  description = "Days uploaded CSVs (uploads/) are kept before expiry. The audit requirement is >= 90."
  type        = number
  default     = 90

  validation {
    condition     = var.upload_retention_days >= 90
    error_message = "upload_retention_days must be at least 90 (audit requirement FR5)."
  }
}

variable "error_report_retention_days" {
  description = "Days error reports (errors/) are kept before expiry. Must be >= 90."
  type        = number
  default     = 90

  validation {
    condition     = var.error_report_retention_days >= 90
    error_message = "error_report_retention_days must be at least 90."
  }
}

variable "noncurrent_version_retention_days" {
  description = "Days overwritten/deleted object versions are kept."
  type        = number
  default     = 30
}

# ---------------------------------------------------------------------------
# Functions
# ---------------------------------------------------------------------------

variable "image_tag" {
  description = "Image tag (e.g. the git SHA) deployed for all three functions. Tags are immutable in ECR, so every build needs a new tag."
  type        = string
}

variable "lambda_architecture" {
  description = "arm64 (Graviton, ~20% cheaper per GB-second) or x86_64. Must match the image built with docker/Dockerfile."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "lambda_architecture must be arm64 or x86_64."
  }
}

variable "lambda_reserved_concurrency" {
  description = "Reserved concurrency per function; it caps PostgreSQL connections (see modules/functions). Use -1 for \"unreserved\" on accounts whose concurrency quota is still the new-account default of 10, where any reservation is rejected."
  type        = map(number)
  default = {
    "csv-parser"        = 10
    "product-validator" = 10
    "error-processor"   = 4 # >= 2 per lane (live, candidate): modules/functions/triggers.tf
    # One request per execution environment, 2 pooled connections each: 5
    # environments = 10 connections, and ~5 x (1 s / 50 ms) = ~100 requests/s.
    "vendor-api" = 5
  }
}

variable "rust_log" {
  description = "RUST_LOG filter for every function. Empty = not set, so the functions use their default (docs/configuration.md: info, with the AWS SDK's secrets cache and config at warn)."
  type        = string
  default     = ""
}

variable "report_link_base_url" {
  description = "Base URL of the vendor API, such as https://vendors.example.com/api (a trailing / is ignored). Set: the e-mail's report and fix-file links are <base>/links/<token>, answered with a fresh presigned GET for 7 days after the e-mail (then 410), followed by the login-protected <base>/uploads/<id>/report and /fix-file. Unset: presigned S3 links for 7 days or until the signing credentials expire, whichever is sooner, with that lifetime stated. Empty: https://<portal site>/api when enable_portal is true, else unset."
  type        = string
  default     = ""

  validation {
    condition     = var.report_link_base_url == "" || can(regex("^https://[^/]+", var.report_link_base_url))
    error_message = "report_link_base_url must be empty or an https:// URL."
  }
}

variable "run_migrations" {
  description = "Invoke the new csv-parser version with {\"command\":\"migrate\"} during apply, before the live alias moves."
  type        = bool
  default     = true
}

variable "live_versions" {
  description = "Pin the `live` alias of a function to a published version (blue/green). Functions not listed follow the version published by this apply."
  type        = map(string)
  default     = {}
}

variable "canary" {
  description = "Send `weight` (0-1) of a function's traffic to `version` while `live` points at the other one. Example: { \"product-validator\" = { version = \"7\", weight = 0.1 } }."
  type = map(object({
    version = string
    weight  = number
  }))
  default = {}
}

variable "ecr_images_to_keep" {
  description = "Images kept per ECR repository. Older images are deleted, so rollback is possible only to the last N builds."
  type        = number
  default     = 20
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention for function, database and flow logs."
  type        = number
  default     = 14
}

# ---------------------------------------------------------------------------
# Observability / cost
# ---------------------------------------------------------------------------

variable "per_function_alarms" {
  description = "false (default): two account-wide alarms, on any function's Errors and on any function's Throttles in this account and region; the console's monitor says which function. true: those two alarms per function (2 x 4 alarm metrics beyond the account-wide 2, USD 0.10 each a month past CloudWatch's free ten). Set true in an account shared with other workloads, whose functions would otherwise raise these alarms."
  type        = bool
  default     = false
}

variable "create_dashboard" {
  description = "Create the CloudWatch dashboard (functions, queues, table, database, portal; Logs Insights widgets for errors and cold starts). USD 3/month at list price, free as one of an account's first three. Off by default: the operator console's function monitor (docs/console.md) shows invocations, errors and durations without it."
  type        = bool
  default     = false
}

variable "alarm_emails" {
  description = "E-mail addresses subscribed to the alarm topic (each must confirm)."
  type        = list(string)
  default     = []
}

variable "monthly_budget_usd" {
  description = "Monthly cost budget for this environment."
  type        = number
  default     = 20
}

variable "budget_alert_emails" {
  description = "E-mail addresses notified at 80% actual and 100% forecast spend, in addition to the alarm topic (alarm_emails), which always gets these alerts."
  type        = list(string)
  default     = []
}

variable "budget_filter_by_environment_tag" {
  description = "Scope the budget to resources tagged Environment=<environment>. Requires the `Environment` cost allocation tag to be activated in Billing first; otherwise the budget sees the whole account."
  type        = bool
  default     = false
}

# ---------------------------------------------------------------------------
# Vendor portal (docs/vendor-portal.md)
# ---------------------------------------------------------------------------

variable "enable_portal" {
  description = "Deploy the vendor portal: the vendor-api function, the Cognito user pool, the HTTP API, the static site bucket and the CloudFront distribution. false leaves all of them out (and the e-mails carry only presigned S3 links unless report_link_base_url is set)."
  type        = bool
  default     = true
}

variable "portal_domain_name" {
  description = "Custom domain of the portal (vendors.example.com). Empty: the distribution's *.cloudfront.net name. Needs portal_certificate_arn; point a DNS CNAME/alias at the distribution yourself."
  type        = string
  default     = ""
}

variable "portal_certificate_arn" {
  description = "ACM certificate for portal_domain_name, in us-east-1 (CloudFront's region). With it viewers need TLS 1.2+ (TLSv1.2_2021); the default *.cloudfront.net certificate cannot enforce that."
  type        = string
  default     = ""

  validation {
    condition     = var.portal_certificate_arn == "" || can(regex("^arn:[a-z-]+:acm:us-east-1:", var.portal_certificate_arn))
    error_message = "portal_certificate_arn must be an ACM certificate ARN in us-east-1 (or empty)."
  }
}

variable "portal_cloudfront_price_class" {
  description = "CloudFront price class of the portal: PriceClass_100 (North America, Europe; cheapest), PriceClass_200, PriceClass_All."
  type        = string
  default     = "PriceClass_100"
}

variable "cognito_user_pool_tier" {
  description = "Cognito feature plan: LITE (free for the first 10,000 monthly active users), ESSENTIALS or PLUS (threat protection, billed per MAU)."
  type        = string
  default     = "LITE"

  validation {
    condition     = contains(["LITE", "ESSENTIALS", "PLUS"], var.cognito_user_pool_tier)
    error_message = "cognito_user_pool_tier must be LITE, ESSENTIALS or PLUS."
  }
}

variable "api_throttling_burst_limit" {
  description = "HTTP API burst limit (requests) of the portal's default route settings."
  type        = number
  default     = 50
}

variable "api_throttling_rate_limit" {
  description = "HTTP API steady-state limit (requests per second). Keep it near what vendor-api's reserved concurrency serves (~100/s at 5), so excess is refused with 429 at the edge rather than throttled in Lambda."
  type        = number
  default     = 25
}

variable "name_prefix" {
  description = "Prefix for every name (\"<project>-<environment>\")."
  type        = string
}

variable "aws_region" {
  description = "Region, for endpoint service names."
  type        = string
}

variable "availability_zones" {
  description = "Two AZ names; null = \"<region>a\" and \"<region>b\"."
  type        = list(string)
  default     = null
}

variable "vpc_cidr" {
  description = "VPC CIDR block."
  type        = string
}

variable "egress_mode" {
  description = "interface_endpoints | ipv6 | nat_gateway | nat_instance (see the root variable)."
  type        = string
}

variable "single_az_egress" {
  description = "One NAT / one endpoint AZ instead of one per AZ."
  type        = bool
}

variable "nat_instance_type" {
  description = "Instance type for the NAT instance."
  type        = string
}

variable "enable_rds_proxy" {
  description = "Create the RDS Proxy security group and route the functions through it."
  type        = bool
}

variable "flow_log_traffic_type" {
  description = "ALL, ACCEPT or REJECT."
  type        = string
}

variable "log_retention_days" {
  description = "Flow log retention."
  type        = number
}

variable "extra_interface_endpoint_services" {
  description = "More interface endpoint services (e.g. cognito-idp for the portal) for egress_mode = interface_endpoints, and the ones ipv6 needs (no dual-stack endpoint)."
  type        = list(string)
  default     = []
}

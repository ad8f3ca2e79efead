terraform {
  # 1.6+ for `terraform test` and current validation/optional() semantics.
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 6.x: Aurora Serverless v2 `min_capacity = 0` with `seconds_until_auto_pause`,
      # and the standalone aws_vpc_security_group_{ingress,egress}_rule resources.
      version = "~> 6.0"
    }
    # The function roles' database passwords (modules/data/function_secrets.tf).
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
}

provider "aws" {
  region = var.aws_region

  # Every taggable resource gets these. Cost allocation and "which environment owns
  # this?" both rely on them when several environments share one account.
  default_tags {
    tags = merge(var.tags, {
      Project     = var.project
      Environment = var.environment
      ManagedBy   = "terraform"
    })
  }
}

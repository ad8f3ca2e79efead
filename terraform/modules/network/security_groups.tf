# Who may talk to whom. Rules are separate resources so each one reads as a
# sentence: "<group> allows <direction> <port> <from/to> <peer>".
#
#   functions --5432--> database            (or --5432--> proxy --5432--> database)
#   functions --443---> AWS APIs (via NAT, interface endpoints, gateway endpoints,
#                        or over IPv6 through the egress-only gateway)
#   database: no other ingress, no egress.

locals {
  # Where the functions send PostgreSQL traffic.
  postgres_target_sg = var.enable_rds_proxy ? aws_security_group.proxy[0].id : aws_security_group.database.id
}

# --- functions -------------------------------------------------------------

resource "aws_security_group" "lambda" {
  name        = "${var.name_prefix}-functions"
  description = "Onboarding Lambda functions: no ingress; PostgreSQL and HTTPS egress only"
  vpc_id      = aws_vpc.this.id

  tags = { Name = "${var.name_prefix}-functions" }
}

resource "aws_vpc_security_group_egress_rule" "lambda_https" {
  security_group_id = aws_security_group.lambda.id
  description       = "HTTPS to AWS APIs (SQS, SNS, Secrets Manager via NAT or endpoints; S3/DynamoDB via gateway endpoints)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "lambda_postgres" {
  security_group_id            = aws_security_group.lambda.id
  description                  = "PostgreSQL to the database (or RDS Proxy)"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = local.postgres_target_sg
}

resource "aws_vpc_security_group_egress_rule" "lambda_https_ipv6" {
  count = local.use_ipv6 ? 1 : 0

  security_group_id = aws_security_group.lambda.id
  description       = "HTTPS to AWS APIs over IPv6 (SQS, SNS, Secrets Manager, CloudWatch via the egress-only gateway)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv6         = "::/0"
}

# --- database --------------------------------------------------------------

resource "aws_security_group" "database" {
  name        = "${var.name_prefix}-database"
  description = "PostgreSQL: reachable on 5432 from the onboarding functions (or RDS Proxy) only"
  vpc_id      = aws_vpc.this.id

  tags = { Name = "${var.name_prefix}-database" }
}

resource "aws_vpc_security_group_ingress_rule" "database_from_functions" {
  count = var.enable_rds_proxy ? 0 : 1

  security_group_id            = aws_security_group.database.id
  description                  = "PostgreSQL from the onboarding functions"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.lambda.id
}

resource "aws_vpc_security_group_ingress_rule" "database_from_proxy" {
  count = var.enable_rds_proxy ? 1 : 0

  security_group_id            = aws_security_group.database.id
  description                  = "PostgreSQL from RDS Proxy"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.proxy[0].id
}

# --- RDS Proxy (optional) --------------------------------------------------

resource "aws_security_group" "proxy" {
  count = var.enable_rds_proxy ? 1 : 0

  name        = "${var.name_prefix}-rds-proxy"
  description = "RDS Proxy: 5432 from the functions; 5432 to the database; 443 to Secrets Manager"
  vpc_id      = aws_vpc.this.id

  tags = { Name = "${var.name_prefix}-rds-proxy" }
}

resource "aws_vpc_security_group_ingress_rule" "proxy_from_functions" {
  count = var.enable_rds_proxy ? 1 : 0

  security_group_id            = aws_security_group.proxy[0].id
  description                  = "PostgreSQL from the onboarding functions"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.lambda.id
}

resource "aws_vpc_security_group_egress_rule" "proxy_to_database" {
  count = var.enable_rds_proxy ? 1 : 0

  security_group_id            = aws_security_group.proxy[0].id
  description                  = "PostgreSQL to the database"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.database.id
}

resource "aws_vpc_security_group_egress_rule" "proxy_https" {
  count = var.enable_rds_proxy ? 1 : 0

  security_group_id = aws_security_group.proxy[0].id
  description       = "HTTPS to Secrets Manager (credentials for the database)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

# --- interface endpoints (egress_mode = interface_endpoints, or ipv6's exceptions)

resource "aws_security_group" "endpoints" {
  count = length(local.interface_services) > 0 ? 1 : 0

  name        = "${var.name_prefix}-endpoints"
  description = "Interface endpoints: HTTPS from inside the VPC"
  vpc_id      = aws_vpc.this.id

  tags = { Name = "${var.name_prefix}-endpoints" }
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_https" {
  count = length(local.interface_services) > 0 ? 1 : 0

  security_group_id = aws_security_group.endpoints[0].id
  description       = "HTTPS from the VPC (functions, RDS Proxy)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = aws_vpc.this.cidr_block
}

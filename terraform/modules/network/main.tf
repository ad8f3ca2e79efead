# Two private subnets (two AZs) hold the functions, the database and, when
# used, the interface endpoints. Nothing in them has a public address.
#
# Egress. The functions call S3 and DynamoDB (free gateway endpoints, always
# present) and SQS, SNS and Secrets Manager (with the portal also CloudWatch
# Logs and metrics, for the operator console), which need either a NAT, IPv6
# or interface endpoints. Monthly cost of each option in a typical region:
#   nat_instance        t4g.nano ~USD 3.1 + public IPv4 USD 3.6 + 8 GB gp3 USD 0.7
#                       = ~USD 7.4 per AZ, data processing free.
#   nat_gateway         ~USD 33 per AZ + USD 0.045/GB processed.
#   interface_endpoints 3 endpoints x ~USD 7.3 per AZ = ~USD 22 (one AZ) or
#                       ~USD 44 (two AZs) + USD 0.01/GB; no internet path at all.
#                       With the portal 3 more (cognito-idp, logs, monitoring):
#                       6 x ~USD 7.3 = ~USD 44 (one AZ) or ~88 (two AZs).
#   ipv6                dual-stack subnets and an egress-only internet gateway
#                       (no hourly charge): the functions reach SQS, SNS and
#                       Secrets Manager over IPv6 at their standard regional
#                       endpoints, which are dual-stack, and CloudWatch at its
#                       dual-stack api.aws ones. Cognito's user pool API
#                       has none; only vendor-auth calls it, from outside the
#                       VPC. The one exception is secretsmanager for RDS Proxy,
#                       which calls it over IPv4. Nothing can reach in.  <- default
# The workload moves kilobytes per upload, so the hourly charge dominates. A NAT
# instance's weakness is availability (one instance; EC2 auto-recovery restarts
# it on host failure) and patching; ipv6 has neither (the egress-only gateway is
# managed and spans the AZs). Use interface_endpoints where no internet egress
# is allowed at all.

locals {
  # Pinned, not discovered: subnets (and everything in them) must never move
  # because AWS added an AZ or reported one as impaired during an event.
  azs = coalesce(var.availability_zones, ["${var.aws_region}a", "${var.aws_region}b"])

  use_nat   = contains(["nat_gateway", "nat_instance"], var.egress_mode)
  use_ipv6  = var.egress_mode == "ipv6"
  nat_count = local.use_nat ? (var.single_az_egress ? 1 : 2) : 0

  # Private subnet i sends internet-bound traffic to NAT min(i, nat_count - 1).
  nat_index = [for i in range(2) : min(i, max(local.nat_count - 1, 0))]

  # Interface endpoints: every service in interface_endpoints mode; with ipv6
  # only those without a dual-stack endpoint the VPC uses (Secrets Manager
  # for RDS Proxy, which calls it over IPv4).
  interface_services = (
    var.egress_mode == "interface_endpoints" ? concat(["sqs", "sns", "secretsmanager"], var.extra_interface_endpoint_services) :
    local.use_ipv6 ? concat(var.extra_interface_endpoint_services, var.enable_rds_proxy ? ["secretsmanager"] : []) : []
  )
}

# Fails the plan early if a pinned AZ does not exist for this account (AZ
# letters are per account; e.g. us-west-1 has only two, not always "a" and "b").
data "aws_availability_zones" "selected" {
  filter {
    name   = "zone-name"
    values = local.azs
  }

  lifecycle {
    postcondition {
      condition     = length(self.names) == 2
      error_message = "availability_zones must name two AZs of ${var.aws_region} available to this account; found: ${join(", ", self.names)}."
    }
  }
}

resource "aws_vpc" "this" {
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true # required for interface endpoints' private DNS

  # egress_mode = ipv6: an Amazon-provided /56, a /64 per private subnet.
  assign_generated_ipv6_cidr_block = local.use_ipv6

  tags = { Name = "${var.name_prefix}-vpc" }
}

# Lock down the default security group: nothing may use it by accident.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id

  tags = { Name = "${var.name_prefix}-default-deny" }
}

resource "aws_subnet" "private" {
  count = 2

  vpc_id            = aws_vpc.this.id
  availability_zone = local.azs[count.index]
  cidr_block        = cidrsubnet(var.vpc_cidr, 4, count.index) # two /20s
  # Dual-stack with egress_mode = ipv6. Only the functions use IPv6 (their
  # ipv6_allowed_for_dual_stack); nothing else gets an address by default.
  ipv6_cidr_block = local.use_ipv6 ? cidrsubnet(aws_vpc.this.ipv6_cidr_block, 8, count.index) : null

  tags = { Name = "${var.name_prefix}-private-${local.azs[count.index]}" }
}

resource "aws_route_table" "private" {
  count = 2

  vpc_id = aws_vpc.this.id

  tags = { Name = "${var.name_prefix}-private-${local.azs[count.index]}" }
}

resource "aws_route_table_association" "private" {
  count = 2

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[count.index].id
}

# ---------------------------------------------------------------------------
# Gateway endpoints (free): S3 and DynamoDB never leave the AWS network.
# ---------------------------------------------------------------------------

resource "aws_vpc_endpoint" "gateway" {
  for_each = toset(["s3", "dynamodb"])

  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${var.aws_region}.${each.key}"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = aws_route_table.private[*].id

  tags = { Name = "${var.name_prefix}-${each.key}" }
}

# ---------------------------------------------------------------------------
# Public subnets + internet gateway: only for the NAT options.
# ---------------------------------------------------------------------------

resource "aws_internet_gateway" "this" {
  count = local.use_nat ? 1 : 0

  vpc_id = aws_vpc.this.id

  tags = { Name = "${var.name_prefix}-igw" }
}

resource "aws_subnet" "public" {
  count = local.nat_count

  vpc_id            = aws_vpc.this.id
  availability_zone = local.azs[count.index]
  cidr_block        = cidrsubnet(var.vpc_cidr, 8, 200 + count.index) # /24s
  # No map_public_ip_on_launch: only the NAT instance asks for a public IP.

  tags = { Name = "${var.name_prefix}-public-${local.azs[count.index]}" }
}

resource "aws_route_table" "public" {
  count = local.use_nat ? 1 : 0

  vpc_id = aws_vpc.this.id

  tags = { Name = "${var.name_prefix}-public" }
}

resource "aws_route" "public_internet" {
  count = local.use_nat ? 1 : 0

  route_table_id         = aws_route_table.public[0].id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this[0].id
}

resource "aws_route_table_association" "public" {
  count = local.nat_count

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public[0].id
}

# ---------------------------------------------------------------------------
# egress_mode = nat_gateway
# ---------------------------------------------------------------------------

resource "aws_eip" "nat" {
  count = var.egress_mode == "nat_gateway" ? local.nat_count : 0

  domain = "vpc"

  tags = { Name = "${var.name_prefix}-nat-${local.azs[count.index]}" }
}

resource "aws_nat_gateway" "this" {
  count = var.egress_mode == "nat_gateway" ? local.nat_count : 0

  allocation_id = aws_eip.nat[count.index].id
  subnet_id     = aws_subnet.public[count.index].id

  tags = { Name = "${var.name_prefix}-nat-${local.azs[count.index]}" }

  depends_on = [aws_internet_gateway.this]
}

resource "aws_route" "private_nat_gateway" {
  count = var.egress_mode == "nat_gateway" ? 2 : 0

  route_table_id         = aws_route_table.private[count.index].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[local.nat_index[count.index]].id
}

# ---------------------------------------------------------------------------
# egress_mode = ipv6
# ---------------------------------------------------------------------------
# Outbound-only over IPv6: the gateway forwards connections the functions open
# and drops any that start outside. No hourly or per-GB charge of its own
# (traffic to AWS endpoints in the region is not charged either).

resource "aws_egress_only_internet_gateway" "this" {
  count = local.use_ipv6 ? 1 : 0

  vpc_id = aws_vpc.this.id

  tags = { Name = "${var.name_prefix}-eigw" }
}

resource "aws_route" "private_ipv6" {
  count = local.use_ipv6 ? 2 : 0

  route_table_id              = aws_route_table.private[count.index].id
  destination_ipv6_cidr_block = "::/0"
  egress_only_gateway_id      = aws_egress_only_internet_gateway.this[0].id
}

# ---------------------------------------------------------------------------
# egress_mode = interface_endpoints (and the exceptions of ipv6)
# ---------------------------------------------------------------------------
# With the portal, three join the list (var.extra_interface_endpoint_services)
# in interface_endpoints mode only: logs and monitoring, for the operator
# console's Logs Insights queries and GetMetricData (the vendor-api's code
# calls them; the functions' own log delivery and traces go through Lambda,
# outside the VPC), and cognito-idp: the vendor-api reads the pool's signing
# keys through it, having no path to vendor-auth's copy. Cognito serves its API through
# PrivateLink only for user pools without a domain (this pool has none: the
# portal has its own login page, not the hosted UI). Whether the JWKS
# document (https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json)
# is answered through the endpoint was not verified here; if it is not, token
# verification fails and the portal needs a NAT option (docs/portal-deployment.md#egress).

resource "aws_vpc_endpoint" "interface" {
  for_each = toset(local.interface_services)

  vpc_id              = aws_vpc.this.id
  service_name        = "com.amazonaws.${var.aws_region}.${each.key}"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = var.single_az_egress ? [aws_subnet.private[0].id] : aws_subnet.private[*].id
  security_group_ids  = [aws_security_group.endpoints[0].id]

  tags = { Name = "${var.name_prefix}-${each.key}" }
}

# ---------------------------------------------------------------------------
# Flow logs
# ---------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "flow_logs" {
  name              = "/aws/vpc/${var.name_prefix}/flow-logs"
  retention_in_days = var.log_retention_days
}

resource "aws_flow_log" "this" {
  vpc_id               = aws_vpc.this.id
  traffic_type         = var.flow_log_traffic_type
  log_destination_type = "cloud-watch-logs"
  log_destination      = aws_cloudwatch_log_group.flow_logs.arn
  iam_role_arn         = aws_iam_role.flow_logs.arn

  tags = { Name = "${var.name_prefix}-flow-logs" }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

data "aws_iam_policy_document" "flow_logs_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["vpc-flow-logs.amazonaws.com"]
    }

    # Confused-deputy guard: only flow logs of this account may use the role.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${data.aws_partition.current.partition}:ec2:${var.aws_region}:${data.aws_caller_identity.current.account_id}:vpc-flow-log/*"]
    }
  }
}

resource "aws_iam_role" "flow_logs" {
  name               = "${var.name_prefix}-vpc-flow-logs"
  assume_role_policy = data.aws_iam_policy_document.flow_logs_assume.json
}

data "aws_iam_policy_document" "flow_logs" {
  statement {
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "logs:DescribeLogGroups",
      "logs:DescribeLogStreams",
    ]
    resources = [
      aws_cloudwatch_log_group.flow_logs.arn,
      "${aws_cloudwatch_log_group.flow_logs.arn}:*",
    ]
  }
}

resource "aws_iam_role_policy" "flow_logs" {
  name   = "write-flow-logs"
  role   = aws_iam_role.flow_logs.id
  policy = data.aws_iam_policy_document.flow_logs.json
}

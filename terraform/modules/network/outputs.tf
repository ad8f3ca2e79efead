output "vpc_id" {
  description = "VPC ID."
  value       = aws_vpc.this.id
}

output "availability_zones" {
  description = "The two AZs in use."
  value       = local.azs
}

output "private_subnet_ids" {
  description = "Private subnets (functions, database, endpoints)."
  value       = aws_subnet.private[*].id
}

output "lambda_security_group_id" {
  description = "Security group of the functions."
  value       = aws_security_group.lambda.id
}

output "database_security_group_id" {
  description = "Security group of the database."
  value       = aws_security_group.database.id
}

output "proxy_security_group_id" {
  description = "Security group of RDS Proxy (null when disabled)."
  value       = var.enable_rds_proxy ? aws_security_group.proxy[0].id : null
}

output "nat_instance_ids" {
  description = "NAT instance IDs (egress_mode = nat_instance)."
  value       = aws_instance.nat[*].id
}

output "ipv6_egress" {
  description = "Whether the functions reach AWS over IPv6 (egress_mode = ipv6): their ipv6_allowed_for_dual_stack."
  value       = local.use_ipv6
}

output "egress_dependency_ids" {
  description = "IDs of the egress path for SQS/SNS/Secrets Manager (routes, NAT instances, interface endpoints)."
  value = concat(
    aws_route.private_nat_gateway[*].id,
    aws_route.private_nat_instance[*].id,
    aws_route.private_ipv6[*].id,
    aws_instance.nat[*].id,
    [for e in aws_vpc_endpoint.interface : e.id],
  )
}

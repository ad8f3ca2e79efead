output "site_origin" {
  description = "The portal's origin: https://<custom domain or distribution domain>."
  value       = local.site_origin
}

output "site_bucket_name" {
  description = "Bucket holding the web app (deploy.sh syncs web/ into it)."
  value       = aws_s3_bucket.site.id
}

output "distribution_id" {
  description = "CloudFront distribution ID (invalidations)."
  value       = aws_cloudfront_distribution.site.id
}

output "distribution_domain_name" {
  description = "CloudFront's domain name (the CNAME target for a custom domain)."
  value       = aws_cloudfront_distribution.site.domain_name
}

output "api_id" {
  description = "HTTP API ID."
  value       = aws_apigatewayv2_api.vendor.id
}

output "api_endpoint" {
  description = "The HTTP API's own URL (the portal uses it through CloudFront at <site>/api)."
  value       = aws_apigatewayv2_stage.default.invoke_url
}

output "user_pool_id" {
  description = "Vendor user pool ID."
  value       = aws_cognito_user_pool.vendors.id
}

output "user_pool_arn" {
  description = "Vendor user pool ARN."
  value       = aws_cognito_user_pool.vendors.arn
}

output "user_pool_client_id" {
  description = "The portal's app client ID."
  value       = aws_cognito_user_pool_client.portal.id
}

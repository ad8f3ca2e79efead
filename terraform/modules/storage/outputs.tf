output "bucket_name" {
  description = "Uploads bucket name."
  value       = aws_s3_bucket.this["uploads"].id
}

output "bucket_arn" {
  description = "Uploads bucket ARN."
  value       = aws_s3_bucket.this["uploads"].arn
}

output "access_logs_bucket_name" {
  description = "Server access log bucket name."
  value       = aws_s3_bucket.this["access-logs"].id
}

output "access_logs_bucket_arn" {
  description = "Server access log bucket ARN."
  value       = aws_s3_bucket.this["access-logs"].arn
}

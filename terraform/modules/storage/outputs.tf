output "bucket_name" {
  description = "Uploads bucket name."
  value       = aws_s3_bucket.uploads.id
}

output "bucket_arn" {
  description = "Uploads bucket ARN."
  value       = aws_s3_bucket.uploads.arn
}

output "access_logs_bucket_name" {
  description = "Server access log bucket name."
  value       = aws_s3_bucket.access_logs.id
}

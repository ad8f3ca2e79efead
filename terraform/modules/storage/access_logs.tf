# Server access logs of the uploads bucket (and of the portal's site bucket,
# var.extra_logged_bucket_names, each under "<bucket name>/") ("who uploaded what", requirements
# 5.4 layer 5), in the access-logs bucket of buckets.tf. S3 log delivery
# supports only SSE-S3 on the target bucket, so this bucket uses AES256 rather
# than the KMS key; it holds request metadata, not upload contents.

# Joined into the access-logs bucket policy (buckets.tf).
data "aws_iam_policy_document" "access_log_delivery" {
  statement {
    sid       = "S3ServerAccessLogDelivery"
    actions   = ["s3:PutObject"]
    resources = [for name in concat([local.bucket_name], var.extra_logged_bucket_names) : "${aws_s3_bucket.this["access-logs"].arn}/${name}/*"]

    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = concat([aws_s3_bucket.this["uploads"].arn], [for name in var.extra_logged_bucket_names : "arn:${data.aws_partition.current.partition}:s3:::${name}"])
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  bucket = aws_s3_bucket.this["access-logs"].id

  rule {
    id     = "expire-access-logs"
    status = "Enabled"

    filter {}

    # Logs are kept as long as the uploads they describe.
    expiration {
      days = var.upload_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 7
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

data "aws_partition" "current" {}

# The two buckets and the baseline both get: ACLs off (bucket owner enforced;
# the bucket policy is the only grant), no public access, versioning, default
# encryption (SSE-S3 for both: no customer managed key, terraform/kms.tf; S3
# server access log delivery supports nothing else anyway), and a policy that
# refuses plain HTTP. Only the uploads bucket also refuses TLS older than 1.2.
#
# Bucket-specific settings live next to their purpose: main.tf (uploads:
# lifecycle, access logging, the csv-parser trigger) and access_logs.tf (log
# delivery, lifecycle).

locals {
  buckets = {
    uploads = {
      name      = local.bucket_name
      sse       = "AES256"
      deny_from = ["DenyInsecureTransport", "DenyTlsOlderThan12"]
    }
    access-logs = {
      name      = "${var.name_prefix}-access-logs-${var.account_id}"
      sse       = "AES256"
      deny_from = ["DenyInsecureTransport"]
    }
  }

  # Deny statement => the request condition it refuses.
  transport_denials = {
    DenyInsecureTransport = { test = "Bool", variable = "aws:SecureTransport", values = ["false"] }
    DenyTlsOlderThan12    = { test = "NumericLessThan", variable = "s3:TlsVersion", values = ["1.2"] }
  }

  # Statements a bucket's policy holds besides the denials.
  bucket_policy_sources = {
    uploads     = []
    access-logs = [data.aws_iam_policy_document.access_log_delivery.json]
  }
}

resource "aws_s3_bucket" "this" {
  for_each = local.buckets

  bucket = each.value.name
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    object_ownership = "BucketOwnerEnforced" # ACLs off; log delivery is granted by bucket policy too
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = each.value.sse
    }
  }
}

data "aws_iam_policy_document" "bucket" {
  for_each = local.buckets

  source_policy_documents = local.bucket_policy_sources[each.key]

  dynamic "statement" {
    for_each = { for sid in each.value.deny_from : sid => local.transport_denials[sid] }
    content {
      sid     = statement.key
      effect  = "Deny"
      actions = ["s3:*"]
      resources = [
        aws_s3_bucket.this[each.key].arn,
        "${aws_s3_bucket.this[each.key].arn}/*",
      ]

      principals {
        type        = "*"
        identifiers = ["*"]
      }

      condition {
        test     = statement.value.test
        variable = statement.value.variable
        values   = statement.value.values
      }
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id
  policy = data.aws_iam_policy_document.bucket[each.key].json

  depends_on = [aws_s3_bucket_public_access_block.this]
}

# Uploads bucket:
#   uploads/<vendor_id>/<file>.csv              written by vendors (or an upload API)
#   errors/<vendor_id>/<upload_id>_errors.csv   error report, written by the error-processor
#   errors/<vendor_id>/<upload_id>_fix.csv      fix file (the failed rows), likewise
#   candidate/uploads/<vendor_id>/<file>.csv    the deploy script's smoke uploads (candidate lane)
# A new object under uploads/ invokes the csv-parser's `live` alias, one under
# candidate/uploads/ its `candidate` alias (docs/releases.md#the-candidate-lane-testing-new-versions-before-the-switch). There is
# no .csv suffix filter: S3 filters are case-sensitive, and a vendor's
# PRODUCTS.CSV or products.txt must get a clear failure, not silence.

locals {
  bucket_name = "${var.name_prefix}-uploads-${var.account_id}"
}

# The bucket itself and its baseline (ownership, public access, versioning,
# encryption, TLS-only policy) are in buckets.tf.

# Retention. Uploads and error reports are the audit trail of FR5 (>= 90 days),
# after which they expire; overwritten or deleted versions go after
# noncurrent_version_retention_days. No storage-class transitions: objects are
# small (<= 10 MB CSVs, reports of a few MB), and Standard-IA's 128 KB minimum
# charge, 30-day minimum and retrieval fees would cost more than they save.
resource "aws_s3_bucket_lifecycle_configuration" "uploads" {
  bucket = aws_s3_bucket.this["uploads"].id

  rule {
    id     = "uploads"
    status = "Enabled"

    filter {
      prefix = "uploads/"
    }

    expiration {
      days = var.upload_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_retention_days
    }
  }

  rule {
    id     = "error-reports"
    status = "Enabled"

    filter {
      prefix = "errors/"
    }

    expiration {
      days = var.error_report_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_retention_days
    }
  }

  # Smoke uploads prove a deployment; a week is enough to look at one.
  rule {
    id     = "candidate-uploads"
    status = "Enabled"

    filter {
      prefix = "candidate/"
    }

    expiration {
      days = 7
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }
  }

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_logging" "uploads" {
  bucket        = aws_s3_bucket.this["uploads"].id
  target_bucket = aws_s3_bucket.this["access-logs"].id
  target_prefix = "${local.bucket_name}/"

  depends_on = [aws_s3_bucket_policy.this]
}

# ---------------------------------------------------------------------------
# Triggers: ObjectCreated under uploads/ -> csv-parser:live, under
# candidate/uploads/ -> csv-parser:candidate
# ---------------------------------------------------------------------------

resource "aws_lambda_permission" "s3_invoke_csv_parser" {
  for_each = {
    live      = var.csv_parser_alias_name
    candidate = var.csv_parser_candidate_alias_name
  }

  statement_id   = "AllowS3InvokeFromUploadsBucket"
  action         = "lambda:InvokeFunction"
  function_name  = var.csv_parser_function_name
  qualifier      = each.value
  principal      = "s3.amazonaws.com"
  source_arn     = aws_s3_bucket.this["uploads"].arn
  source_account = var.account_id
}

moved {
  from = aws_lambda_permission.s3_invoke_csv_parser
  to   = aws_lambda_permission.s3_invoke_csv_parser["live"]
}

resource "aws_s3_bucket_notification" "uploads" {
  bucket = aws_s3_bucket.this["uploads"].id

  lambda_function {
    id                  = "csv-upload"
    lambda_function_arn = var.csv_parser_alias_arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = "uploads/"
  }

  lambda_function {
    id                  = "candidate-csv-upload"
    lambda_function_arn = var.csv_parser_candidate_alias_arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = "candidate/uploads/"
  }

  # S3 test-invokes the target while saving the configuration.
  depends_on = [aws_lambda_permission.s3_invoke_csv_parser]
}

# ---------------------------------------------------------------------------
# The vendor portal: browsers upload straight to the bucket with a presigned
# POST (form fields + file), from the portal's origin only. Nothing else is
# allowed cross-origin: report downloads are top-level navigations (302 to a
# presigned GET), which CORS does not govern.
# ---------------------------------------------------------------------------

resource "aws_s3_bucket_cors_configuration" "uploads" {
  count = length(var.cors_allowed_origins) > 0 ? 1 : 0

  bucket = aws_s3_bucket.this["uploads"].id

  cors_rule {
    id              = "portal-presigned-post"
    allowed_methods = ["POST"]
    allowed_origins = var.cors_allowed_origins
    allowed_headers = ["*"]
    expose_headers  = ["ETag", "Location"]
    max_age_seconds = 600
  }
}

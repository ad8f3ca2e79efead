# Staging table: one item per CSV row, written by the csv-parser, read from the
# stream by the product-validator, which then updates the item's status.
#
#   upload_id (S, hash) + record_id (S, range)  -> one upload's rows together
#   GSI vendor-index: vendor_id (S) + upload_id -> a vendor's uploads
#   stream NEW_IMAGE                            -> the validator sees the row
#   TTL on expires_at (epoch seconds)           -> rows clean themselves up
#
# On-demand billing: the table is idle between uploads and bursts to thousands
# of writes per second during one, which is the pattern on-demand prices best.

resource "aws_dynamodb_table" "staging" {
  name         = "${var.name_prefix}-staging"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "upload_id"
  range_key    = "record_id"

  attribute {
    name = "upload_id"
    type = "S"
  }

  attribute {
    name = "record_id"
    type = "S"
  }

  attribute {
    name = "vendor_id"
    type = "S"
  }

  # Keys only: nothing reads row attributes through the index (it answers
  # "which uploads has this vendor staged"), and with ALL every status
  # rewrite of a row was written to the index too: 4 write units per row
  # instead of 3 (docs/cost-levers.md).
  global_secondary_index {
    name            = "vendor-index"
    hash_key        = "vendor_id"
    range_key       = "upload_id"
    projection_type = "KEYS_ONLY"
  }

  stream_enabled   = true
  stream_view_type = "NEW_IMAGE"

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  # Encrypted with DynamoDB's AWS owned key (terraform/kms.tf): no charge,
  # no KMS requests.

  deletion_protection_enabled = var.deletion_protection
}

# Queues and topics. The queues are encrypted with SSE-SQS and the topic with
# aws/sns (terraform/kms.tf): no role needs a KMS grant for them.
#
#   <prefix>-errors            row errors and upload_complete notices
#                              (product-validator, csv-parser) -> error-processor
#   <prefix>-errors-candidate  the same for the candidate lane (the deploy
#                              script's smoke upload) -> error-processor:candidate
#   <prefix>-errors-dlq        messages that failed 3 error-processor attempts
#   <prefix>-stream-failures   on-failure destination of the stream mapping
#                              (batch metadata: shard and sequence range)
#   <prefix>-csv-parser-dlq    S3 events the csv-parser failed after 2 async retries
#   <prefix>-notifications     SNS topic, e-mail per vendor

locals {
  # AWS guidance for SQS-triggered Lambda: visibility timeout >= 6 x function
  # timeout, plus the batching window during which messages are already
  # in flight. Never below the 5 minutes the requirements ask for.
  errors_visibility_timeout_s = max(300, 6 * var.error_processor_timeout_s + var.errors_batching_window_s)

  dlq_retention_s = 1209600 # 14 days, the SQS maximum: time to investigate and redrive
}

# The three queues that hold what failed, for an operator to inspect and
# redrive; modules/observability alarms on any message in them.
resource "aws_sqs_queue" "dead_letter" {
  for_each = toset(["errors-dlq", "stream-failures", "csv-parser-dlq"])

  name                      = "${var.name_prefix}-${each.key}"
  message_retention_seconds = local.dlq_retention_s
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue" "errors" {
  name                       = "${var.name_prefix}-errors"
  visibility_timeout_seconds = local.errors_visibility_timeout_s
  message_retention_seconds  = 345600 # 4 days
  receive_wait_time_seconds  = 20
  sqs_managed_sse_enabled    = true

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dead_letter["errors-dlq"].arn
    maxReceiveCount     = 3
  })
}

# The candidate lane's errors queue: the errors queue's twin, so that the
# smoke upload of a deployment reaches the new error-processor version only.
# It shares the DLQ, whose alarm then also catches a failing candidate.
resource "aws_sqs_queue" "errors_candidate" {
  name                       = "${var.name_prefix}-errors-candidate"
  visibility_timeout_seconds = aws_sqs_queue.errors.visibility_timeout_seconds
  message_retention_seconds  = aws_sqs_queue.errors.message_retention_seconds
  receive_wait_time_seconds  = aws_sqs_queue.errors.receive_wait_time_seconds
  sqs_managed_sse_enabled    = true
  redrive_policy             = aws_sqs_queue.errors.redrive_policy
}

# Only the two errors queues may dead-letter into the DLQ.
resource "aws_sqs_queue_redrive_allow_policy" "errors_dlq" {
  queue_url = aws_sqs_queue.dead_letter["errors-dlq"].id

  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.errors.arn, aws_sqs_queue.errors_candidate.arn]
  })
}

resource "aws_sns_topic" "notifications" {
  name              = "${var.name_prefix}-notifications"
  kms_master_key_id = "alias/aws/sns"
}

# One e-mail subscription per vendor. The error-processor publishes with the
# message attribute vendor_id, and SNS delivers only to that vendor's address.
# E-mail subscriptions stay "pending confirmation" until the recipient clicks
# the link SNS sends.
resource "aws_sns_topic_subscription" "vendor_email" {
  for_each = var.vendor_notification_emails

  topic_arn           = aws_sns_topic.notifications.arn
  protocol            = "email"
  endpoint            = each.value
  filter_policy_scope = "MessageAttributes"
  filter_policy       = jsonencode({ vendor_id = [each.key] })
}

# Event sources, one lane per alias: `live` serves vendors; `candidate` gets
# only the deploy script's smoke uploads (candidate/uploads/), whose staged
# rows carry lane=candidate and whose messages go to the candidate errors
# queue (docs/releases.md#the-candidate-lane-testing-new-versions-before-the-switch). The two lanes share the stream
# (two readers per shard is DynamoDB's recommended maximum) and differ only
# in their filters and targets.

locals {
  errors_queue_concurrency = 2 # SQS mappings' minimum

  lanes = {
    live = {
      alias = aws_lambda_alias.live
      # Live rows have no lane attribute. The operator sits on the leaf
      # (lane.S): on the attribute itself it would not match as meant.
      stream_filter = {
        eventName = ["INSERT"]
        dynamodb  = { NewImage = { lane = { S = [{ exists = false }] } } }
      }
      errors_queue_arn = var.errors_queue_arn
    }
    candidate = {
      alias = aws_lambda_alias.candidate
      stream_filter = {
        eventName = ["INSERT"]
        dynamodb  = { NewImage = { lane = { S = ["candidate"] } } }
      }
      errors_queue_arn = var.candidate_errors_queue_arn
    }
  }
}

# --- S3 -> csv-parser (asynchronous) --------------------------------------
# The notification itself lives with the bucket (modules/storage). Async
# invocation policy: 2 retries, give up after 1 h, then the DLQ on the function.
resource "aws_lambda_function_event_invoke_config" "csv_parser" {
  for_each = local.lanes

  function_name                = aws_lambda_function.this["csv-parser"].function_name
  qualifier                    = each.value.alias["csv-parser"].name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 3600
}

# --- DynamoDB stream -> product-validator ----------------------------------
# Only INSERTs are delivered: a staged item is written once (the validator
# does not write the table), and a MODIFY (a row staged again by a retried
# parser) is not work.
# A failing batch is bisected to isolate the bad record; the function reports
# per-record failures (ReportBatchItemFailures) so good records are not
# retried. After 3 retries or 1 h the batch's metadata goes to
# <prefix>-stream-failures, and the shard moves on.
# Records of one upload share a partition key, so they are processed in order;
# parallelization_factor 2 lets two uploads on the same shard run side by side.
resource "aws_lambda_event_source_mapping" "staging_stream" {
  for_each = local.lanes

  event_source_arn  = var.staging_table_stream_arn
  function_name     = each.value.alias["product-validator"].arn
  starting_position = "LATEST"

  batch_size                         = 500
  maximum_batching_window_in_seconds = 5
  parallelization_factor             = 2
  function_response_types            = ["ReportBatchItemFailures"]
  bisect_batch_on_function_error     = true
  maximum_retry_attempts             = 3
  maximum_record_age_in_seconds      = 3600

  filter_criteria {
    filter {
      pattern = jsonencode(each.value.stream_filter)
    }
  }

  destination_config {
    on_failure {
      destination_arn = var.stream_failures_queue_arn
    }
  }

  depends_on = [aws_iam_role_policy.this]
}

# --- errors queue -> error-processor ---------------------------------------
# Up to 10 messages or var.errors_batching_window_s seconds per invocation, so
# one upload's errors become one report and one e-mail. maximum_concurrency 2
# (the minimum) per lane; both lanes together must stay within the function's
# reserved concurrency (checked below), or throttled invocations would raise
# receive counts and push live messages to the DLQ during a deployment.
resource "aws_lambda_event_source_mapping" "errors_queue" {
  for_each = local.lanes

  event_source_arn = each.value.errors_queue_arn
  function_name    = each.value.alias["error-processor"].arn

  batch_size                         = 10
  maximum_batching_window_in_seconds = var.errors_batching_window_s
  function_response_types            = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = local.errors_queue_concurrency
  }

  lifecycle {
    precondition {
      condition     = lookup(var.reserved_concurrency, "error-processor", -1) == -1 || lookup(var.reserved_concurrency, "error-processor", -1) >= local.errors_queue_concurrency * length(local.lanes)
      error_message = "The error-processor's reserved concurrency must be at least ${local.errors_queue_concurrency * length(local.lanes)} (maximum_concurrency ${local.errors_queue_concurrency} x ${length(local.lanes)} lanes), or -1."
    }
  }

  depends_on = [aws_iam_role_policy.this]
}

# The live lane's resources kept their addresses when the candidate lane came.
moved {
  from = aws_lambda_function_event_invoke_config.csv_parser
  to   = aws_lambda_function_event_invoke_config.csv_parser["live"]
}

moved {
  from = aws_lambda_event_source_mapping.staging_stream
  to   = aws_lambda_event_source_mapping.staging_stream["live"]
}

moved {
  from = aws_lambda_event_source_mapping.errors_queue
  to   = aws_lambda_event_source_mapping.errors_queue["live"]
}

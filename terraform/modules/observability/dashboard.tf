# One dashboard per environment: business metrics the functions emit as EMF
# (CloudWatch Embedded Metric Format log lines, namespace "ProductOnboarding")
# next to the AWS metrics of every component.
#
# EMF metrics (the functions' contract):
#   RowsParsed                       csv-parser
#   ProductsValidated                product-validator
#   ValidationErrors   [ErrorType]   product-validator
#   StageDuration      [Stage]       all (milliseconds)
#   ColdStart                        all
# SEARCH() expressions are used so the widgets show whatever dimension sets the
# functions attach (e.g. an extra FunctionName dimension) without edits here.

locals {
  emf_namespace = "ProductOnboarding"
  fn            = var.function_names
  period        = 300

  emf_search = {
    for m, stat in {
      RowsParsed        = "Sum"
      ProductsValidated = "Sum"
      ValidationErrors  = "Sum"
      StageDuration     = "p95"
      ColdStart         = "Sum"
    } : m => "SEARCH('Namespace=\"${local.emf_namespace}\" MetricName=\"${m}\"', '${stat}', ${local.period})"
  }

  db_metric_dims = var.database_engine == "rds" ? ["DBInstanceIdentifier", var.database_instance_id] : ["DBClusterIdentifier", var.database_cluster_id]

  widgets = [
    {
      type = "text", x = 0, y = 0, width = 24, height = 2
      properties = {
        markdown = "## ${var.name_prefix} product onboarding\nS3 `${var.upload_bucket_name}` → **csv-parser** → DynamoDB `${var.staging_table_name}` → **product-validator** → PostgreSQL / SQS `${var.errors_queue_name}` → **error-processor** → S3 report + SNS e-mail"
      }
    },
    {
      type = "metric", x = 0, y = 2, width = 8, height = 6
      properties = {
        title   = "Rows parsed / products validated"
        region  = var.aws_region
        view    = "timeSeries"
        stacked = false
        metrics = [
          [{ expression = local.emf_search.RowsParsed, id = "rows", label = "RowsParsed" }],
          [{ expression = local.emf_search.ProductsValidated, id = "valid", label = "ProductsValidated" }],
        ]
      }
    },
    {
      type = "metric", x = 8, y = 2, width = 8, height = 6
      properties = {
        title   = "Validation errors by type"
        region  = var.aws_region
        view    = "timeSeries"
        stacked = true
        metrics = [[{ expression = local.emf_search.ValidationErrors, id = "verr", label = "" }]]
      }
    },
    {
      type = "metric", x = 16, y = 2, width = 8, height = 6
      properties = {
        title   = "Stage duration p95 (ms) / cold starts"
        region  = var.aws_region
        view    = "timeSeries"
        stacked = false
        metrics = [
          [{ expression = local.emf_search.StageDuration, id = "stage", label = "" }],
          [{ expression = local.emf_search.ColdStart, id = "cold", label = "ColdStart", yAxis = "right" }],
        ]
      }
    },
    {
      type = "metric", x = 0, y = 8, width = 8, height = 6
      properties = {
        title   = "Invocations"
        region  = var.aws_region
        stat    = "Sum"
        period  = local.period
        metrics = [for k, name in local.fn : ["AWS/Lambda", "Invocations", "FunctionName", name, { label = k }]]
      }
    },
    {
      type = "metric", x = 8, y = 8, width = 8, height = 6
      properties = {
        title  = "Errors and throttles"
        region = var.aws_region
        stat   = "Sum"
        period = local.period
        metrics = concat(
          [for k, name in local.fn : ["AWS/Lambda", "Errors", "FunctionName", name, { label = "${k} errors" }]],
          [for k, name in local.fn : ["AWS/Lambda", "Throttles", "FunctionName", name, { label = "${k} throttles" }]],
        )
      }
    },
    {
      type = "metric", x = 16, y = 8, width = 8, height = 6
      properties = {
        title   = "Duration p95 (ms)"
        region  = var.aws_region
        stat    = "p95"
        period  = local.period
        metrics = [for k, name in local.fn : ["AWS/Lambda", "Duration", "FunctionName", name, { label = k }]]
      }
    },
    {
      type = "metric", x = 0, y = 14, width = 8, height = 6
      properties = {
        title  = "Stream iterator age (ms) / staging writes"
        region = var.aws_region
        period = 60
        metrics = [
          ["AWS/Lambda", "IteratorAge", "FunctionName", var.stream_consumer_function, { stat = "Maximum", label = "IteratorAge max" }],
          ["AWS/DynamoDB", "ConsumedWriteCapacityUnits", "TableName", var.staging_table_name, { stat = "Sum", yAxis = "right", label = "WCU consumed" }],
        ]
      }
    },
    {
      type = "metric", x = 8, y = 14, width = 8, height = 6
      properties = {
        title  = "Queues: visible messages"
        region = var.aws_region
        stat   = "Maximum"
        period = local.period
        metrics = concat(
          [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", var.errors_queue_name, { label = "errors" }]],
          [for q in var.dead_letter_queue_names : ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", q, { label = q }]],
        )
      }
    },
    {
      type = "metric", x = 16, y = 14, width = 8, height = 6
      properties = {
        title  = "Database CPU % / connections"
        region = var.aws_region
        period = local.period
        metrics = [
          concat(["AWS/RDS", "CPUUtilization"], local.db_metric_dims, [{ stat = "Average", label = "CPU %" }]),
          concat(["AWS/RDS", "DatabaseConnections"], local.db_metric_dims, [{ stat = "Maximum", yAxis = "right", label = "connections" }]),
        ]
      }
    },
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name_prefix
  dashboard_body = jsonencode({ widgets = local.widgets })
}

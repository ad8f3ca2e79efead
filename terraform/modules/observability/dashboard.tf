# One dashboard per environment: business metrics the functions emit as EMF
# (CloudWatch Embedded Metric Format log lines, namespace "ProductOnboarding")
# next to the AWS metrics of every component.
#
# EMF metrics, as the functions emit them (crates/onboarding-aws/src/metrics.rs,
# the functions' handlers). Every one has the dimension Function (csv-parser,
# product-validator or error-processor); one has a second one:
#   RowsParsed                            csv-parser: rows staged, per upload
#   PeakRss            bytes              csv-parser: peak resident memory after an upload
#   UploadsFailed                         csv-parser: files rejected as a whole
#   ProductsValidated                     product-validator: rows accepted, per batch
#   RowsRejected                          product-validator: rows with errors, per batch
#   ValidationErrors                      product-validator: errors, one line per
#                                         type with the type as property ErrorType
#   StageDuration      [Stage]  ms        parse (csv-parser, per upload), validate
#                                         (product-validator, per batch), report
#                                         (error-processor, report and e-mail per upload)
# Custom metrics are billed per series: 8 here. ErrorType as a dimension would
# add 11 and a cold-start metric 3, so errors by type and cold starts are Logs
# Insights widgets over the same log lines (the EMF record and Lambda's REPORT
# line with @initDuration) instead: docs/COST.md.
# SEARCH() expressions show every dimension set a metric has (one series per
# Function, ErrorType or Stage) without listing them here. The uploads and
# rows/s widgets name this environment's series exactly instead, because metric
# math needs single series: uploads are counted as samples (RowsParsed is
# emitted once per staged upload, UploadsFailed once per failed file, the
# error-processor's StageDuration[Stage=report] once per e-mailed upload), and
# rows/s is a period's sum divided by its length in seconds. RATE() would be
# the rate of change of the value, not rows per second.
# scripts/check_contract.py (metrics) checks that every metric named here is emitted. The Function
# dimension holds the deployed function name, so environments sharing an
# account and region keep separate series.

locals {
  emf_namespace = "ProductOnboarding"
  period        = 300

  # EMF metric => the statistic and label it is shown with. A label written
  # "$${PROP('Dim.X')}" reaches CloudWatch as the dynamic label ${PROP('Dim.X')}:
  # each series is named by its value of dimension X.
  emf_metrics = {
    RowsParsed        = { stat = "Sum", label = "RowsParsed" }
    PeakRss           = { stat = "Maximum", label = "PeakRss" }
    UploadsFailed     = { stat = "Sum", label = "UploadsFailed" }
    ProductsValidated = { stat = "Sum", label = "ProductsValidated" }
    RowsRejected      = { stat = "Sum", label = "RowsRejected" }
    ValidationErrors  = { stat = "Sum", label = "ValidationErrors" }
    StageDuration     = { stat = "p95", label = "$${PROP('Dim.Stage')}" }
  }

  # One widget line per EMF metric: a SEARCH over every dimension set it has.
  emf_lines = {
    for metric, shown in local.emf_metrics : metric => [{
      id         = lower(metric)
      label      = shown.label
      expression = "SEARCH('Namespace=\"${local.emf_namespace}\" MetricName=\"${metric}\"', '${shown.stat}', ${local.period})"
    }]
  }

  # "<namespace> <metric> <dimension> <value>" for each function, with its key as label.
  lambda_lines = {
    for metric in ["Invocations", "Errors", "Throttles", "Duration"] : metric => [
      for key, name in var.function_names : ["AWS/Lambda", metric, "FunctionName", name, { label = "${key} ${lower(metric)}" }]
    ]
  }

  parser    = var.function_names["csv-parser"]
  validator = var.function_names["product-validator"]
  reporter  = var.function_names["error-processor"]

  db_metric_dims = var.database_engine == "rds" ? ["DBInstanceIdentifier", var.database_instance_id] : ["DBClusterIdentifier", var.database_cluster_id]

  # The metric widgets, three per row, in reading order. Each entry holds the
  # widget's properties apart from the region.
  metric_widgets = [
    # --- what happened to the uploads and rows -------------------------------
    {
      title  = "Uploads per ${local.period / 60} min"
      period = local.period
      metrics = [
        [local.emf_namespace, "RowsParsed", "Function", local.parser, { id = "staged", stat = "SampleCount", label = "staged (csv-parser)" }],
        [local.emf_namespace, "UploadsFailed", "Function", local.parser, { id = "failed", stat = "Sum", label = "failed as a whole (csv-parser)" }],
        [{ id = "received", expression = "FILL(staged, 0) + FILL(failed, 0)", label = "received" }],
        [local.emf_namespace, "StageDuration", "Function", local.reporter, "Stage", "report", { id = "reported", stat = "SampleCount", label = "reported, e-mail sent (error-processor)" }],
      ]
    },
    {
      title  = "Rows/s (average over ${local.period / 60} min)"
      period = local.period
      metrics = [
        [local.emf_namespace, "RowsParsed", "Function", local.parser, { id = "parsed", stat = "Sum", visible = false }],
        [local.emf_namespace, "ProductsValidated", "Function", local.validator, { id = "valid", stat = "Sum", visible = false }],
        [local.emf_namespace, "RowsRejected", "Function", local.validator, { id = "rejected", stat = "Sum", visible = false }],
        [{ id = "parsed_per_s", expression = "parsed / PERIOD(parsed)", label = "parsed rows/s" }],
        [{ id = "judged_per_s", expression = "(FILL(valid, 0) + FILL(rejected, 0)) / PERIOD(valid)", label = "validated rows/s (accepted + rejected)" }],
      ]
    },
    {
      title   = "Rows parsed / validated / rejected"
      metrics = [local.emf_lines.RowsParsed, local.emf_lines.ProductsValidated, local.emf_lines.RowsRejected]
    },
    {
      title   = "Validation errors (all types; by type: the log widget below)"
      metrics = [local.emf_lines.ValidationErrors]
    },
    {
      title   = "Stage duration p95 (ms)"
      metrics = [local.emf_lines.StageDuration]
    },
    # --- how the functions are doing -------------------------------------------
    {
      title   = "Uploads failed as a whole"
      metrics = [local.emf_lines.UploadsFailed]
    },
    {
      title   = "csv-parser peak RSS (bytes)"
      metrics = [local.emf_lines.PeakRss]
    },
    {
      title   = "Invocations"
      stat    = "Sum"
      period  = local.period
      metrics = local.lambda_lines.Invocations
    },
    {
      title   = "Errors and throttles"
      stat    = "Sum"
      period  = local.period
      metrics = concat(local.lambda_lines.Errors, local.lambda_lines.Throttles)
    },
    {
      title   = "Duration p95 (ms)"
      stat    = "p95"
      period  = local.period
      metrics = local.lambda_lines.Duration
    },
    # --- the components between the functions ----------------------------------
    {
      title  = "Stream iterator age (ms) / staging writes"
      period = 60
      metrics = [
        ["AWS/Lambda", "IteratorAge", "FunctionName", var.stream_consumer_function, { stat = "Maximum", label = "IteratorAge max" }],
        ["AWS/DynamoDB", "ConsumedWriteCapacityUnits", "TableName", var.staging_table_name, { stat = "Sum", yAxis = "right", label = "WCU consumed" }],
      ]
    },
    {
      title  = "Queues: visible messages"
      stat   = "Maximum"
      period = local.period
      metrics = [
        for queue in concat([var.errors_queue_name], var.dead_letter_queue_names) :
        ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queue, { label = queue }]
      ]
    },
    {
      title  = "Database CPU % / connections"
      period = local.period
      metrics = [
        concat(["AWS/RDS", "CPUUtilization"], local.db_metric_dims, [{ stat = "Average", label = "CPU %" }]),
        concat(["AWS/RDS", "DatabaseConnections"], local.db_metric_dims, [{ stat = "Maximum", yAxis = "right", label = "connections" }]),
      ]
    },
  ]

  log_group = { for key, name in var.function_names : key => "/aws/lambda/${name}" }

  # Logs Insights widgets, after the metric widgets. Queries scan only the
  # dashboard's time range, at USD 0.005 per GB scanned.
  log_widgets = [
    {
      title = "Validation errors by type"
      view  = "bar"
      query = "SOURCE '${local.log_group["product-validator"]}' | filter ispresent(ErrorType) and ispresent(ValidationErrors) | stats sum(ValidationErrors) as errors by ErrorType | sort errors desc"
    },
    {
      title = "Cold starts (Lambda REPORT lines with an init duration)"
      view  = "table"
      query = "${join(" | ", [for key in ["csv-parser", "product-validator", "error-processor"] : "SOURCE '${local.log_group[key]}'"])} | filter @type = \"REPORT\" and ispresent(@initDuration) | stats count(*) as cold_starts, avg(@initDuration) as avg_init_ms, max(@initDuration) as max_init_ms by @log"
    },
  ]

  widgets = concat(
    [{
      type = "text", x = 0, y = 0, width = 24, height = 2
      properties = {
        markdown = "## ${var.name_prefix} product onboarding\nS3 `${var.upload_bucket_name}` → **csv-parser** → DynamoDB `${var.staging_table_name}` → **product-validator** → PostgreSQL / SQS `${var.errors_queue_name}` → **error-processor** → S3 report + SNS e-mail"
      }
    }],
    [
      for i, properties in local.metric_widgets : {
        type       = "metric"
        x          = (i % 3) * 8
        y          = 2 + floor(i / 3) * 6
        width      = 8
        height     = 6
        properties = merge({ region = var.aws_region, view = "timeSeries" }, properties)
      }
    ],
    [
      for i, properties in local.log_widgets : {
        type       = "log"
        x          = ((length(local.metric_widgets) + i) % 3) * 8
        y          = 2 + floor((length(local.metric_widgets) + i) / 3) * 6
        width      = 8
        height     = 6
        properties = merge({ region = var.aws_region }, properties)
      }
    ],
  )
}

# Optional (var.create_dashboard): USD 3/month at list price, and the operator
# console's function monitor (docs/console.md) charts the same invocations,
# errors and durations from CloudWatch without it.
resource "aws_cloudwatch_dashboard" "this" {
  count = var.create_dashboard ? 1 : 0

  dashboard_name = var.name_prefix
  dashboard_body = jsonencode({ widgets = local.widgets })
}

# Alarms publish to <prefix>-alarms (KMS-encrypted; the key policy lets
# CloudWatch and Budgets use the key), and so do the budget's alerts
# (budget.tf). Subscribe people with var.alarm_emails.
#
#   <function> errors / throttles      any in 5 minutes
#   <queue> depth (DLQs)               any message at all
#   errors queue oldest message        > 15 minutes: error-processor is not keeping up
#   stream iterator age                > 2 minutes: validation lags behind uploads
#   database CPU / connections / disk  sustained CPU > 80%, connections > 80%, < 2 GiB free
#   NAT instance status check          failed (egress for SQS/SNS/Secrets Manager is down)
#   vendor API 5xx (with the portal)   any in 5 minutes (the vendor-api's own errors and
#                                      throttles are covered by the function alarms)

# Not encrypted: CloudWatch alarms and AWS Budgets publish without caller
# credentials, so an encrypted topic needs a key policy that names them, and
# aws/sns's cannot be edited (terraform/kms.tf). The messages are alarm names
# and states.
resource "aws_sns_topic" "alarms" {
  name = "${var.name_prefix}-alarms"
}

# Who may publish: CloudWatch alarms and AWS Budgets of this account (each as
# a service principal, limited to this account's alarms and budgets), and IAM
# principals of this account that their IAM policies allow (operators testing
# the topic). The policy replaces SNS's default one.
data "aws_iam_policy_document" "alarm_topic" {
  statement {
    sid       = "AccountPrincipalsThroughIam"
    actions   = ["SNS:Publish", "SNS:Subscribe", "SNS:GetTopicAttributes", "SNS:ListSubscriptionsByTopic"]
    resources = [aws_sns_topic.alarms.arn]
    principals {
      type        = "AWS"
      identifiers = ["arn:${var.partition}:iam::${var.account_id}:root"]
    }
  }

  # The services that publish alarms and budget alerts, each limited to this
  # account's own alarms or budgets (the Budgets statement is the one the AWS
  # Budgets user guide gives in "Creating an Amazon SNS topic for budget
  # notifications").
  dynamic "statement" {
    for_each = {
      CloudWatchAlarmsPublish = { service = "cloudwatch.amazonaws.com", source_arn = "arn:${var.partition}:cloudwatch:${var.aws_region}:${var.account_id}:alarm:*" }
      BudgetsPublish          = { service = "budgets.amazonaws.com", source_arn = "arn:${var.partition}:budgets::${var.account_id}:*" }
    }
    content {
      sid       = statement.key
      actions   = ["SNS:Publish"]
      resources = [aws_sns_topic.alarms.arn]
      principals {
        type        = "Service"
        identifiers = [statement.value.service]
      }
      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [var.account_id]
      }
      condition {
        test     = "ArnLike"
        variable = "aws:SourceArn"
        values   = [statement.value.source_arn]
      }
    }
  }
}

resource "aws_sns_topic_policy" "alarms" {
  arn    = aws_sns_topic.alarms.arn
  policy = data.aws_iam_policy_document.alarm_topic.json
}

resource "aws_sns_topic_subscription" "alarm_email" {
  for_each = toset(var.alarm_emails)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

# Every alarm is one entry of local.alarms, keyed by what it watches. Unless an
# entry says otherwise: Maximum over 5 minutes, one period, "greater than",
# and no data is fine (a quiet pipeline reports nothing).

locals {
  alarm_actions = [aws_sns_topic.alarms.arn]

  alarm_defaults = {
    statistic  = "Maximum"
    period     = 300
    periods    = 1
    comparison = "GreaterThanThreshold"
    missing    = "notBreaching"
  }

  db_dimensions = var.database_engine == "rds" ? tomap({ DBInstanceIdentifier = var.database_instance_id }) : tomap({ DBClusterIdentifier = var.database_cluster_id })
  db_name       = var.database_engine == "rds" ? var.database_instance_id : var.database_cluster_id

  # --- functions: any error or throttle in 5 minutes -----------------------
  # Account-wide by default: AWS/Lambda's Errors and Throttles without a
  # FunctionName dimension are one metric each for every function in the
  # account and region, so two alarms watch all the functions (within
  # CloudWatch's ten free alarm metrics) where one per function would be
  # charged from the eleventh. The alarm then says "a function failed", and
  # the console's monitor (or the dashboard) says which. In an account shared
  # with other workloads, set per_function_alarms = true.
  function_alarm_metrics = {
    Errors    = "returned errors (check its log group and the DLQs)"
    Throttles = "was throttled: reserved concurrency reached (or account limit)"
  }
  function_alarm_targets = var.per_function_alarms ? var.function_names : { lambda = "${var.name_prefix}-functions" }
  function_alarms = merge([
    for key, name in local.function_alarm_targets : {
      for metric, meaning in local.function_alarm_metrics : "${key}-${lower(metric)}" => {
        name        = "${name}-${lower(metric)}"
        description = var.per_function_alarms ? "${name} ${meaning}." : "A function of this account and region ${meaning}; the console's monitor shows which."
        namespace   = "AWS/Lambda"
        metric      = metric
        dimensions  = var.per_function_alarms ? { FunctionName = name } : {}
        statistic   = "Sum"
        threshold   = 1
        comparison  = "GreaterThanOrEqualToThreshold"
      }
    }
  ]...)

  # --- queues: dead letters must stay at zero --------------------------------
  dead_letter_alarms = {
    for queue in var.dead_letter_queue_names : "${queue}-not-empty" => {
      name        = "${queue}-not-empty"
      description = "${queue} holds messages that failed processing; inspect and redrive."
      namespace   = "AWS/SQS"
      metric      = "ApproximateNumberOfMessagesVisible"
      dimensions  = { QueueName = queue }
      threshold   = 0
    }
  }

  # --- egress: one per NAT instance ------------------------------------------
  # Keyed by position: the instance IDs are unknown until apply, their number is not.
  nat_alarms = {
    for i, id in var.nat_instance_ids : "nat-${i}-status" => {
      name        = "${var.name_prefix}-nat-${i}-status"
      description = "NAT instance failed a status check: functions cannot reach SQS, SNS or Secrets Manager."
      namespace   = "AWS/EC2"
      metric      = "StatusCheckFailed"
      dimensions  = { InstanceId = id }
      periods     = 2
      threshold   = 1
      comparison  = "GreaterThanOrEqualToThreshold"
      missing     = "missing"
    }
  }

  # --- backlogs: validation or reporting falls behind ------------------------
  backlog_alarms = {
    stream-iterator-age = {
      name        = "${var.stream_consumer_function}-iterator-age"
      description = "Stream records wait more than 2 minutes for validation."
      namespace   = "AWS/Lambda"
      metric      = "IteratorAge"
      dimensions  = { FunctionName = var.stream_consumer_function }
      period      = 60
      periods     = 3
      threshold   = 120000 # ms
    }
    errors-queue-backlog = {
      name        = "${var.errors_queue_name}-backlog"
      description = "Oldest message in the errors queue is older than 15 minutes."
      namespace   = "AWS/SQS"
      metric      = "ApproximateAgeOfOldestMessage"
      dimensions  = { QueueName = var.errors_queue_name }
      threshold   = 900 # s
    }
  }

  # --- database (a paused Aurora cluster reports nothing, which is fine) ------
  database_alarms = {
    db-cpu = {
      name        = "${local.db_name}-cpu"
      description = "Database CPU above 80% for 15 minutes."
      namespace   = "AWS/RDS"
      metric      = "CPUUtilization"
      dimensions  = local.db_dimensions
      statistic   = "Average"
      periods     = 3
      threshold   = 80 # %
    }
    db-connections = {
      name        = "${local.db_name}-connections"
      description = "Connections above 80% of max_connections: lower reserved concurrency, grow the instance or enable RDS Proxy."
      namespace   = "AWS/RDS"
      metric      = "DatabaseConnections"
      dimensions  = local.db_dimensions
      threshold   = floor(var.database_max_connections * 0.8)
    }
    # Aurora storage grows automatically; only the RDS instance can fill up
    # (filtered below).
    db-free-storage = {
      name        = "${local.db_name}-free-storage"
      description = "Less than 2 GiB of free storage (autoscaling may be at its ceiling)."
      namespace   = "AWS/RDS"
      metric      = "FreeStorageSpace"
      dimensions  = local.db_dimensions
      statistic   = "Minimum"
      threshold   = 2147483648 # bytes
      comparison  = "LessThanThreshold"
      missing     = "missing"
    }
  }

  # --- the portal's HTTP API: answers the browser could not use ---------------
  # 5xx counts the function's 500s (which Lambda does not count as Errors:
  # the function answered), integration timeouts and failures.
  api_alarms = var.api_id == null ? {} : {
    api-5xx = {
      name        = "${var.name_prefix}-vendor-api-5xx"
      description = "The vendor API answered 5xx (function failures, timeouts, or a database that is unavailable or resuming)."
      namespace   = "AWS/ApiGateway"
      metric      = "5xx"
      dimensions  = { ApiId = var.api_id }
      statistic   = "Sum"
      threshold   = 1
      comparison  = "GreaterThanOrEqualToThreshold"
    }
  }

  alarms = merge(
    local.api_alarms,
    local.function_alarms,
    local.dead_letter_alarms,
    local.backlog_alarms,
    { for key, alarm in local.database_alarms : key => alarm if key != "db-free-storage" || var.database_engine == "rds" },
    local.nat_alarms,
  )
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = { for key, alarm in local.alarms : key => merge(local.alarm_defaults, alarm) }

  alarm_name          = each.value.name
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = each.value.period
  evaluation_periods  = each.value.periods
  threshold           = each.value.threshold
  comparison_operator = each.value.comparison
  treat_missing_data  = each.value.missing
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

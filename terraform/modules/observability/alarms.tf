# Alarms publish to <prefix>-alarms (KMS-encrypted; the key policy lets
# CloudWatch use the key). Subscribe people with var.alarm_emails.
#
#   <function> errors / throttles      any in 5 minutes
#   <queue> depth (DLQs)               any message at all
#   errors queue oldest message        > 15 minutes: error-processor is not keeping up
#   stream iterator age                > 2 minutes: validation lags behind uploads
#   database CPU / connections / disk  sustained CPU > 80%, connections > 80%, < 2 GiB free
#   NAT instance status check          failed (egress for SQS/SNS/Secrets Manager is down)

resource "aws_sns_topic" "alarms" {
  name              = "${var.name_prefix}-alarms"
  kms_master_key_id = var.kms_key_arn
}

resource "aws_sns_topic_subscription" "alarm_email" {
  for_each = toset(var.alarm_emails)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

locals {
  alarm_actions = [aws_sns_topic.alarms.arn]
}

# --- functions -------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "function_errors" {
  for_each = var.function_names

  alarm_name          = "${each.value}-errors"
  alarm_description   = "${each.value} returned errors (check its log group and the DLQs)."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = each.value }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "function_throttles" {
  for_each = var.function_names

  alarm_name          = "${each.value}-throttles"
  alarm_description   = "${each.value} was throttled: reserved concurrency reached (or account limit)."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = each.value }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "stream_iterator_age" {
  alarm_name          = "${var.stream_consumer_function}-iterator-age"
  alarm_description   = "Stream records wait more than 2 minutes for validation."
  namespace           = "AWS/Lambda"
  metric_name         = "IteratorAge"
  dimensions          = { FunctionName = var.stream_consumer_function }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 3
  threshold           = 120000 # ms
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# --- queues ----------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "dead_letter_depth" {
  for_each = toset(var.dead_letter_queue_names)

  alarm_name          = "${each.value}-not-empty"
  alarm_description   = "${each.value} holds messages that failed processing; inspect and redrive."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.value }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "errors_queue_age" {
  alarm_name          = "${var.errors_queue_name}-backlog"
  alarm_description   = "Oldest message in the errors queue is older than 15 minutes."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = var.errors_queue_name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 900
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# --- database --------------------------------------------------------------

locals {
  db_dimensions = var.database_engine == "rds" ? tomap({ DBInstanceIdentifier = var.database_instance_id }) : tomap({ DBClusterIdentifier = var.database_cluster_id })
  db_name       = var.database_engine == "rds" ? var.database_instance_id : var.database_cluster_id
}

resource "aws_cloudwatch_metric_alarm" "db_cpu" {
  alarm_name          = "${local.db_name}-cpu"
  alarm_description   = "Database CPU above 80% for 15 minutes."
  namespace           = "AWS/RDS"
  metric_name         = "CPUUtilization"
  dimensions          = local.db_dimensions
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 3
  threshold           = 80
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching" # a paused Aurora cluster reports nothing
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "db_connections" {
  alarm_name          = "${local.db_name}-connections"
  alarm_description   = "Connections above 80% of max_connections: lower reserved concurrency, grow the instance or enable RDS Proxy."
  namespace           = "AWS/RDS"
  metric_name         = "DatabaseConnections"
  dimensions          = local.db_dimensions
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = floor(var.database_max_connections * 0.8)
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "db_free_storage" {
  # Aurora storage grows automatically; only the RDS instance can fill up.
  count = var.database_engine == "rds" ? 1 : 0

  alarm_name          = "${local.db_name}-free-storage"
  alarm_description   = "Less than 2 GiB of free storage (autoscaling may be at its ceiling)."
  namespace           = "AWS/RDS"
  metric_name         = "FreeStorageSpace"
  dimensions          = local.db_dimensions
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 2147483648 # bytes
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# --- egress ----------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "nat_instance_status" {
  count = length(var.nat_instance_ids) # IDs are unknown until apply; the count is not

  alarm_name          = "${var.name_prefix}-nat-${count.index}-status"
  alarm_description   = "NAT instance failed a status check: functions cannot reach SQS, SNS or Secrets Manager."
  namespace           = "AWS/EC2"
  metric_name         = "StatusCheckFailed"
  dimensions          = { InstanceId = var.nat_instance_ids[count.index] }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 2
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

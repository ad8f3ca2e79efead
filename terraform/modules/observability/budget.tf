# Monthly cost budget with alerts at 80% of actual spend and 100% of forecast
# spend. Each alert goes to the alarm topic (<prefix>-alarms, so whoever gets
# the alarms gets it, with no extra variable) and to budget_alert_emails, if
# any. The topic's policy (alarms.tf) lets budgets.amazonaws.com publish;
# without it Budgets drops the notification. Budgets are per account: without the tag filter this budget
# watches the whole account, which is right when the account holds one
# environment. To give each environment its own budget, activate the
# "Environment" cost allocation tag (Billing console) and set
# budget_filter_by_environment_tag = true.

locals {
  budget_notifications = {
    actual_80    = { type = "ACTUAL", threshold = 80 }
    forecast_100 = { type = "FORECASTED", threshold = 100 }
  }
}

resource "aws_budgets_budget" "monthly" {
  name         = "${var.name_prefix}-monthly"
  budget_type  = "COST"
  limit_amount = format("%.2f", var.monthly_budget_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  dynamic "cost_filter" {
    for_each = var.budget_environment_tag == null ? [] : [var.budget_environment_tag]
    content {
      name   = "TagKeyValue"
      values = [join("$", ["user:Environment", cost_filter.value])]
    }
  }

  dynamic "notification" {
    for_each = local.budget_notifications
    content {
      notification_type          = notification.value.type
      comparison_operator        = "GREATER_THAN"
      threshold                  = notification.value.threshold
      threshold_type             = "PERCENTAGE"
      subscriber_email_addresses = var.budget_alert_emails
      subscriber_sns_topic_arns  = [aws_sns_topic.alarms.arn]
    }
  }
}

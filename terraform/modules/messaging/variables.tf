variable "name_prefix" {
  description = "Prefix for every name."
  type        = string
}

variable "error_processor_timeout_s" {
  description = "Timeout of the error-processor; the errors queue's visibility timeout is derived from it."
  type        = number
}

variable "errors_batching_window_s" {
  description = "Batching window of the errors queue event source mapping."
  type        = number
}

variable "vendor_notification_emails" {
  description = "vendor_id => e-mail address."
  type        = map(string)
}

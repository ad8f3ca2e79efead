output "errors_queue_url" {
  description = "URL of the errors queue."
  value       = aws_sqs_queue.errors.url
}

output "errors_queue_arn" {
  description = "ARN of the errors queue."
  value       = aws_sqs_queue.errors.arn
}

output "candidate_errors_queue_url" {
  description = "URL of the candidate lane's errors queue."
  value       = aws_sqs_queue.errors_candidate.url
}

output "candidate_errors_queue_arn" {
  description = "ARN of the candidate lane's errors queue."
  value       = aws_sqs_queue.errors_candidate.arn
}

output "errors_queue_name" {
  description = "Name of the errors queue."
  value       = aws_sqs_queue.errors.name
}

output "errors_queue_visibility_timeout_s" {
  description = "Visibility timeout of the errors queue."
  value       = aws_sqs_queue.errors.visibility_timeout_seconds
}

output "errors_dlq_url" {
  description = "URL of the errors queue's dead-letter queue (the console lists and redrives it)."
  value       = aws_sqs_queue.dead_letter["errors-dlq"].url
}

output "errors_dlq_arn" {
  description = "ARN of the errors queue's dead-letter queue."
  value       = aws_sqs_queue.dead_letter["errors-dlq"].arn
}

output "csv_parser_dlq_url" {
  description = "URL of the csv-parser async DLQ (the console lists it)."
  value       = aws_sqs_queue.dead_letter["csv-parser-dlq"].url
}

output "stream_failures_queue_url" {
  description = "URL of the stream on-failure queue (the console lists it)."
  value       = aws_sqs_queue.dead_letter["stream-failures"].url
}

output "stream_failures_queue_arn" {
  description = "ARN of the stream on-failure queue."
  value       = aws_sqs_queue.dead_letter["stream-failures"].arn
}

output "csv_parser_dlq_arn" {
  description = "ARN of the csv-parser async DLQ."
  value       = aws_sqs_queue.dead_letter["csv-parser-dlq"].arn
}

output "dead_letter_queue_names" {
  description = "Queues whose depth must stay at zero (alarmed)."
  value       = [for queue in aws_sqs_queue.dead_letter : queue.name]
}

output "notification_topic_arn" {
  description = "ARN of the vendor notification topic."
  value       = aws_sns_topic.notifications.arn
}

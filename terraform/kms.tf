# No customer managed KMS key (issue 18). Everything is still encrypted at
# rest, with keys AWS manages, because a customer managed key (USD 1/month and
# its requests) would add a control this deployment does not use: no other
# account is granted the data, nothing relies on disabling the key as a kill
# switch, and who may read what is decided by the bucket policy, the roles'
# IAM policies and the secrets' own permissions, not by a key policy. Per use:
#
#   uploads bucket            SSE-S3 (modules/storage/buckets.tf)
#   staging table + stream    DynamoDB's AWS owned key
#   queues                    SSE-SQS
#   notification topic        aws/sns (the error-processor and vendor-api
#                             publish with their role credentials)
#   alarm topic               none: CloudWatch alarms and AWS Budgets cannot
#                             publish to a topic under aws/sns, whose key
#                             policy cannot be edited; it carries alarm names
#                             and states, never upload contents
#   log groups                CloudWatch Logs' own encryption
#   database storage, PI      aws/rds
#   database secrets          aws/secretsmanager
#   environment variables     aws/lambda
#
# What was given up: one key policy that lists every service allowed to
# decrypt, and a single key to disable in an incident. To bring one back, add
# an aws_kms_key here and pass its ARN where a comment above names the default
# (docs/cost-levers.md lists the places).

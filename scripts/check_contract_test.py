#!/usr/bin/env python3
"""The contract check's own test: breaks the Terraform (in a scratch copy) or
the contract data, one way at a time, and expects scripts/check_contract.py to
say so; then expects the unbroken copy to pass.

    .venv/contract/bin/python scripts/check_contract_test.py --contract FILE [--root DIR]

FILE is the output of `onboard contract --json`. Exit status 0 when every
break is caught, 1 when one is not.
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import sys
import tempfile
from pathlib import Path

from check_contract import outcome

# (what, file or CONTRACT, text to replace or a function of the contract, replacement, expected exit, expected message)
CONTRACT = "contract"
FN = "terraform/modules/functions"


def fn_of(contract, name):
    return next(f for f in contract["functions"] if f["name"] == name)


MUTATIONS = [
    ("the admins group renamed in Terraform", "terraform/modules/portal/cognito.tf", 'name         = "admins"', 'name         = "operators"', 1, "the admin API requires the Cognito group 'admins'"),
    ("API Gateway routes only the uploads, not the admin API", "terraform/modules/portal/api.tf", 'route_key          = "ANY /api/{proxy+}"', 'route_key          = "ANY /api/uploads/{proxy+}"', 1, "[portal] routes ANY /api/{proxy+}: Terraform '(absent)', the contract 'vendor-api'"),
    ("the product-validator is configured with the master secret", f"{FN}/main.tf", '{ DATABASE_SECRET_ID = var.function_secret_arns["product-validator"] }', '{ DATABASE_SECRET_ID = var.database_secret_arn }', 1, "product-validator's DATABASE_SECRET_ID is secret:master (the master secret)"),
    ("every role may read the master secret again", f"{FN}/iam.tf", "resources = [var.function_secret_arns[each.key]]", "resources = [var.function_secret_arns[each.key], var.database_secret_arn]", 1, "role may secretsmanager:GetSecretValue the master secret"),
    ("Terraform stops setting ERROR_QUEUE_URL", f"{FN}/main.tf", "    ERROR_QUEUE_URL           = var.errors_queue_url\n", "", 1, "csv-parser requires ERROR_QUEUE_URL"),
    ("the error-processor reads a new variable", CONTRACT, lambda c: fn_of(c, "error-processor")["variables"].append({"name": "ARCHIVE_BUCKET", "required": True}), None, 1, "error-processor requires ARCHIVE_BUCKET"),
    ("Terraform sets a variable nobody reads", f"{FN}/main.tf", "STAGING_TABLE = var.staging_table_name }", "STAGING_TABLE = var.staging_table_name, STAGING_INDEX = \"vendor-index\" }", 1, "Terraform sets STAGING_INDEX for csv-parser, but csv-parser never reads it"),
    ("the csv-parser role loses s3:GetObjectVersion", f"{FN}/iam.tf", 'actions = ["s3:GetObject", "s3:GetObjectVersion"]', 'actions = ["s3:GetObject"]', 1, "csv-parser needs s3:GetObjectVersion"),
    ("the error-processor role gains s3:DeleteObject", f"{FN}/iam.tf", 'actions   = ["s3:PutObject", "s3:GetObject"]', 'actions   = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"]', 1, "error-processor's role allows s3:DeleteObject"),
    ("the csv-parser stages rows on the wrong resource", f"{FN}/iam.tf", '    actions   = ["dynamodb:BatchWriteItem"]\n    resources = [var.staging_table_arn]\n  }\n\n  statement {\n    sid       = "QueueFailedUploadNotices"',
     '    actions   = ["dynamodb:BatchWriteItem"]\n    resources = [var.staging_table_stream_arn]\n  }\n\n  statement {\n    sid       = "QueueFailedUploadNotices"', 1, "csv-parser needs dynamodb:BatchWriteItem on table:staging"),
    ("the code needs a permission Terraform does not grant", CONTRACT, lambda c: fn_of(c, "csv-parser")["permissions"].append({"actions": ["s3:DeleteObject"], "resources": ["bucket:uploads/uploads/*"], "by": "code", "why": "test"}), None, 1, "csv-parser needs s3:DeleteObject on bucket:uploads/uploads/*"),
    ("Terraform renames the errors queue", "terraform/modules/messaging/main.tf", '"${var.name_prefix}-errors"', '"${var.name_prefix}-error-queue"', 1, "queues error-queue: Terraform"),
    ("the contract renames the stream-failures queue", CONTRACT, lambda c: c["queues"][3].update(name="stream-dlq"), None, 1, "queues stream-dlq: Terraform '(absent)'"),
    ("the staging table's TTL attribute differs", CONTRACT, lambda c: c["table"].update(ttl_attribute="ttl"), None, 1, "table ttl_attribute: Terraform 'expires_at', the contract 'ttl'"),
    ("Terraform stops setting COGNITO_CLIENT_ID for the vendor-api", f"{FN}/main.tf", '    API_PART             = "data"\n    UPLOAD_BUCKET        = var.upload_bucket_name\n    COGNITO_USER_POOL_ID = var.cognito_user_pool_id\n    COGNITO_CLIENT_ID    = var.cognito_client_id\n',
     '    API_PART             = "data"\n    UPLOAD_BUCKET        = var.upload_bucket_name\n    COGNITO_USER_POOL_ID = var.cognito_user_pool_id\n', 1, "vendor-api requires COGNITO_CLIENT_ID"),
    ("the vendor-auth role loses AdminUpdateUserAttributes", f"{FN}/iam.tf", 'actions   = ["cognito-idp:AdminUpdateUserAttributes"]', 'actions   = []', 1, "vendor-auth needs cognito-idp:AdminUpdateUserAttributes"),
    ("vendor-auth is put in the VPC", "terraform/main.tf", 'image = "vendor-api", in_vpc = false }', 'image = "vendor-api", in_vpc = true }', 1, "vendor-auth in_vpc: Terraform True, the contract False"),
    ("vendor-auth runs an image of its own", "terraform/main.tf", 'image = "vendor-api", in_vpc = false }', 'in_vpc = false }', 1, "vendor-auth image: Terraform 'vendor-auth', the contract 'vendor-api'"),
    ("vendor-auth is given a database secret", f"{FN}/main.tf", '"vendor-auth" = merge(local.log_env, local.vendor_auth_env)', '"vendor-auth" = merge(local.log_env, local.vendor_auth_env, { DATABASE_SECRET_ID = var.function_secret_arns["vendor-api"] })', 1, "Terraform sets DATABASE_SECRET_ID for vendor-auth, but vendor-auth never reads it"),
    ("vendor-auth's role gets the VPC functions' statements", f"{FN}/iam.tf", 'source_policy_documents = [data.aws_iam_policy_document.common["vendor-auth"].json]',
     'source_policy_documents = [data.aws_iam_policy_document.common["vendor-auth"].json, data.aws_iam_policy_document.in_vpc["vendor-auth"].json]', 1, "vendor-auth's role allows ec2:CreateNetworkInterface on *"),
    ("API Gateway sends log-in to the data part", "terraform/modules/portal/api.tf", '    "POST /api/auth/login",\n', '', 1, "[portal] routes POST /api/auth/login: Terraform '(absent)', the contract 'vendor-auth'"),
    ("API Gateway sends log-out to the auth part", "terraform/modules/portal/api.tf", '    "POST /api/auth/revoke",\n', '    "POST /api/auth/revoke",\n    "POST /api/auth/logout",\n', 1, "[portal] routes POST /api/auth/logout: Terraform 'vendor-auth', the contract '(absent)'"),
    ("vendor-auth is told to serve the data part", f"{FN}/main.tf", 'API_PART             = "auth"', 'API_PART             = "data"', 1, "portal parts (API_PART) vendor-auth: Terraform 'data', the contract 'auth'"),
    ("the console may no longer query the csv-parser's logs", f"{FN}/iam.tf", '      aws_cloudwatch_log_group.this["csv-parser"].arn,\n', '', 1, "vendor-api needs logs:StartQuery on log-group:csv-parser"),
    ("the console may delete messages of every dead-letter queue", f"{FN}/iam.tf", '    actions   = ["sqs:DeleteMessage"]\n    resources = [var.errors_dlq_arn]', '    actions   = ["sqs:DeleteMessage"]\n    resources = [var.errors_dlq_arn, var.stream_failures_queue_arn]', 1, "vendor-api's role allows sqs:DeleteMessage on queue:stream-failures"),
    ("the vendor-api may presign uploads anywhere in the bucket", f"{FN}/iam.tf", '    sid       = "PresignUploads"\n    actions   = ["s3:PutObject"]\n    resources = ["${var.upload_bucket_arn}/uploads/*"]',
     '    sid       = "PresignUploads"\n    actions   = ["s3:PutObject"]\n    resources = ["${var.upload_bucket_arn}/*"]', 1, "vendor-api's role allows s3:PutObject on bucket:uploads/* (statement PresignUploads)"),
    ("the live stream filter stops excluding the candidate lane", f"{FN}/triggers.tf", "dynamodb  = { NewImage = { lane = { S = [{ exists = false }] } } }\n", "\n", 1, "the live stream filter lets through a candidate INSERT record"),
    ("the candidate lane's messages go to the live error-processor", f"{FN}/triggers.tf", "errors_queue_arn = var.candidate_errors_queue_arn", "errors_queue_arn = var.errors_queue_arn", 1, "errors queue mapping queues: Terraform ['errors', 'errors']"),
    ("the candidate notification invokes the live alias", "terraform/main.tf", 'module.functions.functions["csv-parser"].candidate_alias_arn', 'module.functions.functions["csv-parser"].alias_arn', 1, "not the csv-parser's candidate alias"),
    ("the csv-parser may not read candidate-lane uploads", f"{FN}/iam.tf", '"${var.upload_bucket_arn}/candidate/uploads/*",', "", 1, "csv-parser needs s3:GetObject on bucket:uploads/candidate/uploads/*"),
    # Settings: Terraform's queues and mappings equal the contract's.
    ("the error-processor's timeout grows in Terraform only", "terraform/main.tf", '"error-processor"   = { memory_mb = 512, timeout_s = 60 }', '"error-processor"   = { memory_mb = 512, timeout_s = 90 }', 1, "functions error-processor timeout_s: Terraform 90, the contract 60"),
    ("the errors queue keeps messages after 5 receives in Terraform", "terraform/modules/messaging/main.tf", "maxReceiveCount     = 3", "maxReceiveCount     = 5", 1, "queues errors dead_letter max_receive_count: Terraform 5, the contract 3"),
    ("the contract's errors queue visibility timeout drifts from Terraform's", CONTRACT, lambda c: c["queues"][0].update(visibility_timeout_s=200), None, 1, "queues errors visibility_timeout_s: Terraform 390, the contract 200"),
    ("the stream batch size differs", f"{FN}/triggers.tf", "batch_size                         = 500", "batch_size                         = 100", 1, "stream mapping batch_size: Terraform 100, the contract 500"),
    ("the errors batching window differs", "terraform/main.tf", "errors_batching_window_s = 30", "errors_batching_window_s = 20", 1, "errors queue mapping batching_window_s: Terraform 20, the contract 30"),
    ("the dashboard searches for a metric nobody emits", "terraform/modules/observability/dashboard.tf", '    PeakRss           = { stat = "Maximum", label = "PeakRss" }', '    PeakRssBytes      = { stat = "Maximum", label = "PeakRss" }', 1, "the dashboard searches for PeakRssBytes, which no function emits"),
    ("the dashboard plots the report stage of the wrong function", "terraform/modules/observability/dashboard.tf", '"StageDuration", "Function", local.reporter, "Stage", "report"', '"StageDuration", "Function", local.validator, "Stage", "report"', 1, "the dashboard plots StageDuration of product-validator with {'Stage': 'report'}"),
    ("the code stops emitting UploadsFailed", CONTRACT, lambda c: c["metrics"].update(emitted=[m for m in c["metrics"]["emitted"] if m["name"] != "UploadsFailed"]), None, 1, "the dashboard searches for UploadsFailed, which no function emits"),
    ("the vendor-api's UPLOAD_BUCKET names the staging table", f"{FN}/main.tf", "    UPLOAD_BUCKET        = var.upload_bucket_name\n", "    UPLOAD_BUCKET        = var.staging_table_name\n", 1,
     "resources named vendor-api UPLOAD_BUCKET: Terraform 'table:staging', the contract 'bucket:uploads'"),
    # The VPC's routes: every service the in-VPC code calls has an endpoint in interface_endpoints mode.
    ("the console's metric calls have no endpoint in interface_endpoints mode", "terraform/main.tf", '["cognito-idp", "logs", "monitoring"]', '["cognito-idp", "logs"]', 1,
     "services routed (interface_endpoints mode): Terraform ['cognito-idp', 'dynamodb', 'logs', 's3', 'secretsmanager', 'sns', 'sqs'], the contract ['cognito-idp', 'dynamodb', 'logs', 'monitoring', 's3', 'secretsmanager', 'sns', 'sqs']"),
    ("the product-validator's code starts calling KMS", CONTRACT, lambda c: fn_of(c, "product-validator")["public_calls"].append({"service": "kms", "why": "test"}), None, 1, "the contract ['cognito-idp', 'dynamodb', 'kms', 'logs'"),
    ("the upload prefix differs from the code's", CONTRACT, lambda c: c["upload_prefixes"].update(live="incoming/"), None, 1, "the live S3 trigger does not filter on the contract's prefix 'incoming/'"),
]


def self_test(root: Path, contract: dict) -> int:
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        shutil.copytree(root / "terraform", scratch / "terraform", ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
        for what, rel, old, new, want_rc, want_msg in MUTATIONS:
            broken, path, original = contract, None, None
            if rel == CONTRACT:
                broken = copy.deepcopy(contract)
                old(broken)
            else:
                path = scratch / rel
                original = path.read_text()
                if original.count(old) != 1:
                    print(f"  FAIL cannot apply '{what}': the text to replace occurs {original.count(old)} times in {rel}")
                    failures += 1
                    continue
                path.write_text(original.replace(old, new))
            rc, out = outcome(scratch, broken)
            if path:
                path.write_text(original)
            ok = rc == want_rc and want_msg in out
            failures += not ok
            print(f"  {'ok  ' if ok else 'FAIL'} broken on purpose: {what} -> exit {rc}" + ("" if ok else f" (expected {want_rc} with '{want_msg}'):\n{out}"))
        rc, out = outcome(scratch, contract)
        if rc != 0:
            print(f"  FAIL the unbroken scratch copy does not pass:\n{out}")
            failures += 1
    print(f"contract self-test FAILED: {failures} deliberate break(s) not caught as expected" if failures else f"contract self-test: all {len(MUTATIONS)} deliberate breaks caught")
    return 1 if failures else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--contract", type=Path, required=True, help="the output of `onboard contract --json`")
    args = parser.parse_args(argv)
    return self_test(args.root, json.loads(args.contract.read_text()))


if __name__ == "__main__":
    sys.exit(main())

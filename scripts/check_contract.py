#!/usr/bin/env python3
"""Cross-checks the Terraform (terraform/) against the Rust code.

Run by scripts/check-terraform.sh with python-hcl2 from .venv/contract:

    .venv/contract/bin/python scripts/check_contract.py [--root DIR] [-v]

What it asserts, per function (csv-parser, product-validator, error-processor,
and vendor-api when terraform/main.tf includes the portal's functions; what
differs for it is data in FUNCTION_SPECS below):

  A. Environment. Every variable the function reads (env_var / optional_env_var
     calls and std::env::var in crates/onboarding-aws and functions/<fn>/src,
     as far as the function's code reaches) is set for it by
     modules/functions (local.environment), unless it is listed in ENV_NOT_SET
     below; every variable Terraform sets is read; and the local runner
     (crates/onboarding-devstack, stack.rs function_env) sets the same names.
  B. IAM. Every AWS SDK call the function's code reaches is allowed by its
     role, on the resource the call targets (the table, queue, topic or secret
     its environment names; the bucket and key prefix for S3). The role allows
     nothing beyond those and the infrastructure permissions of
     INFRASTRUCTURE_PERMISSIONS (Lambda itself acting with the role).
  C. Names. The staging table, the queues, the topic and the bucket that
     Terraform creates have the names `onboard dev` provisions locally
     (crates/onboarding-devstack/src/provision.rs), up to the differences
     listed in NAME_DIFFERENCES; each function variable points at the same-named
     resource in both; the table's keys, index, stream view and TTL attribute
     agree; the upload trigger prefix agrees with the code.
  D. Dashboard. Every EMF metric modules/observability/dashboard.tf shows is
     emitted by a function (.metric("Name", ...) in functions/<fn>/src, or in
     crates/onboarding-aws for all of them); a
     series named exactly (metric, Function, further dimensions) is emitted by
     that function with those dimension values.
  E. Database secrets. No function's configuration names the master secret:
     each function's DATABASE_SECRET_ID is its own role's secret (its entry of
     var.function_secret_arns), its role may read no other secret, and the
     local runner (stack.rs) passes each function its own secret as well.
     Only the migrator (modules/functions/migrator.tf) holds the master secret.

The Rust side is read lexically (comments and #[cfg(test)] modules removed,
a call graph by name inside onboarding-aws); the Terraform side with
python-hcl2. When the checker meets a shape it does not understand (an env
read through a non-literal name, an SDK operation it has no IAM mapping for,
a `dynamic` IAM statement), it stops with exit status 2 and says what to teach
it, rather than passing silently.

Exit status: 0 all agree; 1 a contract is broken (each finding is printed);
2 the checker could not read the code.
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

try:
    import hcl2
except ImportError:  # pragma: no cover - the venv is made by check-terraform.sh
    sys.stderr.write("check_contract.py needs python-hcl2 (scripts/check-terraform.sh installs it into .venv/contract)\n")
    sys.exit(2)

FUNCTIONS = ["csv-parser", "product-validator", "error-processor"]
# Functions Terraform creates only with a feature switched on (local.<name> in
# terraform/main.tf, merged into local.functions), checked like the others.
OPTIONAL_FUNCTIONS = {"vendor-api": "portal_functions"}

# What differs per function, as data rather than code. Keys (all optional):
#   crates           more crates the function is built from (besides
#                    crates/onboarding-aws): every function in them counts as
#                    reached (axum handlers are named in the router, not called,
#                    so following calls would miss them; over-approximating asks
#                    for more configuration, never less)
#   source_optional  no functions/<fn>/src yet: note it and skip the function
#                    instead of stopping (the code is being written)
#   cold_start       the function must call onboarding_aws::cold_start (default True)
#   env_not_set      variables it reads that Terraform deliberately does not set
#   s3_prefixes      S3 operation -> the key prefixes it acts on, where the
#                    per-function guess (every prefix the code names, for every
#                    S3 operation) is too coarse; each prefix must still be
#                    named by the code the function reaches
#   key_sources      regex over the reached code -> the onboarding-core key function
#                    (error_report_key, fix_file_key) whose keys it reads back
#   markers          regex over the reached code -> an operation of SDK_OPERATIONS
#                    the code performs without an SDK call (the presigned POST is
#                    signed by hand, so no `.put_object()` appears)
#   unused_grants    IAM actions the role may hold although no code path needs
#                    them yet, with the reason; reported as notes, so they stay visible
#   local_runner     True: the local runner (stack.rs function_env) must pass the
#                    same names; "portal_env": stack.rs portal_env must (the
#                    vendor-api runs as a plain server locally, not behind the runner)
#   local_not_set    names Terraform sets that the local stack leaves to the code's
#                    default, with the reason
FUNCTION_SPECS = {
    "csv-parser": {
        "env_not_set": {
            # Its role reads only its own secret; the migrator (the same
            # program with the master secret, modules/functions/migrator.tf)
            # is given the map and may read the secrets it names.
            "DATABASE_ROLE_SECRET_IDS": "set only on <prefix>-migrator: its migrate command sets each function role's password from these secrets",
        },
    },
    "vendor-api": {
        "crates": ["crates/onboarding-api"],
        "source_optional": True,
        "env_not_set": {
            "VENDOR_API_LISTEN": "local only: serve with plain axum on host:port instead of lambda_http",
            "WEB_ROOT": "local only: the web app, served by the same process (CloudFront + S3 in AWS)",
            "FUNCTION_LOGS_DIR": "local only: the console reads the runner's function logs instead of CloudWatch",
            "PARSER_REDRIVE_QUEUE_URL": "local only: the csv-parser's dead letters go back to the S3-events queue; in AWS nothing is in front of the function (re-run instead)",
        },
        "s3_prefixes": {
            "get_object": ["errors/"],  # the presigned report and fix-file downloads
            "presigned_post": ["uploads/"],  # the browser's upload
            "head_object": ["uploads/"],  # an operator's re-run reads the stored upload's metadata
            "copy_object": ["uploads/"],  # and copies it to a new version of its key
        },
        # Calls whose resource differs from SDK_OPERATIONS' for this function.
        "operation_targets": {
            # The console redrives dead letters to the errors queue only.
            "send_message_batch": "ERROR_QUEUE_URL",
        },
        # The secrets cache reads the function's own secret and the
        # safe-query console's login (onboarding_console).
        "secrets_cache_targets": ["DATABASE_SECRET_ID", "CONSOLE_DATABASE_SECRET_ID"],
        "markers": {r"\bPresignedPost\b": "presigned_post"},
        # upload_history columns that hold keys the error-processor wrote
        # (error_report_key / fix_file_key in onboarding-core): errors/.
        "key_sources": {r"\berror_file_s3_key\b": "error_report_key", r"\bfix_file_s3_key\b": "fix_file_key"},
        "unused_grants": {},
        "local_runner": "portal_env",
        "local_not_set": {
            "COGNITO_ISSUER": "the default (https://cognito-idp.<region>.amazonaws.com/<pool>) is what moto's tokens name",
            "SITE_ORIGIN": "the site and the API share the local origin; no CORS, relative login redirect",
        },
    },
}


class CheckerError(Exception):
    """The checker met code it cannot read: exit 2."""


# ---------------------------------------------------------------------------
# The allow-lists. Every entry says why it exists.
# ---------------------------------------------------------------------------

# Variables a function reads that Terraform deliberately does not set.
ENV_NOT_SET = {
    # Emulator endpoint: set only by the local runner (moto / LocalStack).
    "AWS_ENDPOINT_URL": "local only (emulator endpoint)",
    "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": "local only (Cognito's emulator, a moto sidecar beside LocalStack)",
    # Set by the Lambda service in every execution environment.
    "AWS_LAMBDA_FUNCTION_NAME": "set by Lambda itself",
    "AWS_REGION": "set by Lambda itself",
    # Unset is `all` (one process serves every route). Terraform sets it when
    # the portal runs as its two functions (docs/decisions.md 21).
    "API_PART": "unset means all routes (docs/decisions.md 21)",
}

# Variables the local runner passes that are not part of the AWS contract.
ENV_LOCAL_ONLY = {
    "AWS_ENDPOINT_URL": "emulator endpoint",
    "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": "Cognito's emulator endpoint (the SDK reads it itself)",
    "AWS_ACCESS_KEY_ID": "dummy emulator credentials (the role provides them in AWS)",
    "AWS_SECRET_ACCESS_KEY": "dummy emulator credentials",
    "AWS_EC2_METADATA_DISABLED": "keeps the SDK from probing IMDS on a laptop",
    "AWS_REGION": "set by Lambda itself in AWS; the local processes are told the emulator's",
    "FUNCTION_LOGS_DIR": "the vendor-api's console reads the runner's function logs and invocation records (CloudWatch in AWS)",
    "PARSER_REDRIVE_QUEUE_URL": "the csv-parser's dead letters go back to the local S3-events queue (nothing is in front of the function in AWS)",
}

# SDK operation (the fluent method name on a client) -> IAM actions, and the
# environment variable that names the resource it acts on ("S3" = the bucket
# and key prefixes, see s3_targets()).
SDK_OPERATIONS = {
    "get_object": (["s3:GetObject"], "S3"),  # + s3:GetObjectVersion when a version id is set
    "put_object": (["s3:PutObject"], "S3"),
    "batch_write_item": (["dynamodb:BatchWriteItem"], "STAGING_TABLE"),
    "put_item": (["dynamodb:PutItem"], "STAGING_TABLE"),
    "update_item": (["dynamodb:UpdateItem"], "STAGING_TABLE"),
    "get_item": (["dynamodb:GetItem"], "STAGING_TABLE"),
    "query": (["dynamodb:Query"], "STAGING_TABLE"),
    # SendMessageBatch is authorised by sqs:SendMessage (there is no batch action).
    # Both lanes' queues (ErrorQueues): the upload's lane picks one at run time.
    "send_message_batch": (["sqs:SendMessage"], ("ERROR_QUEUE_URL", "CANDIDATE_ERROR_QUEUE_URL")),
    "send_message": (["sqs:SendMessage"], ("ERROR_QUEUE_URL", "CANDIDATE_ERROR_QUEUE_URL")),
    "publish": (["sns:Publish"], "NOTIFICATION_TOPIC_ARN"),
    "subscribe": (["sns:Subscribe"], "NOTIFICATION_TOPIC_ARN"),
    # Vendors' email subscriptions, kept in line by the admin API.
    "unsubscribe": (["sns:Unsubscribe"], "NOTIFICATION_TOPIC_ARN"),
    "list_subscriptions_by_topic": (["sns:ListSubscriptionsByTopic"], "NOTIFICATION_TOPIC_ARN"),
    "get_subscription_attributes": (["sns:GetSubscriptionAttributes"], "NOTIFICATION_TOPIC_ARN"),
    "set_subscription_attributes": (["sns:SetSubscriptionAttributes"], "NOTIFICATION_TOPIC_ARN"),
    "get_secret_value": (["secretsmanager:GetSecretValue"], "DATABASE_SECRET_ID"),
    # Cognito user pools. The app-client operations are public (authenticated
    # by the client id and the user's password, code or token, not by IAM).
    "sign_up": ([], None),
    "confirm_sign_up": ([], None),
    "initiate_auth": ([], None),
    "revoke_token": ([], None),
    "resend_confirmation_code": ([], None),
    "forgot_password": ([], None),
    "confirm_forgot_password": ([], None),
    "admin_update_user_attributes": (["cognito-idp:AdminUpdateUserAttributes"], "COGNITO_USER_POOL_ID"),
    "admin_get_user": (["cognito-idp:AdminGetUser"], "COGNITO_USER_POOL_ID"),
    "admin_user_global_sign_out": (["cognito-idp:AdminUserGlobalSignOut"], "COGNITO_USER_POOL_ID"),
    # A browser upload with a presigned POST policy (FUNCTION_SPECS markers):
    # S3 authorises it as s3:PutObject of the role that signed the policy.
    "presigned_post": (["s3:PutObject"], "S3"),
    "describe_secret": (["secretsmanager:DescribeSecret"], "DATABASE_SECRET_ID"),
    # The operator console (vendor-api): one upload's log lines and the
    # functions' cold starts (Logs Insights over the three pipeline log groups,
    # each in both ARN forms; GetMetricData has no resource-level permissions).
    "start_query": (["logs:StartQuery"], "PIPELINE_LOG_GROUPS"),
    "get_query_results": (["logs:GetQueryResults"], "PIPELINE_LOG_GROUPS"),
    "get_metric_data": (["cloudwatch:GetMetricData"], "*"),
    # Dead letters: listed without consuming, counted, redriven (from the errors DLQ).
    "receive_message": (["sqs:ReceiveMessage"], ("ERROR_DLQ_URL", "PARSER_DLQ_URL", "STREAM_FAILURES_QUEUE_URL")),
    "change_message_visibility_batch": (["sqs:ChangeMessageVisibility"], ("ERROR_DLQ_URL", "PARSER_DLQ_URL", "STREAM_FAILURES_QUEUE_URL")),
    "get_queue_attributes": (["sqs:GetQueueAttributes"], ("ERROR_DLQ_URL", "PARSER_DLQ_URL", "STREAM_FAILURES_QUEUE_URL")),
    "delete_message_batch": (["sqs:DeleteMessage"], "ERROR_DLQ_URL"),
    # Re-runs: the stored version's metadata, then a copy to a new version.
    "head_object": (["s3:GetObject"], "S3"),  # + s3:GetObjectVersion when a version id is set
    "copy_object": (["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion"], "S3"),
}
# The three pipeline functions, whose log groups the console queries.
PIPELINE_FUNCTIONS = ("csv-parser", "product-validator", "error-processor")
# aws_secretsmanager_caching reads the secret (GetSecretValue) and, once the
# TTL lapses, asks DescribeSecret whether the cached version is still current.
SECRETS_CACHE = (["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], "DATABASE_SECRET_ID")
# Zero-argument methods on a client that are not AWS calls.
CLIENT_NON_OPERATIONS = {"clone", "config"}

# Permissions the role needs for what Lambda does on the function's behalf,
# not for calls in our code. Each: (function or "*", action, resource, why).
# Resources are written as in modules/functions: a variable of that module,
# LOG_GROUP (the function's own log group, "<arn>:*"), or "*" where IAM has no
# resource-level permissions.
INFRASTRUCTURE_PERMISSIONS = [
    ("*", "logs:CreateLogStream", "LOG_GROUP", "Lambda writes the function's output to its own log group"),
    ("*", "logs:PutLogEvents", "LOG_GROUP", "likewise"),
    ("*", "ec2:CreateNetworkInterface", "*", "VPC function: Lambda manages its ENIs (no resource-level support)"),
    ("*", "ec2:DescribeNetworkInterfaces", "*", "VPC function"),
    ("*", "ec2:DescribeSubnets", "*", "VPC function"),
    ("*", "ec2:DeleteNetworkInterface", "*", "VPC function"),
    ("*", "ec2:AssignPrivateIpAddresses", "*", "VPC function"),
    ("*", "ec2:UnassignPrivateIpAddresses", "*", "VPC function"),
    ("*", "xray:PutTraceSegments", "*", "active tracing (no resource-level support)"),
    ("*", "xray:PutTelemetryRecords", "*", "active tracing"),
    # No KMS grants: no customer managed key (terraform/kms.tf); the topic,
    # the secrets and the environment variables use AWS managed keys, which
    # this account's principals use through the owning service.
    # csv-parser is invoked asynchronously by S3; Lambda sends events that
    # failed all retries to the function's dead-letter queue with its role.
    ("csv-parser", "sqs:SendMessage", "var.csv_parser_dlq_arn", "async invocation dead-letter queue"),
    # The stream event source mapping polls with the function's role, and
    # writes its on-failure destination with it.
    ("product-validator", "dynamodb:DescribeStream", "var.staging_table_stream_arn", "stream event source mapping"),
    ("product-validator", "dynamodb:GetRecords", "var.staging_table_stream_arn", "stream event source mapping"),
    ("product-validator", "dynamodb:GetShardIterator", "var.staging_table_stream_arn", "stream event source mapping"),
    ("product-validator", "dynamodb:ListStreams", "*", "stream event source mapping (no resource-level support)"),
    ("product-validator", "sqs:SendMessage", "var.stream_failures_queue_arn", "the stream mapping's on-failure destination"),
    # The SQS event source mapping receives and deletes with the function's role.
    ("error-processor", "sqs:ReceiveMessage", "var.errors_queue_arn", "SQS event source mapping"),
    ("error-processor", "sqs:DeleteMessage", "var.errors_queue_arn", "SQS event source mapping"),
    ("error-processor", "sqs:GetQueueAttributes", "var.errors_queue_arn", "SQS event source mapping"),
    ("error-processor", "sqs:ChangeMessageVisibility", "var.errors_queue_arn", "SQS event source mapping"),
    # The candidate lane's mapping (error-processor:candidate) does the same.
    ("error-processor", "sqs:ReceiveMessage", "var.candidate_errors_queue_arn", "candidate lane's SQS event source mapping"),
    ("error-processor", "sqs:DeleteMessage", "var.candidate_errors_queue_arn", "candidate lane's SQS event source mapping"),
    ("error-processor", "sqs:GetQueueAttributes", "var.candidate_errors_queue_arn", "candidate lane's SQS event source mapping"),
    ("error-processor", "sqs:ChangeMessageVisibility", "var.candidate_errors_queue_arn", "candidate lane's SQS event source mapping"),
]

# Names (after "<prefix>-") that exist on one side only, or differ, and why.
NAME_DIFFERENCES = {
    "aws_only": {
        "access-logs": "S3 server access logs: no local equivalent",
        "alarms": "CloudWatch alarm topic: no local equivalent",
    },
    "local_only": {
        "s3-events": "moto cannot invoke a function: S3 notifies this queue and the local runner polls it",
        "outbox": "every published e-mail, captured for `onboard outbox`",
        "mailbox-{vendor_id}": "one vendor's mail, with the e-mail subscription's filter policy",
    },
    # Terraform name -> local name: the same role under another name.
    "renamed": {},
}
# In AWS bucket names are global, so Terraform appends the account id.
BUCKET_ACCOUNT_SUFFIX = "-<account>"

# Where the local stack and AWS are allowed to differ in the upload trigger.
KNOWN_TRIGGER_DIFFERENCES: dict = {}


# ---------------------------------------------------------------------------
# Reading Rust
# ---------------------------------------------------------------------------

def _scan(text: str):
    """Yields (kind, start, end) for comments, strings and chars in Rust source."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            yield "comment", i, j
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            yield "comment", i, j
            i = j
        elif c == "r" and re.match(r'r#*"', text[i:i + 8]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'r(#*)"', text[i:])
            close = '"' + m.group(1)
            j = text.find(close, i + len(m.group(0)))
            j = n if j < 0 else j + len(close)
            yield "string", i, j
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            yield "string", i, j + 1
            i = j + 1
        elif c == "'":
            m = re.match(r"'(\\u\{[0-9a-fA-F]+\}|\\.|[^\\'])'", text[i:])
            if m:
                yield "char", i, i + len(m.group(0))
                i += len(m.group(0))
            else:
                i += 1  # a lifetime
        else:
            i += 1


@dataclass
class RustFile:
    path: Path
    text: str  # comments blanked (same offsets), strings kept
    masked: str  # comments and string/char contents blanked


def read_rust(path: Path) -> RustFile:
    raw = path.read_text(encoding="utf-8")
    text, masked = list(raw), list(raw)
    for kind, start, end in _scan(raw):
        for k in range(start, end):
            if raw[k] == "\n":
                continue
            if kind == "comment":
                text[k] = " "
                masked[k] = " "
            elif k not in (start, end - 1):
                masked[k] = " "
    text_s, masked_s = "".join(text), "".join(masked)
    # Drop #[cfg(test)] items: the attribute and the braced item after it.
    for m in reversed(list(re.finditer(r"#\[cfg\(test\)\]", masked_s))):
        open_at = masked_s.find("{", m.end())
        if open_at < 0:
            continue
        close_at = match_brace(masked_s, open_at)
        blank = lambda s: s[:m.start()] + re.sub(r"[^\n]", " ", s[m.start():close_at + 1]) + s[close_at + 1:]
        text_s, masked_s = blank(text_s), blank(masked_s)
    return RustFile(path, text_s, masked_s)


def match_brace(masked: str, open_at: int) -> int:
    pairs = {"{": "}", "(": ")", "[": "]"}
    want = [pairs[masked[open_at]]]
    i = open_at + 1
    while i < len(masked):
        c = masked[i]
        if c in pairs:
            want.append(pairs[c])
        elif c in ")}]":
            if c != want[-1]:
                raise CheckerError(f"unbalanced '{c}' at offset {i}")
            want.pop()
            if not want:
                return i
        i += 1
    raise CheckerError(f"no closing bracket for offset {open_at}")


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


@dataclass
class RustFn:
    module: str  # file stem ("" for lib.rs / main.rs)
    owner: str | None  # impl type
    name: str
    file: RustFile
    start: int
    end: int
    arity: int = 0  # parameters besides self
    is_method: bool = False  # takes self

    @property
    def key(self) -> str:
        return "::".join(p for p in (self.module, self.owner, self.name) if p)

    @property
    def body(self) -> str:
        return self.file.masked[self.start:self.end]

    @property
    def body_text(self) -> str:
        return self.file.text[self.start:self.end]


def functions_in(f: RustFile, module: str) -> list[RustFn]:
    masked = f.masked
    impls = []
    for m in re.finditer(r"\bimpl\b(?:\s*<[^{;]*?>)?\s+(?:[\w:]+(?:<[^{;]*?>)?\s+for\s+)?([\w:]+)[^{;]*\{", masked):
        close = match_brace(masked, m.end() - 1)
        impls.append((m.end() - 1, close, m.group(1).split("::")[-1]))
    result = []
    for m in re.finditer(r"\bfn\s+(\w+)", masked):
        paren = masked.find("(", m.end())
        close = match_brace(masked, paren)
        brace = re.compile(r"[{;]").search(masked, close)
        if not brace or brace.group(0) == ";":
            continue
        end = match_brace(masked, brace.start())
        owner = next((t for (a, b, t) in impls if a < m.start() < b), None)
        params = split_args(masked, paren, close)
        is_method = bool(params) and re.fullmatch(r"&?\s*(?:'\w+\s+)?(?:mut\s+)?self(?:\s*:.*)?", params[0], re.S) is not None
        arity = len(params) - (1 if is_method else 0)
        result.append(RustFn(module, owner, m.group(1), f, brace.start(), end + 1, arity, is_method))
    return result


def split_args(masked: str, open_at: int, close_at: int) -> list[str]:
    """The top-level comma-separated items between two matching brackets."""
    items, depth, start = [], 0, open_at + 1
    for i in range(open_at + 1, close_at):
        c = masked[i]
        if c in "([{<":
            depth += 1
        elif c in ")]}>" and not (c == ">" and masked[i - 1] == "-"):
            depth -= 1
        elif c == "," and depth == 0:
            items.append(masked[start:i].strip())
            start = i + 1
    last = masked[start:close_at].strip()
    if last:
        items.append(last)
    return items


CALL_QUALIFIED = re.compile(r"\b(\w+)::(\w+)\s*(?:::<[^>]*>)?\s*\(")
CALL_METHOD = re.compile(r"\.\s*(\w+)\s*(?:::<[^>]*>)?\s*\(")
CALL_BARE = re.compile(r"(?<![\w:.])(\w+)\s*\(")


def referenced(body: str, graph: dict[str, RustFn], owner: str | None = None) -> set[str]:
    """Keys of crate functions a body may call (by name; over-approximates)."""
    found = set()
    for m in CALL_QUALIFIED.finditer(body):
        a, b = m.group(1), m.group(2)
        if a == "Self":
            a = owner or ""
        for key, fn in graph.items():
            if fn.name == b and (fn.owner == a or (fn.owner is None and fn.module in (a, "") and a in (fn.module, "onboarding_aws", "onboarding_api"))):
                found.add(key)
    for m in CALL_METHOD.finditer(body):
        # Same name and number of arguments: `.send()` on an SDK builder is
        # not ErrorQueue::send(&messages).
        args = len(split_args(body, m.end() - 1, match_brace(body, m.end() - 1)))
        found |= {key for key, fn in graph.items() if fn.is_method and fn.name == m.group(1) and fn.arity == args}
    for m in CALL_BARE.finditer(body):
        found |= {key for key, fn in graph.items() if fn.owner is None and fn.name == m.group(1)}
    return found


@dataclass
class CodeFacts:
    env_required: dict[str, str] = field(default_factory=dict)  # name -> where
    env_optional: dict[str, str] = field(default_factory=dict)
    operations: dict[str, set[str]] = field(default_factory=dict)  # op -> {"version", "presigned"} / where
    where: dict[str, str] = field(default_factory=dict)
    reached: set[str] = field(default_factory=set)
    s3_prefixes: set[str] = field(default_factory=set)


ENV_REQUIRED = re.compile(r'\benv_var\(\s*"(\w+)"\s*\)')
ENV_OPTIONAL = re.compile(r'\b(?:optional_env_var|std::env::var|env::var|std::env::var_os|env::var_os)\(\s*"(\w+)"\s*\)')
ENV_ANY = re.compile(r"\b(?:std::)?env::var(?:_os)?\s*\(|\benv_var\s*\(|\boptional_env_var\s*\(")
ENV_FILTER = re.compile(r"EnvFilter::(?:try_)?from_default_env\b")
# `uri.query()` (http::Uri) is not DynamoDB's Query.
SDK_CALL = re.compile(r"(?<!uri)\.\s*(" + "|".join(SDK_OPERATIONS) + r")\s*\(\s*\)")
CLIENT_CALL = re.compile(
    r"(?:\bclient|\.client|\bs3|\.s3|\bsqs|\.sqs|\bsns|\.sns|\bdynamodb|\.dynamodb|\bsecretsmanager|\.secretsmanager|\bsecrets_client|\bcognito|\.cognito)"
    r"\s*\.\s*([a-z_][a-z0-9_]*)\s*\(\s*\)"
)


def scan_body(fn_text: str, fn_masked: str, where: str, facts: CodeFacts, env_fn_defs: bool = False):
    if not env_fn_defs:
        literal_reads = len(ENV_REQUIRED.findall(fn_text)) + len(ENV_OPTIONAL.findall(fn_text))
        if len(ENV_ANY.findall(fn_masked)) > literal_reads:
            raise CheckerError(
                f"{where}: an environment variable is read through a non-literal name; "
                "the checker can only see literal names (teach scripts/check_contract.py)"
            )
        for name in ENV_REQUIRED.findall(fn_text):
            facts.env_required.setdefault(name, where)
        for name in ENV_OPTIONAL.findall(fn_text):
            facts.env_optional.setdefault(name, where)
    if ENV_FILTER.search(fn_masked):
        facts.env_optional.setdefault("RUST_LOG", where)
    # A zero-argument call on something that looks like a client must be a
    # known operation; a known operation counts whatever its receiver is
    # called (over-approximating: a false match asks for more, never less).
    for m in CLIENT_CALL.finditer(fn_masked):
        op = m.group(1)
        if op not in CLIENT_NON_OPERATIONS and op not in SDK_OPERATIONS:
            raise CheckerError(
                f"{where}: AWS SDK operation '{op}' has no IAM mapping; add it to SDK_OPERATIONS in scripts/check_contract.py"
            )
    for m in SDK_CALL.finditer(fn_masked):
        op = m.group(1)
        rest = fn_masked[m.end():]
        stop = min([i for i in (rest.find(".send()"), rest.find(".presigned(")) if i >= 0] or [len(rest)])
        chain = rest[:stop]
        flags = facts.operations.setdefault(op, set())
        if op in ("get_object", "head_object") and "version_id" in chain:
            flags.add("version")
        if rest.find(".presigned(") == stop:
            flags.add("presigned")
        facts.where.setdefault(op, where)
    if "SecretsManagerCachingClient" in fn_masked:
        facts.operations.setdefault("secrets_cache", set())
        facts.where.setdefault("secrets_cache", where)


class RustCode:
    def __init__(self, root: Path):
        self.root = root
        for crate in ("crates/onboarding-core", "crates/onboarding-db"):
            if re.search(r"^aws-sdk|^aws_sdk|^aws-config", (root / crate / "Cargo.toml").read_text(), re.M):
                raise CheckerError(f"{crate} now depends on the AWS SDK; the checker reads AWS calls only in crates/onboarding-aws and functions/")
        self.graph: dict[str, RustFn] = self.crate_graph("crates/onboarding-aws")
        self.crate_graphs: dict[str, dict[str, RustFn]] = {}
        core = (root / "crates/onboarding-core/src/upload_key.rs").read_text()
        m = re.search(r'pub const UPLOADS_PREFIX: &str = "([^"]+)"', core)
        if not m:
            raise CheckerError("UPLOADS_PREFIX not found in crates/onboarding-core/src/upload_key.rs")
        self.uploads_prefix = m.group(1)
        m = re.search(r'pub const CANDIDATE_PREFIX: &str = "([^"]+)"', core)
        if not m:
            raise CheckerError("CANDIDATE_PREFIX not found in crates/onboarding-core/src/upload_key.rs")
        self.candidate_uploads_prefix = m.group(1) + self.uploads_prefix
        self.report_prefixes = {}
        for name in ("error_report_key", "fix_file_key"):
            m = re.search(r"pub fn " + name + r"\([^)]*\)\s*->\s*String\s*\{\s*format!\(\"([^{\"]*)", core)
            if not m or not m.group(1).endswith("/"):
                raise CheckerError(f"{name} in upload_key.rs does not start with a literal 'prefix/'")
            self.report_prefixes[name] = m.group(1)

    def crate_graph(self, crate: str, key_prefix: str = "") -> dict[str, RustFn]:
        graph = {}
        for path in sorted((self.root / crate / "src").rglob("*.rs")):
            module = "" if path.stem in ("lib", "main", "mod") else path.stem
            for fn in functions_in(read_rust(path), module):
                graph[key_prefix + fn.key] = fn
        return graph

    def graph_for(self, function: str) -> dict[str, RustFn]:
        graph = dict(self.graph)
        for crate in FUNCTION_SPECS.get(function, {}).get("crates", []):
            if crate not in self.crate_graphs:
                if not (self.root / crate / "src").is_dir():
                    raise CheckerError(f"{function}: no sources in {crate}/src (FUNCTION_SPECS crates)")
                self.crate_graphs[crate] = self.crate_graph(crate, crate.split("/")[-1] + ":")
            graph.update(self.crate_graphs[crate])
        return graph

    def has_source(self, function: str) -> bool:
        return any((self.root / "functions" / function / "src").rglob("*.rs"))

    def function_facts(self, function: str) -> CodeFacts:
        facts = CodeFacts()
        spec = FUNCTION_SPECS.get(function, {})
        graph = self.graph_for(function)
        src = self.root / "functions" / function / "src"
        files = [read_rust(p) for p in sorted(src.rglob("*.rs"))]
        if not files:
            raise CheckerError(f"no sources in {src}")
        todo = set()

        def prefixes_in(masked: str, text: str = ""):
            # UploadKey::live_key (onboarding-core) makes `uploads/<vendor>/<file>`.
            if "UPLOADS_PREFIX" in masked or re.search(r"\bUploadKey::live_key\b", masked) or ('"' + self.uploads_prefix) in text:
                facts.s3_prefixes.add(self.uploads_prefix)
            # Code that takes the lane off a key reads both lanes' uploads.
            if re.search(r"\bLane::strip\b", masked):
                facts.s3_prefixes.add(self.candidate_uploads_prefix)
            for name, prefix in self.report_prefixes.items():
                if re.search(r"\b" + name + r"\b", masked):
                    facts.s3_prefixes.add(prefix)
            # Keys read back from the database, written there by another function.
            for pattern, maker in spec.get("key_sources", {}).items():
                if re.search(pattern, masked):
                    facts.s3_prefixes.add(self.report_prefixes[maker])

        def markers_in(masked: str, where: str):
            for pattern, op in spec.get("markers", {}).items():
                if re.search(pattern, masked):
                    facts.operations.setdefault(op, set())
                    facts.where.setdefault(op, where)

        for f in files:
            rel = f.path.relative_to(self.root)
            scan_body(f.text, f.masked, str(rel), facts)
            todo |= referenced(f.masked, graph)
            prefixes_in(f.masked)
            markers_in(f.masked, str(rel))
        for crate in spec.get("crates", []):
            todo |= {key for key in graph if key.startswith(crate.split("/")[-1] + ":")}
        if spec.get("cold_start", True) and "onboarding_aws::cold_start" not in "".join(f.masked for f in files):
            raise CheckerError(f"functions/{function} no longer calls onboarding_aws::cold_start; check what it reads now")
        while todo:
            key = todo.pop()
            if key in facts.reached:
                continue
            facts.reached.add(key)
            fn = graph[key]
            where = f"{fn.file.path.relative_to(self.root)}:{line_of(fn.file.text, fn.start)} ({fn.key})"
            scan_body(fn.body_text, fn.body, where, facts, env_fn_defs=fn.name in ("env_var", "optional_env_var"))
            if ":" in key:  # a crate of FUNCTION_SPECS: its key prefixes count too
                prefixes_in(fn.body, fn.body_text)
                markers_in(fn.body, where)
            todo |= referenced(fn.body, graph, fn.owner) - facts.reached
        # A variable read both ways counts as required.
        for name in facts.env_required:
            facts.env_optional.pop(name, None)
        return facts


# ---------------------------------------------------------------------------
# Reading Terraform
# ---------------------------------------------------------------------------

def unq(value):
    """python-hcl2 8 keeps quotes: '"x"' -> 'x'; '${expr}' stays as it is."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return value[1:-1]
    return value


def expr(value) -> str:
    """The expression inside '${...}', or the template text."""
    value = unq(value)
    if isinstance(value, str) and value.startswith("${") and value.endswith("}") and value.count("${") == 1:
        return value[2:-1]
    return value


class Module:
    def __init__(self, path: Path):
        self.path = path
        self.resources: dict[tuple[str, str], dict] = {}
        self.data: dict[tuple[str, str], dict] = {}
        self.locals: dict[str, object] = {}
        self.outputs: dict[str, dict] = {}
        self.modules: dict[str, dict] = {}
        for tf in sorted(path.glob("*.tf")):
            text = tf.read_text()
            if text not in _HCL_CACHE:
                _HCL_CACHE[text] = hcl2.loads(text)
            doc = _HCL_CACHE[text]
            for block in doc.get("resource", []):
                for rtype, named in block.items():
                    for name, body in named.items():
                        self.resources[(unq(rtype), unq(name))] = body
            for block in doc.get("data", []):
                for dtype, named in block.items():
                    for name, body in named.items():
                        self.data[(unq(dtype), unq(name))] = body
            for block in doc.get("locals", []):
                self.locals.update({k: v for k, v in block.items() if not k.startswith("__")})
            for block in doc.get("output", []):
                self.outputs.update({unq(k): v for k, v in block.items()})
            for block in doc.get("module", []):
                self.modules.update({unq(k): v for k, v in block.items()})


# Attributes that name the resource itself; any other (stream_arn, ...) names a sub-resource.
SELF_ATTRIBUTES = {"arn", "id", "name", "url", "bucket"}
_HCL_CACHE: dict[str, dict] = {}
RESOURCE_REF = re.compile(r'\b(aws_[a-z0-9_]+)\.([a-z0-9_]+)(\[[^\]]*\])?')


class Terraform:
    def __init__(self, root: Path):
        self.root_dir = root / "terraform"
        self.root = Module(self.root_dir)
        self.modules = {name: Module((self.root_dir / unq(body["source"])).resolve()) for name, body in self.root.modules.items()}
        self.fn = self.modules["functions"]

    def identity(self, ref: str) -> str:
        """A stable name for what a functions-module variable (or resource reference) points at."""
        ref = ref.strip()
        # One function's entry of a map variable (var.function_secret_arns["csv-parser"]).
        keyed = re.fullmatch(r'var\.(\w+)\["([\w-]+)"\]', ref)
        if keyed:
            arg = self.root.modules["functions"].get(keyed.group(1))
            if arg is None:
                raise CheckerError(f"module \"functions\" in terraform/main.tf does not set {keyed.group(1)}")
            return f'{expr(arg)}["{keyed.group(2)}"]'
        m = re.fullmatch(r"var\.(\w+)", ref)
        if not m:
            r = RESOURCE_REF.search(ref)
            return f"module.functions.{r.group(1)}.{r.group(2)}{r.group(3) or ''}" if r else ref
        arg = self.root.modules["functions"].get(m.group(1))
        if arg is None:
            raise CheckerError(f"module \"functions\" in terraform/main.tf does not set {m.group(1)}")
        value = expr(arg)
        # A feature switch: `var.enable_x ? module.x[0].out : ""` names what the
        # true branch names.
        cond = re.fullmatch(r"var\.\w+\s*\?\s*(.+?)\s*:\s*(?:\"\"|null)", value)
        if cond:
            value = cond.group(1)
        mm = re.fullmatch(r"module\.(\w+)(?:\[0\])?\.(\w+)(.*)", value)
        if mm:
            module = self.modules[mm.group(1)]
            out = module.outputs.get(mm.group(2))
            if out is None:
                raise CheckerError(f"module {mm.group(1)} has no output {mm.group(2)}")
            out_value = expr(out["value"])
            r = re.fullmatch(r"(aws_[a-z0-9_]+)\.([a-z0-9_]+)(\[[^\]]*\])?\.(\w+)", out_value)
            if r:
                # The table and its stream (stream_arn) are different IAM resources.
                attr = "" if r.group(4) in SELF_ATTRIBUTES else "." + r.group(4)
                return f"module.{mm.group(1)}.{r.group(1)}.{r.group(2)}{r.group(3) or ''}{attr}"
            # A local or a conditional (e.g. the RDS or Aurora secret).
            what = out_value if re.fullmatch(r"local\.\w+", out_value) else "output." + mm.group(2)
            return f"module.{mm.group(1)}.{what}"
        r = RESOURCE_REF.search(value)
        return f"{r.group(1)}.{r.group(2)}{r.group(3) or ''}" if r else value

    def resource_name(self, identity: str) -> str:
        """The `name`/`bucket` of a resource identity, with <prefix> and <account> substituted."""
        m = re.fullmatch(r'module\.(\w+)\.(aws_[a-z0-9_]+)\.([a-z0-9_]+)(?:\["([^"]+)"\])?', identity)
        if not m:
            raise CheckerError(f"cannot find the resource behind {identity}")
        module = self.modules[m.group(1)]
        body = module.resources.get((m.group(2), m.group(3)))
        if body is None:
            raise CheckerError(f"no resource {m.group(2)}.{m.group(3)} in modules/{m.group(1)}")
        return self.render(module, body, m.group(4))

    def render(self, module: Module, body: dict, key: str | None) -> str:
        raw = body.get("name", body.get("bucket"))
        if raw is None:
            raise CheckerError("resource without name/bucket")
        text = unq(raw)
        for _ in range(5):
            e = expr(text)
            if e == "each.value.name":
                for_each = expr(body["for_each"])
                lm = re.fullmatch(r"local\.(\w+)", for_each)
                if not lm:
                    raise CheckerError(f"cannot expand for_each {for_each}")
                text = unq(module.locals[lm.group(1)][key]["name"])
                continue
            lm = re.fullmatch(r"local\.(\w+)", e)
            if lm:
                text = unq(module.locals[lm.group(1)])
                continue
            break
        text = text.replace("${each.key}", key or "")
        text = text.replace("${var.name_prefix}", "<prefix>").replace("${var.account_id}", "<account>")
        if "${" in text:
            raise CheckerError(f"cannot render resource name {text}")
        return text

    def names(self, modules=("data", "messaging", "storage", "observability")) -> dict[str, str]:
        """Names of every table, queue, topic and bucket -> resource identity."""
        found = {}
        for mname in modules:
            module = self.modules[mname]
            for (rtype, rname), body in module.resources.items():
                if rtype not in ("aws_dynamodb_table", "aws_sqs_queue", "aws_sns_topic", "aws_s3_bucket"):
                    continue
                keys = [None]
                if "for_each" in body:
                    fe = expr(body["for_each"])
                    ts = re.fullmatch(r'toset\(\[(.*)\]\)', fe)
                    lm = re.fullmatch(r"local\.(\w+)", fe)
                    if ts:
                        keys = re.findall(r'"([^"]+)"', ts.group(1))
                    elif lm:
                        keys = list(module.locals[lm.group(1)].keys())
                    else:
                        raise CheckerError(f"cannot expand for_each of {rtype}.{rname}: {fe}")
                for key in keys:
                    ident = f"module.{mname}.{rtype}.{rname}" + (f'["{key}"]' if key else "")
                    found[self.render(module, body, key)] = ident
        return found


def statements_of(doc: dict, function: str, tf: Terraform, seen=None) -> list[dict]:
    """An aws_iam_policy_document's statements, with its source documents'."""
    if "dynamic" in doc:
        raise CheckerError("a policy document uses a dynamic block; write statements out (checkov cannot read them either)")
    if "override_policy_documents" in doc:
        raise CheckerError("override_policy_documents is not understood by the checker")
    result = []
    for src in doc.get("source_policy_documents", []):
        m = re.fullmatch(r'data\.aws_iam_policy_document\.(\w+)(?:\[each\.key\]|\["([\w-]+)"\])?\.json', expr(src))
        if not m:
            raise CheckerError(f"cannot follow source policy document {src}")
        result += statements_of(tf.fn.data[("aws_iam_policy_document", m.group(1))], function, tf)
    result += doc.get("statement", [])
    return result


@dataclass(frozen=True)
class Grant:
    action: str
    identity: str  # resource identity, or "*"
    suffix: str  # e.g. "/uploads/*", ":*" or ""
    sid: str


def role_grants(tf: Terraform, function: str) -> list[Grant]:
    fn = tf.fn
    policy = fn.resources.get(("aws_iam_role_policy", "this"))
    if not policy or expr(policy["policy"]) != "local.role_policies[each.key]":
        raise CheckerError("modules/functions: aws_iam_role_policy.this must take local.role_policies[each.key]")
    for rtype in ("aws_iam_role_policy_attachment", "aws_iam_policy_attachment"):
        if any(t == rtype for (t, _) in fn.resources):
            raise CheckerError(f"modules/functions attaches {rtype}; teach the checker to read it")
    role = fn.resources[("aws_iam_role", "this")]
    if "managed_policy_arns" in role or "inline_policy" in role:
        raise CheckerError("aws_iam_role.this has managed_policy_arns/inline_policy; teach the checker")
    policies = fn.locals["role_policies"]
    if isinstance(policies, dict):
        ref = expr(policies[f'"{function}"'] if f'"{function}"' in policies else policies[function])
        m = re.fullmatch(r"data\.aws_iam_policy_document\.(\w+)\.json", ref)
    else:
        # merge({"fn" = data.x.json, ...}, { for d in data.y : "fn" => d.json })
        text = expr(policies)
        m = (re.search(r'"' + re.escape(function) + r'"\s*=\s*data\.aws_iam_policy_document\.(\w+)\.json', text)
             or re.search(r"for\s+(\w+)\s+in\s+data\.aws_iam_policy_document\.(\w+)\s*:\s*\"" + re.escape(function) + r"\"\s*=>\s*\1\.json", text))
        ref = text
        if m and m.lastindex == 2:
            m = re.match(r"(.*)", m.group(2))
    if not m:
        raise CheckerError(f"role_policies[{function}] = {ref}: not a policy document")
    grants = []
    for st in statements_of(fn.data[("aws_iam_policy_document", m.group(1))], function, tf):
        if unq(st.get("effect", '"Allow"')) != "Allow":
            continue
        for bad in ("not_actions", "not_resources", "principals"):
            if bad in st:
                raise CheckerError(f"statement {st.get('sid')} uses {bad}; not understood")
        sid = unq(st.get("sid", '""'))
        for action in st.get("actions", []):
            action = unq(action)
            for resource in st.get("resources", []):
                resource = unq(resource)
                if resource == "*":
                    grants.append(Grant(action, "*", "", sid))
                    continue
                m2 = re.fullmatch(r"\$\{([^}]+)\}(.*)", resource)
                if not m2:
                    raise CheckerError(f"statement {sid}: cannot read resource {resource}")
                target, suffix = m2.group(1), m2.group(2)
                if target.startswith("var."):
                    target = target.replace("[each.key]", f'["{function}"]')
                ident = "LOG_GROUP" if target == "aws_cloudwatch_log_group.this[each.key].arn" else tf.identity(re.sub(r"\.(arn|id|name)$", "", target) if not target.startswith("var.") else target)
                grants.append(Grant(action, ident, suffix, sid))
    return grants


def env_of(tf: Terraform, function: str) -> tuple[dict[str, str], set[str]]:
    """(always-set name -> value expression, conditionally set names) from local.environment."""
    locs = tf.fn.locals
    always, conditional = {}, set()

    def collect(value, cond=False):
        if isinstance(value, dict):
            for k, v in value.items():
                if not k.startswith("__"):
                    (conditional.add(unq(k)) if cond else always.__setitem__(unq(k), expr(v)))
            return
        e = expr(value)
        for ref in re.findall(r"\blocal\.(\w+)", e):
            collect(locs[ref], cond)
        # Object literals: those after "?" or ":" of a conditional are optional.
        for m in re.finditer(r"(\?\s*|:\s*)?\{([^{}]*)\}", e):
            is_cond = bool(m.group(1))
            for km in re.finditer(r"\b([A-Z][A-Z0-9_]*)\s*=\s*([^,}]+)", m.group(2)):
                if is_cond or cond:
                    conditional.add(km.group(1))
                else:
                    always[km.group(1)] = km.group(2).strip()

    environment = locs["environment"]
    entry = environment.get(f'"{function}"', environment.get(function))
    if entry is None:
        raise CheckerError(f"local.environment has no entry for {function}")
    collect(entry)
    lam = tf.fn.resources[("aws_lambda_function", "this")]
    if expr(lam["environment"][0]["variables"]) != "local.environment[each.key]":
        raise CheckerError("aws_lambda_function.this environment must be local.environment[each.key]")
    return always, conditional - set(always)


# ---------------------------------------------------------------------------
# Reading the local stack (crates/onboarding-devstack)
# ---------------------------------------------------------------------------

def kebab(camel: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"-\1", camel).lower()


class LocalStack:
    def __init__(self, root: Path):
        src = root / "crates/onboarding-devstack/src"
        self.provision = read_rust(src / "provision.rs").text
        self.stack = read_rust(src / "stack.rs").text
        self.names = set(re.findall(r'format!\("\{prefix\}-([\w{}-]+)"', self.provision))
        for m in re.finditer(r'format!\("\{prefix\}-\{(\w+)\}"', self.provision):
            self.names.add("{" + m.group(1) + "}")
        self.names |= {"mailbox-{vendor_id}"} if "fn mailbox_queue_name" in self.provision else set()
        self.names = {n for n in self.names if not n.startswith("mailbox-{") or n == "mailbox-{vendor_id}"}

    def binding_name(self, binding: str) -> str:
        """The <prefix>-suffix a variable of provision() was created with."""
        p = self.provision
        patterns = [
            r"let\s*\(\s*" + binding + r"\s*,[^)]*\)\s*=\s*create_queue\(\s*clients,\s*&format!\(\"\{prefix\}-([\w-]+)\"\)",
            r"let\s+" + binding + r"\s*=\s*format!\(\"\{prefix\}-([\w-]+)\"\)",
            r"let\s+" + binding + r"\s*=\s*clients\s*\.sns\s*\.create_topic\(\)\s*\.name\(format!\(\"\{prefix\}-([\w-]+)\"\)\)",
        ]
        for pat in patterns:
            m = re.search(pat, p)
            if m:
                return m.group(1)
        if binding in ("staging_table", "staging_stream_arn"):
            m = re.search(r"fn create_staging_table[^{]*\{\s*let table = format!\(\"\{prefix\}-([\w-]+)\"\)", p)
            if m and re.search(r"let\s*\(\s*staging_table\s*,\s*staging_stream_arn\s*\)\s*=\s*create_staging_table\(", p):
                return m.group(1)
        raise CheckerError(f"provision.rs: cannot see how '{binding}' is named (teach scripts/check_contract.py)")

    def env_resource(self, var: str) -> str:
        m = re.search(r"env\.set\(\s*keys::" + var + r",\s*&resources\.(\w+),?\s*\)", self.stack)
        if not m:
            raise CheckerError(f"stack.rs does not set {var} from the provisioned resources")
        return self.binding_name(m.group(1))

    def function_env(self) -> dict[str, tuple[set[str], set[str]]]:
        """function -> (names always passed, names passed when configured)."""
        m = re.search(r"fn function_env\(.*?\n\}", self.stack, re.S)
        if not m:
            raise CheckerError("stack.rs: fn function_env not found")
        body = m.group(0)
        own_secret = "own_secret(" in body
        if "pipeline_env(" in body:
            # function_env = the function's own secret + pipeline_env.
            m = re.search(r"fn pipeline_env\(.*?\n\}", self.stack, re.S)
            if not m:
                raise CheckerError("stack.rs: fn pipeline_env not found")
            body = m.group(0)
        base = re.search(r"let mut names = vec!\[(.*?)\];", body, re.S)
        common = set(re.findall(r"keys::(\w+)", base.group(1)))
        if own_secret:
            common.add("DATABASE_SECRET_ID")
        result = {f: (set(common), set()) for f in FUNCTIONS}
        for arm in re.finditer(r"((?:FunctionKind::\w+\s*\|?\s*)+)=>\s*\{?\s*names\.extend\(\[(.*?)\]\)", body, re.S):
            for kind in re.findall(r"FunctionKind::(\w+)", arm.group(1)):
                result[kebab(kind)][0].update(re.findall(r"keys::(\w+)", arm.group(2)))
        for pm in re.finditer(r'vars\.push\(\(\s*"(\w+)"', body):
            before = body[:pm.start()]
            only = re.findall(r"\(FunctionKind::(\w+),\s*Some\(\w+\)\)\s*=\s*\(kind,[^)]*\)\s*\{\s*$", before)
            conditional = bool(re.search(r"if\s+let[^{]*\{\s*$", before)) or bool(only)
            targets = [kebab(only[-1])] if only else FUNCTIONS
            for f in targets:
                (result[f][1] if conditional else result[f][0]).add(pm.group(1))
        return result

    def portal_env(self) -> set[str]:
        """The names stack.rs portal_env passes to the vendor-api."""
        m = re.search(r"fn portal_env\(.*?\n\}", self.stack, re.S)
        if not m:
            raise CheckerError("stack.rs: fn portal_env not found")
        names = re.search(r"let names = \[(.*?)\];", m.group(0), re.S)
        if not names:
            raise CheckerError("stack.rs: portal_env has no `let names = [...]`")
        result = set(re.findall(r"keys::(\w+)", names.group(1)))
        if "own_secret(" in m.group(0):
            result.add("DATABASE_SECRET_ID")
        # Names pushed beside the list: ("NAME".to_string(), value).
        result |= set(re.findall(r'\(\s*"([A-Z][A-Z0-9_]+)"\.to_string\(\)', m.group(0)))
        return result

    def passes_stack_secret(self) -> list[str]:
        """The local functions whose DATABASE_SECRET_ID is the stack's (master) secret."""
        found = []
        for fn in ("function_env", "pipeline_env", "portal_env"):
            m = re.search(r"fn " + fn + r"\(.*?\n\}", self.stack, re.S)
            if m and re.search(r"keys::DATABASE_SECRET_ID\b", m.group(0)):
                found.append(fn)
        return found

    def table_schema(self) -> dict:
        body = re.search(r"fn create_staging_table.*?\n\}", self.provision, re.S).group(0)
        keys = re.findall(r'key\("(\w+)",\s*KeyType::(Hash|Range)\)', body)
        return {
            "hash_key": keys[0][0], "range_key": keys[1][0],
            "gsi": (re.search(r'\.index_name\("([\w-]+)"\)', body).group(1), keys[2][0], keys[3][0]),
            "stream_view_type": {"NewImage": "NEW_IMAGE", "NewAndOldImages": "NEW_AND_OLD_IMAGES", "KeysOnly": "KEYS_ONLY", "OldImage": "OLD_IMAGE"}[
                re.search(r"StreamViewType::(\w+)", body).group(1)],
            "ttl": re.search(r'TimeToLiveSpecification::builder\(\).*?\.attribute_name\("(\w+)"\)', body, re.S).group(1),
        }


# ---------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------

class Report:
    def __init__(self, verbose: bool):
        self.failures: list[str] = []
        self.notes: list[str] = []
        self.verbose = verbose

    def fail(self, check: str, message: str):
        self.failures.append(f"[{check}] {message}")

    def info(self, message: str):
        if self.verbose:
            print("    " + message)


def check_env(fn_name, facts, tf, local, report):
    always, conditional = env_of(tf, fn_name)
    spec = FUNCTION_SPECS.get(fn_name, {})
    not_set = {**ENV_NOT_SET, **spec.get("env_not_set", {})}
    for name, where in sorted(facts.env_required.items()):
        if name in always:
            continue
        if name in conditional:
            report.fail("env", f"{fn_name} requires {name} ({where}) but Terraform sets it only conditionally")
        elif name not in not_set:
            report.fail("env", f"{fn_name} requires {name} ({where}) but modules/functions local.environment does not set it")
    for name, where in sorted(facts.env_optional.items()):
        if name not in always and name not in conditional and name not in not_set and name != "RUST_LOG":
            report.fail("env", f"{fn_name} reads {name} ({where}) but Terraform never sets it; set it or add it to ENV_NOT_SET with the reason")
    if "RUST_LOG" in facts.env_optional and "RUST_LOG" not in set(always) | conditional:
        report.fail("env", f"{fn_name} reads RUST_LOG but Terraform offers no way to set it")
    for name in sorted(set(always) | conditional):
        if name not in facts.env_required and name not in facts.env_optional:
            report.fail("env", f"Terraform sets {name} for {fn_name}, but {fn_name} never reads it")
    local_env = local.function_env()
    if spec.get("local_runner") == "portal_env":
        local_env[fn_name] = (local.portal_env(), set())
    if fn_name not in local_env:
        if spec.get("local_runner", True) is True:
            raise CheckerError(f"stack.rs function_env does not know {fn_name}")
        report.notes.append(f"env: the local runner (stack.rs function_env) does not start {fn_name}; its names are not compared with Terraform's")
        report.info(f"env: Terraform sets {', '.join(sorted(always))}" + (f"; when configured {', '.join(sorted(conditional))}" if conditional else ""))
        return always
    local_always, local_cond = local_env[fn_name]
    tf_all = set(always) | conditional
    for name in sorted((local_always | local_cond) - tf_all - set(ENV_LOCAL_ONLY)):
        report.fail("env", f"the local runner passes {name} to {fn_name}, Terraform does not")
    for name in sorted(set(always) - local_always - set(spec.get("local_not_set", {}))):
        report.fail("env", f"Terraform sets {name} for {fn_name}, the local stack (stack.rs) does not")
    report.info(f"env: Terraform sets {', '.join(sorted(always))}" + (f"; when configured {', '.join(sorted(conditional))}" if conditional else ""))
    return always


def s3_targets(fn_name, facts, tf, always) -> str:
    """The bucket an S3 call of the function acts on: UPLOAD_BUCKET, or the bucket whose notification invokes it."""
    if "UPLOAD_BUCKET" in always:
        return tf.identity(always["UPLOAD_BUCKET"])
    storage = tf.modules["storage"]
    for (rtype, rname), body in storage.resources.items():
        if rtype != "aws_s3_bucket_notification":
            continue
        for target in body.get("lambda_function", []):
            var = re.fullmatch(r"var\.(\w+)", expr(target["lambda_function_arn"]))
            arg = expr(tf.root.modules["storage"].get(var.group(1), "")) if var else ""
            if f'functions["{fn_name}"]' in arg:
                r = RESOURCE_REF.search(expr(body["bucket"]))
                return f"module.storage.{r.group(1)}.{r.group(2)}{r.group(3) or ''}"
    raise CheckerError(f"{fn_name} makes S3 calls but has no UPLOAD_BUCKET and no bucket notification invokes it")


def check_iam(fn_name, facts, tf, always, report):
    grants = role_grants(tf, fn_name)
    required: list[tuple[str, str, str, str]] = []  # action, identity, suffix, why
    spec = FUNCTION_SPECS.get(fn_name, {})
    for op, flags in sorted(facts.operations.items()):
        actions, target = SECRETS_CACHE if op == "secrets_cache" else SDK_OPERATIONS[op]
        target = spec.get("operation_targets", {}).get(op, target)
        if op == "secrets_cache" and "secrets_cache_targets" in spec:
            target = tuple(spec["secrets_cache_targets"])
        actions = list(actions) + (["s3:GetObjectVersion"] if "version" in flags else [])
        why = f"{op}{' (presigned)' if 'presigned' in flags else ''} in {facts.where[op]}"
        if target is None:  # a public API: nothing to allow
            report.info(f"iam: {op} needs no permission (public API)  <- {why}")
            continue
        if target == "*":  # no resource-level permissions
            required += [(a, "*", "", why) for a in actions]
            continue
        if target == "PIPELINE_LOG_GROUPS":
            required += [
                (a, f'module.functions.aws_cloudwatch_log_group.this["{f}"]', suffix, why)
                for a in actions
                for f in PIPELINE_FUNCTIONS
                for suffix in ("", ":*")
            ]
            continue
        if target == "S3":
            bucket = s3_targets(fn_name, facts, tf, always)
            if not facts.s3_prefixes:
                raise CheckerError(f"{fn_name} makes S3 calls but references no known key prefix")
            prefixes = sorted(facts.s3_prefixes)
            if op in spec.get("s3_prefixes", {}):
                prefixes = spec["s3_prefixes"][op]
                for prefix in prefixes:
                    if prefix not in facts.s3_prefixes:
                        report.fail("iam", f"FUNCTION_SPECS says {fn_name} uses {op} on {prefix}, but its code names no such prefix (it names {sorted(facts.s3_prefixes)})")
            for prefix in prefixes:
                required += [(a, bucket, f"/{prefix}*", why) for a in actions]
        else:
            for name in (target if isinstance(target, tuple) else (target,)):
                if name not in always:
                    report.fail("iam", f"{fn_name} calls {op} on the resource named by {name}, which Terraform does not set")
                    continue
                required += [(a, tf.identity(always[name]), "", why) for a in actions]
    # S3 prefixes are per call site; a function that both reads uploads/ and
    # writes errors/ needs each action on each prefix only if the code does
    # it. The functions today touch one prefix each, so check all pairs.
    for action, ident, suffix, why in required:
        ok = any(g.action == action and g.identity == ident and fnmatch.fnmatchcase(suffix, g.suffix or "") for g in grants)
        if not ok:
            report.fail("iam", f"{fn_name} needs {action} on {ident}{suffix} ({why}), but its role does not allow it")
    infra = []
    for who, action, resource, why in INFRASTRUCTURE_PERMISSIONS:
        if who in ("*", fn_name):
            ident = resource if resource in ("*", "LOG_GROUP") else tf.identity(resource)
            infra.append((action, ident, ":*" if resource == "LOG_GROUP" else "", why))
    for g in grants:
        if any(g.action == a and g.identity == i and g.suffix == s for a, i, s, _ in required):
            continue
        if any(g.action == a and g.identity == i and g.suffix == s for a, i, s, _ in infra):
            continue
        where = "*" if g.identity == "*" else f"{g.identity}{g.suffix}"
        if g.action in spec.get("unused_grants", {}):
            report.notes.append(f"iam: {fn_name}'s role allows {g.action} on {where}, which no code path needs yet: {spec['unused_grants'][g.action]} (FUNCTION_SPECS)")
            continue
        report.fail("iam", f"{fn_name}'s role allows {g.action} on {where} (statement {g.sid}), which no code path and no INFRASTRUCTURE_PERMISSIONS entry needs")
    for action, ident, suffix, why in required:
        report.info(f"iam: {action} on {ident}{suffix}  <- {why}")


def check_master_secret(tf, checked, local, report):
    """E. Least privilege in the database: no function's configuration names
    the master secret. Each function's DATABASE_SECRET_ID is its own secret
    (the function's entry of a per-function map), its role reads no other
    secret, and the local runner gives each function its own secret too
    (stack.rs own_secret), never the stack's DATABASE_SECRET_ID (the master's)."""
    master = tf.identity("var.database_secret_arn")
    for fn_name in checked:
        always, _ = env_of(tf, fn_name)
        secret = always.get("DATABASE_SECRET_ID")
        if secret is None:
            report.fail("secrets", f"{fn_name} has no DATABASE_SECRET_ID")
            continue
        ident = tf.identity(secret)
        if ident == master:
            report.fail("secrets", f"{fn_name}'s DATABASE_SECRET_ID is the master secret ({master}); it must be its own role's secret")
        elif not ident.endswith(f'["{fn_name}"]'):
            report.fail("secrets", f"{fn_name}'s DATABASE_SECRET_ID is {ident}, not its own entry of a per-function secret map")
        for g in role_grants(tf, fn_name):
            if not g.action.startswith("secretsmanager:"):
                continue
            # Further secrets the function reads on purpose, each named by a
            # variable Terraform sets to another entry of the per-function map
            # (FUNCTION_SPECS secrets_cache_targets: the vendor-api's console login).
            extra = {
                tf.identity(always[name])
                for name in FUNCTION_SPECS.get(fn_name, {}).get("secrets_cache_targets", [])
                if name != "DATABASE_SECRET_ID" and name in always
            }
            if g.identity == master:
                report.fail("secrets", f"{fn_name}'s role may {g.action} the master secret (statement {g.sid})")
            elif g.identity in extra:
                continue
            elif g.identity != ident:
                report.fail("secrets", f"{fn_name}'s role may {g.action} {g.identity} (statement {g.sid}), which is not its own secret {ident}")
        for name, value in always.items():
            if name != "DATABASE_SECRET_ID" and "database_secret_arn" in value:
                report.fail("secrets", f"{fn_name}'s {name} names the master secret")
    for fn in local.passes_stack_secret():
        report.fail("secrets", f"stack.rs {fn} passes the stack's DATABASE_SECRET_ID (the master secret) to a function; use own_secret")


def check_names(tf, local, report):
    tf_names = tf.names()
    tf_suffixes = {}
    for name, ident in tf_names.items():
        if not name.startswith("<prefix>-"):
            report.fail("names", f"{ident} is named '{name}', not '<prefix>-...': every name must start with the environment prefix")
            continue
        tf_suffixes[name[len("<prefix>-"):]] = ident
    renamed = NAME_DIFFERENCES["renamed"]
    local_names = set(local.names)
    aws_side = set()
    for suffix in tf_suffixes:
        plain = suffix[:-len(BUCKET_ACCOUNT_SUFFIX)] if suffix.endswith(BUCKET_ACCOUNT_SUFFIX) else suffix
        aws_side.add(plain)
        if plain in NAME_DIFFERENCES["aws_only"]:
            continue
        if renamed.get(plain, plain) not in local_names:
            report.fail("names", f"Terraform creates '<prefix>-{suffix}', the local stack has no '<prefix>-{renamed.get(plain, plain)}' (provision.rs)")
    for name in sorted(local_names):
        if name in NAME_DIFFERENCES["local_only"] or name in renamed.values():
            continue
        if name not in aws_side:
            report.fail("names", f"the local stack provisions '<prefix>-{name}', Terraform creates no '<prefix>-{name}'")
    for tf_name, local_name in renamed.items():
        if tf_name in aws_side and local_name in local_names:
            report.notes.append(f"names: Terraform '<prefix>-{tf_name}' is '<prefix>-{local_name}' locally (NAME_DIFFERENCES['renamed'])")
    # Each resource-naming variable points at the same-named resource.
    for var in ("STAGING_TABLE", "ERROR_QUEUE_URL", "CANDIDATE_ERROR_QUEUE_URL", "UPLOAD_BUCKET", "NOTIFICATION_TOPIC_ARN"):
        users = [f for f in FUNCTIONS if var in env_of(tf, f)[0]]
        if not users:
            report.fail("names", f"no function gets {var} from Terraform")
            continue
        aws = tf.resource_name(tf.identity(env_of(tf, users[0])[0][var]))
        aws = aws[len("<prefix>-"):]
        aws = aws[:-len(BUCKET_ACCOUNT_SUFFIX)] if aws.endswith(BUCKET_ACCOUNT_SUFFIX) else aws
        here = local.env_resource(var)
        if aws != here:
            report.fail("names", f"{var}: Terraform points it at '<prefix>-{aws}', the local stack at '<prefix>-{here}'")
        report.info(f"names: {var} -> <prefix>-{aws} (both)")
    # Redrive: the errors queue dead-letters into <prefix>-errors-dlq on both sides.
    errors = tf.modules["messaging"].resources[("aws_sqs_queue", "errors")]
    target = re.search(r'dead_letter\["([\w-]+)"\]', unq(errors.get("redrive_policy", "")))
    # The attributes both local errors queues are created with (checked below).
    local_dlq = re.search(r'let errors_queue_attributes = \[.*?redrive_policy\(&(\w+)_arn', local.provision, re.S)
    if not target or not local_dlq or target.group(1) != local.binding_name(local_dlq.group(1) + "_url"):
        report.fail("names", "the errors queue's dead-letter queue differs between Terraform and the local stack")
    # The candidate lane's queue is the errors queue's twin on both sides.
    candidate = tf.modules["messaging"].resources.get(("aws_sqs_queue", "errors_candidate"), {})
    for attr in ("visibility_timeout_seconds", "message_retention_seconds", "receive_wait_time_seconds", "redrive_policy"):
        if expr(candidate.get(attr, "")) != f"aws_sqs_queue.errors.{attr}":
            report.fail("names", f"the candidate errors queue's {attr} is not the errors queue's (aws_sqs_queue.errors.{attr})")
    twins = re.findall(r'create_queue\(\s*clients,\s*&format!\("\{prefix\}-(errors(?:-candidate)?)"\),\s*&(\w+),?\s*\)', local.provision)
    if len(twins) != 2 or twins[0][1] != twins[1][1]:
        report.fail("names", f"the local errors queues are not created with the same attributes ({twins})")
    # The staging table's shape.
    table = tf.modules["data"].resources[("aws_dynamodb_table", "staging")]
    gsi = table["global_secondary_index"][0]
    aws_schema = {
        "hash_key": unq(table["hash_key"]), "range_key": unq(table["range_key"]),
        "gsi": (unq(gsi["name"]), unq(gsi["hash_key"]), unq(gsi["range_key"])),
        "stream_view_type": unq(table["stream_view_type"]),
        "ttl": unq(table["ttl"][0]["attribute_name"]),
    }
    local_schema = local.table_schema()
    for k in aws_schema:
        if aws_schema[k] != local_schema[k]:
            report.fail("names", f"staging table {k}: Terraform {aws_schema[k]}, local stack {local_schema[k]}")
    core = (tf.root_dir.parent / "crates/onboarding-core/src/pipeline.rs").read_text()
    struct = re.search(r"pub struct StagedRow \{(.*?)\n\}", core, re.S)
    fields = set(re.findall(r"pub (\w+):", struct.group(1))) if struct else set()
    for attr in (aws_schema["hash_key"], aws_schema["range_key"], aws_schema["gsi"][1], aws_schema["ttl"]):
        if attr not in fields:
            report.fail("names", f"the staging table uses attribute '{attr}', which StagedRow (onboarding-core) does not have")


def check_trigger(tf, code, local, report):
    """The uploads bucket notifies the csv-parser's `live` alias for uploads/
    and its `candidate` alias for candidate/uploads/ (the deploy script's
    smoke lane), with the code's prefixes and the local stack's."""
    storage = tf.modules["storage"]
    notes = [b for (t, _), b in storage.resources.items() if t == "aws_s3_bucket_notification"]
    lam = [t for b in notes for t in b.get("lambda_function", [])]
    lanes = {"live": (code.uploads_prefix, "csv_parser_alias_arn", "alias_arn", "UPLOADS_PREFIX"),
             "candidate": (code.candidate_uploads_prefix, "csv_parser_candidate_alias_arn", "candidate_alias_arn", "CANDIDATE_UPLOADS_PREFIX")}
    if len(lam) != len(lanes):
        raise CheckerError(f"expected {len(lanes)} lambda_function blocks in the uploads bucket notification (live and candidate), found {len(lam)}")
    storage_args = tf.root.modules["storage"]
    for lane, (want_prefix, variable, output_attr, local_const) in lanes.items():
        mine = [t for t in lam if expr(t["lambda_function_arn"]) == f"var.{variable}"]
        if len(mine) != 1:
            report.fail("names", f"no bucket notification targets var.{variable} (the csv-parser's {lane} alias)")
            continue
        target = expr(storage_args.get(variable, ""))
        if target != f'module.functions.functions["csv-parser"].{output_attr}':
            report.fail("names", f"terraform/main.tf passes {variable} = {target}, not the csv-parser's {lane} alias ({output_attr})")
        prefix, suffix = unq(mine[0].get("filter_prefix", '""')), unq(mine[0].get("filter_suffix", '""'))
        if prefix != want_prefix:
            report.fail("names", f"the {lane} S3 trigger filters on '{prefix}', the code's prefix is '{want_prefix}'")
        m = re.search(r'pub const ' + local_const + r': &str = "([^"]+)"', local.provision)
        if not m or m.group(1) != want_prefix:
            report.fail("names", f"the local bucket notification prefix {local_const} differs from the code's '{want_prefix}'")
        if suffix and "FilterRuleName::Suffix" not in local.provision:
            if KNOWN_TRIGGER_DIFFERENCES.get("suffix") == suffix:
                report.notes.append(f"trigger: AWS invokes the csv-parser only for keys ending in '{suffix}'; the local notification filters on the prefix only (KNOWN_TRIGGER_DIFFERENCES)")
            else:
                report.fail("names", f"the {lane} S3 trigger needs suffix '{suffix}', the local stack has no suffix filter")


def filter_matches(pattern, event) -> bool:
    """Lambda event filtering, the subset our patterns use: nested objects,
    lists of literal values (equality) and {"exists": bool} on a leaf."""
    if isinstance(pattern, dict):
        return all(filter_matches_key(pattern[k], event, k) for k in pattern)
    raise CheckerError(f"filter pattern shape not understood: {pattern!r}")


def filter_matches_key(rule, event, key) -> bool:
    present = isinstance(event, dict) and key in event
    if isinstance(rule, dict):
        # A missing object: its leaves are missing too ({"exists": false} holds).
        return filter_matches(rule, event[key] if present else {})
    if not isinstance(rule, list):
        raise CheckerError(f"filter rule for {key} is not a list: {rule!r}")
    for option in rule:
        if isinstance(option, dict) and set(option) == {"exists"}:
            if bool(option["exists"]) == (present and not isinstance(event[key], dict)):
                return True
        elif isinstance(option, (str, int, float, bool)):
            if present and event[key] == (unq(option) if isinstance(option, str) else option):
                return True
        else:
            raise CheckerError(f"filter operator not understood: {option!r}")
    return False


def check_lanes(tf, root: Path, report):
    """Blue/green lanes (docs/releases.md#the-candidate-lane-testing-new-versions-before-the-switch): each stream mapping's filter, run
    on the records the code writes, lets through exactly its lane's INSERTs,
    and each lane's mappings target that lane's alias and errors queue."""
    core = (root / "crates/onboarding-core/src/pipeline.rs").read_text()
    keys = (root / "crates/onboarding-core/src/upload_key.rs").read_text()
    if not re.search(r'skip_serializing_if = "Lane::is_live"\)\]\s*pub lane: Lane,', core):
        raise CheckerError("StagedRow has no `lane: Lane` attribute that live rows leave out")
    if "Candidate," not in keys or '#[serde(rename_all = "snake_case")]\npub enum Lane' not in keys:
        raise CheckerError("Lane is not a snake_case serde enum with Candidate")
    lanes = tf.fn.locals.get("lanes")
    if not isinstance(lanes, dict) or set(lanes) != {"live", "candidate"}:
        raise CheckerError("modules/functions has no local.lanes with live and candidate")
    row = {"upload_id": {"S": "U"}, "record_id": {"S": "000001"}}
    records = {
        ("live", "INSERT"): {"eventName": "INSERT", "dynamodb": {"NewImage": dict(row)}},
        ("candidate", "INSERT"): {"eventName": "INSERT", "dynamodb": {"NewImage": dict(row, lane={"S": "candidate"})}},
        ("live", "MODIFY"): {"eventName": "MODIFY", "dynamodb": {"NewImage": dict(row)}},
        ("candidate", "MODIFY"): {"eventName": "MODIFY", "dynamodb": {"NewImage": dict(row, lane={"S": "candidate"})}},
    }
    for lane, spec in lanes.items():
        for (record_lane, event), record in records.items():
            want = record_lane == lane and event == "INSERT"
            if filter_matches(spec["stream_filter"], record) != want:
                report.fail("lanes", f"the {lane} stream filter {'drops' if want else 'lets through'} a {record_lane} {event} record")
        if expr(spec["alias"]) != f"aws_lambda_alias.{lane}":
            report.fail("lanes", f"the {lane} lane's mappings target {expr(spec['alias'])}, not aws_lambda_alias.{lane}")
    queue_of = {"live": "ERROR_QUEUE_URL", "candidate": "CANDIDATE_ERROR_QUEUE_URL"}
    env, _ = env_of(tf, "product-validator")
    for lane, var in queue_of.items():
        if var in env and tf.identity(expr(lanes[lane]["errors_queue_arn"])) != tf.identity(env[var]):
            report.fail("lanes", f"the {lane} lane's error-processor reads {expr(lanes[lane]['errors_queue_arn'])}, but the validator sends that lane's messages to {env[var]} ({var})")
    triggers = {name: body for (t, name), body in tf.fn.resources.items() if t == "aws_lambda_event_source_mapping"}
    for name, body in triggers.items():
        if expr(body.get("for_each", "")) != "local.lanes":
            report.fail("lanes", f"aws_lambda_event_source_mapping.{name} is not one per lane (for_each = local.lanes)")


EMF_METRIC_CALL = re.compile(r'\.metric\(\s*"(\w+)"')
EMF_DIMENSION_CALL = re.compile(r'\.dimension\(\s*"(\w+)"\s*,\s*"([^"]*)"\s*\)')
# [local.emf_namespace, "Metric", "Function", local.<fn>, "Dim", "value", ...]
DASHBOARD_SERIES = re.compile(r'\[\s*local\.emf_namespace\s*,\s*"(\w+)"\s*,\s*"Function"\s*,\s*local\.(\w+)((?:\s*,\s*"\w+"\s*,\s*"[^"]*")*)')


def check_dashboard(root: Path, tf, report):
    """D. The dashboard shows only EMF metrics the functions emit: each metric of
    local.emf_metrics is emitted by some function, and each series named
    exactly ([local.emf_namespace, "M", "Function", local.<fn>, "Dim", "v"])
    by that function, with that dimension value."""
    obs = tf.modules["observability"]
    text = (obs.path / "dashboard.tf").read_text()
    emitted: dict[str, set[str]] = {}
    dimensions: dict[str, set[tuple[str, str]]] = {}
    # What crates/onboarding-aws emits (shared start-up code) counts for
    # every function.
    shared_metrics: set[str] = set()
    shared_dimensions: set[tuple[str, str]] = set()
    for rs in sorted((root / "crates/onboarding-aws/src").rglob("*.rs")):
        body = read_rust(rs).text
        shared_metrics.update(EMF_METRIC_CALL.findall(body))
        shared_dimensions.update(EMF_DIMENSION_CALL.findall(body))
    for src in sorted((root / "functions").glob("*/src")):
        fn = src.parent.name
        emitted[fn] = set(shared_metrics)
        dimensions[fn] = set(shared_dimensions)
        for rs in sorted(src.rglob("*.rs")):
            body = read_rust(rs).text
            emitted[fn].update(EMF_METRIC_CALL.findall(body))
            dimensions[fn].update(EMF_DIMENSION_CALL.findall(body))
    everywhere = set().union(*emitted.values()) if emitted else set()
    metrics = obs.locals.get("emf_metrics")
    if not isinstance(metrics, dict):
        raise CheckerError("modules/observability/dashboard.tf has no local emf_metrics map")
    for name in (unq(k) for k in metrics):
        if name not in everywhere:
            report.fail("dashboard", f"the dashboard shows EMF metric {name}, which no function emits (.metric(\"{name}\", ...))")
    function_of = dict(re.findall(r'^\s*(\w+)\s*=\s*var\.function_names\["([\w-]+)"\]', text, re.M))
    series = DASHBOARD_SERIES.findall(text)
    for name, local_name, rest in series:
        fn = function_of.get(local_name)
        if fn is None:
            raise CheckerError(f"dashboard.tf: local.{local_name} is not var.function_names[\"<function>\"]")
        if name not in emitted.get(fn, set()):
            report.fail("dashboard", f"the dashboard reads {name} of {fn}, which {fn} does not emit")
        for dim, value in re.findall(r'"(\w+)"\s*,\s*"([^"]*)"', rest):
            if (dim, value) not in dimensions.get(fn, set()):
                report.fail("dashboard", f"the dashboard reads {name} of {fn} with {dim}={value}, which {fn} does not emit (.dimension(\"{dim}\", \"{value}\"))")
    if len(series) != text.count("local.emf_namespace,"):
        raise CheckerError("dashboard.tf: a [local.emf_namespace, ...] series is not of the form [local.emf_namespace, \"M\", \"Function\", local.<fn>, ...]")
    # Logs Insights widgets: every field a query needs on the validator's
    # lines is a metric or a property the validator emits.
    validator_src = "".join(read_rust(rs).text for rs in sorted((root / "functions/product-validator/src").rglob("*.rs")))
    for widget_query in re.findall(r"SOURCE '\$\{local\.log_group\[\"product-validator\"\]\}'[^\n]*", text):
        for name in re.findall(r"ispresent\((\w+)\)", widget_query):
            if not re.search(r'\.(?:metric|property)\(\s*"' + name + '"', validator_src):
                report.fail("dashboard", f"a Logs Insights widget needs field {name} on the product-validator's lines, which it does not emit (.property(\"{name}\", ...))")
    report.info(f"dashboard: {len(metrics)} SEARCH metrics, {len(series)} exact series, all emitted")


# ---------------------------------------------------------------------------
# Self-test: break the contract in a scratch copy, one way at a time, and
# check that the checker notices (and says what broke).
# ---------------------------------------------------------------------------

# (what is broken, file, text to replace, replacement, expected exit, expected message)
MUTATIONS = [
    ("the admins group renamed in Terraform",
     "terraform/modules/portal/cognito.tf", 'name         = "admins"', 'name         = "operators"',
     1, "the admin API requires the Cognito group 'admins'"),
    ("API Gateway routes only the uploads, not the admin API",
     "terraform/modules/portal/api.tf", 'route_key          = "ANY /api/{proxy+}"', 'route_key          = "ANY /api/uploads/{proxy+}"',
     1, "the router serves /api/admin/vendors, no API Gateway route"),
    ("the product-validator is configured with the master secret",
     "terraform/modules/functions/main.tf", '{ DATABASE_SECRET_ID = var.function_secret_arns["product-validator"] }', '{ DATABASE_SECRET_ID = var.database_secret_arn }',
     1, "product-validator's DATABASE_SECRET_ID is the master secret"),
    ("every role may read the master secret again",
     "terraform/modules/functions/iam.tf", "resources = [var.function_secret_arns[each.key]]", "resources = [var.function_secret_arns[each.key], var.database_secret_arn]",
     1, "role may secretsmanager:GetSecretValue the master secret"),
    ("the local runner gives the functions the stack's (master) secret",
     "crates/onboarding-devstack/src/stack.rs", "let mut names = vec![\n        keys::AWS_ENDPOINT_URL,", "let mut names = vec![\n        keys::DATABASE_SECRET_ID,\n        keys::AWS_ENDPOINT_URL,",
     1, "passes the stack's DATABASE_SECRET_ID"),
    ("Terraform stops setting ERROR_QUEUE_URL",
     "terraform/modules/functions/main.tf", "    ERROR_QUEUE_URL           = var.errors_queue_url\n", "",
     1, "csv-parser requires ERROR_QUEUE_URL"),
    ("the error-processor reads a new variable",
     "functions/error-processor/src/main.rs", 'env_var("UPLOAD_BUCKET")?,', 'env_var("UPLOAD_BUCKET")?, env_var("ARCHIVE_BUCKET")?,',
     1, "error-processor requires ARCHIVE_BUCKET"),
    ("Terraform sets a variable nobody reads",
     "terraform/modules/functions/main.tf", "    STAGING_TABLE             = var.staging_table_name\n", "    STAGING_TABLE             = var.staging_table_name\n    STAGING_INDEX             = \"vendor-index\"\n",
     1, "Terraform sets STAGING_INDEX for csv-parser, but csv-parser never reads it"),
    ("the csv-parser role loses s3:GetObjectVersion",
     "terraform/modules/functions/iam.tf", 'actions = ["s3:GetObject", "s3:GetObjectVersion"]', 'actions = ["s3:GetObject"]',
     1, "csv-parser needs s3:GetObjectVersion"),
    ("the error-processor role gains s3:DeleteObject",
     "terraform/modules/functions/iam.tf", 'actions   = ["s3:PutObject", "s3:GetObject"]', 'actions   = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"]',
     1, "error-processor's role allows s3:DeleteObject"),
    ("the csv-parser stages rows on the wrong resource",
     "terraform/modules/functions/iam.tf", '    actions   = ["dynamodb:BatchWriteItem"]\n    resources = [var.staging_table_arn]\n  }\n\n  statement {\n    sid       = "QueueFailedUploadNotices"',
     '    actions   = ["dynamodb:BatchWriteItem"]\n    resources = [var.staging_table_stream_arn]\n  }\n\n  statement {\n    sid       = "QueueFailedUploadNotices"',
     1, "csv-parser needs dynamodb:BatchWriteItem on module.data.aws_dynamodb_table.staging"),
    ("the code makes an AWS call the checker cannot map",
     "crates/onboarding-aws/src/s3.rs", "        .put_object()\n", "        .delete_object()\n",
     2, "AWS SDK operation 'delete_object' has no IAM mapping"),
    ("Terraform renames the errors queue",
     "terraform/modules/messaging/main.tf", '"${var.name_prefix}-errors"', '"${var.name_prefix}-error-queue"',
     1, "Terraform points it at '<prefix>-error-queue', the local stack at '<prefix>-errors'"),
    ("the local stack renames the stream-failures queue",
     "crates/onboarding-devstack/src/provision.rs", '"{prefix}-stream-failures"', '"{prefix}-stream-dlq"',
     1, "Terraform creates '<prefix>-stream-failures', the local stack has no '<prefix>-stream-failures'"),
    ("the local table's TTL attribute differs",
     "crates/onboarding-devstack/src/provision.rs", '.attribute_name("expires_at")', '.attribute_name("ttl")',
     1, "staging table ttl: Terraform expires_at, local stack ttl"),
    # The portal's vendor-api (FUNCTION_SPECS): crates/onboarding-api is read too.
    ("Terraform stops setting COGNITO_CLIENT_ID for the vendor-api",
     "terraform/modules/functions/main.tf", "    COGNITO_CLIENT_ID    = var.cognito_client_id\n", "",
     1, "vendor-api requires COGNITO_CLIENT_ID"),
    ("the local portal stops passing COGNITO_CLIENT_ID",
     "crates/onboarding-devstack/src/stack.rs", "        keys::COGNITO_CLIENT_ID,\n        keys::COGNITO_JWKS_URL,\n", "        keys::COGNITO_JWKS_URL,\n",
     1, "Terraform sets COGNITO_CLIENT_ID for vendor-api, the local stack (stack.rs) does not"),
    ("the vendor-api role loses AdminUpdateUserAttributes",
     "terraform/modules/functions/iam.tf", 'actions   = ["cognito-idp:AdminUpdateUserAttributes"]', 'actions   = []',
     1, "vendor-api needs cognito-idp:AdminUpdateUserAttributes"),
    ("the console may no longer query the csv-parser's logs",
     "terraform/modules/functions/iam.tf", '      aws_cloudwatch_log_group.this["csv-parser"].arn,\n', '',
     1, "vendor-api needs logs:StartQuery on module.functions.aws_cloudwatch_log_group.this[\"csv-parser\"]"),
    ("the console may delete messages of every dead-letter queue",
     "terraform/modules/functions/iam.tf", '    actions   = ["sqs:DeleteMessage"]\n    resources = [var.errors_dlq_arn]', '    actions   = ["sqs:DeleteMessage"]\n    resources = [var.errors_dlq_arn, var.stream_failures_queue_arn]',
     1, "vendor-api's role allows sqs:DeleteMessage"),
    ("the vendor-api may presign uploads anywhere in the bucket",
     "terraform/modules/functions/iam.tf", '    sid       = "PresignUploads"\n    actions   = ["s3:PutObject"]\n    resources = ["${var.upload_bucket_arn}/uploads/*"]',
     '    sid       = "PresignUploads"\n    actions   = ["s3:PutObject"]\n    resources = ["${var.upload_bucket_arn}/*"]',
     1, "vendor-api's role allows s3:PutObject on module.storage.aws_s3_bucket.this[\"uploads\"]/* (statement PresignUploads)"),
    # D. The dashboard.
    ("the csv-parser stops emitting RowsParsed",
     "functions/csv-parser/src/handler.rs", '.metric("RowsParsed", Unit::Count', '.metric("RowsStaged", Unit::Count',
     1, "the dashboard reads RowsParsed of csv-parser, which csv-parser does not emit"),
    ("the dashboard counts report durations of the wrong stage",
     "terraform/modules/observability/dashboard.tf", '"Stage", "report"', '"Stage", "notify"',
     1, "the dashboard reads StageDuration of error-processor with Stage=notify"),
    ("the validator stops naming the error type of its ValidationErrors lines",
     "functions/product-validator/src/handler.rs", '.property("ErrorType", error_type)', '.property("Kind", error_type)',
     1, "needs field ErrorType on the product-validator's lines"),
    ("the live stream filter stops excluding the candidate lane",
     "terraform/modules/functions/triggers.tf", "dynamodb  = { NewImage = { lane = { S = [{ exists = false }] } } }\n", "\n",
     1, "the live stream filter lets through a candidate INSERT record"),
    ("the candidate lane's messages go to the live error-processor",
     "terraform/modules/functions/triggers.tf", "errors_queue_arn = var.candidate_errors_queue_arn", "errors_queue_arn = var.errors_queue_arn",
     1, "the candidate lane's error-processor reads var.errors_queue_arn"),
    ("the candidate notification invokes the live alias",
     "terraform/main.tf", 'module.functions.functions["csv-parser"].candidate_alias_arn', 'module.functions.functions["csv-parser"].alias_arn',
     1, "not the csv-parser's candidate alias"),
    ("the csv-parser may not read candidate-lane uploads",
     "terraform/modules/functions/iam.tf", '"${var.upload_bucket_arn}/candidate/uploads/*",', "",
     1, "csv-parser needs s3:GetObject on module.storage.aws_s3_bucket.this[\"uploads\"]/candidate/uploads/*"),
]

COPIED = ["terraform", "crates/onboarding-aws/src", "crates/onboarding-api/src", "crates/onboarding-core/src", "crates/onboarding-core/Cargo.toml",
          "crates/onboarding-db/Cargo.toml", "crates/onboarding-devstack/src", "functions"]


def check_portal(tf, root: Path, report):
    """The portal's API in Terraform serves what the router serves: the
    Cognito group the admin routes require exists, and every route of the
    router (nested under /api) reaches the function through an API Gateway
    route."""
    portal = tf.modules.get("portal")
    if portal is None:
        report.fail("portal", "terraform/main.tf has no portal module")
        return
    auth = (root / "crates/onboarding-api/src/auth.rs").read_text()
    group = re.search(r'pub const ADMINS_GROUP: &str = "([^"]+)";', auth)
    if not group:
        raise CheckerError("crates/onboarding-api/src/auth.rs has no ADMINS_GROUP")
    groups = {unq(body.get("name")) for (rtype, _), body in portal.resources.items() if rtype == "aws_cognito_user_group"}
    if group.group(1) not in groups:
        report.fail("portal", f"the admin API requires the Cognito group {group.group(1)!r}, Terraform creates {sorted(groups)}")
    router = (root / "crates/onboarding-api/src/routes/mod.rs").read_text()
    paths = ["/api" + p for p in re.findall(r'\.route\(\s*"([^"]+)"', router)]
    if not paths:
        raise CheckerError("crates/onboarding-api/src/routes/mod.rs lists no routes")
    keys = [unq(body.get("route_key")) for (rtype, _), body in portal.resources.items() if rtype == "aws_apigatewayv2_route"]

    def served(path: str) -> bool:
        for key in keys:
            _, _, pattern = key.partition(" ")
            if pattern.endswith("/{proxy+}"):
                if path.startswith(pattern[: -len("{proxy+}")]):
                    return True
            elif re.fullmatch(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(pattern)), path):
                return True
        return False

    for path in paths:
        if not served(path):
            report.fail("portal", f"the router serves {path}, no API Gateway route ({keys}) reaches it")


def self_test(root: Path) -> int:
    import contextlib
    import io
    import shutil
    import tempfile
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        for rel in COPIED:
            src = root / rel
            if src.is_dir():
                shutil.copytree(src, scratch / rel, ignore=shutil.ignore_patterns("target", ".terraform*", "*.tfstate*"))
            else:
                (scratch / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, scratch / rel)
        for what, rel, old, new, want_rc, want_msg in MUTATIONS:
            path = scratch / rel
            original = path.read_text()
            if original.count(old) != 1:
                print(f"  self-test: cannot apply '{what}': the text to replace occurs {original.count(old)} times in {rel}")
                failures += 1
                continue
            path.write_text(original.replace(old, new))
            out = io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                rc = main(["--root", str(scratch)])
            path.write_text(original)
            ok = rc == want_rc and want_msg in out.getvalue()
            failures += 0 if ok else 1
            print(f"  {'ok  ' if ok else 'FAIL'} broken on purpose: {what} -> exit {rc}" + ("" if ok else f" (expected {want_rc} with '{want_msg}'):\n{out.getvalue()}"))
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            rc = main(["--root", str(scratch)])
        if rc != 0:
            print(f"  FAIL the unbroken scratch copy does not pass:\n{out.getvalue()}")
            failures += 1
    if failures:
        print(f"contract self-test FAILED: {failures} deliberate break(s) not caught as expected")
    else:
        print(f"contract self-test: all {len(MUTATIONS)} deliberate breaks caught")
    return 1 if failures else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--self-test", action="store_true", help="break the contract in a scratch copy and check that it is caught")
    args = parser.parse_args(argv)
    if args.self_test:
        return self_test(args.root)
    report = Report(args.verbose)
    try:
        code = RustCode(args.root)
        tf = Terraform(args.root)
        local = LocalStack(args.root)
        functions = tf.root.locals.get("functions", {})
        checked = list(FUNCTIONS)
        if isinstance(functions, dict):
            keys = set(unq(k) for k in functions.keys())
        else:
            keys = set(unq(k) for k in tf.root.locals.get("base_functions", {}).keys())
            for fn_name, local_name in OPTIONAL_FUNCTIONS.items():
                optional = set(unq(k) for k in tf.root.locals.get(local_name, {}).keys())
                if optional and optional != {fn_name}:
                    raise CheckerError(f"terraform/main.tf local.{local_name} is {sorted(optional)}, the checker expects {fn_name}")
                if fn_name in optional and f"local.{local_name}" in expr(functions):
                    checked.append(fn_name)
        if keys and keys != set(FUNCTIONS):
            raise CheckerError(f"terraform/main.tf local.functions is {sorted(keys)}, the checker knows {FUNCTIONS}")
        for fn_name in checked:
            if FUNCTION_SPECS.get(fn_name, {}).get("source_optional") and not code.has_source(fn_name):
                report.notes.append(f"{fn_name}: no functions/{fn_name}/src yet; its environment and IAM are not checked")
                continue
            facts = code.function_facts(fn_name)
            if args.verbose:
                print(f"  {fn_name}: reaches {len(facts.reached)} functions of onboarding-aws: {', '.join(sorted(facts.reached))}")
            always = check_env(fn_name, facts, tf, local, report)
            check_iam(fn_name, facts, tf, always, report)
        check_master_secret(tf, checked, local, report)
        check_names(tf, local, report)
        check_trigger(tf, code, local, report)
        check_lanes(tf, args.root, report)
        check_dashboard(args.root, tf, report)
        check_portal(tf, args.root, report)
    except CheckerError as e:
        print(f"contract check: cannot read the code: {e}", file=sys.stderr)
        return 2
    except (KeyError, AttributeError, IndexError, TypeError) as e:
        print(f"contract check: unexpected shape in the Terraform or Rust code ({type(e).__name__}: {e}); teach scripts/check_contract.py", file=sys.stderr)
        return 2
    for note in report.notes:
        print(f"  note: {note}")
    if report.failures:
        print(f"contract check FAILED ({len(report.failures)}):", file=sys.stderr)
        for failure in report.failures:
            print(f"  - {failure}", file=sys.stderr)
        return 1
    print(f"contract check passed: {len(checked)} functions (environment, IAM: {', '.join(checked)}), own database secrets, names, table shape, trigger, dashboard metrics, portal group and routes")
    return 0


if __name__ == "__main__":
    sys.exit(main())

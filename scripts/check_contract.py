#!/usr/bin/env python3
"""Compares the code's deployment contract with the Terraform (terraform/).

    .venv/contract/bin/python scripts/check_contract.py --contract FILE [--root DIR]

FILE is the output of `onboard contract --json` (crates/onboarding-aws/src/
contract.rs). The Terraform is read with python-hcl2; nothing here reads Rust.
docs/configuration.md lists what is compared. The invariants between settings
are checked in Rust over the same data, so they hold for the Terraform once it
equals the contract. scripts/check_contract_test.py breaks either side on purpose.

Exit status: 0 all agree; 1 a contract is broken (each finding printed);
2 the checker could not read the Terraform or the contract.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import sys
from collections import namedtuple
from pathlib import Path

try:
    import hcl2
except ImportError:  # pragma: no cover - the venv is made by check-terraform.sh
    sys.stderr.write("check_contract.py needs python-hcl2 (scripts/check-terraform.sh installs it into .venv/contract)\n")
    sys.exit(2)


class CheckerError(Exception):
    """The checker met Terraform it cannot read: exit 2."""


def unq(value):
    """python-hcl2 keeps quotes: '"x"' -> 'x'; '${expr}' stays as it is."""
    return value[1:-1] if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"' else value


def expr(value) -> str:
    """The expression inside '${...}', or the template text."""
    value = unq(value)
    return value[2:-1] if isinstance(value, str) and value.startswith("${") and value.endswith("}") and value.count("${") == 1 else value


@functools.cache  # the self-test re-reads unchanged files many times
def parse(text: str) -> dict:
    return hcl2.loads(text)


class Module:
    def __init__(self, path: Path):
        self.resources, self.data, self.locals, self.outputs, self.modules = {}, {}, {}, {}, {}
        for tf in sorted(path.glob("*.tf")):
            doc = parse(tf.read_text())
            for kind, into in (("resource", self.resources), ("data", self.data)):  # keyed by (type, name)
                into.update({(unq(rtype), unq(name)): body for block in doc.get(kind, []) for rtype, named in block.items() for name, body in named.items()})
            for kind, into in (("locals", self.locals), ("output", self.outputs), ("module", self.modules)):  # keyed by name
                into.update({unq(k): v for block in doc.get(kind, []) for k, v in block.items() if not k.startswith("__")})


SELF_ATTRIBUTES = {"arn", "id", "name", "url", "bucket"}
RESOURCE_REF = re.compile(r'\b(aws_[a-z0-9_]+)\.([a-z0-9_]+)(\[[^\]]*\])?')
REFERENCE = re.compile(r'\b(var|local)\.(\w+)((?:\["[^"]+"\]|\.\w+)*)')


class Terraform:
    def __init__(self, root: Path):
        self.root_dir = root / "terraform"
        self.root = Module(self.root_dir)
        self.modules = {name: Module((self.root_dir / unq(body["source"])).resolve()) for name, body in self.root.modules.items()}
        self.fn = self.modules["functions"]

    def value(self, module: str | None, text):
        """A Terraform expression's value: literals, references to locals and
        to the module's arguments, arithmetic, max() and min()."""
        if not isinstance(text, str):
            return text
        e = str(expr(text))
        if e in ("true", "false", "null"):
            return json.loads(e)

        def resolve(m):
            kind, name, path = m.groups()
            if kind == "var":  # the module's argument, evaluated in the root module
                return repr(self.value(None, self.root.modules[module][name]))
            if (module, name) == (None, "functions"):  # merge(base_functions, portal_functions)
                found = {**self.root.locals["base_functions"], **self.root.locals["portal_functions"]}
            else:
                found = (self.modules[module].locals if module else self.root.locals)[name]
            for k in (a or b for a, b in re.findall(r'\["([^"]+)"\]|\.(\w+)', path)):
                found = found[k] if k in found else found[f'"{k}"']
            return repr(self.value(module, found))

        code = REFERENCE.sub(resolve, e)
        try:
            return eval(code, {"__builtins__": {}, "max": max, "min": min})  # numbers, arithmetic, max/min
        except Exception as err:
            raise CheckerError(f"cannot evaluate {e!r} ({code!r}): {err}")

    def identity(self, ref: str) -> str:
        """A stable name for what a functions-module variable (or resource reference) points at."""
        ref = ref.strip()
        keyed = re.fullmatch(r'var\.(\w+)\["([\w-]+)"\]', ref)
        if keyed:
            return f'{expr(self.root.modules["functions"][keyed.group(1)])}["{keyed.group(2)}"]'
        m = re.fullmatch(r"var\.(\w+)", ref)
        if not m:
            r = RESOURCE_REF.search(ref)
            return f"module.functions.{r.group(1)}.{r.group(2)}{r.group(3) or ''}" if r else ref
        value = expr(self.root.modules["functions"][m.group(1)])  # a KeyError names an argument main.tf does not set
        cond = re.fullmatch(r"var\.\w+\s*\?\s*(.+?)\s*:\s*(?:\"\"|null)", value)
        value = cond.group(1) if cond else value
        mm = re.fullmatch(r"module\.(\w+)(?:\[0\])?\.(\w+)(.*)", value)
        if mm:
            out = self.modules[mm.group(1)].outputs[mm.group(2)]
            r = re.fullmatch(r"(aws_[a-z0-9_]+)\.([a-z0-9_]+)(\[[^\]]*\])?\.(\w+)", expr(out["value"]))
            if r:
                attr = "" if r.group(4) in SELF_ATTRIBUTES else "." + r.group(4)
                return f"module.{mm.group(1)}.{r.group(1)}.{r.group(2)}{r.group(3) or ''}{attr}"
            return f"module.{mm.group(1)}.output.{mm.group(2)}"
        return value

    def resource_name(self, identity: str) -> str:
        """The `name`/`bucket` of a resource, after `<prefix>-` (and before `-<account>`)."""
        m = re.fullmatch(r'module\.(\w+)\.(aws_[a-z0-9_]+)\.([a-z0-9_]+)(?:\["([^"]+)"\])?', identity)
        if not m or (m.group(2), m.group(3)) not in self.modules[m.group(1)].resources:
            raise CheckerError(f"cannot find the resource behind {identity}")
        module = self.modules[m.group(1)]
        body = module.resources[(m.group(2), m.group(3))]
        text = unq(body.get("name", body.get("bucket")))
        if expr(text) == "each.value.name":  # for_each over a local map of {name = ...}
            text = unq(module.locals[expr(body["for_each"]).removeprefix("local.")][m.group(4)]["name"])
        while re.fullmatch(r"local\.\w+", expr(text)):
            text = unq(module.locals[expr(text).removeprefix("local.")])
        text = text.replace("${each.key}", m.group(4) or "").replace("${var.name_prefix}-", "").replace("-${var.account_id}", "")
        if "${" in text:
            raise CheckerError(f"cannot render resource name {text}")
        return text


# A role's permission: action, resource in the contract's words (table:staging, bucket:uploads/errors/*, ...), statement id.
Grant = namedtuple("Grant", "action resource sid")


def contract_resource(tf: Terraform, function: str, target: str, suffix: str) -> str:
    """A Terraform policy resource in the contract's words."""
    if target == "aws_cloudwatch_log_group.this[each.key].arn":
        return "log-group:self" + suffix
    log = re.fullmatch(r'aws_cloudwatch_log_group\.this\["([\w-]+)"\]\.arn', target)
    if log:
        return f"log-group:{log.group(1)}{suffix}"
    ident = tf.identity(target.replace("[each.key]", f'["{function}"]') if target.startswith("var.") else re.sub(r"\.(arn|id|name)$", "", target))
    secret = re.fullmatch(r'module\.data\.function_secret_arns\["([\w-]+)"\]', ident)
    if secret:
        return "secret:own" if secret.group(1) == function else f"secret:{secret.group(1)}"
    if ident == tf.identity("var.database_secret_arn"):
        return "secret:master"
    if "aws_cognito_user_pool." in ident:
        return "user-pool"
    kind = {"aws_dynamodb_table": "table", "aws_sqs_queue": "queue", "aws_sns_topic": "topic", "aws_s3_bucket": "bucket"}
    r = re.fullmatch(r"(module\.\w+\.(aws_[a-z0-9_]+)\.[a-z0-9_]+(?:\[[^\]]*\])?)(\.stream_arn)?", ident)
    if r and r.group(2) in kind:
        return ("stream" if r.group(3) else kind[r.group(2)]) + ":" + tf.resource_name(r.group(1)) + suffix
    return ident + suffix


def role_grants(tf: Terraform, function: str) -> list[Grant]:
    policies = expr(tf.fn.locals["role_policies"])
    m = (re.search(r'"' + re.escape(function) + r'"\s*=\s*data\.aws_iam_policy_document\.(\w+)\.json', policies)
         or re.search(r"for\s+(\w+)\s+in\s+data\.aws_iam_policy_document\.(\w+)\s*:\s*\"" + re.escape(function) + r"\"\s*=>\s*\1\.json", policies))
    if not m:
        raise CheckerError(f"role_policies[{function}] is not a policy document")
    if any(t in ("aws_iam_role_policy_attachment", "aws_iam_policy_attachment") for (t, _) in tf.fn.resources):
        raise CheckerError("modules/functions attaches a policy; teach the checker to read attachments")

    def statements(name):
        doc = tf.fn.data[("aws_iam_policy_document", name)]
        if "dynamic" in doc or "override_policy_documents" in doc:
            raise CheckerError(f"policy document {name}: dynamic blocks and overrides are not understood")
        found = []
        for src in doc.get("source_policy_documents", []):
            found += statements(re.fullmatch(r"data\.aws_iam_policy_document\.(\w+)(?:\[[^\]]+\])?\.json", expr(src)).group(1))
        return found + doc.get("statement", [])

    grants = []
    for st in statements(m.group(m.lastindex)):
        if unq(st.get("effect", '"Allow"')) != "Allow":
            continue
        if any(bad in st for bad in ("not_actions", "not_resources", "principals")):
            raise CheckerError(f"statement {st.get('sid')} uses not_actions/not_resources/principals; not understood")
        for resource in map(unq, st.get("resources", [])):
            parts = re.fullmatch(r"\$\{([^}]+)\}(.*)", resource)
            if resource != "*" and not parts:
                raise CheckerError(f"cannot read policy resource {resource}")
            named = "*" if resource == "*" else contract_resource(tf, function, parts.group(1), parts.group(2))
            grants += [Grant(unq(action), named, unq(st.get("sid", '""'))) for action in st.get("actions", [])]
    return grants


def env_of(tf: Terraform, function: str) -> tuple[dict[str, str], set[str]]:
    """(always-set name -> value expression, conditionally set names) from local.environment."""
    always, conditional = {}, set()

    def collect(value, cond=False):
        if isinstance(value, dict):
            for k, v in value.items():
                if not k.startswith("__"):
                    (conditional.add(unq(k)) if cond else always.__setitem__(unq(k), expr(v)))
            return
        e = expr(value)
        for ref in re.findall(r"\blocal\.(\w+)", e):
            collect(tf.fn.locals[ref], cond)
        for m in re.finditer(r"(\?\s*|:\s*)?\{([^{}]*)\}", e):
            for km in re.finditer(r"\b([A-Z][A-Z0-9_]*)\s*=\s*([^,}]+)", m.group(2)):
                (conditional.add(km.group(1)) if (m.group(1) or cond) else always.__setitem__(km.group(1), km.group(2).strip()))

    environment = tf.fn.locals["environment"]
    entry = environment.get(f'"{function}"', environment.get(function))
    if entry is None:
        raise CheckerError(f"local.environment has no entry for {function}")
    collect(entry)
    if expr(tf.fn.resources[("aws_lambda_function", "this")]["environment"][0]["variables"]) != "local.environment[each.key]":
        raise CheckerError("aws_lambda_function.this environment must be local.environment[each.key]")
    return always, conditional - set(always)


class Report(list):
    def fail(self, check: str, message: str):
        self.append(f"[{check}] {message}")


def check_env(fn, tf, report):
    always, conditional = env_of(tf, fn["name"])
    reads = {v["name"]: v for v in fn["variables"]}
    for name, v in sorted(reads.items()):
        if v["required"] and name not in always and not v.get("not_set_by_terraform"):
            where = "only conditionally" if name in conditional else "not (modules/functions local.environment)"
            report.fail("env", f"{fn['name']} requires {name} but Terraform sets it {where}")
    for name in sorted(set(always) | conditional):
        if name not in reads:
            report.fail("env", f"Terraform sets {name} for {fn['name']}, but {fn['name']} never reads it")
        elif reads[name].get("not_set_by_terraform"):
            report.fail("env", f"Terraform sets {name} for {fn['name']}, which the contract says it never sets: {reads[name]['not_set_by_terraform']}")


def check_iam(fn, tf, report):
    grants = role_grants(tf, fn["name"])
    needed = {(a, r): p["why"] for p in fn["permissions"] for a in p["actions"] for r in p["resources"]}
    granted = {(g.action, g.resource) for g in grants}
    for (action, resource), why in sorted(needed.items()):
        if (action, resource) not in granted:
            report.fail("iam", f"{fn['name']} needs {action} on {resource} ({why}), but its role does not allow it")
    for g in grants:
        if (g.action, g.resource) not in needed:
            report.fail("iam", f"{fn['name']}'s role allows {g.action} on {g.resource} (statement {g.sid}), which the contract does not ask for")


def check_secrets(fn, tf, report):
    secret = env_of(tf, fn["name"])[0].get("DATABASE_SECRET_ID")
    own = contract_resource(tf, fn["name"], secret, "") if secret else "unset"
    # A function that reads no database secret (vendor-auth) is check_env's: it refuses one set anyway.
    if any(v["name"] == "DATABASE_SECRET_ID" for v in fn["variables"]) and own != "secret:own":
        report.fail("secrets", f"{fn['name']}'s DATABASE_SECRET_ID is {own}" + (" (the master secret)" if own == "secret:master" else "") + ", not its own secret")
    for g in role_grants(tf, fn["name"]):
        if g.resource == "secret:master":
            report.fail("secrets", f"{fn['name']}'s role may {g.action} the master secret (statement {g.sid})")


# The contract's key -> the Terraform attribute that states it, for each trigger.
S3_TRIGGER = {"max_retries": "maximum_retry_attempts", "max_event_age_s": "maximum_event_age_in_seconds"}
STREAM_MAPPING = {"batch_size": "batch_size", "batching_window_s": "maximum_batching_window_in_seconds", "parallelization_factor": "parallelization_factor",
                  "max_retries": "maximum_retry_attempts", "max_record_age_s": "maximum_record_age_in_seconds", "bisect_on_error": "bisect_batch_on_function_error"}
QUEUE_MAPPING = {"batch_size": "batch_size", "batching_window_s": "maximum_batching_window_in_seconds"}
# The services the VPC routes to (gateway and interface endpoints) in egress_mode = interface_endpoints with the portal, and those the code in it calls.
ROUTED = "services routed (interface_endpoints mode)"
# The variables that name a resource, and the resource the contract means by each.
RESOURCE_VARIABLES = {"UPLOAD_BUCKET": lambda c: "bucket:" + c["bucket"], "STAGING_TABLE": lambda c: "table:" + c["table"]["name"], "ERROR_QUEUE_URL": lambda c: "queue:errors",
                      "CANDIDATE_ERROR_QUEUE_URL": lambda c: "queue:errors-candidate", "NOTIFICATION_TOPIC_ARN": lambda c: "topic:" + c["topic"]}


def terraform_settings(tf: Terraform, names) -> dict:
    """The Terraform's settings in the shape of contract_settings."""
    specs = {unq(k): v for k, v in {**tf.root.locals["base_functions"], **tf.root.locals["portal_functions"]}.items()}
    always_set = {name: env_of(tf, name)[0] for name in names}  # each function's environment, read once
    functions = {name: {"timeout_s": tf.value(None, f'local.functions["{name}"].timeout_s'), "memory_mb": tf.value(None, f'local.functions["{name}"].memory_mb'),
                        "image": unq(specs[name].get("image", name)), "in_vpc": tf.value(None, specs[name].get("in_vpc", True))} for name in names}
    messaging, queues = tf.modules["messaging"], {}
    for (rtype, rname), body in messaging.resources.items():
        if rtype != "aws_sqs_queue":
            continue

        def attr(name, body=body):  # the candidate twin refers to the errors queue's attributes
            value = expr(body.get(name, "null"))
            twin = re.fullmatch(r"aws_sqs_queue\.(\w+)\.(\w+)", str(value))
            return expr(messaging.resources[("aws_sqs_queue", twin.group(1))].get(twin.group(2), "null")) if twin else value

        redrive = attr("redrive_policy")
        target, receives = re.search(r'dead_letter\["([\w-]+)"\]', redrive), re.search(r"maxReceiveCount\s*=\s*(\d+)", redrive)
        settings = {"visibility_timeout_s": tf.value("messaging", attr("visibility_timeout_seconds")),
                    "retention_s": tf.value("messaging", attr("message_retention_seconds")),
                    "dead_letter": None if redrive == "null" else {"queue": target and target.group(1), "max_receive_count": receives and int(receives.group(1))}}
        for key in re.findall(r'"([^"]+)"', expr(body["for_each"])) if "for_each" in body else [None]:
            queues[tf.resource_name(f"module.messaging.{rtype}.{rname}" + (f'["{key}"]' if key else ""))] = settings

    mapping = lambda body, keys: {key: tf.value("functions", body.get(attribute, "null")) for key, attribute in keys.items()}
    async_invoke = tf.fn.resources[("aws_lambda_function_event_invoke_config", "csv_parser")]
    stream = tf.fn.resources[("aws_lambda_event_source_mapping", "staging_stream")]
    queue = tf.fn.resources[("aws_lambda_event_source_mapping", "errors_queue")]
    table = tf.modules["data"].resources[("aws_dynamodb_table", "staging")]
    gsi = table["global_secondary_index"][0]
    net, branch = tf.modules["network"], lambda text, cond: re.split(r"\s:\s", expr(text).split(cond, 1)[1])[0]  # `... cond X : Y` -> X
    endpoints = branch(net.locals["interface_services"], '"interface_endpoints" ?').replace("var.extra_interface_endpoint_services", branch(tf.root.modules["network"]["extra_interface_endpoint_services"], "?"))
    return {
        "functions": functions,
        "queues": queues,
        "s3 trigger": mapping(async_invoke, S3_TRIGGER),
        "stream mapping": {**mapping(stream, STREAM_MAPPING),
                           "on_failure_queue": tf.resource_name(tf.identity(expr(stream["destination_config"][0]["on_failure"][0]["destination_arn"])))},
        "errors queue mapping": {**mapping(queue, QUEUE_MAPPING),
                                 "max_concurrency": tf.value("functions", queue["scaling_config"][0]["maximum_concurrency"]),
                                 "queues": [tf.resource_name(tf.identity(expr(tf.fn.locals["lanes"][lane]["errors_queue_arn"]))) for lane in ("live", "candidate")]},
        "table": {"name": tf.resource_name("module.data.aws_dynamodb_table.staging"), "hash_key": unq(table["hash_key"]), "range_key": unq(table["range_key"]),
                  "index": unq(gsi["name"]), "index_hash_key": unq(gsi["hash_key"]), "index_range_key": unq(gsi["range_key"]),
                  "stream_view_type": unq(table["stream_view_type"]), "ttl_attribute": unq(table["ttl"][0]["attribute_name"])},
        "topic": tf.resource_name("module.messaging.aws_sns_topic.notifications"),
        "metrics namespace": unq(tf.modules["observability"].locals.get("emf_namespace", '""')),
        "resources named": {name: {var: contract_resource(tf, name, value, "") for var, value in always_set[name].items() if var in RESOURCE_VARIABLES} for name in names},
        "portal parts (API_PART)": {name: unq(env["API_PART"]) for name, env in always_set.items() if "API_PART" in env},
        ROUTED: sorted(re.findall(r'"([\w-]+)"', endpoints + expr(net.resources[("aws_vpc_endpoint", "gateway")]["for_each"]))),
    }


def contract_settings(contract) -> dict:
    """The contract's settings that Terraform states: each function's, each queue's, the triggers', the table's and the topic's."""
    triggers, pick = {t["source"]: t for t in contract["triggers"]}, lambda item, keys: {key: item[key] for key in keys}
    return {
        "functions": {fn["name"]: pick(fn, ("timeout_s", "memory_mb", "image", "in_vpc")) for fn in contract["functions"]},
        "queues": {q["name"]: pick(q, ("visibility_timeout_s", "retention_s", "dead_letter")) for q in contract["queues"]},
        "s3 trigger": pick(triggers["s3_notification"], S3_TRIGGER),
        "stream mapping": pick(triggers["stream"], [*STREAM_MAPPING, "on_failure_queue"]),
        "errors queue mapping": pick(triggers["queue"], [*QUEUE_MAPPING, "max_concurrency", "queues"]),
        "table": contract["table"], "topic": contract["topic"], "metrics namespace": contract["metrics"]["namespace"],
        "resources named": {fn["name"]: {v["name"]: RESOURCE_VARIABLES[v["name"]](contract) for v in fn["variables"] if v["name"] in RESOURCE_VARIABLES} for fn in contract["functions"]},
        "portal parts (API_PART)": {p["function"]: p["api_part"] for p in contract["portal"]["parts"]},
        ROUTED: sorted({{"cloudwatch": "monitoring"}.get(s, s) for fn in contract["functions"] if fn["in_vpc"]  # IAM prefix -> endpoint name
                        for s in [a.split(":")[0] for p in fn["permissions"] if p["by"] == "code" for a in p["actions"]] + [c["service"] for c in fn["public_calls"]]}),
    }


def compare(report, check, where, terraform, contract):
    """Every difference between two values of the same shape, by its path."""
    if isinstance(terraform, dict) and isinstance(contract, dict):
        for key in sorted(set(terraform) | set(contract)):
            compare(report, check, f"{where} {key}", terraform.get(key, "(absent)"), contract.get(key, "(absent)"))
    elif terraform != contract:
        report.fail(check, f"{where.strip()}: Terraform {terraform!r}, the contract {contract!r}")


def check_lanes(contract, tf, report):
    """Each stream filter lets through exactly its lane's INSERTs; each lane's
    mappings target its alias; the bucket notifies each lane's alias for the
    contract's prefixes."""
    row = {"upload_id": {"S": "U"}}
    for lane, spec in tf.fn.locals["lanes"].items():
        for record_lane in ("live", "candidate"):
            for event in ("INSERT", "MODIFY"):
                image = dict(row, lane={"S": "candidate"}) if record_lane == "candidate" else row
                want = record_lane == lane and event == "INSERT"
                if matches(spec["stream_filter"], {"eventName": event, "dynamodb": {"NewImage": image}}) != want:
                    report.fail("lanes", f"the {lane} stream filter {'drops' if want else 'lets through'} a {record_lane} {event} record")
        if expr(spec["alias"]) != f"aws_lambda_alias.{lane}":
            report.fail("lanes", f"the {lane} lane's mappings target {expr(spec['alias'])}")
    notified = [(expr(t["lambda_function_arn"]), unq(t.get("filter_prefix"))) for (k, _), b in tf.modules["storage"].resources.items()
                if k == "aws_s3_bucket_notification" for t in b.get("lambda_function", [])]
    for lane, output in (("live", "alias_arn"), ("candidate", "candidate_alias_arn")):
        variable = f"csv_parser_{output}"
        if expr(tf.root.modules["storage"].get(variable, "")) != f'module.functions.functions["csv-parser"].{output}':
            report.fail("lanes", f"terraform/main.tf passes {variable}, not the csv-parser's {lane} alias ({output})")
        if [prefix for arn, prefix in notified if arn == f"var.{variable}"] != [contract["upload_prefixes"][lane]]:
            report.fail("lanes", f"the {lane} S3 trigger does not filter on the contract's prefix {contract['upload_prefixes'][lane]!r}")


def matches(pattern, event) -> bool:
    """Lambda event filtering, the subset our patterns use: nested objects,
    lists of literal values and {"exists": bool} on a leaf."""
    for key, rule in pattern.items():
        present = isinstance(event, dict) and key in event
        if isinstance(rule, dict):
            if not matches(rule, event[key] if present else {}):
                return False
        elif not any((isinstance(o, dict) and bool(o["exists"]) == (present and not isinstance(event[key], dict)))
                     or (not isinstance(o, dict) and present and event[key] == unq(o)) for o in rule):
            return False
    return True


def check_portal(contract, tf, report):
    """The Cognito group the admin API requires; the auth routes to the auth part and the rest of the router's prefix to the data part."""
    portal, want = tf.modules["portal"], contract["portal"]
    groups = {unq(b.get("name")) for (t, _), b in portal.resources.items() if t == "aws_cognito_user_group"}
    if want["admins_group"] not in groups:
        report.fail("portal", f"the admin API requires the Cognito group {want['admins_group']!r}, Terraform creates {sorted(groups)}")
    routed = {}  # route key -> the function its integration targets (through var.<x>_function_alias_arn)
    for (t, _), b in portal.resources.items():
        if t != "aws_apigatewayv2_route":
            continue
        target = re.fullmatch(r"integrations/\$\{aws_apigatewayv2_integration\.(\w+)\.id\}", unq(b.get("target")))
        integration = portal.resources[("aws_apigatewayv2_integration", target.group(1))]
        argument = re.fullmatch(r"var\.(\w+)", expr(integration["integration_uri"])).group(1)
        function = re.search(r'functions\["([\w-]+)"\]', expr(tf.root.modules["portal"][argument])).group(1)
        keys = [unq(b.get("route_key"))]
        if expr(b.get("route_key")) == "each.key":  # for_each over a local toset([...]) of route keys
            keys = re.findall(r'"([^"]+)"', expr(portal.locals[expr(b["for_each"]).removeprefix("local.")]))
        for key in keys:
            routed[key] = function
    functions = {p["api_part"]: p["function"] for p in want["parts"]}
    # The data part serves the whole prefix through one catch-all route, the auth part exactly its own routes.
    compare(report, "portal", "routes", routed, {f"ANY {want['api_path_prefix']}/{{proxy+}}": functions["data"], **{key: functions["auth"] for key in want["auth_route_keys"]}})


def check_metrics(contract, tf, report):
    """Every metric of the functions' namespace that the dashboard names is one the functions emit, with its dimensions."""
    want = contract["metrics"]
    emitted = {(m["function"], m["name"], tuple(tuple(d) for d in m["dimensions"])) for m in want["emitted"]}
    observability = tf.modules["observability"]
    for name in observability.locals.get("emf_metrics", {}):
        if not any(m[1] == name for m in emitted):
            report.fail("metrics", f"the dashboard searches for {name}, which no function emits")

    def lines(value):  # every metric line ([namespace, name, dim, value, ...]) in the widgets
        if isinstance(value, list) and value and value[0] == "${local.emf_namespace}":
            yield value
        elif isinstance(value, (list, dict)):
            for item in value.values() if isinstance(value, dict) else value:
                yield from lines(item)

    for line in lines(observability.locals.get("metric_widgets", [])):
        parts = [p for p in line if not isinstance(p, dict)]
        name, dims = unq(parts[1]), parts[2:]
        pairs = []
        for key, value in zip(dims[::2], dims[1::2]):
            ref = re.fullmatch(r"local\.(\w+)", expr(value))
            if ref:  # parser = var.function_names["csv-parser"]
                value = re.search(r'function_names\["([\w-]+)"\]', expr(observability.locals[ref.group(1)])).group(1)
            pairs.append((unq(key), unq(value)))
        function = dict(pairs).get("Function")
        rest = tuple(p for p in pairs if p[0] != "Function")
        if (function, name, rest) not in emitted:
            report.fail("metrics", f"the dashboard plots {name} of {function} with {dict(rest) or 'no other dimension'}, which the functions do not emit")


def run_checks(root: Path, contract: dict) -> list[str]:
    tf = Terraform(root)
    report = Report()
    names = set(unq(k) for k in tf.root.locals["base_functions"]) | set(unq(k) for k in tf.root.locals["portal_functions"])
    functions = [fn for fn in contract["functions"] if fn["name"] in names]
    for fn in functions:
        check_env(fn, tf, report)
        check_iam(fn, tf, report)
        check_secrets(fn, tf, report)
    compare(report, "settings", "", terraform_settings(tf, names), contract_settings(contract))
    check_lanes(contract, tf, report)
    check_portal(contract, tf, report)
    check_metrics(contract, tf, report)
    return report


def outcome(root: Path, contract: dict) -> tuple[int, str]:
    try:
        failures = run_checks(root, contract)
    except CheckerError as e:
        return 2, f"contract check: cannot read the Terraform: {e}"
    except (KeyError, AttributeError, IndexError, TypeError) as e:
        return 2, f"contract check: unexpected shape in the Terraform or the contract ({type(e).__name__}: {e}); teach scripts/check_contract.py"
    if failures:
        return 1, f"contract check FAILED ({len(failures)}):\n" + "\n".join(f"  - {f}" for f in failures)
    return 0, f"contract check passed: {len(contract['functions'])} functions (environment, IAM, own secrets), queue and trigger settings, table, names, lanes, portal, metrics, the VPC's routes to the services its code calls"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--contract", type=Path, required=True, help="the output of `onboard contract --json`")
    args = parser.parse_args(argv)
    rc, out = outcome(args.root, json.loads(args.contract.read_text()))
    print(out, file=sys.stderr if rc else sys.stdout)
    return rc


if __name__ == "__main__":
    sys.exit(main())

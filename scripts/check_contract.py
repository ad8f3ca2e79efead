#!/usr/bin/env python3
"""Compares the code's deployment contract with the Terraform (terraform/).

    .venv/contract/bin/python scripts/check_contract.py [--root DIR] [--contract FILE] [--self-test]

The contract is data: `onboard contract --json` (crates/onboarding-aws/src/
contract.rs: each function's variables, timeout, memory and permissions; the
queues, triggers and staging table with their settings); without --contract
this script runs it through cargo. The Terraform is read with python-hcl2;
nothing here reads Rust. It checks: env (each required variable is set by
modules/functions local.environment unless the contract says why not, and
nothing else is set), iam (each role allows exactly the contract's
permissions, resources named as the contract names them: table:staging,
bucket:uploads/errors/*, secret:own ...), secrets (each function's
DATABASE_SECRET_ID is its own, no role reads the master secret), settings
(timeouts, memory, each queue's visibility timeout, retention and redrive,
each trigger's batch size, window and retries, the table, the names), lanes
(the candidate lane's queue, filters and prefixes) and portal (the admins
group; the auth routes to vendor-auth and the rest of /api to vendor-api;
each part's API_PART) and metrics (what the dashboard plots in the
functions' namespace, they emit). Settings include each function's image
and whether it runs in the VPC. The invariants between settings are checked in Rust
over the same data (`onboard contract` exits 1 when one breaks), so they hold for
the Terraform once it equals the contract.

Exit status: 0 all agree; 1 a contract is broken (each finding printed);
2 the checker could not read the Terraform or the contract.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
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


class Module:
    def __init__(self, path: Path):
        self.resources, self.data, self.locals, self.outputs, self.modules = {}, {}, {}, {}, {}
        for tf in sorted(path.glob("*.tf")):
            text = tf.read_text()
            if text not in _PARSED:  # the self-test re-reads unchanged files many times
                _PARSED[text] = hcl2.loads(text)
            doc = _PARSED[text]
            for kind, into in (("resource", self.resources), ("data", self.data)):
                for block in doc.get(kind, []):
                    for rtype, named in block.items():
                        for name, body in named.items():
                            into[(unq(rtype), unq(name))] = body
            for block in doc.get("locals", []):
                self.locals.update({k: v for k, v in block.items() if not k.startswith("__")})
            for block in doc.get("output", []):
                self.outputs.update({unq(k): v for k, v in block.items()})
            for block in doc.get("module", []):
                self.modules.update({unq(k): v for k, v in block.items()})


_PARSED: dict[str, dict] = {}
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
        arg = self.root.modules["functions"].get(m.group(1))
        if arg is None:
            raise CheckerError(f"module \"functions\" in terraform/main.tf does not set {m.group(1)}")
        value = expr(arg)
        cond = re.fullmatch(r"var\.\w+\s*\?\s*(.+?)\s*:\s*(?:\"\"|null)", value)
        value = cond.group(1) if cond else value
        mm = re.fullmatch(r"module\.(\w+)(?:\[0\])?\.(\w+)(.*)", value)
        if mm:
            out = self.modules[mm.group(1)].outputs.get(mm.group(2))
            if out is None:
                raise CheckerError(f"module {mm.group(1)} has no output {mm.group(2)}")
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
    for rtype in ("aws_iam_role_policy_attachment", "aws_iam_policy_attachment"):
        if any(t == rtype for (t, _) in tf.fn.resources):
            raise CheckerError(f"modules/functions attaches {rtype}; teach the checker to read it")

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


class Report:
    def __init__(self):
        self.failures: list[str] = []

    def fail(self, check: str, message: str):
        self.failures.append(f"[{check}] {message}")

    def same(self, check: str, what: str, terraform, contract):
        if terraform != contract:
            self.fail(check, f"{what}: Terraform {terraform!r}, the contract {contract!r}")


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
    always, _ = env_of(tf, fn["name"])
    secret = always.get("DATABASE_SECRET_ID")
    own = contract_resource(tf, fn["name"], secret, "") if secret else None
    reads_database = any(v["name"] == "DATABASE_SECRET_ID" for v in fn["variables"])
    if not reads_database:
        pass  # vendor-auth: check_env already refuses a DATABASE_SECRET_ID it would not read
    elif own != "secret:own":
        report.fail("secrets", f"{fn['name']}'s DATABASE_SECRET_ID is {own or 'unset'}" + (" (the master secret)" if own == "secret:master" else "") + ", not its own secret")
    for g in role_grants(tf, fn["name"]):
        if g.resource == "secret:master":
            report.fail("secrets", f"{fn['name']}'s role may {g.action} the master secret (statement {g.sid})")


def function_spec(tf, name):
    """local.functions[name] with the functions module's defaults for its optional attributes."""
    spec = {**tf.root.locals["base_functions"], **tf.root.locals["portal_functions"]}
    spec = spec.get(f'"{name}"', spec.get(name))
    image = spec.get("image")
    return {
        "timeout_s": tf.value(None, f'local.functions["{name}"].timeout_s'),
        "memory_mb": tf.value(None, f'local.functions["{name}"].memory_mb'),
        "image": unq(image) if image is not None else name,
        "in_vpc": tf.value(None, spec["in_vpc"]) if "in_vpc" in spec else True,
    }


def check_settings(contract, tf, functions, report):
    for fn in functions:
        spec = function_spec(tf, fn["name"])
        for key in ("timeout_s", "memory_mb", "image", "in_vpc"):
            report.same("settings", f"{fn['name']} {key}", spec[key], fn[key])
    messaging = tf.modules["messaging"]
    queues = {}
    for (rtype, rname), body in messaging.resources.items():
        if rtype == "aws_sqs_queue":
            for key in re.findall(r'"([^"]+)"', expr(body["for_each"])) if "for_each" in body else [None]:
                queues[tf.resource_name(f"module.messaging.{rtype}.{rname}" + (f'["{key}"]' if key else ""))] = (rname, body)
    report.same("settings", "queue names", sorted(queues), sorted(q["name"] for q in contract["queues"]))
    for q in contract["queues"]:
        if q["name"] not in queues:
            continue
        rname, body = queues[q["name"]]

        def attr(name):  # the candidate twin refers to the errors queue's attributes
            value = expr(body.get(name, "null"))
            twin = re.fullmatch(r"aws_sqs_queue\.(\w+)\.(\w+)", str(value))
            return expr(messaging.resources[("aws_sqs_queue", twin.group(1))].get(twin.group(2), "null")) if twin else value

        visibility = attr("visibility_timeout_seconds")
        report.same("settings", f"queue {q['name']} visibility_timeout_s", None if visibility == "null" else tf.value("messaging", visibility), q["visibility_timeout_s"])
        report.same("settings", f"queue {q['name']} retention_s", tf.value("messaging", attr("message_retention_seconds")), q["retention_s"])
        redrive = attr("redrive_policy")
        dead_letter = None
        if redrive != "null":
            target = re.search(r'dead_letter\["([\w-]+)"\]', redrive)
            receives = re.search(r"maxReceiveCount\s*=\s*(\d+)", redrive)
            dead_letter = {"queue": target and target.group(1), "max_receive_count": receives and int(receives.group(1))}
        report.same("settings", f"queue {q['name']} dead letter", dead_letter, q["dead_letter"])
    triggers = {t["source"]: t for t in contract["triggers"]}
    fnres = tf.fn.resources
    async_config = fnres[("aws_lambda_function_event_invoke_config", "csv_parser")]
    s3 = triggers["s3_notification"]
    report.same("settings", "csv-parser async retries, event age", (tf.value("functions", async_config["maximum_retry_attempts"]), tf.value("functions", async_config["maximum_event_age_in_seconds"])), (s3["max_retries"], s3["max_event_age_s"]))
    stream, sm = triggers["stream"], fnres[("aws_lambda_event_source_mapping", "staging_stream")]
    for tf_key, key in (("batch_size", "batch_size"), ("maximum_batching_window_in_seconds", "batching_window_s"), ("parallelization_factor", "parallelization_factor"),
                        ("maximum_retry_attempts", "max_retries"), ("maximum_record_age_in_seconds", "max_record_age_s"), ("bisect_batch_on_function_error", "bisect_on_error")):
        report.same("settings", f"stream mapping {tf_key}", tf.value("functions", sm.get(tf_key, "null")), stream[key])
    on_failure = tf.identity(expr(sm["destination_config"][0]["on_failure"][0]["destination_arn"]))
    report.same("settings", "stream mapping on-failure queue", tf.resource_name(on_failure), stream["on_failure_queue"])
    queue, qm = triggers["queue"], fnres[("aws_lambda_event_source_mapping", "errors_queue")]
    for tf_key, key in (("batch_size", "batch_size"), ("maximum_batching_window_in_seconds", "batching_window_s")):
        report.same("settings", f"errors queue mapping {tf_key}", tf.value("functions", qm[tf_key]), queue[key])
    report.same("settings", "errors queue mapping maximum_concurrency", tf.value("functions", qm["scaling_config"][0]["maximum_concurrency"]), queue["max_concurrency"])
    lanes = tf.fn.locals["lanes"]
    lane_queues = [tf.resource_name(tf.identity(expr(lanes[lane]["errors_queue_arn"]))) for lane in ("live", "candidate")]
    report.same("lanes", "the live and candidate lanes' errors queues", lane_queues, queue["queues"])
    table, t = tf.modules["data"].resources[("aws_dynamodb_table", "staging")], contract["table"]
    gsi = table["global_secondary_index"][0]
    terraform = {"name": tf.resource_name("module.data.aws_dynamodb_table.staging"), "hash_key": table["hash_key"], "range_key": table["range_key"], "index": gsi["name"],
                 "index_hash_key": gsi["hash_key"], "index_range_key": gsi["range_key"], "stream_view_type": table["stream_view_type"], "ttl_attribute": table["ttl"][0]["attribute_name"]}
    report.same("settings", "staging table", {k: unq(v) for k, v in terraform.items()}, t)
    report.same("settings", "topic", tf.resource_name("module.messaging.aws_sns_topic.notifications"), contract["topic"])
    for var, want in (("UPLOAD_BUCKET", "bucket:" + contract["bucket"]), ("STAGING_TABLE", "table:" + t["name"]), ("ERROR_QUEUE_URL", "queue:errors"), ("CANDIDATE_ERROR_QUEUE_URL", "queue:errors-candidate"), ("NOTIFICATION_TOPIC_ARN", "topic:" + contract["topic"])):
        for fn in functions:
            value = env_of(tf, fn["name"])[0].get(var)
            if value and contract_resource(tf, fn["name"], value, "") != want:
                report.fail("names", f"{fn['name']}'s {var} points at {contract_resource(tf, fn['name'], value, '')}, the contract's is {want}")


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
    notifications = [t for (k, _), b in tf.modules["storage"].resources.items() if k == "aws_s3_bucket_notification" for t in b.get("lambda_function", [])]
    for lane, output in (("live", "alias_arn"), ("candidate", "candidate_alias_arn")):
        variable = "csv_parser_alias_arn" if lane == "live" else "csv_parser_candidate_alias_arn"
        mine = [t for t in notifications if expr(t["lambda_function_arn"]) == f"var.{variable}"]
        if expr(tf.root.modules["storage"].get(variable, "")) != f'module.functions.functions["csv-parser"].{output}':
            report.fail("lanes", f"terraform/main.tf passes {variable}, not the csv-parser's {lane} alias ({output})")
        if len(mine) != 1 or unq(mine[0].get("filter_prefix")) != contract["upload_prefixes"][lane]:
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
    """The Cognito group the admin API requires; the auth routes to the auth part and the rest of the router's prefix to the data part; each part's API_PART."""
    resources, want = tf.modules["portal"].resources.items(), contract["portal"]
    groups = {unq(b.get("name")) for (t, _), b in resources if t == "aws_cognito_user_group"}
    if want["admins_group"] not in groups:
        report.fail("portal", f"the admin API requires the Cognito group {want['admins_group']!r}, Terraform creates {sorted(groups)}")
    portal = tf.modules["portal"]
    # route key -> the function its integration targets (through var.<x>_function_alias_arn)
    routed = {}
    for (t, _), b in resources:
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
    parts = {p["function"]: p["api_part"] for p in want["parts"]}
    data_function = next(f for f, part in parts.items() if part == "data")
    auth_function = next(f for f, part in parts.items() if part == "auth")
    catch_all = f"ANY {want['api_path_prefix']}/{{proxy+}}"
    if routed.get(catch_all) != data_function:
        report.fail("portal", f"the data part serves all of {want['api_path_prefix']}/ but the auth routes; the route {catch_all!r} goes to {routed.get(catch_all)}, not {data_function}")
    for key in want["auth_route_keys"]:
        if routed.get(key) != auth_function:
            report.fail("portal", f"{key} is the auth part's: API Gateway sends it to {routed.get(key) or 'the catch-all route'}, not {auth_function}")
    for key, function in sorted(routed.items()):
        if function == auth_function and key not in want["auth_route_keys"]:
            report.fail("portal", f"API Gateway sends {key} to {auth_function}, which does not serve it")
    for function, part in sorted(parts.items()):
        always, _ = env_of(tf, function)
        if unq(always.get("API_PART")) != part:
            report.fail("portal", f"{function} must serve the {part} part: Terraform sets API_PART = {always.get('API_PART')}")


def check_metrics(contract, tf, report):
    """Every metric of the functions' namespace that the dashboard names is one the functions emit, with its dimensions."""
    want = contract["metrics"]
    emitted = {(m["function"], m["name"], tuple(tuple(d) for d in m["dimensions"])) for m in want["emitted"]}
    observability = tf.modules["observability"]
    namespace = unq(observability.locals.get("emf_namespace", '""'))
    report.same("metrics", "the dashboard's EMF namespace", namespace, want["namespace"])
    for name in observability.locals.get("emf_metrics", {}):
        if not any(m[1] == name for m in emitted):
            report.fail("metrics", f"the dashboard searches for {name}, which no function emits")

    def lines(value):  # every metric line ([namespace, name, dim, value, ...]) in the widgets
        if isinstance(value, list):
            if value and value[0] == "${local.emf_namespace}":
                yield value
            else:
                for item in value:
                    yield from lines(item)
        elif isinstance(value, dict):
            for item in value.values():
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


def load_contract(root: Path, path: Path | None) -> dict:
    if path:
        return json.loads(path.read_text())
    out = subprocess.run(["cargo", "run", "--quiet", "-p", "onboard", "--", "contract", "--json"], cwd=root, capture_output=True, text=True,
                         env={**os.environ, "SQLX_OFFLINE": "true"})
    if out.returncode != 0:
        print(f"onboard contract --json failed:\n{out.stderr}", file=sys.stderr)
        sys.exit(2)
    return json.loads(out.stdout)


def run_checks(root: Path, contract: dict) -> list[str]:
    tf = Terraform(root)
    report = Report()
    names = set(unq(k) for k in tf.root.locals["base_functions"]) | set(unq(k) for k in tf.root.locals["portal_functions"])
    report.same("settings", "functions", sorted(names), sorted(f["name"] for f in contract["functions"]))
    functions = [fn for fn in contract["functions"] if fn["name"] in names]
    for fn in functions:
        check_env(fn, tf, report)
        check_iam(fn, tf, report)
        check_secrets(fn, tf, report)
    check_settings(contract, tf, functions, report)
    check_lanes(contract, tf, report)
    check_portal(contract, tf, report)
    check_metrics(contract, tf, report)
    return report.failures


# Self-test: break the Terraform (in a scratch copy) or the contract data, one way at a time, and expect to be told.
# (what, file or CONTRACT, text to replace or a function of the contract, replacement, expected exit, expected message)
CONTRACT = "contract"
FN = "terraform/modules/functions"


def fn_of(contract, name):
    return next(f for f in contract["functions"] if f["name"] == name)


MUTATIONS = [
    ("the admins group renamed in Terraform", "terraform/modules/portal/cognito.tf", 'name         = "admins"', 'name         = "operators"', 1, "the admin API requires the Cognito group 'admins'"),
    ("API Gateway routes only the uploads, not the admin API", "terraform/modules/portal/api.tf", 'route_key          = "ANY /api/{proxy+}"', 'route_key          = "ANY /api/uploads/{proxy+}"', 1, "the route 'ANY /api/{proxy+}' goes to None, not vendor-api"),
    ("the product-validator is configured with the master secret", f"{FN}/main.tf", '{ DATABASE_SECRET_ID = var.function_secret_arns["product-validator"] }', '{ DATABASE_SECRET_ID = var.database_secret_arn }', 1, "product-validator's DATABASE_SECRET_ID is secret:master (the master secret)"),
    ("every role may read the master secret again", f"{FN}/iam.tf", "resources = [var.function_secret_arns[each.key]]", "resources = [var.function_secret_arns[each.key], var.database_secret_arn]", 1, "role may secretsmanager:GetSecretValue the master secret"),
    ("Terraform stops setting ERROR_QUEUE_URL", f"{FN}/main.tf", "    ERROR_QUEUE_URL           = var.errors_queue_url\n", "", 1, "csv-parser requires ERROR_QUEUE_URL"),
    ("the error-processor reads a new variable", CONTRACT, lambda c: fn_of(c, "error-processor")["variables"].append({"name": "ARCHIVE_BUCKET", "required": True}), None, 1, "error-processor requires ARCHIVE_BUCKET"),
    ("Terraform sets a variable nobody reads", f"{FN}/main.tf", "STAGING_TABLE = var.staging_table_name }", "STAGING_TABLE = var.staging_table_name, STAGING_INDEX = \"vendor-index\" }", 1, "Terraform sets STAGING_INDEX for csv-parser, but csv-parser never reads it"),
    ("the csv-parser role loses s3:GetObjectVersion", f"{FN}/iam.tf", 'actions = ["s3:GetObject", "s3:GetObjectVersion"]', 'actions = ["s3:GetObject"]', 1, "csv-parser needs s3:GetObjectVersion"),
    ("the error-processor role gains s3:DeleteObject", f"{FN}/iam.tf", 'actions   = ["s3:PutObject", "s3:GetObject"]', 'actions   = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"]', 1, "error-processor's role allows s3:DeleteObject"),
    ("the csv-parser stages rows on the wrong resource", f"{FN}/iam.tf", '    actions   = ["dynamodb:BatchWriteItem"]\n    resources = [var.staging_table_arn]\n  }\n\n  statement {\n    sid       = "QueueFailedUploadNotices"',
     '    actions   = ["dynamodb:BatchWriteItem"]\n    resources = [var.staging_table_stream_arn]\n  }\n\n  statement {\n    sid       = "QueueFailedUploadNotices"', 1, "csv-parser needs dynamodb:BatchWriteItem on table:staging"),
    ("the code needs a permission Terraform does not grant", CONTRACT, lambda c: fn_of(c, "csv-parser")["permissions"].append({"actions": ["s3:DeleteObject"], "resources": ["bucket:uploads/uploads/*"], "why": "test"}), None, 1, "csv-parser needs s3:DeleteObject on bucket:uploads/uploads/*"),
    ("Terraform renames the errors queue", "terraform/modules/messaging/main.tf", '"${var.name_prefix}-errors"', '"${var.name_prefix}-error-queue"', 1, "queue names: Terraform"),
    ("the contract renames the stream-failures queue", CONTRACT, lambda c: c["queues"][3].update(name="stream-dlq"), None, 1, "'stream-dlq'"),
    ("the staging table's TTL attribute differs", CONTRACT, lambda c: c["table"].update(ttl_attribute="ttl"), None, 1, "staging table: Terraform"),
    ("Terraform stops setting COGNITO_CLIENT_ID for the vendor-api", f"{FN}/main.tf", '    API_PART             = "data"\n    UPLOAD_BUCKET        = var.upload_bucket_name\n    COGNITO_USER_POOL_ID = var.cognito_user_pool_id\n    COGNITO_CLIENT_ID    = var.cognito_client_id\n',
     '    API_PART             = "data"\n    UPLOAD_BUCKET        = var.upload_bucket_name\n    COGNITO_USER_POOL_ID = var.cognito_user_pool_id\n', 1, "vendor-api requires COGNITO_CLIENT_ID"),
    ("the vendor-auth role loses AdminUpdateUserAttributes", f"{FN}/iam.tf", 'actions   = ["cognito-idp:AdminUpdateUserAttributes"]', 'actions   = []', 1, "vendor-auth needs cognito-idp:AdminUpdateUserAttributes"),
    ("vendor-auth is put in the VPC", "terraform/main.tf", 'image = "vendor-api", in_vpc = false }', 'image = "vendor-api", in_vpc = true }', 1, "vendor-auth in_vpc: Terraform True, the contract False"),
    ("vendor-auth runs an image of its own", "terraform/main.tf", 'image = "vendor-api", in_vpc = false }', 'in_vpc = false }', 1, "vendor-auth image: Terraform 'vendor-auth', the contract 'vendor-api'"),
    ("vendor-auth is given a database secret", f"{FN}/main.tf", '"vendor-auth" = merge(local.log_env, local.vendor_auth_env)', '"vendor-auth" = merge(local.log_env, local.vendor_auth_env, { DATABASE_SECRET_ID = var.function_secret_arns["vendor-api"] })', 1, "Terraform sets DATABASE_SECRET_ID for vendor-auth, but vendor-auth never reads it"),
    ("vendor-auth's role gets the VPC functions' statements", f"{FN}/iam.tf", 'source_policy_documents = [data.aws_iam_policy_document.common["vendor-auth"].json]',
     'source_policy_documents = [data.aws_iam_policy_document.common["vendor-auth"].json, data.aws_iam_policy_document.in_vpc["vendor-auth"].json]', 1, "vendor-auth's role allows ec2:CreateNetworkInterface on *"),
    ("API Gateway sends log-in to the data part", "terraform/modules/portal/api.tf", '    "POST /api/auth/login",\n', '', 1, "POST /api/auth/login is the auth part's: API Gateway sends it to the catch-all route, not vendor-auth"),
    ("API Gateway sends log-out to the auth part", "terraform/modules/portal/api.tf", '    "POST /api/auth/revoke",\n', '    "POST /api/auth/revoke",\n    "POST /api/auth/logout",\n', 1, "API Gateway sends POST /api/auth/logout to vendor-auth, which does not serve it"),
    ("vendor-auth is told to serve the data part", f"{FN}/main.tf", 'API_PART             = "auth"', 'API_PART             = "data"', 1, "vendor-auth must serve the auth part"),
    ("the console may no longer query the csv-parser's logs", f"{FN}/iam.tf", '      aws_cloudwatch_log_group.this["csv-parser"].arn,\n', '', 1, "vendor-api needs logs:StartQuery on log-group:csv-parser"),
    ("the console may delete messages of every dead-letter queue", f"{FN}/iam.tf", '    actions   = ["sqs:DeleteMessage"]\n    resources = [var.errors_dlq_arn]', '    actions   = ["sqs:DeleteMessage"]\n    resources = [var.errors_dlq_arn, var.stream_failures_queue_arn]', 1, "vendor-api's role allows sqs:DeleteMessage on queue:stream-failures"),
    ("the vendor-api may presign uploads anywhere in the bucket", f"{FN}/iam.tf", '    sid       = "PresignUploads"\n    actions   = ["s3:PutObject"]\n    resources = ["${var.upload_bucket_arn}/uploads/*"]',
     '    sid       = "PresignUploads"\n    actions   = ["s3:PutObject"]\n    resources = ["${var.upload_bucket_arn}/*"]', 1, "vendor-api's role allows s3:PutObject on bucket:uploads/* (statement PresignUploads)"),
    ("the live stream filter stops excluding the candidate lane", f"{FN}/triggers.tf", "dynamodb  = { NewImage = { lane = { S = [{ exists = false }] } } }\n", "\n", 1, "the live stream filter lets through a candidate INSERT record"),
    ("the candidate lane's messages go to the live error-processor", f"{FN}/triggers.tf", "errors_queue_arn = var.candidate_errors_queue_arn", "errors_queue_arn = var.errors_queue_arn", 1, "the live and candidate lanes' errors queues"),
    ("the candidate notification invokes the live alias", "terraform/main.tf", 'module.functions.functions["csv-parser"].candidate_alias_arn', 'module.functions.functions["csv-parser"].alias_arn', 1, "not the csv-parser's candidate alias"),
    ("the csv-parser may not read candidate-lane uploads", f"{FN}/iam.tf", '"${var.upload_bucket_arn}/candidate/uploads/*",', "", 1, "csv-parser needs s3:GetObject on bucket:uploads/candidate/uploads/*"),
    # Settings: Terraform's queues and mappings equal the contract's.
    ("the error-processor's timeout grows in Terraform only", "terraform/main.tf", '"error-processor"   = { memory_mb = 512, timeout_s = 60 }', '"error-processor"   = { memory_mb = 512, timeout_s = 90 }', 1, "error-processor timeout_s: Terraform 90"),
    ("the errors queue keeps messages after 5 receives in Terraform", "terraform/modules/messaging/main.tf", "maxReceiveCount     = 3", "maxReceiveCount     = 5", 1, "queue errors dead letter"),
    ("the contract's errors queue visibility timeout drifts from Terraform's", CONTRACT, lambda c: c["queues"][0].update(visibility_timeout_s=200), None, 1, "queue errors visibility_timeout_s: Terraform 390"),
    ("the stream batch size differs", f"{FN}/triggers.tf", "batch_size                         = 500", "batch_size                         = 100", 1, "stream mapping batch_size"),
    ("the errors batching window differs", "terraform/main.tf", "errors_batching_window_s = 30", "errors_batching_window_s = 20", 1, "errors queue mapping maximum_batching_window_in_seconds"),
    ("the dashboard searches for a metric nobody emits", "terraform/modules/observability/dashboard.tf", '    PeakRss           = { stat = "Maximum", label = "PeakRss" }', '    PeakRssBytes      = { stat = "Maximum", label = "PeakRss" }', 1, "the dashboard searches for PeakRssBytes, which no function emits"),
    ("the dashboard plots the report stage of the wrong function", "terraform/modules/observability/dashboard.tf", '"StageDuration", "Function", local.reporter, "Stage", "report"', '"StageDuration", "Function", local.validator, "Stage", "report"', 1, "the dashboard plots StageDuration of product-validator with {'Stage': 'report'}"),
    ("the code stops emitting UploadsFailed", CONTRACT, lambda c: c["metrics"].update(emitted=[m for m in c["metrics"]["emitted"] if m["name"] != "UploadsFailed"]), None, 1, "the dashboard searches for UploadsFailed, which no function emits"),
    ("the upload prefix differs from the code's", CONTRACT, lambda c: c["upload_prefixes"].update(live="incoming/"), None, 1, "the live S3 trigger does not filter on the contract's prefix 'incoming/'"),
]


def self_test(root: Path, contract: dict) -> int:
    import copy
    import shutil
    import tempfile
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


def outcome(root: Path, contract: dict) -> tuple[int, str]:
    try:
        failures = run_checks(root, contract)
    except CheckerError as e:
        return 2, f"contract check: cannot read the Terraform: {e}"
    except (KeyError, AttributeError, IndexError, TypeError) as e:
        return 2, f"contract check: unexpected shape in the Terraform or the contract ({type(e).__name__}: {e}); teach scripts/check_contract.py"
    if failures:
        return 1, f"contract check FAILED ({len(failures)}):\n" + "\n".join(f"  - {f}" for f in failures)
    return 0, f"contract check passed: {len(contract['functions'])} functions (environment, IAM, own secrets), queue and trigger settings, table, names, lanes, portal, metrics"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--contract", type=Path, help="the output of `onboard contract --json` (default: run it with cargo)")
    parser.add_argument("--self-test", action="store_true", help="break the Terraform or the contract, one way at a time, and check that it is caught")
    args = parser.parse_args(argv)
    contract = load_contract(args.root, args.contract)
    if args.self_test:
        return self_test(args.root, contract)
    rc, out = outcome(args.root, contract)
    print(out, file=sys.stderr if rc else sys.stdout)
    return rc


if __name__ == "__main__":
    sys.exit(main())

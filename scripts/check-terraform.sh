#!/usr/bin/env bash
# Static checks for the infrastructure code:
#   1. `terraform fmt` (formatting and HCL syntax);
#   2. checkov (security/compliance policies);
#   3. the contract check: `onboard contract --json` (the
#      code's deployment contract as data, its invariants checked in Rust),
#      then scripts/check_contract.py, which compares that data with the
#      Terraform (environment variables, IAM, queue and trigger settings,
#      names), then its test, scripts/check_contract_test.py, which breaks
#      the Terraform or the data and expects to be told;
#   4. the deploy scripts (scripts/test-deploy-scripts.sh): deploy, rollback,
#      smoke and destroy against stub aws/docker/terraform executables.
#
# Works offline except for the first run, which creates project-local venvs
# and installs pinned tools into them, at the pins of requirements/ (the only
# place a Python version is written): checkov into .venv/checkov
# (requirements/checkov*.txt; it pins an old boto3 and ships its own fork of
# the HCL parser, so it shares nothing), python-hcl2 into .venv/contract
# (requirements/contract*.txt). A venv that already holds those pins is kept
# as it is; after a pin changes, pip brings it to the new pins.
#
#   scripts/check-terraform.sh          # run all four
#
# Exit status is non-zero if anything fails: formatting, syntax, a failed
# checkov check, a file checkov could not parse, a broken contract, or a
# deploy script test.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV=".venv/checkov"
TF_DIR="terraform"
CHECKOV_CONFIG="$TF_DIR/.checkov.yaml"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root (or sudo) to run: $*"
  fi
}

ensure_python_venv() {
  command -v python3 >/dev/null 2>&1 || {
    log "python3 not found; installing python3 and python3-venv with apt-get"
    as_root apt-get update
    as_root apt-get install -y --no-install-recommends python3 python3-venv
  }
  # Debian ships `venv` in python3 but `ensurepip` only in python3-venv, so
  # `python3 -m venv` fails there until that package is installed.
  if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 || die "python3 cannot create venvs and apt-get is unavailable"
    log "python3 -m venv unavailable; installing python3-venv with apt-get"
    as_root apt-get update
    as_root apt-get install -y --no-install-recommends python3-venv
  fi
}

# ensure_venv VENV NAME: VENV holds every pin of requirements/NAME.txt and
# requirements/NAME-constraints.txt (scripts/pins.py compares what is
# installed with the files); when it does not, pip installs them into it.
ensure_venv() {
  local venv=$1 name=$2
  local requirements="requirements/$name.txt" constraints="requirements/$name-constraints.txt"
  if [ -x "$venv/bin/python" ] \
    && "$venv/bin/python" scripts/pins.py installed "$requirements" "$constraints" >/dev/null 2>&1; then
    return
  fi
  ensure_python_venv
  if [ ! -x "$venv/bin/python" ]; then
    log "creating $venv"
    python3 -m venv "$venv"
  fi
  log "installing $requirements (with $constraints) into $venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r "$requirements" -c "$constraints"
  "$venv/bin/python" scripts/pins.py installed "$requirements" "$constraints" \
    || die "$venv differs from the pins of $requirements and $constraints after installing them (above)"
}

run_fmt() {
  # Terraform is not in Debian's or Ubuntu's archives, and its release
  # downloads are out of reach here; without it the formatting check is
  # skipped loudly, and HCL syntax is still checked by the contract check's
  # parser (python-hcl2), which fails on a syntax error.
  if ! command -v terraform >/dev/null 2>&1; then
    log "WARNING: terraform is not on PATH: skipping 'terraform fmt -check' (install Terraform >= 1.11 to run it)"
    return 0
  fi
  log "terraform fmt -check -recursive $TF_DIR"
  # TF_CLI_CONFIG_FILE=/dev/null: no CLI config (and no warning about a missing one).
  # fmt exits 3 on unformatted files and 2 on syntax errors.
  if ! TF_CLI_CONFIG_FILE=/dev/null terraform fmt -check -recursive -diff "$TF_DIR"; then
    die "terraform fmt found unformatted files or a syntax error (run: terraform fmt -recursive $TF_DIR)"
  fi
}

run_checkov() {
  [ -f "$CHECKOV_CONFIG" ] || die "missing $CHECKOV_CONFIG"
  local rc=0 summary_rc=0
  CHECKOV_OUT="$(mktemp -d)"
  trap 'rm -rf "$CHECKOV_OUT"' EXIT
  local out="$CHECKOV_OUT"
  log "checkov $("$VENV/bin/checkov" --version) over $TF_DIR"
  "$VENV/bin/checkov" \
    --config-file "$CHECKOV_CONFIG" \
    --directory "$TF_DIR" \
    --framework terraform \
    --skip-download --quiet --compact \
    --output cli --output json --output-file-path "$out" \
    >"$out/stdout.log" 2>"$out/stderr.log" || rc=$?
  if [ ! -f "$out/results_json.json" ]; then
    cat "$out/stdout.log" "$out/stderr.log" >&2
    die "checkov produced no results (exit $rc)"
  fi
  cat "$out/results_cli.txt"
  # checkov exits 0 when a file fails to parse, so read the summary ourselves.
  if "$VENV/bin/python" - "$out/results_json.json" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
reports = data if isinstance(data, list) else [data]
totals = {"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0}
for r in reports:
    s = r.get("summary", {})
    for k in totals:
        totals[k] += int(s.get(k, 0) or 0)
print("checkov summary: passed=%(passed)d failed=%(failed)d skipped=%(skipped)d parsing_errors=%(parsing_errors)d" % totals)
sys.exit(1 if totals["failed"] or totals["parsing_errors"] else 0)
PY
  then :; else summary_rc=$?; fi
  if [ "$rc" -ne 0 ] || [ "$summary_rc" -ne 0 ]; then
    die "checkov reported failures (exit $rc)"
  fi
}

run_contract() {
  # The code's contract as data (crates/onboarding-aws/src/contract.rs),
  # after its invariants between settings hold (written once, in Rust).
  log "contract invariants and export (onboard contract --json)"
  local contract
  contract="$(mktemp)"
  SQLX_OFFLINE=true cargo run --quiet -p onboard -- contract --json >"$contract" \
    || { rm -f "$contract"; die "the contract's settings break its invariants (above)"; }
  log "contract check: Terraform vs the code's contract (scripts/check_contract.py)"
  .venv/contract/bin/python scripts/check_contract.py --contract "$contract" \
    || { rm -f "$contract"; die "the Terraform and the code's contract disagree (above); fix one of them"; }
  .venv/contract/bin/python scripts/check_contract_test.py --contract "$contract" \
    || { rm -f "$contract"; die "the contract check no longer catches what it should (its test above)"; }
  rm -f "$contract"
}

run_deploy_script_tests() {
  log "deploy, rollback, smoke and destroy scripts against stubs (scripts/test-deploy-scripts.sh)"
  bash scripts/test-deploy-scripts.sh || die "a deploy script test failed (above)"
}

timed() {
  local started=$SECONDS
  "$@"
  log "$1: $((SECONDS - started)) s"
}

ensure_venv "$VENV" checkov
ensure_venv .venv/contract contract
timed run_fmt
timed run_checkov
timed run_contract
timed run_deploy_script_tests
log "terraform checks passed"

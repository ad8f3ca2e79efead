#!/usr/bin/env bash
# Smoke test of the docker-compose stack (docker-compose.yml), once it is up:
#
#   docker compose up --build --wait
#   bash scripts/compose-smoke.sh
#
# Uploads the VEND001 sample through the runner, checks the summary against
# the golden data (100 products, 85 valid, 15 with errors, status partial,
# notified), checks that the vendor got exactly one email about that upload,
# and that the portal answers /api/health on the host.
#
# The expected counts are those of crates/onboard/tests/pipeline.rs and
# crates/onboard/tests/cli.rs; the 15 failed rows are the distinct row numbers
# of testdata/golden/VEND001_products_errors.csv (checked below when the file
# is there).
#
# Environment: PORTAL_URL (default http://localhost:8080), UPLOAD_TIMEOUT
# (seconds `onboard upload --wait` waits, default 300), EMAIL_WAIT (seconds to
# wait for the email, default 60). Needs docker compose and jq or python3.
set -euo pipefail
cd "$(dirname "$0")/.."

PORTAL_URL=${PORTAL_URL:-http://localhost:8080}
UPLOAD_TIMEOUT=${UPLOAD_TIMEOUT:-300}
EMAIL_WAIT=${EMAIL_WAIT:-60}

VENDOR=VEND001
SAMPLE=testdata/samples/VEND001_products.csv # relative to /app, the runner's workdir
EXPECTED_STATUS=partial
EXPECTED_TOTAL=100
EXPECTED_ERRORS=15
EXPECTED_VALID=$((EXPECTED_TOTAL - EXPECTED_ERRORS))

step() { printf '\n==> %s\n' "$*"; }
fail() {
  printf '\ncompose smoke test FAILED: %s\n' "$1" >&2
  if [ $# -gt 1 ]; then printf '%s\n' "$2" >&2; fi
  exit 1
}

# shellcheck source=scripts/json.sh
source "$(dirname "${BASH_SOURCE[0]}")/json.sh"
# count_emails below: jq when installed, python3 otherwise, as json.sh.
if command -v jq >/dev/null 2>&1; then
  json_tool=jq
elif command -v python3 >/dev/null 2>&1; then
  json_tool=python3
else
  fail "neither jq nor python3 is installed"
fi

# count_emails JSON UPLOAD_ID VENDOR: how many emails of the array JSON are
# about UPLOAD_ID; fails when it is not an array or an email names another vendor.
count_emails() {
  if [ "$json_tool" = jq ]; then
    jq -e --arg upload "$2" --arg vendor "$3" '
      if type != "array" then error("not a JSON array")
      else [.[] | select(.upload_id == $upload)]
        | if any(.vendor_id != $vendor) then error("an email about the upload names another vendor")
          else length end
      end' <<<"$1"
  else
    python3 -c '
import json, sys
emails = json.loads(sys.stdin.read())
if not isinstance(emails, list):
    sys.exit("not a JSON array")
about = [e for e in emails if e.get("upload_id") == sys.argv[1]]
if any(e.get("vendor_id") != sys.argv[2] for e in about):
    sys.exit("an email about the upload names another vendor")
print(len(about))' "$2" "$3" <<<"$1"
  fi
}

runner() { docker compose exec -T runner onboard "$@"; }

step "The runner is up"
docker compose ps --status running --services 2>/dev/null | grep -qx runner \
  || fail "the compose service 'runner' is not running; start the stack with: docker compose up --build --wait" \
    "$(docker compose ps 2>&1 || true)"

if [ -f testdata/golden/VEND001_products_errors.csv ]; then
  golden_rows=$(tail -n +2 testdata/golden/VEND001_products_errors.csv | cut -d, -f1 | sort -u | grep -c '^[0-9]' || true)
  [ "$golden_rows" -eq "$EXPECTED_ERRORS" ] \
    || fail "the golden report names $golden_rows failed rows, this script expects $EXPECTED_ERRORS; update it"
fi

step "Uploading $SAMPLE as $VENDOR and waiting for the pipeline"
# `onboard upload --wait` prints the upload's summary as JSON (there is no
# --json flag: --wait is what selects JSON output).
if ! summary=$(runner upload --vendor "$VENDOR" "$SAMPLE" --wait --timeout "$UPLOAD_TIMEOUT"); then
  fail "onboard upload failed (see its error above)" "${summary:-}"
fi
printf '%s\n' "$summary"

upload_id=$(json_get --json "$summary" upload_id) || fail "the upload summary is not JSON" "$summary"
upload_id=${upload_id//\"/}
[[ "$upload_id" =~ ^UPLOAD_[A-Za-z0-9_]+$ ]] \
  || fail "the summary has no valid upload_id (got '$upload_id')" "$summary"

check() {
  local key=$1 expected=$2 actual
  actual=$(json_get --json "$summary" "$key")
  [ "$actual" = "$expected" ] \
    || fail "upload $upload_id: $key is $actual, expected $expected" "$summary"
  echo "ok: $key = $actual"
}
check vendor_id "\"$VENDOR\""
check status "\"$EXPECTED_STATUS\""
check total_records "$EXPECTED_TOTAL"
check valid_records "$EXPECTED_VALID"
check error_records "$EXPECTED_ERRORS"
check notified true
check error_report_key "\"errors/$VENDOR/${upload_id}_errors.csv\""

step "Exactly one email about $upload_id"
emails=$(runner outbox --json --upload "$upload_id" --wait "$EMAIL_WAIT") \
  || fail "onboard outbox failed (see its error above)"
count=$(count_emails "$emails" "$upload_id" "$VENDOR") \
  || fail "onboard outbox --json did not give the expected array" "$emails"
[ "$count" -eq 1 ] || fail "expected exactly 1 email about $upload_id, found $count" "$emails"
# A late duplicate (say, a redelivered event) would show up after the first.
sleep 3
emails=$(runner outbox --json) || fail "onboard outbox failed (see its error above)"
count=$(count_emails "$emails" "$upload_id" "$VENDOR") \
  || fail "onboard outbox --json did not give the expected array" "$emails"
[ "$count" -eq 1 ] || fail "expected exactly 1 email about $upload_id, found $count after waiting" "$emails"
echo "ok: one email to $VENDOR about $upload_id"

step "The portal answers $PORTAL_URL/api/health"
health_url="${PORTAL_URL%/}/api/health"
if command -v curl >/dev/null 2>&1; then
  health=$(curl --silent --show-error --fail --max-time 10 --retry 5 --retry-delay 2 --retry-connrefused "$health_url") \
    || fail "GET $health_url did not answer with a success status"
else
  health=$(python3 -c '
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=10) as r:
    sys.stdout.write(r.read().decode())' "$health_url") \
    || fail "GET $health_url did not answer with a success status"
fi
echo "ok: $health_url -> $health"

printf '\ncompose smoke test passed: upload %s (%s, %s/%s valid), one email, portal healthy\n' \
  "$upload_id" "$EXPECTED_STATUS" "$EXPECTED_VALID" "$EXPECTED_TOTAL"

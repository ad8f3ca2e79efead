#!/usr/bin/env bash
# End-to-end smoke test of a deployed environment: upload a sample file, follow
# it through the three functions' logs, print the summary.
#
#   scripts/smoke.sh ENV [--vendor V] [--file F] [options]
#
# It needs nothing but the AWS CLI and credentials that may put objects under
# uploads/ (s3:PutObject; the bucket uses SSE-S3) and read
# the functions' logs (logs:FilterLogEvents). The database is in private
# subnets, so completion is read from the logs, not from PostgreSQL.
#
# With the vendor portal it then does what a vendor does, through the API:
# logs in as a smoke-test Cognito user bound to the vendor, asks for a
# presigned POST, uploads the file straight to S3 with curl, and polls
# GET /api/uploads until the upload is finished. That needs curl and
# cognito-idp:AdminGetUser, AdminCreateUser, AdminUpdateUserAttributes and
# AdminSetUserPassword on the vendor pool.
set -euo pipefail
# shellcheck source=scripts/deploy-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/deploy-lib.sh"

usage() {
  cat <<'EOF'
Usage: scripts/smoke.sh ENV [options]

Uploads a product file to s3://<prefix>-uploads-<account>/uploads/<VENDOR>/smoke-<time>.csv
(candidate/uploads/... with --lane candidate) and waits until the error-processor has e-mailed the vendor, following the
upload through the functions' CloudWatch logs:

  csv-parser         "upload received" (with the key) -> the upload id
                     "upload failed"   -> the file failed as a whole: the reason
  product-validator  "batch judged"    -> valid / invalid rows
  error-processor    "vendor notified" -> the e-mail's subject and SNS message id

Then it prints the summary and which function version handled each stage.

With the vendor portal (--portal, or found by name: the pool <prefix>-vendors
and the distribution "<prefix> vendor portal"), it then logs in at
<site>/api/auth/login as smoke+<VENDOR>.<ENV>@example.invalid (created if
missing, bound to the vendor with custom:vendor_id, a fresh random password
each run), POSTs /api/uploads, uploads the file to the presigned POST with
curl -F, and polls GET /api/uploads?limit=5 until it is finished.

Options:
  --vendor V            vendor id to upload as (default VEND001). It must be registered
                        and active in the environment's database (scripts/deploy.sh
                        registers its --smoke-vendor before it runs this).
  --file F              the file (default testdata/samples/VEND001_clean.csv; with the
                        default file the e-mail must say "100% Success")
  --as-is               upload the file unchanged. By default the sku and
                        vendor_product_id cells get a per-run suffix, so that a
                        repeated smoke test is not rejected as duplicates of the last.
  --timeout S           seconds to wait for the e-mail (default 300)
  --expect-versions J   {"csv-parser":"7",...}: fail unless these versions handled it
  --lane L              live (default): uploads/, through the `live` aliases; candidate:
                        candidate/uploads/, through the `candidate` aliases (the versions
                        the last apply published, before `live` moves; scripts/deploy.sh
                        runs this first). The candidate lane has no portal part.
  --project P           project name (default: the var file's, else onboarding)
  --region R            region (default: the var file's aws_region, else eu-west-1)
  --bucket B            bucket (default <project>-<env>-uploads-<account>)
  --var-file F          Terraform variables to read project/region from
                        (default terraform/ENV.tfvars when it exists)
  --portal              the portal part must run (fail if the pool or site is not found)
  --no-portal           skip the portal part
  --site-url U          the portal (https://...; default: looked up in CloudFront)
  --user-pool-id P      the vendor pool (default: looked up by name <prefix>-vendors)
  --dry-run             print the upload and the log queries, change nothing
  -h, --help            this text

Exit status: 0 passed; 1 the pipeline answered wrongly; 2 usage or
prerequisites; 3 timed out; 4 the vendor is not registered or not active.

Needs: the AWS CLI, and credentials for the environment's account.
EOF
}

ENVIRONMENT=""
VENDOR=VEND001
FILE="$ROOT/testdata/samples/VEND001_clean.csv"
DEFAULT_FILE=true
AS_IS=false
TIMEOUT=300
EXPECT=""
PROJECT_ARG=""
REGION_ARG=""
BUCKET=""
VAR_FILE_ARG=""
PORTAL_MODE=auto
SITE_URL=""
USER_POOL_ID=""
POLL_SECONDS=${SMOKE_POLL_SECONDS:-5}
LANE=live

while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --vendor) VENDOR=${2:?--vendor needs a value}; shift ;;
    --file) FILE=${2:?--file needs a value}; DEFAULT_FILE=false; shift ;;
    --as-is) AS_IS=true ;;
    --timeout) TIMEOUT=${2:?--timeout needs a value}; shift ;;
    --expect-versions) EXPECT=${2:?--expect-versions needs a value}; shift ;;
    --project) PROJECT_ARG=${2:?--project needs a value}; shift ;;
    --region) REGION_ARG=${2:?--region needs a value}; shift ;;
    --bucket) BUCKET=${2:?--bucket needs a value}; shift ;;
    --var-file) VAR_FILE_ARG=${2:?--var-file needs a value}; shift ;;
    --lane) LANE=${2:?--lane needs a value}; shift ;;
    --portal) PORTAL_MODE=yes ;;
    --no-portal) PORTAL_MODE=no ;;
    --site-url) SITE_URL=${2:?--site-url needs a value}; shift ;;
    --user-pool-id) USER_POOL_ID=${2:?--user-pool-id needs a value}; shift ;;
    --dry-run) DRY_RUN=true ;;
    -*) usage >&2; die "unknown option $1" 2 ;;
    *) [ -z "$ENVIRONMENT" ] || die "one environment at a time" 2; ENVIRONMENT=$1 ;;
  esac
  shift
done
[ -n "$ENVIRONMENT" ] || { usage >&2; die "which environment? (e.g. scripts/smoke.sh staging)" 2; }
valid_environment "$ENVIRONMENT"
require_vendor_id "--vendor" "$VENDOR"
[[ "$TIMEOUT" =~ ^[0-9]+$ ]] || die "--timeout must be a number of seconds" 2
case "$LANE" in
  live) LANE_PREFIX="" ;;
  candidate)
    LANE_PREFIX="candidate/"
    [ "$PORTAL_MODE" != yes ] || die "--portal: the candidate lane has no portal part (the portal API serves live)" 2
    PORTAL_MODE=no ;;
  *) die "--lane must be live or candidate (got '$LANE')" 2 ;;
esac
[ -f "$FILE" ] || die "no such file: $FILE" 2

require_aws_cli
require_aws_credentials
resolve_var_file "$ENVIRONMENT" "$VAR_FILE_ARG"
PROJECT=${PROJECT_ARG:-$(tfvar project onboarding)}
REGION=${REGION_ARG:-$(tfvar aws_region eu-west-1)}
PREFIX="$PROJECT-$ENVIRONMENT"
BUCKET=${BUCKET:-$PREFIX-uploads-$ACCOUNT_ID}
export AWS_REGION="$REGION" AWS_DEFAULT_REGION="$REGION"

RUN_ID="$(date -u +%Y%m%dT%H%M%SZ)-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"
NAME="smoke-$RUN_ID.csv"
KEY="${LANE_PREFIX}uploads/$VENDOR/$NAME"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# Appends SUFFIX to every non-empty sku and vendor_product_id cell, keeping the
# CSV as it is otherwise (quoted cells, commas and newlines inside quotes).
# Equal ids stay equal, so in-file duplicates in a test file stay duplicates.
uniquify() {
  awk -v suffix="$2" '
    function flush(   i, out, f) {
      out = ""
      for (i = 1; i <= n; i++) {
        f = field[i]
        cr = ""
        if (substr(f, length(f)) == "\r") { cr = "\r"; f = substr(f, 1, length(f) - 1) }
        if (header_done && (i == sku || i == vpid) && f != "" && f != "\"\"") {
          if (substr(f, 1, 1) == "\"") f = substr(f, 1, length(f) - 1) suffix "\""
          else f = f suffix
        }
        if (!header_done) {
          # Headers match like the reader: case, spaces and underscores do not
          # matter (and a UTF-8 BOM may precede the first one).
          name = tolower(f); gsub(/["\r ]/, "", name); gsub(/_/, "", name)
          if (name == "sku") sku = i
          if (substr(name, length(name) - 14) == "vendorproductid") vpid = i
        }
        f = f cr
        out = out (i > 1 ? "," : "") f
      }
      print out
      header_done = 1
      n = 0
    }
    {
      line = $0
      if (!inq) { n = 1; field[1] = "" } else { field[n] = field[n] "\n" }
      for (c = 1; c <= length(line); c++) {
        ch = substr(line, c, 1)
        if (ch == "\"") inq = !inq
        if (ch == "," && !inq) { n++; field[n] = ""; continue }
        field[n] = field[n] ch
      }
      if (!inq) flush()
    }
    END { if (n) flush() }
  ' "$1"
}

PORTAL_NAME="portal-$NAME"
if [ "$AS_IS" = true ]; then
  cp "$FILE" "$WORK/$NAME"
  cp "$FILE" "$WORK/$PORTAL_NAME"
else
  uniquify "$FILE" "-S$(printf '%s' "$RUN_ID" | tr -cd '0-9a-f' | tail -c 10)" >"$WORK/$NAME"
  # The portal's upload is a second upload of the same rows: other suffixes.
  uniquify "$FILE" "-P$(printf '%s' "$RUN_ID" | tr -cd '0-9a-f' | tail -c 10)" >"$WORK/$PORTAL_NAME"
fi

# --- the portal (a vendor's path through the API) -------------------------------

# Finds the pool and the site when not given. Sets PORTAL=true|false.
resolve_portal_target() {
  PORTAL=false
  [ "$PORTAL_MODE" != no ] || return 0
  if [ -z "$USER_POOL_ID" ]; then
    USER_POOL_ID=$(aws cognito-idp list-user-pools --max-results 60 \
      --query "UserPools[?Name=='$PREFIX-vendors'].Id | [0]" --output text 2>/dev/null || true)
    [ "$USER_POOL_ID" != None ] || USER_POOL_ID=""
  fi
  if [ -z "$SITE_URL" ]; then
    local domain
    domain=$(aws cloudfront list-distributions \
      --query "DistributionList.Items[?Comment=='$PREFIX vendor portal'].DomainName | [0]" --output text 2>/dev/null || true)
    if [ -n "$domain" ] && [ "$domain" != None ]; then SITE_URL="https://$domain"; fi
  fi
  SITE_URL=${SITE_URL%/}
  if [ -n "$USER_POOL_ID" ] && [ -n "$SITE_URL" ]; then
    command -v curl >/dev/null 2>&1 || die "the portal part of the smoke test needs curl" 2
    PORTAL=true
  elif [ "$PORTAL_MODE" = yes ]; then
    die "--portal: the vendor pool ($PREFIX-vendors: ${USER_POOL_ID:-not found}) or the site (${SITE_URL:-not found}) is unknown; pass --user-pool-id and --site-url" 2
  fi
}

# One API call: METHOD PATH [JSON]. Body in $WORK/body, status in HTTP_STATUS.
api() {
  local method=$1 path=$2 data=${3:-}
  local args=(-sS -o "$WORK/body" -w '%{http_code}' -c "$WORK/cookies" -b "$WORK/cookies"
    -X "$method" -H 'Accept: application/json')
  if [ -n "$data" ]; then args+=(-H 'Content-Type: application/json' --data-binary "$data"); fi
  HTTP_STATUS=$(curl "${args[@]}" "$SITE_URL$path") || HTTP_STATUS=000
}

# The value of KEY in a flat JSON object (string or number).

portal_smoke() {
  local email="smoke+$VENDOR.$ENVIRONMENT@example.invalid" password
  step "Portal: $SITE_URL as $email (vendor $VENDOR, pool $USER_POOL_ID)"
  # A new password every run (never stored): upper, lower, digits, symbols.
  password="Sm0ke-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')-Aa1!"
  if [ "$DRY_RUN" = true ]; then
    run aws cognito-idp admin-create-user --user-pool-id "$USER_POOL_ID" --username "$email" \
      --user-attributes "Name=email,Value=$email" Name=email_verified,Value=true "Name=custom:vendor_id,Value=$VENDOR" \
      --message-action SUPPRESS
    printf '[dry-run] aws cognito-idp admin-set-user-password --user-pool-id %s --username %s --password <random> --permanent\n' "$USER_POOL_ID" "$email" >&2
    printf '[dry-run] curl -c cookies -X POST %s/api/auth/login; POST /api/uploads; curl -F <fields> -F file=@%s <url>; GET /api/uploads?limit=5 until finished\n' "$SITE_URL" "$PORTAL_NAME" >&2
    return 0
  fi
  if aws cognito-idp admin-get-user --user-pool-id "$USER_POOL_ID" --username "$email" >/dev/null 2>&1; then
    run aws cognito-idp admin-update-user-attributes --user-pool-id "$USER_POOL_ID" --username "$email" \
      --user-attributes "Name=custom:vendor_id,Value=$VENDOR" Name=email_verified,Value=true
  else
    run aws cognito-idp admin-create-user --user-pool-id "$USER_POOL_ID" --username "$email" \
      --user-attributes "Name=email,Value=$email" Name=email_verified,Value=true "Name=custom:vendor_id,Value=$VENDOR" \
      --message-action SUPPRESS >/dev/null
  fi
  show aws cognito-idp admin-set-user-password --user-pool-id "$USER_POOL_ID" --username "$email" --password '<random>' --permanent
  aws cognito-idp admin-set-user-password --user-pool-id "$USER_POOL_ID" --username "$email" \
    --password "$password" --permanent || die "cannot set the smoke user's password"

  api POST /api/auth/login "{\"email\":\"$email\",\"password\":\"$password\"}"
  [ "$HTTP_STATUS" = 200 ] || die "portal: POST /api/auth/login answered $HTTP_STATUS: $(cat "$WORK/body" 2>/dev/null)"
  grep -q 'onboard_session' "$WORK/cookies" || die "portal: the login set no onboard_session cookie"
  log "logged in: $(cat "$WORK/body")"

  api POST /api/uploads "{\"file_name\":\"$PORTAL_NAME\"}"
  case "$HTTP_STATUS" in
    201) ;;
    403) die "portal: POST /api/uploads answered 403: $(cat "$WORK/body") (is vendor $VENDOR active?)" 4 ;;
    *) die "portal: POST /api/uploads answered $HTTP_STATUS: $(cat "$WORK/body")" ;;
  esac
  local answer url fields form=() entry status
  answer=$(cat "$WORK/body")
  url=$(json_get "$answer" url)
  fields=$(json_entries "$answer" fields)
  [ -n "$url" ] && [ -n "$fields" ] || die "portal: POST /api/uploads answered no url/fields: $answer"
  # One name=value line a form field (the values are base64, hex, keys and dates).
  while IFS= read -r entry; do
    [ -n "$entry" ] && form+=(--form-string "$entry")
  done <<EOF
$fields
EOF
  log "presigned POST to $url with ${#form[@]} form arguments (key $(json_get "$answer" key))"
  status=$(curl -sS -o "$WORK/s3.xml" -w '%{http_code}' "${form[@]}" -F "file=@$WORK/$PORTAL_NAME;type=text/csv" "$url") || status=000
  case "$status" in
    2??) log "S3 accepted the upload ($status)" ;;
    *) die "portal: S3 refused the presigned POST ($status): $(cat "$WORK/s3.xml" 2>/dev/null)" ;;
  esac

  local deadline=$(( $(date +%s) + TIMEOUT )) item=""
  while :; do
    api GET "/api/uploads?limit=5"
    [ "$HTTP_STATUS" = 200 ] || die "portal: GET /api/uploads answered $HTTP_STATUS: $(cat "$WORK/body")"
    item=$(json_item "$(cat "$WORK/body")" items file_name "$PORTAL_NAME")
    status=$(json_get "$item" status)
    case "$status" in
      completed|partial|failed) break ;;
    esac
    if [ "$(date +%s)" -ge "$deadline" ]; then
      die "portal: timed out after ${TIMEOUT}s: $PORTAL_NAME is ${status:-not listed} in GET /api/uploads" 3
    fi
    sleep "$POLL_SECONDS"
  done
  step "Portal summary"
  cat <<EOF
upload id:      $(json_get "$item" upload_id)
file:           $PORTAL_NAME (uploaded through $SITE_URL)
status:         $status
rows:           $(json_get "$item" total_records) total, $(json_get "$item" valid_records) valid, $(json_get "$item" error_records) with errors
EOF
  if [ "$DEFAULT_FILE" = true ] && [ "$status" != completed ]; then
    die "portal: the clean sample file should be completed, got $status"
  fi
}

# Log events of FUNCTION matching the filter PATTERN since the upload, as
# "<log stream>\t<message>" lines.
START_MS=$(( ($(date +%s) - 60) * 1000 ))
TAB=$(printf '\t')
log_events() {
  local function=$1 pattern=$2
  aws logs filter-log-events --log-group-name "/aws/lambda/$PREFIX-$function" \
    --start-time "$START_MS" --filter-pattern "$pattern" \
    --query 'events[].[logStreamName,message]' --output text 2>/dev/null | grep -v '^None$' || true
}
# The version from a Lambda log stream name: 2026/11/22/[7]0123abcd...
stream_version() { printf '%s' "$1" | sed -n 's/^[^[]*\[\([^]]*\)\].*/\1/p'; }

step "Smoke test of $ENVIRONMENT ($LANE lane): s3://$BUCKET/$KEY ($(($(wc -l <"$WORK/$NAME") - 1)) lines of $(basename "$FILE"))"
if [ "$DRY_RUN" = true ]; then
  run aws s3 cp "$WORK/$NAME" "s3://$BUCKET/$KEY" --only-show-errors
  for pair in "csv-parser|\"upload received\" \"$NAME\"" "csv-parser|\"upload failed\" \"<upload id>\"" \
      "product-validator|\"batch judged\" \"<upload id>\"" "error-processor|\"vendor notified\" \"<upload id>\""; do
    printf '[dry-run: polled every %ss, for up to %ss] %s\n' "$POLL_SECONDS" "$TIMEOUT" \
      "$(shell_quote aws logs filter-log-events --log-group-name "/aws/lambda/$PREFIX-${pair%%|*}" \
        --start-time "$START_MS" --filter-pattern "${pair#*|}")" >&2
  done
  resolve_portal_target
  if [ "$PORTAL" = true ]; then portal_smoke; fi
  exit 0
fi
run aws s3 cp "$WORK/$NAME" "s3://$BUCKET/$KEY" --only-show-errors
started=$(date +%s)
deadline=$((started + TIMEOUT))

upload_id="" parser_version="" rows="" notified=""
while :; do
  if [ -z "$upload_id" ]; then
    line=$(log_events csv-parser "\"upload received\" \"$NAME\"" | head -n 1)
    if [ -n "$line" ]; then
      upload_id=$(json_get "${line#*"$TAB"}" upload_id)
      parser_version=$(stream_version "${line%%"$TAB"*}")
      log "csv-parser${parser_version:+ (version $parser_version)} received it: $upload_id"
    fi
  fi
  if [ -n "$upload_id" ]; then
    failed=$(log_events csv-parser "\"upload failed\" \"$upload_id\"" | head -n 1)
    if [ -n "$failed" ]; then
      reason=$(json_get "${failed#*"$TAB"}" reason)
      case "$reason" in
        *"is not registered"*|*"cannot upload products"*)
          die "the parser refused the file: ${reason}
  Register vendor $VENDOR in $ENVIRONMENT's database (active): scripts/deploy.sh does (unless
  --no-register-vendors), or by hand: aws lambda invoke --function-name $PREFIX-migrator
  --cli-binary-format raw-in-base64-out --payload '{"command":"upsert-vendor","vendor_id":"$VENDOR",
  "vendor_name":"NAME","email":"EMAIL","status":"active"}' out.json; or pass --vendor with one that is." 4 ;;
      esac
      die "the parser failed the file as a whole: ${reason:-${failed#*"$TAB"}}"
    fi
    if [ -z "$rows" ]; then
      staged=$(log_events csv-parser "\"upload staged\" \"$upload_id\"" | head -n 1)
      if [ -n "$staged" ]; then rows=$(json_get "${staged#*"$TAB"}" rows); log "staged $rows rows"; fi
    fi
    notified=$(log_events error-processor "\"vendor notified\" \"$upload_id\"" | head -n 1)
    if [ -n "$notified" ]; then break; fi
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    if [ -z "$upload_id" ]; then
      die "timed out after ${TIMEOUT}s: the csv-parser never logged \"upload received\" for $KEY.
  Check the bucket notification, the function's log group and <prefix>-csv-parser-dlq." 3
    fi
    die "timed out after ${TIMEOUT}s waiting for the e-mail of $upload_id.
  Follow it: aws logs tail /aws/lambda/$PREFIX-product-validator --since 15m --filter-pattern '\"$upload_id\"'
  Dead letters: <prefix>-errors-dlq, <prefix>-stream-failures (docs/troubleshooting.md)." 3
  fi
  sleep "$POLL_SECONDS"
done
elapsed=$(($(date +%s) - started))

# The validator's batches for this upload: rows judged valid and invalid.
valid=0 invalid=0 validator_versions=""
while IFS= read -r line; do
  [ -n "$line" ] || continue
  n=$(json_get "${line#*"$TAB"}" valid); valid=$((valid + ${n:-0}))
  n=$(json_get "${line#*"$TAB"}" invalid); invalid=$((invalid + ${n:-0}))
  v=$(stream_version "${line%%"$TAB"*}")
  case " $validator_versions " in *" $v "*) ;; *) validator_versions="${validator_versions:+$validator_versions }$v" ;; esac
done <<EOF
$(log_events product-validator "\"batch judged\" \"$upload_id\"")
EOF
message=${notified#*"$TAB"}
subject=$(json_get "$message" subject)
processor_version=$(stream_version "${notified%%"$TAB"*}")

step "Summary"
cat <<EOF
upload id:      $upload_id
lane:           $LANE
key:            s3://$BUCKET/$KEY
rows staged:    ${rows:-?}
valid/invalid:  $valid / $invalid (product-validator batches)
e-mail:         $subject
SNS message id: $(json_get "$message" message_id)
took:           ${elapsed}s from upload to e-mail
versions:       csv-parser ${parser_version:-?}, product-validator ${validator_versions:-?}, error-processor ${processor_version:-?}
EOF

status=0
if [ "$DEFAULT_FILE" = true ] && [[ "$subject" != *"(100% Success)"* ]]; then
  warn "the clean sample file should give 100% Success, got: $subject"
  status=1
fi
if [ -n "$EXPECT" ]; then
  for pair in "csv-parser:$parser_version" "error-processor:$processor_version"; do
    function=${pair%%:*} got=${pair#*:} want=$(json_get "$EXPECT" "${pair%%:*}")
    if [ -z "$got" ]; then
      warn "cannot tell which version of $function ran (log stream name not of the form .../[VERSION]...)"
    elif [ -n "$want" ] && [ "$got" != "$want" ]; then
      warn "$function: version $got handled the upload, expected $want"; status=1
    fi
  done
  want=$(json_get "$EXPECT" product-validator)
  for v in $validator_versions; do
    if [ -n "$want" ] && [ "$v" != "$want" ]; then
      warn "product-validator: version $v judged rows of the upload, expected $want"; status=1
    fi
  done
fi
if [ "$status" -ne 0 ]; then die "smoke test FAILED"; fi

resolve_portal_target
if [ "$PORTAL" = true ]; then
  portal_smoke
elif [ "$LANE" = candidate ]; then
  log "candidate lane: no portal part (the portal API serves live; scripts/deploy.sh checks the new vendor-api with GET /api/health)"
else
  log "no vendor portal found (pool $PREFIX-vendors, distribution \"$PREFIX vendor portal\"): portal part skipped"
fi
printf '\nsmoke test passed\n'

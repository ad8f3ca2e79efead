#!/usr/bin/env bash
# End-to-end smoke test of a deployed environment: upload a sample file, follow
# it through the three functions' logs, print the summary.
#
#   scripts/smoke.sh ENV [--vendor V] [--file F] [options]
#
# It needs nothing but the AWS CLI and credentials that may put objects under
# uploads/ (s3:PutObject, kms:GenerateDataKey on the environment key) and read
# the functions' logs (logs:FilterLogEvents). The database is in private
# subnets, so completion is read from the logs, not from PostgreSQL.
set -euo pipefail
# shellcheck source=scripts/deploy-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/deploy-lib.sh"

usage() {
  cat <<'EOF'
Usage: scripts/smoke.sh ENV [options]

Uploads a product file to s3://<prefix>-uploads-<account>/uploads/<VENDOR>/smoke-<time>.csv
and waits until the error-processor has e-mailed the vendor, following the
upload through the functions' CloudWatch logs:

  csv-parser         "upload received" (with the key) -> the upload id
                     "upload failed"   -> the file failed as a whole: the reason
  product-validator  "batch judged"    -> valid / invalid rows
  error-processor    "vendor notified" -> the e-mail's subject and SNS message id

Then it prints the summary and which function version handled each stage.

Options:
  --vendor V            vendor id to upload as (default VEND001). It must be registered
                        and active in the environment's database.
  --file F              the file (default testdata/samples/VEND001_clean.csv; with the
                        default file the e-mail must say "100% Success")
  --as-is               upload the file unchanged. By default the sku and
                        vendor_product_id cells get a per-run suffix, so that a
                        repeated smoke test is not rejected as duplicates of the last.
  --timeout S           seconds to wait for the e-mail (default 300)
  --expect-versions J   {"csv-parser":"7",...}: fail unless these versions handled it
  --project P           project name (default: the var file's, else onboarding)
  --region R            region (default: the var file's aws_region, else eu-west-1)
  --bucket B            bucket (default <project>-<env>-uploads-<account>)
  --var-file F          Terraform variables to read project/region from
                        (default terraform/ENV.tfvars when it exists)
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
POLL_SECONDS=${SMOKE_POLL_SECONDS:-5}

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
    --dry-run) DRY_RUN=true ;;
    -*) usage >&2; die "unknown option $1" 2 ;;
    *) [ -z "$ENVIRONMENT" ] || die "one environment at a time" 2; ENVIRONMENT=$1 ;;
  esac
  shift
done
[ -n "$ENVIRONMENT" ] || { usage >&2; die "which environment? (e.g. scripts/smoke.sh staging)" 2; }
valid_environment "$ENVIRONMENT"
[[ "$VENDOR" =~ ^[A-Za-z0-9_-]{1,50}$ ]] || die "--vendor: '$VENDOR' is not a vendor id" 2
[[ "$TIMEOUT" =~ ^[0-9]+$ ]] || die "--timeout must be a number of seconds" 2
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
KEY="uploads/$VENDOR/$NAME"
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

if [ "$AS_IS" = true ]; then
  cp "$FILE" "$WORK/$NAME"
else
  uniquify "$FILE" "-S$(printf '%s' "$RUN_ID" | tr -cd '0-9a-f' | tail -c 10)" >"$WORK/$NAME"
fi

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
# A JSON field of a log line: string or number.
field() { printf '%s' "$1" | sed -n "s/.*\"$2\":\"\\{0,1\\}\\([^\",}]*\\).*/\\1/p" | head -n 1; }
# The version from a Lambda log stream name: 2026/11/22/[7]0123abcd...
stream_version() { printf '%s' "$1" | sed -n 's/^[^[]*\[\([^]]*\)\].*/\1/p'; }

step "Smoke test of $ENVIRONMENT: s3://$BUCKET/$KEY ($(($(wc -l <"$WORK/$NAME") - 1)) lines of $(basename "$FILE"))"
if [ "$DRY_RUN" = true ]; then
  run aws s3 cp "$WORK/$NAME" "s3://$BUCKET/$KEY" --only-show-errors
  for pair in "csv-parser|\"upload received\" \"$NAME\"" "csv-parser|\"upload failed\" \"<upload id>\"" \
      "product-validator|\"batch judged\" \"<upload id>\"" "error-processor|\"vendor notified\" \"<upload id>\""; do
    printf '[dry-run: polled every %ss, for up to %ss] %s\n' "$POLL_SECONDS" "$TIMEOUT" \
      "$(shell_quote aws logs filter-log-events --log-group-name "/aws/lambda/$PREFIX-${pair%%|*}" \
        --start-time "$START_MS" --filter-pattern "${pair#*|}")" >&2
  done
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
      upload_id=$(field "${line#*"$TAB"}" upload_id)
      parser_version=$(stream_version "${line%%"$TAB"*}")
      log "csv-parser${parser_version:+ (version $parser_version)} received it: $upload_id"
    fi
  fi
  if [ -n "$upload_id" ]; then
    failed=$(log_events csv-parser "\"upload failed\" \"$upload_id\"" | head -n 1)
    if [ -n "$failed" ]; then
      reason=$(printf '%s' "${failed#*"$TAB"}" | sed -n 's/.*"reason":"\([^"]*\)".*/\1/p')
      case "$reason" in
        *"is not registered"*|*"cannot upload products"*)
          die "the parser refused the file: ${reason}
  Register vendor $VENDOR in $ENVIRONMENT's database (active), or pass --vendor with one that is." 4 ;;
      esac
      die "the parser failed the file as a whole: ${reason:-${failed#*"$TAB"}}"
    fi
    if [ -z "$rows" ]; then
      staged=$(log_events csv-parser "\"upload staged\" \"$upload_id\"" | head -n 1)
      if [ -n "$staged" ]; then rows=$(field "${staged#*"$TAB"}" rows); log "staged $rows rows"; fi
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
  n=$(field "${line#*"$TAB"}" valid); valid=$((valid + ${n:-0}))
  n=$(field "${line#*"$TAB"}" invalid); invalid=$((invalid + ${n:-0}))
  v=$(stream_version "${line%%"$TAB"*}")
  case " $validator_versions " in *" $v "*) ;; *) validator_versions="${validator_versions:+$validator_versions }$v" ;; esac
done <<EOF
$(log_events product-validator "\"batch judged\" \"$upload_id\"")
EOF
message=${notified#*"$TAB"}
subject=$(printf '%s' "$message" | sed -n 's/.*"subject":"\([^"]*\)".*/\1/p')
processor_version=$(stream_version "${notified%%"$TAB"*}")

step "Summary"
cat <<EOF
upload id:      $upload_id
key:            s3://$BUCKET/$KEY
rows staged:    ${rows:-?}
valid/invalid:  $valid / $invalid (product-validator batches)
e-mail:         $subject
SNS message id: $(field "$message" message_id)
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
printf '\nsmoke test passed\n'

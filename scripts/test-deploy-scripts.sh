#!/usr/bin/env bash
# Tests scripts/deploy.sh, destroy.sh and smoke.sh without AWS, Docker or a
# Terraform provider: stub `aws`, `docker` and `terraform` executables on PATH
# record every call and play a tiny environment (ECR images, published and
# live versions, the functions' log lines). The tests assert the order of the
# calls that matter:
#
#   deploy:   publish with live pinned -> migrate (by Terraform) -> seed and
#             register the vendors on the new migrator version -> start
#             checks -> promote -> smoke
#   rollback: live pinned to the versions recorded before the promotion
#   failure:  smoke fails -> live pinned back automatically, exit non-zero
#
# plus --help, --dry-run (nothing changes) and the prerequisite messages.
# Run by scripts/check-terraform.sh; takes a few seconds.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK=$(mktemp -d)
trap '[ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"' EXIT

STUBS="$WORK/bin"
export STUB_STATE="$WORK/state" STUB_LOG="$WORK/calls.log"
export DEPLOY_STATE_ROOT="$WORK/deploy" SMOKE_POLL_SECONDS=0
# The stubs read JSON as the scripts do.
export STUB_JSON_SH="$ROOT/scripts/json.sh"
mkdir -p "$STUBS" "$STUB_STATE" "$DEPLOY_STATE_ROOT"

# --- the stubs (one script, three names) --------------------------------------
cat >"$STUBS/stub" <<'STUB'
#!/usr/bin/env bash
# Records the call, then plays the part of aws / docker / terraform.
set -euo pipefail
tool=$(basename "$0")
S=$STUB_STATE
printf '%s %s\n' "$tool" "$*" >>"$STUB_LOG"
get() { cat "$S/$1" 2>/dev/null || true; }
# shellcheck source=scripts/json.sh
source "$STUB_JSON_SH"
# With the portal (the default) there are five functions (vendor-api and
# vendor-auth share an image); STUB_NO_PORTAL=1: three.
versions() {
  if [ -n "${STUB_NO_PORTAL:-}" ]; then printf '{"csv-parser":"%s","error-processor":"%s","product-validator":"%s"}' "$1" "$1" "$1"
  else printf '{"csv-parser":"%s","error-processor":"%s","product-validator":"%s","vendor-api":"%s","vendor-auth":"%s"}' "$1" "$1" "$1" "$1" "$1"; fi
}
num() { json_get "$(get "$1")" csv-parser; }
arg_after() { local want=$1; shift; while [ $# -gt 0 ]; do [ "$1" = "$want" ] && { echo "$2"; return; }; shift; done; }

case "$tool" in
terraform)
  [ "${1:-}" = "${1#-chdir=}" ] || shift
  cmd=${1:-}; shift || true
  case "$cmd" in
    version) echo "Terraform v1.11.4"; echo "on linux_amd64" ;;
    init) ;;
    workspace)
      case "$1" in
        select) [ -f "$S/workspace-$2" ] || { echo "Workspace \"$2\" doesn't exist." >&2; exit 1; } ;;
        new) touch "$S/workspace-$2" ;;
      esac ;;
    output)
      name=${*: -1}
      case "$name" in
        live_versions) [ -f "$S/live" ] || { echo "Output \"$name\" not found" >&2; exit 1; }; versions "$(num live)" | sed 's/,/,\n  /g; s/{/{\n  /; s/}/\n}/'; echo ;;
        published_versions) [ -f "$S/published" ] || exit 1; get published; echo ;;
        # The migrator is published with the others (one version per apply).
        migrator) [ -f "$S/published" ] || exit 1
          printf '{\n  "name": "onboarding-test-migrator",\n  "published_version": "%s"\n}\n' "$(num published)" ;;
        upload_bucket) echo "onboarding-test-uploads-123456789012" ;;
        access_logs_bucket) echo "onboarding-test-access-logs-123456789012" ;;
        dashboard_url) echo "https://console.aws.amazon.com/cloudwatch/home#dashboards" ;;
        # As terraform/terraform.tfvars.example would set it, once applied.
        vendor_notification_emails) [ -f "$S/published" ] || { echo "Output \"$name\" not found" >&2; exit 1; }
          printf '{\n  "VEND002": "ops@vendor-two.example",\n  "VEND003": "products@homeessentials.example.com"\n}\n' ;;
        site_url) [ -z "${STUB_NO_PORTAL:-}" ] || exit 1; echo "https://d111111abcdef8.cloudfront.net" ;;
        site_bucket) [ -z "${STUB_NO_PORTAL:-}" ] || exit 1; echo "onboarding-test-site-123456789012" ;;
        site_distribution_id) [ -z "${STUB_NO_PORTAL:-}" ] || exit 1; echo "E2EXAMPLE" ;;
        user_pool_id) [ -z "${STUB_NO_PORTAL:-}" ] || exit 1; echo "eu-west-1_Example" ;;
        *) exit 1 ;;
      esac ;;
    plan)
      out=""; for a in "$@"; do case "$a" in -out=*) out=${a#-out=} ;; esac; done
      echo "promote" >"$out" ;;
    show)
      if [ "$(get live)" != "$(get published)" ]; then
        for f in csv-parser error-processor product-validator vendor-api vendor-auth; do
          echo "  # module.functions.aws_lambda_alias.live[\"$f\"] will be updated in-place"
        done
      fi
      if [ -n "${STUB_PLAN_EXTRA:-}" ]; then echo "  # module.data.aws_db_instance.postgres[0] must be replaced"; fi ;;
    apply)
      last=${*: -1}
      if [ -f "$last" ] && [ "$(cat "$last")" = promote ]; then
        get published >"$S/live"; echo "applied promotion" >>"$STUB_LOG"; exit 0
      fi
      tag="" pin="" targets=""
      while [ $# -gt 0 ]; do
        case "$1" in
          -var) case "$2" in image_tag=*) tag=${2#image_tag=} ;; esac; shift ;;
          -var-file=*pin.tfvars.json) pin=${1#-var-file=} ;;
          -target=*) targets="$targets ${1#-target=}" ;;
        esac
        shift
      done
      if [ -n "$targets" ]; then
        case "$targets" in *aws_ecr_repository.this*) touch "$S/repos" ;; esac
        exit 0
      fi
      if [ "$tag" != "$(get tag)" ]; then
        n=$(( $(num published || echo 0) + 1 ))
        versions "$n" >"$S/published"; echo "$tag" >"$S/tag"
        echo "migrate migrator:$n" >>"$STUB_LOG"
      fi
      if [ -n "$pin" ]; then
        echo "pin $(tr -d ' \n' <"$pin")" >>"$STUB_LOG"
        json_get --json "$(cat "$pin")" live_versions >"$S/live"
      else
        get published >"$S/live"
      fi ;;
    destroy) rm -f "$S/live" "$S/published" ;;
  esac ;;
docker)
  case "$*" in
    "buildx version") [ -z "${STUB_NO_BUILDX:-}" ] || { echo "docker: unknown command: docker buildx" >&2; exit 1; } ;;
    info) ;;
    login*) cat >/dev/null ;;
    "buildx build"*) echo "$(arg_after -t "$@")" >>"$S/images" ;;
  esac ;;
aws)
  case "${1:-} ${2:-}" in
    "--version ") echo "aws-cli/2.17.0 Python/3.12.6 Linux/6.8 exe/x86_64" ;;
    "sts get-caller-identity")
      [ -z "${STUB_NO_CREDS:-}" ] || { echo "Unable to locate credentials. You can configure credentials by running \"aws configure\"." >&2; exit 255; }
      echo "123456789012" ;;
    "ecr describe-repositories") [ -f "$S/repos" ] || exit 254 ;;
    "ecr describe-images")
      repo=$(arg_after --repository-name "$@"); tag=$(arg_after --image-ids "$@")
      grep -q "/$repo:${tag#imageTag=}\$" "$S/images" 2>/dev/null || exit 254 ;;
    "ecr get-login-password") echo "password" ;;
    "ecr list-images") echo "sha256:aaa	sha256:bbb" ;;
    "ecr batch-delete-image") echo "None" ;;
    "lambda invoke")
      out=${*: -1}; payload=$(arg_after --payload "$@"); fn=$(arg_after --function-name "$@")
      case "$payload" in
        *'"command":"migrate"'*)
          # STUB_MIGRATE_ANSWER: a migrator without DATABASE_ROLE_SECRET_IDS, say.
          echo "${STUB_MIGRATE_ANSWER:-{\"migrated\":true,\"role_passwords_set\":[\"onboarding_parser\",\"onboarding_validator\",\"onboarding_error_processor\",\"onboarding_api\"]\}}" >"$out" ;;
        *seed-categories*) echo '{"migrated":true,"categories_added":0}' >"$out" ;;
        *upsert-vendor*)
          echo "upsert $payload" >>"$STUB_LOG"
          printf '{"vendor_id":"%s","status":"active"}\n' "$(json_get "$payload" vendor_id)" >"$out" ;;
        *register-vendor*)
          # Insert-only: vendors listed in STUB_SUSPENDED exist and stay suspended.
          echo "register $payload" >>"$STUB_LOG"
          vid=$(json_get "$payload" vendor_id)
          if [ -n "${STUB_REGISTER_ANSWER:-}" ]; then echo "$STUB_REGISTER_ANSWER" >"$out"
          else
            case " ${STUB_SUSPENDED:-} " in
              *" $vid "*) printf '{"vendor_id":"%s","status":"suspended","created":false}\n' "$vid" >"$out" ;;
              *) printf '{"vendor_id":"%s","status":"active","created":true}\n' "$vid" >"$out" ;;
            esac
          fi ;;
        *Records*) echo '{"batchItemFailures":[]}' >"$out" ;;
        *'"rawPath":"/api/health"'*) echo '{"statusCode":200,"headers":{"content-type":"application/json"},"body":"{\"status\":\"ok\",\"database\":\"ok\"}"}' >"$out" ;;
      esac
      if [ "${STUB_FAIL_INVOKE:-}" = "${fn##*-test-}" ]; then echo Unhandled; else echo None; fi ;;
    "s3 cp") echo "${*: -2:1}" | sed 's|^s3://[^/]*/||' >"$S/uploaded" ;;
    "s3 sync") ;;
    "cloudfront create-invalidation") echo "I2J0EXAMPLE" ;;
    "cloudfront list-distributions") if [ -n "${STUB_NO_PORTAL:-}" ]; then echo None; else echo "d111111abcdef8.cloudfront.net"; fi ;;
    "cognito-idp list-user-pools") if [ -n "${STUB_NO_PORTAL:-}" ]; then echo None; else echo "eu-west-1_Example"; fi ;;
    "cognito-idp admin-get-user") [ -f "$S/user-$(arg_after --username "$@")" ] || { echo "UserNotFoundException" >&2; exit 254; } ;;
    "cognito-idp admin-create-user") touch "$S/user-$(arg_after --username "$@")"; echo '{"User":{}}' ;;
    "cognito-idp admin-set-user-password") arg_after --password "$@" >"$S/password" ;;
    "cognito-idp admin-update-user-attributes") ;;
    "s3api head-bucket") ;;
    "s3api list-object-versions")
      b=$(arg_after --bucket "$@"); q=$(arg_after --query "$@"); k=${q#*: }; k=${k%%\[*}
      if [ -f "$S/emptied-$b-$k" ]; then echo '{"Objects": null, "Quiet": true}'
      else touch "$S/emptied-$b-$k"; printf '{\n    "Objects": [\n        {\n            "Key": "uploads/V/a.csv",\n            "VersionId": "v1"\n        }\n    ],\n    "Quiet": true\n}\n'; fi ;;
    "s3api delete-objects") ;;
    "logs filter-log-events")
      group=$(arg_after --log-group-name "$@"); pattern=$(arg_after --filter-pattern "$@")
      key=$(get uploaded); [ -n "$key" ] || exit 0
      fn=${group#/aws/lambda/onboarding-test-}
      # The candidate lane runs on the candidate aliases: the last published versions.
      lane_versions="$S/live"; case "$key" in candidate/*) lane_versions="$S/published" ;; esac
      v=$(json_get "$(cat "$lane_versions")" "$fn")
      smoke_mode=${STUB_SMOKE:-}
      # fail-live: the candidate lane passes, the smoke through live fails.
      case "$smoke_mode:$key" in fail-live:candidate/*) smoke_mode="" ;; fail-live:*) smoke_mode=fail ;; esac
      span="\"span\":{\"upload_id\":\"UPLOAD_20261122_101500_0123456789AB\",\"vendor_id\":\"VEND001\",\"name\":\"upload\"}"
      stream="2026/11/22/[$v]0123456789abcdef"
      case "$pattern" in
        '"upload received"'*) printf '%s\t{"level":"INFO","message":"upload received","key":"%s","size":4242,%s}\n' "$stream" "$key" "$span" ;;
        '"upload failed"'*)
          case "$smoke_mode" in
            fail) printf '%s\t{"level":"WARN","message":"upload failed","reason":"The file could not be read: boom",%s}\n' "$stream" "$span" ;;
            unknown-vendor) printf '%s\t{"level":"WARN","message":"upload failed","reason":"Vendor '"'"'VEND001'"'"' is not registered. Files must be uploaded under uploads/<your vendor id>/.",%s}\n' "$stream" "$span" ;;
          esac ;;
        '"upload staged"'*) printf '%s\t{"level":"INFO","message":"upload staged","rows":20,"elapsed_ms":812.0,%s}\n' "$stream" "$span" ;;
        '"batch judged"'*) printf '%s\t{"level":"INFO","message":"batch judged","rows":20,"valid":20,"invalid":0,"complete":true,%s}\n' "$stream" "$span" ;;
        '"vendor notified"'*)
          [ "${STUB_SMOKE:-}" != timeout ] || exit 0
          printf '%s\t{"level":"INFO","message":"vendor notified","message_id":"5f0c-11","subject":"Product Upload Complete - %s (100%% Success)",%s}\n' "$stream" "${key##*/}" "$span" ;;
      esac ;;
    *) echo "stub aws: unexpected call: $*" >&2; exit 1 ;;
  esac ;;
curl)
  # The portal through CloudFront, and S3's presigned POST.
  out="" jar="" method=GET data="" url=""
  while [ $# -gt 0 ]; do
    case "$1" in
      -o) out=$2; shift ;; -c) jar=$2; shift ;; -b|-w|-H) shift ;;
      -X) method=$2; shift ;; --data-binary) data=$2; shift ;;
      --form-string|-F) echo "form $2" >>"$STUB_LOG"; method=POST; shift ;;
      -sS) ;; *) url=$1 ;;
    esac
    shift
  done
  case "$method $url" in
    "POST https://d111111abcdef8.cloudfront.net/api/auth/login")
      if [ "$data" != "{\"email\":\"smoke+VEND001.test@example.invalid\",\"password\":\"$(get password)\"}" ]; then
        echo '{"status":401}' >"$out"; printf 401; exit 0
      fi
      printf '#HttpOnly_d111111abcdef8.cloudfront.net\tFALSE\t/api\tTRUE\t0\tonboard_session\teyJ\n' >"$jar"
      echo '{"vendor_id":"VEND001","vendor_name":"TechGear","email":"smoke+VEND001.test@example.invalid","status":"active","created_at":"2026-11-01T00:00:00Z"}' >"$out"; printf 200 ;;
    "POST https://d111111abcdef8.cloudfront.net/api/uploads")
      grep -q onboard_session "$jar" 2>/dev/null || { echo '{"status":401}' >"$out"; printf 401; exit 0; }
      name=$(json_get "$data" file_name); echo "$name" >"$S/portal-name"
      printf '{"url":"https://onboarding-test-uploads-123456789012.s3.eu-west-1.amazonaws.com","fields":{"Content-Type":"text/csv","key":"uploads/VEND001/%s","policy":"eyJleHBpcmF0aW9uIjoi","x-amz-algorithm":"AWS4-HMAC-SHA256","x-amz-credential":"ASIA/20261122/eu-west-1/s3/aws4_request","x-amz-date":"20261122T101500Z","x-amz-security-token":"IQoJb3JpZ2lu","x-amz-signature":"0123abcd"},"key":"uploads/VEND001/%s","expires_at":"2026-11-22T10:30:00Z","max_bytes":10485760}\n' "$name" "$name" >"$out"; printf 201 ;;
    "POST https://onboarding-test-uploads-123456789012.s3.eu-west-1.amazonaws.com") : >"$out"; printf 204 ;;
    "GET https://d111111abcdef8.cloudfront.net/api/uploads?limit=5")
      printf '{"items":[{"upload_id":"UPLOAD_20261122_101600_ABCDEF012345","file_name":"%s","status":"%s","total_records":20,"valid_records":20,"error_records":0,"uploaded_at":"2026-11-22T10:16:00Z","completed_at":"2026-11-22T10:16:40Z"}],"next_cursor":null}\n' "$(get portal-name)" "${STUB_PORTAL_STATUS:-completed}" >"$out"; printf 200 ;;
    *) echo "stub curl: unexpected $method $url" >&2; exit 7 ;;
  esac ;;
esac
STUB
chmod +x "$STUBS/stub"
for t in aws docker terraform curl; do ln -s stub "$STUBS/$t"; done
mkdir -p "$WORK/no-aws"
for t in docker terraform; do ln -s "$STUBS/stub" "$WORK/no-aws/$t"; done

# Only the stubs and the system's own tools: no real aws, docker or terraform.
SAFE_PATH="$STUBS:/usr/bin:/bin"
# The scripts ask the onboard CLI whether a vendor id is one
# (require_vendor_id); SAFE_PATH has no cargo, so the CLI is built here.
if [ -z "${ONBOARD_BIN:-}" ]; then
  cargo build -q -p onboard --manifest-path "$ROOT/Cargo.toml"
  export ONBOARD_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/onboard"
fi
PASS=0
ok() { PASS=$((PASS + 1)); printf '  ok   %s\n' "$*"; }
fail() { printf '  FAIL %s\n' "$*" >&2; [ ! -s "$WORK/out" ] || sed 's/^/       | /' "$WORK/out" >&2; exit 1; }
# Runs a script with the stubs; output in $WORK/out, exit status in $RC.
sh_run() { RC=0; env PATH="$SAFE_PATH" "$@" >"$WORK/out" 2>&1 </dev/null || RC=$?; }
calls() { cat "$STUB_LOG" 2>/dev/null || true; }
# Asserts that the lines matching each pattern occur in this order.
in_order() {
  local what=$1 file=$2 line=0 n; shift 2
  for pattern in "$@"; do
    n=$(awk -v from="$line" -v p="$pattern" 'NR > from && index($0, p) { print NR; exit }' "$file")
    [ -n "$n" ] || fail "$what: '$pattern' not found after line $line of the sequence"
    line=$n
  done
}
reset_log() { : >"$STUB_LOG"; }
# expect STATUS PATTERN WHAT: the last run exited STATUS ("nonzero" for any
# failure) and its output contains PATTERN.
expect() {
  local want=$1 pattern=$2; shift 2
  if [ "$want" = nonzero ]; then [ "$RC" -ne 0 ] || fail "$* (exit 0)"; else [ "$RC" -eq "$want" ] || fail "$* (exit $RC)"; fi
  grep -qF -- "$pattern" "$WORK/out" || fail "$*: output lacks '$pattern'"
}

echo "deploy scripts (stubbed aws/docker/terraform):"

# --- syntax, shellcheck, --help -------------------------------------------------
for s in deploy destroy smoke create-vendor-login; do
  bash -n "$ROOT/scripts/$s.sh" || fail "bash -n scripts/$s.sh"
  sh_run "$ROOT/scripts/$s.sh" --help
  expect 0 "Usage: scripts/$s.sh" "$s.sh --help"
done
ok "bash -n and --help of deploy.sh, destroy.sh, smoke.sh, create-vendor-login.sh"
if command -v shellcheck >/dev/null 2>&1; then
  (cd "$ROOT" && shellcheck -x scripts/deploy.sh scripts/destroy.sh scripts/smoke.sh scripts/create-vendor-login.sh scripts/deploy-lib.sh scripts/test-deploy-scripts.sh) >"$WORK/out" 2>&1 || fail "shellcheck"
  ok "shellcheck clean"
else
  echo "  skip shellcheck (not installed)"
fi

# --- json.sh reads the same with jq and with python3 ------------------------------
# shellcheck source=scripts/json.sh
source "$ROOT/scripts/json.sh"
mkdir -p "$WORK/python-only"
# The interpreter itself: a version manager's shim needs more of PATH.
ln -sf "$(python3 -c 'import sys; print(sys.executable)')" "$WORK/python-only/python3"
ln -sf "$(command -v tr)" "$WORK/python-only/tr"
doc='{"items":[{"file_name":"a b.csv","status":"partial","n":2,"ok":false}],"fields":{"key":"uploads/V/a b.csv","x-amz-date":"20261122T101500Z"},"span":{"upload_id":"U1"},"gone":null}'
for tool in jq python3; do
  path=$PATH; [ "$tool" = python3 ] && path="$WORK/python-only"
  if [ "$tool" = jq ] && ! command -v jq >/dev/null 2>&1; then continue; fi
  got=$(PATH=$path; printf '%s|' "$(json_get "$doc" upload_id)" "$(json_get "$doc" n)" "$(json_get "$doc" ok)" \
    "$(json_get --json "$doc" file_name)" "$(json_get "$doc" gone)" "$(json_get "not json" a)" \
    "$(json_entries "$doc" fields | tr '\n' ';')" "$(json_item "$doc" items file_name "a b.csv")")
  want='U1|2|false|"a b.csv"|||key=uploads/V/a b.csv;x-amz-date=20261122T101500Z;|{"file_name":"a b.csv","status":"partial","n":2,"ok":false}|'
  [ "$got" = "$want" ] || fail "json.sh with $tool: got $got, expected $want"
done
ok "json.sh, the scripts' one JSON reader, gives the same answers with jq and with python3"

# --- the images the scripts and compose build --------------------------------------
dockerfile="$ROOT/docker/Dockerfile"
stages=$(sed -n 's/^FROM .* AS \([a-z-]*\)$/\1/p' "$dockerfile" | tr '\n' ' ')
case " $stages" in *" runner "*) ;; *) fail "docker/Dockerfile has no 'runner' stage (stages: $stages)" ;; esac
[ "$(sed -n 's/^FROM .* AS \([a-z-]*\)$/\1/p' "$dockerfile" | tail -n 1)" = runtime ] \
  || fail "the Lambda 'runtime' stage must stay the last (default) stage of docker/Dockerfile"
packages=$(sed -n 's/^ENV PACKAGES="\(.*\)"$/\1/p' "$dockerfile")
for binary in onboard $(sed -n 's/.*FunctionKind::[A-Za-z]* => "\([a-z-]*\)",$/\1/p' "$ROOT/crates/onboarding-devstack/src/options.rs"); do
  case " $packages " in *" $binary "*) ;; *) fail "the runner image lacks $binary (ENV PACKAGES: $packages)" ;; esac
done
grep -q '^      target: runner$' "$ROOT/docker-compose.yml" || fail "docker-compose.yml must build the runner target"
grep -q 'image: localstack/localstack:4.14.0$' "$ROOT/docker-compose.yml" || fail "LocalStack must stay pinned at 4.14.0"
grep -q -- '--target runtime' "$ROOT/scripts/deploy.sh" || fail "deploy.sh must build --target runtime"
ok "Dockerfile: runner stage with onboard + the function binaries the runner starts; runtime stays the default; compose uses runner"

# --- what the scripts use from terraform/ exists ------------------------------------
for output in live_versions published_versions upload_bucket access_logs_bucket dashboard_url site_url site_bucket site_distribution_id user_pool_id vendor_notification_emails; do
  grep -q "^output \"$output\"" "$ROOT/terraform/outputs.tf" || fail "terraform/outputs.tf has no output '$output' (the scripts read it)"
done
for variable in environment image_tag live_versions lambda_architecture deletion_protection project aws_region enable_portal; do
  grep -q "^variable \"$variable\"" "$ROOT/terraform/variables.tf" || fail "terraform/variables.tf has no variable '$variable' (the scripts set it)"
done
for resource in aws_ecr_repository aws_ecr_lifecycle_policy aws_ecr_repository_policy; do
  grep -q "^resource \"$resource\" \"this\"" "$ROOT/terraform/modules/functions/ecr.tf" || fail "modules/functions has no $resource.this (deploy.sh targets it)"
done
for module in data functions; do
  grep -q "^module \"$module\"" "$ROOT/terraform/main.tf" || fail "terraform/main.tf has no module '$module' (the scripts target it)"
done
grep -q 'name  *= "live"' "$ROOT/terraform/modules/functions/main.tf" || fail "the alias must be called live (the promotion guard looks for aws_lambda_alias.live)"
ok "the outputs, variables, resources and alias the scripts use exist in terraform/"

# --- prerequisites ---------------------------------------------------------------
RC=0; env PATH="$WORK/no-aws:/usr/bin:/bin" "$ROOT/scripts/deploy.sh" test --tag t1 --yes >"$WORK/out" 2>&1 || RC=$?
expect 2 "the AWS CLI is required" "deploy without aws must refuse (exit $RC)"
RC=0; env PATH="$WORK/no-aws:/usr/bin:/bin" "$ROOT/scripts/smoke.sh" test >"$WORK/out" 2>&1 || RC=$?
expect 2 "the AWS CLI is required" "smoke without aws must refuse (exit $RC)"
sh_run env STUB_NO_CREDS=1 "$ROOT/scripts/destroy.sh" test --yes
expect 2 "no usable AWS credentials" "destroy without credentials must refuse (exit $RC)"
sh_run "$ROOT/scripts/deploy.sh" test --tag t1
expect 2 "pass --yes" "deploy without a terminal and without --yes must refuse"
sh_run env STUB_NO_BUILDX=1 "$ROOT/scripts/deploy.sh" test --tag t1 --yes
expect 2 "docker buildx' is not available" "deploy without buildx must refuse (exit $RC)"
calls | grep -q "^terraform apply" && fail "nothing may be applied when a prerequisite is missing"
ok "refuses without aws, credentials, buildx, or --yes off a terminal (exit 2, clear message)"
rm -f "$STUB_STATE"/*; reset_log

# --- dry run of the first deployment: prints, changes nothing --------------------------
sh_run "$ROOT/scripts/deploy.sh" test --tag t1 --dry-run
[ "$RC" -eq 0 ] || fail "deploy --dry-run (exit $RC)"
in_order "dry-run plan" "$WORK/out" \
  "[dry-run] terraform -chdir=terraform workspace new test" \
  "-target=module.functions.aws_ecr_repository.this" \
  "[dry-run] docker buildx build --platform linux/arm64 --provenance=false --target runtime --build-arg FUNCTION=csv-parser" \
  "FUNCTION=error-processor" \
  "[dry-run] terraform -chdir=terraform apply -input=false -var environment=test -var lambda_architecture=arm64 -var image_tag=t1" \
  "aws lambda invoke --function-name onboarding-test-migrator --qualifier '<new>' --cli-binary-format raw-in-base64-out --cli-read-timeout 300 --payload '{\"command\":\"migrate\"}'" \
  "aws lambda invoke --function-name onboarding-test-migrator --qualifier '<new>' --cli-binary-format raw-in-base64-out --cli-read-timeout 300 --payload '{\"command\":\"seed-categories\"}'" \
  "aws lambda invoke --function-name onboarding-test-migrator --qualifier '<new>' --cli-binary-format raw-in-base64-out --cli-read-timeout 300 --payload '{\"command\":\"register-vendor\",\"vendor_id\":\"VEND001\",\"vendor_name\":\"TechGear\",\"email\":\"orders@techgear.example.com\",\"status\":\"active\"}'" \
  "aws lambda invoke --function-name onboarding-test-product-validator --qualifier '<new>'" \
  "aws lambda invoke --function-name onboarding-test-error-processor --qualifier '<new>'" \
  "[dry-run] aws s3 cp"
if calls | grep -E "^(terraform (apply|plan|destroy|workspace new)|docker buildx build|aws (s3 cp|lambda invoke|ecr batch))"; then
  fail "--dry-run ran a command that changes something"
fi
ok "deploy --dry-run prints the whole sequence (seed, register the smoke vendor, checks, smoke) and runs nothing that changes anything"

# --- first deployment -----------------------------------------------------------------------
reset_log
sh_run "$ROOT/scripts/deploy.sh" test --tag t1 --yes
[ "$RC" -eq 0 ] || fail "first deployment (exit $RC)"
in_order "first deployment" "$STUB_LOG" \
  "terraform workspace new test" \
  "terraform apply -input=false -auto-approve -var environment=test -var lambda_architecture=arm64 -var image_tag=t1 -target=module.functions.aws_ecr_repository.this" \
  "docker buildx build --platform linux/arm64 --provenance=false --target runtime --build-arg FUNCTION=csv-parser" \
  "docker buildx build --platform linux/arm64 --provenance=false --target runtime --build-arg FUNCTION=product-validator" \
  "docker buildx build --platform linux/arm64 --provenance=false --target runtime --build-arg FUNCTION=error-processor" \
  "docker buildx build --platform linux/arm64 --provenance=false --target runtime --build-arg FUNCTION=vendor-api" \
  "terraform apply -input=false -auto-approve -var environment=test -var lambda_architecture=arm64 -var image_tag=t1" \
  "migrate migrator:1" \
  "aws lambda invoke --function-name onboarding-test-migrator --qualifier 1 --cli-binary-format raw-in-base64-out --cli-read-timeout 300 --payload {\"command\":\"migrate\"}" \
  "aws lambda invoke --function-name onboarding-test-migrator --qualifier 1 --cli-binary-format raw-in-base64-out --cli-read-timeout 300 --payload {\"command\":\"seed-categories\"}" \
  'register {"command":"register-vendor","vendor_id":"VEND002","vendor_name":"StyleWear","email":"ops@vendor-two.example","status":"active"}' \
  'register {"command":"register-vendor","vendor_id":"VEND003","vendor_name":"HomeEssentials","email":"products@homeessentials.example.com","status":"active"}' \
  'register {"command":"register-vendor","vendor_id":"VEND001","vendor_name":"TechGear","email":"orders@techgear.example.com","status":"active"}' \
  "aws lambda invoke --function-name onboarding-test-product-validator --qualifier 1" \
  "aws lambda invoke --function-name onboarding-test-error-processor --qualifier 1" \
  "aws lambda invoke --function-name onboarding-test-vendor-api --qualifier 1 --cli-binary-format raw-in-base64-out --cli-read-timeout 300 --payload {\"version\":\"2.0\",\"routeKey\":\"ANY /api/{proxy+}\",\"rawPath\":\"/api/health\"" \
  "aws lambda invoke --function-name onboarding-test-vendor-auth --qualifier 1 --cli-binary-format raw-in-base64-out --cli-read-timeout 300 --payload {\"version\":\"2.0\",\"routeKey\":\"ANY /api/{proxy+}\",\"rawPath\":\"/api/health\"" \
  "aws s3 sync $ROOT/web/ s3://onboarding-test-site-123456789012/ --delete --only-show-errors --exclude tests/* --exclude node_modules/* --exclude package.json --exclude package-lock.json" \
  "aws cloudfront create-invalidation --distribution-id E2EXAMPLE --paths /*" \
  "aws s3 cp" \
  "aws logs filter-log-events --log-group-name /aws/lambda/onboarding-test-error-processor" \
  "aws cognito-idp admin-get-user --user-pool-id eu-west-1_Example --username smoke+VEND001.test@example.invalid" \
  "aws cognito-idp admin-create-user --user-pool-id eu-west-1_Example --username smoke+VEND001.test@example.invalid --user-attributes Name=email,Value=smoke+VEND001.test@example.invalid Name=email_verified,Value=true Name=custom:vendor_id,Value=VEND001 --message-action SUPPRESS" \
  "aws cognito-idp admin-set-user-password --user-pool-id eu-west-1_Example --username smoke+VEND001.test@example.invalid --password" \
  "-X POST -H Accept: application/json -H Content-Type: application/json --data-binary {\"email\":\"smoke+VEND001.test@example.invalid\",\"password\":" \
  "https://d111111abcdef8.cloudfront.net/api/uploads" \
  "form key=uploads/VEND001/portal-smoke-" \
  "form x-amz-signature=0123abcd" \
  "form file=@" \
  "https://d111111abcdef8.cloudfront.net/api/uploads?limit=5"
expect 0 "smoke test passed" "first deployment: smoke summary"
expect 0 "status:         completed" "first deployment: the portal's upload completed"
expect 0 "Vendor portal:         https://d111111abcdef8.cloudfront.net" "first deployment: prints the portal"
grep -q -- "--password '<random>'" "$WORK/out" || fail "the smoke user's password must not be printed"
grep -qF -- "$(cat "$STUB_STATE/password")" "$WORK/out" && fail "the smoke user's password appears in the output"
expect 0 "aws s3 cp products.csv s3://onboarding-test-uploads-123456789012/uploads/<VENDOR_ID>/products.csv" "first deployment: how to upload"
grep -q '"previous_live_versions": {}' "$DEPLOY_STATE_ROOT/test/state.json" || fail "state.json after the first deployment"
[ "$(calls | grep -c '^register ')" -eq 3 ] || fail "first deployment: each vendor must be registered once (VEND002, VEND003 of the map, smoke vendor VEND001)"
[ "$(calls | grep -c '^docker buildx build')" -eq 4 ] || fail "first deployment: four images (vendor-auth runs the vendor-api's)"
calls | grep -q "FUNCTION=vendor-auth\|repository-name onboarding-test/vendor-auth" && fail "vendor-auth has no image or repository of its own"
ok "first deployment: ECR bootstrap -> build x4 (five functions) -> apply -> migrate -> seed -> register vendors (map + smoke vendor) -> start checks (vendor-api and vendor-auth: /api/health) -> candidate-lane smoke -> web/ sync + invalidation -> smoke through live (pipeline, then login + presigned POST + poll through the portal) -> how to upload"

# --- second deployment: publish pinned, then promote ---------------------------------------------
reset_log
sh_run "$ROOT/scripts/deploy.sh" test --tag t2 --yes
[ "$RC" -eq 0 ] || fail "second deployment (exit $RC)"
in_order "blue/green deployment" "$STUB_LOG" \
  "terraform output -json live_versions" \
  "docker buildx build" \
  "terraform apply -input=false -auto-approve -var environment=test -var lambda_architecture=arm64 -var image_tag=t2 -var-file=$DEPLOY_STATE_ROOT/test/pin.tfvars.json" \
  "migrate migrator:2" \
  'pin {"live_versions":{"csv-parser":"1","error-processor":"1","product-validator":"1","vendor-api":"1","vendor-auth":"1"}}' \
  "aws lambda invoke --function-name onboarding-test-migrator --qualifier 2 --cli-binary-format raw-in-base64-out --cli-read-timeout 300 --payload {\"command\":\"migrate\"}" \
  "aws lambda invoke --function-name onboarding-test-migrator --qualifier 2 --cli-binary-format raw-in-base64-out --cli-read-timeout 300 --payload {\"command\":\"seed-categories\"}" \
  "aws lambda invoke --function-name onboarding-test-migrator --qualifier 2 --cli-binary-format raw-in-base64-out --cli-read-timeout 300 --payload {\"command\":\"register-vendor\",\"vendor_id\":\"VEND002\"" \
  "aws lambda invoke --function-name onboarding-test-migrator --qualifier 2 --cli-binary-format raw-in-base64-out --cli-read-timeout 300 --payload {\"command\":\"register-vendor\",\"vendor_id\":\"VEND001\"" \
  "aws lambda invoke --function-name onboarding-test-product-validator --qualifier 2" \
  "aws lambda invoke --function-name onboarding-test-error-processor --qualifier 2" \
  "aws s3 cp" \
  "aws logs filter-log-events --log-group-name /aws/lambda/onboarding-test-error-processor" \
  "terraform plan -input=false -var environment=test -var lambda_architecture=arm64 -var image_tag=t2 -out=" \
  "terraform show -no-color" \
  "applied promotion" \
  "aws s3 cp" \
  "aws logs filter-log-events --log-group-name /aws/lambda/onboarding-test-error-processor"
[ "$(grep -c "versions:       csv-parser 2, product-validator 2, error-processor 2" "$WORK/out")" -eq 2 ] \
  || fail "both smoke tests (candidate lane before the switch, live after it) must see the new versions"
grep -q "lane:           candidate" "$WORK/out" && grep -q "lane:           live" "$WORK/out" \
  || fail "the deployment must smoke-test the candidate lane and then live"
calls | grep -q "aws cognito-idp admin-create-user" && fail "the smoke user must be reused, not created again"
calls | grep -q "aws cognito-idp admin-update-user-attributes --user-pool-id eu-west-1_Example --username smoke+VEND001.test@example.invalid --user-attributes Name=custom:vendor_id,Value=VEND001" \
  || fail "a reused smoke user must be rebound to the smoke vendor"
grep -q '"previous_live_versions": {"csv-parser":"1","error-processor":"1","product-validator":"1","vendor-api":"1","vendor-auth":"1"}' "$DEPLOY_STATE_ROOT/test/state.json" \
  || fail "state.json must record the previous live versions"
[ ! -f "$DEPLOY_STATE_ROOT/test/pin.tfvars.json" ] || fail "the pin must be gone after promotion"
ok "deployment: publish with live pinned to 1 -> migrate on 2 -> seed on 2 -> register vendors on 2 -> checks on 2 -> candidate-lane smoke on 2 -> promote -> smoke through live sees version 2"

# --- dry run of a later deployment ----------------------------------------------------------------
reset_log
sh_run "$ROOT/scripts/deploy.sh" test --tag t9 --dry-run
[ "$RC" -eq 0 ] || fail "deploy --dry-run of a later deployment (exit $RC)"
in_order "dry-run of a later deployment" "$WORK/out" \
  "[dry-run] write $DEPLOY_STATE_ROOT/test/pin.tfvars.json: {\"live_versions\": {\"csv-parser\":\"2\",\"error-processor\":\"2\",\"product-validator\":\"2\",\"vendor-api\":\"2\",\"vendor-auth\":\"2\"}}" \
  "[dry-run] terraform -chdir=terraform apply -input=false -var environment=test -var lambda_architecture=arm64 -var image_tag=t9 -var-file=$DEPLOY_STATE_ROOT/test/pin.tfvars.json" \
  "seed-categories" \
  "[dry-run] terraform -chdir=terraform plan -input=false -var environment=test -var lambda_architecture=arm64 -var image_tag=t9 -out=" \
  "[dry-run] terraform -chdir=terraform apply -input=false $DEPLOY_STATE_ROOT/test/promote.tfplan" \
  "[dry-run] aws s3 cp"
if calls | grep -E "^(terraform (apply|plan)|docker buildx build|aws (s3 cp|lambda invoke))"; then
  fail "--dry-run ran a command that changes something"
fi
[ ! -f "$DEPLOY_STATE_ROOT/test/pin.tfvars.json" ] || fail "--dry-run wrote the pin file"
ok "deploy --dry-run of a later deployment: pinned apply, seed, promotion plan, smoke; nothing run"

# --- rollback -----------------------------------------------------------------------------------
reset_log
sh_run "$ROOT/scripts/deploy.sh" test --rollback --yes
[ "$RC" -eq 0 ] || fail "rollback (exit $RC)"
in_order "rollback" "$STUB_LOG" \
  "terraform apply -input=false -auto-approve -var environment=test -var lambda_architecture=arm64 -var image_tag=t2 -var-file=$DEPLOY_STATE_ROOT/test/pin.tfvars.json" \
  'pin {"live_versions":{"csv-parser":"1","error-processor":"1","product-validator":"1","vendor-api":"1","vendor-auth":"1"}}'
calls | grep -q "migrate" && fail "a rollback must not publish (or migrate) anything"
calls | grep -q "docker buildx build" && fail "a rollback must not build"
grep -q '"csv-parser":"1"' "$STUB_STATE/live" || fail "live must be back on version 1"
ok "rollback: image tag unchanged, live pinned to the recorded previous versions (1), nothing published"

# --- a failing candidate smoke test never moves live --------------------------------------------
reset_log
sh_run env STUB_SMOKE=fail "$ROOT/scripts/deploy.sh" test --tag t3 --yes
[ "$RC" -ne 0 ] || fail "a failing candidate smoke test must fail the deployment"
in_order "candidate smoke failure" "$STUB_LOG" \
  'pin {"live_versions":{"csv-parser":"1","error-processor":"1","product-validator":"1","vendor-api":"1","vendor-auth":"1"}}' \
  "aws s3 cp" \
  '"upload failed"'
calls | grep -q "applied promotion" && fail "live must not move when the candidate smoke test fails"
calls | grep -q "terraform plan" && fail "no promotion may be planned after a failed candidate smoke test"
[ "$(cut -d/ -f1 "$STUB_STATE/uploaded")" = candidate ] || fail "the failed smoke upload must be the candidate lane's ($(cat "$STUB_STATE/uploaded"))"
grep -q '"csv-parser":"1"' "$STUB_STATE/live" || fail "live must stay on version 1 when the candidate fails"
grep -q "live was not moved" "$WORK/out" || fail "the failure must say that live was not moved"
ok "candidate smoke failure on version 3: live never moves (stays on 1), nothing promoted, exit $RC"

# --- a smoke test through live that fails after the switch rolls back automatically ------------------
reset_log
sh_run env STUB_SMOKE=fail-live "$ROOT/scripts/deploy.sh" test --tag t3b --yes
[ "$RC" -ne 0 ] || fail "a failing live smoke test must fail the deployment"
in_order "automatic rollback" "$STUB_LOG" \
  'pin {"live_versions":{"csv-parser":"1","error-processor":"1","product-validator":"1","vendor-api":"1","vendor-auth":"1"}}' \
  "aws s3 cp" \
  "applied promotion" \
  "aws s3 cp" \
  '"upload failed"' \
  "terraform apply -input=false -auto-approve -var environment=test -var lambda_architecture=arm64 -var image_tag=t3b -var-file=" \
  'pin {"live_versions":{"csv-parser":"1","error-processor":"1","product-validator":"1","vendor-api":"1","vendor-auth":"1"}}'
grep -q '"csv-parser":"1"' "$STUB_STATE/live" || fail "live must be back on version 1 after the failed smoke test"
grep -q "live is back on" "$WORK/out" || fail "the failure must say that live was rolled back"
ok "candidate passes, smoke through live fails on version 4: live pinned back to 1 automatically, exit $RC"

# --- the promotion refuses a plan that changes more than the aliases ----------------------------------
reset_log
sh_run env STUB_PLAN_EXTRA=1 "$ROOT/scripts/deploy.sh" test --tag t4 --yes
expect nonzero "changes more than the live aliases" "promotion guard (exit $RC)"
calls | grep -q "applied promotion" && fail "the guarded promotion must not be applied"
ok "promotion refuses a plan that would change anything besides the live aliases"

# --- smoke.sh on its own ------------------------------------------------------------------------------
sh_run env STUB_SMOKE=timeout "$ROOT/scripts/smoke.sh" test --timeout 0
expect 3 "timed out" "smoke timeout must exit 3 (exit $RC)"
sh_run env STUB_SMOKE=unknown-vendor "$ROOT/scripts/smoke.sh" test --vendor VEND001
expect 4 "Register vendor VEND001" "smoke with an unregistered vendor must exit 4 (exit $RC)"
sh_run "$ROOT/scripts/smoke.sh" test --expect-versions '{"csv-parser":"9","product-validator":"9","error-processor":"9"}'
expect 1 "version 1 handled the upload, expected 9" "smoke must check the versions (exit $RC)"
uploaded=$(cat "$STUB_STATE/uploaded")
case "$uploaded" in uploads/VEND001/smoke-*.csv) ;; *) fail "smoke uploaded to '$uploaded'" ;; esac
sh_run env STUB_PORTAL_STATUS=partial "$ROOT/scripts/smoke.sh" test
expect 1 "the clean sample file should be completed, got partial" "smoke must fail when the portal upload is not completed (exit $RC)"
reset_log
sh_run env STUB_NO_PORTAL=1 "$ROOT/scripts/smoke.sh" test
expect 0 "portal part skipped" "smoke without a portal (exit $RC)"
calls | grep -q "^curl" && fail "smoke without a portal must not call the API"
sh_run env STUB_NO_PORTAL=1 "$ROOT/scripts/smoke.sh" test --portal
expect 2 "--portal: the vendor pool" "smoke --portal without a portal must refuse (exit $RC)"
ok "smoke: timeout -> 3, unregistered vendor -> 4, wrong version -> 1, key uploads/VEND001/smoke-<time>.csv; portal upload not completed -> 1; no portal -> skipped (or exit 2 with --portal)"
reset_log
sh_run "$ROOT/scripts/smoke.sh" test --lane candidate
expect 0 "candidate lane: no portal part" "smoke --lane candidate (exit $RC)"
case "$(cat "$STUB_STATE/uploaded")" in candidate/uploads/VEND001/smoke-*.csv) ;; *) fail "smoke --lane candidate uploaded to '$(cat "$STUB_STATE/uploaded")'" ;; esac
calls | grep -q "^curl" && fail "the candidate lane must not call the portal API"
sh_run "$ROOT/scripts/smoke.sh" test --lane candidate --portal
expect 2 "the candidate lane has no portal part" "smoke --lane candidate --portal must refuse (exit $RC)"
sh_run "$ROOT/scripts/smoke.sh" test --lane blue
expect 2 "--lane must be live or candidate" "smoke --lane blue must refuse (exit $RC)"
ok "smoke --lane candidate: key candidate/uploads/VEND001/smoke-<time>.csv, no portal part; --portal or an unknown lane -> exit 2"

# --- create-vendor-login.sh ------------------------------------------------------------------------
reset_log
sh_run "$ROOT/scripts/create-vendor-login.sh" test VEND009 ops@vendor-nine.example --register "Vendor Nine"
[ "$RC" -eq 0 ] || fail "create-vendor-login (exit $RC)"
in_order "create-vendor-login" "$STUB_LOG" \
  "aws cognito-idp list-user-pools --max-results 60 --query UserPools[?Name=='onboarding-test-vendors'].Id | [0]" \
  "aws cognito-idp admin-get-user --user-pool-id eu-west-1_Example --username ops@vendor-nine.example" \
  "aws lambda invoke --function-name onboarding-test-migrator --cli-binary-format" \
  "aws cognito-idp admin-create-user --user-pool-id eu-west-1_Example --username ops@vendor-nine.example --user-attributes Name=email,Value=ops@vendor-nine.example Name=email_verified,Value=true Name=custom:vendor_id,Value=VEND009 --message-action SUPPRESS" \
  "aws cognito-idp admin-set-user-password --user-pool-id eu-west-1_Example --username ops@vendor-nine.example --password"
expect 0 "password:  $(cat "$STUB_STATE/password")" "create-vendor-login prints the password once"
sh_run "$ROOT/scripts/create-vendor-login.sh" test VEND009 ops@vendor-nine.example
expect 1 "already has a login" "create-vendor-login must refuse an existing login (exit $RC)"
sh_run "$ROOT/scripts/create-vendor-login.sh" test 'VEND 9' ops@vendor-nine.example
expect 2 "is not a vendor id" "create-vendor-login must check the vendor id (exit $RC)"
sh_run "$ROOT/scripts/smoke.sh" test --vendor 'VEND/1'
expect 2 "--vendor: 'VEND/1' is not a vendor id" "smoke must check the vendor id"
sh_run "$ROOT/scripts/deploy.sh" test --tag t1 --smoke-vendor "$(printf 'V%.0s' {1..51})" --yes
expect 2 "is not a vendor id" "deploy must check the smoke vendor id"
ok "create-vendor-login: finds the pool, refuses an existing login, registers the vendor (upsert-vendor), creates the user with custom:vendor_id, sets and prints a password"

# --- destroy -----------------------------------------------------------------------------------------
reset_log
sh_run "$ROOT/scripts/destroy.sh" test --dry-run
[ "$RC" -eq 0 ] || fail "destroy --dry-run (exit $RC)"
if calls | grep -E "^(terraform (apply|destroy)|aws (s3api delete-objects|ecr batch-delete-image))"; then
  fail "destroy --dry-run changed something"
fi
rm -f "$STUB_STATE"/emptied-*
sh_run "$ROOT/scripts/destroy.sh" test
expect 2 "pass --yes" "destroy without a terminal and without --yes must refuse"
reset_log
sh_run "$ROOT/scripts/destroy.sh" test --yes
[ "$RC" -eq 0 ] || fail "destroy (exit $RC)"
in_order "destroy" "$STUB_LOG" \
  "terraform apply -input=false -auto-approve -var environment=test -var image_tag=t4 -var deletion_protection=false -target=module.data -target=module.portal[0].aws_cognito_user_pool.vendors" \
  "aws s3api list-object-versions --bucket onboarding-test-uploads-123456789012" \
  "aws s3api delete-objects --bucket onboarding-test-uploads-123456789012" \
  "DeleteMarkers" \
  "aws s3api delete-objects --bucket onboarding-test-access-logs-123456789012" \
  "aws s3api delete-objects --bucket onboarding-test-site-123456789012" \
  "aws ecr batch-delete-image --repository-name onboarding-test/csv-parser --image-ids imageDigest=sha256:aaa imageDigest=sha256:bbb" \
  "aws ecr batch-delete-image --repository-name onboarding-test/error-processor" \
  "terraform destroy -input=false -auto-approve -var environment=test -var image_tag=t4"
[ ! -d "$DEPLOY_STATE_ROOT/test" ] || fail "destroy must remove .deploy/test"
calls | grep -q "aws ecr batch-delete-image --repository-name onboarding-test/vendor-api" || fail "destroy must delete the vendor-api images"
ok "destroy: protection off (database, table, user pool) -> empty the three buckets (versions, delete markers) -> delete images (x4) -> terraform destroy"

# --- enable_portal = false: three functions, no site, no portal smoke -----------------------------
rm -f "$STUB_STATE"/*; reset_log
printf 'project = "onboarding"\nenable_portal = false # no portal\n' >"$WORK/no-portal.tfvars"
sh_run env STUB_NO_PORTAL=1 "$ROOT/scripts/deploy.sh" test --tag t5 --yes --var-file "$WORK/no-portal.tfvars"
[ "$RC" -eq 0 ] || fail "deployment without the portal (exit $RC)"
calls | grep -q "FUNCTION=vendor-api" && fail "without the portal, vendor-api must not be built"
calls | grep -qE "^aws (s3 sync|cloudfront|cognito-idp)" && fail "without the portal, nothing may be synced or invalidated"
calls | grep -q "^curl" && fail "without the portal, the smoke test must not call the API"
calls | grep -q "onboarding-test-vendor-api" && fail "without the portal, vendor-api must not be invoked"
expect 0 "functions: csv-parser product-validator error-processor (vendor portal: false)" "deployment without the portal"
ok "enable_portal = false: three images, no vendor-api check, no site sync, smoke without the portal part"

# --- --no-register-vendors; registration answers ----------------------------------------------------
reset_log
sh_run env STUB_NO_PORTAL=1 "$ROOT/scripts/deploy.sh" test --tag t6 --yes --var-file "$WORK/no-portal.tfvars" --no-register-vendors
[ "$RC" -eq 0 ] || fail "deployment with --no-register-vendors (exit $RC)"
calls | grep -q "register-vendor" && fail "--no-register-vendors must not register anyone"
expect 0 "--no-register-vendors: the smoke vendor VEND001 must be registered and active already" "--no-register-vendors warns"
reset_log
sh_run env STUB_NO_PORTAL=1 STUB_REGISTER_ANSWER='{"error":"boom"}' "$ROOT/scripts/deploy.sh" test --tag t7 --yes --var-file "$WORK/no-portal.tfvars"
expect nonzero "to register-vendor VEND002" "a wrong register-vendor answer must fail the deployment"
calls | grep -q "applied promotion" && fail "a failed registration must not promote"
ok "--no-register-vendors: no register-vendor, a warning; a wrong register-vendor answer stops the deployment before promotion"

reset_log
sh_run env STUB_NO_PORTAL=1 STUB_MIGRATE_ANSWER='{"migrated":true}' "$ROOT/scripts/deploy.sh" test --tag t7b --yes --var-file "$WORK/no-portal.tfvars"
expect nonzero "to migrate (expected" "a migrate answer without role_passwords_set must fail the deployment"
calls | grep -q "seed-categories" && fail "no seeding after the role passwords failed"
calls | grep -q "applied promotion" && fail "unset role passwords must not promote"
ok "the migrator's migrate answer must name the role passwords it set; otherwise the deployment stops before seeding or promotion"

reset_log
sh_run env STUB_NO_PORTAL=1 STUB_SUSPENDED=VEND002 "$ROOT/scripts/deploy.sh" test --tag t8 --yes --var-file "$WORK/no-portal.tfvars"
[ "$RC" -eq 0 ] || fail "a suspended vendor of the map must not stop the deployment (exit $RC)"
expect 0 "VEND002 is suspended in test's database: left as it is" "a suspended map vendor is reported"
calls | grep -q "upsert-vendor" && fail "a deployment must never upsert (reactivate) a vendor"
reset_log
sh_run env STUB_NO_PORTAL=1 STUB_SUSPENDED=VEND001 "$ROOT/scripts/deploy.sh" test --tag t9b --yes --var-file "$WORK/no-portal.tfvars"
expect 4 "the smoke vendor VEND001 is suspended" "a suspended smoke vendor must stop the deployment (exit $RC)"
calls | grep -q "applied promotion" && fail "a suspended smoke vendor must stop the deployment before promotion"
calls | grep -q "aws s3 cp" && fail "no smoke upload for a suspended smoke vendor"
ok "register-vendor is insert-only: a suspended map vendor stays suspended (warning), a suspended smoke vendor stops the deployment (exit 4) before any smoke upload or promotion"

echo "deploy scripts: $PASS checks passed"

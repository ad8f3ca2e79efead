#!/usr/bin/env bash
# One-command deployment of an environment (docs/deployment.md#deploying-scriptsdeploysh).
#
#   scripts/deploy.sh ENV [options]           build, push, publish, migrate, seed, check, promote, smoke
#   scripts/deploy.sh ENV --rollback [--yes]  point `live` back to the versions before the last promotion
#
# Needs: the AWS CLI with credentials for the target account, Docker with
# buildx (unless every image of the tag is already in ECR), Terraform >= 1.6,
# git. Run from anywhere; paths are relative to the repository.
set -euo pipefail
# shellcheck source=scripts/deploy-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/deploy-lib.sh"

usage() {
  cat <<'EOF'
Usage: scripts/deploy.sh ENV [options]
       scripts/deploy.sh ENV --rollback [--yes] [--dry-run]

Deploys the environment ENV (e.g. staging, prod) from this checkout:

  1. builds the function images (docker/Dockerfile, --target runtime; the
     three pipeline functions, and vendor-api with the portal, whose image
     also runs vendor-auth) for
     the configured architecture (lambda_architecture, arm64 by default), tags
     them with the git SHA and pushes them to ECR (first deployment: creates
     the ECR repositories first with a targeted apply);
  2. applies Terraform with the new image tag but the `live` aliases pinned to
     the versions serving now: new versions are published, and Terraform runs
     the migrations on the new version of <prefix>-migrator (the csv-parser's
     image with the master secret; {"command":"migrate"}), which then sets
     each function role's password from its secret;
  3. invokes migrate on the new migrator version again (every deployment, so
     a replaced role password is set without a new image), seeds the category
     whitelist through it ({"command":"seed-categories"}), then registers the
     smoke vendor and every
     vendor of vendor_notification_emails through it, insert-only
     ({"command":"register-vendor",...}: an existing vendor is left as it is;
     a smoke vendor that is not active stops the deployment; skip with
     --no-register-vendors);
  4. checks that each new version starts: reads its secret, connects to
     PostgreSQL and answers an empty event (vendor-api: GET /api/health;
     vendor-auth, which has no database: GET /api/health too);
     vendors' events do not reach them yet;
  5. smoke-tests the new versions end to end in the candidate lane
     (scripts/smoke.sh --lane candidate: candidate/uploads/ -> the `candidate`
     aliases, which the apply pointed at the new versions); if it fails,
     `live` never moves and the script exits non-zero;
  6. records the versions serving now in .deploy/ENV/state.json, then promotes:
     `live` moves to the new versions (a Terraform apply that may change
     nothing but the aliases);
  7. with the portal: uploads web/ to the site bucket (aws s3 sync --delete)
     and invalidates the CloudFront distribution;
  8. runs scripts/smoke.sh again through `live` (with the portal also: log in,
     upload through the API) and checks that the new versions handled it;
     if it fails, `live` goes straight back (automatic rollback) and the
     script exits non-zero;
  9. prints the bucket, how to upload, and the portal's URL.

Options:
  --tag T            image tag to deploy (default: the git SHA, 12 characters).
                     Images already in ECR under T are not rebuilt.
  --rollback         point `live` back to the versions recorded before the last
                     promotion (.deploy/ENV/state.json); publishes nothing
  --var-file F       Terraform variables (default: terraform/ENV.tfvars if it exists)
  --arch A           arm64 (default: lambda_architecture of the var file) or x86_64
  --smoke-vendor V   vendor id the smoke test uploads as (default VEND001); the
                     deployment registers it (active) if it does not exist
  --no-register-vendors
                     do not register (insert if missing) the smoke vendor and the
                     vendors of vendor_notification_emails; the smoke test then
                     needs the smoke vendor registered and active already
  --smoke-timeout S  seconds the smoke test waits for the e-mail (default 300)
  --skip-smoke       promote without the end-to-end smoke tests, candidate and live
                     (not recommended)
  --force-promotion  apply the promotion even if its plan changes more than the
                     live aliases (review that plan first)
  --allow-dirty      deploy uncommitted changes (tag <sha>-dirty-<UTC time>)
  --yes              do not ask before applying (required without a terminal)
  --dry-run          print the commands that change something instead of running
                     them; read-only queries (credentials, state, ECR) still run
  -h, --help         this text

Needs: AWS CLI and credentials, Docker with buildx (for builds), Terraform >= 1.6, git.
EOF
}

ENVIRONMENT=""
TAG=""
ROLLBACK=false
VAR_FILE_ARG=""
ARCH=""
SMOKE_VENDOR=VEND001
SMOKE_TIMEOUT=300
SKIP_SMOKE=false
REGISTER_VENDORS=true
FORCE_PROMOTION=false
ALLOW_DIRTY=false
YES=false

while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --tag) TAG=${2:?--tag needs a value}; shift ;;
    --tag=*) TAG=${1#*=} ;;
    --rollback) ROLLBACK=true ;;
    --var-file) VAR_FILE_ARG=${2:?--var-file needs a value}; shift ;;
    --var-file=*) VAR_FILE_ARG=${1#*=} ;;
    --arch) ARCH=${2:?--arch needs a value}; shift ;;
    --arch=*) ARCH=${1#*=} ;;
    --smoke-vendor) SMOKE_VENDOR=${2:?--smoke-vendor needs a value}; shift ;;
    --smoke-timeout) SMOKE_TIMEOUT=${2:?--smoke-timeout needs a value}; shift ;;
    --skip-smoke) SKIP_SMOKE=true ;;
    --no-register-vendors) REGISTER_VENDORS=false ;;
    --force-promotion) FORCE_PROMOTION=true ;;
    --allow-dirty) ALLOW_DIRTY=true ;;
    --yes|-y) YES=true ;;
    --dry-run) DRY_RUN=true ;;
    -*) usage >&2; die "unknown option $1" 2 ;;
    *) [ -z "$ENVIRONMENT" ] || die "one environment at a time (got '$ENVIRONMENT' and '$1')" 2
       ENVIRONMENT=$1 ;;
  esac
  shift
done
[ -n "$ENVIRONMENT" ] || { usage >&2; die "which environment? (e.g. scripts/deploy.sh staging)" 2; }
valid_environment "$ENVIRONMENT"
require_vendor_id "--smoke-vendor" "$SMOKE_VENDOR"

STATE_DIR="$DEPLOY_STATE_ROOT/$ENVIRONMENT"
STATE_FILE="$STATE_DIR/state.json"
PIN_FILE="$STATE_DIR/pin.tfvars.json"

if [ "$YES" != true ] && [ "$DRY_RUN" != true ] && [ ! -t 0 ]; then
  die "no terminal to confirm the apply on: pass --yes" 2
fi
APPROVE=()
if [ "$YES" = true ]; then APPROVE=(-auto-approve); fi

# --- prerequisites -----------------------------------------------------------

step "Checking prerequisites"
require_aws_cli
require_aws_credentials
require_terraform
command -v git >/dev/null 2>&1 || die "git is required (the image tag is the commit)" 2
resolve_var_file "$ENVIRONMENT" "$VAR_FILE_ARG"
tf_var_args
PROJECT=$(tfvar project onboarding)
REGION=$(tfvar aws_region eu-west-1)
resolve_portal
ARCH=${ARCH:-$(tfvar lambda_architecture arm64)}
case "$ARCH" in
  arm64) PLATFORM=linux/arm64 ;;
  x86_64) PLATFORM=linux/amd64 ;;
  *) die "--arch must be arm64 or x86_64 (got '$ARCH')" 2 ;;
esac
TF_VARS+=("-var" "lambda_architecture=$ARCH")
PREFIX="$PROJECT-$ENVIRONMENT"
REGISTRY="$ACCOUNT_ID.dkr.ecr.$REGION.amazonaws.com"
export AWS_REGION="$REGION" AWS_DEFAULT_REGION="$REGION"
set_payload_flags
log "account $ACCOUNT_ID, region $REGION, prefix $PREFIX, architecture $ARCH"
log "variables: ${VAR_FILE:-defaults only (no terraform/$ENVIRONMENT.tfvars)}"
log "functions: ${FUNCTIONS[*]} (vendor portal: $PORTAL)"

# Writes {"live_versions": MAP} for Terraform.
write_pin() {
  if [ "$DRY_RUN" = true ]; then
    printf '[dry-run] write %s: {"live_versions": %s}\n' "$PIN_FILE" "$1" >&2
    return 0
  fi
  mkdir -p "$STATE_DIR"
  printf '{"live_versions": %s}\n' "$1" >"$PIN_FILE"
}

# Applies with `live` pinned to MAP (a JSON object of function => version).
apply_pinned() {
  local tag=$1 versions=$2
  shift 2
  write_pin "$versions"
  tf_run apply -input=false "$@" "${TF_VARS[@]}" -var "image_tag=$tag" "-var-file=$PIN_FILE"
}

# Applies the promotion: only the `live` aliases may change.
apply_promotion() {
  local tag=$1 plan="$STATE_DIR/promote.tfplan"
  if [ "$DRY_RUN" = true ]; then
    tf_run plan -input=false "${TF_VARS[@]}" -var "image_tag=$tag" -out="$plan"
    tf_run apply -input=false "$plan"
    return 0
  fi
  mkdir -p "$STATE_DIR"
  tf_run plan -input=false "${TF_VARS[@]}" -var "image_tag=$tag" -out="$plan" >/dev/null
  local changes others
  # Resource lines of the plan ("  # <address> will be updated in-place");
  # data sources read during apply are not changes.
  changes=$(tf show -no-color "$plan" | grep -E '^  # .* (will|must) be ' | grep -v 'will be read during apply' || true)
  others=$(printf '%s\n' "$changes" | grep -v 'aws_lambda_alias\.live\[' | grep -v '^$' || true)
  if [ -n "$others" ]; then
    printf '%s\n' "$others" >&2
    if [ "$FORCE_PROMOTION" = true ]; then
      warn "the promotion plan changes more than the live aliases (above); applying it anyway (--force-promotion)"
    else
      die "the promotion plan changes more than the live aliases (above). Live stays pinned on $current.
  Review: terraform -chdir=terraform show $plan; then deploy again with --force-promotion, or fix the drift."
    fi
  fi
  printf '%s\n' "${changes:-    (the aliases already point at these versions)}" >&2
  tf_run apply -input=false "$plan"
}

# Invokes FUNCTION:VERSION with PAYLOAD; prints the response body. Fails on a
# function error.
invoke_version() {
  local function=$1 version=$2 payload=$3 out
  out=$(mktemp)
  if [ "$DRY_RUN" = true ]; then
    run aws lambda invoke --function-name "$PREFIX-$function" --qualifier "$version" \
      ${PAYLOAD_FLAGS[@]+"${PAYLOAD_FLAGS[@]}"} --cli-read-timeout 300 --payload "$payload" "$out"
    printf '{}'
    rm -f "$out"
    return 0
  fi
  local error
  show aws lambda invoke --function-name "$PREFIX-$function" --qualifier "$version" \
    ${PAYLOAD_FLAGS[@]+"${PAYLOAD_FLAGS[@]}"} --cli-read-timeout 300 --payload "$payload" "$out"
  error=$(aws lambda invoke --function-name "$PREFIX-$function" --qualifier "$version" \
    ${PAYLOAD_FLAGS[@]+"${PAYLOAD_FLAGS[@]}"} --cli-read-timeout 300 --payload "$payload" \
    --query FunctionError --output text "$out") || { rm -f "$out"; die "invoking $PREFIX-$function:$version failed"; }
  local body
  body=$(cat "$out")
  rm -f "$out"
  if [ -n "$error" ] && [ "$error" != None ]; then
    die "$PREFIX-$function:$version answered with a function error ($error): $body
  Its log: aws logs tail /aws/lambda/$PREFIX-$function --since 15m"
  fi
  printf '%s' "$body"
}

# Field N (2 name, 3 e-mail) of VENDOR in testdata/vendors.csv, or nothing.
sample_vendor_field() {
  awk -F, -v id="$1" -v n="$2" '$1 == id { print $n; exit }' "$ROOT/testdata/vendors.csv" 2>/dev/null || true
}

# The vendors the deployment registers, as "vendor_id e-mail" lines: every
# entry of vendor_notification_emails (as Terraform applied it), then the smoke
# vendor when the smoke test runs and the map does not list it.
vendors_to_register() {
  local map
  map=$(tf_output_json vendor_notification_emails)
  # The output is the map itself: its members are the top-level object's.
  json_entries "{\"map\":$map}" map | sed 's/=/ /'
  if [ "$SKIP_SMOKE" != true ] && [ -z "$(json_get "$map" "$SMOKE_VENDOR")" ]; then
    printf '%s %s\n' "$SMOKE_VENDOR" "$(sample_vendor_field "$SMOKE_VENDOR" 3)"
  fi
}

# Registers the vendors of vendors_to_register through migrator:VERSION
# ({"command":"register-vendor",...}: insert-only), so that the smoke upload
# is accepted and the vendors who get e-mails can upload. A vendor that exists
# is left exactly as it is: one an operator suspended stays suspended (a
# warning), and a smoke vendor that is not active stops the deployment before
# anything is promoted (docs/operations.md#what-deploysh-registers). Names come
# from testdata/vendors.csv, else the vendor id.
register_vendors() {
  local version=$1 id email name payload answer status
  while read -r id email; do
    [ -n "$id" ] || continue
    require_vendor_id "vendor_notification_emails" "$id" 1
    name=$(sample_vendor_field "$id" 2)
    name=${name:-$id}
    email=${email:-smoke+$id.$ENVIRONMENT@example.invalid}
    case "$name$email" in *'"'*|*'\'*) die "vendor $id: the name or e-mail contains a quote or a backslash" ;; esac
    payload="{\"command\":\"register-vendor\",\"vendor_id\":\"$id\",\"vendor_name\":\"$name\",\"email\":\"$email\",\"status\":\"active\"}"
    answer=$(invoke_version migrator "$version" "$payload")
    [ "$DRY_RUN" != true ] || continue
    case "$answer" in
      *"\"vendor_id\":\"$id\""*'"status":"'*) ;;
      *) die "migrator:$version answered '$answer' to register-vendor $id (expected {\"vendor_id\":\"$id\",\"status\":...})" ;;
    esac
    status=$(json_get "$answer" status)
    case "$answer" in
      *'"created":true'*) log "$id registered (active, $email)" ;;
      *) if [ "$status" = active ]; then log "$id already registered (active): left as it is"; fi ;;
    esac
    if [ "$status" != active ]; then
      if [ "$id" = "$SMOKE_VENDOR" ] && [ "$SKIP_SMOKE" != true ]; then
        die "the smoke vendor $id is $status in $ENVIRONMENT's database: the smoke test would be refused.
  Pass --smoke-vendor with an active vendor (one kept for smoke tests), or reactivate $id deliberately:
  aws lambda invoke --function-name $PREFIX-migrator --cli-binary-format raw-in-base64-out \\
    --payload '{\"command\":\"upsert-vendor\",\"vendor_id\":\"$id\",\"vendor_name\":\"$name\",\"email\":\"$email\",\"status\":\"active\"}' out.json" 4
      fi
      warn "$id is $status in $ENVIRONMENT's database: left as it is (it gets e-mails, but cannot upload until an operator reactivates it)"
    fi
  done <<EOF
$(vendors_to_register)
EOF
}

print_how_to_upload() {
  local bucket
  bucket=$(tf output -raw upload_bucket 2>/dev/null || printf '%s' "$PREFIX-uploads-$ACCOUNT_ID")
  step "Ready"
  cat <<EOF
Bucket: $bucket
Upload a vendor file (the key must be uploads/<VENDOR_ID>/<name>.csv):
  aws s3 cp products.csv s3://$bucket/uploads/<VENDOR_ID>/products.csv
or with the onboard CLI (ONBOARD_STACK_ENV=/dev/null keeps a local .dev/stack.env out;
--database-url is only used by --wait, and the database is private):
  ONBOARD_STACK_ENV=/dev/null UPLOAD_BUCKET=$bucket AWS_REGION=$REGION \
    onboard upload --vendor <VENDOR_ID> --database-url unused products.csv
Follow an upload:      scripts/smoke.sh shows how (CloudWatch Logs), or the dashboard
Smoke test again:      scripts/smoke.sh $ENVIRONMENT
Roll back:             scripts/deploy.sh $ENVIRONMENT --rollback
Dashboard:             $(tf output -raw dashboard_url 2>/dev/null || echo "terraform output dashboard_url")
EOF
  if [ "$PORTAL" = true ]; then
    cat <<EOF
Vendor portal:         ${SITE_URL:-$(tf output -raw site_url 2>/dev/null || echo "terraform output site_url")}
Give a vendor a login: scripts/create-vendor-login.sh $ENVIRONMENT <VENDOR_ID> <EMAIL>
EOF
  fi
}

# An API Gateway HTTP API (payload 2.0) request for GET /api/health, as
# lambda_http receives it: the start check of both parts of the API.
health_event() {
  printf '%s' '{"version":"2.0","routeKey":"ANY /api/{proxy+}","rawPath":"/api/health","rawQueryString":"","headers":{"accept":"application/json","host":"deploy-check.invalid"},"requestContext":{"accountId":"'"$ACCOUNT_ID"'","apiId":"deploy-check","domainName":"deploy-check.invalid","domainPrefix":"deploy-check","http":{"method":"GET","path":"/api/health","protocol":"HTTP/1.1","sourceIp":"127.0.0.1","userAgent":"scripts/deploy.sh"},"requestId":"deploy-check","routeKey":"ANY /api/{proxy+}","stage":"$default","time":"01/Jan/2026:00:00:00 +0000","timeEpoch":1767225600000},"isBase64Encoded":false}'
}

# The web app to the site bucket, then a CloudFront invalidation. Not part of
# blue/green: a rollback moves the aliases, not the pages (deploy the old
# commit's web/ again with a new deployment if pages must go back too).
publish_site() {
  local bucket distribution
  if [ ! -d "$ROOT/web" ]; then
    warn "there is no web/ directory: the site bucket keeps what it has"
    return 0
  fi
  bucket=$(tf output -raw site_bucket 2>/dev/null || true)
  distribution=$(tf output -raw site_distribution_id 2>/dev/null || true)
  if [ "$DRY_RUN" = true ]; then
    bucket=${bucket:-$PREFIX-site-$ACCOUNT_ID}
    distribution=${distribution:-<distribution id>}
  fi
  [ -n "$bucket" ] && [ -n "$distribution" ] || die "terraform output has no site_bucket/site_distribution_id (is enable_portal on?)"
  run aws s3 sync "$ROOT/web/" "s3://$bucket/" --delete --only-show-errors \
    --exclude "tests/*" --exclude "node_modules/*" --exclude "package.json" --exclude "package-lock.json" \
    --exclude ".*" --exclude "*/.*"
  run aws cloudfront create-invalidation --distribution-id "$distribution" --paths "/*" \
    --query Invalidation.Id --output text
}

step "Terraform (workspace $ENVIRONMENT)"
tf_init_workspace "$ENVIRONMENT"

# --- rollback ------------------------------------------------------------------

if [ "$ROLLBACK" = true ]; then
  [ -f "$STATE_FILE" ] || die "no $STATE_FILE: nothing recorded to roll back to.
  Pin by hand: terraform apply -var image_tag=<deployed tag> -var 'live_versions={\"csv-parser\"=\"N\",...}'"
  previous=$(json_get --json "$(cat "$STATE_FILE")" previous_live_versions)
  deployed_tag=$(json_get "$(cat "$STATE_FILE")" image_tag)
  if [ -z "$previous" ] || [ "$previous" = "{}" ]; then
    die "$STATE_FILE records no previous versions (first deployment): nothing to roll back to"
  fi
  [ -n "$deployed_tag" ] || die "$STATE_FILE records no image tag"
  step "Rolling back: live -> $previous"
  log "image_tag stays $deployed_tag, so nothing new is published; only the aliases move"
  apply_pinned "$deployed_tag" "$previous" ${APPROVE[@]+"${APPROVE[@]}"}
  step "Live versions now"
  if [ "$DRY_RUN" != true ]; then tf output -json live_versions >&2 || true; fi
  log "The pin stays in $PIN_FILE until the next deployment promotes. Plain 'terraform apply' must pass"
  log "-var-file=$PIN_FILE, or it would move live forward again."
  exit 0
fi

# --- the image tag ---------------------------------------------------------------

if [ -z "$TAG" ]; then
  sha=$(git -C "$ROOT" rev-parse --short=12 HEAD)
  if [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no)" ]; then
    [ "$ALLOW_DIRTY" = true ] || die "the working tree has uncommitted changes; commit them, or pass --allow-dirty (or --tag)" 2
    TAG="$sha-dirty-$(date -u +%Y%m%d%H%M%S)"
    warn "deploying uncommitted changes as $TAG"
  else
    TAG=$sha
  fi
fi
[[ "$TAG" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "'$TAG' is not a valid image tag" 2
log "image tag: $TAG"

current=$(tf_output_json live_versions)
case "$current" in
  \{*csv-parser*\}) FIRST=false; log "serving now: $current" ;;
  *) FIRST=true; current="{}"; log "no functions yet: this is the first deployment of $ENVIRONMENT" ;;
esac

# --- images ------------------------------------------------------------------------

step "Images ($PLATFORM, tag $TAG)"
repos=()
for f in "${IMAGES[@]}"; do repos+=("$PREFIX/$f"); done
if ! aws ecr describe-repositories --repository-names "${repos[@]}" >/dev/null 2>&1; then
  log "the ECR repositories do not exist yet: creating them first (the functions need an image to exist)"
  tf_run apply -input=false ${APPROVE[@]+"${APPROVE[@]}"} "${TF_VARS[@]}" -var "image_tag=$TAG" \
    -target=module.functions.aws_ecr_repository.this \
    -target=module.functions.aws_ecr_lifecycle_policy.this \
    -target=module.functions.aws_ecr_repository_policy.this
fi
to_build=()
for f in "${IMAGES[@]}"; do
  if aws ecr describe-images --repository-name "$PREFIX/$f" --image-ids "imageTag=$TAG" >/dev/null 2>&1; then
    log "$PREFIX/$f:$TAG is in ECR already: not rebuilt"
  else
    to_build+=("$f")
  fi
done
if [ ${#to_build[@]} -gt 0 ]; then
  require_docker_buildx
  if [ "$DRY_RUN" = true ]; then
    printf '[dry-run] aws ecr get-login-password --region %s | docker login --username AWS --password-stdin %s\n' "$REGION" "$REGISTRY" >&2
  else
    show aws ecr get-login-password --region "$REGION" '|' docker login --username AWS --password-stdin "$REGISTRY"
    aws ecr get-login-password --region "$REGION" | docker login --username AWS --password-stdin "$REGISTRY" >/dev/null
  fi
  for f in "${to_build[@]}"; do
    # --provenance=false: Lambda accepts a plain image manifest only.
    run docker buildx build --platform "$PLATFORM" --provenance=false --target runtime \
      --build-arg "FUNCTION=$f" -f "$ROOT/docker/Dockerfile" \
      -t "$REGISTRY/$PREFIX/$f:$TAG" --push "$ROOT"
  done
fi

# --- publish (live pinned), migrate ---------------------------------------------------

if [ "$FIRST" = true ]; then
  step "Creating the environment (first deployment: live starts on version 1)"
  tf_run apply -input=false ${APPROVE[@]+"${APPROVE[@]}"} "${TF_VARS[@]}" -var "image_tag=$TAG"
else
  step "Publishing new versions with live pinned to $current (Terraform runs the migrations on the new migrator)"
  apply_pinned "$TAG" "$current" ${APPROVE[@]+"${APPROVE[@]}"}
fi
if [ "$DRY_RUN" = true ]; then
  # Nothing was applied: stand-ins for what the apply would publish.
  published='{"csv-parser":"<new>","product-validator":"<new>","error-processor":"<new>"}'
  if [ "$PORTAL" = true ]; then published='{"csv-parser":"<new>","product-validator":"<new>","error-processor":"<new>","vendor-api":"<new>","vendor-auth":"<new>"}'; fi
else
  published=$(tf_output_json published_versions)
fi
for f in "${FUNCTIONS[@]}"; do
  [ -n "$(json_get "$published" "$f")" ] || die "terraform output published_versions has no version for $f ($published)"
done
log "published: $published"
if [ "$published" = "$current" ]; then
  log "nothing new was published (the image and configuration are unchanged)"
fi
# The migrator (the csv-parser's image with the master secret) runs the
# migrations and the operator commands; terraform output migrator names the
# version this apply published.
if [ "$DRY_RUN" = true ]; then
  migrator_version='<new>'
else
  migrator_version=$(json_get "$(tf_output_json migrator)" published_version)
  if [ -z "$migrator_version" ]; then
    warn "terraform output migrator has no published_version: using $PREFIX-migrator's \$LATEST (what this apply configured)"
    migrator_version='$LATEST'
  fi
fi
log "migrations ran on migrator:$migrator_version during the apply (a failure fails the apply), and set the function roles' passwords"

# What --rollback returns to: the versions serving before this deployment,
# with the tag Terraform has now applied (so a rollback publishes nothing).
# A deployment that published nothing new keeps the earlier record.
if [ "$DRY_RUN" != true ] && { [ "$published" != "$current" ] || [ ! -f "$STATE_FILE" ]; }; then
  mkdir -p "$STATE_DIR"
  cat >"$STATE_FILE" <<EOF
{
  "environment": "$ENVIRONMENT",
  "image_tag": "$TAG",
  "previous_live_versions": $current,
  "new_versions": $published,
  "deployed_at": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}
EOF
  log "recorded in $STATE_FILE: previous live $current"
fi

# --- seed, check the new versions ------------------------------------------------------

# Terraform's migrate invocation runs once per published version; this one
# runs on every deployment (idempotent), so a replaced role password
# (terraform apply -replace=...random_password...) is set by the next deploy.
step "Setting the function roles' passwords from their secrets (migrator version $migrator_version)"
answer=$(invoke_version migrator "$migrator_version" '{"command":"migrate"}')
if [ "$DRY_RUN" != true ]; then
  case "$answer" in
    *'"role_passwords_set":['*) log "answer: $answer" ;;
    *) die "migrator:$migrator_version answered '$answer' to migrate (expected {\"migrated\":true,\"role_passwords_set\":[...]}: is DATABASE_ROLE_SECRET_IDS set on $PREFIX-migrator?)" ;;
  esac
fi

step "Seeding the category whitelist (migrator version $migrator_version)"
answer=$(invoke_version migrator "$migrator_version" '{"command":"seed-categories"}')
if [ "$DRY_RUN" != true ]; then
  case "$answer" in
    *'"migrated":true'*) log "answer: $answer" ;;
    *) die "migrator:$migrator_version answered '$answer' to seed-categories (expected {\"migrated\":true,...})" ;;
  esac
fi

if [ "$REGISTER_VENDORS" = true ]; then
  step "Registering the vendors not registered yet (migrator version $migrator_version): vendor_notification_emails and the smoke vendor"
  register_vendors "$migrator_version"
else
  warn "--no-register-vendors: the smoke vendor $SMOKE_VENDOR must be registered and active already"
fi

step "Checking that the new versions start (empty events; nothing is routed to them yet)"
for f in product-validator error-processor; do
  version=$(json_get "$published" "$f")
  answer=$(invoke_version "$f" "$version" '{"Records":[]}')
  if [ "$DRY_RUN" != true ]; then
    case "$answer" in
      *batchItemFailures*) log "$f:$version ok: $answer" ;;
      *) die "$f:$version answered '$answer' to an empty event (expected batchItemFailures)" ;;
    esac
  fi
done
if [ "$PORTAL" = true ]; then
  # The data part answers 200 once PostgreSQL answers; the auth part (no
  # database) once it has started with its settings.
  for f in vendor-api vendor-auth; do
    version=$(json_get "$published" "$f")
    answer=$(invoke_version "$f" "$version" "$(health_event)")
    if [ "$DRY_RUN" != true ]; then
      case "$answer" in
        *'"statusCode":200'*) log "$f:$version ok: GET /api/health answered 200" ;;
        *) die "$f:$version answered '$answer' to GET /api/health (expected statusCode 200$([ "$f" = vendor-api ] && printf ': database reachable'))" ;;
      esac
    fi
  done
fi

# --- the candidate lane: the new versions end to end, before live moves ---------------------

# Runs the smoke test in LANE (live or candidate); its exit status in SMOKE_RC.
run_smoke() {
  local smoke=("$ROOT/scripts/smoke.sh" "$ENVIRONMENT" --project "$PROJECT" --region "$REGION"
    --vendor "$SMOKE_VENDOR" --timeout "$SMOKE_TIMEOUT" --expect-versions "$published" --lane "$1")
  if [ "$1" = live ] && [ "$PORTAL" = true ]; then
    smoke+=(--portal)
    local pool
    pool=$(tf output -raw user_pool_id 2>/dev/null || true)
    if [ -n "$SITE_URL" ]; then smoke+=(--site-url "$SITE_URL"); fi
    if [ -n "$pool" ]; then smoke+=(--user-pool-id "$pool"); fi
  else
    smoke+=(--no-portal)
  fi
  if [ "$DRY_RUN" = true ]; then smoke+=(--dry-run); fi
  SMOKE_RC=0
  "${smoke[@]}" || SMOKE_RC=$?
  if [ "$SMOKE_RC" -eq 4 ]; then
    warn "the smoke vendor $SMOKE_VENDOR is not registered (or not active) in $ENVIRONMENT's database"
  fi
}

if [ "$SKIP_SMOKE" = true ]; then
  warn "--skip-smoke: the new versions were not tested end to end before the switch"
else
  step "Smoke test of the new versions in the candidate lane (candidate/uploads/ -> the candidate aliases; live untouched)"
  run_smoke candidate
  if [ "$SMOKE_RC" -ne 0 ]; then
    if [ "$FIRST" = true ]; then
      die "the candidate smoke test failed (exit $SMOKE_RC) on the first deployment, whose live aliases already point at these versions.
  The environment exists but is not verified. Fix the cause, then deploy again." "$SMOKE_RC"
    fi
    die "deployment of $TAG failed its candidate smoke test (exit $SMOKE_RC): live was not moved and still serves $current.
  The new versions stay behind the candidate aliases only; the next deployment replaces them." "$SMOKE_RC"
  fi
fi

# --- promote, smoke, automatic rollback ---------------------------------------------------

if [ "$FIRST" != true ]; then
  step "Promoting: live -> $published"
  apply_promotion "$TAG"
  rm -f "$PIN_FILE"
fi

SITE_URL=""
if [ "$PORTAL" = true ]; then
  step "Publishing the web app (web/ -> site bucket, CloudFront invalidation)"
  publish_site
  SITE_URL=$(tf output -raw site_url 2>/dev/null || true)
fi

if [ "$SKIP_SMOKE" = true ]; then
  warn "--skip-smoke: live was moved without an end-to-end check"
else
  step "Smoke test through live (end to end, on the new versions)"
  run_smoke live
  if [ "$SMOKE_RC" -ne 0 ]; then
    if [ "$FIRST" = true ]; then
      die "smoke test failed (exit $SMOKE_RC) on the first deployment: there is no previous version to roll back to.
  The environment exists but is not verified. Fix the cause, then run scripts/smoke.sh $ENVIRONMENT (or deploy again)." "$SMOKE_RC"
    fi
    step "Smoke test failed (exit $SMOKE_RC): rolling back live -> $current"
    apply_pinned "$TAG" "$current" -auto-approve
    die "deployment of $TAG failed its smoke test; live is back on $current (pinned in ${PIN_FILE#"$ROOT"/})"
  fi
fi

print_how_to_upload

#!/usr/bin/env bash
# Gives an existing vendor a login to the vendor portal
# (docs/operations.md#vendor-logins): a Cognito user whose custom:vendor_id is the vendor.
#
#   scripts/create-vendor-login.sh ENV VENDOR_ID EMAIL [--register NAME] [--invite] [--dry-run]
#
# Needs: the AWS CLI with credentials allowed cognito-idp:AdminGetUser,
# AdminCreateUser and AdminSetUserPassword on the pool (and lambda:InvokeFunction
# on <prefix>-migrator with --register).
set -euo pipefail
# shellcheck source=scripts/deploy-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/deploy-lib.sh"

usage() {
  cat <<'USAGE'
Usage: scripts/create-vendor-login.sh ENV VENDOR_ID EMAIL [options]

Creates the Cognito user EMAIL in the environment's vendor pool (<prefix>-vendors)
with custom:vendor_id = VENDOR_ID and a verified e-mail. The app client cannot
set custom:vendor_id, so this (or the API's own sign-up) is the only way a login
gets bound to a vendor.

By default it sets a random permanent password and prints it once: hand it to
the vendor over a channel you trust. With --invite, Cognito e-mails a temporary
password instead (the first login must then answer Cognito's NEW_PASSWORD_REQUIRED
challenge, which the portal's login does not do yet: use it only once it does).

The vendor must exist in the database and be active to upload: register it with
--register NAME (the migrator's upsert-vendor command, status active), or
approve a signed-up vendor with the same command.

Options:
  --register NAME    also register (or update) the vendor in the database as active
                     with this name and EMAIL, through <prefix>-migrator
  --invite           let Cognito e-mail a temporary password instead
  --user-pool-id P   the pool (default: looked up by name <prefix>-vendors)
  --project P        project name (default: the var file's, else onboarding)
  --region R         region (default: the var file's aws_region, else eu-west-1)
  --var-file F       Terraform variables (default terraform/ENV.tfvars when it exists)
  --dry-run          print the commands, change nothing
  -h, --help         this text

Exit status: 0 created; 1 failed (e.g. the user exists already); 2 usage or prerequisites.
USAGE
}

ENVIRONMENT="" VENDOR="" EMAIL="" REGISTER_NAME="" INVITE=false USER_POOL_ID=""
PROJECT_ARG="" REGION_ARG="" VAR_FILE_ARG=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --register) REGISTER_NAME=${2:?--register needs a vendor name}; shift ;;
    --invite) INVITE=true ;;
    --user-pool-id) USER_POOL_ID=${2:?--user-pool-id needs a value}; shift ;;
    --project) PROJECT_ARG=${2:?--project needs a value}; shift ;;
    --region) REGION_ARG=${2:?--region needs a value}; shift ;;
    --var-file) VAR_FILE_ARG=${2:?--var-file needs a value}; shift ;;
    --dry-run) DRY_RUN=true ;;
    -*) usage >&2; die "unknown option $1" 2 ;;
    *)
      if [ -z "$ENVIRONMENT" ]; then ENVIRONMENT=$1
      elif [ -z "$VENDOR" ]; then VENDOR=$1
      elif [ -z "$EMAIL" ]; then EMAIL=$1
      else die "unexpected argument '$1'" 2
      fi ;;
  esac
  shift
done
[ -n "$EMAIL" ] || { usage >&2; die "need ENV, VENDOR_ID and EMAIL" 2; }
valid_environment "$ENVIRONMENT"
require_vendor_id "VENDOR_ID" "$VENDOR"
[[ "$EMAIL" =~ ^[^@[:space:]\"]+@[^@[:space:]\"]+\.[^@[:space:]\"]+$ ]] || die "'$EMAIL' is not an e-mail address" 2
case "$REGISTER_NAME" in *'"'*|*'\'*) die "--register: the name may not contain quotes or backslashes" 2 ;; esac

require_aws_cli
require_aws_credentials
resolve_var_file "$ENVIRONMENT" "$VAR_FILE_ARG"
PROJECT=${PROJECT_ARG:-$(tfvar project onboarding)}
REGION=${REGION_ARG:-$(tfvar aws_region eu-west-1)}
PREFIX="$PROJECT-$ENVIRONMENT"
export AWS_REGION="$REGION" AWS_DEFAULT_REGION="$REGION"

if [ -z "$USER_POOL_ID" ]; then
  USER_POOL_ID=$(aws cognito-idp list-user-pools --max-results 60 \
    --query "UserPools[?Name=='$PREFIX-vendors'].Id | [0]" --output text 2>/dev/null || true)
  if [ -z "$USER_POOL_ID" ] || [ "$USER_POOL_ID" = None ]; then
    die "no user pool $PREFIX-vendors in $REGION (is the portal deployed, enable_portal = true?); pass --user-pool-id" 2
  fi
fi
log "pool $USER_POOL_ID ($PREFIX-vendors), account $ACCOUNT_ID, region $REGION"

if aws cognito-idp admin-get-user --user-pool-id "$USER_POOL_ID" --username "$EMAIL" >/dev/null 2>&1; then
  die "$EMAIL already has a login in $PREFIX-vendors. To rebind it (careful: it then sees that vendor's uploads):
  aws cognito-idp admin-update-user-attributes --user-pool-id $USER_POOL_ID --username $EMAIL --user-attributes Name=custom:vendor_id,Value=$VENDOR"
fi

if [ -n "$REGISTER_NAME" ]; then
  step "Registering $VENDOR in the database (active), through $PREFIX-migrator"
  set_payload_flags
  payload="{\"command\":\"upsert-vendor\",\"vendor_id\":\"$VENDOR\",\"vendor_name\":\"$REGISTER_NAME\",\"email\":\"$EMAIL\",\"status\":\"active\"}"
  out=$(mktemp)
  # The migrator has no alias: its latest configuration is the last apply's.
  run aws lambda invoke --function-name "$PREFIX-migrator" \
    ${PAYLOAD_FLAGS[@]+"${PAYLOAD_FLAGS[@]}"} --payload "$payload" "$out" >/dev/null
  if [ "$DRY_RUN" != true ]; then
    grep -q '"status":"active"' "$out" || die "upsert-vendor answered: $(cat "$out")"
    log "answer: $(cat "$out")"
  fi
  rm -f "$out"
fi

step "Creating the login $EMAIL for vendor $VENDOR"
attributes=("Name=email,Value=$EMAIL" Name=email_verified,Value=true "Name=custom:vendor_id,Value=$VENDOR")
if [ "$INVITE" = true ]; then
  run aws cognito-idp admin-create-user --user-pool-id "$USER_POOL_ID" --username "$EMAIL" \
    --user-attributes "${attributes[@]}" --desired-delivery-mediums EMAIL >/dev/null
  log "Cognito e-mails $EMAIL a temporary password (valid 7 days)."
  exit 0
fi
run aws cognito-idp admin-create-user --user-pool-id "$USER_POOL_ID" --username "$EMAIL" \
  --user-attributes "${attributes[@]}" --message-action SUPPRESS >/dev/null
password="$(od -An -N9 -tx1 /dev/urandom | tr -d ' \n')-Vp$(od -An -N2 -tu2 /dev/urandom | tr -d ' \n')!"
if [ "$DRY_RUN" = true ]; then
  printf '[dry-run] aws cognito-idp admin-set-user-password --user-pool-id %s --username %s --password <random> --permanent\n' "$USER_POOL_ID" "$EMAIL" >&2
  exit 0
fi
show aws cognito-idp admin-set-user-password --user-pool-id "$USER_POOL_ID" --username "$EMAIL" --password '<random>' --permanent
aws cognito-idp admin-set-user-password --user-pool-id "$USER_POOL_ID" --username "$EMAIL" \
  --password "$password" --permanent
step "Login created"
cat <<DONE
e-mail:    $EMAIL
vendor:    $VENDOR
password:  $password
(shown once; hand it over securely. Uploads need the vendor active in the database:
 --register NAME, or the migrator's upsert-vendor command.)
DONE

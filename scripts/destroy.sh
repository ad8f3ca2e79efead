#!/usr/bin/env bash
# Tears an environment down completely (docs/deployment.md#destroying-scriptsdestroysh-env).
#
#   scripts/destroy.sh ENV [--yes] [--var-file F] [--dry-run]
#
# Needs: the AWS CLI with credentials for the account, Terraform >= 1.6.
set -euo pipefail
# shellcheck source=scripts/deploy-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/deploy-lib.sh"

usage() {
  cat <<'EOF'
Usage: scripts/destroy.sh ENV [options]

Deletes everything Terraform created for ENV, data included:

  1. turns deletion protection off (the database, the staging table and, with
     the portal, the vendor user pool), with an apply targeted at those modules;
  2. empties the uploads, access-log and (portal) site buckets: every object
     version and every delete marker (the buckets are versioned);
  3. deletes the images in the function ECR repositories;
  4. terraform destroy.

RDS keeps a final snapshot <prefix>-postgres-final unless skip_final_snapshot
is set in the var file. The KMS key is scheduled for deletion by AWS (7-30 days).

Options:
  --yes          do not ask (required without a terminal)
  --var-file F   Terraform variables (default: terraform/ENV.tfvars if it exists)
  --dry-run      print what would be deleted and the commands, change nothing
  -h, --help     this text

Needs: the AWS CLI and credentials, Terraform >= 1.6.
EOF
}

ENVIRONMENT=""
YES=false
VAR_FILE_ARG=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --yes|-y) YES=true ;;
    --var-file) VAR_FILE_ARG=${2:?--var-file needs a value}; shift ;;
    --var-file=*) VAR_FILE_ARG=${1#*=} ;;
    --dry-run) DRY_RUN=true ;;
    -*) usage >&2; die "unknown option $1" 2 ;;
    *) [ -z "$ENVIRONMENT" ] || die "one environment at a time" 2; ENVIRONMENT=$1 ;;
  esac
  shift
done
[ -n "$ENVIRONMENT" ] || { usage >&2; die "which environment? (e.g. scripts/destroy.sh staging)" 2; }
valid_environment "$ENVIRONMENT"

step "Checking prerequisites"
require_aws_cli
require_aws_credentials
require_terraform
resolve_var_file "$ENVIRONMENT" "$VAR_FILE_ARG"
resolve_portal
tf_var_args
PROJECT=$(tfvar project onboarding)
REGION=$(tfvar aws_region eu-west-1)
PREFIX="$PROJECT-$ENVIRONMENT"
export AWS_REGION="$REGION" AWS_DEFAULT_REGION="$REGION"

tf_init_workspace "$ENVIRONMENT" false
uploads=$(tf output -raw upload_bucket 2>/dev/null || true)
access_logs=$(tf output -raw access_logs_bucket 2>/dev/null || true)
site=""
if [ "$PORTAL" = true ]; then site=$(tf output -raw site_bucket 2>/dev/null || true); fi
# image_tag is a required variable; its value does not matter to a destroy.
STATE_FILE="$DEPLOY_STATE_ROOT/$ENVIRONMENT/state.json"
tag=$(json_get "$(cat "$STATE_FILE" 2>/dev/null)" image_tag)
TF_VARS+=("-var" "image_tag=${tag:-destroy}")

cat >&2 <<EOF

This deletes environment '$ENVIRONMENT' in account $ACCOUNT_ID ($REGION), prefix $PREFIX:
  the database (final snapshot unless skip_final_snapshot), the staging table,
  the buckets ${uploads:-<none found>} and ${access_logs:-<none found>}${site:+ and $site} with every object version,
  the queues, the topic and its subscriptions, the functions and their images, the VPC.
EOF
if [ "$YES" != true ] && [ "$DRY_RUN" != true ]; then
  [ -t 0 ] || die "no terminal to confirm on: pass --yes" 2
  printf 'Type the environment name (%s) to confirm: ' "$ENVIRONMENT" >&2
  read -r answer
  [ "$answer" = "$ENVIRONMENT" ] || die "not confirmed; nothing was changed"
fi

protected=(-target=module.data)
if [ "$PORTAL" = true ]; then protected+=("-target=module.portal[0].aws_cognito_user_pool.vendors"); fi
step "1. Deletion protection off (database, staging table${site:+, vendor user pool})"
tf_run apply -input=false -auto-approve "${TF_VARS[@]}" -var deletion_protection=false "${protected[@]}"

# Deletes every version and delete marker of BUCKET, 1000 at a time.
empty_bucket() {
  local bucket=$1 kind batch total=0
  if ! aws s3api head-bucket --bucket "$bucket" >/dev/null 2>&1; then
    log "$bucket: not found (already gone)"
    return 0
  fi
  batch=$(mktemp)
  for kind in Versions DeleteMarkers; do
    while :; do
      aws s3api list-object-versions --bucket "$bucket" --max-items 1000 \
        --query "{Objects: ${kind}[].{Key: Key, VersionId: VersionId}, Quiet: \`true\`}" \
        --output json >"$batch"
      if grep -q '"Objects": null' "$batch" || ! grep -q '"Key"' "$batch"; then break; fi
      local count
      count=$(grep -c '"Key"' "$batch")
      if [ "$DRY_RUN" = true ]; then
        log "$bucket: would delete $count ${kind} (first batch shown; more may follow)"
        run aws s3api delete-objects --bucket "$bucket" --delete "file://$batch"
        break
      fi
      show aws s3api delete-objects --bucket "$bucket" --delete "file://<$count $kind>"
      aws s3api delete-objects --bucket "$bucket" --delete "file://$batch" >/dev/null
      total=$((total + count))
    done
  done
  rm -f "$batch"
  log "$bucket: $total object versions and delete markers deleted"
}

step "2. Emptying the versioned buckets"
for bucket in "$uploads" "$access_logs" "$site"; do
  if [ -n "$bucket" ]; then empty_bucket "$bucket"; fi
done

step "3. Deleting the function images (ECR refuses to delete a repository that holds images)"
for f in "${IMAGES[@]}"; do
  repo="$PREFIX/$f"
  ids=$(aws ecr list-images --repository-name "$repo" --query 'imageIds[].imageDigest' --output text 2>/dev/null || true)
  if [ -z "$ids" ] || [ "$ids" = None ]; then
    log "$repo: no images"
    continue
  fi
  # shellcheck disable=SC2086 # one argument per digest
  set -- $ids
  while [ $# -gt 0 ]; do
    chunk=()
    while [ $# -gt 0 ] && [ ${#chunk[@]} -lt 100 ]; do chunk+=("imageDigest=$1"); shift; done
    run aws ecr batch-delete-image --repository-name "$repo" --image-ids "${chunk[@]}" \
      --query 'failures[].failureReason' --output text
  done
  log "$repo: images deleted"
done

step "4. terraform destroy"
destroy_rc=0
tf_run destroy -input=false -auto-approve "${TF_VARS[@]}" || destroy_rc=$?
if [ "$destroy_rc" -ne 0 ] && [ -n "$access_logs" ]; then
  # S3 delivers access logs minutes late; a late log object makes the bucket
  # non-empty again. Empty it once more and retry.
  warn "terraform destroy failed (exit $destroy_rc); emptying $access_logs again (late access logs) and retrying once"
  empty_bucket "$access_logs"
  tf_run destroy -input=false -auto-approve "${TF_VARS[@]}"
elif [ "$destroy_rc" -ne 0 ]; then
  die "terraform destroy failed (exit $destroy_rc)"
fi

if [ "$DRY_RUN" != true ]; then
  rm -rf "${DEPLOY_STATE_ROOT:?}/$ENVIRONMENT"
fi
step "Environment $ENVIRONMENT destroyed"
log "The Terraform workspace '$ENVIRONMENT' is empty now; remove it with:"
log "  terraform -chdir=terraform workspace select default && terraform -chdir=terraform workspace delete $ENVIRONMENT"

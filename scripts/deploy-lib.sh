# shellcheck shell=bash
# shellcheck disable=SC2034 # FUNCTIONS, IMAGES, PAYLOAD_FLAGS, ... are for the scripts that source this
# Shared by scripts/deploy.sh, destroy.sh and smoke.sh: messages, the dry-run
# switch, prerequisite checks, and reading the environment's settings.
#
# Commands that change something go through `run` (printed, and skipped under
# --dry-run); read-only commands (`aws sts get-caller-identity`, `terraform
# output`, `aws ecr describe-images`, `aws logs filter-log-events`) run in both
# modes, so a dry run prints the exact commands a real run would.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TF_DIR="$ROOT/terraform"
# shellcheck source=scripts/json.sh
source "$ROOT/scripts/json.sh"
# The Lambda functions (versions, aliases, start checks), and the images
# (ECR repositories) they run: vendor-auth runs the vendor-api's image.
FUNCTIONS=(csv-parser product-validator error-processor)
IMAGES=(csv-parser product-validator error-processor)
DRY_RUN=${DRY_RUN:-false}
# Per-environment deployment records (.deploy/<env>/state.json, the pin file).
DEPLOY_STATE_ROOT=${DEPLOY_STATE_ROOT:-$ROOT/.deploy}

step() { printf '\n==> %s\n' "$*" >&2; }
log() { printf '    %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit "${2:-1}"; }

# The arguments as a shell would read them back (single quotes where needed).
shell_quote() {
  local a out=""
  for a in "$@"; do
    case "$a" in
      ""|*[!A-Za-z0-9_./:=,@%+-]*) a="'${a//\'/\'\\\'\'}'" ;;
    esac
    out="$out $a"
  done
  printf '%s' "${out# }"
}

# Prints a command before it runs.
show() { printf '+ %s\n' "$(shell_quote "$@")" >&2; }

# A command that changes something: printed, then run; under --dry-run only
# printed (on stderr, like everything but results).
run() {
  if [ "$DRY_RUN" = true ]; then
    printf '[dry-run] %s\n' "$(shell_quote "$@")" >&2
    return 0
  fi
  show "$@"
  "$@"
}

# Terraform in terraform/, without a CLI config file (no warning about a
# missing one) unless the operator set one.
tf() { TF_CLI_CONFIG_FILE="${TF_CLI_CONFIG_FILE:-/dev/null}" terraform -chdir="$TF_DIR" "$@"; }
tf_run() {
  if [ "$DRY_RUN" = true ]; then
    printf '[dry-run] terraform -chdir=terraform %s\n' "$(shell_quote "$@")" >&2
    return 0
  fi
  show terraform -chdir=terraform "$@"
  tf "$@"
}

# --- prerequisites ----------------------------------------------------------

require_aws_cli() {
  command -v aws >/dev/null 2>&1 || die "the AWS CLI is required but 'aws' is not on PATH.
  Install AWS CLI v2 (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html)." 2
  # json.sh reads the CLI's and Terraform's JSON with one of them.
  command -v jq >/dev/null 2>&1 || command -v python3 >/dev/null 2>&1 || die "jq (or python3) is required to read JSON but neither is on PATH.
  Install jq: apt-get install jq, brew install jq (macOS 15 has it)." 2
}

# Sets ACCOUNT_ID. Needs credentials for the target account.
require_aws_credentials() {
  local out
  if ! out=$(aws sts get-caller-identity --query Account --output text 2>&1); then
    die "no usable AWS credentials: 'aws sts get-caller-identity' failed:
  ${out}
  Configure them (aws configure, AWS_PROFILE, 'aws sso login', or role credentials in the environment)." 2
  fi
  ACCOUNT_ID=$(printf '%s' "$out" | tr -d '[:space:]')
  case "$ACCOUNT_ID" in
    [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]) ;;
    *) die "unexpected answer from 'aws sts get-caller-identity': ${ACCOUNT_ID}" 2 ;;
  esac
}

require_terraform() {
  command -v terraform >/dev/null 2>&1 || die "Terraform >= 1.6 is required but 'terraform' is not on PATH.
  Install it (https://developer.hashicorp.com/terraform/install)." 2
  local version
  version=$(TF_CLI_CONFIG_FILE=/dev/null terraform version 2>/dev/null | sed -n '1s/^Terraform v\([0-9][0-9.]*\).*/\1/p')
  local major=${version%%.*} rest=${version#*.}
  local minor=${rest%%.*}
  if [ -z "$version" ] || [ "$major" -lt 1 ] || { [ "$major" -eq 1 ] && [ "$minor" -lt 6 ]; }; then
    die "Terraform >= 1.6 is required (found '${version:-unknown}')." 2
  fi
}

require_docker_buildx() {
  command -v docker >/dev/null 2>&1 || die "Docker is required to build the images but 'docker' is not on PATH.
  Install Docker Engine or Docker Desktop, with the buildx plugin." 2
  docker buildx version >/dev/null 2>&1 || die "'docker buildx' is not available. Install the buildx plugin
  (Docker Desktop has it; on Linux: the docker-buildx-plugin package)." 2
  docker info >/dev/null 2>&1 || die "the Docker engine is not reachable ('docker info' failed). Start Docker." 2
}

# --- vendor ids -------------------------------------------------------------

# The onboard CLI: $ONBOARD_BIN, else `onboard` on PATH, else this checkout's
# build (target/debug, then target/release), else `cargo run`.
onboard_cli() {
  if [ -n "${ONBOARD_BIN:-}" ]; then "$ONBOARD_BIN" "$@"
  elif command -v onboard >/dev/null 2>&1; then onboard "$@"
  elif [ -x "$ROOT/target/debug/onboard" ]; then "$ROOT/target/debug/onboard" "$@"
  elif [ -x "$ROOT/target/release/onboard" ]; then "$ROOT/target/release/onboard" "$@"
  elif command -v cargo >/dev/null 2>&1; then cargo run -q --manifest-path "$ROOT/Cargo.toml" -p onboard -- "$@"
  else die "the onboard CLI is needed to check vendor ids: set ONBOARD_BIN, put 'onboard' on PATH, or build it (cargo build -p onboard)" 2
  fi
}

# Dies (exit $3, default 2) unless $2 is a vendor id, saying what $1 names.
# The rule is the domain's (VendorId), asked of the CLI, not copied here.
require_vendor_id() {
  local what=$1 id=$2 code=${3:-2} answer
  answer=$(onboard_cli vendor check-id -- "$id" 2>&1) || die "$what: ${answer#error: }" "$code"
}

# --- the environment's settings ----------------------------------------------

valid_environment() {
  [[ "$1" =~ ^[a-z][a-z0-9-]{1,14}$ ]] || die "environment must be 2-15 lowercase letters, digits or hyphens (got '$1')" 2
}

# A simple `name = "value"` setting from the var file, or the default.
tfvar() {
  local name=$1 default=$2 value=""
  if [ -n "${VAR_FILE:-}" ] && [ -f "$VAR_FILE" ]; then
    value=$(sed -n "s/^[[:space:]]*${name}[[:space:]]*=[[:space:]]*\"\([^\"]*\)\".*/\1/p" "$VAR_FILE" | tail -n 1)
  fi
  printf '%s' "${value:-$default}"
}

# A `name = true|false` setting from the var file, or the default.
tfvar_bool() {
  local name=$1 default=$2 value=""
  if [ -n "${VAR_FILE:-}" ] && [ -f "$VAR_FILE" ]; then
    value=$(sed -n "s/^[[:space:]]*${name}[[:space:]]*=[[:space:]]*\(true\|false\).*/\1/p" "$VAR_FILE" | tail -n 1)
  fi
  printf '%s' "${value:-$default}"
}

# PORTAL (true/false) from enable_portal (default true, as in variables.tf);
# with the portal, FUNCTIONS includes vendor-api and vendor-auth (versions,
# checks), and IMAGES vendor-api (their one image).
resolve_portal() {
  PORTAL=$(tfvar_bool enable_portal true)
  if [ "$PORTAL" = true ]; then
    FUNCTIONS=(csv-parser product-validator error-processor vendor-api vendor-auth)
    IMAGES=(csv-parser product-validator error-processor vendor-api)
  fi
}

# VAR_FILE: --var-file, else terraform/<env>.tfvars when it exists.
resolve_var_file() {
  local env=$1 given=${2:-}
  if [ -n "$given" ]; then
    [ -f "$given" ] || die "var file '$given' does not exist" 2
    VAR_FILE=$(cd "$(dirname "$given")" && pwd)/$(basename "$given")
  elif [ -f "$TF_DIR/$env.tfvars" ]; then
    VAR_FILE="$TF_DIR/$env.tfvars"
  else
    VAR_FILE=""
  fi
}

# Arguments every terraform plan/apply/destroy gets.
tf_var_args() {
  TF_VARS=()
  if [ -n "$VAR_FILE" ]; then TF_VARS+=("-var-file=$VAR_FILE"); fi
  TF_VARS+=("-var" "environment=$ENVIRONMENT")
}

# One workspace per environment, so environments never share a state (with
# the local backend: terraform/terraform.tfstate.d/<env>/; with an S3 backend
# in terraform/<env>.backend.hcl or a backend.tf: env:/<env>/<key>).
# WORKSPACE_READY=false when a dry run would have created it.
tf_init_workspace() {
  local env=$1 create=${2:-true}
  local backend=()
  if [ -f "$TF_DIR/$env.backend.hcl" ]; then backend=("-backend-config=$env.backend.hcl"); fi
  show terraform -chdir=terraform init -input=false ${backend[@]+"${backend[@]}"}
  tf init -input=false ${backend[@]+"${backend[@]}"} >/dev/null || die "terraform init failed (run it in terraform/ to see why)"
  WORKSPACE_READY=true
  if tf workspace select "$env" >/dev/null 2>&1; then
    log "terraform workspace: $env"
  elif [ "$create" = true ]; then
    tf_run workspace new "$env" >&2
    if [ "$DRY_RUN" = true ]; then WORKSPACE_READY=false; fi
  else
    die "there is no Terraform workspace '$env': nothing is deployed under this name (terraform -chdir=terraform workspace list)" 2
  fi
}

# `terraform output -json NAME` on one line, or nothing when it does not exist.
tf_output_json() {
  if [ "${WORKSPACE_READY:-true}" != true ]; then return 0; fi
  tf output -json "$1" 2>/dev/null | tr -d ' \n\t' || true
}


# PAYLOAD_FLAGS: AWS CLI v2 needs --cli-binary-format to take a JSON payload
# as text; v1 takes it as text already and does not know the option.
set_payload_flags() {
  PAYLOAD_FLAGS=()
  if ! aws --version 2>&1 | grep -q '^aws-cli/1\.'; then
    PAYLOAD_FLAGS=(--cli-binary-format raw-in-base64-out)
  fi
}

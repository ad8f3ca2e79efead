#!/usr/bin/env bash
# Every check and every test. Works on a fresh Debian or Ubuntu machine: it
# installs what it needs (PostgreSQL server binaries, rustfmt/clippy, sqlx-cli,
# the pinned checkers under .venv/, and for the browser test chromium, Node and
# web/node_modules) and starts its own throwaway database.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

source scripts/prerequisites.sh

step "Installing what is missing"
install_prerequisites
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
# sqlx-cli's newest release is 0.9.0 while the crates use sqlx 0.9.1 (there
# is no sqlx-cli 0.9.1): the same 0.9 line, whose .sqlx/ format and
# migrations it shares. Move it with sqlx when a matching release exists.
sqlx_cli_version=0.9.0
cargo_deny_version=0.20.2
if ! cargo sqlx --version 2>/dev/null | grep -qF " $sqlx_cli_version"; then
  cargo install sqlx-cli --version "$sqlx_cli_version" --locked --no-default-features --features postgres,rustls
fi
if ! cargo deny --version 2>/dev/null | grep -qF " $cargo_deny_version"; then
  cargo install cargo-deny --version "$cargo_deny_version" --locked
fi

step "Formatting"
cargo fmt --all -- --check

# deny.toml: the legacy HTTP/TLS stack stays out, licenses, sources. The
# advisory database comes from the network: checked where it can be fetched
# (CI), said plainly where it cannot.
step "Supply chain (cargo deny)"
cargo deny check bans licenses sources
if cargo deny fetch db >/dev/null 2>&1 && [ -n "$(ls -A "${CARGO_HOME:-$HOME/.cargo}/advisory-dbs" 2>/dev/null)" ]; then
  cargo deny check advisories
else
  echo "cargo deny: advisories NOT checked: the advisory database cannot be fetched from here (offline)"
fi

export SQLX_OFFLINE=true
step "Clippy (-D warnings)"
cargo clippy --workspace --all-targets -- -D warnings

# The Lambda images build each function alone (`--package`), so no other
# workspace member's features reach it: onboarding-db's `dev` feature (the
# throwaway cluster and the test harness) must not be among its own.
step "The functions leave out the dev-only database code"
for function in csv-parser product-validator error-processor vendor-api; do
  if cargo tree -q -p "$function" -e normal,build,features -i onboarding-db | grep -q 'onboarding-db feature "dev"'; then
    echo "$function links onboarding-db's dev feature (cluster.rs, testing.rs)" >&2
    exit 1
  fi
done

# Everything this run starts lives in its own run folder on free ports, so a
# demo stack (scripts/demo.sh, here or in another checkout) keeps running
# untouched: the stack env file, the PostgreSQL cluster and the portal port
# are never the demo's defaults (.dev/, 55432, 8080).
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
mkdir -p target
run_dir=$(mktemp -d "$PWD/target/test-run.XXXXXX")
chmod 755 "$run_dir" # the cluster runs as the postgres user under root
export ONBOARD_STACK_ENV="$run_dir/stack/stack.env"
export ONBOARD_PG_DIR="$run_dir/postgres"
ONBOARD_PG_PORT=$(free_port)
export ONBOARD_PG_PORT
bystander=""
cleanup() {
  if [ -n "$bystander" ]; then stop_bystander >/dev/null 2>&1 || true; fi
  target/debug/onboard dev postgres-stop >/dev/null 2>&1 || true
  rm -rf "$run_dir"
}
trap cleanup EXIT

step "Starting a throwaway PostgreSQL (port $ONBOARD_PG_PORT, under $run_dir)"
cargo build -q -p onboard
server_url=$(target/debug/onboard dev postgres-start)
check_db="${server_url%/*}/sqlx_prepare_check"
psql -q "$server_url" -c 'DROP DATABASE IF EXISTS sqlx_prepare_check' -c 'CREATE DATABASE sqlx_prepare_check'
target/debug/onboard migrate --database-url "$check_db" >/dev/null

step "Checking that .sqlx/ matches the queries"
SQLX_OFFLINE=false DATABASE_URL="$check_db" cargo sqlx prepare --check --workspace -- --all-targets

if [ -d terraform ] && [ -x scripts/check-terraform.sh ]; then
  step "Terraform checks"
  scripts/check-terraform.sh
fi

step "GitHub Actions workflows (actionlint)"
bash scripts/check-workflows.sh

step "LocalStack 4.14.0 for the compose parity test"
# Installed, the parity test must run it (no silent fall-back to moto); it
# cannot run without Python 3.13 (exit 3), and the test then uses moto.
localstack_rc=0
bash scripts/localstack.sh install || localstack_rc=$?
case "$localstack_rc" in
  0) export ONBOARD_REQUIRE_LOCALSTACK=1 ;;
  3) echo "LocalStack cannot run here (see above): the compose parity test plays it with moto" ;;
  *) exit "$localstack_rc" ;;
esac

step "Building the functions the end-to-end tests run"
cargo build -q --workspace --bins

# A demo stack exactly as the README's main command starts it, as if from
# another checkout (its own folder, the default ports when free): the suite
# must pass beside it and leave it serving uploads.
bystander_dir="$run_dir/bystander"
bystander_env() {
  env -u ONBOARD_PG_PORT -u PORTAL_PORT ONBOARD_STACK_ENV="$bystander_dir/.dev/stack.env" \
    ONBOARD_PG_DIR="$bystander_dir/.dev/postgres" "$@"
}
stop_bystander() { bystander_env target/debug/onboard dev down; }
step "Starting a demo stack beside the tests"
mkdir -p "$bystander_dir"
chmod 755 "$bystander_dir"
bystander_env target/debug/onboard dev up
bystander=1

step "Tests"
DATABASE_URL="$server_url" cargo test --workspace --no-fail-fast

step "The demo stack still serves uploads"
bystander_env target/debug/onboard dev health
bystander_env target/debug/onboard upload --vendor VEND002 testdata/samples/VEND002_products.csv --wait \
  | python3 -c 'import json, sys; s = json.load(sys.stdin); assert s["status"] == "partial" and s["notified"], s; print("demo stack: upload", s["upload_id"], s["status"])'
stop_bystander
bystander=""

step "Vendor portal in a browser (Chromium, Playwright, axe-core)"
psql -q "$server_url" -c 'DROP DATABASE IF EXISTS portal_e2e' -c 'CREATE DATABASE portal_e2e'
DATABASE_URL="${server_url%/*}/portal_e2e" PORTAL_PORT=0 bash scripts/test-web.sh

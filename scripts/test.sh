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
if ! cargo sqlx --version 2>/dev/null | grep -q ' 0.9.0'; then
  cargo install sqlx-cli --version 0.9.0 --locked --no-default-features --features postgres,rustls
fi

step "Formatting"
cargo fmt --all -- --check

export SQLX_OFFLINE=true
step "Clippy (-D warnings)"
cargo clippy --workspace --all-targets -- -D warnings

step "Starting a throwaway PostgreSQL"
cargo build -q -p onboard
server_url=$(target/debug/onboard dev postgres-start)
trap 'target/debug/onboard dev postgres-stop >/dev/null 2>&1 || true' EXIT
check_db="${server_url%/*}/sqlx_prepare_check"
psql -q "$server_url" -c 'DROP DATABASE IF EXISTS sqlx_prepare_check' -c 'CREATE DATABASE sqlx_prepare_check'
target/debug/onboard migrate --database-url "$check_db" >/dev/null

step "Checking that .sqlx/ matches the queries"
SQLX_OFFLINE=false DATABASE_URL="$check_db" cargo sqlx prepare --check --workspace -- --all-targets

if [ -d terraform ] && [ -x scripts/check-terraform.sh ]; then
  step "Terraform checks"
  scripts/check-terraform.sh
fi

step "Building the functions the end-to-end tests run"
cargo build -q --workspace --bins

step "Tests"
DATABASE_URL="$server_url" cargo test --workspace --no-fail-fast

step "Vendor portal in a browser (Chromium, Playwright, axe-core)"
psql -q "$server_url" -c 'DROP DATABASE IF EXISTS portal_e2e' -c 'CREATE DATABASE portal_e2e'
DATABASE_URL="${server_url%/*}/portal_e2e" bash scripts/test-web.sh

#!/usr/bin/env bash
# The vendor portal's browser tests: unit tests of the web app's pure modules,
# then web/tests/e2e.mjs in Debian's headless Chromium against a running
# stack (log in, upload a sample, follow it to `partial`, read and download
# the errors, log out; axe-core on every main page; screenshots into
# docs/screenshots/), then web/tests/admin-e2e.mjs, the operator console.
#
#   bash scripts/test-web.sh
#
# Uses the stack in ONBOARD_STACK_ENV (default .dev/stack.env) when its
# PORTAL_URL answers; otherwise starts a throwaway stack of its own with
# `onboard dev up` (on DATABASE_URL when set) and stops it on exit.
# Installs what is missing: chromium, nodejs/npm (apt) and web/node_modules (npm ci).
set -euo pipefail
cd "$(dirname "$0")/.."

# step, apt_install
source scripts/prerequisites.sh

step "Installing what the browser tests need"
if ! command -v npm >/dev/null 2>&1; then apt_install nodejs npm; fi
if [ ! -x /usr/bin/chromium ] && [ -z "${CHROMIUM_PATH:-}" ]; then apt_install chromium fonts-dejavu-core; fi
if [ ! -d web/node_modules ]; then (cd web && npm ci --no-audit --no-fund); fi
echo "node $(node --version), $("${CHROMIUM_PATH:-/usr/bin/chromium}" --version 2>/dev/null || echo 'chromium (version unknown)')"

step "Checking the web app's modules (npm run check, npm run test:unit)"
(cd web && npm run --silent check && npm run --silent test:unit)

# Whether the stack env file names a PORTAL_URL whose /api/health answers.
portal_up() {
  local file=$1 url
  [ -f "$file" ] || return 1
  url=$(sed -n 's/^[[:space:]]*PORTAL_URL[[:space:]]*=[[:space:]]*//p' "$file" | tail -n 1)
  [ -n "$url" ] || return 1
  node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "${url%/}/api/health"
}

stack_env=${ONBOARD_STACK_ENV:-.dev/stack.env}
if portal_up "$stack_env"; then
  step "Using the running stack in $stack_env"
else
  step "Starting a throwaway stack"
  onboard=target/debug/onboard
  if [ ! -x "$onboard" ] || [ ! -x target/debug/vendor-api ]; then
    cargo build -q --workspace --bins
  fi
  stack_dir=$(mktemp -d)
  stack_env="$stack_dir/stack.env"
  stop_stack() {
    ONBOARD_STACK_ENV="$stack_env" "$onboard" dev down >/dev/null 2>&1 || true
    rm -rf "$stack_dir"
  }
  trap stop_stack EXIT
  ONBOARD_STACK_ENV="$stack_env" "$onboard" dev up
  if ! portal_up "$stack_env"; then
    echo "the stack started but its PORTAL_URL does not answer /api/health:" >&2
    cat "$stack_env" >&2 || true
    exit 1
  fi
fi

step "Browser end-to-end test"
status=0
ONBOARD_STACK_ENV="$stack_env" node web/tests/e2e.mjs || status=1

step "Operator console end-to-end test"
ONBOARD_STACK_ENV="$stack_env" node web/tests/admin-e2e.mjs || status=1
exit "$status"

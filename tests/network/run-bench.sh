#!/usr/bin/env bash
# `microlearn bench network` against a private Synapse on loopback (started and stopped here).
# Extra arguments go to the bench, e.g. `tests/network/run-bench.sh --events 10000 --kills 200`.
# MICROLEARN_BIN overrides the binary (default: a bench-fast build).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/synapse-env.sh
if [ -z "${MICROLEARN_BIN:-}" ]; then
  cargo build -q -p microlearn-cli --profile bench-fast
  MICROLEARN_BIN="$PWD/target/bench-fast/microlearn"
fi
start_synapse
"$MICROLEARN_BIN" --data-dir "$(mktemp -d)" bench network --homeserver "$SYNAPSE_URL" --secret "$SYNAPSE_SECRET" "$@"

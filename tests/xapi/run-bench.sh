#!/usr/bin/env bash
# Runs `microlearn bench xapi` against a private LaRS (started and stopped here). Extra arguments
# go to the bench (e.g. --statements 5000).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/xapi/lrs-env.sh
cargo build -q --profile bench-fast -p microlearn-cli
start_lrs
target/bench-fast/microlearn bench xapi --endpoint "$LRS_URL" "$@"
